//! `keystead_bytes`: the one output type for bytes, strings and JSON.

use keystead_core::SecretBytes;

use crate::boundary::{arg_ref, free_box};
use crate::error::{keystead_error, keystead_result, FfiError};

/// A library-allocated byte buffer: ciphertexts, plaintexts, data keys, key ids and JSON text.
///
/// The bytes are always followed by one NUL byte that `keystead_bytes_len` does not count, so
/// text results (key ids, ARNs, JSON) can be used as C strings directly.
///
/// Ownership: returned through a `keystead_bytes **` output; the caller owns it and frees it
/// with `keystead_bytes_free`, which zeroizes the memory. Immutable: any thread may read it.
pub struct keystead_bytes {
    /// The bytes and the trailing NUL.
    buf: SecretBytes,
}

impl keystead_bytes {
    /// A copy of `bytes`, with the trailing NUL.
    pub(crate) fn copy(bytes: &[u8]) -> Self {
        let mut buf = Vec::with_capacity(bytes.len() + 1);
        buf.extend_from_slice(bytes);
        buf.push(0);
        Self { buf: SecretBytes::new(buf) }
    }

    /// The content without the trailing NUL.
    fn content(&self) -> &[u8] {
        let all = self.buf.expose();
        &all[..all.len().saturating_sub(1)]
    }
}

/// A pointer to the bytes of `bytes` (followed by a NUL byte not counted in the length).
///
/// Ownership: borrowed, valid until `keystead_bytes_free(bytes)`. NULL behaviour: NULL gives
/// NULL. Thread safety: any thread.
///
/// # Safety
/// `bytes` is NULL or a live `keystead_bytes` from this library.
#[no_mangle]
pub unsafe extern "C" fn keystead_bytes_data(bytes: *const keystead_bytes) -> *const u8 {
    ffi_or!(std::ptr::null(), {
        // SAFETY: the caller's contract above.
        unsafe { bytes.as_ref() }.map_or(std::ptr::null(), |b| b.buf.expose().as_ptr())
    })
}

/// The number of bytes in `bytes` (not counting the trailing NUL).
///
/// NULL behaviour: NULL gives 0. Thread safety: any thread.
///
/// Ownership: returns a plain value; nothing to free.
///
/// # Safety
/// `bytes` is NULL or a live `keystead_bytes` from this library.
#[no_mangle]
pub unsafe extern "C" fn keystead_bytes_len(bytes: *const keystead_bytes) -> usize {
    ffi_or!(0, {
        // SAFETY: the caller's contract above.
        unsafe { bytes.as_ref() }.map_or(0, |b| b.content().len())
    })
}

/// Copies the content of `bytes` into the caller's buffer `out` of `out_cap` bytes and writes
/// the content length to `*out_len`.
///
/// When `out_cap` is too small, returns `KEYSTEAD_RESULT_BUFFER_TOO_SMALL`, writes the needed
/// size to `*out_len` and writes nothing to `out`. `out` may be NULL only when `out_cap` is 0
/// (a size query). Ownership: nothing changes hands. NULL behaviour: `bytes` and `out_len` must
/// not be NULL (`KEYSTEAD_RESULT_NULL_PARAMETER`). Thread safety: any thread.
///
/// # Safety
/// `bytes` is NULL or live; `out` is NULL or points to `out_cap` writable bytes; `out_len` is NULL
/// or writable; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_bytes_copy(
    bytes: *const keystead_bytes,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let bytes = unsafe { arg_ref(bytes, "bytes") }?;
        if out_len.is_null() {
            return Err(FfiError::null("out_len"));
        }
        let content = bytes.content();
        // SAFETY: `out_len` is non-NULL and writable by the caller's contract.
        unsafe { out_len.write(content.len()) };
        if content.len() > out_cap {
            return Err(FfiError::buffer_too_small(content.len(), out_cap));
        }
        if content.is_empty() {
            return Ok(());
        }
        if out.is_null() {
            return Err(FfiError::null("out"));
        }
        // SAFETY: `out` holds `out_cap >= content.len()` writable bytes that cannot overlap a
        // buffer this library owns.
        unsafe { std::ptr::copy_nonoverlapping(content.as_ptr(), out, content.len()) };
        Ok(())
    })
}

/// Zeroizes and frees `bytes`. NULL is a no-op; do not free the same buffer twice.
///
/// Thread safety: no other thread may use the object during or after the call.
///
/// # Safety
/// `bytes` is NULL or a `keystead_bytes` from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_bytes_free(bytes: *mut keystead_bytes) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(bytes) }
    })
}

/// Stores a text or byte result into an output.
pub(crate) fn put(out: crate::boundary::Out<keystead_bytes>, bytes: &[u8]) {
    out.set(keystead_bytes::copy(bytes));
}

/// Stores a secret result into an output (the source is zeroized when dropped).
pub(crate) fn put_secret(out: crate::boundary::Out<keystead_bytes>, secret: SecretBytes) {
    out.set(keystead_bytes::copy(secret.expose()));
}
