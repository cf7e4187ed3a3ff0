//! What the KMS stores: keys (with their material versions), aliases, grants and the local
//! account model (identities, access keys, organization policies).
//!
//! Records are plain serde data so any [`crate::store::Store`] can persist them. Secret bytes
//! live in [`Secret`], whose `Debug` is redacted; stores must encrypt records holding secrets
//! (the SQLite store encrypts them under its master key).

use crate::types::{GrantOperation, KeySpec, KeyState, KeyUsage, Origin};
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// Secret bytes: zeroed on drop, redacted in `Debug`, base64 in serde (for encrypted storage
/// only).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(Zeroizing::new(bytes))
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<redacted {} bytes>)", self.0.len())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(self.expose()));
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        let s = Zeroizing::new(String::deserialize(d)?);
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map(Secret::new)
            .map_err(serde::de::Error::custom)
    }
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key.
    pub tag_key: String,
    /// Tag value.
    pub tag_value: String,
}

/// One version of a key's material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    /// 64 hex characters (AWS KeyMaterialId shape).
    pub id: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// How it came to be: `CREATE`, `AUTOMATIC`, `ON_DEMAND` or `IMPORT`.
    pub origin: String,
    /// The key bytes (AES key, PKCS#8 DER private key, or HMAC key).
    pub secret: Secret,
}

/// Automatic rotation settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// Days between rotations (90–2560).
    pub period_days: u32,
    /// Next automatic rotation, epoch milliseconds.
    pub next_ms: i64,
}

/// A completed rotation (ListKeyRotations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationEvent {
    /// The new material's id.
    pub material_id: String,
    /// When, epoch milliseconds.
    pub at_ms: i64,
    /// `AUTOMATIC` or `ON_DEMAND`.
    pub kind: String,
}

/// Pending key-material import (GetParametersForImport).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportParams {
    /// The RSA wrapping key (PKCS#8 DER private key).
    pub wrapping_key: Secret,
    /// Wrapping algorithm name.
    pub algorithm: String,
    /// The import token KMS returned.
    pub token: Vec<u8>,
    /// Expiry of the parameters, epoch milliseconds.
    pub valid_to_ms: i64,
}

/// What AWS lists of one imported key material (EXTERNAL keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedMaterial {
    /// The material's id (64 hex).
    pub id: String,
    /// KeyMaterialDescription given at import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Expiry, epoch milliseconds (None: KEY_MATERIAL_DOES_NOT_EXPIRE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to_ms: Option<i64>,
    /// Deleted by DeleteImportedKeyMaterial (ImportState PENDING_IMPORT): its bytes are gone
    /// until the same material is imported again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// The imported materials of an EXTERNAL key beyond [`KeyRecord::materials`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imports {
    /// One entry per material ever imported, in import order.
    #[serde(default)]
    pub entries: Vec<ImportedMaterial>,
    /// Material imported with ImportType NEW_KEY_MATERIAL, waiting for RotateKeyOnDemand
    /// (KeyMaterialState PENDING_ROTATION).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Material>,
}

impl Imports {
    /// Nothing imported (not serialized then).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.pending.is_none()
    }

    /// The entry of material `id`.
    pub fn entry(&self, id: &str) -> Option<&ImportedMaterial> {
        self.entries.iter().find(|e| e.id == id)
    }
}

/// A KMS key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Key id (UUID).
    pub key_id: String,
    /// Key ARN.
    pub arn: String,
    /// Owning account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// Description.
    pub description: String,
    /// Key spec.
    pub spec: KeySpec,
    /// Key usage.
    pub usage: KeyUsage,
    /// Origin.
    pub origin: Origin,
    /// State.
    pub state: KeyState,
    /// When PendingDeletion ends, epoch milliseconds.
    pub deletion_ms: Option<i64>,
    /// The waiting period of a scheduled deletion.
    pub pending_window_days: Option<u32>,
    /// The key policy text (policy name `default`).
    pub policy: String,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Automatic rotation, when enabled.
    pub rotation: Option<Rotation>,
    /// Completed rotations, oldest first.
    pub rotations: Vec<RotationEvent>,
    /// Material versions, oldest first; the last one encrypts. Empty while PendingImport.
    pub materials: Vec<Material>,
    /// Outstanding import parameters (EXTERNAL keys).
    pub import: Option<ImportParams>,
    /// Expiry of imported material, epoch milliseconds (None: does not expire).
    pub material_expires_ms: Option<i64>,
    /// An AWS managed key (`KeyManager: AWS`, created on first use of `alias/aws/<service>`).
    /// Absent from records written before it existed, and from customer keys.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub aws_managed: bool,
    /// A multi-Region key (`mrk-` id): its role among the keys sharing its id in the
    /// account. Absent for single-Region keys and in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<MultiRegionRole>,
    /// EXTERNAL keys: each imported material's description, expiry and import state, and
    /// material pending rotation. Empty for other keys and in records written before it existed.
    #[serde(default, skip_serializing_if = "Imports::is_empty")]
    pub imports: Imports,
}

/// The role of a multi-Region key in its set (the keys of one account sharing one `mrk-` id,
/// one per Region).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MultiRegionRole {
    /// The primary key: replicated from, rotated, and the only one that can be replicated.
    Primary,
    /// A replica of the primary.
    Replica,
}

/// An alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRecord {
    /// `alias/name`.
    pub name: String,
    /// Alias ARN (unique).
    pub arn: String,
    /// Target key id.
    pub key_id: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// Last update, epoch milliseconds.
    pub updated_ms: i64,
}

/// Grant constraints.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantConstraints {
    /// The request context must contain these pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<std::collections::BTreeMap<String, String>>,
    /// The request context must equal these pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<std::collections::BTreeMap<String, String>>,
    /// The request must be made on behalf of this resource (its `aws:SourceArn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
}

/// A grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    /// Grant id (64 hex).
    pub grant_id: String,
    /// Key id.
    pub key_id: String,
    /// Optional name.
    pub name: Option<String>,
    /// Grantee principal ARN (or service principal).
    pub grantee: String,
    /// Retiring principal.
    pub retiring: Option<String>,
    /// Operations.
    pub operations: Vec<GrantOperation>,
    /// Constraints.
    pub constraints: Option<GrantConstraints>,
    /// Principal that created the grant (IssuingAccount is its account).
    pub issuer: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// Tokens issued for this grant.
    pub tokens: Vec<String>,
    /// The Region of the key (grants are regional). Empty in records written before it
    /// existed: the KMS then takes the Region of the key with this id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// The grantee was given as GranteeServicePrincipal (an AWS service principal).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub grantee_is_service: bool,
    /// The retiring principal was given as RetiringServicePrincipal.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retiring_is_service: bool,
}

/// An IAM user or role of the local account model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// User or role ARN.
    pub arn: String,
    /// Unique id (AIDA... / AROA...).
    pub unique_id: String,
    /// Inline/attached identity policies: (name, text).
    pub policies: Vec<(String, String)>,
    /// Permissions boundary text.
    pub boundary: Option<String>,
    /// Principal tags.
    pub tags: Vec<Tag>,
    /// The IAM API's own view of the entity (keyward-iam's JSON: path, creation time, inline
    /// and attached policies, groups, trust policy); `policies` and `boundary` are derived
    /// from it. Groups and customer managed policies are stored this way too, under their
    /// ARNs, with no policies of their own. None for identities made by `keyward iam`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<String>,
}

/// An access key (for SigV4 in `keyward serve`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    /// Access key id (AKIA...).
    pub id: String,
    /// Secret access key.
    pub secret: Secret,
    /// The principal calls are made as (user ARN or assumed-role session ARN).
    pub principal: String,
    /// Session policy applied to calls made with this key.
    pub session_policy: Option<String>,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// Deactivated (`update-access-key --status Inactive`): requests signed with it are
    /// refused until it is made active again. Absent in records written before it existed.
    #[serde(default)]
    pub inactive: bool,
    /// Temporary credentials (STS AssumeRole): the session token, expiry and session facts.
    /// Absent for long-term keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionRecord>,
}

/// What temporary credentials carry besides the key (STS AssumeRole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The session token the requests must carry (`X-Amz-Security-Token`).
    pub token: Secret,
    /// Expiry, epoch milliseconds: requests after it are refused (ExpiredToken).
    pub expires_ms: i64,
    /// Session tags (`aws:PrincipalTag/K`, overriding the role's tag of the same key).
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Transitive tag keys (passed on when the session assumes another role).
    #[serde(default)]
    pub transitive_tag_keys: Vec<String>,
    /// `aws:SourceIdentity`, when set.
    #[serde(default)]
    pub source_identity: Option<String>,
    /// The role's unique id, for `aws:userid` and GetCallerIdentity's UserId (`AROA…:session`).
    #[serde(default)]
    pub role_id: String,
    /// When MFA authenticated the request that made the session (SerialNumber and TokenCode),
    /// epoch milliseconds: `aws:MultiFactorAuthPresent` is true and `aws:MultiFactorAuthAge`
    /// counts from it. None: no MFA.
    #[serde(default)]
    pub mfa_ms: Option<i64>,
}

/// An organization policy (SCP or RCP) applying to accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPolicyRecord {
    /// Name (unique).
    pub name: String,
    /// `scp` or `rcp`.
    pub kind: String,
    /// Level in the organization: 0 root, 1 OU, 2 account... Every level must allow.
    pub level: u32,
    /// Accounts it applies to (empty: every account).
    pub accounts: Vec<String>,
    /// Policy text.
    pub text: String,
}
