//! The database schema, its migrations, and the connection settings that make commits durable.
//!
//! The schema version is SQLite's `user_version` header field; `MIGRATIONS[i]` takes a store
//! from version `i` to `i + 1`, and all pending SQL migrations run in one transaction; the
//! last step ([`keys_by_arn`]) re-seals rows, so it runs in its own transaction once the
//! master key is known. A store
//! written by a newer keyward (higher version) is refused rather than guessed at. The
//! `application_id` header field marks the file as a keyward store.

use std::time::Duration;

use aes_gcm::Aes256Gcm;
use keyward_kms::record::KeyRecord;
use keyward_kms::store::StoreError;
use rusqlite::{params, Connection, TransactionBehavior};

use crate::master::{self, aad};
use crate::{fail, sql};

/// `application_id` of a keyward store ("KWS1").
const APPLICATION_ID: i64 = 0x4b57_5331;

/// Version 1: one table per record type, keyed by the record's id. `record` is the record as
/// JSON; for `keys` and `access_keys`, whose records hold secrets, it is sealed (AES-256-GCM
/// under the master key, see `master.rs`) and only the non-secret columns beside it are
/// readable. `meta` holds the master-key check value.
const V1: &str = "
CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);
CREATE TABLE keys (
    key_id TEXT PRIMARY KEY NOT NULL,
    arn TEXT NOT NULL,
    account TEXT NOT NULL,
    state TEXT NOT NULL,
    record BLOB NOT NULL
);
CREATE TABLE aliases (
    arn TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    key_id TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE grants (
    grant_id TEXT PRIMARY KEY NOT NULL,
    key_id TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX grants_by_key ON grants (key_id);
CREATE TABLE identities (arn TEXT PRIMARY KEY NOT NULL, record TEXT NOT NULL);
CREATE TABLE access_keys (
    id TEXT PRIMARY KEY NOT NULL,
    principal TEXT NOT NULL,
    record BLOB NOT NULL
);
CREATE TABLE org_policies (
    name TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    record TEXT NOT NULL
);
";

/// Every SQL-only migration, oldest first.
const MIGRATIONS: &[&str] = &[V1];

/// The version the SQL migrations reach; [`keys_by_arn`] takes it to [`SCHEMA_VERSION`].
const SQL_VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 2: keys are keyed by key ARN, not key id (a multi-Region key has one record per
/// Region, all with one key id), and their rows are sealed with the ARN as associated data.
const V2_KEYS: &str = "
CREATE TABLE keys_v2 (
    arn TEXT PRIMARY KEY NOT NULL,
    key_id TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    state TEXT NOT NULL,
    record BLOB NOT NULL
);
";
const V2_SWAP: &str = "
DROP TABLE keys;
ALTER TABLE keys_v2 RENAME TO keys;
CREATE INDEX keys_by_id ON keys (key_id);
";

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = SQL_VERSION + 1;

/// Applies the connection settings.
pub(crate) fn configure(conn: &Connection) -> Result<(), StoreError> {
    // Another process (a CLI call beside `keyward serve`) may hold the write lock briefly.
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| sql("cannot set the busy timeout", e))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|e| sql("cannot switch to WAL mode", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(fail(format!("the file system refused WAL mode (journal mode is `{mode}`)")));
    }
    // FULL, not NORMAL: in WAL mode NORMAL syncs only at checkpoints, so a power loss can drop
    // the last commits even though `commit` had returned. The KMS acknowledges a call (a new
    // key, a grant) only after `commit` returns, and an acknowledged write must never be lost,
    // so every commit syncs the WAL. `fullfsync` makes that sync real on macOS (F_FULLFSYNC);
    // elsewhere it is ignored.
    for (name, value) in [
        ("synchronous", "FULL"),
        ("fullfsync", "ON"),
        ("checkpoint_fullfsync", "ON"),
        // Freed pages are zeroed, so a deleted key's sealed record does not linger in them.
        ("secure_delete", "ON"),
    ] {
        conn.pragma_update(None, name, value)
            .map_err(|e| sql(&format!("cannot set `{name}`"), e))?;
    }
    Ok(())
}

/// Brings the schema up to [`SCHEMA_VERSION`], refusing files that are not keyward stores and
/// stores from a newer keyward.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| sql("cannot start the schema migration", e))?;
    let read = |name: &str| -> Result<i64, StoreError> {
        tx.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
            .map_err(|e| sql(&format!("cannot read `{name}`"), e))
    };
    let app_id = read("application_id")?;
    let version = read("user_version")?;
    let tables: i64 = tx
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .map_err(|e| sql("cannot read the schema", e))?;
    if (app_id != 0 && app_id != APPLICATION_ID) || (version == 0 && tables > 0) {
        return Err(fail("the database is not a keyward store".to_owned()));
    }
    if version > SCHEMA_VERSION {
        return Err(fail(format!(
            "the store has schema version {version}, written by a newer keyward; this build \
             reads versions up to {SCHEMA_VERSION}"
        )));
    }
    if version >= SQL_VERSION {
        return Ok(());
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0))
    {
        tx.execute_batch(migration)
            .map_err(|e| sql(&format!("cannot migrate the schema to version {}", i + 1), e))?;
    }
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SQL_VERSION};"
    ))
    .map_err(|e| sql("cannot record the schema version", e))?;
    tx.commit().map_err(|e| sql("cannot commit the schema migration", e))
}

/// Version 1 to 2: moves every key row to its key ARN, re-sealing it under the master key with
/// the ARN as associated data, in one transaction (all or nothing). Keys of a version 1 store
/// are in the Region their record names, the one the store was used with. A row that does not
/// open under the master key stops the migration, naming it. Runs once the master key is known.
pub(crate) fn keys_by_arn(conn: &mut Connection, cipher: &Aes256Gcm) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| sql("cannot read `user_version`", e))?;
    if version != SQL_VERSION {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| sql("cannot start the schema migration to version 2", e))?;
    tx.execute_batch(V2_KEYS).map_err(|e| sql("cannot migrate the schema to version 2", e))?;
    let read_error = |e| sql("cannot read `keys`", e);
    let rows: Vec<(String, Vec<u8>)> = {
        let mut stmt = tx.prepare("SELECT key_id, record FROM keys").map_err(read_error)?;
        let rows = stmt
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?)))
            .map_err(read_error)?;
        rows.collect::<Result<_, _>>().map_err(read_error)?
    };
    for (id, sealed) in rows {
        let plain = master::open(cipher, &aad("keys", &id), &sealed).ok_or_else(|| {
            fail(format!(
                "record `keys`/`{id}` does not open under the master key; the store is not \
                 migrated"
            ))
        })?;
        let rec: KeyRecord = serde_json::from_slice(&plain).map_err(|_| {
            fail(format!("record `keys`/`{id}` is damaged; the store is not migrated"))
        })?;
        if rec.key_id != id {
            return Err(fail(format!("record `keys`/`{id}` holds a record with another id")));
        }
        let resealed = master::seal_json(cipher, &aad("keys", &rec.arn), &rec)?;
        tx.execute(
            "INSERT INTO keys_v2 (arn, key_id, account, region, state, record) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![rec.arn, rec.key_id, rec.account, rec.region, rec.state.as_str(), resealed],
        )
        .map_err(|e| sql(&format!("cannot migrate record `keys`/`{id}`"), e))?;
    }
    tx.execute_batch(V2_SWAP).map_err(|e| sql("cannot migrate the schema to version 2", e))?;
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))
        .map_err(|e| sql("cannot record the schema version", e))?;
    tx.commit().map_err(|e| sql("cannot commit the schema migration to version 2", e))
}
