//! Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand
//! and ListKeyRotations, for keys whose material KMS generates and keys with imported material
//! (single-Region and multi-Region).

use super::keys::add_material;
use super::{check_not_external, check_state, epoch_s, page, StateRule};
use crate::api::keys::{
    EnableKeyRotationRequest, GetKeyRotationStatusResponse, KeyPageRequest, KeyRequest,
    ListKeyRotationsResponse, RotationEntry,
};
use crate::api::{Empty, KeyIdResponse};
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{Caller, Kms};
use crate::record::{KeyRecord, Rotation, RotationEvent};
use crate::store::Change;
use crate::types::{KeySpec, KeyState, Origin};

const DAY_MS: i64 = 86_400_000;

impl Kms {
    /// A key whose material rotates: symmetric, not a replica (unless `read` asks only to see
    /// its rotation: the shared status and listings), and (unless `external` allows it:
    /// on-demand rotation and the listings) not EXTERNAL.
    fn rotatable(&self, id: &str, external: bool, read: bool) -> Result<KeyRecord> {
        let rec = self.key(id)?.rec.clone();
        if !read {
            crate::ops::multi_region::check_not_replica(&rec)?;
        }
        if !external || rec.spec != KeySpec::SymmetricDefault {
            check_not_external(&rec)?;
        }
        if rec.spec != KeySpec::SymmetricDefault {
            // AWS sends this one with no message.
            return Err(KmsError::new(ErrorCode::UnsupportedOperationException, ""));
        }
        Ok(rec)
    }

    /// EnableKeyRotation (RotationPeriodInDays 90–2560, default 365).
    pub fn enable_key_rotation(
        &mut self,
        caller: &Caller,
        r: EnableKeyRotationRequest,
    ) -> Result<Empty> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:EnableKeyRotation", StateRule::Rotate)?;
        let period = r.rotation_period_in_days.unwrap_or(365);
        if !(90..=2560).contains(&period) {
            return Err(KmsError::constraint(
                "rotationPeriodInDays",
                "Member must have value between 90 and 2560",
            ));
        }
        let mut rec = self.rotatable(&id, false, false)?;
        let period_days = u32::try_from(period).unwrap_or(365);
        rec.rotation = Some(Rotation { period_days, next_ms: caller.now_ms + period * DAY_MS });
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(Empty {})
    }

    /// DisableKeyRotation.
    pub fn disable_key_rotation(&mut self, caller: &Caller, r: KeyRequest) -> Result<Empty> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:DisableKeyRotation", StateRule::Rotate)?;
        let mut rec = self.rotatable(&id, false, false)?;
        rec.rotation = None;
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(Empty {})
    }

    /// GetKeyRotationStatus.
    pub fn get_key_rotation_status(
        &mut self,
        caller: &Caller,
        r: KeyRequest,
    ) -> Result<GetKeyRotationStatusResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:GetKeyRotationStatus", StateRule::Any)?;
        let rec = &self.key(&id)?.rec;
        if rec.state == KeyState::PendingImport {
            check_state(rec, StateRule::Rotate)?;
        }
        let rec = self.rotatable(&id, true, true)?;
        Ok(GetKeyRotationStatusResponse {
            key_rotation_enabled: rec.rotation.is_some(),
            key_id: rec.arn.clone(),
            rotation_period_in_days: rec.rotation.as_ref().map(|r| r.period_days),
            next_rotation_date: rec.rotation.as_ref().map(|r| epoch_s(r.next_ms)),
            // Only while an on-demand rotation is in progress; keyward's completes within the
            // call, so none ever is.
            on_demand_rotation_start_date: None,
        })
    }

    /// RotateKeyOnDemand (at most 25 per key).
    pub fn rotate_key_on_demand(
        &mut self,
        caller: &Caller,
        r: KeyRequest,
    ) -> Result<KeyIdResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:RotateKeyOnDemand", StateRule::Rotate)?;
        let mut rec = self.rotatable(&id, true, false)?;
        if rec.rotations.iter().filter(|e| e.kind == "ON_DEMAND").count() >= 25 {
            // AWS's text (recorded from AWS KMS in LocalStack's snapshot tests,
            // test_key_rotations_limits, 2025-04).
            return Err(KmsError::new(
                ErrorCode::LimitExceededException,
                format!(
                    "The on-demand rotations limit has been reached for the given keyId. No \
                     more on-demand rotations can be performed for this key: {}",
                    rec.arn
                ),
            ));
        }
        if rec.origin == Origin::External {
            // Imported material rotates to the material imported with NEW_KEY_MATERIAL.
            let Some(m) = rec.imports.pending.clone() else {
                // AWS's text (LocalStack's snapshot tests,
                // test_rotate_key_on_demand_raises_for_no_pending_key_material, 2025-11).
                return Err(KmsError::new(
                    ErrorCode::KMSInvalidStateException,
                    format!("No available key material pending rotation for the key: {}.", rec.arn),
                ));
            };
            // A multi-Region key rotates once the material is imported into every replica.
            let missing = self.pending_missing_in(&rec);
            if !missing.is_empty() {
                return Err(KmsError::new(
                    ErrorCode::KMSInvalidStateException,
                    format!(
                        "Key material {} of {} is not imported into its replica keys in {}. \
                         Import it into every replica key before rotating the primary key.",
                        m.id,
                        rec.arn,
                        missing.join(", ")
                    ),
                ));
            }
            rec.imports.pending = None;
            rec.material_expires_ms = rec.imports.entry(&m.id).and_then(|e| e.valid_to_ms);
            rec.rotations.push(RotationEvent {
                material_id: m.id.clone(),
                at_ms: caller.now_ms,
                kind: "ON_DEMAND".into(),
            });
            rec.materials.push(m);
        } else {
            add_material(&mut rec, self.rng.as_mut(), caller.now_ms, "ON_DEMAND")?;
        }
        let out = KeyIdResponse { key_id: rec.arn.clone() };
        self.commit(vec![Change::PutKey(Box::new(rec))])?;
        Ok(out)
    }

    /// ListKeyRotations.
    pub fn list_key_rotations(
        &mut self,
        caller: &Caller,
        r: KeyPageRequest,
    ) -> Result<ListKeyRotationsResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:ListKeyRotations", StateRule::Any)?;
        let rec = self.rotatable(&id, true, true)?;
        let all = match r.include_key_material.as_deref() {
            None | Some("ROTATIONS_ONLY") => false,
            Some(_) => true,
        };
        // Material pending rotation on a multi-Region key waits for every replica first.
        let everywhere = match &rec.multi_region {
            None => true,
            Some(_) => {
                self.mrk_primary(&rec).is_none_or(|p| self.pending_missing_in(&p).is_empty())
            }
        };
        let entries = rotation_entries(&rec, all, everywhere);
        let (rotations, next) = page(&entries, r.limit, r.marker.as_deref(), 100)?;
        Ok(ListKeyRotationsResponse { rotations, truncated: next.is_some(), next_marker: next })
    }
}

/// ListKeyRotations entries: the completed rotations, and with ALL_KEY_MATERIAL also the first
/// material and material pending rotation, each with its state as AWS lists it (material
/// pending on a multi-Region key is PENDING_MULTI_REGION_IMPORT_AND_ROTATION until it is
/// imported into every key of the set, `everywhere`).
fn rotation_entries(rec: &KeyRecord, all: bool, everywhere: bool) -> Vec<RotationEntry> {
    let external = rec.origin == Origin::External;
    let current = rec.materials.last().map(|m| m.id.as_str());
    let entry = |id: &str, state: &'static str, at: Option<(i64, &str)>| {
        let imported = external.then(|| rec.imports.entry(id)).flatten();
        RotationEntry {
            key_id: rec.arn.clone(),
            key_material_id: id.to_string(),
            key_material_description: imported.and_then(|e| e.description.clone()),
            import_state: external.then_some(if imported.is_some_and(|e| e.deleted) {
                "PENDING_IMPORT"
            } else {
                "IMPORTED"
            }),
            key_material_state: state,
            expiration_model: external.then_some(
                if imported.is_some_and(|e| e.valid_to_ms.is_some()) {
                    "KEY_MATERIAL_EXPIRES"
                } else {
                    "KEY_MATERIAL_DOES_NOT_EXPIRE"
                },
            ),
            valid_to: imported.and_then(|e| e.valid_to_ms).map(epoch_s),
            rotation_date: at.map(|(ms, _)| epoch_s(ms)),
            rotation_type: at.map(|(_, kind)| kind.to_string()),
        }
    };
    let state = |id: &str| if Some(id) == current { "CURRENT" } else { "NON_CURRENT" };
    let mut out = Vec::new();
    if all {
        if let Some(first) = rec.materials.first() {
            if !rec.rotations.iter().any(|e| e.material_id == first.id) {
                out.push(entry(&first.id, state(&first.id), None));
            }
        }
    }
    for e in &rec.rotations {
        out.push(entry(&e.material_id, state(&e.material_id), Some((e.at_ms, &e.kind))));
    }
    if all {
        if let Some(p) = &rec.imports.pending {
            let state = if everywhere {
                "PENDING_ROTATION"
            } else {
                "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
            };
            out.push(entry(&p.id, state, None));
        }
    }
    out
}
