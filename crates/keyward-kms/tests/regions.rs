//! KMS keys are regional: a key or alias ARN of another Region than the KMS's is not found, with
//! AWS's error (NotFoundException "Invalid arn REGION"), before any policy is read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::{Caller, Kms};
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

fn in_region(mut c: Caller, region: &str) -> Caller {
    c.region = Some(region.to_string());
    c
}

/// One KMS serves every Region: a call is served in its own Region (the caller's), keys get
/// that Region in their ARN, and nothing of one Region is seen from another.
#[test]
fn each_region_has_its_own_keys_aliases_and_grants() {
    let mut k = kms();
    let eu = in_region(admin(), "eu-west-1");
    let us = in_region(admin(), "us-east-1");
    let made = ok(&mut k, &eu, "CreateKey", json!({}));
    let id = made["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    assert_eq!(made["KeyMetadata"]["Arn"], format!("arn:aws:kms:eu-west-1:{ACCT}:key/{id}"));
    // The default Region (no Region on the call) is the configured one, us-east-1.
    let home = key(&mut k, json!({}));
    // A bare key id is looked up in the call's Region only.
    ok(&mut k, &eu, "DescribeKey", json!({"KeyId": id}));
    let e = err(&mut k, &us, "DescribeKey", json!({"KeyId": id}));
    assert_eq!(e.code.as_str(), "NotFoundException");
    assert_eq!(e.message, format!("Key 'arn:aws:kms:us-east-1:{ACCT}:key/{id}' does not exist"));
    let e = err(&mut k, &eu, "DescribeKey", json!({"KeyId": home}));
    assert_eq!(e.code.as_str(), "NotFoundException");
    // Its ARN, asked in another Region, is the Region error naming the call's Region.
    let e = err(&mut k, &us, "DescribeKey", json!({"KeyId": made["KeyMetadata"]["Arn"]}));
    assert_eq!(e.message, "Invalid arn us-east-1");
    // ListKeys lists the call's Region only.
    let listed = |k: &mut Kms, c: &Caller| -> Vec<String> {
        let out = ok(k, c, "ListKeys", json!({}));
        out["Keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["KeyId"].as_str().unwrap().into())
            .collect()
    };
    assert_eq!(listed(&mut k, &eu), vec![id.clone()]);
    assert_eq!(listed(&mut k, &admin()), vec![home.clone()]);
    // The same alias name in two Regions: two aliases, each naming its own Region's key.
    ok(&mut k, &eu, "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": id}));
    ok(&mut k, &us, "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": home}));
    let eu_key = ok(&mut k, &eu, "DescribeKey", json!({"KeyId": "alias/app"}));
    let us_key = ok(&mut k, &us, "DescribeKey", json!({"KeyId": "alias/app"}));
    assert_eq!(eu_key["KeyMetadata"]["KeyId"], id.as_str());
    assert_eq!(us_key["KeyMetadata"]["KeyId"], home.as_str());
    let aliases = ok(&mut k, &eu, "ListAliases", json!({}));
    let arns: Vec<&str> = aliases["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AliasArn"].as_str().unwrap())
        .filter(|a| !a.contains(":alias/aws/")) // the predefined AWS managed aliases
        .collect();
    assert_eq!(arns, vec![format!("arn:aws:kms:eu-west-1:{ACCT}:alias/app")]);
    // Deleting the alias in one Region leaves the other.
    ok(&mut k, &eu, "DeleteAlias", json!({"AliasName": "alias/app"}));
    ok(&mut k, &us, "DescribeKey", json!({"KeyId": "alias/app"}));
    assert_eq!(
        code(&mut k, &eu, "DescribeKey", json!({"KeyId": "alias/app"})),
        "NotFoundException"
    );
    // A ciphertext of a eu-west-1 key does not decrypt in us-east-1.
    let ct = ok(&mut k, &eu, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"hi")}));
    let blob = ct["CiphertextBlob"].clone();
    ok(&mut k, &eu, "Decrypt", json!({"CiphertextBlob": blob}));
    assert_eq!(
        code(&mut k, &us, "Decrypt", json!({"CiphertextBlob": blob})),
        "InvalidCiphertextException"
    );
    // Grants are regional: ListRetirableGrants lists the call's Region's grants.
    let retiring = format!("arn:aws:iam::{ACCT}:role/App");
    let grant = json!({"KeyId": id, "GranteePrincipal": retiring, "RetiringPrincipal": retiring,
        "Operations": ["Decrypt"]});
    ok(&mut k, &eu, "CreateGrant", grant);
    let count = |k: &mut Kms, c: &Caller| {
        let out = ok(k, c, "ListRetirableGrants", json!({"RetiringPrincipal": retiring}));
        out["Grants"].as_array().unwrap().len()
    };
    assert_eq!((count(&mut k, &eu), count(&mut k, &us)), (1, 0));
    let listed = ok(&mut k, &eu, "ListGrants", json!({"KeyId": id}));
    assert_eq!(listed["Grants"][0]["KeyId"], made["KeyMetadata"]["Arn"]);
}
