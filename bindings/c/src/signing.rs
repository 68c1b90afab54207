//! Asymmetric signatures, public keys, key agreement and HMAC (each operation written once, as
//! its `_with_options` function, which the plain function calls with NULL options).

use std::os::raw::c_char;

use keystead_core::{
    DeriveSharedSecretRequest, GenerateMacRequest, GetPublicKeyRequest, KeyAgreementAlgorithm, MacAlgorithm,
    MessageType, SignRequest, SigningAlgorithm, VerifyMacRequest, VerifyRequest,
};

use crate::boundary::{arg_bytes, arg_ref, arg_str, opt_out, out};
use crate::bytes::{keystead_bytes, put, put_secret};
use crate::call_options::{call_options, keystead_call_options};
use crate::crypto::enum_arg;
use crate::error::{keystead_error, keystead_result};
use crate::json;
use crate::store::keystead_store;

/// `Sign` without `GrantTokens`/`DryRun`: `keystead_store_sign_with_options` with NULL `options`.
/// Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_sign_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_sign(
    store: *const keystead_store,
    key_id: *const c_char,
    message: *const u8,
    message_len: usize,
    message_type: *const c_char,
    signing_algorithm: *const c_char,
    signature_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_sign_with_options(
            store,
            key_id,
            message,
            message_len,
            message_type,
            signing_algorithm,
            std::ptr::null(),
            signature_out,
            err_out,
        )
    }
}

/// `Sign`: signs a message (or, with `message_type` `"DIGEST"`, a digest) with an asymmetric
/// `SIGN_VERIFY` key.
///
/// `signing_algorithm`: an AWS value such as `"ECDSA_SHA_256"` or `"RSASSA_PSS_SHA_256"` (NULL
/// or unknown is `VALIDATION`; one the key does not support is `INVALID_KEY_USAGE`).
/// `message_type`: NULL or `"RAW"` (default), `"DIGEST"`. Errors: `NOT_FOUND`, `DISABLED`,
/// `INVALID_STATE`, `INVALID_KEY_USAGE`, `VALIDATION` (message of 0 or more than 4096 bytes).
/// Ownership: `*signature_out` (the DER or raw signature AWS returns) is owned by the caller.
/// NULL behaviour: `store`, `key_id`, `signature_out` must not be NULL; `message` only with length 0.
/// Thread safety: thread-safe.
///
/// `options`: `GrantTokens` and `DryRun` (NULL for none); they add `ACCESS_DENIED`,
/// `INVALID_GRANT_TOKEN` / `VALIDATION` (malformed tokens) and `DRY_RUN_OPERATION` (a dry run
/// that would have succeeded; nothing is handed out).
///
/// # Safety
/// Pointers are NULL or valid as described; `message` has `message_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_sign_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    message: *const u8,
    message_len: usize,
    message_type: *const c_char,
    signing_algorithm: *const c_char,
    options: *const keystead_call_options,
    signature_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(signature_out, "signature_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let message = unsafe { arg_bytes(message, message_len, "message") }?;
        // SAFETY: as above.
        let message_type = unsafe { enum_arg::<MessageType>(message_type, "message_type") }?;
        // SAFETY: as above.
        let signing_algorithm = unsafe { enum_arg::<SigningAlgorithm>(signing_algorithm, "signing_algorithm") }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        let response = store.inner.sign(SignRequest {
            key_id,
            message,
            message_type,
            signing_algorithm,
            grant_tokens,
            dry_run,
        })?;
        put(out, &response.signature);
        Ok(())
    })
}

/// `Verify` without `GrantTokens`/`DryRun`: `keystead_store_verify_with_options` with NULL `options`.
/// Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_verify_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_verify(
    store: *const keystead_store,
    key_id: *const c_char,
    message: *const u8,
    message_len: usize,
    message_type: *const c_char,
    signature: *const u8,
    signature_len: usize,
    signing_algorithm: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_verify_with_options(
            store,
            key_id,
            message,
            message_len,
            message_type,
            signature,
            signature_len,
            signing_algorithm,
            std::ptr::null(),
            err_out,
        )
    }
}

/// `Verify`: checks a signature made by `keystead_store_sign` (or by anyone holding the key).
///
/// Returns `KEYSTEAD_RESULT_OK` only when the signature is valid; an invalid signature is
/// `KEYSTEAD_RESULT_INVALID_SIGNATURE` (`KMSInvalidSignatureException`), as in AWS. Other
/// parameters and errors as `keystead_store_sign`. Ownership: nothing is returned to free.
/// NULL behaviour: `store`, `key_id` must not be NULL; `message` and `signature` only with length
/// 0. Thread safety: thread-safe.
///
/// `options`: `GrantTokens` and `DryRun` (NULL for none); they add `ACCESS_DENIED`,
/// `INVALID_GRANT_TOKEN` / `VALIDATION` (malformed tokens) and `DRY_RUN_OPERATION` (a dry run
/// that would have succeeded; nothing is handed out).
///
/// # Safety
/// Pointers are NULL or valid as described; buffers have the given readable lengths.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_verify_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    message: *const u8,
    message_len: usize,
    message_type: *const c_char,
    signature: *const u8,
    signature_len: usize,
    signing_algorithm: *const c_char,
    options: *const keystead_call_options,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let message = unsafe { arg_bytes(message, message_len, "message") }?;
        // SAFETY: as above.
        let signature = unsafe { arg_bytes(signature, signature_len, "signature") }?;
        // SAFETY: as above.
        let message_type = unsafe { enum_arg::<MessageType>(message_type, "message_type") }?;
        // SAFETY: as above.
        let signing_algorithm = unsafe { enum_arg::<SigningAlgorithm>(signing_algorithm, "signing_algorithm") }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        store.inner.verify(VerifyRequest {
            key_id,
            message,
            message_type,
            signature,
            signing_algorithm,
            grant_tokens,
            dry_run,
        })?;
        Ok(())
    })
}

/// `GetPublicKey` without `GrantTokens`: `keystead_store_get_public_key_with_options` with NULL
/// `options`. Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_get_public_key_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_get_public_key(
    store: *const keystead_store,
    key_id: *const c_char,
    public_key_out: *mut *mut keystead_bytes,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_get_public_key_with_options(store, key_id, std::ptr::null(), public_key_out, json_out, err_out)
    }
}

/// `GetPublicKey`: the public key of an asymmetric key.
///
/// `options`: NULL, or call options whose grant tokens are checked as AWS does (0–10, each
/// 1–8192 characters); GetPublicKey has no `DryRun`, so options with a dry run are a
/// `VALIDATION` error. Ownership: `*public_key_out` (DER `SubjectPublicKeyInfo`) and
/// `*json_out` (AWS's response: `{"KeyId", "PublicKey" (base64), "KeySpec", "KeyUsage",
/// "SigningAlgorithms"?, ...}`) are owned by the caller. Errors: `NOT_FOUND`, `DISABLED`,
/// `INVALID_STATE`, `UNSUPPORTED_OPERATION` (symmetric and HMAC keys), `INVALID_GRANT_TOKEN`,
/// `VALIDATION`. NULL behaviour: `store`, `key_id`, `public_key_out` must not be NULL;
/// `options` and `json_out` may be NULL. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_get_public_key_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    options: *const keystead_call_options,
    public_key_out: *mut *mut keystead_bytes,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let public_key_out = unsafe { out(public_key_out, "public_key_out") }?;
        // SAFETY: as above.
        let json_out = unsafe { opt_out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        if dry_run {
            return Err(keystead_core::Error::new(
                keystead_core::ErrorKind::Validation,
                "GetPublicKey does not take DryRun",
            )
            .into());
        }
        let response = store.inner.get_public_key_with(GetPublicKeyRequest { key_id, grant_tokens })?;
        let text = json_out.as_ref().map(|_| json::plain(&response)).transpose()?;
        if let (Some(out), Some(text)) = (json_out, text) {
            put(out, text.as_bytes());
        }
        put(public_key_out, &response.public_key);
        Ok(())
    })
}

/// `GenerateMac` without `GrantTokens`/`DryRun`: `keystead_store_generate_mac_with_options` with NULL `options`.
/// Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_generate_mac_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_mac(
    store: *const keystead_store,
    key_id: *const c_char,
    message: *const u8,
    message_len: usize,
    mac_algorithm: *const c_char,
    mac_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_generate_mac_with_options(
            store,
            key_id,
            message,
            message_len,
            mac_algorithm,
            std::ptr::null(),
            mac_out,
            err_out,
        )
    }
}

/// `GenerateMac`: an HMAC of `message` (1–4096 bytes) with a `GENERATE_VERIFY_MAC` key.
///
/// `mac_algorithm`: `"HMAC_SHA_224"`, `"HMAC_SHA_256"`, `"HMAC_SHA_384"` or `"HMAC_SHA_512"`
/// matching the key spec (NULL or unknown is `VALIDATION`). Errors: `NOT_FOUND`, `DISABLED`,
/// `INVALID_STATE`, `INVALID_KEY_USAGE`, `VALIDATION`. Ownership: `*mac_out` is owned by the
/// caller. NULL behaviour: `store`, `key_id`, `mac_out` must not be NULL; `message` only with
/// length 0. Thread safety: thread-safe.
///
/// `options`: `GrantTokens` and `DryRun` (NULL for none); they add `ACCESS_DENIED`,
/// `INVALID_GRANT_TOKEN` / `VALIDATION` (malformed tokens) and `DRY_RUN_OPERATION` (a dry run
/// that would have succeeded; nothing is handed out).
///
/// # Safety
/// Pointers are NULL or valid as described; `message` has `message_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_generate_mac_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    message: *const u8,
    message_len: usize,
    mac_algorithm: *const c_char,
    options: *const keystead_call_options,
    mac_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(mac_out, "mac_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let message = unsafe { arg_bytes(message, message_len, "message") }?;
        // SAFETY: as above.
        let mac_algorithm = unsafe { enum_arg::<MacAlgorithm>(mac_algorithm, "mac_algorithm") }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        let response =
            store.inner.generate_mac(GenerateMacRequest { key_id, message, mac_algorithm, grant_tokens, dry_run })?;
        put(out, &response.mac);
        Ok(())
    })
}

/// `VerifyMac` without `GrantTokens`/`DryRun`: `keystead_store_verify_mac_with_options` with NULL `options`.
/// Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_verify_mac_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_verify_mac(
    store: *const keystead_store,
    key_id: *const c_char,
    message: *const u8,
    message_len: usize,
    mac: *const u8,
    mac_len: usize,
    mac_algorithm: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_verify_mac_with_options(
            store,
            key_id,
            message,
            message_len,
            mac,
            mac_len,
            mac_algorithm,
            std::ptr::null(),
            err_out,
        )
    }
}

/// `VerifyMac`: checks an HMAC made by `keystead_store_generate_mac`.
///
/// Returns `KEYSTEAD_RESULT_OK` only when the MAC is valid; an invalid one is
/// `KEYSTEAD_RESULT_INVALID_MAC` (`KMSInvalidMacException`), as in AWS. Other parameters and
/// errors as `keystead_store_generate_mac`. Ownership: nothing is returned to free. NULL
/// behaviour: `store`, `key_id` must not be NULL; `message` and `mac` only with length 0. Thread
/// safety: thread-safe.
///
/// `options`: `GrantTokens` and `DryRun` (NULL for none); they add `ACCESS_DENIED`,
/// `INVALID_GRANT_TOKEN` / `VALIDATION` (malformed tokens) and `DRY_RUN_OPERATION` (a dry run
/// that would have succeeded; nothing is handed out).
///
/// # Safety
/// Pointers are NULL or valid as described; buffers have the given readable lengths.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_verify_mac_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    message: *const u8,
    message_len: usize,
    mac: *const u8,
    mac_len: usize,
    mac_algorithm: *const c_char,
    options: *const keystead_call_options,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let message = unsafe { arg_bytes(message, message_len, "message") }?;
        // SAFETY: as above.
        let mac = unsafe { arg_bytes(mac, mac_len, "mac") }?;
        // SAFETY: as above.
        let mac_algorithm = unsafe { enum_arg::<MacAlgorithm>(mac_algorithm, "mac_algorithm") }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        store.inner.verify_mac(VerifyMacRequest { key_id, message, mac, mac_algorithm, grant_tokens, dry_run })?;
        Ok(())
    })
}

/// `DeriveSharedSecret` without `GrantTokens`/`DryRun`: `keystead_store_derive_shared_secret_with_options` with NULL `options`.
/// Parameters, errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_derive_shared_secret_with_options`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_derive_shared_secret(
    store: *const keystead_store,
    key_id: *const c_char,
    key_agreement_algorithm: *const c_char,
    public_key: *const u8,
    public_key_len: usize,
    shared_secret_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL options are allowed.
    unsafe {
        keystead_store_derive_shared_secret_with_options(
            store,
            key_id,
            key_agreement_algorithm,
            public_key,
            public_key_len,
            std::ptr::null(),
            shared_secret_out,
            err_out,
        )
    }
}

/// `DeriveSharedSecret`: ECDH between the private key of the `KEY_AGREEMENT` key `key_id` and a
/// peer's public key (DER `SubjectPublicKeyInfo`).
///
/// `key_agreement_algorithm`: `"ECDH"` (NULL or unknown is `VALIDATION`). Errors: `NOT_FOUND`,
/// `DISABLED`, `INVALID_STATE`, `INVALID_KEY_USAGE`, `VALIDATION` (malformed or mismatched public
/// key). Ownership: `*shared_secret_out` is owned by the caller and zeroized by
/// `keystead_bytes_free`. NULL behaviour: `store`, `key_id`, `shared_secret_out` must not be NULL;
/// `public_key` only with length 0. Thread safety: thread-safe.
///
/// `options`: `GrantTokens` and `DryRun` (NULL for none); they add `ACCESS_DENIED`,
/// `INVALID_GRANT_TOKEN` / `VALIDATION` (malformed tokens) and `DRY_RUN_OPERATION` (a dry run
/// that would have succeeded; nothing is handed out).
///
/// # Safety
/// Pointers are NULL or valid as described; `public_key` has `public_key_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_derive_shared_secret_with_options(
    store: *const keystead_store,
    key_id: *const c_char,
    key_agreement_algorithm: *const c_char,
    public_key: *const u8,
    public_key_len: usize,
    options: *const keystead_call_options,
    shared_secret_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(shared_secret_out, "shared_secret_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let key_agreement_algorithm =
            unsafe { enum_arg::<KeyAgreementAlgorithm>(key_agreement_algorithm, "key_agreement_algorithm") }?;
        // SAFETY: as above.
        let public_key = unsafe { arg_bytes(public_key, public_key_len, "public_key") }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        let response = store.inner.derive_shared_secret(DeriveSharedSecretRequest {
            key_id,
            key_agreement_algorithm,
            public_key,
            grant_tokens,
            dry_run,
        })?;
        put_secret(out, response.shared_secret);
        Ok(())
    })
}
