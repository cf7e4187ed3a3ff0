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
    let key = |r: &Option<String>| -> Result<Option<Key>, String> {
        r.as_deref().map(|r| resolve(s, r, &account, &region)).transpose()
    };
    let param = |n: &str| sc_def.params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let main = key(&sc_def.key)?;
    let source = key(&param("source_key"))?;
    let destination = key(&param("destination_key"))?;
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
        if !p.is_iam() {
            set.identity.clear();
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
