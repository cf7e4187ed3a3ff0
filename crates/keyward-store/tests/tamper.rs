//! Regression tests of the hardening pass (issue 16) for the store: every row is
//! authenticated, so rows written without the master key stop the store from opening with an
//! error naming the row; a database deleted beside its `master.key` is not silently replaced
//! by an empty one; the store says whether it was created by this open.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod support;

use keyward_kms::store::{Change, Store};
use keyward_store::{Init, SqliteStore, DB_FILE, KEY_FILE};
use std::time::Duration;
use support::*;

fn db(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(DB_FILE)).unwrap()
}

#[test]
fn rows_written_without_the_master_key_stop_the_open() {
    let dir = tmp();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    let k = key(1);
    store
        .commit(&[
            Change::PutKey(Box::new(k.clone())),
            Change::PutGrant(Box::new(grant(1, &k.key_id))),
            Change::PutIdentity(Box::new(identity(1))),
            Change::PutOrgPolicy(Box::new(org_policy(1))),
            Change::PutAlias(alias(1, &k.key_id)),
        ])
        .unwrap();
    drop(store);
    let conn = db(dir.path());
    // The plain JSON a writer without the master key would insert: a grant, an identity, an
    // alias, an SCP, each a valid record.
    let forged = [
        ("grants", "grant_id", "grant_id, key_id", serde_json::to_string(&grant(2, &k.key_id))),
        ("identities", "arn", "arn", serde_json::to_string(&identity(2))),
        ("org_policies", "name", "name, kind", serde_json::to_string(&org_policy(2))),
        ("aliases", "arn", "arn, name, key_id", serde_json::to_string(&alias(2, &k.key_id))),
    ];
    for (table, id_col, cols, json) in forged {
        let json = json.unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let id = value[match table {
            "grants" => "grant_id",
            "org_policies" => "name",
            _ => "arn",
        }]
        .as_str()
        .unwrap()
        .to_string();
        let extra: Vec<String> = match table {
            "grants" => vec![id.clone(), k.key_id.clone()],
            "org_policies" => vec![id.clone(), "scp".into()],
            "aliases" => vec![id.clone(), "alias/forged".into(), k.key_id.clone()],
            _ => vec![id.clone()],
        };
        let placeholders: Vec<String> = (1..=extra.len() + 1).map(|i| format!("?{i}")).collect();
        let mut params: Vec<&dyn rusqlite::ToSql> =
            extra.iter().map(|v| v as &dyn rusqlite::ToSql).collect();
        params.push(&json);
        conn.execute(
            &format!("INSERT INTO {table} ({cols}, record) VALUES ({})", placeholders.join(", ")),
            params.as_slice(),
        )
        .unwrap();
        let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
        let err = store.load().unwrap_err();
        assert!(
            err.0.contains(&format!("record `{table}`/`{id}` does not open")),
            "{table}: {err}"
        );
        drop(store);
        conn.execute(&format!("DELETE FROM {table} WHERE {id_col} = ?1"), [&id]).unwrap();
        let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
        assert_eq!(store.load().unwrap().grants.len(), 1, "the genuine rows still load");
    }
    // A genuine sealed grant copied under another id does not open either.
    let sealed: Vec<u8> = conn.query_row("SELECT record FROM grants", [], |r| r.get(0)).unwrap();
    conn.execute(
        "INSERT INTO grants (grant_id, key_id, record) VALUES ('copy', ?1, ?2)",
        rusqlite::params![k.key_id, sealed],
    )
    .unwrap();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    assert!(store.load().unwrap_err().0.contains("`grants`/`copy` does not open"));
}

#[test]
fn rows_are_not_readable_as_plain_json() {
    let dir = tmp();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    store.commit(&[Change::PutIdentity(Box::new(identity(1)))]).unwrap();
    drop(store);
    let record: Vec<u8> =
        db(dir.path()).query_row("SELECT record FROM identities", [], |r| r.get(0)).unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&record).is_err());
}

#[test]
fn a_deleted_database_beside_its_master_key_is_not_silently_replaced() {
    let dir = tmp();
    let wait = Duration::from_secs(5);
    let mut store = SqliteStore::open_with(dir.path(), None, wait, Init::IfNew).unwrap();
    assert!(store.created());
    store.commit(&[Change::PutKey(Box::new(key(1)))]).unwrap();
    drop(store);
    let store = SqliteStore::open_with(dir.path(), None, wait, Init::IfNew).unwrap();
    assert!(!store.created());
    drop(store);
    for f in [DB_FILE, "keyward.db-wal", "keyward.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(f));
    }
    let err = SqliteStore::open_with(dir.path(), None, wait, Init::IfNew).unwrap_err();
    assert!(err.0.contains("is missing but its master key") && err.0.contains("--init"), "{err}");
    assert!(err.0.contains(KEY_FILE), "{err}");
    assert!(!dir.path().join(DB_FILE).exists(), "refusing creates nothing");
    let mut store = SqliteStore::open_with(dir.path(), None, wait, Init::Allow).unwrap();
    assert!(store.created());
    assert!(store.load().unwrap().keys.is_empty());
}
