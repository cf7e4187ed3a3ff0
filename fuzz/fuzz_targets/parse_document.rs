//! Fuzz target: the span-keeping JSON reader and the policy/grant parser, every kind.
#![no_main]
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_document, DocKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (_, _, diags) = parse_document(text, None, Limits::default());
    for d in &diags {
        assert!(d.span.end as usize <= text.len(), "span past the end: {d:?}");
    }
    for kind in [
        DocKind::Policy(PolicyKind::Key),
        DocKind::Policy(PolicyKind::Identity),
        DocKind::Policy(PolicyKind::Scp),
        DocKind::Grant,
    ] {
        let _ = parse_document(text, Some(kind), Limits::default());
    }
});
