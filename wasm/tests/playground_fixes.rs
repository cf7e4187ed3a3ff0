//! The playground's gallery (`web/src/examples.js`) through the native JSON API: for each
//! denied example the first fix is safe (not labelled by the lint gate, not a widening of a
//! `kms:*`, key-administration or `Resource: "*"` statement), the why names the near miss where
//! there is one, and every fix applies in one click (its `fixed_text` or `fixed_request` gives
//! Allow), the new grant fix included.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use serde_json::{json, Value};

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn example(name: &str) -> String {
    let path = format!("{}/../policies/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

fn explain(bundle: &Value) -> Value {
    serde_json::from_str(&keyward_wasm::explain(&bundle.to_string())).unwrap()
}

/// Applies a fix to a bundle the way the page does.
fn apply_fix(bundle: &Value, fix: &Value) -> Value {
    let mut b = bundle.clone();
    let field = fix["field"].as_str().unwrap();
    if field == "request" {
        b["request"] = fix["fixed_request"].clone();
        return b;
    }
    let text = fix["fixed_text"].clone();
    assert!(text.is_string(), "fix without text: {fix}");
    if let Some(i) = field.strip_prefix("identity_policies[").and_then(|r| r.strip_suffix(']')) {
        let i: usize = i.parse().unwrap();
        if b.get("identity_policies").is_none() {
            b["identity_policies"] = json!([]);
        }
        let list = b["identity_policies"].as_array_mut().unwrap();
        if i == list.len() {
            list.push(json!({"name": fix["new_policy_name"], "text": text}));
        } else {
            list[i]["text"] = text;
        }
    } else {
        b[field] = text;
    }
    b
}

fn without_root(name: &str) -> String {
    let mut doc: Value = serde_json::from_str(&example(name)).unwrap();
    doc["Statement"].as_array_mut().unwrap().retain(|s| s["Sid"] != "Enable IAM User Permissions");
    serde_json::to_string_pretty(&doc).unwrap()
}

#[test]
fn gallery_examples_show_a_safe_first_fix_and_every_fix_applies() {
    let ident = |n: &str| json!([{"name": n, "text": example(n)}]);
    let cases = [
        (
            "cross-account",
            json!({"key_policy": example("cross-account-via-service-key-policy.json"),
                   "identity_policies": ident("iam-kms-basic-usage-policy.json"),
                   "request": {"principal": "arn:aws:iam::444455556666:user/analyst", "action": "kms:Decrypt", "key_arn": KEY}}),
            Some("statement 'Allow cross-account access' would allow this, but its condition kms:ViaService"),
        ),
        (
            "wrong-context",
            json!({"key_policy": example("encryption-context-finance-dataanalytics-key-policy.json"),
                   "identity_policies": ident("iam-kms-basic-usage-policy.json"),
                   "request": {"principal": "arn:aws:sts::444455556666:assumed-role/DataProcessingRole/etl-run", "action": "kms:Decrypt", "key_arn": KEY,
                               "encryption_context": {"Department": "Finance", "Project": "Marketing"}}}),
            Some("statement 'Restrict to specific encryption context' would allow this, but its condition kms:EncryptionContext:Project = DataAnalytics"),
        ),
        (
            "no-delegation",
            json!({"key_policy": without_root("application-key-policy.json"),
                   "identity_policies": ident("iam-kms-usage-policy.json"),
                   "request": {"principal": "arn:aws:iam::111122223333:user/analyst", "action": "kms:Decrypt", "key_arn": KEY}}),
            None,
        ),
        (
            "grant-constraint",
            json!({"key_policy": example("default-key-policy.json"),
                   "grants": example("grant-create-request.json"),
                   "request": {"principal": "arn:aws:sts::111122223333:assumed-role/BatchProcessingRole/nightly", "action": "kms:Decrypt", "key_arn": KEY,
                               "encryption_context": {"Department": "Finance"}}}),
            Some("grant 'batch-processing-finance' would allow this, but its EncryptionContextSubset constraint"),
        ),
        (
            "mfa-emergency",
            json!({"key_policy": example("business-hours-mfa-emergency-key-policy.json"),
                   "request": {"principal": "arn:aws:sts::111122223333:assumed-role/EmergencyRole/on-call", "action": "kms:Decrypt", "key_arn": KEY,
                               "time": "2026-03-10T23:30:00Z"}}),
            Some("statement 'Emergency access outside business hours' would allow this, but its condition aws:MultiFactorAuthPresent"),
        ),
    ];
    for (id, bundle, why) in cases {
        let r = explain(&bundle);
        assert_eq!(r["ok"], true, "{id}: {r}");
        assert_eq!(r["decision"], "ImplicitDeny", "{id}: {}", r["summary"]);
        if let Some(w) = why {
            assert!(r["summary"].as_str().unwrap().starts_with(w), "{id}: {}", r["summary"]);
        }
        let fixes = r["fixes"].as_array().unwrap();
        assert!(!fixes.is_empty(), "{id}: {r:#}");
        let first = &fixes[0];
        assert_eq!(first["lint"], json!([]), "{id}: {first:#}");
        assert_eq!(first["adds"]["broad"], false, "{id}: {first:#}");
        assert!(first["adds"]["actions"].as_u64().unwrap() <= 1, "{id}: {first:#}");
        assert_ne!(first["edit"]["kind"], "add_principal", "{id}: {first:#}");
        for f in fixes {
            assert_eq!(f["adds"]["broad"], false, "{id}: {f:#}");
            let after = explain(&apply_fix(&bundle, f));
            assert_eq!(after["decision"], "Allow", "{id}: {}", f["message"]);
        }
    }
}
