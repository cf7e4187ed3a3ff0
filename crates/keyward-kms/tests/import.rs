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
    import_with(k, id, WrappingAlgorithm::RsaesOaepSha256, material, extra)
}

/// [`import`] with wrapping algorithm `alg`.
fn import_with(
    k: &mut Kms,
    id: &str,
    alg: WrappingAlgorithm,
    material: &[u8],
    extra: Value,
) -> Result<Value, keyward_kms::KmsError> {
    let params = parameters(k, id, alg.as_str(), "RSA_2048");
    let public = unb64(&params["PublicKey"]);
    let wrapped = asym::wrap_material(&public, alg, material, &mut rand_core::OsRng).unwrap();
    let base = json!({"KeyId": id, "ImportToken": params["ImportToken"],
        "EncryptedKeyMaterial": b64(&wrapped), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"});
    let req = merged(base, &extra);
    k.call(&admin(), "ImportKeyMaterial", &req)
}

/// GetParametersForImport's response.
fn parameters(k: &mut Kms, id: &str, alg: &str, spec: &str) -> Value {
    let req = json!({"KeyId": id, "WrappingAlgorithm": alg, "WrappingKeySpec": spec});
    ok(k, &admin(), "GetParametersForImport", req)
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

fn rotations(k: &mut Kms, id: &str, include: &str) -> Vec<Value> {
    let out =
        ok(k, &admin(), "ListKeyRotations", json!({"KeyId": id, "IncludeKeyMaterial": include}));
    out["Rotations"].as_array().unwrap().clone()
}

/// (KeyMaterialId, KeyMaterialState, ImportState) of each entry.
fn states(entries: &[Value]) -> Vec<(String, String, String)> {
    entries
        .iter()
        .map(|e| {
            let s = |f: &str| e[f].as_str().unwrap_or("-").to_string();
            (s("KeyMaterialId"), s("KeyMaterialState"), s("ImportState"))
        })
        .collect()
}

#[test]
fn new_key_material_becomes_current_on_rotate_key_on_demand() {
    let mut k = kms();
    let id = external(&mut k);
    let (a, b) = ([1u8; 32], [2u8; 32]);
    let first = import(&mut k, &id, &a, json!({"KeyMaterialDescription": "first"})).unwrap();
    let m1 = first["KeyMaterialId"].as_str().unwrap().to_string();
    // Without pending material an EXTERNAL key cannot rotate.
    let e = err(&mut k, &admin(), "RotateKeyOnDemand", json!({"KeyId": id}));
    assert_eq!(e.code.as_str(), "KMSInvalidStateException");
    let old_ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"old")}));
    // After the first import, ImportType defaults to EXISTING_KEY_MATERIAL: other material is
    // refused, the same material is accepted again with the same id.
    assert_eq!(
        import(&mut k, &id, &b, json!({})).unwrap_err().code.as_str(),
        "IncorrectKeyMaterialException"
    );
    let again = import(&mut k, &id, &a, json!({"KeyMaterialId": m1})).unwrap();
    assert_eq!(again["KeyMaterialId"], json!(m1));
    // The same material as NEW is refused; so is a KeyMaterialId with NEW.
    let new = json!({"ImportType": "NEW_KEY_MATERIAL"});
    assert_eq!(
        import(&mut k, &id, &a, new).unwrap_err().code.as_str(),
        "IncorrectKeyMaterialException"
    );
    let with_id = json!({"ImportType": "NEW_KEY_MATERIAL", "KeyMaterialId": m1});
    assert_eq!(import(&mut k, &id, &b, with_id).unwrap_err().code.as_str(), "ValidationException");
    let second = import(
        &mut k,
        &id,
        &b,
        json!({"ImportType": "NEW_KEY_MATERIAL", "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": (T0 / 1000 + 86_400) as f64}),
    )
    .unwrap();
    let m2 = second["KeyMaterialId"].as_str().unwrap().to_string();
    assert_ne!(m1, m2);
    // Pending: not current yet; listed only with ALL_KEY_MATERIAL.
    assert_eq!(current(&mut k, &id), json!(m1));
    assert!(rotations(&mut k, &id, "ROTATIONS_ONLY").is_empty());
    let all = rotations(&mut k, &id, "ALL_KEY_MATERIAL");
    assert_eq!(
        states(&all),
        [
            (m1.clone(), "CURRENT".into(), "IMPORTED".into()),
            (m2.clone(), "PENDING_ROTATION".into(), "IMPORTED".into())
        ]
    );
    assert_eq!(all[0]["KeyMaterialDescription"], "first");
    assert_eq!(all[0]["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assert!(all[0].get("RotationDate").is_none());
    assert_eq!(all[1]["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    assert_eq!(all[1]["ValidTo"], json!((T0 / 1000 + 86_400) as f64));
    ok(&mut k, &admin(), "RotateKeyOnDemand", json!({"KeyId": id}));
    assert_eq!(current(&mut k, &id), json!(m2));
    let meta = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(meta["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    let only = rotations(&mut k, &id, "ROTATIONS_ONLY");
    assert_eq!(states(&only), [(m2.clone(), "CURRENT".into(), "IMPORTED".into())]);
    assert_eq!(only[0]["RotationType"], "ON_DEMAND");
    assert_eq!(
        states(&rotations(&mut k, &id, "ALL_KEY_MATERIAL")),
        [
            (m1.clone(), "NON_CURRENT".into(), "IMPORTED".into()),
            (m2.clone(), "CURRENT".into(), "IMPORTED".into())
        ]
    );
    // Old ciphertexts still decrypt, under the old material; new ones use the new one.
    let dec = ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": old_ct["CiphertextBlob"]}));
    assert_eq!(unb64(&dec["Plaintext"]), b"old");
    assert_eq!(dec["KeyMaterialId"], json!(m1));
    let dk = ok(&mut k, &admin(), "GenerateDataKey", json!({"KeyId": id, "NumberOfBytes": 16}));
    assert_eq!(dk["KeyMaterialId"], json!(m2));
    // A second rotation needs another NEW import.
    assert_eq!(
        code(&mut k, &admin(), "RotateKeyOnDemand", json!({"KeyId": id})),
        "KMSInvalidStateException"
    );
    // Automatic rotation stays refused for imported material.
    assert_eq!(
        code(&mut k, &admin(), "EnableKeyRotation", json!({"KeyId": id})),
        "UnsupportedOperationException"
    );
}

#[test]
fn delete_imported_key_material_by_id_and_reimport() {
    let mut k = kms();
    let id = external(&mut k);
    let (a, b) = ([3u8; 32], [4u8; 32]);
    let m1 = import(&mut k, &id, &a, json!({})).unwrap()["KeyMaterialId"].clone();
    let old_ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"v1")}));
    let m2 = import(&mut k, &id, &b, json!({"ImportType": "NEW_KEY_MATERIAL"})).unwrap()
        ["KeyMaterialId"]
        .clone();
    ok(&mut k, &admin(), "RotateKeyOnDemand", json!({"KeyId": id}));
    // Deleting the non-current material: the key waits for it (PendingImport) and says which.
    let out = ok(
        &mut k,
        &admin(),
        "DeleteImportedKeyMaterial",
        json!({"KeyId": id, "KeyMaterialId": m1}),
    );
    assert_eq!(out["KeyMaterialId"], m1);
    assert!(out["KeyId"].as_str().unwrap().ends_with(&id));
    let meta = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(meta["KeyState"], "PendingImport");
    assert_eq!(meta["CurrentKeyMaterialId"], m2);
    assert_eq!(
        states(&rotations(&mut k, &id, "ALL_KEY_MATERIAL")),
        [
            (m1.as_str().unwrap().into(), "NON_CURRENT".into(), "PENDING_IMPORT".into()),
            (m2.as_str().unwrap().into(), "CURRENT".into(), "IMPORTED".into())
        ]
    );
    assert_eq!(
        code(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": old_ct["CiphertextBlob"]})),
        "KMSInvalidStateException"
    );
    // Unknown material id.
    let e = err(
        &mut k,
        &admin(),
        "DeleteImportedKeyMaterial",
        json!({"KeyId": id, "KeyMaterialId": "ab".repeat(32)}),
    );
    assert_eq!(e.code.as_str(), "NotFoundException");
    // Re-importing it (EXISTING, by id) makes the key usable again; the old ciphertext decrypts.
    let back = import(&mut k, &id, &a, json!({"KeyMaterialId": m1})).unwrap();
    assert_eq!(back["KeyMaterialId"], m1);
    let meta = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(meta["KeyState"], "Enabled");
    let dec = ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": old_ct["CiphertextBlob"]}));
    assert_eq!(unb64(&dec["Plaintext"]), b"v1");
    // A KeyMaterialId naming other material than the one sent is refused.
    assert_eq!(
        import(&mut k, &id, &a, json!({"KeyMaterialId": m2})).unwrap_err().code.as_str(),
        "IncorrectKeyMaterialException"
    );
    // Without KeyMaterialId, the current material is deleted.
    let out = ok(&mut k, &admin(), "DeleteImportedKeyMaterial", json!({"KeyId": id}));
    assert_eq!(out["KeyMaterialId"], m2);
}

#[test]
fn aws_kms_keys_list_their_first_material_and_states() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let m0 = current(&mut k, &id);
    ok(&mut k, &admin(), "RotateKeyOnDemand", json!({"KeyId": id}));
    let m1 = current(&mut k, &id);
    let only = rotations(&mut k, &id, "ROTATIONS_ONLY");
    assert_eq!(states(&only), [(m1.as_str().unwrap().into(), "CURRENT".into(), "-".into())]);
    assert!(only[0].get("ExpirationModel").is_none());
    let all = rotations(&mut k, &id, "ALL_KEY_MATERIAL");
    assert_eq!(
        states(&all),
        [
            (m0.as_str().unwrap().into(), "NON_CURRENT".into(), "-".into()),
            (m1.as_str().unwrap().into(), "CURRENT".into(), "-".into())
        ]
    );
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn aes_key_wrap_with_padding_matches_rfc_5649() {
    use keyward_kms::crypto::kwp;
    // RFC 5649 §6: both examples, under a 192-bit KEK.
    let kek = hex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
    let cases = [
        (
            "c37b7e6492584340bed12207808941155068f738",
            "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a",
        ),
        ("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"),
    ];
    for (key, wrapped) in cases {
        assert_eq!(kwp::wrap(&kek, &hex(key)).unwrap(), hex(wrapped), "{key}");
        assert_eq!(kwp::unwrap(&kek, &hex(wrapped)).unwrap(), hex(key), "{key}");
        // Any flipped bit, a wrong KEK or a cut ciphertext is refused.
        let mut bad = hex(wrapped);
        bad[3] ^= 1;
        assert!(kwp::unwrap(&kek, &bad).is_err());
        let mut other = kek.clone();
        other[0] ^= 1;
        assert!(kwp::unwrap(&other, &hex(wrapped)).is_err());
        assert!(kwp::unwrap(&kek, &hex(wrapped)[..8]).is_err());
    }
    // Every length round-trips under an AES-256 KEK (the one AWS's hybrid wrapping uses).
    let kek = [9u8; 32];
    for n in 1usize..=70 {
        let plain: Vec<u8> = (0..n).map(|i| i as u8).collect();
        let w = kwp::wrap(&kek, &plain).unwrap();
        assert_eq!(w.len(), n.div_ceil(8) * 8 + 8);
        assert_eq!(kwp::unwrap(&kek, &w).unwrap(), plain);
    }
    assert!(kwp::wrap(&kek, &[]).is_err());
    assert!(kwp::wrap(&[0u8; 31], b"x").is_err());
}

#[test]
fn rsa_aes_key_wrap_algorithms_import_material() {
    for alg in [WrappingAlgorithm::RsaAesKeyWrapSha1, WrappingAlgorithm::RsaAesKeyWrapSha256] {
        let mut k = kms();
        let id = external(&mut k);
        let material = [5u8; 32];
        let out = import_with(&mut k, &id, alg, &material, json!({})).unwrap();
        assert_eq!(current(&mut k, &id), out["KeyMaterialId"], "{alg}");
        // The same material wrapped with plain RSA-OAEP is the same material.
        assert_eq!(
            import(&mut k, &id, &material, json!({})).unwrap()["KeyMaterialId"],
            out["KeyMaterialId"]
        );
        let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"hybrid")}));
        let dec = ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]}));
        assert_eq!(unb64(&dec["Plaintext"]), b"hybrid");
    }
    // Material wrapped for the hybrid algorithm is refused by plain RSA-OAEP parameters and
    // the other way round; a damaged AES-KWP part is refused too.
    let mut k = kms();
    let id = external(&mut k);
    let params = parameters(&mut k, &id, "RSA_AES_KEY_WRAP_SHA_256", "RSA_3072");
    let public = unb64(&params["PublicKey"]);
    let plain = asym::wrap_material(
        &public,
        WrappingAlgorithm::RsaesOaepSha256,
        &[5u8; 32],
        &mut rand_core::OsRng,
    )
    .unwrap();
    let mut hybrid = asym::wrap_material(
        &public,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        &[5u8; 32],
        &mut rand_core::OsRng,
    )
    .unwrap();
    assert_eq!(hybrid.len(), 384 + 40);
    let req = |m: &[u8]| {
        json!({"KeyId": id, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": b64(m),
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})
    };
    assert_eq!(
        code(&mut k, &admin(), "ImportKeyMaterial", req(&plain)),
        "InvalidCiphertextException"
    );
    let last = hybrid.len() - 1;
    hybrid[last] ^= 1;
    assert_eq!(
        code(&mut k, &admin(), "ImportKeyMaterial", req(&hybrid)),
        "InvalidCiphertextException"
    );
    hybrid[last] ^= 1;
    ok(&mut k, &admin(), "ImportKeyMaterial", req(&hybrid));
}

/// AWS's documented OpenSSL procedure for RSA_AES_KEY_WRAP_SHA_256 (`openssl enc
/// -id-aes256-wrap-pad` under an ephemeral AES key, which `openssl pkeyutl` encrypts with
/// RSA-OAEP SHA-256) makes material that ImportKeyMaterial accepts. Skipped without `openssl`.
#[test]
fn openssl_wrapped_material_imports() {
    let Some(dir) = openssl_dir("kwp") else { return };
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let mut k = kms();
    let id = external(&mut k);
    let params = parameters(&mut k, &id, "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048");
    std::fs::write(path("pub.der"), unb64(&params["PublicKey"])).unwrap();
    let material = [0x5au8; 32];
    let aes = [0x17u8; 32];
    std::fs::write(path("material"), material).unwrap();
    std::fs::write(path("aes"), aes).unwrap();
    let aes_hex: String = aes.iter().map(|b| format!("{b:02x}")).collect();
    openssl(&[
        "enc",
        "-id-aes256-wrap-pad",
        "-K",
        &aes_hex,
        "-iv",
        "A65959A6",
        "-in",
        &path("material"),
        "-out",
        &path("material.wrapped"),
    ]);
    openssl(&[
        "pkeyutl",
        "-encrypt",
        "-in",
        &path("aes"),
        "-out",
        &path("aes.wrapped"),
        "-inkey",
        &path("pub.der"),
        "-keyform",
        "DER",
        "-pubin",
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
        "-pkeyopt",
        "rsa_mgf1_md:sha256",
    ]);
    let mut wrapped = std::fs::read(path("aes.wrapped")).unwrap();
    let kwp = std::fs::read(path("material.wrapped")).unwrap();
    // Our own AES-KWP makes the same bytes as OpenSSL's.
    assert_eq!(keyward_kms::crypto::kwp::wrap(&aes, &material).unwrap(), kwp);
    wrapped.extend(kwp);
    std::fs::remove_dir_all(&dir).unwrap();
    ok(
        &mut k,
        &admin(),
        "ImportKeyMaterial",
        json!({"KeyId": id, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": b64(&wrapped),
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
    );
    let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"ossl")}));
    let dec = ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]}));
    assert_eq!(unb64(&dec["Plaintext"]), b"ossl");
    // The material imported is exactly what OpenSSL wrapped: the same bytes re-import as
    // EXISTING_KEY_MATERIAL, other bytes do not.
    assert!(import(&mut k, &id, &material, json!({})).is_ok());
    assert_eq!(
        import(&mut k, &id, &[0x5bu8; 32], json!({})).unwrap_err().code.as_str(),
        "IncorrectKeyMaterialException"
    );
}

/// Imports `material` with RSA_AES_KEY_WRAP_SHA_256 (asymmetric private keys do not fit
/// RSA-OAEP alone) and no ImportType.
fn import_once(k: &mut Kms, id: &str, material: &[u8]) -> Result<Value, keyward_kms::KmsError> {
    import_with(k, id, WrappingAlgorithm::RsaAesKeyWrapSha256, material, json!({}))
}

#[test]
fn asymmetric_material_imports_and_signs() {
    use keyward_kms::crypto::generate_material;
    use keyward_kms::types::KeySpec;
    for (spec, alg) in [
        ("RSA_2048", "RSASSA_PSS_SHA_256"),
        ("ECC_NIST_P256", "ECDSA_SHA_256"),
        ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
    ] {
        let mut k = kms();
        let id =
            key(&mut k, json!({"KeySpec": spec, "KeyUsage": "SIGN_VERIFY", "Origin": "EXTERNAL"}));
        let ks = KeySpec::parse(spec).unwrap();
        let material = generate_material(ks, &mut rand_core::OsRng).unwrap();
        // A key of another spec is not this key's material.
        let other = generate_material(KeySpec::EccNistP384, &mut rand_core::OsRng).unwrap();
        let e = import_once(&mut k, &id, other.expose()).unwrap_err();
        assert_eq!(e.code.as_str(), "IncorrectKeyMaterialException", "{spec}");
        import_once(&mut k, &id, material.expose()).unwrap();
        // The public key is the imported private key's.
        let public = ok(&mut k, &admin(), "GetPublicKey", json!({"KeyId": id}));
        assert_eq!(
            unb64(&public["PublicKey"]),
            asym::public_key_der(ks, &material).unwrap(),
            "{spec}"
        );
        let sig = ok(
            &mut k,
            &admin(),
            "Sign",
            json!({"KeyId": id, "Message": b64(b"imported"), "SigningAlgorithm": alg}),
        );
        let v = ok(
            &mut k,
            &admin(),
            "Verify",
            json!({"KeyId": id, "Message": b64(b"imported"), "SigningAlgorithm": alg, "Signature": sig["Signature"]}),
        );
        assert_eq!(v["SignatureValid"], true);
        // One material for life: ImportType is refused, other material too, the same accepted.
        let e = import_with(
            &mut k,
            &id,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            material.expose(),
            json!({"ImportType": "NEW_KEY_MATERIAL"}),
        )
        .unwrap_err();
        assert_eq!(e.code.as_str(), "ValidationException");
        let again = generate_material(ks, &mut rand_core::OsRng).unwrap();
        let e = import_once(&mut k, &id, again.expose()).unwrap_err();
        assert_eq!(e.code.as_str(), "IncorrectKeyMaterialException");
        import_once(&mut k, &id, material.expose()).unwrap();
        assert_eq!(
            code(&mut k, &admin(), "RotateKeyOnDemand", json!({"KeyId": id})),
            "UnsupportedOperationException"
        );
    }
}

#[test]
fn hmac_material_imports_and_macs_as_hmac_does() {
    use hmac::Mac as _;
    let mut k = kms();
    let id = key(
        &mut k,
        json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC", "Origin": "EXTERNAL"}),
    );
    // HMAC_256 takes 32 to 64 bytes.
    for bad in [31usize, 65] {
        let e = import_once(&mut k, &id, &vec![1u8; bad]).unwrap_err();
        assert_eq!(e.code.as_str(), "IncorrectKeyMaterialException", "{bad}");
    }
    let material = [0x42u8; 40];
    import_once(&mut k, &id, &material).unwrap();
    let out = ok(
        &mut k,
        &admin(),
        "GenerateMac",
        json!({"KeyId": id, "Message": b64(b"mac me"), "MacAlgorithm": "HMAC_SHA_256"}),
    );
    let mut expected = hmac::Hmac::<sha2::Sha256>::new_from_slice(&material).unwrap();
    expected.update(b"mac me");
    assert_eq!(unb64(&out["Mac"]), expected.finalize().into_bytes().to_vec());
}

#[test]
fn specs_without_import_are_refused_at_create_key() {
    let mut k = kms();
    for (spec, usage) in [("ML_DSA_44", "SIGN_VERIFY"), ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY")] {
        let e = err(
            &mut k,
            &admin(),
            "CreateKey",
            json!({"KeySpec": spec, "KeyUsage": usage, "Origin": "EXTERNAL"}),
        );
        assert_eq!(e.code.as_str(), "UnsupportedOperationException", "{spec}");
    }
}
