//! AWS's exact errors for key identifiers: the forms each operation accepts (from the operation
//! table), a key id not in key-id form, a well-formed unknown one, another account's bare key id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::operation::KeyForms;
use keyward_kms::validate::REGION_PATTERN;
use keyward_kms::validate::{operation_model, Kind, Shape};
use keyward_kms::Operation;
use serde_json::{json, Value};

/// A value of `shape` that passes its constraints.
fn sample(shape: &Shape) -> Value {
    match shape.kind {
        Kind::Str if shape.pattern.is_some_and(|p| p.text == REGION_PATTERN) => json!("eu-west-1"),
        Kind::Str => json!(shape.enums.first().copied().unwrap_or("a")),
        Kind::Blob => json!("eA=="),
        Kind::Int => json!(shape.min.unwrap_or(1)),
        Kind::Bool => json!(false),
        Kind::Time => json!(1_900_000_000),
        Kind::List => json!([shape.member.map(sample)]),
        Kind::Map => json!({}),
        Kind::Struct => {
            shape.members.iter().filter(|m| m.required).map(|m| (m.name, sample(m.shape))).collect()
        }
    }
}

/// A request for `op` naming the key by `key_ref` in each of its key fields, with whatever else
/// the operation requires (values that pass its checks).
fn request(op: Operation, key_ref: &str) -> Value {
    let mut r = match sample(operation_model(op.as_str()).unwrap().input) {
        Value::Object(o) => o,
        _ => unreachable!(),
    };
    for f in op.fields() {
        if f.key.is_some() {
            r.insert(f.name.into(), json!(key_ref));
        }
    }
    r.into()
}

#[test]
fn management_operations_refuse_alias_names_and_alias_arns() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    ok(&mut k, &admin(), "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": id}));
    let alias_arn = format!("arn:aws:kms:us-east-1:{ACCT}:alias/app");
    let mut checked = 0;
    for op in Operation::ALL {
        let Some(f) = op.fields().iter().find(|f| f.key.is_some()) else { continue };
        let forms = f.key.unwrap();
        for (given, accepted) in [("alias/app", forms.alias_name), (&*alias_arn, forms.alias_arn)] {
            let res = k.call(&admin(), op.as_str(), &request(*op, given));
            match res {
                Err(e) if !accepted && f.name == "TargetKeyId" => {
                    assert_eq!(e.code.as_str(), "ValidationException", "{op} {given}");
                    assert_eq!(e.message, "Aliases must refer to keys. Not aliases");
                    checked += 1;
                }
                Err(e) if !accepted && given.starts_with("arn:") => {
                    assert_eq!(e.code.as_str(), "InvalidArnException", "{op} {given}");
                    assert_eq!(e.message, "Key Aliases are not supported for this operation");
                    checked += 1;
                }
                Err(e) if !accepted => {
                    assert_eq!(e.code.as_str(), "NotFoundException", "{op} {given}");
                    assert_eq!(e.message, format!("Invalid keyId '{given}'"), "{op} {given}");
                    checked += 1;
                }
                Err(e) => assert!(
                    !e.message.starts_with("Invalid keyId"),
                    "{op} accepts {given} but said {}",
                    e.message
                ),
                Ok(_) => assert!(accepted, "{op} took {given}"),
            }
        }
    }
    // Every key-management operation of the table (key id or key ARN only), both alias forms.
    let management = Operation::ALL
        .iter()
        .filter(|o| o.fields().iter().any(|f| f.key == Some(KeyForms::KEY)))
        .count();
    assert!(management >= 20, "{management}");
    assert!(checked >= 2 * (management - 1), "{checked} of {management}");
}

#[test]
fn key_ids_not_in_key_id_form_and_unknown_ones() {
    let mut k = kms();
    let unknown = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let unknown_msg = format!("Key 'arn:aws:kms:us-east-1:{ACCT}:key/{unknown}' does not exist");
    let cases: &[(&str, Value, &str)] = &[
        ("DescribeKey", json!({"KeyId": "nokey"}), "Invalid keyId 'nokey'"),
        ("EnableKey", json!({"KeyId": "1234abcd"}), "Invalid keyId '1234abcd'"),
        ("Encrypt", json!({"KeyId": "my-key", "Plaintext": "aGk="}), "Invalid keyId 'my-key'"),
        ("DescribeKey", json!({"KeyId": unknown}), &unknown_msg),
        ("DisableKey", json!({"KeyId": unknown}), &unknown_msg),
        ("Encrypt", json!({"KeyId": unknown, "Plaintext": "aGk="}), &unknown_msg),
    ];
    for (op, req, want) in cases {
        let e = err(&mut k, &admin(), op, req.clone());
        assert_eq!((e.code.as_str(), e.message.as_str()), ("NotFoundException", *want), "{op}");
    }
}

#[test]
fn a_bare_key_id_names_a_key_of_the_callers_account_only() {
    let mut k = kms();
    let other = format!("arn:aws:iam::{OTHER}:root");
    let policy = policy_with(&[json!({
        "Sid": "Other account", "Effect": "Allow", "Principal": {"AWS": other},
        "Action": ["kms:DescribeKey", "kms:Encrypt"], "Resource": "*"
    })]);
    let id = key(&mut k, json!({"Policy": policy}));
    let arn = format!("arn:aws:kms:us-east-1:{ACCT}:key/{id}");
    let them = as_(&other);
    // The admin (the key's account) used the bare id first; the other account still needs the
    // ARN.
    ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}));
    let want = format!("Key 'arn:aws:kms:us-east-1:{OTHER}:key/{id}' does not exist");
    let callers = [
        other,
        format!("arn:aws:iam::{OTHER}:user/bob"),
        format!("arn:aws:sts::{OTHER}:assumed-role/App/s1"),
    ];
    for who in &callers {
        for (op, req) in [
            ("DescribeKey", json!({"KeyId": id})),
            ("Encrypt", json!({"KeyId": id, "Plaintext": "aGk="})),
            ("GenerateDataKey", json!({"KeyId": id, "KeySpec": "AES_256"})),
            ("DisableKey", json!({"KeyId": id})),
            ("ListGrants", json!({"KeyId": id})),
        ] {
            let e = err(&mut k, &as_(who), op, req);
            assert_eq!(
                (e.code.as_str(), e.message.as_str()),
                ("NotFoundException", &*want),
                "{who} {op}"
            );
        }
    }
    let out = ok(&mut k, &them, "DescribeKey", json!({"KeyId": arn}));
    assert_eq!(out["KeyMetadata"]["Arn"], json!(arn));
    ok(&mut k, &them, "Encrypt", json!({"KeyId": arn, "Plaintext": "aGk="}));
}

#[test]
fn specific_failures_in_aws_words_and_messageless_errors() {
    let mut k = kms();
    let sym = key(&mut k, json!({}));
    let sym2 = key(&mut k, json!({}));
    let hmac = key(&mut k, json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    let ecc = key(&mut k, json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}));
    let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": sym, "Plaintext": b64(b"s")}));
    let ct = ct["CiphertextBlob"].clone();
    let incorrect =
        "The key ID in the request does not identify a CMK that can perform this operation.";
    let cases: Vec<(&str, Value, &str, String)> = vec![
        (
            "Decrypt",
            json!({"CiphertextBlob": ct, "KeyId": sym2}),
            "IncorrectKeyException",
            incorrect.into(),
        ),
        (
            "Decrypt",
            json!({"CiphertextBlob": ct, "EncryptionContext": {"a": "b"}}),
            "InvalidCiphertextException",
            String::new(),
        ),
        (
            "GenerateMac",
            json!({"KeyId": hmac, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_384"}),
            "InvalidKeyUsageException",
            "Algorithm HMAC_SHA_384 is incompatible with key spec HMAC_256.".into(),
        ),
        (
            "VerifyMac",
            json!({"KeyId": hmac, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256", "Mac": b64(&[0; 32])}),
            "KMSInvalidMacException",
            String::new(),
        ),
        (
            "Sign",
            json!({"KeyId": ecc, "Message": b64(&[1; 31]), "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"}),
            "ValidationException",
            "Digest is invalid length for algorithm ECDSA_SHA_256.".into(),
        ),
        (
            "RotateKeyOnDemand",
            json!({"KeyId": hmac}),
            "UnsupportedOperationException",
            String::new(),
        ),
        (
            "EnableKeyRotation",
            json!({"KeyId": ecc}),
            "UnsupportedOperationException",
            String::new(),
        ),
        (
            "TagResource",
            json!({"KeyId": sym, "Tags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]}),
            "TagException",
            "Duplicate tag keys".into(),
        ),
        (
            "TagResource",
            json!({"KeyId": sym, "Tags": [{"TagKey": "AWS:x", "TagValue": "1"}]}),
            "TagException",
            "Tags beginning with aws: are reserved".into(),
        ),
        (
            "CreateKey",
            json!({"KeySpec": "HMAC_256"}),
            "ValidationException",
            "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
                .into(),
        ),
        (
            "CreateKey",
            json!({"Tags": (0..51).map(|i| json!({"TagKey": format!("k{i}"), "TagValue": ""})).collect::<Vec<_>>()}),
            "TagException",
            "Too many tags".into(),
        ),
    ];
    for (op, req, code, message) in cases {
        let e = err(&mut k, &admin(), op, req);
        assert_eq!((e.code.as_str(), e.message.as_str()), (code, message.as_str()), "{op}");
    }
    // An on-demand rotation completes within the call: no start date is left behind.
    ok(&mut k, &admin(), "RotateKeyOnDemand", json!({"KeyId": sym}));
    let st = ok(&mut k, &admin(), "GetKeyRotationStatus", json!({"KeyId": sym}));
    assert!(st.get("OnDemandRotationStartDate").is_none(), "{st}");
}

#[test]
fn import_key_material_needs_valid_to_unless_it_does_not_expire() {
    let mut k = kms();
    let id = key(&mut k, json!({"Origin": "EXTERNAL"}));
    let params = ok(
        &mut k,
        &admin(),
        "GetParametersForImport",
        json!({"KeyId": id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    let want = "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES";
    for model in [None, Some("KEY_MATERIAL_EXPIRES")] {
        let mut req = json!({"KeyId": id, "ImportToken": params["ImportToken"],
                             "EncryptedKeyMaterial": b64(&[7; 256])});
        if let Some(m) = model {
            req["ExpirationModel"] = json!(m);
        }
        let e = err(&mut k, &admin(), "ImportKeyMaterial", req);
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ValidationException", want),
            "{model:?}"
        );
    }
}
