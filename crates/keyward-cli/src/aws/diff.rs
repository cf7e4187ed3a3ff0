//! `keyward diff OLD NEW`: which principal/action pairs a key-policy or identity-policy change
//! adds or removes (Allow <-> Deny, newly conditional), for pull-request review.
//! `--fail-on-new-access` exits 1 when the change grants anything new.

use super::access::{assess, build, subjects, Assessment, KeyFacts, Optimizer, Status, Subject};
use super::{action_list, load_export, load_key_policy, load_policy};
use keyward_core::eval::{NamedPolicy, PolicySet, Principal};
use keyward_core::model::{AwsPrincipal, PolicyKind};
use serde::Serialize;
use std::path::PathBuf;

/// The actions compared when `--actions` is not given.
pub(crate) const COMMON_ACTIONS: &str = "kms:Decrypt,kms:Encrypt,kms:GenerateDataKey,kms:GenerateDataKeyWithoutPlaintext,kms:ReEncryptFrom,kms:ReEncryptTo,kms:DescribeKey,kms:CreateGrant,kms:ListGrants,kms:RevokeGrant,kms:RetireGrant,kms:PutKeyPolicy,kms:GetKeyPolicy,kms:ScheduleKeyDeletion,kms:DisableKey,kms:EnableKey,kms:TagResource,kms:UntagResource,kms:Sign,kms:Verify";

/// Arguments of `keyward diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The policy before the change.
    old: PathBuf,
    /// The policy after the change.
    new: PathBuf,
    /// aws iam get-account-authorization-details output: whose access to compare.
    #[arg(long)]
    account_export: Option<PathBuf>,
    /// key (a key policy; default when it has Principal) or identity (an IAM policy).
    #[arg(long)]
    kind: Option<String>,
    /// The key ARN (key kind: the key the policy is on; identity kind: keys to test, repeatable).
    #[arg(long)]
    key: Vec<String>,
    /// Identity kind: the key policy of the keys (default: delegates every action to the account).
    #[arg(long)]
    key_policy: Option<PathBuf>,
    /// Identity kind: principals holding the policy (default: a role of the account).
    #[arg(long)]
    principal: Vec<String>,
    /// Actions to compare (comma-separated).
    #[arg(long, default_value = COMMON_ACTIONS)]
    actions: String,
    /// Exit 1 when the change adds access (a pair newly allowed, or newly unconditional).
    #[arg(long)]
    fail_on_new_access: bool,
    /// Output format: human|json.
    #[arg(long, default_value = "human")]
    format: String,
}

#[derive(Debug, Serialize)]
struct Change {
    change: &'static str,
    principal: String,
    action: String,
    key: String,
    before: Assessment,
    after: Assessment,
}

pub(crate) fn run(a: &Args) -> u8 {
    match run_inner(a) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn kind_of(a: &Args) -> Result<PolicyKind, String> {
    match a.kind.as_deref() {
        Some("key") => Ok(PolicyKind::Key),
        Some("identity") => Ok(PolicyKind::Identity),
        Some(k) => Err(format!("unknown --kind `{k}` (key|identity)")),
        None => {
            let text = crate::files::read(&a.old)?;
            Ok(
                if text.contains("\"Principal\"")
                    || text.contains("\"Policy\"")
                    || text.contains("Principal\\\"")
                {
                    PolicyKind::Key
                } else {
                    PolicyKind::Identity
                },
            )
        }
    }
}

fn account_of(
    export: Option<&keyward_aws::export::AccountExport>,
    pols: &[&NamedPolicy],
) -> String {
    if let Some(a) = export.and_then(|e| e.account()) {
        return a.to_string();
    }
    for p in pols {
        for st in &p.policy.statements {
            for e in st.principal.iter().flat_map(|s| &s.entries) {
                if let AwsPrincipal::Account(a) = &e.aws {
                    return a.clone();
                }
            }
        }
    }
    "111122223333".to_string()
}

fn run_inner(a: &Args) -> Result<u8, String> {
    if a.format != "human" && a.format != "json" {
        return Err(format!("unknown --format `{}` (human|json)", a.format));
    }
    let kind = kind_of(a)?;
    let export = a.account_export.as_deref().map(load_export).transpose()?;
    let actions = action_list(&a.actions);
    let mut opt = Optimizer::default();
    let mut changes = Vec::new();
    let extra = PolicySet::default();
    let mut compare = |s: &Subject,
                       key: &KeyFacts,
                       kp_old: &NamedPolicy,
                       kp_new: &NamedPolicy,
                       s_new: Option<&Subject>| {
        for action in &actions {
            let (set, req) = build(s, key, kp_old, &extra, action);
            let before = assess(&set, &req, &mut opt);
            let (set, req) = build(s_new.unwrap_or(s), key, kp_new, &extra, action);
            let after = assess(&set, &req, &mut opt);
            let change = match (before.status, after.status) {
                (b, n) if n > b => "added",
                (b, n) if n < b => "removed",
                (Status::Conditional, Status::Conditional)
                    if conds(&before.conditions) != conds(&after.conditions) =>
                {
                    "conditions changed"
                }
                _ if before.unless != after.unless => "deny conditions changed",
                _ => continue,
            };
            changes.push(Change {
                change,
                principal: s.label.clone(),
                action: action.clone(),
                key: key.arn.clone(),
                before,
                after,
            });
        }
    };
    if kind == PolicyKind::Key {
        let old = load_key_policy(&a.old)?;
        let new = load_key_policy(&a.new)?;
        let account = account_of(export.as_ref(), &[&old, &new]);
        let key_arn = a.key.first().cloned().unwrap_or_else(|| {
            format!("arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000000")
        });
        let key = super::who_can::key_facts(&key_arn, None)?;
        let subs = subjects(export.as_ref(), &[&old.policy, &new.policy], &account);
        for s in &subs {
            compare(s, &key, &old, &new, None);
        }
    } else {
        let old = load_policy(&a.old, PolicyKind::Identity)?;
        let new = load_policy(&a.new, PolicyKind::Identity)?;
        let account = account_of(export.as_ref(), &[]);
        let kp = match &a.key_policy {
            Some(p) => load_key_policy(p)?,
            None => keyward_core::eval::call::default_key_policy(&account),
        };
        let mut keys: Vec<String> = a.key.clone();
        if keys.is_empty() {
            for p in [&old, &new] {
                for st in &p.policy.statements {
                    for r in &st.resources.patterns {
                        if r.text.contains(":key/")
                            && !r.text.contains(['*', '?', '$'])
                            && !keys.contains(&r.text)
                        {
                            keys.push(r.text.clone());
                        }
                    }
                }
            }
        }
        if keys.is_empty() {
            keys.push(format!(
                "arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000000"
            ));
        }
        let holders: Vec<String> = if a.principal.is_empty() {
            vec![format!("arn:aws:iam::{account}:role/policy-holder")]
        } else {
            a.principal.clone()
        };
        for h in &holders {
            let principal = Principal::parse(h).map_err(|e| format!("--principal: {e}"))?;
            let found = export.as_ref().and_then(|e| e.find(&principal));
            let base = Subject {
                label: h.clone(),
                kind: "holder",
                principal,
                id: found.and_then(|f| f.id.clone()),
                identity: found.map(|f| f.policies.clone()).unwrap_or_default(),
                boundary: found.and_then(|f| f.boundary.clone()),
                tags: found.map(|f| f.tags.clone()).unwrap_or_default(),
                assumption: None,
            };
            let mut s_old = base.clone();
            s_old.identity.push(old.clone());
            let mut s_new = base;
            s_new.identity.push(new.clone());
            for k in &keys {
                let key = super::who_can::key_facts(k, None)?;
                compare(&s_old, &key, &kp, &kp, Some(&s_new));
            }
        }
    }
    let added = changes.iter().any(|c| c.change == "added");
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&changes).unwrap_or_default());
    } else if changes.is_empty() {
        println!("no change in access for {} action(s)", actions.len());
    } else {
        for c in &changes {
            let mark = match c.change {
                "added" => '+',
                "removed" => '-',
                _ => '~',
            };
            println!(
                "{mark} {} {} on {}: {} -> {} ({})",
                c.principal,
                c.action,
                c.key,
                c.before.status.name(),
                c.after.status.name(),
                c.change
            );
            for cond in &c.after.conditions {
                println!("    now if {cond}");
            }
            for u in &c.after.unless {
                println!("    now unless {u}");
            }
            println!("    before: {}", c.before.why);
            println!("    after:  {}", c.after.why);
        }
        let n = |k: &str| changes.iter().filter(|c| c.change == k).count();
        println!(
            "\n{} added, {} removed, {} changed",
            n("added"),
            n("removed"),
            changes.len() - n("added") - n("removed")
        );
    }
    Ok(u8::from(a.fail_on_new_access && added))
}

fn conds(r: &[super::access::Requirement]) -> Vec<&str> {
    r.iter().map(|c| c.condition.as_str()).collect()
}
