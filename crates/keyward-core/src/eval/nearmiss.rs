//! The near miss of a denial, in words: the statement (or grant) that would have allowed the
//! request but for one element or condition — checked by lifting that one failure and deciding
//! again — and the service-principal misconception (a key policy naming `"Service":
//! "s3.amazonaws.com"` does not let S3 use the key for a caller).

use super::decide::{decide, Decision, PolicySet};
use super::fix::{apply, statement_mut, Edit};
use super::request::Request;
use super::trace::{CondTrace, GrantTrace, PolicyTrace, Source, StatementTrace, Trace};
use crate::model::{Effect, GrantConstraint, PrincipalType};
use std::sync::Arc;

/// The first sentence of the why for an implicit deny that one element, condition or grant
/// constraint stands between the request and an Allow (None: no such near miss).
pub(crate) fn near_miss(set: &PolicySet, req: &Request, trace: &Trace) -> Option<String> {
    let resource_first = trace
        .policies
        .iter()
        .filter(|p| p.source == Source::ResourcePolicy)
        .chain(trace.policies.iter().filter(|p| p.source != Source::ResourcePolicy));
    // One failure each; a failed condition (the statement names the caller and the action)
    // is the nearest miss, then Action, Resource, and last a Principal that does not name the
    // caller.
    let mut misses: Vec<(u8, &PolicyTrace, &StatementTrace)> = Vec::new();
    for pt in resource_first {
        for st in pt.statements.iter().filter(|s| s.effect == Effect::Allow && !s.applies) {
            if st.failures().len() != 1 {
                continue;
            }
            let order = if st.conditions.iter().any(|c| !c.result) {
                0
            } else if !st.action.matched {
                1
            } else if !st.resource.matched {
                2
            } else {
                3
            };
            misses.push((order, pt, st));
        }
    }
    misses.sort_by_key(|m| m.0);
    // A statement that fails only on its Principal is no near miss ("it would allow you if it
    // named you" holds of every statement): conditions, Action and Resource, then grants.
    misses
        .into_iter()
        .filter(|m| m.0 < 3)
        .find_map(|(_, pt, st)| statement_miss(set, req, pt, st))
        .or_else(|| trace.grants.iter().find_map(|g| grant_miss(set, req, g)))
        .or_else(|| trace.grants.iter().find_map(|g| source_arn_miss(set, req, g)))
}

/// Whose statement, for people: the resource policy's statements by label, others with their
/// policy's name.
fn whose(pt: &PolicyTrace, st: &StatementTrace) -> String {
    match pt.source {
        Source::ResourcePolicy => format!("statement {}", st.label()),
        _ => format!("statement {} of {}", st.label(), pt.name),
    }
}

fn statement_miss(
    set: &PolicySet,
    req: &Request,
    pt: &PolicyTrace,
    st: &StatementTrace,
) -> Option<String> {
    let (source, statement) = (pt.source, st.index);
    let head = whose(pt, st);
    if let Some(c) = st.conditions.iter().find(|c| !c.result) {
        let mut s2 = set.clone();
        let stmt = statement_mut(&mut s2, source, statement)?;
        let i = stmt.conditions.iter().position(|x| x.op.name == c.operator && x.key == c.key)?;
        stmt.conditions.remove(i);
        if decide(&s2, req) != Decision::Allow {
            return None;
        }
        return Some(format!(
            "{head} would allow this, but its condition {} does not hold ({})",
            condition_words(c),
            request_words(c)
        ));
    }
    let (edit, words) = if !st.action.matched && st.action.element == "Action" {
        (
            Edit::AddAction { source, statement, action: req.action.clone() },
            format!(
                "its Action does not list {} (it lists {})",
                req.action,
                st.action.listed.join(", ")
            ),
        )
    } else if !st.resource.matched && st.resource.element == "Resource" {
        (
            Edit::AddResource { source, statement, resource: req.resource.clone() },
            format!("its Resource does not include {}", req.resource),
        )
    } else {
        return None;
    };
    let (s2, r2) = apply(set, req, &edit)?;
    (decide(&s2, &r2) == Decision::Allow).then(|| format!("{head} would allow this, but {words}"))
}

/// `kms:ViaService = a or b`, `StringLike kms:ViaService s3.*`.
fn condition_words(c: &CondTrace) -> String {
    let eq = matches!(
        c.operator.as_str(),
        "StringEquals"
            | "StringEqualsIgnoreCase"
            | "ArnEquals"
            | "NumericEquals"
            | "DateEquals"
            | "Bool"
            | "BinaryEquals"
    );
    let values = c.values.join(" or ");
    if eq {
        format!("{} = {values}", c.key)
    } else {
        format!("{} {} {values}", c.operator, c.key)
    }
}

fn request_words(c: &CondTrace) -> String {
    match c.request.as_deref() {
        None => "the request has none".to_string(),
        Some([one]) => format!("the request has {one}"),
        Some(many) => format!("the request has {}", many.join(", ")),
    }
}

/// `Some` when the request is allowed once grant `index` is changed by `lift`.
fn allows_without(
    set: &PolicySet,
    req: &Request,
    index: usize,
    lift: impl FnOnce(&mut crate::model::Grant),
) -> Option<()> {
    let mut s2 = set.clone();
    let mut lifted = (**set.grants.get(index)?).clone();
    lift(&mut lifted);
    *s2.grants.get_mut(index)? = Arc::new(lifted);
    (decide(&s2, req) == Decision::Allow).then_some(())
}

/// A grant that would allow the request but for its SourceArn constraint: the ARN it wants and
/// the request's `aws:SourceArn`.
fn source_arn_miss(set: &PolicySet, req: &Request, g: &GrantTrace) -> Option<String> {
    if !(g.grantee_matched && g.operation_matched && g.source_arn == Some(false)) {
        return None;
    }
    let want = set.grants.get(g.index)?.source_arn.as_deref()?;
    allows_without(set, req, g.index, |lifted| lifted.source_arn = None)?;
    let have = match req.context.get("aws:SourceArn") {
        Some(crate::eval::CtxValue::One(s)) => format!("is {s}"),
        _ => "is not set (only a service acting for a resource sends it)".to_string(),
    };
    Some(format!(
        "{} would allow this, but its SourceArn constraint ({want}) does not hold: the request's aws:SourceArn {have}",
        g.label
    ))
}

/// A grant whose grantee and operation match but whose constraint fails: which pairs.
fn grant_miss(set: &PolicySet, req: &Request, g: &GrantTrace) -> Option<String> {
    if !(g.grantee_matched && g.operation_matched && matches!(g.constraint, Some((_, false)))) {
        return None;
    }
    let c = set.grants.get(g.index)?.constraint.as_ref()?;
    allows_without(set, req, g.index, |lifted| lifted.constraint = None)?;
    let have: Vec<(&str, &str)> = super::encryption_context_pairs(&req.context).collect();
    let pairs = |v: &[(String, String)]| {
        v.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
    };
    let missing: Vec<(String, String)> = c
        .pairs()
        .iter()
        .filter(|(k, v)| !have.iter().any(|(hk, hv)| hk.eq_ignore_ascii_case(k) && hv == v))
        .cloned()
        .collect();
    let extra: Vec<(String, String)> = match c {
        GrantConstraint::Equals(p) => have
            .iter()
            .filter(|(k, _)| !p.iter().any(|(pk, _)| pk.eq_ignore_ascii_case(k)))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        GrantConstraint::Subset(_) => Vec::new(),
    };
    let mut why = Vec::new();
    if !missing.is_empty() {
        why.push(format!("the request's encryption context lacks {}", pairs(&missing)));
    }
    if !extra.is_empty() {
        why.push(format!(
            "it also has {}, which an Equals constraint does not admit",
            pairs(&extra)
        ));
    }
    Some(format!(
        "{} would allow this, but its {} constraint ({}) does not hold: {}",
        g.label,
        c.type_name(),
        pairs(c.pairs()),
        why.join("; ")
    ))
}

/// The service principal misconception: the key policy names an AWS service principal, and an
/// IAM caller (who may be using that service) is denied.
pub(crate) fn service_principal_note(set: &PolicySet, req: &Request) -> Option<String> {
    if !req.principal.is_iam() {
        return None;
    }
    let np = set.resource_policy.as_ref()?;
    let via = req.context.single_lc("kms:viaservice");
    // A statement that allows a service principal this very action, when the request comes
    // through that service or directly.
    let (st, entry) =
        np.policy.statements.iter().filter(|s| s.effect == Effect::Allow).find_map(|s| {
            if s.actions.negated
                || !s.actions.patterns.iter().any(|p| p.glob.matches(&req.action_lc))
            {
                return None;
            }
            let e = s.principal.as_ref()?.entries.iter().find(|e| {
                let svc = e.text.split('.').next().unwrap_or(&e.text);
                e.kind == PrincipalType::Service
                    && via.as_deref().is_none_or(|v| v.split('.').next() == Some(svc))
            })?;
            Some((s, e))
        })?;
    let svc = entry.text.split('.').next().unwrap_or(&entry.text);
    let region = req
        .context
        .single_lc("aws:requestedregion")
        .or_else(|| req.resource.split(':').nth(3).filter(|r| !r.is_empty()).map(str::to_string))
        .unwrap_or_else(|| "REGION".to_string());
    let name = service_name(svc);
    Some(format!(
        "statement {} names the service principal {}, but that does not let {name} use the key on a caller's behalf: {name} calls KMS as the caller ({}), with kms:ViaService = {svc}.{region}.amazonaws.com, so the key policy must allow the caller or its account (a kms:ViaService condition keeps it to {name})",
        st.label(),
        entry.text,
        req.principal.arn
    ))
}

fn service_name(svc: &str) -> String {
    match svc {
        "s3" => "S3",
        "ec2" => "EC2",
        "rds" => "RDS",
        "sqs" => "SQS",
        "sns" => "SNS",
        "lambda" => "Lambda",
        "secretsmanager" => "Secrets Manager",
        "ssm" => "Systems Manager",
        "logs" => "CloudWatch Logs",
        "dynamodb" => "DynamoDB",
        "cloudtrail" => "CloudTrail",
        "ebs" => "EBS",
        other => other,
    }
    .to_string()
}

/// For a cross-account denial: a statement of the resource policy that names the caller or its
/// account, matches the action and the resource, and fails only on conditions.
pub(crate) fn names_account_with_conditions(trace: &Trace) -> Option<&StatementTrace> {
    trace
        .policies
        .iter()
        .filter(|p| p.source == Source::ResourcePolicy)
        .flat_map(|p| &p.statements)
        .find(|s| {
            s.effect == Effect::Allow
                && !s.applies
                && s.action.matched
                && s.resource.matched
                && s.principal.as_ref().is_some_and(|p| p.matched)
                && s.conditions.iter().any(|c| !c.result)
        })
}

/// A Principal element that lists only AWS service principals: adding a user or role to it
/// would be no near miss but a misreading of it (see [`service_principal_note`]).
pub(crate) fn names_only_services(p: &super::trace::ElementTrace) -> bool {
    !p.listed.is_empty() && p.listed.iter().all(|l| l.starts_with("Service:"))
}
