//! The one error model of Keystead.
//!
//! Every failure is an [`Error`]: a fieldless [`ErrorKind`] named after the AWS KMS exception a
//! caller of AWS KMS would get, plus a human message. Messages never hold key material,
//! plaintext or ciphertext. Each binding maps `ErrorKind` once, in a `match` without a wildcard
//! arm, so the enum is deliberately exhaustive: adding a kind must break every binding until it
//! decides how to expose it.

use std::fmt;

/// What went wrong, named after the AWS KMS exceptions.
///
/// The numeric value of each kind is its stable code in the C ABI; numbers are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorKind {
    /// `NotFoundException`: the key, alias or other resource does not exist.
    NotFound = 100,
    /// `DisabledException`: the key is disabled.
    Disabled = 101,
    /// `KMSInvalidStateException`: the key's state does not allow the operation.
    InvalidState = 102,
    /// `InvalidCiphertextException`: the ciphertext, its encryption context or its key is not valid.
    InvalidCiphertext = 103,
    /// `IncorrectKeyException`: the key given does not match the one that encrypted the ciphertext.
    IncorrectKey = 104,
    /// `InvalidKeyUsageException`: the key's usage or spec does not allow the operation.
    InvalidKeyUsage = 105,
    /// `AlreadyExistsException`: the resource (for example an alias) already exists.
    AlreadyExists = 106,
    /// `InvalidAliasNameException`: the alias name is malformed or reserved.
    InvalidAliasName = 107,
    /// `InvalidArnException`: the ARN is malformed.
    InvalidArn = 108,
    /// `InvalidMarkerException`: the pagination marker is not one this store issued.
    InvalidMarker = 109,
    /// `LimitExceededException`: a quota (aliases per key, tags, rotations...) is reached.
    LimitExceeded = 110,
    /// `ValidationException`: an input breaks a documented constraint (length, range, enum...).
    Validation = 111,
    /// `UnsupportedOperationException`: the operation is not supported for this key.
    UnsupportedOperation = 112,
    /// `TagException`: a tag is malformed.
    Tag = 113,
    /// `KMSInternalException`: an internal failure (storage I/O, OpenSSL); retryable.
    Internal = 114,
    /// `AccessDeniedException`: no policy or grant allows the call.
    AccessDenied = 115,
    /// `MalformedPolicyDocumentException`: the key policy is malformed.
    MalformedPolicyDocument = 116,
    /// `InvalidGrantTokenException`: a grant token is not valid.
    InvalidGrantToken = 117,
    /// `InvalidGrantIdException`: a grant id is not valid.
    InvalidGrantId = 118,
    /// `KeyUnavailableException`: the key material cannot be reached right now; retryable.
    KeyUnavailable = 119,
    /// `DependencyTimeoutException`: the store was busy for too long; retryable.
    DependencyTimeout = 120,
    /// `IncorrectKeyMaterialException`: imported key material does not match the key.
    IncorrectKeyMaterial = 121,
    /// `ExpiredImportTokenException`: the import token has expired.
    ExpiredImportToken = 122,
    /// `InvalidImportTokenException`: the import token is not valid for this key.
    InvalidImportToken = 123,
    /// `KMSInvalidSignatureException`: the signature does not verify.
    InvalidSignature = 124,
    /// `KMSInvalidMacException`: the MAC does not verify.
    InvalidMac = 125,
    /// `DryRunOperationException`: a dry run that would have succeeded.
    DryRunOperation = 126,
    /// `ConflictException`: a conflicting operation is in progress.
    Conflict = 127,
    /// `IncorrectRootKeyException` (Keystead only): the root key does not open this store.
    IncorrectRootKey = 200,
    /// `CorruptStoreException` (Keystead only): a store record failed its integrity check.
    CorruptStore = 201,
}

impl ErrorKind {
    /// Every kind, in code order (for bindings and tests that enumerate them).
    pub const ALL: [Self; 30] = [
        Self::NotFound,
        Self::Disabled,
        Self::InvalidState,
        Self::InvalidCiphertext,
        Self::IncorrectKey,
        Self::InvalidKeyUsage,
        Self::AlreadyExists,
        Self::InvalidAliasName,
        Self::InvalidArn,
        Self::InvalidMarker,
        Self::LimitExceeded,
        Self::Validation,
        Self::UnsupportedOperation,
        Self::Tag,
        Self::Internal,
        Self::AccessDenied,
        Self::MalformedPolicyDocument,
        Self::InvalidGrantToken,
        Self::InvalidGrantId,
        Self::KeyUnavailable,
        Self::DependencyTimeout,
        Self::IncorrectKeyMaterial,
        Self::ExpiredImportToken,
        Self::InvalidImportToken,
        Self::InvalidSignature,
        Self::InvalidMac,
        Self::DryRunOperation,
        Self::Conflict,
        Self::IncorrectRootKey,
        Self::CorruptStore,
    ];

    /// The exception name AWS KMS uses on the wire (`__type`), e.g. `NotFoundException`.
    pub const fn exception_name(self) -> &'static str {
        match self {
            Self::NotFound => "NotFoundException",
            Self::Disabled => "DisabledException",
            Self::InvalidState => "KMSInvalidStateException",
            Self::InvalidCiphertext => "InvalidCiphertextException",
            Self::IncorrectKey => "IncorrectKeyException",
            Self::InvalidKeyUsage => "InvalidKeyUsageException",
            Self::AlreadyExists => "AlreadyExistsException",
            Self::InvalidAliasName => "InvalidAliasNameException",
            Self::InvalidArn => "InvalidArnException",
            Self::InvalidMarker => "InvalidMarkerException",
            Self::LimitExceeded => "LimitExceededException",
            Self::Validation => "ValidationException",
            Self::UnsupportedOperation => "UnsupportedOperationException",
            Self::Tag => "TagException",
            Self::Internal => "KMSInternalException",
            Self::AccessDenied => "AccessDeniedException",
            Self::MalformedPolicyDocument => "MalformedPolicyDocumentException",
            Self::InvalidGrantToken => "InvalidGrantTokenException",
            Self::InvalidGrantId => "InvalidGrantIdException",
            Self::KeyUnavailable => "KeyUnavailableException",
            Self::DependencyTimeout => "DependencyTimeoutException",
            Self::IncorrectKeyMaterial => "IncorrectKeyMaterialException",
            Self::ExpiredImportToken => "ExpiredImportTokenException",
            Self::InvalidImportToken => "InvalidImportTokenException",
            Self::InvalidSignature => "KMSInvalidSignatureException",
            Self::InvalidMac => "KMSInvalidMacException",
            Self::DryRunOperation => "DryRunOperationException",
            Self::Conflict => "ConflictException",
            Self::IncorrectRootKey => "IncorrectRootKeyException",
            Self::CorruptStore => "CorruptStoreException",
        }
    }

    /// The HTTP status AWS KMS sends with this error (the Smithy model's values).
    pub const fn http_status(self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::AlreadyExists | Self::Conflict | Self::Disabled | Self::InvalidState => 409,
            Self::DryRunOperation => 412,
            Self::Internal | Self::KeyUnavailable | Self::CorruptStore | Self::IncorrectRootKey => 500,
            Self::DependencyTimeout => 503,
            Self::AccessDenied => 403,
            Self::InvalidCiphertext
            | Self::IncorrectKey
            | Self::InvalidKeyUsage
            | Self::InvalidAliasName
            | Self::InvalidArn
            | Self::InvalidMarker
            | Self::LimitExceeded
            | Self::Validation
            | Self::UnsupportedOperation
            | Self::Tag
            | Self::MalformedPolicyDocument
            | Self::InvalidGrantToken
            | Self::InvalidGrantId
            | Self::IncorrectKeyMaterial
            | Self::ExpiredImportToken
            | Self::InvalidImportToken
            | Self::InvalidSignature
            | Self::InvalidMac => 400,
        }
    }

    /// The stable numeric code of this kind (used by the C ABI).
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// True for the kinds AWS marks as server faults that a client may retry.
    pub const fn is_retryable(self) -> bool {
        matches!(self, Self::Internal | Self::KeyUnavailable | Self::DependencyTimeout)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.exception_name())
    }
}

/// A Keystead failure: a kind and a message that never holds secrets.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({}: {})", self.kind.exception_name(), self.message)
    }
}

impl Error {
    /// A new error of `kind` with `message`. The message must not contain secrets.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human message (no exception name prefix).
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    pub(crate) fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidState, message)
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UnsupportedOperation, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// The one error every ciphertext failure turns into: it says nothing about which check
    /// failed, so a tampered blob reveals nothing to an attacker.
    pub(crate) fn invalid_ciphertext() -> Self {
        Self::new(
            ErrorKind::InvalidCiphertext,
            "The ciphertext is invalid, or was not encrypted under this store's keys with this encryption context.",
        )
    }
}

impl From<openssl::error::ErrorStack> for Error {
    fn from(stack: openssl::error::ErrorStack) -> Self {
        // The OpenSSL error stack names functions and reasons, never key bytes.
        Self::internal(format!("cryptographic library failure: {stack}"))
    }
}

/// The result type of every fallible Keystead call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_names_end_in_exception() {
        let mut codes: Vec<u32> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert!(kind.exception_name().ends_with("Exception"), "{kind:?}");
        }
    }

    #[test]
    fn display_carries_kind_and_message() {
        let err = Error::new(ErrorKind::NotFound, "Key 'x' does not exist");
        assert_eq!(err.to_string(), "NotFoundException: Key 'x' does not exist");
        assert_eq!(err.kind().http_status(), 404);
    }
}
