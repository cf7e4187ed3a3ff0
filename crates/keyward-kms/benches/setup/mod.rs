//! The Decrypt benchmarks' setup, shared by `benches/decrypt.rs` and
//! `examples/decrypt_loop.rs`: a key under the default key policy, a role with an IAM policy
//! that allows Decrypt with an encryption context, and a 1 KiB ciphertext of that role.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use keyward_kms::api::{CreateKeyRequest, EncryptRequest};
use keyward_kms::{Caller, Config, Kms, SecretBlob};
use std::collections::BTreeMap;

const ROLE: &str = "arn:aws:iam::111122223333:role/App";

/// The KMS, the calling role session, the ciphertext and its encryption context.
pub(crate) fn setup() -> (Kms, Caller, Vec<u8>, BTreeMap<String, String>) {
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
