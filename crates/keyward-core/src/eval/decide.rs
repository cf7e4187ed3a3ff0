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
use super::rules::{classify, Caller, Facts, Identity, Names, Retire};
use super::trace::{Decider, GrantTrace, PolicyTrace, PrincipalHow, Source, Trace};
use crate::model::{Effect, Grant, GrantConstraint, Policy, PolicyKind};
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
    /// For RetireGrant: the grant to retire. Its retiring principal, grantee and issuing
    /// account decide who may retire it; without it, only the key's account may.
    pub grant_to_retire: Option<Arc<Grant>>,
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
    grant_exceeded: bool,
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

/// Sorts the statements of one policy. `boundary`: the caller has a permissions boundary (a
/// Deny with NotPrincipal then always applies to it).
fn scan<const T: bool>(
    np: &NamedPolicy,
    source: Source,
    req: &Request,
    boundary: bool,
    trace: &mut Trace,
) -> Scan {
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
        let r = eval_statement::<T>(&np.policy, stmt, req, boundary);
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
    let bounded = set.boundary.is_some() && p.is_iam();
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
                let s = scan::<T>(np, source, req, bounded, trace);
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
                let s = scan::<T>(np, source, req, bounded, trace);
                note_deny(&mut t, source, &s);
                allowed |= s.allow.is_some();
            }
            if !allowed {
                t.rcp_fail.get_or_insert(level);
            }
        }
    }
    if !T && t.deny.is_some() {
        return read_tally::<T>(set, &t, Rule::ExplicitDeny, trace);
    }
    if let Some(np) = &set.resource_policy {
        let s = scan::<T>(np, Source::ResourcePolicy, req, bounded, trace);
        note_deny(&mut t, Source::ResourcePolicy, &s);
        t.resource = s;
    }
    if p.is_iam() {
        for (index, np) in set.identity.iter().enumerate() {
            let source = Source::Identity { index };
            let s = scan::<T>(np, source, req, bounded, trace);
            note_deny(&mut t, source, &s);
            if let (None, Some(i)) = (t.identity, s.allow) {
                t.identity = Some((source, i));
            }
        }
        if let Some(np) = &set.boundary {
            let s = scan::<T>(np, Source::Boundary, req, bounded, trace);
            note_deny(&mut t, Source::Boundary, &s);
            t.boundary = s.allow;
        }
        if let Some(np) = &set.session {
            let s = scan::<T>(np, Source::Session, req, bounded, trace);
            note_deny(&mut t, Source::Session, &s);
            t.session = s.allow;
        }
    }
    let kms = req.is_kms_key()
        || set.resource_policy.as_ref().is_some_and(|np| np.policy.kind == PolicyKind::Key);
    // An explicit deny decides whatever the rest of the tally says (the classifier's first arm).
    if !T && t.deny.is_some() {
        return read_tally::<T>(set, &t, Rule::ExplicitDeny, trace);
    }
    let mut f = facts(set, req, &t, kms);
    // Grants change no decision that the policies alone make Allow or ExplicitDeny
    // (`rules_tests.rs` checks it on every combination of facts): the fast path tallies them
    // only when the policies leave an implicit deny.
    let mut rule = classify(&f);
    if kms && (T || rule.decision() == Decision::ImplicitDeny) {
        (t.grant, t.grant_exceeded) = grants::<T>(set, req, &t, trace);
        f.grant_allows = t.grant.is_some();
        f.grant_exceeded = t.grant_exceeded;
        rule = classify(&f);
    }
    read_tally::<T>(set, &t, rule, trace)
}

/// Checks grants: allow-only; grantee, operation, encryption-context constraint and SourceArn
/// constraint (the request's `aws:SourceArn` must equal it; not for RetireGrant, as AWS
/// documents); for CreateGrant, that the grant requested stays within the grant. Returns the first grant that
/// applies, and whether some grant failed only because the grant requested exceeds it.
fn grants<const T: bool>(
    set: &PolicySet,
    req: &Request,
    t: &Tally,
    trace: &mut Trace,
) -> (Option<usize>, bool) {
    let mut first = None;
    let mut exceeded = false;
    let op_takes_ec = set.grants.iter().any(|g| g.constraint.is_some())
        && super::action_takes_encryption_context(&req.action);
    let creating = req.action_lc == "kms:creategrant";
    let source_arn_applies = req.action_lc != "kms:retiregrant";
    for (index, g) in set.grants.iter().enumerate() {
        if !T && first.is_some() {
            break;
        }
        let operation_matched = g.allows_operation(&req.action);
        if !T && !operation_matched {
            continue;
        }
        let how = grantee_match(&g.grantee, &req.principal);
        // A grant to an account principal delegates like a key policy does: the account's
        // IAM policies must allow the caller.
        let grantee_matched = match how {
            PrincipalHow::Direct | PrincipalHow::Role => true,
            PrincipalHow::Account => t.identity.is_some(),
            _ => false,
        };
        let constraint = g
            .constraint
            .as_ref()
            .filter(|_| op_takes_ec)
            .map(|c| (c.type_name(), c.holds(super::encryption_context_pairs(&req.context))));
        let source_arn = g
            .source_arn
            .as_deref()
            .filter(|_| source_arn_applies)
            .map(|want| source_arn_is(&req.context, want));
        // For CreateGrant the constraint compares the grant requested with this one, which
        // is part of staying within it.
        let usable = grantee_matched
            && operation_matched
            && source_arn != Some(false)
            && (creating || constraint.as_ref().is_none_or(|c| c.1));
        let within = (creating && usable).then(|| within_parent(g, &req.context));
        exceeded |= within == Some(false);
        let applies = usable && within != Some(false);
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
                source_arn,
                within_parent: within,
                applies,
            });
        }
    }
    (first, exceeded)
}

/// Whether the request's `aws:SourceArn` is `want` (ARNs compare exactly).
fn source_arn_is(ctx: &super::request::Context, want: &str) -> bool {
    matches!(ctx.get_lc("aws:sourcearn"), Some(super::CtxValue::One(s)) if s == want)
}

/// KMS *Creating grants*, "Granting CreateGrant permission": a grant created with CreateGrant
/// permission from `parent` allows some or all of its operations, and its constraint is at
/// least as strict (EncryptionContextSubset may gain pairs or become EncryptionContextEquals;
/// EncryptionContextEquals stays as it is). The grant requested is read from the context keys
/// CreateGrant carries: `kms:GrantOperations`, `kms:GrantConstraintType` and the constraint's
/// pairs as `kms:EncryptionContext:*`.
fn within_parent(parent: &Grant, ctx: &super::request::Context) -> bool {
    let ops_ok = ctx
        .get_lc("kms:grantoperations")
        .is_none_or(|ops| ops.as_slice().iter().all(|op| parent.allows_operation(op)));
    let constraint_ok = match &parent.constraint {
        None => true,
        Some(c) => {
            let child = ctx.single_lc("kms:grantconstrainttype");
            let type_ok = match c {
                GrantConstraint::Subset(_) => child.is_some(),
                GrantConstraint::Equals(_) => child.as_deref() == Some("EncryptionContextEquals"),
            };
            type_ok && c.holds(super::encryption_context_pairs(ctx))
        }
    };
    ops_ok && constraint_ok
}

/// KMS *Retiring and revoking grants*: who the grant lets retire it. The retiring principal,
/// the grantee when the grant includes RetireGrant (an account principal in either role
/// delegates to that account's IAM policies), or the account in which the grant was created
/// (its root user, or a principal its IAM policies allow).
fn retire_right(set: &PolicySet, req: &Request, t: &Tally) -> Retire {
    if req.action_lc != "kms:retiregrant" {
        return Retire::NotAsked;
    }
    let p = &req.principal;
    let capped = (set.boundary.is_none() || t.boundary.is_some())
        && (set.session.is_none() || t.session.is_some());
    let iam_allows =
        p.kind == PrincipalKind::Root || (p.is_iam() && t.identity.is_some() && capped);
    let names = |who: &str| match grantee_match(who, p) {
        PrincipalHow::Direct | PrincipalHow::Role => true,
        PrincipalHow::Account => iam_allows,
        PrincipalHow::NotApplicable | PrincipalHow::NotMatched => false,
    };
    let g = set.grant_to_retire.as_deref();
    if g.and_then(|g| g.retiring_principal.as_deref()).is_some_and(names) {
        return Retire::RetiringPrincipal;
    }
    if g.is_some_and(|g| g.allows_operation("RetireGrant") && names(&g.grantee)) {
        return Retire::Grantee;
    }
    let account = match g.and_then(|g| g.issuing_account.as_deref()) {
        Some(a) if a.starts_with("arn:") => a.split(':').nth(4),
        Some(a) => Some(a),
        None => req.resource_account().or(set.resource_account.as_deref()),
    };
    if p.is_iam() && account == Some(p.account.as_str()) && iam_allows {
        Retire::GrantAccount
    } else {
        Retire::Nobody
    }
}

/// How a grant's grantee names the caller, read without allocating.
fn grantee_match(grantee: &str, p: &Principal) -> PrincipalHow {
    if grantee == p.arn && p.kind != PrincipalKind::Anonymous {
        return PrincipalHow::Direct;
    }
    if !p.is_iam() {
        return PrincipalHow::NotMatched;
    }
    // arn:PARTITION:iam:REGION:ACCOUNT:RESOURCE, with the caller's account.
    let resource = grantee
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(':'))
        .and_then(|(_, r)| r.strip_prefix("iam:"))
        .and_then(|r| r.split_once(':'))
        .and_then(|(_, r)| r.strip_prefix(p.account.as_str()))
        .and_then(|r| r.strip_prefix(':'));
    match resource {
        Some("root") if p.kind == PrincipalKind::Root => PrincipalHow::Direct,
        Some("root") => PrincipalHow::Account,
        Some(r) => match r.strip_prefix("role/") {
            Some(r) if p.role_name.as_deref() == r.rsplit('/').next() => PrincipalHow::Role,
            _ => PrincipalHow::NotMatched,
        },
        None => PrincipalHow::NotMatched,
    }
}

/// Reduces a finished tally to the facts the rules read.
#[inline]
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
        // Read only where a rule reads it: a KMS key of another account.
        cross_account_action: !(kms && caller == Caller::OtherAccount)
            || super::xaccount::callable_across_accounts(&req.action_lc) != Some(false),
        grant_exceeded: t.grant_exceeded,
        retire: if kms { retire_right(set, req, t) } else { Retire::NotAsked },
    }
}

/// Names the statements behind the rule the tally's facts fall under.
fn read_tally<const T: bool>(set: &PolicySet, t: &Tally, rule: Rule, trace: &Trace) -> Outcome {
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
            Rule::IdentityAllows | Rule::GrantAccountRetires => identity_side(&mut add),
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
