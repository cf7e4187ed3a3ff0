//! From a call to the request AWS evaluates: the one place that turns what a caller did (an
//! action on a key or another resource, with its parameters and the circumstances of the call)
//! into a [`Request`] with every context key AWS adds.
//!
//! Every front end describes its call as a [`Call`] and asks it for the request: the scenario
//! runner, `keyward explain` (flags, or a CloudTrail event), the WASM `explain`, the local
//! KMS's gate, and the access analysis (who-can, access-matrix, diff). A context key AWS adds
//! is therefore derived here and nowhere else ([`derive_context`]). The module also owns the
//! KMS vocabulary ([`KmsAction`], [`kms_action`]: per-action facts such as "takes an
//! encryption context" or "usable across accounts") and the default key policy
//! ([`default_key_policy`]).
//!
//! What a call cannot say about itself stays with the caller: which policies apply (the
//! `PolicySet`) and raw context entries that override derived ones ([`Call::extra`]).

mod derive;
pub mod service;
mod service_table;
mod vocab;

pub use derive::{derive_context, derive_context_filtered};
pub use vocab::{
    action_takes_encryption_context, kms_action, via_service, KmsAction, GRANT_OPERATIONS,
    KEY_ADMIN_ACTIONS, KMS_ACTIONS, VIA_SERVICES,
};

use super::decide::NamedPolicy;
use super::keys::KeyFilter;
use super::request::{CtxValue, Principal, Request};
use crate::json::Limits;
use crate::model::{Grant, Policy, PolicyKind, Version};
use crate::parse::parse_policy;
use crate::span::Span;
use std::sync::Arc;

/// One call: an action on a resource, with what the request and its circumstances say.
///
/// The KMS form names a key ARN as `resource` and describes the key in `key`; the non-KMS form
/// (an S3 object, a secret, `*`) leaves `key` empty. Fields that are `None` or empty add no
/// context key.
#[derive(Debug, Clone, Default)]
pub struct Call {
    /// Action, e.g. `kms:Decrypt`.
    pub action: String,
    /// Resource ARN (`*` for account-level actions).
    pub resource: String,
    /// Region of the request (`aws:RequestedRegion`).
    pub region: Option<String>,
    /// Request time, RFC 3339 (`aws:CurrentTime`, and `aws:EpochTime` from it).
    pub time: Option<String>,
    /// Unique id of the caller (AIDA.../AROA...) for `aws:userid`.
    pub principal_id: Option<String>,
    /// Tags of the caller, or of its role (`aws:PrincipalTag/*`).
    pub principal_tags: Vec<(String, String)>,
    /// What the key says about itself, when the resource is a KMS key.
    pub key: KeyFacts,
    /// The alias the request named the key by (`kms:RequestAlias`).
    pub request_alias: Option<String>,
    /// Encryption context of the request (`kms:EncryptionContext:*`, `kms:EncryptionContextKeys`).
    pub encryption_context: Vec<(String, String)>,
    /// The encryption algorithm the request names (`kms:EncryptionAlgorithm`); without it,
    /// symmetric keys get `SYMMETRIC_DEFAULT` for the actions that default it.
    pub encryption_algorithm: Option<String>,
    /// The service that called KMS on the caller's behalf, e.g. `s3.us-east-1.amazonaws.com`
    /// (`kms:ViaService`, and `kms:GrantIsForAWSResource` on grant operations).
    pub via_service: Option<String>,
    /// An AWS service made the call for the caller (`aws:ViaAWSService`).
    pub via_aws_service: bool,
    /// For CreateGrant: the grant being created (`kms:GrantOperations`,
    /// `kms:GranteePrincipal`, `kms:RetiringPrincipal`, `kms:GrantConstraintType` and, for its
    /// constraint's pairs, `kms:EncryptionContext:*`).
    pub create_grant: Option<Grant>,
    /// The network the call came from (`aws:SourceIp`, `aws:SourceVpce`).
    pub network: Network,
    /// Multi-factor authentication of the caller's credentials.
    pub mfa: Option<Mfa>,
    /// The other KMS request parameters that feed condition keys.
    pub params: RequestParams,
    /// Raw context entries, set last: they override derived keys of the same name.
    pub extra: Vec<(String, CtxValue)>,
}

/// What a KMS key says about itself (the `kms:Key*`, `kms:ResourceAliases` and
/// `aws:ResourceTag/*` keys). Unknown facts are `None` or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFacts {
    /// KeySpec, e.g. `SYMMETRIC_DEFAULT`.
    pub spec: Option<String>,
    /// KeyUsage, e.g. `ENCRYPT_DECRYPT`.
    pub usage: Option<String>,
    /// Origin, e.g. `AWS_KMS`.
    pub origin: Option<String>,
    /// Alias names (`alias/...`).
    pub aliases: Vec<String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Whether the key is a multi-Region key, and which kind (`kms:MultiRegion`,
    /// `kms:MultiRegionKeyType`).
    pub multi_region: Option<MultiRegion>,
}

/// A key's place among Regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiRegion {
    /// An ordinary key, in one Region (`kms:MultiRegion` is `false`).
    SingleRegion,
    /// The primary key of a multi-Region key (`PRIMARY`).
    Primary,
    /// A replica of a multi-Region key (`REPLICA`).
    Replica,
}

impl KeyFacts {
    /// The facts of an ordinary key: a symmetric encryption key with key material from KMS.
    pub fn symmetric_default() -> KeyFacts {
        KeyFacts {
            spec: Some("SYMMETRIC_DEFAULT".into()),
            usage: Some("ENCRYPT_DECRYPT".into()),
            origin: Some("AWS_KMS".into()),
            ..KeyFacts::default()
        }
    }
}

/// KMS request parameters that feed condition keys, beyond the encryption context, algorithm,
/// alias and grant (each `None` or empty adds no key). CreateKey's KeySpec, KeyUsage, Origin
/// and MultiRegion go in [`Call::key`]: they are the facts of the key being created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestParams {
    /// `kms:SigningAlgorithm` (Sign, Verify).
    pub signing_algorithm: Option<String>,
    /// `kms:MessageType` (Sign, Verify).
    pub message_type: Option<String>,
    /// `kms:MacAlgorithm` (GenerateMac, VerifyMac).
    pub mac_algorithm: Option<String>,
    /// `kms:DataKeyPairSpec` (GenerateDataKeyPair*).
    pub data_key_pair_spec: Option<String>,
    /// `kms:KeyAgreementAlgorithm` (DeriveSharedSecret).
    pub key_agreement_algorithm: Option<String>,
    /// `kms:RotationPeriodInDays` (EnableKeyRotation).
    pub rotation_period_days: Option<u32>,
    /// `kms:BypassPolicyLockoutSafetyCheck` (CreateKey, PutKeyPolicy).
    pub bypass_policy_lockout: Option<bool>,
    /// `kms:ReplicaRegion` (ReplicateKey).
    pub replica_region: Option<String>,
    /// `kms:PrimaryRegion` (UpdatePrimaryRegion).
    pub primary_region: Option<String>,
    /// `kms:ScheduleKeyDeletionPendingWindowInDays` (ScheduleKeyDeletion).
    pub pending_window_days: Option<u32>,
    /// `aws:RequestTag/*` and, unless `tag_keys` is given, `aws:TagKeys` (CreateKey,
    /// ReplicateKey, TagResource).
    pub request_tags: Vec<(String, String)>,
    /// `aws:TagKeys` of UntagResource (the tag keys it removes).
    pub tag_keys: Vec<String>,
    /// `kms:WrappingAlgorithm` (GetParametersForImport).
    pub wrapping_algorithm: Option<String>,
    /// `kms:WrappingKeySpec` (GetParametersForImport).
    pub wrapping_key_spec: Option<String>,
    /// `kms:ExpirationModel` (ImportKeyMaterial).
    pub expiration_model: Option<String>,
    /// `kms:ValidTo` (ImportKeyMaterial), as a date the `Date` operators read.
    pub valid_to: Option<String>,
    /// `kms:ReEncryptOnSameKey` (ReEncryptFrom, ReEncryptTo).
    pub reencrypt_on_same_key: Option<bool>,
    /// `kms:RecipientAttestation:NAME` pairs (`ImageSha384`, `PCR0`...) of a Nitro enclave's
    /// attestation document.
    pub attestation: Vec<(String, String)>,
}

/// Where a call came from on the network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// The caller's IP address (`aws:SourceIp`).
    pub source_ip: Option<String>,
    /// The VPC endpoint the call went through (`aws:SourceVpce`).
    pub source_vpce: Option<String>,
}

/// Multi-factor authentication of the caller's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mfa {
    /// `aws:MultiFactorAuthPresent`.
    pub present: bool,
    /// Seconds since the MFA authentication (`aws:MultiFactorAuthAge`), when known.
    pub age_s: Option<u64>,
}

impl Call {
    /// A call of `action` on `resource`, nothing else known.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Call {
        Call { action: action.into(), resource: resource.into(), ..Call::default() }
    }

    /// The facts of the call's action, when it is a KMS action.
    pub fn kms_action(&self) -> Option<&'static KmsAction> {
        kms_action(&self.action)
    }

    /// The request AWS evaluates when `principal` makes this call.
    pub fn request(&self, principal: Principal) -> Request {
        let context = derive_context(&principal, self);
        Request::new(principal, &self.action, &self.resource, context)
    }

    /// [`Call::request`] with a context holding only the keys `filter` wants (for a policy set
    /// built once and decided many times).
    pub fn request_filtered(&self, principal: Principal, filter: Arc<KeyFilter>) -> Request {
        let context = derive_context_filtered(&principal, self, filter);
        Request::new(principal, &self.action, &self.resource, context)
    }
}

/// Changes the action of a request built from a call, re-deriving the keys that depend on the
/// action (the default `kms:EncryptionAlgorithm` and `kms:GrantIsForAWSResource`). `call`
/// must be the call the request was built from; for deciding many actions on one request.
pub fn retarget(req: &mut Request, call: &Call, action: &str) {
    if req.action == action {
        return;
    }
    req.action.clear();
    req.action.push_str(action);
    req.action_lc = action.to_ascii_lowercase();
    let facts = kms_action(action);
    match derive::default_algorithm(call, facts) {
        Some(alg) => req.context.set_str("kms:EncryptionAlgorithm", alg),
        None => req.context.remove("kms:EncryptionAlgorithm"),
    }
    match derive::grant_for_aws_resource(call, facts) {
        Some(v) => req.context.set_str("kms:GrantIsForAWSResource", v),
        None => req.context.remove("kms:GrantIsForAWSResource"),
    }
}

/// The account of an ARN (its fifth field), if it has one.
pub fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// The Region of an ARN (its fourth field), if it has one.
pub fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// The key ARN a `--key`-style reference names: a key ARN as given, or a key id in `region`
/// (default `us-east-1`) of `account`. `None` for an alias name: a request names its key by
/// alias through `kms:RequestAlias`, which needs the key ARN too.
pub fn key_arn(key_ref: &str, region: Option<&str>, account: &str) -> Option<String> {
    if key_ref.starts_with("arn:") {
        Some(key_ref.to_string())
    } else if key_ref.starts_with("alias/") {
        None
    } else {
        Some(format!("arn:aws:kms:{}:{account}:key/{key_ref}", region.unwrap_or("us-east-1")))
    }
}

/// The text of the default key policy of a key in `account`, as KMS returns it.
pub fn default_key_policy_text(account: &str) -> String {
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

/// The default key policy of a key in `account`: the account principal may use IAM policies
/// for every KMS action. Named `default key policy`.
pub fn default_key_policy(account: &str) -> NamedPolicy {
    let text = default_key_policy_text(account);
    let policy = parse_policy(&text, PolicyKind::Key, Limits::default()).0.unwrap_or_else(|| {
        // Only an account id that breaks the JSON gets here; such a key allows nothing.
        Policy {
            kind: PolicyKind::Key,
            version: Version::V2012_10_17,
            id: None,
            statements: Vec::new(),
            statement_count: 0,
            span: Span::SYNTHETIC,
        }
    });
    NamedPolicy::new("default key policy", policy)
}

#[cfg(test)]
mod tests;
