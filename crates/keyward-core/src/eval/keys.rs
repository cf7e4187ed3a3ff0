//! Which request-context keys a policy set can read: its condition keys, the variables in its
//! resources and condition values, and (when it has grants) the encryption context that grant
//! constraints compare and the `aws:SourceArn` of a SourceArn constraint. A context built through a [`KeyFilter`] holds only those keys, which
//! makes the per-call context cheap; decisions are the same (the scenario corpus checks it).

use super::decide::PolicySet;
use super::request::key_hash;
use crate::model::{Policy, ResourceMatcher, Statement, Typed};
use crate::pattern::{Piece, Template};

/// The context keys a policy set reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFilter {
    keys: Vec<(u64, String)>,
    encryption_context: bool,
}

impl KeyFilter {
    /// The keys every policy of `set` (and its grants) can read.
    pub fn for_set(set: &PolicySet) -> KeyFilter {
        let mut f = KeyFilter { keys: Vec::new(), encryption_context: !set.grants.is_empty() };
        let policies = set
            .resource_policy
            .iter()
            .chain(&set.identity)
            .chain(&set.boundary)
            .chain(&set.session)
            .chain(set.scps.iter().flatten())
            .chain(set.rcps.iter().flatten());
        for np in policies {
            f.add_policy(&np.policy);
        }
        // A grant's SourceArn constraint compares the request's aws:SourceArn.
        if set.grants.iter().any(|g| g.source_arn.is_some()) {
            f.add("aws:sourcearn");
        }
        f
    }

    fn add_policy(&mut self, p: &Policy) {
        for s in &p.statements {
            self.add_statement(s);
        }
    }

    /// The keys one statement reads (its condition keys and variables), lower case.
    pub fn of_statement(s: &Statement) -> Vec<String> {
        let mut f = KeyFilter::default();
        f.add_statement(s);
        f.keys.into_iter().map(|(_, k)| k).collect()
    }

    fn add_statement(&mut self, s: &Statement) {
        for r in &s.resources.patterns {
            if let ResourceMatcher::Template(t) = &r.pattern {
                self.add_template(t);
            }
        }
        for c in &s.conditions {
            self.add(&c.key_lc);
            for v in &c.values {
                if let Typed::Template(t) = &v.typed {
                    self.add_template(t);
                }
            }
        }
    }

    fn add_template(&mut self, t: &Template) {
        for piece in &t.pieces {
            if let Piece::Var { key, .. } = piece {
                self.add(key);
            }
        }
    }

    fn add(&mut self, key_lc: &str) {
        let h = key_hash(key_lc);
        if !self.keys.iter().any(|(x, k)| *x == h && k == key_lc) {
            self.keys.push((h, key_lc.to_string()));
        }
    }

    /// True when the set can read `key_lc` (lower case; `hash` is its [`key_hash`]).
    pub fn wants(&self, key_lc: &str, hash: u64) -> bool {
        // With grants, CreateGrant compares the grant requested with the grant that allows it.
        self.keys.iter().any(|(h, k)| *h == hash && k == key_lc)
            || (self.encryption_context
                && (key_lc.starts_with("kms:encryptioncontext:")
                    || key_lc == "kms:grantoperations"
                    || key_lc == "kms:grantconstrainttype"))
    }

    /// True when the set can read some key starting with `prefix_lc` (lower case).
    pub fn wants_prefix(&self, prefix_lc: &str) -> bool {
        self.keys.iter().any(|(_, k)| k.starts_with(prefix_lc))
            || (self.encryption_context && prefix_lc == "kms:encryptioncontext:")
    }
}
