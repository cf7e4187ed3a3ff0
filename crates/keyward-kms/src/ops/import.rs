//! Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial.

use super::{epoch_s, Blob, StateRule};
use crate::crypto::asym;
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{Caller, Kms};
use crate::record::{ImportParams, KeyRecord, Material};
use crate::store::Change;
use crate::types::{KeyState, Origin, WrappingAlgorithm, WrappingKeySpec};
use serde::Deserialize;

pub use crate::api::grants::{
    GetParametersForImportRequest, GetParametersForImportResponse, ImportKeyMaterialResponse,
};
pub use crate::api::keys::KeyRequest;
use crate::api::KeyIdResponse;

/// How long import parameters stay valid (AWS: 24 hours).
const PARAMS_VALID_MS: i64 = 24 * 3_600_000;

/// ImportKeyMaterial input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportRequest {
    /// Key.
    pub key_id: String,
    /// Token from GetParametersForImport.
    pub import_token: Blob,
    /// Material wrapped with the public key.
    pub encrypted_key_material: Blob,
    /// Expiry (epoch seconds) when the model is KEY_MATERIAL_EXPIRES.
    pub valid_to: Option<f64>,
    /// KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE.
    pub expiration_model: Option<String>,
    /// Import type (only the first material is supported).
    pub import_type: Option<String>,
    /// Description of the material.
    pub key_material_description: Option<String>,
    /// Material id (rotation of imported material is not supported).
    pub key_material_id: Option<String>,
}

/// The wrapping algorithm and key spec, both required.
fn required_wrapping(
    r: &GetParametersForImportRequest,
) -> Result<(WrappingAlgorithm, WrappingKeySpec)> {
    let alg = r
        .wrapping_algorithm
        .ok_or_else(|| KmsError::validation("WrappingAlgorithm is required."))?;
    let spec =
        r.wrapping_key_spec.ok_or_else(|| KmsError::validation("WrappingKeySpec is required."))?;
    Ok((alg, spec))
}

fn external(rec: &KeyRecord) -> Result<()> {
    if rec.origin != Origin::External {
        return Err(KmsError::new(
            ErrorCode::UnsupportedOperationException,
            format!("{} origin is {} which is not valid for this operation.", rec.arn, rec.origin),
        ));
    }
    if rec.state == KeyState::PendingDeletion {
        return Err(KmsError::new(
            ErrorCode::KMSInvalidStateException,
            format!("{} is pending deletion.", rec.arn),
        ));
    }
    Ok(())
}

impl Kms {
    /// GetParametersForImport.
    pub fn get_parameters_for_import(
        &mut self,
        caller: &Caller,
        r: GetParametersForImportRequest,
    ) -> Result<GetParametersForImportResponse> {
        let (alg, spec) = required_wrapping(&r)?;
        let (_, id) = self.gate(caller, &r.key_id, "kms:GetParametersForImport", StateRule::Any)?;
        let mut rec = self.key(&id)?.rec.clone();
        external(&rec)?;
        let (private, public) = asym::wrapping_key(spec, self.rng.as_mut())
            .map_err(|e| KmsError::new(ErrorCode::KMSInternalException, e.to_string()))?;
        let mut token = vec![0u8; 32];
        self.rng.fill_bytes(&mut token);
        let valid_to = caller.now_ms + PARAMS_VALID_MS;
        rec.import = Some(ImportParams {
            wrapping_key: private,
            algorithm: alg.as_str().to_string(),
            token: token.clone(),
            valid_to_ms: valid_to,
        });
        let out = GetParametersForImportResponse {
            key_id: rec.arn.clone(),
            import_token: Blob(token),
            public_key: Blob(public),
            parameters_valid_to: epoch_s(valid_to),
        };
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// ImportKeyMaterial.
    pub fn import_key_material(
        &mut self,
        caller: &Caller,
        r: ImportRequest,
    ) -> Result<ImportKeyMaterialResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:ImportKeyMaterial", StateRule::Any)?;
        let mut rec = self.key(&id)?.rec.clone();
        external(&rec)?;
        let Some(params) = rec.import.clone() else {
            return Err(KmsError::new(
                ErrorCode::InvalidImportTokenException,
                "Call GetParametersForImport first; there is no import token for this key.",
            ));
        };
        if params.token != r.import_token.0 {
            return Err(KmsError::new(
                ErrorCode::InvalidImportTokenException,
                "The import token does not belong to this key's latest import parameters.",
            ));
        }
        if params.valid_to_ms < caller.now_ms {
            return Err(KmsError::new(
                ErrorCode::ExpiredImportTokenException,
                "The import token has expired; call GetParametersForImport again.",
            ));
        }
        // ExpirationModel defaults to KEY_MATERIAL_EXPIRES, which needs ValidTo: a request with
        // neither is refused, in AWS's words.
        let expires = match (r.expiration_model.as_deref(), r.valid_to) {
            (Some("KEY_MATERIAL_DOES_NOT_EXPIRE"), None) => None,
            (Some("KEY_MATERIAL_EXPIRES") | None, Some(t)) => {
                #[allow(clippy::cast_possible_truncation, reason = "epoch seconds to milliseconds")]
                let ms = (t * 1000.0) as i64;
                if ms <= caller.now_ms {
                    return Err(KmsError::validation("ValidTo must be in the future."));
                }
                Some(ms)
            }
            (Some("KEY_MATERIAL_EXPIRES") | None, None) => {
                return Err(KmsError::validation(
                    "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
                ))
            }
            (Some("KEY_MATERIAL_DOES_NOT_EXPIRE"), Some(_)) => {
                return Err(KmsError::validation(
                    "ValidTo must be absent when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.",
                ))
            }
            (Some(m), _) => {
                return Err(KmsError::validation(format!("ExpirationModel {m} is not valid.")))
            }
        };
        let alg = WrappingAlgorithm::parse(&params.algorithm)
            .unwrap_or(WrappingAlgorithm::RsaesOaepSha256);
        let material =
            asym::unwrap_material(&params.wrapping_key, alg, &r.encrypted_key_material.0).map_err(
                |_| {
                    KmsError::new(
                ErrorCode::InvalidCiphertextException,
                "The encrypted key material could not be unwrapped with the import parameters.",
            )
                },
            )?;
        if material.expose().len() != 32 {
            return Err(KmsError::new(
                ErrorCode::IncorrectKeyMaterialException,
                "Key material for a SYMMETRIC_DEFAULT key must be 256 bits.",
            ));
        }
        if let Some(old) = rec.materials.first() {
            if old.secret != material {
                return Err(KmsError::new(ErrorCode::IncorrectKeyMaterialException, "The key material differs from the key's original material; a key accepts only its original material."));
            }
        }
        if rec.materials.is_empty() {
            let id = crate::crypto::random_hex_id(self.rng.as_mut());
            rec.materials.push(Material {
                id,
                created_ms: caller.now_ms,
                origin: "IMPORT".into(),
                secret: material,
            });
        }
        rec.material_expires_ms = expires;
        rec.import = None;
        if rec.state == KeyState::PendingImport {
            rec.state = KeyState::Enabled;
        }
        let mat_id = rec.materials.first().map(|m| m.id.clone()).unwrap_or_default();
        let out = ImportKeyMaterialResponse { key_id: rec.arn.clone(), key_material_id: mat_id };
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// DeleteImportedKeyMaterial: the key returns to PendingImport.
    pub fn delete_imported_key_material(
        &mut self,
        caller: &Caller,
        r: KeyRequest,
    ) -> Result<KeyIdResponse> {
        let (_, id) =
            self.gate(caller, &r.key_id, "kms:DeleteImportedKeyMaterial", StateRule::Any)?;
        let mut rec = self.key(&id)?.rec.clone();
        if rec.origin != Origin::External {
            return Err(KmsError::new(
                ErrorCode::UnsupportedOperationException,
                format!(
                    "{} origin is {} which is not valid for this operation.",
                    rec.arn, rec.origin
                ),
            ));
        }
        rec.materials.clear();
        rec.material_expires_ms = None;
        if rec.state != KeyState::PendingDeletion {
            rec.state = KeyState::PendingImport;
        }
        let out = KeyIdResponse { key_id: rec.arn.clone() };
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }
}
