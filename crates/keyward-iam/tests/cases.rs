//! The IAM and STS operations as data (`tests/data/cases.json`): each case starts from a new
//! in-memory account with the seeded administrator and runs its steps in order, each one a
//! Query request as a caller, with the outcome it must have (`ok`, or AWS's error code and
//! message) and text the XML response must hold. `identities` puts users and roles of other
//! accounts first.

use keyward_iam::query::Params;
use keyward_iam::{Ctx, Service};
use keyward_kms::{Caller, Config, Kms};
use serde_json::Value;

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;

fn run_case(case: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let name = case["name"].as_str().unwrap_or("?");
    let mut kms = Kms::in_memory(Box::new(rand_core::OsRng), Config::default());
    if let Err(e) = kms.seed_defaults() {
        return vec![format!("{name}: seeding: {e}")];
    }
    // Identities of other accounts (the IAM API makes them in the caller's account only).
    for id in case["identities"].as_array().into_iter().flatten() {
        let arn = id["arn"].as_str().unwrap_or_default();
        let policies = id["policies"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        if let Err(e) = kms.put_identity(arn, policies, None, Vec::new()) {
            return vec![format!("{name}: identity {arn}: {e}")];
        }
    }
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        let who = step["as"].as_str().unwrap_or("arn:aws:iam::111122223333:user/admin");
        let service = if step["service"] == "sts" { Service::Sts } else { Service::Iam };
        let pairs: Vec<(String, String)> = step["params"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
        let params = Params::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let caller = Caller {
            principal: who.to_string(),
            now_ms: T0,
            session_policy: step["session_policy"].as_str().map(str::to_string),
            ..Caller::default()
        };
        let ctx = Ctx { caller: &caller, session: None, admin: false, request_id: "req-1" };
        let got = keyward_iam::call(&mut kms, &ctx, &mut rand_core::OsRng, service, &params);
        let at = format!("{name} step {i} ({})", params.get("Action").unwrap_or("?"));
        match (&step["expect"], &got) {
            (Value::String(s), Ok(xml)) if s == "ok" => {
                if let Some(want) = step["contains"].as_str() {
                    if !xml.contains(want) {
                        problems.push(format!("{at}: response lacks `{want}`: {xml}"));
                    }
                }
            }
            (Value::Object(o), Err(e)) => {
                let code = o.get("code").and_then(Value::as_str).unwrap_or_default();
                let message = o.get("message").and_then(Value::as_str).unwrap_or_default();
                if e.code != code || !e.message.contains(message) {
                    problems.push(format!(
                        "{at}: want {code} `{message}`, got {} `{}`",
                        e.code, e.message
                    ));
                }
            }
            (want, got) => problems.push(format!("{at}: want {want}, got {got:?}")),
        }
    }
    problems
}

#[test]
fn every_case_behaves_as_aws() {
    let text = include_str!("data/cases.json");
    let data: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("tests/data/cases.json: {e}"),
    };
    let cases = data["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 10, "the case file lost its cases");
    let problems: Vec<String> = cases.iter().flat_map(run_case).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
