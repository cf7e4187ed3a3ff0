//! Grant documents: a CreateGrant request, a list of grants, or a ListGrants response.
//!
//! Field names are AWS's (`GranteePrincipal`, `Operations`, ...); the scenario format's
//! snake_case names (`grantee`, `operations`, ...) are accepted as synonyms.

use super::unique_members;
use crate::diag::Diagnostic;
use crate::json::{self, Limits, Node, Value};
use crate::model::{Grant, GrantConstraint, GRANT_OPERATIONS};

/// Reads and parses grants.
pub fn parse_grants(text: &str, limits: Limits) -> (Vec<Grant>, Vec<Diagnostic>) {
    let (root, mut diags) = json::read(text, limits);
    let Some(root) = root else { return (Vec::new(), diags) };
    let (g, d) = parse_grants_node(&root);
    diags.extend(d);
    (g, diags)
}

/// Parses grants from a JSON tree.
pub fn parse_grants_node(root: &Node) -> (Vec<Grant>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut grants = Vec::new();
    let list: Vec<(&Node, String)> = match (&root.value, root.get("Grants")) {
        (Value::Array(items), _) => {
            items.iter().enumerate().map(|(i, n)| (n, format!("[{i}]"))).collect()
        }
        (Value::Object(_), Some(g)) => match &g.value {
            Value::Array(items) => {
                items.iter().enumerate().map(|(i, n)| (n, format!("Grants[{i}]"))).collect()
            }
            _ => {
                diags.push(Diagnostic::error(
                    "wrong-type",
                    g.span,
                    "Grants",
                    format!("Grants must be an array, found {}", g.type_name()),
                ));
                Vec::new()
            }
        },
        (Value::Object(_), None) => {
            if root.get("KeyId").is_none()
                && root.get("key_id").is_none()
                && root.get("GrantId").is_none()
            {
                diags.push(Diagnostic::error(
                    "invalid-grant",
                    root.span,
                    "",
                    "a CreateGrant request needs `KeyId`",
                ));
            }
            vec![(root, String::new())]
        }
        _ => {
            diags.push(Diagnostic::error(
                "invalid-grant",
                root.span,
                "",
                format!(
                    "a grant document must be an object or an array, found {}",
                    root.type_name()
                ),
            ));
            Vec::new()
        }
    };
    for (node, path) in list {
        if let Some(g) = grant(node, &path, &mut diags) {
            grants.push(g);
        }
    }
    (grants, diags)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn grant(node: &Node, path: &str, diags: &mut Vec<Diagnostic>) -> Option<Grant> {
    let Some(members) = node.as_object() else {
        diags.push(Diagnostic::error(
            "invalid-grant",
            node.span,
            path,
            format!("a grant must be an object, found {}", node.type_name()),
        ));
        return None;
    };
    let before = diags.len();
    let mut g = Grant {
        grant_id: None,
        key_id: None,
        grantee: String::new(),
        retiring_principal: None,
        operations: Vec::new(),
        constraint: None,
        source_arn: None,
        name: None,
        issuing_account: None,
        creation_date: None,
        span: node.span,
    };
    let mut has_grantee = false;
    let mut has_ops = false;
    for m in unique_members(members) {
        let p = join(path, &m.key);
        let text = |diags: &mut Vec<Diagnostic>| -> Option<String> {
            match &m.value.value {
                Value::String(s) => Some(s.clone()),
                _ => {
                    diags.push(Diagnostic::error(
                        "invalid-grant",
                        m.value.span,
                        &p,
                        format!("`{}` must be a string, found {}", m.key, m.value.type_name()),
                    ));
                    None
                }
            }
        };
        match m.key.as_str() {
            "GrantId" | "grant_id" => g.grant_id = text(diags),
            "KeyId" | "key_id" => g.key_id = text(diags),
            "GranteePrincipal" | "GranteeServicePrincipal" | "grantee" => {
                has_grantee = true;
                g.grantee = text(diags).unwrap_or_default();
            }
            "RetiringPrincipal" | "RetiringServicePrincipal" | "retiring_principal" => {
                g.retiring_principal = text(diags)
            }
            "Name" | "name" => g.name = text(diags),
            "IssuingAccount" | "issuing_account" => g.issuing_account = text(diags),
            "CreationDate" | "creation_date" => {
                g.creation_date = match &m.value.value {
                    Value::Number(n) => Some(n.to_string()),
                    _ => text(diags),
                }
            }
            "Operations" | "operations" => {
                has_ops = true;
                let Value::Array(items) = &m.value.value else {
                    diags.push(Diagnostic::error(
                        "invalid-grant",
                        m.value.span,
                        &p,
                        format!(
                            "Operations must be an array of operation names, found {}",
                            m.value.type_name()
                        ),
                    ));
                    continue;
                };
                let mut list = Vec::new();
                for item in items {
                    match &item.value {
                        Value::String(s) => list.push((s.as_str(), item.span)),
                        _ => diags.push(Diagnostic::error(
                            "invalid-grant",
                            item.span,
                            &p,
                            format!("an operation must be a string, found {}", item.type_name()),
                        )),
                    }
                }
                for (op, span) in list {
                    if GRANT_OPERATIONS.contains(&op) {
                        g.operations.push(op.to_string());
                    } else {
                        let hint = GRANT_OPERATIONS
                            .iter()
                            .find(|k| k.eq_ignore_ascii_case(op))
                            .map(|k| {
                                format!(" (did you mean `{k}`? operation names are case-sensitive)")
                            })
                            .unwrap_or_default();
                        diags.push(Diagnostic::error(
                            "invalid-grant-operation",
                            span,
                            &p,
                            format!("`{op}` is not a grant operation{hint}"),
                        ));
                    }
                }
            }
            "Constraints" | "constraints" => constraints(&m.value, &p, &mut g, diags),
            "GrantTokens" | "DryRun" | "grant_tokens" => {}
            other => diags.push(Diagnostic::error(
                "unknown-element",
                m.key_span,
                &p,
                format!("unknown grant field `{other}`"),
            )),
        }
    }
    if !has_grantee {
        diags.push(Diagnostic::error(
            "invalid-grant",
            node.span,
            path,
            "the grant has no `GranteePrincipal`",
        ));
    }
    if !has_ops {
        diags.push(Diagnostic::error(
            "invalid-grant",
            node.span,
            path,
            "the grant has no `Operations`",
        ));
    }
    (diags.len() == before).then_some(g)
}

fn constraints(v: &Node, path: &str, g: &mut Grant, diags: &mut Vec<Diagnostic>) {
    let Some(members) = v.as_object() else {
        diags.push(Diagnostic::error(
            "invalid-grant-constraint",
            v.span,
            path,
            format!("Constraints must be an object, found {}", v.type_name()),
        ));
        return;
    };
    for m in unique_members(members) {
        let p = join(path, &m.key);
        let equals = match m.key.as_str() {
            "EncryptionContextEquals" => true,
            "EncryptionContextSubset" => false,
            "SourceArn" => {
                match m.value.as_str() {
                    Some(s) => g.source_arn = Some(s.to_string()),
                    None => diags.push(Diagnostic::error(
                        "invalid-grant-constraint",
                        m.value.span,
                        &p,
                        "SourceArn must be a string",
                    )),
                }
                continue;
            }
            other => {
                diags.push(Diagnostic::error(
                    "invalid-grant-constraint",
                    m.key_span,
                    &p,
                    format!("unknown constraint `{other}` (expected EncryptionContextEquals, EncryptionContextSubset or SourceArn)"),
                ));
                continue;
            }
        };
        if g.constraint.is_some() {
            diags.push(Diagnostic::error(
                "invalid-grant-constraint",
                m.key_span,
                &p,
                "a grant can have EncryptionContextEquals or EncryptionContextSubset, not both",
            ));
            continue;
        }
        let Some(pairs) = m.value.as_object() else {
            diags.push(Diagnostic::error(
                "invalid-grant-constraint",
                m.value.span,
                &p,
                format!("`{}` must be an object of strings", m.key),
            ));
            continue;
        };
        let mut out = Vec::new();
        for pm in unique_members(pairs) {
            match pm.value.as_str() {
                Some(s) => out.push((pm.key.clone(), s.to_string())),
                None => diags.push(Diagnostic::error(
                    "invalid-grant-constraint",
                    pm.value.span,
                    join(&p, &pm.key),
                    format!(
                        "encryption context values must be strings, found {}",
                        pm.value.type_name()
                    ),
                )),
            }
        }
        g.constraint =
            Some(if equals { GrantConstraint::Equals(out) } else { GrantConstraint::Subset(out) });
    }
}
