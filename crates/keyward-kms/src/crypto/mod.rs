//! Cryptography for the local KMS, all from RustCrypto crates (pure Rust, runs in WASM).
//!
//! Randomness always comes from the caller (`&mut dyn CryptoRngCore`): this module reads no
//! OS entropy itself.

#[cfg(feature = "asymmetric")]
pub mod asym;
#[cfg(not(feature = "asymmetric"))]
#[path = "asym_none.rs"]
pub mod asym;
pub mod blob;
#[cfg(feature = "asymmetric")]
mod edwards;
pub mod envelope;
pub mod kwp;
pub mod mac;
#[cfg(feature = "asymmetric")]
mod mldsa;
#[cfg(feature = "asymmetric")]
mod mlkem;
pub mod premade;

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
    /// This build does not have the algorithm (the `asymmetric` feature is off).
    #[error("{0}")]
    Unsupported(String),
}

/// Generates fresh key material for `spec`: 32 random bytes for SYMMETRIC_DEFAULT, a PKCS#8
/// DER private key for RSA/ECC, and an HMAC key of the digest's block-size-appropriate length.
///
/// HMAC key lengths follow AWS: 28, 32, 48 and 64 bytes for HMAC_224/256/384/512. RSA keys use
/// the public exponent 65537.
pub fn generate_material(
    spec: KeySpec,
    rng: &mut dyn CryptoRngCore,
) -> Result<Secret, CryptoError> {
    match spec {
        KeySpec::SymmetricDefault => Ok(random_secret(SYMMETRIC_KEY_LEN, rng)),
        KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
            Ok(random_secret(hmac_key_len(spec), rng))
        }
        _ => asym::generate_private_key(spec, rng),
    }
}

/// Length in bytes of a SYMMETRIC_DEFAULT key (AES-256).
pub const SYMMETRIC_KEY_LEN: usize = 32;

/// The HMAC key length AWS generates for an HMAC spec (0 for other specs).
pub fn hmac_key_len(spec: KeySpec) -> usize {
    match spec {
        KeySpec::Hmac224 => 28,
        KeySpec::Hmac256 => 32,
        KeySpec::Hmac384 => 48,
        KeySpec::Hmac512 => 64,
        _ => 0,
    }
}

/// `len` random bytes as a [`Secret`] (data keys, GenerateRandom).
pub fn random_secret(len: usize, rng: &mut dyn CryptoRngCore) -> Secret {
    let mut bytes = vec![0u8; len];
    rng.fill_bytes(&mut bytes);
    Secret::new(bytes)
}

/// Checks that `material` is usable as key material of `spec` (ImportKeyMaterial): 32 bytes
/// for SYMMETRIC_DEFAULT; for HMAC specs, AWS's accepted lengths (HMAC_224: 28–64 bytes,
/// HMAC_256: 32–64, HMAC_384: 48–128, HMAC_512: 64–128); for RSA and ECC specs, a PKCS#8 DER
/// private key of exactly that spec.
pub fn check_material(spec: KeySpec, material: &[u8]) -> Result<(), CryptoError> {
    let bad = |what: &str| Err(CryptoError::InvalidInput(what.to_string()));
    match spec {
        KeySpec::SymmetricDefault if material.len() == SYMMETRIC_KEY_LEN => Ok(()),
        KeySpec::SymmetricDefault => bad("symmetric key material must be 32 bytes"),
        KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
            let min = hmac_key_len(spec);
            let max = if min <= 32 { 64 } else { 128 };
            if (min..=max).contains(&material.len()) {
                Ok(())
            } else {
                Err(CryptoError::InvalidInput(format!(
                    "{spec} key material must be {min} to {max} bytes"
                )))
            }
        }
        _ => asym::check_private_key(spec, material),
    }
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
