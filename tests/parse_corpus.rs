//! Runs the parse corpora (`tests/corpus/parse/`, `policies/broken/`, `policies/examples/`):
//! each `NAME.json` must produce exactly the diagnostics listed in `NAME.expected`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure is a test failure"
)]

use keyward_core::json::Limits;
use keyward_core::parse::{parse_document, DocKind};
use keyward_core::span::LineIndex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

/// Kind from the file name prefix, as the CLI infers it.
fn kind_from_name(path: &Path) -> Option<DocKind> {
    DocKind::from_file_name(path.file_name()?.to_str()?)
}

fn check(path: &Path, expected_from_file: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut kind = kind_from_name(path);
    let mut want = BTreeSet::new();
    if expected_from_file {
        let exp = std::fs::read_to_string(path.with_extension("expected"))
            .map_err(|_| format!("{}: no .expected file", path.display()))?;
        for line in exp.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            if let Some(k) = line.strip_prefix("kind:") {
                let k = k.trim();
                kind = if k == "auto" { None } else { Some(DocKind::from_name(k).unwrap()) };
            } else {
                let (pos, code) = line.split_once(' ').unwrap();
                want.insert(format!("{pos} {}", code.trim()));
            }
        }
    }
    let (_, _, diags) = parse_document(&text, kind, Limits::default());
    let idx = LineIndex::new(&text);
    let got: BTreeSet<String> = diags
        .iter()
        .map(|d| {
            let lc = idx.line_col(d.span.start);
            format!("{}:{} {}", lc.line, lc.col, d.code)
        })
        .collect();
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{}\n  missing: {:?}\n  unexpected: {:?}",
            path.display(),
            want.difference(&got).collect::<Vec<_>>(),
            got.difference(&want).collect::<Vec<_>>()
        ))
    }
}

fn run_dir(dir: &str, expected_from_file: bool) {
    let files = json_files(&root().join(dir));
    assert!(!files.is_empty(), "no files in {dir}");
    let failures: Vec<String> =
        files.iter().filter_map(|f| check(f, expected_from_file).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn parse_corpus() {
    run_dir("tests/corpus/parse", true);
}

#[test]
fn broken_policies_report_every_planted_error() {
    run_dir("policies/broken", true);
}

#[test]
fn example_policies_are_clean() {
    run_dir("policies/examples", false);
}
