//! End-to-end tests of the `keyward` binary: output, JSON shapes and exit codes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure is a test failure"
)]

mod common;
use common::{keyward, KEY};

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
    // Fixes are ranked by the access they add (issue 14), no longer by edit size.
    assert!(out.contains("fixes, least added access first"), "{out}");
    args.extend(["--identity-policy", "policies/examples/iam-kms-usage-policy.json"]);
    let (code, out, _) = keyward(&args);
    assert!(out.contains("ALLOWED") == (code == 0), "{out}");
}

/// The README's cross-account example: the why names the near miss on its first line, and the
/// first fix is safe (it does not add the caller to the `kms:*` statement); every fix in the
/// JSON carries the access it adds and its lint labels.
#[test]
fn explain_cross_account_names_the_near_miss_and_a_safe_first_fix() {
    let args = [
        "explain",
        "--key-policy",
        "policies/examples/cross-account-via-service-key-policy.json",
        "--identity-policy",
        "policies/examples/iam-kms-basic-usage-policy.json",
        "--principal",
        "arn:aws:iam::444455556666:user/analyst",
        "--action",
        "kms:Decrypt",
        "--key",
        KEY,
    ];
    let (code, out, err) = keyward(&args);
    assert_eq!(code, 1, "{out}{err}");
    // The why's first paragraph, unwrapped.
    let why = out.split("why:\n").nth(1).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        why.starts_with("statement 'Allow cross-account access' would allow this, but its condition kms:ViaService = s3.us-east-1.amazonaws.com or s3.us-west-2.amazonaws.com does not hold (the request has none) cross-account request:"),
        "{out}"
    );
    assert!(
        !out.contains("does not allow arn:aws:iam::444455556666:user/analyst or account"),
        "{out}"
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (_, out, _) = keyward(&json_args);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fixes = v["fixes"].as_array().unwrap();
    assert!(!fixes.is_empty());
    assert!(fixes.iter().all(|f| f["edit"]["kind"] != "add_principal"), "{fixes:#?}");
    assert!(fixes.iter().all(|f| f["lint"].as_array().is_some_and(Vec::is_empty)), "{fixes:#?}");
    let first = &fixes[0]["adds"];
    for f in fixes {
        assert!(first["actions"].as_u64() <= f["adds"]["actions"].as_u64(), "{fixes:#?}");
        assert!(first["principals"].as_u64() <= f["adds"]["principals"].as_u64(), "{fixes:#?}");
    }
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
