//! Service calls: how an AWS service calls KMS when someone uses it. A [`ServiceCall`] (an S3
//! upload, a Lambda cold start, an EBS volume attach, ...) expands into the service's own
//! request and the KMS requests the service makes, each a [`Call`] with the caller, the
//! encryption context and the `kms:ViaService` AWS documents for that operation. The facts per
//! operation are data: [`SERVICE_OPS`] in `service_table.rs`, one row per operation with the AWS
//! page it follows.
//!
//! Keys are resolved by the front end (local names, aliases, exports); AWS managed keys
//! (`alias/aws/<service>`) and their documented key policy are here ([`aws_managed_service`],
//! [`aws_managed_key_policy_text`]), and so is the Region rule: a KMS key lives in one Region,
//! and a request for a key ARN of another Region fails before authorization
//! ([`region_mismatch`]).

pub use super::service_table::SERVICE_OPS;
use super::{arn_account, arn_region, Call, KeyFacts};
use crate::eval::CtxValue;

/// Who calls KMS for one step of a service operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The caller, through the service (`kms:ViaService` = `<endpoint>.<region>.amazonaws.com`,
    /// `kms:CallerAccount` the caller's account).
    Caller,
    /// The service's own principal (e.g. `cloudtrail.amazonaws.com`), with `aws:SourceArn` and
    /// `aws:SourceAccount` of the resource it acts for; no `kms:ViaService`.
    ServicePrincipal,
    /// The caller, through the service, creating a grant for the service
    /// (`kms:CreateGrant` with `kms:GrantIsForAWSResource` = `true`); the service then uses the
    /// key through that grant.
    GrantForService,
    /// Lambda: the function's execution role, through Lambda (`params.execution_role`; the
    /// case's principal when not given).
    ExecutionRole,
}

impl Who {
    /// Plain words for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Who::Caller => "the caller, through the service",
            Who::ServicePrincipal => "the service principal",
            Who::GrantForService => "the caller, creating a grant for the service",
            Who::ExecutionRole => "the function's execution role, through Lambda",
        }
    }
}

/// Which key of the call a KMS step uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhichKey {
    /// The call's `key`.
    Main,
    /// The source object's or snapshot's key (`params.source_key`; default the main key).
    Source,
    /// The key in the destination (`params.destination_key`).
    Destination,
}

/// The encryption context a service sets on its KMS requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// None (grant and metadata calls).
    None,
    /// S3: `aws:s3:arn` = the object ARN, or the bucket ARN with an S3 Bucket Key.
    S3,
    /// Lambda: `LambdaFunctionName` = the function name.
    Lambda,
    /// EBS: `aws:ebs:id` = the volume or snapshot id (the last ARN segment).
    Ebs,
    /// Secrets Manager: `SecretARN` and `SecretVersionId`.
    Secret,
    /// Parameter Store: `PARAMETER_ARN`.
    Parameter,
    /// CloudTrail: `aws:cloudtrail:arn` = the trail ARN.
    Trail,
    /// CloudWatch Logs: `aws:logs:arn` = the log group ARN.
    LogGroup,
    /// DynamoDB: `aws:dynamodb:tableName` and `aws:dynamodb:subscriberId` (the account).
    Dynamo,
    /// SQS: `aws:sqs:arn` = the queue ARN.
    Sqs,
    /// SNS: `aws:sns:topicArn` = the topic ARN.
    Sns,
    /// RDS: `aws:rds:db-id` is not set on grant calls; nothing.
    Rds,
}

/// One KMS request a service makes for an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KmsStep {
    /// The KMS action, e.g. `kms:GenerateDataKey`.
    pub action: &'static str,
    /// Who calls.
    pub who: Who,
    /// Which key.
    pub key: WhichKey,
}

/// How one operation of one service uses KMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceOp {
    /// Service name as the scenario format spells it (`s3`, `ec2`, `logs`, ...).
    pub service: &'static str,
    /// The service's API operation.
    pub operation: &'static str,
    /// The IAM action the caller needs for the operation itself (`""`: none of the caller's).
    pub action: &'static str,
    /// The KMS requests, in the order the service makes them.
    pub kms: &'static [KmsStep],
    /// The encryption context of those requests.
    pub context: Ctx,
    /// The service's endpoint prefix in `kms:ViaService` (`ec2` for EBS).
    pub endpoint: &'static str,
    /// The service principal (`Who::ServicePrincipal`, and the grantee of its grants).
    pub principal: &'static str,
    /// The AWS documentation page the row follows.
    pub source: &'static str,
}

/// The catalogue row of `service` and `operation` (exact names).
pub fn service_op(service: &str, operation: &str) -> Option<&'static ServiceOp> {
    SERVICE_OPS.iter().find(|o| o.service == service && o.operation == operation)
}

/// The operations of a service, for messages.
pub fn service_operations(service: &str) -> Vec<&'static str> {
    SERVICE_OPS.iter().filter(|o| o.service == service).map(|o| o.operation).collect()
}

/// Every service in the catalogue, once each, in table order.
pub fn services() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for o in SERVICE_OPS {
        if !v.contains(&o.service) {
            v.push(o.service);
        }
    }
    v
}

/// A key the service call uses, as the front end resolved it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedKey {
    /// Key ARN.
    pub arn: String,
    /// What the key says about itself.
    pub facts: KeyFacts,
}

/// A service operation, as the user describes it.
#[derive(Debug, Clone, Default)]
pub struct ServiceCall {
    /// The Region of the service call.
    pub region: String,
    /// What the call touches (object, function, volume, secret, ... ARN).
    pub resource: String,
    /// Service-specific options (`bucket_key`, `source_resource`, `destination_region`,
    /// `execution_role`, `version_id`, `tier`, ...).
    pub params: Vec<(String, String)>,
    /// The keys (main, source, destination), resolved.
    pub main_key: Option<ResolvedKey>,
    /// `params.source_key`, resolved (S3 CopyObject).
    pub source_key: Option<ResolvedKey>,
    /// `params.destination_key`, resolved (CopySnapshot, CopyDBSnapshot).
    pub destination_key: Option<ResolvedKey>,
}

impl ServiceCall {
    /// A parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn flag(&self, name: &str) -> bool {
        self.param(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The Region a step runs in: the destination Region for destination-key steps.
    pub fn step_region(&self, which: WhichKey) -> &str {
        match which {
            WhichKey::Destination => self.param("destination_region").unwrap_or(&self.region),
            _ => &self.region,
        }
    }

    /// The resolved key of a step. Without `params.destination_key` a copy keeps the source's
    /// key (in the destination Region: KMS keys are regional, so a cross-Region copy without a
    /// destination key fails as AWS fails it); the source key of an S3 copy is only there when
    /// `params.source_key` names one (an SSE-S3 source needs none).
    pub fn key_of(&self, which: WhichKey) -> Option<&ResolvedKey> {
        match which {
            WhichKey::Main => self.main_key.as_ref(),
            WhichKey::Source => self.source_key.as_ref(),
            WhichKey::Destination => self.destination_key.as_ref().or(self.main_key.as_ref()),
        }
    }
}

/// Who makes one derived request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The case's principal.
    Caller,
    /// A service principal, e.g. `cloudtrail.amazonaws.com`.
    Service(String),
    /// Another IAM principal (Lambda's execution role).
    Role(String),
}

/// One request a service operation leads to.
#[derive(Debug, Clone)]
pub struct Step {
    /// Who makes it.
    pub actor: Actor,
    /// The call.
    pub call: Call,
    /// `None` for the service's own action; the key for a KMS request.
    pub key: Option<WhichKey>,
    /// Plain words: who calls what.
    pub label: String,
}

/// A key in another Region than the request: KMS answers `NotFoundException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionMismatch {
    /// The key ARN.
    pub key_arn: String,
    /// The key's Region.
    pub key_region: String,
    /// The request's Region.
    pub request_region: String,
}

impl RegionMismatch {
    /// AWS's error code.
    pub const CODE: &'static str = "NotFoundException";

    /// AWS's error code ([`RegionMismatch::CODE`]).
    pub fn code(&self) -> &'static str {
        Self::CODE
    }

    /// AWS's message.
    pub fn message(&self) -> String {
        format!("Invalid arn {}", self.request_region)
    }

    /// The why in plain words, with the remedy.
    pub fn why(&self) -> String {
        format!(
            "KMS keys are regional: key {} is in {}, the request is in {}, so KMS does not find \
             it (NotFoundException \"{}\") before any policy is read; use a key in {} — a \
             multi-Region key with a replica there keeps the same key id and key material",
            self.key_arn,
            self.key_region,
            self.request_region,
            self.message(),
            self.request_region
        )
    }
}

/// A KMS request for `key_arn` made in `region` fails when the key lives elsewhere.
pub fn region_mismatch(key_arn: &str, region: &str) -> Option<RegionMismatch> {
    let key_region = arn_region(key_arn)?;
    (arn_is_kms(key_arn) && key_region != region).then(|| RegionMismatch {
        key_arn: key_arn.to_string(),
        key_region: key_region.to_string(),
        request_region: region.to_string(),
    })
}

fn arn_is_kms(arn: &str) -> bool {
    arn.split(':').nth(2) == Some("kms")
}

/// The last segment of an ARN's resource (`vol-1`, `my-function`, `table/T` → `T`).
fn resource_name(arn: &str) -> &str {
    let res = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    res.rsplit(['/', ':']).next().unwrap_or(res)
}

/// The bucket ARN of an S3 object ARN.
fn bucket_arn(object: &str) -> String {
    match object.strip_prefix("arn:aws:s3:::") {
        Some(rest) => format!("arn:aws:s3:::{}", rest.split('/').next().unwrap_or(rest)),
        None => object.to_string(),
    }
}

/// The encryption context of a KMS step.
fn context_of(op: &ServiceOp, sc: &ServiceCall, which: WhichKey) -> Vec<(String, String)> {
    let res = match which {
        WhichKey::Source => sc.param("source_resource").unwrap_or(&sc.resource),
        _ => &sc.resource,
    };
    let one = |k: &str, v: String| vec![(k.to_string(), v)];
    match op.context {
        Ctx::None | Ctx::Rds => Vec::new(),
        Ctx::S3 if sc.flag("bucket_key") => one("aws:s3:arn", bucket_arn(res)),
        Ctx::S3 => one("aws:s3:arn", res.to_string()),
        Ctx::Lambda => one("LambdaFunctionName", resource_name(res).to_string()),
        Ctx::Ebs => one("aws:ebs:id", resource_name(res).to_string()),
        Ctx::Secret => vec![
            ("SecretARN".into(), res.to_string()),
            (
                "SecretVersionId".into(),
                sc.param("version_id").unwrap_or(DEFAULT_VERSION_ID).to_string(),
            ),
        ],
        Ctx::Parameter => one("PARAMETER_ARN", res.to_string()),
        Ctx::Trail => one("aws:cloudtrail:arn", res.to_string()),
        Ctx::LogGroup => one("aws:logs:arn", res.to_string()),
        Ctx::Dynamo => vec![
            ("aws:dynamodb:tableName".into(), resource_name(res).to_string()),
            ("aws:dynamodb:subscriberId".into(), arn_account(res).unwrap_or_default().to_string()),
        ],
        Ctx::Sqs => one("aws:sqs:arn", res.to_string()),
        Ctx::Sns => one("aws:sns:topicArn", res.to_string()),
    }
}

/// The `SecretVersionId` of a Secrets Manager call that does not name one (`params.version_id`).
pub const DEFAULT_VERSION_ID: &str = "00000000-0000-4000-8000-000000000000";

/// The KMS actions a service operation needs, in order (for `expect_kms`).
pub fn kms_actions(op: &ServiceOp, sc: &ServiceCall) -> Vec<String> {
    kms_steps(op, sc).iter().map(|s| s.action.to_string()).collect()
}

/// The KMS steps of `op` for this call: steps on a key the call does not use drop out (an S3
/// upload with SSE-S3; a copy without a destination key), and Parameter Store's advanced tier
/// asks for a data key instead of Encrypt.
fn kms_steps(op: &ServiceOp, sc: &ServiceCall) -> Vec<KmsStep> {
    op.kms
        .iter()
        .filter(|s| sc.key_of(s.key).is_some())
        .map(|s| {
            let advanced = sc.param("tier").is_some_and(|t| t.eq_ignore_ascii_case("Advanced"));
            if op.context == Ctx::Parameter && s.action == "kms:Encrypt" && advanced {
                KmsStep { action: "kms:GenerateDataKey", ..*s }
            } else {
                *s
            }
        })
        .collect()
}

/// Expands a service call into the requests AWS decides, in order: the service's own action
/// (when the caller needs one), then each KMS request.
pub fn expand(op: &ServiceOp, sc: &ServiceCall) -> Vec<Step> {
    let mut steps = Vec::new();
    if !op.action.is_empty() {
        let mut call = Call::new(op.action, sc.resource.clone());
        call.region = Some(sc.region.clone());
        if op.service == "s3" && writes_object(op.operation) {
            match &sc.main_key {
                Some(k) => {
                    call.extra.push(("s3:x-amz-server-side-encryption".into(), one("aws:kms")));
                    call.extra.push((
                        "s3:x-amz-server-side-encryption-aws-kms-key-id".into(),
                        one(&k.arn),
                    ));
                }
                None => call.extra.push(("s3:x-amz-server-side-encryption".into(), one("AES256"))),
            }
        }
        steps.push(Step {
            actor: Actor::Caller,
            label: format!("{} on {}", op.action, sc.resource),
            call,
            key: None,
        });
        if op.service == "s3" && op.operation == "CopyObject" {
            if let Some(src) = sc.param("source_resource") {
                let mut c = Call::new("s3:GetObject", src);
                c.region = Some(sc.region.clone());
                steps.push(Step {
                    actor: Actor::Caller,
                    label: format!("s3:GetObject on {src}"),
                    call: c,
                    key: None,
                });
            }
        }
    }
    for s in kms_steps(op, sc) {
        let Some(key) = sc.key_of(s.key) else { continue };
        let region = sc.step_region(s.key).to_string();
        let mut call = Call::new(s.action, key.arn.clone());
        call.region = Some(region.clone());
        call.key = key.facts.clone();
        call.encryption_context = context_of(op, sc, s.key);
        let actor = match s.who {
            Who::Caller | Who::GrantForService => Actor::Caller,
            Who::ServicePrincipal => Actor::Service(service_principal(op, &region)),
            Who::ExecutionRole => match sc.param("execution_role") {
                Some(r) => Actor::Role(r.to_string()),
                None => Actor::Caller,
            },
        };
        match s.who {
            Who::ServicePrincipal => {
                call.via_aws_service = true;
                call.extra.push(("aws:SourceArn".into(), one(&sc.resource)));
                if let Some(a) = arn_account(&sc.resource) {
                    call.extra.push(("aws:SourceAccount".into(), one(a)));
                }
            }
            _ => {
                call.via_service = Some(format!("{}.{region}.amazonaws.com", op.endpoint));
                call.via_aws_service = true;
            }
        }
        if s.who == Who::GrantForService {
            call.encryption_context.clear();
            call.create_grant = Some(crate::model::Grant {
                grant_id: None,
                key_id: Some(key.arn.clone()),
                grantee: service_principal(op, &region),
                retiring_principal: None,
                operations: vec!["Decrypt".into(), "Encrypt".into(), "ReEncryptFrom".into()],
                constraint: None,
                source_arn: None,
                name: None,
                issuing_account: None,
                creation_date: None,
                span: crate::span::Span::SYNTHETIC,
            });
        }
        let who = match &actor {
            Actor::Caller => s.who.describe().to_string(),
            Actor::Service(p) | Actor::Role(p) => format!("{p}, {}", s.who.describe()),
        };
        steps.push(Step {
            label: format!("{} on {} by {who}", s.action, key.arn),
            actor,
            call,
            key: Some(s.key),
        });
    }
    steps
}

fn one(v: &str) -> CtxValue {
    CtxValue::One(v.to_string())
}

fn writes_object(operation: &str) -> bool {
    matches!(operation, "PutObject" | "CopyObject" | "CreateMultipartUpload")
}

/// The service principal of `op` in `region` (CloudWatch Logs' is Regional).
fn service_principal(op: &ServiceOp, region: &str) -> String {
    op.principal.replace("{region}", region)
}

/// The AWS managed key alias names and the service endpoint each is used through.
const MANAGED: &[(&str, &str)] = &[
    ("acm", "acm"),
    ("backup", "backup"),
    ("dynamodb", "dynamodb"),
    ("ebs", "ec2"),
    ("efs", "elasticfilesystem"),
    ("lambda", "lambda"),
    ("rds", "rds"),
    ("redshift", "redshift"),
    ("s3", "s3"),
    ("secretsmanager", "secretsmanager"),
    ("sns", "sns"),
    ("sqs", "sqs"),
    ("ssm", "ssm"),
];

/// Every AWS managed key alias name keyward knows (`alias/aws/acm`, ...), sorted.
pub fn aws_managed_aliases() -> Vec<String> {
    MANAGED.iter().map(|(a, _)| format!("alias/aws/{a}")).collect()
}

/// The endpoint an AWS managed key alias (`alias/aws/ebs`, or its alias ARN) is used through
/// (`ec2`), or `None` for other names.
pub fn aws_managed_service(alias: &str) -> Option<&'static str> {
    let name = alias.rsplit_once(":alias/").map_or(alias, |(_, n)| n);
    let name = name.strip_prefix("alias/").unwrap_or(name);
    let svc = name.strip_prefix("aws/")?;
    MANAGED.iter().find(|(a, _)| *a == svc).map(|(_, e)| *e)
}

/// The key ARN keyward gives the AWS managed key of `alias` (`alias/aws/s3`) in `account` and
/// `region`: the key id is `aws-managed-<service>` (AWS gives it a random id).
pub fn aws_managed_key_arn(alias: &str, account: &str, region: &str) -> String {
    let name = alias.rsplit_once(":alias/").map_or(alias, |(_, n)| n);
    let svc = name.trim_start_matches("alias/").trim_start_matches("aws/");
    format!("arn:aws:kms:{region}:{account}:key/aws-managed-{svc}")
}

/// The key policy AWS documents for AWS managed keys: every principal of `account` may use the
/// key through `endpoint` in `region` only (`kms:CallerAccount` and `kms:ViaService`), and the
/// account may read its metadata. Nobody may change it, and no other account may use it.
pub fn aws_managed_key_policy_text(account: &str, region: &str, endpoint: &str) -> String {
    format!(
        r#"{{
  "Version": "2012-10-17",
  "Id": "auto-{endpoint}-1",
  "Statement": [
    {{
      "Sid": "Allow access through {endpoint} for all principals in the account that are authorized to use {endpoint}",
      "Effect": "Allow",
      "Principal": {{"AWS": "*"}},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {{
        "StringEquals": {{
          "kms:CallerAccount": "{account}",
          "kms:ViaService": "{endpoint}.{region}.amazonaws.com"
        }}
      }}
    }},
    {{
      "Sid": "Allow direct access to key metadata to the account",
      "Effect": "Allow",
      "Principal": {{"AWS": "arn:aws:iam::{account}:root"}},
      "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
      "Resource": "*"
    }}
  ]
}}"#
    )
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
