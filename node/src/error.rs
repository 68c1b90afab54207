//! The one mapping from the core error model to JavaScript errors.
//!
//! Every core failure becomes an `Error` whose `code` is the AWS KMS exception name. The match in
//! [`exception_code`] has no wildcard arm on purpose: a new core `ErrorKind` must fail to compile
//! here until this binding decides how to expose it. Argument mistakes (wrong JS types, option
//! conflicts) are `TypeError`s with a Node-style `ERR_INVALID_ARG_*` code instead.

use keystead_core::{Error as CoreError, ErrorKind};
use napi::bindgen_prelude::{FromNapiValue, JsError, JsTypeError, JsValue, Object};
use napi::{Env, Error};

/// The `code` of the JavaScript error for a core error kind.
pub(crate) const fn exception_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "NotFoundException",
        ErrorKind::Disabled => "DisabledException",
        ErrorKind::InvalidState => "KMSInvalidStateException",
        ErrorKind::InvalidCiphertext => "InvalidCiphertextException",
        ErrorKind::IncorrectKey => "IncorrectKeyException",
        ErrorKind::InvalidKeyUsage => "InvalidKeyUsageException",
        ErrorKind::AlreadyExists => "AlreadyExistsException",
        ErrorKind::InvalidAliasName => "InvalidAliasNameException",
        ErrorKind::InvalidArn => "InvalidArnException",
        ErrorKind::InvalidMarker => "InvalidMarkerException",
        ErrorKind::LimitExceeded => "LimitExceededException",
        ErrorKind::Validation => "ValidationException",
        ErrorKind::UnsupportedOperation => "UnsupportedOperationException",
        ErrorKind::Tag => "TagException",
        ErrorKind::Internal => "KMSInternalException",
        ErrorKind::AccessDenied => "AccessDeniedException",
        ErrorKind::MalformedPolicyDocument => "MalformedPolicyDocumentException",
        ErrorKind::InvalidGrantToken => "InvalidGrantTokenException",
        ErrorKind::InvalidGrantId => "InvalidGrantIdException",
        ErrorKind::KeyUnavailable => "KeyUnavailableException",
        ErrorKind::DependencyTimeout => "DependencyTimeoutException",
        ErrorKind::IncorrectKeyMaterial => "IncorrectKeyMaterialException",
        ErrorKind::ExpiredImportToken => "ExpiredImportTokenException",
        ErrorKind::InvalidImportToken => "InvalidImportTokenException",
        ErrorKind::InvalidSignature => "KMSInvalidSignatureException",
        ErrorKind::InvalidMac => "KMSInvalidMacException",
        ErrorKind::DryRunOperation => "DryRunOperationException",
        ErrorKind::Conflict => "ConflictException",
        ErrorKind::IncorrectRootKey => "IncorrectRootKeyException",
        ErrorKind::CorruptStore => "CorruptStoreException",
    }
}

/// Builds the JavaScript `Error` for a core error (`code`, `message`, `retryable`,
/// `httpStatusCode`) and wraps it so that napi throws or rejects with exactly that object. Used
/// on the synchronous path and in the `resolve` hook of every async task, so both paths produce
/// the same error.
pub(crate) fn core_error(env: &Env, err: &CoreError) -> Error {
    let kind = err.kind();
    let raw = Error::new(exception_code(kind), err.message().to_owned());
    let value = JsError::from(raw).into_unknown(*env);
    // A value that has no type is the null handle of an environment that is tearing down.
    let Ok(mut object) = value.get_type().and_then(|_| Object::from_unknown(value)) else {
        return Error::from_reason(err.message().to_owned());
    };
    let _ = object.set("retryable", kind.is_retryable());
    let _ = object.set("httpStatusCode", u32::from(kind.http_status()));
    Error::from_unknown_without_coercion(object.to_unknown())
}

/// A `TypeError` with `code` (Node's `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE`).
pub(crate) fn type_error(env: &Env, code: &'static str, message: impl Into<String>) -> Error {
    let message = message.into();
    let value = JsTypeError::from(Error::new(code, message.clone())).into_unknown(*env);
    if value.get_type().is_err() {
        return Error::new(napi::Status::InvalidArg, message);
    }
    Error::from_unknown_without_coercion(value)
}

/// What a panic inside the core turns into: a `KMSInternalException` (a bug, never expected).
pub(crate) fn panic_error() -> CoreError {
    CoreError::new(ErrorKind::Internal, "internal error: the Keystead core panicked (this is a bug)")
}
