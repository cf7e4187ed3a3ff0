//! Fuzz target: ciphertext blob parsing (`crypto::blob::header`) and opening (`open`) with a
//! fixed key material; a blob that is not genuine must never decrypt or panic.
#![no_main]
use keyward_kms::crypto::blob::{header, open};
use keyward_kms::record::{Material, Secret};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let _ = header(data);
    let material = Material {
        id: "ab".repeat(32),
        created_ms: 0,
        origin: "CREATE".into(),
        secret: Secret::new(vec![7u8; 32]),
    };
    let mut ctx = BTreeMap::new();
    ctx.insert("Department".to_string(), "Finance".to_string());
    assert!(open(&material, data, &ctx).is_err(), "a fuzzed blob decrypted");
    assert!(open(&material, data, &BTreeMap::new()).is_err(), "a fuzzed blob decrypted");
});
