//! The fixed, realistic request `bench_decide` decides (shared with the native twin,
//! `examples/bench_native.rs`).

use keyward_bundle::explain::{build, Inputs};
use keyward_core::eval::{decide, Decision, PolicySet, Request};
use serde_json::json;

const KEY_POLICY: &str = include_str!(
    "../../policies/examples/encryption-context-finance-dataanalytics-key-policy.json"
);
const IDENTITY: &str = include_str!("../../policies/examples/iam-kms-usage-policy.json");
const SCP: &str = include_str!("../../policies/examples/scp-deny-key-deletion.json");
const GRANTS: &str = include_str!("../../policies/examples/grants-list-response.json");
const FULL_ACCESS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// The bundle: key policy with encryption-context conditions, an identity policy, two SCPs and
/// two grants; an assumed-role session decrypting with a two-pair encryption context.
pub fn bench_bundle() -> String {
    json!({
        "key_policy": KEY_POLICY,
        "identity_policies": [{"name": "kms-usage", "text": IDENTITY}],
        "scps": [[{"name": "FullAWSAccess", "text": FULL_ACCESS}, {"name": "deny-deletion", "text": SCP}]],
        "grants": GRANTS,
        "request": {
            "principal": "arn:aws:sts::111122223333:assumed-role/BatchProcessingRole/etl-run",
            "action": "kms:Decrypt",
            "key_arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "encryption_context": {"Department": "Finance", "Project": "DataAnalytics"},
            "source_ip": "10.0.1.20",
            "time": "2026-03-10T14:00:00Z",
        },
    })
    .to_string()
}

/// The policies and request of [`bench_bundle`].
pub fn bench_fixture() -> Option<(PolicySet, Request)> {
    let inputs = Inputs::parse(&bench_bundle()).ok()?;
    build(&inputs).ok()
}

/// Decides the fixture `n` times; returns how many were allowed (so the work is not elided).
pub fn decide_n(set: &PolicySet, req: &Request, n: u32) -> u32 {
    let mut allowed = 0;
    for _ in 0..n {
        if decide(std::hint::black_box(set), std::hint::black_box(req)) == Decision::Allow {
            allowed += 1;
        }
    }
    allowed
}

/// Decisions per second for `n` decisions, timed with `now_ms` (milliseconds).
pub fn decisions_per_second(n: u32, now_ms: impl Fn() -> f64) -> f64 {
    let Some((set, req)) = bench_fixture() else { return 0.0 };
    let n = n.max(1);
    // Warm up (caches, lazy tables).
    decide_n(&set, &req, n.min(100));
    let t0 = now_ms();
    let mut done = 0u64;
    let mut dt = 0.0;
    // At least `n` decisions and at least 2 ms, so a coarse clock still measures something.
    while done < u64::from(n) || dt < 2.0 {
        std::hint::black_box(decide_n(&set, &req, n));
        done += u64::from(n);
        dt = now_ms() - t0;
        if done >= 1 << 40 {
            break;
        }
    }
    if dt <= 0.0 {
        return 0.0;
    }
    done as f64 / (dt / 1000.0)
}
