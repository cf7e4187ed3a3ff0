//! `keyward iam`: manages the local account model the KMS authorizes against — users and roles
//! with identity policies, a permissions boundary and tags; access keys; SCPs and RCPs. These
//! stand for what IAM and Organizations hold in AWS, so they are not themselves authorized.
//!
//! Exit codes: 0 success, 1 the change was refused (an invalid policy, an unknown identity),
//! 2 bad usage or input (a missing file, a malformed flag) or a state store that does not open.

use crate::kms::output::json;
use crate::kms::session::{now_ms, open_kms, text_arg};
use keyward_kms::record::{OrgPolicyRecord, Tag};
use keyward_kms::Kms;
use serde_json::{json, Value};
use std::path::PathBuf;

/// `keyward iam` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// State directory (default: $KEYWARD_STATE, else ~/.local/share/keyward).
    #[arg(long, value_name = "DIR", global = true)]
    state: Option<PathBuf>,
    /// Create a new, empty store even though the state directory still holds a `master.key`
    /// (its database was deleted or moved).
    #[arg(long, global = true)]
    init: bool,
    #[command(subcommand)]
    command: IamCommand,
}

/// An identity to create or replace.
#[derive(Debug, clap::Args)]
struct PutIdentity {
    /// The user or role ARN, e.g. arn:aws:iam::111122223333:role/App.
    #[arg(long)]
    arn: String,
    /// An identity policy: NAME=file://PATH or NAME={...json...} (repeatable).
    #[arg(long = "policy", value_name = "NAME=POLICY")]
    policies: Vec<String>,
    /// Permissions boundary: file://PATH or inline JSON.
    #[arg(long, value_name = "POLICY")]
    boundary: Option<String>,
    /// A principal tag K=V (repeatable); sets aws:PrincipalTag/K.
    #[arg(long = "tag", value_name = "K=V")]
    tags: Vec<String>,
}

/// An organization policy to create or replace.
#[derive(Debug, clap::Args)]
struct PutOrg {
    /// Unique name of the policy.
    #[arg(long)]
    name: String,
    /// Level in the organization: 0 root, 1 OU, 2 account...; every level must allow.
    #[arg(long, default_value_t = 0)]
    level: u32,
    /// An account it applies to (repeatable; none: every account).
    #[arg(long = "account", value_name = "ACCT")]
    accounts: Vec<String>,
    /// The policy: file://PATH or inline JSON.
    #[arg(long, value_name = "POLICY")]
    policy: String,
}

#[derive(Debug, clap::Subcommand)]
enum IamCommand {
    /// Create or replace an IAM user.
    PutUser(PutIdentity),
    /// Create or replace an IAM role.
    PutRole(PutIdentity),
    /// Delete a user or role (refused while access keys act as it: delete them first).
    Delete {
        /// The user or role ARN.
        #[arg(long)]
        arn: String,
    },
    /// List users and roles with their policies (JSON).
    List,
    /// Create an access key for a user or assumed-role session (prints the secret once).
    CreateAccessKey {
        /// The principal calls made with the key act as.
        #[arg(long)]
        principal: String,
        /// A session policy applied to calls made with the key (file://PATH or inline JSON).
        #[arg(long, value_name = "POLICY")]
        session_policy: Option<String>,
    },
    /// List access keys (without their secrets).
    ListAccessKeys,
    /// Delete an access key: requests signed with it are refused from then on.
    DeleteAccessKey {
        /// The access key id (AKIA...).
        #[arg(long)]
        access_key_id: String,
    },
    /// Make an access key active or inactive (an inactive key's requests are refused).
    UpdateAccessKey {
        /// The access key id (AKIA...).
        #[arg(long)]
        access_key_id: String,
        /// Active or Inactive.
        #[arg(long, value_parser = ["Active", "Inactive"])]
        status: String,
    },
    /// Create or replace a service control policy.
    PutScp(PutOrg),
    /// Create or replace a resource control policy.
    PutRcp(PutOrg),
    /// Delete an SCP or RCP by name.
    DeleteOrgPolicy {
        /// The policy's name.
        #[arg(long)]
        name: String,
    },
    /// List SCPs and RCPs (JSON).
    ListOrgPolicies,
}

/// A policy flag value: `file://PATH`, `fileb://PATH`, inline JSON, or a plain path.
fn policy_text(value: &str, flag: &str) -> Result<String, String> {
    if value.starts_with("file://")
        || value.starts_with("fileb://")
        || value.trim_start().starts_with('{')
    {
        return text_arg(value, flag);
    }
    text_arg(&format!("file://{value}"), flag)
}

fn pair(s: &str, flag: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{flag} `{s}`: expected K=V")),
    }
}

enum Failure {
    Usage(String),
    Refused(String),
}

fn put_identity(kms: &mut Kms, p: &PutIdentity, kind: &str) -> Result<Value, Failure> {
    let marker = format!(":{kind}/");
    if !p.arn.starts_with("arn:") || !p.arn.contains(&marker) {
        return Err(Failure::Usage(format!(
            "--arn `{}`: expected an IAM {kind} ARN like arn:aws:iam::111122223333:{kind}/NAME",
            p.arn
        )));
    }
    let mut policies = Vec::new();
    for spec in &p.policies {
        let (name, value) = pair(spec, "--policy").map_err(Failure::Usage)?;
        policies.push((name, policy_text(&value, "--policy").map_err(Failure::Usage)?));
    }
    let boundary = match &p.boundary {
        Some(b) => Some(policy_text(b, "--boundary").map_err(Failure::Usage)?),
        None => None,
    };
    let mut tags = Vec::new();
    for t in &p.tags {
        let (tag_key, tag_value) = pair(t, "--tag").map_err(Failure::Usage)?;
        tags.push(Tag { tag_key, tag_value });
    }
    kms.put_identity(&p.arn, policies, boundary, tags)
        .map_err(|e| Failure::Refused(e.to_string()))?;
    Ok(identity_json(kms, &p.arn))
}

fn doc(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn identity_json(kms: &Kms, arn: &str) -> Value {
    kms.identities().into_iter().find(|i| i.arn == arn).map_or(Value::Null, |i| {
        let policies: serde_json::Map<String, Value> =
            i.policies.iter().map(|(n, t)| (n.clone(), doc(t))).collect();
        json!({
            "Arn": i.arn,
            "Type": if i.arn.contains(":role/") { "Role" } else { "User" },
            "UniqueId": i.unique_id,
            "Policies": policies,
            "PermissionsBoundary": i.boundary.as_deref().map(doc),
            "Tags": i.tags,
        })
    })
}

fn put_org(kms: &mut Kms, p: &PutOrg, kind: &str) -> Result<Value, Failure> {
    let text = policy_text(&p.policy, "--policy").map_err(Failure::Usage)?;
    for a in &p.accounts {
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Failure::Usage(format!("--account `{a}`: expected a 12-digit account id")));
        }
    }
    let rec = OrgPolicyRecord {
        name: p.name.clone(),
        kind: kind.to_string(),
        level: p.level,
        accounts: p.accounts.clone(),
        text,
    };
    kms.put_org_policy(rec.clone()).map_err(|e| Failure::Refused(e.to_string()))?;
    Ok(org_json(&rec))
}

fn org_json(o: &OrgPolicyRecord) -> Value {
    json!({
        "Name": o.name,
        "Type": o.kind.to_uppercase(),
        "Level": o.level,
        "Accounts": o.accounts,
        "Policy": doc(&o.text),
    })
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string())
        .unwrap_or_default()
}

fn exec(kms: &mut Kms, cmd: &IamCommand) -> Result<Option<Value>, Failure> {
    let refused = |e: keyward_kms::KmsError| Failure::Refused(e.to_string());
    Ok(match cmd {
        IamCommand::PutUser(p) => Some(put_identity(kms, p, "user")?),
        IamCommand::PutRole(p) => Some(put_identity(kms, p, "role")?),
        IamCommand::Delete { arn } => {
            kms.delete_identity(arn).map_err(refused)?;
            None
        }
        IamCommand::List => {
            // Users and roles: the IAM API's groups and managed policies are stored beside
            // them, and shown by its GetAccountAuthorizationDetails.
            let arns: Vec<String> = kms
                .identities()
                .iter()
                .filter(|i| i.arn.contains(":user/") || i.arn.contains(":role/"))
                .map(|i| i.arn.clone())
                .collect();
            let list: Vec<Value> = arns.iter().map(|a| identity_json(kms, a)).collect();
            Some(json!({ "Identities": list }))
        }
        IamCommand::CreateAccessKey { principal, session_policy } => {
            let session = match session_policy {
                Some(s) => Some(policy_text(s, "--session-policy").map_err(Failure::Usage)?),
                None => None,
            };
            let now = now_ms(None).map_err(Failure::Usage)?;
            let rec = kms.create_access_key(principal, session, now).map_err(refused)?;
            let secret = String::from_utf8_lossy(rec.secret.expose()).into_owned();
            Some(json!({ "AccessKey": {
                "AccessKeyId": rec.id,
                "SecretAccessKey": secret,
                "Principal": rec.principal,
                "Status": "Active",
                "CreateDate": iso(rec.created_ms),
            }}))
        }
        IamCommand::ListAccessKeys => {
            let list: Vec<Value> = kms
                .access_keys()
                .iter()
                .map(|k| {
                    json!({
                        "AccessKeyId": k.id,
                        "Principal": k.principal,
                        "Status": if k.inactive { "Inactive" } else { "Active" },
                        "CreateDate": iso(k.created_ms),
                        "SessionPolicy": k.session_policy.as_deref().map(doc),
                    })
                })
                .collect();
            Some(json!({ "AccessKeyMetadata": list }))
        }
        IamCommand::DeleteAccessKey { access_key_id } => {
            kms.delete_access_key(access_key_id).map_err(refused)?;
            None
        }
        IamCommand::UpdateAccessKey { access_key_id, status } => {
            kms.set_access_key_active(access_key_id, status == "Active").map_err(refused)?;
            None
        }
        IamCommand::PutScp(p) => Some(put_org(kms, p, "scp")?),
        IamCommand::PutRcp(p) => Some(put_org(kms, p, "rcp")?),
        IamCommand::DeleteOrgPolicy { name } => {
            if !kms.org_policies().iter().any(|o| o.name == *name) {
                return Err(Failure::Refused(format!("no SCP or RCP named `{name}`")));
            }
            kms.delete_org_policy(name).map_err(refused)?;
            None
        }
        IamCommand::ListOrgPolicies => {
            let list: Vec<Value> = kms.org_policies().into_iter().map(org_json).collect();
            Some(json!({ "Policies": list }))
        }
    })
}

/// Runs `keyward iam`.
pub(crate) fn run(a: &Args) -> u8 {
    let mut kms = match open_kms(a.state.as_deref(), None, a.init) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("keyward iam: error: {}", held_message(a, e.message()));
            return 2;
        }
    };
    match exec(&mut kms, &a.command) {
        Ok(Some(v)) => {
            println!("{}", json(&v));
            0
        }
        Ok(None) => 0,
        Err(Failure::Usage(m)) => {
            eprintln!("keyward iam: error: {m}");
            2
        }
        Err(Failure::Refused(m)) => {
            eprintln!("keyward iam: error: {m}");
            1
        }
    }
}

/// The error of a state directory that does not open; when a running `keyward serve` holds
/// it, the way to change its identities now: that server's IAM API.
fn held_message(a: &Args, message: &str) -> String {
    if !message.contains("in use by another keyward process") {
        return message.to_string();
    }
    let dir = keyward_store::resolve_state_dir(a.state.as_deref()).ok();
    let url = dir
        .as_ref()
        .and_then(|d| std::fs::read_to_string(d.join(crate::serve::URL_FILE)).ok())
        .map(|u| u.trim().to_string())
        .filter(|u| u.starts_with("http://"))
        .unwrap_or_else(|| "http://127.0.0.1:4599".to_string());
    format!(
        "{message}\nWhile `keyward serve` runs, use its IAM API instead: it serves IAM and STS at \
         {url}, e.g. `aws iam create-user --user-name NAME --endpoint-url {url}` (any AWS SDK \
         works with that endpoint); or stop the server first"
    )
}
