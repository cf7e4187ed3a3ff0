//! `keyward lint` on Terraform source (`.tf`): policy document data sources, `jsonencode`,
//! heredocs and the resource types that carry policies are linted with every finding and every
//! placeholder note at its `line:col` in the `.tf` file; each `FILE.tf` in
//! `lint_fixtures/terraform-source` produces exactly the `LINE:COL CODE` (findings) and
//! `LINE:COL note` lines of `FILE.expected`. A directory walk lints `.tf` files and names the
//! files it does not read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure is a test failure"
)]

mod common;
use common::{keyward, root};
use std::path::PathBuf;

const FIX: &str = "crates/keyward-cli/tests/lint_fixtures/terraform-source";

/// `LINE:COL CODE` for each finding and `LINE:COL note` for each note, per document in order.
fn actual(file: &str) -> Vec<String> {
    let (_, out, err) = keyward(&["lint", "--format", "json", file]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let mut lines = Vec::new();
    for unit in v.as_array().unwrap() {
        for d in unit["diagnostics"].as_array().unwrap() {
            lines.push(format!("{}:{} {}", d["line"], d["column"], d["code"].as_str().unwrap()));
        }
        for n in unit["notes"].as_array().unwrap() {
            lines.push(format!("{}:{} note", n["line"], n["column"]));
        }
    }
    lines
}

#[test]
fn tf_fixtures_produce_exactly_their_expected_findings_and_notes() {
    let dir = root().join(FIX);
    let mut tfs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    tfs.sort();
    assert!(tfs.len() >= 3, "the .tf fixtures are missing");
    let mut failures = Vec::new();
    for tf in &tfs {
        let name = tf.file_name().unwrap().to_str().unwrap();
        let exp_text = std::fs::read_to_string(tf.with_extension("expected")).unwrap();
        let expected: Vec<String> = exp_text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        let got = actual(&format!("{FIX}/{name}"));
        if got != expected {
            failures.push(format!("{name}:\n  expected {expected:?}\n  actual   {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn findings_carry_the_terraform_address_and_the_kind_of_the_resource() {
    let (code, out, _) = keyward(&["lint", "--format", "json", &format!("{FIX}/kms.tf")]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let units = v.as_array().unwrap();
    let kind_of = |label: &str| {
        let u = units.iter().find(|u| u["document"] == label).unwrap_or_else(|| panic!("{label}"));
        u["kind"].as_str().unwrap().to_string()
    };
    // The data source takes the kind of the aws_kms_key_policy that uses it.
    assert_eq!(kind_of("data.aws_iam_policy_document.orders_key"), "key");
    assert_eq!(kind_of("aws_iam_role_policy.orders_app.policy"), "identity");
    assert_eq!(kind_of("aws_kms_key.reports.policy"), "key");
    assert_eq!(kind_of("aws_iam_role.orders_app.assume_role_policy"), "resource");
    let typo = units
        .iter()
        .flat_map(|u| u["diagnostics"].as_array().unwrap())
        .find(|d| d["code"] == "invalid-action")
        .unwrap();
    assert_eq!(typo["path"], "data.aws_iam_policy_document.orders_key.Statement[1].Action[0]");
    assert_eq!((typo["line"].as_u64(), typo["column"].as_u64()), (Some(33), Some(7)));
}

#[test]
fn placeholders_are_notes_not_errors() {
    let (_, out, _) = keyward(&["lint", &format!("{FIX}/kms.tf")]);
    assert!(out.contains(
        "kms.tf:28:9: `aws_iam_role.orders_app.arn` is known only when Terraform runs; linted as `arn:aws:iam::111122223333:role/orders_app`"
    ), "{out}");
    // The account placeholder makes the admin statement an account statement: no lockout
    // warning, no public-access warning for the application role.
    assert!(
        !out.contains("kms-lockout-risk") && !out.contains("orders_key.Statement[1].Principal")
    );
}

#[test]
fn a_directory_walk_lints_tf_files_and_names_the_files_it_does_not_read() {
    let (code, _, _) = keyward(&["lint", &format!("{FIX}/dir")]);
    assert_eq!(code, 1);
    let (_, out, _) = keyward(&["lint", "--fail-on", "error", &format!("{FIX}/dir")]);
    let summary = out.lines().last().unwrap();
    assert!(summary.starts_with("2 file(s) linted (4 documents)"), "{summary}");
    assert!(
        summary.ends_with(&format!(
            "1 file(s) not read (not a policy, template, plan or .tf file): {FIX}/dir/README.md"
        )),
        "{summary}"
    );
}

#[test]
fn github_format_gives_placeholder_notes_as_notices() {
    let (_, out, _) = keyward(&["lint", "--format", "github", &format!("{FIX}/iam.tf")]);
    assert!(
        out.contains(&format!("::notice file={FIX}/iam.tf,line=22,col=24,title=keyward::`aws_s3_bucket.artifacts.arn` is known only when Terraform runs")),
        "{out}"
    );
    assert!(out.contains(&format!("::error file={FIX}/iam.tf,line=16,col=22,")), "{out}");
}
