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
mod yaml;

pub use build::build_case;

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
    /// Where the case is.
    pub span: Span,
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
}

impl CaseResult {
    /// True when the case passed.
    pub fn pass(&self) -> bool {
        matches!(&self.actual, Ok(o) if o.decision == self.expected)
    }
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
    s.cases
        .iter()
        .map(|c| match build_case(s, c) {
            Ok((set, req)) => {
                let (outcome, trace) = decide_traced(&set, &req);
                let pass = outcome.decision == c.expect;
                CaseResult {
                    name: c.name.clone(),
                    expected: c.expect,
                    actual: Ok(outcome),
                    trace: (!pass).then_some(trace),
                }
            }
            Err(e) => {
                CaseResult { name: c.name.clone(), expected: c.expect, actual: Err(e), trace: None }
            }
        })
        .collect()
}
