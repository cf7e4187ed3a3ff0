//! In-process Decrypt of 1 KiB including authorization (goal: ≥ 300,000/s on one core), as a
//! role session under the default key policy with an IAM policy, through the typed method and
//! through the JSON wire adapter the server uses.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyward_kms::api::DecryptRequest;
use keyward_kms::Blob;
use serde_json::json;

mod setup;
use setup::setup;

fn bench(c: &mut Criterion) {
    let (mut k, caller, ct, ctx) = setup();
    let mut g = c.benchmark_group("kms");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decrypt_1k_authorized", |b| {
        b.iter(|| {
            let r = DecryptRequest {
                ciphertext_blob: Blob(ct.clone()),
                encryption_context: Some(ctx.clone()),
                ..DecryptRequest::default()
            };
            k.decrypt(&caller, r).unwrap()
        });
    });
    let body = json!({
        "CiphertextBlob": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &ct),
        "EncryptionContext": ctx,
    });
    g.bench_function("decrypt_1k_json", |b| b.iter(|| k.call(&caller, "Decrypt", &body).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
