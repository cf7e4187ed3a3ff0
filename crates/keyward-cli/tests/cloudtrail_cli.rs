//! End-to-end tests of `explain --cloudtrail` on the event shapes of issue 23: KMS's own
//! events, a file with a broken record, account-level operations without a key policy,
//! ReEncrypt's two halves, the alias operations' two checks, the fix for a service caller,
//! and the warnings on impossible events (fixtures in tests/corpus/inputs/cloudtrail).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::keyward;
use keyward_core::eval::{apply_to_text, Edit, Source};

const CT: &str = "tests/corpus/inputs/cloudtrail";
const KP: &str = "tests/corpus/inputs/kms/get-key-policy.json";

/// An identity policy allowing every KMS action, written to a temporary file.
fn kms_all() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("id.json");
    std::fs::write(
        &p,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#,
    )
    .unwrap();
    (dir, p.display().to_string())
}

#[test]
fn kms_own_events_have_nothing_to_authorize_and_need_no_policy() {
    for n in ["1", "2", "3", "4"] {
        let ev = format!("{CT}/kms-own-events.json");
        let (code, out, err) = keyward(&["explain", "--cloudtrail", &ev, "--event", n]);
        assert_eq!(code, 0, "{n}: {out}{err}");
        assert!(out.contains("nothing to authorize"), "{out}");
        let (code, out, _) =
            keyward(&["explain", "--cloudtrail", &ev, "--event", n, "--format", "json"]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["event"]["kms_own"], true);
        assert!(v["decision"].is_null());
    }
}

#[test]
fn a_broken_record_is_a_warning_and_the_others_are_read() {
    let ev = format!("{CT}/multi-record.json");
    let (id_dir, id) = kms_all();
    let (code, out, err) = keyward(&[
        "explain",
        "--cloudtrail",
        &ev,
        "--event",
        "2",
        "--key-policy",
        KP,
        "--identity-policy",
        &id,
    ]);
    drop(id_dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("GenerateDataKey") && out.contains("ALLOWS it, as AWS did"), "{out}");
    assert!(err.contains("warning") && err.contains("record skipped"), "{err}");
    assert!(err.contains("multi-record.json:32:5"), "the warning names the record: {err}");
}

#[test]
fn account_level_operations_need_no_key_policy() {
    let (_d, id) = kms_all();
    for op in ["CreateKey", "GenerateRandom", "ListAliases", "ListKeys", "CreateCustomKeyStore"] {
        let ev = format!("{CT}/ops/{op}.json");
        let (code, out, err) = keyward(&[
            "explain",
            "--cloudtrail",
            &ev,
            "--identity-policy",
            &id,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{op}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["decision"], "Allow", "{op}");
        assert_eq!(v["matches_recorded"], true, "{op}");
        assert_eq!(v["event"]["resource"], "*", "{op}");
        assert!(!out.contains("describe-key"), "{op}: no key to describe");
    }
    // Without an identity policy nothing allows it: the key policy plays no part.
    let ev = format!("{CT}/ops/CreateKey.json");
    let (code, out, _) = keyward(&["explain", "--cloudtrail", &ev, "--key-policy", KP]);
    assert_eq!(code, 1, "{out}");
    // A key operation still needs the key policy.
    let ev = format!("{CT}/ops/Decrypt.json");
    let (code, _, err) = keyward(&["explain", "--cloudtrail", &ev, "--identity-policy", &id]);
    assert_eq!(code, 2);
    assert!(err.contains("needs --key-policy"), "{err}");
}

#[test]
fn reencrypt_is_decided_as_its_two_halves() {
    let (_d, id) = kms_all();
    let ev = format!("{CT}/ops/ReEncrypt.json");
    let args = ["explain", "--cloudtrail", &ev, "--key-policy", KP, "--identity-policy", &id];
    let (code, out, _) = keyward(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let checks: Vec<(String, String)> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["action"].as_str().unwrap().into(), c["decision"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        checks,
        [("kms:ReEncryptFrom".into(), "Allow".into()), ("kms:ReEncryptTo".into(), "Allow".into())]
    );
    let (_, human, _) = keyward(&args);
    assert!(human.contains("== kms:ReEncryptTo on the destination key =="), "{human}");
    // Allowing only ReEncryptFrom leaves the destination half denied.
    let dir = tempfile::tempdir().unwrap();
    let from_only = dir.path().join("from.json");
    std::fs::write(
        &from_only,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:ReEncryptFrom","Resource":"*"}]}"#,
    )
    .unwrap();
    let f = from_only.display().to_string();
    let (code, out, _) = keyward(&[
        "explain",
        "--cloudtrail",
        &ev,
        "--key-policy",
        KP,
        "--identity-policy",
        &f,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["checks"][0]["decision"], "Allow");
    assert_eq!(v["checks"][1]["decision"], "ImplicitDeny");
    assert_eq!(v["explanation"]["request"]["action"], "kms:ReEncryptTo");
}

#[test]
fn alias_operations_are_checked_on_the_alias_and_the_key() {
    let (_d, id) = kms_all();
    let ev = format!("{CT}/ops/UpdateAlias.json");
    let (code, out, _) = keyward(&[
        "explain",
        "--cloudtrail",
        &ev,
        "--key-policy",
        KP,
        "--identity-policy",
        &id,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let resources: Vec<&str> =
        v["checks"].as_array().unwrap().iter().map(|c| c["resource"].as_str().unwrap()).collect();
    assert_eq!(resources.len(), 3, "{resources:?}");
    assert!(resources[1].ends_with(":alias/ExampleAlias"), "{resources:?}");
}

#[test]
fn the_fix_for_a_service_caller_puts_it_under_service() {
    let ev = format!("{CT}/service-invoked.json");
    let (code, out, _) = keyward(&[
        "explain",
        "--cloudtrail",
        &ev,
        "--event",
        "6",
        "--key-policy",
        KP,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fixes = v["explanation"]["fixes"].as_array().unwrap();
    let edits: Vec<&serde_json::Value> =
        fixes.iter().map(|f| &f["edit"]).filter(|e| e["kind"] == "add_principal").collect();
    assert!(!edits.is_empty(), "{fixes:?}");
    for e in &edits {
        assert_eq!(e["principal"], "dynamodb.amazonaws.com");
        assert_eq!(e["principal_type"], "Service", "{e}");
    }
    // Written into the policy text, the principal goes under a new "Service" key.
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
    let edit = Edit::AddPrincipal {
        source: Source::ResourcePolicy,
        statement: 0,
        principal: "dynamodb.amazonaws.com".into(),
        principal_type: "Service",
    };
    let out = apply_to_text(text, &edit).unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Statement"][0]["Principal"]["Service"], "dynamodb.amazonaws.com", "{out}");
    assert_eq!(v["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::111122223333:root");
}

#[test]
fn impossible_events_warn() {
    let (_d, id) = kms_all();
    let ev = format!("{CT}/inconsistent.json");
    for (n, says) in
        [("1", "userIdentity.type is IAMUser"), ("2", "differs from the event's awsRegion")]
    {
        let (_, out, _) = keyward(&[
            "explain",
            "--cloudtrail",
            &ev,
            "--event",
            n,
            "--key-policy",
            KP,
            "--identity-policy",
            &id,
        ]);
        assert!(out.contains("warning: the event is inconsistent") && out.contains(says), "{out}");
    }
}
