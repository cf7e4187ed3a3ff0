//! The context keys AWS adds to a call: the caller's (`aws:Principal*`, `aws:userid`,
//! `kms:CallerAccount`), the request's (time, Region, transport, network, MFA), the key's
//! (`kms:Key*`, aliases, tags) and the KMS request parameters (encryption context, algorithm,
//! alias, ViaService, the grant being created).

use super::vocab::KmsAction;
use super::{kms_action, Call, MultiRegion};
use crate::eval::{Context, CtxValue, KeyFilter, Principal, PrincipalKind};
use crate::model::parse_date;
use std::sync::Arc;

/// Derives the request context AWS would build for `call` by `principal`, then sets the
/// call's raw [`Call::extra`] entries over it.
pub fn derive_context(principal: &Principal, call: &Call) -> Context {
    derive_into(Context::new(), principal, call)
}

/// Like [`derive_context`], keeping only the keys `filter` wants (for a policy set built once
/// and decided many times: see [`KeyFilter`]).
pub fn derive_context_filtered(
    principal: &Principal,
    call: &Call,
    filter: Arc<KeyFilter>,
) -> Context {
    derive_into(Context::filtered(filter), principal, call)
}

/// `kms:EncryptionAlgorithm` when the request does not name one: `SYMMETRIC_DEFAULT` on a
/// symmetric key for the actions whose algorithm parameter defaults to it.
pub(super) fn default_algorithm(call: &Call, action: Option<&KmsAction>) -> Option<&'static str> {
    (call.key.spec.as_deref() == Some("SYMMETRIC_DEFAULT")
        && action.is_some_and(|a| a.default_algorithm))
    .then_some("SYMMETRIC_DEFAULT")
}

/// `kms:GrantIsForAWSResource` on the grant operations that carry it: whether a service
/// integrated with KMS made the call.
pub(super) fn grant_for_aws_resource(
    call: &Call,
    action: Option<&KmsAction>,
) -> Option<&'static str> {
    action.filter(|a| a.grant_for_aws_resource).map(|_| {
        if call.via_service.is_some() {
            "true"
        } else {
            "false"
        }
    })
}

fn derive_into(mut c: Context, p: &Principal, call: &Call) -> Context {
    let action = kms_action(&call.action);
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
    if let Some(acct) = super::arn_account(&call.resource) {
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
    let key = &call.key;
    if let Some(s) = &key.spec {
        c.set_str("kms:KeySpec", s);
    }
    if let Some(alg) = default_algorithm(call, action) {
        c.set_str("kms:EncryptionAlgorithm", alg);
    }
    if let Some(u) = &key.usage {
        c.set_str("kms:KeyUsage", u);
    }
    if let Some(o) = &key.origin {
        c.set_str("kms:KeyOrigin", o);
    }
    if let Some(m) = key.multi_region {
        let (multi, kind) = match m {
            MultiRegion::SingleRegion => ("false", None),
            MultiRegion::Primary => ("true", Some("PRIMARY")),
            MultiRegion::Replica => ("true", Some("REPLICA")),
        };
        c.set_str("kms:MultiRegion", multi);
        if let Some(k) = kind {
            c.set_str("kms:MultiRegionKeyType", k);
        }
    }
    if !key.aliases.is_empty() {
        c.set("kms:ResourceAliases", CtxValue::Many(key.aliases.clone()));
    }
    if c.wants_prefix("aws:resourcetag/") {
        for (k, v) in &key.tags {
            c.set_str(&format!("aws:ResourceTag/{k}"), v);
        }
    }
    if let Some(a) = &call.request_alias {
        c.set_str("kms:RequestAlias", a);
    }
    let creates_grant = action.is_some_and(|a| a.name == "CreateGrant");
    if let Some(g) = call.create_grant.as_ref().filter(|_| creates_grant) {
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
    if let Some(v) = grant_for_aws_resource(call, action) {
        c.set_str("kms:GrantIsForAWSResource", v);
    }
    // What the caller's circumstances add.
    if let Some(ip) = &call.network.source_ip {
        c.set_str("aws:SourceIp", ip);
    }
    if let Some(v) = &call.network.source_vpce {
        c.set_str("aws:SourceVpce", v);
    }
    if let Some(m) = call.mfa {
        c.set_str("aws:MultiFactorAuthPresent", if m.present { "true" } else { "false" });
        if let Some(age) = m.age_s {
            c.set_str("aws:MultiFactorAuthAge", age.to_string());
        }
    }
    if call.via_aws_service {
        c.set_str("aws:ViaAWSService", "true");
    }
    if let Some(alg) = &call.encryption_algorithm {
        c.set_str("kms:EncryptionAlgorithm", alg);
    }
    for (k, v) in &call.extra {
        c.set(k, v.clone());
    }
    c
}
