//! The symmetric ciphertext blob: round trips, header parsing, and that any change to a blob
//! or its encryption context is InvalidCiphertext (never a panic).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use keyward_kms::crypto::blob::{self, Cipher};
use keyward_kms::crypto::{generate_material, random_hex_id, random_uuid, CryptoError};
use keyward_kms::record::{Material, Secret};
use keyward_kms::types::KeySpec;
use proptest::prelude::*;
use rand_core::OsRng;
use std::collections::BTreeMap;

fn material() -> Material {
    Material {
        id: random_hex_id(&mut OsRng),
        created_ms: 0,
        origin: "CREATE".into(),
        secret: generate_material(KeySpec::SymmetricDefault, &mut OsRng).unwrap(),
    }
}

fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn round_trip_and_header() {
    let m = material();
    let key_id = random_uuid(&mut OsRng);
    for context in [ctx(&[]), ctx(&[("dept", "eng"), ("app", "x")])] {
        for len in [0usize, 1, 15, 16, 17, 1024, 4096] {
            let pt: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let b = blob::seal(&key_id, &m, &context, &pt, &mut OsRng).unwrap();
            assert_eq!(b.len(), pt.len() + key_id.len() + blob::OVERHEAD_WITHOUT_KEY_ID);
            let h = blob::header(&b).unwrap();
            assert_eq!(h.key_id, key_id);
            assert_eq!(h.material_id, m.id);
            assert_eq!(blob::open(&m, &b, &context).unwrap(), pt);
            let c = Cipher::new(&m).unwrap();
            assert_eq!(c.open(&b, &context).unwrap(), pt);
            // In the blob's own buffer: the same plaintext, nothing of the header or tag left.
            let owned = c.open_owned(b.clone(), &context).unwrap();
            assert_eq!(owned.as_slice(), pt.as_slice());
            assert_eq!(c.material_id(), m.id);
        }
    }
}

/// An RNG that yields one byte over and over (a fixed nonce for the known answer).
struct Fixed(u8);

impl rand_core::RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        u32::from_le_bytes([self.0; 4])
    }
    fn next_u64(&mut self) -> u64 {
        u64::from_le_bytes([self.0; 8])
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(self.0);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        dest.fill(self.0);
        Ok(())
    }
}

impl rand_core::CryptoRng for Fixed {}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// A blob computed independently (Python `cryptography`'s AESGCM over the FORMATS.md layout):
/// blobs written before a change of AES-GCM implementation still open, byte for byte.
#[test]
fn known_answer_blob() {
    const BLOB: &str = "6b77012431323334616263642d313261622d333463642d353665662d3132333435363738\
        393061626465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182830909090909090909\
        09090909d87d714ce6ed2784ba675f8ec5b6daa14a65ba5c45266c750bb9d83418bbb1853e2f6c8d";
    let m = Material {
        id: "6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283".into(),
        created_ms: 0,
        origin: "CREATE".into(),
        secret: Secret::new((0..32).collect()),
    };
    let context = ctx(&[("app", "web"), ("dept", "eng")]);
    let key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let pt = b"keyward known answer";
    let expected = hex(BLOB);
    assert_eq!(blob::seal(key_id, &m, &context, pt, &mut Fixed(9)).unwrap(), expected);
    let c = Cipher::new(&m).unwrap();
    assert_eq!(c.seal(key_id, &context, pt, &mut Fixed(9)).unwrap(), expected);
    assert_eq!(blob::open(&m, &expected, &context).unwrap(), pt);
    assert_eq!(c.open_owned(expected, &context).unwrap().as_slice(), pt);
}

/// Every byte value in a key id: a blob parses (and a key id seals) exactly when it is an
/// ASCII letter, digit, `-` or `_`.
#[test]
fn key_id_bytes() {
    let m = material();
    let good = blob::seal("key-1", &m, &ctx(&[]), b"x", &mut OsRng).unwrap();
    for b in 0..=255u8 {
        let allowed = b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        let mut bytes = good.clone();
        bytes[4 + 2] = b; // the key id's third byte
        assert_eq!(blob::parse(&bytes).is_ok(), allowed, "byte {b:#04x}");
        let id = format!("ke{}", char::from(b));
        if b.is_ascii() {
            let sealed = blob::seal(&id, &m, &ctx(&[]), b"x", &mut OsRng);
            assert_eq!(sealed.is_ok(), allowed, "byte {b:#04x}");
        }
    }
}

#[test]
fn nonces_are_fresh() {
    let m = material();
    let a = blob::seal("k", &m, &ctx(&[]), b"same", &mut OsRng).unwrap();
    let b = blob::seal("k", &m, &ctx(&[]), b"same", &mut OsRng).unwrap();
    assert_ne!(a, b);
}

#[test]
fn wrong_material_fails() {
    let (m1, m2) = (material(), material());
    let b = blob::seal("k", &m1, &ctx(&[]), b"x", &mut OsRng).unwrap();
    assert_eq!(blob::open(&m2, &b, &ctx(&[])), Err(CryptoError::InvalidCiphertext));
    assert_eq!(Cipher::new(&m2).unwrap().open(&b, &ctx(&[])), Err(CryptoError::InvalidCiphertext));
    // Same id, different key bytes (a corrupted store): the tag fails.
    let forged = Material { id: m1.id, ..m2 };
    assert_eq!(blob::open(&forged, &b, &ctx(&[])), Err(CryptoError::InvalidCiphertext));
}

#[test]
fn context_encoding_is_unambiguous() {
    let m = material();
    let b = blob::seal("k", &m, &ctx(&[("a", "bc")]), b"x", &mut OsRng).unwrap();
    for other in [ctx(&[("ab", "c")]), ctx(&[("a", "b"), ("c", "")]), ctx(&[]), ctx(&[("A", "bc")])]
    {
        assert_eq!(blob::open(&m, &b, &other), Err(CryptoError::InvalidCiphertext), "{other:?}");
    }
    assert_eq!(blob::canonical_context(&ctx(&[])), Vec::<u8>::new());
    assert_eq!(
        blob::canonical_context(&ctx(&[("b", "2"), ("a", "1")])),
        b"\0\0\0\x01a\0\0\0\x011\0\0\0\x01b\0\0\0\x012".to_vec()
    );
}

#[test]
fn large_context_uses_heap_path() {
    let m = material();
    let big: BTreeMap<String, String> =
        (0..50).map(|i| (format!("key{i:03}"), "v".repeat(40))).collect();
    let b = blob::seal("k", &m, &big, b"payload", &mut OsRng).unwrap();
    assert_eq!(blob::open(&m, &b, &big).unwrap(), b"payload");
    let mut changed = big;
    changed.insert("key049".into(), "w".repeat(40));
    assert_eq!(blob::open(&m, &b, &changed), Err(CryptoError::InvalidCiphertext));
}

#[test]
fn bad_inputs_to_seal_and_cipher() {
    let m = material();
    assert!(matches!(
        blob::seal("", &m, &ctx(&[]), b"x", &mut OsRng),
        Err(CryptoError::Internal(_))
    ));
    assert!(matches!(
        blob::seal("bad id!", &m, &ctx(&[]), b"x", &mut OsRng),
        Err(CryptoError::Internal(_))
    ));
    let long = "a".repeat(256);
    assert!(blob::seal(&long, &m, &ctx(&[]), b"x", &mut OsRng).is_err());
    let bad_id = Material { id: "xyz".into(), ..m.clone() };
    assert!(matches!(Cipher::new(&bad_id), Err(CryptoError::Internal(_))));
    let short = Material { secret: Secret::new(vec![1; 16]), ..m };
    assert!(matches!(Cipher::new(&short), Err(CryptoError::Internal(_))));
}

#[test]
fn debug_redacts_key() {
    let m = material();
    let c = Cipher::new(&m).unwrap();
    let shown = format!("{c:?}");
    let key_hex: String = m.secret.expose().iter().map(|b| format!("{b:02x}")).collect();
    assert!(!shown.contains(&key_hex));
    assert!(shown.contains("redacted"));
}

#[test]
fn every_truncation_fails() {
    let m = material();
    let b = blob::seal("key-1", &m, &ctx(&[("a", "b")]), b"hello world", &mut OsRng).unwrap();
    for n in 0..b.len() {
        assert_eq!(
            blob::open(&m, &b[..n], &ctx(&[("a", "b")])),
            Err(CryptoError::InvalidCiphertext)
        );
    }
    let c = Cipher::new(&m).unwrap();
    for n in 0..b.len() {
        let cut = b[..n].to_vec();
        assert_eq!(c.open_owned(cut, &ctx(&[("a", "b")])), Err(CryptoError::InvalidCiphertext));
    }
    let mut longer = b;
    longer.push(0);
    assert_eq!(blob::open(&m, &longer, &ctx(&[("a", "b")])), Err(CryptoError::InvalidCiphertext));
    assert_eq!(c.open_owned(longer, &ctx(&[("a", "b")])), Err(CryptoError::InvalidCiphertext));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_flipped_bit_fails(
        pt in proptest::collection::vec(any::<u8>(), 0..200),
        bit in any::<proptest::sample::Index>(),
        pairs in proptest::collection::btree_map("[a-zA-Z:]{1,8}", "[ -~]{0,12}", 0..4),
    ) {
        let m = material();
        let b = blob::seal("1234abcd-12ab-34cd-56ef-1234567890ab", &m, &pairs, &pt, &mut OsRng)
            .unwrap();
        let i = bit.index(b.len() * 8);
        let mut flipped = b.clone();
        flipped[i / 8] ^= 1 << (i % 8);
        prop_assert_eq!(blob::open(&m, &flipped, &pairs), Err(CryptoError::InvalidCiphertext));
        prop_assert_eq!(
            Cipher::new(&m).unwrap().open(&flipped, &pairs),
            Err(CryptoError::InvalidCiphertext)
        );
        prop_assert_eq!(
            Cipher::new(&m).unwrap().open_owned(flipped, &pairs),
            Err(CryptoError::InvalidCiphertext)
        );
        prop_assert_eq!(&blob::open(&m, &b, &pairs).unwrap(), &pt);
        let owned = Cipher::new(&m).unwrap().open_owned(b, &pairs).unwrap();
        prop_assert_eq!(owned.as_slice(), &pt[..]);
    }

    #[test]
    fn any_context_change_fails(
        pairs in proptest::collection::btree_map("[a-z]{1,6}", "[a-z]{0,6}", 0..5),
        extra_key in "[a-z]{1,6}",
        extra_value in "[a-z]{0,6}",
    ) {
        let m = material();
        let b = blob::seal("k", &m, &pairs, b"secret", &mut OsRng).unwrap();
        // Add or change a pair.
        let mut changed = pairs.clone();
        let old = changed.insert(extra_key, extra_value.clone());
        if old.as_deref() != Some(extra_value.as_str()) {
            prop_assert_eq!(blob::open(&m, &b, &changed), Err(CryptoError::InvalidCiphertext));
        }
        // Remove a pair.
        if let Some(k) = pairs.keys().next() {
            let mut fewer = pairs.clone();
            fewer.remove(k);
            prop_assert_eq!(blob::open(&m, &b, &fewer), Err(CryptoError::InvalidCiphertext));
            // Change a key's case.
            let mut upper = pairs.clone();
            let v = upper.remove(k).unwrap();
            upper.insert(k.to_uppercase(), v);
            prop_assert_eq!(blob::open(&m, &b, &upper), Err(CryptoError::InvalidCiphertext));
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let m = material();
        let _ = blob::header(&bytes);
        let _ = blob::parse(&bytes);
        prop_assert!(blob::open(&m, &bytes, &BTreeMap::new()).is_err());
    }

    #[test]
    fn blob_shaped_bytes_never_panic(
        id_len in any::<u8>(),
        rest in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        let mut bytes = vec![b'k', b'w', 1, id_len];
        bytes.extend_from_slice(&rest);
        if let Ok(h) = blob::header(&bytes) {
            prop_assert_eq!(h.key_id.len(), usize::from(id_len));
            prop_assert_eq!(h.material_id.len(), 64);
        }
        prop_assert!(blob::open(&material(), &bytes, &BTreeMap::new()).is_err());
    }
}
