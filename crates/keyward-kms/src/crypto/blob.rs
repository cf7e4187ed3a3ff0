//! The symmetric ciphertext blob: versioned header (key id, material id), nonce, AES-256-GCM
//! ciphertext and tag, with the canonical encryption context as associated data.

use super::CryptoError;
use crate::record::Material;
use rand_core::CryptoRngCore;
use std::collections::BTreeMap;

/// What a blob's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHeader {
    /// Key id (UUID) of the key that encrypted it.
    pub key_id: String,
    /// Id of the material version that encrypted it.
    pub material_id: String,
}

/// Encrypts `plaintext` under `material` of key `key_id`, binding `context`.
pub fn seal(
    key_id: &str,
    material: &Material,
    context: &BTreeMap<String, String>,
    plaintext: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    let _ = (key_id, material, context, plaintext, rng);
    Err(CryptoError::Internal("seal: not implemented yet".into()))
}

/// Reads a blob's header without decrypting.
pub fn header(blob: &[u8]) -> Result<BlobHeader, CryptoError> {
    let _ = blob;
    Err(CryptoError::InvalidCiphertext)
}

/// Decrypts a blob with `material`; any change to blob or context is InvalidCiphertext.
pub fn open(
    material: &Material,
    blob: &[u8],
    context: &BTreeMap<String, String>,
) -> Result<Vec<u8>, CryptoError> {
    let _ = (material, blob, context);
    Err(CryptoError::InvalidCiphertext)
}
