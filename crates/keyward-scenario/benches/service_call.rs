//! Explain with a service call: one S3 upload with SSE-KMS (the bucket policy decides
//! s3:PutObject, then GenerateDataKey through S3 is decided against a 4-statement key policy and
//! the uploader's identity policies) expanded, decided and the deciding request explained, per
//! iteration. Goal: under 50 µs per explained service call.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyward_core::eval::{explain, Decision};
use keyward_scenario::{load, service_steps};
use std::hint::black_box;

const SCENARIO: &str = r#"{
 "defaults": {"account": "111122223333", "region": "us-east-1"},
 "resource_policies": {"arn:aws:s3:::reports/*": {"Version": "2012-10-17", "Statement": [
   {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::reports/*",
    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]}},
 "keys": {"app": {"arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
   "policy": {"Version": "2012-10-17", "Statement": [
     {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"}, "Action": ["kms:Create*", "kms:Describe*", "kms:Put*", "kms:ScheduleKeyDeletion"], "Resource": "*"},
     {"Sid": "Use through S3", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
      "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}},
     {"Sid": "Objects of reports only", "Effect": "Deny", "Principal": "*", "Action": "kms:GenerateDataKey*", "Resource": "*",
      "Condition": {"StringNotLikeIfExists": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::reports/*"}}},
     {"Sid": "Auditors", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Audit"}, "Action": "kms:Describe*", "Resource": "*"}]}}},
 "principals": {"arn:aws:iam::111122223333:role/Uploader": {"policies": [
   {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::reports/*"}]},
   {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}]}},
 "cases": [
  {"name": "allowed", "principal": "arn:aws:sts::111122223333:assumed-role/Uploader/s1", "expect": "Allow",
   "service_call": {"service": "s3", "operation": "PutObject", "resource": "arn:aws:s3:::reports/q1.csv", "key": "app"}},
  {"name": "denied", "principal": "arn:aws:sts::111122223333:assumed-role/Uploader/s1", "expect": "ImplicitDeny",
   "service_call": {"service": "s3", "operation": "PutObject", "resource": "arn:aws:s3:::other/q1.csv", "key": "app"}}
 ]
}"#;

fn bench(c: &mut Criterion) {
    let s = load(SCENARIO, false, &|p| Err(p.to_string())).unwrap();
    let mut g = c.benchmark_group("service_call");
    g.throughput(Throughput::Elements(1));
    for case in &s.cases {
        g.bench_function(format!("explain_{}", case.name), |b| {
            b.iter(|| {
                let run = service_steps(&s, black_box(case)).unwrap();
                let step = run
                    .steps
                    .iter()
                    .find(|st| st.outcome.decision != Decision::Allow)
                    .or(run.steps.last())
                    .unwrap();
                black_box(explain(&step.set, &step.request))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
