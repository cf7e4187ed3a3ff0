//! File access for the CLI: the only place keyward touches the file system.

use std::path::{Path, PathBuf};

/// Reads a file as UTF-8, with a message naming the file on failure.
pub(crate) fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!("{} is not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to())
    })
}

/// Expands directories (recursively, sorted) into files with one of `exts`.
pub(crate) fn expand(inputs: &[PathBuf], exts: &[&str]) -> Result<Vec<PathBuf>, String> {
    expand_listing(inputs, exts).map(|(files, _)| files)
}

/// Like [`expand`], and also returns the files the walk passed over (other extensions), so the
/// caller can say which it did not read. `.git` and `.terraform` directories are not entered.
pub(crate) fn expand_listing(
    inputs: &[PathBuf],
    exts: &[&str],
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for p in inputs {
        if p.is_dir() {
            walk(p, exts, &mut out, &mut skipped)
                .map_err(|e| format!("cannot read directory {}: {e}", p.display()))?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    Ok((out, skipped))
}

fn walk(
    dir: &Path,
    exts: &[&str],
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !matches!(name, ".git" | ".terraform") {
                walk(&p, exts, out, skipped)?;
            }
        } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&e)) {
            out.push(p);
        } else {
            skipped.push(p);
        }
    }
    Ok(())
}
