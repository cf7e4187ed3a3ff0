//! `keyward who-can`: every principal of an account export, plus the principals of other
//! accounts a key policy names and "anyone" when it is public, with Allow / conditional Allow
//! (and the conditions) / Deny for one action on one key, and why.

use super::{csv, load_export_shared, load_grants, load_key_policy, load_org_policy, report};
use crate::exit::Exit;
use crate::files;
use crate::output::TableFormat;
use keyward_access::who_can::{who_can, Query, Row};
use keyward_access::{action_list, KeyFacts, Status};
use keyward_core::eval::PolicySet;
use keyward_core::model::PolicyKind;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `keyward who-can`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The action (or a comma-separated list), e.g. kms:Decrypt.
    #[arg(long)]
    action: String,
    /// The key ARN.
    #[arg(long)]
    key: String,
    /// The key policy (aws kms get-key-policy output, or the policy document).
    #[arg(long)]
    key_policy: PathBuf,
    /// aws iam get-account-authorization-details output.
    #[arg(long)]
    account_export: Option<PathBuf>,
    /// Grants on the key (aws kms list-grants output).
    #[arg(long)]
    grants: Option<PathBuf>,
    /// An SCP of the account (aws organizations describe-policy output; repeatable, one level).
    #[arg(long)]
    scp: Vec<PathBuf>,
    /// aws kms describe-key output (key spec, usage and origin; default symmetric).
    #[arg(long)]
    describe_key: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
}

pub(crate) fn run(a: &Args) -> u8 {
    Exit::run(|| run_inner(a)).code()
}

pub(crate) fn key_facts(key: &str, describe: Option<&PathBuf>) -> Result<KeyFacts, String> {
    let mut k = KeyFacts::from_arn(key).map_err(|e| format!("--key {e}"))?;
    if let Some(p) = describe {
        let text = files::read(p)?;
        let (info, d) = keyward_aws::kms::describe_key(&text);
        report(p, &text, &d)?;
        if let Some(info) = info {
            k.spec = info.key_spec;
            k.usage = info.key_usage;
            k.origin = info.origin;
        }
    }
    Ok(k)
}

fn run_inner(a: &Args) -> Result<Exit, String> {
    let key = key_facts(&a.key, a.describe_key.as_ref())?;
    let kp = load_key_policy(&a.key_policy)?;
    let export = a.account_export.as_deref().map(load_export_shared).transpose()?;
    let mut extra = PolicySet::default();
    if let Some(g) = &a.grants {
        extra.grants = load_grants(g)?;
    }
    let scps =
        a.scp.iter().map(|p| load_org_policy(p, PolicyKind::Scp)).collect::<Result<Vec<_>, _>>()?;
    if !scps.is_empty() {
        extra.scps = vec![scps];
    }
    let actions = action_list(&a.action);
    let q = Query {
        key: &key,
        key_policy: &kp,
        export: export.as_ref(),
        extra: &extra,
        actions: &actions,
    };
    let rows = who_can(&q);
    // One write per buffer, not per line (stdout is line-buffered) nor one string of all.
    let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let failed = |e: std::io::Error| format!("writing the output: {e}");
    match a.format {
        TableFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &rows).map_err(|e| failed(e.into()))?;
            writeln!(w).map_err(failed)?;
        }
        TableFormat::Csv => {
            writeln!(w, "principal,kind,action,status,conditions,unless,why").map_err(failed)?;
            for r in &rows {
                let x = &r.assessment;
                writeln!(
                    w,
                    "{},{},{},{},{},{},{}",
                    csv(&r.principal),
                    r.kind,
                    r.action,
                    x.status.name(),
                    csv(&x
                        .conditions
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")),
                    csv(&x.unless.join("; ")),
                    csv(&x.why)
                )
                .map_err(failed)?;
            }
        }
        TableFormat::Table => write!(w, "{}", table(&rows, &a.key)).map_err(failed)?,
    }
    w.flush().map_err(failed)?;
    Ok(Exit::Success)
}

fn table(rows: &[Row], key: &str) -> String {
    let mut out = format!("who can use {key}:\n\n");
    let count = |s: Status| rows.iter().filter(|r| r.assessment.status == s).count();
    let w = rows.iter().map(|r| r.principal.len()).max().unwrap_or(9).max(9);
    out.push_str(&format!("{:<16}  {:<w$}  {:<14}  why\n", "status", "principal", "action"));
    for r in rows {
        let x = &r.assessment;
        out.push_str(&format!(
            "{:<16}  {:<w$}  {:<14}  {}\n",
            x.status.name(),
            r.principal,
            r.action,
            x.why
        ));
        for c in &x.conditions {
            out.push_str(&format!("{:<16}  {:<w$}    if {c}\n", "", ""));
        }
        for c in &x.unless {
            out.push_str(&format!("{:<16}  {:<w$}    unless {c}\n", "", ""));
        }
        if let Some(n) = &r.assumption {
            out.push_str(&format!("{:<16}  {:<w$}    note: {n}\n", "", ""));
        }
    }
    out.push_str(&format!(
        "\n{} Allow, {} conditional Allow, {} Deny\n",
        count(Status::Allow),
        count(Status::Conditional),
        count(Status::Deny)
    ));
    out
}
