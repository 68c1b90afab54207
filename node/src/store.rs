//! The `Keystead` class: a handle on a store folder, with every KMS operation as a Promise
//! method (run on the libuv thread pool) and a `...Sync` twin (run on the calling thread).

use keystead_core as core;
use keystead_core::{Keystead as Core, RootKeySource, SecretBytes};
use napi::bindgen_prelude::{AsyncTask, Either, FromNapiValue, Uint8Array, Undefined, Unknown};
use napi::{Env, Result, ValueType};
use napi_derive::napi;

use crate::error::{core_error, type_error};
use crate::ops::{self, tags};
use crate::task::{open_guarded, run_sync, Job, Op, OpenJob, OpenOp};
use crate::types as t;

/// A root key source made of owned, zeroizing copies of the JS inputs.
fn root_source(
    env: &Env,
    key_file: Option<String>,
    env_var: Option<String>,
    passphrase: Option<Either<String, Uint8Array>>,
    root_key: Option<Uint8Array>,
) -> Result<Option<RootKeySource>> {
    let given = [key_file.is_some(), env_var.is_some(), passphrase.is_some(), root_key.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(type_error(
            env,
            "ERR_INVALID_ARG_VALUE",
            "Give at most one of keyFile, envVar, passphrase and rootKey",
        ));
    }
    Ok(if let Some(path) = key_file {
        Some(RootKeySource::KeyFile(Some(path.into())))
    } else if let Some(name) = env_var {
        Some(RootKeySource::EnvVar(name))
    } else if let Some(p) = passphrase {
        Some(RootKeySource::Passphrase(match p {
            Either::A(text) => SecretBytes::new(text.into_bytes()),
            Either::B(bytes) => SecretBytes::copy_from(&bytes),
        }))
    } else {
        root_key.map(|bytes| RootKeySource::Bytes(SecretBytes::copy_from(&bytes)))
    })
}

/// The inputs of `Keystead.open` and `Keystead.openInMemory`.
pub struct Open {
    /// The store folder; `None`: a store held in memory.
    path: Option<String>,
    source: Option<RootKeySource>,
    region: Option<String>,
    account_id: Option<String>,
    cache_capacity: Option<u32>,
    /// `None`: no audit log; the default is on with default options (stores held in memory are
    /// never audited).
    audit: Option<core::AuditOptions>,
}

/// A `TypeError` naming the argument of `Keystead.<method>` napi-rs could not convert.
fn bad_argument(env: &Env, method: &str, what: &str, e: napi::Error) -> napi::Error {
    type_error(env, "ERR_INVALID_ARG_TYPE", format!("Keystead.{method}: invalid argument ({what}: {})", e.reason))
}

/// Converts an options argument here (not in generated code) so that a wrong type is a
/// `TypeError`: static methods cannot be wrapped from JavaScript.
fn options_from_js<T: FromNapiValue>(env: &Env, method: &str, options: Option<Unknown<'_>>) -> Result<Option<T>> {
    let Some(value) = options else { return Ok(None) };
    // napi-rs reads any value as an object (a string has no such properties, so it would pass
    // as empty options): only an object, null or undefined is options.
    match value.get_type()? {
        ValueType::Object | ValueType::Null | ValueType::Undefined => {
            Option::<T>::from_unknown(value).map_err(|e| bad_argument(env, method, "options", e))
        }
        other => Err(bad_argument(
            env,
            method,
            "options",
            napi::Error::from_reason(format!("expected an object, got {other}")),
        )),
    }
}

impl Open {
    fn from_js(env: &Env, method: &str, path: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<Self> {
        let path = String::from_unknown(path).map_err(|e| bad_argument(env, method, "path", e))?;
        let options = options_from_js::<t::OpenOptions>(env, method, options)?;
        Self::new(env, path, options)
    }

    fn new(env: &Env, path: String, options: Option<t::OpenOptions>) -> Result<Self> {
        let Some(o) = options else {
            return Ok(Self {
                path: Some(path),
                source: None,
                region: None,
                account_id: None,
                cache_capacity: None,
                audit: Some(core::AuditOptions::default()),
            });
        };
        Ok(Self {
            path: Some(path),
            source: root_source(env, o.key_file, o.env_var, o.passphrase, o.root_key)?,
            region: o.region,
            account_id: o.account_id,
            cache_capacity: o.cache_capacity,
            audit: audit_options(env, o.audit)?,
        })
    }

    fn in_memory_from_js(env: &Env, method: &str, options: Option<Unknown<'_>>) -> Result<Self> {
        let o = options_from_js::<t::InMemoryOptions>(env, method, options)?;
        let (source, region, account_id, cache_capacity) = match o {
            None => (None, None, None, None),
            Some(o) => {
                (root_source(env, None, o.env_var, o.passphrase, o.root_key)?, o.region, o.account_id, o.cache_capacity)
            }
        };
        Ok(Self { path: None, source, region, account_id, cache_capacity, audit: None })
    }
}

impl OpenOp for Open {
    fn open(&self) -> core::Result<Core> {
        let mut builder = Core::builder();
        if let Some(source) = &self.source {
            builder = builder.root_key(source.clone());
        }
        if let Some(region) = &self.region {
            builder = builder.region(region.clone());
        }
        if let Some(account) = &self.account_id {
            builder = builder.account_id(account.clone());
        }
        if let Some(capacity) = self.cache_capacity {
            builder = builder.cache_capacity(capacity as usize);
        }
        builder = match &self.audit {
            Some(options) => builder.audit(options.clone()),
            None => builder.without_audit(),
        };
        match &self.path {
            Some(path) => builder.open(path),
            None => builder.open_in_memory(),
        }
    }
}

/// The audit options of `OpenOptions.audit` (absent or `true`: on with the defaults).
fn audit_options(env: &Env, audit: Option<Either<bool, t::AuditOptions>>) -> Result<Option<core::AuditOptions>> {
    let o = match audit {
        None | Some(Either::A(true)) => return Ok(Some(core::AuditOptions::default())),
        Some(Either::A(false)) => return Ok(None),
        Some(Either::B(o)) => o,
    };
    let mut options = core::AuditOptions::default();
    match o.durability.as_deref() {
        None | Some("BATCHED") => {}
        Some("PER_RECORD") => options.durability = core::Durability::PerRecord,
        Some("OFF") => options.durability = core::Durability::Off,
        Some(other) => {
            return Err(type_error(
                env,
                "ERR_INVALID_ARG_VALUE",
                format!("audit.durability must be BATCHED, PER_RECORD or OFF, not {other:?}"),
            ))
        }
    }
    options.hmac_context_values = o.hmac_context_values.unwrap_or(false);
    Ok(Some(options))
}

/// A handle on a Keystead store: a folder holding an encrypted SQLite database of KMS keys.
///
/// Open one handle per store and share it; it is safe to use from many async calls at once, from
/// `worker_threads` (each thread opens its own handle on the same folder) and from several
/// processes. Every operation has a Promise form that runs on the libuv thread pool and a
/// `...Sync` twin. Failures are `Error`s whose `code` is the AWS KMS exception name (for example
/// `NotFoundException`); argument mistakes are `TypeError`s. Dates are seconds since the epoch.
#[napi]
pub struct Keystead {
    pub(crate) core: Core,
}

impl Keystead {
    pub(crate) fn wrap(core: Core) -> Self {
        Self { core }
    }

    /// The core handle (for the stream and helper functions of `stream.rs`).
    pub(crate) fn core(&self) -> &Core {
        &self.core
    }

    fn job<O: Op + Send + 'static>(&self, op: O) -> AsyncTask<Job<O>> {
        AsyncTask::new(Job::new(&self.core, op))
    }
}

#[napi]
impl Keystead {
    /// Opens the store in folder `path`, creating the folder and a new store if needed. Runs on
    /// the thread pool (a passphrase is stretched with scrypt, about 0.1 s).
    ///
    /// Root key: at most one of `keyFile`, `envVar`, `passphrase`, `rootKey`; the default is the
    /// key file `<path>/root.key`. `region` and `accountId` name a new store's ARNs.
    ///
    /// Rejects with `IncorrectRootKeyException` when the root key does not open the store.
    /// Argument mistakes are thrown synchronously as `TypeError`s.
    #[napi(
        ts_args_type = "path: string, options?: OpenOptions | undefined | null",
        ts_return_type = "Promise<Keystead>"
    )]
    pub fn open(env: Env, path: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<AsyncTask<OpenJob<Open>>> {
        Ok(AsyncTask::new(OpenJob::new(Open::from_js(&env, "open", path, options)?)))
    }

    /// Synchronous twin of {@link Keystead.open}.
    #[napi(strict, ts_args_type = "path: string, options?: OpenOptions | undefined | null")]
    pub fn open_sync(env: Env, path: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<Keystead> {
        let open = Open::from_js(&env, "openSync", path, options)?;
        open_guarded(&open).map(Self::wrap).map_err(|e| core_error(&env, &e))
    }

    /// A store held only in memory, gone with its last handle (for tests, caches and
    /// benchmarks): nothing is written to disk and no audit log is kept. Without a root key
    /// option a random root key is used. Runs on the thread pool (a passphrase is stretched with
    /// scrypt, about 0.1 s).
    #[napi(ts_args_type = "options?: InMemoryOptions | undefined | null", ts_return_type = "Promise<Keystead>")]
    pub fn open_in_memory(env: Env, options: Option<Unknown<'_>>) -> Result<AsyncTask<OpenJob<Open>>> {
        Ok(AsyncTask::new(OpenJob::new(Open::in_memory_from_js(&env, "openInMemory", options)?)))
    }

    /// Synchronous twin of {@link Keystead.openInMemory}.
    #[napi(strict, ts_args_type = "options?: InMemoryOptions | undefined | null")]
    pub fn open_in_memory_sync(env: Env, options: Option<Unknown<'_>>) -> Result<Keystead> {
        let open = Open::in_memory_from_js(&env, "openInMemorySync", options)?;
        open_guarded(&open).map(Self::wrap).map_err(|e| core_error(&env, &e))
    }

    /// The Region named in this store's ARNs.
    #[napi(getter)]
    pub fn region(&self) -> String {
        self.core.identity().region.clone()
    }

    /// The account id named in this store's ARNs.
    #[napi(getter)]
    pub fn account_id(&self) -> String {
        self.core.identity().account_id.clone()
    }

    /// The partition named in this store's ARNs (`aws`).
    #[napi(getter)]
    pub fn partition(&self) -> String {
        self.core.identity().partition.clone()
    }

    /// `CreateKey`: creates a symmetric encryption key (`SYMMETRIC_DEFAULT`, `ENCRYPT_DECRYPT`)
    /// and returns its metadata. Other key specs arrive in later versions
    /// (`UnsupportedOperationException` until then).
    #[napi(strict, ts_return_type = "Promise<KeyMetadata>")]
    pub fn create_key(&self, options: Option<t::CreateKeyOptions>) -> AsyncTask<Job<ops::CreateKey>> {
        self.job(options.into())
    }

    /// Synchronous twin of `createKey`.
    #[napi(strict)]
    pub fn create_key_sync(&self, env: Env, options: Option<t::CreateKeyOptions>) -> Result<t::KeyMetadata> {
        run_sync(&env, &self.core, ops::CreateKey::from(options))
    }

    /// `DescribeKey`: the metadata of a key given by key id, key ARN, alias name or alias ARN.
    #[napi(strict, ts_return_type = "Promise<KeyMetadata>")]
    pub fn describe_key(&self, key_id: String) -> AsyncTask<Job<ops::DescribeKey>> {
        self.job(ops::DescribeKey { key_id })
    }

    /// Synchronous twin of `describeKey`.
    #[napi(strict)]
    pub fn describe_key_sync(&self, env: Env, key_id: String) -> Result<t::KeyMetadata> {
        run_sync(&env, &self.core, ops::DescribeKey { key_id })
    }

    /// `ListKeys`: one page of keys (`limit` 1–1000, default 1000).
    #[napi(strict, ts_return_type = "Promise<ListKeysResult>")]
    pub fn list_keys(&self, options: Option<t::ListOptions>) -> AsyncTask<Job<ops::ListKeys>> {
        let (limit, marker) = options.map_or((None, None), |o| (o.limit, o.marker));
        self.job(ops::ListKeys { limit, marker })
    }

    /// Synchronous twin of `listKeys`.
    #[napi(strict)]
    pub fn list_keys_sync(&self, env: Env, options: Option<t::ListOptions>) -> Result<t::ListKeysResult> {
        let (limit, marker) = options.map_or((None, None), |o| (o.limit, o.marker));
        run_sync(&env, &self.core, ops::ListKeys { limit, marker })
    }

    /// `UpdateKeyDescription`: replaces the description (up to 8192 characters).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn update_key_description(
        &self,
        key_id: String,
        description: String,
    ) -> AsyncTask<Job<ops::UpdateKeyDescription>> {
        self.job(ops::UpdateKeyDescription { key_id, description })
    }

    /// Synchronous twin of `updateKeyDescription`.
    #[napi(strict)]
    pub fn update_key_description_sync(&self, env: Env, key_id: String, description: String) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::UpdateKeyDescription { key_id, description })
    }

    /// `TagResource`: adds or replaces tags (at most 50 per key).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn tag_resource(&self, key_id: String, tags: Vec<t::Tag>) -> AsyncTask<Job<ops::TagResource>> {
        self.job(ops::TagResource { key_id, tags: ops::tags(tags) })
    }

    /// Synchronous twin of `tagResource`.
    #[napi(strict)]
    pub fn tag_resource_sync(&self, env: Env, key_id: String, tags: Vec<t::Tag>) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::TagResource { key_id, tags: self::tags(tags) })
    }

    /// `UntagResource`: removes the tags with these keys.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn untag_resource(&self, key_id: String, tag_keys: Vec<String>) -> AsyncTask<Job<ops::UntagResource>> {
        self.job(ops::UntagResource { key_id, tag_keys })
    }

    /// Synchronous twin of `untagResource`.
    #[napi(strict)]
    pub fn untag_resource_sync(&self, env: Env, key_id: String, tag_keys: Vec<String>) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::UntagResource { key_id, tag_keys })
    }

    /// `ListResourceTags`: one page of a key's tags (`limit` 1–50, default 50).
    #[napi(strict, ts_return_type = "Promise<ListResourceTagsResult>")]
    pub fn list_resource_tags(
        &self,
        key_id: String,
        options: Option<t::ListOptions>,
    ) -> AsyncTask<Job<ops::ListResourceTags>> {
        let (limit, marker) = options.map_or((None, None), |o| (o.limit, o.marker));
        self.job(ops::ListResourceTags { key_id, limit, marker })
    }

    /// Synchronous twin of `listResourceTags`.
    #[napi(strict)]
    pub fn list_resource_tags_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<t::ListOptions>,
    ) -> Result<t::ListResourceTagsResult> {
        let (limit, marker) = options.map_or((None, None), |o| (o.limit, o.marker));
        run_sync(&env, &self.core, ops::ListResourceTags { key_id, limit, marker })
    }

    /// `CreateAlias`: creates `alias/<name>` pointing at a key (key id or key ARN).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn create_alias(&self, alias_name: String, target_key_id: String) -> AsyncTask<Job<ops::SetAlias>> {
        self.job(ops::SetAlias { alias_name, target_key_id, create: true })
    }

    /// Synchronous twin of `createAlias`.
    #[napi(strict)]
    pub fn create_alias_sync(&self, env: Env, alias_name: String, target_key_id: String) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::SetAlias { alias_name, target_key_id, create: true })
    }

    /// `UpdateAlias`: points an existing alias at another key.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn update_alias(&self, alias_name: String, target_key_id: String) -> AsyncTask<Job<ops::SetAlias>> {
        self.job(ops::SetAlias { alias_name, target_key_id, create: false })
    }

    /// Synchronous twin of `updateAlias`.
    #[napi(strict)]
    pub fn update_alias_sync(&self, env: Env, alias_name: String, target_key_id: String) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::SetAlias { alias_name, target_key_id, create: false })
    }

    /// `DeleteAlias`: deletes an alias (the key is untouched).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn delete_alias(&self, alias_name: String) -> AsyncTask<Job<ops::DeleteAlias>> {
        self.job(ops::DeleteAlias { alias_name })
    }

    /// Synchronous twin of `deleteAlias`.
    #[napi(strict)]
    pub fn delete_alias_sync(&self, env: Env, alias_name: String) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::DeleteAlias { alias_name })
    }

    /// `ListAliases`: one page of aliases, all or those of `keyId` (`limit` 1–100, default 50).
    #[napi(strict, ts_return_type = "Promise<ListAliasesResult>")]
    pub fn list_aliases(&self, options: Option<t::ListAliasesOptions>) -> AsyncTask<Job<ops::ListAliases>> {
        self.job(list_aliases(options))
    }

    /// Synchronous twin of `listAliases`.
    #[napi(strict)]
    pub fn list_aliases_sync(&self, env: Env, options: Option<t::ListAliasesOptions>) -> Result<t::ListAliasesResult> {
        run_sync(&env, &self.core, list_aliases(options))
    }

    /// `EnableKey`: a disabled key becomes `Enabled`.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn enable_key(&self, key_id: String) -> AsyncTask<Job<ops::EnableKey>> {
        self.job(ops::EnableKey { key_id })
    }

    /// Synchronous twin of `enableKey`.
    #[napi(strict)]
    pub fn enable_key_sync(&self, env: Env, key_id: String) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::EnableKey { key_id })
    }

    /// `DisableKey`: the key can no longer encrypt or decrypt (`DisabledException`).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn disable_key(&self, key_id: String) -> AsyncTask<Job<ops::DisableKey>> {
        self.job(ops::DisableKey { key_id })
    }

    /// Synchronous twin of `disableKey`.
    #[napi(strict)]
    pub fn disable_key_sync(&self, env: Env, key_id: String) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::DisableKey { key_id })
    }

    /// `ScheduleKeyDeletion`: the key becomes `PendingDeletion` and is destroyed with its
    /// materials and aliases after the waiting period (7–30 days, default 30).
    #[napi(strict, ts_return_type = "Promise<ScheduleKeyDeletionResult>")]
    pub fn schedule_key_deletion(
        &self,
        key_id: String,
        options: Option<t::ScheduleKeyDeletionOptions>,
    ) -> AsyncTask<Job<ops::ScheduleKeyDeletion>> {
        let pending_window_in_days = options.and_then(|o| o.pending_window_in_days);
        self.job(ops::ScheduleKeyDeletion { key_id, pending_window_in_days })
    }

    /// Synchronous twin of `scheduleKeyDeletion`.
    #[napi(strict)]
    pub fn schedule_key_deletion_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<t::ScheduleKeyDeletionOptions>,
    ) -> Result<t::ScheduleKeyDeletionResult> {
        let pending_window_in_days = options.and_then(|o| o.pending_window_in_days);
        run_sync(&env, &self.core, ops::ScheduleKeyDeletion { key_id, pending_window_in_days })
    }

    /// `CancelKeyDeletion`: a key pending deletion becomes `Disabled`; resolves to its ARN.
    #[napi(strict, ts_return_type = "Promise<string>")]
    pub fn cancel_key_deletion(&self, key_id: String) -> AsyncTask<Job<ops::CancelKeyDeletion>> {
        self.job(ops::CancelKeyDeletion { key_id })
    }

    /// Synchronous twin of `cancelKeyDeletion`.
    #[napi(strict)]
    pub fn cancel_key_deletion_sync(&self, env: Env, key_id: String) -> Result<String> {
        run_sync(&env, &self.core, ops::CancelKeyDeletion { key_id })
    }

    /// `EnableKeyRotation`: automatic rotation every `rotationPeriodInDays` (90–2560, default 365).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn enable_key_rotation(
        &self,
        key_id: String,
        options: Option<t::EnableKeyRotationOptions>,
    ) -> AsyncTask<Job<ops::EnableKeyRotation>> {
        let rotation_period_in_days = options.and_then(|o| o.rotation_period_in_days);
        self.job(ops::EnableKeyRotation { key_id, rotation_period_in_days })
    }

    /// Synchronous twin of `enableKeyRotation`.
    #[napi(strict)]
    pub fn enable_key_rotation_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<t::EnableKeyRotationOptions>,
    ) -> Result<Undefined> {
        let rotation_period_in_days = options.and_then(|o| o.rotation_period_in_days);
        run_sync(&env, &self.core, ops::EnableKeyRotation { key_id, rotation_period_in_days })
    }

    /// `DisableKeyRotation`: turns automatic rotation off.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn disable_key_rotation(&self, key_id: String) -> AsyncTask<Job<ops::DisableKeyRotation>> {
        self.job(ops::DisableKeyRotation { key_id })
    }

    /// Synchronous twin of `disableKeyRotation`.
    #[napi(strict)]
    pub fn disable_key_rotation_sync(&self, env: Env, key_id: String) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::DisableKeyRotation { key_id })
    }

    /// `GetKeyRotationStatus`: whether automatic rotation is on, its period and next date.
    #[napi(strict, ts_return_type = "Promise<KeyRotationStatus>")]
    pub fn get_key_rotation_status(&self, key_id: String) -> AsyncTask<Job<ops::GetKeyRotationStatus>> {
        self.job(ops::GetKeyRotationStatus { key_id })
    }

    /// Synchronous twin of `getKeyRotationStatus`.
    #[napi(strict)]
    pub fn get_key_rotation_status_sync(&self, env: Env, key_id: String) -> Result<t::KeyRotationStatus> {
        run_sync(&env, &self.core, ops::GetKeyRotationStatus { key_id })
    }

    /// `RotateKeyOnDemand`: makes a new key material current now (at most 25 times per key);
    /// resolves to the key ARN. Old ciphertexts still decrypt.
    #[napi(strict, ts_return_type = "Promise<string>")]
    pub fn rotate_key_on_demand(&self, key_id: String) -> AsyncTask<Job<ops::RotateKeyOnDemand>> {
        self.job(ops::RotateKeyOnDemand { key_id })
    }

    /// Synchronous twin of `rotateKeyOnDemand`.
    #[napi(strict)]
    pub fn rotate_key_on_demand_sync(&self, env: Env, key_id: String) -> Result<String> {
        run_sync(&env, &self.core, ops::RotateKeyOnDemand { key_id })
    }

    /// `ListKeyRotations`: completed rotations, oldest first (`limit` 1–1000, default 100).
    #[napi(strict, ts_return_type = "Promise<ListKeyRotationsResult>")]
    pub fn list_key_rotations(
        &self,
        key_id: String,
        options: Option<t::ListKeyRotationsOptions>,
    ) -> AsyncTask<Job<ops::ListKeyRotations>> {
        self.job(list_key_rotations(key_id, options))
    }

    /// Synchronous twin of `listKeyRotations`.
    #[napi(strict)]
    pub fn list_key_rotations_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<t::ListKeyRotationsOptions>,
    ) -> Result<t::ListKeyRotationsResult> {
        run_sync(&env, &self.core, list_key_rotations(key_id, options))
    }

    /// `Encrypt`: encrypts up to 4096 bytes under a symmetric key. The plaintext is copied into
    /// zeroizing memory before the call is queued, so the caller may reuse its buffer at once.
    #[napi(strict, ts_return_type = "Promise<EncryptResult>")]
    pub fn encrypt(
        &self,
        key_id: String,
        plaintext: &[u8],
        options: Option<t::EncryptOptions>,
    ) -> AsyncTask<Job<ops::Encrypt<'static>>> {
        self.job(encrypt(key_id, ops::Input::secret(plaintext), options))
    }

    /// Synchronous twin of `encrypt`.
    #[napi(strict)]
    pub fn encrypt_sync(
        &self,
        env: Env,
        key_id: String,
        plaintext: &[u8],
        options: Option<t::EncryptOptions>,
    ) -> Result<t::EncryptResult> {
        run_sync(&env, &self.core, encrypt(key_id, ops::Input::Borrowed(plaintext), options))
    }

    /// `Decrypt`: decrypts a ciphertext made by `encrypt`, `generateDataKey...` or `reEncrypt`.
    /// Every failure of the ciphertext itself (tampering, wrong context, unknown key) is the same
    /// `InvalidCiphertextException`.
    #[napi(strict, ts_return_type = "Promise<DecryptResult>")]
    pub fn decrypt(
        &self,
        ciphertext_blob: &[u8],
        options: Option<t::DecryptOptions>,
    ) -> AsyncTask<Job<ops::Decrypt<'static>>> {
        self.job(decrypt(ops::Input::public(ciphertext_blob), options))
    }

    /// Synchronous twin of `decrypt`.
    #[napi(strict)]
    pub fn decrypt_sync(
        &self,
        env: Env,
        ciphertext_blob: &[u8],
        options: Option<t::DecryptOptions>,
    ) -> Result<t::DecryptResult> {
        run_sync(&env, &self.core, decrypt(ops::Input::Borrowed(ciphertext_blob), options))
    }

    /// `ReEncrypt`: decrypts and encrypts again under `destinationKeyId` without exposing the
    /// plaintext.
    #[napi(strict, ts_return_type = "Promise<ReEncryptResult>")]
    pub fn re_encrypt(
        &self,
        ciphertext_blob: &[u8],
        destination_key_id: String,
        options: Option<t::ReEncryptOptions>,
    ) -> AsyncTask<Job<ops::ReEncrypt>> {
        self.job(re_encrypt(ciphertext_blob, destination_key_id, options))
    }

    /// Synchronous twin of `reEncrypt`.
    #[napi(strict)]
    pub fn re_encrypt_sync(
        &self,
        env: Env,
        ciphertext_blob: &[u8],
        destination_key_id: String,
        options: Option<t::ReEncryptOptions>,
    ) -> Result<t::ReEncryptResult> {
        run_sync(&env, &self.core, re_encrypt(ciphertext_blob, destination_key_id, options))
    }

    /// `GenerateDataKey`: a fresh data key, in the clear and encrypted under the key (envelope
    /// encryption: encrypt your data locally with `plaintext`, store `ciphertextBlob`).
    #[napi(strict, ts_return_type = "Promise<GenerateDataKeyResult>")]
    pub fn generate_data_key(
        &self,
        key_id: String,
        options: Option<t::GenerateDataKeyOptions>,
    ) -> AsyncTask<Job<ops::GenerateDataKey<true>>> {
        self.job(ops::GenerateDataKey::new(key_id, options))
    }

    /// Synchronous twin of `generateDataKey`.
    #[napi(strict)]
    pub fn generate_data_key_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<t::GenerateDataKeyOptions>,
    ) -> Result<t::GenerateDataKeyResult> {
        run_sync(&env, &self.core, ops::GenerateDataKey::<true>::new(key_id, options))
    }

    /// `GenerateDataKeyWithoutPlaintext`: like `generateDataKey`, the encrypted copy only.
    #[napi(strict, ts_return_type = "Promise<GenerateDataKeyWithoutPlaintextResult>")]
    pub fn generate_data_key_without_plaintext(
        &self,
        key_id: String,
        options: Option<t::GenerateDataKeyOptions>,
    ) -> AsyncTask<Job<ops::GenerateDataKey<false>>> {
        self.job(ops::GenerateDataKey::new(key_id, options))
    }

    /// Synchronous twin of `generateDataKeyWithoutPlaintext`.
    #[napi(strict)]
    pub fn generate_data_key_without_plaintext_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<t::GenerateDataKeyOptions>,
    ) -> Result<t::GenerateDataKeyWithoutPlaintextResult> {
        run_sync(&env, &self.core, ops::GenerateDataKey::<false>::new(key_id, options))
    }

    /// `GenerateRandom`: 1–1024 cryptographically secure random bytes.
    #[napi(strict, ts_return_type = "Promise<GenerateRandomResult>")]
    pub fn generate_random(&self, number_of_bytes: u32) -> AsyncTask<Job<ops::GenerateRandom>> {
        self.job(ops::GenerateRandom { number_of_bytes })
    }

    /// Synchronous twin of `generateRandom`.
    #[napi(strict)]
    pub fn generate_random_sync(&self, env: Env, number_of_bytes: u32) -> Result<t::GenerateRandomResult> {
        run_sync(&env, &self.core, ops::GenerateRandom { number_of_bytes })
    }

    /// `GenerateDataKeyPair`: a fresh asymmetric data key pair (`keyPairSpec` required, e.g.
    /// `ECC_NIST_P256`, `RSA_2048`): the public key, the private key in the clear and encrypted
    /// under the symmetric KMS key.
    #[napi(strict, ts_return_type = "Promise<GenerateDataKeyPairResult>")]
    pub fn generate_data_key_pair(
        &self,
        key_id: String,
        key_pair_spec: String,
        options: Option<t::GenerateDataKeyPairOptions>,
    ) -> AsyncTask<Job<ops::GenerateDataKeyPair<true>>> {
        self.job(data_key_pair(key_id, key_pair_spec, options))
    }

    /// Synchronous twin of `generateDataKeyPair`.
    #[napi(strict)]
    pub fn generate_data_key_pair_sync(
        &self,
        env: Env,
        key_id: String,
        key_pair_spec: String,
        options: Option<t::GenerateDataKeyPairOptions>,
    ) -> Result<t::GenerateDataKeyPairResult> {
        run_sync(&env, &self.core, data_key_pair::<true>(key_id, key_pair_spec, options))
    }

    /// `GenerateDataKeyPairWithoutPlaintext`: like `generateDataKeyPair`, without the clear
    /// private key.
    #[napi(strict, ts_return_type = "Promise<GenerateDataKeyPairWithoutPlaintextResult>")]
    pub fn generate_data_key_pair_without_plaintext(
        &self,
        key_id: String,
        key_pair_spec: String,
        options: Option<t::GenerateDataKeyPairOptions>,
    ) -> AsyncTask<Job<ops::GenerateDataKeyPair<false>>> {
        self.job(data_key_pair(key_id, key_pair_spec, options))
    }

    /// Synchronous twin of `generateDataKeyPairWithoutPlaintext`.
    #[napi(strict)]
    pub fn generate_data_key_pair_without_plaintext_sync(
        &self,
        env: Env,
        key_id: String,
        key_pair_spec: String,
        options: Option<t::GenerateDataKeyPairOptions>,
    ) -> Result<t::GenerateDataKeyPairWithoutPlaintextResult> {
        run_sync(&env, &self.core, data_key_pair::<false>(key_id, key_pair_spec, options))
    }

    /// `DeriveSharedSecret`: ECDH between a `KEY_AGREEMENT` key's private key and a peer's
    /// public key (DER SubjectPublicKeyInfo); `keyAgreementAlgorithm` is `ECDH`.
    #[napi(strict, ts_return_type = "Promise<DeriveSharedSecretResult>")]
    pub fn derive_shared_secret(
        &self,
        key_id: String,
        key_agreement_algorithm: String,
        public_key: &[u8],
        options: Option<t::GrantOptions>,
    ) -> AsyncTask<Job<ops::DeriveSharedSecret>> {
        self.job(ops::DeriveSharedSecret {
            key_id,
            algorithm: key_agreement_algorithm,
            public_key: public_key.to_vec(),
            access: grant_access(options),
        })
    }

    /// Synchronous twin of `deriveSharedSecret`.
    #[napi(strict)]
    pub fn derive_shared_secret_sync(
        &self,
        env: Env,
        key_id: String,
        key_agreement_algorithm: String,
        public_key: &[u8],
        options: Option<t::GrantOptions>,
    ) -> Result<t::DeriveSharedSecretResult> {
        let op = ops::DeriveSharedSecret {
            key_id,
            algorithm: key_agreement_algorithm,
            public_key: public_key.to_vec(),
            access: grant_access(options),
        };
        run_sync(&env, &self.core, op)
    }

    /// `GetParametersForImport`: an RSA wrapping key and an import token for a key created with
    /// `origin: 'EXTERNAL'`; e.g. `('RSAES_OAEP_SHA_256', 'RSA_2048')`.
    #[napi(strict, ts_return_type = "Promise<GetParametersForImportResult>")]
    pub fn get_parameters_for_import(
        &self,
        key_id: String,
        wrapping_algorithm: String,
        wrapping_key_spec: String,
    ) -> AsyncTask<Job<ops::GetParametersForImport>> {
        self.job(ops::GetParametersForImport { key_id, wrapping_algorithm, wrapping_key_spec })
    }

    /// Synchronous twin of `getParametersForImport`.
    #[napi(strict)]
    pub fn get_parameters_for_import_sync(
        &self,
        env: Env,
        key_id: String,
        wrapping_algorithm: String,
        wrapping_key_spec: String,
    ) -> Result<t::GetParametersForImportResult> {
        run_sync(&env, &self.core, ops::GetParametersForImport { key_id, wrapping_algorithm, wrapping_key_spec })
    }

    /// `ImportKeyMaterial`: imports key material wrapped under the public key from
    /// `getParametersForImport`.
    #[napi(strict, ts_return_type = "Promise<ImportedKeyMaterialResult>")]
    pub fn import_key_material(
        &self,
        key_id: String,
        import_token: &[u8],
        encrypted_key_material: &[u8],
        options: Option<t::ImportKeyMaterialOptions>,
    ) -> AsyncTask<Job<ops::ImportKeyMaterial>> {
        self.job(import_key_material(key_id, import_token, encrypted_key_material, options))
    }

    /// Synchronous twin of `importKeyMaterial`.
    #[napi(strict)]
    pub fn import_key_material_sync(
        &self,
        env: Env,
        key_id: String,
        import_token: &[u8],
        encrypted_key_material: &[u8],
        options: Option<t::ImportKeyMaterialOptions>,
    ) -> Result<t::ImportedKeyMaterialResult> {
        run_sync(&env, &self.core, import_key_material(key_id, import_token, encrypted_key_material, options))
    }

    /// `DeleteImportedKeyMaterial`: deletes imported material (`keyMaterialId`, default the
    /// current one); the key becomes `PendingImport` (unless the material was still waiting
    /// for rotation).
    #[napi(strict, ts_return_type = "Promise<ImportedKeyMaterialResult>")]
    pub fn delete_imported_key_material(
        &self,
        key_id: String,
        options: Option<t::DeleteImportedKeyMaterialOptions>,
    ) -> AsyncTask<Job<ops::DeleteImportedKeyMaterial>> {
        self.job(ops::DeleteImportedKeyMaterial { key_id, key_material_id: options.and_then(|o| o.key_material_id) })
    }

    /// Synchronous twin of `deleteImportedKeyMaterial`.
    #[napi(strict)]
    pub fn delete_imported_key_material_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<t::DeleteImportedKeyMaterialOptions>,
    ) -> Result<t::ImportedKeyMaterialResult> {
        let key_material_id = options.and_then(|o| o.key_material_id);
        run_sync(&env, &self.core, ops::DeleteImportedKeyMaterial { key_id, key_material_id })
    }

    /// `Sign`: signs `message` with an asymmetric `SIGN_VERIFY` key. `signingAlgorithm` is
    /// required, e.g. `ECDSA_SHA_256`, `RSASSA_PSS_SHA_256`.
    #[napi(strict, ts_return_type = "Promise<SignResult>")]
    pub fn sign(
        &self,
        key_id: String,
        message: &[u8],
        signing_algorithm: String,
        options: Option<t::SignOptions>,
    ) -> AsyncTask<Job<ops::Sign<'static>>> {
        self.job(sign(key_id, ops::Input::secret(message), signing_algorithm, options))
    }

    /// Synchronous twin of `sign`.
    #[napi(strict)]
    pub fn sign_sync(
        &self,
        env: Env,
        key_id: String,
        message: &[u8],
        signing_algorithm: String,
        options: Option<t::SignOptions>,
    ) -> Result<t::SignResult> {
        run_sync(&env, &self.core, sign(key_id, ops::Input::Borrowed(message), signing_algorithm, options))
    }

    /// `Verify`: checks a signature made by `sign` (or by any holder of the private key).
    /// An invalid signature rejects with `KMSInvalidSignatureException`.
    #[napi(strict, ts_return_type = "Promise<VerifyResult>")]
    pub fn verify(
        &self,
        key_id: String,
        message: &[u8],
        signature: &[u8],
        signing_algorithm: String,
        options: Option<t::SignOptions>,
    ) -> AsyncTask<Job<ops::Verify<'static>>> {
        self.job(verify(key_id, ops::Input::secret(message), ops::Input::public(signature), signing_algorithm, options))
    }

    /// Synchronous twin of `verify`.
    #[napi(strict)]
    pub fn verify_sync(
        &self,
        env: Env,
        key_id: String,
        message: &[u8],
        signature: &[u8],
        signing_algorithm: String,
        options: Option<t::SignOptions>,
    ) -> Result<t::VerifyResult> {
        run_sync(
            &env,
            &self.core,
            verify(key_id, ops::Input::Borrowed(message), ops::Input::Borrowed(signature), signing_algorithm, options),
        )
    }

    /// `GetPublicKey`: the public key of an asymmetric key (DER SubjectPublicKeyInfo).
    #[napi(strict, ts_return_type = "Promise<GetPublicKeyResult>")]
    pub fn get_public_key(
        &self,
        key_id: String,
        options: Option<t::GetPublicKeyOptions>,
    ) -> AsyncTask<Job<ops::GetPublicKey>> {
        self.job(ops::GetPublicKey { key_id, grant_tokens: options.and_then(|o| o.grant_tokens).unwrap_or_default() })
    }

    /// Synchronous twin of `getPublicKey`.
    #[napi(strict)]
    pub fn get_public_key_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<t::GetPublicKeyOptions>,
    ) -> Result<t::GetPublicKeyResult> {
        let grant_tokens = options.and_then(|o| o.grant_tokens).unwrap_or_default();
        run_sync(&env, &self.core, ops::GetPublicKey { key_id, grant_tokens })
    }

    /// `GenerateMac`: an HMAC of `message` with a `GENERATE_VERIFY_MAC` key; `macAlgorithm`
    /// (required) e.g. `HMAC_SHA_256`.
    #[napi(strict, ts_return_type = "Promise<GenerateMacResult>")]
    pub fn generate_mac(
        &self,
        key_id: String,
        message: &[u8],
        mac_algorithm: String,
        options: Option<t::GrantOptions>,
    ) -> AsyncTask<Job<ops::GenerateMac<'static>>> {
        self.job(ops::GenerateMac {
            key_id,
            message: ops::Input::secret(message),
            algorithm: mac_algorithm,
            access: grant_access(options),
        })
    }

    /// Synchronous twin of `generateMac`.
    #[napi(strict)]
    pub fn generate_mac_sync(
        &self,
        env: Env,
        key_id: String,
        message: &[u8],
        mac_algorithm: String,
        options: Option<t::GrantOptions>,
    ) -> Result<t::GenerateMacResult> {
        let op = ops::GenerateMac {
            key_id,
            message: ops::Input::Borrowed(message),
            algorithm: mac_algorithm,
            access: grant_access(options),
        };
        run_sync(&env, &self.core, op)
    }

    /// `VerifyMac`: checks an HMAC in constant time; a mismatch rejects with
    /// `KMSInvalidMacException`.
    #[napi(strict, ts_return_type = "Promise<VerifyMacResult>")]
    pub fn verify_mac(
        &self,
        key_id: String,
        message: &[u8],
        mac: &[u8],
        mac_algorithm: String,
        options: Option<t::GrantOptions>,
    ) -> AsyncTask<Job<ops::VerifyMac>> {
        self.job(ops::VerifyMac {
            key_id,
            message: SecretBytes::copy_from(message),
            mac: mac.to_vec(),
            algorithm: mac_algorithm,
            access: grant_access(options),
        })
    }

    /// Synchronous twin of `verifyMac`.
    #[napi(strict)]
    pub fn verify_mac_sync(
        &self,
        env: Env,
        key_id: String,
        message: &[u8],
        mac: &[u8],
        mac_algorithm: String,
        options: Option<t::GrantOptions>,
    ) -> Result<t::VerifyMacResult> {
        let op = ops::VerifyMac {
            key_id,
            message: SecretBytes::copy_from(message),
            mac: mac.to_vec(),
            algorithm: mac_algorithm,
            access: grant_access(options),
        };
        run_sync(&env, &self.core, op)
    }

    /// Envelope encryption in one call (Keystead's message format, `docs/format.md` section 5):
    /// a fresh data key from `keyId` (plus `additionalKeyIds`), AES-256-GCM segments, the
    /// encryption context and a key commitment in a self-describing header. For records and
    /// objects of any size (the 4096-byte limit of `encrypt` does not apply). Resolves to the
    /// message.
    #[napi(strict, ts_return_type = "Promise<Buffer>")]
    pub fn seal_envelope(
        &self,
        key_id: String,
        plaintext: &[u8],
        options: Option<t::SealEnvelopeOptions>,
    ) -> AsyncTask<Job<ops::SealEnvelope<'static>>> {
        self.job(seal_envelope(key_id, ops::Input::secret(plaintext), options))
    }

    /// Synchronous twin of `sealEnvelope`.
    #[napi(strict, ts_return_type = "Buffer")]
    pub fn seal_envelope_sync(
        &self,
        env: Env,
        key_id: String,
        plaintext: &[u8],
        options: Option<t::SealEnvelopeOptions>,
    ) -> Result<crate::bytes::Bytes> {
        run_sync(&env, &self.core, seal_envelope(key_id, ops::Input::Borrowed(plaintext), options))
    }

    /// Opens a message made by `sealEnvelope` (no key id needed: the message names its wrapping
    /// keys). Any damaged, truncated or forged message, or another encryption context, is
    /// `InvalidCiphertextException`. Resolves to the plaintext.
    #[napi(strict, ts_return_type = "Promise<Buffer>")]
    pub fn open_envelope(
        &self,
        message: &[u8],
        options: Option<t::OpenEnvelopeOptions>,
    ) -> AsyncTask<Job<ops::OpenEnvelope<'static>>> {
        self.job(open_envelope(ops::Input::public(message), options))
    }

    /// Synchronous twin of `openEnvelope`.
    #[napi(strict, ts_return_type = "Buffer")]
    pub fn open_envelope_sync(
        &self,
        env: Env,
        message: &[u8],
        options: Option<t::OpenEnvelopeOptions>,
    ) -> Result<crate::bytes::Secret> {
        run_sync(&env, &self.core, open_envelope(ops::Input::Borrowed(message), options))
    }

    /// Replaces the store's root key (Keystead only): every key material is re-sealed under the
    /// new root key in one transaction. Give exactly one source; `{}` means a new random key
    /// file at the default path. Other handles and processes must reopen the store.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn rotate_root_key(&self, env: Env, options: t::RootKeyOptions) -> Result<AsyncTask<Job<ops::RotateRootKey>>> {
        let source = rotate_source(&env, options)?;
        Ok(self.job(ops::RotateRootKey { source }))
    }

    /// Synchronous twin of `rotateRootKey`.
    #[napi(strict)]
    pub fn rotate_root_key_sync(&self, env: Env, options: t::RootKeyOptions) -> Result<Undefined> {
        let source = rotate_source(&env, options)?;
        run_sync(&env, &self.core, ops::RotateRootKey { source })
    }

    /// Destroys keys whose deletion date has passed and performs due automatic rotations now
    /// (every operation also does this when something is due).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn sweep(&self) -> AsyncTask<Job<ops::Sweep>> {
        self.job(ops::Sweep)
    }

    /// Synchronous twin of `sweep`.
    #[napi(strict)]
    pub fn sweep_sync(&self, env: Env) -> Result<Undefined> {
        run_sync(&env, &self.core, ops::Sweep)
    }
}

fn rotate_source(env: &Env, o: t::RootKeyOptions) -> Result<RootKeySource> {
    Ok(root_source(env, o.key_file, o.env_var, o.passphrase, o.root_key)?.unwrap_or_default())
}

fn list_aliases(options: Option<t::ListAliasesOptions>) -> ops::ListAliases {
    let (key_id, limit, marker) = options.map_or((None, None, None), |o| (o.key_id, o.limit, o.marker));
    ops::ListAliases { key_id, limit, marker }
}

fn list_key_rotations(key_id: String, options: Option<t::ListKeyRotationsOptions>) -> ops::ListKeyRotations {
    let (include_key_material, limit, marker) =
        options.map_or((None, None, None), |o| (o.include_key_material, o.limit, o.marker));
    ops::ListKeyRotations { key_id, include_key_material, limit, marker }
}

fn grant_access(options: Option<t::GrantOptions>) -> ops::Access {
    options.map_or_else(ops::Access::default, |o| ops::Access::new(o.grant_tokens, o.dry_run))
}

fn data_key_pair<const PLAINTEXT: bool>(
    key_id: String,
    key_pair_spec: String,
    options: Option<t::GenerateDataKeyPairOptions>,
) -> ops::GenerateDataKeyPair<PLAINTEXT> {
    let (context, access) = options.map_or((None, ops::Access::default()), |o| {
        (t::context(o.encryption_context), ops::Access::new(o.grant_tokens, o.dry_run))
    });
    ops::GenerateDataKeyPair { key_id, key_pair_spec, context, access }
}

fn encrypt(key_id: String, plaintext: ops::Input<'_>, options: Option<t::EncryptOptions>) -> ops::Encrypt<'_> {
    let (context, algorithm, access) = options.map_or((None, None, ops::Access::default()), |o| {
        (t::context(o.encryption_context), o.encryption_algorithm, ops::Access::new(o.grant_tokens, o.dry_run))
    });
    ops::Encrypt { key_id, plaintext, context, algorithm, access }
}

fn decrypt(ciphertext: ops::Input<'_>, options: Option<t::DecryptOptions>) -> ops::Decrypt<'_> {
    let (context, key_id, algorithm, access) = options.map_or((None, None, None, ops::Access::default()), |o| {
        (
            t::context(o.encryption_context),
            o.key_id,
            o.encryption_algorithm,
            ops::Access::new(o.grant_tokens, o.dry_run),
        )
    });
    ops::Decrypt { ciphertext, context, key_id, algorithm, access }
}

fn re_encrypt(ciphertext: &[u8], destination_key_id: String, options: Option<t::ReEncryptOptions>) -> ops::ReEncrypt {
    let mut op = ops::ReEncrypt {
        ciphertext: ciphertext.to_vec(),
        destination_key_id,
        source_context: None,
        source_key_id: None,
        destination_context: None,
        source_algorithm: None,
        destination_algorithm: None,
        access: ops::Access::default(),
    };
    if let Some(o) = options {
        op.source_context = t::context(o.source_encryption_context);
        op.source_key_id = o.source_key_id;
        op.destination_context = t::context(o.destination_encryption_context);
        op.source_algorithm = o.source_encryption_algorithm;
        op.destination_algorithm = o.destination_encryption_algorithm;
        op.access = ops::Access::new(o.grant_tokens, o.dry_run);
    }
    op
}

fn seal_envelope(
    key_id: String,
    plaintext: ops::Input<'_>,
    options: Option<t::SealEnvelopeOptions>,
) -> ops::SealEnvelope<'_> {
    let mut seal = core::envelope::SealOptions::default();
    let mut context = None;
    if let Some(o) = options {
        context = t::context(o.encryption_context);
        if let Some(ids) = o.additional_key_ids {
            seal.additional_key_ids = ids;
        }
        if let Some(size) = o.segment_size {
            seal.segment_size = size as usize;
        }
    }
    ops::SealEnvelope { key_id, plaintext, context: context.unwrap_or_default(), options: seal }
}

fn open_envelope(message: ops::Input<'_>, options: Option<t::OpenEnvelopeOptions>) -> ops::OpenEnvelope<'_> {
    let mut open = core::envelope::OpenOptions::default();
    let mut context = None;
    if let Some(o) = options {
        context = t::context(o.encryption_context);
        if let Some(max) = o.max_encrypted_data_keys {
            open.max_encrypted_data_keys = max as usize;
        }
        open.allowed_wrapping_keys = o.allowed_wrapping_keys;
    }
    ops::OpenEnvelope { message, context: context.unwrap_or_default(), options: open }
}

fn sign(key_id: String, message: ops::Input<'_>, algorithm: String, options: Option<t::SignOptions>) -> ops::Sign<'_> {
    let (message_type, access) = sign_options(options);
    ops::Sign { key_id, message, algorithm, message_type, access }
}

fn verify<'a>(
    key_id: String,
    message: ops::Input<'a>,
    signature: ops::Input<'a>,
    algorithm: String,
    options: Option<t::SignOptions>,
) -> ops::Verify<'a> {
    let (message_type, access) = sign_options(options);
    ops::Verify { key_id, message, signature, algorithm, message_type, access }
}

fn sign_options(options: Option<t::SignOptions>) -> (Option<String>, ops::Access) {
    options.map_or((None, ops::Access::default()), |o| (o.message_type, ops::Access::new(o.grant_tokens, o.dry_run)))
}

fn import_key_material(
    key_id: String,
    import_token: &[u8],
    encrypted_key_material: &[u8],
    options: Option<t::ImportKeyMaterialOptions>,
) -> ops::ImportKeyMaterial {
    let o = options.unwrap_or(t::ImportKeyMaterialOptions {
        expiration_model: None,
        valid_to: None,
        import_type: None,
        key_material_description: None,
        key_material_id: None,
    });
    ops::ImportKeyMaterial {
        key_id,
        import_token: import_token.to_vec(),
        encrypted_key_material: encrypted_key_material.to_vec(),
        expiration_model: o.expiration_model,
        valid_to_seconds: o.valid_to,
        import_type: o.import_type,
        key_material_description: o.key_material_description,
        key_material_id: o.key_material_id,
    }
}
