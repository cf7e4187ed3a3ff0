//! `keyward explain`: decide one request from policy files and flags, and explain it.

use crate::explain_input as checked;
use crate::files;
use crate::input::{load_policy, report};
use crate::output::HumanOrJson;
use keyward_core::eval::call::service::{region_mismatch, RegionMismatch};
use keyward_core::eval::call::{arn_region, Call, KeyFacts};
use keyward_core::eval::{explain, render_human, CtxValue, PolicySet, Request, Source};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_grants, DocKind};
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `keyward explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The KMS key policy.
    #[arg(long)]
    pub(crate) key_policy: Option<PathBuf>,
    /// A resource-based policy (for non-KMS resources, with --resource).
    #[arg(long)]
    pub(crate) resource_policy: Option<PathBuf>,
    /// An identity policy of the caller (repeatable).
    #[arg(long)]
    pub(crate) identity_policy: Vec<PathBuf>,
    /// Grants on the key (CreateGrant request, list, or ListGrants output).
    #[arg(long)]
    pub(crate) grants: Option<PathBuf>,
    /// An SCP of the caller's account (repeatable; all at one level).
    #[arg(long)]
    pub(crate) scp: Vec<PathBuf>,
    /// An RCP of the resource's account (repeatable; all at one level).
    #[arg(long)]
    pub(crate) rcp: Vec<PathBuf>,
    /// The caller's permissions boundary.
    #[arg(long)]
    pub(crate) boundary: Option<PathBuf>,
    /// The session policy of the caller's session.
    #[arg(long)]
    pub(crate) session_policy: Option<PathBuf>,
    /// The caller: user/role/assumed-role ARN, account id (root), or service:NAME.
    #[arg(long, required_unless_present = "cloudtrail")]
    pub(crate) principal: Option<String>,
    /// The action, e.g. kms:Decrypt (checked against the action catalogue).
    #[arg(long, required_unless_present_any = ["cloudtrail", "service_call"])]
    pub(crate) action: Option<String>,
    /// An AWS service operation that calls KMS for the caller, e.g. s3:PutObject (with
    /// --resource, and --key for the KMS key the service uses): decides the service's own action
    /// and every KMS request the service makes. With it, --key-policy is the key's policy
    /// (default: the default key policy) and --resource-policy the resource's (bucket, secret).
    #[arg(long, value_name = "SERVICE:Operation", conflicts_with_all = ["action", "cloudtrail"])]
    pub(crate) service_call: Option<String>,
    /// With --service-call: a service-specific option K=V (repeatable), e.g. bucket_key=true,
    /// destination_region=us-west-2, destination_key=ARN, source_key=ARN, execution_role=ARN.
    #[arg(long, value_name = "K=V", requires = "service_call")]
    pub(crate) param: Vec<String>,
    /// A CloudTrail event (one event, {"Records": [...]} or lookup-events output; `.json.gz`
    /// read too): explain the KMS request it records and compare with its recorded outcome.
    /// With --state, a directory of trail files: every denied event is explained.
    #[arg(long, value_name = "EVENT.json|DIR", conflicts_with_all = ["principal", "action"])]
    pub(crate) cloudtrail: Option<PathBuf>,
    /// With --cloudtrail: the local KMS's state directory (`keyward serve --state`): the key
    /// policies, grants, identities and organization policies the events are decided with,
    /// read without stopping the server. With it, --cloudtrail also takes a directory of
    /// CloudTrail files (`.json.gz`, `.json`) and explains every denied event.
    #[arg(long, value_name = "DIR", requires = "cloudtrail")]
    pub(crate) state: Option<PathBuf>,
    /// With --cloudtrail: which KMS event of the file (eventID, or 1-based number).
    #[arg(long, requires = "cloudtrail")]
    pub(crate) event: Option<String>,
    /// With --cloudtrail: aws iam get-account-authorization-details output (the caller's
    /// identity policies, boundary and tags).
    #[arg(long, requires = "cloudtrail")]
    pub(crate) account_export: Option<PathBuf>,
    /// The key: key ARN, key id (with --region and the caller's account), alias name or alias
    /// ARN (through an --alias mapping), or alias/aws/SERVICE (the AWS managed key).
    #[arg(long)]
    pub(crate) key: Option<String>,
    /// alias/NAME=KEY maps an alias to a key ARN or id (repeatable); a bare alias/NAME is the
    /// alias the request used (sets kms:RequestAlias).
    #[arg(long)]
    pub(crate) alias: Vec<String>,
    /// The resource ARN, for non-KMS actions.
    #[arg(long)]
    pub(crate) resource: Option<String>,
    /// Encryption context pair K=V (repeatable).
    #[arg(long = "encryption-context", value_name = "K=V")]
    pub(crate) encryption_context: Vec<String>,
    /// kms:ViaService, e.g. s3.us-east-1.amazonaws.com.
    #[arg(long)]
    pub(crate) via_service: Option<String>,
    /// A context key K=V (repeatable); V may be a JSON list for multivalued keys.
    #[arg(long, value_name = "K=V")]
    pub(crate) context: Vec<String>,
    /// A tag of the caller K=V (repeatable): aws:PrincipalTag/K.
    #[arg(long, value_name = "K=V")]
    pub(crate) principal_tag: Vec<String>,
    /// Request time (RFC 3339); sets aws:CurrentTime and aws:EpochTime.
    #[arg(long)]
    pub(crate) time: Option<String>,
    /// Region of the request (default: from the key ARN, else us-east-1).
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = HumanOrJson::Human)]
    pub(crate) format: HumanOrJson,
}

pub(crate) fn pair(s: &str, flag: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("--{flag} `{s}`: expected K=V"))
}

/// What the flags describe: a request to decide, or a request KMS refuses before authorization.
enum Built {
    Request(Box<(PolicySet, Request)>),
    Region(RegionMismatch),
}

fn build(a: &Args) -> Result<Built, String> {
    let (Some(principal), Some(action)) = (&a.principal, &a.action) else {
        return Err("--principal and --action are required (or give --cloudtrail)".into());
    };
    let principal = checked::principal(principal)?;
    let action = &checked::action(action)?;
    let mut set = PolicySet::default();
    if let Some(p) = &a.key_policy {
        set.resource_policy = Some(load_policy(p, PolicyKind::Key)?);
    } else if let Some(p) = &a.resource_policy {
        set.resource_policy = Some(load_policy(p, PolicyKind::Resource)?);
    }
    for p in &a.identity_policy {
        set.identity.push(load_policy(p, PolicyKind::Identity)?);
    }
    if let Some(p) = &a.boundary {
        set.boundary = Some(load_policy(p, PolicyKind::Boundary)?);
    }
    if let Some(p) = &a.session_policy {
        set.session = Some(load_policy(p, PolicyKind::Session)?);
    }
    let scps =
        a.scp.iter().map(|p| load_policy(p, PolicyKind::Scp)).collect::<Result<Vec<_>, _>>()?;
    if !scps.is_empty() {
        set.scps = vec![scps];
    }
    let rcps =
        a.rcp.iter().map(|p| load_policy(p, PolicyKind::Rcp)).collect::<Result<Vec<_>, _>>()?;
    if !rcps.is_empty() {
        set.rcps = vec![rcps];
    }
    if let Some(p) = &a.grants {
        let text = files::read(p)?;
        let (grants, diags) = parse_grants(&text, Limits::default());
        report(p, &text, &diags)?;
        set.grants = grants.into_iter().map(Arc::new).collect();
    }
    let region = a.region.clone();
    let (maps, used_alias) = checked::alias_maps(&a.alias)?;
    let mut request_alias = used_alias;
    let resource = match (&a.key, &a.resource) {
        (Some(k), _) => {
            let r = checked::key(k, &maps, region.as_deref(), &principal.account, "--key")?
                .ok_or_else(|| {
                    format!("--key `{k}`: an AWS managed key is used through its service; give --service-call")
                })?;
            request_alias = request_alias.or(r.alias);
            r.arn
        }
        (None, Some(r)) => r.clone(),
        (None, None) => "*".to_string(),
    };
    if let Some(r) = &region {
        if let Some(m) = region_mismatch(&resource, r) {
            return Ok(Built::Region(m));
        }
    }
    let is_key = resource.split(':').nth(2) == Some("kms");
    let mut call = Call {
        region: region.or_else(|| arn_region(&resource).map(str::to_string)),
        principal_tags: a
            .principal_tag
            .iter()
            .map(|t| pair(t, "principal-tag"))
            .collect::<Result<_, _>>()?,
        encryption_context: a
            .encryption_context
            .iter()
            .map(|t| pair(t, "encryption-context"))
            .collect::<Result<_, _>>()?,
        via_service: a.via_service.clone(),
        time: a.time.clone(),
        request_alias,
        key: if is_key { KeyFacts::symmetric_default() } else { KeyFacts::default() },
        ..Call::new(action.clone(), resource)
    };
    if let Some(t) = &a.time {
        if keyward_core::model::parse_date(t).is_none() {
            return Err(format!("--time `{t}`: expected RFC 3339, e.g. 2026-03-10T14:00:00Z"));
        }
    }
    for c in &a.context {
        let (k, v) = pair(c, "context")?;
        let value = match serde_json::from_str::<Vec<serde_json::Value>>(&v) {
            Ok(list) => CtxValue::Many(
                list.into_iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect(),
            ),
            Err(_) => CtxValue::One(v),
        };
        call.extra.push((k, value));
    }
    Ok(Built::Request(Box::new((set, call.request(principal)))))
}

/// The text and lint kind of the document a fix edits (None text: it does not exist yet).
fn fix_document(a: &Args, source: Source) -> Option<(Option<String>, DocKind)> {
    let read = |p: Option<&PathBuf>| p.and_then(|p| files::read(p).ok());
    let (path, kind) = match source {
        Source::ResourcePolicy => match (&a.key_policy, &a.resource_policy) {
            (None, Some(p)) => (Some(p), DocKind::Policy(PolicyKind::Resource)),
            (p, _) => (p.as_ref(), DocKind::Policy(PolicyKind::Key)),
        },
        Source::Identity { index } => {
            (a.identity_policy.get(index), DocKind::Policy(PolicyKind::Identity))
        }
        Source::Boundary => (a.boundary.as_ref(), DocKind::Policy(PolicyKind::Boundary)),
        Source::Session => (a.session_policy.as_ref(), DocKind::Policy(PolicyKind::Session)),
        Source::Scp { index, .. } => (a.scp.get(index), DocKind::Policy(PolicyKind::Scp)),
        Source::Rcp { index, .. } => (a.rcp.get(index), DocKind::Policy(PolicyKind::Rcp)),
        Source::Grant { .. } => (a.grants.as_ref(), DocKind::Grant),
    };
    match path {
        Some(p) => Some((Some(read(Some(p))?), kind)),
        None => Some((None, kind)),
    }
}

pub(crate) fn run(a: &Args) -> u8 {
    if let Some(event) = &a.cloudtrail {
        return crate::aws::cloudtrail::run(&crate::aws::cloudtrail::Inputs {
            event: event.clone(),
            event_id: a.event.clone(),
            key_policy: a.key_policy.clone(),
            account_export: a.account_export.clone(),
            identity_policy: a.identity_policy.clone(),
            grants: a.grants.clone(),
            scp: a.scp.clone(),
            rcp: a.rcp.clone(),
            boundary: a.boundary.clone(),
            session_policy: a.session_policy.clone(),
            state: a.state.clone(),
            format: a.format,
        });
    }
    if a.service_call.is_some() {
        return crate::explain_service::run(a);
    }
    let (set, req) = match build(a) {
        Ok(Built::Request(b)) => *b,
        Ok(Built::Region(m)) => return print_region(&m, a.format),
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut e = explain(&set, &req);
    keyward_lint::fixes::label_fixes(&mut e, &|s| fix_document(a, s));
    if a.format == HumanOrJson::Json {
        println!("{}", serde_json::to_string_pretty(&e).unwrap_or_default());
    } else {
        print!("{}", render_human(&e));
    }
    u8::from(e.decision != keyward_core::eval::Decision::Allow)
}

/// Prints a request KMS refuses because the key is in another Region (exit 1: a denial).
pub(crate) fn print_region(m: &RegionMismatch, format: HumanOrJson) -> u8 {
    if format == HumanOrJson::Json {
        let v = serde_json::json!({
            "decision": m.code(),
            "error": {"code": m.code(), "message": m.message()},
            "summary": m.why(),
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!("Decision: {} (\"{}\"), before any policy is read", m.code(), m.message());
        println!("Why: {}", m.why());
    }
    1
}
