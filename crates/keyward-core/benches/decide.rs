//! Decisions per second on a typical KMS request: a key policy with 5 statements, 3 identity
//! policies, 2 grants, conditions on the encryption context and kms:ViaService.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyward_core::eval::call::{Call, KeyFacts};
use keyward_core::eval::{decide, explain, NamedPolicy, PolicySet, Principal, Request};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_grants, parse_policy};
use std::hint::black_box;
use std::sync::Arc;

const KEY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"Allow administration","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KeyAdmin"},"Action":["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],"Resource":"*"},
 {"Sid":"Allow use via S3","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com","kms:CallerAccount":"111122223333"}}},
 {"Sid":"Finance context only","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:Department":"Finance"}}},
 {"Sid":"Deny other contexts","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEqualsIfExists":{"kms:EncryptionContext:Department":["Finance","DataAnalytics"]}}}]}"#;

const IDENTITY: [&str; 3] = [
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}]}"#,
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"},{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}"#,
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Describe*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#,
];

const GRANTS: &str = r#"[{"GrantId":"g1","GranteePrincipal":"arn:aws:iam::111122223333:role/Worker","Operations":["Decrypt"],"Constraints":{"EncryptionContextSubset":{"Department":"Finance"}}},
 {"GrantId":"g2","GranteePrincipal":"arn:aws:iam::111122223333:role/Batch","Operations":["Encrypt","GenerateDataKey"]}]"#;

/// The call of the typical request.
fn typical_call(key: &str) -> Call {
    Call {
        action: "kms:Decrypt".into(),
        resource: key.into(),
        encryption_context: vec![("Department".into(), "Finance".into())],
        via_service: Some("s3.us-east-1.amazonaws.com".into()),
        time: Some("2026-03-10T14:00:00Z".into()),
        region: Some("us-east-1".into()),
        key: KeyFacts::symmetric_default(),
        ..Call::default()
    }
}

fn world() -> (PolicySet, Request) {
    let pol = |t: &str, k| parse_policy(t, k, Limits::default()).0.expect("valid policy");
    let mut set = PolicySet {
        resource_policy: Some(NamedPolicy::new("key policy", pol(KEY_POLICY, PolicyKind::Key))),
        ..PolicySet::default()
    };
    for (i, t) in IDENTITY.iter().enumerate() {
        set.identity.push(NamedPolicy::new(format!("id{i}"), pol(t, PolicyKind::Identity)));
    }
    set.grants = parse_grants(GRANTS, Limits::default()).0.into_iter().map(Arc::new).collect();
    let principal =
        Principal::parse("arn:aws:sts::111122223333:assumed-role/App/s1").expect("principal");
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let call = typical_call(key);
    (set, call.request(principal))
}

fn bench(c: &mut Criterion) {
    let (set, req) = world();
    // The benchmark measures what it claims: the typical request is allowed, the other denied.
    assert_eq!(decide(&set, &req), keyward_core::eval::Decision::Allow);
    let mut g = c.benchmark_group("decide");
    g.throughput(Throughput::Elements(1));
    g.bench_function("typical KMS Decrypt (no trace)", |b| {
        b.iter(|| decide(black_box(&set), black_box(&req)))
    });
    g.bench_function("typical KMS Decrypt (trace + fixes)", |b| {
        b.iter(|| explain(black_box(&set), black_box(&req)))
    });
    let mut denied = req.clone();
    denied.context.set_str("kms:EncryptionContext:Department", "HR");
    assert_eq!(decide(&set, &denied), keyward_core::eval::Decision::ExplicitDeny);
    g.bench_function("denied by context (no trace)", |b| {
        b.iter(|| decide(black_box(&set), black_box(&denied)))
    });
    let call = typical_call(&req.resource);
    g.bench_function("request from a call (every context key)", |b| {
        b.iter(|| black_box(&call).request(black_box(req.principal.clone())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
