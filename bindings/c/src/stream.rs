//! Streaming envelope encryption: a sealing context (`keystead_envelope_writer_*`) and an
//! opening context (`keystead_envelope_reader_*`), each `new` / `update` / `finish` / `free`,
//! for data that does not fit in memory or arrives in pieces (files, sockets, S3 parts). The
//! messages are the same as `keystead_envelope_seal` / `keystead_envelope_open` make and read.

use std::os::raw::c_char;

use keystead_core::envelope::{OpenOptions, OpenStream, SealOptions, SealStream};

use crate::boundary::{arg_bytes, arg_mut, arg_ref, arg_str, check_chars, free_box, out, KEY_ID_CHARS};
use crate::bytes::{keystead_bytes, put, put_secret};
use crate::crypto::keystead_context;
use crate::envelope::arg_str_array;
use crate::error::{keystead_error, keystead_result};
use crate::store::keystead_store;

/// A sealing context: plaintext in, message bytes out. Create with
/// `keystead_envelope_writer_new`, free with `keystead_envelope_writer_free`. Not thread-safe:
/// use one context from one thread at a time (it may move between threads).
pub struct keystead_envelope_writer {
    inner: SealStream,
}

/// An opening context: message bytes in, verified plaintext out. Create with
/// `keystead_envelope_reader_new`, free with `keystead_envelope_reader_free`. Not thread-safe:
/// use one context from one thread at a time (it may move between threads).
pub struct keystead_envelope_reader {
    inner: OpenStream,
}

/// Starts sealing one message: a data key generated under `key_id` (and wrapped also under each
/// of `additional_key_ids`), segments of `segment_size` plaintext bytes (0 for the default,
/// 1 MiB; an S3 multipart part size minus 16 aligns segments with parts), bound to `context`.
/// Then call `keystead_envelope_writer_update` for each piece of plaintext and
/// `keystead_envelope_writer_finish` once; the message is the concatenation of their outputs.
/// Memory: about one segment.
///
/// Errors: as `keystead_envelope_seal`. Ownership: `*writer_out` is owned by the caller (free it
/// with `keystead_envelope_writer_free`, also after `finish`). NULL behaviour: `store`, `key_id`,
/// `writer_out` must not be NULL; `context` may be NULL (empty); `additional_key_ids` only with
/// count 0. The writer does not keep `store` or `context`. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; arrays have the given lengths.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_writer_new(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    additional_key_ids: *const *const c_char,
    additional_key_ids_len: usize,
    segment_size: usize,
    writer_out: *mut *mut keystead_envelope_writer,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(writer_out, "writer_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let additional = unsafe { arg_str_array(additional_key_ids, additional_key_ids_len, "additional_key_ids") }?;
        // SAFETY: as above.
        let context = unsafe { context.as_ref() }.map(|c| c.map.clone()).unwrap_or_default();
        let mut options = SealOptions { additional_key_ids: additional, ..SealOptions::default() };
        if segment_size != 0 {
            options.segment_size = segment_size;
        }
        let inner = SealStream::new(&store.inner, key_id, &context, &options)?;
        out.set(keystead_envelope_writer { inner });
        Ok(())
    })
}

/// Seals the next `plaintext_len` bytes and returns in `*message_out` the message bytes ready so
/// far (the header on the first call, then whole segments; often empty). Write them out in
/// order.
///
/// Errors: `VALIDATION` after `finish` or an earlier failure, `INTERNAL`. Ownership:
/// `*message_out` is owned by the caller. NULL behaviour: `writer`, `message_out` must not be
/// NULL; `plaintext` only with length 0. Thread safety: not thread-safe for one writer.
///
/// # Safety
/// Pointers are NULL or valid as described; `writer` is not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_writer_update(
    writer: *mut keystead_envelope_writer,
    plaintext: *const u8,
    plaintext_len: usize,
    message_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(message_out, "message_out") }?;
        // SAFETY: as above.
        let writer = unsafe { arg_mut(writer, "writer") }?;
        // SAFETY: as above.
        let plaintext = unsafe { arg_bytes(plaintext, plaintext_len, "plaintext") }?;
        let bytes = writer.inner.update(plaintext)?;
        put(out, &bytes);
        Ok(())
    })
}

/// Seals the last segment and returns the rest of the message in `*message_out`. Afterwards
/// `update` and `finish` fail with `VALIDATION`; the writer must still be freed. A writer freed
/// without `finish` leaves a message every reader refuses as truncated.
///
/// Errors, ownership, NULL behaviour, thread safety: as `keystead_envelope_writer_update`.
///
/// # Safety
/// Pointers are NULL or valid as described; `writer` is not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_writer_finish(
    writer: *mut keystead_envelope_writer,
    message_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument read below).
        let out = unsafe { out(message_out, "message_out") }?;
        // SAFETY: as above.
        let writer = unsafe { arg_mut(writer, "writer") }?;
        let bytes = writer.inner.finish()?;
        put(out, &bytes);
        Ok(())
    })
}

/// Frees a writer (its buffered plaintext is zeroized). NULL is a no-op.
///
/// Thread safety: not while another thread uses `writer`.
///
/// # Safety
/// `writer` is NULL or came from `keystead_envelope_writer_new` and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_writer_free(writer: *mut keystead_envelope_writer) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(writer) }
    })
}

/// Starts opening one message. Feed its bytes in order with `keystead_envelope_reader_update`
/// (pieces of any size), then call `keystead_envelope_reader_finish` once. The header is read
/// and the data key unwrapped as soon as the header has arrived; each segment's plaintext is
/// returned only after its tag verifies, and the last one only by `finish` (only the end of the
/// input tells that a segment is the last). Memory: about two segments plus the header.
///
/// `context`: must equal the sealing context (NULL for empty). `allowed_wrapping_keys`: when
/// `allowed_wrapping_keys_len` > 0, only data keys wrapped by these keys are unwrapped.
/// `max_encrypted_data_keys`: 1–255, 0 for the default (8). Errors: `VALIDATION` for bad options.
/// Ownership: `*reader_out` is owned by the caller (free it with
/// `keystead_envelope_reader_free`). NULL behaviour: `store`, `reader_out` must not be NULL;
/// `allowed_wrapping_keys` only with count 0. The reader keeps its own handle on the store (the
/// caller may free `store` and `context` afterwards). Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; arrays have the given lengths.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_reader_new(
    store: *const keystead_store,
    context: *const keystead_context,
    allowed_wrapping_keys: *const *const c_char,
    allowed_wrapping_keys_len: usize,
    max_encrypted_data_keys: usize,
    reader_out: *mut *mut keystead_envelope_reader,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(reader_out, "reader_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let allowed =
            unsafe { arg_str_array(allowed_wrapping_keys, allowed_wrapping_keys_len, "allowed_wrapping_keys") }?;
        for key_id in &allowed {
            check_chars(key_id, "allowed_wrapping_keys", &KEY_ID_CHARS)?;
        }
        // SAFETY: as above.
        let context = unsafe { context.as_ref() }.map(|c| c.map.clone()).unwrap_or_default();
        let mut options = OpenOptions::default();
        if !allowed.is_empty() {
            options.allowed_wrapping_keys = Some(allowed);
        }
        if max_encrypted_data_keys != 0 {
            options.max_encrypted_data_keys = max_encrypted_data_keys;
        }
        let inner = OpenStream::new(&store.inner, &context, &options)?;
        out.set(keystead_envelope_reader { inner });
        Ok(())
    })
}

/// Takes the next `message_len` bytes of the message and returns in `*plaintext_out` the
/// verified plaintext they complete (often empty).
///
/// Errors: `INVALID_CIPHERTEXT` for a damaged message, other context or no allowed key (and on
/// every later call), `DISABLED` / `INVALID_STATE` for the wrapping key, `VALIDATION` after
/// `finish`. Ownership: `*plaintext_out` is owned by the caller and zeroized by
/// `keystead_bytes_free`. NULL behaviour: `reader`, `plaintext_out` must not be NULL; `message`
/// only with length 0. Thread safety: not thread-safe for one reader.
///
/// # Safety
/// Pointers are NULL or valid as described; `reader` is not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_reader_update(
    reader: *mut keystead_envelope_reader,
    message: *const u8,
    message_len: usize,
    plaintext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(plaintext_out, "plaintext_out") }?;
        // SAFETY: as above.
        let reader = unsafe { arg_mut(reader, "reader") }?;
        // SAFETY: as above.
        let message = unsafe { arg_bytes(message, message_len, "message") }?;
        let plaintext = reader.inner.update(message)?;
        put_secret(out, plaintext);
        Ok(())
    })
}

/// Ends the message: verifies the last segment and returns its plaintext in `*plaintext_out`.
/// Only a successful `finish` proves the message complete: a message cut short (inside the
/// header, or without its last segment) fails here with `INVALID_CIPHERTEXT`, so treat the
/// plaintext of earlier `update` calls as provisional until then.
///
/// Errors, ownership, NULL behaviour, thread safety: as `keystead_envelope_reader_update`.
///
/// # Safety
/// Pointers are NULL or valid as described; `reader` is not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_reader_finish(
    reader: *mut keystead_envelope_reader,
    plaintext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument read below).
        let out = unsafe { out(plaintext_out, "plaintext_out") }?;
        // SAFETY: as above.
        let reader = unsafe { arg_mut(reader, "reader") }?;
        let plaintext = reader.inner.finish()?;
        put_secret(out, plaintext);
        Ok(())
    })
}

/// Frees a reader (plaintext it held is zeroized). NULL is a no-op.
///
/// Thread safety: not while another thread uses `reader`.
///
/// # Safety
/// `reader` is NULL or came from `keystead_envelope_reader_new` and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_reader_free(reader: *mut keystead_envelope_reader) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(reader) }
    })
}
