//! `access-matrix` cells: principals × keys × actions, decided fast.
//!
//! Each principal's policy set (identity policies, boundary) is built once; for each key, the
//! key policy is swapped in (no copy), one request is built per (principal, key), and only the
//! action changes between decisions. Optimistic copies of policies (for conditional access)
//! are made once per policy, up front. The caller runs one [`Worker`] per thread. The
//! principal classes of each key (callers outside the export) are [`Matrix::class_rows`].

use crate::assess::{quick, Optimizer, Status};
use crate::subject::{subjects, KeyFacts, Subject};
use crate::who_can::{class_rows_outside_with, Query, Row};
use keyward_aws::export::AccountExport;
use keyward_core::eval::call::retarget;
use keyward_core::eval::{NamedPolicy, PolicySet};

/// One key of the matrix.
#[derive(Debug)]
pub struct Key {
    /// The key.
    pub facts: KeyFacts,
    /// Its key policy.
    pub policy: NamedPolicy,
    /// Optimistic copies for actions without / with an encryption context.
    optimistic: [Option<NamedPolicy>; 2],
}

/// One principal (row) of the matrix.
#[derive(Debug)]
pub struct Who {
    /// The principal.
    pub subject: Subject,
    set: PolicySet,
    optimistic: [Option<PolicySet>; 2],
}

/// The prepared matrix: keys and principals with their optimistic copies.
#[derive(Debug)]
pub struct Matrix {
    /// The keys, in the order given.
    pub keys: Vec<Key>,
    /// The principals: the export's, then those the key policies name.
    pub who: Vec<Who>,
    /// The export's account (its principals are rows; classes cover the other accounts).
    export_account: Option<String>,
}

/// One decided cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Index into [`Matrix::keys`].
    pub key: usize,
    /// Index into the actions.
    pub action: usize,
    /// The verdict.
    pub status: Status,
}

impl Matrix {
    /// Prepares the matrix of `export`'s principals (and the principals the key policies name)
    /// over `keys`, whose account is `account`.
    pub fn new(export: &AccountExport, keys: Vec<(KeyFacts, NamedPolicy)>, account: &str) -> Self {
        let mut opt = Optimizer::default();
        let keys: Vec<Key> = keys
            .into_iter()
            .map(|(facts, policy)| {
                let probe =
                    PolicySet { resource_policy: Some(policy.clone()), ..PolicySet::default() };
                let optimistic =
                    [false, true].map(|ec| opt.set(&probe, ec).and_then(|s| s.resource_policy));
                Key { facts, policy, optimistic }
            })
            .collect();
        let policies: Vec<&keyward_core::model::Policy> =
            keys.iter().map(|k| &*k.policy.policy).collect();
        let who = subjects(Some(export), &policies, account)
            .into_iter()
            .map(|subject| {
                let set = PolicySet {
                    identity: subject.identity.clone(),
                    boundary: subject.boundary.clone(),
                    ..PolicySet::default()
                };
                let optimistic = [false, true].map(|ec| opt.set(&set, ec));
                Who { subject, set, optimistic }
            })
            .collect();
        Matrix { keys, who, export_account: export.account().map(str::to_string) }
    }

    /// The principal-class rows of every key (key index, row), in key then action order.
    pub fn class_rows(&self, actions: &[String]) -> Vec<(usize, Row)> {
        let mut out = Vec::new();
        for k in 0..self.keys.len() {
            out.extend(self.class_rows_of(k, actions).into_iter().map(|r| (k, r)));
        }
        out
    }

    /// The principal-class rows of key `k` (callers outside the export), in action order;
    /// a Deny row's why is left empty (the matrix prints verdicts only).
    /// They read only the key policy and the key's facts, so keys of one
    /// [`grid`](crate::grid) key class share them.
    pub fn class_rows_of(&self, k: usize, actions: &[String]) -> Vec<Row> {
        let extra = PolicySet::default();
        let Some(key) = self.keys.get(k) else { return Vec::new() };
        let q = Query {
            key: &key.facts,
            key_policy: &key.policy,
            export: None,
            extra: &extra,
            actions,
        };
        class_rows_outside_with(&q, self.export_account.as_deref(), false)
    }

    /// The verdicts of principal `who` on key `key` for `actions[i]`, `i` in `which`: the
    /// same policy sets and request as [`Worker::cells`], built for this one pair.
    pub fn decide_pair(
        &self,
        who: usize,
        key: usize,
        actions: &[String],
        which: &[usize],
    ) -> Vec<Status> {
        let (Some(w), Some(k)) = (self.who.get(who), self.keys.get(key)) else {
            return vec![Status::Deny; which.len()];
        };
        let mut set = w.set.clone();
        set.resource_policy = Some(k.policy.clone());
        let osets = [0, 1].map(|ec| {
            (k.optimistic[ec].is_some() || w.optimistic[ec].is_some()).then(|| {
                let mut os = w.optimistic[ec].clone().unwrap_or_else(|| w.set.clone());
                os.resource_policy = k.optimistic[ec].clone().or_else(|| Some(k.policy.clone()));
                os
            })
        });
        let s = &w.subject;
        let first = actions.first().map_or("kms:Decrypt", String::as_str);
        let call = crate::subject::call(s, &k.facts, first);
        let mut req = call.request(s.principal.clone());
        for (k, v) in &s.context {
            req.context.set_str(k, v.as_str());
        }
        which
            .iter()
            .map(|&i| {
                let Some(action) = actions.get(i) else { return Status::Deny };
                retarget(&mut req, &call, action);
                let ec = usize::from(keyward_core::eval::action_takes_encryption_context(action));
                quick(&set, osets[ec].as_ref(), &req)
            })
            .collect()
    }

    /// A worker with its own copies of the key policies (one per thread).
    pub fn worker(&self) -> Worker<'_> {
        let local = self.keys.iter().map(|k| Some(k.policy.clone())).collect();
        let local_opt = [0, 1].map(|ec| {
            self.keys
                .iter()
                .map(|k| k.optimistic[ec].clone().or_else(|| Some(k.policy.clone())))
                .collect()
        });
        Worker { m: self, local, local_opt }
    }
}

/// Decides the cells of one principal at a time.
#[derive(Debug)]
pub struct Worker<'m> {
    m: &'m Matrix,
    local: Vec<Option<NamedPolicy>>,
    local_opt: [Vec<Option<NamedPolicy>>; 2],
}

impl Worker<'_> {
    /// The cells of principal `i` (in key then action order); Deny cells only with `all`.
    pub fn cells(&mut self, i: usize, actions: &[String], all: bool) -> Vec<Cell> {
        let mut out = Vec::new();
        let Some(w) = self.m.who.get(i) else { return out };
        let mut set = w.set.clone();
        // Optimistic sets for actions without (0) and with (1) an encryption context.
        let mut osets: [Option<PolicySet>; 2] = w.optimistic.clone();
        let s = &w.subject;
        let first = actions.first().map_or("kms:Decrypt", String::as_str);
        let ecs: Vec<usize> = actions
            .iter()
            .map(|a| usize::from(keyward_core::eval::action_takes_encryption_context(a)))
            .collect();
        for (k, key) in self.m.keys.iter().enumerate() {
            let call = crate::subject::call(s, &key.facts, first);
            let mut req = call.request(s.principal.clone());
            for (k, v) in &s.context {
                req.context.set_str(k, v.as_str());
            }
            let Some(slot) = self.local.get_mut(k) else { continue };
            std::mem::swap(&mut set.resource_policy, slot);
            let mut any_opt = [false; 2];
            for ec in 0..2 {
                any_opt[ec] = key.optimistic[ec].is_some() || osets[ec].is_some();
                if let (true, Some(oslot)) = (any_opt[ec], self.local_opt[ec].get_mut(k)) {
                    let os = osets[ec].get_or_insert_with(|| w.set.clone());
                    std::mem::swap(&mut os.resource_policy, oslot);
                }
            }
            for (ai, (action, &ec)) in actions.iter().zip(&ecs).enumerate() {
                retarget(&mut req, &call, action);
                let os = if any_opt[ec] { osets[ec].as_ref() } else { None };
                let status = quick(&set, os, &req);
                if status != Status::Deny || all {
                    out.push(Cell { key: k, action: ai, status });
                }
            }
            std::mem::swap(&mut set.resource_policy, slot);
            for ec in 0..2 {
                if !any_opt[ec] {
                    continue;
                }
                if let (Some(os), Some(oslot)) = (osets[ec].as_mut(), self.local_opt[ec].get_mut(k))
                {
                    std::mem::swap(&mut os.resource_policy, oslot);
                }
                if w.optimistic[ec].is_none() {
                    osets[ec] = None;
                }
            }
        }
        out
    }
}
