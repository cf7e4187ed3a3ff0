//! Unit tests of the service-call catalogue and its expansion.

use super::*;
use crate::eval::call::kms_action;

/// The services and operations the scenario contract (`service-calls.md`) requires.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "s3",
        &[
            "PutObject",
            "GetObject",
            "HeadObject",
            "CopyObject",
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
        ],
    ),
    ("lambda", &["CreateFunction", "UpdateFunctionConfiguration", "Invoke"]),
    ("ec2", &["CreateVolume", "AttachVolume", "RunInstances", "CreateSnapshot", "CopySnapshot"]),
    ("rds", &["CreateDBInstance", "CopyDBSnapshot", "RestoreDBInstanceFromDBSnapshot"]),
    ("secretsmanager", &["CreateSecret", "PutSecretValue", "GetSecretValue"]),
    ("ssm", &["PutParameter", "GetParameter"]),
    ("dynamodb", &["CreateTable", "GetItem", "PutItem"]),
    ("cloudtrail", &["DeliverLogs"]),
    ("logs", &["AssociateKmsKey", "PutLogEvents"]),
    ("sqs", &["SendMessage", "ReceiveMessage"]),
    ("sns", &["Publish"]),
];

#[test]
fn every_row_parses_and_has_a_source() {
    for (i, o) in SERVICE_OPS.iter().enumerate() {
        assert!(
            o.source.starts_with("https://docs.aws.amazon.com/"),
            "{}: {}",
            o.operation,
            o.source
        );
        for s in o.kms {
            let a = kms_action(s.action).unwrap_or_else(|| panic!("{}: {}", o.operation, s.action));
            assert!(a.on_key, "{}: {} is not a key action", o.operation, s.action);
        }
        if !o.action.is_empty() {
            let (svc, op) = o.action.split_once(':').unwrap();
            assert!(!svc.is_empty() && op.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
        }
        assert!(!o.endpoint.is_empty() && o.principal.ends_with(".amazonaws.com"));
        assert!(
            SERVICE_OPS[..i].iter().all(|p| (p.service, p.operation) != (o.service, o.operation)),
            "{}:{} twice",
            o.service,
            o.operation
        );
    }
}

#[test]
fn the_contract_services_and_operations_are_all_there() {
    for (svc, ops) in REQUIRED {
        for op in *ops {
            assert!(service_op(svc, op).is_some(), "{svc}:{op} missing");
        }
    }
    assert!(service_op("s3", "putobject").is_none(), "operation names are exact");
}

fn key(arn: &str) -> ResolvedKey {
    ResolvedKey { arn: arn.into(), facts: KeyFacts::symmetric_default() }
}

const K: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

#[test]
fn s3_put_object_is_the_caller_through_s3_with_the_object_arn() {
    let op = service_op("s3", "PutObject").unwrap();
    let sc = ServiceCall {
        region: "us-east-1".into(),
        resource: "arn:aws:s3:::reports/q1.csv".into(),
        main_key: Some(key(K)),
        ..ServiceCall::default()
    };
    let steps = expand(op, &sc);
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].call.action, "s3:PutObject");
    assert!(steps[0]
        .call
        .extra
        .iter()
        .any(|(k, v)| k == "s3:x-amz-server-side-encryption-aws-kms-key-id"
            && *v == CtxValue::One(K.into())));
    let kms = &steps[1];
    assert_eq!((kms.call.action.as_str(), &kms.actor), ("kms:GenerateDataKey", &Actor::Caller));
    assert_eq!(kms.call.via_service.as_deref(), Some("s3.us-east-1.amazonaws.com"));
    assert_eq!(
        kms.call.encryption_context,
        vec![("aws:s3:arn".into(), "arn:aws:s3:::reports/q1.csv".into())]
    );
    let bucket_key = ServiceCall { params: vec![("bucket_key".into(), "true".into())], ..sc };
    assert_eq!(
        expand(op, &bucket_key)[1].call.encryption_context,
        vec![("aws:s3:arn".into(), "arn:aws:s3:::reports".into())]
    );
}

#[test]
fn cloudtrail_is_the_service_principal_with_the_trail_arn() {
    let op = service_op("cloudtrail", "DeliverLogs").unwrap();
    let trail = "arn:aws:cloudtrail:us-east-1:111122223333:trail/main";
    let sc = ServiceCall {
        region: "us-east-1".into(),
        resource: trail.into(),
        main_key: Some(key(K)),
        ..ServiceCall::default()
    };
    let steps = expand(op, &sc);
    assert_eq!(steps.len(), 1, "the caller has no action of its own");
    assert_eq!(steps[0].actor, Actor::Service("cloudtrail.amazonaws.com".into()));
    assert_eq!(steps[0].call.via_service, None);
    assert_eq!(steps[0].call.encryption_context, vec![("aws:cloudtrail:arn".into(), trail.into())]);
}

#[test]
fn a_copy_without_a_destination_key_keeps_the_source_key_in_the_destination_region() {
    let op = service_op("rds", "CopyDBSnapshot").unwrap();
    let sc = ServiceCall {
        region: "us-east-1".into(),
        resource: "arn:aws:rds:us-east-1:111122223333:snapshot:db1".into(),
        params: vec![("destination_region".into(), "us-west-2".into())],
        main_key: Some(key(K)),
        ..ServiceCall::default()
    };
    let steps = expand(op, &sc);
    let dest = steps.iter().find(|s| s.key == Some(WhichKey::Destination)).unwrap();
    assert_eq!(dest.call.region.as_deref(), Some("us-west-2"));
    let m = region_mismatch(&dest.call.resource, "us-west-2").unwrap();
    assert_eq!(
        (RegionMismatch::CODE, m.message().as_str()),
        ("NotFoundException", "Invalid arn us-west-2")
    );
    assert!(m.why().contains("multi-Region key"));
    assert!(region_mismatch(K, "us-east-1").is_none());
}

#[test]
fn grant_steps_create_a_grant_for_the_service() {
    let op = service_op("ec2", "AttachVolume").unwrap();
    let sc = ServiceCall {
        region: "us-east-1".into(),
        resource: "arn:aws:ec2:us-east-1:111122223333:volume/vol-0abc".into(),
        main_key: Some(key(K)),
        ..ServiceCall::default()
    };
    let steps = expand(op, &sc);
    let g = steps[1].call.create_grant.as_ref().unwrap();
    assert_eq!(g.grantee, "ec2.amazonaws.com");
    let req = steps[1]
        .call
        .request(crate::eval::Principal::parse("arn:aws:iam::111122223333:user/u").unwrap());
    assert_eq!(req.context.get("kms:GrantIsForAWSResource"), Some(&CtxValue::One("true".into())));
}

#[test]
fn aws_managed_keys_are_named_by_alias_and_use_through_their_service_only() {
    assert_eq!(aws_managed_service("alias/aws/ebs"), Some("ec2"));
    assert_eq!(aws_managed_service("arn:aws:kms:us-east-1:111122223333:alias/aws/s3"), Some("s3"));
    assert_eq!(aws_managed_service("alias/aws/nope"), None);
    assert_eq!(aws_managed_service("alias/app"), None);
    let text = aws_managed_key_policy_text("111122223333", "us-east-1", "s3");
    let (p, d) = crate::parse::parse_policy(
        &text,
        crate::model::PolicyKind::Key,
        crate::json::Limits::default(),
    );
    assert!(d.is_empty() && p.is_some(), "{d:?}");
    assert!(text.contains("s3.us-east-1.amazonaws.com"));
    assert_eq!(
        aws_managed_key_arn("alias/aws/s3", "111122223333", "eu-west-1"),
        "arn:aws:kms:eu-west-1:111122223333:key/aws-managed-s3"
    );
}
