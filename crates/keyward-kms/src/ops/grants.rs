//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

use super::{check_state, dry_run, epoch_s, page, StateRule};
use crate::auth::Ask;
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{core_grant, Caller, Kms};
use crate::record::{GrantConstraints, GrantRecord, KeyRecord};
use crate::store::Change;
use crate::types::{GrantOperation as Op, KeySpec, KeyUsage};
use base64::Engine as _;
use serde::Deserialize;

pub use crate::api::grants::{
    CreateGrantResponse, GrantListEntry, ListGrantsRequest, ListGrantsResponse,
    ListRetirableGrantsRequest, RetireGrantRequest, RevokeGrantRequest,
};
use crate::api::Empty;

/// Grants per key (AWS quota).
const MAX_GRANTS_PER_KEY: usize = 50_000;

/// CreateGrant input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantRequest {
    /// Key (id or ARN; ARN for a key in another account).
    pub key_id: String,
    /// Grantee (this or GranteeServicePrincipal).
    #[serde(default)]
    pub grantee_principal: Option<String>,
    /// Retiring principal.
    #[serde(default)]
    pub retiring_principal: Option<String>,
    /// Operations.
    pub operations: Vec<Op>,
    /// Constraints.
    #[serde(default)]
    pub constraints: Option<GrantConstraints>,
    /// Grant tokens.
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
    /// Name (idempotency).
    #[serde(default)]
    pub name: Option<String>,
    /// DryRun.
    #[serde(default)]
    pub dry_run: Option<bool>,
    /// A service principal grantee (`service.amazonaws.com`), instead of GranteePrincipal.
    #[serde(default)]
    pub grantee_service_principal: Option<String>,
    /// A service principal that may retire the grant, instead of RetiringPrincipal.
    #[serde(default)]
    pub retiring_service_principal: Option<String>,
}

fn allowed_ops(rec: &KeyRecord) -> &'static [Op] {
    use Op::*;
    match (rec.spec, rec.usage) {
        (KeySpec::SymmetricDefault, _) => &[
            Decrypt,
            Encrypt,
            GenerateDataKey,
            GenerateDataKeyWithoutPlaintext,
            ReEncryptFrom,
            ReEncryptTo,
            GenerateDataKeyPair,
            GenerateDataKeyPairWithoutPlaintext,
            CreateGrant,
            RetireGrant,
            DescribeKey,
        ],
        (_, KeyUsage::EncryptDecrypt) => &[
            Encrypt,
            Decrypt,
            ReEncryptFrom,
            ReEncryptTo,
            GetPublicKey,
            CreateGrant,
            RetireGrant,
            DescribeKey,
        ],
        (_, KeyUsage::SignVerify) => {
            &[Sign, Verify, GetPublicKey, CreateGrant, RetireGrant, DescribeKey]
        }
        (_, KeyUsage::GenerateVerifyMac) => {
            &[GenerateMac, VerifyMac, CreateGrant, RetireGrant, DescribeKey]
        }
        (_, KeyUsage::KeyAgreement) => {
            &[DeriveSharedSecret, GetPublicKey, CreateGrant, RetireGrant, DescribeKey]
        }
        (_, KeyUsage::EncapsulateDecapsulate) => {
            &[Encapsulate, Decapsulate, GetPublicKey, CreateGrant, RetireGrant, DescribeKey]
        }
    }
}

fn valid_principal(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.chars().all(|c| c.is_alphanumeric() || "_+=,.@:/-".contains(c))
}

/// CreateGrant's rules for its principals, from the API reference: GranteePrincipal or
/// GranteeServicePrincipal, not both; RetiringPrincipal or RetiringServicePrincipal, not both;
/// a GranteeServicePrincipal needs a SourceArn constraint and a retiring principal. Returns
/// the grantee, whether it is a service principal, and the retiring principal.
fn grant_principals(r: &CreateGrantRequest) -> Result<(String, bool, Option<String>, bool)> {
    let invalid = |m: &str| Err(KmsError::validation(m));
    let (grantee, grantee_is_service) = match (&r.grantee_principal, &r.grantee_service_principal) {
        (Some(g), None) => (g.clone(), false),
        (None, Some(s)) => (s.clone(), true),
        _ => return invalid(
            "You must specify either GranteePrincipal or GranteeServicePrincipal, but not both.",
        ),
    };
    let (retiring, retiring_is_service) = match (
        &r.retiring_principal,
        &r.retiring_service_principal,
    ) {
        (Some(p), None) => (Some(p.clone()), false),
        (None, Some(s)) => (Some(s.clone()), true),
        (None, None) => (None, false),
        (Some(_), Some(_)) => return invalid(
            "You can specify either RetiringPrincipal or RetiringServicePrincipal, but not both.",
        ),
    };
    if grantee_is_service {
        if r.constraints.as_ref().and_then(|c| c.source_arn.as_ref()).is_none() {
            return invalid(
                "When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint.",
            );
        }
        if retiring.is_none() {
            return invalid(
                "When you specify a GranteeServicePrincipal, you must also specify either a RetiringPrincipal or a RetiringServicePrincipal.",
            );
        }
    }
    Ok((grantee, grantee_is_service, retiring, retiring_is_service))
}

/// The grant's view for output: the grantee and retiring principal under the member they were
/// given in.
fn grant_json(g: &GrantRecord, key_arn: &str) -> GrantListEntry {
    let named =
        |who: &Option<String>, service: bool, want: bool| who.clone().filter(|_| service == want);
    let grantee = Some(g.grantee.clone());
    GrantListEntry {
        key_id: key_arn.to_string(),
        grant_id: g.grant_id.clone(),
        name: g.name.clone(),
        creation_date: epoch_s(g.created_ms),
        grantee_principal: named(&grantee, g.grantee_is_service, false),
        retiring_principal: named(&g.retiring, g.retiring_is_service, false),
        grantee_service_principal: named(&grantee, g.grantee_is_service, true),
        retiring_service_principal: named(&g.retiring, g.retiring_is_service, true),
        issuing_account: format!(
            "arn:aws:iam::{}:root",
            g.issuer.split(':').nth(4).unwrap_or_default()
        ),
        operations: g.operations.clone(),
        constraints: g.constraints.clone(),
    }
}

/// The handle of the key a grant is on.
pub(crate) fn grant_key(g: &GrantRecord) -> String {
    crate::kms::key_handle(&g.region, &g.key_id)
}

impl Kms {
    /// CreateGrant.
    pub fn create_grant(
        &mut self,
        caller: &Caller,
        r: CreateGrantRequest,
    ) -> Result<CreateGrantResponse> {
        let p = self.begin(caller)?;
        let (id, alias) = self.resolve(&p, &r.key_id)?;
        let tokens = r.grant_tokens.clone().unwrap_or_default();
        let (grantee, grantee_is_service, retiring, retiring_is_service) = grant_principals(&r)?;
        if !grantee_is_service && !valid_principal(&grantee) {
            return Err(KmsError::constraint(
                "granteePrincipal",
                "Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$",
            ));
        }
        if r.retiring_principal.as_deref().is_some_and(|x| !valid_principal(x)) {
            return Err(KmsError::constraint(
                "retiringPrincipal",
                "Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$",
            ));
        }
        if r.operations.is_empty() {
            return Err(KmsError::constraint(
                "operations",
                "Member must have length greater than or equal to 1",
            ));
        }
        if r.name.as_deref().is_some_and(|n| {
            n.is_empty()
                || n.len() > 256
                || !n.chars().all(|c| c.is_ascii_alphanumeric() || ":/_-".contains(c))
        }) {
            return Err(KmsError::constraint(
                "name",
                "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            ));
        }
        let key = &self.key(&id)?.rec;
        let (key_arn, key_id, region) = (key.arn.clone(), key.key_id.clone(), key.region.clone());
        let mut rec = GrantRecord {
            grant_id: String::new(),
            key_id,
            region,
            name: r.name.clone(),
            grantee,
            retiring,
            operations: r.operations.clone(),
            constraints: r.constraints.clone().filter(|c| {
                c.encryption_context_equals.is_some()
                    || c.encryption_context_subset.is_some()
                    || c.source_arn.is_some()
            }),
            issuer: p.arn.clone(),
            created_ms: caller.now_ms,
            tokens: Vec::new(),
            grantee_is_service,
            retiring_is_service,
        };
        // A grantee whose CreateGrant comes from a grant can delegate only within that grant;
        // the evaluator decides it (rule create_grant_beyond_parent_grant).
        let ask = Ask {
            action: "kms:CreateGrant",
            key_id: Some(&id),
            request_alias: alias.as_deref(),
            grant_tokens: &tokens,
            create_grant: Some(core_grant(&rec, &p.account)),
            ..Ask::default()
        };
        self.authorize(caller, &p, ask)?;
        let key = &self.key(&id)?.rec;
        check_state(key, StateRule::Use)?;
        let allowed = allowed_ops(key);
        if let Some(bad) = r.operations.iter().find(|o| !allowed.contains(o)) {
            return Err(KmsError::validation(format!(
                "Grant operation {bad} is not valid for {} key {}.",
                key.spec, key.arn
            )));
        }
        if let Some(c) = rec.constraints.as_ref().filter(|c| {
            c.encryption_context_equals.is_some() || c.encryption_context_subset.is_some()
        }) {
            if key.spec != KeySpec::SymmetricDefault {
                return Err(KmsError::validation("Encryption context grant constraints are valid only for symmetric encryption keys."));
            }
            for m in
                [&c.encryption_context_equals, &c.encryption_context_subset].into_iter().flatten()
            {
                if m.len() > 8 || m.values().any(|v| v.chars().count() > 384) {
                    return Err(KmsError::validation("A grant constraint holds at most 8 pairs, each value at most 384 characters."));
                }
            }
        }
        dry_run(r.dry_run)?;
        let token = self.new_token();
        if let Some(name) = &r.name {
            let same = self.grants.values().find(|g| {
                grant_key(g) == id
                    && g.name.as_deref() == Some(name)
                    && g.grantee == rec.grantee
                    && g.grantee_is_service == rec.grantee_is_service
                    && g.retiring == rec.retiring
                    && g.retiring_is_service == rec.retiring_is_service
                    && g.operations == rec.operations
                    && g.constraints == rec.constraints
            });
            if let Some(g) = same.cloned() {
                let mut g = g;
                g.tokens.push(token.clone());
                let out = CreateGrantResponse { grant_token: token, grant_id: g.grant_id.clone() };
                self.commit(vec![Change::PutGrant(Box::new(g))])?;
                return Ok(out);
            }
        }
        if self.key_grants.get(&id).map_or(0, Vec::len) >= MAX_GRANTS_PER_KEY {
            return Err(KmsError::new(
                ErrorCode::LimitExceededException,
                format!("{key_arn} has the maximum number of grants."),
            ));
        }
        rec.grant_id = crate::crypto::random_hex_id(self.rng.as_mut());
        rec.tokens.push(token.clone());
        let out = CreateGrantResponse { grant_token: token, grant_id: rec.grant_id.clone() };
        self.commit(vec![Change::PutGrant(Box::new(rec))])?;
        Ok(out)
    }

    fn new_token(&mut self) -> String {
        let mut b = [0u8; 48];
        self.rng.fill_bytes(&mut b);
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    /// ListGrants for a key (optionally one grant or one grantee).
    pub fn list_grants(
        &mut self,
        caller: &Caller,
        r: ListGrantsRequest,
    ) -> Result<ListGrantsResponse> {
        let (grant_id, grantee) = (r.grant_id.as_deref(), r.grantee_principal.as_deref());
        let service = r.grantee_service_principal.as_deref();
        if grantee.is_some() && service.is_some() {
            return Err(KmsError::validation(
                "You can specify either GranteePrincipal or GranteeServicePrincipal, but not both.",
            ));
        }
        let (limit, marker) = (r.limit, r.marker.as_deref());
        let (_, id) = self.gate(caller, &r.key_id, "kms:ListGrants", StateRule::Any)?;
        let arn = self.key(&id)?.rec.arn.clone();
        if let Some(g) = grant_id {
            if self.grants.get(g).is_none_or(|x| grant_key(x) != id) {
                return Err(KmsError::new(
                    ErrorCode::InvalidGrantIdException,
                    format!("Grant ID {g} is not valid for {arn}."),
                ));
            }
        }
        let list: Vec<&GrantRecord> = self
            .key_grants
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|(gid, _, _)| self.grants.get(gid))
            .filter(|g| {
                grant_id.is_none_or(|x| g.grant_id == x)
                    && grantee.is_none_or(|x| g.grantee == x)
                    && service.is_none_or(|x| g.grantee_is_service && g.grantee == x)
            })
            .collect();
        let (items, next) = page(&list, limit, marker, 50)?;
        let grants = items.iter().map(|g| grant_json(g, &arn)).collect();
        Ok(ListGrantsResponse { grants, truncated: next.is_some(), next_marker: next })
    }

    /// ListRetirableGrants: grants whose retiring principal is `retiring` (IAM permission).
    pub fn list_retirable_grants(
        &mut self,
        caller: &Caller,
        r: ListRetirableGrantsRequest,
    ) -> Result<ListGrantsResponse> {
        let (limit, marker) = (r.limit, r.marker.as_deref());
        let (retiring, service) = match (&r.retiring_principal, &r.retiring_service_principal) {
            (Some(p), None) => (p.as_str(), false),
            (None, Some(s)) => (s.as_str(), true),
            _ => {
                return Err(KmsError::validation(
                    "You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both.",
                ))
            }
        };
        let p = self.begin(caller)?;
        if service {
            // AWS: "The RetiringServicePrincipal filter is only usable by callers in a service
            // principal": the service lists the grants it may retire.
            if p.kind != keyward_core::eval::PrincipalKind::Service || p.arn != retiring {
                return Err(KmsError::new(
                    ErrorCode::AccessDeniedException,
                    format!(
                        "User: {} is not authorized to list grants retirable by the service \
                         principal {retiring}: only that service principal may",
                        p.arn
                    ),
                ));
            }
        } else {
            self.authorize(
                caller,
                &p,
                Ask { action: "kms:ListRetirableGrants", ..Ask::default() },
            )?;
            // AWS: the retiring principal must be in the caller's account.
            let owner = keyward_core::eval::Principal::parse(retiring).map(|r| r.account);
            if owner.as_deref().ok() != Some(p.account.as_str()) {
                return Err(KmsError::new(
                    ErrorCode::AccessDeniedException,
                    format!(
                        "User: {} is not authorized to list grants retirable by {retiring}: the \
                         RetiringPrincipal must be in the caller's account {}",
                        p.arn, p.account
                    ),
                ));
            }
        }
        let mut list: Vec<&GrantRecord> = self
            .grants
            .values()
            .filter(|g| {
                g.retiring.as_deref() == Some(retiring)
                    && g.retiring_is_service == service
                    && g.region == self.region
            })
            .collect();
        list.sort_by(|a, b| (a.created_ms, &a.grant_id).cmp(&(b.created_ms, &b.grant_id)));
        let (items, next) = page(&list, limit, marker, 50)?;
        let grants = items
            .iter()
            .map(|g| grant_json(g, self.keys.get(&grant_key(g)).map_or("", |k| k.rec.arn.as_str())))
            .collect();
        Ok(ListGrantsResponse { grants, truncated: next.is_some(), next_marker: next })
    }

    /// RetireGrant, by token or by key and grant id. The retiring principal, the grantee when
    /// the grant includes RetireGrant, or the issuing account (through its policies) may retire.
    pub fn retire_grant(&mut self, caller: &Caller, r: RetireGrantRequest) -> Result<Empty> {
        let (token, key_id) = (r.grant_token.as_deref(), r.key_id.as_deref());
        let (grant_id, dry) = (r.grant_id.as_deref(), r.dry_run);
        let p = self.begin(caller)?;
        let g = match (token, key_id, grant_id) {
            (Some(t), _, _) => {
                self.grants.values().find(|g| g.tokens.iter().any(|x| x == t)).cloned().ok_or_else(
                    || {
                        KmsError::new(
                            ErrorCode::InvalidGrantTokenException,
                            "The grant token is not valid.",
                        )
                    },
                )?
            }
            (None, Some(k), Some(gid)) => {
                let (id, _) = self.resolve(&p, k)?;
                self.grants.get(gid).filter(|g| grant_key(g) == id).cloned().ok_or_else(|| {
                    KmsError::new(
                        ErrorCode::InvalidGrantIdException,
                        format!("Grant ID {gid} is not valid."),
                    )
                })?
            }
            _ => {
                return Err(KmsError::validation("Specify GrantToken, or both KeyId and GrantId."))
            }
        };
        // The grant decides who may retire it (rules retiring_principal_retires,
        // grantee_retires, grant_account_retires; kms:RetireGrant in a key policy has no effect).
        let issuer = g.issuer.split(':').nth(4).unwrap_or_default().to_string();
        let handle = grant_key(&g);
        let ask = Ask {
            action: "kms:RetireGrant",
            key_id: Some(&handle),
            grant_to_retire: Some(core_grant(&g, &issuer)),
            ..Ask::default()
        };
        self.authorize(caller, &p, ask)?;
        dry_run(dry)?;
        self.commit(vec![Change::DeleteGrant(g.grant_id)])?;
        Ok(Empty {})
    }

    /// RevokeGrant (kms:RevokeGrant on the key; grant tokens are not accepted).
    pub fn revoke_grant(&mut self, caller: &Caller, r: RevokeGrantRequest) -> Result<Empty> {
        let (grant_id, dry) = (r.grant_id.as_str(), r.dry_run);
        let (_, id) = self.gate(caller, &r.key_id, "kms:RevokeGrant", StateRule::Any)?;
        if self.grants.get(grant_id).is_none_or(|g| grant_key(g) != id) {
            return Err(KmsError::new(
                ErrorCode::InvalidGrantIdException,
                format!("Grant ID {grant_id} is not valid."),
            ));
        }
        dry_run(dry)?;
        self.commit(vec![Change::DeleteGrant(grant_id.to_string())])?;
        Ok(Empty {})
    }
}
