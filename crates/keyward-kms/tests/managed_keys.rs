//! AWS managed keys: created on first use of `alias/aws/<service>` (DescribeKey, or a call
//! through the service), `KeyManager: AWS`, the documented key policy, and AWS's refusals for
//! what a customer may not do; ListAliases lists the predefined aliases as AWS does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::Caller;
use serde_json::{json, Value};

fn via(service: &str) -> Caller {
    Caller { via_service: Some(format!("{service}.us-east-1.amazonaws.com")), ..admin() }
}

fn aliases(k: &mut keyward_kms::Kms) -> Vec<Value> {
    ok(k, &admin(), "ListAliases", json!({}))["Aliases"].as_array().unwrap().clone()
}

#[test]
fn predefined_aliases_are_listed_without_a_key_until_first_use() {
    let mut k = kms();
    let s3 = |list: &[Value]| list.iter().find(|a| a["AliasName"] == "alias/aws/s3").cloned();
    let before = s3(&aliases(&mut k)).expect("alias/aws/s3 listed");
    assert_eq!(before["AliasArn"], format!("arn:aws:kms:us-east-1:{ACCT}:alias/aws/s3"));
    assert!(before.get("TargetKeyId").is_none() && before.get("CreationDate").is_none());
    // Used directly (not through S3) it is not created.
    let e = err(&mut k, &admin(), "Encrypt", json!({"KeyId": "alias/aws/s3", "Plaintext": "aGk="}));
    assert_eq!(e.code.as_str(), "NotFoundException");
    assert_eq!(e.message, format!("Alias arn:aws:kms:us-east-1:{ACCT}:alias/aws/s3 is not found."));
    // DescribeKey of the predefined alias creates it, as the API reference documents.
    let meta = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": "alias/aws/s3"}))["KeyMetadata"]
        .clone();
    assert_eq!(meta["KeyManager"], "AWS");
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["KeySpec"], "SYMMETRIC_DEFAULT");
    let after = s3(&aliases(&mut k)).unwrap();
    assert_eq!(after["TargetKeyId"], meta["KeyId"]);
    // The same key every time.
    let again = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": "alias/aws/s3"}));
    assert_eq!(again["KeyMetadata"]["KeyId"], meta["KeyId"]);
    let policy = ok(&mut k, &admin(), "GetKeyPolicy", json!({"KeyId": meta["KeyId"]}))["Policy"]
        .as_str()
        .unwrap()
        .to_string();
    let want =
        keyward_core::eval::call::service::aws_managed_key_policy_text(ACCT, "us-east-1", "s3");
    assert_eq!(policy, want);
    let rot = ok(&mut k, &admin(), "GetKeyRotationStatus", json!({"KeyId": meta["KeyId"]}));
    assert_eq!(
        (rot["KeyRotationEnabled"].clone(), rot["RotationPeriodInDays"].clone()),
        (json!(true), json!(365))
    );
}

#[test]
fn created_by_a_call_through_its_service_and_usable_only_that_way() {
    let mut k = kms();
    // Through another service: not created.
    let req = json!({"KeyId": "alias/aws/ebs", "KeySpec": "AES_256"});
    assert_eq!(code(&mut k, &via("s3"), "GenerateDataKey", req.clone()), "NotFoundException");
    // Through EC2 (EBS's endpoint): created and used.
    let dk = ok(&mut k, &via("ec2"), "GenerateDataKey", req);
    let arn = dk["KeyId"].as_str().unwrap().to_string();
    let out = ok(&mut k, &via("ec2"), "Decrypt", json!({"CiphertextBlob": dk["CiphertextBlob"]}));
    assert_eq!(out["Plaintext"], dk["Plaintext"]);
    // Directly, or through another service, the key policy does not allow it.
    let direct = json!({"KeyId": arn, "Plaintext": "aGk="});
    assert_eq!(code(&mut k, &admin(), "Encrypt", direct.clone()), "AccessDeniedException");
    assert_eq!(code(&mut k, &via("s3"), "Encrypt", direct.clone()), "AccessDeniedException");
    // No other account may use it, even through the service.
    let other = Caller {
        principal: format!("arn:aws:iam::{OTHER}:root"),
        via_service: Some("ec2.us-east-1.amazonaws.com".into()),
        ..admin()
    };
    assert_eq!(code(&mut k, &other, "Encrypt", direct), "AccessDeniedException");
}

#[test]
fn what_a_customer_may_not_do_with_an_aws_managed_key() {
    let mut k = kms();
    let id = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": "alias/aws/secretsmanager"}))
        ["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let policy = policy_with(&[]);
    for (op, req) in [
        ("PutKeyPolicy", json!({"KeyId": id, "Policy": policy})),
        ("ScheduleKeyDeletion", json!({"KeyId": id})),
        ("DisableKey", json!({"KeyId": id})),
        ("EnableKeyRotation", json!({"KeyId": id})),
        ("DisableKeyRotation", json!({"KeyId": id})),
        ("RotateKeyOnDemand", json!({"KeyId": id})),
        ("TagResource", json!({"KeyId": id, "Tags": [{"TagKey": "a", "TagValue": "b"}]})),
        ("UpdateKeyDescription", json!({"KeyId": id, "Description": "mine"})),
        ("CreateAlias", json!({"AliasName": "alias/mine", "TargetKeyId": id})),
    ] {
        let e = err(&mut k, &admin(), op, req);
        assert_eq!(e.code.as_str(), "AccessDeniedException", "{op}: {}", e.message);
        assert!(e.message.contains("no resource-based policy allows"), "{op}: {}", e.message);
    }
    for (op, req) in [
        ("CreateAlias", json!({"AliasName": "alias/aws/mine", "TargetKeyId": id})),
        ("DeleteAlias", json!({"AliasName": "alias/aws/secretsmanager"})),
        ("UpdateAlias", json!({"AliasName": "alias/aws/secretsmanager", "TargetKeyId": id})),
    ] {
        assert_eq!(code(&mut k, &admin(), op, req), "InvalidAliasNameException", "{op}");
    }
    // Reading is allowed to the account.
    ok(&mut k, &admin(), "ListResourceTags", json!({"KeyId": id}));
    ok(&mut k, &admin(), "ListKeyPolicies", json!({"KeyId": id}));
}
