//! The smallest fixes: edits that turn an implicit deny into an Allow, each one verified by
//! applying it and deciding again.

use super::decide::{decide, NamedPolicy, Outcome, PolicySet, Rule};
use super::request::{CtxValue, Request};
use super::trace::{Source, Trace};
use super::Decision;
use crate::json::Limits;
use crate::model::{
    ActionPattern, AwsPrincipal, Effect, OpBase, PolicyKind, PrincipalEntry, PrincipalType,
    ResourcePattern, SetOp,
};
use crate::parse::parse_policy;
use crate::span::Span;
use serde::Serialize;
use std::sync::Arc;

/// An edit to the policies or the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Edit {
    /// Add an action to a statement's Action list.
    AddAction {
        /// Policy.
        source: Source,
        /// Statement index.
        statement: usize,
        /// Action.
        action: String,
    },
    /// Add a resource to a statement's Resource list.
    AddResource {
        /// Policy.
        source: Source,
        /// Statement index.
        statement: usize,
        /// Resource ARN.
        resource: String,
    },
    /// Add a principal to a statement's Principal, under `principal_type`.
    AddPrincipal {
        /// Policy.
        source: Source,
        /// Statement index.
        statement: usize,
        /// Principal ARN, or a service principal's name (`dynamodb.amazonaws.com`).
        principal: String,
        /// The key of Principal it goes under: `AWS`, or `Service` for a service principal.
        principal_type: &'static str,
    },
    /// Append a statement (JSON) to a policy (creating an identity policy if needed).
    AddStatement {
        /// Policy.
        source: Source,
        /// The statement, as JSON.
        statement: String,
    },
    /// Change the request: set a context key (e.g. the encryption context).
    SetContext {
        /// Key.
        key: String,
        /// New value.
        value: String,
    },
    /// Change the request: remove a context key.
    RemoveContext {
        /// Key.
        key: String,
    },
}

/// A suggested fix: what to do, in words, and the edit that does it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// For people.
    pub message: String,
    /// The edit (applying it turns the decision into Allow).
    pub edit: Edit,
}

/// Applies an edit to copies of the inputs.
pub fn apply(set: &PolicySet, req: &Request, edit: &Edit) -> Option<(PolicySet, Request)> {
    let mut set = set.clone();
    let mut req = req.clone();
    match edit {
        Edit::SetContext { key, value } => req.context.set(key, CtxValue::One(value.clone())),
        Edit::RemoveContext { key } => req.context.remove(key),
        Edit::AddAction { source, statement, action } => {
            let st = statement_mut(&mut set, *source, *statement)?;
            st.actions.patterns.push(ActionPattern::new(action, Span::SYNTHETIC));
        }
        Edit::AddResource { source, statement, resource } => {
            let st = statement_mut(&mut set, *source, *statement)?;
            st.resources.patterns.push(ResourcePattern::new(resource, Span::SYNTHETIC, false));
        }
        Edit::AddPrincipal { source, statement, principal, principal_type } => {
            let st = statement_mut(&mut set, *source, *statement)?;
            let spec = st.principal.as_mut()?;
            spec.entries.push(PrincipalEntry {
                kind: if *principal_type == "Service" {
                    PrincipalType::Service
                } else {
                    PrincipalType::Aws
                },
                text: principal.clone(),
                aws: AwsPrincipal::parse(principal),
                span: Span::SYNTHETIC,
            });
        }
        Edit::AddStatement { source, statement } => {
            let kind = match source {
                Source::ResourcePolicy => {
                    set.resource_policy.as_ref().map_or(PolicyKind::Key, |p| p.policy.kind)
                }
                Source::Identity { .. } => PolicyKind::Identity,
                Source::Boundary => PolicyKind::Boundary,
                Source::Session => PolicyKind::Session,
                Source::Scp { .. } => PolicyKind::Scp,
                Source::Rcp { .. } => PolicyKind::Rcp,
                Source::Grant { .. } => return None,
            };
            let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
            let (Some(parsed), diags) = parse_policy(&text, kind, Limits::default()) else {
                return None;
            };
            if !diags.is_empty() {
                return None;
            }
            let mut new_stmt = parsed.statements.into_iter().next()?;
            if let Source::Identity { index } = source {
                if *index >= set.identity.len() {
                    set.identity.push(NamedPolicy::new(
                        "new identity policy",
                        crate::model::Policy { statements: Vec::new(), ..parsed_shell(kind) },
                    ));
                }
            }
            let slot = policy_slot(&mut set, *source)?;
            let policy = Arc::make_mut(&mut slot.policy);
            new_stmt.index = policy.statement_count;
            policy.statement_count += 1;
            policy.statements.push(new_stmt);
        }
    }
    Some((set, req))
}

fn parsed_shell(kind: PolicyKind) -> crate::model::Policy {
    crate::model::Policy {
        kind,
        version: crate::model::Version::V2012_10_17,
        id: None,
        statements: Vec::new(),
        statement_count: 0,
        span: Span::SYNTHETIC,
    }
}

fn policy_slot(set: &mut PolicySet, source: Source) -> Option<&mut NamedPolicy> {
    match source {
        Source::ResourcePolicy => set.resource_policy.as_mut(),
        Source::Identity { index } => set.identity.get_mut(index),
        Source::Boundary => set.boundary.as_mut(),
        Source::Session => set.session.as_mut(),
        Source::Scp { level, index } => set.scps.get_mut(level)?.get_mut(index),
        Source::Rcp { level, index } => set.rcps.get_mut(level)?.get_mut(index),
        Source::Grant { .. } => None,
    }
}

fn statement_mut(
    set: &mut PolicySet,
    source: Source,
    index: usize,
) -> Option<&mut crate::model::Statement> {
    let slot = policy_slot(set, source)?;
    Arc::make_mut(&mut slot.policy).statements.iter_mut().find(|s| s.index == index)
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Finds the smallest fixes for an implicit deny (none for Allow or an explicit deny).
pub fn find_fixes(set: &PolicySet, req: &Request, outcome: &Outcome, trace: &Trace) -> Vec<Fix> {
    if outcome.decision != Decision::ImplicitDeny {
        return Vec::new();
    }
    let mut candidates: Vec<Fix> = Vec::new();
    let action = &req.action;
    let who = req.principal.policy_arn().to_string();
    // 1. Allow statements that miss by exactly one element.
    for pt in &trace.policies {
        let name = &pt.name;
        for st in pt.statements.iter().filter(|s| s.effect == Effect::Allow && !s.applies) {
            let failures = st.failures();
            if failures.len() != 1 {
                continue;
            }
            let label = st.label();
            let (source, statement) = (pt.source, st.index);
            if !st.action.matched && st.action.element == "Action" {
                candidates.push(Fix {
                    message: format!("add {action} to the Action of statement {label} in {name}"),
                    edit: Edit::AddAction { source, statement, action: action.clone() },
                });
            } else if !st.resource.matched && st.resource.element == "Resource" {
                candidates.push(Fix {
                    message: format!(
                        "add {} to the Resource of statement {label} in {name}",
                        req.resource
                    ),
                    edit: Edit::AddResource { source, statement, resource: req.resource.clone() },
                });
            } else if st.principal.as_ref().is_some_and(|p| !p.matched && p.element == "Principal")
            {
                let service = req.principal.kind == super::PrincipalKind::Service;
                let (principal_type, under) =
                    if service { ("Service", " under \"Service\"") } else { ("AWS", "") };
                candidates.push(Fix {
                    message: format!(
                        "add {who}{under} to the Principal of statement {label} in {name}"
                    ),
                    edit: Edit::AddPrincipal {
                        source,
                        statement,
                        principal: who.clone(),
                        principal_type,
                    },
                });
            } else if let Some(c) = st.conditions.iter().find(|c| !c.result) {
                if let Some(fix) = condition_fix(c, &label, name, pt.source, st.index, set) {
                    candidates.push(fix);
                }
            }
        }
    }
    // 2. New statements, per the rule that decided.
    let key_stmt = |principal: &str| {
        format!(
            r#"{{"Sid":"Allow{}","Effect":"Allow","Principal":{{"AWS":{}}},"Action":{},"Resource":"*"}}"#,
            action.rsplit(':').next().unwrap_or("Use"),
            json_str(principal),
            json_str(action)
        )
    };
    let id_stmt = format!(
        r#"{{"Effect":"Allow","Action":{},"Resource":{}}}"#,
        json_str(action),
        json_str(&req.resource)
    );
    let rp = set.resource_policy.as_ref().map_or("the key policy".to_string(), |p| p.name.clone());
    match outcome.rule {
        Rule::KmsNotDelegated => candidates.push(Fix {
            message: format!("add a statement to {rp} that allows account {} (arn:aws:iam::{}:root) {action}, so its IAM policies count", req.principal.account, req.principal.account),
            edit: Edit::AddStatement { source: Source::ResourcePolicy, statement: key_stmt(&req.principal.account_arn()) },
        }),
        Rule::ScpNoAllow => {
            let level = (0..set.scps.len()).find(|&l| !trace.policies.iter().any(|p| matches!(p.source, Source::Scp { level, .. } if level == l) && p.statements.iter().any(|s| s.applies && s.effect == Effect::Allow)));
            if let Some(level) = level.filter(|l| set.scps.get(*l).is_some_and(|v| !v.is_empty())) {
                candidates.push(Fix {
                    message: format!("allow {action} in an SCP at level {} (SCPs never grant, but every level must allow)", level + 1),
                    edit: Edit::AddStatement { source: Source::Scp { level, index: 0 }, statement: id_stmt.clone() },
                });
            }
        }
        Rule::BoundaryNoAllow => candidates.push(Fix {
            message: format!("allow {action} on {} in the permissions boundary", req.resource),
            edit: Edit::AddStatement { source: Source::Boundary, statement: id_stmt.clone() },
        }),
        Rule::SessionNoAllow => candidates.push(Fix {
            message: format!("allow {action} on {} in the session policy", req.resource),
            edit: Edit::AddStatement { source: Source::Session, statement: id_stmt.clone() },
        }),
        _ => {}
    }
    if set.resource_policy.is_some() && req.principal.is_iam() {
        candidates.push(Fix {
            message: format!("add a statement to {rp} that allows {who} {action}"),
            edit: Edit::AddStatement { source: Source::ResourcePolicy, statement: key_stmt(&who) },
        });
    }
    if req.principal.is_iam() {
        candidates.push(Fix {
            message: format!("allow {action} on {} in an identity policy of {who}", req.resource),
            edit: Edit::AddStatement {
                source: Source::Identity { index: set.identity.len() },
                statement: id_stmt,
            },
        });
    }
    // Keep the ones that work, in order (smallest edits first), without repeats.
    let mut out: Vec<Fix> = Vec::new();
    for f in candidates {
        if out.iter().any(|o| o.edit == f.edit) {
            continue;
        }
        if let Some((s2, r2)) = apply(set, req, &f.edit) {
            if decide(&s2, &r2) == Decision::Allow {
                out.push(f);
            }
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

fn condition_fix(
    c: &super::trace::CondTrace,
    label: &str,
    name: &str,
    _source: Source,
    _stmt: usize,
    set: &PolicySet,
) -> Option<Fix> {
    let _ = set;
    let op = crate::model::Operator::parse(&c.operator)?;
    let key = c.key.clone();
    let shown = |v: &Option<Vec<String>>| match v {
        None => "is missing".to_string(),
        Some(vals) => format!("is {}", vals.join(", ")),
    };
    let pretty_key = key
        .strip_prefix("kms:EncryptionContext:")
        .map(|k| format!("encryption context key {k}"))
        .unwrap_or_else(|| key.clone());
    if op.negated || op.set == SetOp::ForAllValues {
        if c.request.is_some() {
            return Some(Fix {
                message: format!(
                    "in the request, {pretty_key} {} but statement {label} in {name} requires {} {} {}",
                    shown(&c.request),
                    key,
                    c.operator,
                    c.values.join(", ")
                ),
                edit: Edit::RemoveContext { key },
            });
        }
        return None;
    }
    let value = c.values.first()?.clone();
    let value = match op.base {
        OpBase::Null => return None,
        OpBase::StringLike | OpBase::ArnLike if value.contains(['*', '?']) => return None,
        _ => value,
    };
    let msg = match &c.request {
        Some(v) => format!(
            "in the request, {pretty_key} {} but statement {label} in {name} requires {} ({}): send {key}={value}",
            shown(&Some(v.clone())),
            c.values.join(" or "),
            c.operator
        ),
        None => format!("the request has no {key}, which statement {label} in {name} requires ({} {}): send {key}={value}", c.operator, c.values.join(" or ")),
    };
    Some(Fix { message: msg, edit: Edit::SetContext { key, value } })
}
