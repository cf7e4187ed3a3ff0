//! The KMS itself: in-memory state written through a [`Store`], the injected clock tick, key
//! resolution and the authorization gate every operation passes first.

use crate::crypto::blob::Cipher;
use crate::error::{ErrorCode, KmsError, Result};
use crate::record::{AliasRecord, GrantRecord, IdentityRecord, KeyRecord, OrgPolicyRecord};
use crate::store::{Change, State, Store};
use crate::trail::{ServiceEvent, ServiceEventKind};
use crate::types::KeyState;
use keyward_core::eval::{NamedPolicy, Principal, PrincipalKind};
use keyward_core::json::Limits;
use keyward_core::model::{Grant, GrantConstraint, Policy, PolicyKind};
use keyward_core::parse::parse_policy;
use keyward_core::span::{LineIndex, Span};
use rand_core::CryptoRngCore;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Settings of a KMS instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// The default Region: the Region of a call whose [`Caller::region`] is `None` (default
    /// `us-east-1`). Keys, aliases and grants of every Region live side by side.
    pub region: String,
    /// How long a new grant takes to become effective without a grant token (AWS: eventually
    /// consistent, typically under five minutes). Default 0: effective at once.
    pub grant_propagation_ms: i64,
}

impl Default for Config {
    fn default() -> Config {
        Config { region: "us-east-1".to_string(), grant_propagation_ms: 0 }
    }
}

/// Who is calling, and what the call's environment says about it.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The caller's ARN: IAM user, assumed-role session, root, or a service principal name.
    pub principal: String,
    /// Request time, epoch milliseconds.
    pub now_ms: i64,
    /// `aws:SourceIp`.
    pub source_ip: Option<String>,
    /// `kms:ViaService` (the call came through an AWS service).
    pub via_service: Option<String>,
    /// `aws:MultiFactorAuthPresent` / `aws:MultiFactorAuthAge` (seconds), when MFA was used.
    pub mfa_age_s: Option<u64>,
    /// `aws:SourceVpce`.
    pub source_vpce: Option<String>,
    /// A session policy in force for this caller (text).
    pub session_policy: Option<String>,
    /// Any other context keys to set.
    pub extra_context: Vec<(String, String)>,
    /// The Region the call is made in (the server: the SigV4 credential scope; the CLI:
    /// `--region`). `None`: the configured default Region.
    pub region: Option<String>,
}

/// The in-memory handle of a key: its Region and key id. Key ids are random, so unique across
/// accounts; a multi-Region key shares its id with its replicas, one per Region.
pub(crate) fn key_handle(region: &str, key_id: &str) -> String {
    // Built by hand: `format!` costs several times more on the Decrypt hot path.
    let mut handle = String::with_capacity(region.len() + 1 + key_id.len());
    handle.push_str(region);
    handle.push('/');
    handle.push_str(key_id);
    handle
}

/// A map keyed by key handles. Handles are made by the KMS (Region and a random key id), never
/// chosen by a caller, so they need no flood-resistant hash: this one reads eight bytes a step
/// (a tenth of SipHash's cost on the Decrypt hot path, which looks a handle up four times).
pub(crate) type HandleMap<V> = HashMap<String, V, BuildHasherDefault<HandleHasher>>;

/// The hash of [`HandleMap`]: a multiply-rotate over 8-byte words (the scheme of rustc's
/// FxHasher).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct HandleHasher(u64);

impl HandleHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for HandleHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes(w.try_into().unwrap_or_default()));
        }
        let mut last = [0u8; 8];
        let rest = words.remainder();
        last[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Says whether alias `a` points at key `rec` (an alias names a key of its own Region).
pub(crate) fn alias_targets(a: &AliasRecord, rec: &KeyRecord) -> bool {
    a.key_id == rec.key_id && arn_region(&a.arn) == rec.region
}

/// The Region of an ARN (`arn:aws:kms:REGION:...`), or "" when it has none.
pub(crate) fn arn_region(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or_default()
}

/// A key's last successful cryptographic call (GetKeyLastUsage).
#[derive(Debug, Clone)]
pub(crate) struct LastUse {
    pub(crate) at_ms: i64,
    pub(crate) op: crate::Operation,
    /// Its CloudTrail `eventID`, when a recorder wrote one.
    pub(crate) event_id: Option<String>,
}

pub(crate) struct KeyEntry {
    /// The record; `keys` is keyed by its [`key_handle`].
    pub(crate) rec: KeyRecord,
    pub(crate) policy: NamedPolicy,
    /// The last successful cryptographic operation through the wire adapter (GetKeyLastUsage):
    /// time and operation, kept in memory for the life of this instance.
    pub(crate) last_use: Option<LastUse>,
    /// The AES-GCM ciphers of a symmetric key's materials, expanded once when the record is
    /// applied and dropped (zeroed) with it: they live exactly as long as the material they
    /// are expanded from. Empty for other key specs.
    pub(crate) ciphers: Vec<Cipher>,
}

impl KeyEntry {
    /// The expanded cipher of one of this key's materials, when there is one.
    pub(crate) fn cipher(&self, material: &crate::record::Material) -> Option<&Cipher> {
        self.ciphers.iter().find(|c| c.is_material(material))
    }
}

/// The ciphers of a key record's materials (symmetric keys only); a material whose id or
/// bytes are unusable gets none, and its use fails as it would without the cache.
fn ciphers_of(rec: &KeyRecord) -> Vec<Cipher> {
    if rec.spec != crate::types::KeySpec::SymmetricDefault {
        return Vec::new();
    }
    rec.materials.iter().filter_map(|m| Cipher::new(m).ok()).collect()
}

pub(crate) struct IdentityEntry {
    pub(crate) rec: IdentityRecord,
    pub(crate) policies: Vec<NamedPolicy>,
    pub(crate) boundary: Option<NamedPolicy>,
}

pub(crate) struct OrgEntry {
    pub(crate) rec: OrgPolicyRecord,
    pub(crate) policy: NamedPolicy,
}

/// The local KMS.
pub struct Kms {
    pub(crate) config: Config,
    /// Keys by [`key_handle`] (Region and key id).
    pub(crate) keys: HandleMap<KeyEntry>,
    pub(crate) aliases: BTreeMap<String, AliasRecord>,
    pub(crate) grants: HashMap<String, GrantRecord>,
    /// Evaluator grants per key handle, in creation order, with their grant ids and creation
    /// times.
    pub(crate) key_grants: HandleMap<Vec<(String, i64, Arc<Grant>)>>,
    pub(crate) identities: HashMap<String, IdentityEntry>,
    pub(crate) access_keys: HashMap<String, crate::record::AccessKeyRecord>,
    pub(crate) org: Vec<OrgEntry>,
    /// Earliest time at which [`Kms::tick`] has work (deletion, rotation, expiry).
    pub(crate) next_deadline_ms: i64,
    pub(crate) store: Box<dyn Store + Send>,
    pub(crate) rng: Box<dyn CryptoRngCore + Send>,
    /// Bumped by every commit: cached per-call data older than this is stale.
    pub(crate) generation: u64,
    /// Context-key filters per (caller, key id), tagged with the generation they were built in.
    pub(crate) filters: FilterCache,
    /// Parsed callers (a principal ARN always parses the same way), shared with the calls.
    pub(crate) principals: HashMap<String, Arc<Principal>>,
    /// The Region of the call in progress: set from the caller by `begin`, which every
    /// operation runs first; the configured default Region until then.
    pub(crate) region: String,
    /// When GetKeyLastUsage's tracking began: the time of this instance's first call.
    pub(crate) tracking_since_ms: i64,
    /// A reused buffer for key handles built on the hot path (`note_use`).
    pub(crate) handle_buf: String,
    /// Request times are simulated (`--time`): [`Kms::tick`] shows what is due in memory only.
    pub(crate) simulated_clock: bool,
    /// A simulated tick changed the in-memory state without committing it: from then on
    /// nothing may be committed, or a whole-record write would persist its effects.
    pub(crate) simulated_changes: bool,
    /// Service events of [`Kms::tick`] waiting for the CloudTrail recorder.
    pub(crate) service_events: crate::trail::facts::ServiceEventQueue,
}

/// Per-call data cached by the gate (context-key filters, prepared requests), each tagged with
/// the generation it belongs to.
pub(crate) type FilterCache = crate::auth::AuthCache;

impl std::fmt::Debug for Kms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kms")
            .field("region", &self.config.region)
            .field("keys", &self.keys.len())
            .field("aliases", &self.aliases.len())
            .field("grants", &self.grants.len())
            .finish_non_exhaustive()
    }
}

/// Parses a stored or submitted policy text; errors carry line:col.
pub(crate) fn parse_named(
    text: &str,
    kind: PolicyKind,
    name: &str,
) -> std::result::Result<NamedPolicy, String> {
    let (policy, diags) = parse_policy(text, kind, Limits::default());
    let idx = LineIndex::new(text);
    if let Some(d) = diags.iter().find(|d| d.severity == keyward_core::diag::Severity::Error) {
        let lc = idx.line_col(d.span.start);
        return Err(format!(
            "{} (line {}, column {}{})",
            d.message,
            lc.line,
            lc.col,
            if d.path.is_empty() { String::new() } else { format!(", at {}", d.path) }
        ));
    }
    match policy {
        Some(p) => Ok(NamedPolicy::new(name, p)),
        None => Err("the policy is not a JSON object".to_string()),
    }
}

fn empty_policy(kind: PolicyKind) -> Policy {
    Policy {
        kind,
        version: keyward_core::model::Version::V2012_10_17,
        id: None,
        statements: Vec::new(),
        statement_count: 0,
        span: Span::SYNTHETIC,
    }
}

/// A policy that denies everything, standing for a stored policy that does not parse.
fn deny_all(kind: PolicyKind, name: &str) -> NamedPolicy {
    const DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Unreadable","Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    parse_named(DENY_ALL, kind, &format!("{name} (unreadable)"))
        .unwrap_or_else(|_| NamedPolicy::new(format!("{name} (unreadable)"), empty_policy(kind)))
}

/// A service event of [`Kms::tick`] on `rec`, due at `at_ms`.
fn service_event(
    rec: &KeyRecord,
    kind: ServiceEventKind,
    at_ms: Option<i64>,
    key_material_id: Option<String>,
) -> ServiceEvent {
    ServiceEvent {
        kind,
        key_arn: rec.arn.clone(),
        region: rec.region.clone(),
        at_ms: at_ms.unwrap_or_default(),
        key_material_id,
    }
}

/// The evaluator's view of a stored grant.
pub(crate) fn core_grant(g: &GrantRecord, account: &str) -> Grant {
    let constraint = g.constraints.as_ref().and_then(|c| {
        let pairs =
            |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        match (&c.encryption_context_equals, &c.encryption_context_subset) {
            (Some(m), _) => Some(GrantConstraint::Equals(pairs(m))),
            (None, Some(m)) => Some(GrantConstraint::Subset(pairs(m))),
            _ => None,
        }
    });
    Grant {
        grant_id: Some(g.grant_id.clone()),
        key_id: Some(g.key_id.clone()),
        grantee: g.grantee.clone(),
        retiring_principal: g.retiring.clone(),
        operations: g.operations.iter().map(|o| o.as_str().to_string()).collect(),
        constraint,
        source_arn: g.constraints.as_ref().and_then(|c| c.source_arn.clone()),
        name: g.name.clone(),
        issuing_account: Some(account.to_string()),
        creation_date: Some((g.created_ms / 1000).to_string()),
        span: Span::SYNTHETIC,
    }
}

impl Kms {
    /// Opens a KMS over `store`, loading its state.
    pub fn open(
        mut store: Box<dyn Store + Send>,
        rng: Box<dyn CryptoRngCore + Send>,
        config: Config,
    ) -> std::result::Result<Kms, crate::store::StoreError> {
        let state = store.load()?;
        let mut kms = Kms {
            region: config.region.clone(),
            tracking_since_ms: 0,
            handle_buf: String::new(),
            config,
            keys: HandleMap::default(),
            aliases: BTreeMap::new(),
            grants: HashMap::new(),
            key_grants: HandleMap::default(),
            identities: HashMap::new(),
            access_keys: HashMap::new(),
            org: Vec::new(),
            next_deadline_ms: i64::MAX,
            store,
            rng,
            generation: 0,
            filters: FilterCache::default(),
            principals: HashMap::new(),
            simulated_clock: false,
            simulated_changes: false,
            service_events: Default::default(),
        };
        kms.install(state)?;
        Ok(kms)
    }

    /// An in-memory KMS (tests, WASM).
    pub fn in_memory(rng: Box<dyn CryptoRngCore + Send>, config: Config) -> Kms {
        let mut kms = Kms {
            region: config.region.clone(),
            tracking_since_ms: 0,
            handle_buf: String::new(),
            config,
            keys: HandleMap::default(),
            aliases: BTreeMap::new(),
            grants: HashMap::new(),
            key_grants: HandleMap::default(),
            identities: HashMap::new(),
            access_keys: HashMap::new(),
            org: Vec::new(),
            next_deadline_ms: i64::MAX,
            store: Box::new(crate::store::MemoryStore),
            rng,
            generation: 0,
            filters: FilterCache::default(),
            principals: HashMap::new(),
            simulated_clock: false,
            simulated_changes: false,
            service_events: Default::default(),
        };
        // An empty state has no policy to check.
        kms.install_checked(State::default());
        kms
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Says whether request times are simulated (the CLI's `--time`) rather than the real
    /// clock. With a simulated time, deletions, rotations and expiries that are due are shown
    /// in memory for this process but never committed, and a call that would then write
    /// anything is refused: only a real clock tick completes an irreversible change.
    pub fn simulate_clock(&mut self, simulated: bool) {
        self.simulated_clock = simulated;
    }

    /// Installs a loaded state, failing closed: a stored policy (key policy, identity policy,
    /// permissions boundary, SCP or RCP) that no longer parses stops the open with an error
    /// naming its record, rather than being dropped or replaced (dropping a Deny would allow).
    fn install(&mut self, state: State) -> std::result::Result<(), crate::store::StoreError> {
        let bad = |what: String, e: String| {
            crate::store::StoreError(format!(
                "{what} no longer parses ({e}); the store is not opened"
            ))
        };
        for k in &state.keys {
            parse_named(&k.policy, PolicyKind::Key, "key policy")
                .map_err(|e| bad(format!("record `keys`/`{}`: the key policy", k.key_id), e))?;
        }
        for i in &state.identities {
            for (name, text) in &i.policies {
                parse_named(text, PolicyKind::Identity, name).map_err(|e| {
                    bad(format!("record `identities`/`{}`: identity policy `{name}`", i.arn), e)
                })?;
            }
            if let Some(b) = &i.boundary {
                parse_named(b, PolicyKind::Boundary, "permissions boundary").map_err(|e| {
                    bad(format!("record `identities`/`{}`: the permissions boundary", i.arn), e)
                })?;
            }
        }
        for o in &state.org_policies {
            let kind = match o.kind.as_str() {
                "scp" => PolicyKind::Scp,
                "rcp" => PolicyKind::Rcp,
                k => {
                    return Err(bad(
                        format!("record `org_policies`/`{}`: kind `{k}`", o.name),
                        "expected scp or rcp".to_string(),
                    ))
                }
            };
            parse_named(&o.text, kind, &o.name)
                .map_err(|e| bad(format!("record `org_policies`/`{}`: the policy", o.name), e))?;
        }
        self.install_checked(state);
        Ok(())
    }

    fn install_checked(&mut self, mut state: State) {
        // Grants written before grants were regional belong to the Region of their key (key
        // ids were unique then: no multi-Region keys).
        if state.grants.iter().any(|g| g.region.is_empty()) {
            let regions: HashMap<&str, &str> =
                state.keys.iter().map(|k| (k.key_id.as_str(), k.region.as_str())).collect();
            for g in state.grants.iter_mut().filter(|g| g.region.is_empty()) {
                g.region = regions
                    .get(g.key_id.as_str())
                    .map_or_else(|| self.config.region.clone(), |r| (*r).to_string());
            }
        }
        let changes: Vec<Change> = state
            .keys
            .into_iter()
            .map(|k| Change::PutKey(Box::new(k)))
            .chain(state.aliases.into_iter().map(Change::PutAlias))
            .chain(state.grants.into_iter().map(|g| Change::PutGrant(Box::new(g))))
            .chain(state.identities.into_iter().map(|i| Change::PutIdentity(Box::new(i))))
            .chain(state.access_keys.into_iter().map(|a| Change::PutAccessKey(Box::new(a))))
            .chain(state.org_policies.into_iter().map(|o| Change::PutOrgPolicy(Box::new(o))))
            .collect();
        for c in changes {
            self.apply(c);
        }
    }

    /// Writes `changes` durably, then applies them in memory. On a storage failure nothing
    /// changes and the call fails with KMSInternalException.
    pub(crate) fn commit(&mut self, mut changes: Vec<Change>) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        // A multi-Region primary's shared properties go to its replicas in the same commit.
        let sync = self.replica_sync(&changes);
        changes.extend(sync);
        if self.simulated_changes {
            return Err(KmsError::validation(
                "The simulated request time passes a key deletion, rotation or material expiry \
                 that only the real clock may complete, so this call cannot change the store. \
                 Run it without a simulated time.",
            ));
        }
        self.store
            .commit(&changes)
            .map_err(|e| KmsError::new(ErrorCode::KMSInternalException, e.to_string()))?;
        self.generation += 1;
        for c in changes {
            self.apply(c);
        }
        Ok(())
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::PutKey(rec) => {
                let rec = *rec;
                self.note_deadlines(&rec);
                let handle = key_handle(&rec.region, &rec.key_id);
                let last_use = self.keys.get(&handle).and_then(|k| k.last_use.clone());
                let policy = match self.keys.get(&handle) {
                    Some(old) if old.rec.policy == rec.policy => old.policy.clone(),
                    _ => parse_named(&rec.policy, PolicyKind::Key, "key policy").unwrap_or_else(
                        |_| {
                            NamedPolicy::new(
                                "key policy (unreadable)",
                                empty_policy(PolicyKind::Key),
                            )
                        },
                    ),
                };
                let ciphers = ciphers_of(&rec);
                self.keys.insert(handle, KeyEntry { rec, policy, last_use, ciphers });
            }
            Change::DeleteKey(arn) => {
                let id = arn.rsplit('/').next().unwrap_or_default();
                let handle = key_handle(arn_region(&arn), id);
                self.keys.remove(&handle);
                self.key_grants.remove(&handle);
            }
            Change::PutAlias(a) => {
                self.aliases.insert(a.arn.clone(), a);
            }
            Change::DeleteAlias(arn) => {
                self.aliases.remove(&arn);
            }
            Change::PutGrant(g) => {
                let g = *g;
                let account = g.issuer.split(':').nth(4).unwrap_or_default().to_string();
                let list = self.key_grants.entry(key_handle(&g.region, &g.key_id)).or_default();
                list.retain(|(id, _, _)| *id != g.grant_id);
                list.push((g.grant_id.clone(), g.created_ms, Arc::new(core_grant(&g, &account))));
                self.grants.insert(g.grant_id.clone(), g);
            }
            Change::DeleteGrant(id) => {
                if let Some(g) = self.grants.remove(&id) {
                    if let Some(list) = self.key_grants.get_mut(&key_handle(&g.region, &g.key_id)) {
                        list.retain(|(gid, _, _)| *gid != id);
                    }
                }
            }
            Change::PutIdentity(rec) => {
                let rec = *rec;
                // Both were checked when the record was put or loaded; should one still not
                // parse, it stands as a Deny of everything (fail closed), never dropped.
                let policies = rec
                    .policies
                    .iter()
                    .map(|(n, t)| {
                        parse_named(t, PolicyKind::Identity, n)
                            .unwrap_or_else(|_| deny_all(PolicyKind::Identity, n))
                    })
                    .collect();
                let boundary = rec.boundary.as_deref().map(|t| {
                    parse_named(t, PolicyKind::Boundary, "permissions boundary")
                        .unwrap_or_else(|_| deny_all(PolicyKind::Boundary, "permissions boundary"))
                });
                self.identities.insert(rec.arn.clone(), IdentityEntry { rec, policies, boundary });
            }
            Change::DeleteIdentity(arn) => {
                self.identities.remove(&arn);
            }
            Change::PutAccessKey(a) => {
                self.access_keys.insert(a.id.clone(), *a);
            }
            Change::DeleteAccessKey(id) => {
                self.access_keys.remove(&id);
            }
            Change::PutOrgPolicy(o) => {
                let o = *o;
                let kind = if o.kind == "rcp" { PolicyKind::Rcp } else { PolicyKind::Scp };
                let policy = parse_named(&o.text, kind, &o.name)
                    .unwrap_or_else(|_| NamedPolicy::new(o.name.clone(), empty_policy(kind)));
                self.org.retain(|e| e.rec.name != o.name);
                self.org.push(OrgEntry { rec: o, policy });
            }
            Change::DeleteOrgPolicy(name) => self.org.retain(|e| e.rec.name != name),
        }
    }

    fn note_deadlines(&mut self, rec: &KeyRecord) {
        let mut d = i64::MAX;
        if let Some(t) = rec.deletion_ms {
            d = d.min(t);
        }
        if let Some(r) = &rec.rotation {
            d = d.min(r.next_ms);
        }
        if let Some(t) = crate::ops::import::next_expiry(rec) {
            d = d.min(t);
        }
        self.next_deadline_ms = self.next_deadline_ms.min(d);
    }

    /// Lets time pass to `now_ms`: deletes keys whose deletion window ended (with their aliases
    /// and grants), rotates enabled keys whose automatic rotation is due, and expires imported
    /// material. Every call runs this first with its own time. With a simulated clock
    /// ([`Kms::simulate_clock`]) the effects stay in memory and are never committed.
    pub fn tick(&mut self, now_ms: i64) -> Result<()> {
        if now_ms < self.next_deadline_ms {
            return Ok(());
        }
        let mut changes = Vec::new();
        let mut events = Vec::new();
        let mut next = i64::MAX;
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        let ids: Vec<String> = ids.into_iter().cloned().collect();
        for id in ids {
            let Some(entry) = self.keys.get(&id) else { continue };
            let rec = &entry.rec;
            if rec.state == KeyState::PendingDeletion
                && rec.deletion_ms.is_some_and(|t| t <= now_ms)
            {
                for a in self.aliases.values().filter(|a| alias_targets(a, rec)) {
                    changes.push(Change::DeleteAlias(a.arn.clone()));
                }
                for (gid, _, _) in self.key_grants.get(&id).into_iter().flatten() {
                    changes.push(Change::DeleteGrant(gid.clone()));
                }
                changes.push(Change::DeleteKey(rec.arn.clone()));
                events.push(service_event(rec, ServiceEventKind::DeleteKey, rec.deletion_ms, None));
                continue;
            }
            let mut rec = rec.clone();
            let mut changed = false;
            // Imported material whose ValidTo passed is deleted, one event per material.
            for (material, due) in crate::ops::import::expire_materials(&mut rec, now_ms) {
                let kind = ServiceEventKind::DeleteExpiredKeyMaterial;
                events.push(service_event(&rec, kind, Some(due), Some(material)));
                changed = true;
            }
            // A multi-Region replica rotates with its primary (`replica_sync`), never alone.
            let replica = rec.multi_region == Some(crate::record::MultiRegionRole::Replica);
            if let Some(rot) = rec.rotation.clone().filter(|r| r.next_ms <= now_ms && !replica) {
                if rec.state == KeyState::Enabled {
                    crate::ops::keys::add_material(
                        &mut rec,
                        self.rng.as_mut(),
                        rot.next_ms,
                        "AUTOMATIC",
                    )?;
                    let material = rec.materials.last().map(|m| m.id.clone());
                    let kind = ServiceEventKind::RotateKey;
                    events.push(service_event(&rec, kind, Some(rot.next_ms), material));
                    let period = i64::from(rot.period_days) * 86_400_000;
                    let mut next_ms = rot.next_ms + period;
                    if next_ms <= now_ms {
                        next_ms = now_ms + period;
                    }
                    rec.rotation =
                        Some(crate::record::Rotation { period_days: rot.period_days, next_ms });
                    changed = true;
                }
            }
            let expiry = crate::ops::import::next_expiry(&rec);
            for t in [rec.deletion_ms, rec.rotation.as_ref().map(|r| r.next_ms), expiry]
                .into_iter()
                .flatten()
            {
                if t > now_ms || rec.state != KeyState::Enabled {
                    next = next.min(t.max(now_ms + 1));
                }
            }
            if changed {
                changes.push(Change::PutKey(Box::new(rec)));
            }
        }
        let gone = self.replicas_gone(&changes, now_ms);
        changes.extend(gone);
        let sync = self.replica_sync(&changes);
        changes.extend(sync);
        self.next_deadline_ms = next;
        if self.simulated_clock {
            // Show what is due, in memory only; never commit it.
            if !changes.is_empty() {
                self.simulated_changes = true;
                self.generation += 1;
                for c in changes {
                    self.apply(c);
                }
            }
            return Ok(());
        }
        self.commit(changes)?;
        self.push_service_events(events);
        Ok(())
    }

    /// The parsed principal of a caller, or a validation error naming the field.
    pub(crate) fn principal(caller: &Caller) -> Result<Principal> {
        let mut p = Principal::parse(&caller.principal).map_err(|e| {
            KmsError::new(
                ErrorCode::AccessDeniedException,
                format!("invalid caller principal `{}`: {e}", caller.principal),
            )
        })?;
        if p.kind == PrincipalKind::AssumedRole && p.role_arn.is_none() {
            if let Some(role) = &p.role_name {
                p.role_arn = Some(format!("arn:aws:iam::{}:role/{role}", p.account));
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::{HandleHasher, HandleMap};
    use std::hash::{BuildHasher, BuildHasherDefault};

    fn hash(s: &str) -> u64 {
        BuildHasherDefault::<HandleHasher>::default().hash_one(s)
    }

    #[test]
    fn handle_hashes_tell_handles_apart() {
        let id = "us-east-1/1234abcd-12ab-34cd-56ef-1234567890ab";
        let mut seen = std::collections::HashSet::new();
        // Every one-byte change, every truncation and every zero-padding hashes differently.
        for i in 0..id.len() {
            let mut b = id.as_bytes().to_vec();
            b[i] ^= 1;
            seen.insert(hash(&String::from_utf8(b).unwrap_or_default()));
            seen.insert(hash(&id[..i]));
        }
        seen.insert(hash(&format!("{id}\0")));
        seen.insert(hash(id));
        assert_eq!(seen.len(), 2 * id.len() + 2);
        let mut m = HandleMap::default();
        m.insert(id.to_string(), 1);
        m.insert(id[..20].to_string(), 2);
        assert_eq!(
            (m.get(id), m.get(&id[..20]), m.get("us-east-1/other")),
            (Some(&1), Some(&2), None)
        );
    }
}
