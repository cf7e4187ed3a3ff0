//! KMS checks: lockout risk (PutKeyPolicy's safety check), public use of a key, kms:* for
//! principals other than the account, administration and use in one statement, CreateGrant
//! without kms:GrantIsForAWSResource, encryption-context keys spelled with different case,
//! and grants that allow Decrypt or CreateGrant without constraints.

use crate::doc::{Ctx, Stmt};
use keyward_core::model::{Grant, PolicyKind};

use keyward_core::eval::call::KEY_ADMIN_ACTIONS as ADMIN;

/// Cryptographic (key use) actions (lower case).
const USE: &[&str] = &[
    "kms:encrypt",
    "kms:decrypt",
    "kms:reencryptfrom",
    "kms:reencryptto",
    "kms:generatedatakey",
    "kms:generatedatakeywithoutplaintext",
    "kms:generatedatakeypair",
    "kms:generatedatakeypairwithoutplaintext",
    "kms:sign",
    "kms:verify",
    "kms:generatemac",
    "kms:verifymac",
    "kms:derivesharedsecret",
    "kms:encapsulate",
    "kms:decapsulate",
];

/// Keys that narrow who can use a key shared with `Principal: "*"`.
const RESTRICTING: &[&str] = &[
    "kms:calleraccount",
    "kms:viaservice",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:userid",
    "aws:username",
    "aws:principaltag/*",
];

fn is_star(text: &str) -> bool {
    text == "*" || text.eq_ignore_ascii_case("kms:*")
}

/// Runs the KMS checks on a policy.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let mut found = Vec::new();
    let key = ctx.kind == PolicyKind::Key;
    if key && !ctx.parse_errors {
        lockout(ctx, &mut found);
    }
    for s in &ctx.stmts {
        if !s.is_allow() || s.actions.is_empty() {
            continue;
        }
        let elem = || s.action.map_or(String::new(), |m| format!("{}.{}", s.path, m.key));
        let not_just_account = s.principal.is_some() && !s.principals.only_accounts();
        if key
            && s.principals.any
            && !s.principals.negated
            && USE.iter().chain(ADMIN).any(|a| s.covers_action(a))
            && !s.restricts_with(RESTRICTING)
        {
            let span = s.principal.map_or(s.node.span, |m| m.value.span);
            found.push((
                "kms-public-access",
                span,
                format!("{}.Principal", s.path),
                format!("statement {} lets any AWS principal in any account use the key: nothing in its conditions narrows Principal \"*\"", s.label()),
                Some("add a condition such as StringEquals kms:CallerAccount, aws:PrincipalOrgID or kms:ViaService, or name the principals".to_string()),
            ));
        }
        if key && not_just_account {
            if let Some(star) = s.actions.iter().find(|a| !s.not_action && is_star(a.text)) {
                found.push((
                    "kms-star-to-non-admin",
                    star.span,
                    star.path(),
                    format!("statement {} gives `{}` to principals other than the account: they can change the key policy, delete the key and use it", s.label(), star.text),
                    Some("list the actions the principals need (key use or key administration), and keep kms:* for the account principal only".to_string()),
                ));
            } else if ADMIN.iter().any(|a| s.covers_action(a))
                && USE.iter().any(|a| s.covers_action(a))
            {
                let a = ADMIN.iter().find(|a| s.covers_action(a)).unwrap_or(&"");
                let u = USE.iter().find(|u| s.covers_action(u)).unwrap_or(&"");
                found.push((
                    "kms-admin-and-use",
                    s.action.map_or(s.node.span, |m| m.key_span),
                    elem(),
                    format!("statement {} mixes key administration ({a}) and key use ({u}) for the same principals", s.label()),
                    Some("split it: one statement for key administrators, another for the principals that use the key".to_string()),
                ));
            }
        }
        let grant_covered = s.covers_action("kms:creategrant");
        let only_star = s.actions.iter().all(|a| is_star(a.text)) && !s.not_action;
        let account_only = s.principal.is_some() && s.principals.only_accounts();
        if grant_covered
            && !only_star
            && !account_only
            && !s.conds.iter().any(|c| c.key_lc == "kms:grantisforawsresource")
        {
            let at = s
                .actions
                .iter()
                .find(|a| crate::doc::wild_match(&a.text.to_ascii_lowercase(), "kms:creategrant"));
            let (span, path) = at.map_or_else(|| (s.node.span, elem()), |a| (a.span, a.path()));
            found.push((
                "kms-create-grant-unrestricted",
                span,
                path,
                format!("statement {} allows kms:CreateGrant without kms:GrantIsForAWSResource: the principals can grant the key's use to anyone", s.label()),
                Some("add \"Bool\": {\"kms:GrantIsForAWSResource\": \"true\"} so only AWS services integrated with KMS can create grants for them".to_string()),
            ));
        }
    }
    ec_case(ctx, &mut found);
    for (code, span, path, msg, fix) in found {
        ctx.emit(code, span, path, msg, fix);
    }
}

type Found = Vec<(&'static str, keyward_core::span::Span, String, String, Option<String>)>;

/// The account principal must be able to call PutKeyPolicy, or the key becomes unmanageable.
fn lockout(ctx: &Ctx<'_>, out: &mut Found) {
    if ctx.stmts.is_empty() {
        return;
    }
    let ok = |s: &Stmt<'_>| {
        s.is_allow()
            && !s.principals.negated
            && (s.principals.any || s.principals.has_account())
            && s.covers_action("kms:putkeypolicy")
    };
    if ctx.stmts.iter().any(ok) {
        return;
    }
    let (span, path) = ctx
        .root
        .get("Statement")
        .map_or((ctx.root.span, String::new()), |n| (n.span, "Statement".to_string()));
    let others = ctx
        .stmts
        .iter()
        .filter(|s| s.is_allow() && s.covers_action("kms:putkeypolicy"))
        .map(Stmt::label)
        .collect::<Vec<_>>();
    let who = if others.is_empty() {
        "no principal can change the key policy".to_string()
    } else {
        format!("only the principals of statement {} can change the key policy", others.join(", "))
    };
    out.push((
        "kms-lockout-risk",
        span,
        path,
        format!("the key policy does not allow the account (arn:aws:iam::ACCOUNT:root) kms:PutKeyPolicy: {who}, and IAM policies cannot help{}", if others.is_empty() { "; the key cannot be managed" } else { "; if those principals are deleted, the key cannot be managed" }),
        Some("add a statement allowing {\"AWS\": \"arn:aws:iam::ACCOUNT:root\"} kms:* (the default key policy), which lets IAM policies manage the key".to_string()),
    ));
}

/// `kms:EncryptionContext:Department` and `kms:EncryptionContext:department` in one policy:
/// condition keys are case-insensitive, encryption contexts are not.
fn ec_case(ctx: &Ctx<'_>, out: &mut Found) {
    let mut seen: Vec<(&str, String)> = Vec::new();
    for s in &ctx.stmts {
        for c in &s.conds {
            let mut names: Vec<(&str, keyward_core::span::Span)> = Vec::new();
            if let Some(k) = c
                .key
                .get("kms:EncryptionContext:".len()..)
                .filter(|_| c.key_lc.starts_with("kms:encryptioncontext:"))
            {
                names.push((k, c.key_span));
            } else if c.key_lc == "kms:encryptioncontextkeys" {
                names.extend(c.values.iter().map(|v| (v.raw.as_str(), v.span)));
            }
            for (name, span) in names {
                let lc = name.to_ascii_lowercase();
                if let Some((first, _)) = seen.iter().find(|(n, l)| *l == lc && *n != name) {
                    out.push((
                        "kms-encryption-context-key-case",
                        span,
                        c.path.clone(),
                        format!("encryption context key `{name}` is also spelled `{first}` in this policy: KMS compares context keys case-sensitively, so one spelling is probably wrong"),
                        Some(format!("use one spelling, the one your callers send (`{first}` or `{name}`)")),
                    ));
                } else {
                    seen.push((name, lc));
                }
            }
        }
    }
}

/// Grant checks: Decrypt or CreateGrant with no constraints.
pub(crate) fn check_grants(grants: &[Grant], paths: &[String], out: &mut Vec<crate::Finding>) {
    for (i, g) in grants.iter().enumerate() {
        let risky: Vec<&str> = g
            .operations
            .iter()
            .map(String::as_str)
            .filter(|o| *o == "Decrypt" || *o == "CreateGrant")
            .collect();
        if risky.is_empty() || g.constraint.is_some() || g.source_arn.is_some() {
            continue;
        }
        out.push(crate::Finding {
            code: "kms-grant-unconstrained",
            severity: crate::registry::severity("kms-grant-unconstrained"),
            message: format!("{} allows {} with no constraints: the grantee can use it for any encryption context", g.label(), risky.join(" and ")),
            span: g.span,
            path: paths.get(i).cloned().unwrap_or_default(),
            fix: Some("add Constraints.EncryptionContextSubset (or EncryptionContextEquals) naming the context the grantee works with".to_string()),
        });
    }
}

#[cfg(test)]
mod tests {
    use keyward_core::eval::call::KMS_ACTIONS;

    /// The key-use actions are the vocabulary's (keyward-core's `KMS_ACTIONS`); this file keeps
    /// its own order, which decides the action a finding names.
    #[test]
    fn key_use_actions_are_the_vocabularys() {
        let mut here: Vec<String> = super::USE.iter().map(|s| s.to_string()).collect();
        let mut vocabulary: Vec<String> =
            KMS_ACTIONS.iter().filter(|a| a.key_use).map(|a| a.iam.to_ascii_lowercase()).collect();
        here.sort();
        vocabulary.sort();
        assert_eq!(here, vocabulary);
    }
}
