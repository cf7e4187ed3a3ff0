//! End-to-end tests of the `keyward` binary: output, JSON shapes and exit codes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure is a test failure"
)]

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn keyward(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

#[test]
fn lint_examples_reports_the_documented_findings() {
    // policies/README.md lists them; crates/keyward-lint/tests/corpus.rs checks them exactly.
    let (code, out, _) = keyward(&["lint", "policies/examples"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[federated-principal-not-supported]"), "{out}");
    assert!(out.contains("kms-lockout-risk"), "{out}");
    assert!(out.contains("time-of-day-condition"), "{out}");
    let (code, out, _) = keyward(&["lint", "policies/examples/default-key-policy.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("clean"), "{out}");
}

#[test]
fn lint_broken_prints_rustc_style_with_line_col() {
    let (code, out, _) = keyward(&["lint", "policies/broken/many-errors.json"]);
    assert_eq!(code, 1);
    assert!(out.contains("error[invalid-version]"), "{out}");
    assert!(out.contains("policies/broken/many-errors.json:2:14"), "{out}");
    assert!(out.contains("^ at Version"), "{out}");
}

#[test]
fn lint_json_format() {
    let (code, out, _) = keyward(&["lint", "--format", "json", "policies/broken/typo-efect.json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v[0]["diagnostics"][0];
    assert!(d["code"].is_string() && d["line"].is_u64() && d["column"].is_u64(), "{v}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(keyward(&["lint", "--kind", "nope", "policies/examples"]).0, 2);
    assert_eq!(keyward(&["lint", "does/not/exist.json"]).0, 2);
    assert_eq!(keyward(&["lint"]).0, 2);
    assert_eq!(keyward(&["explain", "--principal", "bob", "--action", "kms:Decrypt"]).0, 2);
}

#[test]
fn explain_allow_and_implicit_deny_with_fix() {
    let base = [
        "explain",
        "--key-policy",
        "policies/examples/default-key-policy.json",
        "--action",
        "kms:Decrypt",
        "--key",
        KEY,
    ];
    // Default key policy delegates to the account, but the caller has no IAM policy.
    let mut args = base.to_vec();
    args.extend(["--principal", "arn:aws:iam::111122223333:user/alice"]);
    let (code, out, err) = keyward(&args);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("DENIED (implicit deny"), "{out}");
    assert!(out.contains("smallest fix"), "{out}");
    args.extend(["--identity-policy", "policies/examples/iam-kms-usage-policy.json"]);
    let (code, out, _) = keyward(&args);
    assert!(out.contains("ALLOWED") == (code == 0), "{out}");
}

#[test]
fn explain_json_is_structured() {
    let (code, out, _) = keyward(&[
        "explain",
        "--key-policy",
        "policies/examples/default-key-policy.json",
        "--action",
        "kms:Decrypt",
        "--key",
        KEY,
        "--principal",
        "111122223333",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "root is allowed by the default key policy: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "Allow");
    assert!(v["trace"]["policies"].is_array() && v["summary"].is_string());
}

#[test]
fn test_command_summary_and_json() {
    let (code, out, _) = keyward(&["test", "tests/scenarios/05-grants.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.trim_end().ends_with("passed, 0 failed"), "{out}");
    let (_, out, _) = keyward(&["test", "--format", "json", "tests/scenarios/05-grants.json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["passed"].as_u64().unwrap() > 0);
    assert_eq!(v["failed"], 0);
    assert!(v["cases"][0]["name"].is_string());
}

#[test]
fn test_command_reports_a_failing_case_with_its_trace() {
    let dir = std::env::temp_dir().join(format!("keyward-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("wrong.json");
    std::fs::write(&f, r#"{"keys":{"k":{"arn":"arn:aws:kms:us-east-1:111122223333:key/k"}},
      "cases":[{"name":"wrong expectation","principal":"arn:aws:iam::111122223333:user/u","action":"kms:Decrypt","key":"k","expect":"Allow"}]}"#).unwrap();
    let (code, out, _) = keyward(&["test", f.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL")
            && out.contains("expected Allow, got ImplicitDeny")
            && out.contains("0 passed, 1 failed"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
