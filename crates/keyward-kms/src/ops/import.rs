//! Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial.

use super::{epoch_s, Blob, StateRule};
use crate::crypto::asym;
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{Caller, Kms};
use crate::record::{ImportParams, ImportedMaterial, KeyRecord, Material, Secret};
use crate::store::Change;
use crate::types::{KeySpec, KeyState, Origin, WrappingAlgorithm, WrappingKeySpec};
use serde::Deserialize;

pub use crate::api::grants::{DeleteImportedKeyMaterialResponse, DeleteMaterialRequest};
pub use crate::api::grants::{
    GetParametersForImportRequest, GetParametersForImportResponse, ImportKeyMaterialResponse,
};

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
    /// NEW_KEY_MATERIAL or EXISTING_KEY_MATERIAL (default: NEW for the first import).
    pub import_type: Option<String>,
    /// Description of the material.
    pub key_material_description: Option<String>,
    /// The material re-imported (EXISTING_KEY_MATERIAL only).
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
        if rec.spec == KeySpec::SymmetricDefault && material.expose().len() != 32 {
            return Err(KmsError::new(
                ErrorCode::IncorrectKeyMaterialException,
                "Key material for a SYMMETRIC_DEFAULT key must be 256 bits.",
            ));
        }
        crate::crypto::check_material(rec.spec, material.expose())
            .map_err(|e| KmsError::new(ErrorCode::IncorrectKeyMaterialException, e.to_string()))?;
        if rec.spec != KeySpec::SymmetricDefault
            && (r.import_type.is_some() || r.key_material_id.is_some())
        {
            // Asymmetric and HMAC keys have one material for life (AWS refuses ImportType).
            return Err(KmsError::validation(format!(
                "ImportType and KeyMaterialId are supported only for SYMMETRIC_DEFAULT keys, not {}.",
                rec.spec
            )));
        }
        let mid = material_id(&rec.key_id, &material);
        let entry = ImportedMaterial {
            id: mid.clone(),
            description: r.key_material_description.clone(),
            valid_to_ms: expires,
            deleted: false,
        };
        // AWS: NEW_KEY_MATERIAL by default for the first import, EXISTING_KEY_MATERIAL after.
        let first = rec.materials.is_empty() && rec.imports.pending.is_none();
        let new = match r.import_type.as_deref() {
            None => first,
            Some("NEW_KEY_MATERIAL") => true,
            Some(_) => false,
        };
        if new {
            import_new(&mut rec, &r, material, entry, caller.now_ms, first)?;
        } else {
            import_existing(&mut rec, &r, &material, entry)?;
        }
        rec.import = None;
        if rec.state == KeyState::PendingImport && all_imported(&rec) {
            rec.state = KeyState::Enabled;
        }
        let out = ImportKeyMaterialResponse { key_id: rec.arn.clone(), key_material_id: mid };
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// DeleteImportedKeyMaterial: the current material, or the one KeyMaterialId names, is
    /// deleted; the key is PendingImport until it is imported again (AWS: a key is usable only
    /// while every material permanently associated with it is imported). Material pending
    /// rotation is dropped without changing the key state.
    pub fn delete_imported_key_material(
        &mut self,
        caller: &Caller,
        r: DeleteMaterialRequest,
    ) -> Result<DeleteImportedKeyMaterialResponse> {
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
        let target = match r.key_material_id.clone() {
            Some(m) => m,
            None => rec.materials.last().map(|m| m.id.clone()).unwrap_or_default(),
        };
        let deleted = if rec.imports.pending.as_ref().is_some_and(|p| p.id == target) {
            rec.imports.pending = None;
            rec.imports.entries.retain(|e| e.id != target);
            Some(target)
        } else if let Some(m) = rec.materials.iter_mut().find(|m| m.id == target) {
            m.secret = Secret::new(Vec::new());
            match rec.imports.entries.iter_mut().find(|e| e.id == target) {
                Some(e) => e.deleted = true,
                None => rec.imports.entries.push(ImportedMaterial {
                    id: target.clone(),
                    description: None,
                    valid_to_ms: None,
                    deleted: true,
                }),
            }
            if rec.state != KeyState::PendingDeletion {
                rec.state = KeyState::PendingImport;
            }
            if rec.materials.last().is_some_and(|m| m.id == target) {
                rec.material_expires_ms = None;
            }
            Some(target)
        } else if r.key_material_id.is_some() {
            return Err(KmsError::new(
                ErrorCode::NotFoundException,
                format!("Key material {target} is not associated with {}.", rec.arn),
            ));
        } else {
            None
        };
        let out =
            DeleteImportedKeyMaterialResponse { key_id: rec.arn.clone(), key_material_id: deleted };
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }
}

/// A material's id, as AWS makes it: from the key id and the material (so importing the same
/// material again gives the same id).
fn material_id(key_id: &str, material: &Secret) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(key_id.as_bytes());
    h.update([0u8]);
    h.update(material.expose());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Every material associated with the key is imported (none deleted).
fn all_imported(rec: &KeyRecord) -> bool {
    !rec.materials.is_empty() && rec.materials.iter().all(|m| !m.secret.expose().is_empty())
}

/// Records an import of a material (a re-import without a description keeps the old one).
fn put_entry(rec: &mut KeyRecord, mut entry: ImportedMaterial) {
    match rec.imports.entries.iter_mut().find(|e| e.id == entry.id) {
        Some(e) => {
            if entry.description.is_none() {
                entry.description = e.description.take();
            }
            *e = entry;
        }
        None => rec.imports.entries.push(entry),
    }
}

/// ImportType NEW_KEY_MATERIAL: the first material becomes current; a further one waits for
/// RotateKeyOnDemand.
fn import_new(
    rec: &mut KeyRecord,
    r: &ImportRequest,
    material: Secret,
    entry: ImportedMaterial,
    now_ms: i64,
    first: bool,
) -> Result<()> {
    if r.key_material_id.is_some() {
        return Err(KmsError::validation(
            "KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL.",
        ));
    }
    let known = rec.materials.iter().any(|m| m.id == entry.id || m.secret == material)
        || rec.imports.pending.as_ref().is_some_and(|p| p.id == entry.id);
    if known {
        return Err(KmsError::new(
            ErrorCode::IncorrectKeyMaterialException,
            "This key material is already associated with the KMS key; import it with ImportType EXISTING_KEY_MATERIAL.",
        ));
    }
    if !first && rec.imports.pending.is_some() {
        return Err(KmsError::new(
            ErrorCode::KMSInvalidStateException,
            format!("{} already has key material pending rotation; rotate the key with RotateKeyOnDemand first.", rec.arn),
        ));
    }
    let m = Material {
        id: entry.id.clone(),
        created_ms: now_ms,
        origin: "IMPORT".into(),
        secret: material,
    };
    if first {
        rec.material_expires_ms = entry.valid_to_ms;
        rec.materials.push(m);
    } else {
        rec.imports.pending = Some(m);
    }
    put_entry(rec, entry);
    Ok(())
}

/// ImportType EXISTING_KEY_MATERIAL: the same material again (restoring deleted material, or
/// setting a new expiry).
fn import_existing(
    rec: &mut KeyRecord,
    r: &ImportRequest,
    material: &Secret,
    entry: ImportedMaterial,
) -> Result<()> {
    if let Some(given) = &r.key_material_id {
        if *given != entry.id
            && !rec.materials.iter().any(|m| m.id == *given && m.secret == *material)
        {
            return Err(KmsError::new(
                ErrorCode::IncorrectKeyMaterialException,
                "The key material does not match the KeyMaterialId in the request.",
            ));
        }
    }
    let pending = rec.imports.pending.as_ref().is_some_and(|p| p.id == entry.id);
    let mut entry = entry;
    if !pending {
        let m = match rec.materials.iter().position(|m| m.id == entry.id) {
            Some(at) => at,
            // Records written before ids were derived from the material: compare the bytes.
            None => rec.materials.iter().position(|m| m.secret == *material).ok_or_else(|| {
                KmsError::new(
                    ErrorCode::IncorrectKeyMaterialException,
                    "The key material is not associated with this KMS key; import new key material with ImportType NEW_KEY_MATERIAL.",
                )
            })?,
        };
        if let Some(slot) = rec.materials.get_mut(m) {
            slot.secret = material.clone();
            entry.id.clone_from(&slot.id);
        }
        if m + 1 == rec.materials.len() {
            rec.material_expires_ms = entry.valid_to_ms;
        }
    }
    put_entry(rec, entry);
    Ok(())
}
