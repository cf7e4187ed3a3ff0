//! Fuzz target: the lint path (`keyward_lint::lint_text`), with the kind inferred and forced.
#![no_main]
use keyward_core::model::PolicyKind;
use keyward_core::parse::DocKind;
use keyward_lint::lint_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = lint_text(text, None);
    let _ = lint_text(text, Some(DocKind::Policy(PolicyKind::Key)));
});
