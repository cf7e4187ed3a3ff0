//! Criterion benchmarks of the KMS crypto: blob seal/open of 1 KiB (with a cached
//! [`Cipher`] and through the one-shot functions), envelope encryption and decryption of
//! 64 MiB in memory, and a signature per key family.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark")]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use keyward_kms::crypto::blob::{self, Cipher};
use keyward_kms::crypto::envelope::{
    decrypt_stream, encrypt_stream, read_header, EnvelopeParams, DEFAULT_CHUNK_SIZE,
};
use keyward_kms::crypto::{asym, generate_material, mac, random_hex_id, random_uuid};
use keyward_kms::record::Material;
use keyward_kms::types::{KeySpec, MacAlgorithm, MessageType, SigningAlgorithm};
use rand_core::{CryptoRng, OsRng, RngCore};
use std::collections::BTreeMap;

/// A fast, NOT cryptographic generator (splitmix64), so that the blob benchmarks measure the
/// cipher rather than the `getrandom` system call behind `OsRng`.
struct BenchRng(u64);

impl RngCore for BenchRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for BenchRng {}

fn blob_bench(c: &mut Criterion) {
    let m = Material {
        id: random_hex_id(&mut OsRng),
        created_ms: 0,
        origin: "CREATE".into(),
        secret: generate_material(KeySpec::SymmetricDefault, &mut OsRng).unwrap(),
    };
    let key_id = random_uuid(&mut OsRng);
    let ctx: BTreeMap<String, String> =
        [("department".to_string(), "finance".to_string()), ("app".into(), "ledger".into())].into();
    let pt = vec![7u8; 1024];
    let cipher = Cipher::new(&m).unwrap();
    let sealed = cipher.seal(&key_id, &ctx, &pt, &mut OsRng).unwrap();

    let mut g = c.benchmark_group("blob_1KiB");
    g.throughput(Throughput::Elements(1));
    let mut rng = BenchRng(1);
    g.bench_function("seal_cached_cipher", |b| {
        b.iter(|| cipher.seal(&key_id, &ctx, black_box(&pt), &mut rng).unwrap())
    });
    g.bench_function("seal_cached_cipher_osrng", |b| {
        b.iter(|| cipher.seal(&key_id, &ctx, black_box(&pt), &mut OsRng).unwrap())
    });
    g.bench_function("open_cached_cipher", |b| {
        b.iter(|| cipher.open(black_box(&sealed), &ctx).unwrap())
    });
    g.bench_function("seal_oneshot", |b| {
        b.iter(|| blob::seal(&key_id, &m, &ctx, black_box(&pt), &mut rng).unwrap())
    });
    g.bench_function("open_oneshot", |b| {
        b.iter(|| blob::open(&m, black_box(&sealed), &ctx).unwrap())
    });
    g.bench_function("header", |b| b.iter(|| blob::parse(black_box(&sealed)).unwrap()));
    g.finish();
}

fn envelope_bench(c: &mut Criterion) {
    const SIZE: usize = 64 << 20;
    let mut data = vec![0u8; SIZE];
    OsRng.fill_bytes(&mut data);
    let key = [0x11u8; 32];
    let ctx = BTreeMap::new();
    let params =
        EnvelopeParams { encrypted_key: &[1; 150], context: &ctx, chunk_size: DEFAULT_CHUNK_SIZE };
    let mut file = Vec::with_capacity(SIZE + SIZE / 1000);
    encrypt_stream(&key, &params, &mut &data[..], &mut file, &mut OsRng, &mut |_| {}).unwrap();

    let mut g = c.benchmark_group("envelope_64MiB");
    g.throughput(Throughput::Bytes(SIZE as u64));
    g.sample_size(10);
    let mut out = Vec::with_capacity(SIZE + SIZE / 1000);
    g.bench_function("encrypt", |b| {
        b.iter(|| {
            out.clear();
            encrypt_stream(&key, &params, &mut &data[..], &mut out, &mut OsRng, &mut |_| {})
                .unwrap()
        })
    });
    g.bench_function("decrypt", |b| {
        b.iter(|| {
            out.clear();
            let mut r = &file[..];
            let h = read_header(&mut r).unwrap();
            decrypt_stream(&key, &h, &mut r, &mut out, &mut |_| {}).unwrap()
        })
    });
    g.finish();
}

fn sign_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sign");
    for (spec, alg) in [
        (KeySpec::EccNistP256, SigningAlgorithm::EcdsaSha256),
        (KeySpec::Rsa2048, SigningAlgorithm::RsassaPssSha256),
    ] {
        let k = generate_material(spec, &mut OsRng).unwrap();
        g.bench_function(spec.as_str(), |b| {
            b.iter(|| asym::sign(spec, &k, alg, b"message", MessageType::Raw, &mut OsRng).unwrap())
        });
    }
    let key = [3u8; 32];
    g.bench_function("HMAC_SHA_256_1KiB", |b| {
        b.iter(|| mac::mac(MacAlgorithm::HmacSha256, &key, black_box(&[0u8; 1024])))
    });
    g.finish();
}

criterion_group!(benches, blob_bench, envelope_bench, sign_bench);
criterion_main!(benches);
