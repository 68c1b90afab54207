//! Configuration secrets (`keystead:v1:...` values for environment variables,
//! `docs/format.md` section 6).

use std::os::raw::c_char;

use keystead_core::envelope::{self, OpenOptions};
use keystead_core::SecretBytes;

use crate::boundary::{arg_bytes, arg_ref, arg_str, out};
use crate::bytes::{keystead_bytes, put, put_secret};
use crate::crypto::keystead_context;
use crate::error::{keystead_error, keystead_result, FfiError};
use crate::store::keystead_store;

/// Encrypts `value` for the environment variable `name` under `key_id` and returns the text
/// `keystead:v1:...` (NUL-terminated, no newline) in `*text_out`. The value decrypts only for
/// that variable name and `context`.
///
/// Errors: `VALIDATION` for an empty or over 4096-byte value, an empty name or one with `=`, a
/// context using the reserved key `keystead:variable`; the KMS errors of GenerateDataKey.
/// Ownership: `*text_out` is owned by the caller. NULL behaviour: `store`, `key_id`, `name`,
/// `text_out` must not be NULL; `value` only with length 0 (then `VALIDATION`); `context` may be
/// NULL (empty). Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; `value` has `value_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn keystead_secret_encrypt(
    store: *const keystead_store,
    key_id: *const c_char,
    name: *const c_char,
    value: *const u8,
    value_len: usize,
    context: *const keystead_context,
    text_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(text_out, "text_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let name = unsafe { arg_str(name, "name") }?;
        // SAFETY: as above.
        let value = unsafe { arg_bytes(value, value_len, "value") }?;
        // SAFETY: as above.
        let context = unsafe { context.as_ref() }.map(|c| c.map.clone()).unwrap_or_default();
        let text = envelope::encrypt_secret(&store.inner, key_id, name, value, &context)?;
        put(out, text.as_bytes());
        Ok(())
    })
}

/// Decrypts a `keystead:v1:...` value made for the environment variable `name` and returns the
/// secret in `*plaintext_out`.
///
/// Errors: `VALIDATION` if `text` is not a version-1 Keystead secret; `INVALID_CIPHERTEXT` if it
/// does not decrypt (damaged, other variable, other context); `DISABLED` / `INVALID_STATE`.
/// Ownership: `*plaintext_out` is owned by the caller and zeroized by `keystead_bytes_free`.
/// NULL behaviour: `store`, `name`, `text`, `plaintext_out` must not be NULL; `context` may be
/// NULL (empty). Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_secret_decrypt(
    store: *const keystead_store,
    name: *const c_char,
    text: *const c_char,
    context: *const keystead_context,
    plaintext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(plaintext_out, "plaintext_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let name = unsafe { arg_str(name, "name") }?;
        // SAFETY: as above.
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: as above.
        let context = unsafe { context.as_ref() }.map(|c| c.map.clone()).unwrap_or_default();
        let plaintext = envelope::decrypt_secret(&store.inner, name, text, &context, &OpenOptions::default())?;
        put_secret(out, plaintext);
        Ok(())
    })
}

/// Decrypts every variable of this process's environment that holds a Keystead secret
/// (`keystead:v...`) and returns them as a JSON object `{"NAME": "plaintext", ...}` in
/// `*json_out` (`{}` when there are none); the other variables are not included. The library
/// does not change the environment (`setenv` is not thread-safe): set the values yourself at
/// start-up, before starting threads.
///
/// Errors: the first secret that does not decrypt fails the call, with a message naming the
/// variable (never its value): `INVALID_CIPHERTEXT`, `VALIDATION` (unknown version),
/// `DISABLED` / `INVALID_STATE`; `INVALID_ARGUMENT` if a decrypted secret is not UTF-8.
/// Ownership: `*json_out` is owned by the caller and zeroized by `keystead_bytes_free`. NULL
/// behaviour: `store`, `json_out` must not be NULL; `context` may be NULL (empty). Thread
/// safety: thread-safe, but reads the environment (as `getenv`).
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_secret_decrypt_env(
    store: *const keystead_store,
    context: *const keystead_context,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let context = unsafe { context.as_ref() }.map(|c| c.map.clone()).unwrap_or_default();
        // Variables whose names or values are not UTF-8 cannot hold a secret.
        let vars = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        let opened = envelope::decrypt_env(&store.inner, vars, &context, &OpenOptions::default())?;
        // Written straight into one buffer reserved up front (no reallocation leaves copies of
        // the secrets behind) that is zeroized when freed.
        let room = opened.iter().map(|(name, secret)| name.len() + 6 * secret.len() + 8).sum::<usize>() + 2;
        let mut json = Vec::with_capacity(room);
        json.push(b'{');
        for (i, (name, plaintext)) in opened.iter().enumerate() {
            let text = std::str::from_utf8(plaintext.expose())
                .map_err(|_| FfiError::invalid_argument(format!("The secret of {name} is not UTF-8 text")))?;
            if i > 0 {
                json.push(b',');
            }
            let written = serde_json::to_writer(&mut json, name).and_then(|()| {
                json.push(b':');
                serde_json::to_writer(&mut json, text)
            });
            written.map_err(|e| FfiError::invalid_argument(e.to_string()))?;
        }
        json.push(b'}');
        put_secret(out, SecretBytes::new(json));
        Ok(())
    })
}
