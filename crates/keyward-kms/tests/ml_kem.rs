//! ML-KEM keys (ML_KEM_512/768/1024, ENCAPSULATE_DECAPSULATE) with Encapsulate and
//! Decapsulate. Known answers (`data/ml_kem_known_answers.json`) were computed with two other
//! FIPS 203 implementations: kyber-py (pure Python: the encapsulation key, the ciphertext and
//! shared secret of a fixed `m`, an implicit rejection) and `cryptography` (OpenSSL: the
//! SubjectPublicKeyInfo and seed-form PKCS#8 of ML_KEM_768/1024 from the same seed). The sdk stage checks a live
//! server against both packages (tests/sdk/boto3_key_specs.py).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::crypto::asym;
use keyward_kms::record::Secret;
use keyward_kms::types::KeySpec;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// Randomness that hands out fixed bytes (FIPS 203's `m`), then fails the test if asked again.
struct Fixed(Vec<u8>);

impl rand_core::RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        panic!("unexpected draw")
    }
    fn next_u64(&mut self) -> u64 {
        panic!("unexpected draw")
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(dest.len() <= self.0.len(), "more randomness asked than given");
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for Fixed {}

#[test]
fn known_answers_from_two_other_implementations() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("data/ml_kem_known_answers.json")).unwrap();
    assert_eq!(cases.len(), 3);
    for c in &cases {
        let s = |f: &str| c[f].as_str().unwrap().to_string();
        let spec = KeySpec::parse(&s("spec")).unwrap();
        let seed = Secret::new(hex(&s("seed")));
        let ek_len = c["ek_len"].as_u64().unwrap() as usize;
        let spki = asym::public_key_der(spec, &seed).unwrap();
        // The encapsulation key is the end of the SubjectPublicKeyInfo (a BIT STRING).
        assert_eq!(sha256_hex(&spki[spki.len() - ek_len..]), s("ek_sha256"), "{spec}");
        if let Some(want) = c["spki_sha256_openssl"].as_str() {
            assert_eq!(sha256_hex(&spki), want, "{spec} SubjectPublicKeyInfo");
        }
        if let Some(want) = c["pkcs8_sha256_openssl"].as_str() {
            let der = asym::private_key_pkcs8(spec, &seed).unwrap();
            assert_eq!(sha256_hex(der.expose()), want, "{spec} PKCS#8 (seed form)");
        }
        let (ct, secret) = asym::encapsulate(spec, &seed, &mut Fixed(hex(&s("m")))).unwrap();
        assert_eq!(ct.len(), c["ciphertext_len"].as_u64().unwrap() as usize);
        assert_eq!(sha256_hex(&ct), s("ciphertext_sha256"), "{spec}");
        assert_eq!(secret.expose(), hex(&s("shared_secret")).as_slice(), "{spec}");
        assert_eq!(asym::decapsulate(spec, &seed, &ct).unwrap().expose(), secret.expose());
        // Implicit rejection: a changed ciphertext gives J(z || c'), not an error.
        let mut flipped = ct.clone();
        flipped[0] ^= 1;
        assert_eq!(format!("{:02x}", flipped[0]), s("flipped_ciphertext_first_byte"));
        let rejected = asym::decapsulate(spec, &seed, &flipped).unwrap();
        assert_eq!(rejected.expose(), hex(&s("implicit_rejection_secret")).as_slice());
        // A ciphertext of another length is refused.
        assert!(asym::decapsulate(spec, &seed, &ct[1..]).is_err());
    }
}

fn ml_kem_key(k: &mut keyward_kms::Kms, spec: &str) -> String {
    key(k, json!({"KeySpec": spec, "KeyUsage": "ENCAPSULATE_DECAPSULATE"}))
}

#[test]
fn encapsulate_and_decapsulate_through_the_kms() {
    let mut k = kms();
    for (spec, ct_len, spki_len) in [
        ("ML_KEM_512", 768, 800 + 22),
        ("ML_KEM_768", 1088, 1184 + 22),
        ("ML_KEM_1024", 1568, 1568 + 22),
    ] {
        let made = ok(
            &mut k,
            &admin(),
            "CreateKey",
            json!({"KeySpec": spec, "KeyUsage": "ENCAPSULATE_DECAPSULATE"}),
        );
        let m = &made["KeyMetadata"];
        assert_eq!(m["KeySpec"], spec);
        assert_eq!(m["KeyUsage"], "ENCAPSULATE_DECAPSULATE");
        assert_eq!(m["EncapsulationAlgorithms"], json!(["ML_KEM"]));
        for absent in ["EncryptionAlgorithms", "SigningAlgorithms", "KeyAgreementAlgorithms"] {
            assert!(m.get(absent).is_none(), "{absent} in {m}");
        }
        let id = m["KeyId"].as_str().unwrap().to_string();
        let arn = m["Arn"].as_str().unwrap().to_string();
        let public = ok(&mut k, &admin(), "GetPublicKey", json!({"KeyId": id}));
        assert_eq!(public["KeyUsage"], "ENCAPSULATE_DECAPSULATE");
        assert_eq!(public["EncapsulationAlgorithms"], json!(["ML_KEM"]));
        assert!(public.get("EncryptionAlgorithms").is_none(), "{public}");
        assert_eq!(unb64(&public["PublicKey"]).len(), spki_len, "{spec}");
        let enc = ok(
            &mut k,
            &admin(),
            "Encapsulate",
            json!({"KeyId": id, "EncapsulationAlgorithm": "ML_KEM"}),
        );
        assert_eq!(enc["KeyId"], arn.as_str());
        assert_eq!(enc["EncapsulationAlgorithm"], "ML_KEM");
        let secret = unb64(&enc["SharedSecret"]);
        let ct = unb64(&enc["SharedSecretCiphertextBlob"]);
        assert_eq!((secret.len(), ct.len()), (32, ct_len), "{spec}");
        let dec = ok(
            &mut k,
            &admin(),
            "Decapsulate",
            json!({"KeyId": id, "EncapsulationAlgorithm": "ML_KEM",
                   "SharedSecretCiphertextBlob": enc["SharedSecretCiphertextBlob"]}),
        );
        assert_eq!(dec["KeyId"], arn.as_str());
        assert_eq!(dec["EncapsulationAlgorithm"], "ML_KEM");
        assert_eq!(unb64(&dec["SharedSecret"]), secret);
        assert!(dec.get("SharedSecretCiphertextBlob").is_none());
        // A second encapsulation is fresh.
        let again = ok(
            &mut k,
            &admin(),
            "Encapsulate",
            json!({"KeyId": id, "EncapsulationAlgorithm": "ML_KEM"}),
        );
        assert_ne!(unb64(&again["SharedSecret"]), secret);
        // Implicit rejection: an altered ciphertext of the right length answers 32 other bytes.
        let mut altered = ct.clone();
        altered[5] ^= 0x80;
        let other = ok(
            &mut k,
            &admin(),
            "Decapsulate",
            json!({"KeyId": id, "EncapsulationAlgorithm": "ML_KEM",
                   "SharedSecretCiphertextBlob": b64(&altered)}),
        );
        let other = unb64(&other["SharedSecret"]);
        assert_eq!(other.len(), 32);
        assert_ne!(other, secret);
        // A ciphertext of another length: InvalidCiphertextException, with no message.
        let e = err(
            &mut k,
            &admin(),
            "Decapsulate",
            json!({"KeyId": id, "EncapsulationAlgorithm": "ML_KEM",
                   "SharedSecretCiphertextBlob": b64(&ct[..ct.len() - 1])}),
        );
        assert_eq!((e.code.as_str(), e.message.as_str()), ("InvalidCiphertextException", ""));
    }
}

#[test]
fn refusals_in_aws_words() {
    let mut k = kms();
    let kem = ml_kem_key(&mut k, "ML_KEM_768");
    let sym = key(&mut k, json!({}));
    let sym_arn = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": sym}))["KeyMetadata"]["Arn"]
        .as_str()
        .unwrap()
        .to_string();
    // A key of another usage.
    let e = err(
        &mut k,
        &admin(),
        "Encapsulate",
        json!({"KeyId": sym, "EncapsulationAlgorithm": "ML_KEM"}),
    );
    assert_eq!(e.code.as_str(), "InvalidKeyUsageException");
    assert_eq!(
        e.message,
        format!("{sym_arn} key usage is ENCRYPT_DECRYPT which is not valid for Encapsulate.")
    );
    let e = err(
        &mut k,
        &admin(),
        "Decapsulate",
        json!({"KeyId": sym, "EncapsulationAlgorithm": "ML_KEM", "SharedSecretCiphertextBlob": b64(&[1; 1088])}),
    );
    assert_eq!(e.code.as_str(), "InvalidKeyUsageException");
    // ML-KEM keys are for ENCAPSULATE_DECAPSULATE only, and their usage is named.
    let e = err(
        &mut k,
        &admin(),
        "CreateKey",
        json!({"KeySpec": "ML_KEM_768", "KeyUsage": "SIGN_VERIFY"}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("ValidationException", "KeyUsage SIGN_VERIFY is not compatible with KeySpec ML_KEM_768")
    );
    let e = err(
        &mut k,
        &admin(),
        "CreateKey",
        json!({"KeySpec": "RSA_2048", "KeyUsage": "ENCAPSULATE_DECAPSULATE"}),
    );
    assert_eq!(e.code.as_str(), "ValidationException");
    // The model's checks: the algorithm enum, required members.
    let e = err(
        &mut k,
        &admin(),
        "Encapsulate",
        json!({"KeyId": kem, "EncapsulationAlgorithm": "KYBER"}),
    );
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'KYBER' at 'encapsulationAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ML_KEM]"
    );
    let e = err(
        &mut k,
        &admin(),
        "Decapsulate",
        json!({"KeyId": kem, "EncapsulationAlgorithm": "ML_KEM"}),
    );
    assert_eq!(
        e.message,
        "1 validation error detected: Value null at 'sharedSecretCiphertextBlob' failed to satisfy constraint: Member must not be null"
    );
    // Other operations refuse the key; DryRun; a disabled key.
    let e = err(&mut k, &admin(), "Encrypt", json!({"KeyId": kem, "Plaintext": b64(b"x")}));
    assert_eq!(e.code.as_str(), "InvalidKeyUsageException");
    let dry = json!({"KeyId": kem, "EncapsulationAlgorithm": "ML_KEM", "DryRun": true});
    assert_eq!(code(&mut k, &admin(), "Encapsulate", dry), "DryRunOperationException");
    ok(&mut k, &admin(), "DisableKey", json!({"KeyId": kem}));
    let req = json!({"KeyId": kem, "EncapsulationAlgorithm": "ML_KEM"});
    assert_eq!(code(&mut k, &admin(), "Encapsulate", req), "DisabledException");
}

#[test]
fn key_policies_and_grants_govern_encapsulate_and_decapsulate() {
    const APP: &str = "arn:aws:iam::111122223333:role/app";
    let mut k = kms();
    k.put_identity(APP, vec![], None, vec![]).unwrap();
    let kem = ml_kem_key(&mut k, "ML_KEM_512");
    let req = json!({"KeyId": kem, "EncapsulationAlgorithm": "ML_KEM"});
    assert_eq!(code(&mut k, &as_(APP), "Encapsulate", req.clone()), "AccessDeniedException");
    // A grant for another key usage's operation is refused; the ML-KEM operations are allowed.
    let e = err(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": kem, "GranteePrincipal": APP, "Operations": ["Encrypt"]}),
    );
    assert_eq!(e.code.as_str(), "ValidationException");
    ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": kem, "GranteePrincipal": APP, "Operations": ["Encapsulate"]}),
    );
    let enc = ok(&mut k, &as_(APP), "Encapsulate", req);
    let dec = json!({"KeyId": kem, "EncapsulationAlgorithm": "ML_KEM",
                     "SharedSecretCiphertextBlob": enc["SharedSecretCiphertextBlob"]});
    assert_eq!(code(&mut k, &as_(APP), "Decapsulate", dec.clone()), "AccessDeniedException");
    // The key policy can allow kms:Decapsulate by the key's spec.
    let policy = policy_with(&[json!({"Effect": "Allow", "Principal": {"AWS": APP},
        "Action": "kms:Decapsulate", "Resource": "*",
        "Condition": {"StringEquals": {"kms:KeySpec": "ML_KEM_512"}}})]);
    ok(
        &mut k,
        &admin(),
        "PutKeyPolicy",
        json!({"KeyId": kem, "PolicyName": "default", "Policy": policy}),
    );
    let out = ok(&mut k, &as_(APP), "Decapsulate", dec);
    assert_eq!(out["SharedSecret"], enc["SharedSecret"]);
    // GetKeyLastUsage tracks both.
    let last = ok(&mut k, &admin(), "GetKeyLastUsage", json!({"KeyId": kem}));
    assert_eq!(last["KeyLastUsage"]["Operation"], "Decapsulate", "{last}");
}

#[test]
fn ml_kem_data_key_pairs() {
    let mut k = kms();
    let sym = key(&mut k, json!({}));
    for (spec, spki_len) in [("ML_KEM_512", 822), ("ML_KEM_768", 1206), ("ML_KEM_1024", 1590)] {
        let out = ok(
            &mut k,
            &admin(),
            "GenerateDataKeyPair",
            json!({"KeyId": sym, "KeyPairSpec": spec, "EncryptionContext": {"p": "q"}}),
        );
        assert_eq!(out["KeyPairSpec"], spec);
        let private = unb64(&out["PrivateKeyPlaintext"]);
        let public = unb64(&out["PublicKey"]);
        assert_eq!(public.len(), spki_len, "{spec}");
        // Seed-form PKCS#8: version 0, the ML-KEM algorithm, an OCTET STRING holding [0] seed.
        assert_eq!(private.len(), 86, "{spec}");
        let seed = Secret::new(private[private.len() - 64..].to_vec());
        let spec_t = KeySpec::parse(spec).unwrap();
        assert_eq!(asym::public_key_der(spec_t, &seed).unwrap(), public, "{spec}");
        let back = ok(
            &mut k,
            &admin(),
            "Decrypt",
            json!({"CiphertextBlob": out["PrivateKeyCiphertextBlob"], "EncryptionContext": {"p": "q"}}),
        );
        assert_eq!(unb64(&back["Plaintext"]), private);
    }
}
