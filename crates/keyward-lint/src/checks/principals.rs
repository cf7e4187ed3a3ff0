//! Principal checks: Allow with NotPrincipal, service principals without a source condition,
//! malformed service principals, federated principals in resource policies, empty principals.

use crate::doc::Ctx;
use keyward_core::json::Value;

/// Keys that tie a service principal's access to one source (confused-deputy protection).
const SOURCE_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "kms:encryptioncontext:aws:*",
];

fn service_principal_ok(v: &str) -> bool {
    let body = v
        .strip_suffix(".amazonaws.com")
        .or_else(|| v.strip_suffix(".amazonaws.com.cn"))
        .or_else(|| v.strip_suffix(".amazon.com"));
    body.is_some_and(|b| {
        !b.is_empty()
            && !b.starts_with('.')
            && b.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-.".contains(&c))
    })
}

/// Runs the principal checks.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let mut found = Vec::new();
    let resource_side = ctx.kind.requires_principal();
    for s in &ctx.stmts {
        let Some(m) = s.principal else { continue };
        let elem_path = format!("{}.{}", s.path, m.key);
        if m.value.as_object().is_some_and(<[_]>::is_empty) {
            found.push((
                "empty-object-principal",
                m.value.span,
                elem_path.clone(),
                "this statement includes no principals and does not affect the policy".to_string(),
                Some("name the principals, or delete the statement".to_string()),
            ));
        }
        for pm in m.value.as_object().unwrap_or(&[]) {
            if matches!(&pm.value.value, Value::Array(a) if a.is_empty()) {
                found.push((
                    "empty-array-principal",
                    pm.value.span,
                    format!("{elem_path}.{}", pm.key),
                    "this principal list is empty and matches no one".to_string(),
                    Some("name the principals, or remove the entry".to_string()),
                ));
            }
        }
        if s.is_allow() && s.principals.negated {
            found.push((
                "allow-with-notprincipal",
                m.key_span,
                elem_path.clone(),
                format!("statement {} allows everyone except the listed principals, including anonymous callers and every other account", s.label()),
                Some("use Principal with the principals that need access (add a condition on aws:PrincipalArn to exclude some)".to_string()),
            ));
        }
        let mut service_listed = None;
        for (ty, item) in &s.principals.entries {
            match *ty {
                "Service" if item.text != "*" => {
                    if !service_principal_ok(item.text) {
                        found.push((
                            "invalid-service-principal-format",
                            item.span,
                            item.path(),
                            format!("`{}` is not a service principal (SERVICE.amazonaws.com)", item.text),
                            None,
                        ));
                    }
                    service_listed.get_or_insert(item);
                }
                "Federated" if resource_side => found.push((
                    "federated-principal-not-supported",
                    item.span,
                    item.path(),
                    format!("`{}`: identity providers are principals only in role trust policies; a {} policy never matches them", item.text, ctx.kind.name()),
                    Some("name the role that federated users assume (AWS: arn:aws:iam::ACCOUNT:role/NAME)".to_string()),
                )),
                _ => {}
            }
        }
        if let Some(item) = service_listed {
            if s.is_allow() && !s.principals.negated && !s.restricts_with(SOURCE_KEYS) {
                found.push((
                    "restrict-access-to-service-principal",
                    item.span,
                    item.path(),
                    format!("`{}` is allowed without a source condition: the service can act on behalf of any customer's resource (confused deputy)", item.text),
                    Some("add a condition on aws:SourceArn or aws:SourceAccount naming your resource or account".to_string()),
                ));
            }
        }
    }
    for (code, span, path, msg, fix) in found {
        ctx.emit(code, span, path, msg, fix);
    }
}
