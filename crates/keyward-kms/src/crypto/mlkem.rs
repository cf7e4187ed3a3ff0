//! ML-KEM keys (FIPS 203: `ML_KEM_512`, `ML_KEM_768`, `ML_KEM_1024`) through the RustCrypto
//! `ml-kem` crate. The stored private key is the 64-byte seed `d || z` (FIPS 203 KeyGen); the
//! public key is a DER SubjectPublicKeyInfo. Encapsulate draws the 32-byte `m` from the caller's
//! randomness; Decapsulate refuses a ciphertext whose length is not the spec's and otherwise
//! answers with FIPS 203's implicit rejection (a pseudo-random secret for a wrong ciphertext).

use super::CryptoError;
use crate::record::Secret;
use crate::types::KeySpec;
use ml_kem::B32;
use rand_core::CryptoRngCore;

fn bad_material() -> CryptoError {
    CryptoError::Internal("stored key material is not an ML-KEM seed".into())
}

/// A new private key: the 64-byte seed.
pub(super) fn generate(rng: &mut dyn CryptoRngCore) -> Secret {
    super::random_secret(64, rng)
}

/// The ciphertext length of a spec (FIPS 203 Table 3): 768, 1088 or 1568 bytes.
pub(super) fn ciphertext_len(spec: KeySpec) -> usize {
    match spec {
        KeySpec::MlKem512 => 768,
        KeySpec::MlKem768 => 1088,
        _ => 1568,
    }
}

/// Public key, encapsulation and decapsulation for one parameter set (the crate's parameter
/// trait is private, so one module per set rather than one generic function).
macro_rules! parameter_set {
    ($module:ident, $params:ty) => {
        mod $module {
            use super::{bad_material, CryptoError, Secret};
            use ml_kem::kem::{Ciphertext, Decapsulate};
            use ml_kem::pkcs8::{EncodePrivateKey, EncodePublicKey};
            use ml_kem::{DecapsulationKey, Seed, B32};

            fn key(seed: &[u8]) -> Result<DecapsulationKey<$params>, CryptoError> {
                let seed = Seed::try_from(seed).map_err(|_| bad_material())?;
                Ok(DecapsulationKey::<$params>::from_seed(seed))
            }

            pub(super) fn public_der(seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let ek = key(seed)?;
                let spki =
                    ek.encapsulation_key().to_public_key_der().map_err(|_| bad_material())?;
                Ok(spki.as_bytes().to_vec())
            }

            pub(super) fn private_pkcs8(seed: &[u8]) -> Result<Secret, CryptoError> {
                let der = key(seed)?.to_pkcs8_der().map_err(|_| bad_material())?;
                Ok(Secret::new(der.as_bytes().to_vec()))
            }

            pub(super) fn encapsulate(
                seed: &[u8],
                m: &B32,
            ) -> Result<(Vec<u8>, Secret), CryptoError> {
                let (ct, shared) = key(seed)?.encapsulation_key().encapsulate_deterministic(m);
                Ok((ct.to_vec(), Secret::new(shared.to_vec())))
            }

            pub(super) fn decapsulate(
                seed: &[u8],
                ciphertext: &[u8],
            ) -> Result<Secret, CryptoError> {
                let ct = Ciphertext::<$params>::try_from(ciphertext)
                    .map_err(|_| CryptoError::InvalidCiphertext)?;
                Ok(Secret::new(key(seed)?.decapsulate(&ct).to_vec()))
            }
        }
    };
}

parameter_set!(kem512, ml_kem::MlKem512);
parameter_set!(kem768, ml_kem::MlKem768);
parameter_set!(kem1024, ml_kem::MlKem1024);

/// The DER SubjectPublicKeyInfo of an ML-KEM key.
pub(super) fn public_der(spec: KeySpec, seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    match spec {
        KeySpec::MlKem512 => kem512::public_der(seed),
        KeySpec::MlKem768 => kem768::public_der(seed),
        _ => kem1024::public_der(seed),
    }
}

/// The private key as PKCS#8 DER in its seed-only form (GenerateDataKeyPair's
/// PrivateKeyPlaintext), as OpenSSL writes it.
pub(super) fn private_pkcs8(spec: KeySpec, seed: &[u8]) -> Result<Secret, CryptoError> {
    match spec {
        KeySpec::MlKem512 => kem512::private_pkcs8(seed),
        KeySpec::MlKem768 => kem768::private_pkcs8(seed),
        _ => kem1024::private_pkcs8(seed),
    }
}

/// Encapsulates a fresh 32-byte shared secret to the key's public key: (ciphertext, secret).
pub(super) fn encapsulate(
    spec: KeySpec,
    seed: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<(Vec<u8>, Secret), CryptoError> {
    let mut m = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(m.as_mut());
    let m = B32::from(*m);
    match spec {
        KeySpec::MlKem512 => kem512::encapsulate(seed, &m),
        KeySpec::MlKem768 => kem768::encapsulate(seed, &m),
        _ => kem1024::encapsulate(seed, &m),
    }
}

/// Recovers the shared secret of `ciphertext`; [`CryptoError::InvalidCiphertext`] when its
/// length is not the spec's.
pub(super) fn decapsulate(
    spec: KeySpec,
    seed: &[u8],
    ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    if ciphertext.len() != ciphertext_len(spec) {
        return Err(CryptoError::InvalidCiphertext);
    }
    match spec {
        KeySpec::MlKem512 => kem512::decapsulate(seed, ciphertext),
        KeySpec::MlKem768 => kem768::decapsulate(seed, ciphertext),
        _ => kem1024::decapsulate(seed, ciphertext),
    }
}
