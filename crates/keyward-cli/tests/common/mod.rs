//! What the CLI's end-to-end tests share: the repository root, and running the built `keyward`
//! binary there (or in another folder) for its exit code, stdout and stderr.
#![allow(dead_code, reason = "each test file uses some of these")]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The key ARN the examples use.
pub(crate) const KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `keyward ARGS` in `dir`: (exit code, stdout, stderr).
pub(crate) fn keyward_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run keyward: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Runs `keyward ARGS` at the repository root.
pub(crate) fn keyward(args: &[&str]) -> (i32, String, String) {
    keyward_in(&root(), args)
}
