//! `keyward.explain(...)`: the inputs of `keyward explain` as one JSON object, decided and
//! explained by keyward-core. Mirrors the CLI's flag handling; documents arrive as text.

use crate::util::{diag_error, doc, docs, fail, object, opt_str, pairs};
use keyward_core::eval::call::{arn_region, key_arn, Call, KeyFacts};
use keyward_core::eval::{
    explain, render_human, CtxValue, NamedPolicy, PolicySet, Principal, Request,
};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_grants, parse_policy};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Parses one policy document; errors carry the document's name and line:col.
pub(crate) fn policy(d: &(String, String), kind: PolicyKind) -> Result<NamedPolicy, Value> {
    let (name, text) = d;
    let (p, diags) = parse_policy(text, kind, Limits::default());
    if let Some(e) = diag_error(name, text, &diags) {
        return Err(e);
    }
    p.map(|p| NamedPolicy::new(name.clone(), p))
        .ok_or_else(|| fail(format!("{name} is not a policy"), None))
}

fn policies(
    o: &Map<String, Value>,
    field: &str,
    kind: PolicyKind,
) -> Result<Vec<NamedPolicy>, Value> {
    docs(o, field)?.iter().map(|d| policy(d, kind)).collect()
}

fn build(o: &Map<String, Value>) -> Result<(PolicySet, Request), Value> {
    let principal = opt_str(o, "principal")?
        .ok_or_else(|| fail("`principal` is required", Some("principal")))?;
    let action =
        opt_str(o, "action")?.ok_or_else(|| fail("`action` is required", Some("action")))?;
    let principal = Principal::parse(&principal)
        .map_err(|e| fail(format!("principal: {e}"), Some("principal")))?;
    let mut set = PolicySet::default();
    if let Some(d) = doc(o, "key_policy")? {
        set.resource_policy = Some(policy(&d, PolicyKind::Key)?);
    } else if let Some(d) = doc(o, "resource_policy")? {
        set.resource_policy = Some(policy(&d, PolicyKind::Resource)?);
    }
    set.identity = policies(o, "identity_policies", PolicyKind::Identity)?;
    if let Some(d) = doc(o, "boundary")? {
        set.boundary = Some(policy(&d, PolicyKind::Boundary)?);
    }
    if let Some(d) = doc(o, "session_policy")? {
        set.session = Some(policy(&d, PolicyKind::Session)?);
    }
    let scps = policies(o, "scps", PolicyKind::Scp)?;
    if !scps.is_empty() {
        set.scps = vec![scps];
    }
    let rcps = policies(o, "rcps", PolicyKind::Rcp)?;
    if !rcps.is_empty() {
        set.rcps = vec![rcps];
    }
    if let Some((name, text)) = doc(o, "grants")? {
        let (grants, diags) = parse_grants(&text, Limits::default());
        if let Some(e) = diag_error(&name, &text, &diags) {
            return Err(e);
        }
        set.grants = grants.into_iter().map(Arc::new).collect();
    }
    let region = opt_str(o, "region")?;
    let resource = match (opt_str(o, "key")?, opt_str(o, "resource")?) {
        (Some(k), _) => key_arn(&k, region.as_deref(), &principal.account).ok_or_else(|| {
            fail("key: give the key ARN or id; pass the alias as `alias`", Some("key"))
        })?,
        (None, Some(r)) => r,
        (None, None) => "*".to_string(),
    };
    let time = opt_str(o, "time")?;
    if let Some(t) = &time {
        if keyward_core::model::parse_date(t).is_none() {
            return Err(fail(
                format!("time `{t}`: expected RFC 3339, e.g. 2026-03-10T14:00:00Z"),
                Some("time"),
            ));
        }
    }
    let is_key = resource.split(':').nth(2) == Some("kms");
    let mut call = Call {
        region: region.or_else(|| arn_region(&resource).map(str::to_string)),
        principal_tags: pairs(o, "principal_tags")?,
        encryption_context: pairs(o, "encryption_context")?,
        via_service: opt_str(o, "via_service")?,
        time,
        request_alias: opt_str(o, "alias")?,
        key: if is_key { KeyFacts::symmetric_default() } else { KeyFacts::default() },
        ..Call::new(action, resource)
    };
    match o.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let value = match v {
                    Value::Array(list) => CtxValue::Many(
                        list.iter()
                            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                            .collect(),
                    ),
                    Value::String(s) => CtxValue::One(s.clone()),
                    other => CtxValue::One(other.to_string()),
                };
                call.extra.push((k.clone(), value));
            }
        }
        Some(_) => return Err(fail("`context` must be a mapping", Some("context"))),
    }
    Ok((set, call.request(principal)))
}

/// Decides and explains; `{"ok": true, "explanation": ..., "human": ...}`.
pub(crate) fn run(args_json: &str) -> Value {
    let o = match object(args_json) {
        Ok(o) => o,
        Err(e) => return e,
    };
    match build(&o) {
        Ok((set, req)) => {
            let e = explain(&set, &req);
            json!({"ok": true, "explanation": e, "human": render_human(&e)})
        }
        Err(e) => e,
    }
}
