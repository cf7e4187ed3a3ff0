//! Diagnostics of YAML scenarios point at the right line:col, like those of JSON scenarios.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::diag::Diagnostic;
use keyward_core::span::LineIndex;
use keyward_scenario::load;

fn no_files(f: &str) -> Result<String, String> {
    Err(format!("no file {f}"))
}

/// Loads `text` (YAML or JSON), expects failure, returns each diagnostic as `line:col message`.
fn errors(text: &str, yaml: bool) -> Vec<String> {
    let diags: Vec<Diagnostic> = load(text, yaml, &no_files).unwrap_err();
    let idx = LineIndex::new(text);
    diags
        .iter()
        .map(|d| {
            assert!(!d.span.is_synthetic(), "{d:?}");
            let lc = idx.line_col(d.span.start);
            format!("{}:{} {}", lc.line, lc.col, d.message)
        })
        .collect()
}

const YAML_TYPE_ERROR: &str = "\
description: a case whose expectation is not a decision
principals:
  arn:aws:iam::111122223333:user/alice:
    tags:
      team: [a, b]
cases:
  - name: alice decrypts
    principal: arn:aws:iam::111122223333:user/alice
    action: kms:Decrypt
    expect: 42
";

#[test]
fn a_yaml_type_error_points_at_its_value() {
    assert_eq!(
        errors(YAML_TYPE_ERROR, true),
        [
            "5:13 expected a string",
            "10:13 `expect` must be \"Allow\", \"ExplicitDeny\" or \"ImplicitDeny\"",
        ]
    );
}

#[test]
fn a_yaml_syntax_error_points_at_the_fault() {
    let text = "cases:\n  - name: x\n    principal: [a, b\n    action: kms:Decrypt\n";
    let e = errors(text, true);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("4:11 invalid YAML:"), "{e:?}");
}

#[test]
fn an_inline_yaml_policy_error_points_into_the_policy() {
    let text = "\
keys:
  k1:
    policy:
      Version: '2012-10-17'
      Statement:
        - Effect: Permit
          Principal: '*'
          Action: kms:Decrypt
          Resource: '*'
cases: []
";
    let e = errors(text, true);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("6:19 "), "{e:?}");
}

#[test]
fn json_and_yaml_report_the_same_error_at_their_own_positions() {
    let json =
        r#"{"cases": [{"principal": "111122223333", "action": "kms:Decrypt", "expect": "Maybe"}]}"#;
    let e = errors(json, false);
    assert_eq!(
        e,
        [format!(
            "1:{} `expect` must be \"Allow\", \"ExplicitDeny\" or \"ImplicitDeny\"",
            json.find("\"Maybe").unwrap() + 1
        )]
    );
    let yaml = "cases:\n- principal: '111122223333'\n  action: kms:Decrypt\n  expect: Maybe\n";
    assert_eq!(
        errors(yaml, true),
        ["4:11 `expect` must be \"Allow\", \"ExplicitDeny\" or \"ImplicitDeny\""]
    );
}
