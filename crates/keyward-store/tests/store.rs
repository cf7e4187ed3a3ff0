//! Behaviour of `SqliteStore`: round trips of every record type, persistence across reopen,
//! atomic commits, the master key (check value, key file, environment) and encryption at rest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod support;

use std::path::Path;

use base64::Engine as _;
use keyward_kms::store::{Change, State, Store};
use keyward_store::{MasterKey, SqliteStore, DB_FILE, KEY_FILE, MASTER_KEY_ENV};
use support::*;

const ACCESS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEYX";

/// One record of every type; keys sorted as the store returns them (by id).
fn sample_state() -> State {
    let mut keys = vec![key(1), full_key(2)];
    keys.sort_by(|a, b| a.key_id.cmp(&b.key_id));
    State {
        aliases: vec![alias(1, &keys[0].key_id)],
        grants: vec![grant(1, &keys[0].key_id)],
        keys,
        identities: vec![identity(1)],
        access_keys: vec![access_key(1, ACCESS_SECRET)],
        org_policies: vec![org_policy(1)],
    }
}

fn puts(state: &State) -> Vec<Change> {
    let mut out = Vec::new();
    out.extend(state.keys.iter().map(|k| Change::PutKey(Box::new(k.clone()))));
    out.extend(state.aliases.iter().map(|a| Change::PutAlias(a.clone())));
    out.extend(state.grants.iter().map(|g| Change::PutGrant(Box::new(g.clone()))));
    out.extend(state.identities.iter().map(|i| Change::PutIdentity(Box::new(i.clone()))));
    out.extend(state.access_keys.iter().map(|a| Change::PutAccessKey(Box::new(a.clone()))));
    out.extend(state.org_policies.iter().map(|p| Change::PutOrgPolicy(Box::new(p.clone()))));
    out
}

#[test]
fn every_record_type_round_trips_and_survives_reopen() {
    let dir = tmp();
    let state = sample_state();
    {
        let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
        assert_eq!(store.load().unwrap(), State::default());
        store.commit(&puts(&state)).unwrap();
        assert_eq!(store.load().unwrap(), state);
        store.integrity_check().unwrap();
    }
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    assert_eq!(store.load().unwrap(), state);
    assert_eq!(store.path(), dir.path().join(DB_FILE));
}

#[test]
fn puts_replace_and_deletes_remove() {
    let dir = tmp();
    let state = sample_state();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    store.commit(&puts(&state)).unwrap();

    let mut changed = state.keys[0].clone();
    changed.policy = policy(1, 9);
    changed.state = keyward_kms::types::KeyState::Disabled;
    store
        .commit(&[
            Change::PutKey(Box::new(changed.clone())),
            Change::DeleteKey(state.keys[1].arn.clone()),
            Change::DeleteAlias(state.aliases[0].arn.clone()),
            Change::DeleteGrant(state.grants[0].grant_id.clone()),
            Change::DeleteIdentity(state.identities[0].arn.clone()),
            Change::DeleteAccessKey(state.access_keys[0].id.clone()),
            Change::DeleteOrgPolicy(state.org_policies[0].name.clone()),
            // Deleting what is not there is not an error.
            Change::DeleteKey("no-such-key".to_owned()),
        ])
        .unwrap();
    drop(store);
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    let want = State { keys: vec![changed], ..State::default() };
    assert_eq!(store.load().unwrap(), want);
}

#[test]
fn a_failing_change_rolls_back_the_whole_commit() {
    let dir = tmp();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    store.commit(&[Change::PutKey(Box::new(key(1)))]).unwrap();
    let before = store.load().unwrap();

    let mut bad = key(3);
    bad.key_id = String::new();
    let err = store
        .commit(&[
            Change::PutKey(Box::new(key(2))),
            Change::PutGrant(Box::new(grant(2, &key_id(2)))),
            Change::DeleteKey(key_arn(1)),
            Change::PutKey(Box::new(bad)),
        ])
        .unwrap_err();
    assert!(err.0.contains("empty id"), "{err}");
    assert_eq!(store.load().unwrap(), before);
    // The store is still usable after the failed commit.
    store.commit(&[Change::PutKey(Box::new(key(2)))]).unwrap();
    assert_eq!(store.load().unwrap().keys.len(), 2);
    drop(store);
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    assert_eq!(store.load().unwrap().keys.len(), 2);
    assert!(store.commit(&[]).is_ok());
}

#[test]
fn wrong_master_key_is_a_clear_error() {
    let dir = tmp();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    store.commit(&[Change::PutKey(Box::new(key(1)))]).unwrap();
    drop(store);
    let err = SqliteStore::open_with_key(dir.path(), Some(master(2))).unwrap_err();
    assert!(err.0.contains("master key does not match this store"), "{err}");
    // Not even an empty store opens under another key.
    let empty = tmp();
    drop(SqliteStore::open_with_key(empty.path(), Some(master(1))).unwrap());
    assert!(SqliteStore::open_with_key(empty.path(), Some(master(2))).is_err());
}

#[cfg(unix)]
#[test]
fn key_file_is_created_private_and_reused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tmp();
    let state_dir = dir.path().join("nested").join("state");
    let mut store = SqliteStore::open_with_key(&state_dir, None).unwrap();
    store.commit(&[Change::PutKey(Box::new(key(1)))]).unwrap();
    drop(store);

    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let key_path = state_dir.join(KEY_FILE);
    assert_eq!(mode(&key_path), 0o600);
    assert_eq!(mode(&state_dir), 0o700);
    let text = std::fs::read_to_string(&key_path).unwrap();
    assert_eq!(text.len(), 65, "64 hex characters and a newline");
    let leftovers: Vec<_> = std::fs::read_dir(&state_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Reopening uses the same file; its text also works as an explicit key.
    let mut store = SqliteStore::open_with_key(&state_dir, None).unwrap();
    assert_eq!(store.load().unwrap().keys, vec![key(1)]);
    drop(store);
    let explicit = MasterKey::parse(&text).unwrap();
    assert!(SqliteStore::open_with_key(&state_dir, Some(explicit)).is_ok());

    // A key file others can read is refused, with the fix.
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = SqliteStore::open_with_key(&state_dir, None).unwrap_err();
    assert!(err.0.contains("chmod 600"), "{err}");
    assert!(err.0.contains("group or others"), "{err}");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();

    // A damaged key file is a shape error, not a new key.
    std::fs::write(&key_path, "not a key\n").unwrap();
    let err = SqliteStore::open_with_key(&state_dir, None).unwrap_err();
    assert!(err.0.contains("64 hex characters"), "{err}");

    // A store with data whose key file is gone is not silently given a new key.
    std::fs::remove_file(&key_path).unwrap();
    let err = SqliteStore::open_with_key(&state_dir, None).unwrap_err();
    assert!(err.0.contains("master key is missing"), "{err}");
    assert!(!key_path.exists());
}

/// The only test in this binary that touches the process environment.
#[test]
fn master_key_from_the_environment() {
    let dir = tmp();
    let hex = master(5).to_hex();
    std::env::set_var(MASTER_KEY_ENV, hex.as_str());
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store.commit(&[Change::PutKey(Box::new(key(1)))]).unwrap();
    drop(store);
    assert!(!dir.path().join(KEY_FILE).exists(), "no key file when the variable is set");

    // The same key in base64 opens it too.
    let b64 = base64::engine::general_purpose::STANDARD.encode([5u8; 32]);
    std::env::set_var(MASTER_KEY_ENV, &b64);
    assert_eq!(SqliteStore::open(dir.path()).unwrap().load().unwrap().keys.len(), 1);

    std::env::set_var(MASTER_KEY_ENV, "0123");
    let err = SqliteStore::open(dir.path()).unwrap_err();
    assert!(err.0.contains(MASTER_KEY_ENV) && err.0.contains("64 hex characters"), "{err}");
    assert!(!err.0.contains("0123"), "the value is not echoed: {err}");

    std::env::set_var(MASTER_KEY_ENV, master(6).to_hex().as_str());
    let err = SqliteStore::open(dir.path()).unwrap_err();
    assert!(err.0.contains("master key does not match"), "{err}");
    std::env::remove_var(MASTER_KEY_ENV);
}

fn files_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_str().unwrap().starts_with(DB_FILE) {
            all.extend(std::fs::read(path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn secrets_are_encrypted_at_rest() {
    let dir = tmp();
    let pattern = b"KEYMATERIAL-PATTERN-0123456789AB".to_vec();
    let mut k = key(1);
    k.materials[0].secret = keyward_kms::record::Secret::new(pattern.clone());
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pattern);
    let needles: [&[u8]; 4] =
        [&pattern, b64.as_bytes(), ACCESS_SECRET.as_bytes(), b"WRAPPING-KEY-DER-BYTES"];

    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    store
        .commit(&[
            Change::PutKey(Box::new(k.clone())),
            Change::PutKey(Box::new(full_key(2))),
            Change::PutAccessKey(Box::new(access_key(1, ACCESS_SECRET))),
            Change::PutAlias(alias(1, &k.key_id)),
        ])
        .unwrap();
    for bytes in [files_bytes(dir.path()), {
        drop(store);
        files_bytes(dir.path())
    }] {
        // Sanity: the search does find plaintext columns.
        assert!(contains(&bytes, b"alias/a1"));
        assert!(contains(&bytes, k.key_id.as_bytes()));
        for needle in needles {
            assert!(!contains(&bytes, needle), "{} found", String::from_utf8_lossy(needle));
        }
    }
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    assert_eq!(store.load().unwrap().keys[0].materials[0].secret.expose(), &pattern[..]);
    assert!(!format!("{store:?}").contains("KEYMATERIAL"));
}

#[test]
fn sealed_rows_cannot_be_swapped_or_altered() {
    let dir = tmp();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    store.commit(&[Change::PutKey(Box::new(key(1))), Change::PutKey(Box::new(key(2)))]).unwrap();
    drop(store);

    let db = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let record = |id: &str| -> Vec<u8> {
        db.query_row("SELECT record FROM keys WHERE key_id = ?1", [id], |r| r.get(0)).unwrap()
    };
    let (one, two) = (record(&key_id(1)), record(&key_id(2)));
    db.execute("UPDATE keys SET record = ?1 WHERE key_id = ?2", rusqlite::params![two, key_id(1)])
        .unwrap();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    let err = store.load().unwrap_err();
    assert!(err.0.contains("does not open under the master key"), "{err}");

    let mut flipped = one.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x80;
    db.execute(
        "UPDATE keys SET record = ?1 WHERE key_id = ?2",
        rusqlite::params![flipped, key_id(1)],
    )
    .unwrap();
    assert!(store.load().is_err());
    db.execute("UPDATE keys SET record = ?1 WHERE key_id = ?2", rusqlite::params![one, key_id(1)])
        .unwrap();
    assert_eq!(store.load().unwrap().keys.len(), 2);

    // Every row is bound to its id: an alias row moved to another id does not open.
    store.commit(&[Change::PutAlias(alias(1, &key_id(1)))]).unwrap();
    db.execute("UPDATE aliases SET arn = 'other'", []).unwrap();
    let err = store.load().unwrap_err();
    assert!(err.0.contains("`aliases`/`other` does not open"), "{err}");
}

#[test]
fn foreign_and_newer_databases_are_refused() {
    let dir = tmp();
    {
        let db = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        db.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY)").unwrap();
    }
    let err = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap_err();
    assert!(err.0.contains("not a keyward store"), "{err}");

    let dir = tmp();
    drop(SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap());
    {
        let db = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        db.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    let err = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap_err();
    assert!(err.0.contains("newer keyward"), "{err}");
}

#[test]
fn the_database_is_in_wal_mode_with_full_sync() {
    let dir = tmp();
    let store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    let db = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let mode: String = db.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, keyward_store::SCHEMA_VERSION);
    drop(store);
}

#[test]
fn one_process_at_a_time_owns_a_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let key = || Some(keyward_store::MasterKey::from_bytes([9u8; 32]));
    let first = keyward_store::SqliteStore::open_with_key(dir.path(), key()).unwrap();
    let wait = std::time::Duration::from_millis(100);
    let second = keyward_store::SqliteStore::open_with_key_wait(dir.path(), key(), wait);
    let msg = second.err().map(|e| e.0).unwrap_or_default();
    assert!(msg.contains("in use by another keyward process"), "{msg}");
    drop(first);
    keyward_store::SqliteStore::open_with_key_wait(dir.path(), key(), wait).unwrap();
}
