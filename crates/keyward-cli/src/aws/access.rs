//! Who may do what, and under which conditions: the shared engine of `who-can`,
//! `access-matrix` and `diff`.
//!
//! A request built from an account export knows the caller and the key but not what a real
//! call would add (encryption context, ViaService, source IP or VPC endpoint, MFA, time...).
//! Each (principal, key, action) is decided twice: once with those keys absent, and once
//! "optimistically", with every condition on them removed from Allow statements and every
//! Deny statement that depends on them left out. Allow in the first run is `Allow`; Allow only
//! in the second is `Conditional`, and the conditions that must hold are read from the
//! statements that allowed (and the Deny statements that must not apply).

use keyward_core::eval::call::Call;
use keyward_core::eval::{
    decide, decide_traced, explain, NamedPolicy, PolicySet, Principal, Request, Source,
};
use keyward_core::model::{Condition, Effect, Policy, PolicyKind};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The verdict for one principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub(crate) enum Status {
    /// Denied whatever the request carries.
    Deny,
    /// Allowed when the listed conditions hold.
    #[serde(rename = "ConditionalAllow")]
    Conditional,
    /// Allowed (with the key's usual request).
    Allow,
}

impl Status {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Status::Allow => "Allow",
            Status::Conditional => "ConditionalAllow",
            Status::Deny => "Deny",
        }
    }
}

/// A condition that must hold, and the statement (or grant) it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Requirement {
    pub(crate) condition: String,
    pub(crate) from: String,
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.condition, self.from)
    }
}

/// A verdict and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Assessment {
    pub(crate) status: Status,
    /// Conditions that must hold (Conditional), each with its statement.
    pub(crate) conditions: Vec<Requirement>,
    /// Deny statements that apply when their request-time conditions hold.
    pub(crate) unless: Vec<String>,
    /// The rule in plain words, or the statements that allowed.
    pub(crate) why: String,
}

/// Context keys a real call supplies and an export cannot: conditions on them make access
/// conditional rather than allowed or denied.
/// With `ec` false, encryption-context keys are not request-time keys (the action takes no
/// encryption context, so they are absent from every real call).
pub(crate) fn request_time_key_for(key_lc: &str, ec: bool) -> bool {
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

fn cond_text(c: &Condition) -> String {
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

/// Optimistic copies of policies, made once per policy and shared.
#[derive(Debug, Default)]
pub(crate) struct Optimizer {
    cache: HashMap<(usize, bool), Option<NamedPolicy>>,
}

impl Optimizer {
    fn policy(&mut self, np: &NamedPolicy, ec: bool) -> Option<NamedPolicy> {
        let key = (Arc::as_ptr(&np.policy) as usize, ec);
        self.cache
            .entry(key)
            .or_insert_with(|| {
                optimistic(&np.policy, ec).map(|p| NamedPolicy::new(np.name.clone(), p))
            })
            .clone()
    }

    /// The optimistic policy set, or None when it equals `set`. `ec`: the action takes an
    /// encryption context (so conditions on it are request-time conditions).
    pub(crate) fn set(&mut self, set: &PolicySet, ec: bool) -> Option<PolicySet> {
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
pub(crate) fn assess(set: &PolicySet, req: &Request, opt: &mut Optimizer) -> Assessment {
    let ec = keyward_core::eval::action_takes_encryption_context(&req.action);
    let optimistic_set = opt.set(set, ec);
    let (outcome, _) = decide_traced(set, req);
    if outcome.decision == keyward_core::eval::Decision::Allow {
        let unless = if optimistic_set.is_some() { deny_risks(set, req, ec) } else { Vec::new() };
        return Assessment {
            status: Status::Allow,
            conditions: Vec::new(),
            unless,
            why: deciders_text(&outcome.deciders),
        };
    }
    if let Some(os) = &optimistic_set {
        let (o2, _) = decide_traced(os, req);
        if o2.decision == keyward_core::eval::Decision::Allow {
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
                let Some(stmt) = np.policy.statements.iter().find(|s| s.index == d.statement)
                else {
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
    }
    Assessment {
        status: Status::Deny,
        conditions: Vec::new(),
        unless: Vec::new(),
        // One line per row in tables and CSV: the why's lines (near miss, rule) joined.
        why: explain(set, req).summary.replace('\n', "; "),
    }
}

/// The fast verdict (no reasons): for the access matrix.
pub(crate) fn quick(set: &PolicySet, optimistic_set: Option<&PolicySet>, req: &Request) -> Status {
    if decide(set, req) == keyward_core::eval::Decision::Allow {
        return Status::Allow;
    }
    match optimistic_set {
        Some(os) if decide(os, req) == keyward_core::eval::Decision::Allow => Status::Conditional,
        _ => Status::Deny,
    }
}

/// Someone whose access is asked about.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    /// ARN, or a description.
    pub(crate) label: String,
    /// `user`, `role`, `account`, `external role`, `service`, `anyone`...
    pub(crate) kind: &'static str,
    pub(crate) principal: Principal,
    pub(crate) id: Option<String>,
    pub(crate) identity: Vec<NamedPolicy>,
    pub(crate) boundary: Option<NamedPolicy>,
    pub(crate) tags: Vec<(String, String)>,
    /// A condition that holds for the verdict (e.g. the other account's IAM must allow).
    pub(crate) assumption: Option<String>,
}

/// The identity policy assumed for principals of other accounts: their own account's IAM
/// policies are not known, so the verdict says what the key side allows.
pub(crate) fn assumed_identity(account: &str) -> Option<NamedPolicy> {
    let text =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let (p, _) = keyward_core::parse::parse_policy(
        text,
        PolicyKind::Identity,
        keyward_core::json::Limits::default(),
    );
    p.map(|p| NamedPolicy::new(format!("(assumed) IAM policies of account {account}"), p))
}

/// The subjects of an export plus the principals a key policy names outside it.
pub(crate) fn subjects(
    export: Option<&keyward_aws::export::AccountExport>,
    key_policies: &[&Policy],
    key_account: &str,
) -> Vec<Subject> {
    use keyward_core::model::AwsPrincipal;
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    if let Some(ex) = export {
        for id in ex.identities() {
            let Ok(principal) = id.principal() else { continue };
            seen.insert(id.arn.clone());
            out.push(Subject {
                label: id.arn.clone(),
                kind: match id.kind {
                    keyward_aws::export::IdentityKind::User => "user",
                    keyward_aws::export::IdentityKind::Role => "role",
                },
                principal,
                id: id.id.clone(),
                identity: id.policies.clone(),
                boundary: id.boundary.clone(),
                tags: id.tags.clone(),
                assumption: None,
            });
        }
    }
    let export_account = export.and_then(|e| e.account()).unwrap_or(key_account).to_string();
    let mut public = false;
    for p in key_policies {
        for st in p.statements.iter().filter(|s| s.effect == Effect::Allow) {
            let Some(spec) = &st.principal else { continue };
            if spec.negated {
                continue;
            }
            public |= spec.any;
            for e in &spec.entries {
                let (arn, kind, account) = match &e.aws {
                    AwsPrincipal::Any => {
                        public = true;
                        continue;
                    }
                    AwsPrincipal::Account(a) => {
                        (format!("arn:aws:iam::{a}:root"), "account", a.clone())
                    }
                    AwsPrincipal::User(u) => {
                        (u.clone(), "user", u.split(':').nth(4).unwrap_or("").to_string())
                    }
                    AwsPrincipal::Role { arn, account, .. } => {
                        (arn.clone(), "role", account.clone())
                    }
                    AwsPrincipal::Session(s) => {
                        (s.clone(), "session", s.split(':').nth(4).unwrap_or("").to_string())
                    }
                    AwsPrincipal::Other(_) => continue,
                    AwsPrincipal::NotAws => {
                        if e.kind == keyward_core::model::PrincipalType::Service
                            && seen.insert(e.text.clone())
                        {
                            if let Ok(principal) = Principal::parse(&format!("service:{}", e.text))
                            {
                                out.push(Subject {
                                    label: e.text.clone(),
                                    kind: "service",
                                    principal,
                                    id: None,
                                    identity: Vec::new(),
                                    boundary: None,
                                    tags: Vec::new(),
                                    assumption: None,
                                });
                            }
                        }
                        continue;
                    }
                };
                let same = account == export_account;
                if (same && export.is_some() && kind != "account") || !seen.insert(arn.clone()) {
                    continue;
                }
                let Ok(principal) = Principal::parse(&arn) else { continue };
                let (identity, assumption) = if same {
                    if kind == "account" {
                        continue; // the account's own principals are the export's rows
                    }
                    (
                        Vec::new(),
                        Some("not in the export: its identity policies are unknown".to_string()),
                    )
                } else {
                    (
                        assumed_identity(&account).into_iter().collect(),
                        Some(format!("an IAM policy in account {account} must also allow it")),
                    )
                };
                let kind = match (same, kind) {
                    (false, "account") => "other account",
                    (false, "role") => "external role",
                    (false, "user") => "external user",
                    (false, _) => "external session",
                    (true, k) => k,
                };
                out.push(Subject {
                    label: arn,
                    kind,
                    principal,
                    id: None,
                    identity,
                    boundary: None,
                    tags: Vec::new(),
                    assumption,
                });
            }
        }
    }
    if public {
        if let Ok(principal) = Principal::parse("arn:aws:iam::000000000000:user/anyone") {
            out.push(Subject {
                label: "anyone (any principal of any account)".into(),
                kind: "anyone",
                principal,
                id: None,
                identity: assumed_identity("any account").into_iter().collect(),
                boundary: None,
                tags: Vec::new(),
                assumption: Some(
                    "the key policy names \"*\"; evaluated as a user of an unrelated account"
                        .into(),
                ),
            });
        }
    }
    out
}

/// What the key says about itself (for kms:KeySpec and friends).
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyFacts {
    pub(crate) arn: String,
    pub(crate) spec: Option<String>,
    pub(crate) usage: Option<String>,
    pub(crate) origin: Option<String>,
}

impl KeyFacts {
    pub(crate) fn symmetric(arn: &str) -> KeyFacts {
        KeyFacts {
            arn: arn.to_string(),
            spec: Some("SYMMETRIC_DEFAULT".into()),
            usage: Some("ENCRYPT_DECRYPT".into()),
            origin: Some("AWS_KMS".into()),
        }
    }

    pub(crate) fn account(&self) -> &str {
        self.arn.split(':').nth(4).unwrap_or("")
    }
}

/// The policy set and request of a subject calling `action` on `key`.
pub(crate) fn build(
    s: &Subject,
    key: &KeyFacts,
    key_policy: &NamedPolicy,
    extra: &PolicySet,
    action: &str,
) -> (PolicySet, Request) {
    let set = PolicySet {
        resource_policy: Some(key_policy.clone()),
        identity: s.identity.clone(),
        boundary: s.boundary.clone(),
        grants: extra.grants.clone(),
        scps: if s.principal.account == key.account() || s.assumption.is_none() {
            extra.scps.clone()
        } else {
            Vec::new()
        },
        rcps: extra.rcps.clone(),
        ..PolicySet::default()
    };
    (set, call(s, key, action).request(s.principal.clone()))
}

/// The call of a subject doing `action` on `key`, as far as an export tells.
pub(crate) fn call(s: &Subject, key: &KeyFacts, action: &str) -> Call {
    Call {
        principal_tags: s.tags.clone(),
        principal_id: s.id.clone(),
        key: keyward_core::eval::call::KeyFacts {
            spec: key.spec.clone(),
            usage: key.usage.clone(),
            origin: key.origin.clone(),
            ..Default::default()
        },
        region: key.arn.split(':').nth(3).map(str::to_string),
        ..Call::new(action, key.arn.clone())
    }
}
