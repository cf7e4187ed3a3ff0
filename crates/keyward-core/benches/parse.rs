//! Parse throughput on realistic policies (the example key and IAM policies).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyward_core::json::Limits;
use keyward_core::parse::parse_document;
use std::hint::black_box;

fn corpus() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/examples");
    let mut files: Vec<_> =
        std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.sort();
    files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
}

fn bench(c: &mut Criterion) {
    let docs = corpus();
    let bytes: usize = docs.iter().map(String::len).sum();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("examples (json + policy model)", |b| {
        b.iter(|| {
            for d in &docs {
                black_box(parse_document(black_box(d), None, Limits::default()));
            }
        })
    });
    g.bench_function("examples (json reader only)", |b| {
        b.iter(|| {
            for d in &docs {
                black_box(keyward_core::json::read(black_box(d), Limits::default()));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
