//! DeriveSharedSecret: ECDH with the private key of a KEY_AGREEMENT key (ECC_NIST_P256/384/521)
//! and a peer's public key, authorized as kms:DeriveSharedSecret with
//! `kms:KeyAgreementAlgorithm` in the context.

use super::{check_state, check_usage, dry_run, StateRule};
pub use crate::api::agreement::{DeriveSharedSecretRequest, DeriveSharedSecretResponse};
use crate::api::SecretBlob;
use crate::auth::Ask;
use crate::crypto::{asym, CryptoError};
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{Caller, Kms};
use crate::types::KeyUsage;
use keyward_core::eval::CtxValue;

impl Kms {
    /// DeriveSharedSecret.
    pub fn derive_shared_secret(
        &mut self,
        caller: &Caller,
        r: DeriveSharedSecretRequest,
    ) -> Result<DeriveSharedSecretResponse> {
        let p = self.begin(caller)?;
        if r.key_agreement_algorithm != "ECDH" {
            return Err(KmsError::validation(format!(
                "1 validation error detected: Value '{}' at 'keyAgreementAlgorithm' failed to \
                 satisfy constraint: Member must satisfy enum value set: [ECDH]",
                r.key_agreement_algorithm
            )));
        }
        let public = r.public_key.as_ref().map(|b| b.0.as_slice()).unwrap_or_default();
        if public.is_empty() || public.len() > 8192 {
            return Err(KmsError::constraint(
                "publicKey",
                "Member must have length between 1 and 8192",
            ));
        }
        let (id, alias) = self.resolve(&p, &r.key_id)?;
        let tokens = r.grant_tokens.unwrap_or_default();
        let extra = vec![("kms:KeyAgreementAlgorithm".to_string(), CtxValue::One("ECDH".into()))];
        let ask = Ask {
            action: "kms:DeriveSharedSecret",
            key_id: Some(&id),
            request_alias: alias.as_deref(),
            grant_tokens: &tokens,
            extra,
            ..Ask::default()
        };
        self.authorize(caller, &p, ask)?;
        let rec = &self.key(&id)?.rec;
        check_state(rec, StateRule::Use)?;
        check_usage(rec, KeyUsage::KeyAgreement, "DeriveSharedSecret")?;
        if r.recipient.is_some() {
            return Err(KmsError::new(
                ErrorCode::UnsupportedOperationException,
                "Recipient (Nitro Enclaves attestation) is not supported by keyward.",
            ));
        }
        dry_run(r.dry_run)?;
        let material = rec.materials.last().ok_or_else(|| {
            KmsError::new(
                ErrorCode::KMSInvalidStateException,
                format!("{} is pending import.", rec.arn),
            )
        })?;
        let secret = asym::derive_shared_secret(rec.spec, &material.secret, public).map_err(
            |e| match e {
                CryptoError::InvalidInput(m) => KmsError::validation(m),
                CryptoError::Unsupported(m) => {
                    KmsError::new(ErrorCode::UnsupportedOperationException, m)
                }
                e => KmsError::new(ErrorCode::KMSInternalException, e.to_string()),
            },
        )?;
        Ok(DeriveSharedSecretResponse {
            key_id: rec.arn.clone(),
            shared_secret: SecretBlob::new(secret.expose().to_vec()),
            key_agreement_algorithm: "ECDH",
            key_origin: rec.origin,
        })
    }
}
