//! Policy documents inside CloudFormation templates (JSON and YAML).
//!
//! Each policy property (`KeyPolicy` of `AWS::KMS::Key`, `PolicyDocument` of the IAM policy
//! resources and of `Policies` entries, bucket/queue/topic policies, Organizations policies) is
//! linted as a document of the kind its resource implies. A JSON policy without intrinsic
//! functions is linted as the exact substring of the template. Otherwise the policy is rendered
//! to JSON, with intrinsics resolved to stand-in values (`${AWS::AccountId}` is
//! `123456789012`, `!GetAtt Key.Arn` a KMS key ARN, `!If` its first branch), and every rendered
//! token remembers where it came from.

use super::span::{string_map, Seg, SpanMap};
use super::tree::{Tree, V};
use super::Doc;
use keyward_core::parse::DocKind;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// True when `root` looks like a CloudFormation template.
pub fn is_template(root: &Tree) -> bool {
    if root.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    match root.get("Resources").map(|r| &r.v) {
        Some(V::Obj(m)) => m
            .iter()
            .any(|m| m.value.get("Type").and_then(Tree::as_str).is_some_and(|t| t.contains("::"))),
        _ => false,
    }
}

/// Every policy document in a template. `json` says the template was JSON (substrings and
/// escaped strings can then be mapped exactly).
pub fn extract<'a>(root: &Tree, orig: &'a str, json: bool) -> Vec<Doc<'a>> {
    let mut out = Vec::new();
    let Some(V::Obj(resources)) = root.get("Resources").map(|r| &r.v) else { return out };
    let ctx = Ctx { root, orig };
    for r in resources {
        let Some(ty) = r.value.get("Type").and_then(Tree::as_str) else { continue };
        let Some(props) = r.value.get("Properties") else { continue };
        let base = format!("Resources.{}.Properties", r.key);
        let kind = |k: &str| DocKind::from_name(k);
        let single: Option<(&str, &str)> = match ty {
            "AWS::KMS::Key" | "AWS::KMS::ReplicaKey" => Some(("KeyPolicy", "key")),
            "AWS::IAM::Policy"
            | "AWS::IAM::ManagedPolicy"
            | "AWS::IAM::RolePolicy"
            | "AWS::IAM::UserPolicy"
            | "AWS::IAM::GroupPolicy" => Some(("PolicyDocument", "identity")),
            "AWS::S3::BucketPolicy" | "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" => {
                Some(("PolicyDocument", "resource"))
            }
            "AWS::SecretsManager::ResourcePolicy" => Some(("ResourcePolicy", "resource")),
            "AWS::Organizations::Policy" => match props.get("Type").and_then(Tree::as_str) {
                Some("SERVICE_CONTROL_POLICY") => Some(("Content", "scp")),
                Some("RESOURCE_CONTROL_POLICY") => Some(("Content", "rcp")),
                _ => None,
            },
            _ => None,
        };
        if let Some((prop, k)) = single {
            if let (Some(doc), Some(k)) = (props.get(prop), kind(k)) {
                out.push(ctx.doc(doc, format!("{base}.{prop}"), k, json));
            }
        }
        if matches!(ty, "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group") {
            if let (Some(V::Arr(items)), Some(k)) =
                (props.get("Policies").map(|p| &p.v), kind("identity"))
            {
                for (i, item) in items.iter().enumerate() {
                    if let Some(doc) = item.get("PolicyDocument") {
                        out.push(ctx.doc(
                            doc,
                            format!("{base}.Policies[{i}].PolicyDocument"),
                            k,
                            json,
                        ));
                    }
                }
            }
        }
    }
    out
}

struct Ctx<'t, 'a> {
    root: &'t Tree,
    orig: &'a str,
}

/// What an intrinsic function stands for.
enum Resolved<'a> {
    Str(String),
    /// `AWS::NoValue`: the element is left out.
    Nothing,
    /// `Fn::If` / `Fn::Select`: another node.
    Node(&'a Tree),
}

impl<'t, 'a> Ctx<'t, 'a> {
    fn doc(&self, node: &'t Tree, label: String, kind: DocKind, json: bool) -> Doc<'a> {
        let pos = node.pos;
        if json {
            if let (V::Obj(_), false) = (&node.v, has_intrinsic(node)) {
                if let Some(text) = self.orig.get(node.pos..node.end) {
                    return Doc {
                        label: Some(label),
                        kind: Some(kind),
                        text: text.into(),
                        map: SpanMap::Offset(pos),
                        pos,
                    };
                }
            }
            if let (V::Str(s), Some(raw)) = (&node.v, self.orig.get(node.pos..node.end)) {
                return Doc {
                    label: Some(label),
                    kind: Some(kind),
                    text: s.clone().into(),
                    map: string_map(raw, pos, s),
                    pos,
                };
            }
        }
        if let V::Str(s) = &node.v {
            // A JSON policy in a YAML string: point every finding at the string.
            let map = SpanMap::point(pos);
            return Doc { label: Some(label), kind: Some(kind), text: s.clone().into(), map, pos };
        }
        let mut r = Render { orig: self.orig, out: String::new(), segs: Vec::new() };
        self.render(node, &mut r, 0);
        Doc {
            label: Some(label),
            kind: Some(kind),
            text: r.out.into(),
            map: SpanMap::Table(r.segs),
            pos,
        }
    }

    fn render(&self, t: &'t Tree, r: &mut Render<'_>, depth: usize) {
        if depth > 64 {
            r.raw("null", t.pos);
            return;
        }
        match self.resolve(t) {
            Some(Resolved::Str(s)) => return r.string(&s, t.pos, false),
            Some(Resolved::Node(n)) => return self.render(n, r, depth + 1),
            Some(Resolved::Nothing) => return r.raw("null", t.pos),
            None => {}
        }
        match &t.v {
            V::Null => r.raw("null", t.pos),
            V::Bool(b) => r.raw(if *b { "true" } else { "false" }, t.pos),
            V::Num(n) => r.raw(n, t.pos),
            V::Str(s) => r.string(s, t.pos, true),
            V::Arr(items) => {
                r.raw("[", t.pos);
                let mut first = true;
                for it in items {
                    if matches!(self.resolve(it), Some(Resolved::Nothing)) {
                        continue;
                    }
                    if !first {
                        r.out.push(',');
                    }
                    first = false;
                    self.render(it, r, depth + 1);
                }
                r.out.push(']');
            }
            V::Obj(members) => {
                r.raw("{", t.pos);
                let mut first = true;
                for m in members {
                    if matches!(self.resolve(&m.value), Some(Resolved::Nothing)) {
                        continue;
                    }
                    if !first {
                        r.out.push(',');
                    }
                    first = false;
                    r.string(&m.key, m.key_pos, true);
                    r.out.push(':');
                    self.render(&m.value, r, depth + 1);
                }
                r.out.push('}');
            }
        }
    }

    /// The value of an intrinsic function object (`None`: not an intrinsic).
    fn resolve(&self, t: &'t Tree) -> Option<Resolved<'t>> {
        let V::Obj(m) = &t.v else { return None };
        let [m] = m.as_slice() else { return None };
        let arg = &m.value;
        let items = |t: &'t Tree| match &t.v {
            V::Arr(a) => a.as_slice(),
            _ => &[],
        };
        Some(match m.key.as_str() {
            "Ref" => match arg.as_str() {
                Some("AWS::NoValue") => Resolved::Nothing,
                Some(name) => Resolved::Str(self.reference(name)),
                None => Resolved::Str("unresolved".into()),
            },
            "Fn::GetAtt" => {
                let (name, attr) = match (&arg.v, items(arg)) {
                    (V::Str(s), _) => s.split_once('.').unwrap_or((s, "")),
                    (_, [a, b]) => (a.as_str().unwrap_or(""), b.as_str().unwrap_or("")),
                    _ => ("unresolved", ""),
                };
                Resolved::Str(self.attribute(name, attr))
            }
            "Fn::Sub" => {
                let (tmpl, vars) = match (&arg.v, items(arg)) {
                    (V::Str(s), _) => (s.as_str(), None),
                    (_, [s, vars, ..]) => (s.as_str().unwrap_or(""), Some(vars)),
                    _ => ("", None),
                };
                Resolved::Str(self.sub(tmpl, vars))
            }
            "Fn::Join" => match items(arg) {
                [d, list, ..] => {
                    let parts: Vec<String> = items(list).iter().map(|p| self.text(p)).collect();
                    Resolved::Str(parts.join(d.as_str().unwrap_or("")))
                }
                _ => Resolved::Str(String::new()),
            },
            "Fn::If" => match items(arg) {
                [_, then, ..] => match self.resolve(then) {
                    Some(r) => r,
                    None => Resolved::Node(then),
                },
                _ => Resolved::Nothing,
            },
            "Fn::Select" => match items(arg) {
                [idx, list, ..] => {
                    let i = idx.as_str().and_then(|s| s.parse().ok()).or(match &idx.v {
                        V::Num(n) => n.parse().ok(),
                        _ => None,
                    });
                    match i.and_then(|i: usize| items(list).get(i)) {
                        Some(n) => Resolved::Node(n),
                        None => Resolved::Str("unresolved".into()),
                    }
                }
                _ => Resolved::Str("unresolved".into()),
            },
            k if k.starts_with("Fn::") => Resolved::Str(format!("unresolved-{}", &k[4..])),
            _ => return None,
        })
    }

    /// A node as a string (Join parts, Sub variables).
    fn text(&self, t: &'t Tree) -> String {
        match (self.resolve(t), &t.v) {
            (Some(Resolved::Str(s)), _) => s,
            (Some(Resolved::Node(n)), _) => self.text(n),
            (Some(Resolved::Nothing), _) => String::new(),
            (None, V::Str(s) | V::Num(s)) => s.clone(),
            (None, V::Bool(b)) => b.to_string(),
            (None, _) => String::new(),
        }
    }

    fn sub(&self, tmpl: &str, vars: Option<&'t Tree>) -> String {
        let mut out = String::new();
        let mut rest = tmpl;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(j) = after.find('}') else {
                out.push_str(&rest[i..]);
                return out;
            };
            let name = &after[..j];
            if let Some(lit) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(lit);
                out.push('}');
            } else if let Some(v) = vars.and_then(|v| v.get(name)) {
                out.push_str(&self.text(v));
            } else if let Some((res, attr)) =
                name.split_once('.').filter(|_| !name.starts_with("AWS::"))
            {
                out.push_str(&self.attribute(res, attr));
            } else {
                out.push_str(&self.reference(name));
            }
            rest = &after[j + 1..];
        }
        out.push_str(rest);
        out
    }

    fn resource_type(&self, name: &str) -> Option<&str> {
        self.root.get("Resources")?.get(name)?.get("Type")?.as_str()
    }

    /// `Ref name`: pseudo parameters get stand-in values; an SNS topic or managed policy its
    /// ARN; anything else (parameters, names, ids) its logical name.
    fn reference(&self, name: &str) -> String {
        match name {
            "AWS::AccountId" => ACCOUNT.into(),
            "AWS::Region" => REGION.into(),
            "AWS::Partition" => "aws".into(),
            "AWS::URLSuffix" => "amazonaws.com".into(),
            "AWS::StackName" => "stack".into(),
            "AWS::StackId" => format!("arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/stack/id"),
            _ => match self.resource_type(name) {
                Some(ty @ ("AWS::SNS::Topic" | "AWS::IAM::ManagedPolicy")) => arn_for(ty, name),
                _ => name.to_string(),
            },
        }
    }

    /// `Fn::GetAtt name.attr`: ARNs are built from the resource's type.
    fn attribute(&self, name: &str, attr: &str) -> String {
        match self.resource_type(name) {
            Some(ty) if attr.ends_with("Arn") => arn_for(ty, name),
            _ => format!("{name}-{attr}").to_ascii_lowercase(),
        }
    }
}

/// A stand-in ARN for resource `name` of CloudFormation type `ty`.
fn arn_for(ty: &str, name: &str) -> String {
    let (a, r) = (ACCOUNT, REGION);
    match ty {
        "AWS::KMS::Key" | "AWS::KMS::ReplicaKey" => format!("arn:aws:kms:{r}:{a}:key/{name}"),
        "AWS::IAM::Role" => format!("arn:aws:iam::{a}:role/{name}"),
        "AWS::IAM::User" => format!("arn:aws:iam::{a}:user/{name}"),
        "AWS::IAM::Group" => format!("arn:aws:iam::{a}:group/{name}"),
        "AWS::IAM::ManagedPolicy" => format!("arn:aws:iam::{a}:policy/{name}"),
        "AWS::S3::Bucket" => format!("arn:aws:s3:::{}", name.to_ascii_lowercase()),
        "AWS::SNS::Topic" => format!("arn:aws:sns:{r}:{a}:{name}"),
        "AWS::SQS::Queue" => format!("arn:aws:sqs:{r}:{a}:{name}"),
        "AWS::Lambda::Function" => format!("arn:aws:lambda:{r}:{a}:function:{name}"),
        "AWS::DynamoDB::Table" => format!("arn:aws:dynamodb:{r}:{a}:table/{name}"),
        _ => {
            let mut parts = ty.split("::").skip(1);
            let service = parts.next().unwrap_or("unknown").to_ascii_lowercase();
            let res = parts.next().unwrap_or("resource").to_ascii_lowercase();
            format!("arn:aws:{service}:{r}:{a}:{res}/{name}")
        }
    }
}

/// True when any object under `t` is an intrinsic function call.
fn has_intrinsic(t: &Tree) -> bool {
    match &t.v {
        V::Obj(m) => {
            (m.len() == 1 && m.iter().any(|m| m.key == "Ref" || m.key.starts_with("Fn::")))
                || m.iter().any(|m| has_intrinsic(&m.value))
        }
        V::Arr(a) => a.iter().any(has_intrinsic),
        _ => false,
    }
}

/// Rendered JSON and its segment table.
struct Render<'a> {
    orig: &'a str,
    out: String,
    segs: Vec<Seg>,
}

impl Render<'_> {
    /// A token with no verbatim counterpart (punctuation, numbers, literals).
    fn raw(&mut self, tok: &str, pos: usize) {
        let exact = if self.orig.get(pos..pos + tok.len()) == Some(tok) { tok.len() } else { 0 };
        self.segs.push(Seg { inner: self.out.len(), outer: pos, exact });
        self.out.push_str(tok);
    }

    /// A string token; `from_source` says the value was written at `pos` (quoted or not), so
    /// its content can map byte for byte when the source spells it the same way.
    fn string(&mut self, s: &str, pos: usize, from_source: bool) {
        let tok = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        if from_source && self.orig.get(pos..pos + tok.len()) == Some(tok.as_str()) {
            self.segs.push(Seg { inner: self.out.len(), outer: pos, exact: tok.len() });
            self.out.push_str(&tok);
            return;
        }
        let content = tok.get(1..tok.len().saturating_sub(1)).unwrap_or("");
        self.segs.push(Seg { inner: self.out.len(), outer: pos, exact: 0 });
        self.out.push('"');
        let at = if !from_source {
            None
        } else if self.orig.get(pos..pos + content.len()) == Some(content) {
            Some(pos)
        } else if self.orig.get(pos + 1..pos + 1 + content.len()) == Some(content) {
            Some(pos + 1)
        } else {
            None
        };
        if let Some(at) = at.filter(|_| !content.is_empty()) {
            self.segs.push(Seg { inner: self.out.len(), outer: at, exact: content.len() });
            self.out.push_str(content);
            // The closing quote: on the source's closing quote, or on the last character of a
            // plain scalar.
            let close = if at == pos { at + content.len() - 1 } else { at + content.len() };
            self.segs.push(Seg { inner: self.out.len(), outer: close, exact: 0 });
        } else {
            self.out.push_str(content);
        }
        self.out.push('"');
    }
}
