//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

use super::{check_state, dry_run, epoch_s, page, StateRule};
use crate::auth::Ask;
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{core_grant, Caller, Kms};
use crate::record::{GrantConstraints, GrantRecord, KeyRecord};
use crate::store::Change;
use crate::types::{GrantOperation as Op, KeySpec, KeyUsage};
use base64::Engine as _;
use keyward_core::eval::{decide, Decision, Principal, PrincipalKind};
use serde::Deserialize;
use serde_json::{json, Value};

/// Grants per key (AWS quota).
const MAX_GRANTS_PER_KEY: usize = 50_000;

/// CreateGrant input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantRequest {
    /// Key (id or ARN; ARN for a key in another account).
    pub key_id: String,
    /// Grantee.
    pub grantee_principal: String,
    /// Retiring principal.
    pub retiring_principal: Option<String>,
    /// Operations.
    pub operations: Vec<Op>,
    /// Constraints.
    pub constraints: Option<GrantConstraints>,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// Name (idempotency).
    pub name: Option<String>,
    /// DryRun.
    pub dry_run: Option<bool>,
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
    }
}

fn valid_principal(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.chars().all(|c| c.is_alphanumeric() || "_+=,.@:/-".contains(c))
}

/// The grant's view for output.
fn grant_json(g: &GrantRecord, key_arn: &str) -> Value {
    let mut v = json!({
        "KeyId": key_arn,
        "GrantId": g.grant_id,
        "CreationDate": epoch_s(g.created_ms),
        "GranteePrincipal": g.grantee,
        "IssuingAccount": format!("arn:aws:iam::{}:root", g.issuer.split(':').nth(4).unwrap_or_default()),
        "Operations": g.operations,
    });
    if let Some(o) = v.as_object_mut() {
        if let Some(n) = &g.name {
            o.insert("Name".into(), json!(n));
        }
        if let Some(r) = &g.retiring {
            o.insert("RetiringPrincipal".into(), json!(r));
        }
        if let Some(c) = &g.constraints {
            o.insert("Constraints".into(), json!(c));
        }
    }
    v
}

/// True when `caller` is `who` (a role ARN also covers its sessions).
fn is_principal(p: &Principal, who: &str) -> bool {
    p.arn == who
        || p.role_arn.as_deref() == Some(who)
        || (p.kind == PrincipalKind::Root && who == p.account)
}

impl Kms {
    /// CreateGrant.
    pub fn create_grant(&mut self, caller: &Caller, r: CreateGrantRequest) -> Result<Value> {
        let p = self.begin(caller)?;
        let (id, alias) = self.resolve(&p, &r.key_id)?;
        let tokens = r.grant_tokens.clone().unwrap_or_default();
        if !valid_principal(&r.grantee_principal) {
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
        let key_arn = self.key(&id)?.rec.arn.clone();
        let mut rec = GrantRecord {
            grant_id: String::new(),
            key_id: id.clone(),
            name: r.name.clone(),
            grantee: r.grantee_principal.clone(),
            retiring: r.retiring_principal.clone(),
            operations: r.operations.clone(),
            constraints: r.constraints.clone().filter(|c| {
                c.encryption_context_equals.is_some() || c.encryption_context_subset.is_some()
            }),
            issuer: p.arn.clone(),
            created_ms: caller.now_ms,
            tokens: Vec::new(),
        };
        let ask = Ask {
            action: "kms:CreateGrant",
            key_id: Some(&id),
            request_alias: alias.as_deref(),
            grant_tokens: &tokens,
            create_grant: Some(core_grant(&rec, &p.account)),
            ..Ask::default()
        };
        let (mut set, req) = self.request(caller, &p, ask)?;
        let ask = Ask {
            action: "kms:CreateGrant",
            key_id: Some(&id),
            request_alias: alias.as_deref(),
            grant_tokens: &tokens,
            create_grant: Some(core_grant(&rec, &p.account)),
            ..Ask::default()
        };
        self.authorize(caller, &p, ask)?;
        // Permission that comes only from a grant can delegate only that grant's operations.
        let via_grants = std::mem::take(&mut set.grants);
        if decide(&set, &req) != Decision::Allow {
            let covered = via_grants.iter().any(|g| {
                g.allows_operation("CreateGrant")
                    && r.operations.iter().all(|op| g.allows_operation(op.as_str()))
            });
            if !covered {
                return Err(KmsError::new(
                    ErrorCode::AccessDeniedException,
                    format!(
                        "User: {} is not authorized to perform: kms:CreateGrant on resource: {key_arn} because the grant that allows kms:CreateGrant does not include every requested operation",
                        p.arn
                    ),
                ));
            }
        }
        let key = &self.key(&id)?.rec;
        check_state(key, StateRule::Use)?;
        let allowed = allowed_ops(key);
        if let Some(bad) = r.operations.iter().find(|o| !allowed.contains(o)) {
            return Err(KmsError::validation(format!(
                "Grant operation {bad} is not valid for {} key {}.",
                key.spec, key.arn
            )));
        }
        if let Some(c) = &rec.constraints {
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
                g.key_id == id
                    && g.name.as_deref() == Some(name)
                    && g.grantee == rec.grantee
                    && g.retiring == rec.retiring
                    && g.operations == rec.operations
                    && g.constraints == rec.constraints
            });
            if let Some(g) = same.cloned() {
                let mut g = g;
                g.tokens.push(token.clone());
                let out = json!({ "GrantToken": token, "GrantId": g.grant_id });
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
        let out = json!({ "GrantToken": token, "GrantId": rec.grant_id });
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
        key_id: &str,
        grant_id: Option<&str>,
        grantee: Option<&str>,
        limit: Option<i64>,
        marker: Option<&str>,
    ) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:ListGrants", StateRule::Any)?;
        let arn = self.key(&id)?.rec.arn.clone();
        if let Some(g) = grant_id {
            if self.grants.get(g).is_none_or(|x| x.key_id != id) {
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
                grant_id.is_none_or(|x| g.grant_id == x) && grantee.is_none_or(|x| g.grantee == x)
            })
            .collect();
        let (items, next) = page(&list, limit, marker, 50)?;
        Ok(super::keys::list_response(
            "Grants",
            items.iter().map(|g| grant_json(g, &arn)).collect(),
            next,
        ))
    }

    /// ListRetirableGrants: grants whose retiring principal is `retiring` (IAM permission).
    pub fn list_retirable_grants(
        &mut self,
        caller: &Caller,
        retiring: &str,
        limit: Option<i64>,
        marker: Option<&str>,
    ) -> Result<Value> {
        let p = self.begin(caller)?;
        self.authorize(caller, &p, Ask { action: "kms:ListRetirableGrants", ..Ask::default() })?;
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
        let mut list: Vec<&GrantRecord> =
            self.grants.values().filter(|g| g.retiring.as_deref() == Some(retiring)).collect();
        list.sort_by(|a, b| (a.created_ms, &a.grant_id).cmp(&(b.created_ms, &b.grant_id)));
        let (items, next) = page(&list, limit, marker, 50)?;
        let out = items
            .iter()
            .map(|g| grant_json(g, self.keys.get(&g.key_id).map_or("", |k| k.rec.arn.as_str())))
            .collect();
        Ok(super::keys::list_response("Grants", out, next))
    }

    /// RetireGrant, by token or by key and grant id. The retiring principal, the grantee when
    /// the grant includes RetireGrant, or the issuing account (through its policies) may retire.
    pub fn retire_grant(
        &mut self,
        caller: &Caller,
        token: Option<&str>,
        key_id: Option<&str>,
        grant_id: Option<&str>,
        dry: Option<bool>,
    ) -> Result<Value> {
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
                self.grants.get(gid).filter(|g| g.key_id == id).cloned().ok_or_else(|| {
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
        let may = g.retiring.as_deref().is_some_and(|r| is_principal(&p, r))
            || (is_principal(&p, &g.grantee) && g.operations.contains(&Op::RetireGrant))
            || (g.issuer.split(':').nth(4) == Some(p.account.as_str())
                && self
                    .authorize(
                        caller,
                        &p,
                        Ask {
                            action: "kms:RetireGrant",
                            key_id: Some(&g.key_id),
                            ..Ask::default()
                        },
                    )
                    .is_ok());
        if !may {
            let arn = self.keys.get(&g.key_id).map_or(g.key_id.clone(), |k| k.rec.arn.clone());
            return Err(KmsError::new(
                ErrorCode::AccessDeniedException,
                format!("User: {} is not authorized to perform: kms:RetireGrant on resource: {arn} because it is not the grant's retiring principal, a grantee allowed RetireGrant, or the grant's issuing account", p.arn),
            ));
        }
        dry_run(dry)?;
        self.commit(vec![Change::DeleteGrant(g.grant_id)])?;
        Ok(json!({}))
    }

    /// RevokeGrant (kms:RevokeGrant on the key; grant tokens are not accepted).
    pub fn revoke_grant(
        &mut self,
        caller: &Caller,
        key_id: &str,
        grant_id: &str,
        dry: Option<bool>,
    ) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:RevokeGrant", StateRule::Any)?;
        if self.grants.get(grant_id).is_none_or(|g| g.key_id != id) {
            return Err(KmsError::new(
                ErrorCode::InvalidGrantIdException,
                format!("Grant ID {grant_id} is not valid."),
            ));
        }
        dry_run(dry)?;
        self.commit(vec![Change::DeleteGrant(grant_id.to_string())])?;
        Ok(json!({}))
    }
}
