//! The decision: one total function from (policies, request) to Allow / ExplicitDeny /
//! ImplicitDeny, with the rule that decided (`aws-semantics.md` §3).
//!
//! Every statement of every policy, and every grant, is sorted into a tally (allow via the
//! caller directly, via its role, via its account; deny; per policy source). The finished tally
//! is reduced to a few named facts, which `rules.rs` classifies with one exhaustive `match`.
//! The same code runs with and without a trace.

use super::matching::eval_statement;
use super::request::{Principal, PrincipalKind, Request};
pub use super::rules::Rule;
use super::rules::{classify, Caller, Facts, Identity, Names};
use super::trace::{Decider, GrantTrace, PolicyTrace, PrincipalHow, Source, Trace};
use crate::model::{Effect, Grant, Policy, PolicyKind};
use serde::Serialize;
use std::sync::Arc;

/// A policy with a name for traces (a file name, or a description).
#[derive(Debug, Clone)]
pub struct NamedPolicy {
    /// Name.
    pub name: String,
    /// The policy.
    pub policy: Arc<Policy>,
}

impl NamedPolicy {
    /// Wraps a policy.
    pub fn new(name: impl Into<String>, policy: Policy) -> NamedPolicy {
        NamedPolicy { name: name.into(), policy: Arc::new(policy) }
    }
}

/// Every policy that bears on one request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// The key policy (kind `Key`) or other resource-based policy of the resource.
    pub resource_policy: Option<NamedPolicy>,
    /// The caller's identity policies (for a role session: the role's).
    pub identity: Vec<NamedPolicy>,
    /// The caller's permissions boundary.
    pub boundary: Option<NamedPolicy>,
    /// The session policy of the caller's session.
    pub session: Option<NamedPolicy>,
    /// SCPs of the caller's account, by organization level: each level must allow.
    pub scps: Vec<Vec<NamedPolicy>>,
    /// RCPs of the resource's account, by level: each level must allow; any Deny denies.
    pub rcps: Vec<Vec<NamedPolicy>>,
    /// Grants on the key.
    pub grants: Vec<Arc<Grant>>,
    /// The account owning the resource, when its ARN does not say (e.g. `*`).
    pub resource_account: Option<String>,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Denied by an explicit Deny statement.
    ExplicitDeny,
    /// Denied because nothing allows (or an SCP, RCP, boundary or session policy does not).
    ImplicitDeny,
}

impl Decision {
    /// Parses `Allow` / `ExplicitDeny` / `ImplicitDeny` (also `Deny` for ExplicitDeny).
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "Allow" => Some(Decision::Allow),
            "ExplicitDeny" | "Deny" => Some(Decision::ExplicitDeny),
            "ImplicitDeny" => Some(Decision::ImplicitDeny),
            _ => None,
        }
    }

    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// A decision, the rule behind it, and the statements that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The decision.
    pub decision: Decision,
    /// The rule.
    pub rule: Rule,
    /// The statements that decided (empty for implicit denies caused by absence).
    pub deciders: Vec<Decider>,
}

/// First matching statement per category in one policy.
#[derive(Debug, Clone, Copy, Default)]
struct Scan {
    allow: Option<usize>,
    direct: Option<usize>,
    role: Option<usize>,
    account: Option<usize>,
    deny: Option<usize>,
}

impl Scan {
    /// The strongest way an Allow names the caller, and its statement.
    fn strongest(&self) -> (Names, Option<usize>) {
        match (self.direct, self.role, self.account) {
            (Some(i), _, _) => (Names::Caller, Some(i)),
            (None, Some(i), _) => (Names::Role, Some(i)),
            (None, None, Some(i)) => (Names::Account, Some(i)),
            (None, None, None) => (Names::Nobody, None),
        }
    }
}

/// The tally of a whole policy set.
#[derive(Debug, Default)]
struct Tally {
    deny: Option<(Source, usize)>,
    resource: Scan,
    identity: Option<(Source, usize)>,
    boundary: Option<usize>,
    session: Option<usize>,
    scp_fail: Option<usize>,
    scp_allow: Option<(Source, usize)>,
    rcp_fail: Option<usize>,
    grant: Option<usize>,
}

/// Decides without a trace: the hot path.
pub fn decide(set: &PolicySet, req: &Request) -> Decision {
    evaluate::<false>(set, req, &mut Trace::default()).decision
}

/// Decides and records everything considered.
pub fn decide_traced(set: &PolicySet, req: &Request) -> (Outcome, Trace) {
    let mut trace = Trace::default();
    let outcome = evaluate::<true>(set, req, &mut trace);
    (outcome, trace)
}

fn scan<const T: bool>(np: &NamedPolicy, source: Source, req: &Request, trace: &mut Trace) -> Scan {
    let mut s = Scan::default();
    let mut stmts = Vec::new();
    for stmt in &np.policy.statements {
        let is_allow = stmt.effect == Effect::Allow;
        if !T
            && ((is_allow && (s.direct.is_some() || s.allow.is_some()))
                || (!is_allow && s.deny.is_some()))
        {
            continue;
        }
        let r = eval_statement::<T>(&np.policy, stmt, req);
        if let Some(t) = r.trace {
            stmts.push(t);
        }
        if !r.applies {
            continue;
        }
        let slot = if !is_allow {
            &mut s.deny
        } else {
            match r.how {
                PrincipalHow::Direct => &mut s.direct,
                PrincipalHow::Role => &mut s.role,
                PrincipalHow::Account => &mut s.account,
                PrincipalHow::NotApplicable | PrincipalHow::NotMatched => &mut s.allow,
            }
        };
        slot.get_or_insert(stmt.index);
    }
    if T {
        trace.policies.push(PolicyTrace { source, name: np.name.clone(), statements: stmts });
    }
    if s.allow.is_none() {
        s.allow = s.direct.or(s.role).or(s.account);
    }
    s
}

fn evaluate<const T: bool>(set: &PolicySet, req: &Request, trace: &mut Trace) -> Outcome {
    let p = &req.principal;
    let mut t = Tally::default();
    let note_deny = |t: &mut Tally, source: Source, s: &Scan| {
        if let (None, Some(i)) = (t.deny, s.deny) {
            t.deny = Some((source, i));
        }
    };
    // Organization policies: SCPs bound IAM principals; RCPs bound access to resources. Neither
    // applies to AWS service principals.
    if p.is_iam() {
        for (level, policies) in set.scps.iter().enumerate() {
            let mut allowed = false;
            for (index, np) in policies.iter().enumerate() {
                let source = Source::Scp { level, index };
                let s = scan::<T>(np, source, req, trace);
                note_deny(&mut t, source, &s);
                if let Some(i) = s.allow {
                    allowed = true;
                    t.scp_allow.get_or_insert((source, i));
                }
            }
            if !allowed {
                t.scp_fail.get_or_insert(level);
            }
        }
    }
    if p.kind != PrincipalKind::Service {
        for (level, policies) in set.rcps.iter().enumerate() {
            let mut allowed = false;
            for (index, np) in policies.iter().enumerate() {
                let source = Source::Rcp { level, index };
                let s = scan::<T>(np, source, req, trace);
                note_deny(&mut t, source, &s);
                allowed |= s.allow.is_some();
            }
            if !allowed {
                t.rcp_fail.get_or_insert(level);
            }
        }
    }
    if !T && t.deny.is_some() {
        return read_tally::<T>(set, req, &t, false, trace);
    }
    if let Some(np) = &set.resource_policy {
        let s = scan::<T>(np, Source::ResourcePolicy, req, trace);
        note_deny(&mut t, Source::ResourcePolicy, &s);
        t.resource = s;
    }
    if p.is_iam() {
        for (index, np) in set.identity.iter().enumerate() {
            let source = Source::Identity { index };
            let s = scan::<T>(np, source, req, trace);
            note_deny(&mut t, source, &s);
            if let (None, Some(i)) = (t.identity, s.allow) {
                t.identity = Some((source, i));
            }
        }
        if let Some(np) = &set.boundary {
            let s = scan::<T>(np, Source::Boundary, req, trace);
            note_deny(&mut t, Source::Boundary, &s);
            t.boundary = s.allow;
        }
        if let Some(np) = &set.session {
            let s = scan::<T>(np, Source::Session, req, trace);
            note_deny(&mut t, Source::Session, &s);
            t.session = s.allow;
        }
    }
    let kms = req.is_kms_key()
        || set.resource_policy.as_ref().is_some_and(|np| np.policy.kind == PolicyKind::Key);
    if kms {
        t.grant = grants::<T>(set, req, &t, trace);
    }
    read_tally::<T>(set, req, &t, kms, trace)
}

/// Checks grants: allow-only; grantee, operation and encryption-context constraint.
fn grants<const T: bool>(
    set: &PolicySet,
    req: &Request,
    t: &Tally,
    trace: &mut Trace,
) -> Option<usize> {
    let mut first = None;
    let op_takes_ec = super::action_takes_encryption_context(&req.action);
    for (index, g) in set.grants.iter().enumerate() {
        if !T && first.is_some() {
            break;
        }
        let how = grantee_match(&g.grantee, &req.principal);
        // A grant to an account principal delegates like a key policy does: the account's
        // IAM policies must allow the caller.
        let grantee_matched = match how {
            PrincipalHow::Direct | PrincipalHow::Role => true,
            PrincipalHow::Account => t.identity.is_some(),
            _ => false,
        };
        let operation_matched = g.allows_operation(&req.action);
        let constraint = g
            .constraint
            .as_ref()
            .filter(|_| op_takes_ec)
            .map(|c| (c.type_name(), c.holds(super::encryption_context_pairs(&req.context))));
        let applies =
            grantee_matched && operation_matched && constraint.as_ref().is_none_or(|c| c.1);
        if applies && first.is_none() {
            first = Some(index);
        }
        if T {
            trace.grants.push(GrantTrace {
                index,
                label: g.label(),
                grantee_matched,
                operation_matched,
                constraint,
                applies,
            });
        }
    }
    first
}

/// How a grant's grantee names the caller, read without allocating.
fn grantee_match(grantee: &str, p: &Principal) -> PrincipalHow {
    if grantee == p.arn && p.kind != PrincipalKind::Anonymous {
        return PrincipalHow::Direct;
    }
    let mut parts = grantee.splitn(6, ':');
    let (Some("arn"), Some(_), Some(service), Some(_), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return PrincipalHow::NotMatched;
    };
    if !p.is_iam() || account != p.account || service != "iam" {
        return PrincipalHow::NotMatched;
    }
    if resource == "root" {
        return if p.kind == PrincipalKind::Root {
            PrincipalHow::Direct
        } else {
            PrincipalHow::Account
        };
    }
    match resource.strip_prefix("role/") {
        Some(r) if p.role_name.as_deref() == r.rsplit('/').next() => PrincipalHow::Role,
        _ => PrincipalHow::NotMatched,
    }
}

/// Reduces a finished tally to the facts the rules read.
fn facts(set: &PolicySet, req: &Request, t: &Tally, kms: bool) -> Facts {
    let p = &req.principal;
    let owner = req.resource_account().or(set.resource_account.as_deref());
    let caller = if !p.is_iam() {
        Caller::NotIam
    } else if owner.is_none_or(|o| o == p.account) {
        Caller::SameAccount
    } else {
        Caller::OtherAccount
    };
    let identity = if t.identity.is_some() {
        Identity::Policy
    } else if p.kind == PrincipalKind::Root {
        Identity::RootUser
    } else {
        Identity::Nothing
    };
    Facts {
        explicit_deny: t.deny.is_some(),
        scp_allows: t.scp_fail.is_none(),
        rcp_allows: t.rcp_fail.is_none(),
        kms_key: kms,
        caller,
        resource_names: t.resource.strongest().0,
        identity,
        boundary_allows: set.boundary.is_none() || t.boundary.is_some(),
        session_allows: set.session.is_none() || t.session.is_some(),
        grant_allows: t.grant.is_some(),
    }
}

/// Classifies the tally and names the statements that decided.
fn read_tally<const T: bool>(
    set: &PolicySet,
    req: &Request,
    t: &Tally,
    kms: bool,
    trace: &Trace,
) -> Outcome {
    let rule = classify(&facts(set, req, t, kms));
    let mut deciders = Vec::new();
    if T {
        let mut add = |source: Source, index: usize, effect: Effect| {
            deciders.push(decider(set, trace, source, index, effect));
        };
        let resource = t.resource.strongest().1;
        let identity_side = |add: &mut dyn FnMut(Source, usize, Effect)| {
            if let Some((s, i)) = t.identity {
                add(s, i, Effect::Allow);
            }
            if let Some(i) = t.boundary {
                add(Source::Boundary, i, Effect::Allow);
            }
            if let Some(i) = t.session {
                add(Source::Session, i, Effect::Allow);
            }
        };
        match rule {
            Rule::ExplicitDeny => {
                if let Some((source, i)) = t.deny {
                    add(source, i, Effect::Deny);
                }
            }
            Rule::KeyPolicyAllowsCaller
            | Rule::KeyPolicyAllowsRole
            | Rule::ResourcePolicyAllows => {
                if let Some(i) = resource {
                    add(Source::ResourcePolicy, i, Effect::Allow);
                }
            }
            Rule::KeyPolicyDelegatesToIam | Rule::CrossAccountBothAllow => {
                if let Some(i) = resource {
                    add(Source::ResourcePolicy, i, Effect::Allow);
                }
                identity_side(&mut add);
            }
            Rule::IdentityAllows => identity_side(&mut add),
            Rule::GrantAllows => {
                if let Some(i) = t.grant {
                    add(Source::Grant { index: i }, 0, Effect::Allow);
                }
            }
            // Implicit denies caused by absence name no statement.
            _ => {}
        }
    }
    Outcome { decision: rule.decision(), rule, deciders }
}

fn decider(
    set: &PolicySet,
    trace: &Trace,
    source: Source,
    statement: usize,
    effect: Effect,
) -> Decider {
    let policy = match source {
        Source::ResourcePolicy => set.resource_policy.as_ref().map(|n| n.name.clone()),
        Source::Identity { index } => set.identity.get(index).map(|n| n.name.clone()),
        Source::Boundary => set.boundary.as_ref().map(|n| n.name.clone()),
        Source::Session => set.session.as_ref().map(|n| n.name.clone()),
        Source::Scp { level, index } => {
            set.scps.get(level).and_then(|l| l.get(index)).map(|n| n.name.clone())
        }
        Source::Rcp { level, index } => {
            set.rcps.get(level).and_then(|l| l.get(index)).map(|n| n.name.clone())
        }
        Source::Grant { index } => set.grants.get(index).map(|g| g.label()),
    }
    .unwrap_or_default();
    let label = match source {
        Source::Grant { .. } => policy.clone(),
        _ => trace
            .statement(source, statement)
            .map_or_else(|| format!("#{}", statement + 1), |s| s.label()),
    };
    Decider { source, policy, statement, label, effect }
}
