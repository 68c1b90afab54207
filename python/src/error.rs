//! The one place where a core [`Error`] becomes a Python exception.
//!
//! Exception classes are defined in Python (`keystead/exceptions.py`, botocore-shaped) and
//! imported here. [`to_py_err`] maps every [`ErrorKind`] in a single `match` with no wildcard
//! arm: a new kind in the core fails to compile here until this binding decides its class.

use keystead_core::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use pyo3::PyTypeInfo;

macro_rules! import_exceptions {
    ($($name:ident),+ $(,)?) => {
        $(pyo3::import_exception!(keystead.exceptions, $name);)+
    };
}

import_exceptions!(
    NotFoundException,
    DisabledException,
    KMSInvalidStateException,
    InvalidCiphertextException,
    IncorrectKeyException,
    InvalidKeyUsageException,
    AlreadyExistsException,
    InvalidAliasNameException,
    InvalidArnException,
    InvalidMarkerException,
    LimitExceededException,
    ValidationException,
    UnsupportedOperationException,
    TagException,
    KMSInternalException,
    AccessDeniedException,
    MalformedPolicyDocumentException,
    InvalidGrantTokenException,
    InvalidGrantIdException,
    KeyUnavailableException,
    DependencyTimeoutException,
    IncorrectKeyMaterialException,
    ExpiredImportTokenException,
    InvalidImportTokenException,
    KMSInvalidSignatureException,
    KMSInvalidMacException,
    DryRunOperationException,
    ConflictException,
    IncorrectRootKeyException,
    CorruptStoreException,
);

/// The Python exception class of `kind`.
fn exception_type(py: Python<'_>, kind: ErrorKind) -> Bound<'_, PyType> {
    match kind {
        ErrorKind::NotFound => NotFoundException::type_object(py),
        ErrorKind::Disabled => DisabledException::type_object(py),
        ErrorKind::InvalidState => KMSInvalidStateException::type_object(py),
        ErrorKind::InvalidCiphertext => InvalidCiphertextException::type_object(py),
        ErrorKind::IncorrectKey => IncorrectKeyException::type_object(py),
        ErrorKind::InvalidKeyUsage => InvalidKeyUsageException::type_object(py),
        ErrorKind::AlreadyExists => AlreadyExistsException::type_object(py),
        ErrorKind::InvalidAliasName => InvalidAliasNameException::type_object(py),
        ErrorKind::InvalidArn => InvalidArnException::type_object(py),
        ErrorKind::InvalidMarker => InvalidMarkerException::type_object(py),
        ErrorKind::LimitExceeded => LimitExceededException::type_object(py),
        ErrorKind::Validation => ValidationException::type_object(py),
        ErrorKind::UnsupportedOperation => UnsupportedOperationException::type_object(py),
        ErrorKind::Tag => TagException::type_object(py),
        ErrorKind::Internal => KMSInternalException::type_object(py),
        ErrorKind::AccessDenied => AccessDeniedException::type_object(py),
        ErrorKind::MalformedPolicyDocument => MalformedPolicyDocumentException::type_object(py),
        ErrorKind::InvalidGrantToken => InvalidGrantTokenException::type_object(py),
        ErrorKind::InvalidGrantId => InvalidGrantIdException::type_object(py),
        ErrorKind::KeyUnavailable => KeyUnavailableException::type_object(py),
        ErrorKind::DependencyTimeout => DependencyTimeoutException::type_object(py),
        ErrorKind::IncorrectKeyMaterial => IncorrectKeyMaterialException::type_object(py),
        ErrorKind::ExpiredImportToken => ExpiredImportTokenException::type_object(py),
        ErrorKind::InvalidImportToken => InvalidImportTokenException::type_object(py),
        ErrorKind::InvalidSignature => KMSInvalidSignatureException::type_object(py),
        ErrorKind::InvalidMac => KMSInvalidMacException::type_object(py),
        ErrorKind::DryRunOperation => DryRunOperationException::type_object(py),
        ErrorKind::Conflict => ConflictException::type_object(py),
        ErrorKind::IncorrectRootKey => IncorrectRootKeyException::type_object(py),
        ErrorKind::CorruptStore => CorruptStoreException::type_object(py),
    }
}

/// Builds botocore's `error_response` shape: `{"Error": {"Code", "Message"},
/// "ResponseMetadata": {"HTTPStatusCode"}}` (the Python class adds the request id).
fn error_response<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyDict>> {
    let kind = err.kind();
    let error = PyDict::new(py);
    error.set_item("Code", kind.exception_name())?;
    error.set_item("Message", err.message())?;
    let metadata = PyDict::new(py);
    metadata.set_item("HTTPStatusCode", kind.http_status())?;
    let response = PyDict::new(py);
    response.set_item("Error", error)?;
    response.set_item("ResponseMetadata", metadata)?;
    Ok(response)
}

/// Turns a core error raised by `operation` (an AWS operation name such as `Encrypt`) into the
/// matching `keystead.exceptions` instance.
pub(crate) fn to_py_err(py: Python<'_>, err: &Error, operation: &str) -> PyErr {
    match error_response(py, err) {
        Ok(response) => PyErr::from_type(exception_type(py, err.kind()), (response.unbind(), operation.to_owned())),
        Err(e) => e,
    }
}

/// `(exception name, code, HTTP status)` of every kind, for the drift test of `exceptions.py`.
#[pyfunction]
pub(crate) fn _error_kinds(py: Python<'_>) -> Vec<(String, u32, u16, String)> {
    ErrorKind::ALL
        .iter()
        .map(|kind| {
            let ty = exception_type(py, *kind);
            let class = ty.name().map(|n| n.to_string()).unwrap_or_default();
            (kind.exception_name().to_owned(), kind.code(), kind.http_status(), class)
        })
        .collect()
}
