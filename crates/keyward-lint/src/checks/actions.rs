//! Action checks: unknown services and actions (from the catalogue), wildcards in service
//! names, redundant actions, empty action lists, actions a key policy cannot grant.

use crate::catalog::{catalog, Catalog, Service};
use crate::doc::{name_set, Ctx, Item, Stmt};
use keyward_core::json::Value;
use keyward_core::model::PolicyKind;
use keyward_core::parse::valid_action;
use keyward_core::pattern::Glob;
use std::collections::HashMap;

/// What one action pattern names, resolved against the catalogue.
pub(crate) enum Resolved<'c> {
    /// `*`.
    All,
    /// A wildcard in the service prefix, or a malformed action (reported elsewhere).
    Unknown,
    /// A service that is not in the catalogue.
    NoService,
    /// Actions of one service (empty: the pattern matches nothing).
    Actions(&'c Service, Vec<crate::catalog::Action<'c>>),
}

/// Resolves `svc:Name` (wildcards allowed in the name).
pub(crate) fn resolve<'c>(cat: &'c Catalog, text: &str) -> Resolved<'c> {
    if text == "*" {
        return Resolved::All;
    }
    if !valid_action(text) {
        return Resolved::Unknown;
    }
    let Some((svc, name)) = text.split_once(':') else { return Resolved::Unknown };
    if svc.contains(['*', '?']) {
        return Resolved::Unknown;
    }
    let Some((si, service)) =
        cat.service_index(svc).and_then(|i| Some((i, cat.services().get(i)?)))
    else {
        return Resolved::NoService;
    };
    if name.contains(['*', '?']) {
        let set = name_set(si, &name.to_ascii_lowercase());
        Resolved::Actions(service, cat.actions_in(si, &set))
    } else {
        Resolved::Actions(service, cat.action(service, name).into_iter().collect())
    }
}

/// Runs the action checks on every statement.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let cat = catalog();
    let mut found = Vec::new();
    for s in &ctx.stmts {
        if let Some(m) = s.action {
            if matches!(&m.value.value, Value::Array(a) if a.is_empty()) {
                found.push((
                    "empty-array-action",
                    m.value.span,
                    format!("{}.{}", s.path, m.key),
                    "this statement includes no actions and does not affect the policy".to_string(),
                    Some(
                        "add the actions the statement is meant to cover, or delete the statement"
                            .to_string(),
                    ),
                ));
            }
        }
        for item in &s.actions {
            one_action(cat, ctx.kind, item, s.not_action, &mut found);
        }
        redundant(s, &mut found);
    }
    for (code, span, path, msg, fix) in found {
        ctx.emit(code, span, path, msg, fix);
    }
}

type Found = Vec<(&'static str, keyward_core::span::Span, String, String, Option<String>)>;

fn one_action(cat: &Catalog, kind: PolicyKind, item: &Item<'_>, negated: bool, out: &mut Found) {
    let text = item.text;
    if let Some((svc, _)) = text.split_once(':') {
        if svc.contains(['*', '?']) && valid_action(text) {
            out.push((
                "wildcard-in-service-name",
                item.span,
                item.path(),
                format!("`{text}` has a wildcard in the service name, which can match services added later"),
                Some("name the service prefix in full (e.g. kms:Decrypt)".to_string()),
            ));
        }
    }
    let name_wild = text
        .split_once(':')
        .is_some_and(|(svc, n)| !svc.contains(['*', '?']) && n.contains(['*', '?']));
    if name_wild && valid_action(text) {
        // Only whether the pattern matches anything matters here.
        let (svc, name) = text.split_once(':').unwrap_or((text, ""));
        if let Some((si, service)) =
            cat.service_index(svc).and_then(|i| Some((i, cat.services().get(i)?)))
        {
            if name_set(si, &name.to_ascii_lowercase()).is_empty() {
                out.push((
                    "invalid-action",
                    item.span,
                    item.path(),
                    format!("`{text}` matches no action of the service `{}`", service.prefix),
                    None,
                ));
            }
            if kind == PolicyKind::Key && !negated && !service.prefix.eq_ignore_ascii_case("kms") {
                out.push(non_kms(item));
            }
            return;
        }
    }
    match resolve(cat, text) {
        Resolved::All | Resolved::Unknown => {}
        Resolved::NoService => {
            let svc = text.split(':').next().unwrap_or(text);
            out.push((
                "invalid-service-in-action",
                item.span,
                item.path(),
                format!("the service `{svc}` in action `{text}` does not exist"),
                suggest_service(cat, svc).map(|s| format!("did you mean `{s}`?")),
            ));
        }
        Resolved::Actions(service, actions) if actions.is_empty() => {
            let name = text.split_once(':').map_or(text, |(_, n)| n);
            let what = if name.contains(['*', '?']) {
                "matches no action of"
            } else {
                "is not an action of"
            };
            out.push((
                "invalid-action",
                item.span,
                item.path(),
                format!("`{text}` {what} the service `{}`", service.prefix),
                suggest_action(cat, service, name)
                    .map(|a| format!("did you mean `{}:{a}`?", service.prefix)),
            ));
        }
        Resolved::Actions(service, actions) => {
            if kind == PolicyKind::Key && !negated {
                if !service.prefix.eq_ignore_ascii_case("kms") {
                    out.push(non_kms(item));
                } else if !text.contains(['*', '?'])
                    && actions.iter().all(|a| a.takes_no_resource())
                {
                    out.push((
                        "unsupported-action-in-policy",
                        item.span,
                        item.path(),
                        format!("`{text}` does not act on a key, so a key policy cannot allow or deny it"),
                        Some("grant it in an IAM policy with \"Resource\": \"*\"".to_string()),
                    ));
                }
            }
        }
    }
}

/// The catalogue actions a wildcard pattern matches: the service (its position in the
/// catalogue) and the set of its actions (None for patterns without a wildcard in the name, or
/// of an unknown service).
pub(crate) fn expand(text: &str) -> Option<crate::doc::Expansion> {
    // `svc:*` is compared as written: only `*` and `svc:*` cover it.
    if !text.contains(['*', '?']) || text == "*" || text.ends_with(":*") || !valid_action(text) {
        return None;
    }
    let (svc, name) = text.split_once(':')?;
    if svc.contains(['*', '?']) {
        return None;
    }
    let cat = catalog();
    let service = cat.service_index(svc)?;
    let glob = Glob::new(&name.to_ascii_lowercase());
    Some((service, cat.action_set(service, |n| glob.matches(n))))
}

fn non_kms(
    item: &Item<'_>,
) -> (&'static str, keyward_core::span::Span, String, String, Option<String>) {
    (
        "unsupported-action-in-policy",
        item.span,
        item.path(),
        format!("`{}` is not a KMS action: a key policy only controls actions on its key", item.text),
        Some("remove it from the key policy; grant it in an IAM policy or the other service's resource policy".to_string()),
    )
}

/// Flags actions covered by another pattern in the same list.
///
/// Near-linear: only the same text, a pattern with a wildcard of the same service (or with a
/// wildcard service), or, for a wildcard action, another action of its service can cover an
/// action; candidates come from an index by service instead of a scan of the whole list.
fn redundant(s: &Stmt<'_>, out: &mut Found) {
    if s.actions.len() < 2 {
        return;
    }
    let lc = |k: usize| s.action_lc.get(k).map_or("", String::as_str);
    let idx = ActionIndex::new(&s.action_lc);
    for (i, a) in s.actions.iter().enumerate() {
        let covers_i = |j: usize| {
            if j == i {
                return false;
            }
            if lc(j) == lc(i) {
                return j < i;
            }
            // Two patterns that name the same actions: report only the later one.
            s.pattern_covers(s, j, i) && (j < i || !s.pattern_covers(s, i, j))
        };
        let cover = idx.find_candidate(lc(i), covers_i);
        if let Some(b) = cover.and_then(|j| s.actions.get(j)) {
            out.push((
                "redundant-action",
                a.span,
                a.path(),
                format!(
                    "`{}` is redundant: `{}` in the same list already covers it",
                    a.text, b.text
                ),
                Some(format!("remove `{}`", a.text)),
            ));
        }
    }
}

/// The actions of one list indexed for the redundancy checks: by exact text, and by service for
/// the patterns and for every action.
pub(crate) struct ActionIndex<'s> {
    /// Indices of each lower-cased text, in list order.
    by_text: HashMap<&'s str, Vec<usize>>,
    /// Per service (lower case): the indices of the patterns with a wildcard in the name.
    patterns: HashMap<&'s str, Vec<usize>>,
    /// Per service: every index.
    by_service: HashMap<&'s str, Vec<usize>>,
    /// Patterns whose service part has a wildcard (`*`, `k*:Decrypt`).
    wild_service: Vec<usize>,
    /// The list, when it is short enough to scan (no maps built).
    small: Option<&'s [String]>,
}

/// Lists up to this length are scanned rather than indexed: building the maps costs more.
const SCAN: usize = 16;

fn split_service(a: &str) -> Option<(&str, &str)> {
    a.split_once(':').filter(|(svc, _)| !svc.contains(['*', '?']))
}

impl<'s> ActionIndex<'s> {
    /// Indexes lower-cased actions.
    pub(crate) fn new(actions: &'s [String]) -> ActionIndex<'s> {
        let mut ix = ActionIndex {
            by_text: HashMap::new(),
            patterns: HashMap::new(),
            by_service: HashMap::new(),
            wild_service: Vec::new(),
            small: None,
        };
        if actions.len() <= SCAN {
            ix.small = Some(actions);
            return ix;
        }
        for (j, a) in actions.iter().enumerate() {
            ix.by_text.entry(a.as_str()).or_default().push(j);
            match split_service(a) {
                Some((svc, name)) => {
                    ix.by_service.entry(svc).or_default().push(j);
                    if name.contains(['*', '?']) {
                        ix.patterns.entry(svc).or_default().push(j);
                    }
                }
                None => ix.wild_service.push(j),
            }
        }
        ix
    }

    /// The first index, in list order, of an action that can cover `a` (lower case) and
    /// satisfies `f`.
    pub(crate) fn find_candidate(
        &self,
        a: &str,
        mut f: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        match self.small {
            Some(all) => (0..all.len()).find(|&j| f(j)),
            None => self.candidates(a).into_iter().find(|&j| f(j)),
        }
    }

    /// The indices of the actions that can cover `a` (lower case), in list order.
    fn candidates(&self, a: &str) -> Vec<usize> {
        if let Some(all) = self.small {
            return (0..all.len()).collect();
        }
        let mut v: Vec<usize> = self.by_text.get(a).cloned().unwrap_or_default();
        v.extend_from_slice(&self.wild_service);
        if let Some((svc, name)) = split_service(a) {
            let group = if name.contains(['*', '?']) { &self.by_service } else { &self.patterns };
            v.extend(group.get(svc).into_iter().flatten());
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// True when the exact text `a` is in the list.
    pub(crate) fn contains(&self, a: &str) -> bool {
        match self.small {
            Some(all) => all.iter().any(|x| x == a),
            None => self.by_text.contains_key(a),
        }
    }

    /// True when `f` holds for one of the patterns (wildcard in the name, or in the service)
    /// that could cover an action of service `svc`, or of every action of that service when
    /// `all` is set.
    pub(crate) fn any_of_service(
        &self,
        svc: Option<&str>,
        all: bool,
        mut f: impl FnMut(usize) -> bool,
    ) -> bool {
        if let Some(list) = self.small {
            return (0..list.len()).any(f);
        }
        if self.wild_service.iter().any(|&j| f(j)) {
            return true;
        }
        let group = if all { &self.by_service } else { &self.patterns };
        svc.and_then(|svc| group.get(svc)).is_some_and(|v| v.iter().any(|&j| f(j)))
    }
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().flat_map(char::to_lowercase).enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

fn suggest_action<'c>(cat: &'c Catalog, svc: &'c Service, name: &str) -> Option<&'c str> {
    if name.contains(['*', '?']) {
        return None;
    }
    cat.actions(svc)
        .map(|a| (distance(name, a.name()), a.name()))
        .filter(|(d, _)| *d <= 2.max(name.len() / 5))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

fn suggest_service<'c>(cat: &'c Catalog, svc: &str) -> Option<&'c str> {
    cat.services()
        .iter()
        .map(|s| (distance(svc, s.prefix), s.prefix))
        .filter(|(d, _)| *d <= 1.max(svc.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}
