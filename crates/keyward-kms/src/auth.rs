//! The gate: resolve the key a request names, build the request AWS would evaluate (caller,
//! action, key ARN, every context key the call implies) and decide it with keyward-core.

use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{arn_region, key_handle, Caller, Kms};
use crate::record::AliasRecord;
use keyward_core::eval::call::{Call, KeyFacts, Mfa, Network};
use keyward_core::eval::{
    decide, explain, CtxValue, Decision, KeyFilter, NamedPolicy, PolicySet, Principal,
    PrincipalKind, Request, Rule, Source,
};
use keyward_core::model::Grant;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What one authorization asks.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ask<'a> {
    /// IAM action, e.g. `kms:Decrypt`.
    pub action: &'static str,
    /// The key (None for account-level actions such as CreateKey, or alias resources).
    pub key_id: Option<&'a str>,
    /// The resource when it is not the key (alias ARN for the alias half of CreateAlias).
    pub resource: Option<String>,
    /// The alias the request named the key by.
    pub request_alias: Option<&'a str>,
    /// Encryption context of the request.
    pub context: Option<&'a BTreeMap<String, String>>,
    /// Grant tokens of the request.
    pub grant_tokens: &'a [String],
    /// CreateGrant: the grant being created.
    pub create_grant: Option<Grant>,
    /// RetireGrant: the grant to retire (it decides who may retire it).
    pub grant_to_retire: Option<Grant>,
    /// Further context keys (CreateKey's kms:KeySpec, aws:RequestTag/..., ...).
    pub extra: Vec<(String, CtxValue)>,
    /// A key policy not yet stored (the lockout safety check): policy, key ARN, account.
    pub new_policy: Option<(&'a NamedPolicy, &'a str, &'a str)>,
    /// The Region of the request when it is not the call's (ReplicateKey's CreateKey in the
    /// replica's Region).
    pub region: Option<&'a str>,
}

/// Formats epoch milliseconds as RFC 3339 UTC.
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

impl Kms {
    /// Finds the key `key_ref` names, in the Region of the call: key id (in the caller's
    /// account), key ARN, alias name (in the caller's account) or alias ARN. Returns the key's
    /// handle (`Region/key id`) and the alias used, if any.
    pub(crate) fn resolve(&self, p: &Principal, key_ref: &str) -> Result<(String, Option<String>)> {
        if key_ref.is_empty() || key_ref.len() > 2048 {
            return Err(KmsError::constraint(
                "keyId",
                "Member must have length between 1 and 2048",
            ));
        }
        let region = &self.region;
        let not_found_key = |arn: &str| {
            KmsError::new(ErrorCode::NotFoundException, format!("Key '{arn}' does not exist"))
        };
        if let Some(rest) = key_ref.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if parts.len() != 5 || parts[1] != "kms" {
                return Err(KmsError::new(
                    ErrorCode::InvalidArnException,
                    format!("ARN {key_ref} is not valid"),
                ));
            }
            let resource = parts[4];
            if parts[2] != region.as_str() && !parts[2].is_empty() {
                // KMS keys are regional: KMS does not look for a key or alias ARN of another
                // Region, and names its own Region in the error.
                return Err(KmsError::new(
                    ErrorCode::NotFoundException,
                    format!("Invalid arn {region}"),
                ));
            }
            if let Some(id) = resource.strip_prefix("key/") {
                let handle = key_handle(region, id);
                return match self.keys.get(&handle) {
                    Some(k) if k.rec.arn == key_ref => Ok((handle, None)),
                    _ => Err(not_found_key(key_ref)),
                };
            }
            if resource.starts_with("alias/") {
                return match self.alias_key(key_ref) {
                    Some((handle, a)) => Ok((handle, Some(a.name.clone()))),
                    _ => Err(KmsError::new(
                        ErrorCode::NotFoundException,
                        format!("Alias {key_ref} is not found."),
                    )),
                };
            }
            return Err(KmsError::new(
                ErrorCode::InvalidArnException,
                format!("ARN {key_ref} is not a key or alias ARN"),
            ));
        }
        if key_ref.starts_with("alias/") {
            let arn = format!("arn:aws:kms:{region}:{}:{key_ref}", p.account);
            return match self.alias_key(&arn) {
                Some((handle, a)) => Ok((handle, Some(a.name.clone()))),
                _ => Err(KmsError::new(
                    ErrorCode::NotFoundException,
                    format!("Alias {arn} is not found."),
                )),
            };
        }
        let handle = key_handle(region, key_ref);
        match self.keys.get(&handle) {
            Some(k) if k.rec.account == p.account => Ok((handle, None)),
            _ => Err(not_found_key(&format!("arn:aws:kms:{region}:{}:key/{key_ref}", p.account))),
        }
    }

    /// The key an alias ARN names (its handle) and the alias, when both exist.
    pub(crate) fn alias_key(&self, alias_arn: &str) -> Option<(String, &AliasRecord)> {
        let a = self.aliases.get(alias_arn)?;
        let handle = key_handle(arn_region(&a.arn), &a.key_id);
        self.keys.contains_key(&handle).then_some((handle, a))
    }

    /// Checks that every grant token names a grant; returns the ids of the grants they name.
    pub(crate) fn check_tokens(&self, tokens: &[String]) -> Result<Vec<String>> {
        if tokens.len() > 10 {
            return Err(KmsError::constraint(
                "grantTokens",
                "Member must have length less than or equal to 10",
            ));
        }
        let mut ids = Vec::new();
        for t in tokens {
            match self.grants.values().find(|g| g.tokens.iter().any(|x| x == t)) {
                Some(g) => ids.push(g.grant_id.clone()),
                None => {
                    return Err(KmsError::new(
                        ErrorCode::InvalidGrantTokenException,
                        "The grant token is not valid.",
                    ))
                }
            }
        }
        Ok(ids)
    }

    /// Authorizes `ask` for `caller`; AccessDeniedException (with the explanation) otherwise.
    pub(crate) fn authorize(&self, caller: &Caller, p: &Principal, ask: Ask<'_>) -> Result<()> {
        // Key management cannot be called on a key in another account (KMS *Allowing users in
        // other accounts to use a KMS key*): AWS looks for the key in the caller's account.
        if let Some(k) = ask.key_id.and_then(|id| self.keys.get(id)) {
            if k.rec.account != p.account
                && p.is_iam()
                && keyward_core::eval::callable_across_accounts(&ask.action.to_ascii_lowercase())
                    == Some(false)
            {
                return Err(KmsError::new(
                    ErrorCode::NotFoundException,
                    format!("Key '{}' does not exist", k.rec.arn),
                ));
            }
        }
        // Fast path: a context holding only the keys the policies can read; for a plain use of
        // a key, the policy set and request prepared by an earlier call with the same inputs.
        if let Some(allowed) = self.decide_prepared(caller, p, &ask) {
            if allowed {
                return Ok(());
            }
        } else {
            let (set, req) = self.request_with(caller, p, ask.clone(), true)?;
            if decide(&set, &req) == Decision::Allow {
                return Ok(());
            }
        }
        // A denial is explained over the full context (the trace shows every key).
        let (set, req) = self.request(caller, p, ask)?;
        let e = explain(&set, &req);
        debug_assert!(
            e.decision != Decision::Allow,
            "the key filter dropped a key the policies read"
        );
        if e.decision == Decision::Allow {
            // The filter is sound (tests/scenarios.rs checks it on the whole corpus), so this
            // does not happen; if it ever did, the full context's decision is the one to keep.
            return Ok(());
        }
        let message = denial_message(&req, e.rule, &e.deciders);
        Err(KmsError {
            code: ErrorCode::AccessDeniedException,
            message,
            explanation: Some(Box::new(e)),
        })
    }

    /// The policy set and request the evaluator decides for `ask`.
    pub(crate) fn request(
        &self,
        caller: &Caller,
        p: &Principal,
        ask: Ask<'_>,
    ) -> Result<(PolicySet, Request)> {
        self.request_with(caller, p, ask, false)
    }

    /// [`Kms::request`]; with `filtered`, the context holds only the keys the policy set can
    /// read (the filter is cached per caller and key until the next change).
    fn request_with(
        &self,
        caller: &Caller,
        p: &Principal,
        ask: Ask<'_>,
        filtered: bool,
    ) -> Result<(PolicySet, Request)> {
        let token_grants = self.check_tokens(ask.grant_tokens)?;
        let key = ask.key_id.and_then(|id| self.keys.get(id));
        let identity = self.identity_of(p);
        let mut set = PolicySet::default();
        let mut resource = ask.resource.clone();
        if let Some((policy, arn, account)) = ask.new_policy {
            resource = Some(arn.to_string());
            set.resource_policy = Some(policy.clone());
            set.resource_account = Some(account.to_string());
        }
        if let Some(k) = key {
            set.resource_policy = Some(k.policy.clone());
            set.resource_account = Some(k.rec.account.clone());
            set.grants =
                self.effective_grants(ask.key_id.unwrap_or_default(), caller.now_ms, &token_grants);
        }
        set.grant_to_retire = ask.grant_to_retire.clone().map(Arc::new);
        if let Some(i) = identity {
            set.identity = i.policies.clone();
            set.boundary = i.boundary.clone();
        }
        // The session policy in force arrives with the caller (the server sets it from the
        // access key that signed the request).
        let session = caller.session_policy.as_deref();
        if let Some(text) = session {
            set.session = crate::kms::parse_named(
                text,
                keyward_core::model::PolicyKind::Session,
                "session policy",
            )
            .ok();
        }
        if p.is_iam() && !self.org.is_empty() {
            set.scps = self.org_levels("scp", &p.account);
        }
        if !self.org.is_empty() {
            let resource_account =
                set.resource_account.clone().unwrap_or_else(|| p.account.clone());
            set.rcps = self.org_levels("rcp", &resource_account);
        }
        // With a filter, fields no policy can read are not even computed.
        let filter = (filtered && caller.session_policy.is_none())
            .then(|| self.filter_for(caller, ask.key_id, &set));
        let want = |key_lc: &str| {
            filter.as_ref().is_none_or(|f| f.wants(key_lc, keyward_core::eval::key_hash(key_lc)))
        };
        let want_prefix = |prefix: &str| filter.as_ref().is_none_or(|f| f.wants_prefix(prefix));
        let mut call = Call {
            action: ask.action.to_string(),
            resource: resource
                .or_else(|| key.map(|k| k.rec.arn.clone()))
                .unwrap_or_else(|| "*".to_string()),
            principal_id: identity.map(|i| i.rec.unique_id.clone()),
            request_alias: ask.request_alias.map(str::to_string),
            encryption_context: ask
                .context
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            via_service: caller.via_service.clone(),
            time: (want("aws:currenttime") || want("aws:epochtime"))
                .then(|| rfc3339(caller.now_ms)),
            region: Some(ask.region.unwrap_or(&self.region).to_string()),
            create_grant: ask.create_grant,
            network: Network {
                source_ip: caller.source_ip.clone(),
                source_vpce: caller.source_vpce.clone(),
            },
            mfa: caller.mfa_age_s.map(|age| Mfa { present: true, age_s: Some(age) }),
            extra: caller
                .extra_context
                .iter()
                .map(|(k, v)| (k.clone(), CtxValue::One(v.clone())))
                .chain(ask.extra)
                .collect(),
            ..Call::default()
        };
        if let Some(i) = identity.filter(|_| want_prefix("aws:principaltag/")) {
            call.principal_tags =
                i.rec.tags.iter().map(|t| (t.tag_key.clone(), t.tag_value.clone())).collect();
        }
        if let Some(k) = key {
            call.key = KeyFacts {
                spec: Some(k.rec.spec.as_str().to_string()),
                usage: Some(k.rec.usage.as_str().to_string()),
                origin: Some(k.rec.origin.as_str().to_string()),
                multi_region: Some(crate::ops::multi_region::key_fact(&k.rec)),
                ..KeyFacts::default()
            };
            if want("kms:resourcealiases") {
                call.key.aliases = self
                    .aliases
                    .values()
                    .filter(|a| crate::kms::alias_targets(a, &k.rec))
                    .map(|a| a.name.clone())
                    .collect();
            }
            if want_prefix("aws:resourcetag/") {
                call.key.tags =
                    k.rec.tags.iter().map(|t| (t.tag_key.clone(), t.tag_value.clone())).collect();
            }
        }
        let request = match filter {
            Some(f) => call.request_filtered(p.clone(), f),
            None => call.request(p.clone()),
        };
        Ok((set, request))
    }

    /// Decides a plain use of a key (no grants, tokens, session policy or extra keys) with
    /// the policy set and request prepared for this caller, key and action, rebuilding them
    /// when the call's inputs or the state changed. `None` when the call is not plain.
    fn decide_prepared(&self, caller: &Caller, p: &Principal, ask: &Ask<'_>) -> Option<bool> {
        let key_id = ask.key_id?;
        let plain = ask.resource.is_none()
            && ask.create_grant.is_none()
            && ask.grant_to_retire.is_none()
            && ask.extra.is_empty()
            && ask.new_policy.is_none()
            && ask.grant_tokens.is_empty()
            && caller.session_policy.is_none()
            && self.key_grants.get(key_id).is_none_or(Vec::is_empty);
        if !plain {
            return None;
        }
        let mut cache = self.filters.prepared.borrow_mut();
        let entries = cache.get_mut(caller.principal.as_str());
        if let Some(e) = entries
            .and_then(|v| v.iter_mut().find(|e| e.key_id == key_id && e.action == ask.action))
        {
            if e.generation == self.generation && e.inputs.same(caller, ask) {
                return Some(decide(&e.set, &e.req) == Decision::Allow);
            }
        }
        drop(cache);
        let (set, req) = self.request_with(caller, p, ask.clone(), true).ok()?;
        let allowed = decide(&set, &req) == Decision::Allow;
        let time = req.context.wants("aws:CurrentTime") || req.context.wants("aws:EpochTime");
        let prepared = Prepared {
            generation: self.generation,
            key_id: key_id.to_string(),
            action: ask.action,
            inputs: Inputs::of(caller, ask, time),
            set,
            req,
        };
        let mut cache = self.filters.prepared.borrow_mut();
        if cache.len() >= 4096 {
            cache.clear();
        }
        let v = cache.entry(caller.principal.clone()).or_default();
        v.retain(|e| !(e.key_id == key_id && e.action == ask.action));
        if v.len() >= 64 {
            v.remove(0);
        }
        v.push(prepared);
        Some(allowed)
    }

    /// The key filter of `set` for this caller and key, from the cache while nothing changed.
    fn filter_for(&self, caller: &Caller, key_id: Option<&str>, set: &PolicySet) -> Arc<KeyFilter> {
        // Grants in effect change with time (propagation), so whether there are any is part of
        // the cache key.
        let grants = if set.grants.is_empty() { "" } else { "+grants" };
        let id = (caller.principal.clone(), format!("{}{grants}", key_id.unwrap_or_default()));
        let mut cache = self.filters.filters.borrow_mut();
        if let Some((generation, f)) = cache.get(&id) {
            if *generation == self.generation {
                return Arc::clone(f);
            }
        }
        if cache.len() >= 4096 {
            cache.clear();
        }
        let f = Arc::new(KeyFilter::for_set(set));
        cache.insert(id, (self.generation, Arc::clone(&f)));
        f
    }

    pub(crate) fn identity_of(&self, p: &Principal) -> Option<&crate::kms::IdentityEntry> {
        match p.kind {
            PrincipalKind::AssumedRole => p.role_arn.as_ref().and_then(|r| {
                self.identities.get(r).or_else(|| {
                    // Roles with a path: match by account and role name.
                    self.identities.values().find(|i| {
                        i.rec.arn.starts_with(&format!("arn:aws:iam::{}:role/", p.account))
                            && i.rec.arn.rsplit('/').next() == p.role_name.as_deref()
                    })
                })
            }),
            _ => self.identities.get(&p.arn),
        }
    }

    pub(crate) fn org_levels(&self, kind: &str, account: &str) -> Vec<Vec<NamedPolicy>> {
        let mut levels: BTreeMap<u32, Vec<NamedPolicy>> = BTreeMap::new();
        for e in &self.org {
            if e.rec.kind == kind
                && (e.rec.accounts.is_empty() || e.rec.accounts.iter().any(|a| a == account))
            {
                levels.entry(e.rec.level).or_default().push(e.policy.clone());
            }
        }
        levels.into_values().collect()
    }

    /// The grants of a key in effect now: propagated ones plus those named by a token.
    pub(crate) fn effective_grants(
        &self,
        key_id: &str,
        now_ms: i64,
        tokens: &[String],
    ) -> Vec<Arc<Grant>> {
        let delay = self.config.grant_propagation_ms;
        self.key_grants
            .get(key_id)
            .into_iter()
            .flatten()
            .filter(|(id, created, _)| {
                delay <= 0 || created + delay <= now_ms || tokens.contains(id)
            })
            .map(|(_, _, g)| Arc::clone(g))
            .collect()
    }
}

/// Per-call data the gate caches, each entry tagged with the [`Kms`] generation it was built
/// in (any commit makes it stale).
#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    /// Context-key filters per (caller ARN, key id).
    filters: RefCell<HashMap<(String, String), Filter>>,
    /// Prepared policy sets and requests per caller ARN (a few keys and actions each).
    prepared: RefCell<HashMap<String, Vec<Prepared>>>,
}

/// A context-key filter and the generation it was built in.
type Filter = (u64, Arc<KeyFilter>);

/// The policy set and filtered request of one caller, key and action, and the call inputs
/// they were built from.
#[derive(Debug)]
struct Prepared {
    generation: u64,
    key_id: String,
    action: &'static str,
    inputs: Inputs,
    set: PolicySet,
    req: Request,
}

/// What a plain use of a key takes from the call besides the caller, key and action.
#[derive(Debug)]
struct Inputs {
    context: Vec<(String, String)>,
    alias: Option<String>,
    via_service: Option<String>,
    source_ip: Option<String>,
    source_vpce: Option<String>,
    mfa_age_s: Option<u64>,
    extra: Vec<(String, String)>,
    /// The request time, when a policy reads it.
    now_ms: Option<i64>,
}

impl Inputs {
    fn of(caller: &Caller, ask: &Ask<'_>, time: bool) -> Inputs {
        Inputs {
            context: ask
                .context
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            alias: ask.request_alias.map(str::to_string),
            via_service: caller.via_service.clone(),
            source_ip: caller.source_ip.clone(),
            source_vpce: caller.source_vpce.clone(),
            mfa_age_s: caller.mfa_age_s,
            extra: caller.extra_context.clone(),
            now_ms: time.then_some(caller.now_ms),
        }
    }

    /// True when `caller` and `ask` bring the same inputs (compared without allocating).
    fn same(&self, caller: &Caller, ask: &Ask<'_>) -> bool {
        let ec_len = ask.context.map_or(0, BTreeMap::len);
        self.context.len() == ec_len
            && ask
                .context
                .into_iter()
                .flatten()
                .zip(&self.context)
                .all(|((k, v), (a, b))| k == a && v == b)
            && self.alias.as_deref() == ask.request_alias
            && self.via_service == caller.via_service
            && self.source_ip == caller.source_ip
            && self.source_vpce == caller.source_vpce
            && self.mfa_age_s == caller.mfa_age_s
            && self.extra == caller.extra_context
            && self.now_ms.is_none_or(|t| t == caller.now_ms)
    }
}

/// AWS's AccessDeniedException wording for a denial.
pub(crate) fn denial_message(
    req: &Request,
    rule: Rule,
    deciders: &[keyward_core::eval::Decider],
) -> String {
    let head = format!(
        "User: {} is not authorized to perform: {} on resource: {}",
        req.principal.arn, req.action, req.resource
    );
    let a = &req.action;
    let tail = match rule {
        Rule::ExplicitDeny => {
            let kind = match deciders.first().map(|d| &d.source) {
                Some(Source::ResourcePolicy) | Some(Source::Grant { .. }) | None => {
                    "a resource-based policy"
                }
                Some(Source::Identity { .. }) => "an identity-based policy",
                Some(Source::Boundary) => "a permissions boundary",
                Some(Source::Session) => "a session policy",
                Some(Source::Scp { .. }) => "a service control policy",
                Some(Source::Rcp { .. }) => "a resource control policy",
            };
            format!(" with an explicit deny in {kind}")
        }
        Rule::ScpNoAllow => format!(" because no service control policy allows the {a} action"),
        Rule::RcpNoAllow => format!(" because no resource control policy allows the {a} action"),
        Rule::BoundaryNoAllow => format!(" because no permissions boundary allows the {a} action"),
        Rule::SessionNoAllow => format!(" because no session policy allows the {a} action"),
        Rule::KmsDelegatedNoIamAllow | Rule::CrossAccountNoIdentityAllow => {
            format!(" because no identity-based policy allows the {a} action")
        }
        Rule::RetireNotPermitted => " because it is not the grant's retiring principal, a grantee allowed RetireGrant, or allowed by the account in which the grant was created".to_string(),
        Rule::CreateGrantBeyondParentGrant => " because the grant that allows kms:CreateGrant does not cover the requested grant's operations and constraints".to_string(),
        Rule::NothingAllows if req.resource == "*" || !req.is_kms_key() => {
            format!(" because no identity-based policy allows the {a} action")
        }
        _ => format!(" because no resource-based policy allows the {a} action"),
    };
    head + &tail
}
