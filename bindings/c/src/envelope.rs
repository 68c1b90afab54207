//! Envelope encryption of messages of any size (Keystead's message format, `docs/format.md`).

use std::os::raw::c_char;

use keystead_core::envelope::{self, OpenOptions, SealOptions};

use crate::boundary::{arg_bytes, arg_ref, arg_str, out};
use crate::bytes::{keystead_bytes, put, put_secret};
use crate::crypto::keystead_context;
use crate::error::{keystead_error, keystead_result, FfiError};
use crate::store::keystead_store;

/// Reads `(const char *const *items, size_t len)`: NULL allowed only with `len == 0`.
///
/// # Safety
/// `items` is NULL or has `len` readable pointers, each NULL or NUL-terminated.
pub(crate) unsafe fn arg_str_array(
    items: *const *const c_char,
    len: usize,
    name: &str,
) -> Result<Vec<String>, FfiError> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if items.is_null() {
        return Err(FfiError::null(name));
    }
    if len > isize::MAX as usize / size_of::<*const c_char>() {
        return Err(FfiError::invalid_argument(format!("{name} length is too large")));
    }
    // SAFETY: non-NULL with `len` readable pointers by the caller's contract.
    let pointers = unsafe { std::slice::from_raw_parts(items, len) };
    let mut out = Vec::with_capacity(len);
    for &pointer in pointers {
        // SAFETY: each element is NULL or NUL-terminated by the caller's contract.
        out.push(unsafe { arg_str(pointer, name) }?.to_owned());
    }
    Ok(out)
}

/// Seals `plaintext` (any size) into one message: a data key generated under `key_id` (and
/// wrapped also under each of `additional_key_ids`, so any of them can open it), AES-256-GCM
/// segments of `segment_size` bytes (0 for the default, 1 MiB), bound to `context`.
/// Large inputs are sealed on several threads.
///
/// Errors: `VALIDATION` (bad segment size, too large context), and the KMS errors of
/// GenerateDataKey/Encrypt for the keys (`NOT_FOUND`, `DISABLED`, ...). Ownership: `*message_out`
/// is owned by the caller. NULL behaviour: `store`, `key_id`, `message_out` must not be NULL;
/// `plaintext` only with length 0; `context` may be NULL (empty); `additional_key_ids` only with
/// count 0. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; arrays and buffers have the given lengths.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_seal(
    store: *const keystead_store,
    key_id: *const c_char,
    plaintext: *const u8,
    plaintext_len: usize,
    context: *const keystead_context,
    additional_key_ids: *const *const c_char,
    additional_key_ids_len: usize,
    segment_size: usize,
    message_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(message_out, "message_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let plaintext = unsafe { arg_bytes(plaintext, plaintext_len, "plaintext") }?;
        // SAFETY: as above.
        let additional = unsafe { arg_str_array(additional_key_ids, additional_key_ids_len, "additional_key_ids") }?;
        // SAFETY: as above.
        let context = unsafe { context.as_ref() }.map(|c| c.map.clone()).unwrap_or_default();
        let mut options = SealOptions { additional_key_ids: additional, ..SealOptions::default() };
        if segment_size != 0 {
            options.segment_size = segment_size;
        }
        let message = envelope::seal(&store.inner, key_id, plaintext, &context, &options)?;
        put(out, &message);
        Ok(())
    })
}

/// Opens a message made by `keystead_envelope_seal` (or the core's streaming writer) and returns
/// its plaintext, all of it verified.
///
/// `context`: must equal the sealing context (NULL for empty). `allowed_wrapping_keys`: when
/// `allowed_wrapping_keys_len` > 0, only data keys wrapped by these keys are unwrapped.
/// `max_encrypted_data_keys`: messages with more wrapped data keys are refused (1–255; 0 for the
/// default, 8). Errors: `INVALID_CIPHERTEXT` (damaged, truncated or forged message, other
/// context, no allowed key), `VALIDATION`, `DISABLED`, `INVALID_STATE`. Ownership:
/// `*plaintext_out` is owned by the caller and zeroized by `keystead_bytes_free`. NULL behaviour:
/// `store`, `plaintext_out` must not be NULL; `message` only with length 0;
/// `allowed_wrapping_keys` only with count 0. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; arrays and buffers have the given lengths.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_open(
    store: *const keystead_store,
    message: *const u8,
    message_len: usize,
    context: *const keystead_context,
    allowed_wrapping_keys: *const *const c_char,
    allowed_wrapping_keys_len: usize,
    max_encrypted_data_keys: usize,
    plaintext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(plaintext_out, "plaintext_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let message = unsafe { arg_bytes(message, message_len, "message") }?;
        // SAFETY: as above.
        let allowed =
            unsafe { arg_str_array(allowed_wrapping_keys, allowed_wrapping_keys_len, "allowed_wrapping_keys") }?;
        // SAFETY: as above.
        let context = unsafe { context.as_ref() }.map(|c| c.map.clone()).unwrap_or_default();
        let mut options = OpenOptions::default();
        if !allowed.is_empty() {
            options.allowed_wrapping_keys = Some(allowed);
        }
        if max_encrypted_data_keys != 0 {
            options.max_encrypted_data_keys = max_encrypted_data_keys;
        }
        let plaintext = envelope::open(&store.inner, message, &context, &options)?;
        put_secret(out, plaintext);
        Ok(())
    })
}
