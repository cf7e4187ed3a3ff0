//! From a scenario case to a call: the principal, its policies, the key or resource, and the
//! policy set; the request itself comes from [`keyward_core::eval::call`].

use crate::{Case, KeyDef, PrincipalDef, Scenario};
use keyward_core::eval::call::{arn_account, default_key_policy, Call, KeyFacts, MultiRegion};
use keyward_core::eval::{CtxValue, PolicySet, Principal, PrincipalKind, Request};

/// Finds a key by local name, key id, key ARN, alias name or alias ARN; returns it and the
/// alias used, if any.
pub(crate) fn find_key<'s>(s: &'s Scenario, r: &str) -> Option<(&'s KeyDef, Option<String>)> {
    if let Some(k) =
        s.keys.iter().find(|k| k.name == r || k.arn == r || k.arn.rsplit('/').next() == Some(r))
    {
        return Some((k, None));
    }
    let alias = match r.split_once(":alias/") {
        Some((_, name)) => format!("alias/{name}"),
        None if r.starts_with("alias/") => r.to_string(),
        None => return None,
    };
    s.keys.iter().find(|k| k.aliases.contains(&alias)).map(|k| (k, Some(alias)))
}

/// The grant a RetireGrant case retires: the one `grant_id` names, else the key's only grant
/// (none when the key has no grant).
fn grant_to_retire(
    key: &KeyDef,
    grant_id: Option<&str>,
) -> Result<Option<std::sync::Arc<keyward_core::model::Grant>>, String> {
    match (grant_id, key.grants.as_slice()) {
        (Some(id), grants) => grants
            .iter()
            .find(|g| g.grant_id.as_deref() == Some(id))
            .cloned()
            .map(Some)
            .ok_or_else(|| format!("key `{}` has no grant `{id}` (grant_id)", key.name)),
        (None, []) => Ok(None),
        (None, [one]) => Ok(Some(std::sync::Arc::clone(one))),
        (None, many) => Err(format!(
            "key `{}` has {} grants: name the one to retire with `grant_id`",
            key.name,
            many.len()
        )),
    }
}

/// The caller of a case: its principal (a session knows its role's ARN) and its entry under
/// `principals`, if any.
pub(crate) fn caller<'s>(
    s: &'s Scenario,
    arn: &str,
) -> Result<(Principal, Option<&'s PrincipalDef>), String> {
    let mut principal = Principal::parse(arn)?;
    let def = s.principals.iter().find(|d| match principal.kind {
        PrincipalKind::AssumedRole | PrincipalKind::Role => {
            Principal::parse(&d.arn).is_ok_and(|r| {
                r.kind == PrincipalKind::Role
                    && r.account == principal.account
                    && r.role_name == principal.role_name
            })
        }
        _ => {
            d.arn == principal.arn
                || d.arn == principal.account && principal.kind == PrincipalKind::Root
        }
    });
    if let (Some(d), PrincipalKind::AssumedRole) = (def, principal.kind) {
        principal.role_arn = Some(d.arn.clone());
    }
    Ok((principal, def))
}

/// The caller's side of a policy set (identity policies, boundary, session policy, SCPs) and
/// the RCPs of the resource's account.
pub(crate) fn sides(
    s: &Scenario,
    case: &Case,
    principal: &Principal,
    def: Option<&PrincipalDef>,
    resource: &str,
    set: &mut PolicySet,
) {
    if let Some(d) = def {
        set.identity = d.policies.clone();
        set.boundary = d.boundary.clone();
    }
    set.session = case.session_policy.clone();
    let home = s.defaults.account.as_deref();
    if principal.is_iam() && home.is_none_or(|h| h == principal.account) {
        set.scps = s.scps.clone();
    }
    let resource_account =
        set.resource_account.clone().or_else(|| arn_account(resource).map(str::to_string));
    if home.is_none() || resource_account.as_deref().is_none_or(|a| Some(a) == home) {
        set.rcps = s.rcps.clone();
    }
}

/// The resource policy of a non-KMS resource (by ARN or ARN pattern).
pub(crate) fn resource_policy(s: &Scenario, res: &str) -> Option<keyward_core::eval::NamedPolicy> {
    s.resources
        .iter()
        .find(|(pat, _)| pat == res || keyward_core::pattern::ArnGlob::new(pat).matches(res))
        .map(|(_, np)| np.clone())
}

/// The facts of a scenario key.
pub(crate) fn key_facts(key: &KeyDef) -> KeyFacts {
    KeyFacts {
        spec: Some(key.key_spec.clone()),
        usage: Some(key.key_usage.clone()),
        origin: Some(key.key_origin.clone()),
        aliases: key.aliases.clone(),
        tags: key.tags.clone(),
        multi_region: key.multi_region.then_some(MultiRegion::Primary),
    }
}

/// Builds the policy set and request of one case.
pub fn build_case(s: &Scenario, case: &Case) -> Result<(PolicySet, Request), String> {
    if case.service_call.is_some() {
        return Err("a service-call case decides several requests (see service_steps)".into());
    }
    let (principal, def) = caller(s, &case.principal)?;
    let mut set = PolicySet::default();
    let mut call = Call {
        action: case.action.clone(),
        principal_tags: def.map(|d| d.tags.clone()).unwrap_or_default(),
        principal_id: def.and_then(|d| d.id.clone()),
        encryption_context: case.encryption_context.clone(),
        via_service: case.via_service.clone(),
        time: s.defaults.time.clone(),
        region: s.defaults.region.clone(),
        create_grant: case.create_grant.clone(),
        extra: case.context.clone(),
        ..Call::default()
    };
    match (&case.key, &case.resource) {
        (Some(kref), _) => {
            let (key, alias) =
                find_key(s, kref).ok_or_else(|| format!("no key `{kref}` in the scenario"))?;
            let key_account = key.arn.split(':').nth(4).unwrap_or_default().to_string();
            call.resource = key.arn.clone();
            call.region = key.arn.split(':').nth(3).map(str::to_string).or(call.region);
            call.key = key_facts(key);
            call.request_alias = alias;
            set.resource_policy =
                Some(key.policy.clone().unwrap_or_else(|| default_key_policy(&key_account)));
            set.grants = key.grants.clone();
            set.resource_account = Some(key_account);
            if case.action.eq_ignore_ascii_case("kms:RetireGrant") {
                set.grant_to_retire = grant_to_retire(key, case.grant_id.as_deref())?;
            }
        }
        (None, Some(res)) => {
            call.resource = res.clone();
            // An ARN without an account (S3 buckets) belongs to the scenario's account.
            set.resource_account = s.defaults.account.clone();
            set.resource_policy = resource_policy(s, res);
        }
        (None, None) => call.resource = "*".to_string(),
    }
    sides(s, case, &principal, def, &call.resource, &mut set);
    if let Some((_, CtxValue::One(t))) =
        case.context.iter().find(|(k, _)| k.eq_ignore_ascii_case("aws:CurrentTime"))
    {
        call.time = Some(t.clone());
    }
    Ok((set, call.request(principal)))
}
