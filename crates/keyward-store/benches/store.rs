//! Commits per second of `SqliteStore` with `synchronous=FULL` (each commit fsyncs the WAL):
//! CreateKey-shaped (a new key), PutKeyPolicy-shaped (a key replaced), CreateGrant-shaped, and
//! loading a store of 1,000 keys. The database lives under cargo's target tmp dir, on the real
//! disk.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark")]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyward_kms::store::{Change, Store};
use keyward_store::SqliteStore;
use support::*;

fn commits(c: &mut Criterion) {
    let dir = tmp();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    let mut group = c.benchmark_group("commit");
    group.throughput(Throughput::Elements(1));

    let mut n = 0u64;
    group.bench_function("create_key", |b| {
        b.iter(|| {
            n += 1;
            store.commit(&[Change::PutKey(Box::new(key(n)))]).unwrap();
        });
    });

    let mut v = 0u64;
    let base = key(0);
    group.bench_function("put_key_policy", |b| {
        b.iter(|| {
            v += 1;
            let mut k = base.clone();
            k.policy = policy(0, v);
            store.commit(&[Change::PutKey(Box::new(k))]).unwrap();
        });
    });

    let mut g = 0u64;
    let target = key_id(1);
    group.bench_function("create_grant", |b| {
        b.iter(|| {
            g += 1;
            store.commit(&[Change::PutGrant(Box::new(grant(g, &target)))]).unwrap();
        });
    });
    group.finish();
}

fn load(c: &mut Criterion) {
    let dir = tmp();
    let mut store = SqliteStore::open_with_key(dir.path(), Some(master(1))).unwrap();
    let changes: Vec<Change> = (0..1_000).map(|n| Change::PutKey(Box::new(key(n)))).collect();
    store.commit(&changes).unwrap();
    let mut group = c.benchmark_group("load");
    group.throughput(Throughput::Elements(1_000));
    group.sample_size(20);
    group.bench_function("1000_keys", |b| b.iter(|| store.load().unwrap()));
    group.finish();
}

criterion_group!(benches, commits, load);
criterion_main!(benches);
