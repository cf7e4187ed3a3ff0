//! Data-driven cases (`tests/data/near_miss.json`) for issue 14: the first line of the why names
//! the near miss (a statement or grant that one element, condition or constraint kept from
//! allowing), the service-principal misconception gets its own sentence, and each new fix kind
//! (policy-value edit, narrow new statement, grant, missing encryption-context pair) is offered,
//! and a grant's SourceArn constraint names the request's aws:SourceArn;
//! verified by deciding again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::eval::call::Call;
use keyward_core::eval::{
    apply, decide, explain, explain_why, CtxValue, Decision, NamedPolicy, PolicySet, Principal,
};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_grants, parse_policy};
use serde_json::Value;
use std::sync::Arc;

const K1: &str = "arn:aws:kms:us-east-1:111122223333:key/k1";

fn policy(kind: PolicyKind, name: &str, text: &str) -> NamedPolicy {
    let (p, diags) = parse_policy(text, kind, Limits::default());
    assert!(diags.is_empty(), "{name}: {diags:?}");
    NamedPolicy::new(name, p.unwrap())
}

fn statements_text(v: &Value) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":{v}}}"#)
}

fn case_set(c: &Value) -> PolicySet {
    let name = c["name"].as_str().unwrap();
    let mut set = PolicySet::default();
    if let Some(f) = c["key_policy_file"].as_str() {
        let path = format!("{}/../../policies/examples/{f}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        set.resource_policy = Some(policy(PolicyKind::Key, f, &text));
    } else if let Some(st) = c.get("key_policy") {
        set.resource_policy = Some(policy(PolicyKind::Key, "key policy", &statements_text(st)));
    }
    if let Some(Value::Array(ids)) = c.get("identity") {
        let text = statements_text(&Value::Array(ids.clone()));
        set.identity.push(policy(PolicyKind::Identity, "identity policy 0", &text));
    }
    if let Some(g) = c["grants"].as_str() {
        let (grants, diags) = parse_grants(g, Limits::default());
        assert!(diags.is_empty(), "{name}: {diags:?}");
        set.grants = grants.into_iter().map(Arc::new).collect();
    }
    set
}

fn case_request(c: &Value) -> keyward_core::eval::Request {
    let principal = Principal::parse(c["caller"].as_str().unwrap()).unwrap();
    let ec = c["ec"].as_object().map_or_else(Vec::new, |o| {
        o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect()
    });
    let extra = c["context"].as_object().map_or_else(Vec::new, |o| {
        o.iter().map(|(k, v)| (k.clone(), CtxValue::One(v.as_str().unwrap().to_string()))).collect()
    });
    let call = Call {
        encryption_context: ec,
        extra,
        via_service: c["via"].as_str().map(str::to_string),
        region: Some("us-east-1".into()),
        ..Call::new(c["action"].as_str().unwrap().to_string(), K1.to_string())
    };
    call.request(principal)
}

fn matches_edit(edit: &Value, want: &Value) -> bool {
    let text = edit.to_string();
    edit["kind"] == want["kind"]
        && want["contains"].as_array().unwrap().iter().all(|s| text.contains(s.as_str().unwrap()))
}

#[test]
fn near_miss_whys_and_fix_kinds() {
    let path = format!("{}/tests/data/near_miss.json", env!("CARGO_MANIFEST_DIR"));
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (set, req) = (case_set(c), case_request(c));
        assert_eq!(decide(&set, &req), Decision::ImplicitDeny, "{name}");
        let e = explain(&set, &req);
        assert_eq!(explain_why(&set, &req), e.summary, "{name}");
        let first = e.summary.lines().next().unwrap();
        assert_eq!(first, c["first_line"].as_str().unwrap(), "{name}\nwhy: {}", e.summary);
        for s in c["also"].as_array().into_iter().flatten() {
            assert!(e.summary.contains(s.as_str().unwrap()), "{name}: {s}\nwhy: {}", e.summary);
        }
        for s in c["not"].as_array().into_iter().flatten() {
            assert!(!e.summary.contains(s.as_str().unwrap()), "{name}: {s}\nwhy: {}", e.summary);
        }
        let edits: Vec<Value> =
            e.fixes.iter().map(|f| serde_json::to_value(&f.edit).unwrap()).collect();
        for want in c["fixes"].as_array().into_iter().flatten() {
            assert!(
                edits.iter().any(|e| matches_edit(e, want)),
                "{name}: {want}\nfixes: {edits:#?}"
            );
        }
        for bad in c["no_fixes"].as_array().into_iter().flatten() {
            assert!(
                !edits.iter().any(|e| matches_edit(e, bad)),
                "{name}: {bad}\nfixes: {edits:#?}"
            );
        }
        if let Some(m) = c["first_fix_message"].as_str() {
            assert!(e.fixes[0].message.starts_with(m), "{name}: {}", e.fixes[0].message);
        }
        // Every fix is verified by deciding again.
        for f in &e.fixes {
            let (s2, r2) = apply(&set, &req, &f.edit).unwrap();
            assert_eq!(decide(&s2, &r2), Decision::Allow, "{name}: {f:?}");
        }
    }
}
