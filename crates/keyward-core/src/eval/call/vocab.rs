//! The KMS vocabulary: one row per KMS action (IAM permission) with the facts the engine and
//! its callers need: usable across accounts, acts on a key, takes an encryption context, gets
//! `kms:EncryptionAlgorithm` by default, may be allowed by a grant, uses the key's material,
//! and gets `kms:GrantIsForAWSResource`.
//!
//! The table is hand-checked against the KMS action catalogue
//! (`tests/data/kms-catalog.json`, see `tests/kms_vocabulary.rs`), which records where each
//! fact comes from (the Service Authorization Reference and the KMS API model). Where keyward
//! departs from the catalogue on purpose, the test names the departure and why.

/// The facts of one KMS action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KmsAction {
    /// The action's name without the service prefix, e.g. `Decrypt`.
    pub name: &'static str,
    /// The IAM action, e.g. `kms:Decrypt`.
    pub iam: &'static str,
    /// A principal of another account may call it on the key ("Cross-account use: Yes").
    pub cross_account: bool,
    /// The action's resource is a KMS key (otherwise `*`).
    pub on_key: bool,
    /// The request carries an encryption context (`kms:EncryptionContext:*` and grant
    /// constraints apply). CreateGrant counts: its constraint is its encryption context.
    pub encryption_context: bool,
    /// On a symmetric key, `kms:EncryptionAlgorithm` is `SYMMETRIC_DEFAULT` without being
    /// given (KMS fills in the parameter's default).
    pub default_algorithm: bool,
    /// A grant can allow it (a `GrantOperation`).
    pub grant_operation: bool,
    /// It uses the key's material (a cryptographic operation).
    pub key_use: bool,
    /// AWS sets `kms:GrantIsForAWSResource` on it.
    pub grant_for_aws_resource: bool,
}

const Y: bool = true;
const N: bool = false;

macro_rules! row {
    ($name:literal, $x:expr, $k:expr, $ec:expr, $alg:expr, $g:expr, $u:expr, $aws:expr) => {
        KmsAction {
            name: $name,
            iam: concat!("kms:", $name),
            cross_account: $x,
            on_key: $k,
            encryption_context: $ec,
            default_algorithm: $alg,
            grant_operation: $g,
            key_use: $u,
            grant_for_aws_resource: $aws,
        }
    };
}

/// Every KMS action, sorted by name ignoring case (lookups are binary searches).
#[rustfmt::skip]
pub const KMS_ACTIONS: &[KmsAction] = &[
    //   name                                    x-acct key  ec  alg grant use aws-res
    row!("CancelKeyDeletion",                     N, Y, N, N, N, N, N),
    row!("ConnectCustomKeyStore",                 N, N, N, N, N, N, N),
    row!("CreateAlias",                           N, Y, N, N, N, N, N),
    row!("CreateCustomKeyStore",                  N, N, N, N, N, N, N),
    row!("CreateGrant",                           Y, Y, Y, N, Y, N, Y),
    row!("CreateKey",                             N, N, N, N, N, N, N),
    row!("Decapsulate",                           Y, Y, N, N, Y, Y, N),
    row!("Decrypt",                               Y, Y, Y, Y, Y, Y, N),
    row!("DeleteAlias",                           N, Y, N, N, N, N, N),
    row!("DeleteCustomKeyStore",                  N, N, N, N, N, N, N),
    row!("DeleteImportedKeyMaterial",             N, Y, N, N, N, N, N),
    row!("DeriveSharedSecret",                    Y, Y, N, N, Y, Y, N),
    row!("DescribeCustomKeyStores",               N, N, N, N, N, N, N),
    row!("DescribeKey",                           Y, Y, N, N, Y, N, N),
    row!("DisableKey",                            N, Y, N, N, N, N, N),
    row!("DisableKeyRotation",                    N, Y, N, N, N, N, N),
    row!("DisconnectCustomKeyStore",              N, N, N, N, N, N, N),
    row!("EnableKey",                             N, Y, N, N, N, N, N),
    row!("EnableKeyRotation",                     N, Y, N, N, N, N, N),
    row!("Encapsulate",                           Y, Y, N, N, Y, Y, N),
    row!("Encrypt",                               Y, Y, Y, Y, Y, Y, N),
    row!("GenerateDataKey",                       Y, Y, Y, Y, Y, Y, N),
    row!("GenerateDataKeyPair",                   Y, Y, Y, N, Y, Y, N),
    row!("GenerateDataKeyPairWithoutPlaintext",   Y, Y, Y, N, Y, Y, N),
    row!("GenerateDataKeyWithoutPlaintext",       Y, Y, Y, Y, Y, Y, N),
    row!("GenerateMac",                           Y, Y, N, N, Y, Y, N),
    row!("GenerateRandom",                        N, N, N, N, N, N, N),
    row!("GetKeyLastUsage",                       N, Y, N, N, N, N, N),
    row!("GetKeyPolicy",                          N, Y, N, N, N, N, N),
    row!("GetKeyRotationStatus",                  Y, Y, N, N, N, N, N),
    row!("GetParametersForImport",                N, Y, N, N, N, N, N),
    row!("GetPublicKey",                          Y, Y, N, N, Y, N, N),
    row!("ImportKeyMaterial",                     N, Y, N, N, N, N, N),
    row!("ListAliases",                           N, N, N, N, N, N, N),
    row!("ListGrants",                            Y, Y, N, N, N, N, Y),
    row!("ListKeyPolicies",                       N, Y, N, N, N, N, N),
    row!("ListKeyRotations",                      N, Y, N, N, N, N, N),
    row!("ListKeys",                              N, N, N, N, N, N, N),
    row!("ListResourceTags",                      N, Y, N, N, N, N, N),
    row!("ListRetirableGrants",                   N, N, N, N, N, N, N),
    row!("PutKeyPolicy",                          N, Y, N, N, N, N, N),
    row!("ReEncryptFrom",                         Y, Y, Y, Y, Y, Y, N),
    row!("ReEncryptTo",                           Y, Y, Y, Y, Y, Y, N),
    row!("ReplicateKey",                          N, Y, N, N, N, N, N),
    row!("RetireGrant",                           Y, Y, N, N, Y, N, N),
    row!("RevokeGrant",                           Y, Y, N, N, N, N, Y),
    row!("RotateKeyOnDemand",                     N, Y, N, N, N, N, N),
    row!("ScheduleKeyDeletion",                   N, Y, N, N, N, N, N),
    row!("Sign",                                  Y, Y, N, N, Y, Y, N),
    row!("SynchronizeMultiRegionKey",             N, Y, N, N, N, N, N),
    row!("TagResource",                           N, Y, N, N, N, N, N),
    row!("UntagResource",                         N, Y, N, N, N, N, N),
    row!("UpdateAlias",                           N, Y, N, N, N, N, N),
    row!("UpdateCustomKeyStore",                  N, N, N, N, N, N, N),
    row!("UpdateKeyDescription",                  N, Y, N, N, N, N, N),
    row!("UpdatePrimaryRegion",                   N, Y, N, N, N, N, N),
    row!("Verify",                                Y, Y, N, N, Y, Y, N),
    row!("VerifyMac",                             Y, Y, N, N, Y, Y, N),
];

/// The operations a grant can allow (botocore `GrantOperation`), in the API model's order:
/// the rows of [`KMS_ACTIONS`] with `grant_operation` (a unit test keeps them equal).
pub const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
    "Encapsulate",
    "Decapsulate",
];

/// Key-administration actions (lower case), in the order a finding names the first one: the
/// actions that change or remove a key rather than use it. The lint's separation-of-duties checks
/// and the fix ranking (a fix never quietly widens a statement granting them) read this list.
pub const KEY_ADMIN_ACTIONS: &[&str] = &[
    "kms:putkeypolicy",
    "kms:schedulekeydeletion",
    "kms:cancelkeydeletion",
    "kms:disablekey",
    "kms:enablekey",
    "kms:disablekeyrotation",
    "kms:enablekeyrotation",
    "kms:rotatekeyondemand",
    "kms:createalias",
    "kms:deletealias",
    "kms:updatealias",
    "kms:updatekeydescription",
    "kms:tagresource",
    "kms:untagresource",
    "kms:importkeymaterial",
    "kms:deleteimportedkeymaterial",
    "kms:replicatekey",
    "kms:updateprimaryregion",
];

/// The services that set `kms:ViaService` when they call KMS on a principal's behalf, by the
/// endpoint name the key's value starts with (`NAME.REGION.amazonaws.com`), sorted: the
/// services of the ViaService table of the KMS Developer Guide ("AWS KMS condition keys").
/// Aurora, DocumentDB and Neptune call as `rds`; EBS as `ec2`; Keyspaces as `cassandra`;
/// OpenSearch as `es`. Sign-in (`signin`), KMS itself and `internal` are not in it: they do
/// not call KMS for a principal.
pub const VIA_SERVICES: &[&str] = &[
    "airflow",
    "appflow",
    "apprunner",
    "athena",
    "auditmanager",
    "backup",
    "backup-gateway",
    "cassandra",
    "codeartifact",
    "codeguru-profiler",
    "codeguru-reviewer",
    "comprehend",
    "connect",
    "databrew",
    "datasync",
    "dax",
    "directoryservice",
    "dms",
    "dynamodb",
    "ec2",
    "ecr",
    "eks",
    "elasticache",
    "elasticfilesystem",
    "es",
    "finspace",
    "firehose",
    "forecast",
    "frauddetector",
    "fsx",
    "geo",
    "glue",
    "healthlake",
    "imagebuilder",
    "importexport",
    "iotsitewise",
    "kafka",
    "kendra",
    "kinesis",
    "kinesisvideo",
    "lambda",
    "lex",
    "license-manager",
    "lightsail",
    "lookoutequipment",
    "lookoutmetrics",
    "lookoutvision",
    "m2",
    "macie",
    "managedblockchain",
    "mediatailor",
    "memorydb",
    "mgn",
    "monitron",
    "mq",
    "nimble",
    "omics",
    "profile",
    "proton",
    "qldb",
    "rds",
    "redshift",
    "redshift-serverless",
    "rekognition",
    "s3",
    "sagemaker",
    "secretsmanager",
    "ses",
    "sns",
    "sqlworkbench",
    "sqs",
    "ssm",
    "ssm-contacts",
    "ssm-incidents",
    "storagegateway",
    "timestream",
    "transcribe",
    "transfer",
    "translate",
    "wisdom",
    "workmail",
    "workspaces",
    "xray",
];

/// The `kms:ViaService` value of a call a service made on a principal's behalf: `invoked_by`
/// is CloudTrail's `invokedBy` (`s3.amazonaws.com`, or Region-qualified
/// `m2.us-west-2.amazonaws.com`), `region` the Region of the request. `None` when the caller is
/// not a service of [`VIA_SERVICES`].
pub fn via_service(invoked_by: &str, region: &str) -> Option<String> {
    let host = invoked_by.to_ascii_lowercase();
    let name = host.strip_suffix(".amazonaws.com")?;
    let (service, region) = match name.split_once('.') {
        None => (name, region),
        Some((s, r)) if !r.is_empty() && !r.contains('.') => (s, r),
        Some(_) => return None,
    };
    VIA_SERVICES.binary_search(&service).ok().map(|_| format!("{service}.{region}.amazonaws.com"))
}

/// Compares ASCII text ignoring case, without allocating.
fn cmp_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// The facts of a KMS action (`kms:Decrypt`, the prefix and name in any case); `None` for
/// other services and unknown actions.
pub fn kms_action(action: &str) -> Option<&'static KmsAction> {
    let name = action.get(..4).filter(|p| p.eq_ignore_ascii_case("kms:")).and(action.get(4..))?;
    let i = KMS_ACTIONS.binary_search_by(|a| cmp_ignore_case(a.name, name)).ok()?;
    KMS_ACTIONS.get(i)
}

/// True when `action` (e.g. `kms:Decrypt`, any case) carries an encryption context; grant
/// constraints apply only to these.
pub fn action_takes_encryption_context(action: &str) -> bool {
    kms_action(action).is_some_and(|a| a.encryption_context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_lookups_find_every_row() {
        for w in KMS_ACTIONS.windows(2) {
            assert_eq!(cmp_ignore_case(w[0].name, w[1].name), std::cmp::Ordering::Less);
        }
        for a in KMS_ACTIONS {
            assert_eq!(kms_action(a.iam), Some(a));
            assert_eq!(kms_action(&a.iam.to_ascii_uppercase()), Some(a));
            assert_eq!(kms_action(a.name), None, "the service prefix is required");
        }
        assert_eq!(kms_action("kms:Decrypts"), None);
        assert_eq!(kms_action("s3:Decrypt"), None);
        assert_eq!(kms_action("kms:"), None);
        assert_eq!(kms_action(""), None);
    }

    #[test]
    fn via_service_takes_listed_services_only() {
        for w in VIA_SERVICES.windows(2) {
            assert!(w[0] < w[1], "{} before {}", w[0], w[1]);
        }
        let v = |i: &str| via_service(i, "us-east-1");
        // Rows of the Developer Guide's ViaService table (its endpoint names).
        for svc in ["apprunner", "sqlworkbench", "backup-gateway", "ssm-incidents", "mgn"] {
            assert_eq!(
                v(&format!("{svc}.amazonaws.com")),
                Some(format!("{svc}.us-east-1.amazonaws.com")),
                "{svc}"
            );
        }
        assert_eq!(v("s3.amazonaws.com").as_deref(), Some("s3.us-east-1.amazonaws.com"));
        assert_eq!(v("m2.us-west-2.amazonaws.com").as_deref(), Some("m2.us-west-2.amazonaws.com"));
        assert_eq!(v("signin.amazonaws.com"), None);
        assert_eq!(v("kms.amazonaws.com"), None);
        assert_eq!(v("internal"), None);
        assert_eq!(v("AWS Internal"), None);
        assert_eq!(v("a.b.c.amazonaws.com"), None);
    }

    #[test]
    fn grant_operations_are_the_rows_that_say_so() {
        let mut from_rows: Vec<&str> =
            KMS_ACTIONS.iter().filter(|a| a.grant_operation).map(|a| a.name).collect();
        let mut listed = GRANT_OPERATIONS.to_vec();
        from_rows.sort_unstable();
        listed.sort_unstable();
        assert_eq!(from_rows, listed);
    }

    #[test]
    fn the_encryption_context_actions_are_the_nine_known_ones() {
        assert!(action_takes_encryption_context("kms:GenerateDataKeyPairWithoutPlaintext"));
        assert!(action_takes_encryption_context("KMS:creategrant"));
        assert!(!action_takes_encryption_context("kms:RetireGrant"));
        assert!(!action_takes_encryption_context("kms:Sign"));
        assert_eq!(KMS_ACTIONS.iter().filter(|a| a.encryption_context).count(), 9);
    }
}
