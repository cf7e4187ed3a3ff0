//! Key lifecycle: CreateKey, DescribeKey, ListKeys, Enable/DisableKey, deletion, description,
//! tags and key policies (rotation: `rotation.rs`).

use super::{check_state, epoch_s, page, StateRule};
pub use crate::api::keys::{
    CreateKeyRequest, DescribeKeyRequest, EnableKeyRotationRequest, GetKeyPolicyRequest,
    GetKeyPolicyResponse, GetKeyRotationStatusResponse, KeyListEntry, KeyMetadata,
    KeyMetadataResponse, KeyPageRequest, KeyRequest, ListKeyPoliciesResponse,
    ListKeyRotationsResponse, ListKeysRequest, ListKeysResponse, ListResourceTagsResponse,
    PutKeyPolicyRequest, RotationEntry, ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse,
    TagResourceRequest, UntagResourceRequest, UpdateKeyDescriptionRequest,
};
use crate::api::{Empty, KeyIdResponse};
use crate::auth::Ask;
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{parse_named, Caller, Kms};
use crate::record::{KeyRecord, Material, MultiRegionRole, RotationEvent, Tag};
use crate::store::Change;
use crate::types::{KeySpec, KeyState, KeyUsage, Origin};
use keyward_core::eval::{CtxValue, Principal};
use keyward_core::model::PolicyKind;
use rand_core::CryptoRngCore;
use std::sync::Arc;

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

/// Key specs whose material can be imported (Origin EXTERNAL): symmetric, HMAC, RSA and the
/// ECDSA/ECDH curves.
fn importable(spec: KeySpec) -> bool {
    matches!(
        spec,
        KeySpec::SymmetricDefault
            | KeySpec::Hmac224
            | KeySpec::Hmac256
            | KeySpec::Hmac384
            | KeySpec::Hmac512
            | KeySpec::Rsa2048
            | KeySpec::Rsa3072
            | KeySpec::Rsa4096
            | KeySpec::EccNistP256
            | KeySpec::EccNistP384
            | KeySpec::EccNistP521
            | KeySpec::EccSecgP256k1
    )
}

/// The default key policy: the account may use IAM policies to allow every KMS action.
pub fn default_key_policy(account: &str) -> String {
    keyward_core::eval::call::default_key_policy_text(account)
}

/// The KeyMetadata structure.
pub(crate) fn metadata(rec: &KeyRecord) -> KeyMetadata {
    let external = rec.origin == Origin::External;
    KeyMetadata {
        aws_account_id: rec.account.clone(),
        key_id: rec.key_id.clone(),
        arn: rec.arn.clone(),
        creation_date: epoch_s(rec.created_ms),
        enabled: rec.state == KeyState::Enabled,
        description: rec.description.clone(),
        key_usage: rec.usage,
        key_state: rec.state,
        origin: rec.origin,
        key_manager: if rec.aws_managed { "AWS" } else { "CUSTOMER" },
        customer_master_key_spec: rec.spec,
        key_spec: rec.spec,
        multi_region: rec.multi_region.is_some(),
        multi_region_configuration: None,
        encryption_algorithms: (rec.usage == KeyUsage::EncryptDecrypt)
            .then(|| rec.spec.encryption_algorithms().to_vec()),
        signing_algorithms: (rec.usage == KeyUsage::SignVerify)
            .then(|| rec.spec.signing_algorithms().to_vec()),
        mac_algorithms: (rec.usage == KeyUsage::GenerateVerifyMac)
            .then(|| rec.spec.mac_algorithms().to_vec()),
        key_agreement_algorithms: (rec.usage == KeyUsage::KeyAgreement).then(|| vec!["ECDH"]),
        encapsulation_algorithms: (rec.usage == KeyUsage::EncapsulateDecapsulate)
            .then(|| vec!["ML_KEM"]),
        deletion_date: rec.deletion_ms.map(epoch_s),
        pending_deletion_window_in_days: rec.pending_window_days,
        expiration_model: (external
            && rec.materials.last().is_some_and(|m| !m.secret.expose().is_empty()))
        .then_some(if rec.material_expires_ms.is_some() {
            "KEY_MATERIAL_EXPIRES"
        } else {
            "KEY_MATERIAL_DOES_NOT_EXPIRE"
        }),
        valid_to: if external { rec.material_expires_ms.map(epoch_s) } else { None },
        current_key_material_id: rec
            .materials
            .last()
            .filter(|_| rec.spec == KeySpec::SymmetricDefault)
            .map(|m| m.id.clone()),
    }
}

/// A key's description: at most 8192 characters.
pub(crate) fn check_description(description: &str) -> Result<()> {
    if description.chars().count() > 8192 {
        return Err(KmsError::constraint(
            "description",
            "Member must have length less than or equal to 8192",
        ));
    }
    Ok(())
}

/// Tags as AWS checks them: lengths from the service model (the generic ValidationException
/// naming `tags.N.member.tagKey`), then AWS's TagException texts for a reserved `aws:` prefix
/// (any case), a repeated key and more than 50 tags.
pub(crate) fn validate_tags(tags: &[Tag]) -> Result<()> {
    let json = serde_json::to_value(tags).unwrap_or_default();
    crate::validate::validation_result(crate::validate::member_violations(
        "TagResource",
        "Tags",
        &json,
    ))?;
    let tag_error = |m: &str| Err(KmsError::new(ErrorCode::TagException, m));
    if tags.iter().any(|t| t.tag_key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))) {
        return tag_error("Tags beginning with aws: are reserved");
    }
    let mut keys: Vec<&str> = tags.iter().map(|t| t.tag_key.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return tag_error("Duplicate tag keys");
    }
    if tags.len() > 50 {
        return tag_error("Too many tags");
    }
    Ok(())
}

pub(crate) fn tag_context(tags: &[Tag]) -> Vec<(String, CtxValue)> {
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
    /// Runs the clock and parses the caller (once per caller ARN: the parsed principal is
    /// shared, not copied, by the calls that follow).
    pub(crate) fn begin(&mut self, caller: &Caller) -> Result<Arc<Principal>> {
        self.tick(caller.now_ms)?;
        self.enter_region(caller);
        if let Some(p) = self.principals.get(&caller.principal) {
            return Ok(Arc::clone(p));
        }
        let p = Arc::new(Kms::principal(caller)?);
        if self.principals.len() >= 4096 {
            self.principals.clear();
        }
        self.principals.insert(caller.principal.clone(), Arc::clone(&p));
        Ok(p)
    }

    /// Serves the calls that follow in the caller's Region (the configured one by default).
    pub(crate) fn enter_region(&mut self, caller: &Caller) {
        let region = caller.region.as_deref().unwrap_or(&self.config.region);
        if self.region != region {
            self.region = region.to_string();
        }
    }

    /// Resolve, authorize, check state: the common start of every key operation.
    pub(crate) fn gate(
        &mut self,
        caller: &Caller,
        key_ref: &str,
        action: &'static str,
        rule: StateRule,
    ) -> Result<(Arc<Principal>, String)> {
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
    pub(crate) fn check_policy(
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
        self.check_principals_exist(&policy)?;
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
    pub fn create_key(
        &mut self,
        caller: &Caller,
        r: CreateKeyRequest,
    ) -> Result<KeyMetadataResponse> {
        let p = self.begin(caller)?;
        let spec = r.key_spec.or(r.customer_master_key_spec).unwrap_or(KeySpec::SymmetricDefault);
        if r.key_usage.is_none() && spec != KeySpec::SymmetricDefault {
            return Err(KmsError::validation(
                "You must specify a KeyUsage value for all KMS keys except for symmetric \
                 encryption keys.",
            ));
        }
        let usage = r.key_usage.unwrap_or(if spec.is_hmac() {
            KeyUsage::GenerateVerifyMac
        } else if spec.is_asymmetric() && !spec.is_rsa() {
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
        ];
        extra.extend(crate::ops::multi_region::create_key_context(r.multi_region));
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
        if origin == Origin::External && !importable(spec) {
            return Err(KmsError::new(
                ErrorCode::UnsupportedOperationException,
                format!("keyward does not import key material for {spec} keys."),
            ));
        }
        let description = r.description.unwrap_or_default();
        check_description(&description)?;
        validate_tags(&tags)?;
        let multi_region = (r.multi_region == Some(true)).then_some(MultiRegionRole::Primary);
        let key_id = crate::ops::multi_region::new_key_id(self.rng.as_mut(), multi_region);
        let arn = format!("arn:aws:kms:{}:{}:key/{key_id}", self.region, p.account);
        let policy = r.policy.unwrap_or_else(|| default_key_policy(&p.account));
        self.check_policy(caller, &p, &policy, &arn, &p.account, bypass)?;
        let mut rec = KeyRecord {
            key_id,
            arn,
            account: p.account.clone(),
            region: self.region.clone(),
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
            imports: Default::default(),
            multi_region,
            aws_managed: false,
        };
        if origin == Origin::AwsKms {
            add_material(&mut rec, self.rng.as_mut(), caller.now_ms, "CREATE")?;
        }
        let out = KeyMetadataResponse { key_metadata: self.key_metadata(&rec) };
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// DescribeKey.
    pub fn describe_key(
        &mut self,
        caller: &Caller,
        r: DescribeKeyRequest,
    ) -> Result<KeyMetadataResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:DescribeKey", StateRule::Any)?;
        Ok(KeyMetadataResponse { key_metadata: self.key_metadata(&self.key(&id)?.rec) })
    }

    /// ListKeys: the keys of the caller's account (IAM permission on `*`).
    pub fn list_keys(&mut self, caller: &Caller, r: ListKeysRequest) -> Result<ListKeysResponse> {
        let p = self.begin(caller)?;
        self.authorize(caller, &p, Ask { action: "kms:ListKeys", ..Ask::default() })?;
        let mut keys: Vec<(i64, String, String)> = self
            .keys
            .values()
            .filter(|_| r.resource_owners.as_ref().is_none_or(|o| o.iter().any(|x| x == "SELF")))
            .filter(|k| k.rec.account == p.account && k.rec.region == self.region)
            .map(|k| (k.rec.created_ms, k.rec.key_id.clone(), k.rec.arn.clone()))
            .collect();
        keys.sort();
        let (items, next) = page(&keys, r.limit, r.marker.as_deref(), 100)?;
        let keys = items
            .into_iter()
            .map(|(_, key_id, key_arn)| KeyListEntry { key_id, key_arn })
            .collect();
        Ok(ListKeysResponse { keys, truncated: next.is_some(), next_marker: next })
    }

    fn set_state(
        &mut self,
        caller: &Caller,
        key_id: &str,
        action: &'static str,
        state: KeyState,
    ) -> Result<Empty> {
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
        Ok(Empty {})
    }

    /// EnableKey.
    pub fn enable_key(&mut self, caller: &Caller, r: KeyRequest) -> Result<Empty> {
        self.set_state(caller, &r.key_id, "kms:EnableKey", KeyState::Enabled)
    }

    /// DisableKey.
    pub fn disable_key(&mut self, caller: &Caller, r: KeyRequest) -> Result<Empty> {
        self.set_state(caller, &r.key_id, "kms:DisableKey", KeyState::Disabled)
    }

    /// ScheduleKeyDeletion (7–30 days, default 30).
    pub fn schedule_key_deletion(
        &mut self,
        caller: &Caller,
        r: ScheduleKeyDeletionRequest,
    ) -> Result<ScheduleKeyDeletionResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:ScheduleKeyDeletion", StateRule::Modify)?;
        let days = r.pending_window_in_days.unwrap_or(30);
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
        self.wait_for_replicas(&mut rec);
        let out = ScheduleKeyDeletionResponse {
            key_id: rec.arn.clone(),
            deletion_date: rec.deletion_ms.map(epoch_s),
            key_state: rec.state,
            pending_window_in_days: days,
        };
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// CancelKeyDeletion: the key returns to Disabled, as AWS documents.
    pub fn cancel_key_deletion(&mut self, caller: &Caller, r: KeyRequest) -> Result<KeyIdResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:CancelKeyDeletion", StateRule::Any)?;
        let mut rec = self.key(&id)?.rec.clone();
        if !matches!(rec.state, KeyState::PendingDeletion | KeyState::PendingReplicaDeletion) {
            return Err(KmsError::new(
                ErrorCode::KMSInvalidStateException,
                format!("{} is not pending deletion.", rec.arn),
            ));
        }
        let imported = rec.materials.iter().all(|m| !m.secret.expose().is_empty());
        rec.state = if rec.materials.is_empty() || !imported {
            KeyState::PendingImport
        } else {
            KeyState::Disabled
        };
        rec.deletion_ms = None;
        rec.pending_window_days = None;
        let out = KeyIdResponse { key_id: rec.arn.clone() };
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// UpdateKeyDescription.
    pub fn update_key_description(
        &mut self,
        caller: &Caller,
        r: UpdateKeyDescriptionRequest,
    ) -> Result<Empty> {
        let description = r.description;
        let (_, id) =
            self.gate(caller, &r.key_id, "kms:UpdateKeyDescription", StateRule::Modify)?;
        check_description(&description)?;
        let mut rec = self.key(&id)?.rec.clone();
        rec.description = description;
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(Empty {})
    }

    /// TagResource.
    pub fn tag_resource(&mut self, caller: &Caller, r: TagResourceRequest) -> Result<Empty> {
        let tags: Vec<Tag> = r.tags;
        let p = self.begin(caller)?;
        let (id, alias) = self.resolve(&p, &r.key_id)?;
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
        Ok(Empty {})
    }

    /// UntagResource.
    pub fn untag_resource(&mut self, caller: &Caller, r: UntagResourceRequest) -> Result<Empty> {
        let keys = r.tag_keys;
        let p = self.begin(caller)?;
        let (id, _) = self.resolve(&p, &r.key_id)?;
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
        Ok(Empty {})
    }

    /// ListResourceTags.
    pub fn list_resource_tags(
        &mut self,
        caller: &Caller,
        r: KeyPageRequest,
    ) -> Result<ListResourceTagsResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:ListResourceTags", StateRule::Any)?;
        let mut tags = self.key(&id)?.rec.tags.clone();
        tags.sort_by(|a, b| a.tag_key.cmp(&b.tag_key));
        let (tags, next) = page(&tags, r.limit, r.marker.as_deref(), 50)?;
        Ok(ListResourceTagsResponse { tags, truncated: next.is_some(), next_marker: next })
    }

    /// PutKeyPolicy (policy name `default` only), with the lockout safety check.
    pub fn put_key_policy(&mut self, caller: &Caller, r: PutKeyPolicyRequest) -> Result<Empty> {
        let (policy, bypass) = (r.policy.as_str(), r.bypass_policy_lockout_safety_check);
        let bypass = bypass.unwrap_or(false);
        let (p, id) = self.gate(caller, &r.key_id, "kms:PutKeyPolicy", StateRule::Any)?;
        check_policy_name(r.policy_name.as_deref())?;
        let rec = &self.key(&id)?.rec;
        let (arn, account) = (rec.arn.clone(), rec.account.clone());
        self.check_policy(caller, &p, policy, &arn, &account, bypass)?;
        let mut rec = self.key(&id)?.rec.clone();
        rec.policy = policy.to_string();
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(Empty {})
    }

    /// GetKeyPolicy.
    pub fn get_key_policy(
        &mut self,
        caller: &Caller,
        r: GetKeyPolicyRequest,
    ) -> Result<GetKeyPolicyResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:GetKeyPolicy", StateRule::Any)?;
        check_policy_name(r.policy_name.as_deref())?;
        let policy = self.key(&id)?.rec.policy.clone();
        Ok(GetKeyPolicyResponse { policy, policy_name: "default".to_string() })
    }

    /// ListKeyPolicies (one policy, `default`; Limit and Marker are not read).
    pub fn list_key_policies(
        &mut self,
        caller: &Caller,
        r: KeyPageRequest,
    ) -> Result<ListKeyPoliciesResponse> {
        self.gate(caller, &r.key_id, "kms:ListKeyPolicies", StateRule::Any)?;
        Ok(ListKeyPoliciesResponse { policy_names: vec!["default".to_string()], truncated: false })
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
