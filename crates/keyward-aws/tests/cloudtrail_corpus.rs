//! The CloudTrail corpus (`tests/corpus/inputs/cloudtrail/`, events in the shapes of the KMS
//! Developer Guide's CloudTrail examples) against its table of expectations (`cases.json`):
//! every KMS operation, KMS's own events, Nitro enclave calls, calls through services, denied
//! events, multi-record files and impossible inputs. Each case states what the event must
//! derive and the decision it must reach; each condition key is checked both ways (a policy
//! allowing exactly the recorded value allows, one allowing another value does not).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use keyward_aws::cloudtrail::{kms_events, DerivedEvent};
use keyward_core::diag::{has_errors, Severity};
use keyward_core::eval::call::{arn_account, default_key_policy, Call, KMS_ACTIONS};
use keyward_core::eval::{decide, Decision, NamedPolicy, PolicySet, Request};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::parse_policy;
use serde_json::{json, Value};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/inputs/cloudtrail")
}

fn read(rel: &str) -> String {
    let p = dir().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(&read("cases.json")).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn event(case: &Value) -> DerivedEvent {
    let file = case["event"].as_str().unwrap();
    let (mut evs, diags) = kms_events(&read(file));
    assert!(!has_errors(&diags), "{file}: {diags:?}");
    let i = case["index"].as_u64().unwrap() as usize;
    assert!(i >= 1 && i <= evs.len(), "{file}: {} KMS events, case wants {i}", evs.len());
    evs.swap_remove(i - 1)
}

fn policy(kind: PolicyKind, statements: &[Value], name: &str) -> NamedPolicy {
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let (p, d) = parse_policy(&text, kind, Limits::default());
    assert!(!has_errors(&d), "{text}: {d:?}");
    NamedPolicy::new(name, p.unwrap())
}

/// Every authorization of the event: (action, call).
fn checks(e: &DerivedEvent) -> Vec<(String, Call)> {
    std::iter::once((e.action.clone(), e.call.clone()))
        .chain(e.also.iter().map(|c| (c.action.clone(), c.call.clone())))
        .collect()
}

fn request(e: &DerivedEvent, call: &Call) -> Request {
    call.request(e.principal.clone())
}

fn ctx(req: &Request, key: &str) -> Option<String> {
    req.context.get(key).map(|v| v.as_slice().join(","))
}

/// Decides every authorization: a key with the key policy, an alias or `*` by IAM alone.
fn decide_all(e: &DerivedEvent, identity: &[Value], key_policy: Option<&Value>) -> Decision {
    let account = arn_account(&e.resource).unwrap_or("111122223333").to_string();
    let mut set = PolicySet::default();
    if !identity.is_empty() {
        set.identity.push(policy(PolicyKind::Identity, identity, "identity"));
    }
    for (_, call) in checks(e) {
        let mut s = set.clone();
        if call.resource.contains(":key/") {
            s.resource_policy = Some(match key_policy {
                Some(st) => policy(PolicyKind::Key, std::slice::from_ref(st), "key policy"),
                None => default_key_policy(&account),
            });
        }
        let d = decide(&s, &request(e, &call));
        if d != Decision::Allow {
            return d;
        }
    }
    Decision::Allow
}

fn name(c: &Value) -> String {
    format!("{}#{}", c["event"].as_str().unwrap(), c["index"])
}

#[test]
fn every_case_derives_what_it_states_and_reaches_its_decision() {
    let all = cases();
    assert!(all.len() >= 70, "{}", all.len());
    for c in &all {
        let n = name(c);
        let e = event(c);
        assert_eq!(e.action, c["action"].as_str().unwrap(), "{n}");
        assert_eq!(e.kms_own, c["kms_own"].as_bool().unwrap_or(false), "{n}");
        if e.kms_own {
            assert!(c["decision"].is_null(), "{n}: KMS's own events have nothing to decide");
            assert!(e.also.is_empty() && e.unknown.is_empty(), "{n}: {:?}", e.unknown);
            continue;
        }
        assert_eq!(e.resource, c["resource"].as_str().unwrap(), "{n}");
        assert_eq!(e.account_level, c["account_level"].as_bool().unwrap_or(false), "{n}");
        if let Some(want) = c["checks"].as_array() {
            let got: Vec<Value> =
                checks(&e).iter().map(|(a, call)| json!([a, call.resource])).collect();
            assert_eq!(&got, want, "{n}");
        }
        let req = request(&e, &e.call);
        for (k, v) in c["context"].as_object().into_iter().flatten() {
            assert_eq!(ctx(&req, k).as_deref(), v.as_str(), "{n}: {k}");
        }
        for (action, keys) in c["check_context"].as_object().into_iter().flatten() {
            let (_, call) = checks(&e).into_iter().find(|(a, _)| a == action).unwrap();
            let r = request(&e, &call);
            for (k, v) in keys.as_object().unwrap() {
                assert_eq!(ctx(&r, k).as_deref(), v.as_str(), "{n}: {action} {k}");
            }
        }
        for k in c["absent"].as_array().into_iter().flatten() {
            let k = k.as_str().unwrap();
            assert_eq!(ctx(&req, k), None, "{n}: {k} must be absent");
        }
        for w in c["not_unknown"].as_array().into_iter().flatten() {
            let w = w.as_str().unwrap();
            assert!(!e.unknown.iter().any(|u| u.contains(w)), "{n}: {:?}", e.unknown);
        }
        let warnings: Vec<&str> =
            c["warnings"].as_array().into_iter().flatten().map(|w| w.as_str().unwrap()).collect();
        assert_eq!(e.warnings.len(), warnings.len(), "{n}: {:?}", e.warnings);
        for w in warnings {
            assert!(e.warnings.iter().any(|x| x.contains(w)), "{n}: {:?}", e.warnings);
        }
        if let Some(r) = c["recorded"].as_str() {
            assert_eq!(
                serde_json::to_value(&e.recorded).unwrap()["result"],
                json!("access_denied"),
                "{n}: {r}"
            );
        }
        let kms_all = [json!({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})];
        let identity = c["identity"].as_array().map_or(&kms_all[..], Vec::as_slice);
        let want = c["decision"].as_str().unwrap();
        let got = decide_all(&e, identity, c.get("key_policy"));
        assert_eq!(got.name(), want, "{n}");
    }
}

#[test]
fn each_condition_key_allows_exactly_the_recorded_value() {
    let mut pairs = 0;
    for c in cases() {
        let n = name(&c);
        let Some(keys) = c["keys"].as_object() else { continue };
        let e = event(&c);
        for (key, spec) in keys {
            let (op, is, other) = (spec[0].as_str().unwrap(), &spec[1], &spec[2]);
            let only = spec.get(3).and_then(Value::as_str);
            let statements = |value: &Value| -> Vec<Value> {
                checks(&e)
                    .iter()
                    .map(|(action, call)| {
                        let has = ctx(&request(&e, call), key).is_some();
                        if has && only.is_none_or(|o| o == action) {
                            json!({"Effect": "Allow", "Action": action, "Resource": "*",
                                   "Condition": {op: {key: value}}})
                        } else {
                            json!({"Effect": "Allow", "Action": action, "Resource": "*"})
                        }
                    })
                    .collect()
            };
            assert_eq!(decide_all(&e, &statements(is), None), Decision::Allow, "{n}: {key} {is}");
            assert_eq!(
                decide_all(&e, &statements(other), None),
                Decision::ImplicitDeny,
                "{n}: {key} {other}"
            );
            pairs += 1;
        }
    }
    assert!(pairs >= 40, "{pairs}");
}

#[test]
fn every_kms_operation_has_a_case() {
    let covered: Vec<String> = cases()
        .iter()
        .filter_map(|c| {
            c["event"].as_str()?.strip_prefix("ops/")?.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    for a in KMS_ACTIONS {
        let op = match a.name {
            "ReEncryptFrom" | "ReEncryptTo" => "ReEncrypt",
            // A permission with no API of its own: its events are KMS's own (kms-own-events.json).
            "SynchronizeMultiRegionKey" => continue,
            n => n,
        };
        assert!(covered.iter().any(|c| c == op), "no case for {op}");
    }
}

#[test]
fn one_bad_record_does_not_stop_the_others() {
    let (evs, diags) = kms_events(&read("multi-record.json"));
    assert_eq!(evs.len(), 3, "KMS's own event and two calls; the S3 event is skipped");
    assert!(!has_errors(&diags), "{diags:?}");
    let w: Vec<_> = diags.iter().filter(|d| d.severity == Severity::Warning).collect();
    assert_eq!(w.len(), 1, "{diags:?}");
    assert!(w[0].message.contains("record skipped") && w[0].message.contains("userIdentity"));
    // Alone, the bad record is an error.
    let (evs, diags) = kms_events(
        r#"{"Records": [{"eventSource": "kms.amazonaws.com", "eventName": "Encrypt"}]}"#,
    );
    assert!(evs.is_empty() && has_errors(&diags));
    // No type, and not KMS acting by itself: an error that says so.
    let (_, diags) = kms_events(
        r#"{"eventSource": "kms.amazonaws.com", "eventName": "Decrypt", "userIdentity": {"accountId": "111122223333", "invokedBy": "ec2.amazonaws.com"}}"#,
    );
    assert!(diags[0].message.contains("no `type`"), "{diags:?}");
}
