//! The lint gate of fixes: every policy or grant fix of an explanation is written into its
//! document's text and linted; a fix that makes a security finding appear (severity error or
//! security warning, counted per code) is labelled with it and ranked after the fixes that add
//! none. The CLI, the WASM module and so the playground show fixes through this gate.

use crate::lint_text;
use keyward_core::diag::Severity;
use keyward_core::eval::{apply_to_text, new_policy_text, Edit, Explanation, Fix, Source};
use keyward_core::parse::DocKind;
use std::collections::BTreeMap;

/// Where a fix's document comes from: its current text (None: it does not exist yet) and the
/// kind to lint it as. `Source::Grant { index: 0 }` asks for the grants document.
pub type TextOf<'a> = dyn Fn(Source) -> Option<(Option<String>, DocKind)> + 'a;

/// The security findings of a text, counted by code.
fn security(text: &str, kind: DocKind) -> BTreeMap<&'static str, (usize, String)> {
    let mut out: BTreeMap<&'static str, (usize, String)> = BTreeMap::new();
    for f in lint_text(text, Some(kind)).findings {
        if matches!(f.severity, Severity::Error | Severity::SecurityWarning) {
            let e = out.entry(f.code).or_insert((0, f.message.clone()));
            e.0 += 1;
        }
    }
    out
}

/// The document a fix edits, before and after (None: a request fix, or no text to check).
fn before_after(fix: &Fix, text_of: &TextOf<'_>) -> Option<(Option<String>, String, DocKind)> {
    let source = match &fix.edit {
        Edit::SetContext { .. } | Edit::RemoveContext { .. } => return None,
        Edit::AddGrant { .. } => Source::Grant { index: 0 },
        Edit::AddAction { source, .. }
        | Edit::AddResource { source, .. }
        | Edit::AddPrincipal { source, .. }
        | Edit::AddConditionValue { source, .. }
        | Edit::AddStatement { source, .. } => *source,
    };
    let (text, kind) = text_of(source)?;
    let after = match &text {
        Some(t) => apply_to_text(t, &fix.edit)?,
        None => new_policy_text(&fix.edit)?,
    };
    Some((text, after, kind))
}

/// The security findings a fix adds to its document: `(code, message)` of each code whose
/// count grows.
pub fn added_findings(fix: &Fix, text_of: &TextOf<'_>) -> Vec<(&'static str, String)> {
    let Some((before, after, kind)) = before_after(fix, text_of) else {
        return Vec::new();
    };
    let old = before.map(|b| security(&b, kind)).unwrap_or_default();
    security(&after, kind)
        .into_iter()
        .filter(|(code, (n, _))| old.get(code).is_none_or(|(m, _)| n > m))
        .map(|(code, (_, msg))| (code, msg))
        .collect()
}

/// Lints every fix of `e` and labels the ones that add a security finding (`Fix::lint`, and
/// the finding in its message); labelled fixes move after the others, keeping their order.
pub fn label_fixes(e: &mut Explanation, text_of: &TextOf<'_>) {
    for fix in &mut e.fixes {
        let added = added_findings(fix, text_of);
        if added.is_empty() {
            continue;
        }
        let words: Vec<String> = added.iter().map(|(c, m)| format!("{c}: {m}")).collect();
        fix.message = format!(
            "{} (keyward lint flags the fixed document: {})",
            fix.message,
            words.join("; ")
        );
        fix.lint = added.into_iter().map(|(c, _)| c.to_string()).collect();
    }
    e.fixes.sort_by_key(|f| !f.lint.is_empty());
}
