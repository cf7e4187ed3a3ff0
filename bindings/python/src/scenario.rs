//! `keyward.test(...)` and the pytest plugin: one scenario file's cases with their positions
//! and, for a failing case, the human trace. Files a scenario names are read relative to it.

use crate::util::{diag_json, fail, position};
use keyward_core::eval::{explain, render_human};
use keyward_scenario::{self as scenario, build_case};
use serde_json::{json, Value};
use std::path::Path;

/// Loads and runs one scenario file.
pub(crate) fn run(text: &str, file: &str, yaml: bool) -> Value {
    let dir = Path::new(file).parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |rel: &str| {
        let p = dir.join(rel);
        std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let s = match scenario::load(text, yaml, &resolve) {
        Ok(s) => s,
        Err(diags) => {
            let first = diags.first().map(|d| diag_json(file, text, d));
            let (line, column) = first.as_ref().map_or((1, 1), |d| {
                (d["line"].as_u64().unwrap_or(1), d["column"].as_u64().unwrap_or(1))
            });
            let msg = first
                .as_ref()
                .and_then(|d| d["message"].as_str())
                .unwrap_or("invalid scenario file");
            let mut e = fail(format!("{file}:{line}:{column}: {msg}"), None);
            if let Some(o) = e.get_mut("error").and_then(Value::as_object_mut) {
                o.insert("file".into(), json!(file));
                o.insert("line".into(), json!(line));
                o.insert("column".into(), json!(column));
                o.insert(
                    "diagnostics".into(),
                    diags.iter().map(|d| diag_json(file, text, d)).collect(),
                );
            }
            return e;
        }
    };
    let cases: Vec<Value> = s
        .cases
        .iter()
        .zip(scenario::run(&s))
        .map(|(case, r)| {
            let (line, column) = position(text, case.span).unwrap_or((1, 1));
            let pass = r.pass();
            let actual = match &r.actual {
                Ok(o) => o.decision.name().to_string(),
                Err(e) => format!("error: {e}"),
            };
            let trace = if pass {
                Value::Null
            } else {
                build_case(&s, case)
                    .map_or(Value::Null, |(set, req)| json!(render_human(&explain(&set, &req))))
            };
            json!({
                "file": file, "line": line, "column": column, "name": r.name,
                "expected": r.expected.name(), "actual": actual, "passed": pass, "trace": trace,
            })
        })
        .collect();
    json!({"ok": true, "file": file, "cases": cases})
}
