//! Property: the redundancy findings (redundant actions, resources and statements, statements
//! contained in or overridden by another) do not depend on the order of the statements or of
//! the items of their Action and Resource lists. Which of two identical items is "the later
//! one" changes with the order; how many are reported does not. Item findings are counted per
//! statement content; statement findings are counted per code (two statements can be identical
//! in effect though written differently, `["*", "*"]` and `["*"]`, so which of them is reported
//! is not fixed, only how many).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::model::PolicyKind;
use keyward_core::parse::DocKind;
use keyward_lint::lint_text;
use proptest::prelude::*;
use std::collections::BTreeMap;

const ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:Decrypt*",
    "kms:De*",
    "kms:*",
    "kms:GenerateDataKey",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
    "kms:ReEncryptFrom",
    "s3:GetObject",
    "s3:Get*",
    "*",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket/key",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
    "arn:aws:kms:us-east-1:111122223333:key/*",
];

const CODES: &[&str] = &[
    "redundant-action",
    "redundant-resource",
    "redundant-statement",
    "redundant-statement-contained",
    "allow-overridden-by-deny",
];

#[derive(Debug, Clone)]
struct Stmt {
    deny: bool,
    actions: Vec<usize>,
    resources: Vec<usize>,
    secure_transport: bool,
}

impl Stmt {
    /// Order-independent description of the statement's content.
    fn canonical(&self) -> String {
        let mut a: Vec<&str> = self.actions.iter().map(|&i| ACTIONS[i]).collect();
        let mut r: Vec<&str> = self.resources.iter().map(|&i| RESOURCES[i]).collect();
        a.sort_unstable();
        r.sort_unstable();
        format!("{} {a:?} {r:?} {}", self.deny, self.secure_transport)
    }

    fn json(&self) -> serde_json::Value {
        let mut s = serde_json::json!({
            "Effect": if self.deny { "Deny" } else { "Allow" },
            "Action": self.actions.iter().map(|&i| ACTIONS[i]).collect::<Vec<_>>(),
            "Resource": self.resources.iter().map(|&i| RESOURCES[i]).collect::<Vec<_>>(),
        });
        if self.secure_transport {
            s["Condition"] = serde_json::json!({"Bool": {"aws:SecureTransport": "true"}});
        }
        s
    }
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        prop::bool::weighted(0.2),
        // Lists longer than 16 take the indexed path of the redundancy checks, shorter ones
        // the scan: both are exercised.
        prop::collection::vec(0..ACTIONS.len(), 1..24),
        prop::collection::vec(0..RESOURCES.len(), 1..20),
        any::<bool>(),
    )
        .prop_map(|(deny, actions, resources, secure_transport)| Stmt {
            deny,
            actions,
            resources,
            secure_transport,
        })
}

/// (statement content, code) -> number of findings.
fn findings(stmts: &[Stmt]) -> BTreeMap<(String, &'static str), usize> {
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": stmts.iter().map(Stmt::json).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let report = lint_text(&text, Some(DocKind::Policy(PolicyKind::Identity)));
    let mut out = BTreeMap::new();
    for f in report.findings.iter().filter(|f| CODES.contains(&f.code)) {
        let i: usize = f
            .path
            .strip_prefix("Statement[")
            .and_then(|r| r.split(']').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("finding without a statement path: {f:?}"));
        let whose = if f.path.contains(".Action") || f.path.contains(".Resource") {
            stmts[i].canonical()
        } else {
            String::new()
        };
        *out.entry((whose, f.code)).or_insert(0) += 1;
    }
    out
}

/// A permutation of `v` driven by `keys` (one sort key per element).
fn permute<T: Clone>(v: &[T], keys: &[u32]) -> Vec<T> {
    let mut ix: Vec<usize> = (0..v.len()).collect();
    ix.sort_by_key(|&i| (keys.get(i).copied().unwrap_or(0), i));
    ix.into_iter().map(|i| v[i].clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn redundancy_findings_do_not_depend_on_order(
        stmts in prop::collection::vec(stmt(), 1..6),
        order in prop::collection::vec(any::<u32>(), 6),
        lists in prop::collection::vec(prop::collection::vec(any::<u32>(), 24), 12),
    ) {
        let before = findings(&stmts);
        let mut shuffled = permute(&stmts, &order);
        for (k, s) in shuffled.iter_mut().enumerate() {
            s.actions = permute(&s.actions, &lists[2 * k]);
            s.resources = permute(&s.resources, &lists[2 * k + 1]);
        }
        prop_assert_eq!(before, findings(&shuffled));
    }
}

#[test]
fn the_property_sees_redundancy_findings() {
    // Guard against a vacuous property: the generator's vocabulary produces every code.
    let s = |deny, a: &[usize], r: &[usize], c| Stmt {
        deny,
        actions: a.to_vec(),
        resources: r.to_vec(),
        secure_transport: c,
    };
    let stmts = [
        s(false, &[0, 2, 0], &[0, 1, 1], false),
        s(false, &[0], &[0], true),
        s(false, &[0, 2, 0], &[0, 1, 1], false),
        s(false, &[9], &[2], false),
        s(true, &[10], &[1], false),
    ];
    let got = findings(&stmts);
    for code in CODES {
        assert!(got.keys().any(|(_, c)| c == code), "{code} not produced: {got:?}");
    }
}

#[test]
fn scanned_and_indexed_lists_find_the_same_redundancies() {
    // Up to 16 items the checks scan the list; longer lists go through the index. Appending
    // items that are neither redundant nor cover anything must not change the findings.
    let head = [
        "kms:Decrypt",
        "kms:Describe*",
        "kms:DescribeKey",
        "kms:Decrypt",
        "s3:GetObject",
        "s3:Get*",
        "kms:Decrypt*",
        "k*:ListKeys",
        "kms:ListKeys",
    ];
    let tail = [
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sns:Publish",
        "sns:Subscribe",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "lambda:InvokeFunction",
        "logs:PutLogEvents",
        "logs:CreateLogStream",
    ];
    let res_head = ["arn:aws:s3:::b/*", "arn:aws:s3:::b/k", "arn:aws:s3:::b/*"];
    let res_tail: Vec<String> = (0..16).map(|i| format!("arn:aws:s3:::other-{i}/k")).collect();
    let run = |actions: Vec<&str>, resources: Vec<&str>| -> Vec<String> {
        let doc = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}],
        });
        let text = serde_json::to_string(&doc).unwrap();
        let r = lint_text(&text, Some(DocKind::Policy(PolicyKind::Identity)));
        r.findings
            .iter()
            .filter(|f| f.code.starts_with("redundant-"))
            .map(|f| format!("{} {}", f.code, f.path))
            .collect()
    };
    let short = run(head.to_vec(), res_head.to_vec());
    let long_actions: Vec<&str> = head.iter().chain(tail.iter()).copied().collect();
    let long_resources: Vec<&str> =
        res_head.iter().copied().chain(res_tail.iter().map(String::as_str)).collect();
    assert!(long_actions.len() > 16 && long_resources.len() > 16);
    let long = run(long_actions, long_resources);
    assert_eq!(short, long);
    // And the findings are the expected ones.
    for want in [
        "redundant-action Statement[0].Action[2]", // DescribeKey under Describe*
        "redundant-action Statement[0].Action[3]", // second Decrypt
        "redundant-action Statement[0].Action[4]", // GetObject under Get*
        "redundant-action Statement[0].Action[8]", // ListKeys under k*:ListKeys
        "redundant-resource Statement[0].Resource[1]",
        "redundant-resource Statement[0].Resource[2]",
    ] {
        assert!(short.iter().any(|f| f == want), "{want} missing from {short:?}");
    }
}
