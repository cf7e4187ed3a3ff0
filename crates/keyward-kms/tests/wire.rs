//! The JSON wire adapter over the typed API: every operation of the table is routed, shape
//! errors keep AWS's (and keyward's earlier) wording byte for byte, and the typed methods and
//! the wire agree on results while secrets stay out of `Debug`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use common::*;
use keyward_kms::api::{DataKeyRequest, DescribeKeyRequest, EncryptRequest};
use keyward_kms::types::DataKeySpec;
use keyward_kms::{ErrorCode, Operation, SecretBlob};
use serde_json::{json, Value};

#[test]
fn every_operation_of_the_table_is_routed() {
    let mut k = kms();
    for op in Operation::ALL {
        if let Err(e) = k.call(&admin(), op.as_str(), &json!({})) {
            assert_ne!(e.code, ErrorCode::UnknownOperationException, "{op}: {e}");
        }
    }
    let e = err(&mut k, &admin(), "decrypt", json!({}));
    assert_eq!(e.code, ErrorCode::UnknownOperationException);
    assert_eq!(e.message, "Operation decrypt is not supported by keyward.");
}

const NULL: &str = "failed to satisfy constraint: Member must not be null";

#[test]
fn shape_errors_name_the_field_in_aws_wording() {
    let mut k = kms();
    let key = key(&mut k, json!({}));
    let null = |field: &str| format!("1 validation error detected: Value null at '{field}' {NULL}");
    let cases: Vec<(&str, Value, String)> = vec![
        ("DescribeKey", json!({}), null("keyId")),
        ("DescribeKey", json!({"KeyId": null}), null("keyId")),
        ("EnableKey", json!({"GrantTokens": []}), null("keyId")),
        ("UpdateKeyDescription", json!({"KeyId": key}), null("description")),
        (
            "UpdateKeyDescription",
            json!({}),
            format!(
                "2 validation errors detected: Value null at 'keyId' {NULL}; Value null at 'description' {NULL}"
            ),
        ),
        ("CreateAlias", json!({"TargetKeyId": key}), null("aliasName")),
        ("CreateAlias", json!({"AliasName": "alias/x"}), null("targetKeyId")),
        ("RevokeGrant", json!({"KeyId": key}), null("grantId")),
        ("PutKeyPolicy", json!({"KeyId": key}), null("policy")),
        (
            "ListRetirableGrants",
            json!({}),
            "You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both."
                .into(),
        ),
        ("GetPublicKey", json!({}), null("keyId")),
        ("Encrypt", json!({"Plaintext": "AA=="}), null("keyId")),
        ("Decrypt", json!({}), "1 validation error detected: missing field `CiphertextBlob`".into()),
        (
            "DescribeKey",
            json!({"KeyId": 5}),
            "1 validation error detected: invalid type: integer `5`, expected a string".into(),
        ),
        (
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "%%"}),
            "1 validation error detected: Invalid base64 for a blob field".into(),
        ),
        (
            "GenerateDataKey",
            json!({"KeyId": key, "KeySpec": "AES_512"}),
            "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]".into(),
        ),
        (
            "GetParametersForImport",
            json!({"KeyId": key}),
            format!(
                "2 validation errors detected: Value null at 'wrappingAlgorithm' {NULL}; Value null at 'wrappingKeySpec' {NULL}"
            ),
        ),
        ("GenerateRandom", json!({}), "NumberOfBytes is required.".into()),
        ("DescribeKey", json!([1]), "The request body must be a JSON object.".into()),
    ];
    for (op, body, message) in cases {
        let e = err(&mut k, &admin(), op, body.clone());
        assert_eq!(e.code, ErrorCode::ValidationException, "{op} {body}");
        assert_eq!(e.message, message, "{op} {body}");
    }
}

#[test]
fn typed_methods_and_the_wire_agree() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let ctx: std::collections::BTreeMap<String, String> =
        [("app".to_string(), "web".to_string())].into();
    let dk = k
        .generate_data_key(
            &admin(),
            DataKeyRequest {
                key_id: id.clone(),
                key_spec: Some(DataKeySpec::Aes128),
                encryption_context: Some(ctx.clone()),
                ..DataKeyRequest::default()
            },
        )
        .unwrap();
    assert_eq!(dk.plaintext.expose().len(), 16);
    // The data key is redacted in Debug output.
    let debug = format!("{dk:?}");
    assert!(debug.contains("redacted 16 bytes"), "{debug}");
    assert!(!debug.contains(&b64(dk.plaintext.expose())), "{debug}");
    // The wire decrypts the typed ciphertext to the same key.
    let out = ok(
        &mut k,
        &admin(),
        "Decrypt",
        json!({"CiphertextBlob": b64(&dk.ciphertext_blob.0), "EncryptionContext": ctx}),
    );
    assert_eq!(unb64(&out["Plaintext"]), dk.plaintext.expose());
    assert_eq!(out["KeyId"], json!(dk.key_id));
    // The typed Encrypt of the wire's DescribeKey ARN gives the same key ARN back.
    let described = k
        .describe_key(&admin(), DescribeKeyRequest { key_id: id.clone(), grant_tokens: None })
        .unwrap();
    let wire = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}));
    assert_eq!(serde_json::to_value(&described).unwrap(), wire);
    let enc = k
        .encrypt(
            &admin(),
            EncryptRequest {
                key_id: described.key_metadata.arn.clone(),
                plaintext: SecretBlob::new(b"hello".to_vec()),
                ..EncryptRequest::default()
            },
        )
        .unwrap();
    assert_eq!(enc.key_id, described.key_metadata.arn);
}

#[test]
fn error_codes_are_their_wire_names() {
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
        assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        assert_eq!(code.is_fault(), *code == ErrorCode::KMSInternalException);
    }
    assert_eq!(ErrorCode::ALL.len(), 27);
}

/// A deserializer that only records the field names a struct asks for.
struct Probe<'a>(&'a mut Vec<&'static str>);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("probe")
    }
}

impl std::error::Error for Stop {}

impl serde::de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Stop {
        Stop
    }
}

impl<'de> serde::Deserializer<'de> for Probe<'_> {
    type Error = Stop;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0.extend(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

fn fields_of<T: serde::de::DeserializeOwned>() -> Vec<&'static str> {
    let mut names = Vec::new();
    let _ = T::deserialize(Probe(&mut names));
    names.sort_unstable();
    names
}

/// The wire fields each operation's typed request reads.
fn request_fields(op: Operation) -> Vec<&'static str> {
    use keyward_kms::api::*;
    use Operation as O;
    match op {
        O::CancelKeyDeletion
        | O::DisableKey
        | O::DisableKeyRotation
        | O::EnableKey
        | O::GetKeyRotationStatus
        | O::GetKeyLastUsage
        | O::RotateKeyOnDemand => fields_of::<KeyRequest>(),
        O::DeleteImportedKeyMaterial => fields_of::<DeleteMaterialRequest>(),
        O::CreateAlias | O::UpdateAlias => fields_of::<AliasRequest>(),
        O::CreateGrant => fields_of::<CreateGrantRequest>(),
        O::CreateKey => fields_of::<CreateKeyRequest>(),
        O::Decrypt => fields_of::<DecryptRequest>(),
        O::DeleteAlias => fields_of::<DeleteAliasRequest>(),
        O::DeriveSharedSecret => fields_of::<DeriveSharedSecretRequest>(),
        O::Encapsulate => fields_of::<EncapsulateRequest>(),
        O::Decapsulate => fields_of::<DecapsulateRequest>(),
        O::DescribeKey => fields_of::<DescribeKeyRequest>(),
        O::EnableKeyRotation => fields_of::<EnableKeyRotationRequest>(),
        O::Encrypt => fields_of::<EncryptRequest>(),
        O::GenerateDataKey | O::GenerateDataKeyWithoutPlaintext => fields_of::<DataKeyRequest>(),
        O::GenerateDataKeyPair | O::GenerateDataKeyPairWithoutPlaintext => {
            fields_of::<DataKeyPairRequest>()
        }
        O::GenerateMac | O::VerifyMac => fields_of::<MacRequest>(),
        O::GenerateRandom => fields_of::<GenerateRandomRequest>(),
        O::GetKeyPolicy => fields_of::<GetKeyPolicyRequest>(),
        O::GetParametersForImport => fields_of::<GetParametersForImportRequest>(),
        O::GetPublicKey => fields_of::<GetPublicKeyRequest>(),
        O::ImportKeyMaterial => fields_of::<ImportRequest>(),
        O::ListAliases => fields_of::<ListAliasesRequest>(),
        O::ListGrants => fields_of::<ListGrantsRequest>(),
        O::ListKeyPolicies | O::ListKeyRotations | O::ListResourceTags => {
            fields_of::<KeyPageRequest>()
        }
        O::ListKeys => fields_of::<ListKeysRequest>(),
        O::ListRetirableGrants => fields_of::<ListRetirableGrantsRequest>(),
        O::PutKeyPolicy => fields_of::<PutKeyPolicyRequest>(),
        O::ReEncrypt => fields_of::<ReEncryptRequest>(),
        O::ReplicateKey => fields_of::<ReplicateKeyRequest>(),
        O::RetireGrant => fields_of::<RetireGrantRequest>(),
        O::RevokeGrant => fields_of::<RevokeGrantRequest>(),
        O::ScheduleKeyDeletion => fields_of::<ScheduleKeyDeletionRequest>(),
        O::Sign | O::Verify => fields_of::<SignRequest>(),
        O::TagResource => fields_of::<TagResourceRequest>(),
        O::UntagResource => fields_of::<UntagResourceRequest>(),
        O::UpdateKeyDescription => fields_of::<UpdateKeyDescriptionRequest>(),
        O::UpdatePrimaryRegion => fields_of::<UpdatePrimaryRegionRequest>(),
    }
}

#[test]
fn each_typed_request_reads_exactly_the_fields_of_its_table_row() {
    // Requests shared by two operations read one field the other operation does not take.
    let shared_extra: &[(Operation, &str)] = &[
        (Operation::GenerateDataKeyWithoutPlaintext, "Recipient"),
        (Operation::GenerateDataKeyPairWithoutPlaintext, "Recipient"),
        (Operation::Sign, "Signature"),
        (Operation::GenerateMac, "Mac"),
        (Operation::ListKeyPolicies, "IncludeKeyMaterial"),
        (Operation::ListResourceTags, "IncludeKeyMaterial"),
    ];
    for op in Operation::ALL {
        let mut expected: Vec<&str> = op.fields().iter().map(|f| f.name).collect();
        expected.extend(shared_extra.iter().filter(|(o, _)| o == op).map(|(_, f)| *f));
        expected.sort_unstable();
        assert_eq!(request_fields(*op), expected, "{op}");
    }
}
