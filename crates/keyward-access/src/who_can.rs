//! `who-can`: every subject's verdict for each action on one key.

use crate::assess::{assess, assess_with, Assessment, Optimizer, Status};
use crate::class::{describe, group, Group, Rep, Space};
use crate::subject::{assumed_identity, build, subjects, KeyFacts, Subject};
use crate::who_class::Classes;
use keyward_aws::export::AccountExport;
use keyward_core::eval::{NamedPolicy, PolicySet, Principal};
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
    /// For a class of callers (kind `class`): what it is and who stands for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<ClassInfo>,
}

/// A class of callers in an output row.
#[derive(Debug, Clone, Serialize)]
pub struct ClassInfo {
    /// The class in words (also the row's `principal`).
    pub description: String,
    /// The caller that was decided for it.
    pub representative: String,
    /// Its attributes: `aws:PrincipalOrgID`, `aws:PrincipalTag/K`... (absent ones left out).
    pub context: Vec<(String, String)>,
    /// How many representatives the class merges.
    pub members: usize,
}

/// The verdict of every subject for every action, in action order then subject order: the
/// export's principals by principal classes (`who_class.rs`: each decided once), the
/// others one by one. Equal to [`who_can_each`], row for row and word for word.
pub fn who_can(q: &Query<'_>) -> Vec<Row> {
    let subs = subjects(q.export, &[&q.key_policy.policy], q.key.account());
    let mut classes = Classes::new(&subs, q.key, q.key_policy, q.extra, q.actions);
    let (mut opt, mut marked_opt) = (Optimizer::default(), Optimizer::default());
    let mut rows = Vec::with_capacity(subs.len() * q.actions.len());
    for action in q.actions {
        let mut memo = vec![None; classes.rep.len()];
        for (i, s) in subs.iter().enumerate() {
            let parts = (q.key, q.key_policy, q.extra, action.as_str());
            let Some(assessment) =
                classes.assess(i, &subs, parts, &mut memo, (&mut opt, &mut marked_opt))
            else {
                continue;
            };
            rows.push(Row {
                principal: s.label.clone(),
                kind: s.kind,
                action: action.clone(),
                assessment,
                assumption: s.assumption.clone(),
                class: None,
            });
        }
    }
    rows.extend(class_rows(q));
    rows
}

/// [`who_can`] with every subject decided on its own (the reference the classes are checked
/// against).
pub fn who_can_each(q: &Query<'_>) -> Vec<Row> {
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
                class: None,
            });
        }
    }
    rows.extend(class_rows(q));
    rows
}

/// The subject a class representative is decided as: its identity policies are unknown, so
/// they are assumed to allow (the row then says the class needs its own IAM allow).
pub fn rep_subject(r: &Rep) -> Option<Subject> {
    let principal = Principal::parse(&r.arn).ok()?;
    let mut context = Vec::new();
    if let Some((id, path)) = &r.org {
        context.push(("aws:PrincipalOrgID".to_string(), id.clone()));
        if let Some(p) = path {
            context.push(("aws:PrincipalOrgPaths".to_string(), p.clone()));
        }
    }
    Some(Subject {
        label: r.arn.clone(),
        kind: "class",
        principal,
        id: None,
        identity: assumed_identity(&r.account).into_iter().collect(),
        boundary: None,
        tags: r.tags.clone(),
        assumption: Some(format!("decided for the representative {}", r.arn)),
        context,
    })
}

/// Every representative's verdict for one action (Deny for one that cannot be built); a
/// Deny's why is explained only when `reasons`.
pub fn decide_reps(
    space: &Space,
    key: &KeyFacts,
    kp: &NamedPolicy,
    extra: &PolicySet,
    action: &str,
    opt: &mut Optimizer,
    reasons: bool,
) -> Vec<Assessment> {
    space
        .reps
        .iter()
        .map(|r| match rep_subject(r) {
            Some(s) => {
                let (set, req) = build(&s, key, kp, extra, action);
                assess_with(&set, &req, opt, reasons)
            }
            None => Assessment {
                status: Status::Deny,
                conditions: Vec::new(),
                unless: Vec::new(),
                why: format!("{} is not a principal", r.arn),
            },
        })
        .collect()
}

/// What must match for two representatives to be in one class.
pub fn verdict_key(a: &Assessment) -> (Status, Vec<String>, Vec<String>) {
    (a.status, a.conditions.iter().map(|c| c.condition.clone()).collect(), a.unless.clone())
}

/// A class row's label: the class in words, and whether it needs its own IAM allow.
pub fn class_label(space: &Space, g: &Group, verdicts: &[Assessment]) -> String {
    let base = describe(space, &space.reps, g);
    let needs: Vec<bool> = g
        .members
        .iter()
        .filter_map(|&j| verdicts.get(j))
        .filter(|a| a.status != Status::Deny)
        .map(|a| a.why.contains("(assumed)"))
        .collect();
    if needs.is_empty() || !needs.iter().any(|&b| b) {
        base
    } else if needs.iter().all(|&b| b) {
        format!("{base} (needs its own IAM allow)")
    } else {
        format!("{base} (some need their own IAM allow)")
    }
}

/// The class info of a group.
pub fn class_info(space: &Space, g: &Group, label: &str) -> Option<ClassInfo> {
    let r = space.reps.get(g.rep)?;
    let s = rep_subject(r)?;
    let mut context = s.context;
    context.extend(r.tags.iter().map(|(k, v)| (format!("aws:PrincipalTag/{k}"), v.clone())));
    Some(ClassInfo {
        description: label.to_string(),
        representative: r.arn.clone(),
        context,
        members: g.members.len(),
    })
}

/// The rows of the principal classes of the key policy, per action. With an export, its
/// account's principals are its rows, so classes cover the other accounts only.
pub fn class_rows(q: &Query<'_>) -> Vec<Row> {
    class_rows_outside(q, q.export.and_then(AccountExport::account))
}

/// The class rows, leaving out the principals of `export_account`.
pub fn class_rows_outside(q: &Query<'_>, export_account: Option<&str>) -> Vec<Row> {
    class_rows_outside_with(q, export_account, true)
}

/// [`class_rows_outside`]; without `reasons` a Deny row's why is left empty.
pub fn class_rows_outside_with(
    q: &Query<'_>,
    export_account: Option<&str>,
    reasons: bool,
) -> Vec<Row> {
    let space =
        Space::new(&[&q.key_policy.policy], q.key.account()).without_account(export_account);
    let mut opt = Optimizer::default();
    let mut rows = Vec::new();
    for action in q.actions {
        let verdicts = decide_reps(&space, q.key, q.key_policy, q.extra, action, &mut opt, reasons);
        let keys: Vec<_> = verdicts.iter().map(verdict_key).collect();
        for g in group(&space.reps, &keys) {
            let Some(a) = verdicts.get(g.rep) else { continue };
            let label = class_label(&space, &g, &verdicts);
            rows.push(Row {
                principal: label.clone(),
                kind: "class",
                action: action.clone(),
                assessment: a.clone(),
                assumption: space.truncated.then(|| {
                    "too many distinct principal values: the classes may miss callers".to_string()
                }),
                class: class_info(&space, &g, &label),
            });
        }
    }
    rows
}
