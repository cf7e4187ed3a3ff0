//! `keyward lint` configuration: `.keyward.toml` severities, disabled checks, per-path
//! overrides, the allow-list (by path, code, Sid and JSON path), unused-entry notes, discovery
//! up to the git root, `--config`, and config errors that name `file:line:col`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure is a test failure"
)]

mod common;
use common::keyward_in;
use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lint_fixtures/config")
}

/// The parse codes the fixtures plant (policy checks may add findings of their own; these
/// tests are about configuration, so only the planted codes are compared).
const PLANTED: &[&str] = &["invalid-effect", "invalid-action", "invalid-version"];

/// `(file, code, severity, line)` of every planted diagnostic in `--format json` output.
fn diags(out: &str) -> Vec<(String, String, String, u64)> {
    let v: serde_json::Value = serde_json::from_str(out).unwrap();
    let mut all = Vec::new();
    for u in v.as_array().unwrap() {
        for d in u["diagnostics"].as_array().unwrap() {
            if !PLANTED.contains(&d["code"].as_str().unwrap()) {
                continue;
            }
            all.push((
                u["file"].as_str().unwrap().to_string(),
                d["code"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            ));
        }
    }
    all.sort();
    all
}

fn d(file: &str, code: &str, sev: &str, line: u64) -> (String, String, String, u64) {
    (file.into(), code.into(), sev.into(), line)
}

#[test]
fn severities_overrides_and_allow_list() {
    let (code, out, err) =
        keyward_in(&fixture(), &["lint", "--format", "json", "policies", "legacy"]);
    assert_eq!(
        diags(&out),
        vec![
            // [checks] invalid-effect = "warning"; [[overrides]] legacy/**: invalid-action off.
            d("legacy/v1/identity-old.json", "invalid-effect", "WARNING", 4),
            d("policies/identity-effect.json", "invalid-effect", "WARNING", 4),
            // Statement[0] (Sid KnownTypo) and Statement[2] (json-path) are allowed.
            d("policies/identity-typos.json", "invalid-action", "ERROR", 5),
        ]
    );
    assert_eq!(code, 1, "the remaining invalid-action is an error");
    assert!(err.contains("3 file(s) linted: 1 error(s), 0 security warning(s), 2 warning(s), 0 suggestion(s) (2 allowed, 1 disabled)"), "{err}");
    // The entry for a file that no longer has the finding is reported, with file:line:col.
    assert!(
        err.contains("note: .keyward-allow.toml:14:1: allow-list entry `invalid-version` for `policies/deleted-long-ago.json` suppressed nothing"),
        "{err}"
    );
}

#[test]
fn human_notes_and_fail_on_from_warnings() {
    let dir = fixture();
    let (code, out, _) = keyward_in(&dir, &["lint", "legacy", "policies/identity-effect.json"]);
    assert_eq!(code, 0, "warnings do not fail by default\n{out}");
    assert!(out.contains("warning[invalid-effect]"), "{out}");
    assert!(
        out.contains("note: .keyward-allow.toml:3:1: allow-list entry `invalid-action`"),
        "{out}"
    );
    let (code, _, _) = keyward_in(&dir, &["lint", "--fail-on", "warning", "legacy"]);
    assert_eq!(code, 1);
}

#[test]
fn config_is_found_from_a_subdirectory() {
    let (code, out, _) = keyward_in(&fixture().join("legacy"), &["lint", "--format", "json", "v1"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(diags(&out), vec![d("v1/identity-old.json", "invalid-effect", "WARNING", 4)]);
}

fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const EFFECT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"kms:Decrypt","Resource":"*"}]}"#;

#[test]
fn explicit_config_disables_and_config_fail_on() {
    let dir = scratch(
        "lint-config-explicit",
        &[
            (
                "ci/keyward.toml",
                "fail-on = \"suggestion\"\n[checks]\ninvalid-effect = \"suggestion\"\n",
            ),
            ("ci/off.toml", "[checks]\ninvalid-effect = \"off\"\n"),
            ("identity-a.json", EFFECT),
        ],
    );
    let (code, out, _) =
        keyward_in(&dir, &["lint", "--config", "ci/keyward.toml", "identity-a.json"]);
    assert_eq!(code, 1, "fail-on from the config\n{out}");
    assert!(out.contains("suggestion[invalid-effect]"), "{out}");
    let (code, _, _) = keyward_in(
        &dir,
        &["lint", "--config", "ci/keyward.toml", "--fail-on", "warning", "identity-a.json"],
    );
    assert_eq!(code, 0, "--fail-on wins over the config");
    let (code, out, _) = keyward_in(&dir, &["lint", "--config", "ci/off.toml", "identity-a.json"]);
    assert_eq!(code, 0);
    assert!(out.contains("1 file(s) linted: clean (1 disabled)"), "{out}");
}

#[test]
fn per_path_override_with_bare_file_name_pattern() {
    let dir = scratch(
        "lint-config-bare",
        &[
            (".keyward.toml", "[[overrides]]\npaths = [\"identity-legacy*.json\"]\nchecks = { invalid-effect = \"off\" }\n"),
            ("a/identity-legacy-1.json", EFFECT),
            ("a/identity-new.json", EFFECT),
        ],
    );
    let (code, out, _) = keyward_in(&dir, &["lint", "--format", "json", "a"]);
    assert_eq!(code, 1);
    assert_eq!(diags(&out), vec![d("a/identity-new.json", "invalid-effect", "ERROR", 1)]);
}

#[test]
fn allow_list_in_the_config_and_allow_list_key() {
    let dir = scratch(
        "lint-config-allow-key",
        &[
            (
                ".keyward.toml",
                "allow-list = \"ci/allow.toml\"\n\n[[allow]]\npath = \"x/*.json\"\ncode = \"invalid-effect\"\n",
            ),
            ("ci/allow.toml", "[[allow]]\npath = \"../y/identity-b.json\"\ncode = \"invalid-effect\"\n"),
            ("x/identity-a.json", EFFECT),
            ("y/identity-b.json", EFFECT),
        ],
    );
    let (code, out, err) = keyward_in(&dir, &["lint", "--format", "json", "x", "y"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(diags(&out), vec![]);
    assert!(err.contains("clean (2 allowed)"), "{err}");
    assert!(!err.contains("note:"), "{err}");
}

#[test]
fn config_errors_name_file_line_col_and_exit_2() {
    let cases: &[(&str, &str)] = &[
        ("[checks]\ninvalid-effect = \"loud\"\n", ".keyward.toml:2:18: unknown severity `loud`"),
        ("fail-on = \"never\"\n", ".keyward.toml:1:11: unknown fail-on `never`"),
        ("\n\nseverity = 3\n", ".keyward.toml:3:1: unknown field `severity`"),
        ("[[overrides]]\npaths = [\"a/[\"]\n", ".keyward.toml:2:10: bad path pattern `a/[`"),
        ("[checks\n", ".keyward.toml:1:8:"),
        ("[[allow]]\ncode = \"x\"\n", ".keyward.toml:1:1: missing field `path`"),
    ];
    for (i, (toml, want)) in cases.iter().enumerate() {
        let dir = scratch(
            &format!("lint-config-bad-{i}"),
            &[(".keyward.toml", toml), ("identity-a.json", EFFECT)],
        );
        let (code, _, err) = keyward_in(&dir, &["lint", "identity-a.json"]);
        assert_eq!(code, 2, "{toml}");
        assert!(err.starts_with(&format!("error: {want}")), "want `{want}`, got {err}");
    }
    let dir = scratch(
        "lint-config-bad-allow",
        &[
            (".keyward-allow.toml", "[[allow]]\npath = \"a\"\ncode = \"\"\n"),
            ("identity-a.json", EFFECT),
        ],
    );
    let (code, _, err) = keyward_in(&dir, &["lint", "identity-a.json"]);
    assert_eq!(code, 2);
    assert!(err.contains(".keyward-allow.toml:1:1: allow-list entry has an empty `code`"), "{err}");
}
