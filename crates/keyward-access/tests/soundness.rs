//! The soundness law of principal classes (issue 22): over random small key policies and a
//! brute-force space of concrete callers (accounts, roles, sessions, users, roots, org ids and
//! tags drawn from the policy's vocabulary plus fresh ones),
//!
//! - every caller falls in a class, and the evaluator's verdict for the caller is its class's
//!   verdict (so every caller the evaluator allows is in a class reported as Allow or
//!   conditional Allow), and
//! - every class reported as Allow or conditional Allow is realised by some concrete caller.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use keyward_access::class::{group, Caller, Space};
use keyward_access::subject::{assumed_identity, build, KeyFacts, Subject};
use keyward_access::who_can::{decide_reps, verdict_key};
use keyward_access::{assess, Optimizer, Status};
use keyward_core::eval::{NamedPolicy, PolicySet, Principal};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::parse_policy;
use proptest::prelude::*;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// Condition vocabulary: (operator, key, value).
const CONDS: &[(&str, &str, &str)] = &[
    ("StringEquals", "kms:CallerAccount", "444455556666"),
    ("StringEquals", "aws:PrincipalAccount", "444455556666"),
    ("StringNotEquals", "kms:CallerAccount", "111122223333"),
    ("StringLike", "kms:CallerAccount", "*"),
    ("StringLike", "aws:PrincipalAccount", "4444*"),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/deploy-*"),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::444455556666:role/*"),
    ("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::555566667777:role/app"),
    ("StringEquals", "aws:PrincipalOrgID", "o-aaaaaaaaaa"),
    ("StringNotEquals", "aws:PrincipalOrgID", "o-bbbbbbbbbb"),
    ("StringEquals", "aws:PrincipalTag/team", "data"),
    ("StringNotEquals", "aws:PrincipalTag/team", "web"),
    ("StringEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com"),
];

/// Principal vocabulary.
const PRINCIPALS: &[&str] = &[
    r#""Principal": {"AWS": "*"}"#,
    r#""Principal": "*""#,
    r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#,
    r#""Principal": {"AWS": "arn:aws:iam::444455556666:root"}"#,
    r#""Principal": {"AWS": "arn:aws:iam::444455556666:role/deploy-a"}"#,
    r#""NotPrincipal": {"AWS": "arn:aws:iam::555566667777:root"}"#,
];

fn statement(deny: bool, p: usize, conds: &[usize]) -> String {
    let mut by_op: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for &c in conds {
        let (op, k, v) = CONDS[c % CONDS.len()];
        by_op.entry(op).or_default().push(format!("\"{k}\": \"{v}\""));
    }
    let cond: Vec<String> = by_op
        .into_iter()
        .map(|(op, kv)| {
            // One value per key: a repeated key would be a duplicate.
            let mut seen = std::collections::BTreeSet::new();
            let kv: Vec<String> = kv
                .into_iter()
                .filter(|e| seen.insert(e.split(':').next().unwrap().to_string()))
                .collect();
            format!("\"{op}\": {{{}}}", kv.join(", "))
        })
        .collect();
    let principal = PRINCIPALS[p % PRINCIPALS.len()];
    // An Allow with NotPrincipal is rare but legal; a Deny with it is the usual shape.
    format!(
        r#"{{"Effect": "{}", {principal}, "Action": "{}", "Resource": "*", "Condition": {{{}}}}}"#,
        if deny { "Deny" } else { "Allow" },
        if deny { "kms:*" } else { "kms:Decrypt" },
        cond.join(", ")
    )
}

fn policy(stmts: &[(bool, usize, Vec<usize>)]) -> NamedPolicy {
    let st: Vec<String> = stmts.iter().map(|(d, p, c)| statement(*d, *p, c)).collect();
    let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#, st.join(", "));
    let (p, d) = parse_policy(&text, PolicyKind::Key, Limits::default());
    let p = p.unwrap_or_else(|| panic!("{text}: {d:?}"));
    assert!(p.statements.len() == stmts.len(), "{text}: {d:?}");
    NamedPolicy::new("key policy", p)
}

/// The brute-force callers: the vocabulary's accounts and names plus fresh ones.
fn callers() -> Vec<Caller> {
    let accounts = ["111122223333", "444455556666", "444411112222", "555566667777", "123456789012"];
    let mut arns = Vec::new();
    for a in accounts {
        arns.push(format!("arn:aws:iam::{a}:root"));
        arns.push(format!("arn:aws:iam::{a}:user/alice"));
        for r in ["deploy-a", "deploy-prod", "app", "ops"] {
            arns.push(format!("arn:aws:iam::{a}:role/{r}"));
            arns.push(format!("arn:aws:sts::{a}:assumed-role/{r}/s1"));
        }
    }
    let orgs = [None, Some("o-aaaaaaaaaa"), Some("o-bbbbbbbbbb"), Some("o-zzzzzzzzzz")];
    let tags = [None, Some("data"), Some("web"), Some("other")];
    let mut out = Vec::new();
    for arn in &arns {
        for o in orgs {
            for t in tags {
                out.push(Caller {
                    arn: arn.clone(),
                    org_id: o.map(str::to_string),
                    org_path: None,
                    tags: t.map(|v| vec![("team".to_string(), v.to_string())]).unwrap_or_default(),
                });
            }
        }
    }
    out
}

fn subject_of(c: &Caller) -> Subject {
    let principal = Principal::parse(&c.arn).unwrap();
    let mut context = Vec::new();
    if let Some(o) = &c.org_id {
        context.push(("aws:PrincipalOrgID".to_string(), o.clone()));
    }
    Subject {
        label: c.arn.clone(),
        kind: "caller",
        identity: assumed_identity(&principal.account).into_iter().collect(),
        principal,
        id: None,
        boundary: None,
        tags: c.tags.clone(),
        assumption: None,
        context,
    }
}

fn statements() -> impl Strategy<Value = Vec<(bool, usize, Vec<usize>)>> {
    prop::collection::vec(
        (
            prop::bool::weighted(0.3),
            0..PRINCIPALS.len(),
            prop::collection::vec(0..CONDS.len(), 0..3),
        ),
        1..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("SOUNDNESS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48), ..ProptestConfig::default() })]

    #[test]
    fn every_caller_is_decided_as_its_class(stmts in statements()) {
        let kp = policy(&stmts);
        let key = KeyFacts::symmetric(KEY);
        let extra = PolicySet::default();
        let mut opt = Optimizer::default();
        let space = Space::new(&[&kp.policy], key.account());
        prop_assert!(!space.truncated);
        let verdicts = decide_reps(&space, &key, &kp, &extra, "kms:Decrypt", &mut opt, true);
        let keys: Vec<_> = verdicts.iter().map(verdict_key).collect();
        let groups = group(&space.reps, &keys);
        let mut realised = vec![false; groups.len()];
        for c in callers() {
            let coord = space.coord_of(&c).unwrap();
            let gi = groups.iter().position(|g| {
                g.members.iter().any(|&m| space.reps[m].coord == coord)
            });
            let Some(gi) = gi else {
                return Err(TestCaseError::fail(format!("{c:?} is in no class; coord {coord:?}")));
            };
            let (set, req) = build(&subject_of(&c), &key, &kp, &extra, "kms:Decrypt");
            let mine = assess(&set, &req, &mut opt);
            let class = &verdicts[groups[gi].rep];
            prop_assert_eq!(
                verdict_key(&mine).0,
                class.status,
                "{:?}: caller {} vs class (rep {}): {} / {}",
                stmts, c.arn, space.reps[groups[gi].rep].arn, mine.why, class.why
            );
            realised[gi] = true;
        }
        for (g, r) in groups.iter().zip(&realised) {
            if verdicts[g.rep].status != Status::Deny {
                prop_assert!(*r, "class of {} (allowed) has no concrete caller", space.reps[g.rep].arn);
            }
        }
    }
}
