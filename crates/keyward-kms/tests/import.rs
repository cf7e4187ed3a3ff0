//! Imported key material as AWS has it since 2025: KeyMaterialId in responses, ImportType
//! (EXISTING_KEY_MATERIAL / NEW_KEY_MATERIAL), on-demand rotation of EXTERNAL keys, the key
//! materials in ListKeyRotations, DeleteImportedKeyMaterial by KeyMaterialId.
#![cfg(feature = "asymmetric")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::crypto::asym;
use keyward_kms::types::WrappingAlgorithm;
use keyward_kms::Kms;
use serde_json::{json, Value};

/// GetParametersForImport + ImportKeyMaterial of `material` with `extra` request fields
/// (ExpirationModel defaults to KEY_MATERIAL_DOES_NOT_EXPIRE); the call's result.
fn import(
    k: &mut Kms,
    id: &str,
    material: &[u8],
    extra: Value,
) -> Result<Value, keyward_kms::KmsError> {
    let params = ok(
        k,
        &admin(),
        "GetParametersForImport",
        json!({"KeyId": id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    let public = unb64(&params["PublicKey"]);
    let wrapped = asym::wrap_material(
        &public,
        WrappingAlgorithm::RsaesOaepSha256,
        material,
        &mut rand_core::OsRng,
    )
    .unwrap();
    let mut req = json!({"KeyId": id, "ImportToken": params["ImportToken"],
        "EncryptedKeyMaterial": b64(&wrapped), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"});
    for (name, v) in extra.as_object().unwrap() {
        if v.is_null() {
            req.as_object_mut().unwrap().remove(name);
        } else {
            req[name] = v.clone();
        }
    }
    k.call(&admin(), "ImportKeyMaterial", &req)
}

fn external(k: &mut Kms) -> String {
    key(k, json!({"Origin": "EXTERNAL"}))
}

fn current(k: &mut Kms, id: &str) -> Value {
    ok(k, &admin(), "DescribeKey", json!({"KeyId": id}))["KeyMetadata"]["CurrentKeyMaterialId"]
        .clone()
}

#[test]
fn key_material_id_in_responses_of_an_external_key() {
    let mut k = kms();
    let id = external(&mut k);
    let out = import(&mut k, &id, &[7u8; 32], json!({})).unwrap();
    let mid = out["KeyMaterialId"].clone();
    assert_eq!(mid.as_str().unwrap().len(), 64);
    assert!(out["KeyId"].as_str().unwrap().ends_with(&id));
    assert_eq!(current(&mut k, &id), mid);
    let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}));
    // Encrypt's response has no KeyMaterialId in AWS's model.
    assert!(ct.get("KeyMaterialId").is_none(), "{ct}");
    let dec = ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]}));
    assert_eq!(dec["KeyMaterialId"], mid);
    for op in ["GenerateDataKey", "GenerateDataKeyWithoutPlaintext"] {
        let out = ok(&mut k, &admin(), op, json!({"KeyId": id, "KeySpec": "AES_256"}));
        assert_eq!(out["KeyMaterialId"], mid, "{op}");
    }
    for op in ["GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"] {
        let out = ok(&mut k, &admin(), op, json!({"KeyId": id, "KeyPairSpec": "ECC_NIST_P256"}));
        assert_eq!(out["KeyMaterialId"], mid, "{op}");
    }
    let other = key(&mut k, json!({}));
    let re = ok(
        &mut k,
        &admin(),
        "ReEncrypt",
        json!({"CiphertextBlob": ct["CiphertextBlob"], "DestinationKeyId": other}),
    );
    assert_eq!(re["SourceKeyMaterialId"], mid);
    assert_eq!(re["DestinationKeyMaterialId"], current(&mut k, &other));
    assert_ne!(re["DestinationKeyMaterialId"], mid);
}

#[test]
fn asymmetric_decrypt_has_no_key_material_id() {
    let mut k = kms();
    let id = key(&mut k, json!({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}));
    let alg = json!("RSAES_OAEP_SHA_256");
    let ct = ok(
        &mut k,
        &admin(),
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionAlgorithm": alg}),
    );
    let dec = ok(
        &mut k,
        &admin(),
        "Decrypt",
        json!({"KeyId": id, "CiphertextBlob": ct["CiphertextBlob"], "EncryptionAlgorithm": alg}),
    );
    assert!(dec.get("KeyMaterialId").is_none(), "{dec}");
}
