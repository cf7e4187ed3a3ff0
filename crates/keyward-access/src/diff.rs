//! `diff`: which (principal, action) pairs a key-policy or identity-policy change adds or
//! removes (Allow <-> Deny, newly conditional, conditions changed), for pull-request review.

use crate::assess::{assess, Assessment, Optimizer, Requirement, Status};
use crate::class::{group, Space};
use crate::subject::{build, subjects, KeyFacts, Subject};
use crate::who_can::{class_info, class_label, decide_reps, verdict_key, ClassInfo};
use keyward_aws::export::AccountExport;
use keyward_core::eval::{NamedPolicy, PolicySet, Principal};
use keyward_core::model::AwsPrincipal;
use serde::Serialize;

/// The actions compared when none are given.
pub const COMMON_ACTIONS: &str = "kms:Decrypt,kms:Encrypt,kms:GenerateDataKey,kms:GenerateDataKeyWithoutPlaintext,kms:ReEncryptFrom,kms:ReEncryptTo,kms:DescribeKey,kms:CreateGrant,kms:ListGrants,kms:RevokeGrant,kms:RetireGrant,kms:PutKeyPolicy,kms:GetKeyPolicy,kms:ScheduleKeyDeletion,kms:DisableKey,kms:EnableKey,kms:TagResource,kms:UntagResource,kms:Sign,kms:Verify";

/// One changed (principal, action, key).
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// `added`, `removed`, `conditions changed` or `deny conditions changed`.
    pub change: &'static str,
    /// ARN, or a description.
    pub principal: String,
    /// The action.
    pub action: String,
    /// The key ARN.
    pub key: String,
    /// The verdict before the change.
    pub before: Assessment,
    /// The verdict after it.
    pub after: Assessment,
    /// For a class of callers: what it is and who stands for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<ClassInfo>,
}

impl Change {
    /// True when the change grants something new.
    pub fn adds_access(&self) -> bool {
        self.change == "added"
    }
}

/// How two verdicts differ (None: alike).
pub fn classify(before: &Assessment, after: &Assessment) -> Option<&'static str> {
    Some(match (before.status, after.status) {
        (b, n) if n > b => "added",
        (b, n) if n < b => "removed",
        (Status::Conditional, Status::Conditional)
            if conds(&before.conditions) != conds(&after.conditions) =>
        {
            "conditions changed"
        }
        _ if before.unless != after.unless => "deny conditions changed",
        _ => return None,
    })
}

fn conds(r: &[Requirement]) -> Vec<&str> {
    r.iter().map(|c| c.condition.as_str()).collect()
}

/// Compares one subject's verdicts for every action under the old and new inputs.
#[derive(Debug)]
struct Comparer<'a> {
    actions: &'a [String],
    opt: Optimizer,
    extra: PolicySet,
    changes: Vec<Change>,
}

impl<'a> Comparer<'a> {
    fn new(actions: &'a [String]) -> Self {
        Comparer {
            actions,
            opt: Optimizer::default(),
            extra: PolicySet::default(),
            changes: vec![],
        }
    }

    fn compare(
        &mut self,
        s: &Subject,
        key: &KeyFacts,
        kp_old: &NamedPolicy,
        kp_new: &NamedPolicy,
        s_new: Option<&Subject>,
    ) {
        for action in self.actions {
            let (set, req) = build(s, key, kp_old, &self.extra, action);
            let before = assess(&set, &req, &mut self.opt);
            let (set, req) = build(s_new.unwrap_or(s), key, kp_new, &self.extra, action);
            let after = assess(&set, &req, &mut self.opt);
            let Some(change) = classify(&before, &after) else { continue };
            self.changes.push(Change {
                change,
                principal: s.label.clone(),
                action: action.clone(),
                key: key.arn.clone(),
                before,
                after,
                class: None,
            });
        }
    }
}

/// The account the policies are about: the export's, else the first account a policy names,
/// else the documentation account.
pub fn account_of(export: Option<&AccountExport>, pols: &[&NamedPolicy]) -> String {
    if let Some(a) = export.and_then(|e| e.account()) {
        return a.to_string();
    }
    for p in pols {
        for st in &p.policy.statements {
            for e in st.principal.iter().flat_map(|s| &s.entries) {
                if let AwsPrincipal::Account(a) = &e.aws {
                    return a.clone();
                }
            }
        }
    }
    "111122223333".to_string()
}

/// A placeholder key ARN in `account`.
pub fn placeholder_key(account: &str) -> String {
    format!("arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000000")
}

/// Changes between two key policies of `key`, for the export's subjects and the principals
/// either policy names.
pub fn diff_key_policies(
    old: &NamedPolicy,
    new: &NamedPolicy,
    export: Option<&AccountExport>,
    key: &KeyFacts,
    actions: &[String],
) -> Vec<Change> {
    let mut c = Comparer::new(actions);
    let subs = subjects(export, &[&old.policy, &new.policy], key.account());
    for s in &subs {
        c.compare(s, key, old, new, None);
    }
    c.changes.extend(class_changes(
        old,
        new,
        key,
        actions,
        export.and_then(AccountExport::account),
    ));
    c.changes
}

/// Changes for the principal classes of both policies: one space of callers (from the values
/// of both), each representative decided under the old and the new policy, representatives
/// with the same (before, after) merged into classes. `export_account`'s principals are
/// compared one by one, so its classes are left out.
pub fn class_changes(
    old: &NamedPolicy,
    new: &NamedPolicy,
    key: &KeyFacts,
    actions: &[String],
    export_account: Option<&str>,
) -> Vec<Change> {
    let space =
        Space::new(&[&old.policy, &new.policy], key.account()).without_account(export_account);
    let extra = PolicySet::default();
    let mut opt = Optimizer::default();
    let mut out = Vec::new();
    for action in actions {
        let before = decide_reps(&space, key, old, &extra, action, &mut opt, true);
        let after = decide_reps(&space, key, new, &extra, action, &mut opt, true);
        let keys: Vec<_> =
            before.iter().zip(&after).map(|(b, a)| (verdict_key(b), verdict_key(a))).collect();
        for g in group(&space.reps, &keys) {
            let (Some(b), Some(a)) = (before.get(g.rep), after.get(g.rep)) else { continue };
            let Some(change) = classify(b, a) else { continue };
            let shown = if a.status == Status::Deny { &before } else { &after };
            let label = class_label(&space, &g, shown);
            out.push(Change {
                change,
                class: class_info(&space, &g, &label),
                principal: label,
                action: action.clone(),
                key: key.arn.clone(),
                before: b.clone(),
                after: a.clone(),
            });
        }
    }
    out
}

/// Changes between two identity policies held by `holders` (label, principal), for each key, under the
/// key policy `kp`.
pub fn diff_identity_policies(
    old: &NamedPolicy,
    new: &NamedPolicy,
    export: Option<&AccountExport>,
    holders: &[(String, Principal)],
    keys: &[KeyFacts],
    kp: &NamedPolicy,
    actions: &[String],
) -> Vec<Change> {
    let mut c = Comparer::new(actions);
    for (label, principal) in holders {
        let found = export.and_then(|e| e.find(principal));
        let base = Subject {
            label: label.clone(),
            kind: "holder",
            principal: principal.clone(),
            id: found.and_then(|f| f.id.clone()),
            identity: found.map(|f| f.policies.clone()).unwrap_or_default(),
            boundary: found.and_then(|f| f.boundary.clone()),
            tags: found.map(|f| f.tags.clone()).unwrap_or_default(),
            assumption: None,
            context: Vec::new(),
        };
        let mut s_old = base.clone();
        s_old.identity.push(old.clone());
        let mut s_new = base;
        s_new.identity.push(new.clone());
        for key in keys {
            c.compare(&s_old, key, kp, kp, Some(&s_new));
        }
    }
    c.changes
}

/// Key ARNs an identity policy names (no wildcards), in order of appearance.
pub fn keys_named(pols: &[&NamedPolicy]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for p in pols {
        for st in &p.policy.statements {
            for r in &st.resources.patterns {
                if r.text.contains(":key/")
                    && !r.text.contains(['*', '?', '$'])
                    && !keys.contains(&r.text)
                {
                    keys.push(r.text.clone());
                }
            }
        }
    }
    keys
}
