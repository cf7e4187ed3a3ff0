//! `who-can`: every subject's verdict for each action on one key.

use crate::assess::{assess, Assessment, Optimizer};
use crate::subject::{build, subjects, KeyFacts};
use keyward_aws::export::AccountExport;
use keyward_core::eval::{NamedPolicy, PolicySet};
use serde::Serialize;

/// What `who-can` is asked.
#[derive(Debug)]
pub struct Query<'a> {
    /// The key.
    pub key: &'a KeyFacts,
    /// Its key policy.
    pub key_policy: &'a NamedPolicy,
    /// The account's users and roles, when known.
    pub export: Option<&'a AccountExport>,
    /// Grants on the key and SCPs of the account (only those fields are read).
    pub extra: &'a PolicySet,
    /// The actions.
    pub actions: &'a [String],
}

/// One subject's verdict for one action.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// ARN, or a description.
    pub principal: String,
    /// `user`, `role`, `other account`, `service`, `anyone`...
    pub kind: &'static str,
    /// The action.
    pub action: String,
    /// The verdict and why.
    #[serde(flatten)]
    pub assessment: Assessment,
    /// What the verdict assumes about the subject.
    pub assumption: Option<String>,
}

/// The verdict of every subject for every action, in action order then subject order.
pub fn who_can(q: &Query<'_>) -> Vec<Row> {
    let subs = subjects(q.export, &[&q.key_policy.policy], q.key.account());
    let mut opt = Optimizer::default();
    let mut rows = Vec::new();
    for action in q.actions {
        for s in &subs {
            let (set, req) = build(s, q.key, q.key_policy, q.extra, action);
            rows.push(Row {
                principal: s.label.clone(),
                kind: s.kind,
                action: action.clone(),
                assessment: assess(&set, &req, &mut opt),
                assumption: s.assumption.clone(),
            });
        }
    }
    rows
}
