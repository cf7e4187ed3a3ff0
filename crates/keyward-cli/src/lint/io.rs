//! The file-system questions `keyward lint` asks besides reading files (which goes through
//! `crate::files`): the current directory, and where the nearest config file is.

use std::path::{Path, PathBuf};

/// The current directory.
pub(crate) fn cwd() -> Result<PathBuf, String> {
    std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))
}

/// True when `p` is an existing file.
pub(crate) fn is_file(p: &Path) -> bool {
    p.is_file()
}

/// The nearest `name` in `start` or a parent directory, stopping at the git root (the first
/// directory holding `.git`).
pub(crate) fn find_upward(start: &Path, name: &str) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}
