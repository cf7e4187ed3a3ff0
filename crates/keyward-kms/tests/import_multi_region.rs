//! Imported key material in multi-Region keys (Origin EXTERNAL, MultiRegion true) and the
//! expiry of imported material, as the KMS Developer Guide ("Importing key material into
//! multi-Region keys") and the API reference (ImportKeyMaterial, RotateKeyOnDemand,
//! ListKeyRotations, DeleteImportedKeyMaterial) describe them; and AWS's texts for the import
//! and rotation refusals.
#![cfg(feature = "asymmetric")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::crypto::asym;
use keyward_kms::trail::ServiceEventKind;
use keyward_kms::types::WrappingAlgorithm;
use keyward_kms::{Caller, Kms};
use serde_json::{json, Value};

const US: &str = "us-east-1";
const EU: &str = "eu-west-1";
const A: [u8; 32] = [0xa1; 32];
const B: [u8; 32] = [0xb2; 32];
const C: [u8; 32] = [0xc3; 32];

fn r(region: &str) -> Caller {
    let mut c = admin();
    c.region = Some(region.to_string());
    c
}

fn arn(region: &str, id: &str) -> String {
    format!("arn:aws:kms:{region}:{ACCT}:key/{id}")
}

/// GetParametersForImport + ImportKeyMaterial of `material` into the key in `c`'s Region, with
/// `extra` request fields (ExpirationModel KEY_MATERIAL_DOES_NOT_EXPIRE unless replaced).
fn import(
    k: &mut Kms,
    c: &Caller,
    id: &str,
    material: &[u8],
    extra: Value,
) -> Result<Value, keyward_kms::KmsError> {
    let params = ok(
        k,
        c,
        "GetParametersForImport",
        json!({"KeyId": id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    let wrapped = asym::wrap_material(
        &unb64(&params["PublicKey"]),
        WrappingAlgorithm::RsaesOaepSha256,
        material,
        &mut rand_core::OsRng,
    )
    .unwrap();
    let base = json!({"KeyId": id, "ImportToken": params["ImportToken"],
        "EncryptedKeyMaterial": b64(&wrapped), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"});
    let req = merged(base, &extra);
    k.call(c, "ImportKeyMaterial", &req)
}

fn state(k: &mut Kms, c: &Caller, id: &str) -> String {
    let m = ok(k, c, "DescribeKey", json!({"KeyId": id}));
    m["KeyMetadata"]["KeyState"].as_str().unwrap().to_string()
}

/// (KeyMaterialId, KeyMaterialState, ImportState) of every material ListKeyRotations lists.
fn materials(k: &mut Kms, c: &Caller, id: &str) -> Vec<(String, String, String)> {
    let out = ok(
        k,
        c,
        "ListKeyRotations",
        json!({"KeyId": id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"}),
    );
    let s = |v: &Value, f: &str| v[f].as_str().unwrap_or_default().to_string();
    let rows = out["Rotations"].as_array().unwrap();
    rows.iter()
        .map(|v| (s(v, "KeyMaterialId"), s(v, "KeyMaterialState"), s(v, "ImportState")))
        .collect()
}

fn encrypt(k: &mut Kms, c: &Caller, id: &str, text: &[u8]) -> Value {
    ok(k, c, "Encrypt", json!({"KeyId": id, "Plaintext": b64(text)}))["CiphertextBlob"].clone()
}

fn decrypt(k: &mut Kms, c: &Caller, ct: &Value) -> (Vec<u8>, Value) {
    let out = ok(k, c, "Decrypt", json!({"CiphertextBlob": ct}));
    (unb64(&out["Plaintext"]), out["KeyMaterialId"].clone())
}

/// An EXTERNAL multi-Region primary in us-east-1 with material A imported, replicated to
/// eu-west-1 (no material there yet). Returns the key id and A's KeyMaterialId.
fn imported_set(k: &mut Kms) -> (String, Value) {
    let made = ok(k, &r(US), "CreateKey", json!({"Origin": "EXTERNAL", "MultiRegion": true}));
    let id = made["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    assert!(id.starts_with("mrk-"), "{id}");
    // A primary without its material cannot be replicated yet (AWS: pending import).
    let e = err(k, &r(US), "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": EU}));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("KMSInvalidStateException", format!("{} is pending import.", arn(US, &id)).as_str())
    );
    let a = import(k, &r(US), &id, &A, json!({})).unwrap()["KeyMaterialId"].clone();
    ok(k, &r(US), "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": EU}));
    (id, a)
}

#[test]
fn replica_takes_the_primarys_imported_material() {
    let mut k = kms();
    let (id, a) = imported_set(&mut k);
    let (us, eu) = (r(US), r(EU));
    // The replica is made with no key material: PendingImport, its material listed as
    // PENDING_IMPORT under the primary's KeyMaterialId.
    assert_eq!(state(&mut k, &eu, &id), "PendingImport");
    let a_id = a.as_str().unwrap().to_string();
    let want = vec![(a_id.clone(), "CURRENT".into(), "PENDING_IMPORT".into())];
    assert_eq!(materials(&mut k, &eu, &id), want);
    let e = err(&mut k, &eu, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}));
    assert_eq!(e.code.as_str(), "KMSInvalidStateException");
    assert_eq!(e.message, format!("{} is pending import.", arn(EU, &id)));
    // Different material is refused, in either import type.
    for extra in [json!({}), json!({"ImportType": "NEW_KEY_MATERIAL"})] {
        let e = import(&mut k, &eu, &id, &B, extra).unwrap_err();
        assert_eq!(e.code.as_str(), "IncorrectKeyMaterialException", "{e}");
    }
    assert_eq!(state(&mut k, &eu, &id), "PendingImport");
    // The same material: the same KeyMaterialId (it derives from the key id and the
    // material), and the replica is Enabled.
    let out = import(&mut k, &eu, &id, &A, json!({})).unwrap();
    assert_eq!(out["KeyMaterialId"], a);
    assert_eq!(out["KeyId"], arn(EU, &id));
    assert_eq!(state(&mut k, &eu, &id), "Enabled");
    assert_eq!(materials(&mut k, &eu, &id), vec![(a_id, "CURRENT".into(), "IMPORTED".into())]);
    // Interoperable both ways.
    let from_us = encrypt(&mut k, &us, &id, b"from us-east-1");
    assert_eq!(decrypt(&mut k, &eu, &from_us), (b"from us-east-1".to_vec(), a.clone()));
    let from_eu = encrypt(&mut k, &eu, &id, b"from eu-west-1");
    assert_eq!(decrypt(&mut k, &us, &from_eu), (b"from eu-west-1".to_vec(), a));
    // Deleting the replica's material leaves the primary as it is (AWS: related keys'
    // states are independent).
    ok(&mut k, &eu, "DeleteImportedKeyMaterial", json!({"KeyId": id}));
    assert_eq!(state(&mut k, &eu, &id), "PendingImport");
    assert_eq!(state(&mut k, &us, &id), "Enabled");
    assert_eq!(decrypt(&mut k, &us, &from_eu).0, b"from eu-west-1");
}

#[test]
fn new_material_is_imported_into_every_replica_before_rotation() {
    let mut k = kms();
    let (id, a) = imported_set(&mut k);
    let (us, eu) = (r(US), r(EU));
    import(&mut k, &eu, &id, &A, json!({})).unwrap();
    let old = encrypt(&mut k, &eu, &id, b"under A");
    // New material goes to the primary first: pending on the set until every replica has it.
    let c = import(&mut k, &us, &id, &C, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap()
        ["KeyMaterialId"]
        .clone();
    let c_id = c.as_str().unwrap().to_string();
    let pending = |k: &mut Kms, at: &Caller| {
        materials(k, at, &id).into_iter().find(|m| m.0 == c_id).map(|m| m.1)
    };
    assert_eq!(pending(&mut k, &us).as_deref(), Some("PENDING_MULTI_REGION_IMPORT_AND_ROTATION"));
    let e = err(&mut k, &us, "RotateKeyOnDemand", json!({"KeyId": id}));
    assert_eq!(e.code.as_str(), "KMSInvalidStateException");
    assert!(e.message.contains(EU), "{e}");
    // A replica takes new material only through its primary.
    let e = import(&mut k, &eu, &id, &B, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap_err();
    assert_eq!(e.code.as_str(), "UnsupportedOperationException", "{e}");
    let out = import(&mut k, &eu, &id, &C, json!({"ImportType": "EXISTING_KEY_MATERIAL"})).unwrap();
    assert_eq!(out["KeyMaterialId"], c);
    assert_eq!(pending(&mut k, &us).as_deref(), Some("PENDING_ROTATION"));
    assert_eq!(pending(&mut k, &eu).as_deref(), Some("PENDING_ROTATION"));
    // Rotation of the primary makes C current in every Region.
    ok(&mut k, &us, "RotateKeyOnDemand", json!({"KeyId": id}));
    for at in [&us, &eu] {
        let m = ok(&mut k, at, "DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
        assert_eq!(
            (m["CurrentKeyMaterialId"].clone(), m["KeyState"].clone()),
            (c.clone(), json!("Enabled"))
        );
        let listed = materials(&mut k, at, &id);
        assert_eq!(
            listed.iter().map(|m| m.1.as_str()).collect::<Vec<_>>(),
            ["NON_CURRENT", "CURRENT"]
        );
    }
    let new = encrypt(&mut k, &eu, &id, b"under C");
    assert_eq!(decrypt(&mut k, &us, &new), (b"under C".to_vec(), c));
    assert_eq!(decrypt(&mut k, &us, &old), (b"under A".to_vec(), a));
    // Deleting the primary's pending material deletes it from the replicas too.
    import(&mut k, &us, &id, &B, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap();
    import(&mut k, &eu, &id, &B, json!({})).unwrap();
    assert_eq!(materials(&mut k, &eu, &id).len(), 3);
    let b_id = materials(&mut k, &us, &id)[2].0.clone();
    ok(&mut k, &us, "DeleteImportedKeyMaterial", json!({"KeyId": id, "KeyMaterialId": b_id}));
    assert_eq!(materials(&mut k, &eu, &id).len(), 2, "B is gone from the replica");
    assert_eq!(state(&mut k, &eu, &id), "Enabled");
}

#[test]
fn expiry_deletes_the_material_of_one_key_only() {
    let mut k = kms();
    k.record_service_events(true);
    let (id, a) = imported_set(&mut k);
    let (us, eu) = (r(US), r(EU));
    // The replica's copy never expires; the primary's re-import sets an expiry.
    import(&mut k, &eu, &id, &A, json!({})).unwrap();
    let valid_to = (T0 + 2 * DAY) / 1000;
    let expiring = json!({"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": valid_to});
    import(&mut k, &us, &id, &A, expiring).unwrap();
    let ct = encrypt(&mut k, &us, &id, b"before expiry");
    k.tick(T0 + DAY).unwrap();
    assert_eq!(state(&mut k, &us, &id), "Enabled", "not yet");
    let later = |c: &Caller| at(c.clone(), T0 + 3 * DAY);
    k.tick(T0 + 3 * DAY).unwrap();
    let (events, _) = k.take_service_events();
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.key_arn.clone(), e.key_material_id.clone(), e.at_ms))
        .collect();
    let want = (
        ServiceEventKind::DeleteExpiredKeyMaterial,
        arn(US, &id),
        a.as_str().map(String::from),
        T0 + 2 * DAY,
    );
    assert_eq!(seen, vec![want]);
    assert_eq!(state(&mut k, &later(&us), &id), "PendingImport");
    let e = err(&mut k, &later(&us), "Decrypt", json!({"CiphertextBlob": ct}));
    assert_eq!(
        (e.code.as_str(), e.message),
        ("KMSInvalidStateException", format!("{} is pending import.", arn(US, &id)))
    );
    assert_eq!(materials(&mut k, &later(&us), &id)[0].2, "PENDING_IMPORT");
    // The replica is unaffected (AWS: "if the key material in the primary key expires, its
    // replica keys are unaffected").
    assert_eq!(state(&mut k, &later(&eu), &id), "Enabled");
    assert_eq!(decrypt(&mut k, &later(&eu), &ct).0, b"before expiry");
    // Importing the same material again restores the primary.
    import(&mut k, &later(&us), &id, &A, json!({})).unwrap();
    assert_eq!(decrypt(&mut k, &later(&us), &ct).0, b"before expiry");
}

#[test]
fn expiry_of_one_of_several_materials() {
    let mut k = kms();
    k.record_service_events(true);
    let id = key(&mut k, json!({"Origin": "EXTERNAL"}));
    let c = admin();
    let expires = |days: i64| json!({"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": (T0 + days * DAY) / 1000});
    let a = import(&mut k, &c, &id, &A, expires(10)).unwrap()["KeyMaterialId"].clone();
    let under_a = encrypt(&mut k, &c, &id, b"A");
    import(&mut k, &c, &id, &B, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap();
    ok(&mut k, &c, "RotateKeyOnDemand", json!({"KeyId": id}));
    // B is current and never expires; DescribeKey says so. A, now older, keeps its ValidTo.
    let m = ok(&mut k, &c, "DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(m["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    // Material pending rotation that expires is dropped; the key stays usable.
    let pending = import(&mut k, &c, &id, &C, json!({"ImportType": "NEW_KEY_MATERIAL", "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": (T0 + 5 * DAY) / 1000})).unwrap();
    k.tick(T0 + 6 * DAY).unwrap();
    let later = at(c.clone(), T0 + 6 * DAY);
    assert_eq!(state(&mut k, &later, &id), "Enabled");
    assert_eq!(materials(&mut k, &later, &id).len(), 2, "C is no longer listed");
    let (events, _) = k.take_service_events();
    assert_eq!(
        events.iter().map(|e| e.key_material_id.clone()).collect::<Vec<_>>(),
        vec![pending["KeyMaterialId"].as_str().map(String::from)]
    );
    // When A (no longer current) expires the key is PendingImport: a key is usable only
    // while every material associated with it is imported.
    k.tick(T0 + 11 * DAY).unwrap();
    let later = at(c.clone(), T0 + 11 * DAY);
    let (events, _) = k.take_service_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].key_material_id.as_deref(), a.as_str());
    assert_eq!(state(&mut k, &later, &id), "PendingImport");
    let listed = materials(&mut k, &later, &id);
    let imports: Vec<_> = listed.iter().map(|m| (m.1.as_str(), m.2.as_str())).collect();
    assert_eq!(imports, [("NON_CURRENT", "PENDING_IMPORT"), ("CURRENT", "IMPORTED")]);
    import(&mut k, &later, &id, &A, json!({"ImportType": "EXISTING_KEY_MATERIAL"})).unwrap();
    assert_eq!(state(&mut k, &later, &id), "Enabled");
    assert_eq!(decrypt(&mut k, &later, &under_a), (b"A".to_vec(), a));
}

/// The refusals whose texts AWS's own answers show (recorded from AWS KMS in LocalStack's
/// snapshot tests, 2025).
#[test]
fn import_and_rotation_refusals_in_aws_words() {
    let mut k = kms();
    let c = admin();
    let id = key(&mut k, json!({"Origin": "EXTERNAL"}));
    let key_arn = arn(US, &id);
    // No material pending rotation.
    import(&mut k, &c, &id, &A, json!({})).unwrap();
    let e = err(&mut k, &c, "RotateKeyOnDemand", json!({"KeyId": id}));
    assert_eq!(
        (e.code.as_str(), e.message),
        (
            "KMSInvalidStateException",
            format!("No available key material pending rotation for the key: {key_arn}.")
        )
    );
    // New material while other material is pending rotation.
    let pending = import(&mut k, &c, &id, &B, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap();
    let pending = pending["KeyMaterialId"].as_str().unwrap().to_string();
    let refused =
        import(&mut k, &c, &id, &C, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap_err();
    // C's KeyMaterialId, as the KMS gives it once B no longer waits.
    ok(&mut k, &c, "DeleteImportedKeyMaterial", json!({"KeyId": id, "KeyMaterialId": pending}));
    let new = import(&mut k, &c, &id, &C, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap();
    let want = format!(
        "New key material (id: {}) cannot be imported into KMS key {key_arn}, because another key \
         material (id: {pending}) is pending rotation.",
        new["KeyMaterialId"].as_str().unwrap()
    );
    assert_eq!((refused.code.as_str(), refused.message), ("KMSInvalidStateException", want));
    // The on-demand rotation limit (25 per key).
    let sym = key(&mut k, json!({}));
    for _ in 0..25 {
        ok(&mut k, &c, "RotateKeyOnDemand", json!({"KeyId": sym}));
    }
    let e = err(&mut k, &c, "RotateKeyOnDemand", json!({"KeyId": sym}));
    let want = format!("The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {}", arn(US, &sym));
    assert_eq!((e.code.as_str(), e.message), ("LimitExceededException", want));
    // ReplicateKey of a replica.
    let mrk = ok(&mut k, &c, "CreateKey", json!({"MultiRegion": true}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&mut k, &c, "ReplicateKey", json!({"KeyId": mrk, "ReplicaRegion": EU}));
    let e =
        err(&mut k, &r(EU), "ReplicateKey", json!({"KeyId": mrk, "ReplicaRegion": "us-west-2"}));
    assert_eq!(
        (e.code.as_str(), e.message),
        (
            "UnsupportedOperationException",
            format!("{} is not a multi-region primary key.", arn(EU, &mrk))
        )
    );
}

#[test]
fn valid_to_is_at_most_365_days_ahead() {
    let mut k = kms();
    let id = key(&mut k, json!({"Origin": "EXTERNAL"}));
    let c = admin();
    let expires =
        |ms: i64| json!({"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": ms / 1000});
    let e = import(&mut k, &c, &id, &A, expires(T0 + 366 * DAY)).unwrap_err();
    assert_eq!(e.code.as_str(), "ValidationException", "{e}");
    let e = import(&mut k, &c, &id, &A, expires(T0 - DAY)).unwrap_err();
    assert_eq!(e.code.as_str(), "ValidationException", "{e}");
    import(&mut k, &c, &id, &A, expires(T0 + 365 * DAY)).unwrap();
    assert_eq!(state(&mut k, &c, &id), "Enabled");
}

#[test]
fn update_primary_region_of_an_imported_key() {
    let mut k = kms();
    let (id, a) = imported_set(&mut k);
    let (us, eu) = (r(US), r(EU));
    import(&mut k, &eu, &id, &A, json!({})).unwrap();
    // New material on the old primary only: the new primary has not imported it, so the set
    // drops it (keyward's choice, docs/local-kms.md).
    import(&mut k, &us, &id, &C, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap();
    ok(&mut k, &us, "UpdatePrimaryRegion", json!({"KeyId": id, "PrimaryRegion": EU}));
    for at in [&us, &eu] {
        let listed = materials(&mut k, at, &id);
        let a_id = a.as_str().unwrap().to_string();
        assert_eq!(listed, vec![(a_id, "CURRENT".into(), "IMPORTED".into())]);
    }
    // The new primary takes new material and rotates the set.
    let c = import(&mut k, &eu, &id, &C, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap();
    import(&mut k, &us, &id, &C, json!({})).unwrap();
    ok(&mut k, &eu, "RotateKeyOnDemand", json!({"KeyId": id}));
    let m = ok(&mut k, &us, "DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(m["CurrentKeyMaterialId"], c["KeyMaterialId"]);
}
