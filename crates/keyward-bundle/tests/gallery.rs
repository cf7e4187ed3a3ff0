//! The playground's gallery (`web/src/examples.js`, as data in `tests/data/gallery.json`, which
//! the Python package's `tests/test_bundle.py` reads too) through the library's explain: for
//! each denied example the first fix is safe (not labelled by the lint gate, not a widening of a
//! `kms:*`, key-administration or `Resource: "*"` statement), the why names the near miss where
//! there is one, and every fix applies in one click (its `fixed_text` or `fixed_request` gives
//! Allow), the new grant fix included. The WASM module's `explain` returns this same JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use serde_json::{json, Value};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> String {
    std::fs::read_to_string(root().join("policies/examples").join(name)).unwrap()
}

fn explain(bundle: &Value) -> Value {
    keyward_bundle::explain::run(&bundle.to_string())
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

fn without_root(text: &str) -> String {
    let mut doc: Value = serde_json::from_str(text).unwrap();
    doc["Statement"].as_array_mut().unwrap().retain(|s| s["Sid"] != "Enable IAM User Permissions");
    serde_json::to_string_pretty(&doc).unwrap()
}

/// The gallery's cases as `(id, bundle, why)`.
fn gallery() -> Vec<(String, Value, Option<String>)> {
    let path = root().join("crates/keyward-bundle/tests/data/gallery.json");
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let key = data["key"].clone();
    let mut out = Vec::new();
    for c in data["cases"].as_array().unwrap() {
        let mut kp = example(c["key_policy"].as_str().unwrap());
        if c["without_root"] == true {
            kp = without_root(&kp);
        }
        let mut request = c["request"].clone();
        request["key_arn"] = key.clone();
        let mut b = json!({"key_policy": kp, "request": request});
        if let Some(list) = c["identity_policies"].as_array() {
            let docs: Vec<Value> = list
                .iter()
                .map(|n| json!({"name": n, "text": example(n.as_str().unwrap())}))
                .collect();
            b["identity_policies"] = json!(docs);
        }
        if let Some(g) = c["grants"].as_str() {
            b["grants"] = json!(example(g));
        }
        out.push((c["id"].as_str().unwrap().to_string(), b, c["why"].as_str().map(String::from)));
    }
    out
}

#[test]
fn gallery_examples_show_a_safe_first_fix_and_every_fix_applies() {
    let cases = gallery();
    assert_eq!(cases.len(), 5);
    for (id, bundle, why) in cases {
        let r = explain(&bundle);
        assert_eq!(r["ok"], true, "{id}: {r}");
        assert_eq!(r["decision"], "ImplicitDeny", "{id}: {}", r["summary"]);
        if let Some(w) = why {
            assert!(r["summary"].as_str().unwrap().starts_with(&w), "{id}: {}", r["summary"]);
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
