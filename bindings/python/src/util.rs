//! Shared pieces: the error object (with file:line:col), documents as `{name, text}`, and lint.

use keyward_core::diag::{Diagnostic, Severity};
use keyward_core::parse::DocKind;
use keyward_core::span::{LineIndex, Span};
use serde_json::{json, Map, Value};

/// JSON text of a value (never fails for `Value`).
pub(crate) fn out(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| r#"{"ok":false,"error":{"message":"unserializable result"}}"#.into())
}

/// `{"ok": false, "error": {message, field?}}`.
pub(crate) fn fail(message: impl Into<String>, field: Option<&str>) -> Value {
    let mut e = json!({"message": message.into()});
    if let (Some(f), Some(o)) = (field, e.as_object_mut()) {
        o.insert("field".into(), json!(f));
    }
    json!({"ok": false, "error": e})
}

/// The position of a span as 1-based line and column (characters), `None` when synthetic.
pub(crate) fn position(text: &str, span: Span) -> Option<(u32, u32)> {
    if span == Span::SYNTHETIC {
        return None;
    }
    let lc = LineIndex::new(text).line_col(span.start);
    Some((lc.line, lc.col))
}

/// A diagnostic as JSON, located in `file`.
pub(crate) fn diag_json(file: &str, text: &str, d: &Diagnostic) -> Value {
    let (line, column) = position(text, d.span).unwrap_or((1, 1));
    json!({
        "code": d.code, "severity": d.severity, "message": d.message, "path": d.path,
        "file": file, "line": line, "column": column,
        "rendered": d.render(file, &LineIndex::new(text)),
    })
}

/// The error for a document with error diagnostics: the first error's place and message, and
/// every diagnostic. `None` when there is no error.
pub(crate) fn diag_error(file: &str, text: &str, diags: &[Diagnostic]) -> Option<Value> {
    let first = diags.iter().find(|d| d.severity == Severity::Error)?;
    let (line, column) = position(text, first.span).unwrap_or((1, 1));
    Some(json!({"ok": false, "error": {
        "message": format!("{file}:{line}:{column}: {}", first.message),
        "code": first.code, "file": file, "line": line, "column": column,
        "diagnostics": diags.iter().map(|d| diag_json(file, text, d)).collect::<Vec<_>>(),
    }}))
}

/// A document given as `{"name": ..., "text": ...}` in field `field` of `o`.
pub(crate) fn doc(o: &Map<String, Value>, field: &str) -> Result<Option<(String, String)>, Value> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => doc_value(v, field).map(Some),
    }
}

/// A list of documents in field `field` of `o`.
pub(crate) fn docs(o: &Map<String, Value>, field: &str) -> Result<Vec<(String, String)>, Value> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            items.iter().enumerate().map(|(i, v)| doc_value(v, &format!("{field}[{i}]"))).collect()
        }
        Some(_) => Err(fail(format!("`{field}` must be a list of documents"), Some(field))),
    }
}

fn doc_value(v: &Value, field: &str) -> Result<(String, String), Value> {
    let name = v.get("name").and_then(Value::as_str);
    let text = v.get("text").and_then(Value::as_str);
    match (name, text) {
        (Some(n), Some(t)) => Ok((n.to_string(), t.to_string())),
        _ => Err(fail(format!("`{field}` must be {{name, text}} with strings"), Some(field))),
    }
}

/// An optional string field.
pub(crate) fn opt_str(o: &Map<String, Value>, field: &str) -> Result<Option<String>, Value> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(fail(format!("`{field}` must be a string"), Some(field))),
    }
}

/// Parses the argument object of a call.
pub(crate) fn object(args_json: &str) -> Result<Map<String, Value>, Value> {
    match serde_json::from_str::<Value>(args_json) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(fail("arguments must be a JSON object", None)),
        Err(e) => Err(fail(format!("arguments are not valid JSON: {e}"), None)),
    }
}

/// keyward-lint's findings for every policy in one file (a policy or grant document, or the
/// policies inside a CloudFormation template or Terraform plan, through keyward-aws), each at
/// line:column of `name`.
pub(crate) fn lint(text: &str, kind: &str, name: &str) -> Value {
    let forced = match keyward_bundle::lint::parse_kind(kind) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let idx = LineIndex::new(text);
    let at = |offset: usize| {
        let lc = idx.line_col(u32::try_from(offset.min(text.len())).unwrap_or(u32::MAX));
        (lc.line, lc.col)
    };
    let units = keyward_aws::source::lint_source(name, text, forced);
    let mut findings = Vec::new();
    let mut documents = Vec::new();
    for u in &units {
        documents.push(json!({"document": u.label, "kind": u.kind.map(DocKind::name), "kind_inferred": u.kind_inferred}));
        for h in &u.hits {
            let ((line, column), (end_line, end_column)) = (at(h.start), at(h.end));
            findings.push(json!({
                "code": h.code, "severity": h.severity, "message": h.message, "path": h.path,
                "fix": h.fix, "file": name, "line": line, "column": column,
                "end_line": end_line, "end_column": end_column,
            }));
        }
    }
    let kind = units.first().and_then(|u| u.kind).map(DocKind::name);
    json!({"ok": true, "file": name, "kind": kind, "documents": documents, "findings": findings})
}
