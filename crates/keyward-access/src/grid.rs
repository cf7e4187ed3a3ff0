//! The access matrix by classes: each distinct (principal class, key class, action) decided
//! once, cells expanded only for output.
//!
//! A cell's verdict reads the principal only through its identity policies and boundary, its
//! kind and account, its ARN when a key policy names it, and the request-context keys the
//! policies read; it reads the key only through its key policy, its facts, the identity
//! statements whose Resource matches it, and the context keys the policies read. So:
//!
//! - principals with the same policies (by content), kind, account, named ARN (only when some
//!   key policy names it) and values of every context key any policy reads share a
//!   [`PClass`];
//! - keys whose key policies are equal up to their own ARN, with the same facts, the same
//!   matching identity statements and the same values of the read context keys share a key
//!   class;
//! - within one (key class, action), a principal class is looked up by what the *targeting*
//!   statements see: the identity statements whose Action and Resource match (by policy and
//!   statement mask), the boundary's (presence kept: a boundary that allows nothing still
//!   denies), and only the context keys those statements and the key policy's targeting
//!   statements read. A statement that does not target the request never applies, so equal
//!   lookups decide alike; the first of them is decided with the evaluator, the rest reuse it.
//!
//! `tests/grid.rs` checks the result equals the cell-by-cell [`Worker`](crate::matrix::Worker)
//! on random exports.

use crate::assess::Status;
use crate::matrix::Matrix;
use keyward_core::eval::{
    resource_targets, statement_targets, KeyFilter, Principal, PrincipalKind,
};
use keyward_core::model::{AwsPrincipal, Policy, ResourceMatcher, Statement};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// FNV-1a: the memo keys are short vectors of small integers.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_u32(&mut self, n: u32) {
        let h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        self.0 = (h ^ u64::from(n)).wrapping_mul(0x0100_0000_01b3).rotate_left(5);
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Interns strings (and anything turned into one) as small integers.
#[derive(Default)]
pub(crate) struct Interner(pub(crate) HashMap<String, u32>);

impl Interner {
    /// The id of `s` if interned.
    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        self.0.get(s).copied()
    }

    pub(crate) fn id(&mut self, s: String) -> u32 {
        let n = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
        *self.0.entry(s).or_insert(n)
    }
}

/// One statement of a distinct identity or boundary policy.
#[derive(Debug)]
struct Stmt {
    /// Bit `a`: the Action element matches action `a`.
    actions: u64,
    /// The Resource element, for matching key ARNs.
    universal: bool,
    /// Context keys read, as bits over [`Grid::keys`] (all bits when there are too many).
    reads: u128,
}

/// A distinct identity or boundary policy (by content).
#[derive(Debug)]
struct IdPolicy {
    policy: Arc<Policy>,
    stmts: Vec<Stmt>,
}

/// A principal class: principals no policy tells apart.
#[derive(Debug)]
pub struct PClass {
    /// The principal (index into [`Matrix::who`]) decided for the class.
    pub rep: usize,
    idents: Vec<u32>,
    boundary: Option<u32>,
    head: [u32; 3],
    /// Value ids of the read context keys (0: absent).
    attrs: Vec<u32>,
}

/// What makes a principal class: identity policies, boundary, kind/account/named ARN, and
/// the values of the context keys the policies read.
type PSig = (Vec<u32>, Option<u32>, [u32; 3], Vec<u32>);

/// A key class: keys no policy tells apart.
#[derive(Debug)]
pub struct KClass {
    /// The keys (indices into [`Matrix::keys`]), in the order given.
    pub keys: Vec<usize>,
    /// Per distinct identity policy and action, the statements that target the class's keys.
    masks: Vec<Vec<u64>>,
    /// Per action, the context keys the key policy's targeting statements read.
    reads: Vec<u128>,
    /// Who its key policy names: ARNs, and roles by (account, name).
    named: (Vec<String>, Vec<(String, String)>),
}

/// Who a key policy names beyond accounts and `*`: ARNs (users, sessions, services, others,
/// sorted), and roles by (account, name), sorted. A principal named by none of its entries is
/// matched by the policy only through its kind and account.
pub(crate) fn named_by(p: &Policy) -> (Vec<String>, Vec<(String, String)>) {
    let (mut arns, mut roles) = (Vec::new(), Vec::new());
    for s in &p.statements {
        for e in s.principal.iter().flat_map(|p| &p.entries) {
            match &e.aws {
                AwsPrincipal::Role { account, name, .. } => {
                    roles.push((account.clone(), name.clone()))
                }
                AwsPrincipal::User(a) | AwsPrincipal::Session(a) | AwsPrincipal::Other(a) => {
                    arns.push(a.clone());
                }
                AwsPrincipal::Any | AwsPrincipal::Account(_) => {}
                AwsPrincipal::NotAws => arns.push(e.text.clone()),
            }
        }
    }
    arns.sort();
    roles.sort();
    (arns, roles)
}

pub(crate) fn is_named(named: &(Vec<String>, Vec<(String, String)>), p: &Principal) -> bool {
    named.0.binary_search(&p.arn).is_ok()
        || p.role_name
            .as_ref()
            .is_some_and(|n| named.1.binary_search(&(p.account.clone(), n.clone())).is_ok())
}

/// The prepared classes of a [`Matrix`] over some actions.
#[derive(Debug)]
pub struct Grid<'m> {
    m: &'m Matrix,
    actions: Vec<String>,
    /// The class of each principal (index into [`Grid::pclasses`]).
    pub pclass: Vec<u32>,
    /// The principal classes.
    pub pclasses: Vec<PClass>,
    /// The key classes, in order of their first key.
    pub kclasses: Vec<KClass>,
    policies: Vec<IdPolicy>,
}

/// At most 64 actions (a statement's action matches are one `u64`).
pub const MAX_ACTIONS: usize = 64;

fn stmt_reads(s: &Statement, keys: &[String]) -> u128 {
    if keys.len() > 128 {
        return u128::MAX;
    }
    let mut bits = 0u128;
    for k in KeyFilter::of_statement(s) {
        match keys.iter().position(|x| *x == k) {
            Some(i) => bits |= 1 << i,
            None => return u128::MAX,
        }
    }
    bits
}

/// A policy's content, without positions (equal texts at different places compare equal),
/// with `own` (a key's ARN in its own policy) replaced.
pub(crate) fn content(p: &Policy, own: Option<&str>) -> String {
    let dbg = format!("{:?}", p.statements);
    let mut out = String::with_capacity(dbg.len());
    let mut rest = dbg.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find('}').map_or("", |j| &rest[i + j + 1..]);
    }
    out.push_str(rest);
    out.push_str(&format!("{:?}{:?}", p.kind, p.version));
    match own {
        Some(arn) => out.replace(arn, "\u{0}self"),
        None => out,
    }
}

/// Adds to `keys` each context key a statement of `p` reads that `keys` does not hold yet.
pub(crate) fn add_read_keys(p: &Policy, keys: &mut Vec<String>) {
    for s in &p.statements {
        for k in KeyFilter::of_statement(s) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
}

impl<'m> Grid<'m> {
    /// Classes of `m`'s principals and keys for `actions` (at most [`MAX_ACTIONS`]).
    pub fn new(m: &'m Matrix, actions: &[String]) -> Grid<'m> {
        let actions: Vec<String> = actions.iter().take(MAX_ACTIONS).cloned().collect();
        let actions_lc: Vec<String> = actions.iter().map(|a| a.to_ascii_lowercase()).collect();
        // Every context key any policy reads.
        let mut keys: Vec<String> = Vec::new();
        for k in &m.keys {
            add_read_keys(&k.policy.policy, &mut keys);
        }
        // Distinct identity and boundary policies, by pointer then by content.
        let mut by_ptr: HashMap<usize, u32> = HashMap::new();
        let mut by_content = Interner::default();
        let mut policies: Vec<IdPolicy> = Vec::new();
        let mut intern_policy = |p: &Arc<Policy>, keys: &mut Vec<String>| -> u32 {
            let ptr = Arc::as_ptr(p) as usize;
            if let Some(&id) = by_ptr.get(&ptr) {
                return id;
            }
            let id = by_content.id(content(p, None));
            if usize::try_from(id).is_ok_and(|i| i == policies.len()) {
                add_read_keys(p, keys);
                policies.push(IdPolicy { policy: Arc::clone(p), stmts: Vec::new() });
            }
            by_ptr.insert(ptr, id);
            id
        };
        let mut who_policies = Vec::with_capacity(m.who.len());
        for w in &m.who {
            let mut ids: Vec<u32> =
                w.subject.identity.iter().map(|np| intern_policy(&np.policy, &mut keys)).collect();
            ids.sort_unstable();
            ids.dedup();
            let b = w.subject.boundary.as_ref().map(|np| intern_policy(&np.policy, &mut keys));
            who_policies.push((ids, b));
        }
        for ip in &mut policies {
            ip.stmts = ip
                .policy
                .statements
                .iter()
                .map(|s| Stmt {
                    actions: actions_lc.iter().enumerate().fold(0, |acc, (i, a)| {
                        let hit = s.actions.patterns.iter().any(|p| p.glob.matches(a))
                            != s.actions.negated;
                        acc | (u64::from(hit) << i)
                    }),
                    universal: !s.resources.negated
                        && s.resources.patterns.iter().any(|p| p.text == "*"),
                    reads: stmt_reads(s, &keys),
                })
                .collect();
        }
        // Who the key policies name (their ARN then matters beyond kind and account).
        let mut all_named = (Vec::new(), Vec::new());
        for k in &m.keys {
            let (a, r) = named_by(&k.policy.policy);
            all_named.0.extend(a);
            all_named.1.extend(r);
        }
        all_named.0.sort();
        all_named.1.sort();
        let first_action = actions.first().map_or("kms:Decrypt", String::as_str);
        let mut values = Interner::default();
        values.id(String::new()); // 0: absent
        let mut strings = Interner::default();
        let mut pmap: HashMap<PSig, u32> = HashMap::new();
        let mut pclass = Vec::with_capacity(m.who.len());
        let mut pclasses = Vec::new();
        let key0 = m.keys.first();
        for (i, (w, (idents, boundary))) in m.who.iter().zip(who_policies).enumerate() {
            let p = &w.subject.principal;
            let named = is_named(&all_named, p);
            let head = [
                kind_id(p.kind),
                strings.id(p.account.clone()),
                if named { strings.id(p.arn.clone()) + 1 } else { 0 },
            ];
            let attrs: Vec<u32> = match key0 {
                Some(k) => {
                    let call = crate::subject::call(&w.subject, &k.facts, first_action);
                    let mut req = call.request(p.clone());
                    for (k, v) in &w.subject.context {
                        req.context.set_str(k, v.as_str());
                    }
                    keys.iter()
                        .map(|k| req.context.get_lc(k).map_or(0, |v| values.id(format!("{v:?}"))))
                        .collect()
                }
                None => Vec::new(),
            };
            let n = u32::try_from(pclasses.len()).unwrap_or(u32::MAX);
            let sig = (idents, boundary, head, attrs);
            let id = *pmap.entry(sig.clone()).or_insert_with(|| {
                let (idents, boundary, head, attrs) = sig;
                pclasses.push(PClass { rep: i, idents, boundary, head, attrs });
                n
            });
            pclass.push(id);
        }
        // Identity statements whose Resource lists only literal ARNs, by ARN (lower case: a
        // superset of the candidates, each then checked), and the others.
        let mut literal: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        let mut others: Vec<(usize, usize)> = Vec::new();
        for (pi, ip) in policies.iter().enumerate() {
            for (si, (s, x)) in ip.policy.statements.iter().zip(&ip.stmts).enumerate() {
                if x.universal {
                    continue;
                }
                let lit = !s.resources.negated
                    && s.resources.patterns.iter().all(|p| {
                        matches!(p.pattern, ResourceMatcher::Arn(_)) && !p.text.contains(['*', '?'])
                    });
                if lit {
                    for p in &s.resources.patterns {
                        literal.entry(p.text.to_ascii_lowercase()).or_default().push((pi, si));
                    }
                } else {
                    others.push((pi, si));
                }
            }
        }
        // Key classes.
        let who0 = m.who.first();
        let mut kmap: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut kclasses: Vec<KClass> = Vec::new();
        let mut contents = Interner::default();
        for (ki, k) in m.keys.iter().enumerate() {
            let arn = k.facts.arn.as_str();
            let mut sig = vec![
                contents.id(content(&k.policy.policy, Some(arn))),
                strings.id(format!(
                    "{:?}{:?}{:?}{}",
                    k.facts.spec,
                    k.facts.usage,
                    k.facts.origin,
                    arn.rsplit_once(':').map_or("", |(head, _)| head)
                )),
            ];
            // Its own policy's statements that match it, and the identity statements.
            for s in &k.policy.policy.statements {
                sig.push(resource_targets(s, arn).map_or(2, u32::from));
            }
            let mut templated = false;
            let mut cands: Vec<(usize, usize)> = others.clone();
            cands.extend(literal.get(&arn.to_ascii_lowercase()).into_iter().flatten().copied());
            cands.sort_unstable();
            cands.dedup();
            for (pi, si) in cands {
                let Some(s) = policies.get(pi).and_then(|ip| ip.policy.statements.get(si)) else {
                    continue;
                };
                match resource_targets(s, arn) {
                    Some(true) => sig.extend([pi, si].map(|x| u32::try_from(x).unwrap_or(0))),
                    Some(false) => {}
                    None => templated = true,
                }
            }
            if templated {
                sig.push(strings.id(arn.to_string()));
            }
            if let Some(w) = who0 {
                let call = crate::subject::call(&w.subject, &k.facts, first_action);
                let req = call.request(w.subject.principal.clone());
                sig.extend(
                    keys.iter()
                        .map(|x| req.context.get_lc(x).map_or(0, |v| values.id(format!("{v:?}")))),
                );
            }
            match kmap.get(&sig) {
                Some(&c) => {
                    if let Some(kc) = kclasses.get_mut(c) {
                        kc.keys.push(ki);
                    }
                }
                None => {
                    kmap.insert(sig, kclasses.len());
                    // Which statements' Resource matches the class's keys, once per class.
                    let masks = policies
                        .iter()
                        .map(|ip| {
                            let hits: Vec<bool> = ip
                                .policy
                                .statements
                                .iter()
                                .zip(&ip.stmts)
                                .take(64)
                                .map(|(s, x)| {
                                    x.universal || resource_targets(s, arn) != Some(false)
                                })
                                .collect();
                            let all = if ip.policy.statements.len() > 64 { u64::MAX } else { 0 };
                            (0..actions.len())
                                .map(|a| {
                                    ip.stmts.iter().zip(&hits).enumerate().fold(
                                        all,
                                        |acc, (si, (x, &hit))| {
                                            let on = hit && x.actions >> a & 1 == 1;
                                            acc | (u64::from(on) << si)
                                        },
                                    )
                                })
                                .collect()
                        })
                        .collect();
                    let reads = actions_lc
                        .iter()
                        .map(|a| {
                            k.policy
                                .policy
                                .statements
                                .iter()
                                .filter(|s| statement_targets(s, a, arn) != Some(false))
                                .fold(0u128, |acc, s| acc | stmt_reads(s, &keys))
                        })
                        .collect();
                    kclasses.push(KClass {
                        keys: vec![ki],
                        masks,
                        reads,
                        named: named_by(&k.policy.policy),
                    });
                }
            }
        }
        Grid { m, actions, pclass, pclasses, kclasses, policies }
    }

    /// The actions (the first [`MAX_ACTIONS`] of those given).
    pub fn actions(&self) -> &[String] {
        &self.actions
    }

    /// The verdicts of key class `c`: `table[pclass * actions + action]`. Returns the table
    /// and how many decisions the evaluator made.
    pub fn table(&self, c: usize) -> (Vec<Status>, usize) {
        let na = self.actions.len();
        let mut table = vec![Status::Deny; self.pclasses.len() * na];
        let Some(kc) = self.kclasses.get(c) else { return (table, 0) };
        let Some(&key) = kc.keys.first() else { return (table, 0) };
        let mut memo: Vec<FnvMap<Vec<u32>, Status>> = vec![FnvMap::default(); na];
        let mut decided = 0;
        let mut lookup: Vec<u32> = Vec::with_capacity(32);
        // Per policy: whether it targets this class's keys for some action, and the context
        // keys its targeting statements read over all actions.
        let any_reads: u128 = kc.reads.iter().fold(0, |acc, r| acc | r);
        let targets: Vec<(bool, u128)> = self
            .policies
            .iter()
            .zip(&kc.masks)
            .map(|(ip, masks)| {
                let any = masks.iter().fold(0u64, |acc, m| acc | m);
                let reads = ip
                    .stmts
                    .iter()
                    .enumerate()
                    .filter(|(si, _)| *si >= 64 || any >> si & 1 == 1)
                    .fold(0u128, |acc, (_, s)| acc | s.reads);
                (any != 0, reads)
            })
            .collect();
        // What every action's lookup of a principal class is made of: equal summaries give
        // equal lookups for every action, so the row is copied.
        let mut rows: FnvMap<Vec<u32>, usize> = FnvMap::default();
        let mut summary: Vec<u32> = Vec::with_capacity(32);
        for (pc, p) in self.pclasses.iter().enumerate() {
            let mut missing: Vec<usize> = Vec::new();
            let mut keys_of: Vec<Vec<u32>> = Vec::new();
            // The ARN matters here only when this key policy names the principal.
            let mut head = p.head;
            if head[2] != 0
                && !self.m.who.get(p.rep).is_some_and(|w| is_named(&kc.named, &w.subject.principal))
            {
                head[2] = 0;
            }
            summary.clear();
            summary.extend(head);
            let mut reads = any_reads;
            for &id in &p.idents {
                if let Some(&(true, r)) = targets.get(id as usize) {
                    summary.push(id);
                    reads |= r;
                }
            }
            summary.push(u32::MAX);
            if let Some(b) = p.boundary {
                summary.push(b);
                reads |= targets.get(b as usize).map_or(u128::MAX, |t| t.1);
            }
            summary.push(u32::MAX);
            for (i, v) in p.attrs.iter().enumerate() {
                if i >= 128 || reads >> i & 1 == 1 {
                    summary.push(*v);
                }
            }
            if let Some(&earlier) = rows.get(&summary) {
                let (from, to) = (earlier * na, pc * na);
                if from + na <= table.len() && to + na <= table.len() {
                    table.copy_within(from..from + na, to);
                }
                continue;
            }
            rows.insert(summary.clone(), pc);
            for a in 0..na {
                lookup.clear();
                lookup.extend(head);
                let mut reads = kc.reads.get(a).copied().unwrap_or(u128::MAX);
                let add = |id: u32, lookup: &mut Vec<u32>, reads: &mut u128, keep: bool| {
                    let (Some(ip), Some(mask)) = (
                        self.policies.get(id as usize),
                        kc.masks.get(id as usize).and_then(|m| m.get(a)),
                    ) else {
                        return;
                    };
                    if *mask == 0 && !keep {
                        return;
                    }
                    lookup.extend([id, *mask as u32, (*mask >> 32) as u32]);
                    for (si, s) in ip.stmts.iter().enumerate() {
                        if si >= 64 || mask >> si & 1 == 1 {
                            *reads |= s.reads;
                        }
                    }
                };
                for &id in &p.idents {
                    add(id, &mut lookup, &mut reads, false);
                }
                lookup.push(u32::MAX);
                if let Some(b) = p.boundary {
                    add(b, &mut lookup, &mut reads, true);
                }
                lookup.push(u32::MAX);
                for (i, v) in p.attrs.iter().enumerate() {
                    if i >= 128 || reads >> i & 1 == 1 {
                        lookup.push(*v);
                    }
                }
                match memo.get(a).and_then(|m| m.get(&lookup)) {
                    Some(&s) => {
                        if let Some(t) = table.get_mut(pc * na + a) {
                            *t = s;
                        }
                    }
                    None => {
                        missing.push(a);
                        keys_of.push(lookup.clone());
                    }
                }
            }
            if missing.is_empty() {
                continue;
            }
            let verdicts = self.m.decide_pair(p.rep, key, &self.actions, &missing);
            decided += missing.len();
            for ((a, lk), s) in missing.into_iter().zip(keys_of).zip(verdicts) {
                if let Some(t) = table.get_mut(pc * na + a) {
                    *t = s;
                }
                if let Some(m) = memo.get_mut(a) {
                    m.insert(lk, s);
                }
            }
        }
        (table, decided)
    }
}

pub(crate) fn kind_id(k: PrincipalKind) -> u32 {
    match k {
        PrincipalKind::Root => 0,
        PrincipalKind::User => 1,
        PrincipalKind::Role => 2,
        PrincipalKind::AssumedRole => 3,
        PrincipalKind::FederatedUser => 4,
        PrincipalKind::Service => 5,
        PrincipalKind::Anonymous => 6,
    }
}
