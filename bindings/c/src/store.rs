//! Opening stores: root-key sources, open options, the store handle.

use std::os::raw::c_char;

use keystead_core::store::rootkey::RootKey;
use keystead_core::{Error, ErrorKind, Keystead, RootKeySource, SecretBytes};

use crate::boundary::{arg_bytes, arg_mut, arg_opt_str, arg_path, arg_ref, arg_text, check_chars, free_box, out};

/// The longest environment variable name taken: POSIX sets no limit, but a longer name is a
/// mistake, not a variable.
const ENV_NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=255;
/// Region names are short (`ap-southeast-5`); the pattern is checked when a store is created.
const REGION_CHARS: usize = 64;
use crate::error::{keystead_error, keystead_result};

/// Where a store's root key comes from: a key file, an environment variable, a passphrase or
/// bytes the application supplies.
///
/// Ownership: made by a `keystead_root_key_new_*` function; the caller owns it and frees it with
/// `keystead_root_key_free` (secret material is zeroized). Functions that take a
/// `const keystead_root_key *` copy it. Immutable: any thread may use it.
pub struct keystead_root_key {
    pub(crate) source: RootKeySource,
}

/// A root key read from a key file of 32 bytes, created (mode 0600) with the store.
///
/// `path`: the file (any bytes, not necessarily UTF-8); NULL means `<store folder>/root.key`
/// (the default). Ownership: `*root_key_out`
/// is owned by the caller. NULL behaviour: `root_key_out` must not be NULL; `err_out` may be.
/// Thread safety: any thread.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `root_key_out` is NULL or writable; `err_out` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_root_key_new_file(
    path: *const c_char,
    root_key_out: *mut *mut keystead_root_key,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(root_key_out, "root_key_out") }?;
        // SAFETY: the caller's contract above.
        let path = if path.is_null() { None } else { Some(unsafe { arg_path(path, "path") }?.to_path_buf()) };
        out.set(keystead_root_key { source: RootKeySource::KeyFile(path) });
        Ok(())
    })
}

/// A root key read from an environment variable holding the base64 of 32 bytes.
///
/// `name`: the variable; NULL means `KEYSTEAD_ROOT_KEY`. The variable is read when a store is
/// opened, not now. Ownership: `*root_key_out` is owned by the caller. NULL behaviour:
/// `root_key_out` must not be NULL. Thread safety: any thread.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string; `root_key_out` is NULL or writable; `err_out` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_root_key_new_env(
    name: *const c_char,
    root_key_out: *mut *mut keystead_root_key,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(root_key_out, "root_key_out") }?;
        // SAFETY: the caller's contract above.
        let name = unsafe { arg_opt_str(name, "name") }?.unwrap_or(keystead_core::DEFAULT_ENV_VAR);
        check_chars(name, "name", &ENV_NAME_CHARS)?;
        out.set(keystead_root_key { source: RootKeySource::EnvVar(name.to_owned()) });
        Ok(())
    })
}

/// A root key derived from a passphrase with scrypt (the parameters are kept in the store).
///
/// The passphrase bytes are copied (and zeroized when the object is freed). Ownership:
/// `*root_key_out` is owned by the caller. NULL behaviour: `passphrase` may be NULL only when
/// `passphrase_len` is 0, which is a `VALIDATION` error (a passphrase must not be empty);
/// `root_key_out` must not be NULL. Thread safety: any thread.
///
/// # Safety
/// `passphrase` points to `passphrase_len` readable bytes (or is NULL with length 0);
/// `root_key_out` is NULL or writable; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_root_key_new_passphrase(
    passphrase: *const u8,
    passphrase_len: usize,
    root_key_out: *mut *mut keystead_root_key,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(root_key_out, "root_key_out") }?;
        // SAFETY: the caller's contract above.
        let passphrase = unsafe { arg_bytes(passphrase, passphrase_len, "passphrase") }?;
        if passphrase.is_empty() {
            return Err(Error::new(ErrorKind::Validation, "passphrase must not be empty").into());
        }
        out.set(keystead_root_key { source: RootKeySource::Passphrase(SecretBytes::copy_from(passphrase)) });
        Ok(())
    })
}

/// A root key of 32 bytes supplied by the application (e.g. from its secret manager or HSM).
///
/// The bytes are copied (and zeroized when the object is freed). Errors: `VALIDATION` for a
/// length other than 32. Ownership: `*root_key_out` is owned by the caller. NULL
/// behaviour: `key` may be NULL only when `key_len` is 0; `root_key_out` must not be NULL.
/// Thread safety: any thread.
///
/// # Safety
/// `key` points to `key_len` readable bytes (or is NULL with length 0); `root_key_out` is NULL
/// or writable; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_root_key_new_bytes(
    key: *const u8,
    key_len: usize,
    root_key_out: *mut *mut keystead_root_key,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(root_key_out, "root_key_out") }?;
        // SAFETY: the caller's contract above.
        let key = unsafe { arg_bytes(key, key_len, "key") }?;
        // The core's own check of the length, here rather than when a store is opened.
        let key = SecretBytes::copy_from(key);
        RootKey::from_bytes(key.clone())?;
        out.set(keystead_root_key { source: RootKeySource::Bytes(key) });
        Ok(())
    })
}

/// Frees (and zeroizes) a root-key source. NULL is a no-op; do not free twice.
///
/// Thread safety: no other thread may use the object during or after the call.
///
/// # Safety
/// `root_key` is NULL or a root key from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_root_key_free(root_key: *mut keystead_root_key) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(root_key) }
    })
}

/// Options for opening a store: root key, Region, account id, cache size.
///
/// Ownership: made by `keystead_options_new`, owned by the caller, freed with
/// `keystead_options_free`; the `keystead_store_open*` functions copy what they need. Thread
/// safety: the setters need exclusive access; concurrent reads (opening stores) are fine.
pub struct keystead_options {
    root_key: RootKeySource,
    region: Option<String>,
    account_id: Option<String>,
    cache_capacity: Option<usize>,
    /// `None`: the core's default (audit on for a store opened from a folder); see
    /// `keystead_options_set_audit` (`src/access.rs`).
    pub(crate) audit: Option<bool>,
}

/// New options with the defaults: root key file `<folder>/root.key`, Region `us-east-1`,
/// account `111122223333`, cache of 4096 materials.
///
/// Ownership: `*options_out` is owned by the caller. NULL behaviour: `options_out` must not be
/// NULL. Thread safety: any thread.
///
/// # Safety
/// `options_out` is NULL or writable; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_options_new(
    options_out: *mut *mut keystead_options,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(options_out, "options_out") }?;
        out.set(keystead_options {
            root_key: RootKeySource::default(),
            region: None,
            account_id: None,
            cache_capacity: None,
            audit: None,
        });
        Ok(())
    })
}

/// Sets where the root key comes from (copied from `root_key`).
///
/// NULL behaviour: neither pointer may be NULL. Thread safety: exclusive access to `options`.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `options` and `root_key` are NULL or live objects from this library; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_options_set_root_key(
    options: *mut keystead_options,
    root_key: *const keystead_root_key,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let options = unsafe { arg_mut(options, "options") }?;
        // SAFETY: the caller's contract above.
        let root_key = unsafe { arg_ref(root_key, "root_key") }?;
        options.root_key = root_key.source.clone();
        Ok(())
    })
}

/// Sets the Region named in ARNs of a store created with these options (an existing store keeps
/// its own). Checked when the store is created (`VALIDATION`).
///
/// NULL behaviour: neither pointer may be NULL. Thread safety: exclusive access to `options`.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `options` is NULL or live; `region` is NULL or NUL-terminated; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_options_set_region(
    options: *mut keystead_options,
    region: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let options = unsafe { arg_mut(options, "options") }?;
        // SAFETY: the caller's contract above.
        options.region = Some(unsafe { arg_text(region, "region", 1..=REGION_CHARS) }?.to_owned());
        Ok(())
    })
}

/// Sets the 12-digit account id named in ARNs of a store created with these options. Checked
/// when the store is created (`VALIDATION`).
///
/// NULL behaviour: neither pointer may be NULL. Thread safety: exclusive access to `options`.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `options` is NULL or live; `account_id` is NULL or NUL-terminated; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_options_set_account_id(
    options: *mut keystead_options,
    account_id: *const c_char,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let options = unsafe { arg_mut(options, "options") }?;
        // SAFETY: the caller's contract above.
        options.account_id = Some(unsafe { arg_text(account_id, "account_id", 12..=12) }?.to_owned());
        Ok(())
    })
}

/// Sets how many decrypted key materials a store keeps in memory (0 disables the cache).
///
/// NULL behaviour: `options` must not be NULL. Thread safety: exclusive access to `options`.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `options` is NULL or live; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_options_set_cache_capacity(
    options: *mut keystead_options,
    capacity: usize,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let options = unsafe { arg_mut(options, "options") }?;
        options.cache_capacity = Some(capacity);
        Ok(())
    })
}

/// Frees options. NULL is a no-op; do not free twice.
///
/// Thread safety: no other thread may use the object during or after the call.
///
/// # Safety
/// `options` is NULL or options from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_options_free(options: *mut keystead_options) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(options) }
    })
}

/// A handle on a key store.
///
/// Thread safety: **thread-safe**. One handle may be used by any number of threads at once
/// (it holds an `Arc` of the core store, which is `Send + Sync`); several processes may open
/// the same folder. Ownership: made by `keystead_store_open*`, owned by the caller, freed once
/// with `keystead_store_free` after every thread is done with it.
pub struct keystead_store {
    pub(crate) inner: Keystead,
}

impl keystead_store {
    /// The core store behind this handle (for Rust code that shares a store with C code).
    pub fn core(&self) -> &Keystead {
        &self.inner
    }
}

fn builder(options: Option<&keystead_options>) -> keystead_core::KeysteadBuilder {
    let mut builder = Keystead::builder();
    if let Some(options) = options {
        builder = builder.root_key(options.root_key.clone());
        if let Some(region) = &options.region {
            builder = builder.region(region.clone());
        }
        if let Some(account) = &options.account_id {
            builder = builder.account_id(account.clone());
        }
        if let Some(capacity) = options.cache_capacity {
            builder = builder.cache_capacity(capacity);
        }
        match options.audit {
            Some(true) => builder = builder.audit(keystead_core::AuditOptions::default()),
            Some(false) => builder = builder.without_audit(),
            None => {}
        }
    }
    builder
}

/// Opens the store in folder `dir` (a path: any bytes, not necessarily UTF-8), creating the
/// folder and the store if they do not exist.
///
/// `options`: NULL means the defaults (see `keystead_options_new`). Errors:
/// `INCORRECT_ROOT_KEY` when the root key does not open an existing store, `VALIDATION` for a bad
/// Region or account id, `INTERNAL` for I/O failures. Ownership: `*store_out` is owned by the
/// caller (`keystead_store_free`). NULL behaviour: `dir` and `store_out` must not be NULL.
/// Thread safety: any thread.
///
/// # Safety
/// `dir` is NULL or NUL-terminated; `options` is NULL or live; `store_out` and `err_out` are NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_open(
    dir: *const c_char,
    options: *const keystead_options,
    store_out: *mut *mut keystead_store,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(store_out, "store_out") }?;
        // SAFETY: the caller's contract above.
        let dir = unsafe { arg_path(dir, "dir") }?;
        // SAFETY: the caller's contract above.
        let options = unsafe { options.as_ref() };
        out.set(keystead_store { inner: builder(options).open(dir)? });
        Ok(())
    })
}

/// Opens a new store held only in memory (tests, ephemeral use); it vanishes when freed.
///
/// `options`: NULL means the defaults; a key-file root key becomes a random one. Ownership:
/// `*store_out` is owned by the caller. NULL behaviour: `store_out` must not be NULL. Thread
/// safety: any thread.
///
/// # Safety
/// `options` is NULL or live; `store_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_open_in_memory(
    options: *const keystead_options,
    store_out: *mut *mut keystead_store,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let out = unsafe { out(store_out, "store_out") }?;
        // SAFETY: the caller's contract above.
        let options = unsafe { options.as_ref() };
        out.set(keystead_store { inner: builder(options).open_in_memory()? });
        Ok(())
    })
}

/// Closes a store handle. NULL is a no-op; do not free twice, nor while another thread still
/// uses the handle.
///
/// # Safety
/// `store` is NULL or a store from this library not yet freed and no longer in use.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_free(store: *mut keystead_store) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(store) }
    })
}

/// Replaces the store's root key with `new_root_key`: every key material is re-sealed in one
/// transaction (all or nothing). With a key file, a new random key is written. Other processes
/// that have the store open must reopen it.
///
/// NULL behaviour: neither pointer may be NULL. Thread safety: thread-safe (blocks other
/// operations on this handle while it runs).
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `store` and `new_root_key` are NULL or live; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_rotate_root_key(
    store: *const keystead_store,
    new_root_key: *const keystead_root_key,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let store = unsafe { arg_ref(store, "store") }?;
        // SAFETY: the caller's contract above.
        let root_key = unsafe { arg_ref(new_root_key, "new_root_key") }?;
        store.inner.rotate_root_key(root_key.source.clone())?;
        Ok(())
    })
}

/// Destroys keys whose deletion window has ended and performs due automatic rotations now
/// (every operation also does this when due).
///
/// NULL behaviour: `store` must not be NULL. Thread safety: thread-safe.
///
/// Ownership: the arguments are borrowed for the call only (strings and builders are copied
/// as needed); nothing is returned to free.
///
/// # Safety
/// `store` is NULL or live; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_sweep(
    store: *const keystead_store,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above.
        let store = unsafe { arg_ref(store, "store") }?;
        store.inner.sweep()?;
        Ok(())
    })
}
