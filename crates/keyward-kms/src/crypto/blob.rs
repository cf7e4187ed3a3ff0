//! The symmetric ciphertext blob: versioned header (key id, material id), nonce, AES-256-GCM
//! ciphertext and tag, with the canonical encryption context as associated data.
//!
//! Layout of version 1 (all lengths in bytes; `FORMATS.md` at the repository root is the
//! normative description):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 2 | magic `6B 77` (`kw`) |
//! | 2 | 1 | version `01` |
//! | 3 | 1 | `L`, length of the key id (1–255) |
//! | 4 | L | key id, ASCII letters, digits, `-` and `_` |
//! | 4+L | 32 | key-material id (the 64-hex id, as raw bytes) |
//! | 36+L | 12 | random GCM nonce |
//! | 48+L | n | ciphertext (n = plaintext length) |
//! | 48+L+n | 16 | GCM tag |
//!
//! The associated data is the header (bytes `0 .. 48+L`) followed by [`canonical_context`].
//! The material is the AES-256 key itself (no per-blob key derivation), which lets a
//! [`Cipher`] run the AES key schedule once per material.

use super::CryptoError;
use crate::record::Material;
use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use rand_core::CryptoRngCore;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// First bytes of every blob.
pub const MAGIC: [u8; 2] = *b"kw";
/// The blob format version this code writes.
pub const VERSION: u8 = 1;
/// GCM nonce length.
pub const NONCE_LEN: usize = 12;
/// GCM tag length.
pub const TAG_LEN: usize = 16;
/// Material id length in the blob (the 64-hex id as raw bytes).
pub const MATERIAL_ID_LEN: usize = 32;
/// Bytes a blob adds to its plaintext, besides the key id.
pub const OVERHEAD_WITHOUT_KEY_ID: usize = 4 + MATERIAL_ID_LEN + NONCE_LEN + TAG_LEN;

/// What a blob's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHeader {
    /// Key id (UUID) of the key that encrypted it.
    pub key_id: String,
    /// Id of the material version that encrypted it.
    pub material_id: String,
}

/// A parsed blob, borrowing from its bytes (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobRef<'a> {
    /// Key id of the key that encrypted it.
    pub key_id: &'a str,
    /// Raw material id.
    pub material_id: [u8; MATERIAL_ID_LEN],
    header: &'a [u8],
    nonce: &'a [u8],
    ciphertext: &'a [u8],
    tag: &'a [u8],
}

impl BlobRef<'_> {
    /// True when the blob was sealed under the material with this 64-hex id.
    pub fn is_material(&self, material_id_hex: &str) -> bool {
        decode_hex32(material_id_hex).is_some_and(|id| id == self.material_id)
    }

    /// The owned header.
    pub fn to_header(&self) -> BlobHeader {
        BlobHeader { key_id: self.key_id.to_string(), material_id: encode_hex(&self.material_id) }
    }
}

/// Parses a blob without decrypting; InvalidCiphertext on anything malformed.
pub fn parse(blob: &[u8]) -> Result<BlobRef<'_>, CryptoError> {
    const BAD: CryptoError = CryptoError::InvalidCiphertext;
    let (magic, rest) = blob.split_at_checked(2).ok_or(BAD)?;
    if magic != MAGIC {
        return Err(BAD);
    }
    let (&version, rest) = rest.split_first().ok_or(BAD)?;
    if version != VERSION {
        return Err(BAD);
    }
    let (&len, rest) = rest.split_first().ok_or(BAD)?;
    let (key_id, rest) = rest.split_at_checked(usize::from(len)).ok_or(BAD)?;
    if key_id.is_empty() || !is_key_id(key_id) {
        return Err(BAD);
    }
    let key_id = std::str::from_utf8(key_id).map_err(|_| BAD)?;
    let (material, rest) = rest.split_at_checked(MATERIAL_ID_LEN).ok_or(BAD)?;
    let (nonce, rest) = rest.split_at_checked(NONCE_LEN).ok_or(BAD)?;
    let ct_len = rest.len().checked_sub(TAG_LEN).ok_or(BAD)?;
    let (ciphertext, tag) = rest.split_at(ct_len);
    let mut material_id = [0u8; MATERIAL_ID_LEN];
    material_id.copy_from_slice(material);
    let header_len = blob.len() - rest.len();
    Ok(BlobRef { key_id, material_id, header: &blob[..header_len], nonce, ciphertext, tag })
}

/// Says whether every byte is allowed in a key id stored in a blob: ASCII letters, digits,
/// `-` and `_`. Without an early exit, so that the compiler checks many bytes per step.
fn is_key_id(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |ok, &b| ok & is_key_id_byte(b))
}

/// One byte of [`is_key_id`], in branch-free comparisons.
fn is_key_id_byte(b: u8) -> bool {
    let lower = b | 0x20;
    (lower.wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10) | (b == b'-') | (b == b'_')
}

/// The canonical encoding of an encryption context: for each pair in ascending byte order of
/// the key, `u32be(len(key)) key u32be(len(value)) value` (UTF-8). The empty context encodes
/// to no bytes.
pub fn canonical_context(context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = Vec::with_capacity(canonical_len(context));
    write_canonical(context, &mut out);
    out
}

/// Length of [`canonical_context`].
pub fn canonical_len(context: &BTreeMap<String, String>) -> usize {
    context.iter().map(|(k, v)| 8 + k.len() + v.len()).sum()
}

fn write_canonical(context: &BTreeMap<String, String>, out: &mut Vec<u8>) {
    for (k, v) in context {
        out.extend_from_slice(&len32(k.len()).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&len32(v.len()).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    }
}

/// A length as u32, saturating (contexts over 4 GiB cannot exist in a request).
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Runs `f` on `header || canonical(context)`, on the stack when it is small.
fn with_aad<T>(header: &[u8], context: &BTreeMap<String, String>, f: impl FnOnce(&[u8]) -> T) -> T {
    if context.is_empty() {
        return f(header);
    }
    let total = header.len() + canonical_len(context);
    if total <= 512 {
        let mut buf = [0u8; 512];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            buf[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(header);
        for (k, v) in context {
            put(&len32(k.len()).to_be_bytes());
            put(k.as_bytes());
            put(&len32(v.len()).to_be_bytes());
            put(v.as_bytes());
        }
        f(&buf[..at])
    } else {
        let mut aad = Vec::with_capacity(total);
        aad.extend_from_slice(header);
        write_canonical(context, &mut aad);
        f(&aad)
    }
}

/// An AES-256-GCM cipher for one material version, with its key schedule done once. The KMS
/// keeps one per symmetric material, for as long as it holds that material ([`seal`] and
/// [`open`] build one per call). Dropping it zeroes its round keys and GHASH key (aes-gcm's
/// `zeroize` feature, checked at compile time below).
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
    material_id: [u8; MATERIAL_ID_LEN],
    /// `material_id` in lower-case hex (KeyMaterialId of responses).
    material_hex: String,
}

/// A [`Cipher`] is zeroed on drop: its only secret field is, as the `zeroize` feature of
/// aes-gcm makes it (this fails to compile without the feature).
impl zeroize::ZeroizeOnDrop for Cipher {}

const _: () = {
    const fn zeroed_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroed_on_drop::<Aes256Gcm>();
};

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cipher(material {}, <redacted>)", self.material_hex)
    }
}

impl Cipher {
    /// A cipher for `material` (a 32-byte key whose id is 64 hex characters).
    pub fn new(material: &Material) -> Result<Cipher, CryptoError> {
        let material_id = decode_hex32(&material.id).ok_or_else(|| {
            CryptoError::Internal("key material id is not 64 hex characters".into())
        })?;
        let aead = Aes256Gcm::new_from_slice(material.secret.expose())
            .map_err(|_| CryptoError::Internal("symmetric key material is not 32 bytes".into()))?;
        Ok(Cipher { aead, material_id, material_hex: encode_hex(&material_id) })
    }

    /// The material id this cipher encrypts under, lower-case hex.
    pub fn material_id(&self) -> String {
        self.material_hex.clone()
    }

    /// True when this cipher is for `material` (by its id, as written).
    pub fn is_material(&self, material: &Material) -> bool {
        self.material_hex == material.id
    }

    /// True when `blob` names this cipher's material.
    pub fn is_for(&self, blob: &BlobRef<'_>) -> bool {
        blob.material_id == self.material_id
    }

    /// Encrypts `plaintext` for key `key_id`, binding `context`.
    pub fn seal(
        &self,
        key_id: &str,
        context: &BTreeMap<String, String>,
        plaintext: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, CryptoError> {
        let id = key_id.as_bytes();
        let id_len = u8::try_from(id.len()).ok().filter(|&n| n > 0);
        let Some(id_len) = id_len.filter(|_| is_key_id(id)) else {
            return Err(CryptoError::Internal(format!("key id `{key_id}` cannot go in a blob")));
        };
        let header_len = 4 + id.len() + MATERIAL_ID_LEN + NONCE_LEN;
        let mut out = Vec::with_capacity(header_len + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(id_len);
        out.extend_from_slice(id);
        out.extend_from_slice(&self.material_id);
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let (header, body) = out.split_at_mut(header_len);
        let tag = with_aad(header, context, |aad| {
            self.aead.encrypt_inout_detached(&Nonce::from(nonce), aad, body.into())
        })
        .map_err(|_| CryptoError::InvalidInput("plaintext too long for AES-GCM".into()))?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Decrypts `blob`; InvalidCiphertext when it was not sealed under this material, is
    /// damaged, or `context` differs from the one it was sealed with.
    pub fn open(
        &self,
        blob: &[u8],
        context: &BTreeMap<String, String>,
    ) -> Result<Vec<u8>, CryptoError> {
        let parsed = parse(blob)?;
        self.open_parsed(&parsed, context)
    }

    /// [`Cipher::open`] of an already parsed blob.
    pub fn open_parsed(
        &self,
        blob: &BlobRef<'_>,
        context: &BTreeMap<String, String>,
    ) -> Result<Vec<u8>, CryptoError> {
        if blob.material_id != self.material_id {
            return Err(CryptoError::InvalidCiphertext);
        }
        let nonce: [u8; NONCE_LEN] =
            blob.nonce.try_into().map_err(|_| CryptoError::InvalidCiphertext)?;
        let tag: [u8; TAG_LEN] = blob.tag.try_into().map_err(|_| CryptoError::InvalidCiphertext)?;
        let mut out = blob.ciphertext.to_vec();
        with_aad(blob.header, context, |aad| {
            self.aead.decrypt_inout_detached(
                &Nonce::from(nonce),
                aad,
                out.as_mut_slice().into(),
                &Tag::from(tag),
            )
        })
        .map_err(|_| CryptoError::InvalidCiphertext)?;
        Ok(out)
    }
}

impl Cipher {
    /// [`Cipher::open`] that decrypts in the blob's own buffer (no copy, no allocation): the
    /// plaintext, zeroed on drop. The buffer is changed only when the blob verifies.
    pub fn open_owned(
        &self,
        blob: Vec<u8>,
        context: &BTreeMap<String, String>,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open_owned_with(blob, context, |_| Ok(self)).map(|(plaintext, _)| plaintext)
    }
}

/// Decrypts `blob` in its own buffer with the cipher `pick` chooses from its header (a key's
/// cipher for the material the blob names): the plaintext, zeroed on drop, and that cipher.
/// The blob is parsed once; the buffer is changed only when the blob verifies.
pub fn open_owned_with<'c>(
    mut blob: Vec<u8>,
    context: &BTreeMap<String, String>,
    pick: impl FnOnce(&BlobRef<'_>) -> Result<&'c Cipher, CryptoError>,
) -> Result<(Zeroizing<Vec<u8>>, &'c Cipher), CryptoError> {
    let parsed = parse(&blob)?;
    let cipher = pick(&parsed)?;
    if !cipher.is_for(&parsed) {
        return Err(CryptoError::InvalidCiphertext);
    }
    let nonce: [u8; NONCE_LEN] =
        parsed.nonce.try_into().map_err(|_| CryptoError::InvalidCiphertext)?;
    let tag: [u8; TAG_LEN] = parsed.tag.try_into().map_err(|_| CryptoError::InvalidCiphertext)?;
    let header_len = parsed.header.len();
    let end = blob.len() - TAG_LEN;
    let (header, rest) = blob.split_at_mut(header_len);
    let body = rest.get_mut(..end - header_len).ok_or(CryptoError::InvalidCiphertext)?;
    with_aad(header, context, |aad| {
        cipher.aead.decrypt_inout_detached(&Nonce::from(nonce), aad, body.into(), &Tag::from(tag))
    })
    .map_err(|_| CryptoError::InvalidCiphertext)?;
    // From here the buffer holds plaintext: it is zeroed on drop, spare capacity included.
    let mut out = Zeroizing::new(blob);
    out.truncate(end);
    out.drain(..header_len);
    Ok((out, cipher))
}

/// Encrypts `plaintext` under `material` of key `key_id`, binding `context`.
pub fn seal(
    key_id: &str,
    material: &Material,
    context: &BTreeMap<String, String>,
    plaintext: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    Cipher::new(material)?.seal(key_id, context, plaintext, rng)
}

/// Reads a blob's header without decrypting.
pub fn header(blob: &[u8]) -> Result<BlobHeader, CryptoError> {
    parse(blob).map(|b| b.to_header())
}

/// Decrypts a blob with `material`; any change to blob or context is InvalidCiphertext.
pub fn open(
    material: &Material,
    blob: &[u8],
    context: &BTreeMap<String, String>,
) -> Result<Vec<u8>, CryptoError> {
    let parsed = parse(blob)?;
    if !parsed.is_material(&material.id) {
        return Err(CryptoError::InvalidCiphertext);
    }
    Cipher::new(material)?.open_parsed(&parsed, context)
}

/// Lower-case hex of bytes.
fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Decodes 64 hex characters (either case).
fn decode_hex32(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}
