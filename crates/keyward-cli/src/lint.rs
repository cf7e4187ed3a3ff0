//! `keyward lint`: lints policy and grant files, and the policies inside CloudFormation
//! templates and Terraform plans, with `keyward_lint`; applies `.keyward.toml`; prints
//! human, JSON, SARIF or GitHub-annotation output; and sets the exit code from `--fail-on`.

mod config;
mod io;
mod output;
mod sarif;
mod source;

use crate::files;
use config::Config;
use keyward_core::diag::Severity;
use keyward_core::parse::DocKind;
use source::FileResult;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Arguments of `keyward lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Policy or grant files, templates, plans, or directories (every *.json, *.yaml, *.yml
    /// and *.template inside, recursively).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// What plain policy files are: key|resource|identity|scp|rcp|boundary|session|grant|auto.
    /// (Policies inside templates and plans take the kind of their resource.)
    #[arg(long, default_value = "auto")]
    kind: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Lowest severity that makes the exit code 1 [default: security, or `fail-on` in the
    /// config].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Configuration file [default: the nearest .keyward.toml from here up to the git root].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Worker threads [default: the number of CPUs].
    #[arg(long)]
    jobs: Option<usize>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// rustc-style with the source line.
    Human,
    /// One JSON array, an entry per document.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// `--fail-on` thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FailOn {
    Error,
    Security,
    Warning,
    Suggestion,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Security => Severity::SecurityWarning,
            FailOn::Warning => Severity::Warning,
            FailOn::Suggestion => Severity::Suggestion,
        }
    }
}

/// Counts for the summary line.
#[derive(Debug, Default)]
struct Tally {
    files: usize,
    documents: usize,
    by_severity: [usize; 4],
    suppressed: usize,
    disabled: usize,
}

pub(crate) fn run(a: &Args) -> u8 {
    let started = Instant::now();
    let forced = match a.kind.as_str() {
        "auto" => None,
        k => match DocKind::from_name(k) {
            Some(k) => Some(k),
            None => {
                eprintln!("error: unknown --kind `{k}` (key|resource|identity|scp|rcp|boundary|session|grant|auto)");
                return 2;
            }
        },
    };
    let cwd = match io::cwd() {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    let mut cfg = match Config::load(a.config.as_deref(), &cwd) {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    let (paths, unread) =
        match files::expand_listing(&a.files, &["json", "yaml", "yml", "template", "tf"]) {
            Ok(p) => p,
            Err(e) => return usage(&e),
        };
    let jobs =
        a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let mut results = match lint_all(&paths, forced, jobs.max(1)) {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    let mut tally = Tally { files: results.len(), ..Tally::default() };
    for f in &mut results {
        tally.documents += f.units.len();
        apply_config(&mut cfg, f, &mut tally);
    }
    let threshold =
        a.fail_on.map(FailOn::severity).or(cfg.fail_on).unwrap_or(Severity::SecurityWarning);
    let failed = results
        .iter()
        .flat_map(|f| f.units.iter().flat_map(|u| &u.hits))
        .any(|h| h.severity <= threshold);
    let notes = cfg.unused_notes();
    let mut summary = summary(&tally, started.elapsed().as_secs_f64());
    summary.push_str(&not_read(&unread));
    let mut out = String::new();
    match a.format {
        Format::Human => {
            output::human(&results, &mut out);
            for n in &notes {
                out.push_str(&format!("note: {n}\n"));
            }
            out.push_str(&summary);
            out.push('\n');
        }
        Format::Github => {
            output::github(&results, &mut out);
            for n in &notes {
                out.push_str(&format!("::notice title=keyward::{n}\n"));
            }
            out.push_str(&summary);
            out.push('\n');
        }
        Format::Json | Format::Sarif => {
            out = if a.format == Format::Json {
                serde_json::to_string_pretty(&output::json(&results))
            } else {
                serde_json::to_string_pretty(&sarif::log(&results))
            }
            .unwrap_or_default();
            out.push('\n');
            for n in &notes {
                eprintln!("note: {n}");
            }
            eprintln!("{summary}");
        }
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    u8::from(failed)
}

fn usage(e: &str) -> u8 {
    eprintln!("error: {e}");
    2
}

/// Reads and lints every file on `jobs` threads; results keep the order of `paths`. The first
/// unreadable file (in that order) is the error.
fn lint_all(
    paths: &[PathBuf],
    forced: Option<DocKind>,
    jobs: usize,
) -> Result<Vec<FileResult>, String> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Result<FileResult, String>>>> =
        Mutex::new((0..paths.len()).map(|_| None).collect());
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(path) = paths.get(i) else { break };
        let r = files::read(path).map(|text| source::lint_file(path, text, forced));
        if let Ok(mut s) = slots.lock() {
            if let Some(slot) = s.get_mut(i) {
                *slot = Some(r);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..jobs.min(paths.len().max(1)) {
            s.spawn(work);
        }
        work();
    });
    let slots = slots.into_inner().map_err(|_| "a lint worker failed".to_string())?;
    slots.into_iter().map(|s| s.unwrap_or_else(|| Err("a lint worker failed".into()))).collect()
}

/// Applies severities, disabled checks and the allow-list to one file's findings.
fn apply_config(cfg: &mut Config, f: &mut FileResult, t: &mut Tally) {
    for u in &mut f.units {
        let hits = std::mem::take(&mut u.hits);
        for mut h in hits {
            match cfg.severity(&f.path, h.code, h.severity) {
                None => {
                    t.disabled += 1;
                    continue;
                }
                Some(s) => h.severity = s,
            }
            if cfg.allowed(&f.path, &h) {
                t.suppressed += 1;
                continue;
            }
            if let Some(n) = t.by_severity.get_mut(h.severity as usize) {
                *n += 1;
            }
            u.hits.push(h);
        }
    }
}

/// The summary's list of the files a directory walk found and did not read: their names when
/// there are a few, else how many of each extension (`24 *.expected, 1 *.md`).
fn not_read(unread: &[PathBuf]) -> String {
    const NAMED: usize = 10;
    if unread.is_empty() {
        return String::new();
    }
    let list = if unread.len() <= NAMED {
        unread.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    } else {
        let mut by_ext: std::collections::BTreeMap<String, usize> = Default::default();
        for p in unread {
            let ext = p.extension().and_then(|e| e.to_str());
            *by_ext.entry(ext.map_or("no extension".into(), |e| format!("*.{e}"))).or_default() +=
                1;
        }
        by_ext.iter().map(|(e, n)| format!("{n} {e}")).collect::<Vec<_>>().join(", ")
    };
    format!(
        "; {} file(s) not read (not a policy, template, plan or .tf file): {list}",
        unread.len()
    )
}

/// `N file(s) linted (D documents): E error(s), S security warning(s), W warning(s), G
/// suggestion(s) (X allowed, Y disabled) in T s`, or `...: clean in T s`.
fn summary(t: &Tally, secs: f64) -> String {
    let [e, s, w, g] = t.by_severity;
    let docs = if t.documents == t.files {
        String::new()
    } else {
        format!(" ({} documents)", t.documents)
    };
    let findings = if e + s + w + g == 0 {
        "clean".to_string()
    } else {
        format!("{e} error(s), {s} security warning(s), {w} warning(s), {g} suggestion(s)")
    };
    let mut quiet = Vec::new();
    if t.suppressed > 0 {
        quiet.push(format!("{} allowed", t.suppressed));
    }
    if t.disabled > 0 {
        quiet.push(format!("{} disabled", t.disabled));
    }
    let quiet = if quiet.is_empty() { String::new() } else { format!(" ({})", quiet.join(", ")) };
    format!("{} file(s) linted{docs}: {findings}{quiet} in {secs:.2}s", t.files)
}
