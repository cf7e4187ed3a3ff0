//! `keyward access-matrix`: principals × keys × actions, decided by classes on every core.
//!
//! Principals and keys are grouped into classes no policy tells apart
//! ([`keyward_access::grid`]); each worker takes one key class at a time and decides each
//! distinct (principal class, action) of it once. The main thread expands the classes to cells
//! as it writes them: keys grouped by class (in the order of each class's first key), then
//! principals in export order. By default only cells that are not Deny are printed (`--all`
//! prints every cell). On a terminal, stderr shows a progress bar with the time left.

use super::{csv, load_export_shared, load_key_policy};
use crate::exit::Exit;
use crate::files;
use crate::output::LinesFormat;
use keyward_access::grid::{Grid, MAX_ACTIONS};
use keyward_access::matrix::Matrix;
use keyward_access::who_can::Row;
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
    let export = load_export_shared(&a.account_export)?;
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
    if actions.len() > MAX_ACTIONS {
        return Err(format!("--actions: at most {MAX_ACTIONS} actions (got {})", actions.len()));
    }
    let grid = Grid::new(&matrix, &actions);
    let (keys, who) = (&matrix.keys, &matrix.who);
    let load_time = started.elapsed();
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let next = AtomicUsize::new(0);
    let decisions = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<(usize, Vec<Status>, Vec<Row>)>(threads);
    // The rows of callers outside the export, per key class (they read only the key policy).
    let mut class_rows: Vec<(usize, Vec<Row>)> = Vec::new();
    let progress = std::io::stderr().is_terminal();
    let json = a.format == LinesFormat::Json;
    let na = actions.len();
    let cells = who.len() * keys.len() * na;
    let mut counts = [0usize; 3];
    let mut write_err = None;
    let mut n_rows = 0;
    // Labels as written, once.
    let labels: Vec<String> = who
        .iter()
        .map(|w| {
            // Each line starts with the label (`{"principal":LABEL` in JSON).
            if json {
                format!("{{\"principal\":{}", serde_json::Value::from(w.subject.label.as_str()))
            } else {
                csv(&w.subject.label)
            }
        })
        .collect();
    let key_text = |k: usize| {
        let arn = keys.get(k).map_or("", |k| k.facts.arn.as_str());
        if json {
            serde_json::Value::from(arn).to_string()
        } else {
            arn.to_string()
        }
    };
    let action_text: Vec<String> = actions
        .iter()
        .map(|x| if json { serde_json::Value::from(x.as_str()).to_string() } else { x.clone() })
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (grid, next, decisions, matrix, actions) =
                (&grid, &next, &decisions, &matrix, &actions);
            scope.spawn(move || loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= grid.kclasses.len() {
                    break;
                }
                let (table, n) = grid.table(c);
                decisions.fetch_add(n, Ordering::Relaxed);
                let rep = grid.kclasses.get(c).and_then(|kc| kc.keys.first()).copied();
                let rows = rep.map(|k| matrix.class_rows_of(k, actions)).unwrap_or_default();
                if tx.send((c, table, rows)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let stdout = std::io::stdout();
        // Small: the lines of a few hundred principals at a time go straight through.
        let mut w = std::io::BufWriter::with_capacity(1 << 15, stdout.lock());
        if !json {
            let _ = writeln!(w, "principal,key,action,decision");
        }
        let mut pending = BTreeMap::new();
        let mut want = 0;
        let mut done_keys = 0;
        let mut last = Instant::now();
        let mut buf: Vec<u8> = Vec::new();
        // Every line end: `,action,decision` and the newline (CSV) or the JSON tail, by
        // action * 3 + verdict.
        let tails: Vec<Vec<u8>> = action_text
            .iter()
            .flat_map(|action| {
                [Status::Allow, Status::Conditional, Status::Deny].map(|s| {
                    let t = if json {
                        format!(",\"action\":{action},\"decision\":\"{}\"}}\n", s.name())
                    } else {
                        format!(",{action},{}\n", s.name())
                    };
                    t.into_bytes()
                })
            })
            .collect();
        // How many principals each principal class has (the counts of a key are per class).
        let mut class_size = vec![0usize; grid.pclasses.len()];
        for &pc in &grid.pclass {
            if let Some(n) = class_size.get_mut(pc as usize) {
                *n += 1;
            }
        }
        for (c, table, rows) in rx {
            pending.insert(c, (table, rows));
            while let Some((table, rows)) = pending.remove(&want) {
                let members = grid.kclasses.get(want).map_or(&[][..], |kc| kc.keys.as_slice());
                class_rows.push((want, rows));
                // Per principal class: which line ends it prints (offsets into `ids`).
                let mut offs = Vec::with_capacity(grid.pclasses.len() + 1);
                let mut ids: Vec<u16> = Vec::new();
                offs.push(0);
                for row in table.chunks(na.max(1)) {
                    for (i, s) in row.iter().enumerate() {
                        if a.all || *s != Status::Deny {
                            ids.push(u16::try_from(i * 3 + status_index(*s)).unwrap_or(0));
                        }
                    }
                    offs.push(ids.len());
                }
                let mut per_key = [0usize; 3];
                for (pc, &n) in class_size.iter().enumerate() {
                    let row = table.get(pc * na..(pc + 1) * na).unwrap_or(&[]);
                    for s in row {
                        per_key[status_index(*s)] += n;
                    }
                }
                for &k in members {
                    let key = key_text(k);
                    // `,key` (CSV) or `,"key":KEY` (JSON) between the label and the tail.
                    let mid = if json { format!(",\"key\":{key}") } else { format!(",{key}") };
                    // Every line end of this key: the key, then the action and decision.
                    let mut ends: Vec<u8> = Vec::new();
                    let mut ends_at = vec![0];
                    for t in &tails {
                        ends.extend_from_slice(mid.as_bytes());
                        ends.extend_from_slice(t);
                        ends_at.push(ends.len());
                    }
                    for (c, n) in counts.iter_mut().zip(per_key) {
                        *c += n;
                    }
                    let lines = Lines { ends: &ends, ends_at: &ends_at, offs: &offs, ids: &ids };
                    // A few hundred principals at a time: the buffer stays in the cache.
                    let parts = labels.chunks(512).zip(grid.pclass.chunks(512));
                    for (l, p) in parts {
                        lines.write(&mut buf, l, p);
                        if write_err.is_none() {
                            if let Err(e) = w.write_all(&buf) {
                                write_err = Some(e.to_string());
                            }
                        }
                    }
                    done_keys += 1;
                    if progress && last.elapsed().as_millis() >= 200 {
                        last = Instant::now();
                        bar(done_keys, keys.len(), started, load_time);
                    }
                }
                want += 1;
            }
        }
        let class_rows = class_rows.iter().flat_map(|(c, rows)| {
            let members = grid.kclasses.get(*c).map_or(&[][..], |kc| kc.keys.as_slice());
            members.iter().flat_map(move |k| rows.iter().map(move |r| (k, r)))
        });
        for (k, row) in class_rows {
            n_rows += 1;
            let status = row.assessment.status;
            if status == Status::Deny && !a.all {
                continue;
            }
            if let Some(c) = counts.get_mut(status_index(status)) {
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
        bar(keys.len(), keys.len(), started, load_time);
        eprintln!();
    }
    if let Some(e) = write_err {
        return Err(format!("cannot write the output: {e}"));
    }
    let n = decisions.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} principals x {} keys x {} actions = {cells} cells in {secs:.2}s ({:.2}s loading, {} threads): {} principal classes x {} key classes, {n} decisions: {} Allow, {} ConditionalAllow{}",
        who.len(),
        keys.len(),
        na,
        load_time.as_secs_f64(),
        threads,
        grid.pclasses.len(),
        grid.kclasses.len(),
        counts[0],
        counts[1],
        if a.all { format!(", {} Deny", counts[2]) } else { String::new() }
    );
    eprintln!("plus {n_rows} principal-class rows (callers outside the export)");
    Ok(Exit::Success)
}

/// The progress bar, with the time left estimated from the keys written so far.
fn bar(done: usize, total: usize, started: Instant, load: std::time::Duration) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width).min(width);
    let spent = started.elapsed().saturating_sub(load).as_secs_f64();
    let eta = if done == 0 {
        "?".to_string()
    } else {
        format!("{:.0}s", spent * (total - done.min(total)) as f64 / done as f64)
    };
    eprint!(
        "\r[{}{}] {done}/{total} keys, {:.0}s, ETA {eta} ",
        "#".repeat(filled),
        "-".repeat(width - filled),
        started.elapsed().as_secs_f64()
    );
}

/// What the lines of one key are made of: each principal's lines are its label and one line
/// end (`ends[ends_at[t]..ends_at[t + 1]]`: the key, action and decision) for each `t` of its
/// principal class (`ids` from `offs[pc]` to `offs[pc + 1]`).
struct Lines<'a> {
    ends: &'a [u8],
    ends_at: &'a [usize],
    offs: &'a [usize],
    ids: &'a [u16],
}

impl Lines<'_> {
    /// The lines of `labels` (whose principal classes are `pclass`) into `out`.
    fn write(&self, out: &mut Vec<u8>, labels: &[String], pclass: &[u32]) {
        out.clear();
        for (label, &pc) in labels.iter().zip(pclass) {
            let pc = pc as usize;
            let (Some(&from), Some(&to)) = (self.offs.get(pc), self.offs.get(pc + 1)) else {
                continue;
            };
            for &t in self.ids.get(from..to).unwrap_or(&[]) {
                let t = usize::from(t);
                let (Some(&a), Some(&b)) = (self.ends_at.get(t), self.ends_at.get(t + 1)) else {
                    continue;
                };
                out.extend_from_slice(label.as_bytes());
                out.extend_from_slice(self.ends.get(a..b).unwrap_or(&[]));
            }
        }
    }
}

/// Where a verdict is counted in the summary.
fn status_index(s: Status) -> usize {
    match s {
        Status::Allow => 0,
        Status::Conditional => 1,
        Status::Deny => 2,
    }
}
