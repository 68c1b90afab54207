//! Encryption contexts and the symmetric cryptographic operations (each written once, as its
//! `_with_options` function, which the plain function calls with NULL options).

use std::os::raw::c_char;

use keystead_core::{
    DataKeyPairSpec, DataKeySpec, DecryptRequest, EncryptRequest, EncryptionAlgorithm, EncryptionContext,
    GenerateDataKeyPairRequest, GenerateDataKeyRequest, ReEncryptRequest,
};

use keystead_core::crypto::context::MAX_CONTEXT_BYTES;

use crate::boundary::{arg_bytes, arg_mut, arg_opt_str, arg_ref, arg_str, arg_text, free_box, opt_out, out};
use crate::bytes::{keystead_bytes, put, put_secret};
use crate::call_options::{call_options, keystead_call_options};
use crate::error::{keystead_error, keystead_result, FfiError};
use crate::keys::opt_u32;
use crate::store::keystead_store;

/// An encryption context: string pairs bound to a ciphertext and matched exactly on decrypt.
///
/// Ownership: made by `keystead_context_new`, owned by the caller, freed with
/// `keystead_context_free`; operations only read it. Thread safety: `keystead_context_add` needs
/// exclusive access; once built, any number of threads may pass it to operations at once.
pub struct keystead_context {
    pub(crate) map: EncryptionContext,
}

/// A new, empty encryption context.
///
/// Ownership: `*context_out` is owned by the caller. NULL behaviour: `context_out` must not be
/// NULL. Thread safety: any thread.
///
/// # Safety
/// `context_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_context_new(
    context_out: *mut *mut keystead_context,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(context_out, "context_out") }?;
        out.set(keystead_context { map: EncryptionContext::new() });
        Ok(())
    })
}

/// Adds the pair `key` = `value` (both copied). A key already present is
/// `KEYSTEAD_RESULT_INVALID_ARGUMENT` (a context is a map).
///
/// NULL behaviour: no pointer may be NULL except `err_out`. Thread safety: exclusive access to
/// `context`.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `context` is NULL or live; `key` and `value` are NULL or NUL-terminated; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_context_add(
    context: *mut keystead_context,
    key: *const c_char,
    value: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let context = unsafe { arg_mut(context, "context") }?;
        // SAFETY: the caller's contract above.
        let key = unsafe { arg_text(key, "key", 0..=MAX_CONTEXT_BYTES) }?;
        // SAFETY: the caller's contract above.
        let value = unsafe { arg_text(value, "value", 0..=MAX_CONTEXT_BYTES) }?;
        if context.map.contains_key(key) {
            return Err(FfiError::invalid_argument(format!("the encryption context already has the key {key:?}")));
        }
        context.map.insert(key.to_owned(), value.to_owned());
        Ok(())
    })
}

/// Frees a context. NULL is a no-op; do not free twice.
///
/// Thread safety: no other thread may use the object during or after the call.
///
/// # Safety
/// `context` is NULL or a context from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_context_free(context: *mut keystead_context) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(context) }
    })
}

/// Reads an optional context argument.
///
/// # Safety
/// `context` is NULL or live for `'a`.
pub(crate) unsafe fn context_arg<'a>(context: *const keystead_context) -> Option<&'a EncryptionContext> {
    // SAFETY: the caller's contract above.
    unsafe { context.as_ref() }.map(|c| &c.map)
}

/// Parses an optional AWS enum string.
///
/// # Safety
/// `text` is NULL or NUL-terminated.
pub(crate) unsafe fn enum_arg<T>(text: *const c_char, name: &str) -> Result<Option<T>, FfiError>
where
    T: std::str::FromStr<Err = keystead_core::Error>,
{
    // SAFETY: the caller's contract above.
    let text = unsafe { arg_opt_str(text, name) }?;
    Ok(text.map(str::parse).transpose()?)
}

// Every operation below is written once, as its `_with_options` function; the plain function of
// the same name forwards with NULL options (no grant tokens, no dry run). The errors the options
// add are the same everywhere: `ACCESS_DENIED`, `INVALID_GRANT_TOKEN` / `VALIDATION` (more than
// 10) for malformed grant tokens, and `DRY_RUN_OPERATION` when a dry run would have succeeded
// (a dry run changes nothing and hands out nothing).

/// `Encrypt` without `GrantTokens`/`DryRun`: `keystead_store_encrypt_with_options` with NULL
/// `options`. Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_encrypt_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_encrypt(
    store: *const keystead_store,
    key_id: *const c_char,
    plaintext: *const u8,
    plaintext_len: usize,
    context: *const keystead_context,
    encryption_algorithm: *const c_char,
    ciphertext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_encrypt_with_options(
            store,
            key_id,
            plaintext,
            plaintext_len,
            context,
            encryption_algorithm,
            std::ptr::null(),
            ciphertext_out,
            err_out,
        )
    }
}

/// `Encrypt`: encrypts 1–4096 bytes under a symmetric encryption key, or (RSA
/// `ENCRYPT_DECRYPT` keys) at most 190–470 bytes with RSA-OAEP.
///
/// `key_id`: key id, key ARN, alias name or alias ARN. `context`: NULL for none (symmetric keys
/// only; `VALIDATION` with an RSA key). `encryption_algorithm`: NULL or `"SYMMETRIC_DEFAULT"`
/// for symmetric keys; `"RSAES_OAEP_SHA_1"` or `"RSAES_OAEP_SHA_256"` (required) for RSA keys;
/// a value the key cannot use is `INVALID_KEY_USAGE`, an unknown string `VALIDATION`.
/// `options`: `GrantTokens` and `DryRun` (NULL for none). Errors: `NOT_FOUND`, `DISABLED`,
/// `INVALID_STATE`, `INVALID_KEY_USAGE`, `VALIDATION` (empty or too long plaintext), and those
/// of the options (`ACCESS_DENIED`, `INVALID_GRANT_TOKEN`, `DRY_RUN_OPERATION`).
/// Ownership: `*ciphertext_out` (the ciphertext blob) is owned by the caller. NULL behaviour:
/// `store`, `key_id`, `ciphertext_out` must not be NULL; `plaintext` only with length 0.
/// Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; `plaintext` has `plaintext_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_encrypt_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    plaintext: *const u8,
    plaintext_len: usize,
    context: *const keystead_context,
    encryption_algorithm: *const c_char,
    options: *const keystead_call_options,
    ciphertext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(ciphertext_out, "ciphertext_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let plaintext = unsafe { arg_bytes(plaintext, plaintext_len, "plaintext") }?;
        // SAFETY: as above.
        let encryption_algorithm =
            unsafe { enum_arg::<EncryptionAlgorithm>(encryption_algorithm, "encryption_algorithm") }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        let response = store.inner.encrypt(EncryptRequest {
            key_id,
            plaintext,
            // SAFETY: as above.
            encryption_context: unsafe { context_arg(context) },
            encryption_algorithm,
            grant_tokens,
            dry_run,
        })?;
        put(out, &response.ciphertext_blob);
        Ok(())
    })
}

/// `Decrypt` without `GrantTokens`/`DryRun`: `keystead_store_decrypt_with_options` with NULL
/// `options`. Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_decrypt_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_decrypt(
    store: *const keystead_store,
    ciphertext: *const u8,
    ciphertext_len: usize,
    context: *const keystead_context,
    key_id: *const c_char,
    encryption_algorithm: *const c_char,
    plaintext_out: *mut *mut keystead_bytes,
    key_id_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_decrypt_with_options(
            store,
            ciphertext,
            ciphertext_len,
            context,
            key_id,
            encryption_algorithm,
            std::ptr::null(),
            plaintext_out,
            key_id_out,
            err_out,
        )
    }
}

/// `Decrypt`: decrypts a ciphertext blob made by `keystead_store_encrypt`,
/// `keystead_store_re_encrypt` or a `generate_data_key` function of this store.
///
/// `context`: must equal the one given at encryption (NULL for none). `key_id`: NULL, or the key
/// expected to have encrypted it (`INCORRECT_KEY` otherwise); required for RSA ciphertexts,
/// which carry no metadata. `encryption_algorithm`: NULL or `"SYMMETRIC_DEFAULT"`; for RSA
/// ciphertexts the OAEP algorithm they were made with (required). `options`: `GrantTokens` and
/// `DryRun` (NULL for none). Errors: `INVALID_CIPHERTEXT` (tampered blob or wrong context, with
/// no detail), `DISABLED`, `INVALID_STATE`, `INCORRECT_KEY`, `NOT_FOUND`, and those of the
/// options. Ownership: `*plaintext_out` and `*key_id_out` (the key ARN) are owned by the caller;
/// `keystead_bytes_free` zeroizes the plaintext. NULL behaviour: `store`, `ciphertext` (unless
/// length 0) and `plaintext_out` must not be NULL; `key_id_out` may be NULL when not wanted.
/// Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; `ciphertext` has `ciphertext_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_decrypt_with_options(
    store: *const keystead_store,
    ciphertext: *const u8,
    ciphertext_len: usize,
    context: *const keystead_context,
    key_id: *const c_char,
    encryption_algorithm: *const c_char,
    options: *const keystead_call_options,
    plaintext_out: *mut *mut keystead_bytes,
    key_id_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let plaintext_out = unsafe { out(plaintext_out, "plaintext_out") }?;
        // SAFETY: as above.
        let key_id_out = unsafe { opt_out(key_id_out, "key_id_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let ciphertext = unsafe { arg_bytes(ciphertext, ciphertext_len, "ciphertext") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_opt_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let encryption_algorithm =
            unsafe { enum_arg::<EncryptionAlgorithm>(encryption_algorithm, "encryption_algorithm") }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        let response = store.inner.decrypt(DecryptRequest {
            ciphertext_blob: ciphertext,
            // SAFETY: as above.
            encryption_context: unsafe { context_arg(context) },
            key_id,
            encryption_algorithm,
            grant_tokens,
            dry_run,
        })?;
        if let Some(key_id_out) = key_id_out {
            put(key_id_out, response.key_id.as_bytes());
        }
        put_secret(plaintext_out, response.plaintext);
        Ok(())
    })
}

/// `ReEncrypt` without `GrantTokens`/`DryRun`: `keystead_store_re_encrypt_with_options` with
/// NULL `options`. Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_re_encrypt_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_re_encrypt(
    store: *const keystead_store,
    ciphertext: *const u8,
    ciphertext_len: usize,
    source_context: *const keystead_context,
    source_key_id: *const c_char,
    destination_key_id: *const c_char,
    destination_context: *const keystead_context,
    source_encryption_algorithm: *const c_char,
    destination_encryption_algorithm: *const c_char,
    ciphertext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_re_encrypt_with_options(
            store,
            ciphertext,
            ciphertext_len,
            source_context,
            source_key_id,
            destination_key_id,
            destination_context,
            source_encryption_algorithm,
            destination_encryption_algorithm,
            std::ptr::null(),
            ciphertext_out,
            err_out,
        )
    }
}

/// `ReEncrypt`: decrypts a ciphertext and encrypts the plaintext under `destination_key_id`
/// without exposing it.
///
/// `source_context`/`destination_context`: NULL for none. `source_key_id`: NULL or the expected
/// source key. Algorithms: NULL or `"SYMMETRIC_DEFAULT"`. `options`: `GrantTokens` and `DryRun`
/// (NULL for none; the grant tokens apply to both keys, as in AWS). Errors: as
/// `keystead_store_decrypt_with_options` for the source and
/// `keystead_store_encrypt_with_options` for the destination. Ownership: `*ciphertext_out` is
/// owned by the caller. NULL behaviour: `store`, `ciphertext` (unless length 0),
/// `destination_key_id`, `ciphertext_out` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; `ciphertext` has `ciphertext_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_re_encrypt_with_options(
    store: *const keystead_store,
    ciphertext: *const u8,
    ciphertext_len: usize,
    source_context: *const keystead_context,
    source_key_id: *const c_char,
    destination_key_id: *const c_char,
    destination_context: *const keystead_context,
    source_encryption_algorithm: *const c_char,
    destination_encryption_algorithm: *const c_char,
    options: *const keystead_call_options,
    ciphertext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(ciphertext_out, "ciphertext_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let ciphertext = unsafe { arg_bytes(ciphertext, ciphertext_len, "ciphertext") }?;
        // SAFETY: as above.
        let source_key_id = unsafe { arg_opt_str(source_key_id, "source_key_id") }?;
        // SAFETY: as above.
        let destination_key_id = unsafe { arg_str(destination_key_id, "destination_key_id") }?;
        // SAFETY: as above.
        let source_algorithm =
            unsafe { enum_arg::<EncryptionAlgorithm>(source_encryption_algorithm, "source_encryption_algorithm") }?;
        // SAFETY: as above.
        let destination_algorithm = unsafe {
            enum_arg::<EncryptionAlgorithm>(destination_encryption_algorithm, "destination_encryption_algorithm")
        }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        let response = store.inner.re_encrypt(ReEncryptRequest {
            ciphertext_blob: ciphertext,
            // SAFETY: as above.
            source_encryption_context: unsafe { context_arg(source_context) },
            source_key_id,
            destination_key_id,
            // SAFETY: as above.
            destination_encryption_context: unsafe { context_arg(destination_context) },
            source_encryption_algorithm: source_algorithm,
            destination_encryption_algorithm: destination_algorithm,
            grant_tokens,
            dry_run,
        })?;
        put(out, &response.ciphertext_blob);
        Ok(())
    })
}

/// The arguments every data-key operation reads the same way: the store, the wrapping key, its
/// encryption context and the call options.
struct DataKeyCall<'a> {
    store: &'a keystead_store,
    key_id: &'a str,
    context: Option<&'a EncryptionContext>,
    grant_tokens: &'a [String],
    dry_run: bool,
}

/// Reads the common arguments of the four data-key operations.
///
/// # Safety
/// `store`, `context` and `options` are NULL or live for `'a`; `key_id` is NULL or
/// NUL-terminated and live for `'a`.
unsafe fn data_key_call<'a>(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    options: *const keystead_call_options,
) -> Result<DataKeyCall<'a>, FfiError> {
    // SAFETY: the caller's contract above (also for the argument reads below).
    let store = unsafe { arg_ref(store, "store") }?;
    // SAFETY: as above.
    let key_id = unsafe { arg_str(key_id, "key_id") }?;
    // SAFETY: as above.
    let (grant_tokens, dry_run) = unsafe { call_options(options) };
    // SAFETY: as above.
    Ok(DataKeyCall { store, key_id, context: unsafe { context_arg(context) }, grant_tokens, dry_run })
}

impl<'a> DataKeyCall<'a> {
    fn data_key(&self, key_spec: Option<DataKeySpec>, number_of_bytes: u32) -> GenerateDataKeyRequest<'a> {
        GenerateDataKeyRequest {
            key_id: self.key_id,
            encryption_context: self.context,
            key_spec,
            number_of_bytes: opt_u32(number_of_bytes),
            grant_tokens: self.grant_tokens,
            dry_run: self.dry_run,
        }
    }

    fn data_key_pair(&self, key_pair_spec: Option<DataKeyPairSpec>) -> GenerateDataKeyPairRequest<'a> {
        GenerateDataKeyPairRequest {
            key_id: self.key_id,
            encryption_context: self.context,
            key_pair_spec,
            grant_tokens: self.grant_tokens,
            dry_run: self.dry_run,
        }
    }
}

/// `GenerateDataKey` without `GrantTokens`/`DryRun`:
/// `keystead_store_generate_data_key_with_options` with NULL `options`. Parameters, errors,
/// ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_generate_data_key_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_data_key(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    key_spec: *const c_char,
    number_of_bytes: u32,
    plaintext_out: *mut *mut keystead_bytes,
    ciphertext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_generate_data_key_with_options(
            store,
            key_id,
            context,
            key_spec,
            number_of_bytes,
            std::ptr::null(),
            plaintext_out,
            ciphertext_out,
            err_out,
        )
    }
}

/// `GenerateDataKey`: a random data key, returned both in plaintext and encrypted under `key_id`.
///
/// Give exactly one of `key_spec` (`"AES_256"` or `"AES_128"`) and `number_of_bytes` (1–1024;
/// 0 means not given); both or neither is `VALIDATION`, as in AWS. `context`: NULL for none.
/// `options`: `GrantTokens` and `DryRun` (NULL for none). Errors: as
/// `keystead_store_encrypt_with_options`. Ownership: `*plaintext_out` (zeroized by
/// `keystead_bytes_free`) and `*ciphertext_out` are owned by the caller. NULL behaviour: `store`,
/// `key_id`, `plaintext_out`, `ciphertext_out` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_data_key_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    key_spec: *const c_char,
    number_of_bytes: u32,
    options: *const keystead_call_options,
    plaintext_out: *mut *mut keystead_bytes,
    ciphertext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let plaintext_out = unsafe { out(plaintext_out, "plaintext_out") }?;
        // SAFETY: as above.
        let ciphertext_out = unsafe { out(ciphertext_out, "ciphertext_out") }?;
        // SAFETY: as above.
        let call = unsafe { data_key_call(store, key_id, context, options) }?;
        // SAFETY: as above.
        let request = call.data_key(unsafe { enum_arg::<DataKeySpec>(key_spec, "key_spec") }?, number_of_bytes);
        let response = call.store.inner.generate_data_key(request)?;
        put(ciphertext_out, &response.ciphertext_blob);
        put_secret(plaintext_out, response.plaintext);
        Ok(())
    })
}

/// `GenerateDataKeyWithoutPlaintext` without `GrantTokens`/`DryRun`:
/// `keystead_store_generate_data_key_without_plaintext_with_options` with NULL `options`.
/// Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_generate_data_key_without_plaintext_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_data_key_without_plaintext(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    key_spec: *const c_char,
    number_of_bytes: u32,
    ciphertext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_generate_data_key_without_plaintext_with_options(
            store,
            key_id,
            context,
            key_spec,
            number_of_bytes,
            std::ptr::null(),
            ciphertext_out,
            err_out,
        )
    }
}

/// `GenerateDataKeyWithoutPlaintext`: as `keystead_store_generate_data_key_with_options`,
/// returning only the encrypted data key.
///
/// Ownership: `*ciphertext_out` is owned by the caller. NULL behaviour: `store`, `key_id`,
/// `ciphertext_out` must not be NULL; `options` may be NULL. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_data_key_without_plaintext_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    key_spec: *const c_char,
    number_of_bytes: u32,
    options: *const keystead_call_options,
    ciphertext_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let ciphertext_out = unsafe { out(ciphertext_out, "ciphertext_out") }?;
        // SAFETY: as above.
        let call = unsafe { data_key_call(store, key_id, context, options) }?;
        // SAFETY: as above.
        let request = call.data_key(unsafe { enum_arg::<DataKeySpec>(key_spec, "key_spec") }?, number_of_bytes);
        let response = call.store.inner.generate_data_key_without_plaintext(request)?;
        put(ciphertext_out, &response.ciphertext_blob);
        Ok(())
    })
}

/// `GenerateRandom`: `number_of_bytes` (1–1024) random bytes (`VALIDATION` otherwise).
///
/// Ownership: `*random_out` is owned by the caller. NULL behaviour: `store` and `random_out`
/// must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_random(
    store: *const keystead_store,
    number_of_bytes: u32,
    random_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let random_out = unsafe { out(random_out, "random_out") }?;
        // SAFETY: the caller's contract above.
        let store = unsafe { arg_ref(store, "store") }?;
        put_secret(random_out, store.inner.generate_random(number_of_bytes)?);
        Ok(())
    })
}

/// `GenerateDataKeyPair` without `GrantTokens`/`DryRun`:
/// `keystead_store_generate_data_key_pair_with_options` with NULL `options`. Parameters,
/// errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_generate_data_key_pair_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_data_key_pair(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    key_pair_spec: *const c_char,
    private_key_out: *mut *mut keystead_bytes,
    private_key_ciphertext_out: *mut *mut keystead_bytes,
    public_key_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_generate_data_key_pair_with_options(
            store,
            key_id,
            context,
            key_pair_spec,
            std::ptr::null(),
            private_key_out,
            private_key_ciphertext_out,
            public_key_out,
            err_out,
        )
    }
}

/// `GenerateDataKeyPair`: a random asymmetric data key pair; the private key is returned in
/// plaintext (PKCS#8 DER) and encrypted under the symmetric key `key_id`.
///
/// `key_pair_spec`: `"RSA_2048"`, `"RSA_3072"`, `"RSA_4096"`, `"ECC_NIST_P256"`, ... (NULL or
/// unknown is `VALIDATION`). `context`: NULL for none. `options`: `GrantTokens` and `DryRun`
/// (NULL for none). Errors: as `keystead_store_encrypt_with_options`. Ownership:
/// `*private_key_out` (zeroized by `keystead_bytes_free`), `*private_key_ciphertext_out` and
/// `*public_key_out` (DER `SubjectPublicKeyInfo`) are owned by the caller. NULL behaviour: no
/// pointer may be NULL except `context`, `options` and `err_out`. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_data_key_pair_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    key_pair_spec: *const c_char,
    options: *const keystead_call_options,
    private_key_out: *mut *mut keystead_bytes,
    private_key_ciphertext_out: *mut *mut keystead_bytes,
    public_key_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let private_key_out = unsafe { out(private_key_out, "private_key_out") }?;
        // SAFETY: as above.
        let ciphertext_out = unsafe { out(private_key_ciphertext_out, "private_key_ciphertext_out") }?;
        // SAFETY: as above.
        let public_key_out = unsafe { out(public_key_out, "public_key_out") }?;
        // SAFETY: as above.
        let call = unsafe { data_key_call(store, key_id, context, options) }?;
        // SAFETY: as above.
        let request = call.data_key_pair(unsafe { enum_arg::<DataKeyPairSpec>(key_pair_spec, "key_pair_spec") }?);
        let response = call.store.inner.generate_data_key_pair(request)?;
        put(ciphertext_out, &response.private_key_ciphertext_blob);
        put(public_key_out, &response.public_key);
        put_secret(private_key_out, response.private_key_plaintext);
        Ok(())
    })
}

/// `GenerateDataKeyPairWithoutPlaintext` without `GrantTokens`/`DryRun`:
/// `keystead_store_generate_data_key_pair_without_plaintext_with_options` with NULL `options`.
/// Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_generate_data_key_pair_without_plaintext_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_data_key_pair_without_plaintext(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    key_pair_spec: *const c_char,
    private_key_ciphertext_out: *mut *mut keystead_bytes,
    public_key_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_generate_data_key_pair_without_plaintext_with_options(
            store,
            key_id,
            context,
            key_pair_spec,
            std::ptr::null(),
            private_key_ciphertext_out,
            public_key_out,
            err_out,
        )
    }
}

/// `GenerateDataKeyPairWithoutPlaintext`: as
/// `keystead_store_generate_data_key_pair_with_options`, without the plaintext private key.
///
/// Ownership: `*private_key_ciphertext_out` and `*public_key_out` are owned by the caller. NULL
/// behaviour: no pointer may be NULL except `context`, `options` and `err_out`. Thread safety:
/// thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_data_key_pair_without_plaintext_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    context: *const keystead_context,
    key_pair_spec: *const c_char,
    options: *const keystead_call_options,
    private_key_ciphertext_out: *mut *mut keystead_bytes,
    public_key_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let ciphertext_out = unsafe { out(private_key_ciphertext_out, "private_key_ciphertext_out") }?;
        // SAFETY: as above.
        let public_key_out = unsafe { out(public_key_out, "public_key_out") }?;
        // SAFETY: as above.
        let call = unsafe { data_key_call(store, key_id, context, options) }?;
        // SAFETY: as above.
        let request = call.data_key_pair(unsafe { enum_arg::<DataKeyPairSpec>(key_pair_spec, "key_pair_spec") }?);
        let response = call.store.inner.generate_data_key_pair_without_plaintext(request)?;
        put(ciphertext_out, &response.private_key_ciphertext_blob);
        put(public_key_out, &response.public_key);
        Ok(())
    })
}
