//! Ed25519 keys (`ECC_NIST_EDWARDS25519`) through ed25519-dalek: ED25519_SHA_512 is pure
//! Ed25519 over the message (RAW only); ED25519_PH_SHA_512 is Ed25519ph (RFC 8032, empty
//! context) over the SHA-512 digest of the message (RAW: hashed here; DIGEST: the 64-byte
//! digest given). Private keys are stored as PKCS#8 DER; signatures are the 64-byte R ‖ S.

use super::CryptoError;
use crate::record::Secret;
use crate::types::{MessageType, SigningAlgorithm};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use rand_core::CryptoRngCore;
use sha2::digest::{consts::U64, FixedOutput, HashMarker, Output, OutputSizeUser, Reset, Update};
use sha2::{Digest, Sha512};

fn bad_material() -> CryptoError {
    CryptoError::Internal("stored key material is not an Ed25519 key".into())
}

/// A new Ed25519 private key as PKCS#8 DER.
pub(super) fn generate(rng: &mut dyn CryptoRngCore) -> Result<Secret, CryptoError> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(seed.as_mut());
    let der = SigningKey::from_bytes(&seed).to_pkcs8_der().map_err(|_| bad_material())?;
    Ok(Secret::new(der.as_bytes().to_vec()))
}

fn key(der: &[u8]) -> Result<SigningKey, CryptoError> {
    SigningKey::from_pkcs8_der(der).map_err(|_| bad_material())
}

/// Checks imported material: a PKCS#8 Ed25519 private key.
pub(super) fn check(der: &[u8]) -> bool {
    key(der).is_ok()
}

/// The DER SubjectPublicKeyInfo.
pub(super) fn public_der(der: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let spki = key(der)?.verifying_key().to_public_key_der().map_err(|_| bad_material())?;
    Ok(spki.as_bytes().to_vec())
}

/// A SHA-512 digest already computed, handed to ed25519-dalek's prehashed API (which takes a
/// hasher and finalizes it).
#[derive(Clone)]
struct Computed([u8; 64]);

impl Default for Computed {
    fn default() -> Computed {
        Computed([0; 64])
    }
}

impl HashMarker for Computed {}
impl OutputSizeUser for Computed {
    type OutputSize = U64;
}
impl Update for Computed {
    fn update(&mut self, _data: &[u8]) {}
}
impl Reset for Computed {
    fn reset(&mut self) {}
}
impl FixedOutput for Computed {
    fn finalize_into(self, out: &mut Output<Self>) {
        out.copy_from_slice(&self.0);
    }
}

/// What is signed: the message (pure Ed25519) or its SHA-512 digest (Ed25519ph).
enum Input<'a> {
    Pure(&'a [u8]),
    Prehashed(Computed),
}

fn input<'a>(
    alg: SigningAlgorithm,
    message: &'a [u8],
    message_type: MessageType,
) -> Result<Input<'a>, CryptoError> {
    match (alg, message_type) {
        (SigningAlgorithm::Ed25519Sha512, MessageType::Raw) => Ok(Input::Pure(message)),
        (SigningAlgorithm::Ed25519PhSha512, MessageType::Raw) => {
            Ok(Input::Prehashed(Computed(Sha512::digest(message).into())))
        }
        (SigningAlgorithm::Ed25519PhSha512, MessageType::Digest) => {
            let digest: [u8; 64] = message.try_into().map_err(|_| {
                CryptoError::InvalidInput(format!(
                    "a DIGEST message for {alg} must be the 64-byte SHA-512 digest; got {} bytes",
                    message.len()
                ))
            })?;
            Ok(Input::Prehashed(Computed(digest)))
        }
        _ => Err(CryptoError::InvalidInput(format!(
            "signing algorithm {alg} does not accept message type {message_type}"
        ))),
    }
}

/// Signs (Ed25519 is deterministic).
pub(super) fn sign(
    der: &[u8],
    alg: SigningAlgorithm,
    message: &[u8],
    message_type: MessageType,
) -> Result<Vec<u8>, CryptoError> {
    let key = key(der)?;
    let sig = match input(alg, message, message_type)? {
        Input::Pure(m) => key.sign(m),
        Input::Prehashed(d) => key
            .sign_prehashed(d, None)
            .map_err(|e| CryptoError::Internal(format!("Ed25519ph signing failed: {e}")))?,
    };
    Ok(sig.to_bytes().to_vec())
}

/// Verifies; `Ok(false)` when the signature does not verify.
pub(super) fn verify(
    der: &[u8],
    alg: SigningAlgorithm,
    message: &[u8],
    message_type: MessageType,
    signature: &[u8],
) -> Result<bool, CryptoError> {
    let public = key(der)?.verifying_key();
    let input = input(alg, message, message_type)?;
    let Ok(sig) = Signature::from_slice(signature) else {
        return Ok(false);
    };
    Ok(match input {
        Input::Pure(m) => public.verify(m, &sig).is_ok(),
        Input::Prehashed(d) => public.verify_prehashed(d, None, &sig).is_ok(),
    })
}
