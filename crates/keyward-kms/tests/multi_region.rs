//! Multi-Region keys (issue 15): `mrk-` ids, ReplicateKey, UpdatePrimaryRegion, the
//! MultiRegionConfiguration of DescribeKey, shared key material across Regions, independent
//! state, policy and aliases per replica, deletion of a primary with replicas, and the
//! condition keys kms:MultiRegion, kms:MultiRegionKeyType, kms:ReplicaRegion and
//! kms:PrimaryRegion in the authorization context.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::{Caller, Kms};
use serde_json::{json, Value};

const US: &str = "us-east-1";
const EU: &str = "eu-west-1";

fn in_region(mut c: Caller, region: &str) -> Caller {
    c.region = Some(region.to_string());
    c
}

/// A multi-Region primary in us-east-1 with a replica in eu-west-1; returns the key id.
fn mrk_with_replica(k: &mut Kms) -> String {
    let made = ok(k, &in_region(admin(), US), "CreateKey", json!({"MultiRegion": true}));
    let id = made["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    ok(k, &in_region(admin(), US), "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": EU}));
    id
}

fn describe(k: &mut Kms, region: &str, id: &str) -> Value {
    ok(k, &in_region(admin(), region), "DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone()
}

fn arn(region: &str, id: &str) -> String {
    format!("arn:aws:kms:{region}:{ACCT}:key/{id}")
}

#[test]
fn create_replicate_and_describe() {
    let mut k = kms();
    let made = ok(&mut k, &admin(), "CreateKey", json!({"MultiRegion": true}));
    let id = made["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let hex = id.strip_prefix("mrk-").unwrap();
    assert!(hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let m = &made["KeyMetadata"];
    assert_eq!(m["MultiRegion"], true);
    assert_eq!(
        m["MultiRegionConfiguration"],
        json!({"MultiRegionKeyType": "PRIMARY",
               "PrimaryKey": {"Arn": arn(US, &id), "Region": US}, "ReplicaKeys": []})
    );
    // A single-Region key says MultiRegion false and has no configuration.
    let single = ok(&mut k, &admin(), "CreateKey", json!({}));
    assert_eq!(single["KeyMetadata"]["MultiRegion"], false);
    assert!(single["KeyMetadata"].get("MultiRegionConfiguration").is_none());

    let out = ok(
        &mut k,
        &admin(),
        "ReplicateKey",
        json!({"KeyId": id, "ReplicaRegion": EU, "Description": "eu copy",
               "Tags": [{"TagKey": "team", "TagValue": "blue"}]}),
    );
    let r = &out["ReplicaKeyMetadata"];
    assert_eq!(r["Arn"], arn(EU, &id));
    assert_eq!(r["KeyId"], id.as_str());
    assert_eq!((r["KeyState"].as_str(), r["Enabled"].as_bool()), (Some("Creating"), Some(false)));
    assert_eq!(r["Description"], "eu copy");
    assert_eq!(out["ReplicaTags"], json!([{"TagKey": "team", "TagValue": "blue"}]));
    assert_eq!(out["ReplicaPolicy"], keyward_kms::default_key_policy(ACCT));
    let expected_set = json!({"PrimaryKey": {"Arn": arn(US, &id), "Region": US},
                              "ReplicaKeys": [{"Arn": arn(EU, &id), "Region": EU}]});
    let config = |m: &Value, kind: &str| {
        let mut want = expected_set.clone();
        want["MultiRegionKeyType"] = json!(kind);
        assert_eq!(m["MultiRegionConfiguration"], want);
    };
    config(r, "REPLICA");
    let replica = describe(&mut k, EU, &id);
    assert_eq!(
        (replica["KeyState"].as_str(), replica["Enabled"].as_bool()),
        (Some("Enabled"), Some(true))
    );
    config(&replica, "REPLICA");
    config(&describe(&mut k, US, &id), "PRIMARY");
    // The replica is listed in its Region; its description and tags are its own.
    let listed = ok(&mut k, &in_region(admin(), EU), "ListKeys", json!({}));
    assert_eq!(listed["Keys"], json!([{"KeyId": id, "KeyArn": arn(EU, &id)}]));
    let tags = ok(&mut k, &admin(), "ListResourceTags", json!({"KeyId": id}));
    assert_eq!(tags["Tags"], json!([]));
    assert_eq!(describe(&mut k, US, &id)["Description"], "");
}

#[test]
fn a_ciphertext_from_the_primary_decrypts_with_the_replica() {
    let mut k = kms();
    let id = mrk_with_replica(&mut k);
    let (us, eu) = (in_region(admin(), US), in_region(admin(), EU));
    let ctx = json!({"purpose": "test"});
    let ct = ok(
        &mut k,
        &us,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"secret"), "EncryptionContext": ctx}),
    );
    let blob = ct["CiphertextBlob"].clone();
    let out = ok(&mut k, &eu, "Decrypt", json!({"CiphertextBlob": blob, "EncryptionContext": ctx}));
    assert_eq!(unb64(&out["Plaintext"]), b"secret");
    assert_eq!(out["KeyId"], arn(EU, &id));
    // With the replica's ARN as KeyId, too; the primary's ARN there is another Region's.
    let named = json!({"CiphertextBlob": blob, "EncryptionContext": ctx, "KeyId": arn(EU, &id)});
    ok(&mut k, &eu, "Decrypt", named);
    let e = err(
        &mut k,
        &eu,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": ctx, "KeyId": arn(US, &id)}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("NotFoundException", "Invalid arn eu-west-1")
    );
    // And back: what the replica encrypts, the primary decrypts.
    let ct = ok(&mut k, &eu, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"back")}));
    let out = ok(&mut k, &us, "Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]}));
    assert_eq!(unb64(&out["Plaintext"]), b"back");
    // After an on-demand rotation of the primary the replica has the new material.
    ok(&mut k, &us, "RotateKeyOnDemand", json!({"KeyId": id}));
    let ct = ok(&mut k, &us, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"rotated")}));
    let out = ok(&mut k, &eu, "Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]}));
    assert_eq!(unb64(&out["Plaintext"]), b"rotated");
    // Rotation is the primary's to manage.
    for op in ["EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"] {
        assert_eq!(code(&mut k, &eu, op, json!({"KeyId": id})), "UnsupportedOperationException");
    }
    // The replica shows the set's shared rotation: the primary's status and rotations.
    ok(&mut k, &us, "EnableKeyRotation", json!({"KeyId": id, "RotationPeriodInDays": 90}));
    let status = ok(&mut k, &eu, "GetKeyRotationStatus", json!({"KeyId": id}));
    assert_eq!(
        (status["KeyRotationEnabled"].clone(), status["RotationPeriodInDays"].clone()),
        (json!(true), json!(90))
    );
    assert_eq!(status["KeyId"], arn(EU, &id));
    let listed = |k: &mut Kms, c: &Caller| ok(k, c, "ListKeyRotations", json!({"KeyId": id}));
    let (there, here) = (listed(&mut k, &us), listed(&mut k, &eu));
    assert_eq!(here["Rotations"].as_array().map(Vec::len), Some(1));
    assert_eq!(here["Rotations"][0]["KeyMaterialId"], there["Rotations"][0]["KeyMaterialId"]);
}

#[test]
fn each_key_of_the_set_has_its_own_state_policy_and_aliases() {
    let mut k = kms();
    let id = mrk_with_replica(&mut k);
    let (us, eu) = (in_region(admin(), US), in_region(admin(), EU));
    ok(&mut k, &eu, "DisableKey", json!({"KeyId": id}));
    ok(&mut k, &us, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}));
    assert_eq!(
        code(&mut k, &eu, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")})),
        "DisabledException"
    );
    ok(&mut k, &eu, "EnableKey", json!({"KeyId": id}));
    // A policy put on the replica is the replica's only.
    // (KMS refuses a policy naming a role its account does not have.)
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    let policy = policy_with(&[json!({"Sid": "Replica", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:role/App")}, "Action": "kms:Decrypt",
        "Resource": "*"})]);
    ok(
        &mut k,
        &eu,
        "PutKeyPolicy",
        json!({"KeyId": id, "PolicyName": "default", "Policy": policy}),
    );
    let got = |k: &mut Kms, c: &Caller| {
        ok(k, c, "GetKeyPolicy", json!({"KeyId": id, "PolicyName": "default"}))["Policy"].clone()
    };
    assert_eq!(got(&mut k, &eu), policy.as_str());
    assert_eq!(got(&mut k, &us), keyward_kms::default_key_policy(ACCT).as_str());
    // The same alias name in each Region, each on its own key of the set.
    ok(&mut k, &eu, "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": id}));
    assert_eq!(describe(&mut k, EU, "alias/app")["Arn"], arn(EU, &id));
    assert_eq!(
        code(&mut k, &us, "DescribeKey", json!({"KeyId": "alias/app"})),
        "NotFoundException"
    );
}

#[test]
fn replicate_key_errors() {
    let mut k = kms();
    let id = mrk_with_replica(&mut k);
    let (us, eu) = (in_region(admin(), US), in_region(admin(), EU));
    for region in [US, EU] {
        let e = err(&mut k, &us, "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": region}));
        assert_eq!(e.code.as_str(), "AlreadyExistsException", "{region}: {}", e.message);
    }
    // Only a primary key is replicated; a single-Region key is not a multi-Region key.
    let e = err(&mut k, &eu, "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": "ap-south-1"}));
    assert_eq!(e.code.as_str(), "UnsupportedOperationException");
    // AWS's text (LocalStack's snapshot of AWS, test_replicate_replica_key_should_fail).
    assert_eq!(e.message, format!("{} is not a multi-region primary key.", arn(EU, &id)));
    let single = key(&mut k, json!({}));
    let e = err(&mut k, &us, "ReplicateKey", json!({"KeyId": single, "ReplicaRegion": EU}));
    assert_eq!(e.message, format!("{} is not a multi-Region key.", arn(US, &single)));
    // ReplicaRegion follows AWS's RegionType pattern; both fields are required.
    let e = err(&mut k, &us, "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": "mars"}));
    assert_eq!(e.code.as_str(), "ValidationException");
    assert!(e.message.contains("Value 'mars' at 'replicaRegion'"), "{}", e.message);
    assert_eq!(code(&mut k, &us, "ReplicateKey", json!({"KeyId": id})), "ValidationException");
    // A disabled primary is not replicated.
    ok(&mut k, &us, "DisableKey", json!({"KeyId": id}));
    let e = err(&mut k, &us, "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": "ap-south-1"}));
    assert_eq!(e.code.as_str(), "DisabledException");
}

#[test]
fn update_primary_region_swaps_the_roles() {
    let mut k = kms();
    let id = mrk_with_replica(&mut k);
    let us = in_region(admin(), US);
    let e = err(
        &mut k,
        &us,
        "UpdatePrimaryRegion",
        json!({"KeyId": id, "PrimaryRegion": "ap-south-1"}),
    );
    assert_eq!(e.code.as_str(), "NotFoundException");
    ok(&mut k, &us, "UpdatePrimaryRegion", json!({"KeyId": id, "PrimaryRegion": EU}));
    let kind = |m: &Value| m["MultiRegionConfiguration"]["MultiRegionKeyType"].clone();
    assert_eq!(kind(&describe(&mut k, US, &id)), "REPLICA");
    let eu = describe(&mut k, EU, &id);
    assert_eq!(kind(&eu), "PRIMARY");
    assert_eq!(eu["MultiRegionConfiguration"]["PrimaryKey"]["Region"], EU);
    assert_eq!(
        eu["MultiRegionConfiguration"]["ReplicaKeys"],
        json!([{"Arn": arn(US, &id), "Region": US}])
    );
    // The old primary is now a replica: it can no longer be replicated or made primary.
    let e = err(&mut k, &us, "UpdatePrimaryRegion", json!({"KeyId": id, "PrimaryRegion": EU}));
    assert_eq!(e.code.as_str(), "UnsupportedOperationException");
    let eu_caller = in_region(admin(), EU);
    ok(&mut k, &eu_caller, "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": "ap-south-1"}));
}

#[test]
fn a_primary_with_replicas_waits_for_them_to_be_deleted() {
    let mut k = kms();
    let id = mrk_with_replica(&mut k);
    let (us, eu) = (in_region(admin(), US), in_region(admin(), EU));
    let out =
        ok(&mut k, &us, "ScheduleKeyDeletion", json!({"KeyId": id, "PendingWindowInDays": 7}));
    assert_eq!(out["KeyState"], "PendingReplicaDeletion");
    assert!(out.get("DeletionDate").is_none(), "{out}");
    assert_eq!(out["PendingWindowInDays"], 7);
    assert_eq!(describe(&mut k, US, &id)["KeyState"], "PendingReplicaDeletion");
    let e = err(&mut k, &us, "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}));
    assert_eq!(e.code.as_str(), "KMSInvalidStateException");
    // The replica goes first; the primary's waiting period starts when it is gone.
    ok(&mut k, &eu, "ScheduleKeyDeletion", json!({"KeyId": id, "PendingWindowInDays": 7}));
    let later = T0 + 8 * DAY;
    assert_eq!(
        code(&mut k, &at(eu.clone(), later), "DescribeKey", json!({"KeyId": id})),
        "NotFoundException"
    );
    let primary = ok(&mut k, &at(us.clone(), later), "DescribeKey", json!({"KeyId": id}))
        ["KeyMetadata"]
        .clone();
    assert_eq!(primary["KeyState"], "PendingDeletion");
    assert_eq!(primary["DeletionDate"].as_f64(), Some(((later + 7 * DAY) / 1000) as f64));
    assert_eq!(primary["MultiRegionConfiguration"]["ReplicaKeys"], json!([]));
    let gone = T0 + 16 * DAY;
    assert_eq!(
        code(&mut k, &at(us, gone), "DescribeKey", json!({"KeyId": id})),
        "NotFoundException"
    );
}

#[test]
fn cancelling_a_primarys_deletion_while_replicas_exist() {
    let mut k = kms();
    let id = mrk_with_replica(&mut k);
    let us = in_region(admin(), US);
    ok(&mut k, &us, "ScheduleKeyDeletion", json!({"KeyId": id}));
    ok(&mut k, &us, "CancelKeyDeletion", json!({"KeyId": id}));
    assert_eq!(describe(&mut k, US, &id)["KeyState"], "Disabled");
}

const APP: &str = "arn:aws:iam::111122223333:role/App";

fn app(region: &str) -> Caller {
    in_region(as_(&format!("arn:aws:sts::{ACCT}:assumed-role/App/s")), region)
}

/// The condition keys of multi-Region keys, as the key policy and IAM policies read them.
#[test]
fn multi_region_condition_keys() {
    let mut k = kms();
    let id = mrk_with_replica(&mut k);
    // The role may replicate only to eu-central-1 and make only eu-west-1 primary, and may
    // create multi-Region keys only (kms:MultiRegion), and use replicas only
    // (kms:MultiRegionKeyType). kms:PutKeyPolicy passes the lockout safety check of the new
    // keys' policies.
    let identity = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:ReplicateKey", "Resource": "*",
         "Condition": {"StringEquals": {"kms:ReplicaRegion": "eu-central-1"}}},
        {"Effect": "Allow", "Action": "kms:UpdatePrimaryRegion", "Resource": "*",
         "Condition": {"StringEquals": {"kms:PrimaryRegion": EU}}},
        {"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*",
         "Condition": {"Bool": {"kms:MultiRegion": "true"}}},
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:MultiRegionKeyType": "REPLICA"}}},
        {"Effect": "Allow", "Action": "kms:PutKeyPolicy", "Resource": "*"}
    ]});
    k.put_identity(APP, vec![("mrk".into(), identity.to_string())], None, vec![]).unwrap();
    let denied = |k: &mut Kms, c: &Caller, op: &str, input: Value| {
        let e = err(k, c, op, input);
        assert_eq!(e.code.as_str(), "AccessDeniedException", "{op}: {}", e.message);
    };
    let us = app(US);
    denied(&mut k, &us, "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": "ap-south-1"}));
    ok(&mut k, &us, "ReplicateKey", json!({"KeyId": id, "ReplicaRegion": "eu-central-1"}));
    denied(
        &mut k,
        &us,
        "UpdatePrimaryRegion",
        json!({"KeyId": id, "PrimaryRegion": "eu-central-1"}),
    );
    denied(&mut k, &us, "CreateKey", json!({}));
    let made = ok(&mut k, &us, "CreateKey", json!({"MultiRegion": true}));
    assert!(made["KeyMetadata"]["KeyId"].as_str().unwrap().starts_with("mrk-"));
    let plain = json!({"KeyId": id, "Plaintext": b64(b"x")});
    denied(&mut k, &us, "Encrypt", plain.clone());
    ok(&mut k, &app(EU), "Encrypt", plain.clone());
    ok(&mut k, &us, "UpdatePrimaryRegion", json!({"KeyId": id, "PrimaryRegion": EU}));
    // us-east-1 is now a replica: the same call is allowed there, refused in eu-west-1.
    ok(&mut k, &us, "Encrypt", plain.clone());
    denied(&mut k, &app(EU), "Encrypt", plain);
}
