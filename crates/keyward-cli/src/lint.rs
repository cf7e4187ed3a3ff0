//! `keyward lint`: parse errors (and, later, policy checks) printed rustc-style or as JSON.

use crate::files;
use keyward_core::diag::{has_errors, Diagnostic};
use keyward_core::json::Limits;
use keyward_core::parse::{parse_document, DocKind};
use keyward_core::span::LineIndex;
use std::path::{Path, PathBuf};

/// Arguments of `keyward lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Policy or grant files, or directories (every *.json inside).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// What the files are: key|resource|identity|scp|rcp|boundary|session|grant|auto.
    #[arg(long, default_value = "auto")]
    kind: String,
    /// Output format: human|json.
    #[arg(long, default_value = "human")]
    format: String,
}

/// The kind a file name implies (`scp-*.json` is an SCP, ...).
pub(crate) fn kind_from_name(path: &Path) -> Option<DocKind> {
    DocKind::from_file_name(path.file_name()?.to_str()?)
}

pub(crate) fn run(a: &Args) -> u8 {
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
    if a.format != "human" && a.format != "json" {
        eprintln!("error: unknown --format `{}` (human|json)", a.format);
        return 2;
    }
    let paths = match files::expand(&a.files, &["json"]) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut any_error = false;
    let mut json_out = Vec::new();
    let (mut n_err, mut n_files) = (0usize, 0usize);
    for path in &paths {
        let text = match files::read(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        };
        n_files += 1;
        let by_name = kind_from_name(path);
        let (_, kind, diags) = parse_document(&text, forced.or(by_name), Limits::default());
        let inferred = forced.is_none() && by_name.is_none();
        any_error |= has_errors(&diags);
        n_err += diags.len();
        let file = path.display().to_string();
        if a.format == "json" {
            json_out.push(file_json(&file, &text, kind, inferred, &diags));
        } else {
            print_human(&file, &text, kind, inferred, &diags);
        }
    }
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&json_out).unwrap_or_default());
    } else {
        let verdict =
            if n_err == 0 { "clean".to_string() } else { format!("{n_err} diagnostic(s)") };
        println!("{n_files} file(s) linted: {verdict}");
    }
    u8::from(any_error)
}

fn print_human(
    file: &str,
    text: &str,
    kind: Option<DocKind>,
    inferred: bool,
    diags: &[Diagnostic],
) {
    let idx = LineIndex::new(text);
    if inferred && !diags.is_empty() {
        if let Some(k) = kind {
            println!("note: {file}: linted as a {} document (inferred from its content; use --kind to choose)", k.name());
        }
    }
    for d in diags {
        println!("{}", d.render(file, &idx));
    }
}

fn file_json(
    file: &str,
    text: &str,
    kind: Option<DocKind>,
    inferred: bool,
    diags: &[Diagnostic],
) -> serde_json::Value {
    let idx = LineIndex::new(text);
    serde_json::json!({
        "file": file,
        "kind": kind.map(DocKind::name),
        "kind_inferred": inferred,
        "diagnostics": diags.iter().map(|d| {
            let lc = idx.line_col(d.span.start);
            serde_json::json!({
                "code": d.code, "severity": d.severity, "message": d.message,
                "line": lc.line, "column": lc.col, "path": d.path,
            })
        }).collect::<Vec<_>>(),
    })
}
