//! Whole-document checks: Version, Sids, size quotas, statements made redundant by another
//! statement, and Allow statements that a Deny in the same policy always overrides.

use crate::checks::actions::ActionIndex;
use crate::doc::{Cond, Ctx, Principals, Stmt};
use keyward_core::model::{AwsPrincipal, Effect, PolicyKind};

/// Runs the document checks.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let mut found = Vec::new();
    if ctx.version.is_none() && ctx.root.as_object().is_some() {
        found.push((
            "missing-version",
            ctx.root.span,
            String::new(),
            "the policy has no Version: policy variables are then read literally".to_string(),
            Some("add \"Version\": \"2012-10-17\"".to_string()),
        ));
    }
    let mut sids: Vec<&str> = Vec::new();
    for s in &ctx.stmts {
        let Some(sid) = s.sid else { continue };
        let Some(text) = sid.as_str() else { continue };
        let path = format!("{}.Sid", s.path);
        if text.is_empty() {
            found.push((
                "empty-sid-value",
                sid.span,
                path,
                "the Sid is empty".to_string(),
                Some("give the statement a name, or remove the Sid".to_string()),
            ));
        } else if !ctx.kind.strict_sids() && sids.contains(&text) {
            found.push((
                "unique-sids-recommended",
                sid.span,
                path,
                format!("Sid `{text}` is used by an earlier statement"),
                Some("give each statement its own Sid".to_string()),
            ));
        }
        sids.push(text);
    }
    size(ctx, &mut found);
    if !ctx.parse_errors {
        overlaps(ctx, &mut found);
    }
    for (code, span, path, msg, fix) in found {
        ctx.emit(code, span, path, msg, fix);
    }
}

type Found = Vec<(&'static str, keyward_core::span::Span, String, String, Option<String>)>;

fn size(ctx: &Ctx<'_>, out: &mut Found) {
    let non_ws = || ctx.text.chars().filter(|c| !c.is_whitespace()).count();
    let (code, used, quota, what) = match ctx.kind {
        PolicyKind::Key => (
            "policy-size-exceeds-resource-policy-quota",
            ctx.text.len(),
            32_768,
            "bytes; the key policy quota is 32 KB",
        ),
        PolicyKind::Identity | PolicyKind::Boundary => {
            if ctx.text.len() <= 6_144 {
                return;
            }
            // Access Analyzer's threshold is 10,240 (the inline quota of a role); customer
            // managed policies stop at 6,144, which keyward reports under its own code.
            let used = non_ws();
            if used > 10_240 {
                (
                    "policy-size-exceeds-identity-policy-quota",
                    used,
                    10_240,
                    "characters excluding whitespace; the identity policy quota is 10,240",
                )
            } else {
                (
                    "policy-size-exceeds-managed-policy-quota",
                    used,
                    6_144,
                    "characters excluding whitespace; a customer managed policy holds at most 6,144 (inline role policies 10,240)",
                )
            }
        }
        PolicyKind::Scp | PolicyKind::Rcp => {
            if ctx.text.len() <= 5_120 {
                return;
            }
            (
                "policy-size-exceeds-scp-quota",
                non_ws(),
                5_120,
                "characters excluding whitespace; the SCP/RCP quota is 5,120",
            )
        }
        PolicyKind::Resource | PolicyKind::Session => return,
    };
    if used > quota {
        out.push((
            code,
            ctx.root.span,
            String::new(),
            format!("the policy has {used} {what}"),
            Some(
                "merge statements, use wildcards for related actions, or split the policy"
                    .to_string(),
            ),
        ));
    }
}

fn same_principal(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    // Only the account forms (`123456789012`, `arn:aws:iam::123456789012:root`) can be equal
    // when spelled differently; a cheap shape test avoids parsing every pair.
    match (account_form(a), account_form(b)) {
        (Some(_), Some(_)) => match (AwsPrincipal::parse(a), AwsPrincipal::parse(b)) {
            (AwsPrincipal::Account(x), AwsPrincipal::Account(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

fn account_form(s: &str) -> Option<&str> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s);
    }
    s.strip_suffix(":root").and_then(|r| r.rsplit(':').next()).filter(|_| s.starts_with("arn:"))
}

fn principal_covers(b: &Stmt<'_>, a: &Stmt<'_>) -> bool {
    match (b.principal, a.principal) {
        (None, None) => true,
        (Some(_), Some(_)) => {
            let (pb, pa): (&Principals<'_>, &Principals<'_>) = (&b.principals, &a.principals);
            if pb.negated || pa.negated {
                return false;
            }
            if pb.any {
                return true;
            }
            !pa.any
                && !pa.entries.is_empty()
                && pa.entries.iter().all(|(ta, ia)| {
                    pb.entries.iter().any(|(tb, ib)| ta == tb && same_principal(ia.text, ib.text))
                })
        }
        _ => false,
    }
}

/// Same operator, key and set of values.
fn same_cond(a: &Cond<'_>, b: &Cond<'_>) -> bool {
    a.op_name == b.op_name
        && a.key_lc == b.key_lc
        && a.values.iter().all(|x| b.values.iter().any(|y| x.raw == y.raw))
        && b.values.iter().all(|y| a.values.iter().any(|x| x.raw == y.raw))
}

/// True when two statements name the same actions (any case), resources and principals, as
/// sets: written the same way up to order and repetition.
fn same_text<'x>(a: &Stmt<'x>, b: &Stmt<'x>) -> bool {
    fn set<'y>(items: impl Iterator<Item = &'y str>) -> Vec<&'y str> {
        let mut v: Vec<&str> = items.collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    let principals = |s: &Stmt<'x>| -> Vec<(&'x str, &'x str)> {
        let mut v: Vec<(&str, &str)> =
            s.principals.entries.iter().map(|(t, i)| (*t, i.text)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    a.not_action == b.not_action
        && a.not_resource == b.not_resource
        && set(a.action_lc.iter().map(String::as_str))
            == set(b.action_lc.iter().map(String::as_str))
        && set(a.resources.iter().map(|r| r.text)) == set(b.resources.iter().map(|r| r.text))
        && a.principals.any == b.principals.any
        && principals(a) == principals(b)
}

/// True when every action of `a` is covered by an action of `b` (`bx`: b's index).
fn actions_covered(b: &Stmt<'_>, bx: &ActionIndex<'_>, a: &Stmt<'_>) -> bool {
    a.action_lc.iter().enumerate().all(|(i, t)| {
        if bx.contains(t) {
            return true;
        }
        let (svc, wild) = match t.split_once(':') {
            Some((svc, name)) if !svc.contains(['*', '?']) => {
                (Some(svc), name.contains(['*', '?']))
            }
            _ => (None, false),
        };
        bx.any_of_service(svc, wild, |j| a.pattern_covers(b, j, i))
    })
}

/// True when every request `a` applies to, `b` applies to as well (`bx`: b's action index).
fn covers(b: &Stmt<'_>, bx: &ActionIndex<'_>, a: &Stmt<'_>) -> bool {
    if a.actions.is_empty() || b.actions.is_empty() || a.effect.is_none() {
        return false;
    }
    if b.not_action || a.not_action || b.not_resource || a.not_resource {
        return false;
    }
    // The principals first: the cheaper test, and the one that fails for most pairs of a key
    // policy's statements (different roles).
    if !principal_covers(b, a) || !actions_covered(b, bx, a) {
        return false;
    }
    let resources_ok = match (a.resource, b.resource) {
        (None, None) => true,
        (Some(_), Some(_)) => a.resources.iter().all(|x| {
            b.resources.iter().any(|y| {
                y.text == x.text
                    || (!y.text.contains("${") && crate::doc::wild_match(y.text, x.text))
            })
        }),
        _ => false,
    };
    if !resources_ok || (a.resources.is_empty() && a.resource.is_some()) {
        return false;
    }
    b.conds.iter().all(|cb| a.conds.iter().any(|ca| same_cond(ca, cb)))
}

fn overlaps(ctx: &Ctx<'_>, out: &mut Found) {
    let n = ctx.stmts.len();
    if !(2..=200).contains(&n) {
        return;
    }
    let ix: Vec<ActionIndex<'_>> =
        ctx.stmts.iter().map(|s| ActionIndex::new(&s.action_lc)).collect();
    // Does statement `j` cover statement `i`?
    let cov = |j: usize, i: usize| match (ctx.stmts.get(j), ix.get(j), ctx.stmts.get(i)) {
        (Some(b), Some(bx), Some(a)) => covers(b, bx, a),
        _ => false,
    };
    for (i, a) in ctx.stmts.iter().enumerate() {
        let others = || ctx.stmts.iter().enumerate().filter(move |(j, _)| *j != i);
        if a.effect == Some(Effect::Allow) {
            let deny = others().find(|(j, b)| b.effect == Some(Effect::Deny) && cov(*j, i));
            if let Some((_, b)) = deny {
                out.push((
                    "allow-overridden-by-deny",
                    a.node.span,
                    a.path.clone(),
                    format!("statement {} never allows anything: Deny statement {} always applies to the same requests", a.label(), b.label()),
                    Some(format!("remove statement {}, or narrow the Deny with a condition or NotPrincipal", a.label())),
                ));
                continue;
            }
        }
        let wider: Vec<(usize, &Stmt<'_>)> =
            others().filter(|(j, b)| b.effect == a.effect && cov(*j, i)).collect();
        // Identical statements (the same actions, resources and principals up to order, case of
        // actions and repetition; the same conditions): the later ones are reported under Access
        // Analyzer's code. A statement contained in a broader one, or equivalent to an earlier
        // one written differently (`kms:Decrypt*` for `kms:Decrypt`), is keyward's own finding.
        // Either way the verdict does not depend on the order of the statements.
        let earlier_equal = |j: usize| j < i && cov(i, j);
        let identical = wider.iter().find(|(j, b)| earlier_equal(*j) && same_text(a, b));
        let contained = wider.iter().find(|(j, _)| earlier_equal(*j) || !cov(i, *j));
        let (code, b, what) = match (identical, contained) {
            (Some((_, b)), _) => ("redundant-statement", b, "is identical to"),
            (None, Some((_, b))) => ("redundant-statement-contained", b, "is contained in"),
            (None, None) => continue,
        };
        out.push((
            code,
            a.node.span,
            a.path.clone(),
            format!("statement {} is redundant: it {what} statement {}, which already covers every request it applies to", a.label(), b.label()),
            Some(format!("remove statement {}", a.label())),
        ));
    }
}
