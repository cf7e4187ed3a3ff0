//! `keyward diff OLD NEW`: which principal/action pairs a key-policy or identity-policy change
//! adds or removes (Allow <-> Deny, newly conditional), for pull-request review.
//! `--fail-on-new-access` exits 1 when the change grants anything new.

use super::{load_export, load_key_policy, load_policy};
use crate::exit::Exit;
use crate::output::HumanOrJson;
use keyward_access::action_list;
use keyward_access::diff::{
    account_of, diff_identity_policies, diff_key_policies, keys_named, placeholder_key,
    COMMON_ACTIONS,
};
use keyward_core::eval::Principal;
use keyward_core::model::PolicyKind;
use std::path::PathBuf;

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
    /// Output format.
    #[arg(long, value_enum, default_value_t = HumanOrJson::Human)]
    format: HumanOrJson,
}

pub(crate) fn run(a: &Args) -> u8 {
    Exit::run(|| run_inner(a)).code()
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

fn run_inner(a: &Args) -> Result<Exit, String> {
    let kind = kind_of(a)?;
    let export = a.account_export.as_deref().map(load_export).transpose()?;
    let actions = action_list(&a.actions);
    let changes = if kind == PolicyKind::Key {
        let old = load_key_policy(&a.old)?;
        let new = load_key_policy(&a.new)?;
        let account = account_of(export.as_ref(), &[&old, &new]);
        let key_arn = a.key.first().cloned().unwrap_or_else(|| placeholder_key(&account));
        let key = super::who_can::key_facts(&key_arn, None)?;
        diff_key_policies(&old, &new, export.as_ref(), &key, &actions)
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
            keys = keys_named(&[&old, &new]);
        }
        if keys.is_empty() {
            keys.push(placeholder_key(&account));
        }
        let keys = keys
            .iter()
            .map(|k| super::who_can::key_facts(k, None))
            .collect::<Result<Vec<_>, _>>()?;
        let holders: Vec<String> = if a.principal.is_empty() {
            vec![format!("arn:aws:iam::{account}:role/policy-holder")]
        } else {
            a.principal.clone()
        };
        let holders = holders
            .iter()
            .map(|h| Ok((h.clone(), Principal::parse(h).map_err(|e| format!("--principal: {e}"))?)))
            .collect::<Result<Vec<_>, String>>()?;
        diff_identity_policies(&old, &new, export.as_ref(), &holders, &keys, &kp, &actions)
    };
    let added = changes.iter().any(keyward_access::diff::Change::adds_access);
    if a.format == HumanOrJson::Json {
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
    Ok(Exit::findings_if(a.fail_on_new_access && added))
}
