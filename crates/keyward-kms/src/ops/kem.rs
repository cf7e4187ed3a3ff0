//! Encapsulate and Decapsulate: ML-KEM (FIPS 203) with an ENCAPSULATE_DECAPSULATE key
//! (ML_KEM_512/768/1024), authorized as kms:Encapsulate / kms:Decapsulate. Encapsulate makes a
//! fresh 32-byte shared secret and its ciphertext with the key's public key; Decapsulate
//! recovers it with the private key, refusing only a ciphertext of the wrong length
//! (InvalidCiphertextException, no message) and otherwise answering FIPS 203's implicit
//! rejection, as AWS documents.

use super::{check_state, check_usage, dry_run, Blob, StateRule};
pub use crate::api::kem::{
    DecapsulateRequest, DecapsulateResponse, EncapsulateRequest, EncapsulateResponse,
};
use crate::api::SecretBlob;
use crate::auth::Ask;
use crate::crypto::{asym, CryptoError};
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{Caller, Kms};
use crate::record::KeyRecord;
use crate::types::KeyUsage;

const ML_KEM: &str = "ML_KEM";

fn kem_err(e: CryptoError) -> KmsError {
    match e {
        CryptoError::InvalidCiphertext => KmsError::new(ErrorCode::InvalidCiphertextException, ""),
        CryptoError::InvalidInput(m) => KmsError::validation(m),
        CryptoError::Unsupported(m) => KmsError::new(ErrorCode::UnsupportedOperationException, m),
        e => KmsError::new(ErrorCode::KMSInternalException, e.to_string()),
    }
}

impl Kms {
    /// The key record of an Encapsulate or Decapsulate call, after authorization, state,
    /// usage and DryRun checks.
    fn kem_key(
        &mut self,
        caller: &Caller,
        key_id: &str,
        grant_tokens: Option<Vec<String>>,
        dry: Option<bool>,
        op: &'static str,
    ) -> Result<String> {
        let p = self.begin(caller)?;
        let (id, alias) = self.resolve(&p, key_id)?;
        let tokens = grant_tokens.unwrap_or_default();
        let action = if op == "Encapsulate" { "kms:Encapsulate" } else { "kms:Decapsulate" };
        let ask = Ask {
            action,
            key_id: Some(&id),
            request_alias: alias.as_deref(),
            grant_tokens: &tokens,
            ..Ask::default()
        };
        self.authorize(caller, &p, ask)?;
        let rec = &self.key(&id)?.rec;
        check_state(rec, StateRule::Use)?;
        check_usage(rec, KeyUsage::EncapsulateDecapsulate, op)?;
        dry_run(dry)?;
        Ok(id)
    }

    /// Encapsulate.
    pub fn encapsulate(
        &mut self,
        caller: &Caller,
        r: EncapsulateRequest,
    ) -> Result<EncapsulateResponse> {
        let id = self.kem_key(caller, &r.key_id, r.grant_tokens, r.dry_run, "Encapsulate")?;
        let rec = &self.key(&id)?.rec;
        let (spec, arn) = (rec.spec, rec.arn.clone());
        let private = current_material(rec)?.clone();
        let (ciphertext, secret) =
            asym::encapsulate(spec, &private, self.rng.as_mut()).map_err(kem_err)?;
        Ok(EncapsulateResponse {
            key_id: arn,
            shared_secret: SecretBlob::new(secret.expose().to_vec()),
            shared_secret_ciphertext_blob: Blob(ciphertext),
            encapsulation_algorithm: ML_KEM,
        })
    }

    /// Decapsulate.
    pub fn decapsulate(
        &mut self,
        caller: &Caller,
        r: DecapsulateRequest,
    ) -> Result<DecapsulateResponse> {
        let id = self.kem_key(caller, &r.key_id, r.grant_tokens, r.dry_run, "Decapsulate")?;
        let rec = &self.key(&id)?.rec;
        let ciphertext = r.shared_secret_ciphertext_blob.map(|b| b.0).unwrap_or_default();
        let secret =
            asym::decapsulate(rec.spec, current_material(rec)?, &ciphertext).map_err(kem_err)?;
        Ok(DecapsulateResponse {
            key_id: rec.arn.clone(),
            shared_secret: SecretBlob::new(secret.expose().to_vec()),
            encapsulation_algorithm: ML_KEM,
        })
    }
}

/// The key's private key (an ML-KEM key has one material: it cannot be rotated or imported
/// anew).
fn current_material(rec: &KeyRecord) -> Result<&crate::record::Secret> {
    rec.materials.last().map(|m| &m.secret).ok_or_else(|| {
        KmsError::new(
            ErrorCode::KMSInvalidStateException,
            format!("{} is pending import.", rec.arn),
        )
    })
}
