//! The key-state error matrix (aws-semantics §6.3) as data: every operation against a key in
//! every state keyward can produce, with the exact error AWS documents.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use serde_json::{json, Value};

/// Operation, request builder (key id, ciphertext), expected outcome per state:
/// Enabled, Disabled, PendingDeletion, PendingImport. "OK" or an error code.
type Case = (&'static str, fn(&str, &Value, &Value) -> Value, [&'static str; 4]);

const DIS: &str = "DisabledException";
const INV: &str = "KMSInvalidStateException";
const UNS: &str = "UnsupportedOperationException";

fn cases() -> Vec<Case> {
    vec![
        ("Encrypt", |k, _, _| json!({"KeyId": k, "Plaintext": "eA=="}), ["OK", DIS, INV, INV]),
        ("Decrypt", |k, ct, _| json!({"KeyId": k, "CiphertextBlob": ct}), ["OK", DIS, INV, INV]),
        (
            "GenerateDataKey",
            |k, _, _| json!({"KeyId": k, "KeySpec": "AES_256"}),
            ["OK", DIS, INV, INV],
        ),
        (
            "GenerateDataKeyWithoutPlaintext",
            |k, _, _| json!({"KeyId": k, "NumberOfBytes": 8}),
            ["OK", DIS, INV, INV],
        ),
        (
            "GenerateDataKeyPair",
            |k, _, _| json!({"KeyId": k, "KeyPairSpec": "ECC_NIST_P256"}),
            ["OK", DIS, INV, INV],
        ),
        (
            "ReEncrypt",
            |k, _, other| json!({"CiphertextBlob": other, "DestinationKeyId": k}),
            ["OK", DIS, INV, INV],
        ),
        (
            "CreateGrant",
            |k, _, _| json!({"KeyId": k, "GranteePrincipal": "arn:aws:iam::111122223333:role/R", "Operations": ["Decrypt"]}),
            ["OK", DIS, INV, INV],
        ),
        ("DescribeKey", |k, _, _| json!({"KeyId": k}), ["OK", "OK", "OK", "OK"]),
        ("GetKeyPolicy", |k, _, _| json!({"KeyId": k}), ["OK", "OK", "OK", "OK"]),
        ("ListGrants", |k, _, _| json!({"KeyId": k}), ["OK", "OK", "OK", "OK"]),
        ("ListKeyPolicies", |k, _, _| json!({"KeyId": k}), ["OK", "OK", "OK", "OK"]),
        ("ListResourceTags", |k, _, _| json!({"KeyId": k}), ["OK", "OK", "OK", "OK"]),
        (
            "PutKeyPolicy",
            |k, _, _| json!({"KeyId": k, "Policy": policy_with(&[])}),
            ["OK", "OK", "OK", "OK"],
        ),
        ("EnableKey", |k, _, _| json!({"KeyId": k}), ["OK", "OK", INV, INV]),
        ("DisableKey", |k, _, _| json!({"KeyId": k}), ["OK", "OK", INV, INV]),
        (
            "ScheduleKeyDeletion",
            |k, _, _| json!({"KeyId": k, "PendingWindowInDays": 7}),
            ["OK", "OK", INV, "OK"],
        ),
        ("CancelKeyDeletion", |k, _, _| json!({"KeyId": k}), [INV, INV, "OK", INV]),
        (
            "TagResource",
            |k, _, _| json!({"KeyId": k, "Tags": [{"TagKey": "a", "TagValue": "b"}]}),
            ["OK", "OK", INV, "OK"],
        ),
        ("UntagResource", |k, _, _| json!({"KeyId": k, "TagKeys": ["a"]}), ["OK", "OK", INV, "OK"]),
        (
            "UpdateKeyDescription",
            |k, _, _| json!({"KeyId": k, "Description": "d"}),
            ["OK", "OK", INV, "OK"],
        ),
        (
            "CreateAlias",
            |k, _, _| json!({"AliasName": "alias/matrix", "TargetKeyId": k}),
            ["OK", "OK", INV, "OK"],
        ),
        ("EnableKeyRotation", |k, _, _| json!({"KeyId": k}), ["OK", DIS, INV, UNS]),
        ("DisableKeyRotation", |k, _, _| json!({"KeyId": k}), ["OK", DIS, INV, UNS]),
        ("RotateKeyOnDemand", |k, _, _| json!({"KeyId": k}), ["OK", DIS, INV, UNS]),
        ("GetKeyRotationStatus", |k, _, _| json!({"KeyId": k}), ["OK", "OK", "OK", UNS]),
    ]
}

/// A key in `state`, and a ciphertext of it (made while it was enabled).
fn key_in(k: &mut keyward_kms::Kms, state: usize) -> (String, Value) {
    if state == 3 {
        let id = key(k, json!({"Origin": "EXTERNAL"}));
        return (id, json!(b64(&[0u8; 64])));
    }
    let id = key(k, json!({}));
    let ct = ok(k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"m")}))
        ["CiphertextBlob"]
        .clone();
    match state {
        1 => {
            ok(k, &admin(), "DisableKey", json!({"KeyId": id}));
        }
        2 => {
            ok(k, &admin(), "ScheduleKeyDeletion", json!({"KeyId": id, "PendingWindowInDays": 30}));
        }
        _ => {}
    }
    (id, ct)
}

#[test]
fn every_operation_in_every_state_gets_the_documented_error() {
    let names = ["Enabled", "Disabled", "PendingDeletion", "PendingImport"];
    let mut failures = Vec::new();
    for (op, build, expected) in cases() {
        for (s, want) in expected.iter().enumerate() {
            let mut k = kms();
            let (id, ct) = key_in(&mut k, s);
            let other = key(&mut k, json!({}));
            let other_ct =
                ok(&mut k, &admin(), "Encrypt", json!({"KeyId": other, "Plaintext": b64(b"o")}))
                    ["CiphertextBlob"]
                    .clone();
            let got = match k.call(&admin(), op, &build(&id, &ct, &other_ct)) {
                Ok(_) => "OK",
                Err(e) => e.code.as_str(),
            };
            if got != *want {
                failures.push(format!("{op} on a {} key: expected {want}, got {got}", names[s]));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn state_errors_name_the_key_arn() {
    let mut k = kms();
    let (id, _) = key_in(&mut k, 1);
    let e = err(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": "eA=="}));
    assert_eq!(e.message, format!("arn:aws:kms:us-east-1:{ACCT}:key/{id} is disabled."));
}

#[test]
fn import_key_material_moves_pending_import_to_enabled() {
    use keyward_kms::crypto::asym;
    let mut k = kms();
    let id = key(&mut k, json!({"Origin": "EXTERNAL"}));
    let meta = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}));
    assert_eq!(meta["KeyMetadata"]["KeyState"], "PendingImport");
    let params = ok(
        &mut k,
        &admin(),
        "GetParametersForImport",
        json!({"KeyId": id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    let public = unb64(&params["PublicKey"]);
    let material = [42u8; 32];
    let wrapped = asym::wrap_material(
        &public,
        keyward_kms::types::WrappingAlgorithm::RsaesOaepSha256,
        &material,
        &mut rand_core::OsRng,
    )
    .unwrap();
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "ImportKeyMaterial",
            json!({"KeyId": id, "ImportToken": b64(b"wrong"), "EncryptedKeyMaterial": b64(&wrapped), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})
        ),
        "InvalidImportTokenException"
    );
    ok(
        &mut k,
        &admin(),
        "ImportKeyMaterial",
        json!({"KeyId": id, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": b64(&wrapped), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
    );
    let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"imported")}));
    ok(&mut k, &admin(), "DeleteImportedKeyMaterial", json!({"KeyId": id}));
    assert_eq!(
        code(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]})),
        INV
    );
    let rot = code(&mut k, &admin(), "EnableKeyRotation", json!({"KeyId": id}));
    assert_eq!(rot, UNS);
}
