//! The wire adapter: an operation and its AWS JSON 1.1 request in, the JSON response out. It
//! deserializes the typed request (a shape error is a ValidationException naming the field),
//! calls the typed method, and serializes the typed response. Only the edges use it: the
//! server, the WASM module and `keyward kms`' generic pass-through.

use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{Caller, Kms};
use crate::operation::Operation;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Deserializes a typed request; a shape error is AWS's ValidationException.
fn parse<T: DeserializeOwned>(input: &Value) -> Result<T> {
    T::deserialize(input).map_err(|e| {
        KmsError::new(ErrorCode::ValidationException, format!("1 validation error detected: {e}"))
    })
}

/// [`parse`], then AWS's "Value null" error for the first of `required` that is absent or null.
fn parse_required<T: DeserializeOwned>(input: &Value, required: &[&str]) -> Result<T> {
    let r = parse(input)?;
    if let Some(field) = required.iter().find(|f| input.get(**f).is_none_or(Value::is_null)) {
        let mut camel = field.to_string();
        if let Some(first) = camel.get_mut(..1) {
            first.make_ascii_lowercase();
        }
        return Err(KmsError::validation(format!(
            "1 validation error detected: Value null at '{camel}' failed to satisfy constraint: Member must not be null"
        )));
    }
    Ok(r)
}

fn to_json<T: Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v)
        .map_err(|e| KmsError::new(ErrorCode::KMSInternalException, e.to_string()))
}

const KEY: &[&str] = &["KeyId"];

impl Kms {
    /// Runs operation `op` (AWS name, e.g. `Decrypt`) with a JSON request as the AWS JSON 1.1
    /// protocol carries it; returns the JSON response. The wire adapter for callers that hold
    /// only a name (the WASM module); Rust callers use the typed methods.
    pub fn call(&mut self, caller: &Caller, op: &str, input: &Value) -> Result<Value> {
        let input = if input.is_null() { &Value::Object(serde_json::Map::new()) } else { input };
        if !input.is_object() {
            return Err(KmsError::validation("The request body must be a JSON object."));
        }
        match Operation::parse(op) {
            Some(op) => self.call_op(caller, op, input),
            None => Err(KmsError::new(
                ErrorCode::UnknownOperationException,
                format!("Operation {op} is not supported by keyward."),
            )),
        }
    }

    /// [`Kms::call`] for an operation already identified.
    pub fn call_op(&mut self, caller: &Caller, op: Operation, input: &Value) -> Result<Value> {
        self.call_op_recorded(caller, op, input, None)
    }

    /// [`Kms::call_op`] for a call that CloudTrail records under `event_id`: GetKeyLastUsage
    /// reports the event of a key's last successful cryptographic call as
    /// `CloudTrailEventId`.
    pub fn call_op_recorded(
        &mut self,
        caller: &Caller,
        op: Operation,
        input: &Value,
        event_id: Option<&str>,
    ) -> Result<Value> {
        if self.tracking_since_ms == 0 {
            self.tracking_since_ms = caller.now_ms;
        }
        let out = self.dispatch(caller, op, input)?;
        self.note_use(op, caller.now_ms, &out, event_id);
        Ok(out)
    }

    fn dispatch(&mut self, caller: &Caller, op: Operation, input: &Value) -> Result<Value> {
        let input = if input.is_null() { &Value::Object(serde_json::Map::new()) } else { input };
        if !input.is_object() {
            return Err(KmsError::validation("The request body must be a JSON object."));
        }
        // What KMS checks before it looks anything up: the request's shape, then the key
        // identifier forms each field accepts.
        crate::validate::check_request(op, input)?;
        crate::validate::check_key_fields(op, input)?;
        // AWS creates an AWS managed key on its first use.
        self.ensure_aws_managed_key(caller, op, input)?;
        let c = caller;
        let i = input;
        use Operation as O;
        match op {
            O::CreateKey => to_json(self.create_key(c, parse(i)?)?),
            O::GetKeyLastUsage => to_json(self.get_key_last_usage(c, parse_required(i, KEY)?)?),
            O::DeriveSharedSecret => to_json(self.derive_shared_secret(
                c,
                parse_required(i, &["KeyId", "KeyAgreementAlgorithm", "PublicKey"])?,
            )?),
            O::ReplicateKey => {
                to_json(self.replicate_key(c, parse_required(i, &["KeyId", "ReplicaRegion"])?)?)
            }
            O::UpdatePrimaryRegion => to_json(
                self.update_primary_region(c, parse_required(i, &["KeyId", "PrimaryRegion"])?)?,
            ),
            O::DescribeKey => to_json(self.describe_key(c, parse_required(i, KEY)?)?),
            O::ListKeys => to_json(self.list_keys(c, parse(i)?)?),
            O::EnableKey => to_json(self.enable_key(c, parse_required(i, KEY)?)?),
            O::DisableKey => to_json(self.disable_key(c, parse_required(i, KEY)?)?),
            O::ScheduleKeyDeletion => {
                to_json(self.schedule_key_deletion(c, parse_required(i, KEY)?)?)
            }
            O::CancelKeyDeletion => to_json(self.cancel_key_deletion(c, parse_required(i, KEY)?)?),
            O::UpdateKeyDescription => to_json(
                self.update_key_description(c, parse_required(i, &["KeyId", "Description"])?)?,
            ),
            O::TagResource => to_json(self.tag_resource(c, parse_required(i, KEY)?)?),
            O::UntagResource => to_json(self.untag_resource(c, parse_required(i, KEY)?)?),
            O::ListResourceTags => to_json(self.list_resource_tags(c, parse_required(i, KEY)?)?),
            O::PutKeyPolicy => {
                to_json(self.put_key_policy(c, parse_required(i, &["KeyId", "Policy"])?)?)
            }
            O::GetKeyPolicy => to_json(self.get_key_policy(c, parse_required(i, KEY)?)?),
            O::ListKeyPolicies => to_json(self.list_key_policies(c, parse_required(i, KEY)?)?),
            O::EnableKeyRotation => to_json(self.enable_key_rotation(c, parse_required(i, KEY)?)?),
            O::DisableKeyRotation => {
                to_json(self.disable_key_rotation(c, parse_required(i, KEY)?)?)
            }
            O::GetKeyRotationStatus => {
                to_json(self.get_key_rotation_status(c, parse_required(i, KEY)?)?)
            }
            O::RotateKeyOnDemand => to_json(self.rotate_key_on_demand(c, parse_required(i, KEY)?)?),
            O::ListKeyRotations => to_json(self.list_key_rotations(c, parse_required(i, KEY)?)?),
            O::CreateAlias => {
                to_json(self.create_alias(c, parse_required(i, &["AliasName", "TargetKeyId"])?)?)
            }
            O::UpdateAlias => {
                to_json(self.update_alias(c, parse_required(i, &["AliasName", "TargetKeyId"])?)?)
            }
            O::DeleteAlias => to_json(self.delete_alias(c, parse_required(i, &["AliasName"])?)?),
            O::ListAliases => to_json(self.list_aliases(c, parse(i)?)?),
            O::Encrypt => to_json(self.encrypt(c, parse(i)?)?),
            O::Decrypt => to_json(self.decrypt(c, parse(i)?)?),
            O::ReEncrypt => to_json(self.re_encrypt(c, parse(i)?)?),
            O::GenerateDataKey => to_json(self.generate_data_key(c, parse(i)?)?),
            O::GenerateDataKeyWithoutPlaintext => {
                to_json(self.generate_data_key_without_plaintext(c, parse(i)?)?)
            }
            O::GenerateDataKeyPair => to_json(self.generate_data_key_pair(c, parse(i)?)?),
            O::GenerateDataKeyPairWithoutPlaintext => {
                to_json(self.generate_data_key_pair_without_plaintext(c, parse(i)?)?)
            }
            O::GenerateRandom => to_json(self.generate_random(c, parse(i)?)?),
            O::Sign => to_json(self.sign(c, parse(i)?)?),
            O::Verify => to_json(self.verify(c, parse(i)?)?),
            O::GetPublicKey => to_json(self.get_public_key(c, parse_required(i, KEY)?)?),
            O::GenerateMac => to_json(self.generate_mac(c, parse(i)?)?),
            O::VerifyMac => to_json(self.verify_mac(c, parse(i)?)?),
            O::CreateGrant => to_json(self.create_grant(c, parse(i)?)?),
            O::ListGrants => to_json(self.list_grants(c, parse_required(i, KEY)?)?),
            O::ListRetirableGrants => to_json(self.list_retirable_grants(c, parse(i)?)?),
            O::RetireGrant => to_json(self.retire_grant(c, parse(i)?)?),
            O::RevokeGrant => {
                to_json(self.revoke_grant(c, parse_required(i, &["KeyId", "GrantId"])?)?)
            }
            O::GetParametersForImport => {
                to_json(self.get_parameters_for_import(c, parse_required(i, KEY)?)?)
            }
            O::ImportKeyMaterial => to_json(self.import_key_material(c, parse(i)?)?),
            O::DeleteImportedKeyMaterial => {
                to_json(self.delete_imported_key_material(c, parse_required(i, KEY)?)?)
            }
            O::Encapsulate => to_json(
                self.encapsulate(c, parse_required(i, &["KeyId", "EncapsulationAlgorithm"])?)?,
            ),
            O::Decapsulate => to_json(self.decapsulate(
                c,
                parse_required(
                    i,
                    &["KeyId", "SharedSecretCiphertextBlob", "EncapsulationAlgorithm"],
                )?,
            )?),
        }
    }
}
