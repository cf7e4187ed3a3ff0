//! Explanations: the decision, the rule in plain words, the trace and the fixes, rendered for
//! an 80-column terminal or as stable JSON.

use super::decide::{decide_traced, Decision, Outcome, PolicySet, Rule};
use super::fix::{find_fixes, Fix};
use super::nearmiss::{names_account_with_conditions, near_miss, service_principal_note};
use super::request::Request;
use super::trace::{PolicyTrace, Source, StatementTrace, Trace};
use crate::model::Effect;
use serde::Serialize;

/// A decision with everything needed to understand it.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The decision.
    pub decision: Decision,
    /// The rule.
    pub rule: Rule,
    /// The why: its first line names the real cause (the near miss when one element, condition
    /// or grant constraint stood between the request and an Allow), then the rule in plain
    /// words; lines are separated by `\n`.
    pub summary: String,
    /// The statements that decided.
    pub deciders: Vec<super::trace::Decider>,
    /// The fixes (implicit denies only), each verified to produce Allow, least added access
    /// first.
    pub fixes: Vec<Fix>,
    /// The request as evaluated.
    pub request: Request,
    /// Everything considered.
    pub trace: Trace,
}

/// Decides, traces, explains and finds fixes.
pub fn explain(set: &PolicySet, req: &Request) -> Explanation {
    let (outcome, trace) = decide_traced(set, req);
    let fixes = find_fixes(set, req, &outcome, &trace);
    let summary = why(set, req, &outcome, &trace);
    Explanation {
        decision: outcome.decision,
        rule: outcome.rule,
        summary,
        deciders: outcome.deciders,
        fixes,
        request: req.clone(),
        trace,
    }
}

/// The why of [`explain`] alone ([`Explanation::summary`]): the same text, without looking
/// for fixes (the costly part), for callers that show only the why (`who-can`).
pub fn explain_why(set: &PolicySet, req: &Request) -> String {
    let (outcome, trace) = decide_traced(set, req);
    why(set, req, &outcome, &trace)
}

/// The near miss (implicit denies), the rule in plain words, and the notes, one per line.
fn why(set: &PolicySet, req: &Request, outcome: &Outcome, trace: &Trace) -> String {
    let mut rule_line = summary(set, req, outcome, trace);
    if let Some(n) = not_principal_note(set, outcome, trace) {
        rule_line.push_str(n);
    }
    let mut lines = Vec::new();
    if outcome.decision == Decision::ImplicitDeny {
        lines.extend(near_miss(set, req, trace));
    }
    lines.push(rule_line);
    if outcome.decision == Decision::ImplicitDeny {
        lines.extend(service_principal_note(set, req));
    }
    lines.join("\n")
}

/// Why a Deny with NotPrincipal applied although it lists the caller.
fn not_principal_note(set: &PolicySet, o: &Outcome, trace: &Trace) -> Option<&'static str> {
    let d =
        o.deciders.first().filter(|_| o.rule == Rule::ExplicitDeny && set.boundary.is_some())?;
    let st = trace.statement(d.source, d.statement)?;
    st.principal.as_ref().filter(|p| p.element == "NotPrincipal")?;
    Some(" (a Deny with NotPrincipal always applies to a principal that has a permissions boundary, whatever NotPrincipal lists)")
}

fn summary(set: &PolicySet, req: &Request, o: &Outcome, trace: &Trace) -> String {
    let a = &req.action;
    let acct = &req.principal.account;
    let who = &req.principal.arn;
    let by = |o: &Outcome| {
        o.deciders
            .iter()
            .map(|d| match d.source {
                Source::Grant { .. } => d.policy.clone(),
                _ => format!("statement {} of {}", d.label, d.policy),
            })
            .collect::<Vec<_>>()
            .join(" and ")
    };
    match o.rule {
        Rule::ExplicitDeny => format!("{} explicitly denies {a}; an explicit Deny overrides every Allow", by(o)),
        Rule::ScpNoAllow => format!("no service control policy allows {a}: SCPs bound every principal of account {acct}, and at each level of the organization one must allow"),
        Rule::RcpNoAllow => format!("no resource control policy allows {a} on this resource"),
        Rule::KeyPolicyAllowsCaller => format!("{} allows the caller directly", by(o)),
        Rule::KeyPolicyAllowsRole => format!("{} allows the caller's role (within its permissions boundary and session policy)", by(o)),
        Rule::KeyPolicyDelegatesToIam => format!("the key policy delegates {a} to account {acct} and an IAM policy allows it: {}", by(o)),
        Rule::GrantAllows => format!("{} gives the caller {a}", by(o)),
        Rule::ResourcePolicyAllows => format!("{} allows the caller", by(o)),
        Rule::IdentityAllows => format!("{} allows {a}", by(o)),
        Rule::CrossAccountBothAllow => format!("cross-account: the resource side and the caller's own account both allow ({})", by(o)),
        Rule::KmsNotDelegated => format!(
            "an IAM policy allows {a}, but the key policy does not allow account {acct} to use {a}, so IAM policies do not count (the key policy is the root of trust for a KMS key)"
        ),
        Rule::KmsDelegatedNoIamAllow => format!("the key policy lets account {acct} use IAM policies for {a}, but no IAM policy of {who} allows it"),
        Rule::KmsNothingAllows => format!("neither the key policy, an IAM policy (with the key policy's delegation) nor a grant allows {who} to use {a}"),
        Rule::BoundaryNoAllow => format!("the permissions boundary of {who} does not allow {a}; the boundary caps what identity policies grant"),
        Rule::SessionNoAllow => format!("the session policy does not allow {a}; a session policy caps what the role's policies grant"),
        Rule::CrossAccountNoResourceAllow => {
            let owner = req.resource_account().map(str::to_string).or_else(|| set.resource_account.clone()).unwrap_or_default();
            let doc = if req.is_kms_key() { "key policy" } else { "resource policy" };
            match names_account_with_conditions(trace) {
                Some(st) => {
                    let named = match st.principal_how {
                        super::trace::PrincipalHow::Account => format!("account {acct}"),
                        super::trace::PrincipalHow::Role => format!("the caller's role {}", req.principal.policy_arn()),
                        _ => who.to_string(),
                    };
                    format!("cross-account request: the {doc} of account {owner} names {named} in statement {}, but only under conditions this request does not meet; both sides must allow", st.label())
                }
                None => format!("cross-account request: the {doc} of account {owner} does not allow {who} or account {acct}; both sides must allow"),
            }
        }
        Rule::CrossAccountNoIdentityAllow => format!("cross-account request: the resource side allows, but no IAM policy in the caller's account {acct} allows {a} on {}; both sides must allow", req.resource),
        Rule::NothingAllows => format!("no policy allows {who} to use {a} on {} (default deny)", req.resource),
        Rule::CrossAccountNotCallable => {
            let owner = req.resource_account().map(str::to_string).or_else(|| set.resource_account.clone()).unwrap_or_default();
            format!("{a} cannot be called on a key in another account: cross-account permission is effective only for the cryptographic operations, CreateGrant, DescribeKey, GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant and RevokeGrant, so neither the key policy of account {owner} nor the IAM policies of account {acct} can allow it")
        }
        Rule::CreateGrantBeyondParentGrant => {
            let parent = trace.grants.iter().find(|g| g.within_parent == Some(false)).map_or_else(|| "a grant".to_string(), |g| g.label.clone());
            format!("{who} may call CreateGrant only through {parent}, and the grant requested goes beyond it: a grantee can delegate only operations of its own grant, with constraints at least as strict (EncryptionContextSubset may gain pairs or become EncryptionContextEquals, not the reverse), whatever its policies allow")
        }
        Rule::RetiringPrincipalRetires => format!("{who} is the retiring principal of {}", retired(set)),
        Rule::GranteeRetires => format!("{who} is the grantee of {}, which includes RetireGrant", retired(set)),
        Rule::GrantAccountRetires => format!("{} was created in account {acct}, which may retire it ({})", retired(set), if req.principal.kind == super::request::PrincipalKind::Root { "its root user".to_string() } else { by(o) }),
        Rule::RetireNotPermitted => {
            let g = set.grant_to_retire.as_deref();
            let retiring = g.and_then(|g| g.retiring_principal.clone()).unwrap_or_else(|| "none".to_string());
            let grantee = g.map_or_else(|| "none".to_string(), |g| g.grantee.clone());
            format!("the grant decides who may retire {}: its retiring principal ({retiring}), its grantee ({grantee}) if the grant includes RetireGrant, or the account in which it was created through its IAM policies; {who} is none of them, and kms:RetireGrant in a key policy is not effective", retired(set))
        }
    }
}

fn retired(set: &PolicySet) -> String {
    set.grant_to_retire.as_ref().map_or_else(|| "the grant".to_string(), |g| g.label())
}

/// Word-wraps `text` to `width` columns with `indent` before every line.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn render_statement(st: &StatementTrace, out: &mut String) {
    let effect = if st.effect == Effect::Allow { "Allow" } else { "Deny" };
    let verdict = if st.applies {
        "APPLIES".to_string()
    } else {
        format!("no match: {}", st.failures().join("; "))
    };
    out.push_str(&wrap(&format!("{} {effect} -- {verdict}", st.label()), 80, "  "));
    let mark = |m: bool| if m { "yes" } else { "NO " };
    let elements = [Some(&st.action), Some(&st.resource), st.principal.as_ref()];
    for e in elements.into_iter().flatten() {
        let line = format!("{} {}: {}", mark(e.matched), e.element, e.listed.join(", "));
        out.push_str(&wrap(&line, 80, "      "));
    }
    for c in &st.conditions {
        let req = match &c.request {
            None => "missing".to_string(),
            Some(v) => v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", "),
        };
        let line = format!(
            "{} {} {}: request {req}; policy {}",
            mark(c.result),
            c.operator,
            c.key,
            c.values.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")
        );
        out.push_str(&wrap(&line, 80, "      "));
        if let Some(n) = &c.note {
            out.push_str(&wrap(&format!("({n})"), 80, "          "));
        }
    }
}

fn policy_title(p: &PolicyTrace) -> String {
    let kind = match p.source {
        Source::ResourcePolicy => "resource policy",
        Source::Identity { .. } => "identity policy",
        Source::Boundary => "permissions boundary",
        Source::Session => "session policy",
        Source::Scp { .. } => "SCP",
        Source::Rcp { .. } => "RCP",
        Source::Grant { .. } => "grant",
    };
    format!("{kind}: {}", p.name)
}

/// Renders for a terminal (80 columns).
pub fn render_human(e: &Explanation) -> String {
    let mut out = String::new();
    let verdict = match e.decision {
        Decision::Allow => "ALLOWED",
        Decision::ExplicitDeny => "DENIED (explicit deny)",
        Decision::ImplicitDeny => "DENIED (implicit deny: nothing allows)",
    };
    out.push_str(&format!("{verdict}\n"));
    out.push_str(&wrap(
        &format!("{} -> {} on {}", e.request.principal.arn, e.request.action, e.request.resource),
        80,
        "  ",
    ));
    out.push('\n');
    out.push_str("why:\n");
    for line in e.summary.lines() {
        out.push_str(&wrap(line, 80, "  "));
    }
    if !e.fixes.is_empty() {
        out.push_str(
            "\nfixes, least added access first (each one alone makes the request allowed):\n",
        );
        for (i, f) in e.fixes.iter().enumerate() {
            let text = wrap(&f.message, 80, "     ");
            out.push_str(&format!("  {}. {}", i + 1, text.trim_start()));
        }
    }
    out.push_str("\ntrace:\n");
    for p in &e.trace.policies {
        out.push_str(&wrap(&policy_title(p), 80, ""));
        if p.statements.is_empty() {
            out.push_str("  (no statements)\n");
        }
        for st in &p.statements {
            render_statement(st, &mut out);
        }
    }
    for g in &e.trace.grants {
        let yn = |b: bool| if b { "yes" } else { "no" };
        let mut c = g.constraint.as_ref().map_or(String::new(), |(t, ok)| {
            format!(", {t} {}", if *ok { "holds" } else { "does NOT hold" })
        });
        if let Some(ok) = g.source_arn {
            c.push_str(if ok { ", SourceArn matches" } else { ", SourceArn does NOT match" });
        }
        if let Some(w) = g.within_parent {
            c.push_str(if w {
                ", grant requested within it"
            } else {
                ", grant requested goes BEYOND it"
            });
        }
        out.push_str(&wrap(
            &format!(
                "{}: grantee {}, operation {}{c} -- {}",
                g.label,
                yn(g.grantee_matched),
                yn(g.operation_matched),
                if g.applies { "APPLIES" } else { "no match" }
            ),
            80,
            "",
        ));
    }
    out.push_str("\ncontext:\n");
    for (k, v) in e.request.context.iter() {
        out.push_str(&wrap(&format!("{k} = {}", v.as_slice().join(", ")), 80, "  "));
    }
    out
}
