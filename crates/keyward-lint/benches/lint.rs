//! Lint throughput (MB/s) on the example policies, and lint time of one identity policy with
//! 1,250 / 2,500 / 5,000 actions (the redundancy checks must scale linearly).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyward_core::model::PolicyKind;
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

/// One Allow statement with `n` actions taken in order from the catalogue (explicit names, one
/// in fifty replaced by a `svc:Prefix*` wildcard, as long AWS managed policies are written).
fn long_policy(n: usize) -> String {
    let cat = keyward_lint::catalog();
    let mut actions = Vec::with_capacity(n);
    'outer: for svc in cat.services() {
        for a in cat.actions(svc) {
            if actions.len() == n {
                break 'outer;
            }
            let name = a.name();
            let item = if let Some(head) = name.get(..4).filter(|_| actions.len() % 50 == 49) {
                format!("\"{}:{head}*\"", svc.prefix)
            } else {
                format!("\"{}:{name}\"", svc.prefix)
            };
            actions.push(item);
        }
    }
    format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":[{}],\"Resource\":\"*\"}}]}}",
        actions.join(",\n")
    )
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
    let mut g = c.benchmark_group("long-action-list");
    g.sample_size(10);
    for n in [1_250, 2_500, 5_000] {
        let policy = long_policy(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("{n} actions"), |b| {
            b.iter(|| {
                black_box(lint_text(
                    black_box(&policy),
                    Some(DocKind::Policy(PolicyKind::Identity)),
                ))
            })
        });
    }
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
