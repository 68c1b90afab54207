//! Access keys (the credentials a Keystead server checks SigV4 signatures against).

use std::os::raw::c_char;

use crate::boundary::{arg_bytes, arg_ref, arg_str, opt_out, out};
use crate::bytes::{keystead_bytes, put, put_secret};
use crate::error::{keystead_error, keystead_result};
use crate::json;
use crate::store::keystead_store;

/// Creates an access key for `principal` (an ARN such as
/// `arn:aws:iam::111122223333:role/checkout`). The secret is returned only here.
///
/// Errors: `VALIDATION` (malformed principal). Ownership: `*access_key_id_out` (`AKIA...`) and
/// `*secret_access_key_out` (40 characters, zeroized by `keystead_bytes_free`) are owned by the
/// caller. NULL behaviour: no pointer may be NULL except `err_out`. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_create_access_key(
    store: *const keystead_store,
    principal: *const c_char,
    access_key_id_out: *mut *mut keystead_bytes,
    secret_access_key_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let id_out = unsafe { out(access_key_id_out, "access_key_id_out") }?;
        // SAFETY: as above.
        let secret_out = unsafe { out(secret_access_key_out, "secret_access_key_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let principal = unsafe { arg_str(principal, "principal") }?;
        let key = store.inner.create_access_key(principal)?;
        put(id_out, key.access_key_id.as_bytes());
        put_secret(secret_out, key.secret_access_key);
        Ok(())
    })
}

/// Adds an existing access key id and secret for `principal` (to accept a client's current
/// configuration).
///
/// Errors: `ALREADY_EXISTS`, `VALIDATION`. Ownership: `*json_out` (`{"AccessKeyId", "Principal",
/// "CreateDate"}`) is owned by the caller. NULL behaviour: `store`, `access_key_id`, `principal`
/// must not be NULL; `secret_access_key` only with length 0; `json_out` may be NULL when not
/// wanted. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; `secret_access_key` has the given readable length.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_add_access_key(
    store: *const keystead_store,
    access_key_id: *const c_char,
    secret_access_key: *const u8,
    secret_access_key_len: usize,
    principal: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let json_out = unsafe { opt_out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let access_key_id = unsafe { arg_str(access_key_id, "access_key_id") }?;
        // SAFETY: as above.
        let secret = unsafe { arg_bytes(secret_access_key, secret_access_key_len, "secret_access_key") }?;
        // SAFETY: as above.
        let principal = unsafe { arg_str(principal, "principal") }?;
        let key = store.inner.add_access_key(access_key_id, secret, principal)?;
        if let Some(out) = json_out {
            put(out, json::plain(&key)?.as_bytes());
        }
        Ok(())
    })
}

/// Every access key, without secrets.
///
/// Ownership: `*json_out` (`{"AccessKeys": [{"AccessKeyId", "Principal", "CreateDate"}...]}`) is
/// owned by the caller. NULL behaviour: `store` and `json_out` must not be NULL. Thread safety:
/// thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_list_access_keys(
    store: *const keystead_store,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        let keys = store.inner.list_access_keys()?;
        put(out, json::wrap("AccessKeys", &keys)?.as_bytes());
        Ok(())
    })
}

/// Deletes an access key.
///
/// Errors: `NOT_FOUND`. Ownership: the arguments are borrowed for the call only; nothing is
/// returned to free. NULL behaviour: `store` and `access_key_id` must not be NULL. Thread
/// safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_delete_access_key(
    store: *const keystead_store,
    access_key_id: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let access_key_id = unsafe { arg_str(access_key_id, "access_key_id") }?;
        store.inner.delete_access_key(access_key_id)?;
        Ok(())
    })
}
