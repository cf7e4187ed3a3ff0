//! Request validation from AWS's service model (src/model.rs, generated from botocore): every
//! operation keyward serves is in the model, the model and the operation table agree on
//! required fields, and violations read exactly as AWS writes them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::validate::{operation_model, Kind, Shape};
use keyward_kms::Operation;
use serde_json::{json, Value};

#[test]
fn every_served_operation_is_in_the_model_and_agrees_on_required_fields() {
    for op in Operation::ALL {
        let model = operation_model(op.as_str()).unwrap_or_else(|| panic!("{op} not in model"));
        for f in op.fields() {
            let m = model.input.members.iter().find(|m| m.name == f.name);
            let m = m.unwrap_or_else(|| panic!("{op}.{} not in the model", f.name));
            // The table may require more than the model (Decrypt's CiphertextBlob), never less.
            assert!(f.required || !m.required, "{op}.{} is required by the model", f.name);
        }
    }
}

#[test]
fn every_pattern_of_a_served_operation_is_checked() {
    fn walk(s: &Shape, path: &str, out: &mut Vec<String>) {
        if let Some(p) = s.pattern.filter(|p| !p.checked()) {
            out.push(format!("{path}: {}", p.text));
        }
        for m in s.members {
            walk(m.shape, &format!("{path}.{}", m.name), out);
        }
        if let Some(e) = s.member.filter(|_| s.kind != Kind::Struct) {
            walk(e, &format!("{path}[]"), out);
        }
    }
    let mut unchecked = Vec::new();
    for op in Operation::ALL {
        walk(operation_model(op.as_str()).unwrap().input, op.as_str(), &mut unchecked);
    }
    assert_eq!(unchecked, Vec::<String>::new());
}

#[test]
fn region_names_match_the_models_pattern() {
    use keyward_kms::validate::is_region_name;
    for ok in ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"] {
        assert!(is_region_name(ok), "{ok}");
    }
    for bad in
        ["", "us-east", "useast1", "US-EAST-1", "us-east-1a", "a-b-c-d-1", "-east-1", "us--1"]
    {
        assert!(!is_region_name(bad), "{bad}");
    }
}

#[test]
fn service_principals_and_source_arns_match_the_models_patterns() {
    use keyward_kms::validate::{is_service_principal, is_source_arn};
    // Each verdict checked against the model's regular expressions with Python's `re`.
    for (s, ok) in [
        ("cloudtrail.amazonaws.com", true),
        ("a.b.c", true),
        ("logs.us-east-1.amazonaws.com", true),
        ("ec2.amazonaws.com.cn", true),
        ("amazonaws.com", false),
        ("a..b.c", false),
        (".a.b", false),
        ("a.b.c.", false),
        ("a_b.c.d", false),
        ("a.b c.d", false),
        ("", false),
    ] {
        assert_eq!(is_service_principal(s), ok, "{s}");
    }
    for (s, ok) in [
        ("arn:aws:cloudtrail:us-east-1:111122223333:trail/t", true),
        ("arn:aws-cn:logs:cn-north-1:111122223333:log-group:x", true),
        ("arn:aws:iam::111122223333:role/r", true),
        ("arn:aws:s3:us-east-1:111122223333:a:b", true),
        ("arn:aws:s3:::bucket", false),
        ("arn:aws:S3:us-east-1:111122223333:x", false),
        ("arn:aws:s3:us-east-1:11112222333:x", false),
        ("arn:aws:s3:us-east-1:111122223333:", false),
        ("arn:aws:s3:us-east-1:111122223333:a\nb", false),
        ("arn:awsX:s3::111122223333:x", false),
        ("arn:aws::us-east-1:111122223333:x", false),
    ] {
        assert_eq!(is_source_arn(s), ok, "{s}");
    }
}

const NULL: &str = "failed to satisfy constraint: Member must not be null";

#[test]
fn violations_in_aws_words() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let v1 = |rest: &str| format!("1 validation error detected: {rest}");
    let long_tag = "k".repeat(129);
    let cases: Vec<(&str, Value, String)> = vec![
        (
            "DescribeKey",
            json!({"KeyId": ""}),
            v1("Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ),
        (
            "GenerateDataKey",
            json!({"KeyId": id, "NumberOfBytes": 2000}),
            v1("Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"),
        ),
        (
            "GenerateRandom",
            json!({"NumberOfBytes": 0}),
            v1("Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        ),
        (
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(&[7; 4097])}),
            v1("Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"),
        ),
        (
            "Decrypt",
            json!({"CiphertextBlob": ""}),
            v1("Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ),
        (
            "CreateAlias",
            json!({"AliasName": "alias/a b", "TargetKeyId": id}),
            v1("Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"),
        ),
        (
            "CreateAlias",
            json!({"AliasName": "", "TargetKeyId": id}),
            "2 validation errors detected: Value '' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$; Value '' at 'aliasName' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ),
        (
            "TagResource",
            json!({"KeyId": id, "Tags": [{"TagKey": "ok", "TagValue": "v"}, {"TagKey": long_tag, "TagValue": "v"}]}),
            v1(&format!("Value '{long_tag}' at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128")),
        ),
        (
            "TagResource",
            json!({"KeyId": id, "Tags": [{"TagKey": "a"}]}),
            v1(&format!("Value null at 'tags.1.member.tagValue' {NULL}")),
        ),
        (
            "CreateKey",
            json!({"KeySpec": "AES_256", "KeyUsage": "ENCRYPT"}),
            "2 validation errors detected: Value 'ENCRYPT' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT, ENCAPSULATE_DECAPSULATE]; Value 'AES_256' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, ML_KEM_1024]".into(),
        ),
        (
            "ScheduleKeyDeletion",
            json!({"KeyId": id, "PendingWindowInDays": 400}),
            v1("Value '400' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 365"),
        ),
        (
            "EnableKeyRotation",
            json!({"KeyId": id, "RotationPeriodInDays": 30}),
            v1("Value '30' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90"),
        ),
        (
            "ListKeys",
            json!({"Limit": 0, "Marker": "", "Ignored": "é"}),
            "2 validation errors detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ),
        (
            "Decrypt",
            json!({"CiphertextBlob": "AA==", "GrantTokens": ["a","b","c","d","e","f","g","h","i","j","k"]}),
            v1("Value '[a, b, c, d, e, f, g, h, i, j, k]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10"),
        ),
        (
            "CreateGrant",
            json!({"KeyId": id, "GranteePrincipal": "a b", "Operations": ["Decrypt", "Fly"]}),
            "2 validation errors detected: Value 'a b' at 'granteePrincipal' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$; Value 'Fly' at 'operations.2.member' failed to satisfy constraint: Member must satisfy enum value set: [Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret, Encapsulate, Decapsulate]".into(),
        ),
        (
            "CreateGrant",
            json!({"KeyId": id, "GranteeServicePrincipal": "amazonaws.com", "Operations": ["Decrypt"], "Constraints": {"SourceArn": "arn:aws:s3:us-east-1:111122223333:b"}}),
            v1("Value 'amazonaws.com' at 'granteeServicePrincipal' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([A-Za-z0-9\\-]+)\\.([A-Za-z0-9\\-]+)(\\.[A-Za-z0-9\\-]+)+$"),
        ),
        (
            "CreateGrant",
            json!({"KeyId": id, "GranteeServicePrincipal": "s3.amazonaws.com", "Operations": ["Decrypt"], "Constraints": {"SourceArn": "arn:aws:s3:::my-bucket-name"}}),
            v1("Value 'arn:aws:s3:::my-bucket-name' at 'constraints.sourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$"),
        ),
        (
            "ListAliases",
            json!({"Marker": "\u{101}"}),
            v1("Value '\u{101}' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*"),
        ),
        (
            "PutKeyPolicy",
            json!({"KeyId": id, "Policy": "{}", "PolicyName": "not-default"}),
            v1("Value 'not-default' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+"),
        ),
    ];
    for (op, body, message) in cases {
        let e = err(&mut k, &admin(), op, body.clone());
        assert_eq!(e.code.as_str(), "ValidationException", "{op} {body}");
        assert_eq!(e.message, message, "{op} {body}");
    }
}
