//! Regression tests of the hardening pass (issue 16) through the `keyward` binary: access keys
//! can be deleted and deactivated, the default administrator is seeded once (on a new store),
//! and a database deleted beside its `master.key` is refused unless `--init` is given.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod kms_common;
use kms_common::Env;

const ADMIN: &str = "arn:aws:iam::111122223333:user/admin";
const OPS: &str = "arn:aws:iam::111122223333:user/ops";

#[test]
fn access_keys_can_be_deactivated_and_deleted() {
    let env = Env::new();
    env.run(&["iam", "put-user", "--arn", OPS]).ok();
    let ak = env.run(&["iam", "create-access-key", "--principal", OPS]).json();
    let id = ak["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string();
    let status = |env: &Env| {
        let list = env.run(&["iam", "list-access-keys"]).json();
        list["AccessKeyMetadata"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["AccessKeyId"] == id.as_str())
            .map(|k| k["Status"].as_str().unwrap().to_string())
    };
    assert_eq!(status(&env).as_deref(), Some("Active"));
    env.run(&["iam", "update-access-key", "--access-key-id", &id, "--status", "Inactive"]).ok();
    assert_eq!(status(&env).as_deref(), Some("Inactive"));
    let bad = env.run(&["iam", "update-access-key", "--access-key-id", &id, "--status", "Off"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    env.run(&["iam", "update-access-key", "--access-key-id", &id, "--status", "Active"]).ok();
    assert_eq!(status(&env).as_deref(), Some("Active"));
    env.run(&["iam", "delete-access-key", "--access-key-id", &id]).ok();
    assert_eq!(status(&env), None);
    let again = env.run(&["iam", "delete-access-key", "--access-key-id", &id]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("cannot be found"), "{}", again.stderr);
    env.run(&["iam", "delete", "--arn", OPS]).ok();
}

#[test]
fn a_deleted_administrator_is_not_seeded_again() {
    let env = Env::new();
    env.run(&["iam", "put-user", "--arn", OPS]).ok();
    env.run(&["iam", "delete", "--arn", ADMIN]).ok();
    let list = env.run(&["iam", "list"]).json();
    let arns: Vec<&str> =
        list["Identities"].as_array().unwrap().iter().map(|i| i["Arn"].as_str().unwrap()).collect();
    assert_eq!(arns, [OPS], "the admin stays deleted");
    // Even with no identity left, a later start does not re-create it.
    env.run(&["iam", "delete", "--arn", OPS]).ok();
    let list = env.run(&["iam", "list"]).json();
    assert_eq!(list["Identities"].as_array().map(Vec::len), Some(0), "{list}");
}

#[test]
fn a_deleted_database_needs_init() {
    let env = Env::new();
    let key = env.create_key(&[]);
    assert!(!key.is_empty());
    for f in ["keyward.db", "keyward.db-wal", "keyward.db-shm"] {
        let _ = std::fs::remove_file(env.state().join(f));
    }
    for args in [&["kms", "list-keys"][..], &["iam", "list"][..]] {
        let out = env.run(args);
        assert_ne!(out.code, 0, "{args:?}");
        assert!(out.stderr.contains("is missing but its master key"), "{}", out.stderr);
        assert!(out.stderr.contains("--init"), "{}", out.stderr);
    }
    assert!(!env.state().join("keyward.db").exists());
    let keys = env.run(&["kms", "list-keys", "--init"]).json();
    assert_eq!(keys["Keys"].as_array().map(Vec::len), Some(0), "{keys}");
    // A new store: the administrator is seeded again, once.
    let list = env.run(&["iam", "list"]).json();
    assert_eq!(list["Identities"][0]["Arn"], ADMIN);
}

/// `keyward serve` with its stdout piped but never read: every call is still answered, the
/// lines that did not fit are dropped and counted, and the count is logged once stdout drains.
#[test]
fn a_stalled_access_log_never_blocks_a_request() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["serve", "--addr", "127.0.0.1:0", "--dev-principal", ADMIN, "--state"])
        .arg(state.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, _stderr) = kms_common::serve_listening(&mut child);
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/kms/aws4_request, \
                SignedHeaders=host;x-amz-date, Signature=00";
    // Each call's log line is ~250 bytes: 64 KiB of pipe plus the 1 MiB queue hold ~4,500.
    const CALLS: usize = 6_000;
    let req = format!(
        "POST / HTTP/1.1\r\nhost: {addr}\r\nx-amz-target: TrentService.ListAliases\r\n\
         x-amz-date: 20250101T000000Z\r\nauthorization: {auth}\r\ncontent-length: 2\r\n\r\n{{}}"
    );
    let start = Instant::now();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    for i in 0..CALLS {
        s.write_all(req.as_bytes()).unwrap();
        // Read one response (Content-Length framed).
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                assert!(head.starts_with("http/1.1 200"), "call {i}: {head}");
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap();
                if buf.len() >= end + 4 + len {
                    buf.drain(..end + 4 + len);
                    break;
                }
            }
            let n = s.read(&mut chunk).unwrap_or_else(|e| panic!("call {i} got no answer: {e}"));
            assert!(n > 0, "call {i}: connection closed");
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    let took = start.elapsed();
    assert!(took < Duration::from_secs(120), "{CALLS} calls took {took:?}");
    // Now read stdout: the notice with the number of dropped lines appears.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut logged = 0usize;
    let mut dropped = None;
    let mut l = String::new();
    while dropped.is_none() && Instant::now() < deadline {
        l.clear();
        if out.read_line(&mut l).unwrap() == 0 {
            break;
        }
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        match v["access_log_dropped_lines"].as_u64() {
            Some(n) => dropped = Some(n),
            None => logged += 1,
        }
    }
    let dropped = dropped.expect("a dropped-lines notice");
    assert!(dropped > 0 && logged > 0, "logged {logged}, dropped {dropped}");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    eprintln!("{CALLS} calls in {took:?} with stdout unread; {logged}+ lines logged before the notice of {dropped} dropped");
}

/// Runs `keyward ARGS` with a time limit; a hang is a failure.
fn run_bounded(args: &[&str], cwd: &std::path::Path) -> (Option<i32>, String, String) {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("keyward {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn lint_and_test_end_on_symlink_loops_and_read_only_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let policies = root.join("p");
    std::fs::create_dir_all(policies.join("sub")).unwrap();
    std::fs::write(
        policies.join("sub/ok.json"),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"#,
    )
    .unwrap();
    std::os::unix::fs::symlink(".", policies.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", policies.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", policies.join("zero.json")).unwrap();
    let fifo = policies.join("fifo.json");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // The walk ends, finds the one policy once, and skips the FIFO and the device.
    let (code, out, err) = run_bounded(&["lint", "p", "--format", "json"], root);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(out.matches("ok.json").count(), 1, "{out}");
    let (code, _, _) = run_bounded(&["test", "p"], root);
    assert!(code.is_some());
    // Named directly, they are refused with a message naming them, not read.
    for name in ["p/fifo.json", "p/zero.json"] {
        let (code, out, err) = run_bounded(&["lint", name], root);
        assert_eq!(code, Some(2), "{name}: {out}\n{err}");
        assert!(err.contains(name) && err.contains("not a regular file"), "{err}");
    }
}

#[test]
fn lint_reports_a_yaml_alias_bomb_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n");
    text.push_str("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    std::fs::write(dir.path().join("bomb.yaml"), &text).unwrap();
    let (code, out, err) = run_bounded(&["lint", "bomb.yaml"], dir.path());
    assert_eq!(code, Some(1), "{out}\n{err}");
    let all = format!("{out}{err}");
    assert!(all.contains("alias bomb"), "{all}");
    assert!(all.contains("bomb.yaml:7:"), "reported at the alias's line: {all}");
}
