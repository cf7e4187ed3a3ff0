//! Deciding IAM and STS calls with keyward's evaluator: every IAM call on the caller's identity
//! policies, boundary and session policy (`iam:CreateRole` on the role's ARN), and AssumeRole
//! on the role's trust policy together with the caller's own policies (which a cross-account
//! caller needs, and which a trust policy naming only the account delegates to).

use crate::{Ctx, IamError};
use keyward_core::eval::call::{Call, Network};
use keyward_core::eval::{
    decide_traced, CtxValue, Decision, NamedPolicy, PolicySet, Principal, PrincipalKind, Rule,
    Source,
};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::parse_policy;
use keyward_kms::record::IdentityRecord;
use keyward_kms::Kms;

/// Parses a stored policy; one that no longer parses denies everything (fail closed).
fn named(name: &str, text: &str, kind: PolicyKind) -> Option<NamedPolicy> {
    let deny =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    let parsed = parse_policy(text, kind, Limits::default()).0;
    parsed
        .or_else(|| parse_policy(deny, kind, Limits::default()).0)
        .map(|p| NamedPolicy::new(name, p))
}

/// The identity record behind a principal: the user, or the role of a session.
pub fn identity_of<'k>(kms: &'k Kms, p: &Principal) -> Option<&'k IdentityRecord> {
    let ids = kms.identities();
    match p.kind {
        PrincipalKind::AssumedRole => {
            let prefix = format!("arn:aws:iam::{}:role/", p.account);
            ids.into_iter().find(|i| {
                i.arn.starts_with(&prefix) && i.arn.rsplit('/').next() == p.role_name.as_deref()
            })
        }
        _ => ids.into_iter().find(|i| i.arn == p.arn),
    }
}

/// The caller's policies and the request for `action` on `resource`.
fn request(
    kms: &Kms,
    ctx: &Ctx<'_>,
    p: &Principal,
    action: &str,
    resource: &str,
    extra: Vec<(String, CtxValue)>,
) -> (PolicySet, keyward_core::eval::Request) {
    let mut set = PolicySet::default();
    let id = identity_of(kms, p);
    if let Some(i) = id {
        set.identity =
            i.policies.iter().filter_map(|(n, t)| named(n, t, PolicyKind::Identity)).collect();
        set.boundary =
            i.boundary.as_deref().and_then(|b| named("boundary", b, PolicyKind::Boundary));
    }
    if let Some(s) = &ctx.caller.session_policy {
        set.session = named("session policy", s, PolicyKind::Session);
    }
    let call = Call {
        action: action.to_string(),
        resource: resource.to_string(),
        region: Some("us-east-1".to_string()),
        time: Some(crate::model::iso(ctx.caller.now_ms)),
        principal_id: id.map(|i| i.unique_id.clone()),
        principal_tags: id
            .map(|i| i.tags.iter().map(|t| (t.tag_key.clone(), t.tag_value.clone())).collect())
            .unwrap_or_default(),
        network: Network { source_ip: ctx.caller.source_ip.clone(), source_vpce: None },
        extra: ctx
            .caller
            .extra_context
            .iter()
            .map(|(k, v)| (k.clone(), CtxValue::One(v.clone())))
            .chain(extra)
            .collect(),
        ..Call::default()
    };
    (set, call.request(p.clone()))
}

fn principal(ctx: &Ctx<'_>) -> Result<Principal, IamError> {
    Principal::parse(&ctx.caller.principal).map_err(|e| {
        IamError::new(403, "InvalidClientTokenId", format!("The caller is not valid: {e}"))
    })
}

/// Authorizes an IAM call (`iam:Action` on `resource`) with the caller's identity policies,
/// boundary and session policy; AWS's AccessDenied otherwise. The dev principal passes.
pub fn authorize(kms: &Kms, ctx: &Ctx<'_>, action: &str, resource: &str) -> Result<(), IamError> {
    if ctx.admin {
        return Ok(());
    }
    let p = principal(ctx)?;
    let (set, req) = request(kms, ctx, &p, action, resource, Vec::new());
    let (outcome, _) = decide_traced(&set, &req);
    if outcome.decision == Decision::Allow {
        return Ok(());
    }
    let tail = match outcome.rule {
        Rule::ExplicitDeny => {
            let kind = match outcome.deciders.first().map(|d| &d.source) {
                Some(Source::Boundary) => "a permissions boundary",
                Some(Source::Session) => "a session policy",
                _ => "an identity-based policy",
            };
            format!(" with an explicit deny in {kind}")
        }
        Rule::BoundaryNoAllow => {
            format!(" because no permissions boundary allows the {action} action")
        }
        Rule::SessionNoAllow => format!(" because no session policy allows the {action} action"),
        _ => format!(" because no identity-based policy allows the {action} action"),
    };
    Err(IamError::denied(format!(
        "User: {} is not authorized to perform: {action} on resource: {resource}{tail}",
        p.arn
    )))
}

/// AssumeRole's decision: the role's trust policy (a resource policy of the role's account)
/// with the caller's policies, over the request's `sts:*` and `aws:*` keys in `extra`.
pub fn trust_for(
    kms: &Kms,
    ctx: &Ctx<'_>,
    action: &str,
    role_arn: &str,
    trust_policy: &str,
    extra: Vec<(String, CtxValue)>,
) -> Result<Decision, IamError> {
    let p = principal(ctx)?;
    let (mut set, req) = request(kms, ctx, &p, action, role_arn, extra);
    let text = crate::model::trust_for_eval(trust_policy);
    set.resource_policy = named("trust policy", &text, PolicyKind::Key);
    set.resource_account = role_arn.split(':').nth(4).map(str::to_string);
    if ctx.admin && p.account == set.resource_account.clone().unwrap_or_default() {
        // The dev principal stands for the account's administrator: the trust policy must
        // still name it (or its account).
        set.identity.extend(named(
            "AdministratorAccess",
            keyward_kms::account::ADMIN_POLICY,
            PolicyKind::Identity,
        ));
    }
    Ok(decide_traced(&set, &req).0.decision)
}
