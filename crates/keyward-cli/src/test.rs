//! `keyward test`: run scenario files and report `N passed, M failed`.

use crate::files;
use crate::output::HumanOrJson;
use keyward_core::eval::{explain, render_human};
use keyward_core::span::LineIndex;
use keyward_scenario::{self as scenario, build_case};
use std::path::PathBuf;

/// Arguments of `keyward test`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Scenario files (.json, .yaml) or directories of them.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = HumanOrJson::Human)]
    format: HumanOrJson,
}

pub(crate) fn run(a: &Args) -> u8 {
    let paths = match files::expand(&a.files, &["json", "yaml", "yml"]) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let human = a.format == HumanOrJson::Human;
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut cases = Vec::new();
    for path in &paths {
        let file = path.display().to_string();
        let text = match files::read(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        };
        // In a directory, files without `cases` are fixtures (policies referenced by path).
        if !a.files.contains(path) && !looks_like_scenario(&text) {
            continue;
        }
        let dir = path.parent().map(PathBuf::from).unwrap_or_default();
        let resolve = |rel: &str| files::read(&dir.join(rel));
        let yaml = matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
        let s = match scenario::load(&text, yaml, &resolve) {
            Ok(s) => s,
            Err(diags) => {
                let idx = LineIndex::new(&text);
                for d in &diags {
                    eprintln!("{}", d.render(&file, &idx));
                }
                failed += 1;
                cases.push(serde_json::json!({"file": file, "name": "(load)", "expected": null, "actual": "invalid scenario file", "pass": false}));
                continue;
            }
        };
        for (case, r) in s.cases.iter().zip(scenario::run(&s)) {
            let pass = r.pass();
            let actual = r.actual_name();
            if pass {
                passed += 1;
            } else {
                failed += 1;
                if human {
                    let lc = LineIndex::new(&text).line_col(case.span.start);
                    println!("FAIL {file}:{}:{} {}", lc.line, lc.col, r.name);
                    println!("  expected {}, got {actual}", r.expected_name());
                    for p in &r.problems {
                        println!("  {p}");
                    }
                    if let Err(e) = &r.actual {
                        println!("  {e}");
                    }
                    let deciding = match scenario::service_steps(&s, case) {
                        Ok(run) => run
                            .steps
                            .iter()
                            .find(|st| st.outcome.decision != keyward_core::eval::Decision::Allow)
                            .or(run.steps.last())
                            .map(|st| (st.set.clone(), st.request.clone())),
                        Err(_) => build_case(&s, case).ok(),
                    };
                    if let Some((set, req)) = deciding {
                        let mut e = explain(&set, &req);
                        crate::fixgate::label(&mut e, &set, &|p| {
                            crate::fixgate::scenario_policy_text(&dir, &text, p)
                        });
                        for line in render_human(&e).lines() {
                            println!("  | {line}");
                        }
                    }
                }
            }
            cases.push(serde_json::json!({
                "file": file, "name": r.name, "expected": r.expected_name(), "actual": actual, "pass": pass,
                "kms": r.kms, "problems": r.problems,
            }));
        }
    }
    if human {
        println!("{passed} passed, {failed} failed");
    } else {
        let out = serde_json::json!({"passed": passed, "failed": failed, "cases": cases});
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    u8::from(failed > 0)
}

/// True when the text has a top-level `cases` key (JSON or YAML).
fn looks_like_scenario(text: &str) -> bool {
    let (root, _) = keyward_core::json::read(text, keyward_core::json::Limits::default());
    match root {
        Some(r) => r.get("cases").is_some(),
        None => text.lines().any(|l| l.starts_with("cases:")),
    }
}
