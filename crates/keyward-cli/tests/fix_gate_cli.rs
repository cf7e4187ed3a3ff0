//! The lint gate of fixes in the outputs that print fixes besides `explain`: `explain
//! --cloudtrail` (policies given as files or as AWS CLI output) and `keyward test`'s failing
//! cases (policies inline in the scenario or in files beside it). A fix that adds a security
//! finding says so and names it; a fix that adds none is shown as it is.
#![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

mod common;
use common::{keyward, root, KEY};

const ADMINS: &str = r#"{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"kms:*","Resource":"*"}"#;
const FLAG: &str = "keyward lint flags the fixed document: restrict-access-to-service-principal";

fn key_policy() -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{ADMINS}]}}"#)
}

/// DynamoDB (the service principal) decrypting with no encryption context: the only fix names
/// the service with no source condition, which lint flags (confused deputy).
fn service_event(dir: &std::path::Path) -> String {
    let text =
        std::fs::read_to_string(root().join("tests/corpus/inputs/cloudtrail/service-invoked.json"))
            .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut r = v["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["userIdentity"]["type"] == "AWSService")
        .unwrap()
        .clone();
    r["requestParameters"].as_object_mut().unwrap().remove("encryptionContext");
    let p = dir.join("event.json");
    std::fs::write(&p, r.to_string()).unwrap();
    p.display().to_string()
}

#[test]
fn explain_cloudtrail_labels_a_fix_lint_flags_in_a_file_or_in_get_key_policy_output() {
    let dir = tempfile::tempdir().unwrap();
    let ev = service_event(dir.path());
    let plain = dir.path().join("kp.json");
    std::fs::write(&plain, key_policy()).unwrap();
    let wrapped = dir.path().join("get-key-policy.json");
    std::fs::write(&wrapped, serde_json::json!({"Policy": key_policy()}).to_string()).unwrap();
    for kp in [&plain, &wrapped] {
        let (code, out, err) =
            keyward(&["explain", "--cloudtrail", &ev, "--key-policy", kp.to_str().unwrap()]);
        // Exit 1: keyward denies what CloudTrail recorded as a success (the policy is made up).
        assert_eq!(code, 1, "{out}{err}");
        let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("principal dynamodb.amazonaws.com kms:Decrypt"), "{out}");
        assert!(flat.contains(FLAG), "{}: {out}", kp.display());
        let (_, json, _) = keyward(&[
            "explain",
            "--cloudtrail",
            &ev,
            "--key-policy",
            kp.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(json.contains("\"restrict-access-to-service-principal\""), "{json}");
    }
}

#[test]
fn keyward_test_labels_the_fixes_of_a_failing_case_inline_or_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kp.json"), key_policy()).unwrap();
    let policy: serde_json::Value = serde_json::from_str(&key_policy()).unwrap();
    for (name, kp) in [("inline", policy), ("file", serde_json::json!("kp.json"))] {
        let scenario = serde_json::json!({
            "defaults": {"account": "111122223333", "region": "us-east-1"},
            "keys": {"k": {"arn": KEY, "policy": kp}},
            "cases": [{"name": "dynamodb decrypts", "principal": "service:dynamodb.amazonaws.com",
                       "action": "kms:Decrypt", "key": "k", "expect": "Allow"}],
        });
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&scenario).unwrap()).unwrap();
        let (code, out, err) = keyward(&["test", path.to_str().unwrap()]);
        assert_eq!(code, 1, "{out}{err}");
        let flat = out.replace("  | ", " ").split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(FLAG), "{name}: {out}");
    }
}
