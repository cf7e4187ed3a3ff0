//! `keyward access-matrix`: principals × keys × actions, decided in parallel on every core.
//!
//! Each worker takes one principal at a time. Its policy set (identity policies, boundary,
//! SCPs) is built once per principal; for each key, the key policy is swapped in (no copy),
//! one request is built per (principal, key), and only the action changes between decisions.
//! Optimistic copies of policies (for conditional access) are made once per policy, up front.
//! Rows are written in principal order through a small reorder buffer; by default only cells
//! that are not Deny are printed (`--all` prints every cell).

use super::{csv, load_export, load_key_policy};
use crate::exit::Exit;
use crate::files;
use crate::output::LinesFormat;
use keyward_access::matrix::{Cell, Matrix, Worker};
use keyward_access::{action_list, KeyFacts, Status};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

/// Arguments of `keyward access-matrix`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// aws iam get-account-authorization-details output.
    #[arg(long)]
    account_export: PathBuf,
    /// A directory of key policies, one per key: KEY_ID.json (get-key-policy output or policy).
    #[arg(long)]
    key_policies: PathBuf,
    /// Actions (comma-separated).
    #[arg(long, default_value = keyward_access::diff::COMMON_ACTIONS)]
    actions: String,
    /// Region of the keys (their ARNs are arn:aws:kms:REGION:ACCOUNT:key/FILE_STEM).
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Account owning the keys (default: the export's account).
    #[arg(long)]
    account: Option<String>,
    /// Print every cell, Deny included (default: Allow and ConditionalAllow only).
    #[arg(long)]
    all: bool,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LinesFormat::Csv)]
    format: LinesFormat,
}

pub(crate) fn run(a: &Args) -> u8 {
    Exit::run(|| run_inner(a)).code()
}

fn run_inner(a: &Args) -> Result<Exit, String> {
    let started = Instant::now();
    let export = load_export(&a.account_export)?;
    let account = a
        .account
        .clone()
        .or_else(|| export.account().map(str::to_string))
        .ok_or("the export names no user or role; give --account")?;
    let actions = action_list(&a.actions);
    let paths = files::expand(std::slice::from_ref(&a.key_policies), &["json"])?;
    let mut keys = Vec::with_capacity(paths.len());
    for p in &paths {
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("key");
        let policy = load_key_policy(p)?;
        let arn = format!("arn:aws:kms:{}:{account}:key/{stem}", a.region);
        keys.push((KeyFacts::symmetric(&arn), policy));
    }
    let matrix = Matrix::new(&export, keys, &account);
    let (keys, who) = (&matrix.keys, &matrix.who);
    let class_rows = matrix.class_rows(&actions);
    let load_time = started.elapsed();
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let decisions = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<(usize, String)>(threads * 4);
    let progress = std::io::stderr().is_terminal();
    let total = who.len();
    let json = a.format == LinesFormat::Json;
    let mut counts = [0usize; 3];
    let mut write_err = None;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (matrix, actions, next, done, decisions) =
                (&matrix, &actions, &next, &done, &decisions);
            scope.spawn(move || {
                let mut worker = matrix.worker();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= matrix.who.len() {
                        break;
                    }
                    let out = principal_rows(&mut worker, matrix, i, actions, a.all, json);
                    decisions.fetch_add(matrix.keys.len() * actions.len(), Ordering::Relaxed);
                    done.fetch_add(1, Ordering::Relaxed);
                    if tx.send((i, out)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
        if !json {
            let _ = writeln!(w, "principal,key,action,decision");
        }
        let mut pending = BTreeMap::new();
        let mut want = 0;
        let mut last = Instant::now();
        for (i, rows) in rx {
            pending.insert(i, rows);
            while let Some(rows) = pending.remove(&want) {
                for line in rows.lines() {
                    if let Some(c) = counts.get_mut(line_status(line)) {
                        *c += 1;
                    }
                }
                if write_err.is_none() {
                    if let Err(e) = w.write_all(rows.as_bytes()) {
                        write_err = Some(e.to_string());
                    }
                }
                want += 1;
            }
            if progress && last.elapsed().as_millis() >= 100 {
                last = Instant::now();
                bar(
                    done.load(Ordering::Relaxed),
                    total,
                    decisions.load(Ordering::Relaxed),
                    started,
                );
            }
        }
        for (k, row) in &class_rows {
            let status = row.assessment.status;
            if status == Status::Deny && !a.all {
                continue;
            }
            if let Some(c) = counts.get_mut(line_status(status.name())) {
                *c += 1;
            }
            let arn = keys.get(*k).map_or("", |k| k.facts.arn.as_str());
            let line = if json {
                format!(
                    "{{\"principal\":{},\"key\":{},\"action\":{},\"decision\":\"{}\",\"class\":{}}}\n",
                    serde_json::Value::from(row.principal.as_str()),
                    serde_json::Value::from(arn),
                    serde_json::Value::from(row.action.as_str()),
                    status.name(),
                    serde_json::to_string(&row.class).unwrap_or_else(|_| "null".into())
                )
            } else {
                format!("{},{arn},{},{}\n", csv(&row.principal), row.action, status.name())
            };
            if write_err.is_none() {
                if let Err(e) = w.write_all(line.as_bytes()) {
                    write_err = Some(e.to_string());
                }
            }
        }
        let _ = w.flush();
    });
    if progress {
        bar(total, total, decisions.load(Ordering::Relaxed), started);
        eprintln!();
    }
    if let Some(e) = write_err {
        return Err(format!("cannot write the output: {e}"));
    }
    let n = decisions.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} principals x {} keys x {} actions = {n} decisions in {secs:.2}s ({:.2}s loading, {} threads, {:.1}M decisions/s): {} Allow, {} ConditionalAllow{}",
        total,
        keys.len(),
        actions.len(),
        load_time.as_secs_f64(),
        threads,
        n as f64 / (secs - load_time.as_secs_f64()).max(1e-9) / 1e6,
        counts[0],
        counts[1],
        if a.all { format!(", {} Deny", counts[2]) } else { String::new() }
    );
    eprintln!("plus {} principal-class rows (callers outside the export)", class_rows.len());
    Ok(Exit::Success)
}

fn bar(done: usize, total: usize, decisions: usize, started: Instant) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width).min(width);
    eprint!(
        "\r[{}{}] {done}/{total} principals, {:.1}M decisions, {:.0}s ",
        "#".repeat(filled),
        "-".repeat(width - filled),
        decisions as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}

/// The output lines of principal `i`.
fn principal_rows(
    worker: &mut Worker<'_>,
    m: &Matrix,
    i: usize,
    actions: &[String],
    all: bool,
    json: bool,
) -> String {
    let mut out = String::new();
    let Some(w) = m.who.get(i) else { return out };
    let label = &w.subject.label;
    for Cell { key, action, status } in worker.cells(i, actions, all) {
        let (Some(key), Some(action)) = (m.keys.get(key), actions.get(action)) else { continue };
        if json {
            out.push_str(&format!(
                "{{\"principal\":{},\"key\":{},\"action\":{},\"decision\":\"{}\"}}\n",
                serde_json::Value::from(label.as_str()),
                serde_json::Value::from(key.facts.arn.as_str()),
                serde_json::Value::from(action.as_str()),
                status.name()
            ));
        } else {
            out.push_str(&format!("{},{},{action},{}\n", csv(label), key.facts.arn, status.name()));
        }
    }
    out
}

/// The decision of an output line (CSV or JSON Lines), for the summary.
fn line_status(line: &str) -> usize {
    let l = line.trim_end_matches("\"}");
    if l.ends_with("ConditionalAllow") {
        1
    } else if l.ends_with("Deny") {
        2
    } else {
        0
    }
}
