//! Lint throughput (MB/s) on the example policies.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyward_core::parse::DocKind;
use keyward_lint::lint_text;
use std::hint::black_box;

fn corpus() -> Vec<(String, Option<DocKind>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/examples");
    let mut files: Vec<_> =
        std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.sort();
    files
        .iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            Some((std::fs::read_to_string(p).ok()?, DocKind::from_file_name(name)))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let docs = corpus();
    let bytes: usize = docs.iter().map(|(d, _)| d.len()).sum();
    // The catalogue is decoded once per process; do it outside the measurement.
    black_box(keyward_lint::catalog());
    let mut g = c.benchmark_group("lint");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("examples (parse + all checks)", |b| {
        b.iter(|| {
            for (d, k) in &docs {
                black_box(lint_text(black_box(d), *k));
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("catalog");
    g.sample_size(10);
    g.bench_function("decode", |b| {
        b.iter(|| black_box(keyward_lint::Catalog::parse(keyward_lint::CATALOG_TEXT)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
