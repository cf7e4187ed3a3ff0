//! Policy sources: the policy documents in a file (the file itself, or the policies inside a
//! CloudFormation template (JSON or YAML) or a Terraform plan), each with a [`SpanMap`] back
//! to the file; and [`lint_source`], which lints each document with `keyward_lint` and places
//! every finding in the original file.
//!
//! Pure: the caller passes the file's name (for its extension) and text.

pub mod cfn;
pub mod span;
pub mod terraform;
pub mod tf;
pub mod tree;
pub mod yaml;

use keyward_core::diag::Severity;
use keyward_core::json::{self, Limits, Node, Value};
use keyward_core::parse::DocKind;
use span::SpanMap;
use std::borrow::Cow;
use tree::Tree;

/// Templates and plans may be much larger than one policy.
const CONTAINER_LIMITS: Limits = Limits { max_bytes: 256 * 1024 * 1024, max_depth: 256 };

/// One policy document to lint.
#[derive(Debug)]
pub struct Doc<'a> {
    /// Where it sits in a template or plan (`Resources.Key.Properties.KeyPolicy`); None for a
    /// plain policy file.
    pub label: Option<String>,
    /// The kind to lint it as (None: inferred from the content).
    pub kind: Option<DocKind>,
    /// The document's JSON text.
    pub text: Cow<'a, str>,
    /// From offsets in `text` to offsets in the file.
    pub map: SpanMap,
    /// Where the document starts in the file (for findings with no span).
    pub pos: usize,
}

/// One finding, placed in the original file.
#[derive(Debug, Clone)]
pub struct Hit {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Byte range in the file.
    pub start: usize,
    pub end: usize,
    /// JSON path in the file: the document's label, then the path inside the document.
    pub path: String,
    /// JSON path inside the policy document.
    pub inner_path: String,
    /// `Sid` of the statement the finding is in, if it has one.
    pub sid: Option<String>,
    pub fix: Option<String>,
}

/// The findings of one document.
#[derive(Debug)]
pub struct Unit {
    pub label: Option<String>,
    pub kind: Option<DocKind>,
    pub kind_inferred: bool,
    pub hits: Vec<Hit>,
    /// Remarks placed in the file (offset, message), e.g. Terraform placeholders.
    pub notes: Vec<(usize, String)>,
}

impl Unit {
    /// A unit with no notes.
    pub fn new(label: Option<String>, kind: Option<DocKind>, hits: Vec<Hit>) -> Unit {
        Unit { label, kind, kind_inferred: false, hits, notes: Vec::new() }
    }
}

/// Lints every policy document in `text`. `name` is the file's name or path (its extension
/// says YAML or JSON; a name like `key-policy.json` gives the kind of a plain document);
/// `forced` overrides the kind of a plain document. Findings carry byte ranges of `text`.
pub fn lint_source(name: &str, text: &str, forced: Option<DocKind>) -> Vec<Unit> {
    if tf::is_source(name) {
        return tf::lint(text);
    }
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let by_name = DocKind::from_file_name(base);
    let (docs, mut units) = documents(name, text);
    match docs {
        None => {
            // A plain policy or grant document: the file itself.
            let doc = Doc {
                label: None,
                kind: forced.or(by_name),
                text: Cow::Borrowed(text),
                map: SpanMap::Offset(0),
                pos: 0,
            };
            units.push(lint_doc(&doc, forced.is_none() && by_name.is_none(), &[]));
        }
        Some(docs) => units.extend(docs.iter().map(|d| lint_doc(d, false, &[]))),
    }
    units
}

/// The embedded documents of a template or plan (None: `text` is a plain document), plus any
/// unit reporting a template that could not be read.
/// `name` is the file's name or path.
pub fn documents<'a>(name: &str, text: &'a str) -> (Option<Vec<Doc<'a>>>, Vec<Unit>) {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let ext = base.rsplit_once('.').map_or("", |(_, e)| e).to_ascii_lowercase();
    let json_text = text.trim_start().starts_with('{');
    let is_yaml = matches!(ext.as_str(), "yaml" | "yml") || (ext == "template" && !json_text);
    if !is_yaml {
        if !(text.contains("\"Resources\"") || text.contains("\"format_version\"")) {
            return (None, Vec::new());
        }
        let (Some(root), _) = json::read(text, CONTAINER_LIMITS) else {
            return (None, Vec::new());
        };
        if terraform::is_plan(&root) {
            return (Some(terraform::extract(&root, text)), Vec::new());
        }
        if is_object(&root) {
            let tree = Tree::from_node(&root);
            if cfn::is_template(&tree) {
                return (Some(cfn::extract(&tree, text, true)), Vec::new());
            }
        }
        return (None, Vec::new());
    }
    match yaml::read(text) {
        Ok(Some(tree)) if cfn::is_template(&tree) => {
            (Some(cfn::extract(&tree, text, false)), Vec::new())
        }
        Ok(_) => (Some(Vec::new()), Vec::new()),
        Err(e) if text.contains("AWSTemplateFormatVersion") || text.contains("Resources:") => {
            let hit = Hit {
                code: "yaml-syntax",
                severity: Severity::Error,
                message: format!("the template is not valid YAML: {}", e.message),
                start: e.pos,
                end: e.pos,
                path: String::new(),
                inner_path: String::new(),
                sid: None,
                fix: None,
            };
            let unit = Unit::new(None, None, vec![hit]);
            (Some(Vec::new()), vec![unit])
        }
        // Other YAML (workflows, scenario files, ...) holds no policy documents.
        Err(_) => (Some(Vec::new()), Vec::new()),
    }
}

fn is_object(n: &Node) -> bool {
    matches!(n.value, Value::Object(_))
}

/// Lints one document and places its findings in the file. `notes` are remarks placed in the
/// file (Terraform placeholders: offset, message); a finding that points exactly at one is
/// about the stand-in value and is dropped.
pub fn lint_doc(doc: &Doc<'_>, kind_inferred: bool, notes: &[(usize, String)]) -> Unit {
    let (report, root) = keyward_lint::lint_tree(&doc.text, doc.kind);
    let hits = report
        .findings
        .into_iter()
        .filter(|f| {
            f.span.is_synthetic()
                || !notes.iter().any(|(at, _)| doc.map.map(f.span.start as usize) == *at)
        })
        .map(|f| {
            let (start, end) = if f.span.is_synthetic() {
                (doc.pos, doc.pos)
            } else {
                doc.map.map_range(f.span.start as usize, f.span.end as usize)
            };
            let path = match (&doc.label, f.path.is_empty()) {
                (Some(l), true) => l.clone(),
                (Some(l), false) => format!("{l}.{}", f.path),
                (None, _) => f.path.clone(),
            };
            let sid =
                if f.path.starts_with("Statement") { sid_of(root.as_ref(), &f.path) } else { None };
            Hit {
                code: f.code,
                severity: f.severity,
                message: f.message,
                start,
                end,
                path,
                inner_path: f.path,
                sid,
                fix: f.fix,
            }
        })
        .collect();
    Unit {
        label: doc.label.clone(),
        kind: report.kind.or(doc.kind),
        kind_inferred: kind_inferred && report.kind.is_some(),
        hits,
        notes: notes.to_vec(),
    }
}

/// The `Sid` of the statement a JSON path (`Statement[2].Action`, `Statement.Effect`) is in.
fn sid_of(root: Option<&Node>, path: &str) -> Option<String> {
    let stmts = root?.get("Statement")?;
    let rest = path.strip_prefix("Statement")?;
    let stmt = match &stmts.value {
        Value::Array(items) => {
            let idx = rest.strip_prefix('[')?.split(']').next()?.parse::<usize>().ok()?;
            items.get(idx)?
        }
        Value::Object(_) => stmts,
        _ => return None,
    };
    stmt.get("Sid")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sid_lookup() {
        let text = r#"{"Statement":[{"Sid":"A"},{"Sid":"B","Effect":"Allow"}]}"#;
        let root = json::read(text, Limits::default()).0;
        assert_eq!(sid_of(root.as_ref(), "Statement[1].Effect").as_deref(), Some("B"));
        assert_eq!(sid_of(root.as_ref(), "Statement[7]"), None);
        let one = json::read(r#"{"Statement":{"Sid":"S"}}"#, Limits::default()).0;
        assert_eq!(sid_of(one.as_ref(), "Statement.Effect").as_deref(), Some("S"));
    }
}
