//! Load benchmark: Decrypt of a 1 KiB plaintext over HTTP/1.1 keep-alive against an
//! in-process `keyward serve` on 127.0.0.1 (loopback only, bounded in requests and time).
//!
//! `cargo run --release -p keyward-server --example load -- [CONNECTIONS] [SECONDS] [json|off]`
//! Prints requests/s and p50/p99/max latency. One request is signed once and replayed (the
//! server does not refuse replays), so the client spends its CPU on I/O, not on signing.
//! With `LOAD_TARGET=127.0.0.1:PORT` it drives another KMS endpoint instead (e.g. moto's
//! server, for comparison) with the access key `test`/`test`; loopback addresses only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark")]

#[path = "../tests/common/mod.rs"]
mod common;

use base64::Engine;
use common::{connect_to, now_ms, signed_headers, Key, TestServer};
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
    let admin =
        srv.as_ref().map_or(Key { id: "test".into(), secret: "test".into() }, |s| s.admin.clone());
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

    let deadline = Instant::now() + Duration::from_secs(secs);
    let per_conn = MAX_REQUESTS / conns;
    let start = Instant::now();
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let raw = raw.clone();
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
        "Decrypt 1 KiB, {conns} keep-alive connections, {secs}s, log {log:?}: {n} requests, \
         {:.0} req/s, p50 {} us, p99 {} us, max {} us",
        n as f64 / elapsed,
        pct(50),
        pct(99),
        all.last().copied().unwrap_or(0)
    );
    if let Some(srv) = srv {
        srv.shutdown();
    }
}
