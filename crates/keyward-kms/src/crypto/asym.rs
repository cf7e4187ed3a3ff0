//! RSA and elliptic-curve operations: OAEP encryption, signatures, public keys, data key pairs
//! and the RSA wrapping keys of key-material import.
//!
//! Private keys are stored as PKCS#8 DER and parsed on each call. Shapes follow AWS KMS:
//! - RSAES_OAEP_SHA_1/256 use the same hash for OAEP and MGF1, with an empty label;
//! - RSASSA_PSS_* use MGF1 with the message hash and a salt as long as the digest;
//! - ECDSA signatures are DER `ECDSA-Sig-Value` sequences, and are randomized (RFC 6979 hedged
//!   with bytes from the caller's RNG);
//! - public keys are DER SubjectPublicKeyInfo (EC points uncompressed), what GetPublicKey returns.

use super::CryptoError;
use crate::record::Secret;
use crate::types::{
    EncryptionAlgorithm, KeySpec, MessageType, SigningAlgorithm, WrappingAlgorithm, WrappingKeySpec,
};
use rand_core::CryptoRngCore;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Modulus size in bits of an RSA spec.
fn rsa_bits(spec: KeySpec) -> Option<usize> {
    match spec {
        KeySpec::Rsa2048 => Some(2048),
        KeySpec::Rsa3072 => Some(3072),
        KeySpec::Rsa4096 => Some(4096),
        _ => None,
    }
}

/// Digest length of an OAEP algorithm's hash.
fn oaep_hash_len(alg: EncryptionAlgorithm) -> Option<usize> {
    match alg {
        EncryptionAlgorithm::RsaesOaepSha1 => Some(20),
        EncryptionAlgorithm::RsaesOaepSha256 => Some(32),
        EncryptionAlgorithm::SymmetricDefault => None,
    }
}

/// The OAEP padding of an algorithm (hash used for both OAEP and MGF1, empty label).
fn oaep(alg: EncryptionAlgorithm) -> Result<Oaep, CryptoError> {
    match alg {
        EncryptionAlgorithm::RsaesOaepSha1 => Ok(Oaep::new::<sha1::Sha1>()),
        EncryptionAlgorithm::RsaesOaepSha256 => Ok(Oaep::new::<Sha256>()),
        EncryptionAlgorithm::SymmetricDefault => Err(CryptoError::InvalidInput(
            "SYMMETRIC_DEFAULT is not an RSA encryption algorithm".into(),
        )),
    }
}

/// Largest plaintext `Encrypt` accepts for an asymmetric key and algorithm.
///
/// RSA: `k - 2·hLen - 2` (RSA_2048: 214 / 190 bytes for OAEP SHA-1 / SHA-256, RSA_3072:
/// 342 / 318, RSA_4096: 470 / 446). SYMMETRIC_DEFAULT with its own algorithm: 4096. Any
/// combination that cannot encrypt: 0.
pub fn max_plaintext(spec: KeySpec, alg: EncryptionAlgorithm) -> usize {
    if spec == KeySpec::SymmetricDefault {
        return if alg == EncryptionAlgorithm::SymmetricDefault { 4096 } else { 0 };
    }
    match (rsa_bits(spec), oaep_hash_len(alg)) {
        (Some(bits), Some(h)) => bits / 8 - 2 * h - 2,
        _ => 0,
    }
}

/// Parses stored RSA key material.
fn rsa_key(private: &Secret) -> Result<RsaPrivateKey, CryptoError> {
    RsaPrivateKey::from_pkcs8_der(private.expose())
        .map_err(|_| CryptoError::Internal("stored key material is not an RSA private key".into()))
}

/// A new private key of an RSA or ECC spec, as PKCS#8 DER.
pub(super) fn generate_private_key(
    spec: KeySpec,
    rng: &mut dyn CryptoRngCore,
) -> Result<Secret, CryptoError> {
    match spec {
        KeySpec::EccNistP256 => nist_p256::generate(rng),
        KeySpec::EccNistP384 => nist_p384::generate(rng),
        KeySpec::EccNistP521 => nist_p521::generate(rng),
        KeySpec::EccSecgP256k1 => secg_p256k1::generate(rng),
        KeySpec::EccNistEdwards25519 => super::edwards::generate(rng),
        s if s.is_ml_dsa() => Ok(super::mldsa::generate(rng)),
        s if s.is_ml_kem() => Ok(super::mlkem::generate(rng)),
        _ => match rsa_bits(spec) {
            Some(bits) => generate_rsa(bits, rng),
            None => Err(CryptoError::InvalidInput(format!("{spec} is not an asymmetric key spec"))),
        },
    }
}

/// A new RSA key (e = 65537) as PKCS#8 DER: one made ahead for this call (see
/// [`super::premade`]) when there is one of this size, else generated now.
fn generate_rsa(bits: usize, rng: &mut dyn CryptoRngCore) -> Result<Secret, CryptoError> {
    match super::premade::take_rsa(bits) {
        Some(der) => Ok(der),
        None => new_rsa(bits, rng),
    }
}

/// Generates an RSA key of `bits` bits ahead of a call, to hand to it with
/// [`super::premade::scope`] (run this outside any lock: it takes up to seconds).
pub fn rsa_ahead(
    bits: usize,
    rng: &mut dyn CryptoRngCore,
) -> Result<super::premade::PremadeRsa, CryptoError> {
    Ok(super::premade::PremadeRsa { bits, der: new_rsa(bits, rng)? })
}

fn new_rsa(bits: usize, rng: &mut dyn CryptoRngCore) -> Result<Secret, CryptoError> {
    let key = RsaPrivateKey::new(rng, bits)
        .map_err(|e| CryptoError::Internal(format!("RSA key generation failed: {e}")))?;
    let der =
        key.to_pkcs8_der().map_err(|_| CryptoError::Internal("RSA key encoding failed".into()))?;
    Ok(Secret::new(der.as_bytes().to_vec()))
}

/// Checks that `der` is a PKCS#8 private key of exactly `spec` (imported material).
pub(super) fn check_private_key(spec: KeySpec, der: &[u8]) -> Result<(), CryptoError> {
    let ok = match spec {
        KeySpec::EccNistP256 => nist_p256::secret(der).is_ok(),
        KeySpec::EccNistP384 => nist_p384::secret(der).is_ok(),
        KeySpec::EccNistP521 => nist_p521::secret(der).is_ok(),
        KeySpec::EccSecgP256k1 => secg_p256k1::secret(der).is_ok(),
        KeySpec::EccNistEdwards25519 => super::edwards::check(der),
        s if s.is_ml_dsa() => der.len() == 32,
        s if s.is_ml_kem() => der.len() == 64,
        _ => match rsa_bits(spec) {
            Some(bits) => RsaPrivateKey::from_pkcs8_der(der).is_ok_and(|k| k.n().bits() == bits),
            None => false,
        },
    };
    if ok {
        Ok(())
    } else {
        Err(CryptoError::InvalidInput(format!(
            "the key material is not a PKCS#8 DER private key of spec {spec}"
        )))
    }
}

/// RSA-OAEP encryption with the public half of `private` (PKCS#8 DER).
pub fn rsa_encrypt(
    private: &Secret,
    alg: EncryptionAlgorithm,
    plaintext: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    let padding = oaep(alg)?;
    let key = rsa_key(private)?;
    let h = oaep_hash_len(alg).unwrap_or(0);
    let max = key.size().saturating_sub(2 * h + 2);
    if plaintext.len() > max {
        // AWS's ValidationException text.
        return Err(CryptoError::InvalidInput(format!(
            "Algorithm {alg} and key spec RSA_{} cannot encrypt data larger than {max} bytes.",
            key.size() * 8
        )));
    }
    let mut rng = rng;
    key.to_public_key()
        .encrypt(&mut rng, padding, plaintext)
        .map_err(|e| CryptoError::InvalidInput(format!("RSA encryption failed: {e}")))
}

/// RSA-OAEP decryption.
pub fn rsa_decrypt(
    private: &Secret,
    alg: EncryptionAlgorithm,
    ciphertext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let padding = oaep(alg)?;
    let key = rsa_key(private)?;
    key.decrypt(padding, ciphertext).map_err(|_| CryptoError::InvalidCiphertext)
}

/// RSA-OAEP decryption with RSA blinding from `rng` (prefer it over [`rsa_decrypt`] when an
/// RNG is at hand: blinding hides the private key from timing measurements).
pub fn rsa_decrypt_with_rng(
    private: &Secret,
    alg: EncryptionAlgorithm,
    ciphertext: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    let padding = oaep(alg)?;
    let key = rsa_key(private)?;
    let mut rng = rng;
    key.decrypt_blinded(&mut rng, padding, ciphertext).map_err(|_| CryptoError::InvalidCiphertext)
}

/// A digest of up to 64 bytes, on the stack.
struct Prehash {
    bytes: [u8; 64],
    len: usize,
}

impl Prehash {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The hash of a signing algorithm, as (name for messages, digest length).
fn sign_hash(alg: SigningAlgorithm) -> (&'static str, usize) {
    use SigningAlgorithm as A;
    match alg {
        A::RsassaPssSha256 | A::RsassaPkcs1V15Sha256 | A::EcdsaSha256 => ("SHA-256", 32),
        A::RsassaPssSha384 | A::RsassaPkcs1V15Sha384 | A::EcdsaSha384 => ("SHA-384", 48),
        A::RsassaPssSha512 | A::RsassaPkcs1V15Sha512 | A::EcdsaSha512 => ("SHA-512", 64),
        // Signed by their own modules (edwards, mldsa), never prehashed here.
        A::Ed25519Sha512 | A::Ed25519PhSha512 | A::MlDsaShake256 => ("SHA-512", 64),
    }
}

/// The digest to sign: the message hashed here (RAW) or the message itself (DIGEST, whose
/// length must be the hash's).
fn prehash(
    alg: SigningAlgorithm,
    message: &[u8],
    message_type: MessageType,
) -> Result<Prehash, CryptoError> {
    let (name, len) = sign_hash(alg);
    let mut out = Prehash { bytes: [0u8; 64], len };
    match message_type {
        MessageType::Digest => {
            if message.len() != len {
                // AWS's ValidationException text (the digest must be the `name` length).
                let _ = name;
                return Err(CryptoError::InvalidInput(format!(
                    "Digest is invalid length for algorithm {alg}."
                )));
            }
            out.bytes[..len].copy_from_slice(message);
        }
        MessageType::ExternalMu => {
            return Err(CryptoError::InvalidInput(format!(
                "message type EXTERNAL_MU is valid with ML_DSA_SHAKE_256 only, not {alg}"
            )))
        }
        MessageType::Raw => match len {
            32 => out.bytes[..32].copy_from_slice(&Sha256::digest(message)),
            48 => out.bytes[..48].copy_from_slice(&Sha384::digest(message)),
            _ => out.bytes[..64].copy_from_slice(&Sha512::digest(message)),
        },
    }
    Ok(out)
}

/// The RSA signature scheme of an algorithm (PSS salt length = digest length).
enum RsaScheme {
    Pss(Pss),
    Pkcs1(Pkcs1v15Sign),
}

fn rsa_scheme(alg: SigningAlgorithm) -> Result<RsaScheme, CryptoError> {
    use SigningAlgorithm as A;
    Ok(match alg {
        A::RsassaPssSha256 => RsaScheme::Pss(Pss::new::<Sha256>()),
        A::RsassaPssSha384 => RsaScheme::Pss(Pss::new::<Sha384>()),
        A::RsassaPssSha512 => RsaScheme::Pss(Pss::new::<Sha512>()),
        A::RsassaPkcs1V15Sha256 => RsaScheme::Pkcs1(Pkcs1v15Sign::new::<Sha256>()),
        A::RsassaPkcs1V15Sha384 => RsaScheme::Pkcs1(Pkcs1v15Sign::new::<Sha384>()),
        A::RsassaPkcs1V15Sha512 => RsaScheme::Pkcs1(Pkcs1v15Sign::new::<Sha512>()),
        A::EcdsaSha256
        | A::EcdsaSha384
        | A::EcdsaSha512
        | A::Ed25519Sha512
        | A::Ed25519PhSha512
        | A::MlDsaShake256 => {
            return Err(CryptoError::InvalidInput(format!("{alg} is not an RSA algorithm")))
        }
    })
}

/// Rejects an algorithm the key spec does not support.
fn check_signing_alg(spec: KeySpec, alg: SigningAlgorithm) -> Result<(), CryptoError> {
    if spec.signing_algorithms().contains(&alg) {
        Ok(())
    } else {
        Err(CryptoError::InvalidInput(format!(
            "signing algorithm {alg} is not valid for key spec {spec}"
        )))
    }
}

/// Signs `message` (RAW: hashed here; DIGEST: already the digest of the algorithm's hash).
pub fn sign(
    spec: KeySpec,
    private: &Secret,
    alg: SigningAlgorithm,
    message: &[u8],
    message_type: MessageType,
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    check_signing_alg(spec, alg)?;
    match spec {
        KeySpec::EccNistEdwards25519 => {
            return super::edwards::sign(private.expose(), alg, message, message_type)
        }
        s if s.is_ml_dsa() => {
            return super::mldsa::sign(s, private.expose(), message, message_type)
        }
        _ => {}
    }
    let digest = prehash(alg, message, message_type)?;
    let digest = digest.as_slice();
    match spec {
        KeySpec::EccNistP256 => nist_p256::sign(private.expose(), digest, rng),
        KeySpec::EccNistP384 => nist_p384::sign(private.expose(), digest, rng),
        KeySpec::EccNistP521 => nist_p521::sign(private.expose(), digest, rng),
        KeySpec::EccSecgP256k1 => secg_p256k1::sign(private.expose(), digest, rng),
        _ => {
            let key = rsa_key(private)?;
            let mut rng = rng;
            let signed = match rsa_scheme(alg)? {
                RsaScheme::Pss(s) => key.sign_with_rng(&mut rng, s, digest),
                RsaScheme::Pkcs1(s) => key.sign_with_rng(&mut rng, s, digest),
            };
            signed.map_err(|e| CryptoError::Internal(format!("RSA signing failed: {e}")))
        }
    }
}

/// Verifies a signature; `Ok(false)` when it does not verify.
pub fn verify(
    spec: KeySpec,
    private: &Secret,
    alg: SigningAlgorithm,
    message: &[u8],
    message_type: MessageType,
    signature: &[u8],
) -> Result<bool, CryptoError> {
    check_signing_alg(spec, alg)?;
    match spec {
        KeySpec::EccNistEdwards25519 => {
            return super::edwards::verify(private.expose(), alg, message, message_type, signature)
        }
        s if s.is_ml_dsa() => {
            return super::mldsa::verify(s, private.expose(), message, message_type, signature)
        }
        _ => {}
    }
    let digest = prehash(alg, message, message_type)?;
    let digest = digest.as_slice();
    match spec {
        KeySpec::EccNistP256 => nist_p256::verify(private.expose(), digest, signature),
        KeySpec::EccNistP384 => nist_p384::verify(private.expose(), digest, signature),
        KeySpec::EccNistP521 => nist_p521::verify(private.expose(), digest, signature),
        KeySpec::EccSecgP256k1 => secg_p256k1::verify(private.expose(), digest, signature),
        _ => {
            let key = rsa_key(private)?.to_public_key();
            Ok(verify_rsa(&key, alg, digest, signature)?)
        }
    }
}

/// RSA signature check against a public key.
fn verify_rsa(
    key: &RsaPublicKey,
    alg: SigningAlgorithm,
    digest: &[u8],
    signature: &[u8],
) -> Result<bool, CryptoError> {
    Ok(match rsa_scheme(alg)? {
        RsaScheme::Pss(s) => key.verify(s, digest, signature).is_ok(),
        RsaScheme::Pkcs1(s) => key.verify(s, digest, signature).is_ok(),
    })
}

/// The DER SubjectPublicKeyInfo of an asymmetric key.
pub fn public_key_der(spec: KeySpec, private: &Secret) -> Result<Vec<u8>, CryptoError> {
    match spec {
        KeySpec::EccNistP256 => nist_p256::public_der(private.expose()),
        KeySpec::EccNistP384 => nist_p384::public_der(private.expose()),
        KeySpec::EccNistP521 => nist_p521::public_der(private.expose()),
        KeySpec::EccSecgP256k1 => secg_p256k1::public_der(private.expose()),
        KeySpec::EccNistEdwards25519 => super::edwards::public_der(private.expose()),
        s if s.is_ml_dsa() => super::mldsa::public_der(s, private.expose()),
        s if s.is_ml_kem() => super::mlkem::public_der(s, private.expose()),
        _ if spec.is_rsa() => rsa_public_der(&rsa_key(private)?.to_public_key()),
        _ => Err(CryptoError::InvalidInput(format!("{spec} keys have no public key"))),
    }
}

fn rsa_public_der(key: &RsaPublicKey) -> Result<Vec<u8>, CryptoError> {
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|_| CryptoError::Internal("RSA public key encoding failed".into()))
}

/// A new RSA wrapping key pair for ImportKeyMaterial: (PKCS#8 private, SPKI DER public).
pub fn wrapping_key(
    spec: WrappingKeySpec,
    rng: &mut dyn CryptoRngCore,
) -> Result<(Secret, Vec<u8>), CryptoError> {
    let bits = match spec {
        WrappingKeySpec::Rsa2048 => 2048,
        WrappingKeySpec::Rsa3072 => 3072,
        WrappingKeySpec::Rsa4096 => 4096,
    };
    let private = generate_rsa(bits, rng)?;
    let public = rsa_public_der(&rsa_key(&private)?.to_public_key())?;
    Ok((private, public))
}

/// Unwraps imported key material encrypted to the wrapping key, as AWS: RSA-OAEP (SHA-1 or
/// SHA-256 for both hash and MGF1) of the material itself, or for RSA_AES_KEY_WRAP_SHA_*
/// RSA-OAEP of an ephemeral AES key (the first modulus-length bytes) followed by the material
/// wrapped under it with AES Key Wrap with Padding (RFC 5649). The caller checks the result
/// against the key's spec (a symmetric key needs exactly 32 bytes).
pub fn unwrap_material(
    private: &Secret,
    alg: WrappingAlgorithm,
    wrapped: &[u8],
) -> Result<Secret, CryptoError> {
    let (enc, hybrid) = oaep_of(alg);
    if !hybrid {
        return rsa_decrypt(private, enc, wrapped).map(Secret::new);
    }
    let size = rsa_key(private)?.size();
    let (head, tail) = wrapped.split_at_checked(size).ok_or(CryptoError::InvalidCiphertext)?;
    let aes = zeroize::Zeroizing::new(rsa_decrypt(private, enc, head)?);
    super::kwp::unwrap(&aes, tail).map(Secret::new)
}

/// The RSA-OAEP variant of a wrapping algorithm, and whether it wraps an AES key (hybrid).
fn oaep_of(alg: WrappingAlgorithm) -> (EncryptionAlgorithm, bool) {
    match alg {
        WrappingAlgorithm::RsaesOaepSha1 => (EncryptionAlgorithm::RsaesOaepSha1, false),
        WrappingAlgorithm::RsaesOaepSha256 => (EncryptionAlgorithm::RsaesOaepSha256, false),
        WrappingAlgorithm::RsaAesKeyWrapSha1 => (EncryptionAlgorithm::RsaesOaepSha1, true),
        WrappingAlgorithm::RsaAesKeyWrapSha256 => (EncryptionAlgorithm::RsaesOaepSha256, true),
    }
}

/// Encrypts key material to an SPKI DER wrapping public key, as a client does before
/// ImportKeyMaterial (used by tests and the CLI's import helper); the hybrid algorithms draw a
/// fresh AES-256 key from `rng`.
pub fn wrap_material(
    public_der: &[u8],
    alg: WrappingAlgorithm,
    material: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    use rsa::pkcs8::DecodePublicKey;
    let key = RsaPublicKey::from_public_key_der(public_der)
        .map_err(|_| CryptoError::InvalidInput("the wrapping key is not an RSA SPKI".into()))?;
    let (enc, hybrid) = oaep_of(alg);
    let padding = || match enc {
        EncryptionAlgorithm::RsaesOaepSha1 => Oaep::new::<sha1::Sha1>(),
        _ => Oaep::new::<Sha256>(),
    };
    let mut rng = rng;
    let fail = |e: rsa::Error| CryptoError::InvalidInput(format!("wrapping failed: {e}"));
    if !hybrid {
        return key.encrypt(&mut rng, padding(), material).map_err(fail);
    }
    let mut aes = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(aes.as_mut());
    let mut out = key.encrypt(&mut rng, padding(), aes.as_ref()).map_err(fail)?;
    out.extend(super::kwp::wrap(aes.as_ref(), material)?);
    Ok(out)
}

/// ECDH (DeriveSharedSecret): the raw shared secret (the x-coordinate of the shared point) of
/// a NIST-curve private key and a peer public key given as DER SubjectPublicKeyInfo on the
/// same curve.
pub fn derive_shared_secret(
    spec: KeySpec,
    private: &Secret,
    peer_spki: &[u8],
) -> Result<Secret, CryptoError> {
    match spec {
        KeySpec::EccNistP256 => nist_p256::ecdh(private.expose(), peer_spki),
        KeySpec::EccNistP384 => nist_p384::ecdh(private.expose(), peer_spki),
        KeySpec::EccNistP521 => nist_p521::ecdh(private.expose(), peer_spki),
        _ => Err(CryptoError::InvalidInput(format!("{spec} keys do not agree keys"))),
    }
}

/// Per-curve ECDSA and key-encoding operations over one RustCrypto curve crate.
macro_rules! curve {
    ($module:ident, $krate:ident, $label:literal) => {
        mod $module {
            use super::{CryptoError, CryptoRngCore, Secret};
            use $krate::ecdsa::signature::hazmat::{PrehashVerifier, RandomizedPrehashSigner};
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};
            use $krate::elliptic_curve::sec1::ToEncodedPoint;
            use $krate::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
            use $krate::SecretKey;

            fn bad_material() -> CryptoError {
                CryptoError::Internal(
                    concat!("stored key material is not a ", $label, " key").into(),
                )
            }

            pub(super) fn generate(rng: &mut dyn CryptoRngCore) -> Result<Secret, CryptoError> {
                let mut rng = rng;
                let key = SecretKey::random(&mut rng);
                let der = key.to_pkcs8_der().map_err(|_| bad_material())?;
                Ok(Secret::new(der.as_bytes().to_vec()))
            }

            pub(super) fn secret(der: &[u8]) -> Result<SecretKey, CryptoError> {
                SecretKey::from_pkcs8_der(der).map_err(|_| bad_material())
            }

            pub(super) fn public_der(der: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let public = secret(der)?.public_key();
                let spki = public.to_public_key_der().map_err(|_| bad_material())?;
                Ok(spki.as_bytes().to_vec())
            }

            pub(super) fn sign(
                der: &[u8],
                digest: &[u8],
                rng: &mut dyn CryptoRngCore,
            ) -> Result<Vec<u8>, CryptoError> {
                let signer =
                    SigningKey::from_bytes(&secret(der)?.to_bytes()).map_err(|_| bad_material())?;
                let mut rng = rng;
                let sig: Signature = signer
                    .sign_prehash_with_rng(&mut rng, digest)
                    .map_err(|e| CryptoError::Internal(format!("ECDSA signing failed: {e}")))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }

            #[allow(dead_code, reason = "secp256k1 keys do not agree keys in KMS")]
            pub(super) fn ecdh(der: &[u8], peer_spki: &[u8]) -> Result<Secret, CryptoError> {
                use $krate::pkcs8::DecodePublicKey;
                let peer = $krate::PublicKey::from_public_key_der(peer_spki).map_err(|_| {
                    CryptoError::InvalidInput(
                        concat!(
                            "the public key is not a DER SubjectPublicKeyInfo of a ",
                            $label,
                            " key"
                        )
                        .into(),
                    )
                })?;
                let shared = $krate::ecdh::diffie_hellman(
                    secret(der)?.to_nonzero_scalar(),
                    peer.as_affine(),
                );
                Ok(Secret::new(shared.raw_secret_bytes().to_vec()))
            }

            pub(super) fn verify(
                der: &[u8],
                digest: &[u8],
                signature: &[u8],
            ) -> Result<bool, CryptoError> {
                let point = secret(der)?.public_key().to_encoded_point(false);
                let key =
                    VerifyingKey::from_sec1_bytes(point.as_bytes()).map_err(|_| bad_material())?;
                let Ok(sig) = Signature::from_der(signature) else {
                    return Ok(false);
                };
                // Accept high-S signatures as AWS and OpenSSL do (k256 alone rejects them).
                let sig = sig.normalize_s().unwrap_or(sig);
                Ok(key.verify_prehash(digest, &sig).is_ok())
            }
        }
    };
}

curve!(nist_p256, p256, "P-256");
curve!(nist_p384, p384, "P-384");
curve!(nist_p521, p521, "P-521");
curve!(secg_p256k1, k256, "secp256k1");

/// A data key pair's private key as PKCS#8 DER: the stored form for RSA, ECC and Ed25519,
/// the seed wrapped in PKCS#8 for ML-KEM.
pub fn private_key_pkcs8(spec: KeySpec, private: &Secret) -> Result<Secret, CryptoError> {
    if spec.is_ml_kem() {
        return super::mlkem::private_pkcs8(spec, private.expose());
    }
    Ok(private.clone())
}

/// ML-KEM Encapsulate with the public key of an ML-KEM key: (ciphertext, 32-byte secret).
pub fn encapsulate(
    spec: KeySpec,
    private: &Secret,
    rng: &mut dyn CryptoRngCore,
) -> Result<(Vec<u8>, Secret), CryptoError> {
    if !spec.is_ml_kem() {
        return Err(CryptoError::InvalidInput(format!("{spec} keys do not encapsulate")));
    }
    super::mlkem::encapsulate(spec, private.expose(), rng)
}

/// ML-KEM Decapsulate; [`CryptoError::InvalidCiphertext`] when the ciphertext's length is not
/// the spec's (any other ciphertext gives FIPS 203's implicit-rejection secret).
pub fn decapsulate(
    spec: KeySpec,
    private: &Secret,
    ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    if !spec.is_ml_kem() {
        return Err(CryptoError::InvalidInput(format!("{spec} keys do not decapsulate")));
    }
    super::mlkem::decapsulate(spec, private.expose(), ciphertext)
}
