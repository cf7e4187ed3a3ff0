//! One entry point for every operation by its AWS name, JSON in and JSON out — what the server,
//! the CLI and the WASM module call.

use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{Caller, Kms};
use crate::ops::crypto_ops::{
    DataKeyPairRequest, DataKeyRequest, DecryptRequest, EncryptRequest, MacRequest,
    ReEncryptRequest, SignRequest,
};
use crate::ops::grants::CreateGrantRequest;
use crate::ops::import::ImportRequest;
use crate::ops::keys::CreateKeyRequest;
use crate::record::Tag;
use crate::types::{WrappingAlgorithm, WrappingKeySpec};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Every operation [`Kms::call`] understands, by AWS name.
pub const OPERATIONS: &[&str] = &[
    "CancelKeyDeletion",
    "CreateAlias",
    "CreateGrant",
    "CreateKey",
    "Decrypt",
    "DeleteAlias",
    "DeleteImportedKeyMaterial",
    "DescribeKey",
    "DisableKey",
    "DisableKeyRotation",
    "EnableKey",
    "EnableKeyRotation",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "GetPublicKey",
    "ImportKeyMaterial",
    "ListAliases",
    "ListGrants",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ListRetirableGrants",
    "PutKeyPolicy",
    "ReEncrypt",
    "RetireGrant",
    "RevokeGrant",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "Sign",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateKeyDescription",
    "Verify",
    "VerifyMac",
];

/// The fields of the smaller operations.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Common {
    key_id: Option<String>,
    alias_name: Option<String>,
    target_key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
    pending_window_in_days: Option<i64>,
    policy_name: Option<String>,
    policy: Option<String>,
    bypass_policy_lockout_safety_check: Option<bool>,
    description: Option<String>,
    tags: Option<Vec<Tag>>,
    tag_keys: Option<Vec<String>>,
    rotation_period_in_days: Option<i64>,
    number_of_bytes: Option<i64>,
    grant_id: Option<String>,
    grant_token: Option<String>,
    grantee_principal: Option<String>,
    retiring_principal: Option<String>,
    grant_tokens: Option<Vec<String>>,
    wrapping_algorithm: Option<WrappingAlgorithm>,
    wrapping_key_spec: Option<WrappingKeySpec>,
    dry_run: Option<bool>,
}

fn parse<T: DeserializeOwned>(input: &Value) -> Result<T> {
    T::deserialize(input).map_err(|e| {
        KmsError::new(ErrorCode::ValidationException, format!("1 validation error detected: {e}"))
    })
}

fn to_json<T: serde::Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v)
        .map_err(|e| KmsError::new(ErrorCode::KMSInternalException, e.to_string()))
}

fn need<'a>(v: &'a Option<String>, field: &str) -> Result<&'a str> {
    v.as_deref().ok_or_else(|| KmsError::validation(format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null")))
}

impl Kms {
    /// Runs operation `op` (AWS name, e.g. `Decrypt`) with a JSON request as the AWS JSON 1.1
    /// protocol carries it; returns the JSON response.
    pub fn call(&mut self, caller: &Caller, op: &str, input: &Value) -> Result<Value> {
        let input = if input.is_null() { &Value::Object(serde_json::Map::new()) } else { input };
        if !input.is_object() {
            return Err(KmsError::validation("The request body must be a JSON object."));
        }
        let c: Common = match op {
            "CreateKey"
            | "Encrypt"
            | "Decrypt"
            | "ReEncrypt"
            | "GenerateDataKey"
            | "GenerateDataKeyWithoutPlaintext"
            | "GenerateDataKeyPair"
            | "GenerateDataKeyPairWithoutPlaintext"
            | "Sign"
            | "Verify"
            | "GenerateMac"
            | "VerifyMac"
            | "CreateGrant"
            | "ImportKeyMaterial" => Common::default(),
            _ => parse(input)?,
        };
        let key = || need(&c.key_id, "keyId");
        match op {
            "CreateKey" => self.create_key(caller, parse::<CreateKeyRequest>(input)?),
            "DescribeKey" => self.describe_key(caller, key()?),
            "ListKeys" => self.list_keys(caller, c.limit, c.marker.as_deref()),
            "EnableKey" => self.enable_key(caller, key()?),
            "DisableKey" => self.disable_key(caller, key()?),
            "ScheduleKeyDeletion" => {
                self.schedule_key_deletion(caller, key()?, c.pending_window_in_days)
            }
            "CancelKeyDeletion" => self.cancel_key_deletion(caller, key()?),
            "UpdateKeyDescription" => {
                self.update_key_description(caller, key()?, need(&c.description, "description")?)
            }
            "TagResource" => self.tag_resource(caller, key()?, c.tags.clone().unwrap_or_default()),
            "UntagResource" => {
                self.untag_resource(caller, key()?, c.tag_keys.clone().unwrap_or_default())
            }
            "ListResourceTags" => {
                self.list_resource_tags(caller, key()?, c.limit, c.marker.as_deref())
            }
            "PutKeyPolicy" => self.put_key_policy(
                caller,
                key()?,
                c.policy_name.as_deref(),
                need(&c.policy, "policy")?,
                c.bypass_policy_lockout_safety_check.unwrap_or(false),
            ),
            "GetKeyPolicy" => self.get_key_policy(caller, key()?, c.policy_name.as_deref()),
            "ListKeyPolicies" => self.list_key_policies(caller, key()?),
            "EnableKeyRotation" => {
                self.enable_key_rotation(caller, key()?, c.rotation_period_in_days)
            }
            "DisableKeyRotation" => self.disable_key_rotation(caller, key()?),
            "GetKeyRotationStatus" => self.get_key_rotation_status(caller, key()?),
            "RotateKeyOnDemand" => self.rotate_key_on_demand(caller, key()?),
            "ListKeyRotations" => {
                self.list_key_rotations(caller, key()?, c.limit, c.marker.as_deref())
            }
            "CreateAlias" => self.create_alias(
                caller,
                need(&c.alias_name, "aliasName")?,
                need(&c.target_key_id, "targetKeyId")?,
            ),
            "UpdateAlias" => self.update_alias(
                caller,
                need(&c.alias_name, "aliasName")?,
                need(&c.target_key_id, "targetKeyId")?,
            ),
            "DeleteAlias" => self.delete_alias(caller, need(&c.alias_name, "aliasName")?),
            "ListAliases" => {
                self.list_aliases(caller, c.key_id.as_deref(), c.limit, c.marker.as_deref())
            }
            "Encrypt" => self.encrypt(caller, parse::<EncryptRequest>(input)?),
            "Decrypt" => self.decrypt(caller, parse::<DecryptRequest>(input)?).and_then(to_json),
            "ReEncrypt" => self.re_encrypt(caller, parse::<ReEncryptRequest>(input)?),
            "GenerateDataKey" => {
                self.generate_data_key(caller, parse::<DataKeyRequest>(input)?, true)
            }
            "GenerateDataKeyWithoutPlaintext" => {
                self.generate_data_key(caller, parse::<DataKeyRequest>(input)?, false)
            }
            "GenerateDataKeyPair" => {
                self.generate_data_key_pair(caller, parse::<DataKeyPairRequest>(input)?, true)
            }
            "GenerateDataKeyPairWithoutPlaintext" => {
                self.generate_data_key_pair(caller, parse::<DataKeyPairRequest>(input)?, false)
            }
            "GenerateRandom" => self.generate_random(caller, c.number_of_bytes),
            "Sign" => self.sign_or_verify(caller, parse::<SignRequest>(input)?, false),
            "Verify" => self.sign_or_verify(caller, parse::<SignRequest>(input)?, true),
            "GetPublicKey" => {
                self.get_public_key(caller, key()?, c.grant_tokens.as_deref().unwrap_or_default())
            }
            "GenerateMac" => self.mac(caller, parse::<MacRequest>(input)?, false),
            "VerifyMac" => self.mac(caller, parse::<MacRequest>(input)?, true),
            "CreateGrant" => self.create_grant(caller, parse::<CreateGrantRequest>(input)?),
            "ListGrants" => self.list_grants(
                caller,
                key()?,
                c.grant_id.as_deref(),
                c.grantee_principal.as_deref(),
                c.limit,
                c.marker.as_deref(),
            ),
            "ListRetirableGrants" => self.list_retirable_grants(
                caller,
                need(&c.retiring_principal, "retiringPrincipal")?,
                c.limit,
                c.marker.as_deref(),
            ),
            "RetireGrant" => self.retire_grant(
                caller,
                c.grant_token.as_deref(),
                c.key_id.as_deref(),
                c.grant_id.as_deref(),
                c.dry_run,
            ),
            "RevokeGrant" => {
                self.revoke_grant(caller, key()?, need(&c.grant_id, "grantId")?, c.dry_run)
            }
            "GetParametersForImport" => self.get_parameters_for_import(
                caller,
                key()?,
                c.wrapping_algorithm
                    .ok_or_else(|| KmsError::validation("WrappingAlgorithm is required."))?,
                c.wrapping_key_spec
                    .ok_or_else(|| KmsError::validation("WrappingKeySpec is required."))?,
            ),
            "ImportKeyMaterial" => self.import_key_material(caller, parse::<ImportRequest>(input)?),
            "DeleteImportedKeyMaterial" => self.delete_imported_key_material(caller, key()?),
            _ => Err(KmsError::new(
                ErrorCode::UnknownOperationException,
                format!("Operation {op} is not supported by keyward."),
            )),
        }
    }
}
