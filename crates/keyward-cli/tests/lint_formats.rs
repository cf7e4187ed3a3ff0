//! `keyward lint` output formats (human, json, sarif, github), the summary line, `--fail-on`
//! thresholds and usage errors. The SARIF log is validated against the official SARIF 2.1.0
//! schema (vendored in `tests/lint_fixtures/`, see its README) with Python's `jsonschema`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure is a test failure"
)]

mod common;
use common::{keyward, keyward_in, root};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const FIX: &str = "crates/keyward-cli/tests/lint_fixtures";

#[test]
fn human_has_source_line_carets_path_and_summary() {
    let (code, out, _) = keyward(&["lint", "policies/broken/many-errors.json"]);
    assert_eq!(code, 1);
    assert!(out.contains("error[invalid-version]: `2012-10-18` is not a policy version"), "{out}");
    assert!(out.contains("  --> policies/broken/many-errors.json:2:14\n"), "{out}");
    assert!(out.contains("2 |   \"Version\": \"2012-10-18\",\n"), "{out}");
    assert!(out.contains("  |              ^^^^^^^^^^^^ at Version\n"), "{out}");
    // The summary counts what was printed, per severity.
    let last = out.lines().last().unwrap();
    let count = |label: &str| out.lines().filter(|l| l.starts_with(&format!("{label}["))).count();
    let want = format!(
        "1 file(s) linted: {} error(s), {} security warning(s), {} warning(s), {} suggestion(s) in ",
        count("error"),
        count("security warning"),
        count("warning"),
        count("suggestion")
    );
    assert!(last.starts_with(&want) && last.ends_with('s'), "{last} / {want}");
    assert!(count("error") >= 13, "{out}");
}

#[test]
fn help_line_carries_the_fix() {
    let (_, json, _) = keyward(&["lint", "--format", "json", "policies/examples"]);
    let (_, human, _) = keyward(&["lint", "policies/examples"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for d in v.as_array().unwrap().iter().flat_map(|u| u["diagnostics"].as_array().unwrap()) {
        if let Some(fix) = d["fix"].as_str() {
            assert!(human.contains(&format!(" = help: {fix}\n")), "{fix}\n{human}");
        }
    }
}

#[test]
fn clean_run_says_clean_and_exits_0() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lint-clean");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("workflow.yml"), "on: push\n").unwrap();
    let (code, out, _) = keyward_in(&dir, &["lint", "."]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("1 file(s) linted (0 documents): clean in "), "{out}");
}

#[test]
fn json_entries_have_positions_ranges_and_fix_field() {
    let (code, out, err) =
        keyward(&["lint", "--format", "json", "policies/broken/many-errors.json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let all = v[0]["diagnostics"].as_array().unwrap();
    let d = all.iter().find(|d| d["code"] == "invalid-version").unwrap();
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(2), Some(14)));
    assert_eq!((d["end_line"].as_u64(), d["end_column"].as_u64()), (Some(2), Some(26)));
    assert_eq!(d["severity"], "ERROR");
    assert!(d.get("fix").is_some() && d.get("sid").is_some(), "{d}");
    // stdout is pure JSON; the summary goes to stderr.
    assert!(err.starts_with("1 file(s) linted: "), "{err}");
}

#[test]
fn github_annotations() {
    let (code, out, _) =
        keyward(&["lint", "--format", "github", "policies/broken/many-errors.json"]);
    assert_eq!(code, 1);
    let first = out.lines().find(|l| l.contains("title=invalid-version")).unwrap();
    assert_eq!(
        first,
        "::error file=policies/broken/many-errors.json,line=2,col=14,endLine=2,endColumn=26,\
         title=invalid-version::error: `2012-10-18` is not a policy version: use 2012-10-17 (at Version)"
    );
    // One annotation per finding, at the level its severity maps to.
    let (_, json, _) = keyward(&["lint", "--format", "json", "policies/broken/many-errors.json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let sev: Vec<&str> = v[0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["severity"].as_str().unwrap())
        .collect();
    let n = |s: &[&str]| sev.iter().filter(|x| s.contains(x)).count();
    let lines = |p: &str| out.lines().filter(|l| l.starts_with(p)).count();
    assert_eq!(lines("::error "), n(&["ERROR", "SECURITY_WARNING"]));
    assert_eq!(lines("::warning "), n(&["WARNING"]));
    assert_eq!(lines("::notice "), n(&["SUGGESTION"]));
    assert!(out.lines().last().unwrap().starts_with("1 file(s) linted: "));
}

/// A `python3` that can `import jsonschema`: the system one, or a venv made for this test.
fn python_with_jsonschema() -> PathBuf {
    let ok = |py: &Path| {
        Command::new(py)
            .args(["-c", "import jsonschema"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let system = PathBuf::from("python3");
    if ok(&system) {
        return system;
    }
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sarif-venv");
    let py = venv.join("bin/python3");
    if !ok(&py) {
        let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status();
        assert!(made.is_ok_and(|s| s.success()), "python3 -m venv failed: python3 is needed");
        let pip =
            Command::new(&py).args(["-m", "pip", "install", "--quiet", "jsonschema"]).status();
        assert!(pip.is_ok_and(|s| s.success()), "pip install jsonschema failed");
    }
    py
}

/// Validates `sarif` against the vendored schema; returns the validator's error messages.
fn schema_errors(sarif: &serde_json::Value) -> Vec<String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let name = format!("lint-{}-{n}.sarif", std::process::id());
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&file, serde_json::to_string(sarif).unwrap()).unwrap();
    let schema = root().join(FIX).join("sarif-schema-2.1.0.json");
    let script = "import json,sys,jsonschema\n\
        schema=json.load(open(sys.argv[1])); doc=json.load(open(sys.argv[2]))\n\
        cls=jsonschema.validators.validator_for(schema); cls.check_schema(schema)\n\
        v=cls(schema, format_checker=cls.FORMAT_CHECKER)\n\
        print(cls.__name__)\n\
        [print('ERR', e.message) for e in v.iter_errors(doc)]\n";
    let out = Command::new(python_with_jsonschema())
        .args(["-c", script])
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("Draft202012Validator"), "{stdout}");
    stdout.lines().filter_map(|l| l.strip_prefix("ERR ")).map(str::to_string).collect()
}

#[test]
fn sarif_is_valid_against_the_sarif_2_1_0_schema() {
    let (code, out, _) = keyward(&[
        "lint",
        "--format",
        "sarif",
        "policies/broken",
        &format!("{FIX}/cfn/app-stack.yaml"),
        &format!("{FIX}/terraform/plan.json"),
        "policies/examples",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    let run = &v["runs"][0];
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "keyward");
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 40, "{}", results.len());
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        let want = match r["properties"]["severity"].as_str().unwrap() {
            "error" | "security warning" => "error",
            "warning" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], want, "{r}");
    }
    // A finding inside a YAML template points at the template.
    let yaml = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == format!("{FIX}/cfn/app-stack.yaml")
        })
        .unwrap();
    let region = &yaml["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(20), Some(21))
    );
    assert_eq!((region["endLine"].as_u64(), region["endColumn"].as_u64()), (Some(20), Some(26)));
}

#[test]
fn sarif_schema_check_rejects_a_broken_log() {
    // The validation above is only worth something if the schema can fail.
    let (_, out, _) = keyward(&["lint", "--format", "sarif", "policies/broken/many-errors.json"]);
    let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["runs"][0]["results"][0]["level"] = "fatal".into();
    v["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert_eq!(schema_errors(&v).len(), 2);
}

#[test]
fn sarif_levels_follow_severity() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lint-sarif-levels");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("policies/broken/many-errors.json"), dir.join("key-many.json"))
        .unwrap();
    std::fs::write(
        dir.join(".keyward.toml"),
        "[checks]\ninvalid-version = \"security\"\ninvalid-effect = \"warning\"\ninvalid-action = \"suggestion\"\n",
    )
    .unwrap();
    let (code, out, _) = keyward_in(&dir, &["lint", "--format", "sarif", "key-many.json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    let results = v["runs"][0]["results"].as_array().unwrap();
    let by = |code: &str| results.iter().find(|r| r["ruleId"] == code).unwrap();
    assert_eq!(by("invalid-version")["level"], "error");
    assert_eq!(by("invalid-version")["properties"]["security-severity"], "8.0");
    assert_eq!(by("invalid-effect")["level"], "warning");
    assert_eq!(by("invalid-action")["level"], "note");
    assert_eq!(by("missing-effect")["level"], "error");
    assert!(by("missing-effect")["properties"].get("security-severity").is_none());
}

/// Exit code of linting a policy with three planted errors, re-levelled to `level`.
fn exit_with(level: &str, fail_on: Option<&str>) -> i32 {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lint-failon-{level}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("identity-three.json"),
        r#"{"Version":"2012-10-18","Statement":[{"Effect":"allow","Action":"Decrypt","Resource":"*"}]}"#,
    )
    .unwrap();
    let body: String = ["invalid-version", "invalid-effect", "invalid-action"]
        .iter()
        .map(|c| format!("{c} = \"{level}\"\n"))
        .collect();
    std::fs::write(dir.join(".keyward.toml"), format!("[checks]\n{body}")).unwrap();
    let mut args = vec!["lint", "identity-three.json"];
    if let Some(f) = fail_on {
        args.extend(["--fail-on", f]);
    }
    let (code, out, err) = keyward_in(&dir, &args);
    let label = if level == "security" { "security warning" } else { level };
    let headers: Vec<&str> = out.lines().filter(|l| l.contains("[invalid-")).collect();
    assert_eq!(headers.len(), 3, "{out}{err}");
    assert!(headers.iter().all(|h| h.starts_with(&format!("{label}["))), "{out}");
    code
}

#[test]
fn fail_on_thresholds() {
    // Default: errors and security warnings fail.
    assert_eq!(exit_with("security", None), 1);
    assert_eq!(exit_with("warning", None), 0);
    assert_eq!(exit_with("security", Some("error")), 0);
    assert_eq!(exit_with("warning", Some("security")), 0);
    assert_eq!(exit_with("warning", Some("warning")), 1);
    assert_eq!(exit_with("suggestion", Some("warning")), 0);
    assert_eq!(exit_with("suggestion", Some("suggestion")), 1);
    // Errors fail at every threshold.
    let (code, _, _) = keyward(&["lint", "--fail-on", "error", "policies/broken/typo-efect.json"]);
    assert_eq!(code, 1);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(keyward(&["lint", "--format", "xml", "policies/examples"]).0, 2);
    assert_eq!(keyward(&["lint", "--fail-on", "never", "policies/examples"]).0, 2);
    assert_eq!(keyward(&["lint", "--kind", "nope", "policies/examples"]).0, 2);
    assert_eq!(keyward(&["lint", "no/such/dir"]).0, 2);
    let (code, _, err) =
        keyward(&["lint", "--config", "no/such/keyward.toml", "policies/examples"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}
