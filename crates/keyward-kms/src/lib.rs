//! keyward-kms: a local AWS KMS whose every call is authorized by keyward's evaluator first.
//!
//! Pure like keyward-core: time arrives with each call, randomness through an injected
//! `CryptoRngCore`, and persistence through the [`store::Store`] trait. The same core runs in
//! the CLI (SQLite store), the server and the browser (in-memory store).

pub mod crypto;
pub mod record;
pub mod store;
pub mod types;
