//! The envelope file format: round trips at chunk boundaries, and that truncation, extension,
//! reordering, bit flips and a wrong key are each reported, with nothing unauthenticated written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use keyward_kms::crypto::envelope::{
    decrypt_stream, encrypt_stream, read_header, Encryptor, EnvelopeError, EnvelopeParams, TAG_LEN,
};
use proptest::prelude::*;
use rand_core::{OsRng, RngCore};
use std::collections::BTreeMap;

const KEY: [u8; 32] = [0x42; 32];

fn context() -> BTreeMap<String, String> {
    [("purpose".to_string(), "backup".to_string()), ("team".into(), "ops".into())].into()
}

fn encrypt(data: &[u8], chunk_size: u32) -> Vec<u8> {
    let ctx = context();
    let params = EnvelopeParams { encrypted_key: b"opaque-kms-blob", context: &ctx, chunk_size };
    let mut out = Vec::new();
    let n =
        encrypt_stream(&KEY, &params, &mut &data[..], &mut out, &mut OsRng, &mut |_| {}).unwrap();
    assert_eq!(n, data.len() as u64);
    out
}

fn decrypt_with(key: &[u8], file: &[u8]) -> (Result<u64, EnvelopeError>, Vec<u8>) {
    let mut r = file;
    let header = match read_header(&mut r) {
        Ok(h) => h,
        Err(e) => return (Err(e), Vec::new()),
    };
    let mut out = Vec::new();
    let res = decrypt_stream(key, &header, &mut r, &mut out, &mut |_| {});
    (res, out)
}

fn decrypt(file: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    let (r, out) = decrypt_with(&KEY, file);
    r.map(|_| out)
}

fn data(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    OsRng.fill_bytes(&mut v);
    v
}

/// Header length of files made by `encrypt`.
fn header_len(file: &[u8]) -> usize {
    read_header(&mut &file[..]).unwrap().len()
}

#[test]
fn round_trips_around_chunk_boundaries() {
    for cs in [1u32, 7, 16, 64 * 1024] {
        let c = cs as usize;
        for n in [0, 1, c.saturating_sub(1), c, c + 1, 2 * c, 3 * c + 5] {
            let d = data(n);
            let file = encrypt(&d, cs);
            let chunks = if n == 0 { 1 } else { n.div_ceil(c) };
            assert_eq!(file.len(), header_len(&file) + n + chunks * TAG_LEN, "cs {cs} n {n}");
            assert_eq!(decrypt(&file).unwrap(), d, "cs {cs} n {n}");
        }
    }
}

#[test]
fn header_carries_key_and_context() {
    let file = encrypt(b"abc", 4096);
    let h = read_header(&mut &file[..]).unwrap();
    assert_eq!(h.version, 1);
    assert_eq!(h.chunk_size, 4096);
    assert_eq!(h.encrypted_key, b"opaque-kms-blob");
    assert_eq!(h.context, context());
    assert!(!format!("{h:?}").contains("opaque"));
}

#[test]
fn empty_file() {
    let file = encrypt(b"", 1024);
    assert_eq!(file.len(), header_len(&file) + TAG_LEN);
    assert_eq!(decrypt(&file).unwrap(), b"");
    // Without its single (final, empty) chunk it is truncated.
    let cut = &file[..header_len(&file)];
    assert!(matches!(decrypt(cut), Err(EnvelopeError::Truncated { chunks: 0 })));
}

#[test]
fn writer_interface_and_progress() {
    let d = data(100_000);
    let ctx = BTreeMap::new();
    let params = EnvelopeParams { encrypted_key: &[9; 40], context: &ctx, chunk_size: 1024 };
    let mut enc = Encryptor::new(Vec::new(), &KEY, &params, &mut OsRng).unwrap();
    std::io::copy(&mut &d[..], &mut enc).unwrap();
    assert_eq!(enc.bytes_in(), 100_000);
    let file = enc.finish().unwrap();
    let mut r = &file[..];
    let h = read_header(&mut r).unwrap();
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let n = decrypt_stream(&KEY, &h, &mut r, &mut out, &mut |p| seen.push(p)).unwrap();
    assert_eq!((n, out), (100_000, d));
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(seen.last(), Some(&100_000));
    assert!(seen.len() >= 2, "progress is reported per batch of chunks");
}

#[test]
fn streams_and_writer_interface_agree() {
    // Large enough for several parallel batches (64 chunks of 1 KiB each).
    let d = data(300_000 + 17);
    let ctx = context();
    let params = EnvelopeParams { encrypted_key: b"k", context: &ctx, chunk_size: 1024 };
    let mut enc = Encryptor::new(Vec::new(), &KEY, &params, &mut OsRng).unwrap();
    enc.update(&d).unwrap();
    let by_writer = enc.finish().unwrap();
    let by_stream = encrypt(&d, 1024);
    assert_eq!(by_writer.len() - header_len(&by_writer), by_stream.len() - header_len(&by_stream));
    assert_eq!(decrypt(&by_writer).unwrap(), d);
    assert_eq!(decrypt(&by_stream).unwrap(), d);
    // A flipped bit deep in a later batch stops output at the damaged chunk.
    let h = header_len(&by_stream);
    let mut bad = by_stream;
    let damaged = 150;
    bad[h + damaged * (1024 + TAG_LEN) + 5] ^= 4;
    let (r, out) = decrypt_with(&KEY, &bad);
    assert!(matches!(r, Err(EnvelopeError::ChunkAuthentication { index: 150 })), "{r:?}");
    assert_eq!(out, &d[..damaged * 1024]);
    // Multiple-of-chunk-size input ends with a full final chunk.
    let exact = data(64 * 1024 * 3);
    assert_eq!(decrypt(&encrypt(&exact, 1024)).unwrap(), exact);
}

#[test]
fn wrong_key_is_a_header_failure() {
    let file = encrypt(b"secret", 16);
    let (r, out) = decrypt_with(&[0x43; 32], &file);
    assert!(matches!(r, Err(EnvelopeError::HeaderAuthentication)));
    assert!(out.is_empty());
    assert!(matches!(decrypt_with(&[0; 16], &file).0, Err(EnvelopeError::BadKey)));
}

#[test]
fn truncation_at_a_chunk_boundary_is_named() {
    let d = data(64);
    let file = encrypt(&d, 16); // four full chunks, the last one final
    let h = header_len(&file);
    for keep in 1..4 {
        let cut = &file[..h + keep * (16 + TAG_LEN)];
        let (r, out) = decrypt_with(&KEY, cut);
        match r {
            Err(EnvelopeError::Truncated { chunks }) => assert_eq!(chunks, keep as u64),
            other => panic!("{other:?}"),
        }
        // Only authenticated chunks were written, and not the unmarked last one.
        assert_eq!(out, &d[..(keep - 1) * 16]);
    }
}

#[test]
fn every_truncation_fails() {
    let file = encrypt(&data(50), 16);
    for n in 0..file.len() {
        assert!(decrypt(&file[..n]).is_err(), "cut at {n}");
    }
}

#[test]
fn extension_is_detected() {
    let d = data(32);
    let file = encrypt(&d, 16); // two full chunks, the second final
    let h = header_len(&file);
    let mut longer = file.clone();
    longer.extend_from_slice(&file[h..h + 16 + TAG_LEN]);
    assert!(matches!(decrypt(&longer), Err(EnvelopeError::TrailingData { index: 1 })));
    let mut one_more = file.clone();
    one_more.push(0);
    assert!(matches!(decrypt(&one_more), Err(EnvelopeError::TrailingData { index: 1 })));
    // Bytes added to a short final chunk make it fail.
    let short = encrypt(&d[..20], 16);
    let mut extended = short;
    extended.push(0);
    assert!(decrypt(&extended).is_err());
}

#[test]
fn reordering_is_named() {
    let d = data(16 * 4 + 3);
    let file = encrypt(&d, 16);
    let h = header_len(&file);
    let s = 16 + TAG_LEN;
    let mut swapped = file.clone();
    swapped[h + s..h + 2 * s].copy_from_slice(&file[h + 2 * s..h + 3 * s]);
    swapped[h + 2 * s..h + 3 * s].copy_from_slice(&file[h + s..h + 2 * s]);
    let (r, out) = decrypt_with(&KEY, &swapped);
    assert!(matches!(r, Err(EnvelopeError::Reordered { index: 1, written: 2 })), "{r:?}");
    assert_eq!(out, &d[..16]);
    // Dropping a middle chunk shifts the rest.
    let mut dropped = file[..h + s].to_vec();
    dropped.extend_from_slice(&file[h + 2 * s..]);
    assert!(matches!(decrypt(&dropped), Err(EnvelopeError::Reordered { index: 1, written: 2 })));
}

#[test]
fn header_damage() {
    let file = encrypt(b"hello", 16);
    assert!(matches!(decrypt(b"not an envelope at all"), Err(EnvelopeError::NotEnvelope)));
    assert!(matches!(decrypt(b"kwenv"), Err(EnvelopeError::MalformedHeader(_))));
    let mut v2 = file.clone();
    v2[8] = 2;
    assert!(matches!(decrypt(&v2), Err(EnvelopeError::Unsupported { version: 2, suite: 1 })));
    let mut zero_chunk = file.clone();
    zero_chunk[10..14].copy_from_slice(&[0; 4]);
    assert!(matches!(decrypt(&zero_chunk), Err(EnvelopeError::MalformedHeader(_))));
    // The salt, the key blob and the context are authenticated.
    for i in [14, 45, 48, 60, header_len(&file) - TAG_LEN - 1, header_len(&file) - 1] {
        let mut bad = file.clone();
        bad[i] ^= 0x01;
        let r = decrypt(&bad);
        assert!(r.is_err(), "byte {i}");
    }
}

#[test]
fn bad_parameters_are_refused() {
    let ctx = BTreeMap::new();
    for (key, cs) in [(&b""[..], 16u32), (&b"k"[..], 0), (&b"k"[..], 17 << 20)] {
        let params = EnvelopeParams { encrypted_key: key, context: &ctx, chunk_size: cs };
        let r = Encryptor::new(Vec::new(), &KEY, &params, &mut OsRng);
        assert!(matches!(r, Err(EnvelopeError::InvalidInput(_))));
    }
    let params = EnvelopeParams { encrypted_key: b"k", context: &ctx, chunk_size: 16 };
    assert!(matches!(
        Encryptor::new(Vec::new(), &[1; 31], &params, &mut OsRng),
        Err(EnvelopeError::BadKey)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_flipped_bit_fails_and_writes_nothing_unauthentic(
        len in 0usize..200,
        cs in 1u32..64,
        bit in any::<proptest::sample::Index>(),
    ) {
        let d = data(len);
        let file = encrypt(&d, cs);
        let i = bit.index(file.len() * 8);
        let mut bad = file;
        bad[i / 8] ^= 1 << (i % 8);
        let (r, out) = decrypt_with(&KEY, &bad);
        prop_assert!(r.is_err());
        // Whatever was written is a prefix of the real plaintext, ending at a chunk boundary.
        prop_assert!(d.starts_with(&out));
        prop_assert_eq!(out.len() % cs as usize, 0);
    }

    #[test]
    fn random_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decrypt(&bytes);
        let mut framed = b"kwenv\r\n\x1a\x01\x01".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = decrypt(&framed);
    }

    #[test]
    fn round_trip(d in proptest::collection::vec(any::<u8>(), 0..300), cs in 1u32..40) {
        prop_assert_eq!(decrypt(&encrypt(&d, cs)).unwrap(), d);
    }
}

/// Throughput on a real 1 GiB file (run with `cargo test --release -- --ignored`): encrypts
/// and decrypts file to file through the page cache and prints GB/s.
#[test]
#[ignore = "writes 3 GiB to the temporary directory; a benchmark, run by hand"]
fn one_gib_file_throughput() {
    use std::io::{BufWriter, Write};
    let dir = std::env::temp_dir().join(format!("keyward-envelope-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (plain, sealed, opened) = (dir.join("plain"), dir.join("sealed"), dir.join("opened"));
    let mut block = vec![0u8; 1 << 20];
    OsRng.fill_bytes(&mut block);
    let mut f = BufWriter::new(std::fs::File::create(&plain).unwrap());
    for _ in 0..1024 {
        f.write_all(&block).unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    let size = 1u64 << 30;
    let ctx = context();
    let params = EnvelopeParams { encrypted_key: &[7; 150], context: &ctx, chunk_size: 65536 };

    let t = std::time::Instant::now();
    let mut input = std::fs::File::open(&plain).unwrap();
    let out = std::fs::File::create(&sealed).unwrap();
    encrypt_stream(&KEY, &params, &mut input, out, &mut OsRng, &mut |_| {}).unwrap();
    let enc = t.elapsed().as_secs_f64();

    let t = std::time::Instant::now();
    let mut input = std::fs::File::open(&sealed).unwrap();
    let header = read_header(&mut input).unwrap();
    let mut out = std::fs::File::create(&opened).unwrap();
    let n = decrypt_stream(&KEY, &header, &mut input, &mut out, &mut |_| {}).unwrap();
    let dec = t.elapsed().as_secs_f64();
    assert_eq!(n, size);
    let t = std::time::Instant::now();
    let mut input = std::fs::File::open(&sealed).unwrap();
    let header = read_header(&mut input).unwrap();
    decrypt_stream(&KEY, &header, &mut input, &mut std::io::sink(), &mut |_| {}).unwrap();
    let sink = t.elapsed().as_secs_f64();
    println!("decrypt to a sink: {:.2} GB/s", size as f64 / sink / 1e9);
    println!(
        "1 GiB file: encrypt {:.2} GB/s ({enc:.2} s), decrypt {:.2} GB/s ({dec:.2} s)",
        size as f64 / enc / 1e9,
        size as f64 / dec / 1e9
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
