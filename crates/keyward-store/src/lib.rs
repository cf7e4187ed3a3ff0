//! The durable store behind keyward's local KMS: [`SqliteStore`] implements
//! [`keyward_kms::store::Store`] over an SQLite database in WAL mode, one transaction per
//! commit, synced before `commit` returns. Every record is sealed with AES-256-GCM bound to its
//! table and row id: those holding secrets (keys with their material, access keys) under a
//! master key, the others under a key derived from it, so a row written without the master key
//! stops the store from opening; see [`MasterKey`].
//!
//! This crate is native only (files, OS randomness); it is not part of the WASM build.
//!
//! Layout of a state directory (see [`resolve_state_dir`]):
//!
//! ```text
//! DIR/            mode 0700
//!   keyward.db    the SQLite database (+ keyward.db-wal, keyward.db-shm while open)
//!   master.key    64 hex characters, mode 0600; absent when KEYWARD_MASTER_KEY is used
//! ```

mod location;
mod master;
mod schema;
mod sqlite;

pub use keyward_kms::store::StoreError;
pub use location::{resolve_state_dir, resolve_state_dir_with, STATE_ENV};
pub use master::{MasterKey, KEY_FILE, MASTER_KEY_ENV};
pub use schema::SCHEMA_VERSION;
pub use sqlite::{Init, SqliteStore, DB_FILE};

/// A store error with `message`. Messages never contain row contents or key bytes.
pub(crate) fn fail(message: String) -> StoreError {
    StoreError(message)
}

/// A store error for a failed SQLite call. SQLite's messages name tables, columns and
/// conditions, never bound values, so they are safe to show.
pub(crate) fn sql(what: &str, e: rusqlite::Error) -> StoreError {
    StoreError(format!("{what}: {e}"))
}
