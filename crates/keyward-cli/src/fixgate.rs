//! The lint gate of fixes where the documents are those of a built policy set rather than the
//! command line's files (`keyward test`'s failing cases, `explain --cloudtrail`): the caller
//! says where each policy's text is, and `keyward_lint::fixes::label_fixes` labels every fix
//! that adds a security finding to it. A policy whose text cannot be found is not gated.

use keyward_core::eval::{Explanation, NamedPolicy, PolicySet, Source};
use keyward_core::model::PolicyKind;
use keyward_core::parse::DocKind;

/// Labels the fixes of `e`, whose policies are `set`'s; `text` finds a policy's JSON text.
pub(crate) fn label(
    e: &mut Explanation,
    set: &PolicySet,
    text: &dyn Fn(&NamedPolicy) -> Option<String>,
) {
    let doc = |s: Source| -> Option<(Option<String>, DocKind)> {
        let level = |ls: &'_ [Vec<NamedPolicy>], l: usize, i: usize| {
            ls.get(l).and_then(|v| v.get(i)).cloned()
        };
        let (policy, kind) = match s {
            Source::ResourcePolicy => (set.resource_policy.clone(), PolicyKind::Key),
            Source::Identity { index } => (set.identity.get(index).cloned(), PolicyKind::Identity),
            Source::Boundary => (set.boundary.clone(), PolicyKind::Boundary),
            Source::Session => (set.session.clone(), PolicyKind::Session),
            Source::Scp { level: l, index } => (level(&set.scps, l, index), PolicyKind::Scp),
            Source::Rcp { level: l, index } => (level(&set.rcps, l, index), PolicyKind::Rcp),
            // A new grant is linted on its own; existing grants' text is not at hand.
            Source::Grant { .. } => return set.grants.is_empty().then_some((None, DocKind::Grant)),
        };
        match policy {
            Some(p) => Some((Some(text(&p)?), DocKind::Policy(p.policy.kind))),
            None => Some((None, DocKind::Policy(kind))),
        }
    };
    keyward_lint::fixes::label_fixes(e, &doc);
}

/// The policy document in a file's text: the text itself, or the policy inside `aws kms
/// get-key-policy` (`Policy`) or `aws organizations describe-policy` (`Policy.Content`) output.
pub(crate) fn policy_text(file_text: String) -> String {
    let v: serde_json::Value = match serde_json::from_str(&file_text) {
        Ok(v) => v,
        Err(_) => return file_text,
    };
    let inner = match v.get("Policy") {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(p) => p.get("Content").and_then(|c| c.as_str()).map(str::to_string),
        None => None,
    };
    inner.unwrap_or(file_text)
}

/// The text of a policy read from a scenario: its file (relative to the scenario's folder), or
/// for an inline policy of a JSON scenario the scenario's text at the policy's span (checked
/// to be that policy: a JSON object with as many statements).
pub(crate) fn scenario_policy_text(
    dir: &std::path::Path,
    scenario_text: &str,
    p: &NamedPolicy,
) -> Option<String> {
    if let Ok(t) = crate::files::read(&dir.join(&p.name)) {
        return Some(t);
    }
    let span = p.policy.span;
    if span.is_synthetic() {
        return None;
    }
    let slice = scenario_text.get(span.start as usize..span.end as usize)?;
    let (root, diags) = keyward_core::json::read(slice, keyward_core::json::Limits::default());
    let statements = match root?.get("Statement")?.value {
        keyward_core::json::Value::Array(ref items) => items.len(),
        keyward_core::json::Value::Object(_) => 1,
        _ => return None,
    };
    (diags.is_empty() && statements == p.policy.statement_count).then(|| slice.to_string())
}
