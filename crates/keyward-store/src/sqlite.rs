//! [`SqliteStore`]: opening a state directory (directory, database, schema, master key and its
//! check value), loading the whole state, and committing a list of changes in one durable
//! transaction.

use std::path::{Path, PathBuf};

use aes_gcm::Aes256Gcm;
use keyward_kms::record::{
    AccessKeyRecord, AliasRecord, GrantRecord, IdentityRecord, KeyRecord, OrgPolicyRecord,
};
use keyward_kms::store::{Change, State, Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension as _, Params, Transaction};
use serde::de::DeserializeOwned;

use crate::master::{self, aad, MasterKey};
use crate::{fail, schema, sql};

/// The database file inside the state directory.
pub const DB_FILE: &str = "keyward.db";

/// `meta` row holding a constant sealed under the master key: opening it proves the key is the
/// one the store was created with. The constant also says how rows are kept: `v2` stores seal
/// every row; `v1` stores (written before) kept aliases, grants, identities and organization
/// policies as plain JSON and are upgraded once, in one transaction, when opened. A v2 value
/// cannot be turned back into v1 without the master key.
const CHECK_NAME: &str = "master_key_check";
const CHECK_V1: &str = "keyward master key check v1";
const CHECK_VALUE: &str = "keyward master key check v2";

/// The tables whose rows hold no secret: sealed (authenticated, and encrypted) under a key
/// derived from the master key for this purpose, so a row inserted or altered by someone who
/// can write the database but lacks the master key does not open and the store refuses to
/// start. The secret-bearing tables (`keys`, `access_keys`) are sealed under the master key.
const ROW_TABLES: &[(&str, &str)] =
    &[("aliases", "arn"), ("grants", "grant_id"), ("identities", "arn"), ("org_policies", "name")];
const ROW_KEY_PURPOSE: &str = "row authentication v1";

/// How [`SqliteStore::open_with`] treats a state directory whose database is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// A missing database is created only when the directory holds no `master.key` either
    /// (a new state directory). A `master.key` without its database means the database was
    /// deleted or moved: opening refuses rather than silently start an empty store.
    IfNew,
    /// Create a new empty database even beside an existing `master.key` (which it then uses).
    Allow,
}
/// The SQLite store. One per process is the intended use: the KMS keeps the state in memory
/// and this store is its write-ahead copy.
pub struct SqliteStore {
    conn: Connection,
    cipher: Aes256Gcm,
    /// Seals the rows of [`ROW_TABLES`].
    rows: Aes256Gcm,
    /// This open created the database.
    created: bool,
    path: PathBuf,
    /// Held for the store's lifetime: one process at a time owns a state directory, because
    /// the KMS keeps the state in memory and writes whole records back.
    /// The state directory's lock (none for a read-only open).
    _lock: Option<std::fs::File>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`: the directory (mode 0700), `keyward.db`,
    /// and the master key from `KEYWARD_MASTER_KEY`, else `dir/master.key` (created with mode
    /// 0600 when the store is new).
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with_key(dir, MasterKey::from_env()?)
    }

    /// Like [`SqliteStore::open`] with the master key given: `Some(key)` uses it, `None` uses
    /// (or creates) the key file. The environment is not read.
    pub fn open_with_key(dir: &Path, key: Option<MasterKey>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with_key_wait(dir, key, LOCK_WAIT)
    }

    /// Like [`SqliteStore::open_with_key`], waiting at most `wait` for another process that
    /// holds the state directory.
    pub fn open_with_key_wait(
        dir: &Path,
        key: Option<MasterKey>,
        wait: std::time::Duration,
    ) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(dir, key, wait, Init::IfNew)
    }

    /// Opens the store in `dir` with the master key given (`None`: the key file), waiting at
    /// most `wait` for another process, creating a missing database as `init` allows.
    pub fn open_with(
        dir: &Path,
        key: Option<MasterKey>,
        wait: std::time::Duration,
        init: Init,
    ) -> Result<SqliteStore, StoreError> {
        create_dir(dir)?;
        let lock = lock_dir(dir, wait)?;
        let path = dir.join(DB_FILE);
        let inspect = |p: &Path| {
            p.try_exists().map_err(|e| fail(format!("cannot inspect `{}`: {e}", p.display())))
        };
        let existed = inspect(&path)?;
        let key_path = dir.join(master::KEY_FILE);
        if !existed && init == Init::IfNew && inspect(&key_path)? {
            return Err(fail(format!(
                "`{}` is missing but its master key `{}` is there: the database was deleted or \
                 moved. Restore it, or pass --init to start a new, empty store with this key",
                path.display(),
                key_path.display()
            )));
        }
        let mut conn = Connection::open(&path)
            .map_err(|e| sql(&format!("cannot open `{}`", path.display()), e))?;
        let context = |e: StoreError| fail(format!("`{}`: {}", path.display(), e.0));
        schema::configure(&conn).map_err(context)?;
        schema::migrate(&mut conn).map_err(context)?;
        if !existed {
            master::sync_dir(dir)?;
        }
        let key = match key {
            Some(key) => key,
            None => master::key_file(dir, read_check(&conn)?.is_none())?,
        };
        let cipher = key.cipher()?;
        let rows = key.derived_cipher(ROW_KEY_PURPOSE)?;
        let created = read_check(&conn)?.is_none();
        if created {
            let sealed = master::seal_json(&cipher, &aad("meta", CHECK_NAME), &CHECK_VALUE)?;
            // OR IGNORE: if another process created the store at the same moment, its check
            // value stands and ours is verified against it below.
            conn.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES (?1, ?2)",
                params![CHECK_NAME, sealed],
            )
            .map_err(|e| sql("cannot write the master key check value", e))?;
        }
        let check = read_check(&conn)?.unwrap_or_default();
        let opened = master::open(&cipher, &aad("meta", CHECK_NAME), &check);
        let is = |value: &str| {
            opened.as_deref().map(Vec::as_slice) == Some(format!("\"{value}\"").as_bytes())
        };
        if is(CHECK_V1) {
            seal_legacy_rows(&mut conn, &cipher, &rows)?;
        } else if !is(CHECK_VALUE) {
            return Err(fail(format!(
                "master key does not match this store `{}`: use the key it was created with \
                 (`{}` or `{}`)",
                path.display(),
                master::MASTER_KEY_ENV,
                key_path.display()
            )));
        }
        schema::keys_by_arn(&mut conn, &cipher).map_err(context)?;
        Ok(SqliteStore { conn, cipher, rows, created, path, _lock: Some(lock) })
    }

    /// Opens an existing store for reading only, without taking the state directory's lock,
    /// so it can be read while `keyward serve` runs on it (`keyward explain --cloudtrail
    /// --state`). Nothing is created or migrated; every commit fails.
    pub fn open_read_only(dir: &Path, key: Option<MasterKey>) -> Result<SqliteStore, StoreError> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(fail(format!("no keyward store in `{}` (no {DB_FILE})", dir.display())));
        }
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags)
            .map_err(|e| sql(&format!("cannot open `{}` for reading", path.display()), e))?;
        conn.busy_timeout(LOCK_WAIT).map_err(|e| sql("cannot set the busy timeout", e))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| sql("cannot read `user_version`", e))?;
        if version != schema::SCHEMA_VERSION {
            return Err(fail(format!(
                "the store `{}` has schema version {version}, this keyward reads version {}: \
                 open it once with `keyward iam list` (which migrates it) first",
                path.display(),
                schema::SCHEMA_VERSION
            )));
        }
        let key = match key {
            Some(key) => key,
            None => master::key_file(dir, false)?,
        };
        let cipher = key.cipher()?;
        let rows = key.derived_cipher(ROW_KEY_PURPOSE)?;
        let check = read_check(&conn)?.unwrap_or_default();
        let opened = master::open(&cipher, &aad("meta", CHECK_NAME), &check);
        if opened.as_deref().map(Vec::as_slice) != Some(format!("\"{CHECK_VALUE}\"").as_bytes()) {
            return Err(fail(format!(
                "master key does not match this store `{}`, or the store was written by an \
                 older keyward (open it once with `keyward iam list` first)",
                path.display()
            )));
        }
        Ok(SqliteStore { conn, cipher, rows, created: false, path, _lock: None })
    }

    /// Whether this open created the database (a new store: the only time the default
    /// account should be seeded).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `PRAGMA integrity_check`; an error lists the first problems SQLite found.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| sql("cannot check integrity", e))?;
        let lines = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.take(5).collect::<Result<Vec<_>, _>>())
            .map_err(|e| sql("cannot check integrity", e))?;
        if lines.len() == 1 && lines[0] == "ok" {
            Ok(())
        } else {
            Err(fail(format!(
                "`{}` failed its integrity check: {}",
                self.path.display(),
                lines.join("; ")
            )))
        }
    }
}

impl Store for SqliteStore {
    fn load(&mut self) -> Result<State, StoreError> {
        // One read transaction, so the tables are read from one snapshot.
        let tx = self.conn.transaction().map_err(|e| sql("cannot start reading", e))?;
        let (c, r) = (&self.cipher, &self.rows);
        let state = State {
            keys: load_table(&tx, c, "keys", "arn", |r: &KeyRecord| &r.arn)?,
            aliases: load_table(&tx, r, "aliases", "arn", |r: &AliasRecord| &r.arn)?,
            grants: load_table(&tx, r, "grants", "grant_id", |r: &GrantRecord| &r.grant_id)?,
            identities: load_table(&tx, r, "identities", "arn", |r: &IdentityRecord| &r.arn)?,
            access_keys: load_table(&tx, c, "access_keys", "id", |r: &AccessKeyRecord| &r.id)?,
            org_policies: load_table(&tx, r, "org_policies", "name", |r: &OrgPolicyRecord| {
                &r.name
            })?,
        };
        tx.finish().map_err(|e| sql("cannot finish reading", e))?;
        Ok(state)
    }

    fn commit(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        // IMMEDIATE takes the write lock up front, so a busy store waits (busy_timeout) here
        // instead of failing half-way. Dropping `tx` on an error rolls everything back.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| sql("cannot start a write", e))?;
        for change in changes {
            apply(&tx, &self.cipher, &self.rows, change)?;
        }
        // With WAL and synchronous=FULL the WAL is fsynced before this returns.
        tx.commit().map_err(|e| sql("cannot commit", e))
    }
}

/// Creates the state directory (and missing parents) with mode 0700.
fn create_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| fail(format!("cannot create state directory `{}`: {e}", dir.display())))
}

fn read_check(conn: &Connection) -> Result<Option<Vec<u8>>, StoreError> {
    conn.query_row("SELECT value FROM meta WHERE name = ?1", [CHECK_NAME], |row| row.get(0))
        .optional()
        .map_err(|e| sql("cannot read the master key check value", e))
}

/// Reads every row of `table`, opening each sealed row with `cipher`. A row that does not open
/// (inserted or altered without the master key, or moved from another row) stops the load with
/// an error naming it. Each record's own id must equal its row id.
fn load_table<T: DeserializeOwned>(
    tx: &Transaction<'_>,
    cipher: &Aes256Gcm,
    table: &str,
    id_col: &str,
    id_of: impl Fn(&T) -> &String,
) -> Result<Vec<T>, StoreError> {
    let read_error = |e| sql(&format!("cannot read `{table}`"), e);
    let mut stmt = tx
        .prepare(&format!("SELECT {id_col}, record FROM {table} ORDER BY {id_col}"))
        .map_err(read_error)?;
    let mut rows = stmt.query([]).map_err(read_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(read_error)? {
        let id: String = row.get(0).map_err(read_error)?;
        let record = row.get_ref(1).map_err(read_error)?;
        let unsealed = match record {
            rusqlite::types::ValueRef::Blob(sealed) => {
                master::open(cipher, &aad(table, &id), sealed)
            }
            _ => None,
        };
        let plain = unsealed.ok_or_else(|| {
            fail(format!(
                "record `{table}`/`{id}` does not open under the master key (damaged, altered, \
                 inserted without the key, or moved from another row); the store is not opened"
            ))
        })?;
        let value: T = decode(&plain, table, &id)?;
        if *id_of(&value) != id {
            return Err(fail(format!("record `{table}`/`{id}` holds a record with another id")));
        }
        out.push(value);
    }
    Ok(out)
}

/// Upgrades a store written before every row was sealed: seals the plain rows of
/// [`ROW_TABLES`] and writes the current check value, in one transaction.
fn seal_legacy_rows(
    conn: &mut Connection,
    cipher: &Aes256Gcm,
    rows: &Aes256Gcm,
) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| sql("cannot start sealing the store's rows", e))?;
    for (table, id_col) in ROW_TABLES {
        let read_error = |e| sql(&format!("cannot read `{table}`"), e);
        let plain: Vec<(String, Vec<u8>)> = {
            let mut stmt =
                tx.prepare(&format!("SELECT {id_col}, record FROM {table}")).map_err(read_error)?;
            let rows = stmt
                .query_map([], |row| {
                    let bytes = match row.get_ref(1)? {
                        rusqlite::types::ValueRef::Text(t) => t.to_vec(),
                        other => other.as_bytes().map(<[u8]>::to_vec).unwrap_or_default(),
                    };
                    Ok((row.get::<_, String>(0)?, bytes))
                })
                .map_err(read_error)?;
            rows.collect::<Result<_, _>>().map_err(read_error)?
        };
        for (id, bytes) in plain {
            let value: serde_json::Value = decode(&bytes, table, &id)?;
            let sealed = master::seal_json(rows, &aad(table, &id), &value)?;
            exec(
                &tx,
                table,
                &id,
                &format!("UPDATE {table} SET record = ?1 WHERE {id_col} = ?2"),
                params![sealed, id],
            )?;
        }
    }
    let check = master::seal_json(cipher, &aad("meta", CHECK_NAME), &CHECK_VALUE)?;
    tx.execute("UPDATE meta SET value = ?1 WHERE name = ?2", params![check, CHECK_NAME])
        .map_err(|e| sql("cannot write the master key check value", e))?;
    tx.commit().map_err(|e| sql("cannot commit the sealed rows", e))
}

/// Decodes a record's JSON. The error gives only the position: serde's messages can quote
/// values, and a value may be secret.
fn decode<T: DeserializeOwned>(json: &[u8], table: &str, id: &str) -> Result<T, StoreError> {
    serde_json::from_slice(json).map_err(|e| {
        fail(format!(
            "record `{table}`/`{id}` is damaged (undecodable at line {} column {})",
            e.line(),
            e.column()
        ))
    })
}

fn non_empty<'a>(table: &str, id: &'a str) -> Result<&'a str, StoreError> {
    if id.is_empty() {
        Err(fail(format!("cannot store a record in `{table}` with an empty id")))
    } else {
        Ok(id)
    }
}

fn exec(
    tx: &Transaction<'_>,
    table: &str,
    id: &str,
    statement: &str,
    params: impl Params,
) -> Result<(), StoreError> {
    tx.prepare_cached(statement)
        .and_then(|mut stmt| stmt.execute(params))
        .map(drop)
        .map_err(|e| sql(&format!("cannot write record `{table}`/`{id}`"), e))
}

fn apply(
    tx: &Transaction<'_>,
    cipher: &Aes256Gcm,
    rows: &Aes256Gcm,
    change: &Change,
) -> Result<(), StoreError> {
    match change {
        Change::PutKey(k) => {
            let id = non_empty("keys", &k.arn)?;
            non_empty("keys", &k.key_id)?;
            let sealed = master::seal_json(cipher, &aad("keys", id), k.as_ref())?;
            exec(
                tx,
                "keys",
                id,
                "INSERT OR REPLACE INTO keys (arn, key_id, account, region, state, record) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, k.key_id, k.account, k.region, k.state.as_str(), sealed],
            )
        }
        Change::DeleteKey(arn) => delete(tx, "keys", arn, "DELETE FROM keys WHERE arn = ?1"),
        Change::PutAlias(a) => {
            let id = non_empty("aliases", &a.arn)?;
            exec(
                tx,
                "aliases",
                id,
                "INSERT OR REPLACE INTO aliases (arn, name, key_id, record) VALUES (?1, ?2, ?3, ?4)",
                params![id, a.name, a.key_id, master::seal_json(rows, &aad("aliases", id), a)?],
            )
        }
        Change::DeleteAlias(id) => delete(tx, "aliases", id, "DELETE FROM aliases WHERE arn = ?1"),
        Change::PutGrant(g) => {
            let id = non_empty("grants", &g.grant_id)?;
            exec(
                tx,
                "grants",
                id,
                "INSERT OR REPLACE INTO grants (grant_id, key_id, record) VALUES (?1, ?2, ?3)",
                params![id, g.key_id, master::seal_json(rows, &aad("grants", id), g.as_ref())?],
            )
        }
        Change::DeleteGrant(id) => {
            delete(tx, "grants", id, "DELETE FROM grants WHERE grant_id = ?1")
        }
        Change::PutIdentity(i) => {
            let id = non_empty("identities", &i.arn)?;
            exec(
                tx,
                "identities",
                id,
                "INSERT OR REPLACE INTO identities (arn, record) VALUES (?1, ?2)",
                params![id, master::seal_json(rows, &aad("identities", id), i.as_ref())?],
            )
        }
        Change::DeleteIdentity(id) => {
            delete(tx, "identities", id, "DELETE FROM identities WHERE arn = ?1")
        }
        Change::PutAccessKey(a) => {
            let id = non_empty("access_keys", &a.id)?;
            let sealed = master::seal_json(cipher, &aad("access_keys", id), a.as_ref())?;
            exec(
                tx,
                "access_keys",
                id,
                "INSERT OR REPLACE INTO access_keys (id, principal, record) VALUES (?1, ?2, ?3)",
                params![id, a.principal, sealed],
            )
        }
        Change::DeleteAccessKey(id) => {
            delete(tx, "access_keys", id, "DELETE FROM access_keys WHERE id = ?1")
        }
        Change::PutOrgPolicy(p) => {
            let id = non_empty("org_policies", &p.name)?;
            exec(
                tx,
                "org_policies",
                id,
                "INSERT OR REPLACE INTO org_policies (name, kind, record) VALUES (?1, ?2, ?3)",
                params![id, p.kind, master::seal_json(rows, &aad("org_policies", id), p.as_ref())?],
            )
        }
        Change::DeleteOrgPolicy(id) => {
            delete(tx, "org_policies", id, "DELETE FROM org_policies WHERE name = ?1")
        }
    }
}

/// Deletes a row; deleting an absent row is not an error (the KMS checks existence itself).
fn delete(tx: &Transaction<'_>, table: &str, id: &str, statement: &str) -> Result<(), StoreError> {
    exec(tx, table, non_empty(table, id)?, statement, [id])
}

/// How long [`lock_dir`] waits for another process to release the state directory.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Takes the state directory's exclusive lock (`DIR/lock`), waiting up to `wait`.
/// The kernel releases it when the process ends, however it ends.
fn lock_dir(dir: &Path, wait: std::time::Duration) -> Result<std::fs::File, StoreError> {
    use fs4::fs_std::FileExt as _;
    let path = dir.join("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| fail(format!("cannot open `{}`: {e}", path.display())))?;
    let start = std::time::Instant::now();
    loop {
        match file.try_lock_exclusive() {
            Ok(true) => return Ok(file),
            Ok(false) if start.elapsed() < wait => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(false) => {
                return Err(fail(format!(
                    "the state directory `{}` is in use by another keyward process (a running `keyward serve`?); stop it or use another --state",
                    dir.display()
                )))
            }
            Err(e) => return Err(fail(format!("cannot lock `{}`: {e}", path.display()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store written before every row was sealed (check value v1, plain JSON rows) is
    /// upgraded once; afterwards a plain row no longer loads.
    #[test]
    fn a_v1_store_is_sealed_once_on_open() {
        let dir = std::env::temp_dir().join(format!("keyward-v1-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let key = || Some(MasterKey::from_bytes([3; 32]));
        let alias = AliasRecord {
            arn: "arn:aws:kms:us-east-1:111122223333:alias/a".into(),
            name: "alias/a".into(),
            key_id: "k".into(),
            created_ms: 0,
            updated_ms: 0,
        };
        {
            let store = SqliteStore::open_with_key(&dir, key()).unwrap();
            let v1 = master::seal_json(&store.cipher, &aad("meta", CHECK_NAME), &CHECK_V1).unwrap();
            let plain = serde_json::to_string(&alias).unwrap();
            let set = store
                .conn
                .execute("UPDATE meta SET value = ?1 WHERE name = ?2", params![v1, CHECK_NAME])
                .and_then(|_| {
                    store.conn.execute(
                        "INSERT INTO aliases (arn, name, key_id, record) VALUES (?1, 'n', 'k', ?2)",
                        params![alias.arn, plain],
                    )
                });
            assert!(set.is_ok());
        }
        let mut store = SqliteStore::open_with_key(&dir, key()).unwrap();
        let state = store.load().unwrap();
        assert_eq!(state.aliases, vec![alias.clone()]);
        // Now v2: a plain row inserted later is refused.
        let plain = serde_json::to_string(&alias).unwrap();
        let forged = store.conn.execute(
            "INSERT INTO aliases (arn, name, key_id, record) VALUES ('x', 'n', 'k', ?1)",
            params![plain],
        );
        assert!(forged.is_ok());
        assert!(store.load().is_err());
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A version 1 store (keys keyed by key id, sealed with the id) keeps its keys when opened:
    /// they move to their ARN, re-sealed, and a row that was not sealed under the master key
    /// stops the migration instead of being dropped.
    #[test]
    fn a_v1_store_keeps_its_keys_under_their_arns() {
        let dir = std::env::temp_dir().join(format!("keyward-v1-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let key = || Some(MasterKey::from_bytes([4; 32]));
        let rec: KeyRecord = serde_json::from_value(serde_json::json!({
            "key_id": "k1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k1",
            "account": "111122223333", "region": "eu-west-1", "created_ms": 5,
            "description": "old", "spec": "SYMMETRIC_DEFAULT", "usage": "ENCRYPT_DECRYPT",
            "origin": "AWS_KMS", "state": "Enabled", "deletion_ms": null,
            "pending_window_days": null, "policy": "{}", "tags": [], "rotation": null,
            "rotations": [], "materials": [], "import": null, "material_expires_ms": null
        }))
        .unwrap();
        let make_v1 = |forged: bool| {
            let store = SqliteStore::open_with_key(&dir, key()).unwrap();
            let sealed = master::seal_json(&store.cipher, &aad("keys", "k1"), &rec).unwrap();
            let record = if forged { serde_json::to_vec(&rec).unwrap() } else { sealed };
            let v1 = "DROP TABLE keys; CREATE TABLE keys (key_id TEXT PRIMARY KEY NOT NULL, \
                      arn TEXT NOT NULL, account TEXT NOT NULL, state TEXT NOT NULL, \
                      record BLOB NOT NULL); PRAGMA user_version = 1;";
            store.conn.execute_batch(v1).unwrap();
            store
                .conn
                .execute(
                    "INSERT INTO keys (key_id, arn, account, state, record) \
                     VALUES ('k1', ?1, '111122223333', 'Enabled', ?2)",
                    params![rec.arn, record],
                )
                .unwrap();
        };
        make_v1(false);
        let mut store = SqliteStore::open_with_key(&dir, key()).unwrap();
        assert_eq!(store.load().unwrap().keys, vec![rec.clone()]);
        let version: i64 = store.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, schema::SCHEMA_VERSION);
        drop(store);
        // Reopening a migrated store changes nothing.
        let mut store = SqliteStore::open_with_key(&dir, key()).unwrap();
        assert_eq!(store.load().unwrap().keys, vec![rec.clone()]);
        drop(store);
        make_v1(true);
        let e = SqliteStore::open_with_key(&dir, key()).unwrap_err();
        assert!(e.0.contains("record `keys`/`k1` does not open"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
