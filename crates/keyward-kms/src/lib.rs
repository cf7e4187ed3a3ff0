//! keyward-kms: a local AWS KMS whose every call is authorized by keyward's evaluator first.
//!
//! Pure like keyward-core: time arrives with each call ([`Caller::now_ms`]), randomness
//! through an injected `CryptoRngCore`, and persistence through the [`store::Store`] trait.
//! The same core runs in the CLI (SQLite store), the server and the browser (memory store).

pub mod account;
mod auth;
pub mod crypto;
mod dispatch;
pub mod error;
mod kms;
pub mod ops;
pub mod record;
pub mod store;
pub mod types;

pub use dispatch::OPERATIONS;
pub use error::{ErrorCode, KmsError};
pub use kms::{Caller, Config, Kms};
pub use ops::keys::default_key_policy;
pub use ops::Blob;
