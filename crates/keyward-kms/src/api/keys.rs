//! Requests and responses of key lifecycle operations: CreateKey, DescribeKey, ListKeys,
//! Enable/DisableKey, deletion, description, tags, key policies and rotation.

use super::nullable;
use crate::record::Tag;
use crate::types::{
    EncryptionAlgorithm, KeySpec, KeyState, KeyUsage, MacAlgorithm, Origin, SigningAlgorithm,
};
use serde::{Deserialize, Serialize};

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
    /// A multi-Region primary key (`mrk-` id) when true.
    pub multi_region: Option<bool>,
}

/// The KeyMetadata structure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    /// Owning account.
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    /// Key id.
    pub key_id: String,
    /// Key ARN.
    pub arn: String,
    /// Epoch seconds.
    pub creation_date: f64,
    /// State is Enabled.
    pub enabled: bool,
    /// Description.
    pub description: String,
    /// Usage.
    pub key_usage: KeyUsage,
    /// State.
    pub key_state: KeyState,
    /// Origin.
    pub origin: Origin,
    /// Always `CUSTOMER` here.
    pub key_manager: &'static str,
    /// Deprecated mirror of `KeySpec`.
    pub customer_master_key_spec: KeySpec,
    /// Key spec.
    pub key_spec: KeySpec,
    /// A multi-Region key (primary or replica).
    pub multi_region: bool,
    /// The multi-Region set of a multi-Region key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region_configuration: Option<super::multi_region::MultiRegionConfiguration>,
    /// For ENCRYPT_DECRYPT keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<EncryptionAlgorithm>>,
    /// For SIGN_VERIFY keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<SigningAlgorithm>>,
    /// For GENERATE_VERIFY_MAC keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_algorithms: Option<Vec<MacAlgorithm>>,
    /// Key agreement algorithms (`ECDH`) of a KEY_AGREEMENT key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<&'static str>>,
    /// Key encapsulation algorithms (`ML_KEM`) of an ENCAPSULATE_DECAPSULATE key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encapsulation_algorithms: Option<Vec<&'static str>>,
    /// End of a scheduled deletion, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<f64>,
    /// Waiting period of a scheduled deletion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<u32>,
    /// Imported material: whether it expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    /// Imported material: when it expires, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<f64>,
    /// Symmetric keys: the current material's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
}

/// CreateKey and DescribeKey output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadataResponse {
    /// The key.
    pub key_metadata: KeyMetadata,
}

/// A request naming one key and nothing else (CancelKeyDeletion, DeleteImportedKeyMaterial,
/// DisableKey, DisableKeyRotation, EnableKey, GetKeyRotationStatus, RotateKeyOnDemand).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
}

impl KeyRequest {
    /// A request for key `key_id`.
    pub fn new(key_id: impl Into<String>) -> KeyRequest {
        KeyRequest { key_id: key_id.into() }
    }
}

/// DescribeKey input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeKeyRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
}

/// Pagination of the list operations.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListKeysRequest {
    /// 1–1000.
    pub limit: Option<i64>,
    /// From a previous `NextMarker`.
    pub marker: Option<String>,
    /// `SELF` and/or `OTHER_ACCOUNTS_VIA_RAM` (keyward shares no keys through RAM: only `SELF`
    /// lists any).
    pub resource_owners: Option<Vec<String>>,
}

/// One entry of ListKeys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    /// Key id.
    pub key_id: String,
    /// Key ARN.
    pub key_arn: String,
}

/// ListKeys output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse {
    /// This page.
    pub keys: Vec<KeyListEntry>,
    /// More pages follow.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// ScheduleKeyDeletion input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScheduleKeyDeletionRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// 7–30 (default 30).
    pub pending_window_in_days: Option<i64>,
}

/// ScheduleKeyDeletion output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionResponse {
    /// Key ARN.
    pub key_id: String,
    /// Epoch seconds. Absent for a multi-Region primary key with replicas (its date is not
    /// known until the last replica is deleted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<f64>,
    /// PendingDeletion, or PendingReplicaDeletion (a multi-Region primary with replicas).
    pub key_state: KeyState,
    /// The waiting period.
    pub pending_window_in_days: i64,
}

/// UpdateKeyDescription input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateKeyDescriptionRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// New description.
    #[serde(deserialize_with = "nullable")]
    pub description: String,
}

/// TagResource input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TagResourceRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// Tags to add or replace.
    #[serde(deserialize_with = "nullable")]
    pub tags: Vec<Tag>,
}

/// UntagResource input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UntagResourceRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// Tag keys to remove.
    #[serde(deserialize_with = "nullable")]
    pub tag_keys: Vec<String>,
}

/// ListResourceTags, ListKeyPolicies and ListKeyRotations input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyPageRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// 1–1000.
    pub limit: Option<i64>,
    /// From a previous `NextMarker`.
    pub marker: Option<String>,
    /// ListKeyRotations: ALL_KEY_MATERIAL or ROTATIONS_ONLY (the default).
    pub include_key_material: Option<String>,
}

/// ListResourceTags output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListResourceTagsResponse {
    /// This page.
    pub tags: Vec<Tag>,
    /// More pages follow.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// PutKeyPolicy input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PutKeyPolicyRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// Only `default`.
    pub policy_name: Option<String>,
    /// The policy text.
    #[serde(deserialize_with = "nullable")]
    pub policy: String,
    /// Skip the lockout safety check.
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

/// GetKeyPolicy input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetKeyPolicyRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// Only `default`.
    pub policy_name: Option<String>,
}

/// GetKeyPolicy output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyPolicyResponse {
    /// The policy text.
    pub policy: String,
    /// `default`.
    pub policy_name: String,
}

/// ListKeyPolicies output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyPoliciesResponse {
    /// `["default"]`.
    pub policy_names: Vec<String>,
    /// Always false.
    pub truncated: bool,
}

/// EnableKeyRotation input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EnableKeyRotationRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// 90–2560 (default 365).
    pub rotation_period_in_days: Option<i64>,
}

/// GetKeyRotationStatus output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyRotationStatusResponse {
    /// Automatic rotation is on.
    pub key_rotation_enabled: bool,
    /// Key ARN.
    pub key_id: String,
    /// The rotation period, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<u32>,
    /// Next automatic rotation, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<f64>,
    /// Start of the last on-demand rotation, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_rotation_start_date: Option<f64>,
}

/// One entry of ListKeyRotations.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationEntry {
    /// Key ARN.
    pub key_id: String,
    /// The material's id.
    pub key_material_id: String,
    /// EXTERNAL keys: the material's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_description: Option<String>,
    /// EXTERNAL keys: IMPORTED or PENDING_IMPORT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_state: Option<&'static str>,
    /// CURRENT, NON_CURRENT or PENDING_ROTATION.
    pub key_material_state: &'static str,
    /// EXTERNAL keys: KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    /// EXTERNAL keys whose material expires: when, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<f64>,
    /// When the rotation happened, epoch seconds (absent for the first material and material
    /// pending rotation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_date: Option<f64>,
    /// `AUTOMATIC` or `ON_DEMAND` (absent like RotationDate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<String>,
}

/// ListKeyRotations output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyRotationsResponse {
    /// This page.
    pub rotations: Vec<RotationEntry>,
    /// More pages follow.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
