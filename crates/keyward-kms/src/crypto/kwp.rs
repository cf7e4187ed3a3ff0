//! AES Key Wrap with Padding (RFC 5649), the second half of the RSA_AES_KEY_WRAP_SHA_1/256
//! import wrapping algorithms: RSA-OAEP wraps an ephemeral AES key, which wraps the material
//! with this (what `openssl enc -id-aes256-wrap-pad` produces).

use super::CryptoError;
use aes_gcm::aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use aes_gcm::aes::{Aes128, Aes192, Aes256};

/// RFC 5649 §3: the alternative initial value's constant half.
const ICV2: [u8; 4] = [0xA6, 0x59, 0x59, 0xA6];

/// Most material wrapped at once (a 4096-bit RSA private key in PKCS#8 is under 2.5 KiB).
const MAX_LEN: usize = 64 * 1024;

/// An AES block cipher of any of the three key sizes.
enum Kek {
    A128(Box<Aes128>),
    A192(Box<Aes192>),
    A256(Box<Aes256>),
}

impl Kek {
    fn new(key: &[u8]) -> Result<Kek, CryptoError> {
        let bad =
            || CryptoError::InvalidInput("the AES wrapping key is not 16, 24 or 32 bytes".into());
        Ok(match key.len() {
            16 => Kek::A128(Box::new(Aes128::new_from_slice(key).map_err(|_| bad())?)),
            24 => Kek::A192(Box::new(Aes192::new_from_slice(key).map_err(|_| bad())?)),
            32 => Kek::A256(Box::new(Aes256::new_from_slice(key).map_err(|_| bad())?)),
            _ => return Err(bad()),
        })
    }

    fn encrypt(&self, block: &mut [u8; 16]) {
        match self {
            Kek::A128(c) => c.encrypt_block(block.into()),
            Kek::A192(c) => c.encrypt_block(block.into()),
            Kek::A256(c) => c.encrypt_block(block.into()),
        }
    }

    fn decrypt(&self, block: &mut [u8; 16]) {
        match self {
            Kek::A128(c) => c.decrypt_block(block.into()),
            Kek::A192(c) => c.decrypt_block(block.into()),
            Kek::A256(c) => c.decrypt_block(block.into()),
        }
    }
}

fn block(a: &[u8; 8], r: &[u8]) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(a);
    b[8..].copy_from_slice(r);
    b
}

/// Wraps `plain` (1 to 64 KiB) under `kek` (RFC 5649 §4.1).
pub fn wrap(kek: &[u8], plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if plain.is_empty() || plain.len() > MAX_LEN {
        return Err(CryptoError::InvalidInput(
            "key material to wrap must be 1 to 65536 bytes".into(),
        ));
    }
    let kek = Kek::new(kek)?;
    let mli =
        u32::try_from(plain.len()).map_err(|_| CryptoError::InvalidInput("too long".into()))?;
    let mut a = [0u8; 8];
    a[..4].copy_from_slice(&ICV2);
    a[4..].copy_from_slice(&mli.to_be_bytes());
    let mut p = plain.to_vec();
    p.resize(plain.len().div_ceil(8) * 8, 0);
    if p.len() == 8 {
        let mut b = block(&a, &p);
        kek.encrypt(&mut b);
        return Ok(b.to_vec());
    }
    let n = p.len() / 8;
    let mut t: u64 = 0;
    for _ in 0..6 {
        for r in p.chunks_exact_mut(8) {
            t += 1;
            let mut b = block(&a, r);
            kek.encrypt(&mut b);
            a.copy_from_slice(&b[..8]);
            for (x, y) in a.iter_mut().zip(t.to_be_bytes()) {
                *x ^= y;
            }
            r.copy_from_slice(&b[8..]);
        }
    }
    let mut out = Vec::with_capacity(8 * (n + 1));
    out.extend_from_slice(&a);
    out.extend_from_slice(&p);
    Ok(out)
}

/// Unwraps what [`wrap`] made, checking the integrity value, length and padding (RFC 5649
/// §4.2). Any mismatch is [`CryptoError::InvalidCiphertext`].
pub fn unwrap(kek: &[u8], wrapped: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if wrapped.len() < 16 || wrapped.len() % 8 != 0 || wrapped.len() > MAX_LEN + 16 {
        return Err(CryptoError::InvalidCiphertext);
    }
    let kek = Kek::new(kek)?;
    let mut a = [0u8; 8];
    let mut p;
    if wrapped.len() == 16 {
        let mut b = [0u8; 16];
        b.copy_from_slice(wrapped);
        kek.decrypt(&mut b);
        a.copy_from_slice(&b[..8]);
        p = b[8..].to_vec();
    } else {
        a.copy_from_slice(&wrapped[..8]);
        p = wrapped[8..].to_vec();
        let n = p.len() / 8;
        let mut t = u64::try_from(6 * n).map_err(|_| CryptoError::InvalidCiphertext)?;
        for _ in 0..6 {
            for r in p.chunks_exact_mut(8).rev() {
                for (x, y) in a.iter_mut().zip(t.to_be_bytes()) {
                    *x ^= y;
                }
                let mut b = block(&a, r);
                kek.decrypt(&mut b);
                a.copy_from_slice(&b[..8]);
                r.copy_from_slice(&b[8..]);
                t -= 1;
            }
        }
    }
    if a[..4] != ICV2 {
        return Err(CryptoError::InvalidCiphertext);
    }
    let mli = u32::from_be_bytes([a[4], a[5], a[6], a[7]]) as usize;
    if mli == 0 || mli > p.len() || p.len() - mli >= 8 || p[mli..].iter().any(|&z| z != 0) {
        return Err(CryptoError::InvalidCiphertext);
    }
    p.truncate(mli);
    Ok(p)
}
