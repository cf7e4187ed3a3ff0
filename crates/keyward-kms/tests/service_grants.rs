//! Grants to AWS service principals and the SourceArn grant constraint (botocore 1.44.8):
//! CreateGrant's GranteeServicePrincipal / RetiringServicePrincipal and their rules, ListGrants
//! and ListRetirableGrants showing and filtering them, and a SourceArn constraint that lets the
//! grant apply only to a request whose `aws:SourceArn` is that ARN (the scenario corpus,
//! tests/scenarios/39-grant-source-arn.json, checks the evaluator's side as data).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::{Caller, Kms};
use serde_json::{json, Value};

const TRAIL: &str = "arn:aws:cloudtrail:us-east-1:111122223333:trail/audit";
const CT: &str = "cloudtrail.amazonaws.com";
const WORKER: &str = "arn:aws:iam::111122223333:role/worker";

/// A call by `principal` on behalf of `source` (its `aws:SourceArn`).
fn on_behalf(principal: &str, source: Option<&str>) -> Caller {
    let mut c = as_(principal);
    if let Some(s) = source {
        c.extra_context.push(("aws:SourceArn".into(), s.into()));
    }
    c
}

fn service_grant(k: &mut Kms, key: &str) -> Value {
    ok(
        k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": key, "GranteeServicePrincipal": CT, "Operations": ["GenerateDataKey", "DescribeKey"],
               "RetiringServicePrincipal": CT, "Constraints": {"SourceArn": TRAIL}}),
    )
}

#[test]
fn a_service_principal_grantee_uses_the_key_for_its_source_arn_only() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    // A service principal has no account of its own: it names the key by its ARN.
    let id = ok(&mut k, &admin(), "DescribeKey", json!({"KeyId": id}))["KeyMetadata"]["Arn"]
        .as_str()
        .unwrap()
        .to_string();
    let gdk = json!({"KeyId": id, "KeySpec": "AES_256"});
    assert_eq!(
        code(&mut k, &on_behalf(CT, Some(TRAIL)), "GenerateDataKey", gdk.clone()),
        "AccessDeniedException"
    );
    let g = service_grant(&mut k, &id);
    ok(&mut k, &on_behalf(CT, Some(TRAIL)), "GenerateDataKey", gdk.clone());
    ok(&mut k, &on_behalf(CT, Some(TRAIL)), "DescribeKey", json!({"KeyId": id}));
    // Another trail, no source, another service, an operation the grant does not list.
    let other = "arn:aws:cloudtrail:us-east-1:111122223333:trail/other";
    for (who, op) in [
        (on_behalf(CT, Some(other)), "GenerateDataKey"),
        (on_behalf(CT, None), "GenerateDataKey"),
        (on_behalf("logs.amazonaws.com", Some(TRAIL)), "GenerateDataKey"),
        (on_behalf(CT, Some(TRAIL)), "Encrypt"),
    ] {
        let input = if op == "Encrypt" {
            json!({"KeyId": id, "Plaintext": b64(b"x")})
        } else {
            gdk.clone()
        };
        let e = err(&mut k, &who, op, input);
        assert_eq!(e.code.as_str(), "AccessDeniedException", "{op} {:?}", who.extra_context);
    }
    // ListGrants shows the grantee and retiring principal under their service members.
    let list = ok(&mut k, &admin(), "ListGrants", json!({"KeyId": id}));
    let entry = &list["Grants"][0];
    assert_eq!(entry["GrantId"], g["GrantId"]);
    assert_eq!(entry["GranteeServicePrincipal"], CT);
    assert_eq!(entry["RetiringServicePrincipal"], CT);
    assert!(entry.get("GranteePrincipal").is_none(), "{entry}");
    assert!(entry.get("RetiringPrincipal").is_none(), "{entry}");
    assert_eq!(entry["Constraints"], json!({"SourceArn": TRAIL}));
    // The GranteeServicePrincipal filter.
    let by = |k: &mut Kms, f: Value| {
        let mut input = json!({"KeyId": id});
        input.as_object_mut().unwrap().extend(f.as_object().unwrap().clone());
        ok(k, &admin(), "ListGrants", input)["Grants"].as_array().unwrap().len()
    };
    assert_eq!(by(&mut k, json!({"GranteeServicePrincipal": CT})), 1);
    assert_eq!(by(&mut k, json!({"GranteeServicePrincipal": "logs.amazonaws.com"})), 0);
    // The retiring service principal lists and retires it.
    let mine = ok(&mut k, &as_(CT), "ListRetirableGrants", json!({"RetiringServicePrincipal": CT}));
    assert_eq!(mine["Grants"].as_array().unwrap().len(), 1, "{mine}");
    let e = err(&mut k, &admin(), "ListRetirableGrants", json!({"RetiringServicePrincipal": CT}));
    assert_eq!(e.code.as_str(), "AccessDeniedException");
    ok(&mut k, &as_(CT), "RetireGrant", json!({"KeyId": id, "GrantId": g["GrantId"]}));
    assert_eq!(
        code(&mut k, &on_behalf(CT, Some(TRAIL)), "GenerateDataKey", gdk),
        "AccessDeniedException"
    );
}

#[test]
fn create_grant_principal_rules_as_the_api_reference_states_them() {
    let mut k = kms();
    let id = key(&mut k, json!({}));
    let src = json!({"SourceArn": TRAIL});
    let either =
        "You must specify either GranteePrincipal or GranteeServicePrincipal, but not both.";
    let cases: Vec<(Value, &str)> = vec![
        (json!({"GranteePrincipal": WORKER, "GranteeServicePrincipal": CT, "RetiringPrincipal": WORKER, "Constraints": src}), either),
        (json!({"RetiringPrincipal": WORKER}), either),
        (
            json!({"GranteeServicePrincipal": CT, "RetiringPrincipal": WORKER}),
            "When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint.",
        ),
        (
            json!({"GranteeServicePrincipal": CT, "Constraints": src}),
            "When you specify a GranteeServicePrincipal, you must also specify either a RetiringPrincipal or a RetiringServicePrincipal.",
        ),
        (
            json!({"GranteePrincipal": WORKER, "RetiringPrincipal": WORKER, "RetiringServicePrincipal": CT}),
            "You can specify either RetiringPrincipal or RetiringServicePrincipal, but not both.",
        ),
    ];
    for (fields, message) in cases {
        let mut input = json!({"KeyId": id, "Operations": ["Decrypt"]});
        input.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        let e = err(&mut k, &admin(), "CreateGrant", input.clone());
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ValidationException", message),
            "{input}"
        );
    }
    // ListRetirableGrants needs one of its two principals.
    let e = err(&mut k, &admin(), "ListRetirableGrants", json!({}));
    assert_eq!(
        e.message,
        "You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both."
    );
}

#[test]
fn a_source_arn_constraint_binds_any_grantee_and_any_key_type() {
    let mut k = kms();
    k.put_identity(WORKER, vec![], None, vec![]).unwrap();
    let session = "arn:aws:sts::111122223333:assumed-role/worker/run-1";
    let func = "arn:aws:lambda:us-east-1:111122223333:function:ingest";
    // An ML-KEM key: a SourceArn constraint is valid on every key type, unlike the
    // encryption-context ones.
    let kem = key(&mut k, json!({"KeySpec": "ML_KEM_768", "KeyUsage": "ENCAPSULATE_DECAPSULATE"}));
    let e = err(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": kem, "GranteePrincipal": WORKER, "Operations": ["Encapsulate"],
               "Constraints": {"EncryptionContextSubset": {"a": "b"}}}),
    );
    assert_eq!(e.code.as_str(), "ValidationException");
    ok(
        &mut k,
        &admin(),
        "CreateGrant",
        json!({"KeyId": kem, "GranteePrincipal": WORKER, "Operations": ["Encapsulate", "RetireGrant"],
               "Constraints": {"SourceArn": func}}),
    );
    let enc = json!({"KeyId": kem, "EncapsulationAlgorithm": "ML_KEM"});
    ok(&mut k, &on_behalf(session, Some(func)), "Encapsulate", enc.clone());
    for source in [None, Some("arn:aws:lambda:us-east-1:111122223333:function:other")] {
        assert_eq!(
            code(&mut k, &on_behalf(session, source), "Encapsulate", enc.clone()),
            "AccessDeniedException"
        );
    }
    // The constraint does not apply to RetireGrant: the grantee retires it without a source.
    let gid =
        ok(&mut k, &admin(), "ListGrants", json!({"KeyId": kem}))["Grants"][0]["GrantId"].clone();
    ok(&mut k, &as_(session), "RetireGrant", json!({"KeyId": kem, "GrantId": gid}));
}
