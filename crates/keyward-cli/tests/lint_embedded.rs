//! `keyward lint` on CloudFormation templates (JSON and YAML) and Terraform plans: every
//! finding points at `line:col` in the original file, with the template path of the policy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure is a test failure"
)]

mod common;
use common::{keyward, root};
use std::path::PathBuf;

const FIX: &str = "crates/keyward-cli/tests/lint_fixtures";

/// The parse codes the fixtures plant. Policy checks (which keep growing) may add findings of
/// their own; the fixtures are about positions, so only these are compared.
const PLANTED: &[&str] =
    &["invalid-effect", "invalid-action", "unknown-element", "invalid-version"];

/// `(line, column, end_column, code, path)` of every planted diagnostic in `--format json` output.
fn findings(file: &str) -> Vec<(u64, u64, u64, String, String)> {
    let (code, out, err) = keyward(&["lint", "--format", "json", file]);
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut all = Vec::new();
    for unit in v.as_array().unwrap() {
        assert_eq!(unit["file"], file);
        for d in unit["diagnostics"].as_array().unwrap() {
            if !PLANTED.contains(&d["code"].as_str().unwrap()) {
                continue;
            }
            all.push((
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["end_column"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
            ));
        }
    }
    all
}

fn has(
    all: &[(u64, u64, u64, String, String)],
    line: u64,
    col: u64,
    end: u64,
    code: &str,
    path: &str,
) {
    assert!(
        all.iter().any(|f| f == &(line, col, end, code.to_string(), path.to_string())),
        "no {code} at {line}:{col}-{end} ({path}) in {all:#?}"
    );
}

#[test]
fn cfn_json_substring_intrinsics_and_string_policies() {
    let all = findings(&format!("{FIX}/cfn/app-stack.json"));
    // Key policy: an intrinsic-free object, linted as the exact substring of the template.
    has(
        &all,
        20,
        25,
        32,
        "invalid-effect",
        "Resources.AppKey.Properties.KeyPolicy.Statement[1].Effect",
    );
    // Inline role policy with Fn::GetAtt and Fn::Sub: rendered, mapped token by token.
    has(
        &all,
        45,
        48,
        57,
        "invalid-action",
        "Resources.AppRole.Properties.Policies[0].PolicyDocument.Statement[1].Action",
    );
    // SCP given as a JSON string: mapped through the escapes (`\"Colour\"` starts at col 151).
    has(
        &all,
        57,
        151,
        161,
        "unknown-element",
        "Resources.DenyDeletion.Properties.Content.Statement.Colour",
    );
    // The intrinsics themselves raise nothing, and the trust policy is not linted.
    assert_eq!(all.len(), 3, "{all:#?}");
}

#[test]
fn cfn_yaml_maps_back_to_yaml_positions() {
    let all = findings(&format!("{FIX}/cfn/app-stack.yaml"));
    has(
        &all,
        20,
        21,
        26,
        "invalid-effect",
        "Resources.AppKey.Properties.KeyPolicy.Statement[1].Effect",
    );
    has(
        &all,
        36,
        35,
        50,
        "invalid-action",
        "Resources.UseKey.Properties.PolicyDocument.Statement[1].Action",
    );
    assert_eq!(all.len(), 2, "{all:#?}");
}

#[test]
fn cfn_json_kinds_come_from_the_resource() {
    let (_, out, _) = keyward(&["lint", "--format", "json", &format!("{FIX}/cfn/app-stack.json")]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let kinds: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["document"].as_str().unwrap().into(), u["kind"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("Resources.AppKey.Properties.KeyPolicy".into(), "key".into()),
            ("Resources.AppRole.Properties.Policies[0].PolicyDocument".into(), "identity".into()),
            ("Resources.DenyDeletion.Properties.Content".into(), "scp".into()),
        ]
    );
}

#[test]
fn terraform_plan_policies_map_through_escapes() {
    let all = findings(&format!("{FIX}/terraform/plan.json"));
    // Pretty-printed policy string: `\"allow\"` at column 353 of line 14, 9 columns wide.
    has(&all, 14, 353, 362, "invalid-effect", "aws_kms_key.app.policy.Statement[1].Effect");
    // A child module's compact policy string.
    has(
        &all,
        39,
        173,
        184,
        "invalid-action",
        "module.app.aws_iam_policy.use_key.policy.Statement[1].Action",
    );
    // planned_values wins over resource_changes: the key policy is linted once.
    assert_eq!(all.len(), 2, "{all:#?}");
}

#[test]
fn human_output_shows_the_template_line() {
    let (code, out, _) = keyward(&["lint", &format!("{FIX}/cfn/app-stack.yaml")]);
    assert_eq!(code, 1);
    assert!(out.contains(&format!("--> {FIX}/cfn/app-stack.yaml:36:35")), "{out}");
    assert!(out.contains("36 |             Action: [kms:Encrypt, GenerateDataKey]"), "{out}");
    assert!(
        out.contains("   |                                   ^^^^^^^^^^^^^^^ at Resources.UseKey"),
        "{out}"
    );
    assert!(out.contains("1 file(s) linted (2 documents): "), "{out}");
}

#[test]
fn directories_pick_up_templates_and_skip_other_yaml() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lint-embedded-dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("deep")).unwrap();
    std::fs::copy(root().join(FIX).join("cfn/app-stack.yaml"), dir.join("deep/stack.yml")).unwrap();
    std::fs::copy(root().join(FIX).join("cfn/app-stack.json"), dir.join("stack.template")).unwrap();
    std::fs::write(dir.join("workflow.yaml"), "on: push\njobs: {}\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not linted").unwrap();
    let (code, out, err) = keyward(&["lint", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files: Vec<&str> =
        v.as_array().unwrap().iter().map(|u| u["file"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 5, "{files:?}");
    assert!(files.iter().all(|f| f.ends_with("deep/stack.yml") || f.ends_with("stack.template")));
    assert!(err.contains("3 file(s) linted (5 documents)"), "{err}");
}

#[test]
fn broken_yaml_template_is_an_error_with_position() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lint-embedded-broken");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.yaml");
    std::fs::write(&file, "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: [unclosed\n")
        .unwrap();
    let (code, out, _) = keyward(&["lint", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[yaml-syntax]"), "{out}");
    assert!(out.contains("broken.yaml:4:1") || out.contains("broken.yaml:3:"), "{out}");
}

#[test]
fn plain_policy_kind_inference_is_unchanged() {
    let (_, out, _) = keyward(&[
        "lint",
        "--format",
        "json",
        "policies/examples/scp-deny-key-deletion.json",
        "policies/broken/effect-lowercase-value.json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["kind"], "scp");
    assert_eq!(v[0]["kind_inferred"], false);
    assert_eq!(v[0]["document"], serde_json::Value::Null);
    assert_eq!(v[1]["kind"], "key");
    assert_eq!(v[1]["kind_inferred"], true);
}
