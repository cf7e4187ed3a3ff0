//! Native tests of the JSON API (the same functions the WASM exports).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use serde_json::{json, Value};

fn j(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

const EC_POLICY: &str = include_str!(
    "../../policies/examples/encryption-context-finance-dataanalytics-key-policy.json"
);
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

#[test]
fn lint_positions() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"kms:Decrypt\", \"Resource\": \"*\",}]\n}";
    let r = j(&keyward_wasm::lint(text, "identity"));
    assert_eq!(r["ok"], true, "{r}");
    let f = &r["findings"][0];
    assert_eq!(f["line"], 3, "{r}");
}

#[test]
fn explain_wrong_context_fix_applies() {
    let bundle = json!({
        "key_policy": EC_POLICY,
        "identity_policies": [{"name": "etl", "text": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"#}],
        "request": {
            "principal": "arn:aws:sts::444455556666:assumed-role/DataProcessingRole/etl-run",
            "action": "kms:Decrypt", "key_arn": KEY,
            "encryption_context": {"Department": "HR", "Project": "DataAnalytics"},
        }
    });
    let r = j(&keyward_wasm::explain(&bundle.to_string()));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["decision"], "ImplicitDeny", "{}", r["summary"]);
    let fixes = r["fixes"].as_array().unwrap();
    assert!(!fixes.is_empty(), "{r:#}");
    for f in fixes {
        assert!(f["fixed_text"].is_string() || f["fixed_request"].is_object(), "{f:#}");
    }
    let ctx_fix = fixes.iter().find(|f| f["edit"]["kind"] == "set_context").unwrap();
    let req = ctx_fix["fixed_request"].clone();
    assert!(req.is_object(), "{:#}", r["fixes"]);
    let mut b2 = bundle;
    b2["request"] = req;
    let r2 = j(&keyward_wasm::explain(&b2.to_string()));
    assert_eq!(r2["decision"], "Allow", "{r2}");
}

#[test]
fn bench_fixture_decides() {
    let (s, r) = keyward_wasm::bench_fixture().unwrap();
    assert_eq!(keyward_wasm::decide_n(&s, &r, 1), 1);
    assert!(keyward_wasm::bench_decide(1000) > 0.0);
}
