//! HMAC: RFC 4231 vectors, constant-time verification, wrong and truncated tags.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use keyward_kms::crypto::mac::{mac, mac_len, verify};
use keyward_kms::types::MacAlgorithm;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn rfc4231_case_2() {
    let (key, msg) = (b"Jefe", b"what do ya want for nothing?");
    let cases = [
        (MacAlgorithm::HmacSha224, "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"),
        (
            MacAlgorithm::HmacSha256,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            MacAlgorithm::HmacSha384,
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec373632244\
             5e8e2240ca5e69e2c78b3239ecfab21649",
        ),
        (
            MacAlgorithm::HmacSha512,
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
             9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        ),
    ];
    for (alg, want) in cases {
        let tag = mac(alg, key, msg);
        assert_eq!(hex(&tag), want, "{alg}");
        assert_eq!(tag.len(), mac_len(alg));
        assert!(verify(alg, key, msg, &tag));
    }
}

#[test]
fn wrong_tags_do_not_verify() {
    for &alg in MacAlgorithm::ALL {
        let key = [7u8; 32];
        let tag = mac(alg, &key, b"message");
        assert!(!verify(alg, &key, b"messagf", &tag));
        assert!(!verify(alg, &[8u8; 32], b"message", &tag));
        assert!(!verify(alg, &key, b"message", &tag[..tag.len() - 1]));
        assert!(!verify(alg, &key, b"message", &[]));
        let mut long = tag.clone();
        long.push(0);
        assert!(!verify(alg, &key, b"message", &long));
        for i in 0..tag.len() * 8 {
            let mut t = tag.clone();
            t[i / 8] ^= 1 << (i % 8);
            assert!(!verify(alg, &key, b"message", &t));
        }
    }
}

#[test]
fn algorithms_differ() {
    let key = [1u8; 64];
    let a = mac(MacAlgorithm::HmacSha256, &key, b"m");
    let b = mac(MacAlgorithm::HmacSha512, &key, b"m");
    assert!(!verify(MacAlgorithm::HmacSha256, &key, b"m", &b));
    assert!(!verify(MacAlgorithm::HmacSha512, &key, b"m", &a));
}
