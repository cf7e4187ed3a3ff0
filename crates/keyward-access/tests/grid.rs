//! The exactness of the class-based access matrix (issue 21): on random account exports and
//! key policies, every cell the classes give ([`Grid::table`], expanded to principals and
//! keys) equals the verdict the cell-by-cell [`Worker`] decides; and `who-can` by principal
//! classes prints what `who-can` subject by subject prints, word for word.
//!
//! The vocabulary is built to make classes collide and then differ: shared and per-principal
//! (inline) policies with equal texts, key lists and wildcard resources, resources with
//! `${aws:username}`, boundaries that allow nothing, tag and ARN conditions, request-time
//! conditions (conditional verdicts), key policies that name one role or user, name their own
//! key, use NotPrincipal, or name another account.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use keyward_access::grid::Grid;
use keyward_access::matrix::{Cell, Matrix};
use keyward_access::who_can::{who_can, who_can_each, Query};
use keyward_access::{KeyFacts, Status};
use proptest::prelude::*;
use serde_json::{json, Value};

const ACCOUNT: &str = "111122223333";
const ACTIONS: &[&str] =
    &["kms:Decrypt", "kms:Encrypt", "kms:DescribeKey", "kms:ScheduleKeyDeletion", "kms:Sign"];

fn key_arn(k: usize) -> String {
    format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/k{k}")
}

/// Identity statements by number: each a different way to read the key or the principal.
fn identity_statement(n: usize, keys: usize) -> Value {
    match n % 9 {
        0 => json!({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}),
        1 => json!({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"],
                    "Resource": [key_arn(n % keys), key_arn((n + 1) % keys)]}),
        2 => json!({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                    "Condition": {"StringEquals": {"kms:EncryptionContext:team": "a"}}}),
        3 => json!({"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}),
        4 => json!({"Effect": "Allow", "Action": "kms:Describe*",
                    "Resource": format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/k1*")}),
        5 => json!({"Effect": "Allow", "Action": "kms:Encrypt",
                    "Resource": format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/${{aws:username}}")}),
        6 => json!({"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a"}}}),
        7 => json!({"Effect": "Deny", "NotAction": "kms:Describe*", "NotResource": key_arn(0)}),
        _ => json!({"Effect": "Allow", "Action": "kms:Sign", "Resource": "*",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
    }
}

/// Key policy statements by number.
fn key_statement(n: usize, k: usize, principals: usize) -> Value {
    let root = json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")});
    match n % 9 {
        0 => json!({"Effect": "Allow", "Principal": root, "Action": "kms:*", "Resource": "*"}),
        1 => json!({"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "a"}}}),
        2 => json!({"Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/r{}", n % principals.max(1))},
                    "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}),
        3 => json!({"Effect": "Allow", "Principal": root, "Action": "kms:Encrypt",
                    "Resource": key_arn(k)}),
        4 => json!({"Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/u{}", n % principals.max(1))},
                    "Action": "kms:*", "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}),
        5 => {
            json!({"Effect": "Deny", "NotPrincipal": {"AWS": [format!("arn:aws:iam::{ACCOUNT}:root"),
                    format!("arn:aws:iam::{ACCOUNT}:role/r1")]}, "Action": "kms:ScheduleKeyDeletion", "Resource": "*"})
        }
        6 => json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                    "Action": "kms:Decrypt", "Resource": "*"}),
        7 => {
            json!({"Effect": "Allow", "Principal": "*", "Action": "kms:DescribeKey", "Resource": "*",
                    "Condition": {"ArnLike": {"aws:PrincipalArn": format!("arn:aws:iam::{ACCOUNT}:role/r*")}}})
        }
        _ => json!({"Effect": "Deny", "Principal": "*", "Action": "kms:*",
                    "Resource": format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/k2*")}),
    }
}

fn doc(stmts: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": stmts})
}

/// One principal: (is user, managed policies, inline statements, boundary, team tag).
type PrincipalSpec = (bool, Vec<usize>, Vec<usize>, Option<usize>, Option<usize>);

#[derive(Debug, Clone)]
struct Spec {
    /// Per principal: (is user, managed policies, inline statements, boundary, team tag).
    principals: Vec<PrincipalSpec>,
    /// Managed policies: their statements.
    managed: Vec<Vec<usize>>,
    /// Per key: its statements (drawn from a few templates, so that keys share policies).
    keys: Vec<Vec<usize>>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let managed = prop::collection::vec(prop::collection::vec(0usize..40, 1..3), 1..5);
    let principal = (
        any::<bool>(),
        prop::collection::vec(0usize..8, 0..3),
        prop::collection::vec(0usize..40, 0..2),
        prop::option::weighted(0.2, 0usize..40),
        prop::option::of(0usize..3),
    );
    let principals = prop::collection::vec(principal, 1..10);
    let templates = prop::collection::vec(prop::collection::vec(0usize..9, 1..4), 1..4);
    let keys = prop::collection::vec(0usize..4, 1..8);
    (managed, principals, templates, keys).prop_map(|(managed, principals, templates, keys)| {
        let keys = keys.iter().map(|&t| templates[t % templates.len()].clone()).collect();
        Spec { principals, managed, keys }
    })
}

/// A spec whose principals share a few shapes (policies, inline statements, boundary) and
/// differ by kind, name and tag: the principals the classes merge, and must tell apart.
fn templated_spec() -> impl Strategy<Value = Spec> {
    let shape = (
        prop::collection::vec(0usize..4, 0..3),
        prop::collection::vec(0usize..40, 0..2),
        prop::option::weighted(0.2, 0usize..40),
    );
    let shapes = prop::collection::vec(shape, 1..4);
    let members =
        prop::collection::vec((any::<bool>(), 0usize..4, prop::option::of(0usize..2)), 2..16);
    (spec(), shapes, members).prop_map(|(mut s, shapes, members)| {
        s.principals = members
            .into_iter()
            .map(|(user, t, team)| {
                let (managed, inline, boundary) = shapes[t % shapes.len()].clone();
                (user, managed, inline, boundary, team)
            })
            .collect();
        s
    })
}

fn build(s: &Spec) -> Matrix {
    let (export, keys) = export_and_keys(s);
    Matrix::new(&export, keys, ACCOUNT)
}

type Keys = Vec<(KeyFacts, keyward_core::eval::NamedPolicy)>;

/// The account export and the keys (with their policies) of a spec.
fn export_and_keys(s: &Spec) -> (keyward_aws::export::AccountExport, Keys) {
    export_and_keys_with(s, keyward_aws::export::account_export)
}

/// [`export_and_keys`], the export read by `read`.
fn export_and_keys_with(
    s: &Spec,
    read: fn(
        &str,
    )
        -> (Option<keyward_aws::export::AccountExport>, Vec<keyward_core::diag::Diagnostic>),
) -> (keyward_aws::export::AccountExport, Keys) {
    let nk = s.keys.len();
    let np = s.principals.len();
    let policies: Vec<Value> = s
        .managed
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let d = doc(st.iter().map(|&n| identity_statement(n, nk)).collect());
            json!({"PolicyName": format!("m{i}"), "Arn": format!("arn:aws:iam::{ACCOUNT}:policy/m{i}"),
                   "DefaultVersionId": "v1",
                   "PolicyVersionList": [{"Document": d, "VersionId": "v1", "IsDefaultVersion": true}]})
        })
        .collect();
    let (mut users, mut roles) = (Vec::new(), Vec::new());
    for (i, (user, managed, inline, boundary, team)) in s.principals.iter().enumerate() {
        let attached: Vec<Value> = managed
            .iter()
            .map(|m| m % s.managed.len())
            .map(|m| json!({"PolicyName": format!("m{m}"), "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/m{m}")}))
            .collect();
        let inline: Vec<Value> = inline
            .iter()
            .map(|&n| json!({"PolicyName": "inline", "PolicyDocument": doc(vec![identity_statement(n, nk)])}))
            .collect();
        let tags: Vec<Value> =
            team.iter().map(|t| json!({"Key": "team", "Value": (["a", "b", "c"][*t])})).collect();
        let boundary = boundary.map(|b| {
            json!({"PermissionsBoundaryType": "Policy",
                   "PermissionsBoundaryArn": format!("arn:aws:iam::{ACCOUNT}:policy/m{}", b % s.managed.len())})
        });
        if *user {
            let mut u = json!({"UserName": format!("u{i}"), "Arn": format!("arn:aws:iam::{ACCOUNT}:user/u{i}"),
                "UserId": format!("AIDA{i:016}"), "UserPolicyList": inline, "GroupList": [],
                "AttachedManagedPolicies": attached, "Tags": tags});
            if let Some(b) = boundary {
                u["PermissionsBoundary"] = b;
            }
            users.push(u);
        } else {
            let mut r = json!({"RoleName": format!("r{i}"), "Arn": format!("arn:aws:iam::{ACCOUNT}:role/r{i}"),
                "RoleId": format!("AROA{i:016}"), "RolePolicyList": inline,
                "AttachedManagedPolicies": attached, "Tags": tags});
            if let Some(b) = boundary {
                r["PermissionsBoundary"] = b;
            }
            roles.push(r);
        }
    }
    let text = json!({"UserDetailList": users, "RoleDetailList": roles, "GroupDetailList": [],
                      "Policies": policies})
    .to_string();
    let (export, diags) = read(&text);
    let export = export.unwrap_or_else(|| panic!("{diags:?}"));
    let keys = s
        .keys
        .iter()
        .enumerate()
        .map(|(k, st)| {
            let d = doc(st.iter().map(|&n| key_statement(n, k, np)).collect()).to_string();
            let (p, diags) = keyward_aws::kms::key_policy(&d);
            let p = p.unwrap_or_else(|| panic!("{d}: {diags:?}"));
            (KeyFacts::symmetric(&key_arn(k)), keyward_core::eval::NamedPolicy::new("kp", p))
        })
        .collect();
    (export, keys)
}

/// Every cell of the matrix by classes, as (principal, key, action) → verdict.
fn by_classes(m: &Matrix, actions: &[String]) -> Vec<Vec<Status>> {
    let g = Grid::new(m, actions);
    let na = actions.len();
    let mut out = vec![vec![Status::Deny; m.keys.len() * na]; m.who.len()];
    for c in 0..g.kclasses.len() {
        let (table, _) = g.table(c);
        for &k in &g.kclasses[c].keys {
            for (p, row) in out.iter_mut().enumerate() {
                let pc = g.pclass[p] as usize;
                for a in 0..na {
                    row[k * na + a] = table[pc * na + a];
                }
            }
        }
    }
    out
}

fn cell_by_cell(m: &Matrix, actions: &[String]) -> Vec<Vec<Status>> {
    let na = actions.len();
    let mut w = m.worker();
    (0..m.who.len())
        .map(|p| {
            let mut row = vec![Status::Deny; m.keys.len() * na];
            for Cell { key, action, status } in w.cells(p, actions, true) {
                row[key * na + action] = status;
            }
            row
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn classes_equal_cells(s in prop_oneof![spec(), templated_spec()]) {
        let m = build(&s);
        let actions: Vec<String> = ACTIONS.iter().map(|a| a.to_string()).collect();
        let want = cell_by_cell(&m, &actions);
        let got = by_classes(&m, &actions);
        for (p, (w, g)) in want.iter().zip(&got).enumerate() {
            prop_assert_eq!(w, g, "principal {}", m.who[p].subject.label);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn who_can_classes_equal_each(s in prop_oneof![spec(), templated_spec()], scp in any::<bool>()) {
        let (export, keys) = export_and_keys(&s);
        // The classes read the export as `who-can` does: identical inline documents shared.
        let (shared, _) = export_and_keys_with(&s, keyward_aws::export::account_export_shared);
        let actions: Vec<String> = ACTIONS.iter().map(|a| a.to_string()).collect();
        let mut extra = keyward_core::eval::PolicySet::default();
        if scp {
            extra.scps = vec![vec![org_policy()]];
        }
        for (facts, policy) in &keys {
            let q = Query { key: facts, key_policy: policy, export: Some(&export), extra: &extra,
                            actions: &actions };
            let want = serde_json::to_string_pretty(&who_can_each(&q)).unwrap();
            let q = Query { export: Some(&shared), ..q };
            let got = serde_json::to_string_pretty(&who_can(&q)).unwrap();
            prop_assert_eq!(want, got, "key {}", facts.arn);
        }
    }
}

/// An SCP that allows everything but Sign for users and roles whose id ends in 1 (a context key
/// no other policy reads).
fn org_policy() -> keyward_core::eval::NamedPolicy {
    let text = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoSigningFor1", "Effect": "Deny", "Action": "kms:Sign", "Resource": "*",
         "Condition": {"StringLike": {"aws:userid": "A*1"}}}]})
    .to_string();
    let (p, diags) = keyward_core::parse::parse_policy(
        &text,
        keyward_core::model::PolicyKind::Scp,
        keyward_core::json::Limits::default(),
    );
    keyward_core::eval::NamedPolicy::new("scp", p.unwrap_or_else(|| panic!("{diags:?}")))
}

/// Principals of one shape with inline policies and implicit denies (whose words name the
/// principal and its inline policy) print their own ARN and owner, as decided one by one.
#[test]
fn who_can_classes_put_back_each_principal() {
    let s = Spec {
        principals: (0..6).map(|i| (i % 2 == 0, vec![], vec![1], None, None)).collect(),
        managed: vec![vec![3]],
        keys: vec![vec![0]],
    };
    let (export, keys) = export_and_keys(&s);
    let actions: Vec<String> = ACTIONS.iter().map(|a| a.to_string()).collect();
    let extra = keyward_core::eval::PolicySet::default();
    let (facts, policy) = &keys[0];
    let q = Query {
        key: facts,
        key_policy: policy,
        export: Some(&export),
        extra: &extra,
        actions: &actions,
    };
    let rows = who_can(&q);
    assert_eq!(
        serde_json::to_value(&rows).unwrap(),
        serde_json::to_value(who_can_each(&q)).unwrap()
    );
    let u4 = format!("arn:aws:iam::{ACCOUNT}:user/u4");
    let deny =
        rows.iter().find(|r| r.principal == u4 && r.action == "kms:Sign").expect("a row for u4");
    assert_eq!(deny.assessment.status, Status::Deny);
    assert!(deny.assessment.why.contains(&u4), "{}", deny.assessment.why);
    let allow = rows
        .iter()
        .find(|r| r.principal == u4 && r.assessment.status == Status::Allow)
        .expect("an Allow for u4");
    assert!(allow.assessment.why.contains("user u4 inline 'inline'"), "{}", allow.assessment.why);
}

/// The classes merge: twenty principals with two shapes and ten keys with one policy decide
/// far fewer than 20 x 10 x 5 cells.
#[test]
fn templated_accounts_collapse() {
    let s = Spec {
        principals: (0..20).map(|i| (i % 2 == 0, vec![i % 2], vec![], None, Some(0))).collect(),
        managed: vec![vec![0], vec![2, 3]],
        keys: vec![vec![0, 1]; 10],
    };
    let m = build(&s);
    let actions: Vec<String> = ACTIONS.iter().map(|a| a.to_string()).collect();
    let g = Grid::new(&m, &actions);
    assert_eq!(g.kclasses.len(), 1, "keys with one policy up to their ARN share a class");
    assert_eq!(g.pclasses.len(), 2, "users and roles of two shapes: two classes");
    let (_, decided) = g.table(0);
    assert!(decided <= 2 * actions.len(), "{decided} decisions");
    assert_eq!(by_classes(&m, &actions), cell_by_cell(&m, &actions));
}
