//! Writes a policy document as JSON from HCL expressions, recording where each JSON value came
//! from in the `.tf` text, and the placeholders that stand for values known only after apply.

use super::Note;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::template::{Element, HeredocTemplate};
use hcl_edit::Span as _;
use keyward_core::span::Span;
use std::ops::Range;

/// Which policy element a value belongs to (chooses the placeholder's shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ctx {
    Action,
    Resource,
    Principal,
    Other,
}

impl Ctx {
    fn of_key(key: &str, outer: Ctx) -> Ctx {
        match key {
            "Action" | "NotAction" => Ctx::Action,
            "Resource" | "NotResource" => Ctx::Resource,
            "Principal" | "NotPrincipal" => Ctx::Principal,
            "Condition" | "Sid" | "Effect" | "Version" | "Id" => Ctx::Other,
            _ => outer,
        }
    }
}

/// The JSON being written.
#[derive(Debug)]
pub(super) struct Out<'t> {
    src: &'t str,
    text: String,
    segs: Vec<(usize, usize, usize)>,
    notes: Vec<Note>,
}

type Finished = (String, Vec<(usize, usize, usize)>, Vec<Note>);

impl<'t> Out<'t> {
    pub(super) fn new(src: &'t str) -> Out<'t> {
        Out { src, text: String::new(), segs: Vec::new(), notes: Vec::new() }
    }

    pub(super) fn finish(self) -> Finished {
        (self.text, self.segs, self.notes)
    }

    /// Text with no place of its own (punctuation, defaults).
    pub(super) fn raw(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// What is written next comes from `outer` in the `.tf` text.
    pub(super) fn at(&mut self, outer: usize) {
        let inner = self.text.len();
        match self.segs.last_mut() {
            Some(last) if last.0 == inner => *last = (inner, outer, 0),
            _ => self.segs.push((inner, outer, 0)),
        }
    }

    fn string(&mut self, s: &str) {
        self.text.push_str(&serde_json::Value::String(s.to_string()).to_string());
    }

    /// `"key":`, placed at `outer`.
    pub(super) fn key(&mut self, k: &str, outer: usize) {
        self.at(outer);
        self.string(k);
        self.raw(":");
    }

    pub(super) fn note(&mut self, r: Range<usize>, message: String) {
        self.notes.push(Note { span: Span::new(r.start, r.end), message });
    }

    /// A JSON string literal's value that is itself a JSON document (`policy = "{...}"`).
    pub(super) fn verbatim_json(&mut self, s: &str, outer: usize) {
        self.at(outer);
        self.raw(s);
    }

    /// An HCL expression as JSON (`jsonencode` semantics).
    pub(super) fn value(&mut self, e: &Expression, ctx: Ctx) {
        let pos = e.span().map_or(0, |r| r.start);
        match e {
            Expression::Null(_) => {
                self.at(pos);
                self.raw("null");
            }
            Expression::Bool(b) => {
                self.at(pos);
                self.raw(if *b.value() { "true" } else { "false" });
            }
            Expression::Number(n) => {
                self.at(pos);
                let v = n.value().to_string();
                self.raw(&v);
            }
            Expression::String(s) => {
                self.at(pos);
                // The policy document data source writes IAM variables as `&{aws:username}`.
                self.string(&s.as_str().replace("&{", "${"));
            }
            Expression::StringTemplate(t) => {
                let mut v = String::new();
                for el in t.iter() {
                    self.element(el, ctx, &mut v);
                }
                self.at(pos);
                self.string(&v.replace("&{", "${"));
            }
            Expression::HeredocTemplate(h) => {
                let mut v = String::new();
                for el in h.template.iter() {
                    self.element(el, ctx, &mut v);
                }
                self.at(pos);
                self.string(&v);
            }
            Expression::Array(a) => {
                self.at(pos);
                self.raw("[");
                for (i, item) in a.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.value(item, ctx);
                }
                self.raw("]");
            }
            Expression::Object(o) => {
                self.at(pos);
                self.raw("{");
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    let kpos = k.span().map_or(pos, |r| r.start);
                    let name = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
                        ObjectKey::Expression(x) => self.placeholder(x, Ctx::Other),
                    };
                    self.key(&name, kpos);
                    self.value(v.expr(), Ctx::of_key(&name, ctx));
                }
                self.raw("}");
            }
            Expression::Parenthesis(p) => self.value(p.inner(), ctx),
            _ => {
                let v = self.placeholder(e, ctx);
                self.at(pos);
                self.string(&v);
            }
        }
    }

    fn element(&mut self, el: &Element, ctx: Ctx, v: &mut String) {
        match el {
            Element::Literal(l) => v.push_str(l.value()),
            Element::Interpolation(i) => v.push_str(&self.placeholder(&i.expr, ctx)),
            Element::Directive(d) => {
                let r = d.span().unwrap_or(0..0);
                self.note(
                    r,
                    "a template directive (%{...}) is not evaluated; it is left out".into(),
                );
            }
        }
    }

    /// The stand-in for an expression Terraform evaluates at plan or apply time, with a note.
    fn placeholder(&mut self, e: &Expression, ctx: Ctx) -> String {
        let r = e.span().unwrap_or(0..0);
        let src = self.src.get(r.clone()).unwrap_or("").trim().to_string();
        let v = placeholder(&src, ctx);
        self.note(
            r,
            format!("`{}` is known only when Terraform runs; linted as `{v}`", short(&src)),
        );
        v
    }

    /// A heredoc holding a JSON document, copied verbatim; `${...}` interpolations become
    /// placeholders, `$${` and `%%{` their literal forms. False when it is not a heredoc the
    /// parser placed.
    pub(super) fn heredoc(&mut self, h: &HeredocTemplate) -> bool {
        let Some(r) = h.span() else { return false };
        let Some(all) = self.src.get(r.clone()) else { return false };
        // Body: after the `<<EOF` line, up to the line holding the closing delimiter.
        let Some(nl) = all.find('\n') else { return false };
        let body_start = r.start + nl + 1;
        let body_end = all.trim_end().rfind('\n').map_or(body_start, |i| r.start + i + 1);
        let Some(body) = self.src.get(body_start..body_end.max(body_start)) else { return false };
        let bytes = body.as_bytes();
        let (mut i, mut run) = (0usize, 0usize);
        while i < bytes.len() {
            let escaped = |c: u8| {
                bytes.get(i) == Some(&c)
                    && bytes.get(i + 1) == Some(&c)
                    && bytes.get(i + 2) == Some(&b'{')
            };
            if escaped(b'$') || escaped(b'%') {
                self.copy(body, run, i + 1, body_start);
                run = i + 2;
                i += 3;
                continue;
            }
            if bytes.get(i) == Some(&b'$') && bytes.get(i + 1) == Some(&b'{') {
                self.copy(body, run, i, body_start);
                let end = closing_brace(bytes, i + 2);
                let expr_src = body.get(i + 2..end).unwrap_or("").trim();
                let ctx = self.last_key_ctx();
                let v = placeholder(expr_src, ctx);
                let quoted = !self.inside_string();
                self.at(body_start + i);
                if quoted {
                    self.string(&v);
                } else {
                    self.raw(&v);
                }
                self.note(
                    body_start + i..body_start + end + 1,
                    format!(
                        "`{}` is known only when Terraform runs; linted as `{v}`",
                        short(expr_src)
                    ),
                );
                i = end + 1;
                run = i;
                continue;
            }
            i += 1;
        }
        self.copy(body, run, bytes.len(), body_start);
        true
    }

    /// Copies `body[from..to]` verbatim.
    fn copy(&mut self, body: &str, from: usize, to: usize, base: usize) {
        if to <= from {
            return;
        }
        let Some(s) = body.get(from..to) else { return };
        self.segs.push((self.text.len(), base + from, to - from));
        self.text.push_str(s);
    }

    /// True when the JSON written so far ends inside a string.
    fn inside_string(&self) -> bool {
        let mut inside = false;
        let mut escape = false;
        for c in self.text.bytes() {
            match (inside, escape, c) {
                (true, true, _) => escape = false,
                (true, false, b'\\') => escape = true,
                (_, false, b'"') => inside = !inside,
                _ => {}
            }
        }
        inside
    }

    /// The element of the last key written (for placeholders in heredocs).
    fn last_key_ctx(&self) -> Ctx {
        let keys = [
            "\"Action\"",
            "\"NotAction\"",
            "\"Resource\"",
            "\"NotResource\"",
            "\"Principal\"",
            "\"NotPrincipal\"",
            "\"Condition\"",
        ];
        keys.iter()
            .filter_map(|k| self.text.rfind(k).map(|p| (p, k.trim_matches('"'))))
            .max_by_key(|(p, _)| *p)
            .map_or(Ctx::Other, |(_, k)| Ctx::of_key(k, Ctx::Other))
    }
}

/// The index of the `}` closing an interpolation whose expression starts at `from`.
fn closing_brace(bytes: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut i = from;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'{' => depth += 1,
            b'}' if depth == 0 => return i,
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The items of a list expression (the expression itself when it is not a list).
pub(super) fn items(e: &Expression) -> Vec<&Expression> {
    match e {
        Expression::Array(a) => a.iter().collect(),
        _ => vec![e],
    }
}

/// An expression's source, shortened for messages.
pub(super) fn short(src: &str) -> String {
    let one_line = src.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", one_line.get(..i).unwrap_or("")),
        None => one_line,
    }
}

const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

/// A value shaped like what `src` evaluates to: account ids, Regions and ARNs of common
/// resource types; otherwise a placeholder fitting the policy element.
pub(super) fn placeholder(src: &str, ctx: Ctx) -> String {
    let parts: Vec<&str> = src.split('.').map(str::trim).collect();
    let last = parts.last().copied().unwrap_or("");
    let (ty, name) = match parts.as_slice() {
        ["data", ty, name, ..] => (*ty, *name),
        [ty, name, ..] => (*ty, *name),
        _ => ("", "placeholder"),
    };
    let name: String =
        name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect();
    match (ty, last) {
        (_, "account_id") => return ACCOUNT.to_string(),
        ("aws_region", _) => return REGION.to_string(),
        (_, "partition") => return "aws".to_string(),
        (_, "dns_suffix") => return "amazonaws.com".to_string(),
        ("aws_kms_key", "id" | "key_id") => return KEY_ID.to_string(),
        ("aws_kms_key", "arn") => return format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"),
        ("aws_kms_alias", "arn") => return format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/{name}"),
        ("aws_iam_role", "arn") => return format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        ("aws_iam_user", "arn") => return format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        ("aws_iam_policy", "arn") => return format!("arn:aws:iam::{ACCOUNT}:policy/{name}"),
        ("aws_s3_bucket", "arn") => return format!("arn:aws:s3:::{name}"),
        ("aws_s3_bucket", "id" | "bucket") => return name,
        ("aws_sns_topic", "arn") => return format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}"),
        ("aws_sqs_queue", "arn") => return format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"),
        ("aws_lambda_function", "arn") => {
            return format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
        }
        ("aws_cloudwatch_log_group", "arn") => {
            return format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}")
        }
        ("aws_dynamodb_table", "arn") => {
            return format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}")
        }
        _ => {}
    }
    match ctx {
        Ctx::Principal => format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        Ctx::Resource => format!("arn:aws:s3:::{name}"),
        Ctx::Action => "placeholder:Placeholder".to_string(),
        Ctx::Other => "placeholder".to_string(),
    }
}
