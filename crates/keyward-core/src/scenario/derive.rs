//! From a call to a request: the principal, resource and the context keys AWS derives.

use super::{Case, KeyDef, Scenario};
use crate::eval::{Context, CtxValue, NamedPolicy, PolicySet, Principal, PrincipalKind, Request};
use crate::json::Limits;
use crate::model::parse_date;
use crate::model::PolicyKind;
use crate::parse::parse_policy;

/// What a KMS (or other) call says about itself, from which the context is derived.
#[derive(Debug, Clone, Default)]
pub struct KmsCall {
    /// Action, e.g. `kms:Decrypt`.
    pub action: String,
    /// Resource ARN (`*` for account-level actions).
    pub resource: String,
    /// Tags of the caller (or of its role).
    pub principal_tags: Vec<(String, String)>,
    /// Unique id of the caller (AIDA.../AROA...).
    pub principal_id: Option<String>,
    /// Key properties, when the resource is a key: spec, usage, origin.
    pub key_spec: Option<String>,
    /// KeyUsage.
    pub key_usage: Option<String>,
    /// Origin.
    pub key_origin: Option<String>,
    /// Aliases of the key (`kms:ResourceAliases`).
    pub key_aliases: Vec<String>,
    /// Tags of the key (`aws:ResourceTag/*`).
    pub key_tags: Vec<(String, String)>,
    /// The alias the request named the key by (`kms:RequestAlias`).
    pub request_alias: Option<String>,
    /// Encryption context.
    pub encryption_context: Vec<(String, String)>,
    /// kms:ViaService.
    pub via_service: Option<String>,
    /// Request time (RFC 3339 or epoch seconds).
    pub time: Option<String>,
    /// Region of the request.
    pub region: Option<String>,
    /// For CreateGrant: the grant being created (kms:GrantOperations, kms:GranteePrincipal,
    /// kms:RetiringPrincipal, kms:GrantConstraintType and, for its constraint's pairs,
    /// kms:EncryptionContext:*).
    pub create_grant: Option<crate::model::Grant>,
}

const CRYPTO_WITH_ALGORITHM: &[&str] = &[
    "kms:encrypt",
    "kms:decrypt",
    "kms:reencryptfrom",
    "kms:reencryptto",
    "kms:generatedatakey",
    "kms:generatedatakeywithoutplaintext",
];

/// Derives the request context AWS would build for `call` by `principal`.
pub fn derive_context(principal: &Principal, call: &KmsCall) -> Context {
    derive_into(Context::new(), principal, call)
}

/// Like [`derive_context`], keeping only the keys `filter` wants (for a policy set built once
/// and decided many times: see [`crate::eval::KeyFilter`]).
pub fn derive_context_filtered(
    principal: &Principal,
    call: &KmsCall,
    filter: std::sync::Arc<crate::eval::KeyFilter>,
) -> Context {
    derive_into(Context::filtered(filter), principal, call)
}

fn derive_into(mut c: Context, principal: &Principal, call: &KmsCall) -> Context {
    let p = principal;
    let action_lc = call.action.to_ascii_lowercase();
    if p.is_iam() {
        c.set_str("aws:PrincipalArn", p.policy_arn());
        c.set_str("aws:PrincipalAccount", &p.account);
        c.set_str("kms:CallerAccount", &p.account);
    }
    if p.kind == PrincipalKind::Service {
        c.set_str("aws:PrincipalServiceName", &p.arn);
    }
    c.set_str("aws:PrincipalType", p.type_name());
    c.set_str(
        "aws:PrincipalIsAWSService",
        if p.kind == PrincipalKind::Service { "true" } else { "false" },
    );
    if let Some(name) = &p.user_name {
        c.set_str("aws:username", name);
    }
    match (&call.principal_id, p.kind) {
        (Some(id), PrincipalKind::AssumedRole) if c.wants("aws:userid") => {
            let session = p.arn.rsplit('/').next().unwrap_or_default();
            c.set_str("aws:userid", format!("{id}:{session}"));
        }
        (Some(id), _) => c.set_str("aws:userid", id),
        (None, PrincipalKind::Root) => c.set_str("aws:userid", &p.account),
        _ => {}
    }
    if c.wants_prefix("aws:principaltag/") {
        for (k, v) in &call.principal_tags {
            c.set_str(&format!("aws:PrincipalTag/{k}"), v);
        }
    }
    c.set_str("aws:SecureTransport", "true");
    if let Some(r) = &call.region {
        c.set_str("aws:RequestedRegion", r);
    }
    if let Some(t) = &call.time {
        c.set_str("aws:CurrentTime", t);
        if let Some(ms) = parse_date(t).filter(|_| c.wants("aws:EpochTime")) {
            c.set_str("aws:EpochTime", (ms.div_euclid(1000)).to_string());
        }
    }
    if let Some(acct) = call.resource.split(':').nth(4).filter(|a| !a.is_empty()) {
        c.set_str("aws:ResourceAccount", acct);
    }
    if !call.encryption_context.is_empty() {
        let pairs = c.wants_prefix("kms:encryptioncontext:");
        for (k, v) in call.encryption_context.iter().filter(|_| pairs) {
            c.set_str(&format!("kms:EncryptionContext:{k}"), v);
        }
        if c.wants("kms:EncryptionContextKeys") {
            c.set(
                "kms:EncryptionContextKeys",
                CtxValue::Many(call.encryption_context.iter().map(|(k, _)| k.clone()).collect()),
            );
        }
    }
    if let Some(v) = &call.via_service {
        c.set_str("kms:ViaService", v);
    }
    if let Some(s) = &call.key_spec {
        c.set_str("kms:KeySpec", s);
        if s == "SYMMETRIC_DEFAULT" && CRYPTO_WITH_ALGORITHM.contains(&action_lc.as_str()) {
            c.set_str("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        }
    }
    if let Some(u) = &call.key_usage {
        c.set_str("kms:KeyUsage", u);
    }
    if let Some(o) = &call.key_origin {
        c.set_str("kms:KeyOrigin", o);
    }
    if !call.key_aliases.is_empty() {
        c.set("kms:ResourceAliases", CtxValue::Many(call.key_aliases.clone()));
    }
    if c.wants_prefix("aws:resourcetag/") {
        for (k, v) in &call.key_tags {
            c.set_str(&format!("aws:ResourceTag/{k}"), v);
        }
    }
    if let Some(a) = &call.request_alias {
        c.set_str("kms:RequestAlias", a);
    }
    if let Some(g) = call.create_grant.as_ref().filter(|_| action_lc == "kms:creategrant") {
        c.set("kms:GrantOperations", CtxValue::Many(g.operations.clone()));
        c.set_str("kms:GranteePrincipal", &g.grantee);
        if let Some(r) = &g.retiring_principal {
            c.set_str("kms:RetiringPrincipal", r);
        }
        if let Some(con) = &g.constraint {
            c.set_str("kms:GrantConstraintType", con.type_name());
            if call.encryption_context.is_empty() {
                for (k, v) in con.pairs() {
                    c.set_str(&format!("kms:EncryptionContext:{k}"), v);
                }
                c.set(
                    "kms:EncryptionContextKeys",
                    CtxValue::Many(con.pairs().iter().map(|(k, _)| k.clone()).collect()),
                );
            }
        }
    }
    if matches!(action_lc.as_str(), "kms:creategrant" | "kms:listgrants" | "kms:revokegrant") {
        c.set_str(
            "kms:GrantIsForAWSResource",
            if call.via_service.is_some() { "true" } else { "false" },
        );
    }
    c
}

/// The default key policy: the account principal may use IAM policies for every action.
pub(crate) fn default_key_policy(account: &str) -> NamedPolicy {
    let text = format!(
        r#"{{"Version":"2012-10-17","Id":"key-default-1","Statement":[{{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    let policy = parse_policy(&text, PolicyKind::Key, Limits::default()).0.unwrap_or_else(|| {
        crate::model::Policy {
            kind: PolicyKind::Key,
            version: crate::model::Version::V2012_10_17,
            id: None,
            statements: Vec::new(),
            statement_count: 0,
            span: crate::span::Span::SYNTHETIC,
        }
    });
    NamedPolicy::new("default key policy", policy)
}

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
) -> Result<Option<std::sync::Arc<crate::model::Grant>>, String> {
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

/// Builds the policy set and request of one case.
pub fn build_case(s: &Scenario, case: &Case) -> Result<(PolicySet, Request), String> {
    let principal = Principal::parse(&case.principal)?;
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
    let mut principal = principal;
    if let (Some(d), PrincipalKind::AssumedRole) = (def, principal.kind) {
        principal.role_arn = Some(d.arn.clone());
    }
    let mut set = PolicySet::default();
    let mut call = KmsCall {
        action: case.action.clone(),
        principal_tags: def.map(|d| d.tags.clone()).unwrap_or_default(),
        principal_id: def.and_then(|d| d.id.clone()),
        encryption_context: case.encryption_context.clone(),
        via_service: case.via_service.clone(),
        time: s.defaults.time.clone(),
        region: s.defaults.region.clone(),
        create_grant: case.create_grant.clone(),
        ..KmsCall::default()
    };
    match (&case.key, &case.resource) {
        (Some(kref), _) => {
            let (key, alias) =
                find_key(s, kref).ok_or_else(|| format!("no key `{kref}` in the scenario"))?;
            let key_account = key.arn.split(':').nth(4).unwrap_or_default().to_string();
            call.resource = key.arn.clone();
            call.region = key.arn.split(':').nth(3).map(str::to_string).or(call.region);
            call.key_spec = Some(key.key_spec.clone());
            call.key_usage = Some(key.key_usage.clone());
            call.key_origin = Some(key.key_origin.clone());
            call.key_aliases = key.aliases.clone();
            call.key_tags = key.tags.clone();
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
            set.resource_policy = s
                .resources
                .iter()
                .find(|(pat, _)| pat == res || crate::pattern::ArnGlob::new(pat).matches(res))
                .map(|(_, np)| np.clone());
        }
        (None, None) => call.resource = "*".to_string(),
    }
    if let Some(d) = def {
        set.identity = d.policies.clone();
        set.boundary = d.boundary.clone();
    }
    set.session = case.session_policy.clone();
    let home = s.defaults.account.as_deref();
    if principal.is_iam() && home.is_none_or(|h| h == principal.account) {
        set.scps = s.scps.clone();
    }
    let resource_account = set
        .resource_account
        .clone()
        .or_else(|| call.resource.split(':').nth(4).filter(|a| !a.is_empty()).map(str::to_string));
    if home.is_none() || resource_account.as_deref().is_none_or(|a| Some(a) == home) {
        set.rcps = s.rcps.clone();
    }
    if let Some((_, CtxValue::One(t))) =
        case.context.iter().find(|(k, _)| k.eq_ignore_ascii_case("aws:CurrentTime"))
    {
        call.time = Some(t.clone());
    }
    let mut context = derive_context(&principal, &call);
    for (k, v) in &case.context {
        context.set(k, v.clone());
    }
    Ok((set, Request::new(principal, &case.action, &call.resource, context)))
}
