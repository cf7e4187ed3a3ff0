//! Regression test of the hardening pass (issue 16): connections that dribble their headers
//! (slowloris) do not starve legitimate callers. Attackers on loopback hold many connections,
//! re-opening each one the server closes; complete requests from the same address are still
//! answered, quickly. Bounded: the test takes about ten seconds whatever the server does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use common::TestServer;
use keyward_server::Options;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ATTACKERS: usize = 300;
const CALLERS: usize = 20;

fn dribbler(addr: std::net::SocketAddr) -> Option<TcpStream> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(100)).ok()?;
    s.set_nonblocking(true).ok()?;
    let _ = s.write_all(b"POST / HTTP/1.1\r\nhost: x\r\n");
    Some(s)
}

#[test]
fn dribbling_connections_do_not_starve_complete_requests() {
    let srv = TestServer::start(Options {
        max_connections: 64,
        max_connections_per_ip: 32,
        ..Options::default()
    });
    let addr = srv.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let reopened = Arc::new(AtomicUsize::new(0));
    // The attack: ATTACKERS connections, one header byte each every 200 ms, each re-opened as
    // soon as the server closes it.
    let attack = {
        let (stop, reopened) = (Arc::clone(&stop), Arc::clone(&reopened));
        std::thread::spawn(move || {
            let mut conns: Vec<Option<TcpStream>> =
                (0..ATTACKERS).map(|_| dribbler(addr)).collect();
            while !stop.load(Ordering::Relaxed) {
                for c in &mut conns {
                    let alive = c.as_mut().is_some_and(|s| match s.write(b"x") {
                        Ok(n) => n > 0,
                        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
                    });
                    if !alive {
                        *c = dribbler(addr);
                        reopened.fetch_add(1, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    // Legitimate callers: one complete request each, on a new connection, 5 s to answer.
    let start = Instant::now();
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let admin = srv.admin.clone();
            std::thread::spawn(move || {
                let t = Instant::now();
                let Ok(mut c) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
                    return (false, t.elapsed());
                };
                c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let body = json!({}).to_string().into_bytes();
                let h = common::signed_headers(addr, &admin, "ListKeys", &body, common::now_ms());
                let mut req = String::from("POST / HTTP/1.1\r\n");
                for (n, v) in &h {
                    req.push_str(&format!("{n}: {v}\r\n"));
                }
                req.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
                let mut bytes = req.into_bytes();
                bytes.extend_from_slice(&body);
                let mut head = Vec::new();
                let mut chunk = [0u8; 4096];
                let mut ok = c.write_all(&bytes).is_ok();
                while ok && !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut chunk) {
                        Ok(n) if n > 0 => head.extend_from_slice(&chunk[..n]),
                        _ => ok = false,
                    }
                }
                (ok && head.starts_with(b"HTTP/1.1 200"), t.elapsed())
            })
        })
        .collect();
    let results: Vec<(bool, Duration)> = callers.into_iter().map(|t| t.join().unwrap()).collect();
    let took = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    attack.join().unwrap();
    let answered = results.iter().filter(|(ok, _)| *ok).count();
    let mut times: Vec<Duration> = results.iter().filter(|(ok, _)| *ok).map(|r| r.1).collect();
    times.sort();
    eprintln!(
        "slowloris: {answered}/{CALLERS} complete requests answered in {took:?} under {ATTACKERS} \
         dribbling connections (median {:?}, max {:?}; {} attacker connections re-opened)",
        times.get(times.len() / 2),
        times.last(),
        reopened.load(Ordering::Relaxed)
    );
    assert_eq!(answered, CALLERS, "legitimate callers were starved");
    assert!(times.last().is_some_and(|t| *t < Duration::from_secs(3)), "{times:?}");
    srv.shutdown();
}
