//! Operation tests: shapes, key resolution, crypto round trips, aliases, policies, rotation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use serde_json::json;

#[test]
fn quick_start_create_encrypt_decrypt_with_default_policy() {
    let mut k = kms();
    let id = key(&mut k, json!({"Description": "app data"}));
    let enc = ok(
        &mut k,
        &admin(),
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"hello"), "EncryptionContext": {"app": "web"}}),
    );
    assert_eq!(enc["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert!(enc["KeyId"].as_str().unwrap().ends_with(&id));
    let dec = ok(
        &mut k,
        &admin(),
        "Decrypt",
        json!({"CiphertextBlob": enc["CiphertextBlob"], "EncryptionContext": {"app": "web"}}),
    );
    assert_eq!(unb64(&dec["Plaintext"]), b"hello");
    let meta = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}));
    assert_eq!(meta["KeyMetadata"]["KeyState"], "Enabled");
    assert_eq!(meta["KeyMetadata"]["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(meta["KeyMetadata"]["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    let pol = ok(&mut k, &admin(), "GetKeyPolicy", json!({"KeyId": id, "PolicyName": "default"}));
    assert!(pol["Policy"].as_str().unwrap().contains("arn:aws:iam::111122223333:root"));
}

#[test]
fn wrong_or_missing_context_is_invalid_ciphertext() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let ct = ok(
        &mut k,
        &admin(),
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionContext": {"a": "1"}}),
    )["CiphertextBlob"]
        .clone();
    for ctx in [json!({"a": "2"}), json!({}), json!({"A": "1"}), json!({"a": "1", "b": "2"})] {
        let e = err(
            &mut k,
            &admin(),
            "Decrypt",
            json!({"CiphertextBlob": ct, "EncryptionContext": ctx}),
        );
        assert_eq!(e.code.as_str(), "InvalidCiphertextException", "context {ctx}");
    }
}

#[test]
fn decrypt_with_other_key_id_is_incorrect_key() {
    let mut k = kms();
    let a = key(&mut k, json!({}));
    let b = key(&mut k, json!({}));
    let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": a, "Plaintext": b64(b"x")}))
        ["CiphertextBlob"]
        .clone();
    assert_eq!(
        code(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": ct, "KeyId": b})),
        "IncorrectKeyException"
    );
    ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": ct, "KeyId": a}));
}

#[test]
fn key_id_forms_id_arn_alias_alias_arn() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    ok(&mut k, &admin(), "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": id}));
    let arn = format!("arn:aws:kms:us-east-1:{ACCT}:key/{id}");
    let alias_arn = format!("arn:aws:kms:us-east-1:{ACCT}:alias/app");
    for r in [id.as_str(), arn.as_str(), "alias/app", alias_arn.as_str()] {
        let m = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": r}));
        assert_eq!(m["KeyMetadata"]["Arn"], arn, "form {r}");
    }
    assert_eq!(
        code(&mut k, &admin(), "DescribeKey", json!({"KeyId": "alias/nope"})),
        "NotFoundException"
    );
    assert_eq!(
        code(&mut k, &admin(), "DescribeKey", json!({"KeyId": "0000"})),
        "NotFoundException"
    );
    assert_eq!(
        code(&mut k, &admin(), "DescribeKey", json!({"KeyId": "arn:aws:s3:::bucket"})),
        "InvalidArnException"
    );
}

#[test]
fn alias_rules() {
    let mut k = kms();
    let a = key(&mut k, json!({}));
    let b = key(&mut k, json!({}));
    let hmac = key(&mut k, json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "CreateAlias",
            json!({"AliasName": "alias/aws/s3", "TargetKeyId": a})
        ),
        "InvalidAliasNameException"
    );
    assert_eq!(
        code(&mut k, &admin(), "CreateAlias", json!({"AliasName": "app", "TargetKeyId": a})),
        "ValidationException"
    );
    assert_eq!(
        code(&mut k, &admin(), "CreateAlias", json!({"AliasName": "alias/a b", "TargetKeyId": a})),
        "ValidationException"
    );
    ok(&mut k, &admin(), "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": a}));
    assert_eq!(
        code(&mut k, &admin(), "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": b})),
        "AlreadyExistsException"
    );
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "CreateAlias",
            json!({"AliasName": "alias/x", "TargetKeyId": "alias/app"})
        ),
        "ValidationException"
    );
    ok(&mut k, &admin(), "UpdateAlias", json!({"AliasName": "alias/app", "TargetKeyId": b}));
    let l = ok(&mut k, &admin(), "ListAliases", json!({"KeyId": b}));
    assert_eq!(l["Aliases"][0]["AliasName"], "alias/app");
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "UpdateAlias",
            json!({"AliasName": "alias/app", "TargetKeyId": hmac})
        ),
        "ValidationException"
    );
    ok(&mut k, &admin(), "DeleteAlias", json!({"AliasName": "alias/app"}));
    assert_eq!(
        code(&mut k, &admin(), "DeleteAlias", json!({"AliasName": "alias/app"})),
        "NotFoundException"
    );
}

#[test]
fn encrypt_limits_and_usage() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(&[7u8; 4096])}));
    assert_eq!(
        code(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(&[7u8; 4097])})),
        "ValidationException"
    );
    assert_eq!(
        code(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": "%%%"})),
        "ValidationException"
    );
    let mac = key(&mut k, json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    assert_eq!(
        code(&mut k, &admin(), "Encrypt", json!({"KeyId": mac, "Plaintext": b64(b"x")})),
        "InvalidKeyUsageException"
    );
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
        ),
        "InvalidKeyUsageException"
    );
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "CreateKey",
            json!({"KeySpec": "HMAC_256", "KeyUsage": "ENCRYPT_DECRYPT"})
        ),
        "ValidationException"
    );
    assert_eq!(
        code(&mut k, &admin(), "CreateKey", json!({"KeySpec": "AES_999"})),
        "ValidationException"
    );
}

#[test]
fn data_keys_and_random() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let dk = ok(
        &mut k,
        &admin(),
        "GenerateDataKey",
        json!({"KeyId": id, "KeySpec": "AES_256", "EncryptionContext": {"f": "1"}}),
    );
    let pt = unb64(&dk["Plaintext"]);
    assert_eq!(pt.len(), 32);
    let back = ok(
        &mut k,
        &admin(),
        "Decrypt",
        json!({"CiphertextBlob": dk["CiphertextBlob"], "EncryptionContext": {"f": "1"}}),
    );
    assert_eq!(unb64(&back["Plaintext"]), pt);
    let w = ok(
        &mut k,
        &admin(),
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": id, "NumberOfBytes": 16}),
    );
    assert!(w.get("Plaintext").is_none());
    assert_eq!(
        unb64(
            &ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": w["CiphertextBlob"]}))
                ["Plaintext"]
        )
        .len(),
        16
    );
    assert_eq!(
        code(&mut k, &admin(), "GenerateDataKey", json!({"KeyId": id})),
        "ValidationException"
    );
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "GenerateDataKey",
            json!({"KeyId": id, "KeySpec": "AES_256", "NumberOfBytes": 3})
        ),
        "ValidationException"
    );
    assert_eq!(
        code(&mut k, &admin(), "GenerateDataKey", json!({"KeyId": id, "NumberOfBytes": 1025})),
        "ValidationException"
    );
    assert_eq!(
        unb64(&ok(&mut k, &admin(), "GenerateRandom", json!({"NumberOfBytes": 1024}))["Plaintext"])
            .len(),
        1024
    );
    assert_eq!(
        code(&mut k, &admin(), "GenerateRandom", json!({"NumberOfBytes": 0})),
        "ValidationException"
    );
}

#[test]
fn data_key_pair_private_key_decrypts_to_plaintext() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let p = ok(
        &mut k,
        &admin(),
        "GenerateDataKeyPair",
        json!({"KeyId": id, "KeyPairSpec": "ECC_NIST_P256"}),
    );
    let back =
        ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": p["PrivateKeyCiphertextBlob"]}));
    assert_eq!(back["Plaintext"], p["PrivateKeyPlaintext"]);
    assert!(!unb64(&p["PublicKey"]).is_empty());
    let w = ok(
        &mut k,
        &admin(),
        "GenerateDataKeyPairWithoutPlaintext",
        json!({"KeyId": id, "KeyPairSpec": "ECC_NIST_P384"}),
    );
    assert!(w.get("PrivateKeyPlaintext").is_none());
}

#[test]
fn sign_verify_every_algorithm_and_public_key() {
    let mut k = kms();
    let cases = [
        ("ECC_NIST_P256", "ECDSA_SHA_256"),
        ("ECC_NIST_P384", "ECDSA_SHA_384"),
        ("ECC_NIST_P521", "ECDSA_SHA_512"),
        ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
        ("RSA_2048", "RSASSA_PSS_SHA_256"),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512"),
    ];
    for (spec, alg) in cases {
        let id = key(&mut k, json!({"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"}));
        let msg = b64(b"message to sign");
        let s = ok(
            &mut k,
            &admin(),
            "Sign",
            json!({"KeyId": id, "Message": msg, "SigningAlgorithm": alg}),
        );
        let v = ok(
            &mut k,
            &admin(),
            "Verify",
            json!({"KeyId": id, "Message": msg, "Signature": s["Signature"], "SigningAlgorithm": alg}),
        );
        assert_eq!(v["SignatureValid"], true, "{spec} {alg}");
        let e = err(
            &mut k,
            &admin(),
            "Verify",
            json!({"KeyId": id, "Message": b64(b"other"), "Signature": s["Signature"], "SigningAlgorithm": alg}),
        );
        assert_eq!(e.code.as_str(), "KMSInvalidSignatureException", "{spec} {alg}");
        let pk = ok(&mut k, &admin(), "GetPublicKey", json!({"KeyId": id}));
        assert_eq!(pk["KeySpec"], spec);
        assert_eq!(
            code(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": msg})),
            "InvalidKeyUsageException"
        );
    }
    let sym = key(&mut k, json!({}));
    assert_eq!(
        code(&mut k, &admin(), "GetPublicKey", json!({"KeyId": sym})),
        "UnsupportedOperationException"
    );
}

#[test]
fn rsa_oaep_encrypt_decrypt() {
    let mut k = kms();
    let id = key(&mut k, json!({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}));
    for alg in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
        let ct = ok(
            &mut k,
            &admin(),
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(b"secret"), "EncryptionAlgorithm": alg}),
        );
        let pt = ok(
            &mut k,
            &admin(),
            "Decrypt",
            json!({"KeyId": id, "CiphertextBlob": ct["CiphertextBlob"], "EncryptionAlgorithm": alg}),
        );
        assert_eq!(unb64(&pt["Plaintext"]), b"secret");
    }
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(&[1u8; 191]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
        ),
        "ValidationException"
    );
    assert_eq!(
        code(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")})),
        "ValidationException"
    );
}

#[test]
fn mac_generate_verify() {
    let mut k = kms();
    for (spec, alg) in [
        ("HMAC_224", "HMAC_SHA_224"),
        ("HMAC_256", "HMAC_SHA_256"),
        ("HMAC_384", "HMAC_SHA_384"),
        ("HMAC_512", "HMAC_SHA_512"),
    ] {
        let id = key(&mut k, json!({"KeySpec": spec, "KeyUsage": "GENERATE_VERIFY_MAC"}));
        let m = ok(
            &mut k,
            &admin(),
            "GenerateMac",
            json!({"KeyId": id, "Message": b64(b"m"), "MacAlgorithm": alg}),
        );
        let v = ok(
            &mut k,
            &admin(),
            "VerifyMac",
            json!({"KeyId": id, "Message": b64(b"m"), "Mac": m["Mac"], "MacAlgorithm": alg}),
        );
        assert_eq!(v["MacValid"], true);
        assert_eq!(
            code(
                &mut k,
                &admin(),
                "VerifyMac",
                json!({"KeyId": id, "Message": b64(b"n"), "Mac": m["Mac"], "MacAlgorithm": alg})
            ),
            "KMSInvalidMacException"
        );
    }
    let id = key(&mut k, json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "GenerateMac",
            json!({"KeyId": id, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_512"})
        ),
        "InvalidKeyUsageException"
    );
}

#[test]
fn re_encrypt_moves_ciphertext_between_keys_and_contexts() {
    let mut k = kms();
    let a = key(&mut k, json!({}));
    let b = key(&mut k, json!({}));
    let ct = ok(
        &mut k,
        &admin(),
        "Encrypt",
        json!({"KeyId": a, "Plaintext": b64(b"payload"), "EncryptionContext": {"v": "1"}}),
    );
    let re = ok(
        &mut k,
        &admin(),
        "ReEncrypt",
        json!({
        "CiphertextBlob": ct["CiphertextBlob"], "SourceEncryptionContext": {"v": "1"},
        "DestinationKeyId": b, "DestinationEncryptionContext": {"v": "2"}}),
    );
    assert!(re["KeyId"].as_str().unwrap().ends_with(&b));
    assert!(re["SourceKeyId"].as_str().unwrap().ends_with(&a));
    let pt = ok(
        &mut k,
        &admin(),
        "Decrypt",
        json!({"CiphertextBlob": re["CiphertextBlob"], "EncryptionContext": {"v": "2"}}),
    );
    assert_eq!(unb64(&pt["Plaintext"]), b"payload");
    let e = code(
        &mut k,
        &admin(),
        "ReEncrypt",
        json!({"CiphertextBlob": ct["CiphertextBlob"], "DestinationKeyId": b}),
    );
    assert_eq!(e, "InvalidCiphertextException");
}

#[test]
fn rotation_keeps_old_material_and_uses_newest() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let old = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"old")}));
    ok(&mut k, &admin(), "EnableKeyRotation", json!({"KeyId": id, "RotationPeriodInDays": 90}));
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "EnableKeyRotation",
            json!({"KeyId": id, "RotationPeriodInDays": 89})
        ),
        "ValidationException"
    );
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "EnableKeyRotation",
            json!({"KeyId": id, "RotationPeriodInDays": 2561})
        ),
        "ValidationException"
    );
    let st = ok(&mut k, &admin(), "GetKeyRotationStatus", json!({"KeyId": id}));
    assert_eq!(st["KeyRotationEnabled"], true);
    assert_eq!(st["RotationPeriodInDays"], 90);
    let m0 = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}))["KeyMetadata"]
        ["CurrentKeyMaterialId"]
        .clone();
    // 91 days later the clock tick rotates automatically.
    let later = at(admin(), T0 + 91 * DAY);
    let m1 = ok(&mut k, &later, "DescribeKey", json!({"KeyId": id}))["KeyMetadata"]
        ["CurrentKeyMaterialId"]
        .clone();
    assert_ne!(m0, m1);
    ok(&mut k, &later, "RotateKeyOnDemand", json!({"KeyId": id}));
    let rots = ok(&mut k, &later, "ListKeyRotations", json!({"KeyId": id}));
    let kinds: Vec<&str> = rots["Rotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RotationType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["AUTOMATIC", "ON_DEMAND"]);
    let new = ok(&mut k, &later, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"new")}));
    for (ct, pt) in [(&old, b"old"), (&new, b"new")] {
        let d = ok(&mut k, &later, "Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]}));
        assert_eq!(unb64(&d["Plaintext"]), pt);
    }
    let hmac = key(&mut k, json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    assert_eq!(
        code(&mut k, &admin(), "EnableKeyRotation", json!({"KeyId": hmac})),
        "UnsupportedOperationException"
    );
}

#[test]
fn deletion_window_then_key_and_aliases_are_gone() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    ok(&mut k, &admin(), "CreateAlias", json!({"AliasName": "alias/doomed", "TargetKeyId": id}));
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "ScheduleKeyDeletion",
            json!({"KeyId": id, "PendingWindowInDays": 6})
        ),
        "ValidationException"
    );
    let s =
        ok(&mut k, &admin(), "ScheduleKeyDeletion", json!({"KeyId": id, "PendingWindowInDays": 7}));
    assert_eq!(s["KeyState"], "PendingDeletion");
    ok(&mut k, &at(admin(), T0 + 6 * DAY), "DescribeKey", json!({"KeyId": id}));
    let after = at(admin(), T0 + 7 * DAY + 1);
    assert_eq!(code(&mut k, &after, "DescribeKey", json!({"KeyId": id})), "NotFoundException");
    assert_eq!(
        code(&mut k, &after, "DescribeKey", json!({"KeyId": "alias/doomed"})),
        "NotFoundException"
    );
}

#[test]
fn cancel_deletion_returns_key_disabled() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    assert_eq!(
        code(&mut k, &admin(), "CancelKeyDeletion", json!({"KeyId": id})),
        "KMSInvalidStateException"
    );
    ok(&mut k, &admin(), "ScheduleKeyDeletion", json!({"KeyId": id}));
    ok(&mut k, &admin(), "CancelKeyDeletion", json!({"KeyId": id}));
    assert_eq!(
        ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}))["KeyMetadata"]["KeyState"],
        "Disabled"
    );
}

#[test]
fn tags_and_listing_pagination() {
    let mut k = kms();
    let id = key(&mut k, json!({"Tags": [{"TagKey": "team", "TagValue": "a"}]}));
    ok(
        &mut k,
        &admin(),
        "TagResource",
        json!({"KeyId": id, "Tags": [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "b"}]}),
    );
    let t = ok(&mut k, &admin(), "ListResourceTags", json!({"KeyId": id}));
    assert_eq!(
        t["Tags"],
        json!([{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "b"}])
    );
    ok(&mut k, &admin(), "UntagResource", json!({"KeyId": id, "TagKeys": ["env"]}));
    assert_eq!(
        ok(&mut k, &admin(), "ListResourceTags", json!({"KeyId": id}))["Tags"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "TagResource",
            json!({"KeyId": id, "Tags": [{"TagKey": "aws:x", "TagValue": "1"}]})
        ),
        "TagException"
    );
    for _ in 0..4 {
        key(&mut k, json!({}));
    }
    let p1 = ok(&mut k, &admin(), "ListKeys", json!({"Limit": 3}));
    assert_eq!(p1["Keys"].as_array().unwrap().len(), 3);
    assert_eq!(p1["Truncated"], true);
    let p2 = ok(&mut k, &admin(), "ListKeys", json!({"Limit": 3, "Marker": p1["NextMarker"]}));
    assert_eq!(p2["Keys"].as_array().unwrap().len(), 2);
    assert_eq!(p2["Truncated"], false);
    assert_eq!(
        code(&mut k, &admin(), "ListKeys", json!({"Marker": "garbage"})),
        "InvalidMarkerException"
    );
    assert_eq!(code(&mut k, &admin(), "ListKeys", json!({"Limit": 0})), "ValidationException");
}

#[test]
fn unknown_operation_and_bad_shapes() {
    let mut k = kms();
    assert_eq!(code(&mut k, &admin(), "Frobnicate", json!({})), "UnknownOperationException");
    assert_eq!(code(&mut k, &admin(), "Encrypt", json!({"KeyId": 5})), "ValidationException");
    assert_eq!(code(&mut k, &admin(), "DescribeKey", json!({})), "ValidationException");
    assert_eq!(code(&mut k, &admin(), "Encrypt", json!([1, 2])), "ValidationException");
    assert_eq!(
        code(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": b64(b"garbage")})),
        "InvalidCiphertextException"
    );
}

#[test]
fn dry_run_reports_success_without_acting() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(b"x"), "DryRun": true})
        ),
        "DryRunOperationException"
    );
    let g = json!({"KeyId": id, "GranteePrincipal": "arn:aws:iam::111122223333:role/App", "Operations": ["Decrypt"], "DryRun": true});
    assert_eq!(code(&mut k, &admin(), "CreateGrant", g), "DryRunOperationException");
    assert_eq!(ok(&mut k, &admin(), "ListGrants", json!({"KeyId": id}))["Grants"], json!([]));
}
