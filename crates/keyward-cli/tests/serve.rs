//! `keyward serve` as a process: prints its bound address, serves a call (dev principal), logs
//! one JSON access-log line per call, exits 0 on SIGTERM, and refuses non-loopback addresses
//! without `--allow-remote`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod kms_common;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

fn keyward() -> Command {
    Command::new(env!("CARGO_BIN_EXE_keyward"))
}

#[test]
fn serves_logs_and_stops_on_sigterm() {
    let state = tempfile::tempdir().unwrap();
    let mut child = keyward()
        .args(["serve", "--addr", "127.0.0.1:0", "--dev-principal"])
        .arg("arn:aws:iam::111122223333:user/admin")
        .arg("--state")
        .arg(state.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, mut err) = kms_common::serve_listening(&mut child);
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let auth = "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/kms/aws4_request, \
                SignedHeaders=host;x-amz-date, Signature=00";
    let req = format!(
        "POST / HTTP/1.1\r\nhost: {addr}\r\nx-amz-target: TrentService.CreateKey\r\n\
         x-amz-date: 20250101T000000Z\r\nauthorization: {auth}\r\nconnection: close\r\n\
         content-length: 2\r\n\r\n{{}}"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"KeyState\":\"Enabled\""), "{resp}");

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(std::time::Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let log: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(log["operation"], "CreateKey");
    assert_eq!(log["result"], "Allow");
    assert_eq!(log["principal"], "arn:aws:iam::111122223333:user/admin");
    assert!(log["key_id"].is_string() && log["latency_us"].is_u64(), "{log}");
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("keyward serve: stopped"), "{rest}");
}

#[test]
fn non_loopback_needs_allow_remote() {
    let out = keyward().args(["serve", "--addr", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"));
}
