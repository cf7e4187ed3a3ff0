//! `lint(text, kind)`: keyward-lint's findings with every position a JS editor needs.

use crate::util::{fail, too_large, TextPos, MAX_DOC};
use keyward_core::parse::DocKind;
use keyward_lint::Finding;
use serde_json::{json, Value};

/// One finding as JSON (LintFinding in keyward.d.ts).
pub fn finding_json(pos: &TextPos<'_>, f: &Finding) -> Value {
    let mut v = json!({
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "path": f.path,
        "fix": f.fix,
    });
    if let (Some(obj), Value::Object(span)) = (v.as_object_mut(), pos.span(f.span)) {
        obj.extend(span);
    } else if let Some(obj) = v.as_object_mut() {
        // A synthetic span: the whole document's start.
        for k in ["start", "end", "start16", "end16"] {
            obj.insert(k.into(), json!(0));
        }
        for k in ["line", "column", "end_line", "end_column"] {
            obj.insert(k.into(), json!(1));
        }
    }
    v
}

/// A `kind` argument: `auto` (or empty) is `None`; an unknown name is the error object.
pub fn parse_kind(kind: &str) -> Result<Option<DocKind>, Value> {
    match kind.trim() {
        "" | "auto" => Ok(None),
        k => DocKind::from_name(k).map(Some).ok_or_else(|| {
            fail(
                format!(
                    "unknown kind `{k}` (auto|key|resource|identity|scp|rcp|boundary|session|grant)"
                ),
                Some("kind"),
            )
        }),
    }
}

/// Lints one document.
pub fn lint(text: &str, kind: &str) -> Value {
    if text.len() > MAX_DOC {
        return too_large(text.len(), MAX_DOC, "text");
    }
    let kind = match parse_kind(kind) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let report = keyward_lint::lint_text(text, kind);
    let pos = TextPos::new(text);
    let findings: Vec<Value> = report.findings.iter().map(|f| finding_json(&pos, f)).collect();
    json!({
        "ok": true,
        "kind": report.kind.map(DocKind::name),
        "kind_inferred": report.kind_inferred,
        "findings": findings,
    })
}

/// Every check lint can report.
pub fn checks() -> Value {
    serde_json::to_value(keyward_lint::checks()).unwrap_or(Value::Array(Vec::new()))
}
