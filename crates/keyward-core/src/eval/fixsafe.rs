//! Safe fixes: how much access each fix adds (actions × principals), which statements are too
//! broad to widen (`kms:*`, key administration, identity statements on `Resource: "*"`), the
//! narrowly scoped candidates (one principal, the action, this key, the request's conditions;
//! a grant with the request's encryption context), and the ranking by added access.

use super::decide::PolicySet;
use super::fix::{Edit, Fix};
use super::request::Request;
use super::trace::{Source, Trace};
use crate::eval::call::{kms_action, KMS_ACTIONS};
use crate::model::{AwsPrincipal, PolicyKind, PrincipalType, Statement};
use serde::Serialize;
use std::collections::BTreeMap;

/// "Everything" for a count (any action, any principal).
pub(crate) const ALL: u32 = 10_000;
/// The principals of a whole account (an account principal, an SCP).
pub(crate) const ACCOUNT: u32 = 1_000;

use super::call::KEY_ADMIN_ACTIONS as ADMIN;

/// The access a fix adds: how many actions, to how many principals, and whether it widens a
/// statement that should not be widened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Access {
    /// Actions the fix allows that were not allowed (a request-side fix adds none).
    pub actions: u32,
    /// Principals that gain them (an account counts as 1,000, everyone as 10,000).
    pub principals: u32,
    /// It widens a statement that grants `kms:*` or key administration, or an identity
    /// statement on `Resource: "*"`: offered only when nothing narrower works, and last.
    pub broad: bool,
}

impl Access {
    /// Ranking key: narrow before broad, then fewer action–principal pairs, fewer actions,
    /// fewer principals.
    pub(crate) fn key(&self) -> (bool, u64, u32, u32) {
        (
            self.broad,
            u64::from(self.actions) * u64::from(self.principals),
            self.actions,
            self.principals,
        )
    }
}

/// How many actions a statement grants.
fn action_count(st: &Statement) -> u32 {
    if st.actions.negated {
        return ALL;
    }
    let mut n: u32 = 0;
    for p in &st.actions.patterns {
        let t = p.text.to_ascii_lowercase();
        let c = if t == "*" {
            ALL
        } else if t.starts_with("kms:") {
            let m = KMS_ACTIONS.iter().filter(|a| p.glob.matches(&a.iam.to_ascii_lowercase()));
            u32::try_from(m.count()).unwrap_or(ALL).max(1)
        } else if t.contains(['*', '?']) {
            100
        } else {
            1
        };
        n = n.saturating_add(c);
    }
    n.clamp(1, ALL)
}

/// How many principals a statement grants to.
fn principal_count(st: &Statement, source: Source) -> u32 {
    match source {
        Source::Scp { .. } | Source::Rcp { .. } => return ACCOUNT,
        Source::Identity { .. } | Source::Boundary | Source::Session | Source::Grant { .. } => {
            return 1
        }
        Source::ResourcePolicy => {}
    }
    let Some(spec) = &st.principal else { return 1 };
    if spec.any || spec.negated {
        return ALL;
    }
    let n = spec.entries.iter().fold(0u32, |n, e| {
        n.saturating_add(match (&e.kind, &e.aws) {
            (PrincipalType::Aws, AwsPrincipal::Any) => ALL,
            (PrincipalType::Aws, AwsPrincipal::Account(_)) => ACCOUNT,
            _ => 1,
        })
    });
    n.clamp(1, ALL)
}

/// Why widening this statement would give more than the request needs, in words (None: it is
/// narrow enough to widen).
pub(crate) fn breadth(st: &Statement, source: Source) -> Option<String> {
    let label = st.label();
    if let Some(p) =
        st.actions.patterns.iter().find(|p| {
            !st.actions.negated && (p.text == "*" || p.text.eq_ignore_ascii_case("kms:*"))
        })
    {
        return Some(format!(
            "statement {label} grants `{}`: every KMS action on the key, key administration (PutKeyPolicy, ScheduleKeyDeletion) included",
            p.text
        ));
    }
    if st.actions.negated {
        return Some(format!(
            "statement {label} uses NotAction: it grants every action it does not list"
        ));
    }
    if let Some(a) = ADMIN.iter().find(|a| st.actions.patterns.iter().any(|p| p.glob.matches(a))) {
        let name = kms_action(a).map_or(*a, |k| k.iam);
        return Some(format!(
            "statement {label} grants key administration ({name}): whoever it names can change or delete the key"
        ));
    }
    if matches!(source, Source::Identity { .. })
        && !st.resources.negated
        && st.resources.patterns.iter().any(|p| p.text == "*")
    {
        return Some(format!(
            "statement {label} applies to every resource (\"Resource\": \"*\"): what it gains, it gains on every key whose policy lets IAM decide"
        ));
    }
    None
}

/// The access an edit adds, and (for a broad one) what else it grants, in words.
pub(crate) fn access_of(set: &PolicySet, edit: &Edit) -> (Access, Option<String>) {
    let stmt = |source: Source, statement: usize| super::fix::statement_of(set, source, statement);
    let (source, statement) = match edit {
        Edit::SetContext { .. } | Edit::RemoveContext { .. } => return (Access::default(), None),
        Edit::AddGrant { operations, .. } => {
            let n = u32::try_from(operations.len()).unwrap_or(ALL);
            return (Access { actions: n, principals: 1, broad: false }, None);
        }
        Edit::AddStatement { source, statement } => {
            // A statement naming an account principal delegates to every principal of it.
            let names_account = serde_json::from_str::<serde_json::Value>(statement)
                .ok()
                .and_then(|v| {
                    v.pointer("/Principal/AWS").and_then(|p| p.as_str().map(str::to_string))
                })
                .is_some_and(|p| p.ends_with(":root") || p.bytes().all(|b| b.is_ascii_digit()));
            let principals = match source {
                Source::Scp { .. } | Source::Rcp { .. } => ACCOUNT,
                _ if names_account => ACCOUNT,
                _ => 1,
            };
            return (Access { actions: 1, principals, broad: false }, None);
        }
        Edit::AddAction { source, statement, .. }
        | Edit::AddResource { source, statement, .. }
        | Edit::AddPrincipal { source, statement, .. }
        | Edit::AddConditionValue { source, statement, .. } => (*source, *statement),
    };
    let Some(st) = stmt(source, statement) else {
        return (Access { actions: ALL, principals: ALL, broad: true }, None);
    };
    let why = breadth(st, source);
    let (actions, principals) = match edit {
        Edit::AddAction { .. } => (1, principal_count(st, source)),
        Edit::AddPrincipal { .. } => (action_count(st), 1),
        _ => (action_count(st), principal_count(st, source)),
    };
    (Access { actions, principals, broad: why.is_some() }, why)
}

/// Ranks verified fixes by the access they add: request-side fixes first, then the narrowest
/// policy edits; a broad edit is kept only when no narrower policy edit works, and then it is
/// last and says what else it grants. At most three are kept.
pub(crate) fn rank(set: &PolicySet, fixes: Vec<Fix>) -> Vec<Fix> {
    let mut scored: Vec<(Fix, Option<String>)> = fixes
        .into_iter()
        .map(|mut f| {
            let (access, why) = access_of(set, &f.edit);
            f.adds = access;
            (f, why)
        })
        .collect();
    let narrow_policy_fix = scored.iter().any(|(f, _)| !f.adds.broad && f.edit.is_policy_edit());
    scored.retain(|(f, _)| !(f.adds.broad && narrow_policy_fix));
    scored.sort_by_key(|(f, _)| f.adds.key());
    scored.truncate(3);
    scored
        .into_iter()
        .map(|(mut f, why)| {
            if let Some(w) = why {
                f.message = format!("{} (last resort: {w}; nothing narrower works)", f.message);
            }
            f
        })
        .collect()
}

/// The request's conditions, as a policy Condition block: its kms:ViaService and, for an
/// action that takes one, its encryption context (`None` when it has neither).
fn request_conditions(req: &Request) -> Option<serde_json::Value> {
    let mut eq = serde_json::Map::new();
    if let Some(v) = req.context.single_lc("kms:viaservice") {
        eq.insert("kms:ViaService".into(), v.into());
    }
    if super::action_takes_encryption_context(&req.action) {
        for (k, v) in super::encryption_context_pairs(&req.context) {
            eq.insert(format!("kms:EncryptionContext:{k}"), v.into());
        }
    }
    (!eq.is_empty()).then(|| serde_json::json!({ "StringEquals": eq }))
}

/// The request's conditions in words (`, only through s3.us-east-1.amazonaws.com with
/// encryption context Dept=Finance`), empty when it has none.
fn conditions_words(req: &Request) -> String {
    let mut parts = Vec::new();
    if let Some(v) = req.context.single_lc("kms:viaservice") {
        parts.push(format!("only through {v}"));
    }
    if super::action_takes_encryption_context(&req.action) {
        let ec: Vec<String> = super::encryption_context_pairs(&req.context)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !ec.is_empty() {
            parts.push(format!("with encryption context {}", ec.join(", ")));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(", {}", parts.join(" and "))
    }
}

/// A new statement naming one principal (when `principal` is given: resource policies), the
/// action, the resource and the request's conditions.
pub(crate) fn narrow_statement(
    req: &Request,
    principal: Option<&str>,
    resource: &str,
    sid: bool,
) -> String {
    let mut st = serde_json::Map::new();
    if sid {
        let name = req.action.rsplit(':').next().unwrap_or("Use");
        st.insert("Sid".into(), format!("Allow{name}").into());
    }
    st.insert("Effect".into(), "Allow".into());
    if let Some(p) = principal {
        st.insert("Principal".into(), serde_json::json!({ "AWS": p }));
    }
    st.insert("Action".into(), req.action.clone().into());
    st.insert("Resource".into(), resource.into());
    if let Some(c) = request_conditions(req) {
        st.insert("Condition".into(), c);
    }
    serde_json::Value::Object(st).to_string()
}

/// The narrowly scoped new statements and grant: one principal, the needed action, this key,
/// the request's conditions.
pub(crate) fn narrow_candidates(set: &PolicySet, req: &Request) -> Vec<Fix> {
    let mut out = Vec::new();
    if req.principal.kind == super::request::PrincipalKind::Service {
        // A service principal: the key (resource) policy must name it.
        if let Some(np) = &set.resource_policy {
            let svc = &req.principal.arn;
            let kms_policy = np.policy.kind == PolicyKind::Key;
            let resource = if kms_policy { "*".to_string() } else { req.resource.clone() };
            let mut st: serde_json::Value =
                serde_json::from_str(&narrow_statement(req, None, &resource, kms_policy))
                    .unwrap_or_default();
            if let Some(o) = st.as_object_mut() {
                o.insert("Principal".into(), serde_json::json!({ "Service": svc }));
            }
            out.push(Fix::new(
                format!(
                    "add a statement to {} that allows only the service principal {svc} {} on this resource{}",
                    np.name,
                    req.action,
                    conditions_words(req)
                ),
                Edit::AddStatement { source: Source::ResourcePolicy, statement: st.to_string() },
            ));
        }
        return out;
    }
    if !req.principal.is_iam() {
        return out;
    }
    let who = req.principal.policy_arn().to_string();
    let action = &req.action;
    let words = conditions_words(req);
    let rp = set.resource_policy.as_ref().map_or("the key policy".to_string(), |p| p.name.clone());
    let kms_policy = set.resource_policy.as_ref().is_some_and(|p| p.policy.kind == PolicyKind::Key);
    if set.resource_policy.is_some() {
        // A key policy's "*" is this key; another resource policy names the resource.
        let resource = if kms_policy { "*".to_string() } else { req.resource.clone() };
        out.push(Fix::new(
            format!(
                "add a statement to {rp} that allows only {who} {action} on this resource{words}"
            ),
            Edit::AddStatement {
                source: Source::ResourcePolicy,
                statement: narrow_statement(req, Some(&who), &resource, kms_policy),
            },
        ));
    }
    out.push(Fix::new(
        format!(
            "allow {action} on {} (this resource only) in an identity policy of {who}{words}",
            req.resource
        ),
        Edit::AddStatement {
            source: Source::Identity { index: set.identity.len() },
            statement: narrow_statement(req, None, &req.resource, false),
        },
    ));
    if let Some(g) = grant_candidate(req) {
        out.push(g);
    }
    out
}

/// A grant to the caller for the operation, constrained to the request's encryption context.
pub(crate) fn grant_candidate(req: &Request) -> Option<Fix> {
    if !req.is_kms_key() || !req.principal.is_iam() {
        return None;
    }
    let op = kms_action(&req.action).filter(|a| a.grant_operation)?;
    let who = req.principal.policy_arn().to_string();
    let subset: BTreeMap<String, String> = if op.encryption_context {
        super::encryption_context_pairs(&req.context)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    } else {
        BTreeMap::new()
    };
    let constraint = if subset.is_empty() {
        String::new()
    } else {
        let pairs: Vec<String> = subset.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(" with the constraint EncryptionContextSubset {{{}}}", pairs.join(", "))
    };
    Some(Fix::new(
        format!("create a grant on the key for {who} with the operation {}{constraint}", op.name),
        Edit::AddGrant {
            grantee: who,
            operations: vec![op.name.to_string()],
            encryption_context_subset: subset,
        },
    ))
}

/// Grants that would allow but for their encryption-context constraint: the request-side fix
/// (send the missing pairs; drop the extra ones of an Equals constraint).
pub(crate) fn grant_near_misses(set: &PolicySet, req: &Request, trace: &Trace) -> Vec<Fix> {
    let mut out = Vec::new();
    for gt in trace.grants.iter().filter(|g| g.grantee_matched && g.operation_matched) {
        if !matches!(gt.constraint, Some((_, false))) {
            continue;
        }
        let Some(c) = set.grants.get(gt.index).and_then(|g| g.constraint.as_ref()) else {
            continue;
        };
        let have: Vec<(&str, &str)> = super::encryption_context_pairs(&req.context).collect();
        let missing: Vec<&(String, String)> = c
            .pairs()
            .iter()
            .filter(|(k, v)| !have.iter().any(|(hk, hv)| hk.eq_ignore_ascii_case(k) && hv == v))
            .collect();
        for (k, v) in &missing {
            out.push(Fix::new(
                format!(
                    "send EncryptionContext {{\"{k}\": \"{v}\"}}: {} allows {} only with its {} constraint ({})",
                    gt.label,
                    req.action,
                    c.type_name(),
                    c.pairs().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
                ),
                Edit::SetContext { key: format!("kms:EncryptionContext:{k}"), value: v.clone() },
            ));
        }
        if matches!(c, crate::model::GrantConstraint::Equals(_)) && missing.is_empty() {
            for (k, _) in have
                .iter()
                .filter(|(k, _)| !c.pairs().iter().any(|(ck, _)| ck.eq_ignore_ascii_case(k)))
            {
                out.push(Fix::new(
                    format!(
                        "drop the pair {k} from the encryption context: {} allows {} only with exactly the context {}",
                        gt.label,
                        req.action,
                        c.pairs().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
                    ),
                    Edit::RemoveContext { key: format!("kms:EncryptionContext:{k}") },
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::eval::NamedPolicy;
    use crate::json::Limits;
    use crate::parse::parse_policy;

    fn set(key: &str, identity: &str) -> PolicySet {
        let p = |t: &str, k| {
            let text = format!(r#"{{"Version":"2012-10-17","Statement":[{t}]}}"#);
            NamedPolicy::new("p", parse_policy(&text, k, Limits::default()).0.unwrap())
        };
        PolicySet {
            resource_policy: Some(p(key, PolicyKind::Key)),
            identity: vec![p(identity, PolicyKind::Identity)],
            ..PolicySet::default()
        }
    }

    #[test]
    fn broad_edits_go_only_when_nothing_narrower_works_and_say_so() {
        let s = set(
            r#"{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"kms:*","Resource":"*"},{"Sid":"Use","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"kms:Encrypt","Resource":"*"}"#,
            r#"{"Sid":"Logs","Effect":"Allow","Action":"logs:*","Resource":"*"}"#,
        );
        let star = Fix::new(
            "add alice to Root".into(),
            Edit::AddPrincipal {
                source: Source::ResourcePolicy,
                statement: 0,
                principal: "a".into(),
                principal_type: "AWS",
            },
        );
        let logs = Fix::new(
            "add kms:Decrypt to Logs".into(),
            Edit::AddAction {
                source: Source::Identity { index: 0 },
                statement: 0,
                action: "kms:Decrypt".into(),
            },
        );
        let narrow = Fix::new(
            "add kms:Decrypt to Use".into(),
            Edit::AddAction {
                source: Source::ResourcePolicy,
                statement: 1,
                action: "kms:Decrypt".into(),
            },
        );
        let request =
            Fix::new("send".into(), Edit::SetContext { key: "k".into(), value: "v".into() });
        // With a narrower policy fix, the broad ones are dropped; the request fix comes first.
        let out = rank(&s, vec![star.clone(), logs.clone(), narrow, request.clone()]);
        let msgs: Vec<&str> = out.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(msgs, ["send", "add kms:Decrypt to Use"]);
        assert_eq!(out[1].adds, Access { actions: 1, principals: 1, broad: false });
        // Without one, they stay, last, and say what else they grant.
        let out = rank(&s, vec![star, request, logs]);
        assert_eq!(out[0].message, "send");
        assert!(out[1..].iter().all(|f| f.adds.broad && f.message.contains("(last resort: ")));
        assert!(out.iter().any(|f| f.message.contains("grants `kms:*`")), "{out:?}");
        assert!(out.iter().any(|f| f.message.contains("applies to every resource")), "{out:?}");
        // kms:* on the key counts every KMS action; the admin statement is broad.
        assert!(out.iter().any(|f| f.adds.actions > 40 && f.adds.principals == 1));
    }
}
