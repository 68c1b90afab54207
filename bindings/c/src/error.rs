//! Result codes and error objects. `ErrorKind` is mapped exactly once, in [`code_of`], by a
//! `match` without a wildcard arm: a new core kind fails to compile here until it has a code.

use std::ffi::{CStr, CString};
use std::os::raw::c_char;

use keystead_core::{Error, ErrorKind};

/// The status every fallible function returns. Values are stable and never reused:
/// 0–99 are codes of this interface (argument errors, a caught panic, an audit log that failed
/// verification), 100–199 the AWS KMS exceptions, 200–299 Keystead's own exceptions (each equal
/// to the core `ErrorKind::code()`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum keystead_result {
    /// Success.
    Ok = 0,
    /// An argument is malformed for C reasons: a string is not UTF-8, a length is too large, a
    /// builder already holds that key. (AWS-level validation is `VALIDATION`, 111.)
    InvalidArgument = 1,
    /// A required pointer argument was NULL.
    NullParameter = 2,
    /// The caller's buffer is too small; the needed size was reported.
    BufferTooSmall = 3,
    /// A bug inside the library was caught at the boundary; the library is still usable.
    Panic = 4,
    /// `keystead_audit_verify` / `keystead_store_audit_verify`: the audit log did not verify (a
    /// record was edited, deleted, reordered or inserted, a signature is wrong, a segment is
    /// missing or truncated). The message names the first problem: its kind, file, line and
    /// sequence number.
    AuditLogInvalid = 5,
    /// `NotFoundException`.
    NotFound = 100,
    /// `DisabledException`.
    Disabled = 101,
    /// `KMSInvalidStateException`.
    InvalidState = 102,
    /// `InvalidCiphertextException`.
    InvalidCiphertext = 103,
    /// `IncorrectKeyException`.
    IncorrectKey = 104,
    /// `InvalidKeyUsageException`.
    InvalidKeyUsage = 105,
    /// `AlreadyExistsException`.
    AlreadyExists = 106,
    /// `InvalidAliasNameException`.
    InvalidAliasName = 107,
    /// `InvalidArnException`.
    InvalidArn = 108,
    /// `InvalidMarkerException`.
    InvalidMarker = 109,
    /// `LimitExceededException`.
    LimitExceeded = 110,
    /// `ValidationException` (also: an unknown enum string).
    Validation = 111,
    /// `UnsupportedOperationException`.
    UnsupportedOperation = 112,
    /// `TagException`.
    Tag = 113,
    /// `KMSInternalException` (retryable).
    Internal = 114,
    /// `AccessDeniedException`.
    AccessDenied = 115,
    /// `MalformedPolicyDocumentException`.
    MalformedPolicyDocument = 116,
    /// `InvalidGrantTokenException`.
    InvalidGrantToken = 117,
    /// `InvalidGrantIdException`.
    InvalidGrantId = 118,
    /// `KeyUnavailableException` (retryable).
    KeyUnavailable = 119,
    /// `DependencyTimeoutException` (retryable).
    DependencyTimeout = 120,
    /// `IncorrectKeyMaterialException`.
    IncorrectKeyMaterial = 121,
    /// `ExpiredImportTokenException`.
    ExpiredImportToken = 122,
    /// `InvalidImportTokenException`.
    InvalidImportToken = 123,
    /// `KMSInvalidSignatureException`.
    InvalidSignature = 124,
    /// `KMSInvalidMacException`.
    InvalidMac = 125,
    /// `DryRunOperationException`.
    DryRunOperation = 126,
    /// `ConflictException`.
    Conflict = 127,
    /// `IncorrectRootKeyException` (Keystead only): the root key does not open this store.
    IncorrectRootKey = 200,
    /// `CorruptStoreException` (Keystead only): a store record failed its integrity check.
    CorruptStore = 201,
}

/// The one mapping from core kinds to C codes.
pub(crate) const fn code_of(kind: ErrorKind) -> keystead_result {
    use keystead_result as R;
    match kind {
        ErrorKind::NotFound => R::NotFound,
        ErrorKind::Disabled => R::Disabled,
        ErrorKind::InvalidState => R::InvalidState,
        ErrorKind::InvalidCiphertext => R::InvalidCiphertext,
        ErrorKind::IncorrectKey => R::IncorrectKey,
        ErrorKind::InvalidKeyUsage => R::InvalidKeyUsage,
        ErrorKind::AlreadyExists => R::AlreadyExists,
        ErrorKind::InvalidAliasName => R::InvalidAliasName,
        ErrorKind::InvalidArn => R::InvalidArn,
        ErrorKind::InvalidMarker => R::InvalidMarker,
        ErrorKind::LimitExceeded => R::LimitExceeded,
        ErrorKind::Validation => R::Validation,
        ErrorKind::UnsupportedOperation => R::UnsupportedOperation,
        ErrorKind::Tag => R::Tag,
        ErrorKind::Internal => R::Internal,
        ErrorKind::AccessDenied => R::AccessDenied,
        ErrorKind::MalformedPolicyDocument => R::MalformedPolicyDocument,
        ErrorKind::InvalidGrantToken => R::InvalidGrantToken,
        ErrorKind::InvalidGrantId => R::InvalidGrantId,
        ErrorKind::KeyUnavailable => R::KeyUnavailable,
        ErrorKind::DependencyTimeout => R::DependencyTimeout,
        ErrorKind::IncorrectKeyMaterial => R::IncorrectKeyMaterial,
        ErrorKind::ExpiredImportToken => R::ExpiredImportToken,
        ErrorKind::InvalidImportToken => R::InvalidImportToken,
        ErrorKind::InvalidSignature => R::InvalidSignature,
        ErrorKind::InvalidMac => R::InvalidMac,
        ErrorKind::DryRunOperation => R::DryRunOperation,
        ErrorKind::Conflict => R::Conflict,
        ErrorKind::IncorrectRootKey => R::IncorrectRootKey,
        ErrorKind::CorruptStore => R::CorruptStore,
    }
}

/// The core kind of a code, if it is one.
fn kind_of(code: u32) -> Option<ErrorKind> {
    ErrorKind::ALL.into_iter().find(|kind| kind.code() == code)
}

/// The name of a C-interface code (or of a core kind: its AWS exception name).
const fn c_name(code: keystead_result) -> &'static CStr {
    match code {
        keystead_result::Ok => c"OK",
        keystead_result::InvalidArgument => c"InvalidArgument",
        keystead_result::NullParameter => c"NullParameter",
        keystead_result::BufferTooSmall => c"BufferTooSmall",
        keystead_result::Panic => c"Panic",
        keystead_result::AuditLogInvalid => c"AuditLogInvalid",
        _ => c"",
    }
}

/// An error on its way to C.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub(crate) code: keystead_result,
    name: &'static str,
    message: String,
}

impl FfiError {
    fn c_only(code: keystead_result, message: String) -> Self {
        let name = c_name(code).to_str().unwrap_or("");
        Self { code, name, message }
    }

    pub(crate) fn null(name: &str) -> Self {
        Self::c_only(keystead_result::NullParameter, format!("{name} must not be NULL"))
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::c_only(keystead_result::InvalidArgument, message.into())
    }

    pub(crate) fn buffer_too_small(needed: usize, capacity: usize) -> Self {
        Self::c_only(keystead_result::BufferTooSmall, format!("the buffer holds {capacity} bytes; {needed} are needed"))
    }

    pub(crate) fn audit_log_invalid(message: String) -> Self {
        Self::c_only(keystead_result::AuditLogInvalid, message)
    }

    pub(crate) fn panic() -> Self {
        Self::c_only(keystead_result::Panic, "a panic inside Keystead was caught at the C boundary (a bug)".into())
    }

    pub(crate) fn into_object(self) -> keystead_error {
        let clean = |text: &str| CString::new(text.replace('\0', "?")).unwrap_or_default();
        keystead_error { code: self.code, name: clean(self.name), message: clean(&self.message) }
    }
}

impl From<Error> for FfiError {
    fn from(err: Error) -> Self {
        Self { code: code_of(err.kind()), name: err.kind().exception_name(), message: err.message().to_owned() }
    }
}

/// An error: a `keystead_result` code, the AWS exception name and a human message.
///
/// Ownership: returned through `keystead_error **err_out`; the caller owns it and frees it with
/// `keystead_error_free`. Immutable: any thread may read it.
pub struct keystead_error {
    code: keystead_result,
    name: CString,
    message: CString,
}

/// The code of `err` (a `keystead_result` value).
///
/// NULL behaviour: NULL gives `KEYSTEAD_RESULT_OK`. Thread safety: any thread.
///
/// Ownership: returns a plain value; nothing to free.
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn keystead_error_code(err: *const keystead_error) -> keystead_result {
    ffi_or!(keystead_result::Ok, {
        // SAFETY: the caller's contract above.
        unsafe { err.as_ref() }.map_or(keystead_result::Ok, |e| e.code)
    })
}

/// The exception name of `err`: the AWS name for KMS errors (e.g. `"NotFoundException"`),
/// `"IncorrectRootKeyException"`/`"CorruptStoreException"` for Keystead's own, and
/// `"NullParameter"`, `"InvalidArgument"`, `"BufferTooSmall"`, `"Panic"` or `"AuditLogInvalid"` for
/// the codes of this interface.
///
/// Ownership: borrowed from `err`, valid until `keystead_error_free(err)`. NULL behaviour: NULL
/// gives `""`. Thread safety: any thread.
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn keystead_error_name(err: *const keystead_error) -> *const c_char {
    ffi_or!(c"".as_ptr(), {
        // SAFETY: the caller's contract above.
        unsafe { err.as_ref() }.map_or(c"".as_ptr(), |e| e.name.as_ptr())
    })
}

/// The human message of `err` (never contains key material or plaintext).
///
/// Ownership: borrowed from `err`, valid until `keystead_error_free(err)`. NULL behaviour: NULL
/// gives `""`. Thread safety: any thread.
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn keystead_error_message(err: *const keystead_error) -> *const c_char {
    ffi_or!(c"".as_ptr(), {
        // SAFETY: the caller's contract above.
        unsafe { err.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// Frees an error. NULL is a no-op; do not free the same error twice.
///
/// Thread safety: no other thread may use the object during or after the call.
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_error_free(err: *mut keystead_error) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { crate::boundary::free_box(err) }
    })
}

/// The name of any result code: the AWS exception name for KMS codes, the C name otherwise,
/// and `"Unknown"` for a value that is not a code (never an error).
///
/// Ownership: a static string; do not free. Thread safety: any thread.
/// NULL behaviour: takes no pointers; any value is accepted.
#[no_mangle]
pub extern "C" fn keystead_result_name(code: u32) -> *const c_char {
    ffi_or!(c"Unknown".as_ptr(), {
        if let Some(kind) = kind_of(code) {
            return exception_cstr(kind).as_ptr();
        }
        let c = match code {
            0 => keystead_result::Ok,
            1 => keystead_result::InvalidArgument,
            2 => keystead_result::NullParameter,
            3 => keystead_result::BufferTooSmall,
            4 => keystead_result::Panic,
            5 => keystead_result::AuditLogInvalid,
            _ => return c"Unknown".as_ptr(),
        };
        c_name(c).as_ptr()
    })
}

/// True when a call that failed with `code` may succeed if retried (`KMSInternalException`,
/// `KeyUnavailableException`, `DependencyTimeoutException`). Unknown values give false.
///
/// Thread safety: any thread.
/// Ownership: returns a plain value; nothing to free.
/// NULL behaviour: takes no pointers; any value is accepted.
#[no_mangle]
pub extern "C" fn keystead_result_is_retryable(code: u32) -> bool {
    ffi_or!(false, { kind_of(code).is_some_and(ErrorKind::is_retryable) })
}

/// Static NUL-terminated exception names, built once.
fn exception_cstr(kind: ErrorKind) -> &'static CStr {
    use std::sync::OnceLock;
    static NAMES: OnceLock<Vec<(ErrorKind, CString)>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        ErrorKind::ALL.into_iter().map(|k| (k, CString::new(k.exception_name()).unwrap_or_default())).collect()
    });
    names.iter().find(|(k, _)| *k == kind).map_or(c"Unknown", |(_, name)| name.as_c_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_keeps_its_core_code() {
        for kind in ErrorKind::ALL {
            assert_eq!(code_of(kind) as u32, kind.code(), "{kind:?}");
        }
    }

    #[test]
    fn a_panic_becomes_a_code() {
        let mut err: *mut keystead_error = std::ptr::null_mut();
        let code = crate::boundary::run(&mut err, || panic!("boom"));
        assert_eq!(code, keystead_result::Panic);
        // SAFETY: `err` was just set by `run`.
        unsafe {
            assert_eq!(keystead_error_code(err), keystead_result::Panic);
            keystead_error_free(err);
        }
    }
}
