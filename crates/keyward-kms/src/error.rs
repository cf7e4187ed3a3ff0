//! The errors KMS returns, by their AWS error codes, with AWS's message wording.

use keyward_core::eval::Explanation;

crate::types::aws_enum!(
    /// AWS KMS error codes (the `__type` of a JSON 1.1 error response).
    ErrorCode {
        /// Not authorized.
        AccessDeniedException = "AccessDeniedException",
        /// Alias exists.
        AlreadyExistsException = "AlreadyExistsException",
        /// Rotation conflict.
        ConflictException = "ConflictException",
        /// Key disabled (or pending deletion, for some operations).
        DisabledException = "DisabledException",
        /// DryRun would have succeeded.
        DryRunOperationException = "DryRunOperationException",
        /// The ciphertext names another key.
        IncorrectKeyException = "IncorrectKeyException",
        /// Malformed alias name.
        InvalidAliasNameException = "InvalidAliasNameException",
        /// Malformed ARN.
        InvalidArnException = "InvalidArnException",
        /// Ciphertext or encryption context does not verify.
        InvalidCiphertextException = "InvalidCiphertextException",
        /// Unknown grant id.
        InvalidGrantIdException = "InvalidGrantIdException",
        /// Malformed or unknown grant token.
        InvalidGrantTokenException = "InvalidGrantTokenException",
        /// Import token does not match.
        InvalidImportTokenException = "InvalidImportTokenException",
        /// Key usage or algorithm does not fit the operation.
        InvalidKeyUsageException = "InvalidKeyUsageException",
        /// Bad pagination marker.
        InvalidMarkerException = "InvalidMarkerException",
        /// Imported material is not valid.
        IncorrectKeyMaterialException = "IncorrectKeyMaterialException",
        /// Imported material has expired.
        ExpiredImportTokenException = "ExpiredImportTokenException",
        /// MAC does not verify.
        KMSInvalidMacException = "KMSInvalidMacException",
        /// Signature does not verify.
        KMSInvalidSignatureException = "KMSInvalidSignatureException",
        /// Key state does not allow the operation.
        KMSInvalidStateException = "KMSInvalidStateException",
        /// Internal failure (storage).
        KMSInternalException = "KMSInternalException",
        /// A quota or limit.
        LimitExceededException = "LimitExceededException",
        /// Key policy is invalid.
        MalformedPolicyDocumentException = "MalformedPolicyDocumentException",
        /// Key, alias or grant not found.
        NotFoundException = "NotFoundException",
        /// Tag problem.
        TagException = "TagException",
        /// Operation not supported for this key.
        UnsupportedOperationException = "UnsupportedOperationException",
        /// Shape validation.
        ValidationException = "ValidationException",
        /// Unknown operation.
        UnknownOperationException = "UnknownOperationException",
    }
);

impl ErrorCode {
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
