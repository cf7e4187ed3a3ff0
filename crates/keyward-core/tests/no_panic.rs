//! Robustness: no input, however malformed, makes the reader or the parsers panic. (The
//! scenario loader has its own in `crates/keyward-scenario/tests/no_panic.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::json::{self, Limits};
use keyward_core::model::PolicyKind;
use keyward_core::parse::{
    check_policy_node, parse_document, parse_grants, parse_policy, parse_policy_node, DocKind,
};
use keyward_testing::inputs::{check_spans, AWKWARD};

const KINDS: [PolicyKind; 7] = [
    PolicyKind::Key,
    PolicyKind::Resource,
    PolicyKind::Identity,
    PolicyKind::Scp,
    PolicyKind::Rcp,
    PolicyKind::Boundary,
    PolicyKind::Session,
];

/// Runs every entry point over `text`.
fn exercise(text: &str) {
    let (node, diags) = json::read(text, Limits::default());
    check_spans(text, &diags);
    if node.is_none() {
        assert!(!diags.is_empty(), "a document that did not read must have a diagnostic");
    }
    if let Some(n) = &node {
        let _ = n.to_serde();
        same_diagnostics_without_the_model(n);
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

/// The linter's entry point reports exactly what the full parse does, for every kind.
fn same_diagnostics_without_the_model(root: &json::Node) {
    for kind in KINDS {
        assert_eq!(check_policy_node(root, kind), parse_policy_node(root, kind).1, "{kind:?}");
    }
}

keyward_testing::no_panic_laws!(exercise);

#[test]
fn checking_reports_what_parsing_reports_on_the_corpora() {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut seen = 0;
    for dir in ["tests/corpus/parse", "tests/corpus/lint", "policies/examples", "policies/broken"] {
        let entries = std::fs::read_dir(format!("{repo}/{dir}")).expect(dir);
        for path in entries.map(|e| e.expect(dir).path()) {
            if path.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&path).expect("read");
                if let (Some(root), _) = json::read(&text, Limits::default()) {
                    same_diagnostics_without_the_model(&root);
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 300, "only {seen} documents read");
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
    for text in AWKWARD {
        exercise(text);
    }
}
