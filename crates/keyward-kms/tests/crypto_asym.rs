//! Key generation, RSA-OAEP, signatures, public keys and key-material import, checked for
//! round trips, tampering, AWS's limits, and against the RustCrypto crates' own parsers and
//! verifiers (the shapes OpenSSL and the AWS SDKs read).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::{openssl, openssl_dir};
use keyward_kms::crypto::{asym, check_material, generate_material, CryptoError};
use keyward_kms::record::Secret;
use keyward_kms::types::{
    EncryptionAlgorithm, KeySpec, MessageType, SigningAlgorithm, WrappingAlgorithm, WrappingKeySpec,
};
use rand_core::OsRng;
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// One generated key per spec, shared by the tests of this binary (RSA generation is slow).
fn key(spec: KeySpec) -> Secret {
    static KEYS: OnceLock<Mutex<HashMap<KeySpec, Secret>>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(k) = keys.lock().unwrap().get(&spec) {
        return k.clone();
    }
    let k = generate_material(spec, &mut OsRng).unwrap();
    keys.lock().unwrap().entry(spec).or_insert(k).clone()
}

/// RSA-4096 generation is slow without optimizations: debug test runs cover 2048 and 3072.
fn rsa_specs() -> Vec<KeySpec> {
    if cfg!(debug_assertions) {
        vec![KeySpec::Rsa2048, KeySpec::Rsa3072]
    } else {
        vec![KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096]
    }
}

fn asym_specs() -> Vec<KeySpec> {
    let mut v = rsa_specs();
    v.extend([
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256k1,
    ]);
    v
}

#[test]
fn symmetric_and_hmac_material_lengths() {
    let m = generate_material(KeySpec::SymmetricDefault, &mut OsRng).unwrap();
    assert_eq!(m.expose().len(), 32);
    for (spec, len) in [
        (KeySpec::Hmac224, 28),
        (KeySpec::Hmac256, 32),
        (KeySpec::Hmac384, 48),
        (KeySpec::Hmac512, 64),
    ] {
        let m = generate_material(spec, &mut OsRng).unwrap();
        assert_eq!(m.expose().len(), len);
        check_material(spec, m.expose()).unwrap();
    }
    assert!(format!("{m:?}").contains("redacted"));
}

#[test]
fn private_keys_are_pkcs8_of_their_spec() {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;
    for spec in asym_specs() {
        let k = key(spec);
        check_material(spec, k.expose()).unwrap();
        let der = k.expose();
        match spec {
            KeySpec::EccNistP256 => drop(p256::SecretKey::from_pkcs8_der(der).unwrap()),
            KeySpec::EccNistP384 => drop(p384::SecretKey::from_pkcs8_der(der).unwrap()),
            KeySpec::EccNistP521 => drop(p521::SecretKey::from_pkcs8_der(der).unwrap()),
            KeySpec::EccSecgP256k1 => drop(k256::SecretKey::from_pkcs8_der(der).unwrap()),
            _ => {
                let rsa = rsa::RsaPrivateKey::from_pkcs8_der(der).unwrap();
                let bits = match spec {
                    KeySpec::Rsa2048 => 2048,
                    KeySpec::Rsa3072 => 3072,
                    _ => 4096,
                };
                assert_eq!(rsa.n().bits(), bits);
                assert_eq!(rsa.e(), &rsa::BigUint::from(65537u32));
            }
        }
    }
    // Material of another spec is refused.
    let p256 = key(KeySpec::EccNistP256);
    assert!(check_material(KeySpec::EccNistP384, p256.expose()).is_err());
    assert!(check_material(KeySpec::Rsa2048, p256.expose()).is_err());
    assert!(check_material(KeySpec::Rsa3072, key(KeySpec::Rsa2048).expose()).is_err());
    assert!(check_material(KeySpec::SymmetricDefault, &[0; 16]).is_err());
    assert!(check_material(KeySpec::Hmac256, &[0; 31]).is_err());
    assert!(check_material(KeySpec::Hmac512, &[0; 128]).is_ok());
}

#[test]
fn public_keys_are_spki_der() {
    use rsa::pkcs8::DecodePublicKey;
    for spec in asym_specs() {
        let der = asym::public_key_der(spec, &key(spec)).unwrap();
        match spec {
            KeySpec::EccNistP256 => {
                assert_eq!(der.len(), 91); // uncompressed point, as AWS returns
                p256::PublicKey::from_public_key_der(&der).unwrap();
            }
            KeySpec::EccNistP384 => {
                assert_eq!(der.len(), 120);
                p384::PublicKey::from_public_key_der(&der).unwrap();
            }
            KeySpec::EccNistP521 => {
                assert_eq!(der.len(), 158);
                p521::PublicKey::from_public_key_der(&der).unwrap();
            }
            KeySpec::EccSecgP256k1 => {
                assert_eq!(der.len(), 88);
                k256::PublicKey::from_public_key_der(&der).unwrap();
            }
            _ => drop(rsa::RsaPublicKey::from_public_key_der(&der).unwrap()),
        }
    }
    let sym = generate_material(KeySpec::SymmetricDefault, &mut OsRng).unwrap();
    assert!(asym::public_key_der(KeySpec::SymmetricDefault, &sym).is_err());
}

#[test]
fn max_plaintext_matches_aws() {
    use EncryptionAlgorithm::{RsaesOaepSha1 as S1, RsaesOaepSha256 as S256};
    let table =
        [(KeySpec::Rsa2048, 214, 190), (KeySpec::Rsa3072, 342, 318), (KeySpec::Rsa4096, 470, 446)];
    for (spec, sha1, sha256) in table {
        assert_eq!(asym::max_plaintext(spec, S1), sha1);
        assert_eq!(asym::max_plaintext(spec, S256), sha256);
    }
    assert_eq!(
        asym::max_plaintext(KeySpec::SymmetricDefault, EncryptionAlgorithm::SymmetricDefault),
        4096
    );
    assert_eq!(asym::max_plaintext(KeySpec::EccNistP256, S256), 0);
}

#[test]
fn oaep_round_trips_at_the_limit() {
    for spec in rsa_specs() {
        let k = key(spec);
        for alg in [EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256] {
            let max = asym::max_plaintext(spec, alg);
            let pt = vec![0xa5u8; max];
            let ct = asym::rsa_encrypt(&k, alg, &pt, &mut OsRng).unwrap();
            assert_eq!(
                ct.len() * 8,
                match spec {
                    KeySpec::Rsa2048 => 2048,
                    KeySpec::Rsa3072 => 3072,
                    _ => 4096,
                }
            );
            assert_eq!(asym::rsa_decrypt(&k, alg, &ct).unwrap(), pt);
            assert_eq!(asym::rsa_decrypt_with_rng(&k, alg, &ct, &mut OsRng).unwrap(), pt);
            let too_long = vec![0u8; max + 1];
            assert!(matches!(
                asym::rsa_encrypt(&k, alg, &too_long, &mut OsRng),
                Err(CryptoError::InvalidInput(_))
            ));
            let mut bad = ct.clone();
            bad[10] ^= 1;
            assert_eq!(asym::rsa_decrypt(&k, alg, &bad), Err(CryptoError::InvalidCiphertext));
            // The other hash does not decrypt it.
            let other = if alg == EncryptionAlgorithm::RsaesOaepSha1 {
                EncryptionAlgorithm::RsaesOaepSha256
            } else {
                EncryptionAlgorithm::RsaesOaepSha1
            };
            assert_eq!(asym::rsa_decrypt(&k, other, &ct), Err(CryptoError::InvalidCiphertext));
        }
    }
}

#[test]
fn oaep_interoperates_with_the_rsa_crate() {
    use rsa::pkcs8::DecodePublicKey;
    let k = key(KeySpec::Rsa2048);
    let public = asym::public_key_der(KeySpec::Rsa2048, &k).unwrap();
    let public = rsa::RsaPublicKey::from_public_key_der(&public).unwrap();
    let ct = public.encrypt(&mut OsRng, rsa::Oaep::new::<Sha256>(), b"interop").unwrap();
    assert_eq!(
        asym::rsa_decrypt(&k, EncryptionAlgorithm::RsaesOaepSha256, &ct).unwrap(),
        b"interop"
    );
    let ct = public.encrypt(&mut OsRng, rsa::Oaep::new::<sha1::Sha1>(), b"sha1").unwrap();
    assert_eq!(asym::rsa_decrypt(&k, EncryptionAlgorithm::RsaesOaepSha1, &ct).unwrap(), b"sha1");
}

fn digest_of(alg: SigningAlgorithm, msg: &[u8]) -> Vec<u8> {
    match alg.as_str().rsplit('_').next().unwrap() {
        "256" => Sha256::digest(msg).to_vec(),
        "384" => Sha384::digest(msg).to_vec(),
        _ => Sha512::digest(msg).to_vec(),
    }
}

#[test]
fn sign_verify_every_spec_and_algorithm() {
    let msg = b"the message to sign";
    for spec in asym_specs() {
        let k = key(spec);
        for &alg in spec.signing_algorithms() {
            let sig = asym::sign(spec, &k, alg, msg, MessageType::Raw, &mut OsRng).unwrap();
            assert!(
                asym::verify(spec, &k, alg, msg, MessageType::Raw, &sig).unwrap(),
                "{spec} {alg}"
            );
            // RAW and DIGEST agree.
            let d = digest_of(alg, msg);
            assert!(asym::verify(spec, &k, alg, &d, MessageType::Digest, &sig).unwrap());
            let sig2 = asym::sign(spec, &k, alg, &d, MessageType::Digest, &mut OsRng).unwrap();
            assert!(asym::verify(spec, &k, alg, msg, MessageType::Raw, &sig2).unwrap());
            // Tampering fails.
            assert!(
                !asym::verify(spec, &k, alg, b"another message", MessageType::Raw, &sig).unwrap()
            );
            for i in [0, sig.len() / 2, sig.len() - 1] {
                let mut bad = sig.clone();
                bad[i] ^= 0x10;
                assert!(!asym::verify(spec, &k, alg, msg, MessageType::Raw, &bad).unwrap());
            }
            assert!(!asym::verify(spec, &k, alg, msg, MessageType::Raw, &[]).unwrap());
            // A DIGEST of the wrong length is InvalidInput.
            assert!(matches!(
                asym::sign(spec, &k, alg, &d[1..], MessageType::Digest, &mut OsRng),
                Err(CryptoError::InvalidInput(_))
            ));
            assert!(matches!(
                asym::verify(spec, &k, alg, msg, MessageType::Digest, &sig),
                Err(CryptoError::InvalidInput(_))
            ));
        }
    }
}

#[test]
fn algorithm_must_fit_the_spec() {
    let k = key(KeySpec::EccNistP256);
    let r = asym::sign(
        KeySpec::EccNistP256,
        &k,
        SigningAlgorithm::EcdsaSha384,
        b"m",
        MessageType::Raw,
        &mut OsRng,
    );
    assert!(matches!(r, Err(CryptoError::InvalidInput(_))));
    let r = asym::sign(
        KeySpec::EccNistP256,
        &k,
        SigningAlgorithm::RsassaPssSha256,
        b"m",
        MessageType::Raw,
        &mut OsRng,
    );
    assert!(matches!(r, Err(CryptoError::InvalidInput(_))));
    let r = asym::rsa_encrypt(&k, EncryptionAlgorithm::SymmetricDefault, b"m", &mut OsRng);
    assert!(matches!(r, Err(CryptoError::InvalidInput(_))));
}

#[test]
fn ecdsa_signatures_are_der_and_verify_elsewhere() {
    use p256::ecdsa::signature::Verifier;
    use p256::pkcs8::DecodePublicKey;
    let k = key(KeySpec::EccNistP256);
    let msg = b"hello";
    let sig = asym::sign(
        KeySpec::EccNistP256,
        &k,
        SigningAlgorithm::EcdsaSha256,
        msg,
        MessageType::Raw,
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(sig[0], 0x30, "DER SEQUENCE");
    let spki = asym::public_key_der(KeySpec::EccNistP256, &k).unwrap();
    let vk = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
    let der = p256::ecdsa::DerSignature::try_from(sig.as_slice()).unwrap();
    vk.verify(msg, &der).unwrap();

    let k = key(KeySpec::EccNistP384);
    let sig = asym::sign(
        KeySpec::EccNistP384,
        &k,
        SigningAlgorithm::EcdsaSha384,
        msg,
        MessageType::Raw,
        &mut OsRng,
    )
    .unwrap();
    let spki = asym::public_key_der(KeySpec::EccNistP384, &k).unwrap();
    let vk = p384::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
    vk.verify(msg, &p384::ecdsa::DerSignature::try_from(sig.as_slice()).unwrap()).unwrap();
}

#[test]
fn rsa_signatures_verify_elsewhere() {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let k = key(KeySpec::Rsa2048);
    let spki = asym::public_key_der(KeySpec::Rsa2048, &k).unwrap();
    let public = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
    let msg = b"rsa message";
    let sig = asym::sign(
        KeySpec::Rsa2048,
        &k,
        SigningAlgorithm::RsassaPssSha384,
        msg,
        MessageType::Raw,
        &mut OsRng,
    )
    .unwrap();
    let vk = rsa::pss::VerifyingKey::<Sha384>::new(public.clone());
    vk.verify(msg, &rsa::pss::Signature::try_from(sig.as_slice()).unwrap()).unwrap();
    // Salt length is the digest length (48 for SHA-384), as AWS.
    let d = Sha384::digest(msg);
    public.verify(rsa::Pss::new_with_salt::<Sha384>(48), &d, &sig).unwrap();
    let sig = asym::sign(
        KeySpec::Rsa2048,
        &k,
        SigningAlgorithm::RsassaPkcs1V15Sha256,
        msg,
        MessageType::Raw,
        &mut OsRng,
    )
    .unwrap();
    let vk = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
    vk.verify(msg, &rsa::pkcs1v15::Signature::try_from(sig.as_slice()).unwrap()).unwrap();
}

#[test]
fn import_wrapping_round_trip() {
    let (wrapping, public) = asym::wrapping_key(WrappingKeySpec::Rsa2048, &mut OsRng).unwrap();
    for alg in [WrappingAlgorithm::RsaesOaepSha1, WrappingAlgorithm::RsaesOaepSha256] {
        let material = generate_material(KeySpec::SymmetricDefault, &mut OsRng).unwrap();
        let wrapped = asym::wrap_material(&public, alg, material.expose(), &mut OsRng).unwrap();
        let unwrapped = asym::unwrap_material(&wrapping, alg, &wrapped).unwrap();
        assert_eq!(unwrapped, material);
        check_material(KeySpec::SymmetricDefault, unwrapped.expose()).unwrap();
        let mut bad = wrapped.clone();
        bad[0] ^= 1;
        assert_eq!(
            asym::unwrap_material(&wrapping, alg, &bad),
            Err(CryptoError::InvalidCiphertext)
        );
    }
    // A 16-byte key unwraps but is not symmetric key material.
    let wrapped =
        asym::wrap_material(&public, WrappingAlgorithm::RsaesOaepSha256, &[1; 16], &mut OsRng)
            .unwrap();
    let m = asym::unwrap_material(&wrapping, WrappingAlgorithm::RsaesOaepSha256, &wrapped).unwrap();
    assert!(check_material(KeySpec::SymmetricDefault, m.expose()).is_err());
}

#[test]
fn garbage_key_material_is_an_internal_error() {
    let junk = Secret::new(vec![1, 2, 3]);
    for spec in
        [KeySpec::Rsa2048, KeySpec::EccNistP256, KeySpec::EccNistP521, KeySpec::EccSecgP256k1]
    {
        let alg = spec.signing_algorithms()[0];
        assert!(matches!(
            asym::sign(spec, &junk, alg, b"m", MessageType::Raw, &mut OsRng),
            Err(CryptoError::Internal(_))
        ));
        assert!(matches!(asym::public_key_der(spec, &junk), Err(CryptoError::Internal(_))));
    }
}

/// Cross-checks with the `openssl` command when it is installed (skipped otherwise): OpenSSL
/// reads the private and public keys, verifies ECDSA and PSS signatures, and encrypts with
/// OAEP-SHA-256 what `rsa_decrypt` decrypts.
#[test]
fn openssl_interop() {
    let Some(dir) = openssl_dir("openssl") else { return };
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let msg = b"openssl interop message";
    std::fs::write(path("msg"), msg).unwrap();
    for (spec, alg, opts) in [
        (KeySpec::EccNistP256, SigningAlgorithm::EcdsaSha256, &[][..]),
        (KeySpec::EccNistP384, SigningAlgorithm::EcdsaSha384, &[][..]),
        (KeySpec::EccNistP521, SigningAlgorithm::EcdsaSha512, &[][..]),
        (
            KeySpec::Rsa2048,
            SigningAlgorithm::RsassaPssSha256,
            &["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"][..],
        ),
        (KeySpec::Rsa2048, SigningAlgorithm::RsassaPkcs1V15Sha512, &[][..]),
    ] {
        let k = key(spec);
        std::fs::write(path("priv.der"), k.expose()).unwrap();
        std::fs::write(path("pub.der"), asym::public_key_der(spec, &k).unwrap()).unwrap();
        openssl(&["pkey", "-inform", "DER", "-in", &path("priv.der"), "-noout"]);
        let sig = asym::sign(spec, &k, alg, msg, MessageType::Raw, &mut OsRng).unwrap();
        std::fs::write(path("sig"), sig).unwrap();
        let digest = format!("-sha{}", alg.as_str().rsplit('_').next().unwrap());
        let (pubkey, sigfile, msgfile) = (path("pub.der"), path("sig"), path("msg"));
        let mut args = vec!["dgst", &digest, "-verify", &pubkey, "-keyform", "DER"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["-signature", &sigfile, &msgfile]);
        openssl(&args);
    }
    let k = key(KeySpec::Rsa2048);
    std::fs::write(path("pub.der"), asym::public_key_der(KeySpec::Rsa2048, &k).unwrap()).unwrap();
    openssl(&[
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-keyform",
        "DER",
        "-inkey",
        &path("pub.der"),
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
        "-pkeyopt",
        "rsa_mgf1_md:sha256",
        "-in",
        &path("msg"),
        "-out",
        &path("ct"),
    ]);
    let ct = std::fs::read(path("ct")).unwrap();
    let pt = asym::rsa_decrypt(&k, EncryptionAlgorithm::RsaesOaepSha256, &ct).unwrap();
    assert_eq!(pt, msg);
    std::fs::remove_dir_all(&dir).unwrap();
}
