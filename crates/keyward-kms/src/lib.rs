//! keyward-kms: a local AWS KMS whose every call is authorized by keyward's evaluator first.
//!
//! Pure like keyward-core: time arrives with each call ([`Caller::now_ms`]), randomness
//! through an injected `CryptoRngCore`, and persistence through the [`store::Store`] trait.
//! The same core runs in the CLI (SQLite store), the server and the browser (memory store).
//!
//! Rust callers use the typed methods of [`Kms`] (`kms.decrypt(&caller, DecryptRequest {..})`)
//! with the request and response types of [`api`]; the JSON wire adapter ([`Kms::call`]) is
//! for the edges (the server, the WASM module). Every operation is declared once, in
//! [`operation`].

pub mod account;
pub mod api;
mod auth;
pub mod crypto;
pub mod error;
mod kms;
#[rustfmt::skip]
mod model;
pub mod operation;
pub mod ops;
pub mod record;
pub mod store;
pub mod trail;
pub mod types;
pub mod validate;
mod wire;

pub use api::SecretBlob;
pub use error::{ErrorCode, KmsError};
pub use kms::{Caller, Config, Kms};
pub use operation::{FieldType, Operation};
pub use ops::keys::default_key_policy;
pub use ops::Blob;
