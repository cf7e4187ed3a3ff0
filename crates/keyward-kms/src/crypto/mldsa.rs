//! ML-DSA keys (FIPS 204: `ML_DSA_44`, `ML_DSA_65`, `ML_DSA_87`) through the RustCrypto
//! `ml-dsa` crate. ML_DSA_SHAKE_256 signs the message with pure ML-DSA and an empty context
//! (RAW), or a 64-byte μ computed by the caller (EXTERNAL_MU). Signing uses FIPS 204's
//! deterministic variant. The stored private key is the 32-byte seed ξ (FIPS 204 KeyGen); the
//! public key is a DER SubjectPublicKeyInfo.

use super::CryptoError;
use crate::record::Secret;
use crate::types::{KeySpec, MessageType};
use ml_dsa::pkcs8::EncodePublicKey;
use ml_dsa::{Keypair, MlDsa44, MlDsa65, MlDsa87, MlDsaParams, Signature, SigningKey, B32};
use rand_core::CryptoRngCore;

fn bad_material() -> CryptoError {
    CryptoError::Internal("stored key material is not an ML-DSA seed".into())
}

/// A new private key: the 32-byte seed.
pub(super) fn generate(rng: &mut dyn CryptoRngCore) -> Secret {
    super::random_secret(32, rng)
}

fn signing_key<P: MlDsaParams>(seed: &[u8]) -> Result<SigningKey<P>, CryptoError> {
    let seed: [u8; 32] = seed.try_into().map_err(|_| bad_material())?;
    Ok(SigningKey::<P>::from_seed(&B32::from(seed)))
}

/// What μ-or-message a call signs.
fn mu(message: &[u8], message_type: MessageType) -> Result<Option<[u8; 64]>, CryptoError> {
    match message_type {
        MessageType::Raw => Ok(None),
        MessageType::ExternalMu => message.try_into().map(Some).map_err(|_| {
            CryptoError::InvalidInput(format!(
                "an EXTERNAL_MU message must be the 64-byte mu; got {} bytes",
                message.len()
            ))
        }),
        MessageType::Digest => Err(CryptoError::InvalidInput(
            "ML_DSA_SHAKE_256 accepts RAW and EXTERNAL_MU messages, not DIGEST".into(),
        )),
    }
}

fn sign_with<P: MlDsaParams>(
    seed: &[u8],
    message: &[u8],
    message_type: MessageType,
) -> Result<Vec<u8>, CryptoError> {
    let key = signing_key::<P>(seed)?;
    let esk = key.expanded_key();
    let sig = match mu(message, message_type)? {
        Some(mu) => esk.sign_mu_deterministic(&mu.into()),
        None => esk
            .sign_deterministic(message, &[])
            .map_err(|_| CryptoError::Internal("ML-DSA signing failed".into()))?,
    };
    Ok(sig.encode().to_vec())
}

fn verify_with<P: MlDsaParams>(
    seed: &[u8],
    message: &[u8],
    message_type: MessageType,
    signature: &[u8],
) -> Result<bool, CryptoError> {
    let public = signing_key::<P>(seed)?.verifying_key();
    let mu = mu(message, message_type)?;
    let Ok(sig) = Signature::<P>::try_from(signature) else {
        return Ok(false);
    };
    Ok(match mu {
        Some(mu) => public.verify_mu(&mu.into(), &sig),
        None => public.verify_with_context(message, &[], &sig),
    })
}

fn public_with<P>(seed: &[u8]) -> Result<Vec<u8>, CryptoError>
where
    P: MlDsaParams,
    ml_dsa::VerifyingKey<P>: EncodePublicKey,
{
    let spki =
        signing_key::<P>(seed)?.verifying_key().to_public_key_der().map_err(|_| bad_material())?;
    Ok(spki.as_bytes().to_vec())
}

/// Signs with an ML-DSA key.
pub(super) fn sign(
    spec: KeySpec,
    seed: &[u8],
    message: &[u8],
    message_type: MessageType,
) -> Result<Vec<u8>, CryptoError> {
    match spec {
        KeySpec::MlDsa44 => sign_with::<MlDsa44>(seed, message, message_type),
        KeySpec::MlDsa65 => sign_with::<MlDsa65>(seed, message, message_type),
        _ => sign_with::<MlDsa87>(seed, message, message_type),
    }
}

/// Verifies with an ML-DSA key; `Ok(false)` when the signature does not verify.
pub(super) fn verify(
    spec: KeySpec,
    seed: &[u8],
    message: &[u8],
    message_type: MessageType,
    signature: &[u8],
) -> Result<bool, CryptoError> {
    match spec {
        KeySpec::MlDsa44 => verify_with::<MlDsa44>(seed, message, message_type, signature),
        KeySpec::MlDsa65 => verify_with::<MlDsa65>(seed, message, message_type, signature),
        _ => verify_with::<MlDsa87>(seed, message, message_type, signature),
    }
}

/// The DER SubjectPublicKeyInfo of an ML-DSA key.
pub(super) fn public_der(spec: KeySpec, seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    match spec {
        KeySpec::MlDsa44 => public_with::<MlDsa44>(seed),
        KeySpec::MlDsa65 => public_with::<MlDsa65>(seed),
        _ => public_with::<MlDsa87>(seed),
    }
}
