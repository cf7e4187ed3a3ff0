//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases. An alias is authorized twice,
//! as AWS does: on the alias ARN (IAM only) and on the target key (key policy and IAM).

use super::{check_state, epoch_s, page, StateRule};
use crate::auth::Ask;
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{alias_targets, arn_region, key_handle, Caller, Kms};
use crate::record::AliasRecord;
use crate::store::Change;
use keyward_core::eval::Principal;

pub use crate::api::grants::{
    AliasListEntry, AliasRequest, DeleteAliasRequest, ListAliasesRequest, ListAliasesResponse,
};
use crate::api::Empty;

/// Checks an alias name's shape as AWS does.
pub(crate) fn check_alias_name(name: &str) -> Result<()> {
    // The model's pattern (ValidationException) is checked before this, on the wire.
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(KmsError::validation(
            "Alias must start with the prefix \"alias/\". Please see \
             https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    };
    if name.contains(':') {
        return Err(KmsError::validation(format!(
            "{name} contains invalid characters for an alias"
        )));
    }
    if rest.is_empty()
        || name.len() > 256
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'))
    {
        return Err(KmsError::new(
            ErrorCode::InvalidAliasNameException,
            format!("Alias {name} must be 1 to 256 characters of a-z, A-Z, 0-9, '/', '_', '-' and ':' after 'alias/'."),
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(KmsError::new(
            ErrorCode::InvalidAliasNameException,
            format!(
                "Alias {name} begins with the reserved prefix 'alias/aws/' (AWS managed keys)."
            ),
        ));
    }
    Ok(())
}

impl Kms {
    fn alias_arn(&self, p: &Principal, name: &str) -> String {
        format!("arn:aws:kms:{}:{}:{name}", self.region, p.account)
    }

    /// The key a target id names; aliases are not allowed as targets; the key must be in the
    /// caller's account.
    fn target_key(&self, p: &Principal, target: &str) -> Result<String> {
        if target.starts_with("alias/") || target.contains(":alias/") {
            return Err(KmsError::validation(
                "TargetKeyId must be a key id or key ARN, not an alias.",
            ));
        }
        let (id, _) = self.resolve(p, target)?;
        if self.key(&id)?.rec.account != p.account {
            return Err(KmsError::new(
                ErrorCode::NotFoundException,
                format!("Key '{target}' does not exist in the alias's account."),
            ));
        }
        Ok(id)
    }

    fn authorize_alias(
        &self,
        caller: &Caller,
        p: &Principal,
        action: &'static str,
        alias_arn: &str,
        key_ids: &[&str],
    ) -> Result<()> {
        self.authorize(
            caller,
            p,
            Ask { action, resource: Some(alias_arn.to_string()), ..Ask::default() },
        )?;
        for id in key_ids {
            self.authorize(caller, p, Ask { action, key_id: Some(id), ..Ask::default() })?;
        }
        Ok(())
    }

    /// CreateAlias.
    pub fn create_alias(&mut self, caller: &Caller, r: AliasRequest) -> Result<Empty> {
        let (name, target) = (r.alias_name.as_str(), r.target_key_id.as_str());
        let p = self.begin(caller)?;
        check_alias_name(name)?;
        let id = self.target_key(&p, target)?;
        let arn = self.alias_arn(&p, name);
        self.authorize_alias(caller, &p, "kms:CreateAlias", &arn, &[&id])?;
        check_state(&self.key(&id)?.rec, StateRule::Modify)?;
        if self.aliases.contains_key(&arn) {
            return Err(KmsError::new(
                ErrorCode::AlreadyExistsException,
                format!("An alias with the name {arn} already exists"),
            ));
        }
        let target = &self.key(&id)?.rec;
        if self.aliases.values().filter(|a| alias_targets(a, target)).count() >= 50 {
            return Err(KmsError::new(
                ErrorCode::LimitExceededException,
                "A key can have at most 50 aliases.",
            ));
        }
        let rec = AliasRecord {
            name: name.to_string(),
            arn,
            key_id: target.key_id.clone(),
            created_ms: caller.now_ms,
            updated_ms: caller.now_ms,
        };
        self.commit(vec![Change::PutAlias(rec)])?;
        Ok(Empty {})
    }

    /// UpdateAlias: the new target must have the same key usage and key type.
    pub fn update_alias(&mut self, caller: &Caller, r: AliasRequest) -> Result<Empty> {
        let (name, target) = (r.alias_name.as_str(), r.target_key_id.as_str());
        let p = self.begin(caller)?;
        check_alias_name(name)?;
        let arn = self.alias_arn(&p, name);
        let Some(old) = self.aliases.get(&arn).cloned() else {
            return Err(KmsError::new(
                ErrorCode::NotFoundException,
                format!("Alias {arn} is not found."),
            ));
        };
        let id = self.target_key(&p, target)?;
        let old_key = key_handle(arn_region(&old.arn), &old.key_id);
        self.authorize_alias(caller, &p, "kms:UpdateAlias", &arn, &[&old_key, &id])?;
        let new = &self.key(&id)?.rec;
        if new.state == crate::types::KeyState::PendingDeletion {
            return Err(KmsError::new(
                ErrorCode::KMSInvalidStateException,
                format!("{} is pending deletion.", new.arn),
            ));
        }
        if let Some(cur) = self.keys.get(&old_key) {
            let kind = |s: crate::types::KeySpec| {
                (s.is_hmac(), s == crate::types::KeySpec::SymmetricDefault)
            };
            if cur.rec.usage != new.usage || kind(cur.rec.spec) != kind(new.spec) {
                return Err(KmsError::validation(format!(
                    "{} has key usage {} and spec {}; the alias's current key has {} and {}. An alias can only move between keys of the same type and usage.",
                    new.arn, new.usage, new.spec, cur.rec.usage, cur.rec.spec
                )));
            }
        }
        let rec = AliasRecord { key_id: new.key_id.clone(), updated_ms: caller.now_ms, ..old };
        self.commit(vec![Change::PutAlias(rec)])?;
        Ok(Empty {})
    }

    /// DeleteAlias.
    pub fn delete_alias(&mut self, caller: &Caller, r: DeleteAliasRequest) -> Result<Empty> {
        let name = r.alias_name.as_str();
        let p = self.begin(caller)?;
        check_alias_name(name)?;
        let arn = self.alias_arn(&p, name);
        let Some(old) = self.aliases.get(&arn).cloned() else {
            return Err(KmsError::new(
                ErrorCode::NotFoundException,
                format!("Alias {arn} is not found."),
            ));
        };
        let old_key = key_handle(arn_region(&old.arn), &old.key_id);
        self.authorize_alias(caller, &p, "kms:DeleteAlias", &arn, &[&old_key])?;
        self.commit(vec![Change::DeleteAlias(arn)])?;
        Ok(Empty {})
    }

    /// ListAliases (optionally for one key).
    pub fn list_aliases(
        &mut self,
        caller: &Caller,
        r: ListAliasesRequest,
    ) -> Result<ListAliasesResponse> {
        let p = self.begin(caller)?;
        let filter = match r.key_id.as_deref() {
            Some(k) => {
                let (id, _) = self.resolve(&p, k)?;
                Some(self.key(&id)?.rec.key_id.clone())
            }
            None => None,
        };
        self.authorize(caller, &p, Ask { action: "kms:ListAliases", ..Ask::default() })?;
        let prefix = format!("arn:aws:kms:{}:{}:alias/", self.region, p.account);
        let mut list: Vec<AliasListEntry> = self
            .aliases
            .values()
            .filter(|a| {
                a.arn.starts_with(&prefix) && filter.as_ref().is_none_or(|f| *f == a.key_id)
            })
            .map(|a| AliasListEntry {
                alias_name: a.name.clone(),
                alias_arn: a.arn.clone(),
                target_key_id: Some(a.key_id.clone()),
                creation_date: Some(epoch_s(a.created_ms)),
                last_updated_date: Some(epoch_s(a.updated_ms)),
            })
            .collect();
        if filter.is_none() {
            // AWS lists the predefined AWS managed key aliases of the account too, without a
            // TargetKeyId until the key is created.
            for name in keyward_core::eval::call::service::aws_managed_aliases() {
                let arn = format!("{prefix}{}", name.trim_start_matches("alias/"));
                if !self.aliases.contains_key(&arn) {
                    list.push(AliasListEntry {
                        alias_name: name,
                        alias_arn: arn,
                        target_key_id: None,
                        creation_date: None,
                        last_updated_date: None,
                    });
                }
            }
            list.sort_by(|a, b| a.alias_arn.cmp(&b.alias_arn));
        }
        let (aliases, next) = page(&list, r.limit, r.marker.as_deref(), 100)?;
        Ok(ListAliasesResponse { aliases, truncated: next.is_some(), next_marker: next })
    }
}
