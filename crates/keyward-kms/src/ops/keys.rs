//! Key lifecycle: CreateKey, DescribeKey, ListKeys, Enable/DisableKey, deletion, description,
//! tags, key policies and rotation.

use super::{check_not_external, check_state, epoch_s, page, StateRule};
use crate::auth::Ask;
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{parse_named, Caller, Kms};
use crate::record::{KeyRecord, Material, Rotation, RotationEvent, Tag};
use crate::store::Change;
use crate::types::{KeySpec, KeyState, KeyUsage, Origin};
use keyward_core::eval::{CtxValue, Principal};
use keyward_core::model::PolicyKind;
use rand_core::CryptoRngCore;
use serde::Deserialize;
use serde_json::{json, Value};

const DAY_MS: i64 = 86_400_000;

/// Adds a new material version to `rec` (creation, rotation).
pub(crate) fn add_material(
    rec: &mut KeyRecord,
    rng: &mut dyn CryptoRngCore,
    at_ms: i64,
    kind: &str,
) -> Result<()> {
    let secret = crate::crypto::generate_material(rec.spec, rng).map_err(|e| match e {
        crate::crypto::CryptoError::Unsupported(m) => {
            KmsError::new(ErrorCode::UnsupportedOperationException, m)
        }
        e => KmsError::new(ErrorCode::KMSInternalException, e.to_string()),
    })?;
    let id = crate::crypto::random_hex_id(rng);
    if kind != "CREATE" {
        rec.rotations.push(RotationEvent {
            material_id: id.clone(),
            at_ms,
            kind: kind.to_string(),
        });
    }
    rec.materials.push(Material { id, created_ms: at_ms, origin: kind.to_string(), secret });
    Ok(())
}

/// The default key policy: the account may use IAM policies to allow every KMS action.
pub fn default_key_policy(account: &str) -> String {
    format!(
        r#"{{
  "Version": "2012-10-17",
  "Id": "key-default-1",
  "Statement": [
    {{
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {{"AWS": "arn:aws:iam::{account}:root"}},
      "Action": "kms:*",
      "Resource": "*"
    }}
  ]
}}"#
    )
}

/// CreateKey input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeyRequest {
    /// Key policy (default policy when absent).
    pub policy: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// KeyUsage.
    pub key_usage: Option<KeyUsage>,
    /// Deprecated alias of KeySpec.
    pub customer_master_key_spec: Option<KeySpec>,
    /// KeySpec.
    pub key_spec: Option<KeySpec>,
    /// Origin.
    pub origin: Option<Origin>,
    /// Skip the lockout safety check.
    pub bypass_policy_lockout_safety_check: Option<bool>,
    /// Tags.
    pub tags: Option<Vec<Tag>>,
    /// Multi-Region (not supported locally).
    pub multi_region: Option<bool>,
}

/// The KeyMetadata structure.
pub(crate) fn metadata(rec: &KeyRecord) -> Value {
    let mut m = json!({
        "AWSAccountId": rec.account,
        "KeyId": rec.key_id,
        "Arn": rec.arn,
        "CreationDate": epoch_s(rec.created_ms),
        "Enabled": rec.state == KeyState::Enabled,
        "Description": rec.description,
        "KeyUsage": rec.usage,
        "KeyState": rec.state,
        "Origin": rec.origin,
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": rec.spec,
        "KeySpec": rec.spec,
        "MultiRegion": false,
    });
    let put = |m: &mut Value, k: &str, v: Value| {
        if let Some(o) = m.as_object_mut() {
            o.insert(k.to_string(), v);
        }
    };
    match rec.usage {
        KeyUsage::EncryptDecrypt => {
            put(&mut m, "EncryptionAlgorithms", json!(rec.spec.encryption_algorithms()))
        }
        KeyUsage::SignVerify => {
            put(&mut m, "SigningAlgorithms", json!(rec.spec.signing_algorithms()))
        }
        KeyUsage::GenerateVerifyMac => {
            put(&mut m, "MacAlgorithms", json!(rec.spec.mac_algorithms()))
        }
    }
    if let Some(d) = rec.deletion_ms {
        put(&mut m, "DeletionDate", json!(epoch_s(d)));
    }
    if let Some(w) = rec.pending_window_days {
        put(&mut m, "PendingDeletionWindowInDays", json!(w));
    }
    if rec.origin == Origin::External {
        let model = if rec.material_expires_ms.is_some() {
            "KEY_MATERIAL_EXPIRES"
        } else {
            "KEY_MATERIAL_DOES_NOT_EXPIRE"
        };
        if !rec.materials.is_empty() {
            put(&mut m, "ExpirationModel", json!(model));
        }
        if let Some(t) = rec.material_expires_ms {
            put(&mut m, "ValidTo", json!(epoch_s(t)));
        }
    }
    if let Some(mat) = rec.materials.last() {
        if rec.spec == KeySpec::SymmetricDefault {
            put(&mut m, "CurrentKeyMaterialId", json!(mat.id));
        }
    }
    m
}

pub(crate) fn validate_tags(tags: &[Tag]) -> Result<()> {
    for t in tags {
        if t.tag_key.is_empty()
            || t.tag_key.chars().count() > 128
            || t.tag_value.chars().count() > 256
        {
            return Err(KmsError::new(
                ErrorCode::TagException,
                "Tag keys must be 1-128 characters and values 0-256 characters.",
            ));
        }
        if t.tag_key.starts_with("aws:") {
            return Err(KmsError::new(
                ErrorCode::TagException,
                "Tag keys must not begin with 'aws:'.",
            ));
        }
    }
    if tags.len() > 50 {
        return Err(KmsError::new(
            ErrorCode::LimitExceededException,
            "A key can have at most 50 tags.",
        ));
    }
    Ok(())
}

fn tag_context(tags: &[Tag]) -> Vec<(String, CtxValue)> {
    let mut extra: Vec<(String, CtxValue)> = tags
        .iter()
        .map(|t| (format!("aws:RequestTag/{}", t.tag_key), CtxValue::One(t.tag_value.clone())))
        .collect();
    if !tags.is_empty() {
        extra.push((
            "aws:TagKeys".to_string(),
            CtxValue::Many(tags.iter().map(|t| t.tag_key.clone()).collect()),
        ));
    }
    extra
}

impl Kms {
    /// Runs the clock and parses the caller.
    pub(crate) fn begin(&mut self, caller: &Caller) -> Result<Principal> {
        self.tick(caller.now_ms)?;
        if let Some(p) = self.principals.get(&caller.principal) {
            return Ok(p.clone());
        }
        let p = Kms::principal(caller)?;
        if self.principals.len() >= 4096 {
            self.principals.clear();
        }
        self.principals.insert(caller.principal.clone(), p.clone());
        Ok(p)
    }

    /// Resolve, authorize, check state: the common start of every key operation.
    pub(crate) fn gate(
        &mut self,
        caller: &Caller,
        key_ref: &str,
        action: &'static str,
        rule: StateRule,
    ) -> Result<(Principal, String)> {
        let p = self.begin(caller)?;
        let (id, alias) = self.resolve(&p, key_ref)?;
        self.authorize(
            caller,
            &p,
            Ask { action, key_id: Some(&id), request_alias: alias.as_deref(), ..Ask::default() },
        )?;
        check_state(&self.key(&id)?.rec, rule)?;
        Ok((p, id))
    }

    pub(crate) fn key(&self, id: &str) -> Result<&crate::kms::KeyEntry> {
        self.keys.get(id).ok_or_else(|| {
            KmsError::new(ErrorCode::NotFoundException, format!("Key '{id}' does not exist"))
        })
    }

    /// Parses a key policy and runs the lockout safety check (the caller must still be able
    /// to call PutKeyPolicy under it) unless bypassed.
    fn check_policy(
        &self,
        caller: &Caller,
        p: &Principal,
        text: &str,
        arn: &str,
        account: &str,
        bypass: bool,
    ) -> Result<()> {
        if text.is_empty() || text.chars().count() > 32_768 {
            return Err(KmsError::new(
                ErrorCode::LimitExceededException,
                "The key policy must be 1 to 32768 characters.",
            ));
        }
        let policy = parse_named(text, PolicyKind::Key, "new key policy").map_err(|e| {
            KmsError::new(
                ErrorCode::MalformedPolicyDocumentException,
                format!("The key policy is not valid: {e}"),
            )
        })?;
        if bypass {
            return Ok(());
        }
        let ask = Ask {
            action: "kms:PutKeyPolicy",
            new_policy: Some((&policy, arn, account)),
            ..Ask::default()
        };
        let (set, req) = self.request(caller, p, ask)?;
        if keyward_core::eval::decide(&set, &req) != keyward_core::eval::Decision::Allow {
            return Err(KmsError::new(
                ErrorCode::MalformedPolicyDocumentException,
                "The new key policy will not allow you to update the key policy in the future.",
            ));
        }
        Ok(())
    }

    /// CreateKey.
    pub fn create_key(&mut self, caller: &Caller, r: CreateKeyRequest) -> Result<Value> {
        let p = self.begin(caller)?;
        let spec = r.key_spec.or(r.customer_master_key_spec).unwrap_or(KeySpec::SymmetricDefault);
        let usage = r.key_usage.unwrap_or(if spec.is_hmac() {
            KeyUsage::GenerateVerifyMac
        } else if spec.is_ecc() {
            KeyUsage::SignVerify
        } else {
            KeyUsage::EncryptDecrypt
        });
        let origin = r.origin.unwrap_or(Origin::AwsKms);
        let tags = r.tags.unwrap_or_default();
        let mut extra = vec![
            ("kms:KeySpec".to_string(), CtxValue::One(spec.as_str().into())),
            ("kms:KeyUsage".to_string(), CtxValue::One(usage.as_str().into())),
            ("kms:KeyOrigin".to_string(), CtxValue::One(origin.as_str().into())),
            ("kms:MultiRegion".to_string(), CtxValue::One("false".into())),
        ];
        let bypass = r.bypass_policy_lockout_safety_check.unwrap_or(false);
        extra.push((
            "kms:BypassPolicyLockoutSafetyCheck".to_string(),
            CtxValue::One(bypass.to_string()),
        ));
        extra.extend(tag_context(&tags));
        self.authorize(caller, &p, Ask { action: "kms:CreateKey", extra, ..Ask::default() })?;
        if !tags.is_empty() {
            self.authorize(
                caller,
                &p,
                Ask { action: "kms:TagResource", extra: tag_context(&tags), ..Ask::default() },
            )?;
        }
        if !spec.usages().contains(&usage) {
            return Err(KmsError::validation(format!(
                "KeyUsage {usage} is not compatible with KeySpec {spec}"
            )));
        }
        if r.multi_region == Some(true) {
            return Err(KmsError::new(
                ErrorCode::UnsupportedOperationException,
                "Multi-Region keys are not supported by keyward.",
            ));
        }
        if origin == Origin::External && spec != KeySpec::SymmetricDefault {
            return Err(KmsError::new(
                ErrorCode::UnsupportedOperationException,
                "keyward imports key material for SYMMETRIC_DEFAULT keys only.",
            ));
        }
        let description = r.description.unwrap_or_default();
        if description.chars().count() > 8192 {
            return Err(KmsError::constraint(
                "description",
                "Member must have length less than or equal to 8192",
            ));
        }
        validate_tags(&tags)?;
        let key_id = crate::crypto::random_uuid(self.rng.as_mut());
        let arn = format!("arn:aws:kms:{}:{}:key/{key_id}", self.config.region, p.account);
        let policy = r.policy.unwrap_or_else(|| default_key_policy(&p.account));
        self.check_policy(caller, &p, &policy, &arn, &p.account, bypass)?;
        let mut rec = KeyRecord {
            key_id,
            arn,
            account: p.account,
            region: self.config.region.clone(),
            created_ms: caller.now_ms,
            description,
            spec,
            usage,
            origin,
            state: if origin == Origin::External {
                KeyState::PendingImport
            } else {
                KeyState::Enabled
            },
            deletion_ms: None,
            pending_window_days: None,
            policy,
            tags,
            rotation: None,
            rotations: Vec::new(),
            materials: Vec::new(),
            import: None,
            material_expires_ms: None,
        };
        if origin == Origin::AwsKms {
            add_material(&mut rec, self.rng.as_mut(), caller.now_ms, "CREATE")?;
        }
        let out = json!({ "KeyMetadata": metadata(&rec) });
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// DescribeKey.
    pub fn describe_key(&mut self, caller: &Caller, key_id: &str) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:DescribeKey", StateRule::Any)?;
        Ok(json!({ "KeyMetadata": metadata(&self.key(&id)?.rec) }))
    }

    /// ListKeys: the keys of the caller's account (IAM permission on `*`).
    pub fn list_keys(
        &mut self,
        caller: &Caller,
        limit: Option<i64>,
        marker: Option<&str>,
    ) -> Result<Value> {
        let p = self.begin(caller)?;
        self.authorize(caller, &p, Ask { action: "kms:ListKeys", ..Ask::default() })?;
        let mut keys: Vec<(i64, String, String)> = self
            .keys
            .values()
            .filter(|k| k.rec.account == p.account)
            .map(|k| (k.rec.created_ms, k.rec.key_id.clone(), k.rec.arn.clone()))
            .collect();
        keys.sort();
        let (items, next) = page(&keys, limit, marker, 100)?;
        let list: Vec<Value> =
            items.iter().map(|(_, id, arn)| json!({"KeyId": id, "KeyArn": arn})).collect();
        Ok(list_response("Keys", list, next))
    }

    fn set_state(
        &mut self,
        caller: &Caller,
        key_id: &str,
        action: &'static str,
        state: KeyState,
    ) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, action, StateRule::Toggle)?;
        let mut rec = self.key(&id)?.rec.clone();
        if rec.state == KeyState::PendingImport {
            return Err(KmsError::new(
                ErrorCode::KMSInvalidStateException,
                format!("{} is pending import.", rec.arn),
            ));
        }
        rec.state = state;
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(json!({}))
    }

    /// EnableKey.
    pub fn enable_key(&mut self, caller: &Caller, key_id: &str) -> Result<Value> {
        self.set_state(caller, key_id, "kms:EnableKey", KeyState::Enabled)
    }

    /// DisableKey.
    pub fn disable_key(&mut self, caller: &Caller, key_id: &str) -> Result<Value> {
        self.set_state(caller, key_id, "kms:DisableKey", KeyState::Disabled)
    }

    /// ScheduleKeyDeletion (7–30 days, default 30).
    pub fn schedule_key_deletion(
        &mut self,
        caller: &Caller,
        key_id: &str,
        days: Option<i64>,
    ) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:ScheduleKeyDeletion", StateRule::Modify)?;
        let days = days.unwrap_or(30);
        if !(7..=30).contains(&days) {
            return Err(KmsError::constraint(
                "pendingWindowInDays",
                "Member must have value between 7 and 30",
            ));
        }
        let mut rec = self.key(&id)?.rec.clone();
        let when = caller.now_ms + days * DAY_MS;
        rec.state = KeyState::PendingDeletion;
        rec.deletion_ms = Some(when);
        rec.pending_window_days = u32::try_from(days).ok();
        let out = json!({
            "KeyId": rec.arn, "DeletionDate": epoch_s(when), "KeyState": "PendingDeletion", "PendingWindowInDays": days,
        });
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// CancelKeyDeletion: the key returns to Disabled, as AWS documents.
    pub fn cancel_key_deletion(&mut self, caller: &Caller, key_id: &str) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:CancelKeyDeletion", StateRule::Any)?;
        let mut rec = self.key(&id)?.rec.clone();
        if rec.state != KeyState::PendingDeletion {
            return Err(KmsError::new(
                ErrorCode::KMSInvalidStateException,
                format!("{} is not pending deletion.", rec.arn),
            ));
        }
        rec.state =
            if rec.materials.is_empty() { KeyState::PendingImport } else { KeyState::Disabled };
        rec.deletion_ms = None;
        rec.pending_window_days = None;
        let out = json!({ "KeyId": rec.arn });
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// UpdateKeyDescription.
    pub fn update_key_description(
        &mut self,
        caller: &Caller,
        key_id: &str,
        description: &str,
    ) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:UpdateKeyDescription", StateRule::Modify)?;
        if description.chars().count() > 8192 {
            return Err(KmsError::constraint(
                "description",
                "Member must have length less than or equal to 8192",
            ));
        }
        let mut rec = self.key(&id)?.rec.clone();
        rec.description = description.to_string();
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(json!({}))
    }

    /// TagResource.
    pub fn tag_resource(&mut self, caller: &Caller, key_id: &str, tags: Vec<Tag>) -> Result<Value> {
        let p = self.begin(caller)?;
        let (id, alias) = self.resolve(&p, key_id)?;
        if alias.is_some() {
            return Err(KmsError::new(
                ErrorCode::InvalidArnException,
                "TagResource needs a key id or key ARN, not an alias.",
            ));
        }
        let extra = tag_context(&tags);
        self.authorize(
            caller,
            &p,
            Ask { action: "kms:TagResource", key_id: Some(&id), extra, ..Ask::default() },
        )?;
        check_state(&self.key(&id)?.rec, StateRule::Modify)?;
        validate_tags(&tags)?;
        let mut rec = self.key(&id)?.rec.clone();
        for t in tags {
            match rec.tags.iter_mut().find(|x| x.tag_key == t.tag_key) {
                Some(x) => x.tag_value = t.tag_value,
                None => rec.tags.push(t),
            }
        }
        validate_tags(&rec.tags)?;
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(json!({}))
    }

    /// UntagResource.
    pub fn untag_resource(
        &mut self,
        caller: &Caller,
        key_id: &str,
        keys: Vec<String>,
    ) -> Result<Value> {
        let p = self.begin(caller)?;
        let (id, _) = self.resolve(&p, key_id)?;
        let extra = vec![("aws:TagKeys".to_string(), CtxValue::Many(keys.clone()))];
        self.authorize(
            caller,
            &p,
            Ask { action: "kms:UntagResource", key_id: Some(&id), extra, ..Ask::default() },
        )?;
        check_state(&self.key(&id)?.rec, StateRule::Modify)?;
        let mut rec = self.key(&id)?.rec.clone();
        rec.tags.retain(|t| !keys.contains(&t.tag_key));
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(json!({}))
    }

    /// ListResourceTags.
    pub fn list_resource_tags(
        &mut self,
        caller: &Caller,
        key_id: &str,
        limit: Option<i64>,
        marker: Option<&str>,
    ) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:ListResourceTags", StateRule::Any)?;
        let mut tags = self.key(&id)?.rec.tags.clone();
        tags.sort_by(|a, b| a.tag_key.cmp(&b.tag_key));
        let (items, next) = page(&tags, limit, marker, 50)?;
        Ok(list_response("Tags", items.iter().map(|t| json!(t)).collect(), next))
    }

    /// PutKeyPolicy (policy name `default` only), with the lockout safety check.
    pub fn put_key_policy(
        &mut self,
        caller: &Caller,
        key_id: &str,
        name: Option<&str>,
        policy: &str,
        bypass: bool,
    ) -> Result<Value> {
        let (p, id) = self.gate(caller, key_id, "kms:PutKeyPolicy", StateRule::Any)?;
        check_policy_name(name)?;
        let rec = &self.key(&id)?.rec;
        let (arn, account) = (rec.arn.clone(), rec.account.clone());
        self.check_policy(caller, &p, policy, &arn, &account, bypass)?;
        let mut rec = self.key(&id)?.rec.clone();
        rec.policy = policy.to_string();
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(json!({}))
    }

    /// GetKeyPolicy.
    pub fn get_key_policy(
        &mut self,
        caller: &Caller,
        key_id: &str,
        name: Option<&str>,
    ) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:GetKeyPolicy", StateRule::Any)?;
        check_policy_name(name)?;
        Ok(json!({ "Policy": self.key(&id)?.rec.policy, "PolicyName": "default" }))
    }

    /// ListKeyPolicies.
    pub fn list_key_policies(&mut self, caller: &Caller, key_id: &str) -> Result<Value> {
        self.gate(caller, key_id, "kms:ListKeyPolicies", StateRule::Any)?;
        Ok(json!({ "PolicyNames": ["default"], "Truncated": false }))
    }

    fn rotatable(&self, id: &str) -> Result<KeyRecord> {
        let rec = self.key(id)?.rec.clone();
        check_not_external(&rec)?;
        if rec.spec != KeySpec::SymmetricDefault {
            return Err(KmsError::new(
                ErrorCode::UnsupportedOperationException,
                format!("{} key spec {} does not support automatic rotation.", rec.arn, rec.spec),
            ));
        }
        Ok(rec)
    }

    /// EnableKeyRotation (RotationPeriodInDays 90–2560, default 365).
    pub fn enable_key_rotation(
        &mut self,
        caller: &Caller,
        key_id: &str,
        period: Option<i64>,
    ) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:EnableKeyRotation", StateRule::Rotate)?;
        let period = period.unwrap_or(365);
        if !(90..=2560).contains(&period) {
            return Err(KmsError::constraint(
                "rotationPeriodInDays",
                "Member must have value between 90 and 2560",
            ));
        }
        let mut rec = self.rotatable(&id)?;
        let period_days = u32::try_from(period).unwrap_or(365);
        rec.rotation = Some(Rotation { period_days, next_ms: caller.now_ms + period * DAY_MS });
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(json!({}))
    }

    /// DisableKeyRotation.
    pub fn disable_key_rotation(&mut self, caller: &Caller, key_id: &str) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:DisableKeyRotation", StateRule::Rotate)?;
        let mut rec = self.rotatable(&id)?;
        rec.rotation = None;
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(json!({}))
    }

    /// GetKeyRotationStatus.
    pub fn get_key_rotation_status(&mut self, caller: &Caller, key_id: &str) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:GetKeyRotationStatus", StateRule::Any)?;
        let rec = &self.key(&id)?.rec;
        if rec.state == KeyState::PendingImport {
            check_state(rec, StateRule::Rotate)?;
        }
        let rec = self.rotatable(&id)?;
        let mut out = json!({ "KeyRotationEnabled": rec.rotation.is_some(), "KeyId": rec.arn });
        if let (Some(r), Some(o)) = (&rec.rotation, out.as_object_mut()) {
            o.insert("RotationPeriodInDays".into(), json!(r.period_days));
            o.insert("NextRotationDate".into(), json!(epoch_s(r.next_ms)));
        }
        if let (Some(last), Some(o)) =
            (rec.rotations.iter().rev().find(|e| e.kind == "ON_DEMAND"), out.as_object_mut())
        {
            o.insert("OnDemandRotationStartDate".into(), json!(epoch_s(last.at_ms)));
        }
        Ok(out)
    }

    /// RotateKeyOnDemand (at most 25 per key).
    pub fn rotate_key_on_demand(&mut self, caller: &Caller, key_id: &str) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:RotateKeyOnDemand", StateRule::Rotate)?;
        let mut rec = self.rotatable(&id)?;
        if rec.rotations.iter().filter(|e| e.kind == "ON_DEMAND").count() >= 25 {
            return Err(KmsError::new(
                ErrorCode::LimitExceededException,
                "A key can be rotated on demand at most 25 times.",
            ));
        }
        add_material(&mut rec, self.rng.as_mut(), caller.now_ms, "ON_DEMAND")?;
        let out = json!({ "KeyId": rec.arn });
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// ListKeyRotations.
    pub fn list_key_rotations(
        &mut self,
        caller: &Caller,
        key_id: &str,
        limit: Option<i64>,
        marker: Option<&str>,
    ) -> Result<Value> {
        let (_, id) = self.gate(caller, key_id, "kms:ListKeyRotations", StateRule::Any)?;
        let rec = self.rotatable(&id)?;
        let (items, next) = page(&rec.rotations, limit, marker, 100)?;
        let list = items
            .iter()
            .map(|e| json!({"KeyId": rec.arn, "KeyMaterialId": e.material_id, "RotationDate": epoch_s(e.at_ms), "RotationType": e.kind}))
            .collect();
        Ok(list_response("Rotations", list, next))
    }
}

fn check_policy_name(name: Option<&str>) -> Result<()> {
    match name {
        None | Some("default") => Ok(()),
        Some(n) => Err(KmsError::new(
            ErrorCode::NotFoundException,
            format!("Policy {n} is not found. The only policy name is 'default'."),
        )),
    }
}

/// `{Field: [...], Truncated, NextMarker?}`.
pub(crate) fn list_response(field: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut out = serde_json::Map::new();
    out.insert(field.to_string(), Value::Array(items));
    out.insert("Truncated".into(), Value::Bool(next.is_some()));
    if let Some(m) = next {
        out.insert("NextMarker".into(), Value::String(m));
    }
    Value::Object(out)
}
