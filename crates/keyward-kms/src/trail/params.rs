//! What KMS logs of each request and response: an allow-list per operation, as a table.
//!
//! Only the listed request fields are copied (renamed to camelCase, as KMS logs them); every
//! other field is dropped, so a plaintext, ciphertext, message, signature, MAC, grant token,
//! import token or wrapped key material can never reach an event. The defaults are the values
//! KMS records for parameters the request left out (Decrypt's `encryptionAlgorithm`, CreateKey's
//! `keySpec`...). Response elements are logged for the few operations whose examples show them,
//! from their own allow-list; null for every other operation (cryptographic ones included).

use super::{java_date, TrailFacts};
use crate::operation::Operation;
use serde_json::{json, Map, Value};

/// How a field is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// The value as sent (strings, numbers, lists of strings, and encryption-context maps,
    /// whose keys are the caller's and keep their case).
    AsIs,
    /// An object, or a list of objects, whose member names become camelCase (grant
    /// constraints, tags); member values as sent.
    Members,
    /// An object whose member names, at every depth, become camelCase (key metadata), dates
    /// (`...Date` members) in KMS's logged format.
    Deep,
    /// Epoch seconds to KMS's logged date format of responses (`Nov 2, 2021, 11:25:25 PM`).
    Date,
    /// Epoch seconds to the format of ImportKeyMaterial's logged `validTo`
    /// (`Jan 1, 2021 8:00:00 PM`).
    ImportDate,
}

/// A value KMS records for an absent parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absent {
    /// A string.
    Str(&'static str),
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(u32),
    /// The value of another logged parameter (CreateKey's `customerMasterKeySpec` mirrors
    /// `keySpec`).
    Same(&'static str),
}

/// What is logged of one operation.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The operation.
    pub op: Operation,
    /// `readOnly`.
    pub read_only: bool,
    /// Request fields logged (wire name, how).
    pub fields: &'static [(&'static str, How)],
    /// Logged values of absent parameters (logged name, value), in order.
    pub defaults: &'static [(&'static str, Absent)],
    /// Response fields logged (wire name, how); empty: `responseElements` is null.
    pub response: &'static [(&'static str, How)],
}

use Absent::{Bool, Num, Same, Str};
use How::{AsIs, Date, Deep, ImportDate, Members};
use Operation as O;

const KEY: &[(&str, How)] = &[("KeyId", AsIs)];
const CRYPTO_EXTRA: [(&str, How); 2] = [("GrantTokens", AsIs), ("DryRun", AsIs)];

macro_rules! fields {
    ($($f:expr),* $(,)?) => { &[$($f),*] };
}

const fn row(op: Operation, read_only: bool, fields: &'static [(&'static str, How)]) -> Rule {
    Rule { op, read_only, fields, defaults: &[], response: &[] }
}

/// One row per operation keyward serves, in the order of [`Operation`]'s table.
pub const RULES: &[Rule] = &[
    Rule { response: fields![("KeyId", AsIs)], ..row(O::CancelKeyDeletion, false, KEY) },
    row(O::CreateAlias, false, fields![("AliasName", AsIs), ("TargetKeyId", AsIs)]),
    Rule {
        response: fields![("GrantId", AsIs)],
        ..row(
            O::CreateGrant,
            false,
            fields![
                ("KeyId", AsIs),
                ("GranteePrincipal", AsIs),
                ("RetiringPrincipal", AsIs),
                ("Operations", AsIs),
                ("Constraints", Members),
                ("Name", AsIs),
                ("GranteeServicePrincipal", AsIs),
                ("RetiringServicePrincipal", AsIs),
                CRYPTO_EXTRA[0],
                CRYPTO_EXTRA[1],
            ],
        )
    },
    Rule {
        defaults: &[
            ("description", Str("")),
            ("origin", Str("AWS_KMS")),
            ("bypassPolicyLockoutSafetyCheck", Bool(false)),
            ("keySpec", Str("SYMMETRIC_DEFAULT")),
            ("customerMasterKeySpec", Same("keySpec")),
            ("keyUsage", Str("ENCRYPT_DECRYPT")),
        ],
        response: fields![("KeyMetadata", Deep)],
        ..row(
            O::CreateKey,
            false,
            fields![
                ("Description", AsIs),
                ("KeyUsage", AsIs),
                ("KeySpec", AsIs),
                ("CustomerMasterKeySpec", AsIs),
                ("Origin", AsIs),
                ("CustomKeyStoreId", AsIs),
                ("XksKeyId", AsIs),
                ("BypassPolicyLockoutSafetyCheck", AsIs),
                ("MultiRegion", AsIs),
                ("Policy", AsIs),
                ("Tags", Members),
            ],
        )
    },
    row(O::Decapsulate, true, KEM),
    Rule {
        defaults: &[("encryptionAlgorithm", Str("SYMMETRIC_DEFAULT"))],
        ..row(
            O::Decrypt,
            true,
            fields![
                ("KeyId", AsIs),
                ("EncryptionContext", AsIs),
                ("EncryptionAlgorithm", AsIs),
                CRYPTO_EXTRA[0],
                CRYPTO_EXTRA[1],
            ],
        )
    },
    row(O::DeleteAlias, false, fields![("AliasName", AsIs)]),
    row(O::DeleteImportedKeyMaterial, false, fields![("KeyId", AsIs), ("KeyMaterialId", AsIs)]),
    // The peer's public key is not secret, but it is not in the allow-list: KMS's examples log
    // the key and the algorithm.
    row(
        O::DeriveSharedSecret,
        true,
        fields![("KeyId", AsIs), ("KeyAgreementAlgorithm", AsIs), CRYPTO_EXTRA[0], CRYPTO_EXTRA[1],],
    ),
    row(O::DescribeKey, true, fields![("KeyId", AsIs), ("GrantTokens", AsIs)]),
    row(O::DisableKey, false, KEY),
    row(O::DisableKeyRotation, false, KEY),
    row(O::EnableKey, false, KEY),
    row(O::EnableKeyRotation, false, fields![("KeyId", AsIs), ("RotationPeriodInDays", AsIs)]),
    row(O::Encapsulate, true, KEM),
    Rule {
        defaults: &[("encryptionAlgorithm", Str("SYMMETRIC_DEFAULT"))],
        ..row(
            O::Encrypt,
            true,
            fields![
                ("KeyId", AsIs),
                ("EncryptionContext", AsIs),
                ("EncryptionAlgorithm", AsIs),
                CRYPTO_EXTRA[0],
                CRYPTO_EXTRA[1],
            ],
        )
    },
    row(O::GenerateDataKey, true, DATA_KEY),
    row(O::GenerateDataKeyPair, true, DATA_KEY_PAIR),
    row(O::GenerateDataKeyPairWithoutPlaintext, true, DATA_KEY_PAIR),
    row(O::GenerateDataKeyWithoutPlaintext, true, DATA_KEY),
    row(O::GenerateMac, true, MAC),
    row(O::GenerateRandom, true, fields![("CustomKeyStoreId", AsIs)]),
    row(O::GetKeyLastUsage, true, KEY),
    Rule {
        defaults: &[("policyName", Str("default"))],
        ..row(O::GetKeyPolicy, true, fields![("KeyId", AsIs), ("PolicyName", AsIs)])
    },
    row(O::GetKeyRotationStatus, true, KEY),
    row(
        O::GetParametersForImport,
        true,
        fields![("KeyId", AsIs), ("WrappingAlgorithm", AsIs), ("WrappingKeySpec", AsIs)],
    ),
    row(O::GetPublicKey, true, fields![("KeyId", AsIs), ("GrantTokens", AsIs)]),
    row(
        O::ImportKeyMaterial,
        false,
        fields![
            ("KeyId", AsIs),
            ("ValidTo", ImportDate),
            ("ExpirationModel", AsIs),
            ("ImportType", AsIs),
            ("KeyMaterialDescription", AsIs),
            ("KeyMaterialId", AsIs),
        ],
    ),
    row(O::ListAliases, true, fields![("KeyId", AsIs), ("Limit", AsIs), ("Marker", AsIs)]),
    row(
        O::ListGrants,
        true,
        fields![
            ("KeyId", AsIs),
            ("Limit", AsIs),
            ("Marker", AsIs),
            ("GrantId", AsIs),
            ("GranteePrincipal", AsIs),
            ("GranteeServicePrincipal", AsIs),
        ],
    ),
    row(O::ListKeyPolicies, true, LIST_ON_KEY),
    row(
        O::ListKeyRotations,
        true,
        fields![("KeyId", AsIs), ("Limit", AsIs), ("Marker", AsIs), ("IncludeKeyMaterial", AsIs)],
    ),
    row(O::ListKeys, true, fields![("Limit", AsIs), ("Marker", AsIs), ("ResourceOwners", AsIs)]),
    row(O::ListResourceTags, true, LIST_ON_KEY),
    row(
        O::ListRetirableGrants,
        true,
        fields![
            ("RetiringPrincipal", AsIs),
            ("RetiringServicePrincipal", AsIs),
            ("Limit", AsIs),
            ("Marker", AsIs),
        ],
    ),
    Rule {
        defaults: &[
            ("policyName", Str("default")),
            ("bypassPolicyLockoutSafetyCheck", Bool(false)),
        ],
        ..row(
            O::PutKeyPolicy,
            false,
            fields![
                ("KeyId", AsIs),
                ("PolicyName", AsIs),
                ("Policy", AsIs),
                ("BypassPolicyLockoutSafetyCheck", AsIs),
            ],
        )
    },
    Rule {
        defaults: &[
            ("sourceEncryptionAlgorithm", Str("SYMMETRIC_DEFAULT")),
            ("destinationEncryptionAlgorithm", Str("SYMMETRIC_DEFAULT")),
        ],
        ..row(
            O::ReEncrypt,
            true,
            fields![
                ("SourceKeyId", AsIs),
                ("SourceEncryptionContext", AsIs),
                ("SourceEncryptionAlgorithm", AsIs),
                ("DestinationKeyId", AsIs),
                ("DestinationEncryptionContext", AsIs),
                ("DestinationEncryptionAlgorithm", AsIs),
                CRYPTO_EXTRA[0],
                CRYPTO_EXTRA[1],
            ],
        )
    },
    Rule {
        defaults: &[("bypassPolicyLockoutSafetyCheck", Bool(false)), ("description", Str(""))],
        response: fields![("ReplicaKeyMetadata", Deep), ("ReplicaPolicy", AsIs)],
        ..row(
            O::ReplicateKey,
            false,
            fields![
                ("KeyId", AsIs),
                ("ReplicaRegion", AsIs),
                ("BypassPolicyLockoutSafetyCheck", AsIs),
                ("Description", AsIs),
                ("Policy", AsIs),
                ("Tags", Members),
            ],
        )
    },
    row(O::RetireGrant, false, fields![("KeyId", AsIs), ("GrantId", AsIs), ("DryRun", AsIs)]),
    row(O::RevokeGrant, false, fields![("KeyId", AsIs), ("GrantId", AsIs), ("DryRun", AsIs)]),
    row(O::RotateKeyOnDemand, false, KEY),
    Rule {
        defaults: &[("pendingWindowInDays", Num(30))],
        response: fields![
            ("KeyId", AsIs),
            ("KeyState", AsIs),
            ("DeletionDate", Date),
            ("PendingWindowInDays", AsIs),
        ],
        ..row(
            O::ScheduleKeyDeletion,
            false,
            fields![("KeyId", AsIs), ("PendingWindowInDays", AsIs)],
        )
    },
    Rule { defaults: &[("messageType", Str("RAW"))], ..row(O::Sign, true, SIGN) },
    row(O::TagResource, false, fields![("KeyId", AsIs), ("Tags", Members)]),
    row(O::UntagResource, false, fields![("KeyId", AsIs), ("TagKeys", AsIs)]),
    row(O::UpdateAlias, false, fields![("AliasName", AsIs), ("TargetKeyId", AsIs)]),
    row(O::UpdateKeyDescription, false, fields![("KeyId", AsIs), ("Description", AsIs)]),
    row(O::UpdatePrimaryRegion, false, fields![("KeyId", AsIs), ("PrimaryRegion", AsIs)]),
    Rule { defaults: &[("messageType", Str("RAW"))], ..row(O::Verify, true, SIGN) },
    row(O::VerifyMac, true, MAC),
];

const DATA_KEY: &[(&str, How)] = fields![
    ("KeyId", AsIs),
    ("KeySpec", AsIs),
    ("NumberOfBytes", AsIs),
    ("EncryptionContext", AsIs),
    CRYPTO_EXTRA[0],
    CRYPTO_EXTRA[1],
];
const DATA_KEY_PAIR: &[(&str, How)] = fields![
    ("KeyId", AsIs),
    ("KeyPairSpec", AsIs),
    ("EncryptionContext", AsIs),
    CRYPTO_EXTRA[0],
    CRYPTO_EXTRA[1],
];
// The encapsulated shared secret (Decapsulate's SharedSecretCiphertextBlob) is not logged.
const KEM: &[(&str, How)] =
    fields![("KeyId", AsIs), ("EncapsulationAlgorithm", AsIs), CRYPTO_EXTRA[0], CRYPTO_EXTRA[1]];
const MAC: &[(&str, How)] =
    fields![("KeyId", AsIs), ("MacAlgorithm", AsIs), CRYPTO_EXTRA[0], CRYPTO_EXTRA[1]];
const SIGN: &[(&str, How)] = fields![
    ("KeyId", AsIs),
    ("MessageType", AsIs),
    ("SigningAlgorithm", AsIs),
    CRYPTO_EXTRA[0],
    CRYPTO_EXTRA[1],
];
const LIST_ON_KEY: &[(&str, How)] = fields![("KeyId", AsIs), ("Limit", AsIs), ("Marker", AsIs)];

/// The row of `op`.
pub fn rule(op: Operation) -> &'static Rule {
    // RULES follows the enum's order (checked by a test); fall back to a search.
    let i = Operation::ALL.iter().position(|o| *o == op).unwrap_or(0);
    match RULES.get(i) {
        Some(r) if r.op == op => r,
        _ => RULES.iter().find(|r| r.op == op).unwrap_or(&RULES[0]),
    }
}

/// `KeyId` → `keyId`.
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_lowercase());
    }
    // `AWSAccountId` becomes `aWSAccountId`, as most of AWS's examples show it.
    out.extend(chars);
    out
}

fn copy(value: &Value, how: How) -> Value {
    match how {
        How::AsIs => value.clone(),
        How::Date | How::ImportDate => match value.as_f64() {
            Some(s) => {
                // Whole milliseconds: the float is in range of an i64 for any real date.
                #[allow(clippy::cast_possible_truncation)]
                let ms = (s * 1000.0).round() as i64;
                let text = java_date(ms);
                Value::String(if how == How::ImportDate {
                    text.replacen(", ", "\u{0}", 1)
                        .replacen(", ", " ", 1)
                        .replacen('\u{0}', ", ", 1)
                } else {
                    text
                })
            }
            None => value.clone(),
        },
        How::Members => match value {
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| {
                        let v = if k.ends_with("Date") { copy(v, How::Date) } else { v.clone() };
                        (camel(k), v)
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| copy(v, How::Members)).collect()),
            other => other.clone(),
        },
        How::Deep => match value {
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| {
                        let v = if k.ends_with("Date") {
                            copy(v, How::Date)
                        } else {
                            copy(v, How::Deep)
                        };
                        (camel(k), v)
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| copy(v, How::Deep)).collect()),
            other => other.clone(),
        },
    }
}

/// `requestParameters` of a KMS call: the allowed fields of the request, with the defaults
/// KMS records; a Decrypt that named no key is logged with the key the ciphertext named.
/// Null when nothing is logged.
pub fn request_parameters(op: Operation, request: &Value, facts: &TrailFacts) -> Value {
    let r = rule(op);
    let mut m = Map::new();
    for (name, how) in r.fields {
        if let Some(v) = request.get(*name).filter(|v| !v.is_null()) {
            m.insert(camel(name), copy(v, *how));
        }
    }
    if op == Operation::Decrypt && !m.contains_key("keyId") {
        if let Some(k) = facts.resources.first() {
            m.insert("keyId".into(), json!(k.arn));
        }
    }
    for (name, d) in r.defaults {
        if m.contains_key(*name) {
            continue;
        }
        let v = match d {
            Absent::Str(s) => json!(s),
            Absent::Bool(b) => json!(b),
            Absent::Num(n) => json!(n),
            Absent::Same(other) => match m.get(*other) {
                Some(v) => v.clone(),
                None => continue,
            },
        };
        m.insert((*name).to_string(), v);
    }
    if m.is_empty() {
        Value::Null
    } else {
        Value::Object(m)
    }
}

/// `responseElements` of a successful KMS call: the allowed fields of the response, or null.
pub fn response_elements(op: Operation, response: &Value) -> Value {
    let r = rule(op);
    if r.response.is_empty() {
        return Value::Null;
    }
    let mut m = Map::new();
    for (name, how) in r.response {
        if let Some(v) = response.get(*name).filter(|v| !v.is_null()) {
            m.insert(camel(name), copy(v, *how));
        }
    }
    Value::Object(m)
}
