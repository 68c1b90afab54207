//! Per-call options of the operations that take AWS's `GrantTokens` and `DryRun`: the
//! `keystead_store_*_with_options` functions and `keystead_store_create_grant`.

use std::os::raw::c_char;

use keystead_core::policy::grants::MAX_GRANT_TOKEN_CHARS;

use crate::boundary::{arg_mut, arg_text, free_box, out};
use crate::error::{keystead_error, keystead_result};

/// The request fields AWS added to most operations for access control: `GrantTokens` and
/// `DryRun`. Passed to the `keystead_store_*_with_options` functions and to
/// `keystead_store_create_grant`; NULL there means none and no dry run.
///
/// Ownership: made by `keystead_call_options_new`, owned by the caller, freed with
/// `keystead_call_options_free`; calls only read it. Thread safety: the setters need exclusive
/// access; a finished object may be read by any number of threads.
pub struct keystead_call_options {
    grant_tokens: Vec<String>,
    dry_run: bool,
}

/// New call options: no grant tokens, no dry run.
///
/// Ownership: `*options_out` is owned by the caller. NULL behaviour: `options_out` must not be
/// NULL. Thread safety: any thread.
///
/// # Safety
/// `options_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_call_options_new(
    options_out: *mut *mut keystead_call_options,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(options_out, "options_out") }?;
        out.set(keystead_call_options { grant_tokens: Vec::new(), dry_run: false });
        Ok(())
    })
}

/// Appends a grant token (copied). Grants take effect at once in Keystead, so tokens are only
/// checked for form, so code written for AWS runs unchanged: more than 10 is `VALIDATION` in
/// the call, a string that is not a grant token of CreateGrant is `INVALID_GRANT_TOKEN`.
///
/// Ownership: the arguments are borrowed for the call only; nothing is returned to free. NULL
/// behaviour: `options` and `grant_token` must not be NULL. Thread safety: exclusive access to
/// `options`.
///
/// # Safety
/// `options` is NULL or live; `grant_token` is NULL or NUL-terminated; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_call_options_add_grant_token(
    options: *mut keystead_call_options,
    grant_token: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let options = unsafe { arg_mut(options, "options") }?;
        // SAFETY: the caller's contract above.
        options
            .grant_tokens
            .push(unsafe { arg_text(grant_token, "grant_token", 1..=MAX_GRANT_TOKEN_CHARS) }?.to_owned());
        Ok(())
    })
}

/// Sets `DryRun`: the call checks access and inputs and then fails with
/// `KEYSTEAD_RESULT_DRY_RUN_OPERATION` (`DryRunOperationException`) instead of doing anything
/// when it would have succeeded, or with the error it would have had.
///
/// Ownership: nothing is returned to free. NULL behaviour: `options` must not be NULL. Thread
/// safety: exclusive access to `options`.
///
/// # Safety
/// `options` is NULL or live; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_call_options_set_dry_run(
    options: *mut keystead_call_options,
    dry_run: bool,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let options = unsafe { arg_mut(options, "options") }?;
        options.dry_run = dry_run;
        Ok(())
    })
}

/// Frees call options. NULL is a no-op; do not free twice.
///
/// Ownership: takes back an object the caller owned. NULL behaviour: NULL is a no-op. Thread
/// safety: no other thread may use the object during or after the call.
///
/// # Safety
/// `options` is NULL or call options from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_call_options_free(options: *mut keystead_call_options) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(options) }
    })
}

/// The grant tokens and dry-run flag of optional call options.
///
/// # Safety
/// `options` is NULL or live for `'a`.
pub(crate) unsafe fn call_options<'a>(options: *const keystead_call_options) -> (&'a [String], bool) {
    // SAFETY: the caller's contract above.
    match unsafe { options.as_ref() } {
        Some(options) => (&options.grant_tokens, options.dry_run),
        None => (&[], false),
    }
}
