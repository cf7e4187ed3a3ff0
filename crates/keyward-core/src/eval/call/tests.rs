//! Unit tests of the call module: derived keys, retargeting, key references, the default key
//! policy.

use super::*;
use crate::eval::{decide, Decision, PolicySet};

fn alice() -> Principal {
    Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap()
}

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/k1";

fn key_call(action: &str) -> Call {
    Call { key: KeyFacts::symmetric_default(), ..Call::new(action, KEY) }
}

fn keys(req: &Request) -> Vec<(String, CtxValue)> {
    let mut v: Vec<_> = req.context.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn a_key_call_gets_the_keys_aws_adds() {
    let mut call = key_call("kms:Decrypt");
    call.encryption_context = vec![("Dept".into(), "HR".into())];
    call.network.source_ip = Some("192.0.2.7".into());
    call.mfa = Some(Mfa { present: true, age_s: Some(30) });
    let req = call.request(alice());
    let get = |k: &str| req.context.get(k).cloned();
    let one = |s: &str| Some(CtxValue::One(s.into()));
    assert_eq!(get("kms:CallerAccount"), one("111122223333"));
    assert_eq!(get("aws:ResourceAccount"), one("111122223333"));
    assert_eq!(get("kms:EncryptionAlgorithm"), one("SYMMETRIC_DEFAULT"));
    assert_eq!(get("kms:EncryptionContext:Dept"), one("HR"));
    assert_eq!(get("aws:SourceIp"), one("192.0.2.7"));
    assert_eq!(get("aws:MultiFactorAuthAge"), one("30"));
    assert_eq!(get("kms:GrantIsForAWSResource"), None);
    assert_eq!(req.resource, KEY);
    assert!(req.is_kms_key());
}

#[test]
fn multi_region_keys_say_so_and_unknown_keys_say_nothing() {
    let get = |m: Option<MultiRegion>| {
        let mut call = key_call("kms:Decrypt");
        call.key.multi_region = m;
        let req = call.request(alice());
        let one = |k: &str| match req.context.get(k) {
            Some(CtxValue::One(v)) => Some(v.clone()),
            _ => None,
        };
        (one("kms:MultiRegion"), one("kms:MultiRegionKeyType"))
    };
    assert_eq!(get(None), (None, None));
    assert_eq!(get(Some(MultiRegion::SingleRegion)), (Some("false".into()), None));
    assert_eq!(get(Some(MultiRegion::Replica)), (Some("true".into()), Some("REPLICA".into())));
    assert_eq!(get(Some(MultiRegion::Primary)), (Some("true".into()), Some("PRIMARY".into())));
}

#[test]
fn extra_entries_override_derived_keys() {
    let mut call = key_call("kms:Encrypt");
    call.extra = vec![("kms:EncryptionAlgorithm".into(), CtxValue::One("RSAES_OAEP_SHA_1".into()))];
    let req = call.request(alice());
    assert_eq!(
        req.context.get("kms:encryptionalgorithm"),
        Some(&CtxValue::One("RSAES_OAEP_SHA_1".into()))
    );
}

#[test]
fn retargeting_gives_the_request_a_fresh_call_would_give() {
    let actions = ["kms:Decrypt", "kms:CreateGrant", "kms:Sign", "kms:ListGrants", "kms:Encrypt"];
    for from in actions {
        let base = key_call(from);
        let mut req = base.request(alice());
        for to in actions {
            retarget(&mut req, &base, to);
            let fresh = Call { action: to.to_string(), ..base.clone() }.request(alice());
            assert_eq!((req.action.as_str(), &req.action_lc), (to, &fresh.action_lc));
            assert_eq!(keys(&req), keys(&fresh), "{from} -> {to}");
        }
    }
}

#[test]
fn key_references_become_key_arns() {
    assert_eq!(key_arn(KEY, None, "444455556666").unwrap(), KEY);
    assert_eq!(
        key_arn("k2", Some("eu-west-1"), "444455556666").unwrap(),
        "arn:aws:kms:eu-west-1:444455556666:key/k2"
    );
    assert_eq!(
        key_arn("k2", None, "444455556666").unwrap(),
        "arn:aws:kms:us-east-1:444455556666:key/k2"
    );
    assert_eq!(key_arn("alias/app", None, "444455556666"), None);
    assert_eq!(arn_account(KEY), Some("111122223333"));
    assert_eq!(arn_region("arn:aws:s3:::bucket"), None);
}

#[test]
fn the_default_key_policy_delegates_to_the_account() {
    let set = PolicySet {
        resource_policy: Some(default_key_policy("111122223333")),
        ..PolicySet::default()
    };
    // The account delegates to IAM: without an identity policy nobody is allowed...
    assert_ne!(decide(&set, &key_call("kms:Decrypt").request(alice())), Decision::Allow);
    // ...and the root user of the account is.
    let root = Principal::parse("111122223333").unwrap();
    assert_eq!(decide(&set, &key_call("kms:Decrypt").request(root)), Decision::Allow);
    let other = Principal::parse("444455556666").unwrap();
    assert_ne!(decide(&set, &key_call("kms:Decrypt").request(other)), Decision::Allow);
    let np = default_key_policy("111122223333");
    assert_eq!((np.name.as_str(), np.policy.statements.len()), ("default key policy", 1));
}
