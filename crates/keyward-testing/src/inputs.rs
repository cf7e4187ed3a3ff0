//! Inputs for robustness tests (proptest): the vocabulary of policies, grants and scenarios,
//! token soup, well-formed JSON over that vocabulary and damaged renderings of it, and the
//! check that every diagnostic lies inside its text. The core's and the scenario loader's
//! `no_panic` tests share them.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test tooling: a failure is a test failure")]

use keyward_core::diag::Diagnostic;
use proptest::prelude::*;

/// Every diagnostic span lies inside the text, on character boundaries (or is synthetic).
pub fn check_spans(text: &str, diags: &[Diagnostic]) {
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

/// Words that policies, grants and scenarios are made of.
pub const WORDS: &[&str] = &[
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
pub fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(&["{", "}", "[", "]", "\"", ",", ":", " ", "\n", "0", "-", "1.5"][..])
            .prop_map(str::to_string),
        3 => prop::sample::select(WORDS).prop_map(|w| format!("\"{w}\"")),
        1 => prop::sample::select(WORDS).prop_map(str::to_string),
    ]
}

pub fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..60).prop_map(|v| v.concat())
}

/// Well-formed JSON over the policy vocabulary (objects keyed by policy words), so the parsers
/// get past the reader and into their own rules.
pub fn json_tree() -> impl Strategy<Value = serde_json::Value> {
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
pub fn damaged_tree() -> impl Strategy<Value = String> {
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

/// Strings that once troubled a reader: cut escapes, lone surrogates, byte order marks, cut
/// numbers and literals, trailing commas, unterminated policy variables, odd condition values.
pub const AWKWARD: &[&str] = &[
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
];

/// The robustness laws every reader shares, as `#[test]`s: `exercise` (a `fn(&str)` that runs
/// the entry points and checks their diagnostics) never panics on arbitrary bytes, arbitrary
/// strings, token soup or damaged policy-shaped JSON. 1024 cases each.
#[macro_export]
macro_rules! no_panic_laws {
    ($exercise:path) => {
        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig {
                cases: 1024,
                failure_persistence: None,
                ..proptest::prelude::ProptestConfig::default()
            })]

            #[test]
            fn arbitrary_bytes_never_panic(
                bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)
            ) {
                $exercise(&String::from_utf8_lossy(&bytes));
            }

            #[test]
            fn arbitrary_strings_never_panic(text in proptest::prelude::any::<String>()) {
                $exercise(&text);
            }

            #[test]
            fn json_ish_token_soup_never_panics(text in $crate::inputs::token_soup()) {
                $exercise(&text);
            }

            #[test]
            fn damaged_policy_shaped_json_never_panics(text in $crate::inputs::damaged_tree()) {
                $exercise(&text);
            }
        }
    };
}
