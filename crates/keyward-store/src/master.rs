//! The master key: where it comes from (`KEYWARD_MASTER_KEY`, else `master.key` beside the
//! database, created on first use) and the AES-256-GCM sealing of secret-bearing rows under it.
//!
//! Nothing here ever puts key bytes, row contents or the environment variable's value into an
//! error message.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::Path;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use base64::Engine as _;
use keyward_kms::store::StoreError;
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::fail;

/// The environment variable holding the master key (64 hex characters or base64 of 32 bytes).
pub const MASTER_KEY_ENV: &str = "KEYWARD_MASTER_KEY";

/// The key file created beside the database when `KEYWARD_MASTER_KEY` is not set.
pub const KEY_FILE: &str = "master.key";

/// First byte of every sealed value: the sealing format's version.
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + NONCE_LEN;

/// A 256-bit master key. Zeroed on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// Wraps 32 key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        MasterKey(Zeroizing::new(bytes))
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<MasterKey, StoreError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(bytes.as_mut_slice())
            .map_err(|e| fail(format!("cannot read the system random source: {e}")))?;
        Ok(MasterKey(bytes))
    }

    /// Parses 64 hex characters or the base64 (standard alphabet, padding optional) of 32
    /// bytes; surrounding whitespace is ignored. The error never quotes the text.
    pub fn parse(text: &str) -> Result<MasterKey, StoreError> {
        parse_named(text, "a master key")
    }

    /// The key from `KEYWARD_MASTER_KEY`, or `None` when it is unset or empty.
    pub fn from_env() -> Result<Option<MasterKey>, StoreError> {
        match std::env::var_os(MASTER_KEY_ENV) {
            None => Ok(None),
            Some(value) => {
                let value = Zeroizing::new(
                    value
                        .into_string()
                        .map_err(|_| fail(format!("`{MASTER_KEY_ENV}` is not valid UTF-8")))?,
                );
                if value.trim().is_empty() {
                    return Ok(None);
                }
                parse_named(&value, &format!("`{MASTER_KEY_ENV}`")).map(Some)
            }
        }
    }

    /// The key as 64 lower-case hex characters (the key file's format).
    pub fn to_hex(&self) -> Zeroizing<String> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = Zeroizing::new(String::with_capacity(64));
        for b in self.0.iter() {
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 15)]));
        }
        out
    }

    /// The AES-256-GCM cipher keyed with this key.
    pub(crate) fn cipher(&self) -> Result<Aes256Gcm, StoreError> {
        Aes256Gcm::new_from_slice(self.0.as_slice())
            .map_err(|_| fail("the master key has the wrong length".to_owned()))
    }

    /// An AES-256-GCM cipher under a key derived from this one for `purpose`
    /// (HMAC-SHA256(master key, label)), so each use of the master key has its own key.
    pub(crate) fn derived_cipher(&self, purpose: &str) -> Result<Aes256Gcm, StoreError> {
        use hmac::Mac as _;
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(self.0.as_slice())
            .map_err(|_| fail("the master key has the wrong length".to_owned()))?;
        mac.update(b"keyward-store derived key\0");
        mac.update(purpose.as_bytes());
        let derived = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        Aes256Gcm::new_from_slice(derived.as_slice())
            .map_err(|_| fail("the derived key has the wrong length".to_owned()))
    }
}

/// Parses a key; `what` names the source in the error.
fn parse_named(text: &str, what: &str) -> Result<MasterKey, StoreError> {
    let text = text.trim();
    let shape_error = || {
        fail(format!(
            "{what} must be 64 hex characters or the base64 of 32 bytes (got {} characters)",
            text.chars().count()
        ))
    };
    let mut bytes = Zeroizing::new([0u8; 32]);
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        for (i, pair) in text.as_bytes().chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0]);
            let lo = hex_value(pair[1]);
            bytes[i] = (hi << 4) | lo;
        }
        return Ok(MasterKey(bytes));
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let decoded = Zeroizing::new(engine.decode(text).map_err(|_| shape_error())?);
    if decoded.len() != 32 {
        return Err(shape_error());
    }
    bytes.copy_from_slice(&decoded);
    Ok(MasterKey(bytes))
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Reads `dir/master.key`, creating it first when it does not exist and `may_create` is true
/// (a new store). Refuses a key file that group or others can access.
pub(crate) fn key_file(dir: &Path, may_create: bool) -> Result<MasterKey, StoreError> {
    let path = dir.join(KEY_FILE);
    match File::open(&path) {
        Ok(file) => read_key_file(&path, file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !may_create {
                return Err(fail(format!(
                    "the store in `{}` has data but its master key is missing: set \
                     `{MASTER_KEY_ENV}` or restore `{}`",
                    dir.display(),
                    path.display()
                )));
            }
            create_key_file(dir, &path)
        }
        Err(e) => Err(fail(format!("cannot open master key file `{}`: {e}", path.display()))),
    }
}

fn read_key_file(path: &Path, mut file: File) -> Result<MasterKey, StoreError> {
    let meta = file
        .metadata()
        .map_err(|e| fail(format!("cannot inspect master key file `{}`: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(fail(format!("master key file `{}` is not a regular file", path.display())));
    }
    check_private(path, &meta)?;
    let mut text = Zeroizing::new(Vec::with_capacity(128));
    file.read_to_end(&mut text)
        .map_err(|e| fail(format!("cannot read master key file `{}`: {e}", path.display())))?;
    let text = std::str::from_utf8(&text)
        .map_err(|_| fail(format!("master key file `{}` is not text", path.display())))?;
    parse_named(text, &format!("master key file `{}`", path.display()))
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(fail(format!(
            "master key file `{}` is accessible by group or others (mode {mode:04o}); \
             run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), StoreError> {
    Ok(())
}

/// Creates the key file without ever exposing a partly written one: the key goes to a
/// temporary file opened with `O_EXCL` and mode 0600, is fsynced, and is then hard-linked to
/// its name (which fails if another process got there first; we then read theirs). Finally the
/// directory is fsynced so the name survives a power loss.
fn create_key_file(dir: &Path, path: &Path) -> Result<MasterKey, StoreError> {
    let key = MasterKey::generate()?;
    let tmp = dir.join(format!(".{KEY_FILE}.{}.tmp", std::process::id()));
    let io = |what: &str, e: std::io::Error| {
        fail(format!("cannot {what} master key file `{}`: {e}", path.display()))
    };
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("prepare", e)),
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let written = (|| {
        let mut file = options.open(&tmp)?;
        let mut text = key.to_hex();
        text.push('\n');
        file.write_all(text.as_bytes())?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("create", e));
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(dir)?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let file = File::open(path).map_err(|e| io("open", e))?;
            read_key_file(path, file)
        }
        Err(e) => Err(io("create", e)),
    }
}

/// Fsyncs a directory so that names created in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| fail(format!("cannot sync directory `{}`: {e}", dir.display())))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Additional authenticated data binding a sealed value to its table and row id, so a sealed
/// value copied to another row (or another table) does not open.
pub(crate) fn aad(table: &str, id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + table.len() + id.len());
    out.extend_from_slice(b"keyward-store\0");
    out.extend_from_slice(table.as_bytes());
    out.push(0);
    out.extend_from_slice(id.as_bytes());
    out
}

/// Counts the bytes a serializer writes, so the sealing buffer can be sized exactly once and
/// plaintext is never left behind in a reallocated buffer.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Serializes `value` as JSON and seals it: `version ‖ nonce ‖ ciphertext ‖ tag`, with a
/// random 96-bit nonce from the OS. The plaintext exists only inside the output buffer, which
/// is encrypted in place.
pub(crate) fn seal_json<T: Serialize>(
    cipher: &Aes256Gcm,
    aad: &[u8],
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value)
        .map_err(|_| fail("cannot encode a record".to_owned()))?;
    let mut out = Vec::with_capacity(HEADER_LEN + counter.0 + TAG_LEN);
    out.push(SEAL_VERSION);
    let mut nonce = [0u8; NONCE_LEN];
    OsRng
        .try_fill_bytes(&mut nonce)
        .map_err(|e| fail(format!("cannot read the system random source: {e}")))?;
    out.extend_from_slice(&nonce);
    let encoded = serde_json::to_writer(&mut out, value);
    let sealed = encoded.map_err(|_| fail("cannot encode a record".to_owned())).and_then(|()| {
        cipher
            .encrypt_inout_detached(&Nonce::from(nonce), aad, (&mut out[HEADER_LEN..]).into())
            .map_err(|_| fail("cannot encrypt a record".to_owned()))
    });
    match sealed {
        Ok(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        Err(e) => {
            zeroize::Zeroize::zeroize(&mut out);
            Err(e)
        }
    }
}

/// Opens a value sealed by [`seal_json`] with the same `aad`. `None` when it is malformed,
/// tampered with, moved to another row, or sealed under another key.
pub(crate) fn open(cipher: &Aes256Gcm, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < HEADER_LEN + TAG_LEN || sealed[0] != SEAL_VERSION {
        return None;
    }
    let nonce: [u8; NONCE_LEN] = sealed[1..HEADER_LEN].try_into().ok()?;
    let (body, tag) = sealed[HEADER_LEN..].split_at(sealed.len() - HEADER_LEN - TAG_LEN);
    let tag: [u8; TAG_LEN] = tag.try_into().ok()?;
    let mut plain = Zeroizing::new(body.to_vec());
    cipher
        .decrypt_inout_detached(
            &Nonce::from(nonce),
            aad,
            plain.as_mut_slice().into(),
            &Tag::from(tag),
        )
        .ok()?;
    Some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_base64_parse_to_the_same_key() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let a = MasterKey::parse(hex).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(*a.0);
        let b = MasterKey::parse(&format!("  {b64}\n")).unwrap();
        assert_eq!(*a.0, *b.0);
        assert_eq!(a.to_hex().as_str(), hex.to_ascii_lowercase());
        let unpadded = b64.trim_end_matches('=');
        assert_eq!(*MasterKey::parse(unpadded).unwrap().0, *a.0);
    }

    #[test]
    fn wrong_shapes_are_clear_errors_without_the_value() {
        for bad in ["", "abc", &"0".repeat(63), &"g".repeat(64), "c2hvcnQ=", &"A".repeat(60)] {
            let e = MasterKey::parse(bad).unwrap_err().0;
            assert!(e.contains("64 hex characters or the base64 of 32 bytes"), "{e}");
            if bad.len() > 3 {
                assert!(!e.contains(bad), "{e}");
            }
        }
    }

    #[test]
    fn debug_is_redacted() {
        let k = MasterKey::from_bytes([7; 32]);
        assert_eq!(format!("{k:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn sealed_values_are_bound_to_their_row() {
        let cipher = MasterKey::from_bytes([9; 32]).cipher().unwrap();
        let sealed = seal_json(&cipher, &aad("keys", "a"), &"secret value").unwrap();
        assert_eq!(sealed.len(), HEADER_LEN + "\"secret value\"".len() + TAG_LEN);
        let plain = open(&cipher, &aad("keys", "a"), &sealed).unwrap();
        assert_eq!(plain.as_slice(), b"\"secret value\"");
        assert!(open(&cipher, &aad("keys", "b"), &sealed).is_none());
        assert!(open(&cipher, &aad("access_keys", "a"), &sealed).is_none());
        let other = MasterKey::from_bytes([8; 32]).cipher().unwrap();
        assert!(open(&other, &aad("keys", "a"), &sealed).is_none());
        let mut flipped = sealed.clone();
        flipped[HEADER_LEN] ^= 1;
        assert!(open(&cipher, &aad("keys", "a"), &flipped).is_none());
        assert!(open(&cipher, &aad("keys", "a"), &sealed[..20]).is_none());
    }
}
