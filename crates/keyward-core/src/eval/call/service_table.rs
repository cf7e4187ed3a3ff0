//! The service-call catalogue as data: one row per AWS service operation that uses KMS, with
//! the KMS requests the service makes, who makes them, the encryption context, and the AWS page
//! each row follows. Read through [`super::service`].

use super::service::{Ctx, KmsStep, ServiceOp, WhichKey, Who};

const fn step(action: &'static str, who: Who, key: WhichKey) -> KmsStep {
    KmsStep { action, who, key }
}

const S3: &str = "https://docs.aws.amazon.com/kms/latest/developerguide/services-s3.html";
const S3_MPU: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions";
const LAMBDA: &str =
    "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html";
const EBS: &str =
    "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html";
const RDS: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html";
const RDS_COPY: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html";
const SECRETS: &str =
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html";
const SSM: &str =
    "https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html";
const DYNAMO: &str = "https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html";
const TRAIL: &str = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html";
const LOGS: &str =
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html";
const SQS: &str = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html";
const SNS: &str = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html";

use WhichKey::{Destination, Main, Source};
use Who::{Caller, ExecutionRole, GrantForService, ServicePrincipal};

#[allow(clippy::too_many_arguments, reason = "one table row: each argument is a column")]
const fn row(
    service: &'static str,
    operation: &'static str,
    action: &'static str,
    kms: &'static [KmsStep],
    context: Ctx,
    endpoint: &'static str,
    principal: &'static str,
    source: &'static str,
) -> ServiceOp {
    ServiceOp { service, operation, action, kms, context, endpoint, principal, source }
}

const GDK: KmsStep = step("kms:GenerateDataKey", Caller, Main);
const DEC: KmsStep = step("kms:Decrypt", Caller, Main);

/// Every service operation keyward knows, grouped by service.
pub const SERVICE_OPS: &[ServiceOp] = &[
    row("s3", "PutObject", "s3:PutObject", &[GDK], Ctx::S3, "s3", "s3.amazonaws.com", S3),
    row("s3", "GetObject", "s3:GetObject", &[DEC], Ctx::S3, "s3", "s3.amazonaws.com", S3),
    row("s3", "HeadObject", "s3:GetObject", &[DEC], Ctx::S3, "s3", "s3.amazonaws.com", S3),
    row(
        "s3",
        "CopyObject",
        "s3:PutObject",
        &[step("kms:Decrypt", Caller, Source), GDK],
        Ctx::S3,
        "s3",
        "s3.amazonaws.com",
        S3,
    ),
    row(
        "s3",
        "CreateMultipartUpload",
        "s3:PutObject",
        &[GDK],
        Ctx::S3,
        "s3",
        "s3.amazonaws.com",
        S3_MPU,
    ),
    row("s3", "UploadPart", "s3:PutObject", &[DEC], Ctx::S3, "s3", "s3.amazonaws.com", S3_MPU),
    row(
        "s3",
        "CompleteMultipartUpload",
        "s3:PutObject",
        &[DEC],
        Ctx::S3,
        "s3",
        "s3.amazonaws.com",
        S3_MPU,
    ),
    row(
        "lambda",
        "CreateFunction",
        "lambda:CreateFunction",
        &[step("kms:Encrypt", Caller, Main), step("kms:CreateGrant", GrantForService, Main)],
        Ctx::Lambda,
        "lambda",
        "lambda.amazonaws.com",
        LAMBDA,
    ),
    row(
        "lambda",
        "UpdateFunctionConfiguration",
        "lambda:UpdateFunctionConfiguration",
        &[step("kms:Encrypt", Caller, Main), step("kms:CreateGrant", GrantForService, Main)],
        Ctx::Lambda,
        "lambda",
        "lambda.amazonaws.com",
        LAMBDA,
    ),
    row(
        "lambda",
        "Invoke",
        "lambda:InvokeFunction",
        &[step("kms:Decrypt", ExecutionRole, Main)],
        Ctx::Lambda,
        "lambda",
        "lambda.amazonaws.com",
        LAMBDA,
    ),
    row(
        "ec2",
        "CreateVolume",
        "ec2:CreateVolume",
        &[step("kms:GenerateDataKeyWithoutPlaintext", Caller, Main)],
        Ctx::Ebs,
        "ec2",
        "ec2.amazonaws.com",
        EBS,
    ),
    row(
        "ec2",
        "AttachVolume",
        "ec2:AttachVolume",
        &[step("kms:CreateGrant", GrantForService, Main)],
        Ctx::Ebs,
        "ec2",
        "ec2.amazonaws.com",
        EBS,
    ),
    row(
        "ec2",
        "RunInstances",
        "ec2:RunInstances",
        &[
            step("kms:GenerateDataKeyWithoutPlaintext", Caller, Main),
            step("kms:CreateGrant", GrantForService, Main),
        ],
        Ctx::Ebs,
        "ec2",
        "ec2.amazonaws.com",
        EBS,
    ),
    row(
        "ec2",
        "CreateSnapshot",
        "ec2:CreateSnapshot",
        &[],
        Ctx::Ebs,
        "ec2",
        "ec2.amazonaws.com",
        EBS,
    ),
    row(
        "ec2",
        "CopySnapshot",
        "ec2:CopySnapshot",
        &[
            step("kms:ReEncryptFrom", Caller, Main),
            step("kms:ReEncryptTo", Caller, Destination),
            step("kms:GenerateDataKeyWithoutPlaintext", Caller, Destination),
        ],
        Ctx::Ebs,
        "ec2",
        "ec2.amazonaws.com",
        EBS,
    ),
    row(
        "rds",
        "CreateDBInstance",
        "rds:CreateDBInstance",
        &[step("kms:DescribeKey", Caller, Main), step("kms:CreateGrant", GrantForService, Main)],
        Ctx::Rds,
        "rds",
        "rds.amazonaws.com",
        RDS,
    ),
    row(
        "rds",
        "CopyDBSnapshot",
        "rds:CopyDBSnapshot",
        &[
            step("kms:DescribeKey", Caller, Main),
            step("kms:DescribeKey", Caller, Destination),
            step("kms:CreateGrant", GrantForService, Destination),
        ],
        Ctx::Rds,
        "rds",
        "rds.amazonaws.com",
        RDS_COPY,
    ),
    row(
        "rds",
        "RestoreDBInstanceFromDBSnapshot",
        "rds:RestoreDBInstanceFromDBSnapshot",
        &[step("kms:DescribeKey", Caller, Main), step("kms:CreateGrant", GrantForService, Main)],
        Ctx::Rds,
        "rds",
        "rds.amazonaws.com",
        RDS,
    ),
    row(
        "secretsmanager",
        "CreateSecret",
        "secretsmanager:CreateSecret",
        &[GDK],
        Ctx::Secret,
        "secretsmanager",
        "secretsmanager.amazonaws.com",
        SECRETS,
    ),
    row(
        "secretsmanager",
        "PutSecretValue",
        "secretsmanager:PutSecretValue",
        &[GDK],
        Ctx::Secret,
        "secretsmanager",
        "secretsmanager.amazonaws.com",
        SECRETS,
    ),
    row(
        "secretsmanager",
        "GetSecretValue",
        "secretsmanager:GetSecretValue",
        &[DEC],
        Ctx::Secret,
        "secretsmanager",
        "secretsmanager.amazonaws.com",
        SECRETS,
    ),
    row(
        "ssm",
        "PutParameter",
        "ssm:PutParameter",
        &[step("kms:Encrypt", Caller, Main)],
        Ctx::Parameter,
        "ssm",
        "ssm.amazonaws.com",
        SSM,
    ),
    row(
        "ssm",
        "GetParameter",
        "ssm:GetParameter",
        &[DEC],
        Ctx::Parameter,
        "ssm",
        "ssm.amazonaws.com",
        SSM,
    ),
    row(
        "dynamodb",
        "CreateTable",
        "dynamodb:CreateTable",
        &[step("kms:DescribeKey", Caller, Main), step("kms:CreateGrant", GrantForService, Main)],
        Ctx::Dynamo,
        "dynamodb",
        "dynamodb.amazonaws.com",
        DYNAMO,
    ),
    row(
        "dynamodb",
        "GetItem",
        "dynamodb:GetItem",
        &[DEC],
        Ctx::Dynamo,
        "dynamodb",
        "dynamodb.amazonaws.com",
        DYNAMO,
    ),
    row(
        "dynamodb",
        "PutItem",
        "dynamodb:PutItem",
        &[DEC],
        Ctx::Dynamo,
        "dynamodb",
        "dynamodb.amazonaws.com",
        DYNAMO,
    ),
    row(
        "cloudtrail",
        "DeliverLogs",
        "",
        &[step("kms:GenerateDataKey", ServicePrincipal, Main)],
        Ctx::Trail,
        "cloudtrail",
        "cloudtrail.amazonaws.com",
        TRAIL,
    ),
    row(
        "logs",
        "AssociateKmsKey",
        "logs:AssociateKmsKey",
        &[step("kms:GenerateDataKey", ServicePrincipal, Main)],
        Ctx::LogGroup,
        "logs",
        "logs.{region}.amazonaws.com",
        LOGS,
    ),
    row(
        "logs",
        "PutLogEvents",
        "logs:PutLogEvents",
        &[step("kms:GenerateDataKey", ServicePrincipal, Main)],
        Ctx::LogGroup,
        "logs",
        "logs.{region}.amazonaws.com",
        LOGS,
    ),
    // A producer's SendMessage makes SQS call GenerateDataKey and then Decrypt, "to verify the
    // integrity of the new data key before using it" (sqs-key-management, "Configure KMS
    // permissions for producers"): the producer needs both, like an SNS publisher.
    row(
        "sqs",
        "SendMessage",
        "sqs:SendMessage",
        &[GDK, DEC],
        Ctx::Sqs,
        "sqs",
        "sqs.amazonaws.com",
        SQS,
    ),
    row(
        "sqs",
        "ReceiveMessage",
        "sqs:ReceiveMessage",
        &[DEC],
        Ctx::Sqs,
        "sqs",
        "sqs.amazonaws.com",
        SQS,
    ),
    row("sns", "Publish", "sns:Publish", &[GDK, DEC], Ctx::Sns, "sns", "sns.amazonaws.com", SNS),
];
