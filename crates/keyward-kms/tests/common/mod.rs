//! Shared helpers of the keyward-kms integration tests.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses a different subset of these helpers"
)]

use keyward_kms::account::DEFAULT_CALLER;
use keyward_kms::{Caller, Config, Kms, KmsError};
use serde_json::{json, Value};

/// 2026-01-01T00:00:00Z.
pub const T0: i64 = 1_767_225_600_000;
pub const DAY: i64 = 86_400_000;
pub const ACCT: &str = "111122223333";
pub const OTHER: &str = "444455556666";

pub fn kms() -> Kms {
    let mut k = Kms::in_memory(Box::new(rand_core::OsRng), Config::default());
    k.seed_defaults().unwrap();
    k
}

pub fn admin() -> Caller {
    Caller { principal: DEFAULT_CALLER.to_string(), now_ms: T0, ..Caller::default() }
}

pub fn as_(principal: &str) -> Caller {
    Caller { principal: principal.to_string(), now_ms: T0, ..Caller::default() }
}

pub fn at(mut c: Caller, now_ms: i64) -> Caller {
    c.now_ms = now_ms;
    c
}

pub fn ok(k: &mut Kms, c: &Caller, op: &str, input: Value) -> Value {
    match k.call(c, op, &input) {
        Ok(v) => v,
        Err(e) => panic!("{op} failed: {e}"),
    }
}

pub fn err(k: &mut Kms, c: &Caller, op: &str, input: Value) -> KmsError {
    match k.call(c, op, &input) {
        Ok(v) => panic!("{op} succeeded unexpectedly: {v}"),
        Err(e) => e,
    }
}

pub fn code(k: &mut Kms, c: &Caller, op: &str, input: Value) -> &'static str {
    err(k, c, op, input).code.as_str()
}

/// Creates a key with `extra` CreateKey fields; returns its key id.
pub fn key(k: &mut Kms, extra: Value) -> String {
    let out = ok(k, &admin(), "CreateKey", extra);
    out["KeyMetadata"]["KeyId"].as_str().unwrap().to_string()
}

pub fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub fn unb64(v: &Value) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap()
}

/// A key policy allowing the account (delegation) plus `extra` statements.
pub fn policy_with(extra: &[Value]) -> String {
    let mut stmts = vec![json!({
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "kms:*", "Resource": "*"
    })];
    stmts.extend(extra.iter().cloned());
    json!({"Version": "2012-10-17", "Statement": stmts}).to_string()
}

/// A fresh scratch directory for the `openssl` command (named by `tag` and the process), or
/// None when `openssl` is not installed (the caller skips its check).
pub fn openssl_dir(tag: &str) -> Option<std::path::PathBuf> {
    if std::process::Command::new("openssl").arg("version").output().is_err() {
        eprintln!("openssl not found: skipped");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("keyward-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Some(dir)
}

/// Runs `openssl` with `args`, failing the test with its stderr when it fails.
pub fn openssl(args: &[&str]) {
    let out = std::process::Command::new("openssl").args(args).output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `req` with each field of `extra` set (a null removes the field).
pub fn merged(mut req: Value, extra: &Value) -> Value {
    for (name, v) in extra.as_object().into_iter().flatten() {
        match req.as_object_mut() {
            Some(o) if v.is_null() => {
                o.remove(name);
            }
            Some(o) => {
                o.insert(name.clone(), v.clone());
            }
            None => {}
        }
    }
    req
}
