//! Replays every input under tests/corpus/fuzz-regressions/TARGET/ through the same functions as
//! the cargo-fuzz target TARGET in fuzz/fuzz_targets/, with the same assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use keyward_core::eval::{decide, decide_traced, NamedPolicy};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_document, parse_policy, DocKind};
use keyward_kms::crypto::{blob, envelope};
use keyward_kms::record::{Material, Secret};
use keyward_scenario::{build_case, load};
use keyward_testing::world::generate;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus/fuzz-regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

#[test]
fn parse_document_inputs() {
    for (_, data) in inputs("parse_document") {
        let Ok(text) = std::str::from_utf8(&data) else { continue };
        let (_, _, diags) = parse_document(text, None, Limits::default());
        assert!(diags.iter().all(|d| d.span.end as usize <= text.len()));
        for kind in [
            DocKind::Policy(PolicyKind::Key),
            DocKind::Policy(PolicyKind::Identity),
            DocKind::Policy(PolicyKind::Scp),
            DocKind::Grant,
        ] {
            let _ = parse_document(text, Some(kind), Limits::default());
        }
    }
}

#[test]
fn decide_inputs() {
    for (path, data) in inputs("decide") {
        if data.len() < 8 {
            continue;
        }
        let (seed, rest) = data.split_at(8);
        let Ok(text) = std::str::from_utf8(rest) else { continue };
        let world = generate(u64::from_le_bytes(seed.try_into().unwrap()) % 100_000);
        let s = load(&world.scenario_json("Allow").to_string(), false, &|_| Err(String::new()))
            .unwrap();
        let (mut set, req) = build_case(&s, &s.cases[0]).unwrap();
        if let (Some(p), _) = parse_policy(text, PolicyKind::Key, Limits::default()) {
            set.resource_policy = Some(NamedPolicy::new("fuzz key policy", p));
        }
        if let (Some(p), _) = parse_policy(text, PolicyKind::Identity, Limits::default()) {
            set.identity.push(NamedPolicy::new("fuzz identity policy", p));
        }
        assert_eq!(decide(&set, &req), decide_traced(&set, &req).0.decision, "{path:?}");
    }
}

#[test]
fn lint_inputs() {
    for (_, data) in inputs("lint") {
        let Ok(text) = std::str::from_utf8(&data) else { continue };
        let _ = keyward_lint::lint_text(text, None);
        let _ = keyward_lint::lint_text(text, Some(DocKind::Policy(PolicyKind::Key)));
    }
}

#[test]
fn blob_inputs() {
    let material = Material {
        id: "ab".repeat(32),
        created_ms: 0,
        origin: "CREATE".into(),
        secret: Secret::new(vec![7u8; 32]),
    };
    for (path, data) in inputs("blob") {
        let _ = blob::header(&data);
        assert!(blob::open(&material, &data, &BTreeMap::new()).is_err(), "{path:?}");
    }
}

#[test]
fn envelope_inputs() {
    for (_, data) in inputs("envelope") {
        let mut reader: &[u8] = &data;
        if let Ok(h) = envelope::read_header(&mut reader) {
            let mut out = Vec::new();
            let _ = envelope::decrypt_stream(&[7u8; 32], &h, &mut reader, &mut out, &mut |_| {});
        }
    }
}

#[test]
fn sigv4_inputs() {
    for (_, data) in inputs("sigv4") {
        let Ok(text) = std::str::from_utf8(&data) else { continue };
        let _ = keyward_server::sigv4::parse_authorization(text);
        let _ = keyward_server::sigv4::parse_amz_date(text);
        let _ = keyward_server::handler::operation(Some(text));
    }
}
