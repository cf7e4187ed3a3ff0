//! Authorization of KMS calls: key policies, IAM delegation, cross-account, grants, SCPs,
//! boundaries, the lockout safety check, and AWS's AccessDenied messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::record::OrgPolicyRecord;
use keyward_kms::{Caller, KmsError};
use serde_json::json;

const APP: &str = "arn:aws:iam::111122223333:role/App";
const APP_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/App/s1";
const PARTNER: &str = "arn:aws:iam::444455556666:role/Partner";
const PARTNER_SESSION: &str = "arn:aws:sts::444455556666:assumed-role/Partner/p1";

fn allow_all_kms() -> (String, String) {
    ("kms".into(), r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#.into())
}

#[test]
fn key_policy_that_does_not_delegate_ignores_iam() {
    let mut k = kms();
    k.put_identity(APP, vec![allow_all_kms()], None, vec![]).unwrap();
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": keyward_kms::account::DEFAULT_CALLER}, "Action": "kms:*", "Resource": "*"}
    ]})
    .to_string();
    let id = key(&mut k, json!({"Policy": policy}));
    let e = err(&mut k, &as_(APP_SESSION), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}));
    assert_eq!(e.code.as_str(), "AccessDeniedException");
    assert_eq!(
        e.message,
        format!("User: {APP_SESSION} is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:us-east-1:{ACCT}:key/{id} because no resource-based policy allows the kms:Encrypt action")
    );
    let ex = e.explanation.expect("denials carry the explanation");
    assert_eq!(ex.decision.name(), "ImplicitDeny");
    assert!(!ex.fixes.is_empty(), "an implicit deny comes with a fix");
}

#[test]
fn delegated_key_policy_needs_an_identity_policy() {
    let mut k = kms();
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    let id = key(&mut k, json!({}));
    let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}))
        ["CiphertextBlob"]
        .clone();
    let e = err(&mut k, &as_(APP_SESSION), "Decrypt", json!({"CiphertextBlob": ct}));
    assert!(
        e.message.ends_with("because no identity-based policy allows the kms:Decrypt action"),
        "{}",
        e.message
    );
    k.put_identity(APP, vec![allow_all_kms()], None, vec![]).unwrap();
    ok(&mut k, &as_(APP_SESSION), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}));
}

#[test]
fn explicit_deny_in_key_policy_on_wrong_context() {
    let mut k = kms();
    k.put_identity(APP, vec![allow_all_kms()], None, vec![]).unwrap();
    let policy = policy_with(&[json!({
        "Sid": "RequireDept", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
        "Condition": {"StringNotEquals": {"kms:EncryptionContext:Department": "Finance"}}
    })]);
    let id = key(&mut k, json!({"Policy": policy}));
    let good = ok(
        &mut k,
        &admin(),
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionContext": {"Department": "Finance"}}),
    );
    let bad = ok(
        &mut k,
        &admin(),
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionContext": {"Department": "HR"}}),
    );
    ok(
        &mut k,
        &as_(APP_SESSION),
        "Decrypt",
        json!({"CiphertextBlob": good["CiphertextBlob"], "EncryptionContext": {"Department": "Finance"}}),
    );
    let e = err(
        &mut k,
        &as_(APP_SESSION),
        "Decrypt",
        json!({"CiphertextBlob": bad["CiphertextBlob"], "EncryptionContext": {"Department": "HR"}}),
    );
    assert!(
        e.message.ends_with("with an explicit deny in a resource-based policy"),
        "{}",
        e.message
    );
}

#[test]
fn cross_account_needs_both_sides() {
    let mut k = kms();
    let policy = policy_with(&[json!({
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": PARTNER}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"
    })]);
    let id = key(&mut k, json!({"Policy": policy}));
    let arn = format!("arn:aws:kms:us-east-1:{ACCT}:key/{id}");
    let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"shared")}))
        ["CiphertextBlob"]
        .clone();
    // Identity side missing.
    k.put_identity(PARTNER, vec![], None, vec![]).unwrap();
    let e = err(&mut k, &as_(PARTNER_SESSION), "Decrypt", json!({"CiphertextBlob": ct}));
    assert!(e.message.contains("no identity-based policy allows"), "{}", e.message);
    k.put_identity(PARTNER, vec![allow_all_kms()], None, vec![]).unwrap();
    let d = ok(&mut k, &as_(PARTNER_SESSION), "Decrypt", json!({"CiphertextBlob": ct}));
    assert_eq!(unb64(&d["Plaintext"]), b"shared");
    // A bare key id does not reach another account's key; the ARN does.
    assert_eq!(
        code(&mut k, &as_(PARTNER_SESSION), "DescribeKey", json!({"KeyId": id})),
        "NotFoundException"
    );
    ok(&mut k, &as_(PARTNER_SESSION), "DescribeKey", json!({"KeyId": arn}));
    // Not in the key policy: Encrypt is denied although IAM allows kms:*.
    let e = err(
        &mut k,
        &as_(PARTNER_SESSION),
        "Encrypt",
        json!({"KeyId": arn, "Plaintext": b64(b"x")}),
    );
    assert!(e.message.contains("no resource-based policy allows"), "{}", e.message);
}

#[test]
fn grants_with_constraints_and_tokens() {
    let mut k = kms();
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    let id = key(&mut k, json!({}));
    let ct = ok(
        &mut k,
        &admin(),
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"g"), "EncryptionContext": {"tenant": "t1"}}),
    )["CiphertextBlob"]
        .clone();
    let ct2 = ok(
        &mut k,
        &admin(),
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"g"), "EncryptionContext": {"tenant": "t2"}}),
    )["CiphertextBlob"]
        .clone();
    assert_eq!(
        code(
            &mut k,
            &as_(APP_SESSION),
            "Decrypt",
            json!({"CiphertextBlob": ct, "EncryptionContext": {"tenant": "t1"}})
        ),
        "AccessDeniedException"
    );
    let g = ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({
            "KeyId": id, "GranteePrincipal": APP, "Operations": ["Decrypt"], "RetiringPrincipal": keyward_kms::account::DEFAULT_CALLER,
            "Constraints": {"EncryptionContextSubset": {"tenant": "t1"}}, "Name": "app-t1"
        }),
    );
    ok(
        &mut k,
        &as_(APP_SESSION),
        "Decrypt",
        json!({"CiphertextBlob": ct, "EncryptionContext": {"tenant": "t1"}, "GrantTokens": [g["GrantToken"]]}),
    );
    assert_eq!(
        code(
            &mut k,
            &as_(APP_SESSION),
            "Decrypt",
            json!({"CiphertextBlob": ct2, "EncryptionContext": {"tenant": "t2"}})
        ),
        "AccessDeniedException"
    );
    // Encrypt is not in the grant.
    assert_eq!(
        code(&mut k, &as_(APP_SESSION), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")})),
        "AccessDeniedException"
    );
    // Same name and parameters: same grant id (idempotent), new token.
    let again = ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({
            "KeyId": id, "GranteePrincipal": APP, "Operations": ["Decrypt"], "RetiringPrincipal": keyward_kms::account::DEFAULT_CALLER,
            "Constraints": {"EncryptionContextSubset": {"tenant": "t1"}}, "Name": "app-t1"
        }),
    );
    assert_eq!(again["GrantId"], g["GrantId"]);
    assert_ne!(again["GrantToken"], g["GrantToken"]);
    let list = ok(&mut k, &admin(), "ListGrants", json!({"KeyId": id}));
    assert_eq!(list["Grants"].as_array().unwrap().len(), 1);
    assert_eq!(
        list["Grants"][0]["Constraints"],
        json!({"EncryptionContextSubset": {"tenant": "t1"}})
    );
    assert_eq!(
        code(
            &mut k,
            &as_(APP_SESSION),
            "Decrypt",
            json!({"CiphertextBlob": ct, "EncryptionContext": {"tenant": "t1"}, "GrantTokens": ["bogus"]})
        ),
        "InvalidGrantTokenException"
    );
    // The grantee may not retire (no RetireGrant operation); the retiring principal may.
    assert_eq!(
        code(&mut k, &as_(APP_SESSION), "RetireGrant", json!({"GrantToken": g["GrantToken"]})),
        "AccessDeniedException"
    );
    ok(&mut k, &admin(), "RetireGrant", json!({"KeyId": id, "GrantId": g["GrantId"]}));
    assert_eq!(
        code(
            &mut k,
            &as_(APP_SESSION),
            "Decrypt",
            json!({"CiphertextBlob": ct, "EncryptionContext": {"tenant": "t1"}})
        ),
        "AccessDeniedException"
    );
    assert_eq!(
        code(&mut k, &admin(), "RevokeGrant", json!({"KeyId": id, "GrantId": g["GrantId"]})),
        "InvalidGrantIdException"
    );
}

#[test]
fn grant_propagation_delay_and_tokens_make_new_grants_usable_at_once() {
    let mut k = keyward_kms::Kms::in_memory(
        Box::new(rand_core::OsRng),
        keyward_kms::Config { grant_propagation_ms: 60_000, ..keyward_kms::Config::default() },
    );
    k.seed_defaults().unwrap();
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    let id = key(&mut k, json!({}));
    let g = ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": id, "GranteePrincipal": APP, "Operations": ["Encrypt"]}),
    );
    let req = json!({"KeyId": id, "Plaintext": b64(b"x")});
    assert_eq!(code(&mut k, &as_(APP_SESSION), "Encrypt", req.clone()), "AccessDeniedException");
    let mut with_token = req.clone();
    with_token["GrantTokens"] = json!([g["GrantToken"]]);
    ok(&mut k, &as_(APP_SESSION), "Encrypt", with_token);
    ok(&mut k, &at(as_(APP_SESSION), T0 + 60_000), "Encrypt", req);
}

#[test]
fn grant_operations_must_fit_the_key_and_grant_derived_create_grant_is_limited() {
    let mut k = kms();
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    let id = key(&mut k, json!({}));
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "CreateGrant",
            json!({"KeyId": id, "GranteePrincipal": APP, "Operations": ["Sign"]})
        ),
        "ValidationException"
    );
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "CreateGrant",
            json!({"KeyId": id, "GranteePrincipal": APP, "Operations": []})
        ),
        "ValidationException"
    );
    ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": id, "GranteePrincipal": APP, "Operations": ["Decrypt", "CreateGrant"]}),
    );
    let other = "arn:aws:iam::111122223333:role/Other";
    ok(
        &mut k,
        &as_(APP_SESSION),
        "CreateGrant",
        json!({"KeyId": id, "GranteePrincipal": other, "Operations": ["Decrypt"]}),
    );
    let e = err(
        &mut k,
        &as_(APP_SESSION),
        "CreateGrant",
        json!({"KeyId": id, "GranteePrincipal": other, "Operations": ["Encrypt"]}),
    );
    assert_eq!(e.code.as_str(), "AccessDeniedException", "{}", e.message);
}

#[test]
fn scp_and_boundary_limit_iam_allows() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    k.put_identity(APP, vec![allow_all_kms()], Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}"#.into()), vec![]).unwrap();
    ok(&mut k, &as_(APP_SESSION), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}));
    let e = err(&mut k, &as_(APP_SESSION), "DescribeKey", json!({"KeyId": id}));
    assert!(e.message.contains("permissions boundary"), "{}", e.message);
    k.put_org_policy(OrgPolicyRecord {
        name: "deny-encrypt".into(), kind: "scp".into(), level: 0, accounts: vec![],
        text: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}]}"#.into(),
    }).unwrap();
    let e = err(&mut k, &as_(APP_SESSION), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}));
    assert!(
        e.message.ends_with("with an explicit deny in a service control policy"),
        "{}",
        e.message
    );
}

#[test]
fn lockout_safety_check_on_create_and_put_policy() {
    let mut k = kms();
    let lockout = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:Decrypt", "Resource": "*"}
    ]})
    .to_string();
    // A principal that does not exist in a known account is refused first, bypass or not.
    let invalid = "Policy contains a statement with one or more invalid principals.";
    for bypass in [false, true] {
        let req = json!({"Policy": lockout, "BypassPolicyLockoutSafetyCheck": bypass});
        let e = err(&mut k, &admin(), "CreateKey", req);
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("MalformedPolicyDocumentException", invalid)
        );
    }
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    let e = err(&mut k, &admin(), "CreateKey", json!({"Policy": lockout}));
    assert_eq!(e.code.as_str(), "MalformedPolicyDocumentException");
    assert!(e.message.contains("will not allow you to update the key policy"));
    key(&mut k, json!({"Policy": lockout, "BypassPolicyLockoutSafetyCheck": true}));
    let id = key(&mut k, json!({}));
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "PutKeyPolicy",
            json!({"KeyId": id, "PolicyName": "default", "Policy": lockout})
        ),
        "MalformedPolicyDocumentException"
    );
    assert_eq!(
        code(&mut k, &admin(), "PutKeyPolicy", json!({"KeyId": id, "Policy": "{not json"})),
        "MalformedPolicyDocumentException"
    );
    assert_eq!(
        code(
            &mut k,
            &admin(),
            "PutKeyPolicy",
            json!({"KeyId": id, "PolicyName": "other", "Policy": policy_with(&[])})
        ),
        "NotFoundException"
    );
    ok(
        &mut k,
        &admin(),
        "PutKeyPolicy",
        json!({"KeyId": id, "PolicyName": "default", "Policy": policy_with(&[])}),
    );
}

#[test]
fn via_service_and_request_alias_conditions() {
    let mut k = kms();
    k.put_identity(APP, vec![allow_all_kms()], None, vec![]).unwrap();
    let policy = policy_with(&[
        json!({
            "Sid": "OnlyViaS3", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
            "Condition": {"StringNotEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}, "StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}
        }),
        json!({
            "Sid": "AliasOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:GenerateDataKey", "Resource": "*",
            "Condition": {"StringNotEquals": {"kms:RequestAlias": "alias/approved"}}
        }),
    ]);
    let id = key(&mut k, json!({"Policy": policy}));
    ok(&mut k, &admin(), "CreateAlias", json!({"AliasName": "alias/approved", "TargetKeyId": id}));
    let req = json!({"KeyId": id, "Plaintext": b64(b"x")});
    assert_eq!(code(&mut k, &as_(APP_SESSION), "Encrypt", req.clone()), "AccessDeniedException");
    let mut via = as_(APP_SESSION);
    via.via_service = Some("s3.us-east-1.amazonaws.com".into());
    ok(&mut k, &via, "Encrypt", req);
    assert_eq!(
        code(&mut k, &admin(), "GenerateDataKey", json!({"KeyId": id, "KeySpec": "AES_256"})),
        "AccessDeniedException"
    );
    ok(
        &mut k,
        &admin(),
        "GenerateDataKey",
        json!({"KeyId": "alias/approved", "KeySpec": "AES_256"}),
    );
}

#[test]
fn conditions_on_tags_aliases_principal_tags_and_time_see_their_keys() {
    let mut k = kms();
    let tags = vec![keyward_kms::record::Tag { tag_key: "team".into(), tag_value: "blue".into() }];
    k.put_identity(APP, vec![allow_all_kms()], None, tags).unwrap();
    let policy = policy_with(&[
        json!({
            "Sid": "ProdOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:ResourceTag/env": "prod"}}
        }),
        json!({
            "Sid": "BlueTeamOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:GenerateDataKeyWithoutPlaintext", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "blue"}}
        }),
        json!({
            "Sid": "AliasUse", "Effect": "Deny", "Principal": "*", "Action": "kms:GenerateDataKey", "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/frozen"}}
        }),
        json!({
            "Sid": "Until2027", "Effect": "Deny", "Principal": "*", "Action": "kms:DescribeKey", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}
        }),
    ]);
    let id = key(&mut k, json!({"Policy": policy, "Tags": [{"TagKey": "env", "TagValue": "dev"}]}));
    let enc = json!({"KeyId": id, "Plaintext": b64(b"x")});
    assert_eq!(code(&mut k, &as_(APP_SESSION), "Encrypt", enc.clone()), "AccessDeniedException");
    ok(
        &mut k,
        &admin(),
        "TagResource",
        json!({"KeyId": id, "Tags": [{"TagKey": "env", "TagValue": "prod"}]}),
    );
    ok(&mut k, &as_(APP_SESSION), "Encrypt", enc);
    let wp = json!({"KeyId": id, "NumberOfBytes": 16});
    ok(&mut k, &as_(APP_SESSION), "GenerateDataKeyWithoutPlaintext", wp.clone());
    k.put_identity(APP, vec![allow_all_kms()], None, vec![]).unwrap();
    assert_eq!(
        code(&mut k, &as_(APP_SESSION), "GenerateDataKeyWithoutPlaintext", wp),
        "AccessDeniedException"
    );
    let gdk = json!({"KeyId": id, "KeySpec": "AES_256"});
    ok(&mut k, &as_(APP_SESSION), "GenerateDataKey", gdk.clone());
    ok(&mut k, &admin(), "CreateAlias", json!({"AliasName": "alias/frozen", "TargetKeyId": id}));
    assert_eq!(code(&mut k, &as_(APP_SESSION), "GenerateDataKey", gdk), "AccessDeniedException");
    ok(&mut k, &as_(APP_SESSION), "DescribeKey", json!({"KeyId": id}));
    let later = at(as_(APP_SESSION), T0 + 400 * DAY);
    assert_eq!(code(&mut k, &later, "DescribeKey", json!({"KeyId": id})), "AccessDeniedException");
}

/// The gate reuses the request it prepared for a caller, key and action only while the call
/// brings the same inputs and nothing was committed: each of these calls repeats an allowed
/// one with one input or the state changed, and must be decided afresh.
#[test]
fn prepared_requests_follow_the_call_and_the_state() {
    let mut k = kms();
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*",
        "Condition": {"StringEquals": {"kms:EncryptionContext:app": "web"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]});
    k.put_identity(APP, vec![("app".into(), policy.to_string())], None, vec![]).unwrap();
    let id = key(&mut k, json!({}));
    let inside = Caller { source_ip: Some("10.1.2.3".into()), ..as_(APP_SESSION) };
    let outside = Caller { source_ip: Some("192.0.2.1".into()), ..as_(APP_SESSION) };
    let web = json!({"app": "web"});
    let ct = ok(
        &mut k,
        &inside,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionContext": web}),
    )["CiphertextBlob"]
        .clone();
    let decrypt = |ctx: &serde_json::Value| json!({"CiphertextBlob": ct, "EncryptionContext": ctx});
    for _ in 0..3 {
        ok(&mut k, &inside, "Decrypt", decrypt(&web));
    }
    let denied =
        |e: KmsError| assert_eq!(e.code.as_str(), "AccessDeniedException", "{}", e.message);
    denied(err(&mut k, &inside, "Decrypt", decrypt(&json!({"app": "api"}))));
    denied(err(&mut k, &inside, "Decrypt", decrypt(&json!({}))));
    denied(err(&mut k, &outside, "Decrypt", decrypt(&web)));
    ok(&mut k, &inside, "Decrypt", decrypt(&web));
    // A committed change (the identity loses its policy) is seen by the next call.
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    denied(err(&mut k, &inside, "Decrypt", decrypt(&web)));
    k.put_identity(APP, vec![("app".into(), policy.to_string())], None, vec![]).unwrap();
    ok(&mut k, &inside, "Decrypt", decrypt(&web));
}
