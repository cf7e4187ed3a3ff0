//! The state behind a recorded call, for `keyward explain --cloudtrail --state`: the policy
//! set KMS would decide a call of `principal` on `key` with (key policy, grants in effect at
//! the event's time, identity policies and boundary, the session policy of the access key that
//! signed it, SCPs and RCPs), and the key's and caller's facts the event does not carry.

use crate::kms::Kms;
use keyward_core::eval::call::KeyFacts;
use keyward_core::eval::{PolicySet, Principal, PrincipalKind};

/// What the state says about one authorization of a recorded call.
#[derive(Debug, Clone, Default)]
pub struct StateInputs {
    /// The policies and grants.
    pub set: PolicySet,
    /// The key's spec, usage, origin, aliases and tags (when the key still exists).
    pub key: Option<KeyFacts>,
    /// The caller's tags (IAM users and roles of the account model).
    pub principal_tags: Vec<(String, String)>,
    /// What was used, in words (for the report).
    pub used: Vec<String>,
    /// What the state no longer has (a deleted key, an unknown identity).
    pub missing: Vec<String>,
}

impl Kms {
    /// The inputs of a call by `p` on `resource` (a key ARN, or `*`/an alias for calls
    /// decided by IAM policies alone) at `time_ms`, signed with `access_key_id`.
    pub fn state_inputs(
        &self,
        p: &Principal,
        resource: &str,
        access_key_id: Option<&str>,
        time_ms: i64,
    ) -> StateInputs {
        let mut out = StateInputs::default();
        let mut p = p.clone();
        if p.kind == PrincipalKind::AssumedRole && p.role_arn.is_none() {
            if let Some(role) = &p.role_name {
                p.role_arn = Some(format!("arn:aws:iam::{}:role/{role}", p.account));
            }
        }
        // Keys are held per Region: the key ARN names its own.
        let handle = resource
            .split_once(":key/")
            .map(|(_, id)| crate::kms::key_handle(crate::kms::arn_region(resource), id));
        match handle.map(|h| (self.keys.get(&h), h)) {
            Some((Some(k), handle)) => {
                out.set.resource_policy = Some(k.policy.clone());
                out.set.resource_account = Some(k.rec.account.clone());
                out.set.grants = self.effective_grants(&handle, time_ms, &[]);
                out.used.push(format!(
                    "key policy of {} and {} grant(s) in effect at the event's time (state)",
                    k.rec.arn,
                    out.set.grants.len()
                ));
                out.key = Some(KeyFacts {
                    spec: Some(k.rec.spec.as_str().to_string()),
                    usage: Some(k.rec.usage.as_str().to_string()),
                    origin: Some(k.rec.origin.as_str().to_string()),
                    aliases: self
                        .aliases
                        .values()
                        .filter(|a| crate::kms::alias_targets(a, &k.rec))
                        .map(|a| a.name.clone())
                        .collect(),
                    tags: k
                        .rec
                        .tags
                        .iter()
                        .map(|t| (t.tag_key.clone(), t.tag_value.clone()))
                        .collect(),
                    ..KeyFacts::default()
                });
            }
            Some((None, _)) => out.missing.push(format!(
                "the key {resource}: not in the state (deleted since?); decided without its policy"
            )),
            None => out
                .used
                .push(format!("no key policy: {resource} is authorized by IAM policies alone")),
        }
        match self.identity_of(&p) {
            Some(i) => {
                out.set.identity = i.policies.clone();
                out.set.boundary = i.boundary.clone();
                out.principal_tags =
                    i.rec.tags.iter().map(|t| (t.tag_key.clone(), t.tag_value.clone())).collect();
                out.used.push(format!(
                    "{} identity polic{} of {}{} (state)",
                    i.policies.len(),
                    if i.policies.len() == 1 { "y" } else { "ies" },
                    i.rec.arn,
                    if i.boundary.is_some() { ", and its permissions boundary" } else { "" }
                ));
            }
            None if p.is_iam() && p.kind != PrincipalKind::Root => {
                out.missing.push(format!("the identity {}: not in the state", p.arn));
            }
            None => {}
        }
        if let Some(text) = access_key_id
            .and_then(|k| self.access_keys.get(k))
            .and_then(|k| k.session_policy.as_deref())
        {
            out.set.session = crate::kms::parse_named(
                text,
                keyward_core::model::PolicyKind::Session,
                "session policy",
            )
            .ok();
            out.used.push(format!(
                "the session policy of access key {} (state)",
                access_key_id.unwrap_or_default()
            ));
        }
        if p.is_iam() && !self.org.is_empty() {
            out.set.scps = self.org_levels("scp", &p.account);
        }
        if !self.org.is_empty() {
            let account = out.set.resource_account.clone().unwrap_or_else(|| p.account.clone());
            out.set.rcps = self.org_levels("rcp", &account);
        }
        let (scps, rcps) =
            (out.set.scps.iter().flatten().count(), out.set.rcps.iter().flatten().count());
        if scps + rcps > 0 {
            out.used.push(format!("{scps} SCP(s) and {rcps} RCP(s) of the organization (state)"));
        }
        out
    }
}
