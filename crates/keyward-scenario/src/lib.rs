//! keyward-scenario: scenario files (policies, keys, grants, principals and cases with expected
//! decisions), loaded from JSON or YAML with the position of every value, and run.
//!
//! The format is documented in `tests/scenarios/README.md`. This crate is pure like the engine
//! it drives: files referenced by path (a key policy given as `"policy": "kp.json"`) are read
//! through a [`Resolver`] the caller supplies, so the CLI reads from disk and the browser from
//! memory. The engine itself knows nothing of this format; a case becomes a request through
//! [`keyward_core::eval::call`].

mod build;
mod loader;
mod service;
mod yaml;

pub use build::build_case;
pub use service::{one_service_call, service_steps, ServiceInputs, ServiceRun, ServiceStep};

use keyward_core::diag::Diagnostic;
use keyward_core::eval::{decide_traced, CtxValue, Decision, NamedPolicy, Outcome, Trace};
use keyward_core::json::{self, Limits};
use keyward_core::model::Grant;
use keyward_core::span::Span;
use std::sync::Arc;

/// Reads a file named in a scenario (path relative to the scenario file) as text.
pub type Resolver<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Scenario-wide defaults.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// Owner account of keys without an ARN; the account SCPs and RCPs apply to.
    pub account: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Request time (RFC 3339).
    pub time: Option<String>,
}

/// A KMS key in a scenario.
#[derive(Debug, Clone)]
pub struct KeyDef {
    /// Local name.
    pub name: String,
    /// Key ARN.
    pub arn: String,
    /// Key policy (`None`: the default key policy).
    pub policy: Option<NamedPolicy>,
    /// Alias names (`alias/...`).
    pub aliases: Vec<String>,
    /// KeySpec.
    pub key_spec: String,
    /// KeyUsage.
    pub key_usage: String,
    /// Origin.
    pub key_origin: String,
    /// Key state (does not change authorization).
    pub state: String,
    /// Tags (`aws:ResourceTag/*`).
    pub tags: Vec<(String, String)>,
    /// Grants.
    pub grants: Vec<Arc<Grant>>,
    /// A multi-Region key (`kms:MultiRegion`).
    pub multi_region: bool,
    /// Regions holding a replica (same key id), each with its own policy when given.
    pub replicas: Vec<(String, Option<NamedPolicy>)>,
}

/// An identity (user or role) and its policies.
#[derive(Debug, Clone)]
pub struct PrincipalDef {
    /// User or role ARN (or an account id).
    pub arn: String,
    /// Identity policies.
    pub policies: Vec<NamedPolicy>,
    /// Permissions boundary.
    pub boundary: Option<NamedPolicy>,
    /// Tags (`aws:PrincipalTag/*`).
    pub tags: Vec<(String, String)>,
    /// Unique id (AIDA.../AROA...) for `aws:userid`.
    pub id: Option<String>,
}

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Name.
    pub name: String,
    /// Caller.
    pub principal: String,
    /// Session policy.
    pub session_policy: Option<NamedPolicy>,
    /// Action.
    pub action: String,
    /// Key reference (local name, id, ARN or alias).
    pub key: Option<String>,
    /// Resource ARN for non-KMS actions.
    pub resource: Option<String>,
    /// Encryption context.
    pub encryption_context: Vec<(String, String)>,
    /// kms:ViaService.
    pub via_service: Option<String>,
    /// Grant tokens (do not change the decision).
    pub grant_tokens: Vec<String>,
    /// Raw context entries (override derived ones).
    pub context: Vec<(String, CtxValue)>,
    /// For kms:CreateGrant: the grant requested (derives the kms:Grant* keys).
    pub create_grant: Option<Grant>,
    /// For kms:RetireGrant: the id of the key's grant to retire (default: its only grant).
    pub grant_id: Option<String>,
    /// Expected decision.
    pub expect: Decision,
    /// Expected AWS error code instead of a decision (a service call that fails before
    /// authorization, e.g. `NotFoundException` for a key in another Region).
    pub expect_error: Option<String>,
    /// Expected KMS actions of a service call (as a set).
    pub expect_kms: Option<Vec<String>>,
    /// Expected rule (snake_case) of the deciding request.
    pub expect_rule: Option<String>,
    /// A service operation that calls KMS on the caller's behalf (`action` is then derived).
    pub service_call: Option<ServiceCallDef>,
    /// Where the case is.
    pub span: Span,
}

/// A case's `service_call`.
#[derive(Debug, Clone)]
pub struct ServiceCallDef {
    /// The catalogue row (`service` and `operation`, checked at load).
    pub op: &'static keyward_core::eval::call::service::ServiceOp,
    /// What the call touches.
    pub resource: String,
    /// The KMS key the service uses (any reference form, or `alias/aws/<service>`).
    pub key: Option<String>,
    /// The Region of the call (default: `defaults.region`, else `us-east-1`).
    pub region: Option<String>,
    /// Service-specific options.
    pub params: Vec<(String, String)>,
}

/// A loaded scenario file.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// Description.
    pub description: Option<String>,
    /// Defaults.
    pub defaults: Defaults,
    /// Keys.
    pub keys: Vec<KeyDef>,
    /// Resource policies of non-KMS resources, by ARN or ARN pattern.
    pub resources: Vec<(String, NamedPolicy)>,
    /// Principals.
    pub principals: Vec<PrincipalDef>,
    /// SCP levels.
    pub scps: Vec<Vec<NamedPolicy>>,
    /// RCP levels.
    pub rcps: Vec<Vec<NamedPolicy>>,
    /// Cases.
    pub cases: Vec<Case>,
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Case name.
    pub name: String,
    /// Expected decision.
    pub expected: Decision,
    /// Actual outcome, or why the case could not be built.
    pub actual: Result<Outcome, String>,
    /// The trace (for failing cases).
    pub trace: Option<Trace>,
    /// The AWS error code the call failed with before authorization, if it did.
    pub error: Option<String>,
    /// The expected AWS error code, if the case expects one.
    pub expected_error: Option<String>,
    /// For a service call: the KMS actions it derived, in order.
    pub kms: Vec<String>,
    /// Expectations besides the outcome that do not hold (`expect_kms`, `expect_rule`).
    pub problems: Vec<String>,
}

impl CaseResult {
    /// True when the case passed.
    pub fn pass(&self) -> bool {
        let outcome = match (&self.expected_error, &self.error) {
            (Some(want), Some(got)) => want == got,
            (None, None) => matches!(&self.actual, Ok(o) if o.decision == self.expected),
            _ => false,
        };
        outcome && self.problems.is_empty()
    }

    /// What the case expects, for reports.
    pub fn expected_name(&self) -> String {
        self.expected_error.clone().unwrap_or_else(|| self.expected.name().to_string())
    }

    /// What happened, for reports.
    pub fn actual_name(&self) -> String {
        match (&self.error, &self.actual) {
            (Some(code), _) => code.clone(),
            (None, Ok(o)) => o.decision.name().to_string(),
            (None, Err(e)) => format!("error: {e}"),
        }
    }
}

fn rule_name(r: keyward_core::eval::Rule) -> String {
    serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The expectations besides the outcome that `outcome` and `kms` do not meet.
fn problems(c: &Case, outcome: Option<&Outcome>, kms: &[String]) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(want) = &c.expect_kms {
        let mut a: Vec<&str> = want.iter().map(String::as_str).collect();
        let mut b: Vec<&str> = kms.iter().map(String::as_str).collect();
        a.sort_unstable();
        a.dedup();
        b.sort_unstable();
        b.dedup();
        if a != b {
            v.push(format!("expect_kms {want:?}, derived {kms:?}"));
        }
    }
    if let (Some(want), Some(o)) = (&c.expect_rule, outcome) {
        let got = rule_name(o.rule);
        if *want != got {
            v.push(format!("expect_rule `{want}`, got `{got}`"));
        }
    }
    v
}

/// The largest scenario file read (JSON or YAML); policy files it names get the 1 MiB limit.
pub const MAX_SCENARIO_BYTES: usize = 16 * 1024 * 1024;

/// Loads a scenario from JSON or YAML text. Both keep the position of every value, so every
/// diagnostic points into `text`.
pub fn load(text: &str, yaml: bool, resolve: Resolver<'_>) -> Result<Scenario, Vec<Diagnostic>> {
    let limits = Limits { max_bytes: MAX_SCENARIO_BYTES, ..Limits::default() };
    let root = if yaml {
        yaml::read(text, limits).map_err(|d| vec![d])?
    } else {
        let (root, diags) = json::read(text, limits);
        match root {
            Some(r) if diags.is_empty() => r,
            _ => return Err(diags),
        }
    };
    let mut l = loader::Loader::new(resolve);
    let s = l.scenario(&root);
    l.finish(s)
}

/// Runs every case.
pub fn run(s: &Scenario) -> Vec<CaseResult> {
    s.cases.iter().map(|c| run_case(s, c)).collect()
}

/// Runs one case.
pub fn run_case(s: &Scenario, c: &Case) -> CaseResult {
    let mut r = CaseResult {
        name: c.name.clone(),
        expected: c.expect,
        actual: Err(String::new()),
        trace: None,
        error: None,
        expected_error: c.expect_error.clone(),
        kms: Vec::new(),
        problems: Vec::new(),
    };
    if c.service_call.is_some() {
        match service_steps(s, c) {
            Ok(run) => {
                r.kms = run.kms.clone();
                r.error = run.error.as_ref().map(|e| e.0.clone());
                let (outcome, trace) = run.deciding();
                r.problems = problems(c, outcome.as_ref(), &run.kms);
                r.actual = match &run.error {
                    Some((code, why)) => Err(format!("{code}: {why}")),
                    None => outcome.ok_or_else(|| "no request was decided".to_string()),
                };
                r.trace = trace;
            }
            Err(e) => r.actual = Err(e),
        }
    } else {
        match build_case(s, c) {
            Ok((set, req)) => {
                let (outcome, trace) = decide_traced(&set, &req);
                r.problems = problems(c, Some(&outcome), &[]);
                r.actual = Ok(outcome);
                r.trace = Some(trace);
            }
            Err(e) => r.actual = Err(e),
        }
    }
    if r.pass() {
        r.trace = None;
    }
    r
}
