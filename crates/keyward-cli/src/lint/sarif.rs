//! SARIF 2.1.0 output for GitHub code scanning.
//!
//! Rules come from `keyward_lint::checks()` (plus any parse code that fired, which has no entry
//! there). Levels: error → `error`; security warning → `error` with a `security-severity`
//! property (GitHub's security severity scale); warning → `warning`; suggestion → `note`.
//! Columns count Unicode code points (`columnKind`), as keyward's do.

use super::output::region;
use super::source::FileResult;
use keyward_core::diag::Severity;
use keyward_core::span::LineIndex;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// GitHub's security-severity for a security warning ("high": 7.0–8.9).
const SECURITY_SEVERITY: &str = "8.0";
/// The schema this output is written against.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error | Severity::SecurityWarning => "error",
        Severity::Warning => "warning",
        Severity::Suggestion => "note",
    }
}

/// A relative URI reference for a path (forward slashes, unsafe bytes percent-encoded).
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule(code: &str, title: &str, severity: Severity, aa: Option<&str>) -> Value {
    let mut props = serde_json::Map::new();
    let mut tags = vec![json!("iam"), json!("policy")];
    if severity == Severity::SecurityWarning {
        props.insert("security-severity".into(), json!(SECURITY_SEVERITY));
        tags.push(json!("security"));
    }
    if let Some(aa) = aa {
        props.insert("access-analyzer".into(), json!(aa));
    }
    props.insert("tags".into(), Value::Array(tags));
    json!({
        "id": code,
        "name": code,
        "shortDescription": { "text": title },
        "defaultConfiguration": { "level": level(severity) },
        "properties": props,
    })
}

/// The whole SARIF log for one run over `files`.
pub(crate) fn log(files: &[FileResult]) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for c in keyward_lint::checks() {
        index.insert(c.code, rules.len());
        rules.push(rule(c.code, c.title, c.severity, c.access_analyzer));
    }
    let mut results = Vec::new();
    let mut artifacts: Vec<Value> = Vec::new();
    for f in files {
        let hits: Vec<_> = f.units.iter().flat_map(|u| &u.hits).collect();
        if hits.is_empty() {
            continue;
        }
        let idx = LineIndex::new(&f.text);
        let artifact = artifacts.len();
        artifacts.push(json!({ "location": { "uri": uri(&f.display) } }));
        for h in hits {
            let rule_index = *index.entry(h.code).or_insert_with(|| {
                rules.push(rule(h.code, h.code, Severity::Error, None));
                rules.len() - 1
            });
            let (s, e) = region(&idx, h);
            let mut text = h.message.clone();
            if let Some(fix) = &h.fix {
                text.push_str(&format!(" (help: {fix})"));
            }
            let mut props = serde_json::Map::new();
            if h.severity == Severity::SecurityWarning {
                props.insert("security-severity".into(), json!(SECURITY_SEVERITY));
            }
            props.insert("severity".into(), json!(h.severity.label()));
            if let Some(fix) = &h.fix {
                props.insert("fix".into(), json!(fix));
            }
            let mut location = json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(&f.display), "index": artifact },
                    "region": {
                        "startLine": s.line, "startColumn": s.col,
                        "endLine": e.line, "endColumn": e.col,
                    },
                },
            });
            if !h.path.is_empty() {
                location["logicalLocations"] =
                    json!([{ "fullyQualifiedName": h.path, "kind": "member" }]);
            }
            results.push(json!({
                "ruleId": h.code,
                "ruleIndex": rule_index,
                "level": level(h.severity),
                "message": { "text": text },
                "locations": [location],
                "properties": props,
            }));
        }
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "keyward",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "artifacts": artifacts,
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encodes() {
        assert_eq!(uri("./a b/c.json"), "a%20b/c.json");
        assert_eq!(uri("x\\y.json"), "x/y.json");
    }
}
