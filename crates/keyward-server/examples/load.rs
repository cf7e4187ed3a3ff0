//! Load benchmark: Decrypt of a 1 KiB plaintext over HTTP/1.1 keep-alive against an
//! in-process `keyward serve` on 127.0.0.1 (loopback only, bounded in requests and time).
//!
//! `cargo run --release -p keyward-server --example load -- [CONNECTIONS] [SECONDS] [json|off]`
//! Prints requests/s and p50/p99/max latency. One request is signed once and replayed (the
//! server does not refuse replays), so the client spends its CPU on I/O, not on signing.
//! With `LOAD_TARGET=127.0.0.1:PORT` it drives another KMS endpoint instead (e.g. moto's
//! server, for comparison) with the access key `LOAD_KEY=ID:SECRET`, else `test`/`test`;
//! loopback addresses only.
//! With `LOAD_EMIT=FILE` it only sets up (CreateKey, Encrypt, one checked Decrypt), writes the
//! signed Decrypt request to FILE as raw HTTP/1.1 bytes and exits, so another client (`wrk` in
//! `scripts/bench-peers`) can replay it; the signature stays valid for the SigV4 window (5 min).
//! With `LOAD_SESSION=1` (in-process only) it also measures AssumeRole + the first Decrypt with
//! the new credentials (median of 50), then runs the Decrypt load a second time signed with
//! the role session's temporary credentials and prints the ratio to the long-term key's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark")]

#[path = "../tests/common/mod.rs"]
mod common;

use base64::Engine;
use common::{
    connect_to, now_ms, query_headers, session_headers, signed_headers, xml_field, Key, TestServer,
};
use keyward_server::{LogFormat, Options};
use serde_json::json;
use std::time::{Duration, Instant};

const MAX_REQUESTS: usize = 5_000_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let conns: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4).clamp(1, 64);
    let secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5).min(60);
    let log = match args.get(3).map(String::as_str) {
        Some("json") => LogFormat::Json,
        _ => LogFormat::Off,
    };
    if log != LogFormat::Off {
        std::env::set_var("KEYWARD_TEST_LOG", "1");
    }
    let external: Option<std::net::SocketAddr> =
        std::env::var("LOAD_TARGET").ok().map(|t| t.parse().unwrap());
    let srv = match external {
        Some(_) => None,
        None => Some(TestServer::start(Options { log_format: log, ..Options::default() })),
    };
    let addr = external.or(srv.as_ref().map(|s| s.addr)).unwrap();
    // An external endpoint gets `LOAD_KEY=ID:SECRET` (a key `keyward iam create-access-key`
    // made, so the signature is verified), else `test`/`test`.
    let given = std::env::var("LOAD_KEY").ok().map(|k| {
        let (id, secret) = k.split_once(':').expect("LOAD_KEY=ID:SECRET");
        Key { id: id.into(), secret: secret.into() }
    });
    let admin = srv.as_ref().map_or_else(
        || given.unwrap_or(Key { id: "test".into(), secret: "test".into() }),
        |s| s.admin.clone(),
    );
    // moto's server closes the connection after each response; follow it.
    let key = connect_to(addr).call(&admin, "CreateKey", &json!({})).json()["KeyMetadata"]["KeyId"]
        .clone();
    let plain = base64::engine::general_purpose::STANDARD.encode([7u8; 1024]);
    let r = connect_to(addr).call(&admin, "Encrypt", &json!({"KeyId": key, "Plaintext": plain}));
    let blob = r.json()["CiphertextBlob"].clone();
    let body = json!({ "CiphertextBlob": blob }).to_string().into_bytes();
    let headers = signed_headers(addr, &admin, "Decrypt", &body, now_ms());
    let mut req = String::from("POST / HTTP/1.1\r\n");
    for (n, v) in &headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut raw = req.into_bytes();
    raw.extend_from_slice(&body);
    let mut c = connect_to(addr);
    c.send_raw(&raw).unwrap();
    let check = c.read_response().unwrap();
    let reconnect = check.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    assert_eq!(check.status, 200, "{check:?}");
    if let Some(path) = std::env::var_os("LOAD_EMIT") {
        std::fs::write(path, &raw).unwrap();
        return;
    }

    let long_term = run_load(addr, &raw, conns, secs, reconnect, &format!("log {log:?}"));
    if std::env::var_os("LOAD_SESSION").is_some() && srv.is_some() {
        let (key, token) = assume(addr, &admin);
        let headers = session_headers(addr, &key, &token, "Decrypt", &body, now_ms());
        let mut raw = Vec::new();
        raw.extend_from_slice(b"POST / HTTP/1.1\r\n");
        for (n, v) in &headers {
            raw.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        raw.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        raw.extend_from_slice(&body);
        let session = run_load(addr, &raw, conns, secs, reconnect, "role session credentials");
        eprintln!("session / long-term Decrypt req/s: {:.3}", session / long_term);
    }
    if let Some(srv) = srv {
        srv.shutdown();
    }
}

/// Sets up a role the administrator may assume (with AdministratorAccess), then times
/// AssumeRole followed by the first KMS call (ListKeys) with the new credentials;
/// returns the last credentials.
fn assume(addr: std::net::SocketAddr, admin: &Key) -> (Key, String) {
    let trust = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A111122223333%3Auser%2Fadmin%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
    let q = |service: &str, key: &Key, token: Option<&str>, body: &str| {
        let h = query_headers(addr, key, service, token, body.as_bytes(), now_ms());
        connect_to(addr).request(&h, body.as_bytes())
    };
    let r = q(
        "iam",
        admin,
        None,
        &format!(
            "Action=CreateRole&Version=2010-05-08&RoleName=Bench&AssumeRolePolicyDocument={trust}"
        ),
    );
    assert_eq!(r.status, 200);
    let r = q("iam", admin, None, "Action=AttachRolePolicy&Version=2010-05-08&RoleName=Bench&PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess");
    assert_eq!(r.status, 200);
    let mut times = Vec::new();
    let mut last = None;
    for i in 0..50 {
        let t = Instant::now();
        let r = q("sts", admin, None, &format!("Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::111122223333:role/Bench&RoleSessionName=bench{i}"));
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let key = Key {
            id: xml_field(&r.body, "AccessKeyId").unwrap(),
            secret: xml_field(&r.body, "SecretAccessKey").unwrap(),
        };
        let token = xml_field(&r.body, "SessionToken").unwrap();
        let body = b"{}";
        let h = session_headers(addr, &key, &token, "ListKeys", body, now_ms());
        let r = connect_to(addr).request(&h, body);
        assert_eq!(r.status, 200);
        times.push(t.elapsed().as_micros());
        last = Some((key, token));
    }
    times.sort_unstable();
    eprintln!(
        "AssumeRole + first KMS call (new connections): median {} us, max {} us (50 sessions)",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    last.unwrap()
}

/// Replays `raw` on `conns` keep-alive connections for `secs`; prints and returns req/s.
fn run_load(
    addr: std::net::SocketAddr,
    raw: &[u8],
    conns: usize,
    secs: u64,
    reconnect: bool,
    label: &str,
) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let per_conn = MAX_REQUESTS / conns;
    let start = Instant::now();
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let raw = raw.to_vec();
            let mut conn = connect_to(addr);
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(200_000);
                while Instant::now() < deadline && lat.len() < per_conn {
                    let t = Instant::now();
                    conn.send_raw(&raw).unwrap();
                    let r = conn.read_response().unwrap();
                    assert_eq!(r.status, 200);
                    if reconnect {
                        conn = connect_to(addr);
                    }
                    lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                }
                lat
            })
        })
        .collect();
    let mut all: Vec<u32> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let n = all.len();
    let pct = |p: usize| all.get((n.saturating_sub(1)) * p / 100).copied().unwrap_or(0);
    eprintln!(
        "Decrypt 1 KiB, {conns} keep-alive connections, {secs}s, {label}: {n} requests, \
         {:.0} req/s, p50 {} us, p99 {} us, max {} us",
        n as f64 / elapsed,
        pct(50),
        pct(99),
        all.last().copied().unwrap_or(0)
    );
    n as f64 / elapsed
}
