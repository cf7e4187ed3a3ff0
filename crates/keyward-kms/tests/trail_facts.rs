//! What the KMS adds to a call's CloudTrail record (`Kms::trail_facts`, read before the call):
//! the key a ciphertext or alias names, the material a cryptographic call uses, the alias and
//! key of alias operations, the grant a RetireGrant retires; the service events of the tick
//! (RotateKey, DeleteKey, DeleteExpiredKeyMaterial), kept only while a recorder asks for them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::trail::{ServiceEventKind, TrailFacts};
use keyward_kms::Operation;
use serde_json::{json, Value};

fn facts(k: &mut keyward_kms::Kms, c: &keyward_kms::Caller, op: &str, input: &Value) -> TrailFacts {
    k.trail_facts(c, Operation::parse(op).unwrap(), input)
}

fn arns(f: &TrailFacts) -> Vec<String> {
    f.resources.iter().map(|r| r.arn.clone()).collect()
}

#[test]
fn keys_and_material_of_calls() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let arn = format!("arn:aws:kms:us-east-1:{ACCT}:key/{id}");
    ok(&mut k, &admin(), "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": id}));
    let material = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}))["KeyMetadata"]
        ["CurrentKeyMaterialId"]
        .as_str()
        .unwrap()
        .to_string();
    // Encrypt through the alias: the key's ARN and its current material.
    let enc = json!({"KeyId": "alias/app", "Plaintext": b64(b"x")});
    let f = facts(&mut k, &admin(), "Encrypt", &enc);
    assert_eq!(arns(&f), [arn.as_str()]);
    assert_eq!(f.key_material, [("keyMaterialId".to_string(), material.clone())]);
    let ct = ok(&mut k, &admin(), "Encrypt", enc)["CiphertextBlob"].clone();
    // Decrypt without a KeyId: the key and material the ciphertext names.
    let f = facts(&mut k, &admin(), "Decrypt", &json!({"CiphertextBlob": ct}));
    assert_eq!(arns(&f), [arn.as_str()]);
    assert_eq!(f.key_material, [("keyMaterialId".to_string(), material.clone())]);
    // A large ciphertext: only its header is read.
    let big = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(&[7u8; 4000])}));
    let f = facts(&mut k, &admin(), "Decrypt", &json!({"CiphertextBlob": big["CiphertextBlob"]}));
    assert_eq!(f.key_material, [("keyMaterialId".to_string(), material.clone())]);
    // After a rotation, Decrypt names the old material, Encrypt the new one.
    ok(&mut k, &admin(), "RotateKeyOnDemand", json!({"KeyId": id}));
    let f = facts(&mut k, &admin(), "Decrypt", &json!({"CiphertextBlob": ct}));
    assert_eq!(f.key_material[0].1, material);
    let f = facts(&mut k, &admin(), "Encrypt", &json!({"KeyId": id}));
    assert_ne!(f.key_material[0].1, material);
    // ReEncrypt: source then destination key, both materials.
    let other = key(&mut k, json!({}));
    let f = facts(
        &mut k,
        &admin(),
        "ReEncrypt",
        &json!({"CiphertextBlob": ct, "DestinationKeyId": other}),
    );
    assert_eq!(
        arns(&f),
        [arn.as_str(), format!("arn:aws:kms:us-east-1:{ACCT}:key/{other}").as_str()]
    );
    let names: Vec<&str> = f.key_material.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["destinationKeyMaterialId", "sourceKeyMaterialId"]);
    // DeleteAlias: read before the call, when the alias still names its key.
    let alias_arn = format!("arn:aws:kms:us-east-1:{ACCT}:alias/app");
    let f = facts(&mut k, &admin(), "DeleteAlias", &json!({"AliasName": "alias/app"}));
    assert_eq!(arns(&f), [alias_arn.as_str(), arn.as_str()]);
    let f =
        facts(&mut k, &admin(), "CreateAlias", &json!({"AliasName": "alias/b", "TargetKeyId": id}));
    assert_eq!(arns(&f), [arn.as_str(), format!("arn:aws:kms:us-east-1:{ACCT}:alias/b").as_str()]);
    // A key that does not exist, and account-level operations: no resources.
    assert!(facts(&mut k, &admin(), "DescribeKey", &json!({"KeyId": "nope"})).resources.is_empty());
    assert!(facts(&mut k, &admin(), "ListKeys", &json!({})).resources.is_empty());
    // RetireGrant by token: the grant's key, and the grant id KMS logs.
    let g = ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": id, "GranteePrincipal": format!("arn:aws:iam::{ACCT}:user/ops"), "Operations": ["Decrypt"]}),
    );
    let f = facts(&mut k, &admin(), "RetireGrant", &json!({"GrantToken": g["GrantToken"]}));
    assert_eq!(arns(&f), [arn.as_str()]);
    assert_eq!(
        f.key_material,
        [("grantId".to_string(), g["GrantId"].as_str().unwrap().to_string())]
    );
}

#[test]
fn the_tick_queues_service_events_only_for_a_recorder() {
    let mut k = kms();
    let rotating = key(&mut k, json!({}));
    ok(
        &mut k,
        &admin(),
        "EnableKeyRotation",
        json!({"KeyId": rotating, "RotationPeriodInDays": 90}),
    );
    let doomed = key(&mut k, json!({}));
    ok(&mut k, &admin(), "ScheduleKeyDeletion", json!({"KeyId": doomed, "PendingWindowInDays": 7}));
    // Without a recorder nothing is kept.
    k.tick(T0 + 8 * DAY).unwrap();
    assert!(k.take_service_events().0.is_empty());
    k.record_service_events(true);
    k.tick(T0 + 91 * DAY).unwrap();
    let (events, dropped) = k.take_service_events();
    assert_eq!(dropped, 0);
    let kinds: Vec<(ServiceEventKind, &str)> =
        events.iter().map(|e| (e.kind, e.key_arn.rsplit('/').next().unwrap())).collect();
    assert_eq!(kinds, [(ServiceEventKind::RotateKey, rotating.as_str())]);
    assert!(events[0].key_material_id.is_some());
    assert_eq!(events[0].at_ms, T0 + 90 * DAY, "the time the rotation was due");
    assert!(k.take_service_events().0.is_empty(), "taken once");
    // A deletion due after the recorder started is recorded.
    let doomed2 = key(&mut k, json!({}));
    ok(
        &mut k,
        &at(admin(), T0 + 91 * DAY),
        "ScheduleKeyDeletion",
        json!({"KeyId": doomed2, "PendingWindowInDays": 7}),
    );
    k.tick(T0 + 99 * DAY).unwrap();
    let (events, _) = k.take_service_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, ServiceEventKind::DeleteKey);
    assert!(events[0].key_arn.ends_with(&doomed2));
}

#[test]
fn expired_imported_material_is_a_service_event() {
    use keyward_kms::crypto::asym;
    let mut k = kms();
    k.record_service_events(true);
    let id = key(&mut k, json!({"Origin": "EXTERNAL"}));
    let params = ok(
        &mut k,
        &admin(),
        "GetParametersForImport",
        json!({"KeyId": id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    let wrapped = asym::wrap_material(
        &unb64(&params["PublicKey"]),
        keyward_kms::types::WrappingAlgorithm::RsaesOaepSha256,
        &[7u8; 32],
        &mut rand_core::OsRng,
    )
    .unwrap();
    let valid_to = (T0 + 2 * DAY) / 1000;
    ok(
        &mut k,
        &admin(),
        "ImportKeyMaterial",
        json!({"KeyId": id, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": b64(&wrapped),
               "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": valid_to}),
    );
    k.tick(T0 + 3 * DAY).unwrap();
    let (events, _) = k.take_service_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind, ServiceEventKind::DeleteExpiredKeyMaterial);
    assert_eq!(events[0].at_ms, T0 + 2 * DAY);
    let listed = ok(
        &mut k,
        &admin(),
        "ListKeyRotations",
        json!({"KeyId": id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"}),
    );
    let material = listed["Rotations"][0]["KeyMaterialId"].as_str().map(String::from);
    assert_eq!(events[0].key_material_id, material, "the expired material is named");
}
