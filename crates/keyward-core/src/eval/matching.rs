//! Does a statement apply to a request? Action, resource, principal and conditions.
//!
//! One function serves the fast path and the trace: with `T = false` it stops at the first
//! element that fails and records nothing; with `T = true` it checks every element and records
//! how each one fared, so a person (and the fix finder) can see all that failed.

use super::condition::eval_condition;
use super::request::{Principal, PrincipalKind, Request};
use super::trace::{CondTrace, ElementTrace, PrincipalHow, StatementTrace};
use crate::model::{
    AwsPrincipal, Effect, Policy, PrincipalEntry, PrincipalSpec, PrincipalType, ResourceMatcher,
    Statement,
};
use crate::pattern::ArnGlob;

/// The result of checking one statement.
#[derive(Debug)]
pub(crate) struct StmtEval {
    /// True when every element matched.
    pub applies: bool,
    /// How the principal matched (resource-side policies).
    pub how: PrincipalHow,
    /// Details, when tracing.
    pub trace: Option<StatementTrace>,
}

/// Checks `stmt` of `policy` against `req`.
#[inline]
pub(crate) fn eval_statement<const T: bool>(
    policy: &Policy,
    stmt: &Statement,
    req: &Request,
    boundary: bool,
) -> StmtEval {
    let lookup = |k: &str| req.context.single_lc(k);
    let action_ok = stmt.actions.patterns.iter().any(|p| p.glob.matches(&req.action_lc))
        != stmt.actions.negated;
    if !T && !action_ok {
        return StmtEval { applies: false, how: PrincipalHow::NotMatched, trace: None };
    }
    let resource_ok = stmt.resources.patterns.iter().any(|p| match &p.pattern {
        ResourceMatcher::Arn(g) => g.matches(&req.resource),
        ResourceMatcher::Template(t) => t
            .resolve_toks(&lookup)
            .is_some_and(|toks| ArnGlob::from_toks(&toks).matches(&req.resource)),
    }) != stmt.resources.negated;
    if !T && !resource_ok {
        return StmtEval { applies: false, how: PrincipalHow::NotMatched, trace: None };
    }
    let how = match &stmt.principal {
        Some(spec) => {
            match_principal(spec, &req.principal, boundary && stmt.effect == Effect::Deny)
        }
        None => PrincipalHow::NotApplicable,
    };
    let principal_ok = how != PrincipalHow::NotMatched;
    if !T && !principal_ok {
        return StmtEval { applies: false, how, trace: None };
    }
    if !T {
        let conds_ok = stmt.conditions.iter().all(|c| eval_condition(c, &req.context, None));
        return StmtEval { applies: conds_ok, how, trace: None };
    }
    let mut conds = Vec::with_capacity(stmt.conditions.len());
    let mut conds_ok = true;
    for c in &stmt.conditions {
        let mut ct = CondTrace::new(c);
        conds_ok &= eval_condition(c, &req.context, Some(&mut ct));
        conds.push(ct);
    }
    let applies = action_ok && resource_ok && principal_ok && conds_ok;
    let trace = StatementTrace {
        index: stmt.index,
        sid: stmt.sid.clone(),
        effect: stmt.effect,
        action: ElementTrace {
            matched: action_ok,
            element: if stmt.actions.negated { "NotAction" } else { "Action" },
            listed: stmt.actions.patterns.iter().map(|p| p.text.clone()).collect(),
        },
        resource: ElementTrace {
            matched: resource_ok,
            element: if stmt.resources.negated { "NotResource" } else { "Resource" },
            listed: stmt.resources.patterns.iter().map(|p| p.text.clone()).collect(),
        },
        principal: stmt.principal.as_ref().map(|spec| ElementTrace {
            matched: principal_ok,
            element: if spec.negated { "NotPrincipal" } else { "Principal" },
            listed: if spec.any && spec.entries.is_empty() {
                vec!["*".to_string()]
            } else {
                spec.entries.iter().map(|e| format!("{}:{}", e.kind.key(), e.text)).collect()
            },
        }),
        principal_how: how,
        conditions: conds,
        applies,
        span: stmt.span,
        statement_count: policy.statement_count,
    };
    StmtEval { applies, how, trace: Some(trace) }
}

/// Whether `stmt`'s Action and Resource elements target `action_lc` (lower case) on
/// `resource`, as [`eval_statement`] decides them; `None` when a Resource pattern has policy
/// variables (the answer then depends on the request context). A statement answered `false`
/// never applies to such a request, whatever its principal and conditions.
pub fn statement_targets(stmt: &Statement, action_lc: &str, resource: &str) -> Option<bool> {
    let action_ok =
        stmt.actions.patterns.iter().any(|p| p.glob.matches(action_lc)) != stmt.actions.negated;
    if !action_ok {
        return Some(false);
    }
    resource_targets(stmt, resource)
}

/// Whether `stmt`'s Resource element matches `resource` (`None` when a pattern has policy
/// variables).
pub fn resource_targets(stmt: &Statement, resource: &str) -> Option<bool> {
    let mut any = false;
    for p in &stmt.resources.patterns {
        match &p.pattern {
            ResourceMatcher::Arn(g) => any |= g.matches(resource),
            ResourceMatcher::Template(_) => return None,
        }
    }
    Some(any != stmt.resources.negated)
}

/// How (and whether) a Principal/NotPrincipal element matches the caller. For `Principal`,
/// the strongest way wins: directly (user, session, `*`, root via its account), via the role
/// of a session, or via the caller's account principal (delegation to IAM).
///
/// `deny_with_boundary`: the statement is a Deny and the caller has a permissions boundary. IAM
/// User Guide, *Permissions boundaries for IAM entities*: a Deny with NotPrincipal "will always
/// deny any IAM principal that has a permissions boundary policy attached, regardless of the
/// values specified in the NotPrincipal element".
pub(crate) fn match_principal(
    spec: &PrincipalSpec,
    p: &Principal,
    deny_with_boundary: bool,
) -> PrincipalHow {
    if spec.negated {
        return if (deny_with_boundary && p.is_iam()) || not_principal_applies(spec, p) {
            PrincipalHow::Direct
        } else {
            PrincipalHow::NotMatched
        };
    }
    if spec.any {
        return PrincipalHow::Direct;
    }
    let mut best = PrincipalHow::NotMatched;
    for e in &spec.entries {
        let how = match_entry(e, p);
        if how.rank() > best.rank() {
            best = how;
        }
    }
    best
}

fn match_entry(e: &PrincipalEntry, p: &Principal) -> PrincipalHow {
    match e.kind {
        PrincipalType::Service => {
            if p.kind == PrincipalKind::Service && p.arn == e.text {
                PrincipalHow::Direct
            } else {
                PrincipalHow::NotMatched
            }
        }
        PrincipalType::Federated | PrincipalType::CanonicalUser => PrincipalHow::NotMatched,
        PrincipalType::Aws => match &e.aws {
            AwsPrincipal::Any => PrincipalHow::Direct,
            AwsPrincipal::Account(a) if p.is_iam() && p.account == *a => {
                if p.kind == PrincipalKind::Root {
                    PrincipalHow::Direct
                } else {
                    PrincipalHow::Account
                }
            }
            AwsPrincipal::User(arn) if p.kind == PrincipalKind::User && p.arn == *arn => {
                PrincipalHow::Direct
            }
            // Role names are unique in an account whatever their path, so a session ARN (which
            // carries no path) matches `role/path/Name` by account and name.
            AwsPrincipal::Role { account, name, .. } => match p.kind {
                PrincipalKind::Role | PrincipalKind::AssumedRole
                    if p.account == *account && p.role_name.as_deref() == Some(name.as_str()) =>
                {
                    PrincipalHow::Role
                }
                _ => PrincipalHow::NotMatched,
            },
            AwsPrincipal::Session(arn) | AwsPrincipal::Other(arn) if p.arn == *arn => {
                PrincipalHow::Direct
            }
            _ => PrincipalHow::NotMatched,
        },
    }
}

/// `NotPrincipal` applies unless every identity of the caller is excluded: the caller's own ARN
/// (session ARN for sessions) and, for IAM principals, its account principal. This is why AWS
/// says a `Deny` with `NotPrincipal` must list the account as well as the user or session.
fn not_principal_applies(spec: &PrincipalSpec, p: &Principal) -> bool {
    if spec.any {
        return false;
    }
    let excluded = |id: &str, is_account: bool| {
        spec.entries.iter().any(|e| match (&e.kind, &e.aws) {
            (_, AwsPrincipal::Any) => true,
            (PrincipalType::Aws, AwsPrincipal::Account(a)) => is_account && p.account == *a,
            (PrincipalType::Aws, AwsPrincipal::Role { arn, .. }) => {
                p.kind == PrincipalKind::Role && id == arn
            }
            (
                PrincipalType::Aws,
                AwsPrincipal::User(arn) | AwsPrincipal::Session(arn) | AwsPrincipal::Other(arn),
            ) => id == arn,
            (PrincipalType::Service, _) => p.kind == PrincipalKind::Service && id == e.text,
            _ => false,
        })
    };
    let own_excluded = if p.kind == PrincipalKind::Root {
        excluded(&p.arn, true)
    } else {
        excluded(&p.arn, false)
    };
    if !own_excluded {
        return true;
    }
    p.is_iam() && p.kind != PrincipalKind::Root && !excluded(&p.account_arn(), true)
}
