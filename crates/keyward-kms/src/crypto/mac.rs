//! HMAC generation and constant-time verification.

use crate::types::MacAlgorithm;

/// The MAC of `message` under `key`.
pub fn mac(alg: MacAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    let _ = (alg, key, message);
    Vec::new()
}

/// True when `tag` is the MAC of `message` (constant-time comparison).
pub fn verify(alg: MacAlgorithm, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let _ = (alg, key, message, tag);
    false
}
