//! The KMS operations keyward serves, declared once: the `Operation` enum and one table of
//! facts per operation (request fields, which key identifiers each key field accepts, slow or
//! not, read-only or not). The wire adapter, the server, the CLI and the WASM module read it.

use crate::types::aws_enum;

aws_enum!(
    /// Every KMS operation keyward serves, by its AWS name.
    Operation {
        /// CancelKeyDeletion.
        CancelKeyDeletion = "CancelKeyDeletion",
        /// CreateAlias.
        CreateAlias = "CreateAlias",
        /// CreateGrant.
        CreateGrant = "CreateGrant",
        /// CreateKey.
        CreateKey = "CreateKey",
        /// Decapsulate.
        Decapsulate = "Decapsulate",
        /// Decrypt.
        Decrypt = "Decrypt",
        /// DeleteAlias.
        DeleteAlias = "DeleteAlias",
        /// DeleteImportedKeyMaterial.
        DeleteImportedKeyMaterial = "DeleteImportedKeyMaterial",
        /// DeriveSharedSecret.
        DeriveSharedSecret = "DeriveSharedSecret",
        /// DescribeKey.
        DescribeKey = "DescribeKey",
        /// DisableKey.
        DisableKey = "DisableKey",
        /// DisableKeyRotation.
        DisableKeyRotation = "DisableKeyRotation",
        /// EnableKey.
        EnableKey = "EnableKey",
        /// EnableKeyRotation.
        EnableKeyRotation = "EnableKeyRotation",
        /// Encapsulate.
        Encapsulate = "Encapsulate",
        /// Encrypt.
        Encrypt = "Encrypt",
        /// GenerateDataKey.
        GenerateDataKey = "GenerateDataKey",
        /// GenerateDataKeyPair.
        GenerateDataKeyPair = "GenerateDataKeyPair",
        /// GenerateDataKeyPairWithoutPlaintext.
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        /// GenerateDataKeyWithoutPlaintext.
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        /// GenerateMac.
        GenerateMac = "GenerateMac",
        /// GenerateRandom.
        GenerateRandom = "GenerateRandom",
        /// GetKeyLastUsage.
        GetKeyLastUsage = "GetKeyLastUsage",
        /// GetKeyPolicy.
        GetKeyPolicy = "GetKeyPolicy",
        /// GetKeyRotationStatus.
        GetKeyRotationStatus = "GetKeyRotationStatus",
        /// GetParametersForImport.
        GetParametersForImport = "GetParametersForImport",
        /// GetPublicKey.
        GetPublicKey = "GetPublicKey",
        /// ImportKeyMaterial.
        ImportKeyMaterial = "ImportKeyMaterial",
        /// ListAliases.
        ListAliases = "ListAliases",
        /// ListGrants.
        ListGrants = "ListGrants",
        /// ListKeyPolicies.
        ListKeyPolicies = "ListKeyPolicies",
        /// ListKeyRotations.
        ListKeyRotations = "ListKeyRotations",
        /// ListKeys.
        ListKeys = "ListKeys",
        /// ListResourceTags.
        ListResourceTags = "ListResourceTags",
        /// ListRetirableGrants.
        ListRetirableGrants = "ListRetirableGrants",
        /// PutKeyPolicy.
        PutKeyPolicy = "PutKeyPolicy",
        /// ReEncrypt.
        ReEncrypt = "ReEncrypt",
        /// ReplicateKey.
        ReplicateKey = "ReplicateKey",
        /// RetireGrant.
        RetireGrant = "RetireGrant",
        /// RevokeGrant.
        RevokeGrant = "RevokeGrant",
        /// RotateKeyOnDemand.
        RotateKeyOnDemand = "RotateKeyOnDemand",
        /// ScheduleKeyDeletion.
        ScheduleKeyDeletion = "ScheduleKeyDeletion",
        /// Sign.
        Sign = "Sign",
        /// TagResource.
        TagResource = "TagResource",
        /// UntagResource.
        UntagResource = "UntagResource",
        /// UpdateAlias.
        UpdateAlias = "UpdateAlias",
        /// UpdateKeyDescription.
        UpdateKeyDescription = "UpdateKeyDescription",
        /// UpdatePrimaryRegion.
        UpdatePrimaryRegion = "UpdatePrimaryRegion",
        /// Verify.
        Verify = "Verify",
        /// VerifyMac.
        VerifyMac = "VerifyMac",
    }
);

/// How a request field is carried in AWS JSON 1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A string (also enumerations and identifiers).
    Str,
    /// Bytes, base64 on the wire.
    Blob,
    /// An integer.
    Int,
    /// A boolean.
    Bool,
    /// A timestamp, epoch seconds on the wire.
    Time,
    /// A string-to-string map (encryption contexts).
    Map,
    /// A list of strings.
    List,
    /// A list of `{TagKey, TagValue}`.
    Tags,
    /// A structure (grant constraints, attestation).
    Struct,
}

/// Which identifiers of a KMS key a field accepts, per AWS's API reference for the operation.
/// Recorded here; the resolver does not enforce it yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyForms {
    /// A bare key id (`1234abcd-...`).
    pub key_id: bool,
    /// A key ARN.
    pub key_arn: bool,
    /// An alias name (`alias/x`).
    pub alias_name: bool,
    /// An alias ARN.
    pub alias_arn: bool,
}

impl KeyForms {
    /// Key id, key ARN, alias name or alias ARN (the cryptographic operations, DescribeKey,
    /// GetPublicKey).
    pub const ANY: KeyForms =
        KeyForms { key_id: true, key_arn: true, alias_name: true, alias_arn: true };
    /// Key id or key ARN (key management, grants, aliases' targets).
    pub const KEY: KeyForms =
        KeyForms { key_id: true, key_arn: true, alias_name: false, alias_arn: false };
}

/// One request field of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The AWS name (PascalCase).
    pub name: &'static str,
    /// Its wire type.
    pub ty: FieldType,
    /// Required by AWS.
    pub required: bool,
    /// For a field naming a KMS key: the identifiers it accepts.
    pub key: Option<KeyForms>,
}

/// What keyward records about one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationSpec {
    /// The operation (the row's own name: the table is checked against the enum at compile
    /// time).
    pub op: Operation,
    /// Its request fields, in the order of AWS's request syntax.
    pub fields: &'static [Field],
    /// Slow enough (asymmetric key generation) that a server runs it off its async workers.
    pub slow: bool,
    /// Changes no stored state (the injected clock may still run deletions and rotations).
    pub read_only: bool,
}

const fn f(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty, required: false, key: None }
}

const fn req(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty, required: true, key: None }
}

const fn key(name: &'static str, required: bool, forms: KeyForms) -> Field {
    Field { name, ty: FieldType::Str, required, key: Some(forms) }
}

use FieldType::{Blob, Bool, Int, List, Map, Struct, Tags, Time};
const S: FieldType = FieldType::Str;
const ANY: KeyForms = KeyForms::ANY;
const KEY: KeyForms = KeyForms::KEY;
const GT: Field = f("GrantTokens", List);
const DRY: Field = f("DryRun", Bool);
const LIMIT: Field = f("Limit", Int);
const MARKER: Field = f("Marker", S);

const fn row(
    op: Operation,
    fields: &'static [Field],
    slow: bool,
    read_only: bool,
) -> OperationSpec {
    OperationSpec { op, fields, slow, read_only }
}

use Operation as O;

/// The table: one row per operation, in the enum's order.
static TABLE: [OperationSpec; Operation::ALL.len()] = [
    row(O::CancelKeyDeletion, &[key("KeyId", true, KEY)], false, false),
    row(O::CreateAlias, &[req("AliasName", S), key("TargetKeyId", true, KEY)], false, false),
    row(
        O::CreateGrant,
        &[
            key("KeyId", true, KEY),
            f("GranteePrincipal", S),
            f("RetiringPrincipal", S),
            req("Operations", List),
            f("Constraints", Struct),
            GT,
            f("Name", S),
            DRY,
            f("GranteeServicePrincipal", S),
            f("RetiringServicePrincipal", S),
        ],
        false,
        false,
    ),
    row(
        O::CreateKey,
        &[
            f("Policy", S),
            f("Description", S),
            f("KeyUsage", S),
            f("CustomerMasterKeySpec", S),
            f("KeySpec", S),
            f("Origin", S),
            f("BypassPolicyLockoutSafetyCheck", Bool),
            f("Tags", Tags),
            f("MultiRegion", Bool),
        ],
        true,
        false,
    ),
    row(
        O::Decapsulate,
        &[
            key("KeyId", true, ANY),
            req("SharedSecretCiphertextBlob", Blob),
            req("EncapsulationAlgorithm", S),
            GT,
            DRY,
        ],
        false,
        true,
    ),
    row(
        O::Decrypt,
        &[
            req("CiphertextBlob", Blob),
            f("EncryptionContext", Map),
            GT,
            key("KeyId", false, ANY),
            f("EncryptionAlgorithm", S),
            DRY,
        ],
        false,
        true,
    ),
    row(O::DeleteAlias, &[req("AliasName", S)], false, false),
    row(
        O::DeleteImportedKeyMaterial,
        &[key("KeyId", true, KEY), f("KeyMaterialId", S)],
        false,
        false,
    ),
    row(
        O::DeriveSharedSecret,
        &[
            key("KeyId", true, ANY),
            req("KeyAgreementAlgorithm", S),
            req("PublicKey", Blob),
            GT,
            DRY,
            f("Recipient", Struct),
        ],
        false,
        true,
    ),
    row(O::DescribeKey, &[key("KeyId", true, ANY), GT], false, true),
    row(O::DisableKey, &[key("KeyId", true, KEY)], false, false),
    row(O::DisableKeyRotation, &[key("KeyId", true, KEY)], false, false),
    row(O::EnableKey, &[key("KeyId", true, KEY)], false, false),
    row(
        O::EnableKeyRotation,
        &[key("KeyId", true, KEY), f("RotationPeriodInDays", Int)],
        false,
        false,
    ),
    row(
        O::Encapsulate,
        &[key("KeyId", true, ANY), req("EncapsulationAlgorithm", S), GT, DRY],
        false,
        true,
    ),
    row(
        O::Encrypt,
        &[
            key("KeyId", true, ANY),
            req("Plaintext", Blob),
            f("EncryptionContext", Map),
            GT,
            f("EncryptionAlgorithm", S),
            DRY,
        ],
        false,
        true,
    ),
    row(
        O::GenerateDataKey,
        &[
            key("KeyId", true, ANY),
            f("EncryptionContext", Map),
            f("NumberOfBytes", Int),
            f("KeySpec", S),
            GT,
            f("Recipient", Struct),
            DRY,
        ],
        false,
        true,
    ),
    row(
        O::GenerateDataKeyPair,
        &[
            key("KeyId", true, ANY),
            f("EncryptionContext", Map),
            req("KeyPairSpec", S),
            GT,
            f("Recipient", Struct),
            DRY,
        ],
        true,
        true,
    ),
    row(
        O::GenerateDataKeyPairWithoutPlaintext,
        &[key("KeyId", true, ANY), f("EncryptionContext", Map), req("KeyPairSpec", S), GT, DRY],
        true,
        true,
    ),
    row(
        O::GenerateDataKeyWithoutPlaintext,
        &[
            key("KeyId", true, ANY),
            f("EncryptionContext", Map),
            f("KeySpec", S),
            f("NumberOfBytes", Int),
            GT,
            DRY,
        ],
        false,
        true,
    ),
    row(
        O::GenerateMac,
        &[req("Message", Blob), key("KeyId", true, ANY), req("MacAlgorithm", S), GT, DRY],
        false,
        true,
    ),
    row(O::GenerateRandom, &[f("NumberOfBytes", Int)], false, true),
    // AWS's reference: "Alias names are not supported".
    row(O::GetKeyLastUsage, &[key("KeyId", true, KEY)], false, true),
    row(O::GetKeyPolicy, &[key("KeyId", true, KEY), f("PolicyName", S)], false, true),
    row(O::GetKeyRotationStatus, &[key("KeyId", true, KEY)], false, true),
    row(
        O::GetParametersForImport,
        &[key("KeyId", true, KEY), req("WrappingAlgorithm", S), req("WrappingKeySpec", S)],
        false,
        false,
    ),
    row(O::GetPublicKey, &[key("KeyId", true, ANY), GT], false, true),
    row(
        O::ImportKeyMaterial,
        &[
            key("KeyId", true, KEY),
            req("ImportToken", Blob),
            req("EncryptedKeyMaterial", Blob),
            f("ValidTo", Time),
            f("ExpirationModel", S),
            f("ImportType", S),
            f("KeyMaterialDescription", S),
            f("KeyMaterialId", S),
        ],
        false,
        false,
    ),
    row(O::ListAliases, &[key("KeyId", false, KEY), LIMIT, MARKER], false, true),
    row(
        O::ListGrants,
        &[
            LIMIT,
            MARKER,
            key("KeyId", true, KEY),
            f("GrantId", S),
            f("GranteePrincipal", S),
            f("GranteeServicePrincipal", S),
        ],
        false,
        true,
    ),
    row(O::ListKeyPolicies, &[key("KeyId", true, KEY), LIMIT, MARKER], false, true),
    row(
        O::ListKeyRotations,
        &[key("KeyId", true, KEY), f("IncludeKeyMaterial", S), LIMIT, MARKER],
        false,
        true,
    ),
    row(O::ListKeys, &[LIMIT, MARKER, f("ResourceOwners", List)], false, true),
    row(O::ListResourceTags, &[key("KeyId", true, KEY), LIMIT, MARKER], false, true),
    row(
        O::ListRetirableGrants,
        &[LIMIT, MARKER, f("RetiringPrincipal", S), f("RetiringServicePrincipal", S)],
        false,
        true,
    ),
    row(
        O::PutKeyPolicy,
        &[
            key("KeyId", true, KEY),
            f("PolicyName", S),
            req("Policy", S),
            f("BypassPolicyLockoutSafetyCheck", Bool),
        ],
        false,
        false,
    ),
    row(
        O::ReEncrypt,
        &[
            req("CiphertextBlob", Blob),
            f("SourceEncryptionContext", Map),
            key("SourceKeyId", false, ANY),
            key("DestinationKeyId", true, ANY),
            f("DestinationEncryptionContext", Map),
            f("SourceEncryptionAlgorithm", S),
            f("DestinationEncryptionAlgorithm", S),
            GT,
            DRY,
        ],
        false,
        true,
    ),
    row(
        O::ReplicateKey,
        &[
            key("KeyId", true, KEY),
            req("ReplicaRegion", S),
            f("Policy", S),
            f("BypassPolicyLockoutSafetyCheck", Bool),
            f("Description", S),
            f("Tags", Tags),
        ],
        false,
        false,
    ),
    // AWS's field documentation names the key ARN; its operation text says key id or key ARN.
    row(
        O::RetireGrant,
        &[f("GrantToken", S), key("KeyId", false, KEY), f("GrantId", S), DRY],
        false,
        false,
    ),
    row(O::RevokeGrant, &[key("KeyId", true, KEY), req("GrantId", S), DRY], false, false),
    row(O::RotateKeyOnDemand, &[key("KeyId", true, KEY)], false, false),
    row(
        O::ScheduleKeyDeletion,
        &[key("KeyId", true, KEY), f("PendingWindowInDays", Int)],
        false,
        false,
    ),
    row(
        O::Sign,
        &[
            key("KeyId", true, ANY),
            req("Message", Blob),
            f("MessageType", S),
            GT,
            req("SigningAlgorithm", S),
            DRY,
        ],
        false,
        true,
    ),
    row(O::TagResource, &[key("KeyId", true, KEY), req("Tags", Tags)], false, false),
    row(O::UntagResource, &[key("KeyId", true, KEY), req("TagKeys", List)], false, false),
    row(O::UpdateAlias, &[req("AliasName", S), key("TargetKeyId", true, KEY)], false, false),
    row(O::UpdateKeyDescription, &[key("KeyId", true, KEY), req("Description", S)], false, false),
    row(O::UpdatePrimaryRegion, &[key("KeyId", true, KEY), req("PrimaryRegion", S)], false, false),
    row(
        O::Verify,
        &[
            key("KeyId", true, ANY),
            req("Message", Blob),
            f("MessageType", S),
            req("Signature", Blob),
            req("SigningAlgorithm", S),
            GT,
            DRY,
        ],
        false,
        true,
    ),
    row(
        O::VerifyMac,
        &[
            req("Message", Blob),
            key("KeyId", true, ANY),
            req("MacAlgorithm", S),
            req("Mac", Blob),
            GT,
            DRY,
        ],
        false,
        true,
    ),
];

// The table has one row per operation (its length is the enum's) and row i is operation i, so
// indexing by the discriminant below is always in bounds and always the right row.
const _: () = {
    let mut i = 0;
    while i < TABLE.len() {
        assert!(TABLE[i].op as usize == i, "operation table out of order");
        i += 1;
    }
};

impl Operation {
    /// This operation's row of the table.
    pub fn spec(self) -> &'static OperationSpec {
        &TABLE[self as usize]
    }

    /// Its request fields.
    pub fn fields(self) -> &'static [Field] {
        self.spec().fields
    }

    /// The field named `name` (PascalCase), if the operation takes it.
    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// Slow enough to run off a server's async workers.
    pub fn is_slow(self) -> bool {
        self.spec().slow
    }

    /// Changes no stored state.
    pub fn is_read_only(self) -> bool {
        self.spec().read_only
    }
}

/// The wire type of a request field by name, over every operation (a field name has one type
/// throughout the KMS API).
pub fn field_type(name: &str) -> Option<FieldType> {
    TABLE.iter().flat_map(|s| s.fields).find(|f| f.name == name).map(|f| f.ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_name_has_one_type_and_key_fields_are_strings() {
        for s in &TABLE {
            for fld in s.fields {
                assert_eq!(field_type(fld.name), Some(fld.ty), "{}.{}", s.op, fld.name);
                if fld.key.is_some() {
                    assert_eq!(fld.ty, FieldType::Str, "{}.{}", s.op, fld.name);
                }
            }
            let mut names: Vec<&str> = s.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), s.fields.len(), "{} repeats a field", s.op);
        }
    }

    #[test]
    fn facts_as_aws_documents_them() {
        // Slow: asymmetric key generation only.
        let slow: Vec<&str> =
            Operation::ALL.iter().filter(|o| o.is_slow()).map(|o| o.as_str()).collect();
        assert_eq!(
            slow,
            ["CreateKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"]
        );
        // Cryptographic operations take any of the four key identifiers; key management takes
        // a key id or key ARN only.
        assert_eq!(Operation::Decrypt.field("KeyId").and_then(|f| f.key), Some(KeyForms::ANY));
        assert_eq!(Operation::TagResource.field("KeyId").and_then(|f| f.key), Some(KeyForms::KEY));
        assert_eq!(
            Operation::CreateAlias.field("TargetKeyId").and_then(|f| f.key),
            Some(KeyForms::KEY)
        );
        assert!(Operation::ListKeys.is_read_only());
        assert!(!Operation::GetParametersForImport.is_read_only());
        assert!(Operation::Encrypt.field("KeyId").is_some_and(|f| f.required));
        assert!(Operation::Decrypt.field("KeyId").is_some_and(|f| !f.required));
        assert_eq!(Operation::parse("Decrypt"), Some(Operation::Decrypt));
        assert_eq!(Operation::parse("decrypt"), None);
    }
}
