//! In-process Decrypt of 1 KiB including authorization (goal: ≥ 300,000/s on one core), as a
//! role session under the default key policy with an IAM policy, through the typed method and
//! through the JSON wire adapter the server uses.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyward_kms::api::{CreateKeyRequest, DecryptRequest, EncryptRequest};
use keyward_kms::{Blob, Caller, Config, Kms, SecretBlob};
use serde_json::json;
use std::collections::BTreeMap;

const ROLE: &str = "arn:aws:iam::111122223333:role/App";

fn setup() -> (Kms, Caller, Vec<u8>, BTreeMap<String, String>) {
    let mut k = Kms::in_memory(Box::new(rand_core::OsRng), Config::default());
    k.seed_defaults().unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:app":"web"}}}]}"#;
    k.put_identity(ROLE, vec![("app".into(), policy.into())], None, vec![]).unwrap();
    let admin = Caller {
        principal: keyward_kms::account::DEFAULT_CALLER.into(),
        now_ms: 1_767_225_600_000,
        ..Caller::default()
    };
    let id = k.create_key(&admin, CreateKeyRequest::default()).unwrap().key_metadata.key_id;
    let caller =
        Caller { principal: "arn:aws:sts::111122223333:assumed-role/App/s1".into(), ..admin };
    let mut ctx = BTreeMap::new();
    ctx.insert("app".to_string(), "web".to_string());
    let r = EncryptRequest {
        key_id: id,
        plaintext: SecretBlob::new(vec![7u8; 1024]),
        encryption_context: Some(ctx.clone()),
        ..EncryptRequest::default()
    };
    let ct = k.encrypt(&caller, r).unwrap().ciphertext_blob.0;
    (k, caller, ct, ctx)
}

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
