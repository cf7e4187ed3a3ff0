//! Regression test of the hardening pass (issue 16): RSA key generation (CreateKey of an
//! RSA_4096 key) does not stall other callers. Decrypt latency is measured idle, then while
//! two clients create RSA_4096 keys back to back; the median must stay within twice the idle
//! median (plus a few milliseconds for the CPU the generation itself takes on a small machine).
//! Bounded: about 40 Decrypt calls per phase and at most a couple of key generations after.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use base64::Engine as _;
use common::TestServer;
use keyward_server::Options;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SAMPLES: usize = 40;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn rsa_generation_does_not_stall_other_callers() {
    let srv = TestServer::start(Options::default());
    let mut c = srv.connect();
    let key = c.call(&srv.admin, "CreateKey", &json!({})).json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let plain = base64::engine::general_purpose::STANDARD.encode(b"payload");
    let blob = c.call(&srv.admin, "Encrypt", &json!({"KeyId": key, "Plaintext": plain})).json()
        ["CiphertextBlob"]
        .clone();
    let sample = |c: &mut common::Conn| {
        (0..SAMPLES)
            .map(|_| {
                let t = Instant::now();
                let r = c.call(&srv.admin, "Decrypt", &json!({"CiphertextBlob": blob}));
                assert_eq!(r.status, 200, "{r:?}");
                let d = t.elapsed();
                std::thread::sleep(Duration::from_millis(10));
                d
            })
            .collect::<Vec<_>>()
    };
    let idle = sample(&mut c);

    let stop = Arc::new(AtomicBool::new(false));
    let created = Arc::new(AtomicUsize::new(0));
    let generators: Vec<_> = (0..2)
        .map(|_| {
            let (stop, created) = (Arc::clone(&stop), Arc::clone(&created));
            let mut g = srv.connect();
            let admin = srv.admin.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let r = g.call(
                        &admin,
                        "CreateKey",
                        &json!({"KeySpec": "RSA_4096", "KeyUsage": "SIGN_VERIFY"}),
                    );
                    assert_eq!(r.status, 200, "{r:?}");
                    created.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    let loaded = sample(&mut c);
    let window = start.elapsed();
    let during = created.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for g in generators {
        g.join().unwrap();
    }
    let (mi, ml) = (median(idle.clone()), median(loaded.clone()));
    eprintln!(
        "stall: Decrypt median idle {mi:?} (max {:?}); while RSA_4096 keys are generated {ml:?} \
         (max {:?}); {during} keys finished in the {window:?} window, {} in all",
        idle.iter().max().unwrap(),
        loaded.iter().max().unwrap(),
        created.load(Ordering::Relaxed)
    );
    assert!(ml <= mi * 2 + Duration::from_millis(5), "idle {mi:?}, loaded {ml:?}");
    srv.shutdown();
}
