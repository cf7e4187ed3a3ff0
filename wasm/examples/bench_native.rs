//! The native twin of the WASM `bench_decide`: the same fixture, decided natively.
//! `cargo run --release -p keyward-wasm --example bench_native [N]`

use std::time::Instant;

fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let start = Instant::now();
    let clock = || start.elapsed().as_secs_f64() * 1000.0;
    let allowed = keyward_wasm::bench_fixture()
        .map(|(s, r)| keyward_wasm::decide_n(&s, &r, 1))
        .unwrap_or_default();
    let mut best = 0.0f64;
    for _ in 0..3 {
        best = best.max(keyward_wasm::decisions_per_second(n, clock));
    }
    println!(
        "native: {best:.0} decisions/s ({n} decisions, best of 3; fixture allowed: {allowed})"
    );
}
