//! The KMS vocabulary (`eval::call::KMS_ACTIONS`) against the KMS action catalogue
//! (`tests/data/kms-catalog.json`, a copy of the project's reference catalogue, which names the
//! sources of each fact). Every action of the catalogue has a row and every row an action; each
//! flag agrees with the catalogue, except the departures listed here with their reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::eval::call::{kms_action, KmsAction, GRANT_OPERATIONS, KMS_ACTIONS};
use serde_json::Value;
use std::collections::BTreeSet;

fn catalog() -> Value {
    let text = include_str!("data/kms-catalog.json");
    serde_json::from_str(text).unwrap()
}

/// The catalogue's actions whose condition keys include `key`.
fn with_condition_key(cat: &Value, key: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (name, a) in cat["actions"].as_object().unwrap() {
        let has = a["resource_types"].as_array().unwrap().iter().any(|r| {
            r["condition_keys"].as_array().unwrap().iter().any(|k| k.as_str() == Some(key))
        });
        if has {
            out.insert(name.clone());
        }
    }
    out
}

fn rows(flag: impl Fn(&KmsAction) -> bool) -> BTreeSet<String> {
    KMS_ACTIONS.iter().filter(|a| flag(a)).map(|a| a.name.to_string()).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_catalogue_action_has_a_row_and_every_row_an_action() {
    let cat = catalog();
    let names: BTreeSet<String> = cat["actions"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(rows(|_| true), names);
    for a in KMS_ACTIONS {
        assert_eq!(a.iam, format!("kms:{}", a.name));
        assert_eq!(kms_action(a.iam), Some(a));
    }
}

#[test]
fn cross_account_use_and_key_resources_agree() {
    let cat = catalog();
    let actions = cat["actions"].as_object().unwrap();
    for a in KMS_ACTIONS {
        let c = &actions[a.name];
        // `null` in the catalogue (no public API operation, or not documented) counts as no.
        assert_eq!(a.cross_account, c["cross_account_use"] == Value::Bool(true), "{}", a.name);
        assert_eq!(a.on_key, c["key_resource_action"] == Value::Bool(true), "{}", a.name);
    }
}

#[test]
fn encryption_context_actions_agree_but_for_retire_grant() {
    let cat = catalog();
    let mut expected = with_condition_key(&cat, "kms:EncryptionContextKeys");
    // RetireGrant accepts the kms:EncryptionContext keys in a policy (they describe the grant
    // being retired), but its request carries no encryption context: grant constraints do not
    // apply to it.
    assert!(expected.remove("RetireGrant"));
    assert_eq!(rows(|a| a.encryption_context), expected);
}

#[test]
fn default_algorithm_actions_are_the_symmetric_ones_of_the_catalogue() {
    let cat = catalog();
    let mut expected = with_condition_key(&cat, "kms:EncryptionAlgorithm");
    // GenerateDataKeyPair(WithoutPlaintext) take kms:EncryptionAlgorithm in a policy, but keyward
    // does not default it for them (the key pair is not encrypted with a request algorithm
    // parameter); a policy condition on it reads a missing key, as before this table.
    for name in ["GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"] {
        assert!(expected.remove(name), "{name}");
    }
    assert_eq!(rows(|a| a.default_algorithm), expected);
}

#[test]
fn grant_for_aws_resource_actions_agree() {
    let cat = catalog();
    let expected = with_condition_key(&cat, "kms:GrantIsForAWSResource");
    assert_eq!(rows(|a| a.grant_for_aws_resource), expected);
}

#[test]
fn grant_operations_and_key_use_are_the_documented_lists() {
    // botocore `GrantOperation`.
    assert_eq!(
        rows(|a| a.grant_operation),
        GRANT_OPERATIONS.iter().map(|s| s.to_string()).collect()
    );
    // Cryptographic operations: the grant operations that use key material (not CreateGrant,
    // RetireGrant, DescribeKey, GetPublicKey).
    let expected = set(&[
        "Decapsulate",
        "Decrypt",
        "DeriveSharedSecret",
        "Encapsulate",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "ReEncryptFrom",
        "ReEncryptTo",
        "Sign",
        "Verify",
        "VerifyMac",
    ]);
    assert_eq!(rows(|a| a.key_use), expected);
    for a in KMS_ACTIONS.iter().filter(|a| a.key_use) {
        assert!(a.grant_operation && a.cross_account && a.on_key, "{}", a.name);
    }
}
