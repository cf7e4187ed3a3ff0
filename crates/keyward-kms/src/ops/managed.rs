//! AWS managed keys: `alias/aws/<service>` names the AWS managed key of that service in the
//! caller's account and Region. AWS creates it on first use: when the service first calls KMS
//! with it (a call through the service, `kms:ViaService`), or when DescribeKey names the
//! predefined alias. The key has `KeyManager: AWS`, the key policy AWS documents for AWS managed
//! keys (keyward-core's, the one explain uses: use through the service by the account's
//! principals, metadata for the account, nothing else) and yearly automatic rotation. What a
//! customer may not do (change its policy, delete, disable, tag, change rotation) is refused by
//! that policy, with AWS's AccessDeniedException.

use crate::error::Result;
use crate::kms::{Caller, Kms};
use crate::operation::Operation;
use crate::record::{AliasRecord, KeyRecord, Rotation};
use crate::store::Change;
use crate::types::{KeySpec, KeyState, KeyUsage, Origin};
use keyward_core::eval::call::service::{aws_managed_key_policy_text, aws_managed_service};
use serde_json::Value;

const YEAR_MS: i64 = 365 * 86_400_000;

/// The key field of `op` that may name an AWS managed key (None for operations without one).
fn key_field(op: Operation) -> Option<&'static str> {
    match op {
        Operation::ReEncrypt => Some("DestinationKeyId"),
        _ => op.field("KeyId").map(|f| f.name),
    }
}

impl Kms {
    /// Creates the AWS managed key that `input` names by its predefined alias, if this call is
    /// one that makes AWS create it (DescribeKey, or any call through the alias's service) and
    /// the key does not exist yet. Any other request is left to the operation.
    pub(crate) fn ensure_aws_managed_key(
        &mut self,
        caller: &Caller,
        op: Operation,
        input: &Value,
    ) -> Result<()> {
        let Some(key_ref) = key_field(op).and_then(|f| input.get(f)).and_then(Value::as_str) else {
            return Ok(());
        };
        if !(key_ref.starts_with("alias/aws/") || key_ref.contains(":alias/aws/")) {
            return Ok(());
        }
        let Some(endpoint) = aws_managed_service(key_ref) else { return Ok(()) };
        let through_service =
            caller.via_service.as_deref().and_then(|v| v.split('.').next()) == Some(endpoint);
        if op != Operation::DescribeKey && !through_service {
            return Ok(());
        }
        let p = self.begin(caller)?;
        let region = self.region.clone();
        let name = match key_ref.split_once(":alias/") {
            Some((prefix, rest)) => {
                // An alias ARN names the managed key of its own account and Region only.
                if prefix != format!("arn:aws:kms:{region}:{}", p.account) {
                    return Ok(());
                }
                format!("alias/{rest}")
            }
            None => key_ref.to_string(),
        };
        let alias_arn = format!("arn:aws:kms:{region}:{}:{name}", p.account);
        if self.aliases.contains_key(&alias_arn) {
            return Ok(());
        }
        let key_id = crate::crypto::random_uuid(self.rng.as_mut());
        let now = caller.now_ms;
        let mut rec = KeyRecord {
            arn: format!("arn:aws:kms:{region}:{}:key/{key_id}", p.account),
            key_id: key_id.clone(),
            account: p.account.clone(),
            region: region.clone(),
            created_ms: now,
            description: format!(
                "Default key that protects my {} resources when no other key is defined",
                name.trim_start_matches("alias/aws/")
            ),
            spec: KeySpec::SymmetricDefault,
            usage: KeyUsage::EncryptDecrypt,
            origin: Origin::AwsKms,
            state: KeyState::Enabled,
            deletion_ms: None,
            pending_window_days: None,
            policy: aws_managed_key_policy_text(&p.account, &region, endpoint),
            tags: Vec::new(),
            // AWS rotates AWS managed keys every year; customers cannot change it.
            rotation: Some(Rotation { period_days: 365, next_ms: now + YEAR_MS }),
            rotations: Vec::new(),
            materials: Vec::new(),
            import: None,
            material_expires_ms: None,
            imports: Default::default(),
            aws_managed: true,
            multi_region: None,
        };
        crate::ops::keys::add_material(&mut rec, self.rng.as_mut(), now, "CREATE")?;
        let alias = AliasRecord { name, arn: alias_arn, key_id, created_ms: now, updated_ms: now };
        self.commit(vec![Change::PutKey(Box::new(rec)), Change::PutAlias(alias)])
    }
}
