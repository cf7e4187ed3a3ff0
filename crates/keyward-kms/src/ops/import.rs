//! Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial.

use super::{epoch_s, Blob, StateRule};
use crate::crypto::asym;
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{Caller, Kms};
use crate::record::{ImportParams, ImportedMaterial, KeyRecord, Material, MultiRegionRole, Secret};
use crate::store::Change;
use crate::types::{KeySpec, KeyState, Origin, WrappingAlgorithm, WrappingKeySpec};
use serde::Deserialize;

pub use crate::api::grants::{DeleteImportedKeyMaterialResponse, DeleteMaterialRequest};
pub use crate::api::grants::{
    GetParametersForImportRequest, GetParametersForImportResponse, ImportKeyMaterialResponse,
};

/// How long import parameters stay valid (AWS: 24 hours).
const PARAMS_VALID_MS: i64 = 24 * 3_600_000;

/// The latest ValidTo an import may set: 365 days from the request.
const MAX_VALID_MS: i64 = 365 * 86_400_000;

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
        // A replica's material is its primary's (AWS checks that it is the same).
        let primary = (rec.multi_region == Some(MultiRegionRole::Replica))
            .then(|| self.mrk_primary(&rec))
            .flatten();
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
                // API reference, ImportKeyMaterial ValidTo: "The maximum value is 365 days from
                // the request date." (keyward's wording; AWS's text not seen).
                if ms > caller.now_ms + MAX_VALID_MS {
                    return Err(KmsError::validation(
                        "ValidTo must be no more than 365 days from the request date.",
                    ));
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
        if let Some(p) = &primary {
            import_replica(&mut rec, p, &r, material, entry)?;
            return self.finish_import(rec, mid);
        }
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
        self.finish_import(rec, mid)
    }

    /// The end of a successful import: the import parameters are spent, and the key is
    /// Enabled once every material associated with it is imported.
    fn finish_import(
        &mut self,
        mut rec: KeyRecord,
        mid: String,
    ) -> Result<ImportKeyMaterialResponse> {
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
    if let Some(pending) = rec.imports.pending.as_ref().filter(|_| !first) {
        // AWS's text (recorded from AWS KMS in LocalStack's snapshot tests,
        // test_import_key_material_raises_if_there_is_already_key_material_pending, 2025-11;
        // the key there is the value of the import response's KeyId: the key ARN).
        return Err(KmsError::new(
            ErrorCode::KMSInvalidStateException,
            format!(
                "New key material (id: {}) cannot be imported into KMS key {}, because another \
                 key material (id: {}) is pending rotation.",
                entry.id, rec.arn, pending.id
            ),
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

/// The materials of a new replica of an EXTERNAL primary key: the primary's, by id and
/// creation, with no bytes (AWS: the replica is created with no key material, PendingImport,
/// and takes the same key material imported into it).
pub(crate) fn replica_slots(primary: &KeyRecord) -> (Vec<Material>, Vec<ImportedMaterial>) {
    let slots =
        primary.materials.iter().map(|m| Material { secret: Secret::new(Vec::new()), ..m.clone() });
    let entries = primary.materials.iter().map(|m| ImportedMaterial {
        id: m.id.clone(),
        description: None,
        valid_to_ms: None,
        deleted: true,
    });
    (slots.collect(), entries.collect())
}

/// ImportKeyMaterial into a multi-Region replica: the material must be one its primary key
/// has (current, older, or pending rotation); it fills that material's place in the replica.
/// New key material is imported into the primary key first (AWS: "You cannot directly import
/// new key material into the replica Region keys").
fn import_replica(
    rec: &mut KeyRecord,
    primary: &KeyRecord,
    r: &ImportRequest,
    material: Secret,
    entry: ImportedMaterial,
) -> Result<()> {
    if rec.materials.is_empty() {
        // Replicas made before replicas had places for their primary's materials.
        let (slots, entries) = replica_slots(primary);
        rec.materials = slots;
        for e in entries {
            if rec.imports.entry(&e.id).is_none() {
                rec.imports.entries.push(e);
            }
        }
    }
    if r.key_material_id.as_ref().is_some_and(|given| *given != entry.id) {
        return Err(KmsError::new(
            ErrorCode::IncorrectKeyMaterialException,
            "The key material does not match the KeyMaterialId in the request.",
        ));
    }
    let imported = rec.materials.iter().any(|m| !m.secret.expose().is_empty())
        || rec.imports.pending.is_some();
    if imported && r.import_type.as_deref() == Some("NEW_KEY_MATERIAL") {
        return Err(KmsError::new(
            ErrorCode::UnsupportedOperationException,
            format!(
                "{} is a multi-Region replica key. Import new key material into its primary key \
                 {}, then import the same key material into this key with ImportType \
                 EXISTING_KEY_MATERIAL.",
                rec.arn, primary.arn
            ),
        ));
    }
    let last = rec.materials.len().saturating_sub(1);
    if let Some(at) = rec.materials.iter().position(|m| m.id == entry.id) {
        if let Some(slot) = rec.materials.get_mut(at) {
            slot.secret = material;
        }
        if at == last {
            rec.material_expires_ms = entry.valid_to_ms;
        }
    } else if let Some(p) = primary.imports.pending.as_ref().filter(|p| p.id == entry.id) {
        rec.imports.pending = Some(Material {
            id: p.id.clone(),
            created_ms: p.created_ms,
            origin: p.origin.clone(),
            secret: material,
        });
    } else {
        return Err(KmsError::new(
            ErrorCode::IncorrectKeyMaterialException,
            format!(
                "The key material is not the key material of the multi-Region primary key {}. \
                 Import the same key material into each related multi-Region key.",
                primary.arn
            ),
        ));
    }
    put_entry(rec, entry);
    Ok(())
}

/// The earliest time a material of `rec` that is imported now expires (its ValidTo), for
/// [`Kms::tick`]'s deadline.
pub(crate) fn next_expiry(rec: &KeyRecord) -> Option<i64> {
    let live = |id: &str| {
        rec.materials.iter().any(|m| m.id == id && !m.secret.expose().is_empty())
            || rec.imports.pending.as_ref().is_some_and(|p| p.id == id)
    };
    let entries = rec.imports.entries.iter().filter(|e| !e.deleted && live(&e.id));
    let earliest = entries.filter_map(|e| e.valid_to_ms).min();
    match (earliest, rec.material_expires_ms) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Deletes the imported materials of `rec` whose ValidTo is at or before `now_ms`, as AWS
/// does when key material expires: a material associated with the key loses its bytes (its
/// ImportState becomes PENDING_IMPORT) and the key becomes PendingImport (unless it is
/// pending deletion) until the same material is imported again; material pending rotation is
/// dropped and the key state stays. Returns the expired materials' ids with their ValidTo.
pub(crate) fn expire_materials(rec: &mut KeyRecord, now_ms: i64) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    let due: Vec<(String, i64)> = rec
        .imports
        .entries
        .iter()
        .filter(|e| !e.deleted)
        .filter_map(|e| e.valid_to_ms.filter(|t| *t <= now_ms).map(|t| (e.id.clone(), t)))
        .collect();
    for (id, t) in due {
        if rec.imports.pending.as_ref().is_some_and(|p| p.id == id) {
            rec.imports.pending = None;
            rec.imports.entries.retain(|e| e.id != id);
            out.push((id, t));
            continue;
        }
        let Some(m) = rec.materials.iter_mut().find(|m| m.id == id) else { continue };
        if m.secret.expose().is_empty() {
            continue;
        }
        m.secret = Secret::new(Vec::new());
        if let Some(e) = rec.imports.entries.iter_mut().find(|e| e.id == id) {
            e.deleted = true;
        }
        out.push((id, t));
    }
    // Records written before each material had its own entry: the current material's expiry.
    if let Some(t) = rec.material_expires_ms.filter(|t| *t <= now_ms) {
        if let Some(m) = rec.materials.last_mut().filter(|m| !m.secret.expose().is_empty()) {
            m.secret = Secret::new(Vec::new());
            out.push((m.id.clone(), t));
        }
    }
    let current_gone = rec.materials.last().is_none_or(|m| m.secret.expose().is_empty());
    if current_gone || rec.material_expires_ms.is_some_and(|t| t <= now_ms) {
        rec.material_expires_ms = None;
    }
    let lost = rec.materials.iter().any(|m| m.secret.expose().is_empty());
    if !out.is_empty()
        && lost
        && !matches!(rec.state, KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
    {
        rec.state = KeyState::PendingImport;
    }
    out
}
