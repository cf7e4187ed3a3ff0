//! Instruction counts of the in-process authorized Decrypt of 1 KiB (the criterion benchmark
//! `kms/decrypt_1k_authorized`'s call, without criterion): `cargo build --release -p
//! keyward-kms --example decrypt_loop`, then `valgrind --tool=callgrind --collect-atstart=no
//! --toggle-collect='decrypt_loop::run' target/release/examples/decrypt_loop 1000` and divide
//! the instructions by 1000.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark tool")]

use keyward_kms::api::DecryptRequest;
use keyward_kms::{Blob, Caller, Kms};
use std::collections::BTreeMap;

#[path = "../benches/setup/mod.rs"]
mod setup;

#[inline(never)]
fn run(k: &mut Kms, caller: &Caller, ct: &[u8], ctx: &BTreeMap<String, String>, n: usize) -> usize {
    let mut total = 0;
    for _ in 0..n {
        let r = DecryptRequest {
            ciphertext_blob: Blob(ct.to_vec()),
            encryption_context: Some(ctx.clone()),
            ..DecryptRequest::default()
        };
        total += k.decrypt(caller, r).unwrap().plaintext.0.len();
    }
    total
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(1000, |s| s.parse().expect("N"));
    let (mut k, caller, ct, ctx) = setup::setup();
    let start = std::time::Instant::now();
    let total = run(&mut k, &caller, &ct, &ctx, n);
    let secs = start.elapsed().as_secs_f64();
    println!("{n} decrypts ({total} bytes) in {secs:.3}s: {:.0}/s", n as f64 / secs);
}
