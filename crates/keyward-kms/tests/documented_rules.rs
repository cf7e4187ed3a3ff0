//! The KMS core enforces the documented rules of issue 17 as AWS answers them: CreateGrant
//! through a grant stays within that grant, the grant decides who may retire it, and key
//! management does not reach a key in another account.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use serde_json::json;

const APP: &str = "arn:aws:iam::111122223333:role/App";
const APP_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/App/s1";
const OTHER: &str = "arn:aws:iam::111122223333:role/Other";
const OTHER_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Other/o1";
const PARTNER: &str = "arn:aws:iam::444455556666:role/Partner";
const PARTNER_SESSION: &str = "arn:aws:sts::444455556666:assumed-role/Partner/p1";

fn allow_all_kms() -> (String, String) {
    ("kms".into(), r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#.into())
}

#[test]
fn create_grant_through_a_grant_keeps_its_constraint_at_least_as_strict() {
    let mut k = kms();
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    let id = key(&mut k, json!({}));
    let equals = json!({"EncryptionContextEquals": {"Dept": "Finance"}});
    ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": id, "GranteePrincipal": APP, "Operations": ["Decrypt", "CreateGrant"], "Constraints": equals}),
    );
    // The same constraint: within the parent grant.
    ok(
        &mut k,
        &as_(APP_SESSION),
        "CreateGrant",
        json!({"KeyId": id, "GranteePrincipal": OTHER, "Operations": ["Decrypt"], "Constraints": equals}),
    );
    // Equals may not become Subset, nor be dropped.
    for constraints in [json!({"EncryptionContextSubset": {"Dept": "Finance"}}), json!(null)] {
        let mut req = json!({"KeyId": id, "GranteePrincipal": OTHER, "Operations": ["Decrypt"]});
        if !constraints.is_null() {
            req["Constraints"] = constraints;
        }
        let e = err(&mut k, &as_(APP_SESSION), "CreateGrant", req);
        assert_eq!(e.code.as_str(), "AccessDeniedException", "{}", e.message);
        assert!(e.message.contains("does not cover the requested grant"), "{}", e.message);
    }
}

#[test]
fn the_grant_decides_who_may_retire_it() {
    let mut k = kms();
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    k.put_identity(OTHER, vec![], None, vec![]).unwrap();
    // The key policy allows Other kms:RetireGrant: not effective for RetireGrant.
    let policy = policy_with(&[json!({
        "Sid": "Other", "Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "kms:RetireGrant", "Resource": "*"
    })]);
    let id = key(&mut k, json!({"Policy": policy}));
    let grant = |k: &mut _, ops: serde_json::Value| {
        ok(
            k,
            &admin(),
            "CreateGrant",
            json!({"KeyId": id, "GranteePrincipal": APP, "Operations": ops}),
        )
    };
    let plain = grant(&mut k, json!(["Decrypt"]));
    for who in [APP_SESSION, OTHER_SESSION] {
        let e = err(
            &mut k,
            &as_(who),
            "RetireGrant",
            json!({"KeyId": id, "GrantId": plain["GrantId"]}),
        );
        assert_eq!(e.code.as_str(), "AccessDeniedException", "{who}: {}", e.message);
    }
    // A grant that includes RetireGrant: its grantee may retire it.
    let own = grant(&mut k, json!(["Decrypt", "RetireGrant"]));
    ok(&mut k, &as_(APP_SESSION), "RetireGrant", json!({"GrantToken": own["GrantToken"]}));
    // The account in which the grant was created, through its IAM policies.
    ok(&mut k, &admin(), "RetireGrant", json!({"KeyId": id, "GrantId": plain["GrantId"]}));
}

#[test]
fn key_management_does_not_reach_a_key_in_another_account() {
    let mut k = kms();
    let policy = policy_with(&[json!({
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:*", "Resource": "*"
    })]);
    let id = key(&mut k, json!({"Policy": policy}));
    let arn = format!("arn:aws:kms:us-east-1:{ACCT}:key/{id}");
    k.put_identity(PARTNER, vec![allow_all_kms()], None, vec![]).unwrap();
    let p = as_(PARTNER_SESSION);
    for (op, req) in [
        ("ScheduleKeyDeletion", json!({"KeyId": arn, "PendingWindowInDays": 7})),
        ("PutKeyPolicy", json!({"KeyId": arn, "PolicyName": "default", "Policy": policy})),
        ("TagResource", json!({"KeyId": arn, "Tags": [{"TagKey": "a", "TagValue": "b"}]})),
        ("EnableKeyRotation", json!({"KeyId": arn})),
        ("DisableKey", json!({"KeyId": arn})),
        ("GetKeyPolicy", json!({"KeyId": arn, "PolicyName": "default"})),
    ] {
        let e = err(&mut k, &p, op, req);
        assert_eq!(e.code.as_str(), "NotFoundException", "{op}: {}", e.message);
        assert!(e.message.contains(&arn), "{op}: {}", e.message);
    }
    // Cross-account operations still work, and the key is untouched.
    ok(&mut k, &p, "DescribeKey", json!({"KeyId": arn}));
    ok(&mut k, &p, "GetKeyRotationStatus", json!({"KeyId": arn}));
    let d = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}));
    assert_eq!(d["KeyMetadata"]["KeyState"], "Enabled");
}
