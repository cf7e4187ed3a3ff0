//! Properties through the whole KMS: any flipped bit of a ciphertext, and any change to its
//! encryption context, makes Decrypt fail with InvalidCiphertextException; never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

fn context() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map("[a-zA-Z0-9:_-]{1,12}", "[ -~]{0,20}", 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn flipped_bit_fails(pt in proptest::collection::vec(any::<u8>(), 1..300), ctx in context(), bit in any::<usize>()) {
        let mut k = kms();
        let id = key(&mut k, json!({}));
        let ct = unb64(&ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(&pt), "EncryptionContext": ctx}))["CiphertextBlob"]);
        let mut bad = ct.clone();
        let i = bit % (bad.len() * 8);
        bad[i / 8] ^= 1 << (i % 8);
        let r = k.call(&admin(), "Decrypt", &json!({"CiphertextBlob": b64(&bad), "EncryptionContext": ctx}));
        prop_assert_eq!(r.err().map(|e| e.code.as_str()), Some("InvalidCiphertextException"));
        let back = ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": b64(&ct), "EncryptionContext": ctx}));
        prop_assert_eq!(unb64(&back["Plaintext"]), pt);
    }

    #[test]
    fn changed_context_fails(ctx in context(), extra_key in "[a-z]{1,8}", extra_val in "[a-z]{0,8}", drop in any::<bool>()) {
        let mut k = kms();
        let id = key(&mut k, json!({}));
        let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"p"), "EncryptionContext": ctx}))["CiphertextBlob"].clone();
        let mut other = ctx;
        if drop && !other.is_empty() {
            let first = other.keys().next().cloned().unwrap();
            other.remove(&first);
        } else {
            let old = other.insert(extra_key, extra_val.clone());
            prop_assume!(old.as_ref() != Some(&extra_val));
        }
        let r = k.call(&admin(), "Decrypt", &json!({"CiphertextBlob": ct, "EncryptionContext": other}));
        prop_assert_eq!(r.err().map(|e| e.code.as_str()), Some("InvalidCiphertextException"));
    }

    #[test]
    fn arbitrary_requests_never_panic(op in proptest::sample::select(keyward_kms::Operation::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>()), body in "\\PC{0,200}") {
        let mut k = kms();
        key(&mut k, json!({}));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
        let _ = k.call(&admin(), op, &v);
        let _ = k.call(&admin(), op, &json!({"KeyId": "alias/x", "Plaintext": "AA==", "CiphertextBlob": "AAAA", "GrantTokens": ["x"]}));
    }
}
