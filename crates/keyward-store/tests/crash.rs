//! Crash safety: a writer process commits CreateKey / CreateGrant / PutKeyPolicy-shaped
//! changes and acknowledges each on stdout once `commit` returns; the test kills it with
//! SIGKILL at random moments, reopens the store, and requires every acknowledged commit to be
//! there exactly, at most the one in-flight commit beyond it, nothing torn, and a clean
//! `PRAGMA integrity_check`.
//!
//! The writer is this test binary itself, re-run with `KEYWARD_STORE_CRASH_CHILD` set (see
//! `crash_writer_child`). SIGKILL tests process crashes; surviving power loss additionally
//! rests on `synchronous=FULL`, which no test here can cut the power to check.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keyward_kms::record::{AliasRecord, GrantRecord, KeyRecord};
use keyward_kms::store::{Change, State, Store};
use keyward_store::{SqliteStore, MASTER_KEY_ENV};
use support::*;

/// The state directory; its presence makes this process the writer.
const CHILD_ENV: &str = "KEYWARD_STORE_CRASH_CHILD";
/// The index of the writer's first operation.
const START_ENV: &str = "KEYWARD_STORE_CRASH_START";
/// Overrides the test's RNG seed.
const SEED_ENV: &str = "KEYWARD_STORE_CRASH_SEED";
const MASTER_BYTE: u8 = 0x4b;

/// Operation `i`; it depends on `i` alone, so the test can replay any prefix.
fn op(i: u64) -> Vec<Change> {
    // An earlier key made by a CreateKey (every index ≡ 0 mod 4 up to `i`).
    let target = 4 * (mix(i) % (i / 4 + 1));
    match i % 4 {
        // CreateKey.
        0 => vec![Change::PutKey(Box::new(key(i)))],
        // CreateGrant on an earlier key.
        1 => vec![Change::PutGrant(Box::new(grant(i, &key_id(target))))],
        // PutKeyPolicy on an earlier key: the whole record is written again.
        2 => {
            let mut k = key(target);
            k.policy = policy(target, i);
            vec![Change::PutKey(Box::new(k))]
        }
        // CreateKey with an alias and a grant, in one commit.
        _ => vec![
            Change::PutKey(Box::new(key(i))),
            Change::PutAlias(alias(i, &key_id(i))),
            Change::PutGrant(Box::new(grant(i, &key_id(i)))),
        ],
    }
}

/// The expected contents after a prefix of the operations.
#[derive(Clone, Default)]
struct Model {
    keys: BTreeMap<String, KeyRecord>,
    aliases: BTreeMap<String, AliasRecord>,
    grants: BTreeMap<String, GrantRecord>,
}

impl Model {
    fn apply(&mut self, i: u64) {
        for change in op(i) {
            match change {
                Change::PutKey(k) => drop(self.keys.insert(k.key_id.clone(), *k)),
                Change::PutAlias(a) => drop(self.aliases.insert(a.arn.clone(), a)),
                Change::PutGrant(g) => drop(self.grants.insert(g.grant_id.clone(), *g)),
                other => panic!("unexpected change {other:?}"),
            }
        }
    }

    fn state(&self) -> State {
        State {
            keys: self.keys.values().cloned().collect(),
            aliases: self.aliases.values().cloned().collect(),
            grants: self.grants.values().cloned().collect(),
            ..State::default()
        }
    }
}

/// Runs only inside the writer process; in a normal test run it returns at once.
#[test]
fn crash_writer_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else { return };
    let start: u64 = std::env::var(START_ENV).unwrap().parse().unwrap();
    // The master key comes from KEYWARD_MASTER_KEY, as in production.
    let mut store = SqliteStore::open(Path::new(&dir)).unwrap();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    for i in start..start + 1_000_000 {
        store.commit(&op(i)).unwrap();
        writeln!(out, "ack {i}").unwrap();
        out.flush().unwrap();
    }
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0) % n
    }
}

/// Reads "ack N" lines; other lines (the test harness's) are ignored.
fn ack(line: &str) -> Option<u64> {
    line.strip_prefix("ack ").map(|n| n.parse().unwrap())
}

#[cfg(unix)]
#[test]
fn acknowledged_commits_survive_sigkill() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let seed = std::env::var(SEED_ENV).map_or(0x6b65_7977_6172_6421, |s| s.parse().unwrap());
    let mut rng = Rng(seed);
    let dir = tmp();
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut model = Model::default();
    // Operations known to be in the store (acknowledged, or found there after a kill).
    let mut committed = 0u64;
    let mut acknowledged_total = 0u64;
    let mut rounds = 0;
    let mut in_flight_landed = 0;
    // At least 4 kills and 3,000 acknowledged commits, within bounds on a slow disk.
    while rounds < 24
        && (rounds < 4
            || (acknowledged_total < 3_000 && started.elapsed() < Duration::from_secs(40)))
    {
        rounds += 1;
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_writer_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env(START_ENV, committed.to_string())
            .env(MASTER_KEY_ENV, master(MASTER_BYTE).to_hex().as_str())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Every fourth round dies early, maybe while opening (or creating) the store.
        let kill_after = if rounds % 4 == 1 { rng.below(3) } else { 50 + rng.below(700) };
        let mut acks = Vec::new();
        while (acks.len() as u64) < kill_after {
            let Some(line) = lines.next() else { break };
            acks.extend(ack(&line.unwrap()));
        }
        std::thread::sleep(Duration::from_micros(rng.below(3_000)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        // Acks already in the pipe were printed after their commit returned: they count.
        acks.extend(lines.map_while(Result::ok).filter_map(|l| ack(&l)));
        assert!(
            status.code().is_none(),
            "the writer exited by itself ({status}) in round {rounds} (seed {seed})"
        );
        for (n, &i) in acks.iter().enumerate() {
            assert_eq!(i, committed + n as u64, "acks out of order (seed {seed})");
        }
        for &i in &acks {
            model.apply(i);
        }
        committed += acks.len() as u64;
        acknowledged_total += acks.len() as u64;

        let mut store = SqliteStore::open_with_key(dir.path(), Some(master(MASTER_BYTE)))
            .unwrap_or_else(|e| panic!("reopen after round {rounds} (seed {seed}): {e}"));
        store.integrity_check().unwrap();
        let found = store.load().unwrap();
        if found != model.state() {
            // The commit in flight at the kill may have landed, whole.
            let mut next = model.clone();
            next.apply(committed);
            assert!(
                found == next.state(),
                "round {rounds} (seed {seed}): the store holds neither the {committed} \
                 acknowledged operations nor those plus the next one (found {} keys, {} \
                 aliases, {} grants)",
                found.keys.len(),
                found.aliases.len(),
                found.grants.len()
            );
            model = next;
            committed += 1;
            in_flight_landed += 1;
        }
    }
    eprintln!(
        "crash test: {rounds} kills, {acknowledged_total} acknowledged commits, {in_flight_landed} \
         unacknowledged commits found whole, {committed} in the store, {:?} (seed {seed})",
        started.elapsed()
    );
    assert!(acknowledged_total >= 1_000, "only {acknowledged_total} commits were acknowledged");
}
