//! Multi-Region keys: `mrk-` key ids, ReplicateKey, UpdatePrimaryRegion, the
//! `MultiRegionConfiguration` of DescribeKey, the shared properties a primary keeps in step on
//! its replicas (key material, rotation), and deletion of a primary that still has replicas.
//!
//! A multi-Region set is the keys of one account sharing one `mrk-` id, one per Region; each
//! is its own record, with its own policy, aliases, grants, tags, description and state.

use super::keys::{metadata, validate_tags, KeyMetadata};
use super::{check_state, StateRule};
pub use crate::api::multi_region::{
    MultiRegionConfiguration, MultiRegionKey, ReplicateKeyRequest, ReplicateKeyResponse,
    UpdatePrimaryRegionRequest,
};
use crate::api::Empty;
use crate::auth::Ask;
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{key_handle, Caller, Kms};
use crate::record::{ImportedMaterial, KeyRecord, Material, MultiRegionRole, Secret};
use crate::store::Change;
use crate::types::{KeyState, Origin};
use keyward_core::eval::call::MultiRegion;
use keyward_core::eval::CtxValue;
use rand_core::CryptoRngCore;
use std::collections::HashSet;

/// AWS's `RegionType` pattern (botocore model).
const REGION_PATTERN: &str = "^([a-z]+-){2,3}\\d+$";

/// A new key id: `mrk-` and 32 hex digits for a multi-Region key, else a UUID.
pub(crate) fn new_key_id(rng: &mut dyn CryptoRngCore, role: Option<MultiRegionRole>) -> String {
    match role {
        Some(_) => {
            let hex = crate::crypto::random_hex_id(rng);
            format!("mrk-{}", hex.get(..32).unwrap_or(&hex))
        }
        None => crate::crypto::random_uuid(rng),
    }
}

/// CreateKey's `kms:MultiRegion` (and, for a multi-Region key, `kms:MultiRegionKeyType`).
pub(crate) fn create_key_context(multi_region: Option<bool>) -> Vec<(String, CtxValue)> {
    let multi = multi_region == Some(true);
    let mut out = vec![("kms:MultiRegion".to_string(), CtxValue::One(multi.to_string()))];
    if multi {
        out.push(("kms:MultiRegionKeyType".to_string(), CtxValue::One("PRIMARY".into())));
    }
    out
}

/// The key's place among Regions, for the authorization context.
pub(crate) fn key_fact(rec: &KeyRecord) -> MultiRegion {
    match rec.multi_region {
        None => MultiRegion::SingleRegion,
        Some(MultiRegionRole::Primary) => MultiRegion::Primary,
        Some(MultiRegionRole::Replica) => MultiRegion::Replica,
    }
}

/// Rotation is set on a multi-Region primary key and shared by its replicas.
pub(crate) fn check_not_replica(rec: &KeyRecord) -> Result<()> {
    if rec.multi_region == Some(MultiRegionRole::Replica) {
        return Err(KmsError::new(
            ErrorCode::UnsupportedOperationException,
            format!(
                "{} is a multi-Region replica key. Rotation is managed on its primary key.",
                rec.arn
            ),
        ));
    }
    Ok(())
}

/// Checks a Region field against AWS's `RegionType` (1–32 characters, the pattern).
fn check_region(field: &str, region: &str) -> Result<()> {
    let parts: Vec<&str> = region.split('-').collect();
    let words = parts.len().saturating_sub(1);
    let ok = (1..=32).contains(&region.len())
        && (2..=3).contains(&words)
        && parts[..words]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        return Ok(());
    }
    Err(KmsError::validation(format!(
        "1 validation error detected: Value '{region}' at '{field}' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: {REGION_PATTERN}"
    )))
}

/// The error of an operation that needs a multi-Region primary key.
fn not_primary(rec: &KeyRecord) -> KmsError {
    let what = match rec.multi_region {
        None => "is not a multi-Region key",
        // AWS's text for a replica (recorded from AWS KMS in LocalStack's snapshot tests,
        // test_replicate_replica_key_should_fail, 2025-09).
        _ => "is not a multi-region primary key",
    };
    KmsError::new(ErrorCode::UnsupportedOperationException, format!("{} {what}.", rec.arn))
}

impl Kms {
    /// The keys of `rec`'s multi-Region set (primary first, then replicas by Region); empty
    /// for a single-Region key.
    pub(crate) fn mrk_set(&self, rec: &KeyRecord) -> Vec<&KeyRecord> {
        if rec.multi_region.is_none() {
            return Vec::new();
        }
        let mut set: Vec<&KeyRecord> = self
            .keys
            .values()
            .map(|k| &k.rec)
            .filter(|k| {
                k.key_id == rec.key_id && k.account == rec.account && k.multi_region.is_some()
            })
            .collect();
        set.sort_by_key(|k| (k.multi_region != Some(MultiRegionRole::Primary), k.region.clone()));
        set
    }

    /// The primary key of `rec`'s multi-Region set (a copy), if there is one.
    pub(crate) fn mrk_primary(&self, rec: &KeyRecord) -> Option<KeyRecord> {
        let set = self.mrk_set(rec);
        set.into_iter().find(|k| k.multi_region == Some(MultiRegionRole::Primary)).cloned()
    }

    /// The Regions of the replicas of primary `rec` that lack the material pending rotation
    /// on it (AWS: PENDING_MULTI_REGION_IMPORT_AND_ROTATION until it is imported into every
    /// replica). Empty when nothing is pending or every replica has it.
    pub(crate) fn pending_missing_in(&self, primary: &KeyRecord) -> Vec<String> {
        let Some(pending) = &primary.imports.pending else { return Vec::new() };
        let has = |k: &KeyRecord| {
            k.imports.pending.as_ref().is_some_and(|p| p.id == pending.id)
                || k.materials.iter().any(|m| m.id == pending.id)
        };
        self.mrk_set(primary)
            .into_iter()
            .filter(|k| k.multi_region == Some(MultiRegionRole::Replica) && !has(k))
            .map(|k| k.region.clone())
            .collect()
    }

    /// DescribeKey's metadata, with the multi-Region configuration of a multi-Region key.
    pub(crate) fn key_metadata(&self, rec: &KeyRecord) -> KeyMetadata {
        let mut m = metadata(rec);
        let Some(role) = rec.multi_region else { return m };
        // A key being created has no stored set yet: it is its own.
        let mut set = self.mrk_set(rec);
        if !set.iter().any(|k| k.region == rec.region) {
            set.push(rec);
        }
        let entry = |k: &KeyRecord| MultiRegionKey { arn: k.arn.clone(), region: k.region.clone() };
        let primary = set.iter().find(|k| k.multi_region == Some(MultiRegionRole::Primary));
        m.multi_region_configuration = Some(MultiRegionConfiguration {
            multi_region_key_type: match role {
                MultiRegionRole::Primary => "PRIMARY",
                MultiRegionRole::Replica => "REPLICA",
            },
            primary_key: primary.map_or_else(|| entry(rec), |k| entry(k)),
            replica_keys: set
                .iter()
                .filter(|k| k.multi_region == Some(MultiRegionRole::Replica))
                .map(|k| entry(k))
                .collect(),
        });
        m
    }

    /// ScheduleKeyDeletion of a primary key that still has replicas: AWS keeps it in
    /// PendingReplicaDeletion, with no deletion date, until its last replica is deleted.
    pub(crate) fn wait_for_replicas(&self, rec: &mut KeyRecord) {
        if rec.multi_region == Some(MultiRegionRole::Primary) && self.mrk_set(rec).len() > 1 {
            rec.state = KeyState::PendingReplicaDeletion;
            rec.deletion_ms = None;
        }
    }

    /// The changes that keep replicas in step with a primary written by `changes`: key
    /// material (for keys whose material KMS generates) and rotation are shared properties.
    /// Keys `changes` already writes are left as they are.
    pub(crate) fn replica_sync(&self, changes: &[Change]) -> Vec<Change> {
        let written: HashSet<String> = changes
            .iter()
            .filter_map(|c| match c {
                Change::PutKey(k) => Some(key_handle(&k.region, &k.key_id)),
                _ => None,
            })
            .collect();
        let mut out = Vec::new();
        for c in changes {
            let Change::PutKey(primary) = c else { continue };
            if primary.multi_region != Some(MultiRegionRole::Primary) {
                continue;
            }
            for r in self.mrk_set(primary) {
                let handle = key_handle(&r.region, &r.key_id);
                if r.multi_region != Some(MultiRegionRole::Replica) || written.contains(&handle) {
                    continue;
                }
                let mut n = r.clone();
                if primary.origin == Origin::External {
                    follow_imported(&mut n, primary);
                } else {
                    n.materials.clone_from(&primary.materials);
                }
                n.rotation.clone_from(&primary.rotation);
                n.rotations.clone_from(&primary.rotations);
                if n != *r {
                    out.push(Change::PutKey(Box::new(n)));
                }
            }
        }
        out
    }

    /// Primary keys in PendingReplicaDeletion whose last replica `changes` deletes: their
    /// waiting period starts now.
    pub(crate) fn replicas_gone(&self, changes: &[Change], now_ms: i64) -> Vec<Change> {
        let deleted: HashSet<&str> = changes
            .iter()
            .filter_map(|c| match c {
                Change::DeleteKey(arn) => Some(arn.as_str()),
                _ => None,
            })
            .collect();
        let mut out = Vec::new();
        for k in self.keys.values().filter(|k| k.rec.state == KeyState::PendingReplicaDeletion) {
            let left =
                self.mrk_set(&k.rec).iter().filter(|r| !deleted.contains(r.arn.as_str())).count();
            if left <= 1 {
                let mut rec = k.rec.clone();
                let days = i64::from(rec.pending_window_days.unwrap_or(30));
                rec.state = KeyState::PendingDeletion;
                rec.deletion_ms = Some(now_ms + days * 86_400_000);
                out.push(Change::PutKey(Box::new(rec)));
            }
        }
        out
    }

    /// ReplicateKey: a replica of a multi-Region primary key in another Region of the
    /// partition, with its own policy, description and tags and the primary's key material.
    /// Called in the primary's Region; the caller also needs kms:CreateKey (and
    /// kms:TagResource to tag) in the replica's Region.
    pub fn replicate_key(
        &mut self,
        caller: &Caller,
        r: ReplicateKeyRequest,
    ) -> Result<ReplicateKeyResponse> {
        let p = self.begin(caller)?;
        check_region("replicaRegion", &r.replica_region)?;
        let (id, _) = self.resolve(&p, &r.key_id)?;
        let region = r.replica_region.as_str();
        let extra = vec![("kms:ReplicaRegion".to_string(), CtxValue::One(region.to_string()))];
        self.authorize(
            caller,
            &p,
            Ask { action: "kms:ReplicateKey", key_id: Some(&id), extra, ..Ask::default() },
        )?;
        let primary = self.key(&id)?.rec.clone();
        check_state(&primary, StateRule::Use)?;
        if primary.multi_region != Some(MultiRegionRole::Primary) {
            return Err(not_primary(&primary));
        }
        if let Some(there) = self.mrk_set(&primary).into_iter().find(|k| k.region == region) {
            return Err(KmsError::new(
                ErrorCode::AlreadyExistsException,
                format!("{} already exists in {region}.", there.arn),
            ));
        }
        let tags = r.tags.unwrap_or_default();
        let mut create = vec![
            ("kms:KeySpec".to_string(), CtxValue::One(primary.spec.as_str().into())),
            ("kms:KeyUsage".to_string(), CtxValue::One(primary.usage.as_str().into())),
            ("kms:KeyOrigin".to_string(), CtxValue::One(primary.origin.as_str().into())),
            ("kms:MultiRegion".to_string(), CtxValue::One("true".into())),
            ("kms:MultiRegionKeyType".to_string(), CtxValue::One("REPLICA".into())),
        ];
        create.extend(super::keys::tag_context(&tags));
        let in_replica =
            |action, extra| Ask { action, extra, region: Some(region), ..Ask::default() };
        self.authorize(caller, &p, in_replica("kms:CreateKey", create))?;
        if !tags.is_empty() {
            let tagging = super::keys::tag_context(&tags);
            self.authorize(caller, &p, in_replica("kms:TagResource", tagging))?;
        }
        let description = r.description.unwrap_or_default();
        super::keys::check_description(&description)?;
        validate_tags(&tags)?;
        let arn = format!("arn:aws:kms:{region}:{}:key/{}", primary.account, primary.key_id);
        let policy = r.policy.unwrap_or_else(|| super::keys::default_key_policy(&primary.account));
        let bypass = r.bypass_policy_lockout_safety_check.unwrap_or(false);
        self.check_policy(caller, &p, &policy, &arn, &primary.account, bypass)?;
        let external = primary.origin == Origin::External;
        // Imported material: places for the primary's materials, each to be imported.
        let (slots, entries) = if external {
            super::import::replica_slots(&primary)
        } else {
            (primary.materials.clone(), Vec::new())
        };
        let replica = KeyRecord {
            key_id: primary.key_id.clone(),
            arn,
            account: primary.account.clone(),
            region: region.to_string(),
            created_ms: caller.now_ms,
            description,
            spec: primary.spec,
            usage: primary.usage,
            origin: primary.origin,
            // Imported material is imported into each key of the set.
            state: if external { KeyState::PendingImport } else { KeyState::Enabled },
            deletion_ms: None,
            pending_window_days: None,
            policy: policy.clone(),
            tags: tags.clone(),
            rotation: primary.rotation.clone(),
            rotations: primary.rotations,
            materials: slots,
            import: None,
            material_expires_ms: None,
            imports: crate::record::Imports { entries, pending: None },
            multi_region: Some(MultiRegionRole::Replica),
            aws_managed: false,
        };
        let mut replica_key_metadata = self.key_metadata(&replica);
        // AWS answers while the replica is still being made: it is usable once the call
        // returns here, but the response shows it as AWS does.
        replica_key_metadata.key_state = KeyState::Creating;
        replica_key_metadata.enabled = false;
        self.commit(vec![Change::PutKey(Box::new(replica))])?;
        Ok(ReplicateKeyResponse {
            replica_key_metadata,
            replica_policy: policy,
            replica_tags: tags,
        })
    }

    /// UpdatePrimaryRegion: the replica in `PrimaryRegion` becomes the primary key and the
    /// current primary (named in the call, in its Region) becomes a replica. Both need
    /// kms:UpdatePrimaryRegion, with `kms:PrimaryRegion` in the context.
    pub fn update_primary_region(
        &mut self,
        caller: &Caller,
        r: UpdatePrimaryRegionRequest,
    ) -> Result<Empty> {
        let p = self.begin(caller)?;
        check_region("primaryRegion", &r.primary_region)?;
        let (id, _) = self.resolve(&p, &r.key_id)?;
        let region = r.primary_region.as_str();
        let ctx = || vec![("kms:PrimaryRegion".to_string(), CtxValue::One(region.to_string()))];
        let action = "kms:UpdatePrimaryRegion";
        self.authorize(
            caller,
            &p,
            Ask { action, key_id: Some(&id), extra: ctx(), ..Ask::default() },
        )?;
        let primary = self.key(&id)?.rec.clone();
        check_state(&primary, StateRule::Modify)?;
        if primary.multi_region != Some(MultiRegionRole::Primary) {
            return Err(not_primary(&primary));
        }
        let Some(replica) = self
            .mrk_set(&primary)
            .into_iter()
            .find(|k| k.region == region && k.multi_region == Some(MultiRegionRole::Replica))
            .cloned()
        else {
            return Err(KmsError::new(
                ErrorCode::NotFoundException,
                format!("{} has no replica key in {region}.", primary.arn),
            ));
        };
        let there = key_handle(&replica.region, &replica.key_id);
        let ask = Ask {
            action,
            key_id: Some(&there),
            extra: ctx(),
            region: Some(region),
            ..Ask::default()
        };
        self.authorize(caller, &p, ask)?;
        check_state(&replica, StateRule::Modify)?;
        let mut old = primary;
        let mut new = replica;
        old.multi_region = Some(MultiRegionRole::Replica);
        new.multi_region = Some(MultiRegionRole::Primary);
        if old.origin == Origin::External {
            // The new primary's materials are the set's (the other replicas follow in commit).
            follow_imported(&mut old, &new);
        }
        self.commit(vec![Change::PutKey(Box::new(old)), Change::PutKey(Box::new(new))])?;
        Ok(Empty {})
    }
}

/// Keeps replica `n` of an EXTERNAL primary in step with it: the replica has a place for each
/// of the primary's materials (keeping the bytes imported into the replica; material pending
/// rotation on the replica becomes current when the primary rotates to it), and material
/// pending rotation that the primary no longer has is dropped (AWS: deleting a primary's
/// pending material deletes it from the replicas too). Expiry and import state stay the
/// replica's own.
fn follow_imported(n: &mut KeyRecord, primary: &KeyRecord) {
    let mut pending = n.imports.pending.take();
    let mut materials = Vec::with_capacity(primary.materials.len());
    for pm in &primary.materials {
        if let Some(m) = n.materials.iter().find(|m| m.id == pm.id) {
            materials.push(m.clone());
        } else if let Some(p) = pending.take_if(|p| p.id == pm.id) {
            materials.push(p);
        } else {
            materials.push(Material { secret: Secret::new(Vec::new()), ..pm.clone() });
            if n.imports.entry(&pm.id).is_none() {
                n.imports.entries.push(ImportedMaterial {
                    id: pm.id.clone(),
                    description: None,
                    valid_to_ms: None,
                    deleted: true,
                });
            }
        }
    }
    let current_changed = materials.last().map(|m| &m.id) != n.materials.last().map(|m| &m.id);
    n.materials = materials;
    if current_changed {
        let current = n.materials.last().map(|m| m.id.as_str()).unwrap_or_default();
        n.material_expires_ms = n.imports.entry(current).and_then(|e| e.valid_to_ms);
    }
    let primary_pending = primary.imports.pending.as_ref().map(|p| p.id.as_str());
    match pending {
        Some(p) if Some(p.id.as_str()) == primary_pending => n.imports.pending = Some(p),
        Some(p) => n.imports.entries.retain(|e| e.id != p.id),
        None => {}
    }
    let lost = n.materials.iter().any(|m| m.secret.expose().is_empty());
    if lost && n.state == KeyState::Enabled {
        n.state = KeyState::PendingImport;
    }
}
