//! The local account model: IAM users and roles with their policies, boundaries and tags,
//! access keys, SCPs and RCPs. Managed directly (not through KMS authorization): it stands
//! for what IAM and Organizations hold in AWS.

use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{parse_named, Kms};
use crate::record::{AccessKeyRecord, IdentityRecord, OrgPolicyRecord, Secret, Tag};
use crate::store::Change;
use keyward_core::eval::{Principal, PrincipalKind};
use keyward_core::model::PolicyKind;

/// The account keyward uses when none is given.
pub const DEFAULT_ACCOUNT: &str = "111122223333";
/// The caller keyward uses when none is given: an administrator of the default account.
pub const DEFAULT_CALLER: &str = "arn:aws:iam::111122223333:user/admin";
/// The administrator's identity policy.
pub const ADMIN_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AdministratorAccess","Effect":"Allow","Action":"*","Resource":"*"}]}"#;

fn unique_id(prefix: &str, arn: &str) -> String {
    // Deterministic from the ARN so a re-put identity keeps its id.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in arn.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let tail: String = (0..17)
        .map(|i| {
            let idx = usize::try_from((h >> ((i * 3) % 60)) & 31).unwrap_or(0);
            char::from(ALPHABET.get(idx).copied().unwrap_or(b'A'))
        })
        .collect();
    format!("{prefix}{tail}")
}

/// The identity (user or role ARN) an access key's principal stands for, as `(account, kind,
/// name)`: the user itself, or the role of an assumed-role session. `None` for principals with
/// no identity record (the account root, services).
fn owner_of(principal: &str) -> Option<(String, PrincipalKind, String)> {
    let p = Principal::parse(principal).ok()?;
    match p.kind {
        PrincipalKind::User => Some((p.account, PrincipalKind::User, p.user_name?)),
        PrincipalKind::AssumedRole | PrincipalKind::Role => {
            Some((p.account, PrincipalKind::Role, p.role_name?))
        }
        _ => None,
    }
}

/// Whether the identity record `arn` is the owner `(account, kind, name)` (paths ignored).
fn is_owner(arn: &str, owner: &(String, PrincipalKind, String)) -> bool {
    owner_of(arn).is_some_and(|o| o == *owner)
}

impl Kms {
    /// Creates the default administrator when the account model is empty. Call it on a new
    /// store only (the SQLite store says whether it created the database): seeding an existing
    /// store again would bring back an administrator that was deleted on purpose.
    pub fn seed_defaults(&mut self) -> Result<()> {
        if !self.identities.is_empty() {
            return Ok(());
        }
        self.put_identity(
            DEFAULT_CALLER,
            vec![("AdministratorAccess".into(), ADMIN_POLICY.into())],
            None,
            Vec::new(),
        )
    }

    /// Creates or replaces a user or role with its identity policies, boundary and tags.
    pub fn put_identity(
        &mut self,
        arn: &str,
        policies: Vec<(String, String)>,
        boundary: Option<String>,
        tags: Vec<Tag>,
    ) -> Result<()> {
        let p = Principal::parse(arn)
            .map_err(|e| KmsError::validation(format!("principal `{arn}`: {e}")))?;
        let prefix = match p.kind {
            PrincipalKind::User => "AIDA",
            PrincipalKind::Role => "AROA",
            _ => {
                return Err(KmsError::validation(format!("`{arn}` is not an IAM user or role ARN")))
            }
        };
        check_texts(&policies, boundary.as_deref())?;
        let rec = IdentityRecord {
            arn: arn.to_string(),
            unique_id: unique_id(prefix, arn),
            policies,
            boundary,
            tags,
            iam: None,
        };
        self.commit(vec![Change::PutIdentity(Box::new(rec))])
    }

    /// Commits the IAM API's changes to identities (users, roles, groups, managed policies,
    /// all under `arn:aws:iam::` ARNs) and access keys atomically, as one durable commit. Every
    /// policy text must parse; any other kind of change is refused.
    pub fn commit_iam(&mut self, changes: Vec<Change>) -> Result<()> {
        for c in &changes {
            match c {
                Change::PutIdentity(rec) => {
                    if !rec.arn.starts_with("arn:aws:iam::") {
                        return Err(KmsError::validation(format!(
                            "`{}` is not an IAM ARN",
                            rec.arn
                        )));
                    }
                    check_texts(&rec.policies, rec.boundary.as_deref())?;
                }
                Change::PutAccessKey(rec) => {
                    if let Some(s) = &rec.session_policy {
                        malformed(
                            parse_named(s, PolicyKind::Session, "session policy"),
                            "session policy",
                        )?;
                    }
                }
                Change::DeleteIdentity(_) | Change::DeleteAccessKey(_) => {}
                _ => {
                    return Err(KmsError::validation(
                        "the IAM API changes identities and access keys only",
                    ))
                }
            }
        }
        self.commit(changes)
    }

    /// Removes a user or role. Refused while access keys act as it (the user, or sessions of
    /// the role), as IAM's DeleteUser refuses with DeleteConflict: delete the keys first.
    pub fn delete_identity(&mut self, arn: &str) -> Result<()> {
        if !self.identities.contains_key(arn) {
            return Err(KmsError::new(ErrorCode::NotFoundException, format!("no identity {arn}")));
        }
        let mut keys: Vec<&str> = self
            .access_keys
            .values()
            .filter(|k| owner_of(&k.principal).is_some_and(|o| is_owner(arn, &o)))
            .map(|k| k.id.as_str())
            .collect();
        if !keys.is_empty() {
            keys.sort_unstable();
            return Err(KmsError::new(
                ErrorCode::ConflictException,
                format!(
                    "DeleteConflict: Cannot delete entity, must delete access keys first ({arn} \
                     has {})",
                    keys.join(", ")
                ),
            ));
        }
        self.commit(vec![Change::DeleteIdentity(arn.to_string())])
    }

    /// Deletes an access key; requests signed with it are refused from then on.
    pub fn delete_access_key(&mut self, id: &str) -> Result<()> {
        if !self.access_keys.contains_key(id) {
            return Err(no_access_key(id));
        }
        self.commit(vec![Change::DeleteAccessKey(id.to_string())])
    }

    /// Makes an access key active or inactive (IAM's UpdateAccessKey `--status`).
    pub fn set_access_key_active(&mut self, id: &str, active: bool) -> Result<()> {
        let Some(rec) = self.access_keys.get(id) else { return Err(no_access_key(id)) };
        let mut rec = rec.clone();
        rec.inactive = !active;
        self.commit(vec![Change::PutAccessKey(Box::new(rec))])
    }

    /// The access key with this id when requests may be signed with it: it is active and the
    /// identity it acts as (the user, or the role of an assumed-role session) still exists.
    /// `Err(())` for a key that exists but may not be used; `Ok(None)` for an unknown id.
    #[allow(clippy::result_unit_err, reason = "the caller answers both alike, with AWS's error")]
    pub fn usable_access_key(&self, id: &str) -> std::result::Result<Option<&AccessKeyRecord>, ()> {
        let Some(rec) = self.access_keys.get(id) else { return Ok(None) };
        if rec.inactive {
            return Err(());
        }
        let Some(owner) = owner_of(&rec.principal) else { return Ok(Some(rec)) };
        // The identity's ARN without a path is the common case: one lookup. Only a miss (an
        // ARN with a path, or a refused key) scans the identities.
        let (account, kind, name) = &owner;
        let kind = if *kind == PrincipalKind::User { "user" } else { "role" };
        let direct = self.identities.contains_key(&format!("arn:aws:iam::{account}:{kind}/{name}"));
        if direct || self.identities.keys().any(|arn| is_owner(arn, &owner)) {
            Ok(Some(rec))
        } else {
            Err(())
        }
    }

    /// Every identity, sorted by ARN.
    pub fn identities(&self) -> Vec<&IdentityRecord> {
        let mut v: Vec<&IdentityRecord> = self.identities.values().map(|e| &e.rec).collect();
        v.sort_by(|a, b| a.arn.cmp(&b.arn));
        v
    }

    /// Creates an access key for `principal` (user ARN or assumed-role session ARN); returns it
    /// with its secret.
    pub fn create_access_key(
        &mut self,
        principal: &str,
        session_policy: Option<String>,
        now_ms: i64,
    ) -> Result<AccessKeyRecord> {
        Principal::parse(principal)
            .map_err(|e| KmsError::validation(format!("principal `{principal}`: {e}")))?;
        if let Some(s) = &session_policy {
            malformed(parse_named(s, PolicyKind::Session, "session policy"), "session policy")?;
        }
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut raw = [0u8; 16];
        self.rng.fill_bytes(&mut raw);
        let id: String = std::iter::once("AKIA".to_string())
            .chain(raw.iter().map(|b| {
                char::from(ALPHABET.get(usize::from(b & 31)).copied().unwrap_or(b'A')).to_string()
            }))
            .collect();
        let mut secret = [0u8; 30];
        self.rng.fill_bytes(&mut secret);
        let secret = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, secret);
        let rec = AccessKeyRecord {
            id,
            secret: Secret::new(secret.into_bytes()),
            principal: principal.to_string(),
            session_policy,
            created_ms: now_ms,
            inactive: false,
            session: None,
        };
        self.commit(vec![Change::PutAccessKey(Box::new(rec.clone()))])?;
        Ok(rec)
    }

    /// The access key with this id.
    pub fn access_key(&self, id: &str) -> Option<&AccessKeyRecord> {
        self.access_keys.get(id)
    }

    /// Every access key, sorted by id.
    pub fn access_keys(&self) -> Vec<&AccessKeyRecord> {
        let mut v: Vec<&AccessKeyRecord> = self.access_keys.values().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    /// Adds or replaces an SCP (`kind` "scp") or RCP ("rcp").
    pub fn put_org_policy(&mut self, rec: OrgPolicyRecord) -> Result<()> {
        let kind = match rec.kind.as_str() {
            "scp" => PolicyKind::Scp,
            "rcp" => PolicyKind::Rcp,
            k => {
                return Err(KmsError::validation(format!(
                    "organization policy kind `{k}` (scp|rcp)"
                )))
            }
        };
        parse_named(&rec.text, kind, &rec.name).map_err(|e| {
            KmsError::new(ErrorCode::MalformedPolicyDocumentException, format!("{}: {e}", rec.name))
        })?;
        self.commit(vec![Change::PutOrgPolicy(Box::new(rec))])
    }

    /// Removes an SCP or RCP.
    pub fn delete_org_policy(&mut self, name: &str) -> Result<()> {
        self.commit(vec![Change::DeleteOrgPolicy(name.to_string())])
    }

    /// Every organization policy.
    pub fn org_policies(&self) -> Vec<&OrgPolicyRecord> {
        self.org.iter().map(|e| &e.rec).collect()
    }
}

/// A policy text that does not parse: MalformedPolicyDocumentException naming `what`.
fn malformed<T>(r: std::result::Result<T, String>, what: &str) -> Result<T> {
    r.map_err(|e| {
        KmsError::new(ErrorCode::MalformedPolicyDocumentException, format!("{what}: {e}"))
    })
}

/// Checks an identity's policy texts and boundary.
fn check_texts(policies: &[(String, String)], boundary: Option<&str>) -> Result<()> {
    for (name, text) in policies {
        malformed(
            parse_named(text, PolicyKind::Identity, name),
            &format!("identity policy {name}"),
        )?;
    }
    if let Some(b) = boundary {
        malformed(parse_named(b, PolicyKind::Boundary, "boundary"), "permissions boundary")?;
    }
    Ok(())
}

fn no_access_key(id: &str) -> KmsError {
    KmsError::new(
        ErrorCode::NotFoundException,
        format!("NoSuchEntity: The Access Key with id {id} cannot be found."),
    )
}
