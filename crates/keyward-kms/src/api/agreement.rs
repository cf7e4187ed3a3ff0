//! Requests and responses of the key-agreement operation, DeriveSharedSecret.

use super::{nullable, SecretBlob};
use crate::ops::Blob;
use crate::types::Origin;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// DeriveSharedSecret input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeriveSharedSecretRequest {
    /// A KEY_AGREEMENT key (NIST curve).
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// `ECDH`, the only key agreement algorithm.
    #[serde(deserialize_with = "nullable")]
    pub key_agreement_algorithm: String,
    /// The peer's public key: DER SubjectPublicKeyInfo on the key's curve.
    pub public_key: Option<Blob>,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// DryRun.
    pub dry_run: Option<bool>,
    /// Attestation (not supported locally; must be absent).
    pub recipient: Option<Value>,
}

/// DeriveSharedSecret output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeriveSharedSecretResponse {
    /// Key ARN.
    pub key_id: String,
    /// The raw shared secret (the x-coordinate of the shared point).
    pub shared_secret: SecretBlob,
    /// `ECDH`.
    pub key_agreement_algorithm: &'static str,
    /// The key's origin.
    pub key_origin: Origin,
}
