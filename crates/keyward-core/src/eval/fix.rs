//! Fixes: edits that turn an implicit deny into an Allow, each one verified by applying it and
//! deciding again, ranked by the access they add (`fixsafe.rs`).

use super::decide::{decide, NamedPolicy, Outcome, PolicySet, Rule};
pub use super::fixsafe::Access;
use super::fixsafe::{grant_candidate, grant_near_misses, narrow_candidates, rank};
use super::request::{CtxValue, Request};
use super::trace::{Source, Trace};
use super::Decision;
use crate::json::Limits;
use crate::model::{
    ActionPattern, AwsPrincipal, CondValue, Effect, Grant, GrantConstraint, OpBase, Operator,
    PolicyKind, PrincipalEntry, PrincipalType, ResourcePattern, SetOp,
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
    /// Add a value to a condition of a statement (the value the request carries, e.g. the
    /// kms:ViaService of another Region).
    AddConditionValue {
        /// Policy.
        source: Source,
        /// Statement index.
        statement: usize,
        /// Operator as written.
        operator: String,
        /// Condition key as written.
        key: String,
        /// The value to add.
        value: String,
    },
    /// Create a grant on the key (a CreateGrant request).
    AddGrant {
        /// GranteePrincipal.
        grantee: String,
        /// Operations.
        operations: Vec<String>,
        /// Constraints.EncryptionContextSubset (empty: no constraint).
        encryption_context_subset: std::collections::BTreeMap<String, String>,
    },
}

impl Edit {
    /// True for an edit to a policy or the grants (false for a change of the request).
    pub fn is_policy_edit(&self) -> bool {
        !matches!(self, Edit::SetContext { .. } | Edit::RemoveContext { .. })
    }
}

/// A suggested fix: what to do, in words, and the edit that does it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// For people.
    pub message: String,
    /// The edit (applying it turns the decision into Allow).
    pub edit: Edit,
    /// The access it adds (fixes are ranked by it).
    pub adds: Access,
    /// Security findings of keyward lint that the fixed policy has and the original has not
    /// (codes; filled in by `keyward_lint::fixes::label_fixes`, empty until then).
    pub lint: Vec<String>,
}

impl Fix {
    /// A fix with its words and edit (access and lint labels are filled in later).
    pub fn new(message: String, edit: Edit) -> Fix {
        Fix { message, edit, adds: Access::default(), lint: Vec::new() }
    }
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
        Edit::AddConditionValue { source, statement, operator, key, value } => {
            let variables = policy_slot(&mut set, *source)?.policy.version.variables();
            let st = statement_mut(&mut set, *source, *statement)?;
            let c = st
                .conditions
                .iter_mut()
                .find(|c| c.op.name == *operator && c.key.eq_ignore_ascii_case(key))?;
            let op: &Operator = &c.op;
            let v = CondValue::compile(op, value, Span::SYNTHETIC, variables);
            c.values.push(v);
        }
        Edit::AddGrant { grantee, operations, encryption_context_subset } => {
            let pairs: Vec<(String, String)> =
                encryption_context_subset.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            set.grants.push(Arc::new(Grant {
                grant_id: None,
                key_id: None,
                grantee: grantee.clone(),
                retiring_principal: None,
                operations: operations.clone(),
                constraint: (!pairs.is_empty()).then_some(GrantConstraint::Subset(pairs)),
                source_arn: None,
                name: Some("keyward-fix".into()),
                issuing_account: None,
                creation_date: None,
                span: Span::SYNTHETIC,
            }));
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

/// The statement `index` of the policy at `source`.
pub(crate) fn statement_of(
    set: &PolicySet,
    source: Source,
    index: usize,
) -> Option<&crate::model::Statement> {
    let np = match source {
        Source::ResourcePolicy => set.resource_policy.as_ref(),
        Source::Identity { index } => set.identity.get(index),
        Source::Boundary => set.boundary.as_ref(),
        Source::Session => set.session.as_ref(),
        Source::Scp { level, index } => set.scps.get(level).and_then(|l| l.get(index)),
        Source::Rcp { level, index } => set.rcps.get(level).and_then(|l| l.get(index)),
        Source::Grant { .. } => None,
    }?;
    np.policy.statements.iter().find(|s| s.index == index)
}

pub(crate) fn statement_mut(
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

/// Finds the fixes for an implicit deny (none for Allow or an explicit deny): every candidate
/// is applied to copies of the inputs and kept only if deciding again gives Allow; the ones
/// kept are ranked by the access they add (at most three, see `fixsafe::rank`).
pub fn find_fixes(set: &PolicySet, req: &Request, outcome: &Outcome, trace: &Trace) -> Vec<Fix> {
    if outcome.decision != Decision::ImplicitDeny {
        return Vec::new();
    }
    let mut candidates: Vec<Fix> = Vec::new();
    let action = &req.action;
    let who = req.principal.policy_arn().to_string();
    // 0. Grants that miss only by their encryption-context constraint: send the missing pair,
    // or make a grant with the needed constraint.
    let grant_misses = grant_near_misses(set, req, trace);
    let grant_missed = !grant_misses.is_empty();
    candidates.extend(grant_misses);
    if grant_missed {
        candidates.extend(grant_candidate(req));
    }
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
                candidates.push(Fix::new(
                    format!("add {action} to the Action of statement {label} in {name}"),
                    Edit::AddAction { source, statement, action: action.clone() },
                ));
            } else if !st.resource.matched && st.resource.element == "Resource" {
                candidates.push(Fix::new(
                    format!("add {} to the Resource of statement {label} in {name}", req.resource),
                    Edit::AddResource { source, statement, resource: req.resource.clone() },
                ));
            } else if st.principal.as_ref().is_some_and(|p| {
                !p.matched && p.element == "Principal" && !super::nearmiss::names_only_services(p)
            }) {
                let service = req.principal.kind == super::PrincipalKind::Service;
                let (principal_type, under) =
                    if service { ("Service", " under \"Service\"") } else { ("AWS", "") };
                candidates.push(Fix::new(
                    format!("add {who}{under} to the Principal of statement {label} in {name}"),
                    Edit::AddPrincipal {
                        source,
                        statement,
                        principal: who.clone(),
                        principal_type,
                    },
                ));
            } else if let Some(c) = st.conditions.iter().find(|c| !c.result) {
                candidates.extend(condition_fix(c, &label, name));
                candidates.extend(value_fix(c, &label, name, source, statement));
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
        Rule::KmsNotDelegated => candidates.push(Fix::new(
            format!("add a statement to {rp} that allows account {} (arn:aws:iam::{}:root) {action}, so its IAM policies count", req.principal.account, req.principal.account),
            Edit::AddStatement { source: Source::ResourcePolicy, statement: key_stmt(&req.principal.account_arn()) },
        )),
        Rule::ScpNoAllow => {
            let level = (0..set.scps.len()).find(|&l| !trace.policies.iter().any(|p| matches!(p.source, Source::Scp { level, .. } if level == l) && p.statements.iter().any(|s| s.applies && s.effect == Effect::Allow)));
            if let Some(level) = level.filter(|l| set.scps.get(*l).is_some_and(|v| !v.is_empty())) {
                candidates.push(Fix::new(
                    format!("allow {action} in an SCP at level {} (SCPs never grant, but every level must allow)", level + 1),
                    Edit::AddStatement { source: Source::Scp { level, index: 0 }, statement: id_stmt },
                ));
            }
        }
        Rule::BoundaryNoAllow => candidates.push(Fix::new(
            format!("allow {action} on {} in the permissions boundary", req.resource),
            Edit::AddStatement { source: Source::Boundary, statement: id_stmt },
        )),
        Rule::SessionNoAllow => candidates.push(Fix::new(
            format!("allow {action} on {} in the session policy", req.resource),
            Edit::AddStatement { source: Source::Session, statement: id_stmt },
        )),
        _ => {}
    }
    // 3. Narrowly scoped new statements and a grant: one principal, the action, this
    // resource, the request's conditions.
    candidates.extend(narrow_candidates(set, req));
    // Keep the ones that work, without repeats, then rank them by the access they add.
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
    }
    rank(set, out)
}

/// Context keys that describe the caller or the resource: a request cannot change them, so a
/// fix never asks to send another value (the policy-value edit is offered instead).
fn caller_fixed(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    matches!(
        k.as_str(),
        "aws:principalarn"
            | "aws:principalaccount"
            | "kms:calleraccount"
            | "aws:principaltype"
            | "aws:userid"
            | "aws:username"
            | "aws:principalorgid"
            | "aws:principalorgpaths"
            | "aws:principalisawsservice"
            | "aws:principalservicename"
            | "aws:resourceaccount"
            | "aws:resourceorgid"
            | "aws:resourceorgpaths"
            | "kms:keyspec"
            | "kms:keyusage"
            | "kms:keyorigin"
            | "kms:multiregion"
            | "kms:multiregionkeytype"
    ) || k.starts_with("aws:principaltag/")
        || k.starts_with("aws:resourcetag/")
}

/// The policy-value edit: a positive condition that the request fails with a value of its own
/// (e.g. kms:ViaService of another Region) gets that value added to the statement.
fn value_fix(
    c: &super::trace::CondTrace,
    label: &str,
    name: &str,
    source: Source,
    statement: usize,
) -> Option<Fix> {
    let op = Operator::parse(&c.operator)?;
    if op.negated || op.set != SetOp::None || op.base == OpBase::Null {
        return None;
    }
    let [value] = c.request.as_deref()? else { return None };
    Some(Fix::new(
        format!(
            "in statement {label} of {name}, add {value} to the values of condition {} {} (now {}): the request carries {value}",
            c.operator,
            c.key,
            c.values.join(", ")
        ),
        Edit::AddConditionValue {
            source,
            statement,
            operator: c.operator.clone(),
            key: c.key.clone(),
            value: value.clone(),
        },
    ))
}

fn condition_fix(c: &super::trace::CondTrace, label: &str, name: &str) -> Option<Fix> {
    let op = Operator::parse(&c.operator)?;
    let key = c.key.clone();
    let via = key.eq_ignore_ascii_case("kms:ViaService");
    if caller_fixed(&key) || (via && c.request.is_some()) {
        // The caller cannot send another account, ARN or tag; and the Region and service a
        // call comes through are where the resource is, not a choice of the request.
        return None;
    }
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
            return Some(Fix::new(
                format!(
                    "in the request, {pretty_key} {} but statement {label} in {name} requires {} {} {}",
                    shown(&c.request),
                    key,
                    c.operator,
                    c.values.join(", ")
                ),
                Edit::RemoveContext { key },
            ));
        }
        return None;
    }
    let value = c.values.first()?.clone();
    let value = match op.base {
        OpBase::Null => return None,
        OpBase::StringLike | OpBase::ArnLike if value.contains(['*', '?']) => return None,
        _ => value,
    };
    if via {
        return Some(Fix::new(
            format!("make the call through the service ({value}): statement {label} in {name} allows this only when kms:ViaService is {} ({}), which the service sets when it calls KMS for the caller; a direct call has none", c.values.join(" or "), c.operator),
            Edit::SetContext { key, value },
        ));
    }
    let msg = match &c.request {
        Some(v) => format!(
            "in the request, {pretty_key} {} but statement {label} in {name} requires {} ({}): send {key}={value}",
            shown(&Some(v.clone())),
            c.values.join(" or "),
            c.operator
        ),
        None => format!("the request has no {key}, which statement {label} in {name} requires ({} {}): send {key}={value}", c.operator, c.values.join(" or ")),
    };
    Some(Fix::new(msg, Edit::SetContext { key, value }))
}
