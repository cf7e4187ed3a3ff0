//! Service-call cases: an unknown service or operation is an error at its field, and every
//! expectation (outcome, AWS error, KMS actions, rule) fails the case when it does not hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::span::LineIndex;
use keyward_scenario::{load, run};

fn no_files(f: &str) -> Result<String, String> {
    Err(format!("no file {f}"))
}

fn scenario(case: &str) -> String {
    format!(
        r#"{{
  "defaults": {{"account": "111122223333", "region": "us-east-1"}},
  "keys": {{"app": {{}}, "west": {{"arn": "arn:aws:kms:us-west-2:111122223333:key/w"}}}},
  "principals": {{
    "arn:aws:iam::111122223333:role/Up": {{"policies": [{{"Version": "2012-10-17", "Statement": [
      {{"Effect": "Allow", "Action": ["s3:PutObject", "kms:GenerateDataKey"], "Resource": "*"}}]}}]}}
  }},
  "cases": [{case}]
}}"#
    )
}

const PUT: &str = r#"{"name": "put", "principal": "arn:aws:sts::111122223333:assumed-role/Up/s",
  "service_call": {"service": "s3", "operation": "PutObject", "resource": "arn:aws:s3:::b/k", "key": "app"},"#;

fn errors(text: &str) -> Vec<String> {
    let idx = LineIndex::new(text);
    load(text, false, &no_files)
        .unwrap_err()
        .iter()
        .map(|d| {
            let lc = idx.line_col(d.span.start);
            format!("{}:{} {}", lc.line, lc.col, d.message)
        })
        .collect()
}

#[test]
fn an_unknown_service_or_operation_is_an_error_at_its_field() {
    let text = scenario(
        &PUT.replace("\"s3\"", "\"s4\"").replace("\"app\"},", "\"app\"}, \"expect\": \"Allow\"}"),
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("9:31 ") && e[0].contains("unknown service `s4`"), "{e:?}");
    let text = scenario(
        &PUT.replace("PutObject", "PutObjekt")
            .replace("\"app\"},", "\"app\"}, \"expect\": \"Allow\"}"),
    );
    let e = errors(&text);
    assert!(
        e[0].contains("`s3` has no operation `PutObjekt`") && e[0].contains("PutObject"),
        "{e:?}"
    );
    let text =
        scenario(&PUT.replace("\"app\"},", "\"app\", \"colour\": 1}, \"expect\": \"Allow\"}"));
    assert!(errors(&text)[0].contains("unknown field `colour`"));
    let text = scenario(&PUT.replace("\"app\"},", "\"app\"}, \"expect\": \"Sometimes\"}"));
    assert!(errors(&text)[0].contains("AWS error code"));
}

fn one(expect: &str) -> keyward_scenario::CaseResult {
    let text = scenario(&PUT.replace("\"app\"},", &format!("\"app\"}}, {expect}}}")));
    let s = load(&text, false, &no_files).unwrap();
    run(&s).remove(0)
}

#[test]
fn every_expectation_is_checked() {
    let ok = one(
        r#""expect": "Allow", "expect_kms": ["kms:GenerateDataKey"], "expect_rule": "key_policy_delegates_to_iam""#,
    );
    assert!(ok.pass(), "{:?} {:?}", ok.actual_name(), ok.problems);
    assert_eq!(ok.kms, vec!["kms:GenerateDataKey"]);
    let wrong_kms = one(r#""expect": "Allow", "expect_kms": ["kms:Decrypt"]"#);
    assert!(!wrong_kms.pass() && wrong_kms.problems[0].contains("expect_kms"));
    let wrong_rule = one(r#""expect": "Allow", "expect_rule": "grant_allows""#);
    assert!(!wrong_rule.pass() && wrong_rule.problems[0].contains("expect_rule"));
    assert!(!one(r#""expect": "ImplicitDeny""#).pass());
    assert!(!one(r#""expect": "NotFoundException""#).pass());
}

#[test]
fn a_key_in_another_region_fails_with_not_found() {
    let text = scenario(&PUT.replace("\"app\"},", "\"west\"}, \"expect\": \"NotFoundException\"}"));
    let r = run(&load(&text, false, &no_files).unwrap()).remove(0);
    assert!(r.pass(), "{:?}", r.actual_name());
    assert_eq!(r.error.as_deref(), Some("NotFoundException"));
    let why = r.actual.unwrap_err();
    assert!(why.contains("Invalid arn us-east-1") && why.contains("regional"), "{why}");
}
