//! Importing key material (bring your own key).

use std::os::raw::c_char;

use keystead_core::{ExpirationModel, ImportKeyMaterialRequest, ImportType, WrappingAlgorithm, WrappingKeySpec};

use crate::boundary::{arg_bytes, arg_opt_str, arg_ref, arg_str, opt_out, out};
use crate::bytes::{keystead_bytes, put};
use crate::crypto::enum_arg;
use crate::error::{keystead_error, keystead_result};
use crate::json;
use crate::store::keystead_store;

/// `GetParametersForImport`: a fresh RSA wrapping public key and an import token for the
/// `EXTERNAL` key `key_id`, both valid for 24 hours.
///
/// `wrapping_algorithm`: `"RSAES_OAEP_SHA_1"`, `"RSAES_OAEP_SHA_256"`, `"RSA_AES_KEY_WRAP_SHA_1"`
/// or `"RSA_AES_KEY_WRAP_SHA_256"`; `wrapping_key_spec`: `"RSA_2048"`, `"RSA_3072"`, `"RSA_4096"`
/// (unknown is `VALIDATION`, AWS values Keystead does not offer `UNSUPPORTED_OPERATION`).
/// Errors: `NOT_FOUND`, `UNSUPPORTED_OPERATION` (not an `EXTERNAL` key), `INVALID_STATE`.
/// Ownership: `*import_token_out`, `*public_key_out` (DER `SubjectPublicKeyInfo`) and `*json_out`
/// (`{"KeyId", "ImportToken", "PublicKey", "ParametersValidTo"}`, base64 blobs) are owned by the
/// caller. NULL behaviour: all pointers but `json_out` and `err_out` must not be NULL. Thread
/// safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_get_parameters_for_import(
    store: *const keystead_store,
    key_id: *const c_char,
    wrapping_algorithm: *const c_char,
    wrapping_key_spec: *const c_char,
    import_token_out: *mut *mut keystead_bytes,
    public_key_out: *mut *mut keystead_bytes,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let token_out = unsafe { out(import_token_out, "import_token_out") }?;
        // SAFETY: as above.
        let public_key_out = unsafe { out(public_key_out, "public_key_out") }?;
        // SAFETY: as above.
        let json_out = unsafe { opt_out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let algorithm: WrappingAlgorithm = unsafe { arg_str(wrapping_algorithm, "wrapping_algorithm") }?.parse()?;
        // SAFETY: as above.
        let spec: WrappingKeySpec = unsafe { arg_str(wrapping_key_spec, "wrapping_key_spec") }?.parse()?;
        let response = store.inner.get_parameters_for_import(key_id, algorithm, spec)?;
        let text = json_out.as_ref().map(|_| json::plain(&response)).transpose()?;
        if let (Some(out), Some(text)) = (json_out, text) {
            put(out, text.as_bytes());
        }
        put(token_out, &response.import_token);
        put(public_key_out, &response.public_key);
        Ok(())
    })
}

/// `ImportKeyMaterial` without the 2025 parameters: `keystead_store_import_key_material_with`
/// with NULL `import_type`, `key_material_description` and `key_material_id`. Parameters,
/// errors, ownership, NULL behaviour and thread safety as there.
///
/// # Safety
/// As `keystead_store_import_key_material_with`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_import_key_material(
    store: *const keystead_store,
    key_id: *const c_char,
    import_token: *const u8,
    import_token_len: usize,
    encrypted_key_material: *const u8,
    encrypted_key_material_len: usize,
    expiration_model: *const c_char,
    valid_to_ms: i64,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; the NULLs are allowed.
    unsafe {
        keystead_store_import_key_material_with(
            store,
            key_id,
            import_token,
            import_token_len,
            encrypted_key_material,
            encrypted_key_material_len,
            expiration_model,
            valid_to_ms,
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            json_out,
            err_out,
        )
    }
}

/// `ImportKeyMaterial`: imports key material wrapped under the public key of
/// `keystead_store_get_parameters_for_import` into the `EXTERNAL` key `key_id`.
///
/// `expiration_model`: NULL (default `"KEY_MATERIAL_EXPIRES"`) or `"KEY_MATERIAL_DOES_NOT_EXPIRE"`;
/// `valid_to_ms`: expiry in milliseconds since the epoch, 0 for none (required when the material
/// expires, as in AWS). Symmetric encryption keys only (else `VALIDATION`): `import_type` NULL
/// (default `"NEW_KEY_MATERIAL"` for the key's first import, `"EXISTING_KEY_MATERIAL"` after),
/// `"NEW_KEY_MATERIAL"` (the material waits in `PENDING_ROTATION` for
/// `keystead_store_rotate_key_on_demand`) or `"EXISTING_KEY_MATERIAL"`;
/// `key_material_description` NULL or 1–256 characters of `[a-zA-Z0-9:/_\s.-]`;
/// `key_material_id` NULL or the 64 lowercase hex characters the material must have (not with
/// NEW). Errors: `NOT_FOUND`, `UNSUPPORTED_OPERATION`, `INVALID_STATE`, `INVALID_IMPORT_TOKEN`,
/// `EXPIRED_IMPORT_TOKEN`, `INVALID_CIPHERTEXT` (material that does not unwrap),
/// `INCORRECT_KEY_MATERIAL`, `VALIDATION`. Ownership: `*json_out` (`{"KeyId", "KeyMaterialId"}`)
/// is owned by the caller. NULL behaviour: `store`, `key_id` must not be NULL; byte inputs only
/// with length 0; the three 2025 parameters and `json_out` may be NULL. Thread safety:
/// thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described; buffers have the given readable lengths.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_import_key_material_with(
    store: *const keystead_store,
    key_id: *const c_char,
    import_token: *const u8,
    import_token_len: usize,
    encrypted_key_material: *const u8,
    encrypted_key_material_len: usize,
    expiration_model: *const c_char,
    valid_to_ms: i64,
    import_type: *const c_char,
    key_material_description: *const c_char,
    key_material_id: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let json_out = unsafe { opt_out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let import_token = unsafe { arg_bytes(import_token, import_token_len, "import_token") }?;
        // SAFETY: as above.
        let encrypted_key_material =
            unsafe { arg_bytes(encrypted_key_material, encrypted_key_material_len, "encrypted_key_material") }?;
        // SAFETY: as above.
        let expiration_model = unsafe { enum_arg::<ExpirationModel>(expiration_model, "expiration_model") }?;
        // SAFETY: as above.
        let import_type = unsafe { enum_arg::<ImportType>(import_type, "import_type") }?;
        // SAFETY: as above.
        let key_material_description = unsafe { arg_opt_str(key_material_description, "key_material_description") }?;
        // SAFETY: as above.
        let key_material_id = unsafe { arg_opt_str(key_material_id, "key_material_id") }?;
        let response = store.inner.import_key_material(ImportKeyMaterialRequest {
            key_id,
            import_token,
            encrypted_key_material,
            expiration_model,
            valid_to: (valid_to_ms != 0).then_some(valid_to_ms),
            import_type,
            key_material_description,
            key_material_id,
        })?;
        if let Some(out) = json_out {
            put(out, json::plain(&response)?.as_bytes());
        }
        Ok(())
    })
}

/// `DeleteImportedKeyMaterial` of the current material:
/// `keystead_store_delete_imported_key_material_with` with NULL `key_material_id`.
///
/// # Safety
/// As `keystead_store_delete_imported_key_material_with`.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_delete_imported_key_material(
    store: *const keystead_store,
    key_id: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract is the one of the function called; NULL is allowed.
    unsafe { keystead_store_delete_imported_key_material_with(store, key_id, std::ptr::null(), json_out, err_out) }
}

/// `DeleteImportedKeyMaterial`: removes the imported material `key_material_id` (NULL: the
/// current material). The key becomes `PendingImport`, unless the material was waiting in
/// `PENDING_ROTATION` (then it is forgotten and the key's state does not change).
///
/// Errors: `NOT_FOUND` (also for a material the key does not have), `UNSUPPORTED_OPERATION` (not
/// an `EXTERNAL` key), `INVALID_STATE`, `VALIDATION` (a malformed `key_material_id`). Ownership:
/// `*json_out` (`{"KeyId", "KeyMaterialId"}`) is owned by the caller. NULL behaviour: `store`,
/// `key_id` must not be NULL; `key_material_id` and `json_out` may be NULL. Thread safety:
/// thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_delete_imported_key_material_with(
    store: *const keystead_store,
    key_id: *const c_char,
    key_material_id: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let json_out = unsafe { opt_out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let key_material_id = unsafe { arg_opt_str(key_material_id, "key_material_id") }?;
        let response = store.inner.delete_imported_key_material_with(key_id, key_material_id)?;
        if let Some(out) = json_out {
            put(out, json::plain(&response)?.as_bytes());
        }
        Ok(())
    })
}
