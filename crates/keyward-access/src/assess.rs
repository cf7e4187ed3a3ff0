//! Who may do what, and under which conditions: the verdict shared by `who-can`,
//! `access-matrix` and `diff` (`assess`, and `quick` for the matrix).
//!
//! A request built from an account export knows the caller and the key but not what a real
//! call would add (encryption context, ViaService, source IP or VPC endpoint, MFA, time...).
//! Each (principal, key, action) is decided twice: once with those keys absent, and once
//! "optimistically", with every condition on them removed from Allow statements and every
//! Deny statement that depends on them left out. Allow in the first run is `Allow`; Allow only
//! in the second is `Conditional`, and the conditions that must hold are read from the
//! statements that allowed (and the Deny statements that must not apply).

use keyward_core::eval::{
    decide, decide_traced, explain_why, NamedPolicy, PolicySet, Request, Source,
};
use keyward_core::model::{Condition, Effect, Policy};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The verdict for one principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Status {
    /// Denied whatever the request carries.
    Deny,
    /// Allowed when the listed conditions hold.
    #[serde(rename = "ConditionalAllow")]
    Conditional,
    /// Allowed (with the key's usual request).
    Allow,
}

impl Status {
    /// The name used in every output format.
    pub fn name(self) -> &'static str {
        match self {
            Status::Allow => "Allow",
            Status::Conditional => "ConditionalAllow",
            Status::Deny => "Deny",
        }
    }
}

/// A condition that must hold, and the statement (or grant) it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// The condition, as written (`StringEquals kms:ViaService "s3..."`).
    pub condition: String,
    /// The statement or grant it comes from.
    pub from: String,
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.condition, self.from)
    }
}

/// A verdict and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub status: Status,
    /// Conditions that must hold (Conditional), each with its statement.
    pub conditions: Vec<Requirement>,
    /// Deny statements that apply when their request-time conditions hold.
    pub unless: Vec<String>,
    /// The rule in plain words, or the statements that allowed.
    pub why: String,
}

/// Context keys a real call supplies and an export cannot: conditions on them make access
/// conditional rather than allowed or denied.
/// With `ec` false, encryption-context keys are not request-time keys (the action takes no
/// encryption context, so they are absent from every real call).
pub fn request_time_key_for(key_lc: &str, ec: bool) -> bool {
    if !ec && key_lc.starts_with("kms:encryptioncontext") {
        return false;
    }
    const PREFIXES: &[&str] = &[
        "kms:encryptioncontext",
        "kms:viaservice",
        "kms:grant",
        "kms:requestalias",
        "kms:signingalgorithm",
        "kms:macalgorithm",
        "kms:messagetype",
        "kms:datakeypairspec",
        "kms:wrappingalgorithm",
        "kms:expirationmodel",
        "kms:validto",
        "kms:bypasspolicylockoutsafetycheck",
        "kms:replicaregion",
        "kms:rotationperiodindays",
        "kms:schedulekeydeletion",
        "kms:recipient",
        "kms:keyagreementalgorithm",
        "aws:sourceip",
        "aws:sourcevpc",
        "aws:vpcsourceip",
        "aws:multifactorauth",
        "aws:currenttime",
        "aws:epochtime",
        "aws:requesttag/",
        "aws:tagkeys",
        "aws:calledvia",
        "aws:viaawsservice",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceorg",
        "aws:referer",
        "aws:useragent",
        "aws:tokenissuetime",
        "aws:federatedprovider",
        "aws:sourceidentity",
        "aws:ec2instancesourcevpc",
        "aws:ec2instancesourceprivateipv4",
        "aws:requestedregion",
        "aws:securetransport",
    ];
    PREFIXES.iter().any(|p| key_lc.starts_with(p))
}

pub(crate) fn cond_text(c: &Condition) -> String {
    let vals: Vec<String> = c.values.iter().map(|v| format!("\"{}\"", v.raw)).collect();
    format!("{} {} {}", c.op.name, c.key, vals.join(", "))
}

/// Makes the optimistic copy of a policy (None when it has no request-time condition).
fn optimistic(p: &Policy, ec: bool) -> Option<Policy> {
    let dependent = |c: &Condition| request_time_key_for(&c.key_lc, ec);
    if !p.statements.iter().any(|s| s.conditions.iter().any(dependent)) {
        return None;
    }
    let mut q = p.clone();
    q.statements.retain(|s| s.effect == Effect::Allow || !s.conditions.iter().any(dependent));
    for s in &mut q.statements {
        s.conditions.retain(|c| !dependent(c));
    }
    Some(q)
}

/// Optimistic copies of policies, made once per policy and shared (under each holder's own
/// name: one policy may be several principals' inline policies).
#[derive(Debug, Default)]
pub struct Optimizer {
    cache: HashMap<(usize, bool), Option<Arc<Policy>>>,
}

impl Optimizer {
    fn policy(&mut self, np: &NamedPolicy, ec: bool) -> Option<NamedPolicy> {
        let key = (Arc::as_ptr(&np.policy) as usize, ec);
        let p = self
            .cache
            .entry(key)
            .or_insert_with(|| optimistic(&np.policy, ec).map(Arc::new))
            .clone()?;
        Some(NamedPolicy { name: np.name.clone(), policy: p })
    }

    /// The optimistic policy set, or None when it equals `set`. `ec`: the action takes an
    /// encryption context (so conditions on it are request-time conditions).
    pub fn set(&mut self, set: &PolicySet, ec: bool) -> Option<PolicySet> {
        let mut out = set.clone();
        let mut changed = false;
        let mut swap = |np: &mut NamedPolicy, me: &mut Self| {
            if let Some(o) = me.policy(np, ec) {
                *np = o;
                changed = true;
            }
        };
        if let Some(np) = &mut out.resource_policy {
            swap(np, self);
        }
        for np in out.identity.iter_mut() {
            swap(np, self);
        }
        for np in out.boundary.iter_mut().chain(out.session.iter_mut()) {
            swap(np, self);
        }
        for np in out.scps.iter_mut().chain(out.rcps.iter_mut()).flatten() {
            swap(np, self);
        }
        // A grant's encryption-context constraint is a request-time condition too.
        for g in out.grants.iter_mut().filter(|g| ec && g.constraint.is_some()) {
            let mut copy = (**g).clone();
            copy.constraint = None;
            *g = Arc::new(copy);
            changed = true;
        }
        changed.then_some(out)
    }
}

fn policy_of(set: &PolicySet, source: Source) -> Option<&NamedPolicy> {
    match source {
        Source::ResourcePolicy => set.resource_policy.as_ref(),
        Source::Identity { index } => set.identity.get(index),
        Source::Boundary => set.boundary.as_ref(),
        Source::Session => set.session.as_ref(),
        Source::Scp { level, index } => set.scps.get(level)?.get(index),
        Source::Rcp { level, index } => set.rcps.get(level)?.get(index),
        Source::Grant { .. } => None,
    }
}

fn deciders_text(ds: &[keyward_core::eval::Decider]) -> String {
    ds.iter()
        .map(|d| match d.source {
            Source::Grant { .. } => d.policy.clone(),
            _ => format!("{} of {}", d.label, d.policy),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Deny statements whose request-independent parts apply, with their request-time conditions.
fn deny_risks(set: &PolicySet, req: &Request, ec: bool) -> Vec<String> {
    let (_, trace) = decide_traced(set, req);
    let mut out = Vec::new();
    for pt in &trace.policies {
        let Some(np) = policy_of(set, pt.source) else { continue };
        for st in pt.statements.iter().filter(|s| s.effect == Effect::Deny) {
            let base = st.action.matched
                && st.resource.matched
                && st.principal.as_ref().is_none_or(|p| p.matched);
            let Some(stmt) = np.policy.statements.iter().find(|s| s.index == st.index) else {
                continue;
            };
            let dep: Vec<String> = stmt
                .conditions
                .iter()
                .filter(|c| request_time_key_for(&c.key_lc, ec))
                .map(cond_text)
                .collect();
            let others_hold = st
                .conditions
                .iter()
                .all(|c| c.result || request_time_key_for(&c.key.to_ascii_lowercase(), ec));
            if base && others_hold && !dep.is_empty() {
                out.push(format!("Deny {} of {} when {}", st.label(), np.name, dep.join(" and ")));
            }
        }
    }
    out
}

/// Decides one request both ways and explains.
pub fn assess(set: &PolicySet, req: &Request, opt: &mut Optimizer) -> Assessment {
    assess_with(set, req, opt, true)
}

/// [`assess`], with the why of a Deny left empty unless `explain_deny` (explaining a Deny
/// looks for fixes, which costs far more than the verdict).
pub fn assess_with(
    set: &PolicySet,
    req: &Request,
    opt: &mut Optimizer,
    explain_deny: bool,
) -> Assessment {
    let ec = keyward_core::eval::action_takes_encryption_context(&req.action);
    let optimistic_set = opt.set(set, ec);
    // The untraced decision first (it decides as the traced one); the trace only when its
    // deciders are wanted.
    let allowed = |s: &PolicySet| decide(s, req) == keyward_core::eval::Decision::Allow;
    if allowed(set) {
        let (outcome, _) = decide_traced(set, req);
        let unless = if optimistic_set.is_some() { deny_risks(set, req, ec) } else { Vec::new() };
        return Assessment {
            status: Status::Allow,
            conditions: Vec::new(),
            unless,
            why: deciders_text(&outcome.deciders),
        };
    }
    if let Some(os) = optimistic_set.as_ref().filter(|os| allowed(os)) {
        let (o2, _) = decide_traced(os, req);
        let mut conditions = Vec::new();
        for d in &o2.deciders {
            if let Source::Grant { index } = d.source {
                if let Some(c) = set.grants.get(index).and_then(|g| g.constraint.as_ref()) {
                    let pairs: Vec<String> =
                        c.pairs().iter().map(|(k, v)| format!("{k}={v}")).collect();
                    conditions.push(Requirement {
                        condition: format!(
                            "encryption context {} {{{}}}",
                            c.type_name(),
                            pairs.join(", ")
                        ),
                        from: d.policy.clone(),
                    });
                }
                continue;
            }
            let Some(np) = policy_of(set, d.source) else { continue };
            let Some(stmt) = np.policy.statements.iter().find(|s| s.index == d.statement) else {
                continue;
            };
            for c in stmt.conditions.iter().filter(|c| request_time_key_for(&c.key_lc, ec)) {
                conditions.push(Requirement {
                    condition: cond_text(c),
                    from: format!("{} of {}", d.label, np.name),
                });
            }
        }
        let unless = deny_risks(set, req, ec);
        return Assessment {
            status: Status::Conditional,
            conditions,
            unless,
            why: deciders_text(&o2.deciders),
        };
    }
    Assessment {
        status: Status::Deny,
        conditions: Vec::new(),
        unless: Vec::new(),
        // One line per row in tables and CSV: the why's lines (near miss, rule) joined.
        why: if explain_deny { explain_why(set, req).replace('\n', "; ") } else { String::new() },
    }
}

/// The fast verdict (no reasons): for the access matrix.
pub fn quick(set: &PolicySet, optimistic_set: Option<&PolicySet>, req: &Request) -> Status {
    if decide(set, req) == keyward_core::eval::Decision::Allow {
        return Status::Allow;
    }
    match optimistic_set {
        Some(os) if decide(os, req) == keyward_core::eval::Decision::Allow => Status::Conditional,
        _ => Status::Deny,
    }
}
