//! Requests and responses of the cryptographic operations: Encrypt, Decrypt, ReEncrypt, data
//! keys and key pairs, GenerateRandom, Sign/Verify, GetPublicKey, GenerateMac/VerifyMac.

use super::SecretBlob;
use crate::ops::Blob;
use crate::types::{
    DataKeyPairSpec, DataKeySpec, EncryptionAlgorithm, KeySpec, KeyUsage, MacAlgorithm,
    MessageType, SigningAlgorithm,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

type Ec = BTreeMap<String, String>;

/// Encrypt input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptRequest {
    /// Key.
    pub key_id: String,
    /// Plaintext (1–4096 bytes).
    pub plaintext: SecretBlob,
    /// Encryption context.
    pub encryption_context: Option<Ec>,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// Algorithm.
    pub encryption_algorithm: Option<EncryptionAlgorithm>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// Encrypt output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    /// The ciphertext.
    pub ciphertext_blob: Blob,
    /// Key ARN.
    pub key_id: String,
    /// Algorithm used.
    pub encryption_algorithm: EncryptionAlgorithm,
}

/// Decrypt input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptRequest {
    /// Ciphertext.
    pub ciphertext_blob: Blob,
    /// Encryption context.
    pub encryption_context: Option<Ec>,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// Key (optional for symmetric ciphertext).
    pub key_id: Option<String>,
    /// Algorithm.
    pub encryption_algorithm: Option<EncryptionAlgorithm>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// Decrypt output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse {
    /// Key ARN.
    pub key_id: String,
    /// The plaintext.
    pub plaintext: SecretBlob,
    /// Algorithm used.
    pub encryption_algorithm: EncryptionAlgorithm,
    /// The key material used (symmetric encryption keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// ReEncrypt input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptRequest {
    /// Ciphertext.
    pub ciphertext_blob: Blob,
    /// Context of the ciphertext.
    pub source_encryption_context: Option<Ec>,
    /// Source key (optional for symmetric).
    pub source_key_id: Option<String>,
    /// Destination key.
    pub destination_key_id: String,
    /// New context.
    pub destination_encryption_context: Option<Ec>,
    /// Source algorithm.
    pub source_encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Destination algorithm.
    pub destination_encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// ReEncrypt output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptResponse {
    /// The new ciphertext.
    pub ciphertext_blob: Blob,
    /// Source key ARN.
    pub source_key_id: String,
    /// Destination key ARN.
    pub key_id: String,
    /// Algorithm the ciphertext was decrypted with.
    pub source_encryption_algorithm: EncryptionAlgorithm,
    /// Algorithm it was encrypted with.
    pub destination_encryption_algorithm: EncryptionAlgorithm,
    /// The key material that decrypted the ciphertext (symmetric source keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_material_id: Option<String>,
    /// The key material that encrypted the result (symmetric destination keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_key_material_id: Option<String>,
}

/// GenerateDataKey / GenerateDataKeyWithoutPlaintext input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataKeyRequest {
    /// Key.
    pub key_id: String,
    /// Encryption context.
    pub encryption_context: Option<Ec>,
    /// Length in bytes (1–1024).
    pub number_of_bytes: Option<i64>,
    /// AES_128 / AES_256.
    pub key_spec: Option<DataKeySpec>,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// Attestation (not supported locally; must be absent).
    pub recipient: Option<Value>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// GenerateDataKey output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyResponse {
    /// The data key encrypted under the KMS key.
    pub ciphertext_blob: Blob,
    /// Key ARN.
    pub key_id: String,
    /// The data key.
    pub plaintext: SecretBlob,
    /// The key material used (symmetric encryption keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// GenerateDataKeyWithoutPlaintext output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyWithoutPlaintextResponse {
    /// The data key encrypted under the KMS key.
    pub ciphertext_blob: Blob,
    /// Key ARN.
    pub key_id: String,
    /// The key material used (symmetric encryption keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// GenerateDataKeyPair(+WithoutPlaintext) input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataKeyPairRequest {
    /// Key.
    pub key_id: String,
    /// Encryption context.
    pub encryption_context: Option<Ec>,
    /// Pair spec.
    pub key_pair_spec: DataKeyPairSpec,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// Attestation (not supported locally).
    pub recipient: Option<Value>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// GenerateDataKeyPair output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairResponse {
    /// The private key (PKCS#8 DER) encrypted under the KMS key.
    pub private_key_ciphertext_blob: Blob,
    /// The public key (DER SubjectPublicKeyInfo).
    pub public_key: Blob,
    /// Key ARN.
    pub key_id: String,
    /// Pair spec.
    pub key_pair_spec: DataKeyPairSpec,
    /// The private key (PKCS#8 DER).
    pub private_key_plaintext: SecretBlob,
    /// The key material used (symmetric encryption keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// GenerateDataKeyPairWithoutPlaintext output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairWithoutPlaintextResponse {
    /// The private key (PKCS#8 DER) encrypted under the KMS key.
    pub private_key_ciphertext_blob: Blob,
    /// The public key (DER SubjectPublicKeyInfo).
    pub public_key: Blob,
    /// Key ARN.
    pub key_id: String,
    /// Pair spec.
    pub key_pair_spec: DataKeyPairSpec,
    /// The key material used (symmetric encryption keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// GenerateRandom input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GenerateRandomRequest {
    /// Bytes wanted (1–1024; required by keyward).
    pub number_of_bytes: Option<i64>,
}

/// GenerateRandom output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateRandomResponse {
    /// The random bytes.
    pub plaintext: SecretBlob,
}

/// Sign / Verify input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignRequest {
    /// Key.
    pub key_id: String,
    /// Message or digest.
    pub message: Blob,
    /// RAW or DIGEST.
    pub message_type: Option<MessageType>,
    /// Algorithm.
    pub signing_algorithm: SigningAlgorithm,
    /// Signature (Verify).
    pub signature: Option<Blob>,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// Verify input: Sign's fields and the signature.
pub type VerifyRequest = SignRequest;

/// Sign output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignResponse {
    /// Key ARN.
    pub key_id: String,
    /// The signature.
    pub signature: Blob,
    /// Algorithm used.
    pub signing_algorithm: SigningAlgorithm,
}

/// Verify output (an invalid signature is a `KMSInvalidSignatureException`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyResponse {
    /// Key ARN.
    pub key_id: String,
    /// Always true.
    pub signature_valid: bool,
    /// Algorithm used.
    pub signing_algorithm: SigningAlgorithm,
}

/// GetPublicKey input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetPublicKeyRequest {
    /// Key.
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
}

/// GetPublicKey output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPublicKeyResponse {
    /// Key ARN.
    pub key_id: String,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Blob,
    /// Deprecated mirror of `KeySpec`.
    pub customer_master_key_spec: KeySpec,
    /// Key spec.
    pub key_spec: KeySpec,
    /// Key usage.
    pub key_usage: KeyUsage,
    /// For an ENCRYPT_DECRYPT key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<EncryptionAlgorithm>>,
    /// For a SIGN_VERIFY key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<SigningAlgorithm>>,
    /// Key agreement algorithms (`ECDH`) of a KEY_AGREEMENT key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<&'static str>>,
    /// Key encapsulation algorithms (`ML_KEM`) of an ENCAPSULATE_DECAPSULATE key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encapsulation_algorithms: Option<Vec<&'static str>>,
}

/// GenerateMac / VerifyMac input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MacRequest {
    /// Key.
    pub key_id: String,
    /// Message.
    pub message: Blob,
    /// Algorithm.
    pub mac_algorithm: MacAlgorithm,
    /// MAC (VerifyMac).
    pub mac: Option<Blob>,
    /// Grant tokens.
    pub grant_tokens: Option<Vec<String>>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// GenerateMac output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateMacResponse {
    /// Key ARN.
    pub key_id: String,
    /// The MAC.
    pub mac: Blob,
    /// Algorithm used.
    pub mac_algorithm: MacAlgorithm,
}

/// VerifyMac output (a wrong MAC is a `KMSInvalidMacException`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyMacResponse {
    /// Key ARN.
    pub key_id: String,
    /// Always true.
    pub mac_valid: bool,
    /// Algorithm used.
    pub mac_algorithm: MacAlgorithm,
}
