//! The key specs and operations of AWS's current KMS model (issue 15): ECC_NIST_EDWARDS25519
//! (ED25519_SHA_512, ED25519_PH_SHA_512), ML_DSA_44/65/87 (ML_DSA_SHAKE_256, RAW and
//! EXTERNAL_MU), KEY_AGREEMENT keys on the NIST curves with DeriveSharedSecret (ECDH). Known
//! answers from RFC 8032 tie Ed25519 to the standard; the Python sdk stage checks signatures
//! and shared secrets with the `cryptography` package and ML-DSA with dilithium-py.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::crypto::asym;
use keyward_kms::record::Secret;
use keyward_kms::types::{KeySpec, MessageType, SigningAlgorithm};
use keyward_kms::Kms;
use serde_json::json;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// An Ed25519 private key as PKCS#8 DER (RFC 8410) from its 32-byte seed.
fn ed25519_pkcs8(seed: &str) -> Secret {
    let mut der = hex("302e020100300506032b657004220420");
    der.extend(hex(seed));
    Secret::new(der)
}

#[test]
fn ed25519_known_answers_from_rfc_8032() {
    let mut rng = rand_core::OsRng;
    let spec = KeySpec::EccNistEdwards25519;
    // RFC 8032 §7.1, TEST 1 (the empty message).
    let k = ed25519_pkcs8("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let sig =
        asym::sign(spec, &k, SigningAlgorithm::Ed25519Sha512, b"", MessageType::Raw, &mut rng);
    assert_eq!(
        sig.unwrap(),
        hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    );
    let public = asym::public_key_der(spec, &k).unwrap();
    assert!(
        public.ends_with(&hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
    );
    // RFC 8032 §7.3, Ed25519ph TEST abc: RAW (hashed here) and DIGEST give the same signature.
    let k = ed25519_pkcs8("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42");
    let want = hex("98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406");
    let ph = SigningAlgorithm::Ed25519PhSha512;
    assert_eq!(asym::sign(spec, &k, ph, b"abc", MessageType::Raw, &mut rng).unwrap(), want);
    use sha2::Digest as _;
    let digest = sha2::Sha512::digest(b"abc").to_vec();
    assert_eq!(asym::sign(spec, &k, ph, &digest, MessageType::Digest, &mut rng).unwrap(), want);
    assert!(asym::verify(spec, &k, ph, b"abc", MessageType::Raw, &want).unwrap());
    assert!(!asym::verify(spec, &k, ph, b"abd", MessageType::Raw, &want).unwrap());
    // Pure Ed25519 takes RAW messages only; Ed25519ph's DIGEST is 64 bytes.
    let pure = SigningAlgorithm::Ed25519Sha512;
    assert!(asym::sign(spec, &k, pure, &digest, MessageType::Digest, &mut rng).is_err());
    assert!(asym::sign(spec, &k, ph, &digest[1..], MessageType::Digest, &mut rng).is_err());
}

#[test]
fn sign_and_verify_with_the_new_specs_through_the_kms() {
    let mut k = kms();
    let cases = [
        ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "RAW", b"message".to_vec()),
        ("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", "RAW", b"message".to_vec()),
        ("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", "DIGEST", vec![7; 64]),
        ("ML_DSA_44", "ML_DSA_SHAKE_256", "RAW", b"message".to_vec()),
        ("ML_DSA_65", "ML_DSA_SHAKE_256", "RAW", vec![1; 4096]),
        ("ML_DSA_87", "ML_DSA_SHAKE_256", "EXTERNAL_MU", vec![9; 64]),
    ];
    for (spec, alg, mt, msg) in cases {
        let made =
            ok(&mut k, &admin(), "CreateKey", json!({"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"}));
        let m = &made["KeyMetadata"];
        assert_eq!(m["KeySpec"], spec);
        assert!(m["SigningAlgorithms"].as_array().unwrap().contains(&json!(alg)), "{m}");
        let id = m["KeyId"].as_str().unwrap();
        let req =
            json!({"KeyId": id, "Message": b64(&msg), "MessageType": mt, "SigningAlgorithm": alg});
        let sig = ok(&mut k, &admin(), "Sign", req.clone())["Signature"].clone();
        let mut verify = req.clone();
        verify["Signature"] = sig.clone();
        let out = ok(&mut k, &admin(), "Verify", verify.clone());
        assert_eq!(out["SignatureValid"], true, "{spec} {alg} {mt}");
        let mut flipped = unb64(&sig);
        flipped[10] ^= 1;
        verify["Signature"] = json!(b64(&flipped));
        assert_eq!(
            code(&mut k, &admin(), "Verify", verify),
            "KMSInvalidSignatureException",
            "{spec} {alg} {mt}"
        );
        let public = ok(&mut k, &admin(), "GetPublicKey", json!({"KeyId": id}));
        assert_eq!(public["SigningAlgorithms"], m["SigningAlgorithms"]);
        assert!(unb64(&public["PublicKey"]).len() > 40);
    }
    // Sizes of ML-DSA signatures (FIPS 204): 2420, 3309, 4627 bytes.
    for (spec, len) in [("ML_DSA_44", 2420), ("ML_DSA_65", 3309), ("ML_DSA_87", 4627)] {
        let id = key(&mut k, json!({"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"}));
        let req =
            json!({"KeyId": id, "Message": b64(b"m"), "SigningAlgorithm": "ML_DSA_SHAKE_256"});
        assert_eq!(unb64(&ok(&mut k, &admin(), "Sign", req)["Signature"]).len(), len, "{spec}");
        // DIGEST is not an ML-DSA message type; EXTERNAL_MU is 64 bytes.
        for (mt, msg) in [("DIGEST", vec![0; 32]), ("EXTERNAL_MU", vec![0; 32])] {
            let req = json!({"KeyId": id, "Message": b64(&msg), "MessageType": mt,
                             "SigningAlgorithm": "ML_DSA_SHAKE_256"});
            assert_eq!(code(&mut k, &admin(), "Sign", req), "ValidationException", "{spec} {mt}");
        }
    }
    // EXTERNAL_MU is ML-DSA's only.
    let ed = key(&mut k, json!({"KeySpec": "ECC_NIST_EDWARDS25519", "KeyUsage": "SIGN_VERIFY"}));
    let req = json!({"KeyId": ed, "Message": b64(&[0; 64]), "MessageType": "EXTERNAL_MU",
                     "SigningAlgorithm": "ED25519_PH_SHA_512"});
    assert_eq!(code(&mut k, &admin(), "Sign", req), "ValidationException");
}

#[test]
fn derive_shared_secret_agrees_with_the_peer() {
    use p256::elliptic_curve::sec1::ToEncodedPoint as _;
    use p256::pkcs8::{DecodePublicKey as _, EncodePublicKey as _};
    let mut k = kms();
    let made = ok(
        &mut k,
        &admin(),
        "CreateKey",
        json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}),
    );
    let m = &made["KeyMetadata"];
    assert_eq!(m["KeyAgreementAlgorithms"], json!(["ECDH"]));
    assert!(m.get("SigningAlgorithms").is_none(), "{m}");
    let id = m["KeyId"].as_str().unwrap().to_string();
    let kms_public =
        unb64(&ok(&mut k, &admin(), "GetPublicKey", json!({"KeyId": id}))["PublicKey"]);
    // The peer: a P-256 key made here.
    let peer = p256::SecretKey::random(&mut rand_core::OsRng);
    let peer_spki = peer.public_key().to_public_key_der().unwrap();
    let out = ok(
        &mut k,
        &admin(),
        "DeriveSharedSecret",
        json!({"KeyId": id,
        "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(peer_spki.as_bytes())}),
    );
    assert_eq!(out["KeyAgreementAlgorithm"], "ECDH");
    assert_eq!(out["KeyOrigin"], "AWS_KMS");
    let theirs = p256::PublicKey::from_public_key_der(&kms_public).unwrap();
    let expected = p256::ecdh::diffie_hellman(peer.to_nonzero_scalar(), theirs.as_affine());
    assert_eq!(unb64(&out["SharedSecret"]), expected.raw_secret_bytes().to_vec());
    assert_eq!(theirs.to_encoded_point(false).len(), 65);
    // Errors: a public key of another curve, a signing key, an unknown algorithm.
    let p384 = p384::SecretKey::random(&mut rand_core::OsRng);
    let other = p384::pkcs8::EncodePublicKey::to_public_key_der(&p384.public_key()).unwrap();
    let bad =
        json!({"KeyId": id, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(other.as_bytes())});
    assert_eq!(code(&mut k, &admin(), "DeriveSharedSecret", bad), "ValidationException");
    let signer = key(&mut k, json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}));
    let wrong = json!({"KeyId": signer, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(peer_spki.as_bytes())});
    assert_eq!(code(&mut k, &admin(), "DeriveSharedSecret", wrong), "InvalidKeyUsageException");
    let alg =
        json!({"KeyId": id, "KeyAgreementAlgorithm": "DH", "PublicKey": b64(peer_spki.as_bytes())});
    assert_eq!(code(&mut k, &admin(), "DeriveSharedSecret", alg), "ValidationException");
    // KEY_AGREEMENT is for the NIST curves only.
    let e = err(
        &mut k,
        &admin(),
        "CreateKey",
        json!({"KeySpec": "ECC_SECG_P256K1", "KeyUsage": "KEY_AGREEMENT"}),
    );
    assert_eq!(e.code.as_str(), "ValidationException");
    // kms:KeyAgreementAlgorithm is in the context: a key policy can require it.
    let policy = policy_with(&[json!({"Effect": "Deny", "Principal": "*",
        "Action": "kms:DeriveSharedSecret", "Resource": "*",
        "Condition": {"StringNotEquals": {"kms:KeyAgreementAlgorithm": "ECDH"}}})]);
    ok(
        &mut k,
        &admin(),
        "PutKeyPolicy",
        json!({"KeyId": id, "PolicyName": "default", "Policy": policy}),
    );
    ok(
        &mut k,
        &admin(),
        "DeriveSharedSecret",
        json!({"KeyId": id,
        "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(peer_spki.as_bytes())}),
    );
}

#[test]
fn get_key_last_usage_reports_the_last_successful_cryptographic_call() {
    let mut k = kms();
    let a = key(&mut k, json!({}));
    let b = key(&mut k, json!({}));
    let usage = |k: &mut Kms, id: &str| ok(k, &admin(), "GetKeyLastUsage", json!({"KeyId": id}));
    let first = usage(&mut k, &a);
    assert_eq!(first["KeyId"], a.as_str());
    assert_eq!(first["KeyLastUsage"], json!({}));
    let t0 = (T0 / 1000) as f64;
    assert_eq!(first["KeyCreationDate"].as_f64(), Some(t0));
    assert_eq!(first["TrackingStartDate"].as_f64(), Some(t0));
    let ct = ok(
        &mut k,
        &at(admin(), T0 + 1000),
        "Encrypt",
        json!({"KeyId": a, "Plaintext": b64(b"x"), "EncryptionContext": {"k": "v"}}),
    );
    let blob = ct["CiphertextBlob"].clone();
    assert_eq!(
        usage(&mut k, &a)["KeyLastUsage"],
        json!({"Operation": "Encrypt", "Timestamp": t0 + 1.0})
    );
    ok(
        &mut k,
        &at(admin(), T0 + 2000),
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": {"k": "v"}}),
    );
    // A failed call is not a use; DescribeKey is not a cryptographic operation.
    err(&mut k, &at(admin(), T0 + 3000), "Decrypt", json!({"CiphertextBlob": blob}));
    ok(&mut k, &at(admin(), T0 + 3000), "DescribeKey", json!({"KeyId": a}));
    assert_eq!(
        usage(&mut k, &a)["KeyLastUsage"],
        json!({"Operation": "Decrypt", "Timestamp": t0 + 2.0})
    );
    // ReEncrypt is a use of both keys.
    ok(
        &mut k,
        &at(admin(), T0 + 4000),
        "ReEncrypt",
        json!({"CiphertextBlob": blob,
        "SourceEncryptionContext": {"k": "v"}, "DestinationKeyId": b}),
    );
    for id in [&a, &b] {
        assert_eq!(
            usage(&mut k, id)["KeyLastUsage"],
            json!({"Operation": "ReEncrypt", "Timestamp": t0 + 4.0})
        );
    }
}
