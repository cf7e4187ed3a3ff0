//! A tolerant view of a policy document for the checks: every statement with its JSON path,
//! its elements as written (spans kept), and its conditions split into operator, key and values.
//!
//! Built straight from the JSON tree, so statements that the parser rejected for an unrelated
//! error are still checked; malformed pieces are skipped here because the parser reported them.

use crate::catalog::{catalog, ActionSet};
use crate::registry;
use crate::Finding;
use keyward_core::json::{Member, Node, Value};
use keyward_core::model::{Effect, Operator, PolicyKind};
use keyward_core::parse::unique_members;
use keyward_core::span::Span;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

/// The path of one element of a statement (`Statement[2].Action`, `Statement.Principal.AWS`),
/// written out only when a finding names it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ElemPath<'a> {
    /// The statement's index when `Statement` is an array.
    stmt: Option<usize>,
    key: &'a str,
    /// The principal type under `Principal`.
    sub: Option<&'a str>,
}

impl fmt::Display for ElemPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Statement")?;
        if let Some(i) = self.stmt {
            write!(f, "[{i}]")?;
        }
        write!(f, ".{}", self.key)?;
        if let Some(sub) = self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// One string of an element (an action, a resource, a principal value).
#[derive(Debug, Clone)]
pub(crate) struct Item<'a> {
    pub(crate) text: &'a str,
    pub(crate) span: Span,
    /// Path of the element (shared by its items); built into a full path only when needed.
    base: ElemPath<'a>,
    index: Option<usize>,
}

impl Item<'_> {
    /// JSON path: `Statement[0].Action[2]`, or `Statement[0].Action` for a lone string.
    pub(crate) fn path(&self) -> String {
        match self.index {
            Some(i) => format!("{}[{i}]", self.base),
            None => self.base.to_string(),
        }
    }
}

/// One condition value.
#[derive(Debug, Clone)]
pub(crate) struct CVal {
    pub(crate) raw: String,
    pub(crate) span: Span,
}

/// One `operator: { key: values }` entry.
#[derive(Debug, Clone)]
pub(crate) struct Cond<'a> {
    pub(crate) op_name: &'a str,
    pub(crate) op: Option<Operator>,
    pub(crate) op_span: Span,
    pub(crate) key: &'a str,
    pub(crate) key_lc: String,
    pub(crate) key_span: Span,
    pub(crate) path: String,
    pub(crate) values: Vec<CVal>,
    pub(crate) value_node: &'a Node,
}

/// Principal entries by type, as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Principals<'a> {
    /// `"*"` or `{"AWS": "*"}`.
    pub(crate) any: bool,
    pub(crate) negated: bool,
    /// (type key, value).
    pub(crate) entries: Vec<(&'a str, Item<'a>)>,
}

impl Principals<'_> {
    /// Accounts named as `ACCT` or `arn:...:iam::ACCT:root`.
    /// (What `AwsPrincipal::parse` classifies as an account, without building its strings.)
    pub(crate) fn is_account(value: &str) -> bool {
        if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
            return true;
        }
        let mut it = value.splitn(6, ':');
        let (Some(_), Some(_), Some(service), Some(_), Some(_), Some(resource)) =
            (it.next(), it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return false;
        };
        service == "iam" && resource == "root"
    }

    /// True when every entry is an account principal (and there is at least one).
    pub(crate) fn only_accounts(&self) -> bool {
        !self.any
            && !self.entries.is_empty()
            && self.entries.iter().all(|(t, i)| *t == "AWS" && Self::is_account(i.text))
    }

    /// True when an account principal is listed.
    pub(crate) fn has_account(&self) -> bool {
        self.entries.iter().any(|(t, i)| *t == "AWS" && Self::is_account(i.text))
    }
}

/// A wildcard action expanded: the catalogue service (its position) and the set of its
/// actions the pattern matches.
pub(crate) type Expansion = (usize, ActionSet);

/// Expansions of wildcard actions and sets of the actions a name pattern matches, made so far
/// on this thread and shared by every document linted on it: `kms:Describe*` is matched
/// against the catalogue once, not once per document. Cleared when a map reaches
/// [`CACHE_MAX`] entries, so memory stays bounded whatever the input.
#[derive(Default)]
struct Cache {
    /// By lower-cased action.
    expansions: HashMap<Box<str>, Option<Rc<Expansion>>>,
    /// By service position, then lower-cased name pattern.
    name_sets: HashMap<usize, HashMap<Box<str>, Rc<ActionSet>>>,
    name_set_count: usize,
}

const CACHE_MAX: usize = 4096;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

/// [`crate::checks::actions::expand`] of `text` (lower case), through the thread's cache.
fn expansion(text: &str) -> Option<Rc<Expansion>> {
    CACHE.with(|cache| {
        if let Some(e) = cache.borrow().expansions.get(text) {
            return e.clone();
        }
        let e = crate::checks::actions::expand(text).map(Rc::new);
        let mut cache = cache.borrow_mut();
        if cache.expansions.len() >= CACHE_MAX {
            cache.expansions.clear();
        }
        cache.expansions.insert(text.into(), e.clone());
        e
    })
}

/// The actions of the service at `svc` whose lower-cased name `pname` (lower case) matches,
/// through the thread's cache. (`*` and `?` match the same here as in [`Glob`]: action
/// names are ASCII.)
///
/// [`Glob`]: keyward_core::pattern::Glob
pub(crate) fn name_set(svc: usize, pname: &str) -> Rc<ActionSet> {
    CACHE.with(|cache| {
        if let Some(set) = cache.borrow().name_sets.get(&svc).and_then(|m| m.get(pname)) {
            return Rc::clone(set);
        }
        let set = Rc::new(catalog().action_set(svc, |n| wild_match(pname, n)));
        let mut cache = cache.borrow_mut();
        if cache.name_set_count >= CACHE_MAX {
            cache.name_sets.clear();
            cache.name_set_count = 0;
        }
        cache.name_set_count += 1;
        cache.name_sets.entry(svc).or_default().insert(pname.into(), Rc::clone(&set));
        set
    })
}

/// What the redundancy checks learn about one action of a statement.
#[derive(Debug)]
struct ActionMeta {
    /// The action has a wildcard (`*` or `?`).
    wild: bool,
    /// For a wildcard pattern of a known service: the catalogue actions it matches.
    expanded: OnceCell<Option<Rc<Expansion>>>,
    /// Used as a pattern: the catalogue actions its name part matches, in the service it was
    /// first compared in.
    name_set: OnceCell<(usize, Rc<ActionSet>)>,
}

/// One statement.
#[derive(Debug)]
pub(crate) struct Stmt<'a> {
    pub(crate) index: usize,
    pub(crate) path: String,
    pub(crate) node: &'a Node,
    pub(crate) effect: Option<Effect>,
    pub(crate) sid: Option<&'a Node>,
    pub(crate) principal: Option<&'a Member>,
    pub(crate) principals: Principals<'a>,
    pub(crate) action: Option<&'a Member>,
    pub(crate) actions: Vec<Item<'a>>,
    /// Each action lower-cased (a `*`/`?` pattern for [`wild_match`]).
    pub(crate) action_lc: Vec<String>,
    /// What the redundancy checks learn about each action, on first use.
    meta: Vec<ActionMeta>,
    pub(crate) not_action: bool,
    pub(crate) resource: Option<&'a Member>,
    pub(crate) resources: Vec<Item<'a>>,
    pub(crate) not_resource: bool,
    pub(crate) condition: Option<&'a Member>,
    pub(crate) conds: Vec<Cond<'a>>,
}

impl Stmt<'_> {
    /// Does the statement's Action/NotAction cover `action` (lower case, `kms:decrypt`)?
    pub(crate) fn covers_action(&self, action_lc: &str) -> bool {
        let hit = self.action_lc.iter().any(|p| wild_match(p, action_lc));
        hit != self.not_action
    }

    /// Does action `j` of statement `b` (a pattern) cover every action that action `i` of this
    /// statement names?
    pub(crate) fn pattern_covers(&self, b: &Stmt<'_>, j: usize, i: usize) -> bool {
        let (Some(p), Some(text)) = (b.action_lc.get(j), self.action_lc.get(i)) else {
            return false;
        };
        // Two actions without wildcards (most pairs): only the same text covers. (A pattern
        // without a wildcard can still cover a wildcard that names that one action.)
        let (Some(bj), Some(ai)) = (b.meta.get(j), self.meta.get(i)) else { return false };
        if !bj.wild && !ai.wild {
            return p == text;
        }
        if wild_match(p, text) {
            return true;
        }
        // `p` covers `svc:name` for every name (patterns are `svc:name` shaped; `*` alone
        // matched above). Compare the services before expanding the action's names.
        let Some((psvc, pname)) = split_colon(p) else { return false };
        let tsvc = split_colon(text).map_or(text.as_str(), |(svc, _)| svc);
        if !wild_match(psvc, tsvc) {
            return false;
        }
        let Some(exp) = ai.expanded.get_or_init(|| expansion(text)) else { return false };
        let (svc, set) = &**exp;
        if set.is_empty() {
            return false;
        }
        // Every action the pattern names matches `pname`. The set `pname` matches is kept with
        // the pattern (for the first service it was asked for: with a wildcard in the pattern's
        // service part another service may come, and is looked up).
        let (first_svc, first) = bj.name_set.get_or_init(|| (*svc, name_set(*svc, pname)));
        if first_svc == svc {
            set.is_subset(first)
        } else {
            set.is_subset(&name_set(*svc, pname))
        }
    }

    /// True for an Allow statement.
    pub(crate) fn is_allow(&self) -> bool {
        self.effect == Some(Effect::Allow)
    }

    /// True when a condition uses `key` (lower case) with a positive operator (not negated, no
    /// IfExists, not Null).
    pub(crate) fn restricts_with(&self, keys: &[&str]) -> bool {
        self.conds.iter().any(|c| {
            let positive = c.op.as_ref().is_some_and(|o| {
                !o.negated && !o.if_exists && o.base != keyward_core::model::OpBase::Null
            });
            positive && keys.iter().any(|k| key_matches(&c.key_lc, k))
        })
    }

    /// A short name for messages: `'Sid'` or `#N`.
    pub(crate) fn label(&self) -> String {
        match self.sid.and_then(Node::as_str) {
            Some(s) if !s.is_empty() => format!("'{s}'"),
            _ => format!("#{}", self.index + 1),
        }
    }
}

/// `s` split at its first `:` (a byte search: cheaper than a char pattern on short names).
fn split_colon(s: &str) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == b':')?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// `*`/`?` wildcard match over bytes (callers lower-case both sides for actions).
pub(crate) fn wild_match(p: &str, t: &str) -> bool {
    let (p, t) = (p.as_bytes(), t.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while let Some(&c) = t.get(ti) {
        match p.get(pi) {
            Some(b'*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(&q) if q == b'?' || q == c => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or(&[]).iter().all(|&c| c == b'*')
}

/// `pattern` may end in `*` (prefix match); both lower case.
pub(crate) fn key_matches(key_lc: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(p) => key_lc.starts_with(p) && key_lc.len() > p.len(),
        None => key_lc == pattern,
    }
}

/// The document being linted and the findings so far.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) kind: PolicyKind,
    pub(crate) text: &'a str,
    pub(crate) root: &'a Node,
    pub(crate) version: Option<&'a Node>,
    pub(crate) stmts: Vec<Stmt<'a>>,
    pub(crate) out: Vec<Finding>,
    /// The parser reported errors: whole-policy checks (lockout, redundancy) are skipped,
    /// because the statements they would reason about are not what AWS would load.
    pub(crate) parse_errors: bool,
}

impl<'a> Ctx<'a> {
    /// Builds the view of a policy document.
    pub(crate) fn new(
        text: &'a str,
        root: &'a Node,
        kind: PolicyKind,
        parse_errors: bool,
    ) -> Ctx<'a> {
        let mut stmts = Vec::new();
        if let Some(members) = root.as_object() {
            let statement = unique_members(members).find(|m| m.key == "Statement");
            match statement.map(|m| &m.value) {
                Some(Node { value: Value::Array(items), .. }) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(s) = statement_view(item, Some(i)) {
                            stmts.push(s);
                        }
                    }
                }
                Some(node @ Node { value: Value::Object(_), .. }) => {
                    stmts.extend(statement_view(node, None));
                }
                _ => {}
            }
        }
        let version = root.get("Version");
        Ctx { kind, text, root, version, stmts, out: Vec::new(), parse_errors }
    }

    /// Records a finding with the check's default severity.
    pub(crate) fn emit(
        &mut self,
        code: &'static str,
        span: Span,
        path: impl Into<String>,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.out.push(Finding {
            code,
            severity: registry::severity(code),
            message: message.into(),
            span,
            path: path.into(),
            fix,
        });
    }

    /// True for policies whose version substitutes `${...}` variables.
    pub(crate) fn variables(&self) -> bool {
        self.version.and_then(Node::as_str) == Some("2012-10-17")
    }
}

fn items<'a>(node: &'a Node, base: ElemPath<'a>) -> Vec<Item<'a>> {
    match &node.value {
        Value::String(s) => vec![Item { text: s, span: node.span, base, index: None }],
        Value::Array(a) => a
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                n.as_str().map(|s| Item { text: s, span: n.span, base, index: Some(i) })
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn principals<'a>(m: &'a Member, path: ElemPath<'a>) -> Principals<'a> {
    let mut p = Principals { negated: m.key == "NotPrincipal", ..Principals::default() };
    match &m.value.value {
        Value::String(s) if s == "*" => p.any = true,
        Value::Object(members) => {
            for pm in unique_members(members) {
                for item in items(&pm.value, ElemPath { sub: Some(&pm.key), ..path }) {
                    if pm.key == "AWS" && item.text == "*" {
                        p.any = true;
                    }
                    p.entries.push((pm.key.as_str(), item));
                }
            }
        }
        _ => {}
    }
    p
}

fn scalar(n: &Node) -> Option<String> {
    match &n.value {
        Value::String(s) => Some(s.clone()),
        Value::Number(t) => Some(t.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn conditions<'a>(m: &'a Member, path: &str) -> Vec<Cond<'a>> {
    let mut out = Vec::new();
    let Some(ops) = m.value.as_object() else { return out };
    for om in unique_members(ops) {
        let Some(keys) = om.value.as_object() else { continue };
        let op = Operator::parse(&om.key);
        for km in unique_members(keys) {
            let values: Vec<CVal> = match &km.value.value {
                Value::Array(a) => a
                    .iter()
                    .filter_map(|n| scalar(n).map(|raw| CVal { raw, span: n.span }))
                    .collect(),
                _ => scalar(&km.value)
                    .map(|raw| CVal { raw, span: km.value.span })
                    .into_iter()
                    .collect(),
            };
            out.push(Cond {
                op_name: &om.key,
                op: op.clone(),
                op_span: om.key_span,
                key: &km.key,
                key_lc: km.key.to_ascii_lowercase(),
                key_span: km.key_span,
                path: format!("{path}.{}.{}", om.key, km.key),
                values,
                value_node: &km.value,
            });
        }
    }
    out
}

/// The view of the statement `node`: item `pos` of the Statement array, or the one
/// statement object (None).
fn statement_view(node: &Node, pos: Option<usize>) -> Option<Stmt<'_>> {
    let members = node.as_object()?;
    let mut s = Stmt {
        index: pos.unwrap_or(0),
        path: match pos {
            Some(i) => format!("Statement[{i}]"),
            None => "Statement".to_string(),
        },
        node,
        effect: None,
        sid: None,
        principal: None,
        principals: Principals::default(),
        action: None,
        actions: Vec::new(),
        action_lc: Vec::new(),
        meta: Vec::new(),
        not_action: false,
        resource: None,
        resources: Vec::new(),
        not_resource: false,
        condition: None,
        conds: Vec::new(),
    };
    for m in unique_members(members) {
        let p = ElemPath { stmt: pos, key: &m.key, sub: None };
        match m.key.as_str() {
            "Sid" => s.sid = Some(&m.value),
            "Effect" => {
                s.effect = match m.value.as_str() {
                    Some("Allow") => Some(Effect::Allow),
                    Some("Deny") => Some(Effect::Deny),
                    _ => None,
                }
            }
            "Principal" | "NotPrincipal" if s.principal.is_none() => {
                s.principals = principals(m, p);
                s.principal = Some(m);
            }
            "Action" | "NotAction" if s.action.is_none() => {
                s.not_action = m.key == "NotAction";
                s.actions = items(&m.value, p);
                s.action_lc = s.actions.iter().map(|i| i.text.to_ascii_lowercase()).collect();
                s.meta = (s.action_lc.iter())
                    .map(|a| ActionMeta {
                        wild: a.contains(['*', '?']),
                        expanded: OnceCell::new(),
                        name_set: OnceCell::new(),
                    })
                    .collect();
                s.action = Some(m);
            }
            "Resource" | "NotResource" if s.resource.is_none() => {
                s.not_resource = m.key == "NotResource";
                s.resources = items(&m.value, p);
                s.resource = Some(m);
            }
            "Condition" => {
                s.conds = conditions(m, &p.to_string());
                s.condition = Some(m);
            }
            _ => {}
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::model::AwsPrincipal;

    #[test]
    fn is_account_agrees_with_the_principal_parser() {
        for v in [
            "*",
            "111122223333",
            "11112222333",
            "1111222233334",
            "11112222333a",
            "arn:aws:iam::111122223333:root",
            "arn:aws-cn:iam::111122223333:root",
            "arn:aws:iam::111122223333:root:x",
            "arn:aws:iam::111122223333:role/root",
            "arn:aws:sts::111122223333:root",
            "arn:aws:iam::111122223333:user/Alice",
            "arn:aws:iam::111122223333",
            "iam::root",
            "",
            ":::::root",
            "a:b:iam:d:e:root",
        ] {
            let parsed = matches!(AwsPrincipal::parse(v), AwsPrincipal::Account(_));
            assert_eq!(Principals::is_account(v), parsed, "{v:?}");
        }
    }
}
