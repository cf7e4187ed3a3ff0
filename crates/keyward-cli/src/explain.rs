//! `keyward explain`: decide one request from policy files and flags, and explain it.

use crate::files;
use crate::input::{load_policy, report};
use crate::output::HumanOrJson;
use keyward_core::eval::call::{arn_region, key_arn, Call, KeyFacts};
use keyward_core::eval::{explain, render_human, CtxValue, PolicySet, Principal, Request, Source};
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
    key_policy: Option<PathBuf>,
    /// A resource-based policy (for non-KMS resources, with --resource).
    #[arg(long)]
    resource_policy: Option<PathBuf>,
    /// An identity policy of the caller (repeatable).
    #[arg(long)]
    identity_policy: Vec<PathBuf>,
    /// Grants on the key (CreateGrant request, list, or ListGrants output).
    #[arg(long)]
    grants: Option<PathBuf>,
    /// An SCP of the caller's account (repeatable; all at one level).
    #[arg(long)]
    scp: Vec<PathBuf>,
    /// An RCP of the resource's account (repeatable; all at one level).
    #[arg(long)]
    rcp: Vec<PathBuf>,
    /// The caller's permissions boundary.
    #[arg(long)]
    boundary: Option<PathBuf>,
    /// The session policy of the caller's session.
    #[arg(long)]
    session_policy: Option<PathBuf>,
    /// The caller: user/role/assumed-role ARN, account id (root), or service:NAME.
    #[arg(long, required_unless_present = "cloudtrail")]
    principal: Option<String>,
    /// The action, e.g. kms:Decrypt.
    #[arg(long, required_unless_present = "cloudtrail")]
    action: Option<String>,
    /// A CloudTrail event (one event, {"Records": [...]} or lookup-events output): explain the
    /// KMS request it records and compare with its recorded outcome.
    #[arg(long, value_name = "EVENT.json", conflicts_with_all = ["principal", "action"])]
    cloudtrail: Option<PathBuf>,
    /// With --cloudtrail: which KMS event of the file (eventID, or 1-based number).
    #[arg(long, requires = "cloudtrail")]
    event: Option<String>,
    /// With --cloudtrail: aws iam get-account-authorization-details output (the caller's
    /// identity policies, boundary and tags).
    #[arg(long, requires = "cloudtrail")]
    account_export: Option<PathBuf>,
    /// The key: key ARN or key id (with --region and the caller's account).
    #[arg(long)]
    key: Option<String>,
    /// The alias the request used (sets kms:RequestAlias).
    #[arg(long)]
    alias: Option<String>,
    /// The resource ARN, for non-KMS actions.
    #[arg(long)]
    resource: Option<String>,
    /// Encryption context pair K=V (repeatable).
    #[arg(long = "encryption-context", value_name = "K=V")]
    encryption_context: Vec<String>,
    /// kms:ViaService, e.g. s3.us-east-1.amazonaws.com.
    #[arg(long)]
    via_service: Option<String>,
    /// A context key K=V (repeatable); V may be a JSON list for multivalued keys.
    #[arg(long, value_name = "K=V")]
    context: Vec<String>,
    /// A tag of the caller K=V (repeatable): aws:PrincipalTag/K.
    #[arg(long, value_name = "K=V")]
    principal_tag: Vec<String>,
    /// Request time (RFC 3339); sets aws:CurrentTime and aws:EpochTime.
    #[arg(long)]
    time: Option<String>,
    /// Region of the request (default: from the key ARN, else us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = HumanOrJson::Human)]
    format: HumanOrJson,
}

fn pair(s: &str, flag: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("--{flag} `{s}`: expected K=V"))
}

fn build(a: &Args) -> Result<(PolicySet, Request), String> {
    let (Some(principal), Some(action)) = (&a.principal, &a.action) else {
        return Err("--principal and --action are required (or give --cloudtrail)".into());
    };
    let principal = Principal::parse(principal).map_err(|e| format!("--principal: {e}"))?;
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
    let resource = match (&a.key, &a.resource) {
        (Some(k), _) => key_arn(k, region.as_deref(), &principal.account)
            .ok_or("--key: give the key ARN or id; pass the alias with --alias")?,
        (None, Some(r)) => r.clone(),
        (None, None) => "*".to_string(),
    };
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
        request_alias: a.alias.clone(),
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
    Ok((set, call.request(principal)))
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
            format: a.format,
        });
    }
    let (set, req) = match build(a) {
        Ok(x) => x,
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
