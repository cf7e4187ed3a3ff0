//! Requests and responses of the key-encapsulation operations, Encapsulate and Decapsulate
//! (ML-KEM keys).

use super::{nullable, SecretBlob};
use crate::ops::Blob;
use serde::{Deserialize, Serialize};

/// Encapsulate input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EncapsulateRequest {
    /// An ENCAPSULATE_DECAPSULATE key (ML-KEM).
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// `ML_KEM`, the only key encapsulation algorithm.
    #[serde(deserialize_with = "nullable")]
    pub encapsulation_algorithm: String,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// Encapsulate output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncapsulateResponse {
    /// Key ARN.
    pub key_id: String,
    /// The 32-byte shared secret.
    pub shared_secret: SecretBlob,
    /// Its encapsulated form: 768, 1088 or 1568 bytes for ML_KEM_512, 768 or 1024.
    pub shared_secret_ciphertext_blob: Blob,
    /// `ML_KEM`.
    pub encapsulation_algorithm: &'static str,
}

/// Decapsulate input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DecapsulateRequest {
    /// The ENCAPSULATE_DECAPSULATE key whose public key encapsulated the secret.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// The encapsulated shared secret (Encapsulate's SharedSecretCiphertextBlob).
    pub shared_secret_ciphertext_blob: Option<Blob>,
    /// `ML_KEM`.
    #[serde(deserialize_with = "nullable")]
    pub encapsulation_algorithm: String,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// Decapsulate output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecapsulateResponse {
    /// Key ARN.
    pub key_id: String,
    /// The 32-byte shared secret.
    pub shared_secret: SecretBlob,
    /// `ML_KEM`.
    pub encapsulation_algorithm: &'static str,
}
