//! Profiling loop for Decrypt: `cargo run --release -p keyward-kms --example prof_decrypt N`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "profiling harness")]
use keyward_kms::ops::crypto_ops::DecryptRequest;
use keyward_kms::{Blob, Caller, Config, Kms};
use serde_json::json;
use std::collections::BTreeMap;

fn main() {
    let mut k = Kms::in_memory(Box::new(rand_core::OsRng), Config::default());
    k.seed_defaults().unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}]}"#;
    k.put_identity(
        "arn:aws:iam::111122223333:role/App",
        vec![("app".into(), policy.into())],
        None,
        vec![],
    )
    .unwrap();
    let admin = Caller {
        principal: keyward_kms::account::DEFAULT_CALLER.into(),
        now_ms: 1_767_225_600_000,
        ..Caller::default()
    };
    let id = k.call(&admin, "CreateKey", &json!({})).unwrap()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let caller =
        Caller { principal: "arn:aws:sts::111122223333:assumed-role/App/s1".into(), ..admin };
    let mut ctx = BTreeMap::new();
    ctx.insert("app".to_string(), "web".to_string());
    let pt = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 1024]);
    let out = k
        .call(&caller, "Encrypt", &json!({"KeyId": id, "Plaintext": pt, "EncryptionContext": ctx}))
        .unwrap();
    let ct = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        out["CiphertextBlob"].as_str().unwrap(),
    )
    .unwrap();
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let t = std::time::Instant::now();
    for _ in 0..n {
        let r = DecryptRequest {
            ciphertext_blob: Blob(ct.clone()),
            encryption_context: Some(ctx.clone()),
            ..DecryptRequest::default()
        };
        std::hint::black_box(k.decrypt(&caller, r).unwrap());
    }
    let e = t.elapsed();
    #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
    let rate = n as f64 / e.as_secs_f64();
    println!("{n} decrypts in {e:?}: {rate:.0}/s");
}
