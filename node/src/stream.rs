//! Streaming envelope encryption, field-level record encryption and configuration secrets.
//!
//! `NativeSealStream` / `NativeOpenStream` are the native halves of `createSealStream` /
//! `createOpenStream` (`node/stream.js`, Transform streams): each `update` / `finish` runs on
//! the libuv thread pool and resolves to the bytes it produced; the Transform calls the next one
//! only after the previous resolved, so chunks stay in order and backpressure is Node's own.

// Free `#[napi]` functions are registered only in the addon build; a unit-test build of the
// crate sees no caller for them (or for the task structs behind them).
#![cfg_attr(test, allow(dead_code))]

use std::sync::{Arc, Mutex};

use keystead_core::envelope::{self, OpenOptions, OpenStream, SealOptions, SealStream};
use keystead_core::{Error as CoreError, ErrorKind, Keystead as Core, SecretBytes};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Result};
use napi_derive::napi;

use crate::bytes::{self, Bytes, Secret};
use crate::error::core_error;
use crate::store::Keystead;
use crate::task::{run_sync, Job, Op};
use crate::types as t;

fn seal_options(options: Option<&t::SealEnvelopeOptions>) -> SealOptions {
    let mut seal = SealOptions::default();
    if let Some(o) = options {
        if let Some(ids) = &o.additional_key_ids {
            seal.additional_key_ids = ids.clone();
        }
        if let Some(size) = o.segment_size {
            seal.segment_size = size as usize;
        }
    }
    seal
}

fn open_options(options: Option<&t::OpenEnvelopeOptions>) -> OpenOptions {
    let mut open = OpenOptions::default();
    if let Some(o) = options {
        if let Some(max) = o.max_encrypted_data_keys {
            open.max_encrypted_data_keys = max as usize;
        }
        open.allowed_wrapping_keys = o.allowed_wrapping_keys.clone();
    }
    open
}

fn busy() -> CoreError {
    CoreError::new(ErrorKind::Internal, "an envelope stream was used by two operations at once")
}

enum Step {
    Update(SecretBytes),
    Finish,
}

/// One `update` / `finish` of a seal stream.
pub struct SealStep {
    stream: Arc<Mutex<SealStream>>,
    step: Step,
}

impl Op for SealStep {
    type Output = Vec<u8>;
    type Js = Bytes;

    fn run(&self, _store: &Core) -> keystead_core::Result<Vec<u8>> {
        let mut stream = self.stream.try_lock().map_err(|_| busy())?;
        match &self.step {
            Step::Update(data) => stream.update(data.expose()),
            Step::Finish => stream.finish(),
        }
    }

    fn to_js(env: &Env, output: Vec<u8>) -> Result<Bytes> {
        bytes::bytes(env, output)
    }
}

/// One `update` / `finish` of an open stream.
pub struct OpenStep {
    stream: Arc<Mutex<OpenStream>>,
    step: Step,
}

impl Op for OpenStep {
    type Output = SecretBytes;
    type Js = Secret;

    fn run(&self, _store: &Core) -> keystead_core::Result<SecretBytes> {
        let mut stream = self.stream.try_lock().map_err(|_| busy())?;
        match &self.step {
            Step::Update(data) => stream.update(data.expose()),
            Step::Finish => stream.finish(),
        }
    }

    fn to_js(env: &Env, output: SecretBytes) -> Result<Secret> {
        bytes::secret(env, output)
    }
}

/// The native half of `createSealStream`: plaintext chunks in, message bytes out.
#[napi]
pub struct NativeSealStream {
    core: Core,
    stream: Arc<Mutex<SealStream>>,
}

#[napi]
impl NativeSealStream {
    /// Generates the data key under `keyId` and prepares the header.
    #[napi(strict, constructor)]
    pub fn new(env: Env, store: &Keystead, key_id: String, options: Option<t::SealEnvelopeOptions>) -> Result<Self> {
        let core = store.core().clone();
        let context = options.as_ref().and_then(|o| t::context(o.encryption_context.clone())).unwrap_or_default();
        let stream = SealStream::new(&core, &key_id, &context, &seal_options(options.as_ref()))
            .map_err(|e| core_error(&env, &e))?;
        Ok(Self { core, stream: Arc::new(Mutex::new(stream)) })
    }

    /// Seals `chunk` on the thread pool; resolves to the message bytes ready so far.
    #[napi(strict, ts_return_type = "Promise<Buffer>")]
    pub fn update(&self, chunk: &[u8]) -> AsyncTask<Job<SealStep>> {
        let step = SealStep { stream: self.stream.clone(), step: Step::Update(SecretBytes::copy_from(chunk)) };
        AsyncTask::new(Job::new(&self.core, step))
    }

    /// Seals the last segment on the thread pool; resolves to the rest of the message.
    #[napi(strict, ts_return_type = "Promise<Buffer>")]
    pub fn finish(&self) -> AsyncTask<Job<SealStep>> {
        AsyncTask::new(Job::new(&self.core, SealStep { stream: self.stream.clone(), step: Step::Finish }))
    }
}

/// The native half of `createOpenStream`: message bytes in, verified plaintext out.
#[napi]
pub struct NativeOpenStream {
    core: Core,
    stream: Arc<Mutex<OpenStream>>,
}

#[napi]
impl NativeOpenStream {
    /// A stream that opens one message with these options.
    #[napi(strict, constructor)]
    pub fn new(env: Env, store: &Keystead, options: Option<t::OpenEnvelopeOptions>) -> Result<Self> {
        let core = store.core().clone();
        let context = options.as_ref().and_then(|o| t::context(o.encryption_context.clone())).unwrap_or_default();
        let stream =
            OpenStream::new(&core, &context, &open_options(options.as_ref())).map_err(|e| core_error(&env, &e))?;
        Ok(Self { core, stream: Arc::new(Mutex::new(stream)) })
    }

    /// Takes message bytes on the thread pool; resolves to the verified plaintext they complete.
    #[napi(strict, ts_return_type = "Promise<Buffer>")]
    pub fn update(&self, chunk: &[u8]) -> AsyncTask<Job<OpenStep>> {
        let step = OpenStep { stream: self.stream.clone(), step: Step::Update(SecretBytes::copy_from(chunk)) };
        AsyncTask::new(Job::new(&self.core, step))
    }

    /// Ends the message on the thread pool; resolves to the last segment's plaintext.
    #[napi(strict, ts_return_type = "Promise<Buffer>")]
    pub fn finish(&self) -> AsyncTask<Job<OpenStep>> {
        AsyncTask::new(Job::new(&self.core, OpenStep { stream: self.stream.clone(), step: Step::Finish }))
    }
}

/// `encryptFields`: fields of a record as JSON text.
pub struct EncryptFields {
    key_id: String,
    record: SecretBytes,
    fields: Vec<String>,
    context: keystead_core::EncryptionContext,
    options: SealOptions,
}

impl Op for EncryptFields {
    type Output = SecretBytes;
    type Js = String;

    fn run(&self, store: &Core) -> keystead_core::Result<SecretBytes> {
        let record: serde_json::Value = serde_json::from_slice(self.record.expose())
            .map_err(|e| CoreError::new(ErrorKind::Validation, format!("The record is not JSON: {e}")))?;
        let sealed =
            envelope::encrypt_fields(store, &self.key_id, &record, &self.fields, &self.context, &self.options)?;
        serde_json::to_vec(&sealed)
            .map(SecretBytes::new)
            .map_err(|e| CoreError::new(ErrorKind::Internal, e.to_string()))
    }

    fn to_js(_env: &Env, output: SecretBytes) -> Result<String> {
        String::from_utf8(output.expose().to_vec()).map_err(|e| napi::Error::from_reason(e.to_string()))
    }
}

/// `decryptFields`: a record made by `encryptFields`, as JSON text.
pub struct DecryptFields {
    record: SecretBytes,
    context: keystead_core::EncryptionContext,
    options: OpenOptions,
}

impl Op for DecryptFields {
    type Output = SecretBytes;
    type Js = String;

    fn run(&self, store: &Core) -> keystead_core::Result<SecretBytes> {
        let record: serde_json::Value = serde_json::from_slice(self.record.expose())
            .map_err(|e| CoreError::new(ErrorKind::Validation, format!("The record is not JSON: {e}")))?;
        let opened = envelope::decrypt_fields(store, &record, &self.context, &self.options)?;
        serde_json::to_vec(&opened)
            .map(SecretBytes::new)
            .map_err(|e| CoreError::new(ErrorKind::Internal, e.to_string()))
    }

    fn to_js(_env: &Env, output: SecretBytes) -> Result<String> {
        String::from_utf8(output.expose().to_vec()).map_err(|e| napi::Error::from_reason(e.to_string()))
    }
}

/// Encrypts `fields` of the JSON object `recordJson` under one data key (the JSON text of the
/// encrypted record). Used by `encryptFields` in `stream.js`, which takes a plain object.
#[napi(strict, ts_return_type = "Promise<string>")]
pub fn native_encrypt_fields(
    store: &Keystead,
    key_id: String,
    record_json: String,
    fields: Vec<String>,
    options: Option<t::SealEnvelopeOptions>,
) -> AsyncTask<Job<EncryptFields>> {
    let context = options.as_ref().and_then(|o| t::context(o.encryption_context.clone())).unwrap_or_default();
    let op = EncryptFields {
        key_id,
        record: SecretBytes::new(record_json.into_bytes()),
        fields,
        context,
        options: seal_options(options.as_ref()),
    };
    AsyncTask::new(Job::new(store.core(), op))
}

/// Decrypts a record made by `nativeEncryptFields` (JSON text in and out).
#[napi(strict, ts_return_type = "Promise<string>")]
pub fn native_decrypt_fields(
    store: &Keystead,
    record_json: String,
    options: Option<t::OpenEnvelopeOptions>,
) -> AsyncTask<Job<DecryptFields>> {
    let context = options.as_ref().and_then(|o| t::context(o.encryption_context.clone())).unwrap_or_default();
    let op = DecryptFields {
        record: SecretBytes::new(record_json.into_bytes()),
        context,
        options: open_options(options.as_ref()),
    };
    AsyncTask::new(Job::new(store.core(), op))
}

/// `encryptSecret`.
pub struct EncryptSecret {
    key_id: String,
    name: String,
    value: SecretBytes,
    context: keystead_core::EncryptionContext,
}

impl Op for EncryptSecret {
    type Output = String;
    type Js = String;

    fn run(&self, store: &Core) -> keystead_core::Result<String> {
        envelope::encrypt_secret(store, &self.key_id, &self.name, self.value.expose(), &self.context)
    }

    fn to_js(_env: &Env, output: String) -> Result<String> {
        Ok(output)
    }
}

/// Encrypts a configuration secret for the environment variable `name`: resolves to
/// `keystead:v1:...`, which decrypts only for that name and encryption context.
#[napi(strict, ts_return_type = "string")]
pub fn encrypt_secret_sync(
    env: Env,
    store: &Keystead,
    key_id: String,
    name: String,
    value: &[u8],
    encryption_context: Option<std::collections::HashMap<String, String>>,
) -> Result<String> {
    let op = EncryptSecret {
        key_id,
        name,
        value: SecretBytes::copy_from(value),
        context: t::context(encryption_context).unwrap_or_default(),
    };
    run_sync(&env, store.core(), op)
}

/// `decryptEnv`.
pub struct DecryptEnv {
    variables: Vec<(String, String)>,
    context: keystead_core::EncryptionContext,
}

impl Op for DecryptEnv {
    type Output = Vec<(String, SecretBytes)>;
    type Js = std::collections::HashMap<String, String>;

    fn run(&self, store: &Core) -> keystead_core::Result<Self::Output> {
        let opened =
            envelope::decrypt_env(store, self.variables.iter().cloned(), &self.context, &OpenOptions::default())?;
        for (name, value) in &opened {
            if std::str::from_utf8(value.expose()).is_err() {
                return Err(CoreError::new(ErrorKind::Validation, format!("The secret of {name} is not UTF-8 text")));
            }
        }
        Ok(opened)
    }

    fn to_js(_env: &Env, output: Self::Output) -> Result<Self::Js> {
        Ok(output.into_iter().map(|(k, v)| (k, String::from_utf8_lossy(v.expose()).into_owned())).collect())
    }
}

/// Decrypts the Keystead secrets (`keystead:v...`) among `variables` (e.g. `process.env`) and
/// returns `{ NAME: plaintext }` for those only; the first that does not decrypt throws (the
/// message names the variable, never its value). Synchronous: meant for start-up.
#[napi(strict, ts_return_type = "Record<string, string>")]
pub fn decrypt_env_sync(
    env: Env,
    store: &Keystead,
    variables: std::collections::HashMap<String, String>,
    encryption_context: Option<std::collections::HashMap<String, String>>,
) -> Result<std::collections::HashMap<String, String>> {
    let variables = variables.into_iter().filter(|(_, v)| envelope::is_secret(v)).collect();
    let op = DecryptEnv { variables, context: t::context(encryption_context).unwrap_or_default() };
    run_sync(&env, store.core(), op)
}
