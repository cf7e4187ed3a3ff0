//! End-to-end tests of the commands over AWS CLI and CloudTrail output: `explain
//! --cloudtrail` (allowed, denied, disagreeing), `who-can`, `diff` and `access-matrix`, on the
//! fixtures in tests/corpus/inputs and on a generated export.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::{keyward, KEY};
use std::path::Path;

const I: &str = "tests/corpus/inputs";

fn ct(event: &str, extra: &[&str]) -> (i32, String, String) {
    let ev = format!("{I}/cloudtrail/{event}");
    let kp = format!("{I}/kms/get-key-policy.json");
    let ex = format!("{I}/iam/account-authorization-details.json");
    let mut args =
        vec!["explain", "--cloudtrail", &ev, "--key-policy", &kp, "--account-export", &ex];
    args.extend_from_slice(extra);
    keyward(&args)
}

#[test]
fn cloudtrail_allowed_events_agree() {
    for ev in [
        "decrypt-iam-user-allowed.json",
        "decrypt-via-s3-allowed.json",
        "decrypt-assumed-role-allowed.json",
    ] {
        let (code, out, err) = ct(ev, &[]);
        assert_eq!(code, 0, "{ev}: {out}{err}");
        assert!(out.contains("verdict: keyward ALLOWS it, as AWS did"), "{ev}: {out}");
        assert!(
            out.contains("derived from the event:") && out.contains("not known from the event"),
            "{out}"
        );
    }
    let (_, out, _) = ct("decrypt-via-s3-allowed.json", &[]);
    assert!(out.contains("kms:ViaService") && out.contains("s3.us-east-1.amazonaws.com"), "{out}");
    assert!(out.contains("'AllowS3AppThroughS3Only'"), "{out}");
}

#[test]
fn cloudtrail_denied_event_agrees_and_shows_the_fix() {
    let (code, out, _) = ct("decrypt-assumed-role-denied.json", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("verdict: keyward DENIES it (ImplicitDeny), as AWS did"), "{out}");
    assert!(out.contains("kms:EncryptionContext:Department  HR"), "{out}");
    assert!(out.contains("send kms:EncryptionContext:Department=Finance"), "{out}");
    // lookup-events output of the same event.
    let (code, out, _) = ct("lookup-events.json", &[]);
    assert_eq!(code, 1);
    assert!(out.contains("as AWS did"), "{out}");
}

#[test]
fn cloudtrail_disagreement_names_the_missing_scp() {
    let (code, out, _) = ct("decrypt-denied-by-scp.json", &[]);
    assert_eq!(code, 0, "keyward allows without the SCP: {out}");
    assert!(out.contains("keyward ALLOWS it but AWS denied it"), "{out}");
    assert!(out.contains("AWS's message blames a service control policy"), "{out}");
    assert!(
        out.contains("a service control policy (SCP) of the caller's account: none was given"),
        "{out}"
    );
    let scp = format!("{I}/org/describe-policy-scp.json");
    let (code, out, _) = ct("decrypt-denied-by-scp.json", &["--scp", &scp]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("keyward DENIES it (ExplicitDeny), as AWS did"), "{out}");
    assert!(out.contains("DenyDecryptOutsideCorpNetwork"), "{out}");
}

#[test]
fn cloudtrail_json_output() {
    let (code, out, _) = ct("decrypt-denied-by-scp.json", &["--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["matches_recorded"], false);
    assert_eq!(v["decision"], "Allow");
    assert_eq!(v["recorded"]["result"], "access_denied");
    assert!(v["probably_missing"].as_array().unwrap().len() >= 2);
    assert_eq!(v["event"]["principal"]["arn"], "arn:aws:iam::111122223333:user/Alice");
    assert!(v["event"]["derived"].as_array().unwrap().iter().any(|f| f["name"] == "aws:SourceIp"));
    assert!(v["explanation"]["trace"]["policies"].is_array());
}

#[test]
fn cloudtrail_bad_input_is_a_usage_error_with_a_position() {
    let broken = format!("{I}/kms/get-key-policy-broken.json");
    let ev = format!("{I}/cloudtrail/decrypt-iam-user-allowed.json");
    let (code, _, err) = keyward(&["explain", "--cloudtrail", &ev, "--key-policy", &broken]);
    assert_eq!(code, 2);
    assert!(err.contains("get-key-policy-broken.json:2:140"), "{err}");
    assert!(err.contains("invalid-effect"), "{err}");
    let (code, _, err) = keyward(&[
        "explain",
        "--cloudtrail",
        &format!("{I}/kms/describe-key.json"),
        "--key-policy",
        &broken,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("describe-key.json:1:1"), "{err}");
    let (code, _, err) = keyward(&["explain", "--cloudtrail", &ev]);
    assert_eq!(code, 2);
    assert!(err.contains("--cloudtrail needs --key-policy"), "{err}");
    let (code, _, err) =
        keyward(&["explain", "--cloudtrail", &ev, "--key-policy", &broken, "--event", "7"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn who_can_lists_every_principal_with_conditions() {
    let kp = format!("{I}/kms/get-key-policy.json");
    let ex = format!("{I}/iam/account-authorization-details.json");
    let grants = format!("{I}/kms/list-grants.json");
    let (code, out, err) = keyward(&[
        "who-can",
        "--action",
        "kms:Decrypt",
        "--key",
        KEY,
        "--key-policy",
        &kp,
        "--account-export",
        &ex,
        "--grants",
        &grants,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let status = |p: &str| {
        rows.iter().find(|r| r["principal"] == p).map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("arn:aws:iam::111122223333:user/Alice").as_deref(), Some("Allow"));
    assert_eq!(status("arn:aws:iam::111122223333:user/bob").as_deref(), Some("Deny"));
    assert_eq!(status("arn:aws:iam::111122223333:role/AdminRole").as_deref(), Some("Allow"));
    assert_eq!(
        status("arn:aws:iam::111122223333:role/DataProcessingRole").as_deref(),
        Some("ConditionalAllow")
    );
    assert_eq!(
        status("arn:aws:iam::111122223333:role/service-role/S3AppRole").as_deref(),
        Some("ConditionalAllow")
    );
    assert_eq!(
        status("arn:aws:iam::111122223333:role/ReportingRole").as_deref(),
        Some("ConditionalAllow"),
        "via its grant"
    );
    assert_eq!(
        status("arn:aws:iam::444455556666:root").as_deref(),
        Some("Allow"),
        "the partner account"
    );
    let dp = rows
        .iter()
        .find(|r| r["principal"] == "arn:aws:iam::111122223333:role/DataProcessingRole")
        .unwrap();
    assert_eq!(
        dp["conditions"][0]["condition"],
        "StringEquals kms:EncryptionContext:Department \"Finance\""
    );
    let (code, out, _) = keyward(&[
        "who-can",
        "--action",
        "kms:Decrypt",
        "--key",
        KEY,
        "--key-policy",
        &kp,
        "--account-export",
        &ex,
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("principal,kind,action,status,conditions,unless,why\n"), "{out}");
    let (_, out, _) = keyward(&[
        "who-can",
        "--action",
        "kms:Decrypt",
        "--key",
        KEY,
        "--key-policy",
        &kp,
        "--account-export",
        &ex,
    ]);
    assert!(out.contains("if StringEquals kms:ViaService \"s3.us-east-1.amazonaws.com\""), "{out}");
    assert!(!out.contains("anyone"), "the policy is not public: {out}");
}

#[test]
fn who_can_shows_anyone_for_a_public_policy() {
    let dir = tempfile::tempdir().unwrap();
    let kp = dir.path().join("public.json");
    std::fs::write(&kp, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}"#).unwrap();
    let (code, out, _) = keyward(&[
        "who-can",
        "--action",
        "kms:Decrypt",
        "--key",
        KEY,
        "--key-policy",
        kp.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(out.lines().any(|l| l.starts_with("Allow") && l.contains("anyone")), "{out}");
}

#[test]
fn diff_reports_added_removed_and_changed_access() {
    let (old, new) =
        (format!("{I}/diff/key-policy-old.json"), format!("{I}/diff/key-policy-new.json"));
    let ex = format!("{I}/iam/account-authorization-details.json");
    let args =
        ["diff", &old, &new, "--account-export", &ex, "--actions", "kms:Decrypt,kms:DescribeKey"];
    let (code, out, _) = keyward(&args);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("+ arn:aws:iam::111122223333:user/bob kms:Decrypt"), "{out}");
    assert!(out.contains("- arn:aws:iam::444455556666:root kms:Decrypt"), "{out}");
    assert!(
        out.contains("~ arn:aws:iam::111122223333:role/DataProcessingRole kms:Decrypt"),
        "{out}"
    );
    assert!(!out.contains("S3AppRole"), "unchanged statements differ only in file name: {out}");
    assert!(
        !out.contains("DataProcessingRole kms:DescribeKey"),
        "DescribeKey takes no context: {out}"
    );
    let mut fail = args.to_vec();
    fail.push("--fail-on-new-access");
    assert_eq!(keyward(&fail).0, 1);
    let (code, out, _) = keyward(&["diff", &old, &old, "--fail-on-new-access"]);
    assert_eq!(code, 0);
    assert!(out.contains("no change"), "{out}");
    // Identity policies: the new statement allows Encrypt only through a VPC endpoint.
    let (io, inew) = (format!("{I}/diff/identity-old.json"), format!("{I}/diff/identity-new.json"));
    let (code, out, _) = keyward(&["diff", &io, &inew, "--format", "json", "--fail-on-new-access"]);
    assert_eq!(code, 1);
    let v: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(v.len(), 1, "{out}");
    assert_eq!(v[0]["action"], "kms:Encrypt");
    assert_eq!(v[0]["after"]["status"], "ConditionalAllow");
    assert_eq!(
        v[0]["after"]["conditions"][0]["condition"],
        "StringEquals aws:SourceVpce \"vpce-1a2b3c4d\""
    );
}

#[test]
fn access_matrix_agrees_with_who_can() {
    let ex = format!("{I}/iam/account-authorization-details.json");
    let (code, out, err) = keyward(&[
        "access-matrix",
        "--account-export",
        &ex,
        "--key-policies",
        &format!("{I}/key-policies"),
        "--actions",
        "kms:Decrypt",
        "--all",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("7 principals x 2 keys x 1 actions = 14 cells"), "{err}");
    let kp = format!("{I}/key-policies/1234abcd-12ab-34cd-56ef-1234567890ab.json");
    let (_, who, _) = keyward(&[
        "who-can",
        "--action",
        "kms:Decrypt",
        "--key",
        KEY,
        "--key-policy",
        &kp,
        "--account-export",
        &ex,
        "--format",
        "csv",
    ]);
    for line in who.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let status = if f[3] == "ConditionalAllow" { "ConditionalAllow" } else { f[3] };
        let row = format!("{},{KEY},kms:Decrypt,{status}", f[0]);
        assert!(out.lines().any(|l| l == row), "missing {row} in\n{out}");
    }
    // The MFA deny on the second key makes AdminRole's Decrypt conditional.
    assert!(out.contains("role/AdminRole,arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321,kms:Decrypt,ConditionalAllow"), "{out}");
}

fn generate(dir: &Path, principals: usize, keys: usize) {
    let mut users = Vec::new();
    let mut roles = Vec::new();
    for i in 0..principals {
        let policy = serde_json::json!([{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": format!("arn:aws:kms:us-east-1:111122223333:key/k{}", i % keys)}]}}]);
        let arn = if i % 2 == 0 {
            format!("arn:aws:iam::111122223333:user/u{i}")
        } else {
            format!("arn:aws:iam::111122223333:role/r{i}")
        };
        if i % 2 == 0 {
            users.push(serde_json::json!({"UserName": format!("u{i}"), "Arn": arn, "UserPolicyList": policy}));
        } else {
            roles.push(serde_json::json!({"RoleName": format!("r{i}"), "Arn": arn, "RolePolicyList": policy}));
        }
    }
    let ex = serde_json::json!({"UserDetailList": users, "RoleDetailList": roles, "GroupDetailList": [], "Policies": []});
    std::fs::write(dir.join("auth.json"), ex.to_string()).unwrap();
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    for k in 0..keys {
        let kp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
        std::fs::write(dir.join("keys").join(format!("k{k}.json")), kp).unwrap();
    }
}

#[test]
fn access_matrix_on_a_generated_export() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 60, 12);
    let ex = dir.path().join("auth.json");
    let keys = dir.path().join("keys");
    let run = |threads: &str, format: &str| {
        keyward(&[
            "access-matrix",
            "--account-export",
            ex.to_str().unwrap(),
            "--key-policies",
            keys.to_str().unwrap(),
            "--actions",
            "kms:Decrypt,kms:Encrypt,kms:DescribeKey",
            "--threads",
            threads,
            "--format",
            format,
        ])
    };
    let (code, one, err) = run("1", "csv");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("60 principals x 12 keys x 3 actions = 2160 cells"), "{err}");
    // Each principal may Decrypt and Encrypt exactly its own key: 60 x 2 allowed cells.
    assert_eq!(one.lines().count(), 1 + 120, "{one}");
    assert!(one.contains("arn:aws:iam::111122223333:user/u0,arn:aws:kms:us-east-1:111122223333:key/k0,kms:Decrypt,Allow"));
    let (_, two, _) = run("2", "csv");
    assert_eq!(one, two, "parallel output is in the same order");
    let (code, json, _) = run("2", "json");
    assert_eq!(code, 0);
    assert_eq!(json.lines().count(), 120);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["decision"], "Allow");
}
