//! Scenario files: run one and report each case with its position, and for a failing case the
//! human trace. Files the scenario names come from a resolver (a map of texts in the browser,
//! the file system in Python).

use crate::lint::finding_json;
use crate::util::{fail, parse_object, too_large, TextPos, MAX_BUNDLE, MAX_DOC};
use keyward_core::eval::{explain, render_human};
use keyward_scenario as scenario;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Runs a scenario; `files` (JSON object) maps the paths it references to their text.
pub fn run_with_files(text: &str, yaml: bool, files: Option<&str>) -> Value {
    let mut map = BTreeMap::new();
    if let Some(f) = files.filter(|f| !f.trim().is_empty()) {
        if f.len() > MAX_BUNDLE {
            return too_large(f.len(), MAX_BUNDLE, "files_json");
        }
        let obj = match parse_object(f, "files_json") {
            Ok(o) => o,
            Err(e) => return e,
        };
        for (k, v) in obj {
            match v {
                Value::String(s) => {
                    map.insert(k, s);
                }
                _ => return fail(format!("files_json.{k} must be a string"), Some("files_json")),
            }
        }
    }
    let resolve = |rel: &str| {
        map.get(rel)
            .or_else(|| map.get(rel.trim_start_matches("./")))
            .cloned()
            .ok_or_else(|| format!("{rel}: no such file (pass its text in files_json)"))
    };
    run(text, yaml, &resolve)
}

/// Runs a scenario whose referenced files `resolve` reads:
/// `{ok, passed, failed, cases: [{name, expected, actual, pass, rule, kms, problems, trace,
/// line, column, start16, end16}]}`; `trace` is the human explanation of a failing case.
pub fn run(text: &str, yaml: bool, resolve: &dyn Fn(&str) -> Result<String, String>) -> Value {
    if text.len() > MAX_DOC {
        return too_large(text.len(), MAX_DOC, "scenario");
    }
    let pos = TextPos::new(text);
    let s = match scenario::load(text, yaml, resolve) {
        Ok(s) => s,
        Err(diags) => {
            let list: Vec<Value> = diags
                .iter()
                .map(|d| finding_json(&pos, &keyward_lint::Finding::from(d.clone())))
                .collect();
            let first = list.first().cloned().unwrap_or(Value::Null);
            let msg = first.get("message").and_then(Value::as_str).unwrap_or("invalid scenario");
            let mut v = fail(format!("scenario: {msg}"), Some("scenario"));
            if let Some(e) = v.get_mut("error").and_then(Value::as_object_mut) {
                for k in ["line", "column", "start", "end", "start16", "end16"] {
                    if let Some(x) = first.get(k) {
                        e.insert(k.into(), x.clone());
                    }
                }
                e.insert("diagnostics".into(), Value::Array(list));
            }
            return v;
        }
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut cases = Vec::new();
    for (case, r) in s.cases.iter().zip(scenario::run(&s)) {
        let pass = r.pass();
        if pass {
            passed += 1;
        } else {
            failed += 1;
        }
        let (actual, rule) = match &r.actual {
            Ok(o) => {
                (o.decision.name().to_string(), serde_json::to_value(o.rule).unwrap_or(Value::Null))
            }
            Err(_) => (r.actual_name(), Value::Null),
        };
        let span = pos.span(case.span);
        let at = |k: &str| {
            span.get(k).cloned().unwrap_or(json!(if k.starts_with('l') || k.starts_with('c') {
                1
            } else {
                0
            }))
        };
        let trace = if pass {
            Value::Null
        } else {
            scenario::build_case(&s, case)
                .map_or(Value::Null, |(set, req)| json!(render_human(&explain(&set, &req))))
        };
        cases.push(json!({
            "name": r.name, "expected": r.expected_name(), "actual": actual, "pass": pass, "rule": rule,
            "kms": r.kms, "problems": r.problems, "trace": trace,
            "line": at("line"), "column": at("column"), "start16": at("start16"), "end16": at("end16"),
        }));
    }
    json!({"ok": true, "passed": passed, "failed": failed, "cases": cases})
}
