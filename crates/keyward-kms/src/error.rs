//! The errors KMS returns, by their AWS error codes, with AWS's message wording.

use keyward_core::eval::Explanation;
use serde::Serialize;

/// AWS KMS error codes (the `__type` of a JSON 1.1 error response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ErrorCode {
    /// Not authorized.
    AccessDeniedException,
    /// Alias exists.
    AlreadyExistsException,
    /// Rotation conflict.
    ConflictException,
    /// Key disabled (or pending deletion, for some operations).
    DisabledException,
    /// DryRun would have succeeded.
    DryRunOperationException,
    /// The ciphertext names another key.
    IncorrectKeyException,
    /// Malformed alias name.
    InvalidAliasNameException,
    /// Malformed ARN.
    InvalidArnException,
    /// Ciphertext or encryption context does not verify.
    InvalidCiphertextException,
    /// Unknown grant id.
    InvalidGrantIdException,
    /// Malformed or unknown grant token.
    InvalidGrantTokenException,
    /// Import token does not match.
    InvalidImportTokenException,
    /// Key usage or algorithm does not fit the operation.
    InvalidKeyUsageException,
    /// Bad pagination marker.
    InvalidMarkerException,
    /// Imported material is not valid.
    IncorrectKeyMaterialException,
    /// Imported material has expired.
    ExpiredImportTokenException,
    /// MAC does not verify.
    KMSInvalidMacException,
    /// Signature does not verify.
    KMSInvalidSignatureException,
    /// Key state does not allow the operation.
    KMSInvalidStateException,
    /// Internal failure (storage).
    KMSInternalException,
    /// A quota or limit.
    LimitExceededException,
    /// Key policy is invalid.
    MalformedPolicyDocumentException,
    /// Key, alias or grant not found.
    NotFoundException,
    /// Tag problem.
    TagException,
    /// Operation not supported for this key.
    UnsupportedOperationException,
    /// Shape validation.
    ValidationException,
    /// Unknown operation.
    UnknownOperationException,
}

impl ErrorCode {
    /// The code as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AccessDeniedException => "AccessDeniedException",
            ErrorCode::AlreadyExistsException => "AlreadyExistsException",
            ErrorCode::ConflictException => "ConflictException",
            ErrorCode::DisabledException => "DisabledException",
            ErrorCode::DryRunOperationException => "DryRunOperationException",
            ErrorCode::IncorrectKeyException => "IncorrectKeyException",
            ErrorCode::InvalidAliasNameException => "InvalidAliasNameException",
            ErrorCode::InvalidArnException => "InvalidArnException",
            ErrorCode::InvalidCiphertextException => "InvalidCiphertextException",
            ErrorCode::InvalidGrantIdException => "InvalidGrantIdException",
            ErrorCode::InvalidGrantTokenException => "InvalidGrantTokenException",
            ErrorCode::InvalidImportTokenException => "InvalidImportTokenException",
            ErrorCode::InvalidKeyUsageException => "InvalidKeyUsageException",
            ErrorCode::InvalidMarkerException => "InvalidMarkerException",
            ErrorCode::IncorrectKeyMaterialException => "IncorrectKeyMaterialException",
            ErrorCode::ExpiredImportTokenException => "ExpiredImportTokenException",
            ErrorCode::KMSInvalidMacException => "KMSInvalidMacException",
            ErrorCode::KMSInvalidSignatureException => "KMSInvalidSignatureException",
            ErrorCode::KMSInvalidStateException => "KMSInvalidStateException",
            ErrorCode::KMSInternalException => "KMSInternalException",
            ErrorCode::LimitExceededException => "LimitExceededException",
            ErrorCode::MalformedPolicyDocumentException => "MalformedPolicyDocumentException",
            ErrorCode::NotFoundException => "NotFoundException",
            ErrorCode::TagException => "TagException",
            ErrorCode::UnsupportedOperationException => "UnsupportedOperationException",
            ErrorCode::ValidationException => "ValidationException",
            ErrorCode::UnknownOperationException => "UnknownOperationException",
        }
    }

    /// True for server faults (HTTP 500): only internal failures.
    pub fn is_fault(self) -> bool {
        self == ErrorCode::KMSInternalException
    }
}

/// A failed KMS call: the AWS code and message, and for AccessDenied the explanation.
#[derive(Debug, Clone)]
pub struct KmsError {
    /// AWS error code.
    pub code: ErrorCode,
    /// AWS-style message.
    pub message: String,
    /// Why access was denied (AccessDeniedException only).
    pub explanation: Option<Box<Explanation>>,
}

impl KmsError {
    /// An error with a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> KmsError {
        KmsError { code, message: message.into(), explanation: None }
    }

    /// A ValidationException in AWS's "1 validation error detected" wording.
    pub fn validation(message: impl Into<String>) -> KmsError {
        KmsError::new(ErrorCode::ValidationException, message)
    }

    /// A `Value ... at 'field' failed to satisfy constraint: ...` validation error.
    pub fn constraint(field: &str, constraint: &str) -> KmsError {
        KmsError::validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: {constraint}"
        ))
    }
}

impl std::fmt::Display for KmsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for KmsError {}

/// Shorthand.
pub type Result<T> = std::result::Result<T, KmsError>;
