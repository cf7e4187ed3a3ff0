//! Runs every scenario file in `tests/scenarios/` through the evaluator: each case's decision
//! must equal its `expect`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure is a test failure"
)]

use keyward_scenario::{self as scenario, load};
use std::path::Path;

#[test]
fn scenario_corpus_passes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (mut total, mut failures) = (0usize, Vec::new());
    for f in files
        .iter()
        .filter(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("json" | "yaml")))
    {
        let text = std::fs::read_to_string(f).unwrap();
        let resolve = |rel: &str| std::fs::read_to_string(dir.join(rel)).map_err(|e| e.to_string());
        let yaml = f.extension().is_some_and(|e| e == "yaml");
        let s = load(&text, yaml, &resolve).unwrap_or_else(|d| panic!("{}: {d:?}", f.display()));
        for r in scenario::run(&s) {
            total += 1;
            if !r.pass() {
                failures.push(format!(
                    "{}: {} (expected {:?}, got {:?})",
                    f.display(),
                    r.name,
                    r.expected,
                    r.actual.map(|o| o.decision)
                ));
            }
        }
    }
    assert!(total >= 250, "only {total} cases");
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A context built through `KeyFilter::for_set` (only the keys the policy set can read, as the
/// KMS builds it per call) decides every corpus case exactly as the full context does.
#[test]
fn filtered_context_decides_like_the_full_context() {
    use keyward_core::eval::{decide, Context, KeyFilter, Request};
    use std::sync::Arc;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (mut total, mut dropped) = (0usize, 0usize);
    for f in files
        .iter()
        .filter(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("json" | "yaml")))
    {
        let text = std::fs::read_to_string(f).unwrap();
        let resolve = |rel: &str| std::fs::read_to_string(dir.join(rel)).map_err(|e| e.to_string());
        let yaml = f.extension().is_some_and(|e| e == "yaml");
        let s = load(&text, yaml, &resolve).unwrap();
        for case in &s.cases {
            let Ok((set, full)) = scenario::build_case(&s, case) else { continue };
            let filter = Arc::new(KeyFilter::for_set(&set));
            let mut ctx = Context::filtered(filter);
            for (k, v) in full.context.iter() {
                ctx.set(k, v.clone());
            }
            dropped += full.context.iter().count() - ctx.iter().count();
            let filtered = Request::new(full.principal.clone(), &full.action, &full.resource, ctx);
            assert_eq!(
                decide(&set, &full),
                decide(&set, &filtered),
                "{}: {}",
                f.display(),
                case.name
            );
            total += 1;
        }
    }
    assert!(total >= 250, "only {total} cases");
    assert!(dropped > total, "the filter should drop unread keys ({dropped} dropped)");
}

/// (file, case name prefix, rule, words the why must contain)
const DOCUMENTED_RULES: &[(&str, &str, keyward_core::eval::Rule, &str)] = &[
    (
        "35-notprincipal-boundary.json",
        "NotPrincipal Deny always denies a listed user",
        keyward_core::eval::Rule::ExplicitDeny,
        "always applies to a principal that has a permissions boundary",
    ),
    (
        "36-create-grant-from-grant.json",
        "CreateGrant from a grant: an operation the parent grant does not include",
        keyward_core::eval::Rule::CreateGrantBeyondParentGrant,
        "only through grant ddc6",
    ),
    (
        "36-create-grant-from-grant.json",
        "CreateGrant from a grant: EncryptionContextEquals may not become",
        keyward_core::eval::Rule::CreateGrantBeyondParentGrant,
        "at least as strict",
    ),
    (
        "37-retire-grant.json",
        "RetireGrant: the grant's retiring principal may retire it",
        keyward_core::eval::Rule::RetiringPrincipalRetires,
        "is the retiring principal of grant",
    ),
    (
        "37-retire-grant.json",
        "RetireGrant: the grantee may retire a grant that includes RetireGrant",
        keyward_core::eval::Rule::GranteeRetires,
        "which includes RetireGrant",
    ),
    (
        "37-retire-grant.json",
        "RetireGrant: the account in which the grant was created may retire it",
        keyward_core::eval::Rule::GrantAccountRetires,
        "was created in account 111122223333",
    ),
    (
        "37-retire-grant.json",
        "RetireGrant: kms:RetireGrant in a key policy is not effective",
        keyward_core::eval::Rule::RetireNotPermitted,
        "kms:RetireGrant in a key policy is not effective",
    ),
    (
        "38-cross-account-key-management.json",
        "Cross-account key management: kms:PutKeyPolicy",
        keyward_core::eval::Rule::CrossAccountNotCallable,
        "cannot be called on a key in another account",
    ),
];

#[test]
fn each_documented_rule_decides_by_its_name_and_says_why() {
    // The four rules of issue 17: each firing case of files 35-38 is explained with its own
    // rule and a why that names the cause.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for (file, prefix, rule, why) in DOCUMENTED_RULES {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let s = load(&text, false, &|p| Err(format!("no file {p}"))).unwrap();
        let case = s.cases.iter().find(|c| c.name.starts_with(prefix)).unwrap_or_else(|| {
            panic!("{file}: no case `{prefix}`");
        });
        let (set, req) = scenario::build_case(&s, case).unwrap();
        let e = keyward_core::eval::explain(&set, &req);
        assert_eq!(e.rule, *rule, "{file}: {prefix}: {}", e.summary);
        assert_eq!(e.decision, case.expect, "{file}: {prefix}");
        assert!(e.summary.contains(why), "{file}: {prefix}: {}", e.summary);
    }
}

/// The service-call corpus (`5x-svc-*.json`): at least 60 stories, each naming the KMS actions
/// the service needs and the rule (or the AWS error) that decides it, so a story cannot pass on
/// its outcome alone.
#[test]
fn service_call_stories_assert_outcome_kms_actions_and_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut stories = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let f = e.unwrap().path();
        if !f.file_name().unwrap().to_string_lossy().contains("-svc-") {
            continue;
        }
        let s =
            load(&std::fs::read_to_string(&f).unwrap(), false, &|p| Err(p.to_string())).unwrap();
        for c in &s.cases {
            assert!(c.service_call.is_some(), "{}: {}", f.display(), c.name);
            assert!(c.expect_kms.is_some(), "{}: {}: no expect_kms", f.display(), c.name);
            assert!(
                c.expect_rule.is_some() || c.expect_error.is_some(),
                "{}: {}: no expect_rule",
                f.display(),
                c.name
            );
            let r = scenario::run_case(&s, c);
            assert!(
                r.pass(),
                "{}: {}: {:?} {:?}",
                f.display(),
                c.name,
                r.actual_name(),
                r.problems
            );
            stories += 1;
        }
    }
    assert!(stories >= 60, "only {stories} service-call stories");
}
