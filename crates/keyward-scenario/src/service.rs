//! Service-call cases: a case's `service_call` expanded through the core catalogue
//! ([`keyward_core::eval::call::service`]) into the service's own request and the KMS requests
//! the service makes, each with the policy set of whoever makes it; the first that is not
//! allowed decides the case.

use crate::build::{caller, find_key, key_facts, resource_policy, sides};
use crate::{Case, Scenario, ServiceCallDef};
use keyward_core::eval::call::service::{
    aws_managed_key_arn, aws_managed_key_policy_text, aws_managed_service, expand, region_mismatch,
    Actor, ResolvedKey, ServiceCall, WhichKey,
};
use keyward_core::eval::call::{arn_account, arn_region, default_key_policy, MultiRegion};
use keyward_core::eval::{
    decide_traced, Decision, NamedPolicy, Outcome, PolicySet, Principal, Request, Trace,
};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::parse_policy;
use std::sync::Arc;

/// One request of a service call, decided.
#[derive(Debug, Clone)]
pub struct ServiceStep {
    /// Who calls what, in plain words.
    pub label: String,
    /// The policy set of the caller of this step.
    pub set: PolicySet,
    /// The request.
    pub request: Request,
    /// Its outcome.
    pub outcome: Outcome,
    /// Its trace.
    pub trace: Trace,
}

/// A service call, run: the steps decided in order, up to the first that is not allowed or
/// fails.
#[derive(Debug, Clone, Default)]
pub struct ServiceRun {
    /// The decided steps.
    pub steps: Vec<ServiceStep>,
    /// The KMS actions the operation needs, in order.
    pub kms: Vec<String>,
    /// The AWS error (code, why) a KMS request failed with before authorization.
    pub error: Option<(String, String)>,
}

impl ServiceRun {
    /// The outcome and trace of the deciding step: the first not allowed, else the last.
    pub fn deciding(&self) -> (Option<Outcome>, Option<Trace>) {
        let step =
            self.steps.iter().find(|s| s.outcome.decision != Decision::Allow).or(self.steps.last());
        (step.map(|s| s.outcome.clone()), step.map(|s| s.trace.clone()))
    }
}

/// A key as a service call sees it: its ARN, facts, policy and grants.
struct Key {
    resolved: ResolvedKey,
    policy: NamedPolicy,
    grants: Vec<Arc<keyward_core::model::Grant>>,
    alias: Option<String>,
    /// Regions of replicas with their policies (multi-Region keys).
    replicas: Vec<(String, NamedPolicy)>,
}

fn managed_key(alias: &str, account: &str, region: &str, endpoint: &str) -> Result<Key, String> {
    let (account, region) = match alias.split_once(":alias/") {
        Some((head, _)) => (
            arn_account(head).unwrap_or(account).to_string(),
            arn_region(head).unwrap_or(region).to_string(),
        ),
        None => (account.to_string(), region.to_string()),
    };
    let text = aws_managed_key_policy_text(&account, &region, endpoint);
    let policy = parse_policy(&text, PolicyKind::Key, Limits::default())
        .0
        .ok_or_else(|| format!("account `{account}`: no AWS managed key policy"))?;
    let name =
        alias.rsplit_once(":alias/").map_or(alias.to_string(), |(_, n)| format!("alias/{n}"));
    Ok(Key {
        resolved: ResolvedKey {
            arn: aws_managed_key_arn(alias, &account, &region),
            facts: keyward_core::eval::call::KeyFacts {
                aliases: vec![name.clone()],
                ..keyward_core::eval::call::KeyFacts::symmetric_default()
            },
        },
        policy: NamedPolicy::new(format!("AWS managed key policy of {name}"), policy),
        grants: Vec::new(),
        alias: None,
        replicas: Vec::new(),
    })
}

fn resolve(s: &Scenario, r: &str, account: &str, region: &str) -> Result<Key, String> {
    if let Some(endpoint) = aws_managed_service(r) {
        return managed_key(r, account, region, endpoint);
    }
    let (k, alias) = find_key(s, r).ok_or_else(|| format!("no key `{r}` in the scenario"))?;
    let key_account = arn_account(&k.arn).unwrap_or_default().to_string();
    let policy = k.policy.clone().unwrap_or_else(|| default_key_policy(&key_account));
    let replicas = k
        .replicas
        .iter()
        .map(|(reg, p)| (reg.clone(), p.clone().unwrap_or_else(|| policy.clone())))
        .collect();
    Ok(Key {
        resolved: ResolvedKey { arn: k.arn.clone(), facts: key_facts(k) },
        policy,
        grants: k.grants.clone(),
        alias,
        replicas,
    })
}

/// The key a step uses in `region`: a multi-Region key's replica there when it has one.
fn in_region(key: &Key, region: &str) -> (String, NamedPolicy, Option<MultiRegion>) {
    let home = arn_region(&key.resolved.arn).unwrap_or_default();
    match key.replicas.iter().find(|(r, _)| r == region).filter(|_| home != region) {
        Some((r, p)) => {
            let arn = key.resolved.arn.replacen(&format!(":{home}:"), &format!(":{r}:"), 1);
            (arn, p.clone(), Some(MultiRegion::Replica))
        }
        None => (key.resolved.arn.clone(), key.policy.clone(), key.resolved.facts.multi_region),
    }
}

/// Expands and decides a service-call case.
pub fn service_steps(s: &Scenario, case: &Case) -> Result<ServiceRun, String> {
    let sc_def: &ServiceCallDef =
        case.service_call.as_ref().ok_or("the case has no `service_call`")?;
    let (principal, def) = caller(s, &case.principal)?;
    let region = sc_def
        .region
        .clone()
        .or_else(|| s.defaults.region.clone())
        .unwrap_or_else(|| "us-east-1".to_string());
    let account = principal.account.clone();
    let key = |r: &Option<String>, region: &str| -> Result<Option<Key>, String> {
        r.as_deref().map(|r| resolve(s, r, &account, region)).transpose()
    };
    let param = |n: &str| sc_def.params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let main = key(&sc_def.key, &region)?;
    let source = key(&param("source_key"), &region)?;
    // An AWS managed key named for the destination is the one of the destination Region.
    let dest_region = param("destination_region").unwrap_or_else(|| region.clone());
    let destination = key(&param("destination_key"), &dest_region)?;
    let sc = ServiceCall {
        region: region.clone(),
        resource: sc_def.resource.clone(),
        params: sc_def.params.clone(),
        main_key: main.as_ref().map(|k| k.resolved.clone()),
        source_key: source.as_ref().map(|k| k.resolved.clone()),
        destination_key: destination.as_ref().map(|k| k.resolved.clone()),
    };
    let mut run = ServiceRun {
        kms: keyward_core::eval::call::service::kms_actions(sc_def.op, &sc),
        ..ServiceRun::default()
    };
    for step in expand(sc_def.op, &sc) {
        let (p, d) = match &step.actor {
            Actor::Caller => (principal.clone(), def),
            Actor::Role(arn) => caller(s, arn)?,
            Actor::Service(name) => (Principal::parse(&format!("service:{name}"))?, None),
        };
        let mut call = step.call.clone();
        call.time = s.defaults.time.clone();
        if p.is_iam() {
            call.principal_tags = d.map(|d| d.tags.clone()).unwrap_or_default();
            call.principal_id = d.and_then(|d| d.id.clone());
        }
        call.extra.extend(case.context.iter().cloned());
        let mut set = PolicySet::default();
        match step.key {
            None => {
                set.resource_account = s.defaults.account.clone();
                set.resource_policy = resource_policy(s, &call.resource);
            }
            Some(which) => {
                let k = match which {
                    WhichKey::Main => main.as_ref(),
                    WhichKey::Source => source.as_ref(),
                    WhichKey::Destination => destination.as_ref().or(main.as_ref()),
                }
                .ok_or("a KMS step without its key")?;
                let step_region = call.region.clone().unwrap_or_else(|| region.clone());
                let (arn, policy, multi) = in_region(k, &step_region);
                if let Some(m) = region_mismatch(&arn, &step_region) {
                    run.error = Some((m.code().to_string(), m.why()));
                    return Ok(run);
                }
                call.resource = arn.clone();
                call.key.multi_region = multi;
                call.request_alias = k.alias.clone();
                set.resource_policy = Some(policy);
                set.grants = k.grants.clone();
                set.resource_account = arn_account(&arn).map(str::to_string);
            }
        }
        sides(s, case, &p, d, &call.resource, &mut set);
        if step.actor != Actor::Caller {
            // The case's session policy is the caller's; a service principal has no identity
            // side at all.
            set.session = None;
        }
        if !p.is_iam() {
            set.identity.clear();
            set.boundary = None;
        }
        let request = call.request(p);
        let (outcome, trace) = decide_traced(&set, &request);
        let allowed = outcome.decision == Decision::Allow;
        run.steps.push(ServiceStep { label: step.label, set, request, outcome, trace });
        if !allowed {
            break;
        }
    }
    Ok(run)
}

/// One service call described outside a scenario file (`keyward explain --service-call`, the
/// WASM module): the pieces a scenario would hold.
#[derive(Debug, Clone)]
pub struct ServiceInputs {
    /// The caller.
    pub principal: String,
    /// The catalogue row.
    pub op: &'static keyward_core::eval::call::service::ServiceOp,
    /// What the call touches.
    pub resource: String,
    /// The key: a key ARN, or an AWS managed key alias (`alias/aws/s3` or its ARN).
    pub key: Option<String>,
    /// Alias the request named the key by (kms:RequestAlias, `kms:ResourceAliases`).
    pub key_alias: Option<String>,
    /// The key policy (`None`: the default key policy).
    pub key_policy: Option<NamedPolicy>,
    /// Grants on the key.
    pub grants: Vec<Arc<keyward_core::model::Grant>>,
    /// The Region of the call.
    pub region: Option<String>,
    /// Service-specific options; `source_key` / `destination_key` are key ARNs (default key
    /// policy) or AWS managed key aliases.
    pub params: Vec<(String, String)>,
    /// The caller's identity policies.
    pub identity: Vec<NamedPolicy>,
    /// The caller's permissions boundary.
    pub boundary: Option<NamedPolicy>,
    /// The caller's session policy.
    pub session: Option<NamedPolicy>,
    /// SCP levels of the caller's account.
    pub scps: Vec<Vec<NamedPolicy>>,
    /// RCP levels.
    pub rcps: Vec<Vec<NamedPolicy>>,
    /// The service resource's own policy (bucket policy, secret policy, ...).
    pub resource_policy: Option<NamedPolicy>,
    /// Tags of the caller.
    pub principal_tags: Vec<(String, String)>,
}

fn key_def(name: &str, arn: &str, policy: Option<NamedPolicy>) -> crate::KeyDef {
    crate::KeyDef {
        name: name.to_string(),
        arn: arn.to_string(),
        policy,
        aliases: Vec::new(),
        key_spec: "SYMMETRIC_DEFAULT".into(),
        key_usage: "ENCRYPT_DECRYPT".into(),
        key_origin: "AWS_KMS".into(),
        state: "Enabled".into(),
        tags: Vec::new(),
        grants: Vec::new(),
        multi_region: false,
        replicas: Vec::new(),
    }
}

/// A scenario of one service-call case made from `i`; run it with [`service_steps`].
pub fn one_service_call(i: ServiceInputs) -> Result<(Scenario, Case), String> {
    let principal = Principal::parse(&i.principal)?;
    let mut s = Scenario {
        defaults: crate::Defaults {
            account: Some(principal.account.clone()),
            region: i.region.clone(),
            time: None,
        },
        scps: i.scps,
        rcps: i.rcps,
        ..Scenario::default()
    };
    if let Some(k) = i.key.as_deref().filter(|k| aws_managed_service(k).is_none()) {
        let mut def = key_def("key", k, i.key_policy.clone());
        def.grants = i.grants.clone();
        def.aliases = i.key_alias.iter().cloned().collect();
        s.keys.push(def);
    }
    for p in ["source_key", "destination_key"] {
        if let Some((_, k)) = i.params.iter().find(|(n, _)| n == p) {
            if aws_managed_service(k).is_none() && !s.keys.iter().any(|d| d.arn == *k) {
                s.keys.push(key_def(p, k, None));
            }
        }
    }
    let def_arn = principal.role_arn.clone().unwrap_or_else(|| principal.arn.clone());
    s.principals.push(crate::PrincipalDef {
        arn: def_arn,
        policies: i.identity,
        boundary: i.boundary,
        tags: i.principal_tags,
        id: None,
    });
    if let Some(p) = i.resource_policy {
        s.resources.push((i.resource.clone(), p));
    }
    let case = Case {
        name: format!("{}:{}", i.op.service, i.op.operation),
        principal: i.principal,
        session_policy: i.session,
        action: format!("{}:{}", i.op.service, i.op.operation),
        key: None,
        resource: None,
        encryption_context: Vec::new(),
        via_service: None,
        grant_tokens: Vec::new(),
        context: Vec::new(),
        create_grant: None,
        grant_id: None,
        expect: Decision::Allow,
        expect_error: None,
        expect_kms: None,
        expect_rule: None,
        service_call: Some(ServiceCallDef {
            op: i.op,
            resource: i.resource,
            key: match (&i.key_alias, &i.key) {
                (Some(a), Some(k)) if aws_managed_service(k).is_none() => Some(a.clone()),
                _ => i.key,
            },
            region: i.region,
            params: i.params,
        }),
        span: keyward_core::span::Span::SYNTHETIC,
    };
    Ok((s, case))
}
