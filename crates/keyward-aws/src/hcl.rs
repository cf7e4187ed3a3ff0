//! Terraform source (`.tf`): the IAM and KMS policy documents it writes, rebuilt as JSON with a
//! map from every JSON value back to its place in the `.tf` text, so a linter can report
//! `file.tf:line:col` without `terraform plan`.
//!
//! Read: `data "aws_iam_policy_document"` blocks (statement, principals / not_principals,
//! actions, resources, condition blocks), and the `policy` of `aws_kms_key`,
//! `aws_kms_key_policy`, `aws_iam_policy`, `aws_iam_role_policy`, `aws_iam_user_policy`,
//! `aws_iam_group_policy`, `aws_s3_bucket_policy`, `aws_sqs_queue_policy`,
//! `aws_sns_topic_policy`, the `content` of `aws_organizations_policy` (SCP or RCP), plus
//! `assume_role_policy` of `aws_iam_role` and `inline_policy` of roles, users and groups,
//! written as `jsonencode({...})`, a heredoc, a JSON string, or a reference to a policy document
//! data source. The kind comes from the resource type (a data source takes the kind of the first
//! resource that uses it). Values Terraform knows only at apply time (`aws_iam_role.app.arn`,
//! `${data.aws_caller_identity.current.account_id}`) become placeholders shaped like the real
//! value, each with a [`Note`]; they are never errors.
//!
//! Parsing is `hcl-edit`'s, which keeps byte ranges. Pure: text in, documents out.

mod render;

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use hcl_edit::Span as _;
use keyward_core::diag::Diagnostic;
use keyward_core::model::PolicyKind;
use keyward_core::parse::DocKind;
use keyward_core::span::Span;
use render::Out;

/// The code of a `.tf` file that is not valid HCL.
pub const SYNTAX: &str = "hcl-syntax";

/// One policy document found in a `.tf` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Where it is: `data.aws_iam_policy_document.NAME` or `aws_kms_key.NAME.policy`.
    pub label: String,
    /// The kind implied by the resource type (None: unknown, infer from the content).
    pub kind: Option<DocKind>,
    /// The policy as JSON.
    pub text: String,
    /// `(offset in text, offset in the .tf file, bytes copied verbatim)`, sorted by the first:
    /// an offset maps through the last segment at or before it.
    pub segments: Vec<(usize, usize, usize)>,
    /// Where the block or attribute starts in the file.
    pub pos: usize,
    /// Placeholders and parts not read.
    pub notes: Vec<Note>,
}

/// A remark about the `.tf` text: a placeholder for a value known only after apply, or a part
/// of a document that was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The expression in the `.tf` file.
    pub span: Span,
    /// What was done with it.
    pub message: String,
}

/// What a `.tf` file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TfFile {
    /// The policy documents, in file order.
    pub documents: Vec<Document>,
    /// Policy attributes that could not be turned into a document (`policy = var.policy`,
    /// `file("policy.json")`), with why.
    pub unread: Vec<Note>,
}

/// Reads the policy documents of a `.tf` file. An HCL syntax error is a [`SYNTAX`] diagnostic
/// at its position.
pub fn read(text: &str) -> Result<TfFile, Diagnostic> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        let at = e.location().offset().min(text.len());
        Diagnostic::error(
            SYNTAX,
            Span::new(at, at),
            "",
            format!("the file is not valid HCL: {}", e.message()),
        )
    })?;
    let mut out = TfFile::default();
    // Data sources first rendered without a kind; resources that reference them set it.
    let mut data: Vec<(String, usize)> = Vec::new();
    let mut uses: Vec<(String, DocKind)> = Vec::new();
    for s in body.iter() {
        let Structure::Block(b) = s else { continue };
        let labels: Vec<&str> = b.labels.iter().map(label).collect();
        match (b.ident.as_str(), labels.as_slice()) {
            ("data", ["aws_iam_policy_document", name]) => {
                let label = format!("data.aws_iam_policy_document.{name}");
                data.push((name.to_string(), out.documents.len()));
                out.documents.push(policy_document(text, b, label));
            }
            ("resource", [ty, name]) => resource(text, b, ty, name, &mut out, &mut uses),
            _ => {}
        }
    }
    for (name, i) in data {
        let kind = uses.iter().find(|(n, _)| *n == name).map(|(_, k)| *k);
        if let Some(d) = out.documents.get_mut(i) {
            d.kind = kind;
        }
    }
    Ok(out)
}

fn label(l: &BlockLabel) -> &str {
    match l {
        BlockLabel::Ident(i) => i.as_str(),
        BlockLabel::String(s) => s.as_str(),
    }
}

fn start(x: &impl hcl_edit::Span) -> usize {
    x.span().map_or(0, |r| r.start)
}

/// The policy attributes of the resource types that carry policies, and their kinds (as the
/// Terraform plan reader of the CLI). A role's trust policy is linted as a resource policy:
/// keyward has no trust-policy kind.
fn policy_attrs(b: &Block, ty: &str) -> &'static [(&'static str, PolicyKind)] {
    match ty {
        "aws_s3_bucket_policy" | "aws_sqs_queue_policy" | "aws_sns_topic_policy" => {
            &[("policy", PolicyKind::Resource)]
        }
        "aws_organizations_policy" => {
            match b.body.get_attribute("type").and_then(|t| literal(&t.value)) {
                Some("SERVICE_CONTROL_POLICY") => &[("content", PolicyKind::Scp)],
                Some("RESOURCE_CONTROL_POLICY") => &[("content", PolicyKind::Rcp)],
                _ => &[],
            }
        }
        "aws_kms_key" | "aws_kms_key_policy" | "aws_kms_replica_key" => {
            &[("policy", PolicyKind::Key)]
        }
        "aws_iam_policy"
        | "aws_iam_role_policy"
        | "aws_iam_user_policy"
        | "aws_iam_group_policy" => &[("policy", PolicyKind::Identity)],
        "aws_iam_role" => &[("assume_role_policy", PolicyKind::Resource)],
        _ => &[],
    }
}

fn resource(
    text: &str,
    b: &Block,
    ty: &str,
    name: &str,
    out: &mut TfFile,
    uses: &mut Vec<(String, DocKind)>,
) {
    let mut attrs: Vec<(&Attribute, String, PolicyKind)> = Vec::new();
    for (attr_name, kind) in policy_attrs(b, ty) {
        if let Some(a) = b.body.get_attribute(attr_name) {
            attrs.push((a, format!("{ty}.{name}.{attr_name}"), *kind));
        }
    }
    if matches!(ty, "aws_iam_role" | "aws_iam_user" | "aws_iam_group") {
        for (i, inline) in b.body.get_blocks("inline_policy").enumerate() {
            if let Some(a) = inline.body.get_attribute("policy") {
                attrs.push((
                    a,
                    format!("{ty}.{name}.inline_policy[{i}].policy"),
                    PolicyKind::Identity,
                ));
            }
        }
    }
    for (a, label, kind) in attrs {
        let kind = DocKind::Policy(kind);
        let value = strip_parens(&a.value);
        if let Some(doc) = data_reference(value) {
            uses.push((doc, kind));
            continue;
        }
        let mut o = Out::new(text);
        let rendered = match value {
            Expression::FuncCall(f) if f.name.name.as_str() == "jsonencode" => {
                match f.args.iter().next() {
                    Some(arg) => {
                        o.value(arg, render::Ctx::Other);
                        true
                    }
                    None => false,
                }
            }
            Expression::HeredocTemplate(h) => o.heredoc(h),
            Expression::String(s) => {
                o.verbatim_json(s.as_str(), start(s));
                true
            }
            _ => false,
        };
        if rendered {
            let (text_out, segments, notes) = o.finish();
            out.documents.push(Document {
                label,
                kind: Some(kind),
                text: text_out,
                segments,
                pos: start(a),
                notes,
            });
        } else {
            let r = value.span().unwrap_or(0..0);
            let src = text.get(r.clone()).unwrap_or("").trim();
            out.unread.push(Note {
                span: Span::new(r.start, r.end),
                message: format!(
                    "`{label}` is `{}`: a policy Terraform computes this way is not read from source",
                    render::short(src)
                ),
            });
        }
    }
}

fn strip_parens(e: &Expression) -> &Expression {
    match e {
        Expression::Parenthesis(p) => strip_parens(p.inner()),
        _ => e,
    }
}

/// `data.aws_iam_policy_document.NAME.json` (or `.minified_json`): NAME.
fn data_reference(e: &Expression) -> Option<String> {
    let Expression::Traversal(t) = e else { return None };
    let Expression::Variable(root) = &t.expr else { return None };
    if root.as_str() != "data" {
        return None;
    }
    let names: Vec<&str> = t
        .operators
        .iter()
        .filter_map(|o| match o.value() {
            TraversalOperator::GetAttr(i) => Some(i.as_str()),
            _ => None,
        })
        .collect();
    match names.as_slice() {
        ["aws_iam_policy_document", name, "json" | "minified_json"] => Some(name.to_string()),
        _ => None,
    }
}

/// Renders a `data "aws_iam_policy_document"` block as the provider would.
fn policy_document(text: &str, b: &Block, label: String) -> Document {
    let mut o = Out::new(text);
    o.raw("{");
    let version = b.body.get_attribute("version");
    o.key("Version", version.map_or(start(b), start));
    match version {
        Some(v) => o.value(&v.value, render::Ctx::Other),
        None => o.raw("\"2012-10-17\""),
    }
    if let Some(id) = b.body.get_attribute("policy_id") {
        o.raw(",");
        o.key("Id", start(id));
        o.value(&id.value, render::Ctx::Other);
    }
    for merged in ["source_policy_documents", "override_policy_documents"] {
        if let Some(a) = b.body.get_attribute(merged) {
            o.note(
                a.span().unwrap_or(0..0),
                format!("`{merged}` is merged by Terraform at plan time; only this block's statements are linted"),
            );
        }
    }
    o.raw(",");
    o.key("Statement", start(b));
    o.raw("[");
    for (i, st) in b.body.get_blocks("statement").enumerate() {
        if i > 0 {
            o.raw(",");
        }
        statement(&mut o, st);
    }
    o.raw("]}");
    let (text_out, segments, notes) = o.finish();
    Document { label, kind: None, text: text_out, segments, pos: start(b), notes }
}

fn statement(o: &mut Out<'_>, st: &Block) {
    o.raw("{");
    let mut first = true;
    let mut sep = |o: &mut Out<'_>| {
        if !first {
            o.raw(",");
        }
        first = false;
    };
    let body: &Body = &st.body;
    for (attr, key, ctx) in [
        ("sid", "Sid", render::Ctx::Other),
        ("effect", "Effect", render::Ctx::Other),
        ("actions", "Action", render::Ctx::Action),
        ("not_actions", "NotAction", render::Ctx::Action),
        ("resources", "Resource", render::Ctx::Resource),
        ("not_resources", "NotResource", render::Ctx::Resource),
    ] {
        if let Some(a) = body.get_attribute(attr) {
            sep(o);
            o.key(key, start(a));
            o.value(&a.value, ctx);
        }
    }
    if body.get_attribute("effect").is_none() {
        sep(o);
        o.key("Effect", start(st));
        o.raw("\"Allow\"");
    }
    for (blocks, key) in [("principals", "Principal"), ("not_principals", "NotPrincipal")] {
        let list: Vec<&Block> = body.get_blocks(blocks).collect();
        let Some(first_block) = list.first() else { continue };
        sep(o);
        o.key(key, start(*first_block));
        principals(o, &list);
    }
    let conds: Vec<&Block> = body.get_blocks("condition").collect();
    if let Some(c0) = conds.first() {
        sep(o);
        o.key("Condition", start(*c0));
        conditions(o, &conds);
    }
    o.raw("}");
}

/// `principals { type = "AWS" identifiers = [...] }` blocks: `{"AWS": [...], ...}`, or `"*"`
/// for `type = "*"` with `identifiers = ["*"]`.
fn principals(o: &mut Out<'_>, blocks: &[&Block]) {
    let star = blocks.len() == 1
        && blocks
            .iter()
            .all(|b| b.body.get_attribute("type").is_some_and(|t| literal(&t.value) == Some("*")));
    if star {
        if let Some(ids) = blocks.first().and_then(|b| b.body.get_attribute("identifiers")) {
            if let Expression::Array(a) = &ids.value {
                if a.iter().count() == 1 && a.iter().all(|x| literal(x) == Some("*")) {
                    o.at(start(ids));
                    o.raw("\"*\"");
                    return;
                }
            }
        }
    }
    o.raw("{");
    // Several blocks of one type merge into one list.
    let mut types: Vec<(String, usize, Vec<&Expression>)> = Vec::new();
    for b in blocks {
        let ty = b.body.get_attribute("type");
        let name = ty.and_then(|t| literal(&t.value)).unwrap_or("AWS").to_string();
        let ids = b.body.get_attribute("identifiers").map(|a| &a.value);
        let at = ty.map_or(start(*b), |t| start(&t.value));
        match types.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, _, list)) => list.extend(ids),
            None => types.push((name, at, ids.into_iter().collect())),
        }
    }
    for (i, (name, at, lists)) in types.iter().enumerate() {
        if i > 0 {
            o.raw(",");
        }
        o.key(name, *at);
        o.raw("[");
        let mut n = 0;
        for list in lists {
            for item in render::items(list) {
                if n > 0 {
                    o.raw(",");
                }
                o.value(item, render::Ctx::Principal);
                n += 1;
            }
        }
        o.raw("]");
    }
    o.raw("}");
}

/// `condition { test variable values }` blocks: `{"test": {"variable": [values]}}`.
fn conditions(o: &mut Out<'_>, blocks: &[&Block]) {
    let mut tests: Vec<(String, usize, Vec<&Block>)> = Vec::new();
    for b in blocks {
        let t = b.body.get_attribute("test");
        let name = t.and_then(|t| literal(&t.value)).unwrap_or("").to_string();
        match tests.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, _, list)) => list.push(b),
            None => tests.push((name, t.map_or(start(*b), |t| start(&t.value)), vec![b])),
        }
    }
    o.raw("{");
    for (i, (test, at, list)) in tests.iter().enumerate() {
        if i > 0 {
            o.raw(",");
        }
        o.key(test, *at);
        o.raw("{");
        for (j, b) in list.iter().enumerate() {
            if j > 0 {
                o.raw(",");
            }
            let var = b.body.get_attribute("variable");
            let name = var.and_then(|v| literal(&v.value)).unwrap_or("");
            o.key(name, var.map_or(start(*b), |v| start(&v.value)));
            match b.body.get_attribute("values") {
                Some(v) => o.value(&v.value, render::Ctx::Other),
                None => o.raw("[]"),
            }
        }
        o.raw("}");
    }
    o.raw("}");
}

/// The value of a literal string expression.
fn literal(e: &Expression) -> Option<&str> {
    match e {
        Expression::String(s) => Some(s.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
