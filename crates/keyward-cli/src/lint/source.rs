//! One file in, findings out: reads nothing itself; wraps `keyward_aws::source::lint_source`
//! (which finds the policies in a file and places each finding in it) with the file's path.

pub(crate) use keyward_aws::source::{Hit, Unit};
use keyward_core::parse::DocKind;
use std::path::{Path, PathBuf};

/// The findings of one file.
#[derive(Debug)]
pub(crate) struct FileResult {
    pub(crate) path: PathBuf,
    pub(crate) display: String,
    pub(crate) text: String,
    pub(crate) units: Vec<Unit>,
}

/// Lints every policy document in `text` (read from `path`).
pub(crate) fn lint_file(path: &Path, text: String, forced: Option<DocKind>) -> FileResult {
    let display = path.display().to_string();
    let units = keyward_aws::source::lint_source(&display, &text, forced);
    FileResult { path: path.to_path_buf(), display, text, units }
}
