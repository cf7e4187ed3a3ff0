//! `keyward explain --service-call s3:PutObject --resource ARN --key KEY ...`: the requests an
//! AWS service makes for one of its operations (its own action, then each KMS request, as the
//! caller through the service, as the service principal, or creating a grant for the service),
//! each decided; the first that is not allowed is explained.

use crate::explain::{pair, Args};
use crate::explain_input as checked;
use crate::files;
use crate::input::load_policy;
use crate::output::HumanOrJson;
use keyward_core::eval::call::service::aws_managed_service;
use keyward_core::eval::{explain, render_human, Decision};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::parse_grants;
use keyward_scenario::{one_service_call, service_steps, ServiceInputs};
use std::sync::Arc;

fn inputs(a: &Args) -> Result<ServiceInputs, String> {
    let op = checked::service_call(a.service_call.as_deref().unwrap_or_default())?;
    let principal_text = a.principal.clone().ok_or("--principal is required")?;
    let principal = checked::principal(&principal_text)?;
    let resource = a.resource.clone().ok_or_else(|| {
        format!("--resource: give what {}:{} touches (its ARN)", op.service, op.operation)
    })?;
    if !resource.starts_with("arn:") {
        return Err(format!("--resource `{resource}`: expected an ARN (arn:aws:SERVICE:...)"));
    }
    let (maps, _) = checked::alias_maps(&a.alias)?;
    let region = a.region.as_deref();
    let mut key_alias = None;
    let key = match &a.key {
        None => None,
        Some(k) if aws_managed_service(k).is_some() => {
            if a.key_policy.is_some() {
                return Err(format!(
                    "--key-policy: `{k}` is an AWS managed key; its policy is AWS's and cannot be given"
                ));
            }
            Some(k.clone())
        }
        Some(k) if k.starts_with("alias/aws/") || k.contains(":alias/aws/") => {
            return Err(format!("--key `{k}`: no AWS managed key by that name"));
        }
        Some(k) => {
            let r = checked::key(k, &maps, region, &principal.account, "--key")?
                .ok_or_else(|| format!("--key `{k}`: not a key"))?;
            key_alias = r.alias;
            Some(r.arn)
        }
    };
    let mut params = Vec::new();
    for p in &a.param {
        let (k, v) = pair(p, "param")?;
        let v = if matches!(k.as_str(), "source_key" | "destination_key") {
            let dest_region =
                a.param.iter().find_map(|p| p.strip_prefix("destination_region=")).or(region);
            match checked::key(&v, &maps, dest_region, &principal.account, "--param")? {
                Some(r) => r.arn,
                None => v,
            }
        } else {
            v
        };
        params.push((k, v));
    }
    let policies = |ps: &[std::path::PathBuf], kind| {
        ps.iter().map(|p| load_policy(p, kind)).collect::<Result<Vec<_>, _>>()
    };
    let grants = match &a.grants {
        Some(p) => {
            let text = files::read(p)?;
            let (gs, diags) = parse_grants(&text, Limits::default());
            if keyward_core::diag::has_errors(&diags) {
                return Err(format!("--grants {}: not a grant document", p.display()));
            }
            gs.into_iter().map(Arc::new).collect()
        }
        None => Vec::new(),
    };
    let scps = policies(&a.scp, PolicyKind::Scp)?;
    let rcps = policies(&a.rcp, PolicyKind::Rcp)?;
    Ok(ServiceInputs {
        principal: principal_text,
        op,
        resource,
        key,
        key_alias,
        key_policy: a.key_policy.as_deref().map(|p| load_policy(p, PolicyKind::Key)).transpose()?,
        grants,
        region: a.region.clone(),
        params,
        identity: policies(&a.identity_policy, PolicyKind::Identity)?,
        boundary: a
            .boundary
            .as_deref()
            .map(|p| load_policy(p, PolicyKind::Boundary))
            .transpose()?,
        session: a
            .session_policy
            .as_deref()
            .map(|p| load_policy(p, PolicyKind::Session))
            .transpose()?,
        scps: if scps.is_empty() { Vec::new() } else { vec![scps] },
        rcps: if rcps.is_empty() { Vec::new() } else { vec![rcps] },
        resource_policy: a
            .resource_policy
            .as_deref()
            .map(|p| load_policy(p, PolicyKind::Resource))
            .transpose()?,
        principal_tags: a
            .principal_tag
            .iter()
            .map(|t| pair(t, "principal-tag"))
            .collect::<Result<_, _>>()?,
    })
}

/// Runs `explain --service-call`; exit 0 when every request is allowed, 1 when one is not,
/// 2 on bad input.
pub(crate) fn run(a: &Args) -> u8 {
    if a.action.is_some() || !a.encryption_context.is_empty() || a.via_service.is_some() {
        eprintln!(
            "error: --service-call derives the action, the encryption context and kms:ViaService; \
             drop --action, --encryption-context and --via-service"
        );
        return 2;
    }
    let built = inputs(a).and_then(one_service_call).and_then(|(s, c)| service_steps(&s, &c));
    let run = match built {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let deciding = run
        .steps
        .iter()
        .position(|s| s.outcome.decision != Decision::Allow)
        .or(run.steps.len().checked_sub(1));
    let e = deciding.and_then(|i| run.steps.get(i)).map(|s| explain(&s.set, &s.request));
    if a.format == HumanOrJson::Json {
        let steps: Vec<_> = run
            .steps
            .iter()
            .map(|s| {
                serde_json::json!({
                    "request": s.label, "decision": s.outcome.decision.name(), "rule": s.outcome.rule,
                })
            })
            .collect();
        let v = serde_json::json!({
            "service_call": a.service_call,
            "kms_actions": run.kms,
            "steps": steps,
            "error": run.error.as_ref().map(|(code, why)| serde_json::json!({"code": code, "why": why})),
            "explanation": e,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!(
            "Service call: {} needs {}",
            a.service_call.as_deref().unwrap_or_default(),
            if run.kms.is_empty() { "no KMS request".to_string() } else { run.kms.join(", ") }
        );
        for (i, s) in run.steps.iter().enumerate() {
            println!("  {}. {} -> {}", i + 1, s.label, s.outcome.decision.name());
        }
        if let Some((code, why)) = &run.error {
            println!("  {}. KMS refuses the request: {code}", run.steps.len() + 1);
            println!("Why: {why}");
        } else if let Some(e) = &e {
            println!();
            print!("{}", render_human(e));
        }
    }
    u8::from(run.error.is_some() || e.is_some_and(|e| e.decision != Decision::Allow))
}
