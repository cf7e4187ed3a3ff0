//! KMS keys are regional: a key or alias ARN of another Region than the KMS's is not found, with
//! AWS's error (NotFoundException "Invalid arn REGION"), before any policy is read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use serde_json::json;

#[test]
fn a_key_arn_of_another_region_is_not_found() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let here = format!("arn:aws:kms:us-east-1:{ACCT}:key/{id}");
    let there = format!("arn:aws:kms:us-west-2:{ACCT}:key/{id}");
    ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": here}));
    for (op, req) in [
        ("DescribeKey", json!({"KeyId": there})),
        ("Encrypt", json!({"KeyId": there, "Plaintext": "aGk="})),
        ("GenerateDataKey", json!({"KeyId": there, "KeySpec": "AES_256"})),
        ("DescribeKey", json!({"KeyId": format!("arn:aws:kms:eu-west-1:{ACCT}:alias/app")})),
    ] {
        let e = err(&mut k, &admin(), op, req);
        assert_eq!(e.code.as_str(), "NotFoundException", "{op}: {}", e.message);
        assert_eq!(e.message, "Invalid arn us-east-1", "{op}");
    }
}
