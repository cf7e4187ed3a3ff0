//! Condition checks: key names (catalogue), operator/key type agreement, set qualifiers,
//! values that do not parse for their operator, and key-specific value rules.

use crate::catalog::{catalog, Catalog, KeyDef, KeyType};
use crate::checks::actions::{resolve, Resolved};
use crate::checks::values;
use crate::doc::{Cond, Ctx, Stmt};
use keyward_core::json::Value;
use keyward_core::model::{OpBase, PolicyKind, SetOp};
use keyward_core::span::Span;

pub(crate) type Found = Vec<(&'static str, Span, String, String, Option<String>)>;

/// What a condition key resolved to.
pub(crate) enum KeyRef<'c> {
    Global(&'c KeyDef),
    Service(&'c crate::catalog::Service, usize, &'c KeyDef),
}

impl<'c> KeyRef<'c> {
    pub(crate) fn def(&self) -> &'c KeyDef {
        match self {
            KeyRef::Global(d) | KeyRef::Service(_, _, d) => d,
        }
    }
}

/// Looks a key up; reports why it is not valid when it is not.
fn lookup<'c>(cat: &'c Catalog, c: &Cond<'_>, out: &mut Found) -> Option<KeyRef<'c>> {
    let key = c.key;
    let mut push = |code: &'static str, msg: String, fix: Option<String>| {
        out.push((code, c.key_span, c.path.clone(), msg, fix));
    };
    let Some((prefix, name)) = key.split_once(':') else {
        push(
            "invalid-condition-key-format",
            format!("`{key}` is not a condition key: expected prefix:name, e.g. aws:SourceIp"),
            None,
        );
        return None;
    };
    if prefix.is_empty() || name.is_empty() || key.contains(char::is_whitespace) {
        push(
            "invalid-condition-key-format",
            format!("`{key}` is not a valid condition key name"),
            None,
        );
        return None;
    }
    if c.key_lc == "aws:arn" {
        push(
            "deprecated-global-condition-key",
            "aws:ARN is deprecated".to_string(),
            Some("use aws:PrincipalArn".to_string()),
        );
        return None;
    }
    if let Some(def) = cat.global_key(key) {
        return Some(KeyRef::Global(def));
    }
    fn missing_tag<'k>(keys: &'k [KeyDef], key: &str) -> Option<&'k KeyDef> {
        keys.iter().find(|k| {
            k.pattern_prefix().is_some_and(|p| {
                let p = p.trim_end_matches(['/', ':']);
                p.eq_ignore_ascii_case(key.trim_end_matches(['/', ':']))
            })
        })
    }
    if prefix.eq_ignore_ascii_case("aws") {
        if let Some(k) = missing_tag(&cat.globals, key) {
            push(
                "missing-tag-key-in-condition",
                format!("`{key}` needs a tag key: {}", k.name.replace('*', "<tag-key>")),
                Some(format!("write e.g. `{}`", k.name.replace('*', "project"))),
            );
        } else {
            push(
                "invalid-global-condition-key",
                format!("the condition key `{key}` does not exist"),
                None,
            );
        }
        return None;
    }
    let Some(svc) = cat.service(prefix) else {
        // Some services define keys under another prefix (`catalog:ChangeType` in
        // aws-marketplace, `saml:*` in sts): look in every service before reporting.
        if let Some((svc, i, def)) = cat.key_anywhere(key) {
            return Some(KeyRef::Service(svc, i, def));
        }
        push(
            "invalid-service",
            format!("the service `{prefix}` in condition key `{key}` does not exist"),
            None,
        );
        return None;
    };
    if let Some((i, def)) = svc.key(key) {
        return Some(KeyRef::Service(svc, i, def));
    }
    if let Some((svc, i, def)) = cat.key_anywhere(key) {
        return Some(KeyRef::Service(svc, i, def));
    }
    if let Some(k) = missing_tag(&svc.keys, key) {
        push(
            "missing-tag-key-in-condition",
            format!("`{key}` needs a name after the prefix: {}", k.name.replace('*', "<name>")),
            None,
        );
    } else {
        push(
            "invalid-service-condition-key",
            format!("the condition key `{key}` does not exist in the service `{}`", svc.prefix),
            None,
        );
    }
    None
}

fn op_family(base: OpBase) -> &'static str {
    use OpBase::*;
    match base {
        StringEquals | StringEqualsIgnoreCase | StringLike => "String",
        NumericEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => "Numeric",
        DateEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => "Date",
        Bool => "Bool",
        BinaryEquals => "Binary",
        IpAddress => "IpAddress",
        ArnLike => "Arn",
        Null => "Null",
    }
}

/// Operator families a key type accepts (String operators also work on ARN keys, ARN operators
/// on String keys, and aws:EpochTime takes Numeric operators too).
fn compatible(ty: KeyType, family: &str, key_lc: &str) -> bool {
    match ty {
        KeyType::String | KeyType::Arn => matches!(family, "String" | "Arn"),
        KeyType::Numeric => family == "Numeric",
        KeyType::Date => family == "Date" || (family == "Numeric" && key_lc == "aws:epochtime"),
        KeyType::Bool => family == "Bool",
        KeyType::Ip => family == "IpAddress",
        KeyType::Binary => family == "Binary",
    }
}

fn suggested_op(ty: KeyType) -> &'static str {
    match ty {
        KeyType::String => "StringEquals / StringLike",
        KeyType::Arn => "ArnEquals / ArnLike",
        KeyType::Numeric => "NumericEquals / NumericLessThan...",
        KeyType::Date => "DateGreaterThan / DateLessThan...",
        KeyType::Bool => "Bool",
        KeyType::Ip => "IpAddress / NotIpAddress",
        KeyType::Binary => "BinaryEquals",
    }
}

/// Runs the condition checks.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let cat = catalog();
    let variables = ctx.variables();
    let mut found: Found = Vec::new();
    for s in &ctx.stmts {
        if let Some(m) = s.condition {
            if m.value.as_object().is_some_and(<[_]>::is_empty) {
                found.push(empty_object(m.value.span, format!("{}.Condition", s.path)));
            }
            for om in m.value.as_object().unwrap_or(&[]) {
                if om.value.as_object().is_some_and(<[_]>::is_empty) {
                    found.push(empty_object(
                        om.value.span,
                        format!("{}.Condition.{}", s.path, om.key),
                    ));
                }
            }
        }
        for (ci, c) in s.conds.iter().enumerate() {
            duplicate_case(s, ci, c, &mut found);
            let Some(op) = &c.op else { continue };
            if let Some(k) = lookup(cat, c, &mut found) {
                key_checks(cat, ctx.kind, s, c, &k, &mut found);
            }
            if op.base == OpBase::Null && op.set != SetOp::None {
                let always = if op.set == SetOp::ForAllValues { "true" } else { "false" };
                found.push((
                    "null-with-qualifier",
                    c.op_span,
                    c.path.clone(),
                    format!("`{}` is always {always}: Null checks whether the key is present, set qualifiers do not apply", c.op_name),
                    Some("use Null without ForAllValues/ForAnyValue".to_string()),
                ));
            }
            values::check(c, op, variables, &mut found);
        }
    }
    for (code, span, path, msg, fix) in found {
        ctx.emit(code, span, path, msg, fix);
    }
}

fn empty_object(span: Span, path: String) -> (&'static str, Span, String, String, Option<String>) {
    (
        "empty-object-condition",
        span,
        path,
        "this condition block is empty and does not affect the policy".to_string(),
        Some("remove it, or add the condition keys".to_string()),
    )
}

/// The same key twice under one operator, spelled with different case.
fn duplicate_case(s: &Stmt<'_>, ci: usize, c: &Cond<'_>, out: &mut Found) {
    let earlier = s
        .conds
        .iter()
        .take(ci)
        .find(|o| o.op_name == c.op_name && o.key_lc == c.key_lc && o.key != c.key);
    if let Some(o) = earlier {
        out.push((
            "duplicate-keys-with-different-case",
            c.key_span,
            c.path.clone(),
            format!(
                "`{}` and `{}` are the same condition key (key names are case-insensitive)",
                o.key, c.key
            ),
            Some("merge the two entries into one".to_string()),
        ));
    }
}

fn key_checks(
    cat: &Catalog,
    kind: PolicyKind,
    s: &Stmt<'_>,
    c: &Cond<'_>,
    k: &KeyRef<'_>,
    out: &mut Found,
) {
    let Some(op) = &c.op else { return };
    let def = k.def();
    let family = op_family(op.base);
    if family != "Null" && !compatible(def.ty, family, &c.key_lc) {
        out.push((
            "type-mismatch",
            c.op_span,
            c.path.clone(),
            format!(
                "`{}` is a {} key, but `{}` compares {family} values",
                c.key,
                def.ty.name(),
                c.op_name
            ),
            Some(format!("use {}", suggested_op(def.ty))),
        ));
    }
    if def.ty == KeyType::Arn && op.base == OpBase::StringLike {
        let arn_op =
            op.name.replacen("StringNotLike", "ArnNotLike", 1).replacen("StringLike", "ArnLike", 1);
        out.push((
            "string-like-operator-with-arn-condition-keys",
            c.key_span,
            c.path.clone(),
            format!("`{}` is an ARN key: compare it with the ARN operator `{arn_op}` instead of the string operator `{}`", c.key, c.op_name),
            Some(format!("use {arn_op}")),
        ));
    }
    let ec_or_tag =
        c.key_lc.starts_with("kms:encryptioncontext:") || c.key_lc.starts_with("aws:requesttag/");
    if family != "Null" {
        match (op.set, def.multivalued) {
            (SetOp::None, true) => out.push((
                "missing-qualifier",
                c.op_span,
                c.path.clone(),
                format!("`{}` can have several values in one request; a plain `{}` has undefined results", c.key, c.op_name),
                Some(format!("use ForAnyValue:{0} (at least one value matches) or ForAllValues:{0} (every value matches; also true when the key is absent)", c.op_name)),
            )),
            (SetOp::ForAllValues, false) if kind == PolicyKind::Key && ec_or_tag => out.push((
                "kms-forallvalues-encryption-context",
                c.op_span,
                c.path.clone(),
                format!("KMS rejects this key policy: ForAllValues with the single-valued key `{}` matches requests without it (OverlyPermissiveCondition)", c.key),
                Some(format!("drop the ForAllValues: prefix ({}); to require exact context keys use ForAllValues on kms:EncryptionContextKeys together with a Null check", op.name.trim_start_matches("ForAllValues:"))),
            )),
            (SetOp::ForAllValues, false) => out.push((
                "forallvalues-with-single-valued-key",
                c.op_span,
                c.path.clone(),
                format!("ForAllValues with the single-valued key `{}` is also true when the key is absent from the request, which can allow more than intended", c.key),
                Some(format!("drop the qualifier: {}", op.name.trim_start_matches("ForAllValues:"))),
            )),
            (SetOp::ForAnyValue, false) => out.push((
                "foranyvalue-with-single-valued-key",
                c.op_span,
                c.path.clone(),
                format!("`{}` is single-valued; ForAnyValue only adds confusion", c.key),
                Some(format!("drop the qualifier: {}", op.name.trim_start_matches("ForAnyValue:"))),
            )),
            _ => {}
        }
    }
    if kind == PolicyKind::Key && c.key_lc == "kms:resourcealiases" {
        out.push((
            "irrelevant-condition-key-in-policy",
            c.key_span,
            c.path.clone(),
            "kms:ResourceAliases works only in IAM policies, not in key policies".to_string(),
            Some("move the statement to an IAM policy, or use kms:RequestAlias".to_string()),
        ));
    }
    if let KeyRef::Service(svc, idx, _) = k {
        unsupported_actions(cat, s, c, svc, *idx, out);
    }
}

/// A service key that none of the statement's actions of that service supports.
fn unsupported_actions(
    cat: &Catalog,
    s: &Stmt<'_>,
    c: &Cond<'_>,
    svc: &crate::catalog::Service,
    idx: usize,
    out: &mut Found,
) {
    if s.not_action || s.actions.is_empty() {
        return;
    }
    let mut names = Vec::new();
    for a in &s.actions {
        match resolve(cat, a.text) {
            Resolved::Actions(asvc, actions) if std::ptr::eq(asvc, svc) => {
                if actions.iter().any(|x| x.supports_key(idx)) {
                    return;
                }
                names.extend(actions.iter().map(|x| format!("{}:{}", svc.prefix, x.name())));
            }
            Resolved::Actions(..) | Resolved::NoService => {}
            Resolved::All | Resolved::Unknown => return,
        }
    }
    // A key the catalogue ties to no action of its service at all (the dataset lists it for the
    // service only): Access Analyzer stays silent, and so does keyward.
    if names.is_empty() || !cat.actions(svc).any(|a| a.supports_key(idx)) {
        return;
    }
    names.truncate(5);
    out.push((
        "unsupported-action-for-condition-key",
        c.key_span,
        c.path.clone(),
        format!("`{}` is never in the request context of {}: an Allow with it never applies and a Deny never fires", c.key, names.join(", ")),
        Some("remove the condition, or use it with actions that support it".to_string()),
    ));
}

/// True when a condition's value node is an empty array.
pub(crate) fn empty_values(c: &Cond<'_>) -> bool {
    matches!(&c.value_node.value, Value::Array(a) if a.is_empty())
}
