//! Access control (issue 8): principals, key policies, grants, `explain`, the audit switch of
//! the open options, and metrics. (GrantTokens and DryRun: `call_options.rs` and the
//! `_with_options` operations of `crypto.rs` and `signing.rs`.)

use std::os::raw::c_char;

use keystead_core::policy::document::MAX_POLICY_BYTES;
use keystead_core::{CreateGrantRequest, EncryptionContext, GrantConstraints, GrantOperation, GrantRef};
use serde_json::{Map, Value};

use crate::boundary::{arg_mut, arg_opt_str, arg_ref, arg_str, arg_text, free_box, opt_out, out, KEY_ID_CHARS};
use crate::bytes::{keystead_bytes, put};
use crate::call_options::{call_options, keystead_call_options};
use crate::crypto::{context_arg, keystead_context};
use crate::envelope::arg_str_array;
use crate::error::{keystead_error, keystead_result};
use crate::json;
use crate::keys::{keystead_create_key_request, opt_u32};
use crate::store::{keystead_options, keystead_store};

/// AWS's length limit of `GranteePrincipal` and `RetiringPrincipal`, in characters.
const PRINCIPAL_CHARS: std::ops::RangeInclusive<usize> = 1..=256;
/// AWS's length limit of a grant's `Name`, in characters.
const GRANT_NAME_CHARS: usize = 256;

// ---------------------------------------------------------------------------------------------
// Audit switch of the open options
// ---------------------------------------------------------------------------------------------

/// Turns the audit log of a store opened from a folder with these options on (`true`, the
/// default: every call appends a CloudTrail-shaped event to `<folder>/audit/`, and a call whose
/// event cannot be written fails) or off (`false`; calls are still counted in the metrics).
/// Stores held in memory are never audited.
///
/// Ownership: the arguments are borrowed for the call only; nothing is returned to free.
/// NULL behaviour: `options` must not be NULL. Thread safety: exclusive access to `options`.
///
/// # Safety
/// `options` is NULL or live; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_options_set_audit(
    options: *mut keystead_options,
    enabled: bool,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let options = unsafe { arg_mut(options, "options") }?;
        options.audit = Some(enabled);
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Principals
// ---------------------------------------------------------------------------------------------

/// A new handle on the same store that makes every call as the principal `principal_arn`
/// (`arn:aws:iam::<account>:root`, `...:user/<name>`, `...:role/<name>`,
/// `...:federated-user/<name>` or `arn:aws:sts::<account>:assumed-role/<role>/<session>`): key
/// policies and grants decide what it may do (`ACCESS_DENIED` otherwise) and the audit log
/// records it as the caller. Cheap: the store, caches, audit log and metrics are shared. A
/// handle that was never narrowed acts as the store's account principal. The application is
/// trusted to say who the caller is.
///
/// Errors: `INVALID_ARN` when `principal_arn` is not a principal ARN. Ownership: `*store_out` is
/// a new handle owned by the caller and freed with `keystead_store_free`, independently of
/// `store` (either may be freed first). NULL behaviour: `store`, `principal_arn` and
/// `store_out` must not be NULL. Thread safety: thread-safe; the new handle is thread-safe too.
///
/// # Safety
/// `store` is NULL or live; `principal_arn` is NULL or NUL-terminated; `store_out` and
/// `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_as_principal(
    store: *const keystead_store,
    principal_arn: *const c_char,
    store_out: *mut *mut keystead_store,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(store_out, "store_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let arn = unsafe { arg_str(principal_arn, "principal_arn") }?;
        out.set(keystead_store { inner: store.inner.as_principal(arn)? });
        Ok(())
    })
}

/// As `keystead_store_as_principal`, for calls signed with the access key `access_key_id` (a
/// server acting for a client): the audit log records the access key id with the principal.
///
/// Errors: `INVALID_ARN`. Ownership: `*store_out` is owned by the caller
/// (`keystead_store_free`). NULL behaviour: no pointer may be NULL except `err_out`. Thread
/// safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; the strings are NULL or NUL-terminated; `store_out` and `err_out`
/// are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_as_principal_with_access_key(
    store: *const keystead_store,
    principal_arn: *const c_char,
    access_key_id: *const c_char,
    store_out: *mut *mut keystead_store,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(store_out, "store_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let arn = unsafe { arg_str(principal_arn, "principal_arn") }?;
        // SAFETY: as above.
        let access_key_id = unsafe { arg_str(access_key_id, "access_key_id") }?;
        out.set(keystead_store { inner: store.inner.as_principal_with_access_key(arn, access_key_id)? });
        Ok(())
    })
}

/// The ARN of the principal `store` calls as (the account principal
/// `arn:aws:iam::<account>:root` unless narrowed).
///
/// Ownership: `*arn_out` (NUL-terminated) is owned by the caller. NULL behaviour: `store` and
/// `arn_out` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; `arn_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_principal_arn(
    store: *const keystead_store,
    arn_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(arn_out, "arn_out") }?;
        // SAFETY: the caller's contract above.
        let store = unsafe { arg_ref(store, "store") }?;
        put(out, store.inner.principal().arn().as_bytes());
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Key policies
// ---------------------------------------------------------------------------------------------

/// Sets the key policy of the new key (a JSON policy document, copied; checked by
/// `keystead_store_create_key`: `MALFORMED_POLICY_DOCUMENT` for a bad document or when it
/// would lock the caller out, `LIMIT_EXCEEDED` over 32 KB). Without it the key gets AWS's
/// default key policy (the account principal may do everything).
///
/// Ownership: the arguments are borrowed for the call only; nothing is returned to free.
/// NULL behaviour: `request` and `policy` must not be NULL. Thread safety: exclusive access to
/// `request`.
///
/// # Safety
/// `request` is NULL or live; `policy` is NULL or NUL-terminated; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_set_policy(
    request: *mut keystead_create_key_request,
    policy: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: the caller's contract above.
        request.request.policy = Some(unsafe { arg_text(policy, "policy", 1..=MAX_POLICY_BYTES) }?.to_owned());
        Ok(())
    })
}

/// Sets `BypassPolicyLockoutSafetyCheck`: with `true`, a policy that does not let the caller
/// change it again later is accepted (as in AWS, use with care).
///
/// Ownership: nothing is returned to free. NULL behaviour: `request` must not be NULL. Thread
/// safety: exclusive access to `request`.
///
/// # Safety
/// `request` is NULL or live; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_key_request_set_bypass_policy_lockout_safety_check(
    request: *mut keystead_create_key_request,
    bypass: bool,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        request.request.bypass_policy_lockout_safety_check = bypass;
        Ok(())
    })
}

/// `PutKeyPolicy`: replaces the key's policy; takes effect on the next call of every handle.
///
/// `key_id`: key id or key ARN. `policy`: the JSON policy document. `policy_name`: NULL or
/// `"default"` (the only name). `bypass_policy_lockout_safety_check`: see
/// `keystead_create_key_request_set_bypass_policy_lockout_safety_check`. Errors:
/// `MALFORMED_POLICY_DOCUMENT` (bad document, or the lockout check), `LIMIT_EXCEEDED` (over
/// 32 KB), `ACCESS_DENIED`, `NOT_FOUND`, `VALIDATION`; a failure changes nothing. Ownership: the
/// arguments are borrowed for the call only; nothing is returned to free. NULL behaviour:
/// `store`, `key_id` and `policy` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; the strings are NULL or NUL-terminated; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_put_key_policy(
    store: *const keystead_store,
    key_id: *const c_char,
    policy: *const c_char,
    policy_name: *const c_char,
    bypass_policy_lockout_safety_check: bool,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let policy = unsafe { arg_str(policy, "policy") }?;
        // SAFETY: as above.
        let policy_name = unsafe { arg_opt_str(policy_name, "policy_name") }?;
        store.inner.put_key_policy(key_id, policy, policy_name, bypass_policy_lockout_safety_check)?;
        Ok(())
    })
}

/// `GetKeyPolicy`: the key's policy (AWS's default key policy when none was set).
///
/// `policy_name`: NULL or `"default"`. Errors: `NOT_FOUND` (also for another policy name),
/// `ACCESS_DENIED`, `VALIDATION`.
/// Ownership: `*json_out` (`{"Policy": "<document>", "PolicyName": "default"}`, AWS's
/// response) is owned by the caller. NULL behaviour: `store`, `key_id` and `json_out` must not
/// be NULL. Thread safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; the strings are NULL or NUL-terminated; `json_out` and `err_out`
/// are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_get_key_policy(
    store: *const keystead_store,
    key_id: *const c_char,
    policy_name: *const c_char,
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
        let policy_name = unsafe { arg_opt_str(policy_name, "policy_name") }?;
        let policy = store.inner.get_key_policy(key_id, policy_name)?;
        let mut map = Map::new();
        map.insert("Policy".into(), Value::String(policy));
        map.insert(
            "PolicyName".into(),
            Value::String(policy_name.unwrap_or(keystead_core::DEFAULT_POLICY_NAME).to_owned()),
        );
        put(out, Value::Object(map).to_string().as_bytes());
        Ok(())
    })
}

/// `ListKeyPolicies`: the names of the key's policies (always `default`, in one page).
///
/// Errors: `NOT_FOUND`, `ACCESS_DENIED`. Ownership: `*json_out`
/// (`{"PolicyNames": ["default"], "Truncated": false}`) is owned by the caller. NULL behaviour:
/// `store`, `key_id` and `json_out` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; `key_id` is NULL or NUL-terminated; `json_out` and `err_out` are
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_list_key_policies(
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
        let names = store.inner.list_key_policies(key_id)?;
        let page = keystead_core::Page { items: names, next_marker: None };
        put(out, json::page("PolicyNames", &page)?.as_bytes());
        Ok(())
    })
}

/// `Explain` (Keystead only, for debugging policies): whether the caller of `store` may perform
/// `action` (`"kms:Decrypt"`, `"kms:Encrypt"`, ...) on the key, with an optional encryption
/// context and extra condition keys, and the key-policy statements and grants that decide.
///
/// `context`: NULL for none. `condition_keys`/`condition_values`: `conditions_len` parallel
/// strings (e.g. `"aws:SourceIp"` = `"10.0.0.1"`); both may be NULL when `conditions_len` is 0.
/// Errors: `NOT_FOUND`, `VALIDATION` (unknown action). Ownership: `*json_out`
/// (`{"Decision": "Allow"|"ExplicitDeny"|"ImplicitDeny", "Allowed": bool, "PolicyStatements":
/// [Sid or "#<index>"...], "GrantIds": [...]}`) is owned by the caller. NULL behaviour: `store`,
/// `key_id`, `action` and `json_out` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// `store` and `context` are NULL or live; the strings are NULL or NUL-terminated; the two
/// arrays are NULL or hold `conditions_len` pointers each; `json_out` and `err_out` are NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_explain(
    store: *const keystead_store,
    key_id: *const c_char,
    action: *const c_char,
    context: *const keystead_context,
    condition_keys: *const *const c_char,
    condition_values: *const *const c_char,
    conditions_len: usize,
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
        let action = unsafe { arg_str(action, "action") }?;
        // SAFETY: as above.
        let keys = unsafe { arg_str_array(condition_keys, conditions_len, "condition_keys") }?;
        // SAFETY: as above.
        let values = unsafe { arg_str_array(condition_values, conditions_len, "condition_values") }?;
        let conditions: Vec<(&str, &str)> =
            keys.iter().map(String::as_str).zip(values.iter().map(String::as_str)).collect();
        // SAFETY: as above.
        let explanation = store.inner.explain(key_id, action, unsafe { context_arg(context) }, &conditions)?;
        put(out, json::plain(&explanation)?.as_bytes());
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Grants
// ---------------------------------------------------------------------------------------------

/// The inputs of `CreateGrant` besides `GrantTokens`/`DryRun` (see `keystead_call_options`).
///
/// Ownership: made by `keystead_create_grant_request_new`, owned by the caller, freed with
/// `keystead_create_grant_request_free`; `keystead_store_create_grant` only reads it. Thread
/// safety: the setters need exclusive access; a finished request may be read by any number of
/// threads.
pub struct keystead_create_grant_request {
    key_id: String,
    grantee_principal: String,
    retiring_principal: Option<String>,
    operations: Vec<GrantOperation>,
    constraints: Option<GrantConstraints>,
    name: Option<String>,
}

/// A new `CreateGrant` request letting `grantee_principal` (a principal ARN) use the key
/// `key_id` (key id or key ARN, not an alias, as in AWS); add at least one operation with
/// `keystead_create_grant_request_add_operation`. Both strings are copied and checked by
/// `keystead_store_create_grant`.
///
/// Ownership: `*request_out` is owned by the caller. NULL behaviour: no pointer may be NULL
/// except `err_out`. Thread safety: any thread.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `request_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_grant_request_new(
    key_id: *const c_char,
    grantee_principal: *const c_char,
    request_out: *mut *mut keystead_create_grant_request,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(request_out, "request_out") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_text(key_id, "key_id", KEY_ID_CHARS) }?.to_owned();
        // SAFETY: as above.
        let grantee_principal =
            unsafe { arg_text(grantee_principal, "grantee_principal", PRINCIPAL_CHARS) }?.to_owned();
        out.set(keystead_create_grant_request {
            key_id,
            grantee_principal,
            retiring_principal: None,
            operations: Vec::new(),
            constraints: None,
            name: None,
        });
        Ok(())
    })
}

/// Adds an operation the grant allows: an AWS `GrantOperation` string (`"Encrypt"`,
/// `"Decrypt"`, `"GenerateDataKey"`, `"ReEncryptFrom"`, `"Sign"`, `"CreateGrant"`,
/// `"RetireGrant"`, `"DescribeKey"`, ...; unknown is `VALIDATION` now, an operation the key
/// type cannot grant is `VALIDATION` in `keystead_store_create_grant`).
///
/// Ownership: nothing is returned to free. NULL behaviour: `request` and `operation` must not
/// be NULL. Thread safety: exclusive access to `request`.
///
/// # Safety
/// `request` is NULL or live; `operation` is NULL or NUL-terminated; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_grant_request_add_operation(
    request: *mut keystead_create_grant_request,
    operation: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: the caller's contract above.
        let operation: GrantOperation = unsafe { arg_str(operation, "operation") }?.parse()?;
        request.operations.push(operation);
        Ok(())
    })
}

/// Sets the principal (an ARN, copied) that may retire the grant.
///
/// Ownership: nothing is returned to free. NULL behaviour: `request` and `retiring_principal`
/// must not be NULL. Thread safety: exclusive access to `request`.
///
/// # Safety
/// `request` is NULL or live; `retiring_principal` is NULL or NUL-terminated; `err_out` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_grant_request_set_retiring_principal(
    request: *mut keystead_create_grant_request,
    retiring_principal: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: the caller's contract above.
        request.retiring_principal =
            Some(unsafe { arg_text(retiring_principal, "retiring_principal", PRINCIPAL_CHARS) }?.to_owned());
        Ok(())
    })
}

/// Sets the grant's name (copied): a retry with the same name and properties returns the same
/// grant id instead of a new grant.
///
/// Ownership: nothing is returned to free. NULL behaviour: `request` and `name` must not be
/// NULL. Thread safety: exclusive access to `request`.
///
/// # Safety
/// `request` is NULL or live; `name` is NULL or NUL-terminated; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_grant_request_set_name(
    request: *mut keystead_create_grant_request,
    name: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: the caller's contract above.
        request.name = Some(unsafe { arg_text(name, "name", 1..=GRANT_NAME_CHARS) }?.to_owned());
        Ok(())
    })
}

/// Sets the grant's encryption-context constraints (AWS `Constraints`, copied):
/// `context_subset` — the request's context must contain these pairs;
/// `context_equals` — the request's context must be exactly this. Either may be NULL (not
/// set); both NULL removes the constraints. Checked by `keystead_store_create_grant`
/// (`VALIDATION` for too many pairs, or on a key that takes no encryption context).
///
/// Ownership: nothing is returned to free. NULL behaviour: `request` must not be NULL. Thread
/// safety: exclusive access to `request`.
///
/// # Safety
/// `request`, `context_subset` and `context_equals` are NULL or live; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_grant_request_set_constraints(
    request: *mut keystead_create_grant_request,
    context_subset: *const keystead_context,
    context_equals: *const keystead_context,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let request = unsafe { arg_mut(request, "request") }?;
        let map = |c: Option<&EncryptionContext>| c.map(|c| c.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        // SAFETY: the caller's contract above.
        let subset = map(unsafe { context_arg(context_subset) });
        // SAFETY: the caller's contract above.
        let equals = map(unsafe { context_arg(context_equals) });
        request.constraints = (subset.is_some() || equals.is_some())
            .then_some(GrantConstraints { encryption_context_subset: subset, encryption_context_equals: equals });
        Ok(())
    })
}

/// Frees a `CreateGrant` request. NULL is a no-op; do not free twice.
///
/// Ownership: takes back an object the caller owned. NULL behaviour: NULL is a no-op. Thread
/// safety: no other thread may use the object during or after the call.
///
/// # Safety
/// `request` is NULL or a request from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_create_grant_request_free(request: *mut keystead_create_grant_request) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(request) }
    })
}

/// `CreateGrant`: lets the grantee use the key for the request's operations (optionally only
/// with a given encryption context); takes effect on the very next call of any handle.
///
/// `options`: `GrantTokens` and `DryRun` (NULL for none). Errors: `VALIDATION` (no operation,
/// an operation the key type cannot grant, bad constraints or name), `INVALID_ARN` (bad
/// principal), `ACCESS_DENIED` (also when a grant-based caller asks for a wider grant),
/// `LIMIT_EXCEEDED` (50,000 grants), `NOT_FOUND`, `DISABLED`, `INVALID_STATE`,
/// `DRY_RUN_OPERATION`. Ownership: `*grant_id_out` and `*grant_token_out` (NUL-terminated; AWS's
/// `GrantId` and `GrantToken`) are owned by the caller. NULL behaviour: `store`, `request` and
/// `grant_id_out` must not be NULL; `grant_token_out` may be NULL when not wanted. Thread
/// safety: thread-safe.
///
/// # Safety
/// `store`, `request` and `options` are NULL or live; the outputs and `err_out` are NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_create_grant(
    store: *const keystead_store,
    request: *const keystead_create_grant_request,
    options: *const keystead_call_options,
    grant_id_out: *mut *mut keystead_bytes,
    grant_token_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let grant_id_out = unsafe { out(grant_id_out, "grant_id_out") }?;
        // SAFETY: as above.
        let grant_token_out = unsafe { opt_out(grant_token_out, "grant_token_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let request = unsafe { arg_ref(request, "request") }?;
        // SAFETY: as above.
        let (grant_tokens, dry_run) = unsafe { call_options(options) };
        let response = store.inner.create_grant(CreateGrantRequest {
            key_id: &request.key_id,
            grantee_principal: &request.grantee_principal,
            retiring_principal: request.retiring_principal.as_deref(),
            operations: &request.operations,
            constraints: request.constraints.as_ref(),
            grant_tokens,
            name: request.name.as_deref(),
            dry_run,
        })?;
        if let Some(out) = grant_token_out {
            put(out, response.grant_token.as_bytes());
        }
        put(grant_id_out, response.grant_id.as_bytes());
        Ok(())
    })
}

/// `ListGrants`: one page of the grants of a key (key id or ARN), optionally only the grant
/// `grant_id` or the grants of `grantee_principal` (each NULL when not given). Never returns
/// grant tokens.
///
/// `limit`: 1–100, 0 for the default (50). `marker`: NULL or the previous page's `NextMarker`.
/// Errors: `NOT_FOUND`, `ACCESS_DENIED`, `INVALID_GRANT_ID`, `INVALID_MARKER`, `VALIDATION`.
/// Ownership: `*json_out` (`{"Grants": [{"KeyId", "GrantId", "Name"?, "CreationDate",
/// "GranteePrincipal", "RetiringPrincipal"?, "IssuingAccount", "Operations", "Constraints"?}...],
/// "NextMarker"?, "Truncated"}`, AWS's response) is owned by the caller. NULL behaviour: `store`,
/// `key_id` and `json_out` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; the strings are NULL or NUL-terminated; `json_out` and `err_out`
/// are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_list_grants(
    store: *const keystead_store,
    key_id: *const c_char,
    grant_id: *const c_char,
    grantee_principal: *const c_char,
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
        let grant_id = unsafe { arg_opt_str(grant_id, "grant_id") }?;
        // SAFETY: as above.
        let grantee = unsafe { arg_opt_str(grantee_principal, "grantee_principal") }?;
        // SAFETY: as above.
        let marker = unsafe { arg_opt_str(marker, "marker") }?;
        let page = store.inner.list_grants(key_id, grant_id, grantee, opt_u32(limit), marker)?;
        put(out, json::page("Grants", &page)?.as_bytes());
        Ok(())
    })
}

/// `ListRetirableGrants`: one page of the grants (of any key of the store) that
/// `retiring_principal` may retire.
///
/// `limit`: 1–100, 0 for the default (50). `marker`: NULL or the previous `NextMarker`. Errors:
/// `INVALID_ARN`, `ACCESS_DENIED` (a principal of another account), `INVALID_MARKER`,
/// `VALIDATION`. Ownership: `*json_out` (`{"Grants": [...], "NextMarker"?, "Truncated"}`, as
/// `keystead_store_list_grants`) is owned by the caller. NULL behaviour: `store`,
/// `retiring_principal` and `json_out` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; the strings are NULL or NUL-terminated; `json_out` and `err_out`
/// are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_list_retirable_grants(
    store: *const keystead_store,
    retiring_principal: *const c_char,
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
        let retiring = unsafe { arg_str(retiring_principal, "retiring_principal") }?;
        // SAFETY: as above.
        let marker = unsafe { arg_opt_str(marker, "marker") }?;
        let page = store.inner.list_retirable_grants(retiring, opt_u32(limit), marker)?;
        put(out, json::page("Grants", &page)?.as_bytes());
        Ok(())
    })
}

/// `RetireGrant`: removes a grant, named either by `grant_token` or by both `key_id` (the key
/// ARN, as AWS requires) and `grant_id` (the others NULL). Allowed to the grant's retiring
/// principal, to its grantee when it includes `RetireGrant`, and to the account that created it
/// (any principal of that account, since the account principal stands for all of them).
///
/// Errors: `VALIDATION` (neither form, or both), `INVALID_GRANT_TOKEN`, `INVALID_GRANT_ID`,
/// `INVALID_ARN` (a key id instead of an ARN), `NOT_FOUND`, `ACCESS_DENIED`,
/// `DRY_RUN_OPERATION` (with `dry_run`, when it would have succeeded; nothing changes).
/// Ownership: the arguments are borrowed for the call only; nothing is returned to free. NULL
/// behaviour: `store` must not be NULL; see above for the three strings. Thread safety:
/// thread-safe.
///
/// # Safety
/// `store` is NULL or live; the strings are NULL or NUL-terminated; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_retire_grant(
    store: *const keystead_store,
    grant_token: *const c_char,
    key_id: *const c_char,
    grant_id: *const c_char,
    dry_run: bool,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let token = unsafe { arg_opt_str(grant_token, "grant_token") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_opt_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let grant_id = unsafe { arg_opt_str(grant_id, "grant_id") }?;
        let grant = match (token, key_id, grant_id) {
            (Some(token), None, None) => GrantRef::Token(token),
            (None, Some(key_id), Some(grant_id)) => GrantRef::Id { key_id, grant_id },
            _ => {
                return Err(keystead_core::Error::new(
                    keystead_core::ErrorKind::Validation,
                    "RetireGrant needs either a grant token, or both a key ARN and a grant id",
                )
                .into())
            }
        };
        store.inner.retire_grant(grant, dry_run)?;
        Ok(())
    })
}

/// `RevokeGrant`: removes the grant `grant_id` of the key `key_id` (key id or ARN); needs
/// `kms:RevokeGrant` on the key. Takes effect on the very next call of any handle.
///
/// Errors: `NOT_FOUND`, `INVALID_GRANT_ID`, `ACCESS_DENIED`, `DRY_RUN_OPERATION` (with
/// `dry_run`, when it would have succeeded; nothing changes). Ownership: the arguments are
/// borrowed for the call only; nothing is returned to free. NULL behaviour: `store`, `key_id`
/// and `grant_id` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; the strings are NULL or NUL-terminated; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_revoke_grant(
    store: *const keystead_store,
    key_id: *const c_char,
    grant_id: *const c_char,
    dry_run: bool,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: as above.
        let key_id = unsafe { arg_str(key_id, "key_id") }?;
        // SAFETY: as above.
        let grant_id = unsafe { arg_str(grant_id, "grant_id") }?;
        store.inner.revoke_grant(key_id, grant_id, dry_run)?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

/// A snapshot of the store's metrics as JSON: calls per (operation, key, outcome) with latency
/// histograms, and the last use of each key. The counters are shared by every handle on the
/// store (narrowed or not) in this process.
///
/// Ownership: `*json_out` (`{"taken_at_ms", "since_ms", "bucket_bounds_seconds": [...],
/// "series": [{"operation", "key_id" (or null), "outcome" ("ok", "client_error", "denied",
/// "server_error"), "error_code", "count", "sum_seconds", "cumulative_buckets"}...],
/// "last_usage": [{"key_id", "operation", "timestamp_ms", "tracking_start_ms"}...]}`) is owned
/// by the caller. NULL behaviour: `store` and `json_out` must not be NULL. Thread safety:
/// thread-safe.
///
/// # Safety
/// `store` is NULL or live; `json_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_metrics_json(
    store: *const keystead_store,
    json_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(json_out, "json_out") }?;
        // SAFETY: the caller's contract above.
        let store = unsafe { arg_ref(store, "store") }?;
        put(out, json::plain(&store.inner.metrics_snapshot())?.as_bytes());
        Ok(())
    })
}

/// The store's metrics in the Prometheus text exposition format 0.0.4 (serve it with
/// `Content-Type: text/plain; version=0.0.4`).
///
/// Ownership: `*text_out` (NUL-terminated) is owned by the caller. NULL behaviour: `store` and
/// `text_out` must not be NULL. Thread safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; `text_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_metrics_prometheus(
    store: *const keystead_store,
    text_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(text_out, "text_out") }?;
        // SAFETY: the caller's contract above.
        let store = unsafe { arg_ref(store, "store") }?;
        put(out, store.inner.metrics_snapshot().to_prometheus().as_bytes());
        Ok(())
    })
}
