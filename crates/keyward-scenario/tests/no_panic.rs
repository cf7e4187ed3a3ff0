//! Robustness: no input, however malformed, makes the scenario loader (JSON or YAML) or the
//! runner panic, and every diagnostic of a failed load points inside the text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::diag::Diagnostic;
use keyward_core::eval::{decide, decide_traced, explain, render_human};
use keyward_scenario::{self as scenario, build_case};
use proptest::prelude::*;

/// Every diagnostic span lies inside the text, on character boundaries (or is synthetic).
fn check_spans(text: &str, diags: &[Diagnostic]) {
    for d in diags {
        if d.span.is_synthetic() {
            continue;
        }
        let (s, e) = (d.span.start as usize, d.span.end as usize);
        assert!(
            s <= e && e <= text.len(),
            "span {s}..{e} outside a text of {} bytes: {d:?}",
            text.len()
        );
        assert!(
            text.is_char_boundary(s) && text.is_char_boundary(e),
            "span {s}..{e} not on char boundaries: {d:?}"
        );
        assert!(!d.message.is_empty(), "empty message: {d:?}");
    }
}

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

/// Words that policies, grants and scenarios are made of.
const WORDS: &[&str] = &[
    "Version",
    "2012-10-17",
    "2008-10-17",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Allow",
    "Deny",
    "Principal",
    "NotPrincipal",
    "AWS",
    "Service",
    "Federated",
    "CanonicalUser",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "kms:Decrypt",
    "kms:*",
    "kms:Re*",
    "*",
    "?",
    "s3:GetObject",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
    "arn:aws:iam::111122223333:role/App",
    "arn:aws:sts::111122223333:assumed-role/App/s",
    "arn:aws:iam::111122223333:root",
    "111122223333",
    "arn:",
    "arn:aws:s3:::b/${aws:username}",
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringLike",
    "StringEqualsIgnoreCaseIfExists",
    "NumericLessThan",
    "DateGreaterThan",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnLike",
    "Null",
    "NullIfExists",
    "kms:EncryptionContext:Dept",
    "kms:EncryptionContextKeys",
    "aws:MultiFactorAuthPresent",
    "aws:SourceIp",
    "aws:CurrentTime",
    "10.0.0.0/8",
    "::1/129",
    "2026-01-01T00:00:00Z",
    "-1.5e3",
    "1e999",
    "${",
    "${aws:username, 'x'}",
    "${*}",
    "}",
    "true",
    "false",
    "null",
    "Grants",
    "GrantId",
    "KeyId",
    "GranteePrincipal",
    "grantee",
    "Operations",
    "operations",
    "Decrypt",
    "decrypt",
    "Constraints",
    "EncryptionContextSubset",
    "EncryptionContextEquals",
    "SourceArn",
    "description",
    "defaults",
    "account",
    "region",
    "time",
    "keys",
    "k1",
    "policy",
    "grants",
    "aliases",
    "alias/a",
    "tags",
    "principals",
    "policies",
    "permissions_boundary",
    "session_policy",
    "scps",
    "rcps",
    "cases",
    "name",
    "principal",
    "action",
    "key",
    "resource",
    "encryption_context",
    "context",
    "expect",
    "ImplicitDeny",
    "ExplicitDeny",
    "service:s3.amazonaws.com",
    "anonymous",
    "resources",
    "\\u00e9",
    "\\ud83d\\ude00",
    "\\ud800",
    "\\x",
    "é",
    "\u{0}",
    "\t",
    "\n",
    "\u{feff}",
];

/// Structural tokens plus words (quoted or not) plus a little whitespace.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(&["{", "}", "[", "]", "\"", ",", ":", " ", "\n", "0", "-", "1.5"][..])
            .prop_map(str::to_string),
        3 => prop::sample::select(WORDS).prop_map(|w| format!("\"{w}\"")),
        1 => prop::sample::select(WORDS).prop_map(str::to_string),
    ]
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..60).prop_map(|v| v.concat())
}

/// Well-formed JSON over the policy vocabulary (objects keyed by policy words), so the parsers
/// get past the reader and into their own rules.
fn json_tree() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        (-5i64..5).prop_map(J::from),
        prop::sample::select(WORDS).prop_map(|w| J::String(w.to_string())),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
            prop::collection::vec((prop::sample::select(WORDS), inner), 0..5).prop_map(|kv| {
                J::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

/// A tree rendered as text, then possibly damaged (cut, or a byte spliced in).
fn damaged_tree() -> impl Strategy<Value = String> {
    (
        json_tree(),
        any::<bool>(),
        0usize..400,
        prop::sample::select(&["", "\"", "]", "}", ",", "\\"][..]),
    )
        .prop_map(|(v, pretty, cut, splice)| {
            let s = if pretty {
                serde_json::to_string_pretty(&v).unwrap()
            } else {
                serde_json::to_string(&v).unwrap()
            };
            if splice.is_empty() {
                return s;
            }
            let mut at = cut.min(s.len());
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            format!("{}{splice}{}", &s[..at], &s[at..])
        })
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        exercise(&text);
    }

    #[test]
    fn json_ish_token_soup_never_panics(text in token_soup()) {
        exercise(&text);
    }

    #[test]
    fn damaged_policy_shaped_json_never_panics(text in damaged_tree()) {
        exercise(&text);
    }

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
    for text in [
        "\"\\u",
        "\"\\u12",
        "\"\\ud800\\u",
        "\"\\ud800\\udc0",
        "\"\\ud800\\ue000\"",
        "\"\\udc00\"",
        "\"\\\u{e9}\"",
        "\"\u{e9}\\",
        "\u{feff}",
        "\u{feff}\u{feff}{}",
        "-",
        "-0.",
        "1e",
        "01",
        "tru",
        "nul\u{e9}",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1,}",
        "[1,]",
        "\u{7f}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"arn:aws:s3:::${\"}]}",
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"arn:a:b:c:d:${x, '}\",\"Condition\":{\"DateLessThan\":{\"k\":\"-.\"},\"NumericEquals\":{\"k\":\"1e999\"},\"IpAddress\":{\"k\":\"::/200\"},\"BinaryEquals\":{\"k\":\"=\"}}}}",
    ] {
        exercise(text);
    }
}
