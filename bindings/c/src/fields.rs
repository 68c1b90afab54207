//! Field-level encryption of records given as JSON text (`docs/format.md` section 7): chosen
//! top-level fields encrypted under one data key per record, each bound to its name, the record
//! and the encryption context.

use std::os::raw::c_char;

use keystead_core::envelope::{self, OpenOptions, SealOptions};

use crate::boundary::{arg_ref, arg_str, out};
use crate::bytes::{keystead_bytes, put_secret};
use crate::crypto::keystead_context;
use crate::envelope::arg_str_array;
use crate::error::{keystead_error, keystead_result, FfiError};
use crate::store::keystead_store;

fn parse_record(text: &str) -> Result<serde_json::Value, FfiError> {
    serde_json::from_str(text).map_err(|e| FfiError::invalid_argument(format!("record_json is not JSON: {e}")))
}

fn record_text(record: &serde_json::Value) -> Result<keystead_core::SecretBytes, FfiError> {
    serde_json::to_vec(record)
        .map(keystead_core::SecretBytes::new)
        .map_err(|e| FfiError::from(keystead_core::Error::new(keystead_core::ErrorKind::Internal, e.to_string())))
}

/// Encrypts the fields named in `fields` (top-level names) of the JSON object `record_json`
/// under a fresh data key from `key_id` (also wrapped under each of `additional_key_ids`) and
/// returns the encrypted record as JSON text in `*record_out`: those fields replaced by
/// ciphertext strings and a `"keystead:fields"` field added. Any JSON value can be encrypted.
///
/// Errors: `INVALID_ARGUMENT` if `record_json` is not JSON; `VALIDATION` if it is not an object,
/// a field is missing, repeated or reserved, or no / more than 255 fields are named; the KMS
/// errors of GenerateDataKey / Encrypt. Ownership: `*record_out` is owned by the caller and
/// zeroized by `keystead_bytes_free`. NULL behaviour: `store`, `key_id`, `record_json`,
/// `fields`, `record_out` must not be NULL; `context` may be NULL (empty);
/// `additional_key_ids` only with count 0. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; arrays have the given lengths.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_encrypt_fields(
    store: *const keystead_store,
    key_id: *const c_char,
    record_json: *const c_char,
    fields: *const *const c_char,
    fields_len: usize,
    context: *const keystead_context,
    additional_key_ids: *const *const c_char,
    additional_key_ids_len: usize,
    record_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(record_out, "record_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let record = parse_record(unsafe { arg_str(record_json, "record_json") }?)?;
        if fields.is_null() {
            return Err(FfiError::null("fields"));
        }
        // SAFETY: as above.
        let fields = unsafe { arg_str_array(fields, fields_len, "fields") }?;
        // SAFETY: as above.
        let additional = unsafe { arg_str_array(additional_key_ids, additional_key_ids_len, "additional_key_ids") }?;
        // SAFETY: as above.
        let context = unsafe { context.as_ref() }.map(|c| c.map.clone()).unwrap_or_default();
        let options = SealOptions { additional_key_ids: additional, ..SealOptions::default() };
        let sealed = envelope::encrypt_fields(&store.inner, key_id, &record, &fields, &context, &options)?;
        put_secret(out, record_text(&sealed)?);
        Ok(())
    })
}

/// Decrypts a record made by `keystead_envelope_encrypt_fields` (JSON text) and returns the
/// original record as JSON text in `*record_out` (fields restored, `"keystead:fields"` removed).
/// `allowed_wrapping_keys` and `max_encrypted_data_keys` (0 for the default, 8) as in
/// `keystead_envelope_open`.
///
/// Errors: `INVALID_CIPHERTEXT` for a damaged, moved or missing field, a damaged header, another
/// context or no allowed key; `VALIDATION` if the record has no `"keystead:fields"`;
/// `INVALID_ARGUMENT` if `record_json` is not JSON; `DISABLED` / `INVALID_STATE`. Ownership:
/// `*record_out` is owned by the caller and zeroized by `keystead_bytes_free`. NULL behaviour:
/// `store`, `record_json`, `record_out` must not be NULL; `context` may be NULL (empty);
/// `allowed_wrapping_keys` only with count 0. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; arrays have the given lengths.
#[no_mangle]
pub unsafe extern "C" fn keystead_envelope_decrypt_fields(
    store: *const keystead_store,
    record_json: *const c_char,
    context: *const keystead_context,
    allowed_wrapping_keys: *const *const c_char,
    allowed_wrapping_keys_len: usize,
    max_encrypted_data_keys: usize,
    record_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(record_out, "record_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let record = parse_record(unsafe { arg_str(record_json, "record_json") }?)?;
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
        let opened = envelope::decrypt_fields(&store.inner, &record, &context, &options)?;
        put_secret(out, record_text(&opened)?);
        Ok(())
    })
}
