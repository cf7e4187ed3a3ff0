//! `keyward explain --cloudtrail EVENT.json`: decide the request a CloudTrail event records,
//! say what was derived and what could not be known, compare with the recorded outcome, and
//! when they disagree, name the inputs that are probably missing. Each authorization of the
//! call is decided (a key with the key policy, an alias or an account-level action by IAM
//! policies alone).

use super::{load_export, load_grants, load_key_policy, load_org_policy, load_policy, report};
use crate::files;
use crate::output::HumanOrJson;
use keyward_aws::cloudtrail::{blamed_policy_type, kms_events, DerivedEvent, Recorded};
use keyward_core::eval::{
    explain, render_human, Decision, Explanation, NamedPolicy, PolicySet, Rule,
};
use keyward_core::model::PolicyKind;
use serde::Serialize;
use std::path::PathBuf;

/// What `keyward explain` passes when `--cloudtrail` is given.
#[derive(Debug)]
pub(crate) struct Inputs {
    pub(crate) event: PathBuf,
    pub(crate) event_id: Option<String>,
    pub(crate) key_policy: Option<PathBuf>,
    pub(crate) account_export: Option<PathBuf>,
    pub(crate) identity_policy: Vec<PathBuf>,
    pub(crate) grants: Option<PathBuf>,
    pub(crate) scp: Vec<PathBuf>,
    pub(crate) rcp: Vec<PathBuf>,
    pub(crate) boundary: Option<PathBuf>,
    pub(crate) session_policy: Option<PathBuf>,
    pub(crate) state: Option<PathBuf>,
    pub(crate) format: HumanOrJson,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    event: &'a DerivedEvent,
    inputs: Vec<String>,
    /// `Allow` when every authorization the call needs is allowed; otherwise the first other.
    decision: Decision,
    recorded: &'a Recorded,
    matches_recorded: Option<bool>,
    probably_missing: Vec<String>,
    /// The first authorization that is not allowed (or the first one).
    explanation: &'a Explanation,
    /// Every authorization the call needs, each decided.
    checks: Vec<CheckReport<'a>>,
}

#[derive(Debug, Serialize)]
struct CheckReport<'a> {
    label: &'a str,
    action: &'a str,
    resource: &'a str,
    decision: Decision,
}

/// One authorization of the call, decided.
pub(crate) struct Half {
    pub(crate) label: String,
    pub(crate) action: String,
    pub(crate) resource: String,
    pub(crate) explanation: Explanation,
}

/// What `--format json` prints for an event KMS wrote by itself.
#[derive(Debug, Serialize)]
struct OwnReport<'a> {
    event: &'a DerivedEvent,
    decision: Option<Decision>,
    note: &'static str,
}

const OWN: &str = "KMS performed this action by itself (no caller): there is nothing to authorize";

fn pick(events: Vec<DerivedEvent>, id: Option<&str>) -> Result<(DerivedEvent, usize), String> {
    let n = events.len();
    match id {
        Some(id) => {
            let by_index = id.parse::<usize>().ok().filter(|i| *i >= 1 && *i <= n);
            events
                .into_iter()
                .enumerate()
                .find(|(i, e)| by_index == Some(i + 1) || e.event_id.as_deref() == Some(id))
                .map(|(_, e)| (e, n))
                .ok_or_else(|| {
                    format!("--event `{id}`: no KMS event with that eventID or number (1..{n})")
                })
        }
        None => events.into_iter().next().map(|e| (e, n)).ok_or_else(|| "no KMS event".to_string()),
    }
}

pub(crate) fn build(i: &Inputs, ev: &mut DerivedEvent) -> Result<(PolicySet, Vec<String>), String> {
    let mut set = PolicySet::default();
    let mut used = Vec::new();
    let on_key = std::iter::once(ev.resource.as_str())
        .chain(ev.also.iter().map(|c| c.resource.as_str()))
        .any(|r| r.contains(":key/"));
    match &i.key_policy {
        Some(kp) => {
            set.resource_policy = Some(load_key_policy(kp)?);
            used.push(format!("key policy: {}", kp.display()));
        }
        None if on_key => {
            return Err("--cloudtrail needs --key-policy (aws kms get-key-policy --key-id KEY --policy-name default --output json > kp.json)".into());
        }
        None => {
            used.push(format!("no key policy: {} is authorized by IAM policies alone", ev.action))
        }
    }
    let keys: Vec<&str> = std::iter::once(ev.resource.as_str())
        .chain(ev.also.iter().map(|c| c.resource.as_str()))
        .filter(|r| r.contains(":key/"))
        .collect();
    if keys.len() > 1 && keys.iter().any(|k| *k != keys[0]) && i.key_policy.is_some() {
        ev.unknown.push(
            "the policy of each key: the one --key-policy given is used for every key of the call"
                .into(),
        );
    }
    if let Some(path) = &i.account_export {
        let ex = load_export(path)?;
        match ex.find(&ev.principal) {
            Some(id) => {
                set.identity.extend(id.policies.iter().cloned());
                set.boundary.clone_from(&id.boundary);
                ev.call.principal_tags.clone_from(&id.tags);
                ev.unknown.retain(|u| !u.starts_with("principal tags"));
                ev.unknown.push(
                    "session tags (aws:PrincipalTag/* passed when the session was created)".into(),
                );
                used.push(format!(
                    "{} identity polic{} of {} from {}{}",
                    id.policies.len(),
                    if id.policies.len() == 1 { "y" } else { "ies" },
                    id.arn,
                    path.display(),
                    if id.boundary.is_some() { ", and its permissions boundary" } else { "" }
                ));
                for m in &id.missing {
                    ev.unknown.push(format!("{m}: left out"));
                }
            }
            None => {
                ev.unknown.push(format!(
                    "the identity policies of {} (not in {})",
                    ev.principal.policy_arn(),
                    path.display()
                ));
            }
        }
    } else if ev.principal.is_iam() && i.identity_policy.is_empty() {
        ev.unknown.push(
            "the caller's identity policies (give --account-export or --identity-policy)".into(),
        );
    }
    for p in &i.identity_policy {
        set.identity.push(load_policy(p, PolicyKind::Identity)?);
        used.push(format!("identity policy: {}", p.display()));
    }
    if let Some(p) = &i.boundary {
        set.boundary = Some(load_policy(p, PolicyKind::Boundary)?);
        used.push(format!("permissions boundary: {}", p.display()));
    }
    if let Some(p) = &i.session_policy {
        set.session = Some(load_policy(p, PolicyKind::Session)?);
        used.push(format!("session policy: {}", p.display()));
        ev.unknown.retain(|u| !u.starts_with("the session policy"));
    }
    let scps =
        i.scp.iter().map(|p| load_org_policy(p, PolicyKind::Scp)).collect::<Result<Vec<_>, _>>()?;
    if !scps.is_empty() {
        used.push(format!("{} SCP(s), one level", scps.len()));
        set.scps = vec![scps];
    }
    let rcps =
        i.rcp.iter().map(|p| load_org_policy(p, PolicyKind::Rcp)).collect::<Result<Vec<_>, _>>()?;
    if !rcps.is_empty() {
        used.push(format!("{} RCP(s), one level", rcps.len()));
        set.rcps = vec![rcps];
    }
    if let Some(p) = &i.grants {
        set.grants = load_grants(p)?;
        used.push(format!("{} grant(s) from {}", set.grants.len(), p.display()));
    }
    Ok((set, used))
}

/// Inputs that would change the decision towards the recorded outcome.
pub(crate) fn missing(i: &Inputs, ev: &DerivedEvent, e: &Explanation) -> Vec<String> {
    let mut out = Vec::new();
    let session = matches!(
        ev.principal.kind,
        keyward_core::eval::PrincipalKind::AssumedRole
            | keyward_core::eval::PrincipalKind::FederatedUser
    );
    match (&ev.recorded, e.decision) {
        (Recorded::AccessDenied { message }, Decision::Allow) => {
            if let Some(t) = blamed_policy_type(message) {
                out.push(format!("AWS's message blames {t}: \"{message}\""));
            }
            if i.scp.is_empty() && ev.principal.is_iam() {
                out.push("a service control policy (SCP) of the caller's account: none was given (--scp, from aws organizations describe-policy)".into());
            }
            if session && i.session_policy.is_none() {
                out.push(
                    "a session policy passed to AssumeRole / GetFederationToken (--session-policy)"
                        .into(),
                );
            }
            if let Some(v) = &ev.vpc_endpoint {
                out.push(format!(
                    "the VPC endpoint policy of {v} (keyward does not evaluate endpoint policies)"
                ));
            }
            if i.account_export.is_none() && i.boundary.is_none() && ev.principal.is_iam() {
                out.push("a permissions boundary of the caller (give --account-export)".into());
            }
            if i.rcp.is_empty() {
                out.push("a resource control policy (RCP) of the key's account (--rcp)".into());
            }
            out.push("a different key policy than the one in effect at the event's time (get-key-policy shows today's)".into());
        }
        (Recorded::Success, Decision::ExplicitDeny | Decision::ImplicitDeny) => {
            let failed_unknown: Vec<String> = e
                .trace
                .policies
                .iter()
                .flat_map(|p| &p.statements)
                .filter(|s| s.effect == keyward_core::model::Effect::Allow)
                .flat_map(|s| s.conditions.iter().filter(|c| !c.result && c.request.is_none()))
                .map(|c| format!("{} {}", c.operator, c.key))
                .collect();
            if !failed_unknown.is_empty() {
                out.push(format!(
                    "context keys the event does not record, on which an Allow statement's condition failed: {}",
                    failed_unknown.join(", ")
                ));
            }
            if i.grants.is_none() && !ev.account_level {
                out.push(
                    "a grant on the key (aws kms list-grants --key-id KEY > grants.json; --grants)"
                        .into(),
                );
            }
            if matches!(
                e.rule,
                Rule::KmsDelegatedNoIamAllow
                    | Rule::CrossAccountNoIdentityAllow
                    | Rule::KmsNothingAllows
            ) && i.account_export.is_none()
                && i.identity_policy.is_empty()
            {
                out.push("the caller's identity policies (--account-export from aws iam get-account-authorization-details)".into());
            }
            if e.rule == Rule::ExplicitDeny {
                out.push("the Deny statement may be newer than the event (policies read today, event from the past)".into());
            }
            out.push("a different key policy than the one in effect at the event's time (get-key-policy shows today's)".into());
        }
        _ => {}
    }
    out
}

pub(crate) fn run(i: &Inputs) -> u8 {
    match run_inner(i) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn run_inner(i: &Inputs) -> Result<u8, String> {
    if i.state.is_some() || i.event.is_dir() {
        return super::trail_dir::run(i);
    }
    let text = files::read_maybe_gz(&i.event, files::MAX_FILE_BYTES)?;
    let (events, diags) = kms_events(&text);
    report(&i.event, &text, &diags)?;
    warn(&i.event, &text, &diags);
    let (mut ev, total) = pick(events, i.event_id.as_deref())?;
    if ev.kms_own {
        if i.format == HumanOrJson::Json {
            let r = OwnReport { event: &ev, decision: None, note: OWN };
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
        } else {
            print!("{}", own(&ev, total));
        }
        return Ok(0);
    }
    let (set, used) = build(i, &mut ev)?;
    let halves = decide_all(&set, &ev, &|p| policy_file_text(i, p));
    let first_failing = halves.iter().find(|h| h.explanation.decision != Decision::Allow);
    let Some(main) = first_failing.or(halves.first()) else {
        return Err("no authorization to decide".into());
    };
    let e = &main.explanation;
    let decision = e.decision;
    let matches = match &ev.recorded {
        Recorded::Success => Some(decision == Decision::Allow),
        Recorded::AccessDenied { .. } => Some(decision != Decision::Allow),
        Recorded::OtherError { .. } => None,
    };
    let probably_missing = if matches == Some(false) { missing(i, &ev, e) } else { Vec::new() };
    if i.format == HumanOrJson::Json {
        let checks = halves
            .iter()
            .map(|h| CheckReport {
                label: &h.label,
                action: &h.action,
                resource: &h.resource,
                decision: h.explanation.decision,
            })
            .collect();
        let r = Report {
            event: &ev,
            inputs: used,
            decision,
            recorded: &ev.recorded,
            matches_recorded: matches,
            probably_missing,
            explanation: e,
            checks,
        };
        println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
    } else {
        print!("{}", human(&ev, total, &used, &halves, matches, &probably_missing));
    }
    Ok(u8::from(decision != Decision::Allow))
}

/// Prints the warnings of the event file (records skipped) to stderr.
pub(crate) fn warn(path: &std::path::Path, text: &str, diags: &[keyward_core::diag::Diagnostic]) {
    let idx = keyward_core::span::LineIndex::new(text);
    for d in diags.iter().filter(|d| d.severity != keyward_core::diag::Severity::Error) {
        eprint!("{}", d.render(&path.display().to_string(), &idx));
    }
}

/// The text of a policy given on the command line (the file, or the policy inside AWS CLI
/// output); policies of the account export have none here.
pub(crate) fn policy_file_text(i: &Inputs, p: &NamedPolicy) -> Option<String> {
    let paths = i.key_policy.iter().chain(&i.identity_policy).chain(&i.boundary);
    let mut paths = paths.chain(&i.session_policy).chain(&i.scp).chain(&i.rcp);
    let path = paths.find(|f| {
        let f = f.display().to_string();
        p.name == f || p.name.ends_with(&format!(" ({f})"))
    })?;
    files::read(path).ok().map(crate::fixgate::policy_text)
}

/// Decides every authorization the call needs: the first on the event's resource, then the
/// further ones. A key is decided with the key policy and grants; an alias or `*` by IAM
/// policies alone.
pub(crate) fn decide_all(
    set: &PolicySet,
    ev: &DerivedEvent,
    texts: &dyn Fn(&NamedPolicy) -> Option<String>,
) -> Vec<Half> {
    let iam_only = PolicySet { resource_policy: None, grants: Vec::new(), ..set.clone() };
    let first = (
        format!("{} on {}", ev.action, if ev.account_level { "the account" } else { "the key" }),
        ev.action.clone(),
        ev.resource.clone(),
        &ev.call,
    );
    let further =
        ev.also.iter().map(|c| (c.label.clone(), c.action.clone(), c.resource.clone(), &c.call));
    std::iter::once(first)
        .chain(further)
        .map(|(label, action, resource, call)| {
            let on_key = resource.contains(":key/");
            let req = call.request(ev.principal.clone());
            let set = if on_key { set } else { &iam_only };
            let mut explanation = explain(set, &req);
            crate::fixgate::label(&mut explanation, set, texts);
            Half { label, action, resource, explanation }
        })
        .collect()
}

fn own(ev: &DerivedEvent, total: usize) -> String {
    let mut out = String::new();
    let id = ev.event_id.as_deref().unwrap_or("(no eventID)");
    out.push_str(&format!(
        "CloudTrail event {id}: {} on {} at {}\n",
        ev.event_name,
        ev.resource,
        ev.event_time.as_deref().unwrap_or("(no time)")
    ));
    if total > 1 {
        out.push_str(&format!(
            "  ({total} KMS events in the file; choose another with --event ID or --event N)\n"
        ));
    }
    out.push_str(&format!("\n{OWN}.\n"));
    out.push_str("It follows an earlier request (ScheduleKeyDeletion, EnableKeyRotation, ImportKeyMaterial with an expiration, a multi-Region key change): explain that event instead.\n");
    out
}

pub(crate) fn human(
    ev: &DerivedEvent,
    total: usize,
    used: &[String],
    halves: &[Half],
    matches: Option<bool>,
    missing: &[String],
) -> String {
    let failing = halves.iter().find(|h| h.explanation.decision != Decision::Allow);
    let decision =
        failing.or(halves.first()).map_or(Decision::ImplicitDeny, |h| h.explanation.decision);
    let mut out = String::new();
    let id = ev.event_id.as_deref().unwrap_or("(no eventID)");
    out.push_str(&format!(
        "CloudTrail event {id}: {} by {} at {}\n",
        ev.event_name,
        ev.principal.arn,
        ev.event_time.as_deref().unwrap_or("(no time)")
    ));
    if total > 1 {
        out.push_str(&format!(
            "  ({total} KMS events in the file; choose another with --event ID or --event N)\n"
        ));
    }
    let recorded = match &ev.recorded {
        Recorded::Success => "success (the call was authorized)".to_string(),
        Recorded::AccessDenied { message } => format!("AccessDenied: {message}"),
        Recorded::OtherError { code, message } => {
            format!("{code}: {message} (not an authorization result)")
        }
    };
    out.push_str(&format!("recorded outcome: {recorded}\n\nderived from the event:\n"));
    let width = ev.derived.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for f in &ev.derived {
        out.push_str(&format!("  {:width$}  {}   <- {}\n", f.name, f.value, f.from));
    }
    out.push_str("\nnot known from the event (absent from the request as evaluated):\n");
    for u in &ev.unknown {
        out.push_str(&format!("  - {u}\n"));
    }
    if !ev.warnings.is_empty() {
        out.push_str("\nwarning: the event is inconsistent:\n");
        for w in &ev.warnings {
            out.push_str(&format!("  - {w}\n"));
        }
    }
    out.push_str("\ninputs:\n");
    for u in used {
        out.push_str(&format!("  - {u}\n"));
    }
    let verdict = match (matches, &ev.recorded) {
        (Some(true), Recorded::Success) => "keyward ALLOWS it, as AWS did".to_string(),
        (Some(true), _) => format!("keyward DENIES it ({}), as AWS did", decision.name()),
        (Some(false), Recorded::Success) => format!(
            "keyward DENIES it ({}) but AWS allowed it: keyward is missing an input that allows",
            decision.name()
        ),
        (Some(false), _) => {
            "keyward ALLOWS it but AWS denied it: keyward is missing an input that denies"
                .to_string()
        }
        (None, _) => format!(
            "keyward: {} (the event failed for a reason other than authorization)",
            decision.name()
        ),
    };
    out.push_str(&format!("\nverdict: {verdict}\n"));
    if !missing.is_empty() {
        out.push_str("probably missing:\n");
        for m in missing {
            out.push_str(&format!("  - {m}\n"));
        }
    }
    if halves.len() > 1 {
        out.push_str(&format!("\nthe call needs {} authorizations:\n", halves.len()));
        for h in halves {
            out.push_str(&format!(
                "  - {}: {} ({})\n",
                h.label,
                h.explanation.decision.name(),
                h.resource
            ));
        }
    }
    for h in halves {
        if halves.len() > 1 {
            out.push_str(&format!("\n== {} ==\n", h.label));
        }
        out.push('\n');
        out.push_str(&render_human(&h.explanation));
    }
    out
}
