//! Principal classes: every caller a policy could admit, in finitely many classes.
//!
//! The policies' own values say which callers they can tell apart: the accounts, ARNs and ARN
//! patterns in `Principal`/`NotPrincipal`, and the values of conditions on principal keys
//! (`aws:PrincipalAccount`, `kms:CallerAccount`, `aws:PrincipalArn`, `aws:username`,
//! `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalTag/*`). For each attribute
//! the *signature* of a concrete value is the set of those values (as wildcard patterns) it
//! matches, or "absent". Two callers with the same signatures are decided alike by every
//! statement that reads only these attributes, so one representative per signature
//! combination is decided, and [`group`] then merges representatives with the same verdict
//! into classes a person can read ("any principal of account 444455556666").
//!
//! What this does not see (documented in docs/analysis.md): case-insensitive operators are
//! matched case-sensitively, values with policy variables are skipped, and other principal
//! keys (`aws:userid`, `aws:PrincipalType`) are decided for the representative only.

use keyward_core::eval::Principal;
use keyward_core::model::{AwsPrincipal, Policy};
use keyward_core::pattern::{ArnGlob, Glob};
use std::collections::BTreeSet;

/// At most this many representatives are decided; beyond it tag values are varied one at a
/// time, then the space is cut (and [`Space::truncated`] says so).
pub const MAX_REPS: usize = 2048;

/// A fresh value no policy names, per attribute.
const FRESH_ACCOUNT: &str = "999988887777";
const FRESH_ORG: &str = "o-keywardother";
const FRESH_TAG: &str = "keyward-other-value";
const GENERIC_ROLE: &str = "keyward-any-principal";

/// Which policy values a concrete value matches (`None`: the attribute is absent).
pub type Sig = Option<Vec<u16>>;

/// The policy values of one attribute, as wildcard patterns.
#[derive(Debug, Default, Clone)]
struct Dim {
    values: Vec<String>,
    arn: bool,
}

impl Dim {
    fn add(&mut self, v: &str) {
        if !v.contains("${") && !self.values.iter().any(|x| x == v) {
            self.values.push(v.to_string());
        }
    }

    fn matches(&self, pattern: &str, x: &str) -> bool {
        if self.arn {
            ArnGlob::new(pattern).matches(x)
        } else {
            Glob::new(pattern).matches(x)
        }
    }

    fn sig(&self, x: Option<&str>) -> Sig {
        let x = x?;
        Some(
            self.values
                .iter()
                .enumerate()
                .filter(|(_, p)| self.matches(p, x))
                .map(|(i, _)| u16::try_from(i).unwrap_or(u16::MAX))
                .collect(),
        )
    }

    /// Concrete values covering the signatures the values and `fresh` realise (deduplicated).
    fn candidates(&self, fresh: &str, absent: bool) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut push = |v: Option<String>, out: &mut Vec<Option<String>>| {
            if seen.insert(self.sig(v.as_deref())) {
                out.push(v);
            }
        };
        for v in &self.values {
            for inst in instances(v) {
                push(Some(inst), &mut out);
            }
        }
        push(Some(fresh.to_string()), &mut out);
        if absent {
            push(None, &mut out);
        }
        out
    }
}

/// Concrete strings a wildcard pattern admits: `*` as nothing and as `x`, `?` as `x`.
fn instances(p: &str) -> Vec<String> {
    if !p.contains(['*', '?']) {
        return vec![p.to_string()];
    }
    let fill = |star: &str| p.replace('*', star).replace('?', "x");
    let mut v = vec![fill(""), fill("x")];
    v.dedup();
    v
}

/// A 12-digit account a pattern admits (`None` when it admits none).
fn account_instance(p: &str) -> Option<String> {
    let fixed = p.chars().filter(|c| *c != '*').count();
    let zeros = "0".repeat(12usize.saturating_sub(fixed));
    let mut s = p.replacen('*', &zeros, 1).replace('*', "").replace('?', "0");
    s.truncate(12);
    (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// One representative caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rep {
    /// Its ARN (a role, user, session or account root).
    pub arn: String,
    /// Its account.
    pub account: String,
    /// True when the account is one no policy names.
    pub fresh_account: bool,
    /// `aws:PrincipalOrgID` and `aws:PrincipalOrgPaths`, when in an organization.
    pub org: Option<(String, Option<String>)>,
    /// `aws:PrincipalTag/*`.
    pub tags: Vec<(String, String)>,
    /// Its signatures: account, ARN, org id, org path, then one per tag key.
    pub coord: Vec<Sig>,
}

/// A concrete caller, for membership ([`Space::coord_of`]).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The caller's ARN (user, role, assumed-role session, or root).
    pub arn: String,
    /// Organization id, when in one.
    pub org_id: Option<String>,
    /// Organization path, when in one.
    pub org_path: Option<String>,
    /// Principal tags.
    pub tags: Vec<(String, String)>,
}

/// The classes' space: the policies' values per attribute and the representatives.
#[derive(Debug, Clone)]
pub struct Space {
    accounts: Dim,
    arns: Dim,
    org_ids: Dim,
    org_paths: Dim,
    tags: Vec<(String, Dim)>,
    /// Accounts named by the policies (instances of patterns included) plus the key's.
    named_accounts: Vec<String>,
    /// One caller per signature combination.
    pub reps: Vec<Rep>,
    /// True when [`MAX_REPS`] cut the space (the classes may then miss callers).
    pub truncated: bool,
}

impl Space {
    /// The space of the callers `policies` can tell apart, for a key in `key_account`.
    pub fn new(policies: &[&Policy], key_account: &str) -> Space {
        let mut s = Space {
            accounts: Dim::default(),
            arns: Dim { arn: true, ..Dim::default() },
            org_ids: Dim::default(),
            org_paths: Dim::default(),
            tags: Vec::new(),
            named_accounts: vec![key_account.to_string()],
            reps: Vec::new(),
            truncated: false,
        };
        // The key's own account is decided differently (no cross-account rule): a value.
        s.accounts.add(key_account);
        for p in policies {
            for st in &p.statements {
                for e in st.principal.iter().flat_map(|p| &p.entries) {
                    match &e.aws {
                        AwsPrincipal::Account(a) => {
                            // The account stands for its principals, and its root for itself
                            // (a NotPrincipal root excludes the root user only).
                            s.add_account(a);
                            s.arns.add(&format!("arn:aws:iam::{a}:root"));
                        }
                        AwsPrincipal::User(arn) | AwsPrincipal::Session(arn) => s.add_arn(arn),
                        AwsPrincipal::Role { arn, .. } => s.add_arn(arn),
                        _ => {}
                    }
                }
                for c in &st.conditions {
                    for v in c.values.iter().map(|v| v.raw.as_str()) {
                        match c.key_lc.as_str() {
                            "aws:principalaccount" | "kms:calleraccount" => s.add_account(v),
                            "aws:principalarn" => s.add_arn(v),
                            "aws:username" => s.arns.add(&format!("arn:aws:iam::*:user/{v}")),
                            "aws:principalorgid" => s.org_ids.add(v),
                            "aws:principalorgpaths" => s.org_paths.add(v),
                            k => {
                                if let Some(t) = k.strip_prefix("aws:principaltag/") {
                                    let name = c.key.get(c.key.len() - t.len()..).unwrap_or(t);
                                    s.tag_dim(name).add(v);
                                }
                            }
                        }
                    }
                }
            }
        }
        for v in &s.accounts.values {
            if let Some(a) = account_instance(v) {
                s.named_accounts.push(a);
            }
        }
        s.named_accounts.sort();
        s.named_accounts.dedup();
        s.reps = s.enumerate(true);
        if s.reps.len() > MAX_REPS {
            s.reps = s.enumerate(false);
        }
        if s.reps.len() > MAX_REPS {
            s.reps.truncate(MAX_REPS);
            s.truncated = true;
        }
        s
    }

    fn add_arn(&mut self, arn: &str) {
        self.arns.add(arn);
        if let Some(a) = arn.split(':').nth(4).filter(|a| !a.is_empty()) {
            self.add_account(a);
        }
    }

    /// An account value; a bare `*` tells no account apart and is left out.
    fn add_account(&mut self, a: &str) {
        if !a.chars().all(|c| c == '*') {
            self.accounts.add(a);
        }
    }

    fn tag_dim(&mut self, name: &str) -> &mut Dim {
        let i = match self.tags.iter().position(|(k, _)| k.eq_ignore_ascii_case(name)) {
            Some(i) => i,
            None => {
                self.tags.push((name.to_string(), Dim::default()));
                self.tags.len() - 1
            }
        };
        &mut self.tags[i].1
    }

    /// Accounts to try: every named one and one fresh.
    fn account_choices(&self) -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> =
            self.named_accounts.iter().map(|a| (a.clone(), false)).collect();
        let fresh = ["999988887777", "999977776666", "999966665555"]
            .into_iter()
            .find(|f| !self.named_accounts.iter().any(|a| a == f))
            .unwrap_or(FRESH_ACCOUNT);
        out.push((fresh.to_string(), true));
        out
    }

    /// ARNs to try in `account`: instances of every ARN value there, and a generic role.
    fn arn_choices(&self, account: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let generic = format!("arn:aws:iam::{account}:role/{GENERIC_ROLE}");
        let mut cands = Vec::new();
        for v in &self.arns.values {
            let parts: Vec<&str> = v.splitn(6, ':').collect();
            let [a, b, c, d, acct, res] = parts[..] else { continue };
            if !Glob::new(acct).matches(account) {
                continue;
            }
            for inst in instances(&format!("{a}:{b}:{c}:{d}:{account}:{res}")) {
                cands.push(inst);
            }
        }
        // Generic callers last: a role, a user and the root, so a pattern over roles still
        // leaves a caller that matches none of the values.
        cands.push(generic);
        cands.push(format!("arn:aws:iam::{account}:user/{GENERIC_ROLE}"));
        cands.push(format!("arn:aws:iam::{account}:root"));
        for arn in cands {
            let Ok(p) = Principal::parse(&arn) else { continue };
            if seen.insert(self.arn_sig(&p)) {
                out.push(arn);
            }
        }
        out
    }

    /// The ARN signature of a principal: values matching its policy ARN or its own ARN.
    fn arn_sig(&self, p: &Principal) -> Sig {
        let mut a = self.arns.sig(Some(p.policy_arn())).unwrap_or_default();
        a.extend(self.arns.sig(Some(&p.arn)).unwrap_or_default());
        a.sort_unstable();
        a.dedup();
        Some(a)
    }

    fn org_choices(&self) -> Vec<Option<(String, Option<String>)>> {
        let mut out = vec![None];
        let fresh_path = |id: &str| format!("{id}/r-keyw/ou-keyward-other/");
        let has_paths = !self.org_paths.values.is_empty();
        for id in self.org_ids.candidates(FRESH_ORG, false).into_iter().flatten() {
            let path = has_paths.then(|| fresh_path(&id));
            out.push(Some((id, path)));
        }
        let paths = if has_paths {
            self.org_paths.candidates(&fresh_path(FRESH_ORG), false)
        } else {
            Vec::new()
        };
        for p in paths.into_iter().flatten() {
            let id = p.split('/').next().unwrap_or(FRESH_ORG).to_string();
            out.push(Some((id, Some(p))));
        }
        let mut seen = BTreeSet::new();
        out.retain(|o| seen.insert(self.org_sig(o.as_ref())));
        out
    }

    fn org_sig(&self, o: Option<&(String, Option<String>)>) -> (Sig, Sig) {
        (
            self.org_ids.sig(o.map(|(i, _)| i.as_str())),
            self.org_paths.sig(o.and_then(|(_, p)| p.as_deref())),
        )
    }

    /// Tag assignments: the product of every tag's choices, or (`product` false) one tag
    /// at a time with the others absent.
    fn tag_choices(&self, product: bool) -> Vec<Vec<(String, String)>> {
        let per: Vec<Vec<Option<String>>> =
            self.tags.iter().map(|(_, d)| d.candidates(FRESH_TAG, true)).collect();
        let mut out: Vec<Vec<(String, String)>> = vec![Vec::new()];
        if product {
            for (i, (k, _)) in self.tags.iter().enumerate() {
                let mut next = Vec::new();
                for base in &out {
                    for v in per.get(i).into_iter().flatten() {
                        let mut t = base.clone();
                        if let Some(v) = v {
                            t.push((k.clone(), v.clone()));
                        }
                        next.push(t);
                    }
                    if next.len() > MAX_REPS {
                        break;
                    }
                }
                out = next;
            }
        } else {
            for (i, (k, _)) in self.tags.iter().enumerate() {
                for v in per.get(i).into_iter().flatten().flatten() {
                    out.push(vec![(k.clone(), v.clone())]);
                }
            }
        }
        out
    }

    fn enumerate(&self, product: bool) -> Vec<Rep> {
        let orgs = self.org_choices();
        let tags = self.tag_choices(product);
        let mut reps = Vec::new();
        for (account, fresh) in self.account_choices() {
            for arn in self.arn_choices(&account) {
                for org in &orgs {
                    for t in &tags {
                        if reps.len() > MAX_REPS {
                            return reps;
                        }
                        let caller = Caller {
                            arn: arn.clone(),
                            org_id: org.as_ref().map(|(i, _)| i.clone()),
                            org_path: org.as_ref().and_then(|(_, p)| p.clone()),
                            tags: t.clone(),
                        };
                        let Some(coord) = self.coord_of(&caller) else { continue };
                        reps.push(Rep {
                            arn: arn.clone(),
                            account: account.clone(),
                            fresh_account: fresh,
                            org: org.clone(),
                            tags: t.clone(),
                            coord,
                        });
                    }
                }
            }
        }
        reps
    }

    /// The signatures of a concrete caller (`None` when its ARN is not a principal).
    pub fn coord_of(&self, c: &Caller) -> Option<Vec<Sig>> {
        let p = Principal::parse(&c.arn).ok()?;
        let (oid, opath) = self.org_sig(c.org_id.clone().map(|i| (i, c.org_path.clone())).as_ref());
        let mut coord = vec![self.accounts.sig(Some(&p.account)), self.arn_sig(&p), oid, opath];
        for (k, d) in &self.tags {
            let v = c.tags.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v);
            coord.push(d.sig(v.map(String::as_str)));
        }
        Some(coord)
    }

    /// Leaves out the representatives of `account` (an account export lists its principals
    /// one by one, so its classes would repeat them).
    pub fn without_account(mut self, account: Option<&str>) -> Space {
        if let Some(a) = account {
            self.reps.retain(|r| r.account != a);
        }
        self
    }

    /// True when `account` is one the policies name (or the key's).
    pub fn names_account(&self, account: &str) -> bool {
        self.named_accounts.iter().any(|a| a == account)
    }

    /// The names of the tag keys, in coordinate order (after the four fixed ones).
    pub fn tag_keys(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(|(k, _)| k.as_str())
    }

    /// The ARN values (patterns included) a representative's ARN matches.
    pub fn arn_values_of(&self, rep: &Rep) -> Vec<&str> {
        match rep.coord.get(1) {
            Some(Some(ix)) => ix
                .iter()
                .filter_map(|&i| self.arns.values.get(usize::from(i)))
                .map(String::as_str)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Coordinates: 0 account, 1 ARN, 2 org id, 3 org path, 4.. tags.
pub const ACCOUNT: usize = 0;
/// The ARN coordinate.
pub const ARN: usize = 1;

/// One class: representatives with the same verdict, and the attributes that matter.
#[derive(Debug, Clone)]
pub struct Group {
    /// The representative the class is described by.
    pub rep: usize,
    /// Every representative in the class.
    pub members: Vec<usize>,
    /// Coordinates that do not matter (any value decides alike).
    pub free: Vec<bool>,
}

/// Merges representatives into classes: starting from each not yet covered representative,
/// frees coordinates (tags first, then org, then ARN, then account) while every
/// representative that differs only in freed coordinates has the same verdict.
pub fn group<K: PartialEq>(reps: &[Rep], verdict: &[K]) -> Vec<Group> {
    let n = reps.first().map_or(4, |r| r.coord.len());
    let order: Vec<usize> = (4..n).chain([3, 2, ARN, ACCOUNT]).collect();
    let mut covered = vec![false; reps.len()];
    let mut out = Vec::new();
    for r in 0..reps.len() {
        if covered[r] {
            continue;
        }
        let (Some(rr), Some(vr)) = (reps.get(r), verdict.get(r)) else { continue };
        let mut free = vec![false; n];
        let members_of = |free: &[bool]| -> Vec<usize> {
            (0..reps.len())
                .filter(|&j| {
                    reps.get(j).is_some_and(|rj| {
                        (0..n).all(|d| {
                            free.get(d) == Some(&true) || rj.coord.get(d) == rr.coord.get(d)
                        })
                    })
                })
                .collect()
        };
        for &d in &order {
            let mut trial = free.clone();
            if let Some(f) = trial.get_mut(d) {
                *f = true;
            }
            if members_of(&trial).iter().all(|&j| verdict.get(j) == Some(vr)) {
                free = trial;
            }
        }
        // Representatives alike in every signature but decided otherwise (an attribute the
        // model does not see) stay out, in classes of their own.
        let members: Vec<usize> =
            members_of(&free).into_iter().filter(|&j| verdict.get(j) == Some(vr)).collect();
        for &j in &members {
            if let Some(c) = covered.get_mut(j) {
                *c = true;
            }
        }
        out.push(Group { rep: r, members, free });
    }
    out
}

/// The class of `g` in words: "any principal of account 444455556666", "anyone whose ARN
/// matches arn:aws:iam::*:role/deploy-*", "anyone in organization o-abc".
pub fn describe(space: &Space, reps: &[Rep], g: &Group) -> String {
    let Some(r) = reps.get(g.rep) else { return String::new() };
    let free = |d: usize| g.free.get(d).copied().unwrap_or(true);
    let arn_values = space.arn_values_of(r);
    let who = if !free(ARN) && !arn_values.is_empty() {
        let named = arn_values.iter().find(|v| !v.contains(['*', '?']));
        match (named, free(ACCOUNT)) {
            (Some(a), _) => a.to_string(),
            (None, true) => format!("anyone whose ARN matches {}", arn_values.join(" and ")),
            (None, false) => format!(
                "any principal of account {} whose ARN matches {}",
                r.account,
                arn_values.join(" and ")
            ),
        }
    } else if free(ACCOUNT) {
        if free(ARN) {
            "anyone".to_string()
        } else {
            "any principal not named in the policy".into()
        }
    } else if r.fresh_account {
        "any principal of an account the policy does not name".to_string()
    } else if free(ARN) {
        format!("any principal of account {}", r.account)
    } else {
        format!("any other principal of account {}", r.account)
    };
    let mut parts = vec![who];
    if !free(2) || !free(3) {
        parts.push(match &r.org {
            None => "outside any organization".to_string(),
            Some((id, path)) => {
                let named = !id.starts_with(FRESH_ORG);
                match (path, named, free(3)) {
                    (Some(p), _, false) => format!("with organization path {p}"),
                    (_, true, _) => format!("in organization {id}"),
                    (_, false, _) => "in an organization the policy does not name".to_string(),
                }
            }
        });
    }
    for (i, k) in space.tag_keys().enumerate() {
        if free(4 + i) {
            continue;
        }
        parts.push(match r.tags.iter().find(|(n, _)| n == k) {
            Some((_, v)) if v == FRESH_TAG => format!("tagged {k} with another value"),
            Some((_, v)) => format!("tagged {k}={v}"),
            None => format!("without tag {k}"),
        });
    }
    if free(ACCOUNT) && free(ARN) && parts.len() == 1 {
        return "anyone (any principal of any account)".to_string();
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn account_patterns_have_twelve_digit_instances() {
        assert_eq!(account_instance("4444*").as_deref(), Some("444400000000"));
        assert_eq!(account_instance("*").as_deref(), Some("000000000000"));
        assert_eq!(account_instance("44445555666?").as_deref(), Some("444455556660"));
        assert_eq!(account_instance("not-an-account"), None);
    }

    #[test]
    fn instances_cover_empty_and_nonempty_stars() {
        assert_eq!(instances("role/deploy-*"), vec!["role/deploy-", "role/deploy-x"]);
        assert_eq!(instances("plain"), vec!["plain"]);
    }
}
