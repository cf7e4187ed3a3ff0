//! Issue 22 end to end: `who-can` and `diff --fail-on-new-access` see the callers a key policy
//! admits beyond any export (principal classes), for every case in
//! `tests/corpus/inputs/classes/cases.json`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::{keyward, KEY};
use serde_json::Value;

const ROOT: &str = r#"{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;

fn policy(extra: &[Value]) -> String {
    let mut st: Vec<Value> = vec![serde_json::from_str(ROOT).unwrap()];
    st.extend(extra.iter().cloned());
    serde_json::json!({"Version": "2012-10-17", "Statement": st}).to_string()
}

#[test]
fn every_admitted_class_is_reported_and_fails_the_gate() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/inputs/classes/cases.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    std::fs::write(&old, policy(&[])).unwrap();
    let old = old.to_str().unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for (i, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let new = dir.path().join(format!("new{i}.json"));
        std::fs::write(&new, policy(case["add"].as_array().unwrap())).unwrap();
        let new = new.to_str().unwrap();
        let (code, out, err) = keyward(&[
            "who-can",
            "--action",
            "kms:Decrypt",
            "--key",
            KEY,
            "--key-policy",
            new,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{name}: {err}");
        let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
        for want in case["who_can"].as_array().unwrap() {
            let class = want["class"].as_str().unwrap();
            let row = rows
                .iter()
                .find(|r| r["kind"] == "class" && r["principal"] == class)
                .unwrap_or_else(|| panic!("{name}: no class `{class}` in\n{out}"));
            assert_eq!(row["status"], want["status"], "{name}: {class}");
            assert_eq!(row["class"]["description"], class, "{name}");
            assert!(row["class"]["representative"].as_str().unwrap().starts_with("arn:aws:"));
            if let Some(c) = want["condition"].as_str() {
                assert_eq!(row["conditions"][0]["condition"], c, "{name}");
            }
        }
        // The gate: the change adds access for a class, so it fails, and says for whom.
        let (code, out, err) = keyward(&[
            "diff",
            old,
            new,
            "--key",
            KEY,
            "--actions",
            "kms:Decrypt",
            "--fail-on-new-access",
            "--format",
            "json",
        ]);
        assert_eq!(code, 1, "{name}: {out}{err}");
        let changes: Vec<Value> = serde_json::from_str(&out).unwrap();
        let added = case["added"].as_str().unwrap();
        assert!(
            changes.iter().any(|c| c["change"] == "added"
                && c["principal"] == added
                && c["class"]["description"] == added),
            "{name}: no added class `{added}` in\n{out}"
        );
        // Unchanged policies change nothing, classes included.
        let (code, out, _) = keyward(&["diff", new, new, "--key", KEY, "--fail-on-new-access"]);
        assert_eq!(code, 0, "{name}: {out}");
    }
}

#[test]
fn the_repro_in_human_output() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.json"), dir.path().join("new.json"));
    std::fs::write(&old, policy(&[])).unwrap();
    let partner: Value = serde_json::from_str(r#"{"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": "444455556666"}}}"#).unwrap();
    std::fs::write(&new, policy(&[partner])).unwrap();
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let (code, out, _) = keyward(&["diff", old, new, "--key", KEY, "--fail-on-new-access"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "+ any principal of account 444455556666 (needs its own IAM allow) kms:Decrypt"
        ),
        "{out}"
    );
    let (_, out, _) =
        keyward(&["who-can", "--action", "kms:Decrypt", "--key", KEY, "--key-policy", new]);
    assert!(
        out.lines().any(|l| l.starts_with("Allow")
            && l.contains("any principal of account 444455556666 (needs its own IAM allow)")),
        "{out}"
    );
}
