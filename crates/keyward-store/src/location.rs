//! Where the store lives: `--state DIR`, else `KEYWARD_STATE`, else the platform data
//! directory (`$XDG_DATA_HOME/keyward` or `~/.local/share/keyward` on Linux,
//! `~/Library/Application Support/keyward` on macOS, `%APPDATA%\keyward` on Windows).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use keyward_kms::store::StoreError;

use crate::fail;

/// The environment variable naming the state directory.
pub const STATE_ENV: &str = "KEYWARD_STATE";

/// The state directory: `cli` (from `--state DIR`) if given, else `KEYWARD_STATE`, else the
/// platform data directory.
pub fn resolve_state_dir(cli: Option<&Path>) -> Result<PathBuf, StoreError> {
    resolve_state_dir_with(cli, |name| std::env::var_os(name))
}

/// [`resolve_state_dir`] with the environment supplied by the caller (for tests and embedders).
/// Empty variables count as unset.
pub fn resolve_state_dir_with(
    cli: Option<&Path>,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<PathBuf, StoreError> {
    if let Some(dir) = cli {
        if dir.as_os_str().is_empty() {
            return Err(fail("`--state` must name a directory".to_owned()));
        }
        return Ok(dir.to_path_buf());
    }
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(dir) = var(STATE_ENV) {
        return Ok(PathBuf::from(dir));
    }
    platform_dir(&var).ok_or_else(|| {
        fail(format!(
            "cannot find a data directory for keyward's state (no home directory): pass \
             `--state DIR` or set `{STATE_ENV}`"
        ))
    })
}

/// An absolute path from an environment variable, or `None`.
fn absolute(var: &dyn Fn(&str) -> Option<OsString>, name: &str) -> Option<PathBuf> {
    var(name).map(PathBuf::from).filter(|p| p.is_absolute())
}

#[cfg(target_os = "macos")]
fn platform_dir(var: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    absolute(var, "HOME").map(|h| h.join("Library").join("Application Support").join("keyward"))
}

#[cfg(windows)]
fn platform_dir(var: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    absolute(var, "APPDATA").map(|d| d.join("keyward"))
}

/// Linux and other Unix systems: the XDG base directory rule (a relative `XDG_DATA_HOME` is
/// ignored, as the specification says).
#[cfg(not(any(target_os = "macos", windows)))]
fn platform_dir(var: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    absolute(var, "XDG_DATA_HOME")
        .or_else(|| absolute(var, "HOME").map(|h| h.join(".local").join("share")))
        .map(|d| d.join("keyward"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn cli_wins_over_env() {
        let e = env(&[(STATE_ENV, "/from/env"), ("HOME", "/home/u")]);
        let got = resolve_state_dir_with(Some(Path::new("/from/cli")), &e).unwrap();
        assert_eq!(got, PathBuf::from("/from/cli"));
        assert!(resolve_state_dir_with(Some(Path::new("")), &e).is_err());
    }

    #[test]
    fn env_wins_over_platform_and_empty_is_unset() {
        let e = env(&[(STATE_ENV, "/from/env"), ("HOME", "/home/u")]);
        assert_eq!(resolve_state_dir_with(None, &e).unwrap(), PathBuf::from("/from/env"));
        let e = env(&[(STATE_ENV, ""), ("HOME", "/home/u"), ("APPDATA", "/appdata")]);
        assert_ne!(resolve_state_dir_with(None, &e).unwrap(), PathBuf::from(""));
    }

    #[cfg(not(any(target_os = "macos", windows)))]
    #[test]
    fn xdg_rules() {
        let e = env(&[("HOME", "/home/u")]);
        let home = PathBuf::from("/home/u/.local/share/keyward");
        assert_eq!(resolve_state_dir_with(None, &e).unwrap(), home);
        let e = env(&[("HOME", "/home/u"), ("XDG_DATA_HOME", "/xdg")]);
        assert_eq!(resolve_state_dir_with(None, &e).unwrap(), PathBuf::from("/xdg/keyward"));
        let e = env(&[("HOME", "/home/u"), ("XDG_DATA_HOME", "relative")]);
        assert_eq!(resolve_state_dir_with(None, &e).unwrap(), home);
        let e = env(&[]);
        let err = resolve_state_dir_with(None, &e).unwrap_err().0;
        assert!(err.contains("--state DIR"), "{err}");
    }
}
