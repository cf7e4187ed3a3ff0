//! keyward-bundle: keyward's JSON API for front ends, shared by the WASM module (`wasm/`) and the
//! Python package (`bindings/python`), so both return the same JSON for the same input.
//!
//! Each function takes JSON text (an explain *bundle*: documents as text plus a `request`
//! object; a scenario file; a KMS call) and returns a `serde_json::Value`: `{"ok": true, ...}`
//! or `{"ok": false, "error": {message, field?, line?, column?, ...}}`, never a panic. Positions
//! come as line:column (characters) and UTF-16 offsets for JS editors. The shapes are typed in
//! `wasm/keyward.d.ts`.
//!
//! Pure like the crates it adapts: no I/O, no clock, no OS randomness. Files a scenario names
//! arrive through a resolver, and the KMS session is given its random number generator.

pub mod access;
pub mod explain;
pub mod kms;
pub mod lint;
pub mod scenario;
pub mod service_call;
pub mod util;

pub use util::out;
