//! HMAC generation and constant-time verification.

use crate::types::MacAlgorithm;
use hmac::{Hmac, Mac};
use sha2::{Sha224, Sha256, Sha384, Sha512};

/// Length in bytes of the MAC an algorithm produces.
pub fn mac_len(alg: MacAlgorithm) -> usize {
    match alg {
        MacAlgorithm::HmacSha224 => 28,
        MacAlgorithm::HmacSha256 => 32,
        MacAlgorithm::HmacSha384 => 48,
        MacAlgorithm::HmacSha512 => 64,
    }
}

/// Computes the HMAC of `message` with one digest.
fn compute<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this never fails; an empty MAC would never verify.
    match <M as hmac::digest::KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(message);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Checks a tag in constant time (the comparison does not depend on where bytes differ).
fn check<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    match <M as hmac::digest::KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(message);
            m.verify_slice(tag).is_ok()
        }
        Err(_) => false,
    }
}

/// The MAC of `message` under `key`.
pub fn mac(alg: MacAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    match alg {
        MacAlgorithm::HmacSha224 => compute::<Hmac<Sha224>>(key, message),
        MacAlgorithm::HmacSha256 => compute::<Hmac<Sha256>>(key, message),
        MacAlgorithm::HmacSha384 => compute::<Hmac<Sha384>>(key, message),
        MacAlgorithm::HmacSha512 => compute::<Hmac<Sha512>>(key, message),
    }
}

/// True when `tag` is the MAC of `message` (constant-time comparison). A tag of the wrong
/// length (including a truncated MAC) never verifies.
pub fn verify(alg: MacAlgorithm, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    match alg {
        MacAlgorithm::HmacSha224 => check::<Hmac<Sha224>>(key, message, tag),
        MacAlgorithm::HmacSha256 => check::<Hmac<Sha256>>(key, message, tag),
        MacAlgorithm::HmacSha384 => check::<Hmac<Sha384>>(key, message, tag),
        MacAlgorithm::HmacSha512 => check::<Hmac<Sha512>>(key, message, tag),
    }
}
