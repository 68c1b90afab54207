//! The one mapping from the core error model to JavaScript errors.
//!
//! Every core failure becomes an `Error` whose `code` is the AWS KMS exception name. The match in
//! [`exception_code`] has no wildcard arm on purpose: a new core `ErrorKind` must fail to compile
//! here until this binding decides how to expose it. Argument mistakes (wrong JS types, option
//! conflicts) are `TypeError`s with a Node-style `ERR_INVALID_ARG_*` code instead.

use keystead_core::{Error as CoreError, ErrorKind};
use napi::bindgen_prelude::{JsError, JsTypeError, Object, Unknown};
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
    // SAFETY: `env` is the live environment of the current JS-thread call; `into_value` returns
    // a fresh error object (or null when the environment is tearing down).
    let value = unsafe { JsError::from(raw).into_value(env.raw()) };
    if value.is_null() {
        return Error::from_reason(err.message().to_owned());
    }
    let mut object = Object::from_raw(env.raw(), value);
    let _ = object.set("retryable", kind.is_retryable());
    let _ = object.set("httpStatusCode", u32::from(kind.http_status()));
    // SAFETY: `value` is a live JS value of `env`, created just above.
    let unknown = unsafe { Unknown::from_raw_unchecked(env.raw(), value) };
    Error::from_unknown_without_coercion(unknown)
}

/// A `TypeError` with `code` (Node's `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE`).
pub(crate) fn type_error(env: &Env, code: &'static str, message: impl Into<String>) -> Error {
    let message = message.into();
    // SAFETY: as in `core_error`.
    let value = unsafe { JsTypeError::from(Error::new(code, message.clone())).into_value(env.raw()) };
    if value.is_null() {
        return Error::new(napi::Status::InvalidArg, message);
    }
    // SAFETY: `value` is a live JS value of `env`, created just above.
    let unknown = unsafe { Unknown::from_raw_unchecked(env.raw(), value) };
    Error::from_unknown_without_coercion(unknown)
}

/// What a panic inside the core turns into: a `KMSInternalException` (a bug, never expected).
pub(crate) fn panic_error() -> CoreError {
    CoreError::new(ErrorKind::Internal, "internal error: the Keystead core panicked (this is a bug)")
}
