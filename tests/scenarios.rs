//! Runs every scenario file in `tests/scenarios/` through the evaluator: each case's decision
//! must equal its `expect`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure is a test failure"
)]

use keyward_scenario::{self as scenario, load};
use std::path::Path;

#[test]
fn scenario_corpus_passes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (mut total, mut failures) = (0usize, Vec::new());
    for f in files
        .iter()
        .filter(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("json" | "yaml")))
    {
        let text = std::fs::read_to_string(f).unwrap();
        let resolve = |rel: &str| std::fs::read_to_string(dir.join(rel)).map_err(|e| e.to_string());
        let yaml = f.extension().is_some_and(|e| e == "yaml");
        let s = load(&text, yaml, &resolve).unwrap_or_else(|d| panic!("{}: {d:?}", f.display()));
        for r in scenario::run(&s) {
            total += 1;
            if !r.pass() {
                failures.push(format!(
                    "{}: {} (expected {:?}, got {:?})",
                    f.display(),
                    r.name,
                    r.expected,
                    r.actual.map(|o| o.decision)
                ));
            }
        }
    }
    assert!(total >= 250, "only {total} cases");
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A context built through `KeyFilter::for_set` (only the keys the policy set can read, as the
/// KMS builds it per call) decides every corpus case exactly as the full context does.
#[test]
fn filtered_context_decides_like_the_full_context() {
    use keyward_core::eval::{decide, Context, KeyFilter, Request};
    use std::sync::Arc;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (mut total, mut dropped) = (0usize, 0usize);
    for f in files
        .iter()
        .filter(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("json" | "yaml")))
    {
        let text = std::fs::read_to_string(f).unwrap();
        let resolve = |rel: &str| std::fs::read_to_string(dir.join(rel)).map_err(|e| e.to_string());
        let yaml = f.extension().is_some_and(|e| e == "yaml");
        let s = load(&text, yaml, &resolve).unwrap();
        for case in &s.cases {
            let Ok((set, full)) = scenario::build_case(&s, case) else { continue };
            let filter = Arc::new(KeyFilter::for_set(&set));
            let mut ctx = Context::filtered(filter);
            for (k, v) in full.context.iter() {
                ctx.set(k, v.clone());
            }
            dropped += full.context.iter().count() - ctx.iter().count();
            let filtered = Request::new(full.principal.clone(), &full.action, &full.resource, ctx);
            assert_eq!(
                decide(&set, &full),
                decide(&set, &filtered),
                "{}: {}",
                f.display(),
                case.name
            );
            total += 1;
        }
    }
    assert!(total >= 250, "only {total} cases");
    assert!(dropped > total, "the filter should drop unread keys ({dropped} dropped)");
}
