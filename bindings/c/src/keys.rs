//! Key lifecycle, tags, aliases and rotation.

use std::os::raw::c_char;

use keystead_core::{CreateKeyRequest, IncludeKeyMaterial, KeySpec, KeyUsage, Origin, Tag};

use crate::boundary::{arg_mut, arg_opt_str, arg_ref, arg_str, arg_text, free_box, opt_out, out};
use crate::bytes::{keystead_bytes, put};
use crate::crypto::enum_arg;
use crate::error::{keystead_error, keystead_result, FfiError};
use crate::json;
use crate::store::keystead_store;

/// `0` means "not given" for the optional integer parameters (AWS never accepts 0 there).
pub(crate) fn opt_u32(value: u32) -> Option<u32> {
    (value != 0).then_some(value)
}

/// A list of tags (`TagKey`/`TagValue` pairs) for `CreateKey` and `TagResource`.
///
/// Ownership: made by `keystead_tags_new`, owned by the caller, freed with `keystead_tags_free`;
/// operations only read it. Thread safety: `keystead_tags_add` needs exclusive access; a built
/// list may be read by any number of threads.
pub struct keystead_tags {
    tags: Vec<Tag>,
}

/// A new, empty tag list.
///
/// Ownership: `*tags_out` is owned by the caller. NULL behaviour: `tags_out` must not be NULL.
/// Thread safety: any thread.
///
/// # Safety
/// `tags_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_tags_new(
    tags_out: *mut *mut keystead_tags,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(tags_out, "tags_out") }?;
        out.set(keystead_tags { tags: Vec::new() });
        Ok(())
    })
}

/// Appends the tag `key` = `value` (both copied). AWS's rules (lengths, `aws:` prefix,
/// duplicates) are checked by the operation that uses the list (`TAG`).
///
/// NULL behaviour: no pointer may be NULL except `err_out`. Thread safety: exclusive access to
/// `tags`.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `tags` is NULL or live; `key`, `value` are NULL or NUL-terminated; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_tags_add(
    tags: *mut keystead_tags,
    key: *const c_char,
    value: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let tags = unsafe { arg_mut(tags, "tags") }?;
        // SAFETY: the caller's contract above.
        let key = unsafe { arg_text(key, "key", 1..=128) }?;
        // SAFETY: the caller's contract above.
        let value = unsafe { arg_text(value, "value", 0..=256) }?;
        tags.tags.push(Tag::new(key, value));
        Ok(())
    })
}

/// Frees a tag list. NULL is a no-op; do not free twice.
///
/// Thread safety: no other thread may use the object during or after the call.
///
/// # Safety
/// `tags` is NULL or a tag list from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_tags_free(tags: *mut keystead_tags) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(tags) }
    })
}

/// The inputs of `CreateKey`; every field is optional, as in AWS.
///
/// Ownership: made by `keystead_create_key_request_new`, owned by the caller, freed with
/// `keystead_create_key_request_free`. Thread safety: setters need exclusive access; a finished
/// request may be read by any number of threads.
pub struct keystead_create_key_request {
    pub(crate) request: CreateKeyRequest,
}

/// A new `CreateKey` request with AWS's defaults (`SYMMETRIC_DEFAULT`, `ENCRYPT_DECRYPT`,
/// `AWS_KMS`, empty description, no tags).
///
/// Ownership: `*request_out` is owned by the caller. NULL behaviour: `request_out` must not be
/// NULL. Thread safety: any thread.
///
/// # Safety
/// `request_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_new(
    request_out: *mut *mut keystead_create_key_request,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(request_out, "request_out") }?;
        out.set(keystead_create_key_request { request: CreateKeyRequest::default() });
        Ok(())
    })
}

/// Sets `KeySpec` (an AWS string such as `"SYMMETRIC_DEFAULT"`; an unknown string is
/// `VALIDATION`, a spec this build cannot create yet fails in `keystead_store_create_key`).
///
/// NULL behaviour: `request` and `key_spec` must not be NULL. Thread safety: exclusive access.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `request` is NULL or live; `key_spec` is NULL or NUL-terminated; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_set_key_spec(
    request: *mut keystead_create_key_request,
    key_spec: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: the caller's contract above.
        let spec: KeySpec = unsafe { arg_str(key_spec, "key_spec") }?.parse()?;
        request.request.key_spec = Some(spec);
        Ok(())
    })
}

/// Sets `KeyUsage` (an AWS string such as `"ENCRYPT_DECRYPT"`; unknown is `VALIDATION`).
///
/// NULL behaviour: `request` and `key_usage` must not be NULL. Thread safety: exclusive access.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `request` is NULL or live; `key_usage` is NULL or NUL-terminated; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_set_key_usage(
    request: *mut keystead_create_key_request,
    key_usage: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: the caller's contract above.
        let usage: KeyUsage = unsafe { arg_str(key_usage, "key_usage") }?.parse()?;
        request.request.key_usage = Some(usage);
        Ok(())
    })
}

/// Sets `Origin` (`"AWS_KMS"`, `"EXTERNAL"`, ...; unknown is `VALIDATION`).
///
/// NULL behaviour: `request` and `origin` must not be NULL. Thread safety: exclusive access.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `request` is NULL or live; `origin` is NULL or NUL-terminated; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_set_origin(
    request: *mut keystead_create_key_request,
    origin: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: the caller's contract above.
        let origin: Origin = unsafe { arg_str(origin, "origin") }?.parse()?;
        request.request.origin = Some(origin);
        Ok(())
    })
}

/// Sets the description (copied; 0–8192 characters, checked by `keystead_store_create_key`).
///
/// NULL behaviour: `request` and `description` must not be NULL. Thread safety: exclusive access.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `request` is NULL or live; `description` is NULL or NUL-terminated; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_set_description(
    request: *mut keystead_create_key_request,
    description: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: the caller's contract above.
        request.request.description = Some(unsafe { arg_text(description, "description", 0..=8192) }?.to_owned());
        Ok(())
    })
}

/// Sets `MultiRegion` (true is `UNSUPPORTED_OPERATION` in `keystead_store_create_key`).
///
/// NULL behaviour: `request` must not be NULL. Thread safety: exclusive access.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `request` is NULL or live; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_set_multi_region(
    request: *mut keystead_create_key_request,
    multi_region: bool,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        request.request.multi_region = multi_region;
        Ok(())
    })
}

/// Sets the tags of the new key (copied from `tags`, replacing any set before).
///
/// NULL behaviour: `request` and `tags` must not be NULL. Thread safety: exclusive access to
/// `request`.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `request` and `tags` are NULL or live; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_set_tags(
    request: *mut keystead_create_key_request,
    tags: *const keystead_tags,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: the caller's contract above.
        let tags = unsafe { arg_ref(tags, "tags") }?;
        request.request.tags = tags.tags.clone();
        Ok(())
    })
}

/// Frees a `CreateKey` request. NULL is a no-op; do not free twice.
///
/// Thread safety: no other thread may use the object during or after the call.
///
/// # Safety
/// `request` is NULL or a request from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_free(request: *mut keystead_create_key_request) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(request) }
    })
}

/// `CreateKey`: a new key.
///
/// `request`: NULL means all defaults (a symmetric encryption key). Errors: `VALIDATION`, `TAG`,
/// `UNSUPPORTED_OPERATION` (key specs this build cannot create yet, multi-Region),
/// `LIMIT_EXCEEDED`. Ownership: `*key_id_out` (the new key id, NUL-terminated) and
/// `*metadata_json_out` (`{"KeyMetadata": {...}}`, AWS's response) are owned by the caller.
/// NULL behaviour: `store` and `key_id_out` must not be NULL; `metadata_json_out` may be NULL when
/// not wanted. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_create_key(
    store: *const keystead_store,
    request: *const keystead_create_key_request,
    key_id_out: *mut *mut keystead_bytes,
    metadata_json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let key_id_out = unsafe { out(key_id_out, "key_id_out") }?;
        // SAFETY: as above.
        let metadata_out = unsafe { opt_out(metadata_json_out, "metadata_json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let request = unsafe { request.as_ref() }.map(|r| r.request.clone()).unwrap_or_default();
        let metadata = store.inner.create_key(request)?;
        let text = metadata_out.as_ref().map(|_| json::wrap("KeyMetadata", &metadata)).transpose()?;
        if let (Some(out), Some(text)) = (metadata_out, text) {
            put(out, text.as_bytes());
        }
        put(key_id_out, metadata.key_id.as_bytes());
        Ok(())
    })
}

/// `DescribeKey`: works in every key state, with all four identifier forms.
///
/// Ownership: `*json_out` (`{"KeyMetadata": {...}}`) is owned by the caller. Errors:
/// `NOT_FOUND`. NULL behaviour: `store`, `key_id`, `json_out` must not be NULL. Thread safety:
/// thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_describe_key(
    store: *const keystead_store,
    key_id: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        let metadata = store.inner.describe_key(key_id)?;
        put(out, json::wrap("KeyMetadata", &metadata)?.as_bytes());
        Ok(())
    })
}

/// `ListKeys`: one page of keys.
///
/// `limit`: 1–1000, 0 for the default (100). `marker`: NULL, or the `NextMarker` of the previous
/// page (`INVALID_MARKER` otherwise). Ownership: `*json_out`
/// (`{"Keys": [{"KeyId", "KeyArn"}...], "NextMarker"?, "Truncated"}`) is owned by the caller.
/// NULL behaviour: `store` and `json_out` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_list_keys(
    store: *const keystead_store,
    limit: u32,
    marker: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let marker = unsafe { arg_opt_str(marker, "marker") }?;
        let page = store.inner.list_keys(opt_u32(limit), marker)?;
        put(out, json::page("Keys", &page)?.as_bytes());
        Ok(())
    })
}

/// Runs a `(store, key_id) -> ()` operation.
///
/// # Safety
/// `store` is NULL or live; `key_id` is NULL or NUL-terminated.
unsafe fn on_key(
    store: *const keystead_store,
    key_id: *const c_char,
    op: impl FnOnce(&keystead_core::Keystead, &str) -> keystead_core::Result<()>,
) -> Result<(), FfiError> {
    // SAFETY: the caller's contract above.
    let store = unsafe { arg_ref(store, "store") }?;
    // SAFETY: the caller's contract above.
    let key_id = unsafe { arg_str(key_id, "key_id") }?;
    op(&store.inner, key_id)?;
    Ok(())
}

/// `UpdateKeyDescription` (key id or key ARN; 0–8192 characters).
///
/// Errors: `NOT_FOUND`, `VALIDATION`, `INVALID_STATE` (pending deletion). NULL behaviour:
/// `store`, `key_id`, `description` must not be NULL. Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_update_key_description(
    store: *const keystead_store,
    key_id: *const c_char,
    description: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let description = unsafe { arg_str(description, "description") }?;
        // SAFETY: the caller's contract above.
        unsafe { on_key(store, key_id, |s, k| s.update_key_description(k, description)) }
    })
}

/// `EnableKey`: Disabled or Enabled becomes Enabled.
///
/// Errors: `NOT_FOUND`, `INVALID_STATE`. NULL behaviour: `store` and `key_id` must not be NULL.
/// Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_enable_key(
    store: *const keystead_store,
    key_id: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract above.
    ffi!(err_out, { unsafe { on_key(store, key_id, |s, k| s.enable_key(k)) } })
}

/// `DisableKey`: Enabled or Disabled becomes Disabled; cryptographic operations then fail with
/// `DISABLED`.
///
/// Errors: `NOT_FOUND`, `INVALID_STATE`. NULL behaviour: `store` and `key_id` must not be NULL.
/// Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_disable_key(
    store: *const keystead_store,
    key_id: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract above.
    ffi!(err_out, { unsafe { on_key(store, key_id, |s, k| s.disable_key(k)) } })
}

/// `ScheduleKeyDeletion`: the key becomes `PendingDeletion` and is destroyed, with its
/// materials and aliases, after `pending_window_in_days` (7–30; 0 for the default 30).
///
/// Ownership: `*json_out` (`{"KeyId", "DeletionDate", "KeyState", "PendingWindowInDays"}`) is
/// owned by the caller. Errors: `NOT_FOUND`, `VALIDATION`, `INVALID_STATE`. NULL behaviour:
/// `store` and `key_id` must not be NULL; `json_out` may be NULL when not wanted. Thread safety:
/// thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_schedule_key_deletion(
    store: *const keystead_store,
    key_id: *const c_char,
    pending_window_in_days: u32,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { opt_out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        let response = store.inner.schedule_key_deletion(key_id, opt_u32(pending_window_in_days))?;
        if let Some(out) = out {
            put(out, json::plain(&response)?.as_bytes());
        }
        Ok(())
    })
}

/// `CancelKeyDeletion`: a key pending deletion becomes `Disabled`.
///
/// Ownership: `*key_id_out` (the key ARN) is owned by the caller. Errors: `NOT_FOUND`,
/// `INVALID_STATE`. NULL behaviour: `store` and `key_id` must not be NULL; `key_id_out` may be
/// NULL when not wanted. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_cancel_key_deletion(
    store: *const keystead_store,
    key_id: *const c_char,
    key_id_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { opt_out(key_id_out, "key_id_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        let arn = store.inner.cancel_key_deletion(key_id)?;
        if let Some(out) = out {
            put(out, arn.as_bytes());
        }
        Ok(())
    })
}

/// `TagResource`: adds tags or replaces their values (at most 50 per key).
///
/// Errors: `NOT_FOUND`, `TAG`, `LIMIT_EXCEEDED`, `INVALID_STATE`. NULL behaviour: no pointer may
/// be NULL except `err_out`. Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_tag_resource(
    store: *const keystead_store,
    key_id: *const c_char,
    tags: *const keystead_tags,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let tags = unsafe { arg_ref(tags, "tags") }?;
        // SAFETY: the caller's contract above.
        unsafe { on_key(store, key_id, |s, k| s.tag_resource(k, &tags.tags)) }
    })
}

/// `UntagResource`: removes the tags whose keys are in `tag_keys[0..tag_keys_len]`; absent keys
/// are ignored.
///
/// Errors: `NOT_FOUND`, `TAG`, `INVALID_STATE`. NULL behaviour: `store`, `key_id` must not be
/// NULL; `tag_keys` may be NULL only when `tag_keys_len` is 0, and no element may be NULL.
/// Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described; `tag_keys` has `tag_keys_len` readable pointers.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_untag_resource(
    store: *const keystead_store,
    key_id: *const c_char,
    tag_keys: *const *const c_char,
    tag_keys_len: usize,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        let pointers: &[*const c_char] = if tag_keys_len == 0 {
            &[]
        } else if tag_keys.is_null() {
            return Err(FfiError::null("tag_keys"));
        } else if tag_keys_len > isize::MAX as usize / size_of::<*const c_char>() {
            return Err(FfiError::invalid_argument("tag_keys_len is too large"));
        } else {
            // SAFETY: non-NULL with `tag_keys_len` readable pointers by the caller's contract.
            unsafe { std::slice::from_raw_parts(tag_keys, tag_keys_len) }
        };
        let mut keys = Vec::with_capacity(pointers.len());
        for &pointer in pointers {
            // SAFETY: each element is NULL or NUL-terminated by the caller's contract.
            keys.push(unsafe { arg_str(pointer, "tag_keys[i]") }?.to_owned());
        }
        // SAFETY: the caller's contract above.
        unsafe { on_key(store, key_id, |s, k| s.untag_resource(k, &keys)) }
    })
}

/// `ListResourceTags`: one page of the key's tags, by tag key.
///
/// `limit`: 1–50, 0 for the default (50). `marker`: NULL or the previous `NextMarker`.
/// Ownership: `*json_out` (`{"Tags": [{"TagKey", "TagValue"}...], "NextMarker"?, "Truncated"}`) is
/// owned by the caller. NULL behaviour: `store`, `key_id`, `json_out` must not be NULL. Thread
/// safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_list_resource_tags(
    store: *const keystead_store,
    key_id: *const c_char,
    limit: u32,
    marker: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let marker = unsafe { arg_opt_str(marker, "marker") }?;
        let page = store.inner.list_resource_tags(key_id, opt_u32(limit), marker)?;
        put(out, json::page("Tags", &page)?.as_bytes());
        Ok(())
    })
}

/// Runs a `(store, alias_name, target_key_id) -> ()` operation.
///
/// # Safety
/// `store` is NULL or live; the strings are NULL or NUL-terminated.
unsafe fn on_alias(
    store: *const keystead_store,
    alias_name: *const c_char,
    target_key_id: *const c_char,
    op: impl FnOnce(&keystead_core::Keystead, &str, &str) -> keystead_core::Result<()>,
) -> Result<(), FfiError> {
    // SAFETY: the caller's contract above.
    let store = unsafe { arg_ref(store, "store") }?;
    // SAFETY: the caller's contract above.
    let alias_name = unsafe { arg_str(alias_name, "alias_name") }?;
    // SAFETY: the caller's contract above.
    let target = unsafe { arg_str(target_key_id, "target_key_id") }?;
    op(&store.inner, alias_name, target)?;
    Ok(())
}

/// `CreateAlias`: `alias_name` (`alias/...`) names the key `target_key_id` (key id or key ARN).
///
/// Errors: `ALREADY_EXISTS`, `INVALID_ALIAS_NAME`, `NOT_FOUND`, `LIMIT_EXCEEDED`,
/// `INVALID_STATE`. NULL behaviour: no pointer may be NULL except `err_out`. Thread safety:
/// thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_create_alias(
    store: *const keystead_store,
    alias_name: *const c_char,
    target_key_id: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract above.
    ffi!(err_out, { unsafe { on_alias(store, alias_name, target_key_id, |s, a, k| s.create_alias(a, k)) } })
}

/// `UpdateAlias`: points an existing alias at another key.
///
/// Errors: `NOT_FOUND`, `INVALID_ALIAS_NAME`, `INVALID_STATE`. NULL behaviour: no pointer may be
/// NULL except `err_out`. Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_update_alias(
    store: *const keystead_store,
    alias_name: *const c_char,
    target_key_id: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract above.
    ffi!(err_out, { unsafe { on_alias(store, alias_name, target_key_id, |s, a, k| s.update_alias(a, k)) } })
}

/// `DeleteAlias`.
///
/// Errors: `NOT_FOUND`, `INVALID_ALIAS_NAME`. NULL behaviour: `store` and `alias_name` must not
/// be NULL. Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_delete_alias(
    store: *const keystead_store,
    alias_name: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: the caller's contract above.
        let alias_name = unsafe { arg_str(alias_name, "alias_name") }?;
        store.inner.delete_alias(alias_name)?;
        Ok(())
    })
}

/// `ListAliases`: one page of aliases, of all keys or (with `key_id`, a key id or ARN) of one key.
///
/// `limit`: 1–100, 0 for the default (50). `marker`: NULL or the previous `NextMarker`.
/// Ownership: `*json_out` (`{"Aliases": [{"AliasName", "AliasArn", "TargetKeyId", "CreationDate",
/// "LastUpdatedDate"}...], "NextMarker"?, "Truncated"}`) is owned by the caller. NULL behaviour:
/// `store` and `json_out` must not be NULL; `key_id` and `marker` may be. Thread safety:
/// thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_list_aliases(
    store: *const keystead_store,
    key_id: *const c_char,
    limit: u32,
    marker: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_opt_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let marker = unsafe { arg_opt_str(marker, "marker") }?;
        let page = store.inner.list_aliases(key_id, opt_u32(limit), marker)?;
        put(out, json::page("Aliases", &page)?.as_bytes());
        Ok(())
    })
}

/// `EnableKeyRotation`: rotate every `rotation_period_in_days` (90–2560; 0 for the default 365).
///
/// Errors: `NOT_FOUND`, `DISABLED`, `INVALID_STATE`, `UNSUPPORTED_OPERATION`, `VALIDATION`.
/// NULL behaviour: `store` and `key_id` must not be NULL. Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_enable_key_rotation(
    store: *const keystead_store,
    key_id: *const c_char,
    rotation_period_in_days: u32,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        let days = opt_u32(rotation_period_in_days);
        // SAFETY: the caller's contract above.
        unsafe { on_key(store, key_id, |s, k| s.enable_key_rotation(k, days)) }
    })
}

/// `DisableKeyRotation`.
///
/// Errors: `NOT_FOUND`, `DISABLED`, `INVALID_STATE`, `UNSUPPORTED_OPERATION`. NULL behaviour:
/// `store` and `key_id` must not be NULL. Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_disable_key_rotation(
    store: *const keystead_store,
    key_id: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    // SAFETY: the caller's contract above.
    ffi!(err_out, { unsafe { on_key(store, key_id, |s, k| s.disable_key_rotation(k)) } })
}

/// `GetKeyRotationStatus`.
///
/// Ownership: `*json_out` (`{"KeyRotationEnabled", "KeyId", "RotationPeriodInDays"?,
/// "NextRotationDate"?, "OnDemandRotationStartDate"?}`) is owned by the caller. Errors:
/// `NOT_FOUND`, `UNSUPPORTED_OPERATION`. NULL behaviour: `store`, `key_id`, `json_out` must not be
/// NULL. Thread safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_get_key_rotation_status(
    store: *const keystead_store,
    key_id: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        let status = store.inner.get_key_rotation_status(key_id)?;
        put(out, json::plain(&status)?.as_bytes());
        Ok(())
    })
}

/// `RotateKeyOnDemand`: new key material now (at most 10 on-demand rotations per key).
///
/// Ownership: `*key_id_out` (the key ARN) is owned by the caller. Errors: `NOT_FOUND`,
/// `DISABLED`, `INVALID_STATE`, `UNSUPPORTED_OPERATION`, `LIMIT_EXCEEDED`. NULL behaviour: `store`
/// and `key_id` must not be NULL; `key_id_out` may be NULL when not wanted. Thread safety:
/// thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_rotate_key_on_demand(
    store: *const keystead_store,
    key_id: *const c_char,
    key_id_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { opt_out(key_id_out, "key_id_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        let arn = store.inner.rotate_key_on_demand(key_id)?;
        if let Some(out) = out {
            put(out, arn.as_bytes());
        }
        Ok(())
    })
}

/// `ListKeyRotations`: completed rotations, oldest first.
///
/// `include_key_material`: NULL, `"ROTATIONS_ONLY"` or `"ALL_KEY_MATERIAL"` (unknown is
/// `VALIDATION`). `limit`: 1–1000, 0 for the default (100). `marker`: NULL or the previous
/// `NextMarker`. Ownership: `*json_out` (`{"Rotations": [{"KeyId", "KeyMaterialId",
/// "KeyMaterialState", "RotationDate"?, "RotationType"?}...], "NextMarker"?, "Truncated"}`) is
/// owned by the caller. NULL behaviour: `store`, `key_id`, `json_out` must not be NULL. Thread
/// safety: thread-safe.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_list_key_rotations(
    store: *const keystead_store,
    key_id: *const c_char,
    include_key_material: *const c_char,
    limit: u32,
    marker: *const c_char,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(json_out, "json_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let include = unsafe { enum_arg::<IncludeKeyMaterial>(include_key_material, "include_key_material") }?;
        // SAFETY: as above.
        let marker = unsafe { arg_opt_str(marker, "marker") }?;
        let page = store.inner.list_key_rotations(key_id, include, opt_u32(limit), marker)?;
        put(out, json::page("Rotations", &page)?.as_bytes());
        Ok(())
    })
}
