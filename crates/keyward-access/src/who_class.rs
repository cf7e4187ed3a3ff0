//! `who-can` by principal classes: the export's principals that no policy tells apart are
//! decided once, and the verdict is written out for each of them.
//!
//! A verdict and its words read a principal only through its identity policies and boundary
//! (by content, and by name: the names appear in the words), its kind and account, its ARN
//! when a key policy or RCP names it, and the values of the context keys the policies read
//! (the [`grid`](crate::grid) argument, which `tests/grid.rs` checks on random exports). The
//! words also name the principal itself: its ARN ("no policy allows ARN to use ...") and, in
//! its inline policies' names, `user NAME` or `role NAME`. So a class is decided once with its
//! first member, its inline policies renamed to a mark (`\u{1}`) in place of `user NAME`, and
//! each member's rows are the first member's with its own ARN and owner put back. A class
//! whose shared text (policies, names, context values, key, action) contains the first
//! member's ARN or the mark could not be put back exactly: its members are decided one by one.
//! With grants (they name principals by ARN) every principal is decided on its own.

use crate::assess::{assess, Assessment, Optimizer};
use crate::grid::{add_read_keys, content, is_named, kind_id, named_by, Interner};
use crate::subject::{build, call, KeyFacts, Subject};
use keyward_core::eval::{KeyFilter, NamedPolicy, PolicySet};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

/// The mark written in place of a principal's `user NAME` / `role NAME` in its inline
/// policies' names while its class is decided.
const OWNER_MARK: char = '\u{1}';

/// The principal classes of one `who-can` query.
#[derive(Debug)]
pub(crate) struct Classes {
    /// Per subject: its class (None: decided on its own).
    pub(crate) of: Vec<Option<usize>>,
    /// Per class: its first member (index into the subjects).
    pub(crate) rep: Vec<usize>,
    /// Per class: whether the class's shared text was checked free of its first member's
    /// ARN and of the mark (computed with the first verdict).
    checked: Vec<Option<bool>>,
    /// The text every principal's verdict may show: the key policy, SCPs, RCPs (Debug
    /// content and names), the key ARN.
    shared: Scanned,
    /// Per interned policy: its Debug content (for the check).
    contents: Vec<Scanned>,
    /// Per subject in a class: its policy ids (for the check).
    policy_ids: Vec<Vec<u32>>,
    /// Per subject in a class: the values of the read context keys (for the check).
    values: Vec<Vec<u32>>,
    value_text: Vec<Scanned>,
}

/// A text checked, per class, free of a first member's ARN and of the mark: where `arn:`
/// starts in it and whether it holds the mark, found once.
#[derive(Debug, Default)]
struct Scanned {
    text: String,
    arn_sites: Vec<usize>,
    mark_free: bool,
}

impl Scanned {
    fn new(text: String) -> Self {
        let arn_sites = text.match_indices("arn:").map(|(i, _)| i).collect();
        let mark_free = mark_free(&text);
        Scanned { text, arn_sites, mark_free }
    }

    /// Whether the text holds neither `arn` nor the mark. An `arn` that starts with `arn:`
    /// can only occur where `arn:` does.
    fn free_of(&self, arn: &str) -> bool {
        let holds = if arn.starts_with("arn:") {
            let b = self.text.as_bytes();
            self.arn_sites
                .iter()
                .any(|&i| b.get(i..).is_some_and(|t| t.starts_with(arn.as_bytes())))
        } else {
            self.text.contains(arn)
        };
        self.mark_free && !holds
    }
}

/// `user NAME` / `role NAME` of an export principal, from its ARN.
fn owner(s: &Subject) -> Option<String> {
    let name = s.principal.arn.rsplit('/').next()?;
    matches!(s.kind, "user" | "role").then(|| format!("{} {name}", s.kind))
}

/// A policy's name with `owner inline '` turned into the mark, when it starts so.
fn canonical_name(name: &str, owner: &str) -> String {
    match name.strip_prefix(owner).filter(|rest| rest.starts_with(" inline '")) {
        Some(rest) => format!("{OWNER_MARK}{rest}"),
        None => name.to_string(),
    }
}

fn mark_free(s: &str) -> bool {
    !s.contains(OWNER_MARK) && !s.contains("\\u{1}")
}

impl Classes {
    /// Groups `subs` (the export's principals; others are decided on their own).
    pub(crate) fn new(
        subs: &[Subject],
        key: &KeyFacts,
        kp: &NamedPolicy,
        extra: &PolicySet,
        actions: &[String],
    ) -> Self {
        let n = subs.len();
        let mut out = Classes {
            of: vec![None; n],
            rep: Vec::new(),
            checked: Vec::new(),
            shared: Scanned::default(),
            contents: Vec::new(),
            policy_ids: vec![Vec::new(); n],
            values: vec![Vec::new(); n],
            value_text: Vec::new(),
        };
        if !extra.grants.is_empty() || n < 2 {
            return out;
        }
        let first_action = actions.first().map_or("kms:Decrypt", String::as_str);
        // Who the key policy and RCPs name, and the keys every fixed policy reads.
        let mut named = named_by(&kp.policy);
        let mut keys: Vec<String> = Vec::new();
        let mut shared = format!("{}\n{}\n{}\n", key.arn, kp.name, content(&kp.policy, None));
        for a in actions {
            shared.push_str(a);
            shared.push('\n');
        }
        add_read_keys(&kp.policy, &mut keys);
        for np in extra.scps.iter().chain(&extra.rcps).flatten() {
            add_read_keys(&np.policy, &mut keys);
            shared.push_str(&format!("{}\n{}\n", np.name, content(&np.policy, None)));
        }
        for np in extra.rcps.iter().flatten() {
            let (a, r) = named_by(&np.policy);
            named.0.extend(a);
            named.1.extend(r);
        }
        named.0.sort();
        named.1.sort();
        // Policies by pointer (content interned once), then by (content, canonical name);
        // the id of a (pointer, name, place) seen before is reused.
        let mut by_ptr: HashMap<usize, u32> = HashMap::new();
        let mut named_ids: HashMap<(usize, usize), (String, u32)> = HashMap::new();
        let mut contents = Interner::default();
        let mut policies = Interner::default();
        let mut classable = vec![false; n];
        for (i, s) in subs.iter().enumerate() {
            let Some(own) = owner(s).filter(|_| s.assumption.is_none() && s.context.is_empty())
            else {
                continue;
            };
            if !mark_free(&s.principal.arn) || !mark_free(&own) {
                continue;
            }
            let mut ids = Vec::with_capacity(s.identity.len() + 1);
            let mut ok = true;
            for (j, np) in s.identity.iter().chain(&s.boundary).enumerate() {
                let ptr = Arc::as_ptr(&np.policy) as usize;
                let cid = match by_ptr.get(&ptr) {
                    Some(&c) => c,
                    None => {
                        let text = content(&np.policy, None);
                        let c = contents.id(text.clone());
                        if c as usize == out.contents.len() {
                            add_read_keys(&np.policy, &mut keys);
                            out.contents.push(Scanned::new(text));
                        }
                        by_ptr.insert(ptr, c);
                        c
                    }
                };
                ok &= mark_free(&np.name);
                // The boundary is told apart from the identity policies by its place.
                let boundary = usize::from(j == s.identity.len());
                ids.push(cid);
                let pid = match named_ids.get(&(ptr, boundary)) {
                    Some((name, id)) if *name == np.name => *id,
                    _ => {
                        let canon = canonical_name(&np.name, &own);
                        let id = policies.id(format!("{boundary}{cid}\n{canon}"));
                        if !np.name.contains(" inline '") {
                            named_ids.insert((ptr, boundary), (np.name.clone(), id));
                        }
                        id
                    }
                };
                ids.push(pid);
            }
            if ok {
                classable[i] = true;
                out.policy_ids[i] = ids;
            }
        }
        let mut filter_set = PolicySet {
            resource_policy: Some(kp.clone()),
            scps: extra.scps.clone(),
            rcps: extra.rcps.clone(),
            ..PolicySet::default()
        };
        let mut seen = std::collections::HashSet::new();
        for s in subs.iter().zip(&classable).filter(|(_, &c)| c).map(|(s, _)| s) {
            for np in s.identity.iter().chain(&s.boundary) {
                if seen.insert(Arc::as_ptr(&np.policy) as usize) {
                    filter_set.identity.push(np.clone());
                }
            }
        }
        let filter = Arc::new(KeyFilter::for_set(&filter_set));
        let mut values = Interner::default();
        values.id(String::new()); // 0: absent
        let mut strings = Interner::default();
        let mut map: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut buf = String::new();
        for (i, s) in subs.iter().enumerate().filter(|(i, _)| classable[*i]) {
            let p = &s.principal;
            let mut req = call(s, key, first_action).request_filtered(p.clone(), filter.clone());
            for (k, v) in &s.context {
                req.context.set_str(k, v.as_str());
            }
            let vals: Vec<u32> = keys
                .iter()
                .map(|k| {
                    req.context.get_lc(k).map_or(0, |v| {
                        buf.clear();
                        let _ = write!(buf, "{v:?}");
                        values.get(&buf).unwrap_or_else(|| values.id(buf.clone()))
                    })
                })
                .collect();
            let named_id = if is_named(&named, p) { strings.id(p.arn.clone()) + 1 } else { 0 };
            let mut sig = vec![kind_id(p.kind), strings.id(p.account.clone()), named_id];
            sig.extend(out.policy_ids[i].iter().skip(1).step_by(2));
            sig.push(u32::MAX);
            sig.extend(&vals);
            out.values[i] = vals;
            let next = out.rep.len();
            let c = *map.entry(sig).or_insert(next);
            if c == next {
                out.rep.push(i);
            }
            out.of[i] = Some(c);
        }
        let mut text: Vec<(u32, String)> = values.0.into_iter().map(|(k, v)| (v, k)).collect();
        text.sort_unstable();
        out.value_text = text.into_iter().map(|(_, k)| Scanned::new(k)).collect();
        out.checked = vec![None; out.rep.len()];
        out.shared = Scanned::new(shared);
        out
    }

    /// Whether class `c`'s rows can be written from its first member's: the text they share
    /// holds neither that member's ARN nor the mark.
    fn exact(&mut self, c: usize, subs: &[Subject]) -> bool {
        if let Some(Some(ok)) = self.checked.get(c) {
            return *ok;
        }
        let Some(&r) = self.rep.get(c) else { return false };
        let Some(s) = subs.get(r) else { return false };
        let arn = s.principal.arn.as_str();
        let plain =
            arn.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\') && !arn.is_empty();
        let free = |t: &str| !t.contains(arn) && mark_free(t);
        let policies = self.policy_ids.get(r).into_iter().flatten().step_by(2);
        let ok = plain
            && arn.rfind("arn:").is_none_or(|i| i == 0)
            && self.shared.free_of(arn)
            && policies.filter_map(|&p| self.contents.get(p as usize)).all(|t| t.free_of(arn))
            && s.identity.iter().chain(&s.boundary).all(|np| free(&np.name))
            && self
                .values
                .get(r)
                .into_iter()
                .flatten()
                .filter_map(|&v| self.value_text.get(v as usize))
                .all(|t| t.free_of(arn));
        if let Some(x) = self.checked.get_mut(c) {
            *x = Some(ok);
        }
        ok
    }

    /// The verdict of subject `i` for `action`: its class's, decided once per class and
    /// action through `memo` (with `marked_opt`, which sees only marked names), or its own.
    pub(crate) fn assess(
        &mut self,
        i: usize,
        subs: &[Subject],
        q: (&KeyFacts, &NamedPolicy, &PolicySet, &str),
        memo: &mut [Option<Assessment>],
        opts: (&mut Optimizer, &mut Optimizer),
    ) -> Option<Assessment> {
        let (key, kp, extra, action) = q;
        let (opt, marked_opt) = opts;
        let s = subs.get(i)?;
        let own = |opt: &mut Optimizer| {
            let (set, req) = build(s, key, kp, extra, action);
            assess(&set, &req, opt)
        };
        let Some(c) = self.of.get(i).copied().flatten() else { return Some(own(opt)) };
        if !self.exact(c, subs) {
            return Some(own(opt));
        }
        let r = *self.rep.get(c)?;
        let rep = subs.get(r)?;
        let slot = memo.get_mut(c)?;
        if slot.is_none() {
            let marked = marked(rep)?;
            let (set, req) = build(&marked, key, kp, extra, action);
            *slot = Some(assess(&set, &req, marked_opt));
        }
        let t = slot.as_ref()?;
        let member_owner = owner(s)?;
        let put = |x: &str| put_back(x, &rep.principal.arn, &s.principal.arn, &member_owner);
        Some(Assessment {
            status: t.status,
            conditions: t
                .conditions
                .iter()
                .map(|r| crate::assess::Requirement {
                    condition: put(&r.condition),
                    from: put(&r.from),
                })
                .collect(),
            unless: t.unless.iter().map(|u| put(u)).collect(),
            why: put(&t.why),
        })
    }
}

/// The subject with its own inline policies' names marked.
fn marked(s: &Subject) -> Option<Subject> {
    let own = owner(s)?;
    let rename =
        |np: &NamedPolicy| NamedPolicy { name: canonical_name(&np.name, &own), ..np.clone() };
    Some(Subject {
        identity: s.identity.iter().map(rename).collect(),
        boundary: s.boundary.as_ref().map(rename),
        ..s.clone()
    })
}

/// `text` of the first member `rep_arn` for the member `arn` whose owner is `owner`.
fn put_back(text: &str, rep_arn: &str, arn: &str, owner: &str) -> String {
    let t = if rep_arn != arn && text.contains(rep_arn) {
        text.replace(rep_arn, arn)
    } else {
        text.to_string()
    };
    if t.contains(OWNER_MARK) {
        t.replace(OWNER_MARK, owner)
    } else {
        t
    }
}
