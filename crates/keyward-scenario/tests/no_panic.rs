//! Robustness: no input, however malformed, makes the scenario loader (JSON or YAML) or the
//! runner panic, and every diagnostic of a failed load points inside the text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::diag::Diagnostic;
use keyward_core::eval::{decide, decide_traced, explain, render_human};
use keyward_scenario::{self as scenario, build_case};
use keyward_testing::inputs::{check_spans, json_tree, AWKWARD};
use proptest::prelude::*;

/// Loads `text` as a scenario (JSON and YAML, files resolved to an error or to `text` itself)
/// and, when it loads, runs and explains every case.
fn exercise_scenario(text: &str) {
    let fail = |f: &str| -> Result<String, String> { Err(format!("no file {f}")) };
    let echo = |_: &str| -> Result<String, String> { Ok(text.to_string()) };
    for yaml in [false, true] {
        for resolve in [&fail as scenario::Resolver<'_>, &echo] {
            match scenario::load(text, yaml, resolve) {
                Ok(s) => {
                    let _ = scenario::run(&s);
                    for c in &s.cases {
                        if let Ok((set, req)) = build_case(&s, c) {
                            let fast = decide(&set, &req);
                            let (outcome, _) = decide_traced(&set, &req);
                            assert_eq!(fast, outcome.decision);
                            let e = explain(&set, &req);
                            let _ = render_human(&e);
                        }
                    }
                }
                Err(diags) => {
                    assert!(!diags.is_empty(), "a failed load must say why");
                    check_spans(text, &diags);
                }
            }
        }
    }
}

/// Runs the loader over `text`.
fn exercise(text: &str) {
    exercise_scenario(text);
}

/// A valid-looking statement (with a principal for key policies), or now and then junk.
fn statement(with_principal: bool) -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    let effect = prop::sample::select(&["Allow", "Deny"][..]);
    let action =
        prop::sample::select(&["kms:Decrypt", "kms:*", "kms:Re*", "*", "s3:GetObject"][..]);
    let cond = prop::sample::select(vec![
        json!({}),
        json!({"StringEquals": {"kms:EncryptionContext:Dept": "Finance"}}),
        json!({"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["Dept"]}}),
        json!({"StringLike": {"aws:PrincipalArn": "${aws:PrincipalArn}"}}),
        json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}),
        json!({"NumericLessThan": {"aws:EpochTime": "1e999"}}),
        json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/${aws:username}"}}),
        json!({"Null": {"kms:ViaService": true}}),
    ]);
    let principal = prop::sample::select(vec![
        json!("*"),
        json!({"AWS": "111122223333"}),
        json!({"AWS": ["arn:aws:iam::111122223333:role/App"]}),
        json!({"Service": "s3.amazonaws.com"}),
    ]);
    let valid = (effect, action, cond, principal).prop_map(move |(e, a, c, p)| {
        let mut st = json!({"Effect": e, "Action": a, "Resource": "*", "Condition": c});
        if with_principal {
            st["Principal"] = p;
        }
        st
    });
    prop_oneof![4 => valid, 1 => json_tree()]
}

fn grant() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    let grantee = prop::sample::select(
        &[
            "arn:aws:iam::111122223333:role/App",
            "arn:aws:iam::111122223333:root",
            "s3.amazonaws.com",
            "arn:aws:sts::111122223333:assumed-role/App/s",
        ][..],
    );
    let ops = prop::sample::subsequence(
        &["Decrypt", "Encrypt", "CreateGrant", "GenerateDataKey"][..],
        0..4,
    );
    let constraint = prop::sample::select(vec![
        json!(null),
        json!({"EncryptionContextSubset": {"Dept": "Finance"}}),
        json!({"EncryptionContextEquals": {"dept": "Finance"}}),
    ]);
    let valid = (grantee, ops, constraint).prop_map(|(g, o, c)| {
        let mut v = json!({"grantee": g, "operations": o});
        if !c.is_null() {
            v["constraints"] = c;
        }
        v
    });
    prop_oneof![4 => valid, 1 => json_tree()]
}

/// A scenario-shaped document: mostly valid scenario structure with random parts, so loading
/// succeeds often enough that cases are built, decided and explained.
fn scenario_doc() -> impl Strategy<Value = String> {
    use serde_json::json;
    let principal = prop_oneof![
        6 => prop::sample::select(
            &[
                "arn:aws:iam::111122223333:role/App",
                "arn:aws:sts::111122223333:assumed-role/App/s",
                "arn:aws:iam::111122223333:user/alice",
                "111122223333",
                "arn:aws:sts::444455556666:assumed-role/Other/s",
                "service:s3.amazonaws.com",
                "anonymous",
            ][..],
        ),
        1 => prop::sample::select(&["arn:aws:iam::1:user/x", "bob", "arn:aws:sts::111122223333:assumed-role/App"][..]),
    ];
    let action = prop::sample::select(
        &["kms:Decrypt", "kms:Encrypt", "kms:CreateGrant", "s3:GetObject", "Decrypt"][..],
    );
    let keyref = prop_oneof![
        4 => prop::sample::select(&["k1", "alias/a", "arn:aws:kms:us-east-1:111122223333:alias/a"][..]),
        1 => prop::sample::select(&["nope", "k", "alias/"][..]),
    ];
    let ctx = prop_oneof![
        3 => Just(json!({"aws:SourceIp": "10.0.0.1", "aws:CurrentTime": "2026-03-10T14:00:00Z", "kms:EncryptionContextKeys": ["Dept", 1, null]})),
        1 => json_tree(),
    ];
    (
        (principal, action, keyref, any::<bool>(), any::<bool>()),
        (statement(true), statement(false), statement(false), grant(), ctx, prop::option::of(grant())),
    )
        .prop_map(|((p, a, k, with_key, pretty), (key_st, id_st, scp_st, grant, ctx, create))| {
            let mut doc = json!({
                "defaults": {"account": "111122223333", "region": "us-east-1", "time": "2026-03-10T14:00:00Z"},
                "keys": {"k1": {
                    "policy": {"Version": "2012-10-17", "Statement": [key_st]},
                    "aliases": ["alias/a"], "grants": [grant], "tags": {"t": "v"}
                }},
                "principals": {"arn:aws:iam::111122223333:role/App": {
                    "policies": [{"Version": "2012-10-17", "Statement": id_st}], "tags": {"team": "x"}
                }},
                "scps": [[{"Version": "2012-10-17", "Statement": [scp_st]}]],
                "cases": [{
                    "name": "c", "principal": p, "action": a,
                    "encryption_context": {"Dept": "Finance"},
                    "context": ctx,
                    "expect": "Allow"
                }]
            });
            if with_key {
                doc["cases"][0]["key"] = json!(k);
            }
            if let Some(g) = create {
                doc["cases"][0]["create_grant"] = g;
                doc["cases"][0]["encryption_context"] = json!({});
            }
            if pretty {
                serde_json::to_string_pretty(&doc).unwrap()
            } else {
                serde_json::to_string(&doc).unwrap()
            }
        })
}

keyward_testing::no_panic_laws!(exercise);

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn scenario_shaped_documents_never_panic(text in scenario_doc()) {
        exercise(&text);
    }
}

#[test]
fn deep_nesting_is_a_typed_error_not_a_stack_overflow() {
    let err = |_: &str| -> Result<String, String> { Err("no".into()) };
    for open in ["[", "{\"a\":", "[{\"Statement\":"] {
        // 100k levels, or as many as fit under the 1 MiB size limit.
        let text = open.repeat(100_000.min((1024 * 1024 - 1) / open.len()));
        let json_err = scenario::load(&text, false, &err).unwrap_err();
        assert!(json_err.iter().any(|d| d.code == "json-too-deep"));
    }
}

#[test]
fn deep_yaml_nesting_is_an_error_not_a_stack_overflow() {
    let err = |_: &str| -> Result<String, String> { Err("no".into()) };
    for text in ["[".repeat(100_000), "- ".repeat(100_000), "{a: ".repeat(100_000)] {
        let diags = scenario::load(&text, true, &err).unwrap_err();
        // Our depth limit, or the YAML scanner's own limit on flow nesting.
        let deep = |d: &Diagnostic| {
            d.message.contains("nested more than 64") || d.message.contains("recursion limit")
        };
        assert!(diags.iter().any(deep), "{diags:?}");
    }
}

#[test]
fn awkward_strings_do_not_panic() {
    for text in AWKWARD {
        exercise(text);
    }
}
