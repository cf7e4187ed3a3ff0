//! Cryptography for the local KMS, all from RustCrypto crates (pure Rust, runs in WASM).
//!
//! Randomness always comes from the caller (`&mut dyn CryptoRngCore`): this module reads no
//! OS entropy itself.

pub mod asym;
pub mod blob;
pub mod envelope;
pub mod mac;

use crate::record::Secret;
use crate::types::KeySpec;
use rand_core::CryptoRngCore;

/// A cryptographic failure, mapped by the KMS to the AWS error of the calling operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// Ciphertext, tag, header or associated data (encryption context) do not verify.
    #[error("the ciphertext is invalid or does not match its encryption context")]
    InvalidCiphertext,
    /// A signature or MAC does not verify.
    #[error("verification failed")]
    InvalidSignature,
    /// The input is unusable for this key (too long, wrong algorithm, ...).
    #[error("{0}")]
    InvalidInput(String),
    /// Stored key material is unusable (a bug or a corrupted store).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Generates fresh key material for `spec`: 32 random bytes for SYMMETRIC_DEFAULT, a PKCS#8
/// DER private key for RSA/ECC, and an HMAC key of the digest's block-size-appropriate length.
pub fn generate_material(
    spec: KeySpec,
    rng: &mut dyn CryptoRngCore,
) -> Result<Secret, CryptoError> {
    let _ = (spec, rng);
    Err(CryptoError::Internal("generate_material: not implemented yet".into()))
}

/// 32 random bytes as 64 lower-case hex characters (grant ids, key-material ids).
pub fn random_hex_id(rng: &mut dyn CryptoRngCore) -> String {
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A random version-4 UUID (key ids).
pub fn random_uuid(rng: &mut dyn CryptoRngCore) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
