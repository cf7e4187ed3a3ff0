//! `.keyward.toml`: severities per check, disabled checks, per-path overrides, and the
//! allow-list (JSON has no comments, so findings are suppressed from outside the file).
//!
//! ```toml
//! fail-on = "warning"                 # optional; --fail-on wins
//! allow-list = "ci/keyward-allow.toml"  # optional; default: .keyward-allow.toml beside this file
//!
//! [checks]                            # code = error|security|warning|suggestion|off
//! redundant-statement = "off"
//!
//! [[overrides]]                       # later entries win
//! paths = ["legacy/**/*.json"]
//! checks = { key-policy-wildcard-principal = "warning" }
//!
//! [[allow]]                           # also the whole content of an allow-list file
//! path = "policies/shared-key.json"   # glob, relative to the file that declares it
//! code = "key-policy-wildcard-principal"
//! json-path = "Statement[1]"          # optional: prefix of the finding's JSON path
//! sid = "AllowOrgUse"                 # optional: the statement's Sid
//! reason = "org-wide key, guarded by aws:PrincipalOrgID"   # optional
//! ```
//!
//! Globs are relative to the directory of the file that declares them; a pattern without `/`
//! also matches a bare file name. Every error names `file:line:col`.

use super::io;
use super::source::Hit;
use glob::{MatchOptions, Pattern};
use keyward_core::diag::Severity;
use keyward_core::span::LineIndex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use toml::Spanned;

/// The config file name searched from the current directory up to the git root.
pub(crate) const CONFIG_NAME: &str = ".keyward.toml";
/// The allow-list file name looked for beside the config (or searched like it).
pub(crate) const ALLOW_NAME: &str = ".keyward-allow.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    fail_on: Option<Spanned<String>>,
    allow_list: Option<Spanned<String>>,
    #[serde(default)]
    checks: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    overrides: Vec<RawOverride>,
    #[serde(default)]
    allow: Vec<Spanned<RawAllow>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    checks: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllowFile {
    #[serde(default)]
    allow: Vec<Spanned<RawAllow>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAllow {
    path: Spanned<String>,
    code: String,
    json_path: Option<String>,
    sid: Option<String>,
    /// Free text for the reader of the allow-list.
    #[serde(rename = "reason")]
    _reason: Option<String>,
}

/// A severity setting: a level, or off.
type Level = Option<Severity>;

/// A path pattern: anchored at the directory of the file that declared it, or (without `/`)
/// a bare file-name pattern.
#[derive(Debug)]
enum Glob {
    Anchored(Pattern),
    Name(Pattern),
}

#[derive(Debug)]
struct Override {
    patterns: Vec<Glob>,
    checks: BTreeMap<String, Level>,
}

#[derive(Debug)]
struct Allow {
    /// `file:line` of the entry, for notes.
    origin: String,
    pattern: Glob,
    path_text: String,
    code: String,
    json_path: Option<String>,
    sid: Option<String>,
    used: usize,
}

/// The loaded configuration (empty when there is no config file).
#[derive(Debug, Default)]
pub(crate) struct Config {
    /// Where the configuration came from, for the summary.
    pub(crate) sources: Vec<String>,
    pub(crate) fail_on: Option<Severity>,
    checks: BTreeMap<String, Level>,
    overrides: Vec<Override>,
    allow: Vec<Allow>,
    cwd: PathBuf,
}

/// Parses a severity name (`security` and `security-warning` are the same).
pub(crate) fn parse_severity(s: &str) -> Option<Level> {
    Some(Some(match s {
        "error" => Severity::Error,
        "security" | "security-warning" | "security_warning" => Severity::SecurityWarning,
        "warning" => Severity::Warning,
        "suggestion" => Severity::Suggestion,
        "off" => return Some(None),
        _ => return None,
    }))
}

impl Config {
    /// Loads `--config FILE`, or the nearest `.keyward.toml` from `cwd` up to the git root,
    /// and the allow-list that goes with it.
    pub(crate) fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Config, String> {
        let mut cfg = Config { cwd: cwd.to_path_buf(), ..Config::default() };
        let config_path = match explicit {
            Some(p) => Some(normalize(cwd, p)),
            None => io::find_upward(cwd, CONFIG_NAME),
        };
        let mut allow_path = None;
        if let Some(path) = &config_path {
            let text = crate::files::read(path)?;
            let file = shown(cwd, path);
            let raw: RawConfig = toml::from_str(&text).map_err(|e| toml_error(&file, &text, &e))?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let at = |sp: std::ops::Range<usize>| position(&file, &text, sp.start);
            if let Some(f) = &raw.fail_on {
                match parse_severity(f.get_ref()) {
                    Some(Some(s)) => cfg.fail_on = Some(s),
                    _ => {
                        return Err(format!(
                            "{}: unknown fail-on `{}` (error|security|warning|suggestion)",
                            at(f.span()),
                            f.get_ref()
                        ))
                    }
                }
            }
            cfg.checks = levels(&raw.checks, &at)?;
            for o in &raw.overrides {
                let patterns = o
                    .paths
                    .iter()
                    .map(|p| pattern(&base, p, &at))
                    .collect::<Result<Vec<_>, _>>()?;
                let checks = levels(&o.checks, &at)?;
                cfg.overrides.push(Override { patterns, checks });
            }
            cfg.add_allows(&raw.allow, &file, &text, &base)?;
            cfg.sources.push(file);
            allow_path = match &raw.allow_list {
                Some(a) => Some(normalize(&base, Path::new(a.get_ref()))),
                None => Some(base.join(ALLOW_NAME)).filter(|p| io::is_file(p)),
            };
        }
        if config_path.is_none() {
            allow_path = io::find_upward(cwd, ALLOW_NAME);
        }
        if let Some(path) = allow_path {
            let text = crate::files::read(&path)?;
            let file = shown(cwd, &path);
            let raw: RawAllowFile =
                toml::from_str(&text).map_err(|e| toml_error(&file, &text, &e))?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            cfg.add_allows(&raw.allow, &file, &text, &base)?;
            cfg.sources.push(file);
        }
        Ok(cfg)
    }

    fn add_allows(
        &mut self,
        entries: &[Spanned<RawAllow>],
        file: &str,
        text: &str,
        base: &Path,
    ) -> Result<(), String> {
        let at = |sp: std::ops::Range<usize>| position(file, text, sp.start);
        for e in entries {
            let a = e.get_ref();
            if a.code.is_empty() {
                return Err(format!("{}: allow-list entry has an empty `code`", at(e.span())));
            }
            self.allow.push(Allow {
                origin: at(e.span()),
                pattern: pattern(base, &a.path, &at)?,
                path_text: a.path.get_ref().clone(),
                code: a.code.clone(),
                json_path: a.json_path.clone(),
                sid: a.sid.clone(),
                used: 0,
            });
        }
        Ok(())
    }

    /// The severity a finding gets in `file` (None: the check is off there).
    pub(crate) fn severity(&self, file: &Path, code: &str, default: Severity) -> Option<Severity> {
        let mut level = self.checks.get(code).copied().unwrap_or(Some(default));
        for o in &self.overrides {
            if let Some(l) = o.checks.get(code) {
                if o.patterns.iter().any(|p| matches(p, &self.cwd, file)) {
                    level = *l;
                }
            }
        }
        level
    }

    /// True when an allow-list entry covers `hit` in `file` (the entry is then counted as used).
    pub(crate) fn allowed(&mut self, file: &Path, hit: &Hit) -> bool {
        let cwd = self.cwd.clone();
        for a in &mut self.allow {
            if a.code != hit.code {
                continue;
            }
            if let Some(jp) = &a.json_path {
                if !(hit.inner_path.starts_with(jp.as_str()) || hit.path.starts_with(jp.as_str())) {
                    continue;
                }
            }
            if a.sid.is_some() && a.sid != hit.sid {
                continue;
            }
            if matches(&a.pattern, &cwd, file) {
                a.used += 1;
                return true;
            }
        }
        false
    }

    /// Notes for allow-list entries that suppressed nothing in this run.
    pub(crate) fn unused_notes(&self) -> Vec<String> {
        self.allow
            .iter()
            .filter(|a| a.used == 0)
            .map(|a| {
                format!(
                    "{}: allow-list entry `{}` for `{}` suppressed nothing (remove it if the finding is fixed)",
                    a.origin, a.code, a.path_text
                )
            })
            .collect()
    }
}

fn levels(
    raw: &BTreeMap<String, Spanned<String>>,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> Result<BTreeMap<String, Level>, String> {
    raw.iter()
        .map(|(code, v)| match parse_severity(v.get_ref()) {
            Some(l) => Ok((code.clone(), l)),
            None => Err(format!(
                "{}: unknown severity `{}` for `{code}` (error|security|warning|suggestion|off)",
                at(v.span()),
                v.get_ref()
            )),
        })
        .collect()
}

fn pattern(
    base: &Path,
    p: &Spanned<String>,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> Result<Glob, String> {
    let bad = |e: glob::PatternError| {
        format!("{}: bad path pattern `{}`: {}", at(p.span()), p.get_ref(), e.msg)
    };
    let text = p.get_ref().replace('\\', "/");
    if !text.contains('/') {
        return Pattern::new(&text).map(Glob::Name).map_err(bad);
    }
    let mut base = base.to_path_buf();
    let mut rest = text.as_str();
    loop {
        if let Some(r) = rest.strip_prefix("./") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("../") {
            base.pop();
            rest = r;
        } else {
            break;
        }
    }
    let full = if rest.starts_with('/') {
        rest.to_string()
    } else {
        format!("{}/{rest}", Pattern::escape(&slash(&base)).trim_end_matches('/'))
    };
    Pattern::new(&full).map(Glob::Anchored).map_err(bad)
}

/// `file:line:col` of a byte offset in a config file.
fn position(file: &str, text: &str, offset: usize) -> String {
    let lc = LineIndex::new(text).line_col(u32::try_from(offset).unwrap_or(u32::MAX - 1));
    format!("{file}:{}:{}", lc.line, lc.col)
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(sp) => format!("{}: {msg}", position(file, text, sp.start)),
        None => format!("{file}: {msg}"),
    }
}

/// Does `glob` match `file` (as given on the command line, relative to `cwd`)?
fn matches(glob: &Glob, cwd: &Path, file: &Path) -> bool {
    let opts = MatchOptions { require_literal_separator: true, ..MatchOptions::new() };
    match glob {
        Glob::Anchored(p) => p.matches_with(&slash(&normalize(cwd, file)), opts),
        Glob::Name(p) => {
            file.file_name().and_then(|n| n.to_str()).is_some_and(|n| p.matches_with(n, opts))
        }
    }
}

/// A config path as shown in messages: relative to the current directory when inside it.
fn shown(cwd: &Path, p: &Path) -> String {
    p.strip_prefix(cwd).unwrap_or(p).display().to_string()
}

fn slash(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/").trim_start_matches("./").to_string()
}

/// `p` made absolute against `cwd`, with `.` and `..` removed (lexically; no file access).
pub(crate) fn normalize(cwd: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_relative_to_base() {
        let at = |_: std::ops::Range<usize>| String::new();
        let glob = |s: &str| {
            pattern(Path::new("/re[po"), &Spanned::new(0..0, s.to_string()), &at).unwrap()
        };
        let cwd = Path::new("/re[po/sub");
        let p = glob("legacy/**/*.json");
        assert!(matches(&p, cwd, Path::new("../legacy/a/b.json")));
        assert!(matches(&p, cwd, Path::new("../legacy/b.json")));
        assert!(!matches(&p, cwd, Path::new("legacy/b.json")));
        assert!(matches(&glob("../other/*.json"), cwd, Path::new("/other/a.json")));
        assert!(matches(&glob("scp-*.json"), cwd, Path::new("x/y/scp-a.json")));
    }

    #[test]
    fn spanned_allow_entries_parse() {
        let text = "[[allow]]\npath = \"a.json\"\ncode = \"x\"\n\n[[allow]]\npath = \"b\"\ncode = \"y\"\nsid = \"S\"\n";
        let raw: RawAllowFile = toml::from_str(text).unwrap();
        assert_eq!(raw.allow.len(), 2);
        assert_eq!(position("f", text, raw.allow[1].span().start), "f:5:1");
    }
}
