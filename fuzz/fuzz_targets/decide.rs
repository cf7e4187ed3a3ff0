//! Fuzz target: condition evaluation. The first 8 bytes pick a generated world (request,
//! context, other policies); the rest is parsed as the key policy and as an identity policy of
//! the caller. The fast and traced decision paths must agree.
#![no_main]
use keyward_core::eval::{decide, decide_traced, NamedPolicy};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::parse_policy;
use keyward_scenario::{build_case, load};
use keyward_testing::world::generate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (seed, rest) = data.split_at(8);
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let seed = u64::from_le_bytes(seed.try_into().unwrap_or([0; 8]));
    let world = generate(seed % 100_000);
    let scenario = world.scenario_json("Allow").to_string();
    let Ok(s) = load(&scenario, false, &|_| Err(String::new())) else { return };
    let Some(case) = s.cases.first() else { return };
    let Ok((mut set, req)) = build_case(&s, case) else { return };
    if let (Some(p), _) = parse_policy(text, PolicyKind::Key, Limits::default()) {
        set.resource_policy = Some(NamedPolicy::new("fuzz key policy", p));
    }
    if let (Some(p), _) = parse_policy(text, PolicyKind::Identity, Limits::default()) {
        set.identity.push(NamedPolicy::new("fuzz identity policy", p));
    }
    let fast = decide(&set, &req);
    let (traced, _) = decide_traced(&set, &req);
    assert_eq!(fast, traced.decision, "fast and traced paths disagree");
});
