//! IAM checks of identity policies: `iam:PassRole` and `iam:CreateServiceLinkedRole` allowed on
//! `"Resource": "*"` without the condition that scopes them (Access Analyzer's
//! PASS_ROLE_WITH_STAR_IN_... and CREATE_SLR_WITH_STAR_IN_... checks).

use crate::doc::{wild_match, Ctx, Item, Stmt};
use keyward_core::model::{OpBase, PolicyKind};

type Found = Vec<(&'static str, keyward_core::span::Span, String, String, Option<String>)>;

/// One action the check looks for.
struct Target {
    /// Lower case, e.g. `iam:passrole`.
    action: &'static str,
    /// Code when the action is named explicitly.
    explicit: &'static str,
    /// Code when only a wildcard (`*`, `iam:*`, `iam:Pass*`) names it.
    wildcard: &'static str,
    /// The statement scopes the action with the right condition.
    scoped: fn(&Stmt<'_>) -> bool,
    fix: &'static str,
}

const TARGETS: &[Target] = &[
    Target {
        action: "iam:passrole",
        explicit: "pass-role-with-star-in-resource",
        wildcard: "pass-role-with-star-in-action-and-resource",
        scoped: |s| s.restricts_with(&["iam:passedtoservice"]),
        fix: "name the roles in Resource, or add an iam:PassedToService condition",
    },
    Target {
        action: "iam:createservicelinkedrole",
        explicit: "create-slr-with-star-in-resource",
        wildcard: "create-slr-with-star-in-action-and-resource",
        scoped: service_name_scoped,
        fix: "name the service-linked role ARNs in Resource, or add an iam:AWSServiceName condition without wildcards",
    },
];

/// A positive `iam:AWSServiceName` condition whose values name services without wildcards.
fn service_name_scoped(s: &Stmt<'_>) -> bool {
    s.conds.iter().any(|c| {
        let positive =
            c.op.as_ref().is_some_and(|o| !o.negated && !o.if_exists && o.base != OpBase::Null);
        positive
            && c.key_lc == "iam:awsservicename"
            && !c.values.is_empty()
            && c.values.iter().all(|v| !v.raw.contains(['*', '?']))
    })
}

/// Runs the checks on identity policies and permissions boundaries.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if !matches!(ctx.kind, PolicyKind::Identity | PolicyKind::Boundary) {
        return;
    }
    let mut found: Found = Vec::new();
    for s in &ctx.stmts {
        if !s.is_allow() || s.not_action || s.not_resource {
            continue;
        }
        let Some(star) = s.resources.iter().find(|r| r.text == "*") else { continue };
        for t in TARGETS {
            if (t.scoped)(s) {
                continue;
            }
            let explicit: Vec<&Item<'_>> = s
                .actions
                .iter()
                .zip(&s.action_lc)
                .filter(|(_, lc)| lc.as_str() == t.action)
                .map(|(a, _)| a)
                .collect();
            let (code, items) = if explicit.is_empty() {
                let wild: Vec<&Item<'_>> = s
                    .actions
                    .iter()
                    .zip(&s.action_lc)
                    .filter(|(_, lc)| lc.contains(['*', '?']) && wild_match(lc, t.action))
                    .map(|(a, _)| a)
                    .collect();
                (t.wildcard, wild)
            } else {
                (t.explicit, explicit)
            };
            let Some(first) = items.first() else { continue };
            let how = if code == t.wildcard {
                format!("`{}` allows {} through a wildcard", first.text, display(t.action))
            } else {
                format!("`{}` is allowed", first.text)
            };
            found.push((
                code,
                first.span,
                first.path(),
                format!("{how} on every resource (`{}` is \"*\")", star.path()),
                Some(t.fix.to_string()),
            ));
        }
    }
    for (code, span, path, msg, fix) in found {
        ctx.emit(code, span, path, msg, fix);
    }
}

fn display(action: &str) -> &'static str {
    if action == "iam:passrole" {
        "iam:PassRole"
    } else {
        "iam:CreateServiceLinkedRole"
    }
}
