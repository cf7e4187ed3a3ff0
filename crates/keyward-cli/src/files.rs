//! File access for the CLI: the only place keyward touches the file system.
//!
//! Only regular files are read (a FIFO would block forever, a device such as `/dev/zero`
//! never ends), and at most [`MAX_FILE_BYTES`] of them: the limit is applied while reading,
//! so a file that grows, or lies about its size, cannot exhaust memory. Directory walks follow
//! symbolic links but enter each directory once (by device and inode), so a link loop ends.

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest file keyward reads (policies, templates, plans, exports, scenarios).
pub(crate) const MAX_FILE_BYTES: u64 = 128 << 20;

/// Reads a file as UTF-8, with a message naming the file on failure.
pub(crate) fn read(path: &Path) -> Result<String, String> {
    read_limited(path, MAX_FILE_BYTES)
}

/// Reads a regular file of at most `limit` bytes as UTF-8.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let too_large = || format!("{} is larger than the {} MiB limit", path.display(), limit >> 20);
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(cannot)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!("{} is not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to())
    })
}

/// Reads a CloudTrail file: `.gz` files are decompressed (at most `limit` bytes of output,
/// so a gzip bomb is an error naming the file), others read as [`read_limited`].
pub(crate) fn read_maybe_gz(path: &Path, limit: u64) -> Result<String, String> {
    if path.extension().and_then(|e| e.to_str()) != Some("gz") {
        return read_limited(path, limit);
    }
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file.take(limit)))
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{} is not a readable gzip file: {e}", path.display()))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(format!(
            "{} decompresses to more than the {} MiB limit (a gzip bomb, or not a CloudTrail \
             file)",
            path.display(),
            limit >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{} does not decompress to UTF-8 text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> String {
    let what = if meta.is_dir() { "a directory" } else { "a FIFO, socket or device" };
    format!("{} is not a regular file ({what}); only regular files are read", path.display())
}

/// Expands directories (recursively, sorted) into the regular files with one of `exts`.
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
    let mut visited = std::collections::HashSet::new();
    for p in inputs {
        if p.is_dir() {
            walk(p, exts, &mut out, &mut skipped, &mut visited)
                .map_err(|e| format!("cannot read directory {}: {e}", p.display()))?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    Ok((out, skipped))
}

/// Identifies a directory: device and inode on Unix, else its canonical path.
#[derive(PartialEq, Eq, Hash)]
enum DirId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

fn dir_id(dir: &Path) -> std::io::Result<DirId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let m = std::fs::metadata(dir)?;
        Ok(DirId::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        Ok(DirId::Path(std::fs::canonicalize(dir)?))
    }
}

fn walk(
    dir: &Path,
    exts: &[&str],
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<PathBuf>,
    visited: &mut std::collections::HashSet<DirId>,
) -> std::io::Result<()> {
    if !visited.insert(dir_id(dir)?) {
        return Ok(());
    }
    // The order of `Path`s in one directory is the order of their names: sorted by the names
    // the directory gives, without splitting every path into components again.
    let mut entries: Vec<(std::ffi::OsString, PathBuf)> =
        std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| (e.file_name(), e.path()))).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, p) in entries {
        // Follows links; a dangling link has no metadata and is skipped.
        let Ok(meta) = std::fs::metadata(&p) else { continue };
        if meta.is_dir() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !matches!(name, ".git" | ".terraform") {
                walk(&p, exts, out, skipped, visited)?;
            }
        } else if meta.is_file()
            && p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&e))
        {
            out.push(p);
        } else {
            skipped.push(p);
        }
    }
    Ok(())
}
