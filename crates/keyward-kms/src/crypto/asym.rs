//! RSA and elliptic-curve operations: OAEP encryption, signatures, public keys, data key pairs
//! and the RSA wrapping keys of key-material import.

use super::CryptoError;
use crate::record::Secret;
use crate::types::{
    EncryptionAlgorithm, KeySpec, MessageType, SigningAlgorithm, WrappingAlgorithm, WrappingKeySpec,
};
use rand_core::CryptoRngCore;

/// Largest plaintext `Encrypt` accepts for an asymmetric key and algorithm.
pub fn max_plaintext(spec: KeySpec, alg: EncryptionAlgorithm) -> usize {
    let _ = (spec, alg);
    0
}

/// RSA-OAEP encryption with the public half of `private` (PKCS#8 DER).
pub fn rsa_encrypt(
    private: &Secret,
    alg: EncryptionAlgorithm,
    plaintext: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    let _ = (private, alg, plaintext, rng);
    Err(CryptoError::Internal("rsa_encrypt: not implemented yet".into()))
}

/// RSA-OAEP decryption.
pub fn rsa_decrypt(
    private: &Secret,
    alg: EncryptionAlgorithm,
    ciphertext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let _ = (private, alg, ciphertext);
    Err(CryptoError::InvalidCiphertext)
}

/// Signs `message` (RAW: hashed here; DIGEST: already the digest of the algorithm's hash).
pub fn sign(
    spec: KeySpec,
    private: &Secret,
    alg: SigningAlgorithm,
    message: &[u8],
    message_type: MessageType,
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    let _ = (spec, private, alg, message, message_type, rng);
    Err(CryptoError::Internal("sign: not implemented yet".into()))
}

/// Verifies a signature; `Ok(false)` when it does not verify.
pub fn verify(
    spec: KeySpec,
    private: &Secret,
    alg: SigningAlgorithm,
    message: &[u8],
    message_type: MessageType,
    signature: &[u8],
) -> Result<bool, CryptoError> {
    let _ = (spec, private, alg, message, message_type, signature);
    Ok(false)
}

/// The DER SubjectPublicKeyInfo of an asymmetric key.
pub fn public_key_der(spec: KeySpec, private: &Secret) -> Result<Vec<u8>, CryptoError> {
    let _ = (spec, private);
    Err(CryptoError::Internal("public_key_der: not implemented yet".into()))
}

/// A new RSA wrapping key pair for ImportKeyMaterial: (PKCS#8 private, SPKI DER public).
pub fn wrapping_key(
    spec: WrappingKeySpec,
    rng: &mut dyn CryptoRngCore,
) -> Result<(Secret, Vec<u8>), CryptoError> {
    let _ = (spec, rng);
    Err(CryptoError::Internal("wrapping_key: not implemented yet".into()))
}

/// Unwraps imported key material encrypted to the wrapping key.
pub fn unwrap_material(
    private: &Secret,
    alg: WrappingAlgorithm,
    wrapped: &[u8],
) -> Result<Secret, CryptoError> {
    let _ = (private, alg, wrapped);
    Err(CryptoError::InvalidCiphertext)
}
