//! The one panic and NULL boundary every exported function goes through, and the helpers that
//! turn C pointers into Rust references. All pointer reads of this crate live here or carry
//! their own `// SAFETY:` comment.

use std::ffi::CStr;
use std::ops::RangeInclusive;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use keystead_core::{Error, ErrorKind};

use crate::error::{keystead_error, keystead_result, FfiError};

/// Runs `body` for an exported function that returns a `keystead_result`: catches any panic
/// (`KEYSTEAD_RESULT_PANIC`) and stores the error in `err_out` when the caller asked for it.
pub(crate) fn run(err_out: *mut *mut keystead_error, body: impl FnOnce() -> Result<(), FfiError>) -> keystead_result {
    let outcome = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(outcome) => outcome,
        Err(_) => Err(FfiError::panic()),
    };
    let (code, error) = match outcome {
        Ok(()) => (keystead_result::Ok, std::ptr::null_mut()),
        Err(err) => (err.code, Box::into_raw(Box::new(err.into_object()))),
    };
    if err_out.is_null() {
        if !error.is_null() {
            // SAFETY: `error` came from `Box::into_raw` just above and was not shared.
            drop(unsafe { Box::from_raw(error) });
        }
    } else {
        // SAFETY: the caller promises that a non-NULL `err_out` points to writable storage
        // for one pointer (documented on every function).
        unsafe { err_out.write(error) };
    }
    code
}

/// Runs `body` for an exported function that returns a plain value (an accessor): a panic
/// yields `default`.
pub(crate) fn run_or<T>(default: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(default)
}

/// The boundary of every fallible export: `ffi!(err_out, { ...; Ok(()) })`.
macro_rules! ffi {
    ($err_out:expr, $body:block) => {
        $crate::boundary::run($err_out, move || -> ::std::result::Result<(), $crate::error::FfiError> { $body })
    };
}

/// The boundary of every infallible export (accessors, `_free`): `ffi_or!(default, { ... })`.
macro_rules! ffi_or {
    ($default:expr, $body:block) => {
        $crate::boundary::run_or($default, move || $body)
    };
}

/// A shared reference from a `const T *` argument.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that stays valid and unmutated for `'a`.
pub(crate) unsafe fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, FfiError> {
    // SAFETY: the caller's contract above.
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::null(name))
}

/// An exclusive reference from a `T *` argument.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nothing else uses for `'a`.
pub(crate) unsafe fn arg_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, FfiError> {
    // SAFETY: the caller's contract above.
    unsafe { ptr.as_mut() }.ok_or_else(|| FfiError::null(name))
}

/// A UTF-8 string from a required `const char *` argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map_err(|_| FfiError::invalid_argument(format!("{name} is not valid UTF-8")))
}

/// AWS's length limit of a key id or key ARN (`KeyId`), in characters.
pub(crate) const KEY_ID_CHARS: RangeInclusive<usize> = 1..=2048;

/// The longest path Linux accepts (`PATH_MAX`, with its NUL).
const PATH_MAX_BYTES: usize = 4096;

/// Checks the length of a string argument against AWS's limits for its field (in characters,
/// as AWS counts): a `ValidationException` from the call where the mistake was made (a setter),
/// not from the later call that uses the value.
pub(crate) fn check_chars(text: &str, name: &str, chars: &RangeInclusive<usize>) -> Result<(), FfiError> {
    let len = text.chars().count();
    if chars.contains(&len) {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Validation,
        format!("{name} must be {} to {} characters long; got {len}", chars.start(), chars.end()),
    )
    .into())
}

/// A UTF-8 string from a required `const char *` argument, of a length within `chars`
/// (see [`check_chars`]).
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_text<'a>(
    ptr: *const c_char,
    name: &str,
    chars: RangeInclusive<usize>,
) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded contract.
    let text = unsafe { arg_str(ptr, name) }?;
    check_chars(text, name, &chars)?;
    Ok(text)
}

/// A UTF-8 string from an optional `const char *` argument (NULL = not given).
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { arg_str(ptr, name) }.map(Some)
    }
}

/// A filesystem path from a required `const char *` argument: any bytes but NUL (Unix paths
/// need not be UTF-8), 1 to 4095 of them (`VALIDATION` otherwise).
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn arg_path<'a>(ptr: *const c_char, name: &str) -> Result<&'a std::path::Path, FfiError> {
    use std::os::unix::ffi::OsStrExt;
    if ptr.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    // Checked here, before the filesystem is touched: the OS would refuse both, and its error
    // would come back as an internal one.
    if bytes.is_empty() || bytes.len() >= PATH_MAX_BYTES {
        return Err(Error::new(
            ErrorKind::Validation,
            format!("{name} must be a path of 1 to {} bytes; got {}", PATH_MAX_BYTES - 1, bytes.len()),
        )
        .into());
    }
    Ok(std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)))
}

/// A byte slice from `(const uint8_t *ptr, size_t len)`; NULL is allowed only with `len == 0`.
///
/// # Safety
/// When `len > 0`, `ptr` points to `len` readable bytes valid for `'a`.
pub(crate) unsafe fn arg_bytes<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8], FfiError> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(FfiError::null(name));
    }
    if len > isize::MAX as usize {
        return Err(FfiError::invalid_argument(format!("{name} length is too large")));
    }
    // SAFETY: non-NULL, `len` readable bytes by the caller's contract, len ≤ isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An output parameter `T **out`: checked for NULL and set to NULL at once, written on success.
pub(crate) struct Out<T>(*mut *mut T);

impl<T> Out<T> {
    /// Stores `value` (the caller now owns it).
    pub(crate) fn set(self, value: T) {
        let raw = Box::into_raw(Box::new(value));
        // SAFETY: `self.0` was checked non-NULL and writable when this `Out` was made.
        unsafe { self.0.write(raw) };
    }
}

/// A required output parameter.
///
/// # Safety
/// `ptr` is NULL or points to writable storage for one pointer.
pub(crate) unsafe fn out<T>(ptr: *mut *mut T, name: &str) -> Result<Out<T>, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: non-NULL and writable by the caller's contract.
    unsafe { ptr.write(std::ptr::null_mut()) };
    Ok(Out(ptr))
}

/// An optional output parameter (NULL = the caller does not want it).
///
/// # Safety
/// As [`out`].
pub(crate) unsafe fn opt_out<T>(ptr: *mut *mut T, name: &str) -> Result<Option<Out<T>>, FfiError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { out(ptr, name) }.map(Some)
    }
}

/// Frees a `Box` handed to C, accepting NULL.
///
/// # Safety
/// `ptr` is NULL or came from this library as a `Box<T>` and is not used afterwards.
pub(crate) unsafe fn free_box<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the caller's contract above.
        drop(unsafe { Box::from_raw(ptr) });
    }
}
