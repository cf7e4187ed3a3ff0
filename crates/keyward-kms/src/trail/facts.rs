//! What the KMS knows about a call that its CloudTrail record needs and the request does not
//! say: the key ARNs of `resources` (a key id, alias or ciphertext resolved), the key material
//! ids of `additionalEventData`, the caller's unique id and session; and the service events of
//! [`Kms::tick`] (rotations, deletions, expired material), queued for the recorder.

use super::{Identity, Resource};
use crate::kms::{Caller, Kms};
use crate::operation::Operation;
use serde_json::{Map, Value};

/// Keys and key material of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailFacts {
    /// `resources`, in AWS's order.
    pub resources: Vec<Resource>,
    /// `additionalEventData` entries (`keyMaterialId`, or ReEncrypt's `sourceKeyMaterialId`
    /// and `destinationKeyMaterialId`; RetireGrant's `grantId`), recorded for successful calls.
    pub key_material: Vec<(String, String)>,
}

impl TrailFacts {
    /// Adds what only the response of a successful call tells: the key CreateKey made.
    pub fn complete(&mut self, op: Operation, response: &Value) {
        if op == Operation::CreateKey {
            if let Some(arn) = response.get("KeyMetadata").and_then(|m| s(m, "Arn")) {
                self.resources.push(Resource::kms_key(arn));
            }
        }
    }

    /// `additionalEventData`, when there is any.
    pub fn additional(&self) -> Option<Value> {
        if self.key_material.is_empty() {
            return None;
        }
        let m: Map<String, Value> =
            self.key_material.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        Some(Value::Object(m))
    }
}

/// What KMS did by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceEventKind {
    /// Automatic rotation.
    RotateKey,
    /// The end of a key's deletion waiting period.
    DeleteKey,
    /// Imported key material expired.
    DeleteExpiredKeyMaterial,
}

impl ServiceEventKind {
    /// The `eventName`.
    pub fn name(self) -> &'static str {
        match self {
            ServiceEventKind::RotateKey => "RotateKey",
            ServiceEventKind::DeleteKey => "DeleteKey",
            ServiceEventKind::DeleteExpiredKeyMaterial => "DeleteExpiredKeyMaterial",
        }
    }
}

/// One service event, as [`Kms::tick`] performed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEvent {
    /// What happened.
    pub kind: ServiceEventKind,
    /// The key.
    pub key_arn: String,
    /// The key's Region.
    pub region: String,
    /// When it was due (the event's time), epoch milliseconds.
    pub at_ms: i64,
    /// The new material of a rotation, or the material that expired.
    pub key_material_id: Option<String>,
}

/// Service events waiting for the recorder.
#[derive(Debug, Default)]
pub(crate) struct ServiceEventQueue {
    pub(crate) on: bool,
    pub(crate) pending: Vec<ServiceEvent>,
    pub(crate) dropped: u64,
}

/// At most this many service events wait for [`Kms::take_service_events`]; later ones are
/// counted as dropped.
pub(crate) const MAX_PENDING_SERVICE_EVENTS: usize = 10_000;

/// Base64 characters covering the longest blob header with its nonce and a tag's length.
const HEADER_B64: usize = 4 * 110;

fn s<'v>(v: &'v Value, field: &str) -> Option<&'v str> {
    v.get(field).and_then(Value::as_str)
}

impl Kms {
    /// Starts (or stops) keeping the service events of [`Kms::tick`] for
    /// [`Kms::take_service_events`]. Off by default, so nothing accumulates unless a recorder
    /// drains them.
    pub fn record_service_events(&mut self, on: bool) {
        self.service_events.on = on;
        if !on {
            self.service_events.pending.clear();
        }
    }

    /// The service events performed since the last call, and how many were dropped because
    /// nobody took them.
    pub fn take_service_events(&mut self) -> (Vec<ServiceEvent>, u64) {
        let dropped = std::mem::take(&mut self.service_events.dropped);
        (std::mem::take(&mut self.service_events.pending), dropped)
    }

    pub(crate) fn push_service_events(&mut self, events: Vec<ServiceEvent>) {
        if !self.service_events.on {
            return;
        }
        for e in events {
            if self.service_events.pending.len() >= MAX_PENDING_SERVICE_EVENTS {
                self.service_events.dropped += 1;
            } else {
                self.service_events.pending.push(e);
            }
        }
    }

    /// The ARN of the key `key_ref` names for `caller`, if it exists.
    fn trail_key(&self, caller: &Caller, key_ref: &str) -> Option<&crate::record::KeyRecord> {
        let p = Self::principal(caller).ok()?;
        let (id, _) = self.resolve(&p, key_ref).ok()?;
        self.keys.get(&id).map(|k| &k.rec)
    }

    /// The key a ciphertext names, and the material that sealed it.
    fn trail_ciphertext_key(
        &self,
        blob_b64: Option<&str>,
    ) -> Option<(&crate::record::KeyRecord, String)> {
        use base64::Engine as _;
        // Only the header is needed (at most 4 + 255 + 32 bytes, then a nonce and a tag the
        // parser checks are there): decode a prefix, not a whole large ciphertext.
        let text = blob_b64?;
        let prefix = text.get(..text.len().min(HEADER_B64)).unwrap_or(text);
        let bytes = base64::engine::general_purpose::STANDARD.decode(prefix).ok()?;
        let h = crate::crypto::blob::header(&bytes).ok()?;
        let handle = crate::kms::key_handle(&self.region, &h.key_id);
        self.keys.get(&handle).map(|k| (&k.rec, h.material_id))
    }

    /// The facts the CloudTrail record of a call needs: the keys it concerned (resolved as
    /// the call will resolve them, in the caller's Region) and, for a symmetric cryptographic
    /// call, the key material it uses (recorded only if it succeeds). Called just before the
    /// call, under the same lock (a deleted alias or a retired grant is gone after it); it
    /// runs the clock as the call would, so the tick's service events come first.
    /// [`TrailFacts::complete`] adds what only the response tells.
    pub fn trail_facts(&mut self, caller: &Caller, op: Operation, request: &Value) -> TrailFacts {
        // The call's Region and clock, as the call itself will set them; an error here is the
        // call's own error, which it reports.
        let _ = self.begin(caller);
        self.trail_facts_now(caller, op, request)
    }

    fn trail_facts_now(&self, caller: &Caller, op: Operation, request: &Value) -> TrailFacts {
        use Operation as O;
        let mut f = TrailFacts::default();
        let key = |k: Option<&str>| k.and_then(|k| self.trail_key(caller, k));
        let current = |r: &crate::record::KeyRecord| r.materials.last().map(|m| m.id.clone());
        let alias_arn = |name: &str| {
            let p = Self::principal(caller).ok()?;
            if name.starts_with("arn:") {
                Some(name.to_string())
            } else {
                Some(format!("arn:aws:kms:{}:{}:{name}", self.region, p.account))
            }
        };
        match op {
            O::CreateKey => {}
            O::Decrypt => {
                let (rec, material) = match self.trail_ciphertext_key(s(request, "CiphertextBlob"))
                {
                    Some((rec, m)) => (Some(rec), Some(m)),
                    None => (key(s(request, "KeyId")), None),
                };
                if let Some(rec) = rec {
                    f.resources.push(Resource::kms_key(&rec.arn));
                }
                if let Some(m) = material {
                    f.key_material.push(("keyMaterialId".into(), m));
                }
            }
            O::ReEncrypt => {
                let source = self.trail_ciphertext_key(s(request, "CiphertextBlob"));
                let dest = key(s(request, "DestinationKeyId"));
                if let Some((rec, _)) = &source {
                    f.resources.push(Resource::kms_key(&rec.arn));
                }
                if let Some(rec) = dest {
                    f.resources.push(Resource::kms_key(&rec.arn));
                }
                if let Some(m) = dest.and_then(current) {
                    f.key_material.push(("destinationKeyMaterialId".into(), m));
                }
                if let Some((_, m)) = source {
                    f.key_material.push(("sourceKeyMaterialId".into(), m));
                }
            }
            O::CreateAlias | O::UpdateAlias | O::DeleteAlias => {
                let alias = s(request, "AliasName").and_then(alias_arn);
                let target = match op {
                    O::DeleteAlias => None,
                    _ => key(s(request, "TargetKeyId")),
                };
                let target = target.or_else(|| {
                    let a = alias.as_deref()?;
                    self.alias_key(a).and_then(|(handle, _)| self.keys.get(&handle)).map(|k| &k.rec)
                });
                let alias = alias.map(|a| Resource::kms_key(&a));
                let target = target.map(|r| Resource::kms_key(&r.arn));
                let ordered = if op == O::CreateAlias { [target, alias] } else { [alias, target] };
                f.resources.extend(ordered.into_iter().flatten());
            }
            O::ListAliases | O::ListKeys | O::GenerateRandom | O::ListRetirableGrants => {}
            _ => {
                // RetireGrant names its grant by id or by token; KMS logs the grant id.
                let grant = match (op, s(request, "GrantId"), s(request, "GrantToken")) {
                    (O::RetireGrant, Some(id), _) => self.grants.get(id),
                    (O::RetireGrant, None, Some(t)) => {
                        self.grants.values().find(|g| g.tokens.iter().any(|x| x == t))
                    }
                    _ => None,
                };
                if let Some(g) = grant {
                    f.key_material.push(("grantId".into(), g.grant_id.clone()));
                }
                let rec = key(s(request, "KeyId")).or_else(|| {
                    let g = grant?;
                    self.keys.get(&crate::kms::key_handle(&g.region, &g.key_id)).map(|k| &k.rec)
                });
                if let Some(rec) = rec {
                    f.resources.push(Resource::kms_key(&rec.arn));
                    let symmetric_crypto = matches!(
                        op,
                        O::Encrypt
                            | O::GenerateDataKey
                            | O::GenerateDataKeyWithoutPlaintext
                            | O::GenerateDataKeyPair
                            | O::GenerateDataKeyPairWithoutPlaintext
                    );
                    if symmetric_crypto {
                        if let Some(m) = current(rec) {
                            f.key_material.push(("keyMaterialId".into(), m));
                        }
                    }
                }
            }
        }
        f
    }

    /// The caller as CloudTrail names it: unique ids from the account model (the user, or the
    /// role of a session), the session's creation time (when its access key was made), MFA.
    pub fn trail_identity(&self, caller: &Caller, access_key_id: Option<&str>) -> Identity {
        let mut id = Identity {
            arn: caller.principal.clone(),
            access_key_id: access_key_id.map(str::to_string),
            mfa: caller.mfa_age_s.is_some(),
            invoked_by: caller.via_service.as_deref().map(|v| {
                v.split('.').next().map_or_else(String::new, |s| format!("{s}.amazonaws.com"))
            }),
            ..Identity::default()
        };
        if let Ok(p) = Self::principal(caller) {
            let arn = p.role_arn.clone().unwrap_or_else(|| p.arn.clone());
            if let Some(e) = self.identities.get(&arn) {
                id.unique_id = Some(e.rec.unique_id.clone());
                if p.role_arn.is_some() {
                    id.issuer_arn = Some(e.rec.arn.clone());
                }
            }
        }
        if let Some(k) = access_key_id.and_then(|k| self.access_keys.get(k)) {
            if k.principal.contains(":assumed-role/") {
                id.session_created_ms = Some(k.created_ms);
            }
        }
        id
    }
}
