//! End-to-end tests of `keyward explain`'s checked input (every bad value is exit 2 with its
//! flag named) and of `--service-call` (the service's requests decided; a key in another Region
//! is NotFoundException; AWS managed keys by alias).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::keyward_in;

fn keyward(args: &[&str]) -> (i32, String, String) {
    // One directory per call: the tests run in parallel and each writes its fixture.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir =
        std::env::temp_dir().join(format!("keyward-explain-checked-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("s3-put.json"),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#,
    )
    .unwrap();
    let out = keyward_in(&dir, args);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// A context entry of a serialized request.
fn ctx<'v>(req: &'v serde_json::Value, key: &str) -> &'v serde_json::Value {
    req["context"]["entries"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["key"] == key))
        .map_or(&serde_json::Value::Null, |e| &e["value"])
}

const P: &str = "arn:aws:sts::111122223333:assumed-role/Uploader/s1";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// Each bad input: the arguments after `explain`, the flag the error must name, and a phrase.
const BAD: &[(&[&str], &str, &str)] = &[
    (
        &["--principal", P, "--action", "kms:Decrpyt", "--key", KEY],
        "--action",
        "did you mean `kms:Decrypt`",
    ),
    (
        &["--principal", P, "--action", "Decrypt", "--key", KEY],
        "--action",
        "did you mean `kms:Decrypt`",
    ),
    (&["--principal", P, "--action", "kmz:Decrypt", "--key", KEY], "--action", "unknown service"),
    (
        &["--principal", P, "--action", "kms:Decrypt", "--key", "arn:aws:kms:us-east-1:1111:key/x"],
        "--key",
        "not a key ARN",
    ),
    (
        &[
            "--principal",
            P,
            "--action",
            "kms:Decrypt",
            "--key",
            "arn:aws:kms:us-east-1:111122223333:alias/app",
        ],
        "--key",
        "--alias alias/app=KEY_ARN",
    ),
    (
        &["--principal", P, "--action", "kms:Decrypt", "--key", "alias/app"],
        "--key",
        "--alias alias/app=KEY_ARN",
    ),
    (
        &["--principal", P, "--action", "kms:Decrypt", "--key", "not a key"],
        "--key",
        "expected a key ARN",
    ),
    (
        &["--principal", P, "--action", "kms:Decrypt", "--key", KEY, "--alias", "app=x"],
        "--alias",
        "alias/NAME=KEY_ARN",
    ),
    (
        &["--principal", "alice", "--action", "kms:Decrypt", "--key", KEY],
        "--principal",
        "assumed-role/ROLE/SESSION",
    ),
    (
        &["--principal", "arn:aws:iam::1234:user/a", "--action", "kms:Decrypt", "--key", KEY],
        "--principal",
        "arn:aws:iam::123456789012:user/NAME",
    ),
    (
        &["--principal", P, "--service-call", "s3:PutObjekt", "--resource", "arn:aws:s3:::b/k"],
        "--service-call",
        "did you mean `s3:PutObject`",
    ),
    (
        &["--principal", P, "--service-call", "s4:PutObject", "--resource", "arn:aws:s3:::b/k"],
        "--service-call",
        "unknown service",
    ),
    (&["--principal", P, "--service-call", "s3:PutObject"], "--resource", "ARN"),
    (
        &["--principal", P, "--service-call", "s3:PutObject", "--resource", "b/k"],
        "--resource",
        "expected an ARN",
    ),
    (
        &[
            "--principal",
            P,
            "--service-call",
            "s3:PutObject",
            "--resource",
            "arn:aws:s3:::b/k",
            "--key",
            "alias/aws/nope",
        ],
        "--key",
        "no AWS managed key",
    ),
    (
        &[
            "--principal",
            P,
            "--service-call",
            "s3:PutObject",
            "--resource",
            "arn:aws:s3:::b/k",
            "--param",
            "bucket_key",
        ],
        "--param",
        "expected K=V",
    ),
];

#[test]
fn every_bad_input_is_exit_2_with_its_flag_named() {
    for (args, flag, phrase) in BAD {
        let mut all = vec!["explain"];
        all.extend_from_slice(args);
        let (code, out, err) = keyward(&all);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(flag) && err.contains(phrase), "{args:?}: {err}");
    }
}

#[test]
fn a_key_alias_resolves_through_its_mapping() {
    let (code, out, err) = keyward(&[
        "explain",
        "--principal",
        P,
        "--action",
        "kms:Decrypt",
        "--key",
        "alias/app",
        "--alias",
        &format!("alias/app={KEY}"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["request"]["resource"], KEY);
    assert_eq!(ctx(&v["request"], "kms:RequestAlias"), "alias/app", "{out}");
}

#[test]
fn a_key_in_another_region_is_not_found() {
    let (code, out, _) = keyward(&[
        "explain",
        "--principal",
        P,
        "--action",
        "kms:Decrypt",
        "--key",
        KEY,
        "--region",
        "us-west-2",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("NotFoundException") && out.contains("Invalid arn us-west-2"), "{out}");
    assert!(out.contains("KMS keys are regional") && out.contains("multi-Region key"), "{out}");
}

#[test]
fn a_service_call_decides_the_service_action_and_each_kms_request() {
    let base = [
        "explain",
        "--principal",
        P,
        "--service-call",
        "s3:PutObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--identity-policy",
        "s3-put.json",
    ];
    let mut args = base.to_vec();
    args.extend_from_slice(&["--key", KEY, "--format", "json"]);
    let (code, out, err) = keyward(&args);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kms_actions"], serde_json::json!(["kms:GenerateDataKey"]));
    assert_eq!(v["steps"][0]["decision"], "Allow");
    assert_eq!(v["steps"][1]["rule"], "kms_delegated_no_iam_allow");
    assert_eq!(ctx(&v["explanation"]["request"], "kms:ViaService"), "s3.us-east-1.amazonaws.com");
    assert_eq!(
        ctx(&v["explanation"]["request"], "kms:EncryptionContext:aws:s3:arn"),
        "arn:aws:s3:::b/k"
    );
    // The AWS managed key of S3: usable through S3 by the account's principals.
    let mut args = base.to_vec();
    args.extend_from_slice(&["--key", "alias/aws/s3"]);
    let (code, out, err) = keyward(&args);
    assert_eq!(code, 0, "{out}{err}");
    // ... and not from another account.
    let mut args = base.to_vec();
    args[2] = "arn:aws:sts::444455556666:assumed-role/Partner/s1";
    args.extend_from_slice(&["--key", "arn:aws:kms:us-east-1:111122223333:alias/aws/s3"]);
    let (code, out, _) = keyward(&args);
    assert_eq!(code, 1, "{out}");
    // A key of another Region than the bucket's.
    let mut args = base.to_vec();
    args.extend_from_slice(&[
        "--key",
        "arn:aws:kms:us-west-2:111122223333:key/k",
        "--region",
        "us-east-1",
    ]);
    let (code, out, _) = keyward(&args);
    assert_eq!(code, 1);
    assert!(out.contains("NotFoundException"), "{out}");
}
