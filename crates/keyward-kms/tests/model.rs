//! Model-based test of the KMS core: random sequences of key, alias, grant and crypto
//! operations (and time passing) run against `Kms::in_memory` and against a small model of key
//! states, aliases, grants and ciphertexts. Every response is checked: success where the model
//! says the call succeeds, otherwise the exact AWS error code (aws-semantics.md §6.3 key-state
//! table; RetireGrant/RevokeGrant work in every state).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;
use common::*;
use keyward_kms::Kms;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const DIS: &str = "DisabledException";
const INV: &str = "KMSInvalidStateException";
const NF: &str = "NotFoundException";

#[derive(Debug, Clone, Copy, PartialEq)]
enum St {
    Enabled,
    Disabled,
    Pending(i64),
    Deleted,
}

#[derive(Debug, Clone)]
enum Op {
    CreateKey,
    Enable(usize),
    Disable(usize),
    Schedule(usize, i64),
    Cancel(usize),
    CreateAlias(usize, usize),
    UpdateAlias(usize, usize),
    DeleteAlias(usize),
    CreateGrant(usize),
    Retire(usize),
    Revoke(usize),
    Encrypt(usize, bool),
    Decrypt(usize),
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0usize..6;
    prop_oneof![
        2 => Just(Op::CreateKey),
        1 => i.clone().prop_map(Op::Enable),
        1 => i.clone().prop_map(Op::Disable),
        1 => (i.clone(), prop_oneof![Just(7i64), Just(30), Just(3), 7i64..31]).prop_map(|(k, d)| Op::Schedule(k, d)),
        1 => i.clone().prop_map(Op::Cancel),
        1 => (0usize..3, i.clone()).prop_map(|(a, k)| Op::CreateAlias(a, k)),
        1 => (0usize..3, i.clone()).prop_map(|(a, k)| Op::UpdateAlias(a, k)),
        1 => (0usize..3).prop_map(Op::DeleteAlias),
        1 => i.clone().prop_map(Op::CreateGrant),
        1 => (0usize..8).prop_map(Op::Retire),
        1 => (0usize..8).prop_map(Op::Revoke),
        2 => (i, any::<bool>()).prop_map(|(k, a)| Op::Encrypt(k, a)),
        2 => (0usize..8).prop_map(Op::Decrypt),
        1 => (0i64..20).prop_map(|d| Op::Wait(d * DAY)),
    ]
}

struct Model {
    keys: Vec<(String, St)>,
    aliases: BTreeMap<usize, usize>,
    /// (grant id, key index, still present)
    grants: Vec<(String, usize, bool)>,
    /// (key index, ciphertext, plaintext)
    cts: Vec<(usize, Value, String)>,
    now: i64,
}

fn alias_name(a: usize) -> String {
    format!("alias/model-{a}")
}

impl Model {
    /// Applies the passage of time: keys whose deletion date passed are gone, with their
    /// aliases and grants.
    fn tick(&mut self) {
        for k in 0..self.keys.len() {
            if let St::Pending(until) = self.keys[k].1 {
                if until <= self.now {
                    self.keys[k].1 = St::Deleted;
                    self.aliases.retain(|_, t| *t != k);
                    self.grants.iter_mut().filter(|g| g.1 == k).for_each(|g| g.2 = false);
                }
            }
        }
    }

    /// The expected error of a key-state rule, or None for success.
    fn state_err(&self, k: usize, disabled: Option<&'static str>) -> Option<&'static str> {
        match self.keys[k].1 {
            St::Deleted => Some(NF),
            St::Pending(_) => Some(INV),
            St::Disabled => disabled,
            St::Enabled => None,
        }
    }
}

fn check(
    kms: &mut Kms,
    now: i64,
    op: &str,
    input: Value,
    expect: Option<&[&str]>,
) -> Result<Value, TestCaseError> {
    let r = kms.call(&at(admin(), now), op, &input);
    match (r, expect) {
        (Ok(v), None) => Ok(v),
        (Ok(v), Some(codes)) => Err(TestCaseError::fail(format!(
            "{op} {input} succeeded ({v}); the model expected {codes:?}"
        ))),
        (Err(e), None) => Err(TestCaseError::fail(format!(
            "{op} {input} failed with {e}; the model expected success"
        ))),
        (Err(e), Some(codes)) => {
            prop_assert!(
                codes.contains(&e.code.as_str()),
                "{op} {input}: got {} ({e}), the model expected {codes:?}",
                e.code.as_str()
            );
            Ok(Value::Null)
        }
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut kms = kms();
    let mut m = Model {
        keys: Vec::new(),
        aliases: BTreeMap::new(),
        grants: Vec::new(),
        cts: Vec::new(),
        now: T0,
    };
    let admin_arn = admin().principal;
    for op in ops {
        let n = m.keys.len();
        // Operations on key index k need a key; with none yet, create one instead.
        let op = match op {
            Op::Wait(_) | Op::Retire(_) | Op::Revoke(_) | Op::Decrypt(_) | Op::DeleteAlias(_) => op,
            _ if n == 0 => Op::CreateKey,
            o => o,
        };
        let key = |k: usize| k % n.max(1);
        match op {
            Op::CreateKey => {
                let v = check(&mut kms, m.now, "CreateKey", json!({}), None)?;
                let id = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
                m.keys.push((id, St::Enabled));
            }
            Op::Enable(k) | Op::Disable(k) => {
                let k = key(k);
                let (name, to) = if matches!(op, Op::Enable(_)) {
                    ("EnableKey", St::Enabled)
                } else {
                    ("DisableKey", St::Disabled)
                };
                let e = m.state_err(k, None);
                check(
                    &mut kms,
                    m.now,
                    name,
                    json!({"KeyId": m.keys[k].0}),
                    e.map(|c| vec![c]).as_deref(),
                )?;
                if e.is_none() {
                    m.keys[k].1 = to;
                }
            }
            Op::Schedule(k, days) => {
                let k = key(k);
                let e = m
                    .state_err(k, None)
                    .or((!(7..=30).contains(&days)).then_some("ValidationException"));
                let input = json!({"KeyId": m.keys[k].0, "PendingWindowInDays": days});
                check(
                    &mut kms,
                    m.now,
                    "ScheduleKeyDeletion",
                    input,
                    e.map(|c| vec![c]).as_deref(),
                )?;
                if e.is_none() {
                    m.keys[k].1 = St::Pending(m.now + days * DAY);
                }
            }
            Op::Cancel(k) => {
                let k = key(k);
                let e = match m.keys[k].1 {
                    St::Deleted => Some(NF),
                    St::Pending(_) => None,
                    _ => Some(INV),
                };
                check(
                    &mut kms,
                    m.now,
                    "CancelKeyDeletion",
                    json!({"KeyId": m.keys[k].0}),
                    e.map(|c| vec![c]).as_deref(),
                )?;
                if e.is_none() {
                    m.keys[k].1 = St::Disabled;
                }
            }
            Op::CreateAlias(a, k) => {
                let k = key(k);
                let e = m
                    .state_err(k, None)
                    .or(m.aliases.contains_key(&a).then_some("AlreadyExistsException"));
                let input = json!({"AliasName": alias_name(a), "TargetKeyId": m.keys[k].0});
                check(&mut kms, m.now, "CreateAlias", input, e.map(|c| vec![c]).as_deref())?;
                if e.is_none() {
                    m.aliases.insert(a, k);
                }
            }
            Op::UpdateAlias(a, k) => {
                let k = key(k);
                let e = if m.aliases.contains_key(&a) { m.state_err(k, None) } else { Some(NF) };
                let input = json!({"AliasName": alias_name(a), "TargetKeyId": m.keys[k].0});
                check(&mut kms, m.now, "UpdateAlias", input, e.map(|c| vec![c]).as_deref())?;
                if e.is_none() {
                    m.aliases.insert(a, k);
                }
            }
            Op::DeleteAlias(a) => {
                let e = (!m.aliases.contains_key(&a)).then_some(NF);
                check(
                    &mut kms,
                    m.now,
                    "DeleteAlias",
                    json!({"AliasName": alias_name(a)}),
                    e.map(|c| vec![c]).as_deref(),
                )?;
                m.aliases.remove(&a);
            }
            Op::CreateGrant(k) => {
                let k = key(k);
                let e = m.state_err(k, Some(DIS));
                let input = json!({"KeyId": m.keys[k].0, "Operations": ["Decrypt", "Encrypt"],
                    "GranteePrincipal": "arn:aws:iam::111122223333:role/Worker",
                    "RetiringPrincipal": admin_arn});
                let v =
                    check(&mut kms, m.now, "CreateGrant", input, e.map(|c| vec![c]).as_deref())?;
                if e.is_none() {
                    m.grants.push((v["GrantId"].as_str().unwrap().to_string(), k, true));
                }
            }
            Op::Retire(g) | Op::Revoke(g) => {
                if m.grants.is_empty() {
                    continue;
                }
                let g = g % m.grants.len();
                let (gid, k, live) = m.grants[g].clone();
                let deleted = m.keys[k].1 == St::Deleted;
                let name = if matches!(op, Op::Retire(_)) { "RetireGrant" } else { "RevokeGrant" };
                let gone: &[&str] = if deleted { &[NF] } else { &[NF, "InvalidGrantIdException"] };
                let e = (!live).then_some(gone);
                check(&mut kms, m.now, name, json!({"KeyId": m.keys[k].0, "GrantId": gid}), e)?;
                m.grants[g].2 = false;
            }
            Op::Encrypt(k, by_alias) => {
                let k = key(k);
                let alias = m.aliases.iter().find(|(_, t)| **t == k).map(|(a, _)| alias_name(*a));
                let key_id = match (by_alias, alias) {
                    (true, Some(a)) => a,
                    _ => m.keys[k].0.clone(),
                };
                let e = m.state_err(k, Some(DIS));
                let text = format!("plaintext {} at {}", m.cts.len(), m.now);
                let ctx = json!({"n": m.cts.len().to_string()});
                let input = json!({"KeyId": key_id, "Plaintext": b64(text.as_bytes()), "EncryptionContext": ctx});
                let v = check(&mut kms, m.now, "Encrypt", input, e.map(|c| vec![c]).as_deref())?;
                if e.is_none() {
                    m.cts.push((k, json!({"blob": v["CiphertextBlob"], "ctx": ctx}), text));
                }
            }
            Op::Decrypt(c) => {
                if m.cts.is_empty() {
                    continue;
                }
                let (k, ct, text) = m.cts[c % m.cts.len()].clone();
                // A ciphertext of a deleted key can never be decrypted (NotFound or
                // InvalidCiphertext: AWS cannot tell which key it was).
                let e: Option<&[&str]> = match m.keys[k].1 {
                    St::Deleted => Some(&[NF, "InvalidCiphertextException"]),
                    St::Pending(_) => Some(&[INV]),
                    St::Disabled => Some(&[DIS]),
                    St::Enabled => None,
                };
                let input = json!({"CiphertextBlob": ct["blob"], "EncryptionContext": ct["ctx"]});
                let v = check(&mut kms, m.now, "Decrypt", input, e)?;
                if e.is_none() {
                    prop_assert_eq!(unb64(&v["Plaintext"]), text.as_bytes().to_vec());
                    prop_assert_eq!(
                        v["KeyId"].as_str().unwrap().rsplit('/').next(),
                        Some(m.keys[k].0.as_str())
                    );
                }
            }
            Op::Wait(d) => {
                m.now += d;
                m.tick();
            }
        }
        // DescribeKey agrees with the model's state of every key.
        for (id, st) in &m.keys {
            let r = kms.call(&at(admin(), m.now), "DescribeKey", &json!({"KeyId": id}));
            let want = match st {
                St::Enabled => "Enabled",
                St::Disabled => "Disabled",
                St::Pending(_) => "PendingDeletion",
                St::Deleted => {
                    prop_assert!(r.is_err(), "DescribeKey of deleted key {id} succeeded");
                    continue;
                }
            };
            let v = r.map_err(|e| TestCaseError::fail(format!("DescribeKey {id}: {e}")))?;
            prop_assert_eq!(v["KeyMetadata"]["KeyState"].as_str(), Some(want), "key {}", id);
        }
    }
    // ListAliases shows exactly the model's aliases with their targets.
    let v = check(&mut kms, m.now, "ListAliases", json!({"Limit": 1000}), None)?;
    let got: BTreeMap<String, String> = v["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["AliasName"].as_str().is_some_and(|n| n.starts_with("alias/model-")))
        .map(|a| {
            (
                a["AliasName"].as_str().unwrap().to_string(),
                a["TargetKeyId"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want: BTreeMap<String, String> =
        m.aliases.iter().map(|(a, k)| (alias_name(*a), m.keys[*k].0.clone())).collect();
    prop_assert_eq!(got, want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn kms_follows_the_model(ops in prop::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
