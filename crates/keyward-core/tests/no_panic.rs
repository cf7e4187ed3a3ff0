//! Robustness: no input, however malformed, makes the reader or the parsers panic. (The
//! scenario loader has its own in `crates/keyward-scenario/tests/no_panic.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::diag::Diagnostic;
use keyward_core::json::{self, Limits};
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_document, parse_grants, parse_policy, DocKind};
use proptest::prelude::*;

const KINDS: [PolicyKind; 7] = [
    PolicyKind::Key,
    PolicyKind::Resource,
    PolicyKind::Identity,
    PolicyKind::Scp,
    PolicyKind::Rcp,
    PolicyKind::Boundary,
    PolicyKind::Session,
];

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

/// Runs every entry point over `text`.
fn exercise(text: &str) {
    let (node, diags) = json::read(text, Limits::default());
    check_spans(text, &diags);
    if node.is_none() {
        assert!(!diags.is_empty(), "a document that did not read must have a diagnostic");
    }
    if let Some(n) = &node {
        let _ = n.to_serde();
    }
    for kind in KINDS {
        let (_, d) = parse_policy(text, kind, Limits::default());
        check_spans(text, &d);
        let (_, k, d) = parse_document(text, Some(DocKind::Policy(kind)), Limits::default());
        assert_eq!(k, Some(DocKind::Policy(kind)));
        check_spans(text, &d);
    }
    let (_, _, d) = parse_document(text, Some(DocKind::Grant), Limits::default());
    check_spans(text, &d);
    let (_, _, d) = parse_document(text, None, Limits::default());
    check_spans(text, &d);
    let (_, d) = parse_grants(text, Limits::default());
    check_spans(text, &d);
    // Tight limits exercise the limit paths too.
    let tight = Limits { max_bytes: 64, max_depth: 3 };
    let (_, d) = json::read(text, tight);
    check_spans(text, &d);
    let _ = parse_document(text, None, tight);
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
}

#[test]
fn deep_nesting_is_a_typed_error_not_a_stack_overflow() {
    for open in ["[", "{\"a\":", "[{\"Statement\":"] {
        // 100k levels, or as many as fit under the 1 MiB size limit.
        let text = open.repeat(100_000.min((1024 * 1024 - 1) / open.len()));
        let (node, diags) = json::read(&text, Limits::default());
        assert!(node.is_none());
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, "json-too-deep");
        let (doc, _, diags) = parse_document(&text, None, Limits::default());
        assert!(doc.is_none());
        assert!(diags.iter().any(|d| d.code == "json-too-deep"));
        let (_, diags) = parse_grants(&text, Limits::default());
        assert!(diags.iter().any(|d| d.code == "json-too-deep"));
    }
    // Within the limit (64) is fine; one more is not.
    let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
    assert!(json::read(&ok, Limits::default()).0.is_some());
    let bad = format!("{}{}", "[".repeat(65), "]".repeat(65));
    assert_eq!(json::read(&bad, Limits::default()).1[0].code, "json-too-deep");
}

#[test]
fn oversized_input_is_a_typed_error() {
    let text = format!("\"{}\"", "a".repeat(2 * 1024 * 1024));
    let (node, diags) = json::read(&text, Limits::default());
    assert!(node.is_none());
    assert_eq!(diags[0].code, "json-too-large");
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
