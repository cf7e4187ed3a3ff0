//! `explain_service_call(bundle)`: the explain bundle with a `request.service_call` (service,
//! operation, resource, key, region, params) instead of an action: the service's own action and
//! each KMS request the service makes, decided; the first that is not allowed is explained.

use crate::explain::{doc_error, explanation_json, fix_document, load, Inputs};
use crate::util::{fail, opt_str, type_name};
use keyward_core::diag::has_errors;
use keyward_core::eval::call::service::{service_op, service_operations, services, SERVICE_OPS};
use keyward_core::eval::{explain, Decision, Source};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::parse_grants;
use keyward_scenario::{one_service_call, service_steps, ServiceInputs, ServiceStep};
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn inputs(inp: &Inputs) -> Result<ServiceInputs, Value> {
    let r = &inp.request;
    let principal = opt_str(r, "principal", "request.principal")?
        .ok_or_else(|| fail("request.principal is missing", Some("request.principal")))?;
    let sc = match r.get("service_call") {
        Some(Value::Object(o)) => o,
        Some(v) => {
            let m = format!("request.service_call must be an object, not {}", type_name(v));
            return Err(fail(m, Some("request.service_call")));
        }
        None => return Err(fail("request.service_call is missing", Some("request.service_call"))),
    };
    let field = |k: &str| opt_str(sc, k, &format!("request.service_call.{k}"));
    let need = |k: &str| -> Result<&str, Value> {
        field(k)?.ok_or_else(|| {
            let f = format!("request.service_call.{k}");
            fail(format!("{f} is missing"), Some(&f))
        })
    };
    let service = need("service")?;
    let operation = need("operation")?;
    let op = service_op(service, operation).ok_or_else(|| {
        if services().contains(&service) {
            fail(
                format!(
                    "{service} has no operation `{operation}` (known: {})",
                    service_operations(service).join(", ")
                ),
                Some("request.service_call.operation"),
            )
        } else {
            fail(
                format!("unknown service `{service}` (known: {})", services().join(", ")),
                Some("request.service_call.service"),
            )
        }
    })?;
    let params = match sc.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => params(m)?,
        Some(v) => {
            let m = format!("request.service_call.params must be an object, not {}", type_name(v));
            return Err(fail(m, Some("request.service_call.params")));
        }
    };
    let doc = |field: &str, name: &str, t: &Option<String>, kind| {
        t.as_deref().map(|t| load(field, name, t, kind)).transpose()
    };
    let mut identity = Vec::new();
    for (i, (name, t)) in inp.identity.iter().enumerate() {
        identity.push(load(&format!("identity_policies[{i}]"), name, t, PolicyKind::Identity)?);
    }
    let mut levels = [Vec::new(), Vec::new()];
    for (n, (field, src, kind)) in
        [("scps", &inp.scps, PolicyKind::Scp), ("rcps", &inp.rcps, PolicyKind::Rcp)]
            .into_iter()
            .enumerate()
    {
        for (l, level) in src.iter().enumerate() {
            let mut v = Vec::new();
            for (i, (name, t)) in level.iter().enumerate() {
                v.push(load(&format!("{field}[{l}][{i}]"), name, t, kind)?);
            }
            if let Some(slot) = levels.get_mut(n) {
                slot.push(v);
            }
        }
    }
    let [scps, rcps] = levels;
    let grants = match &inp.grants {
        Some(t) => {
            let (gs, diags) = parse_grants(t, Limits::default());
            if has_errors(&diags) {
                return Err(doc_error("grants", t, &diags, "grants"));
            }
            gs.into_iter().map(Arc::new).collect()
        }
        None => Vec::new(),
    };
    let key = field("key")?.filter(|k| !k.is_empty()).map(str::to_string);
    if let Some(k) = &key {
        let managed = k.starts_with("alias/aws/") || k.contains(":alias/aws/");
        if !managed && !k.starts_with("arn:aws:kms:") {
            return Err(fail(
                format!(
                    "request.service_call.key `{k}`: expected a key ARN \
                     (arn:aws:kms:REGION:ACCOUNT:key/ID) or alias/aws/SERVICE"
                ),
                Some("request.service_call.key"),
            ));
        }
    }
    Ok(ServiceInputs {
        principal: principal.to_string(),
        op,
        resource: need("resource")?.to_string(),
        key,
        key_alias: None,
        key_policy: doc("key_policy", "the key policy", &inp.key_policy, PolicyKind::Key)?,
        grants,
        region: field("region")?.map(str::to_string),
        params,
        identity,
        boundary: doc("boundary", "the permissions boundary", &inp.boundary, PolicyKind::Boundary)?,
        session: doc("session_policy", "the session policy", &inp.session, PolicyKind::Session)?,
        scps,
        rcps,
        resource_policy: doc(
            "resource_policy",
            "the resource policy",
            &inp.resource_policy,
            PolicyKind::Resource,
        )?,
        principal_tags: Vec::new(),
    })
}

fn params(m: &Map<String, Value>) -> Result<Vec<(String, String)>, Value> {
    m.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Bool(b) => Ok((k.clone(), b.to_string())),
            other => {
                let f = format!("request.service_call.params.{k}");
                Err(fail(
                    format!("{f} must be a string or boolean, not {}", type_name(other)),
                    Some(&f),
                ))
            }
        })
        .collect()
}

/// The explanation of one step, its fixes through the lint gate: a KMS request's resource
/// policy is the bundle's key policy, the service's own action's is its resource policy.
fn explain_step(step: &ServiceStep, inp: &Inputs) -> Value {
    let mut e = explain(&step.set, &step.request);
    let kms = step.request.action.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("kms:"));
    let docs = Inputs {
        key_policy: if kms { inp.key_policy.clone() } else { None },
        resource_policy: if kms { None } else { inp.resource_policy.clone() },
        ..inp.clone()
    };
    keyward_lint::fixes::label_fixes(&mut e, &|s: Source| fix_document(&docs, s));
    explanation_json(&e, None)
}

/// The catalogue of service operations for a form: `[{service, operation, action, kms,
/// source}]`, in table order (`kms` lists the KMS actions the service makes).
pub fn catalogue() -> Value {
    Value::Array(
        SERVICE_OPS
            .iter()
            .map(|o| {
                let kms: Vec<&str> = o.kms.iter().map(|k| k.action).collect();
                json!({"service": o.service, "operation": o.operation, "action": o.action,
                       "kms": kms, "source": o.source})
            })
            .collect(),
    )
}

/// `explain_service_call(bundle)`.
pub fn run(bundle: &str) -> Value {
    let inp = match Inputs::parse(bundle) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let si = match inputs(&inp) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let run = match one_service_call(si).and_then(|(s, c)| service_steps(&s, &c)) {
        Ok(r) => r,
        Err(e) => return fail(e, Some("request")),
    };
    let steps: Vec<Value> = run
        .steps
        .iter()
        .map(|s| json!({"request": s.label, "decision": s.outcome.decision.name(), "rule": s.outcome.rule}))
        .collect();
    let deciding =
        run.steps.iter().find(|s| s.outcome.decision != Decision::Allow).or(run.steps.last());
    let explanation = deciding.map(|s| explain_step(s, &inp));
    let decision = match (&run.error, deciding) {
        (Some((code, _)), _) => code.clone(),
        (None, Some(s)) => s.outcome.decision.name().to_string(),
        (None, None) => "Allow".to_string(),
    };
    json!({
        "ok": true,
        "decision": decision,
        "kms_actions": run.kms,
        "steps": steps,
        "error": run.error.as_ref().map(|(code, why)| json!({"code": code, "why": why})),
        "explanation": explanation,
    })
}
