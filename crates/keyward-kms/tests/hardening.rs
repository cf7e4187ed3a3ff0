//! Regression tests of the hardening pass (issue 16) at the KMS level: revocable access keys,
//! ListRetirableGrants limited to the caller's account, a simulated clock that never commits
//! an irreversible change, and a loaded state whose policies no longer parse failing closed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::account::DEFAULT_CALLER;
use keyward_kms::record::IdentityRecord;
use keyward_kms::store::{Change, State, Store, StoreError};
use keyward_kms::{Config, Kms};
use serde_json::json;
use std::sync::{Arc, Mutex};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const ROLE: &str = "arn:aws:iam::111122223333:role/App";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/App/s1";

#[test]
fn access_keys_are_revocable_and_follow_their_identity() {
    let mut k = kms();
    k.put_identity(ALICE, vec![], None, vec![]).unwrap();
    k.put_identity(ROLE, vec![], None, vec![]).unwrap();
    let a = k.create_access_key(ALICE, None, T0).unwrap().id;
    let s = k.create_access_key(SESSION, None, T0).unwrap().id;
    assert!(k.usable_access_key(&a).unwrap().is_some());
    assert!(k.usable_access_key(&s).unwrap().is_some());
    assert_eq!(k.usable_access_key("AKIANOSUCHKEY").unwrap(), None);

    // Inactive keys are refused; made active again they work.
    k.set_access_key_active(&a, false).unwrap();
    assert!(k.usable_access_key(&a).is_err());
    k.set_access_key_active(&a, true).unwrap();
    assert!(k.usable_access_key(&a).unwrap().is_some());

    // Deleting an identity is refused while keys act as it (DeleteUser's DeleteConflict).
    let e = k.delete_identity(ALICE).unwrap_err();
    assert_eq!(e.code.as_str(), "ConflictException");
    assert!(e.message.contains("must delete access keys first") && e.message.contains(&a), "{e}");
    let e = k.delete_identity(ROLE).unwrap_err();
    assert!(e.message.contains(&s), "{e}");
    k.delete_access_key(&a).unwrap();
    assert_eq!(k.usable_access_key(&a).unwrap(), None);
    assert_eq!(k.delete_access_key(&a).unwrap_err().code.as_str(), "NotFoundException");
    k.delete_identity(ALICE).unwrap();

    // A key whose identity is gone by other means (an older store) is refused too.
    let admin_key = k.create_access_key(DEFAULT_CALLER, None, T0).unwrap().id;
    assert!(k.usable_access_key(&admin_key).unwrap().is_some());
    let orphan = k.create_access_key(ALICE, None, T0).unwrap();
    assert!(k.usable_access_key(&orphan.id).is_err(), "alice no longer exists");
}

#[test]
fn list_retirable_grants_needs_a_principal_of_the_callers_account() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let partner = "arn:aws:iam::444455556666:role/Partner";
    ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": id, "GranteePrincipal": partner, "RetiringPrincipal": partner,
               "Operations": ["Decrypt"],
               "Constraints": {"EncryptionContextEquals": {"secret": "context"}}}),
    );
    let e = err(&mut k, &admin(), "ListRetirableGrants", json!({"RetiringPrincipal": partner}));
    assert_eq!(e.code.as_str(), "AccessDeniedException");
    assert!(e.message.contains("must be in the caller's account 111122223333"), "{e}");
    // In the caller's own account it lists as before.
    ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": id, "GranteePrincipal": ROLE, "RetiringPrincipal": ROLE,
               "Operations": ["Decrypt"]}),
    );
    let out = ok(&mut k, &admin(), "ListRetirableGrants", json!({"RetiringPrincipal": ROLE}));
    assert_eq!(out["Grants"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(
        code(&mut k, &admin(), "ListRetirableGrants", json!({"RetiringPrincipal": "not-an-arn"})),
        "AccessDeniedException"
    );
    // Spaces break the model's PrincipalIdType pattern: AWS's ValidationException first.
    assert_eq!(
        code(&mut k, &admin(), "ListRetirableGrants", json!({"RetiringPrincipal": "not an arn"})),
        "ValidationException"
    );
}

/// A store that records commits, so a test can see what was written.
#[derive(Clone, Default)]
struct Recording {
    state: State,
    commits: Arc<Mutex<Vec<Change>>>,
}

impl Store for Recording {
    fn load(&mut self) -> Result<State, StoreError> {
        Ok(self.state.clone())
    }
    fn commit(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        self.commits.lock().unwrap().extend_from_slice(changes);
        Ok(())
    }
}

fn open(store: Recording) -> Result<Kms, StoreError> {
    Kms::open(Box::new(store), Box::new(rand_core::OsRng), Config::default())
}

#[test]
fn a_simulated_clock_never_completes_a_deletion_or_rotation() {
    let store = Recording::default();
    let commits = Arc::clone(&store.commits);
    let mut k = open(store).unwrap();
    k.seed_defaults().unwrap();
    let id = key(&mut k, json!({}));
    let rotating = key(&mut k, json!({}));
    ok(&mut k, &admin(), "EnableKeyRotation", json!({"KeyId": rotating}));
    ok(&mut k, &admin(), "ScheduleKeyDeletion", json!({"KeyId": id, "PendingWindowInDays": 30}));
    let written = commits.lock().unwrap().len();

    // A read-only call 31 days later, with a simulated time: the key shows as deleted, but
    // nothing is committed, and a call that would write is refused.
    k.simulate_clock(true);
    let later = at(admin(), T0 + 400 * DAY);
    assert_eq!(code(&mut k, &later, "DescribeKey", json!({"KeyId": id})), "NotFoundException");
    assert_eq!(commits.lock().unwrap().len(), written, "a simulated tick committed");
    let e =
        err(&mut k, &later, "UpdateKeyDescription", json!({"KeyId": rotating, "Description": "x"}));
    assert!(e.message.contains("only the real clock may complete"), "{e}");
    assert_eq!(commits.lock().unwrap().len(), written);

    // The real clock completes them.
    let mut k2 = open(Recording::default()).unwrap();
    k2.seed_defaults().unwrap();
    let id2 = key(&mut k2, json!({}));
    ok(&mut k2, &admin(), "ScheduleKeyDeletion", json!({"KeyId": id2, "PendingWindowInDays": 7}));
    assert_eq!(
        code(&mut k2, &at(admin(), T0 + 8 * DAY), "DescribeKey", json!({"KeyId": id2})),
        "NotFoundException"
    );

    // A simulated time with nothing due may still write.
    let mut k3 = open(Recording::default()).unwrap();
    k3.seed_defaults().unwrap();
    k3.simulate_clock(true);
    let id3 = key(&mut k3, json!({}));
    ok(&mut k3, &admin(), "UpdateKeyDescription", json!({"KeyId": id3, "Description": "y"}));
}

#[test]
fn a_stored_policy_that_no_longer_parses_stops_the_open() {
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*"}]}"#;
    let broken = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"NoSuchOperator":{"a":"b"}}}]}"#;
    let identity = |policies: Vec<(String, String)>, boundary: Option<String>| IdentityRecord {
        arn: ALICE.to_string(),
        unique_id: "AIDAEXAMPLE".to_string(),
        policies,
        boundary,
        tags: Vec::new(),
        iam: None,
    };
    let good = Recording {
        state: State {
            identities: vec![identity(vec![("deny".into(), deny.into())], None)],
            ..State::default()
        },
        ..Recording::default()
    };
    assert!(open(good).is_ok());
    for (what, rec) in [
        ("identity policy `deny`", identity(vec![("deny".into(), broken.into())], None)),
        ("the permissions boundary", identity(vec![], Some(broken.into()))),
    ] {
        let store = Recording {
            state: State { identities: vec![rec], ..State::default() },
            ..Recording::default()
        };
        let e = open(store).expect_err("a broken policy must not open");
        assert!(e.0.contains(&format!("record `identities`/`{ALICE}`: {what}")), "{e}");
        assert!(e.0.contains("no longer parses") && e.0.contains("line 1, column"), "{e}");
    }
}
