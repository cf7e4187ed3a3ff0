//! Without the `asymmetric` feature (the WASM build), RSA and ECC key specs answer
//! UnsupportedOperationException while symmetric and HMAC keys work. Run with
//! `cargo test -p keyward-kms --no-default-features --test no_asymmetric`.
#![cfg(not(feature = "asymmetric"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use serde_json::json;

#[test]
fn asymmetric_specs_are_unsupported_and_symmetric_ones_work() {
    let mut k = kms();
    for spec in ["RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1"] {
        let e =
            err(&mut k, &admin(), "CreateKey", json!({"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"}));
        assert_eq!(e.code.as_str(), "UnsupportedOperationException", "{spec}");
    }
    let e = err(
        &mut k,
        &admin(),
        "CreateKey",
        json!({"KeySpec": "ML_KEM_768", "KeyUsage": "ENCAPSULATE_DECAPSULATE"}),
    );
    assert_eq!(e.code.as_str(), "UnsupportedOperationException");
    let id = key(&mut k, json!({}));
    let ct = ok(&mut k, &admin(), "Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}));
    let pt = ok(&mut k, &admin(), "Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]}));
    assert_eq!(unb64(&pt["Plaintext"]), b"x");
    let mac = key(&mut k, json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    ok(
        &mut k,
        &admin(),
        "GenerateMac",
        json!({"KeyId": mac, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256"}),
    );
    let e = err(
        &mut k,
        &admin(),
        "GenerateDataKeyPair",
        json!({"KeyId": id, "KeyPairSpec": "ECC_NIST_P256"}),
    );
    assert_eq!(e.code.as_str(), "UnsupportedOperationException");
}
