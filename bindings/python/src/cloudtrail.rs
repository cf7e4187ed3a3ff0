//! `keyward.explain_cloudtrail(...)`: decide the KMS request a CloudTrail event records
//! (keyward-aws derives it) against the given policies, and compare with the recorded outcome.

use crate::util::{diag_error, doc, docs, fail, object, opt_str};
use keyward_aws::cloudtrail::{kms_events, DerivedEvent, Recorded};
use keyward_core::eval::{explain, render_human, Decision, NamedPolicy, PolicySet};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::parse_policy;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Parses one policy document; errors carry the document's name and line:col.
fn policy(d: &(String, String), kind: PolicyKind) -> Result<NamedPolicy, Value> {
    let (name, text) = d;
    let (p, diags) = parse_policy(text, kind, Limits::default());
    if let Some(e) = diag_error(name, text, &diags) {
        return Err(e);
    }
    p.map(|p| NamedPolicy::new(name.clone(), p))
        .ok_or_else(|| fail(format!("{name} is not a policy"), None))
}

fn org(d: &(String, String), kind: PolicyKind) -> Result<NamedPolicy, Value> {
    let (name, text) = d;
    let (p, diags) = keyward_aws::kms::org_policy(text, kind);
    if let Some(e) = diag_error(name, text, &diags) {
        return Err(e);
    }
    let (p, label) = p.ok_or_else(|| fail(format!("{name} is not a policy"), None))?;
    Ok(NamedPolicy::new(label.map_or_else(|| name.clone(), |l| format!("{l} ({name})")), p))
}

fn pick(events: Vec<DerivedEvent>, id: Option<&str>) -> Result<DerivedEvent, Value> {
    let n = events.len();
    match id {
        None => {
            events.into_iter().next().ok_or_else(|| fail("no KMS event in the file", Some("event")))
        }
        Some(id) => {
            let by_index = id.parse::<usize>().ok().filter(|i| *i >= 1 && *i <= n);
            events
                .into_iter()
                .enumerate()
                .find(|(i, e)| by_index == Some(i + 1) || e.event_id.as_deref() == Some(id))
                .map(|(_, e)| e)
                .ok_or_else(|| {
                    fail(
                        format!(
                            "event_id `{id}`: no KMS event with that eventID or number (1..{n})"
                        ),
                        Some("event_id"),
                    )
                })
        }
    }
}

fn build(o: &Map<String, Value>, ev: &mut DerivedEvent) -> Result<PolicySet, Value> {
    let mut set = PolicySet::default();
    let (name, text) = doc(o, "key_policy")?.ok_or_else(|| {
        fail(
            "`key_policy` is required (aws kms get-key-policy output or a policy)",
            Some("key_policy"),
        )
    })?;
    let (p, diags) = keyward_aws::kms::key_policy(&text);
    if let Some(e) = diag_error(&name, &text, &diags) {
        return Err(e);
    }
    set.resource_policy = Some(NamedPolicy::new(
        name.clone(),
        p.ok_or_else(|| fail(format!("{name} is not a policy"), None))?,
    ));
    if let Some((name, text)) = doc(o, "account_export")? {
        let (ex, diags) = keyward_aws::export::account_export(&text);
        if let Some(e) = diag_error(&name, &text, &diags) {
            return Err(e);
        }
        let ex = ex.ok_or_else(|| fail(format!("{name} is not an account export"), None))?;
        match ex.find(&ev.principal) {
            Some(id) => {
                set.identity.extend(id.policies.iter().cloned());
                set.boundary.clone_from(&id.boundary);
                ev.call.principal_tags.clone_from(&id.tags);
                ev.unknown.retain(|u| !u.starts_with("principal tags"));
            }
            None => ev.unknown.push(format!(
                "the identity policies of {} (not in {name})",
                ev.principal.policy_arn()
            )),
        }
    }
    for d in docs(o, "identity_policies")? {
        set.identity.push(policy(&d, PolicyKind::Identity)?);
    }
    if let Some(d) = doc(o, "boundary")? {
        set.boundary = Some(policy(&d, PolicyKind::Boundary)?);
    }
    if let Some(d) = doc(o, "session_policy")? {
        set.session = Some(policy(&d, PolicyKind::Session)?);
        ev.unknown.retain(|u| !u.starts_with("the session policy"));
    }
    let scps =
        docs(o, "scps")?.iter().map(|d| org(d, PolicyKind::Scp)).collect::<Result<Vec<_>, _>>()?;
    if !scps.is_empty() {
        set.scps = vec![scps];
    }
    let rcps =
        docs(o, "rcps")?.iter().map(|d| org(d, PolicyKind::Rcp)).collect::<Result<Vec<_>, _>>()?;
    if !rcps.is_empty() {
        set.rcps = vec![rcps];
    }
    if let Some((name, text)) = doc(o, "grants")? {
        let (g, diags) = keyward_aws::kms::grants(&text);
        if let Some(e) = diag_error(&name, &text, &diags) {
            return Err(e);
        }
        set.grants = g.into_iter().map(Arc::new).collect();
    }
    Ok(set)
}

fn inner(o: &Map<String, Value>) -> Result<Value, Value> {
    let (name, text) =
        doc(o, "event")?.ok_or_else(|| fail("`event` is required", Some("event")))?;
    let (events, diags) = kms_events(&text);
    if let Some(e) = diag_error(&name, &text, &diags) {
        return Err(e);
    }
    let mut ev = pick(events, opt_str(o, "event_id")?.as_deref())?;
    let set = build(o, &mut ev)?;
    let e = explain(&set, &ev.request());
    let matches = match &ev.recorded {
        Recorded::Success => Some(e.decision == Decision::Allow),
        Recorded::AccessDenied { .. } => Some(e.decision != Decision::Allow),
        Recorded::OtherError { .. } => None,
    };
    Ok(json!({
        "ok": true, "event": ev, "decision": e.decision, "recorded": ev.recorded,
        "matches_recorded": matches, "explanation": e, "human": render_human(&e),
    }))
}

/// Replays one event; `{"ok": true, event, decision, recorded, matches_recorded, explanation}`.
pub(crate) fn run(args_json: &str) -> Value {
    match object(args_json).and_then(|o| inner(&o)) {
        Ok(v) | Err(v) => v,
    }
}
