//! Stand-in for `asym.rs` when the `asymmetric` feature is off (the WASM build, to keep the
//! module small): RSA and elliptic-curve operations report that this build does not have them,
//! and the KMS answers UnsupportedOperationException. Symmetric and HMAC keys are unaffected.

use super::CryptoError;
use crate::record::Secret;
use crate::types::{
    EncryptionAlgorithm, KeySpec, MessageType, SigningAlgorithm, WrappingAlgorithm, WrappingKeySpec,
};
use rand_core::CryptoRngCore;

fn unsupported<T>() -> Result<T, CryptoError> {
    Err(CryptoError::Unsupported(
        "asymmetric keys (RSA, ECC, ML-DSA, ML-KEM) are not available in this build of keyward"
            .into(),
    ))
}

/// Largest plaintext `Encrypt` accepts: only the symmetric algorithm exists here.
pub fn max_plaintext(spec: KeySpec, alg: EncryptionAlgorithm) -> usize {
    match (spec, alg) {
        (KeySpec::SymmetricDefault, EncryptionAlgorithm::SymmetricDefault) => 4096,
        _ => 0,
    }
}

pub(super) fn generate_private_key(
    _spec: KeySpec,
    _rng: &mut dyn CryptoRngCore,
) -> Result<Secret, CryptoError> {
    unsupported()
}

pub(super) fn check_private_key(_spec: KeySpec, _der: &[u8]) -> Result<(), CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn rsa_encrypt(
    _private: &Secret,
    _alg: EncryptionAlgorithm,
    _plaintext: &[u8],
    _rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn rsa_decrypt(
    _private: &Secret,
    _alg: EncryptionAlgorithm,
    _ciphertext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn rsa_decrypt_with_rng(
    _private: &Secret,
    _alg: EncryptionAlgorithm,
    _ciphertext: &[u8],
    _rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn sign(
    _spec: KeySpec,
    _private: &Secret,
    _alg: SigningAlgorithm,
    _message: &[u8],
    _message_type: MessageType,
    _rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn verify(
    _spec: KeySpec,
    _private: &Secret,
    _alg: SigningAlgorithm,
    _message: &[u8],
    _message_type: MessageType,
    _signature: &[u8],
) -> Result<bool, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn public_key_der(_spec: KeySpec, _private: &Secret) -> Result<Vec<u8>, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn wrapping_key(
    _spec: WrappingKeySpec,
    _rng: &mut dyn CryptoRngCore,
) -> Result<(Secret, Vec<u8>), CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn unwrap_material(
    _private: &Secret,
    _alg: WrappingAlgorithm,
    _wrapped: &[u8],
) -> Result<Secret, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn wrap_material(
    _public_der: &[u8],
    _alg: WrappingAlgorithm,
    _material: &[u8],
    _rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn derive_shared_secret(
    _spec: KeySpec,
    _private: &Secret,
    _peer_spki: &[u8],
) -> Result<Secret, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn private_key_pkcs8(_spec: KeySpec, _private: &Secret) -> Result<Secret, CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn encapsulate(
    _spec: KeySpec,
    _private: &Secret,
    _rng: &mut dyn CryptoRngCore,
) -> Result<(Vec<u8>, Secret), CryptoError> {
    unsupported()
}

/// Not available in this build.
pub fn decapsulate(
    _spec: KeySpec,
    _private: &Secret,
    _ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    unsupported()
}
