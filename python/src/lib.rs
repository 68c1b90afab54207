//! Keystead for Python: the native module `keystead._keystead`.
//!
//! This crate is deliberately thin. [`Store`] wraps one [`keystead_core::Keystead`] handle and
//! exposes each core operation as a method that takes plain Python values and returns a dict
//! keyed by AWS's names. The public API (`keystead.Keystead`, `keystead.client`) is Python
//! over this module (`python/keystead/`), except for the typed API's hot calls, which `typed`
//! does in one native call each. Every method makes its inputs readable without the GIL
//! (`bytes` in place, other buffers copied, see `convert`) and then releases the GIL for the
//! store and crypto work; the handle is `Send + Sync`, so one `Store` serves many threads. A
//! folder store's call may wait on SQLite and the disk, which must not hold other Python
//! threads up; only `typed`'s small calls on an in-memory store keep the GIL (see `typed::run`).

mod access;
mod audit;
mod convert;
mod error;
mod stream;
mod typed;

use std::collections::BTreeMap;
use std::path::PathBuf;

use keystead_core::{
    CreateKeyRequest, DecryptRequest, DeriveSharedSecretRequest, EncryptRequest, GenerateDataKeyPairRequest,
    GenerateDataKeyRequest, GenerateMacRequest, GetPublicKeyRequest, ImportKeyMaterialRequest, Keystead,
    ReEncryptRequest, RootKeySource, SecretBytes, SignRequest, Tag, VerifyMacRequest, VerifyRequest, WrappingAlgorithm,
    WrappingKeySpec, DEFAULT_ENV_VAR,
};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::convert::{bytes_arg, enum_arg, secret_arg, u32_arg, IntArg};
use crate::error::to_py_err;
use keystead_core::{CreateGrantRequest, GrantConstraints, GrantOperation, GrantRef};

/// Runs `work` without the GIL and maps its error as raised by `operation`.
fn run<T: Send>(
    py: Python<'_>,
    operation: &str,
    work: impl FnOnce() -> keystead_core::Result<T> + Send,
) -> PyResult<T> {
    py.detach(work).map_err(|e| to_py_err(py, &e, operation))
}

/// Builds a root key source from the kind names used by `keystead.RootKey*` classes.
fn root_key_source(kind: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<RootKeySource> {
    let required = |what: &str| PyValueError::new_err(format!("a {what} root key needs a value"));
    Ok(match kind {
        "key_file" => RootKeySource::KeyFile(value.map(|v| v.extract::<PathBuf>()).transpose()?),
        "env_var" => RootKeySource::EnvVar(
            value.map(|v| v.extract::<String>()).transpose()?.unwrap_or_else(|| DEFAULT_ENV_VAR.to_owned()),
        ),
        "passphrase" => {
            let value = value.ok_or_else(|| required("passphrase"))?;
            match value.cast::<PyString>() {
                Ok(text) => RootKeySource::Passphrase(SecretBytes::copy_from(text.to_str()?.as_bytes())),
                Err(_) => RootKeySource::Passphrase(secret_arg(value, "passphrase")?),
            }
        }
        "bytes" => RootKeySource::Bytes(secret_arg(value.ok_or_else(|| required("raw bytes"))?, "root key")?),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown root key kind {other:?}; expected key_file, env_var, passphrase or bytes"
            )))
        }
    })
}

/// Encryption context argument: a `dict[str, str]` or None.
type Context = Option<BTreeMap<String, String>>;

/// A handle on a Keystead store (the native half of `keystead.Keystead`).
///
/// Immutable and safe to share between threads; several processes may open the same folder.
#[pyclass(frozen, module = "keystead._keystead")]
struct Store {
    inner: Keystead,
    location: String,
    /// Whether the store is held in memory (its calls never wait on a disk; see `typed::run`).
    in_memory: bool,
}

#[pymethods]
impl Store {
    /// Opens (or creates) the store in folder `path`.
    ///
    /// `audit_durability` is `None` (no audit log), `"per_record"`, `"batched"` (the core's
    /// default) or `"off"` (written, never fsynced); `audit_hmac_context_values` logs encryption
    /// context values as keyed hashes.
    #[staticmethod]
    #[pyo3(signature = (
        path, root_key_kind = "key_file", root_key_value = None, region = None, account_id = None,
        audit_durability = Some("batched"), audit_hmac_context_values = false
    ))]
    #[allow(clippy::too_many_arguments, reason = "the store options are plain arguments")]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        root_key_kind: &str,
        root_key_value: Option<&Bound<'_, PyAny>>,
        region: Option<String>,
        account_id: Option<String>,
        audit_durability: Option<&str>,
        audit_hmac_context_values: bool,
    ) -> PyResult<Self> {
        let source = root_key_source(root_key_kind, root_key_value)?;
        let audit = access::audit_options(audit_durability, audit_hmac_context_values)?;
        let location = path.display().to_string();
        let inner = run(py, "OpenStore", || {
            let mut builder = Keystead::builder().root_key(source);
            builder = match audit {
                Some(options) => builder.audit(options),
                None => builder.without_audit(),
            };
            if let Some(region) = region {
                builder = builder.region(region);
            }
            if let Some(account_id) = account_id {
                builder = builder.account_id(account_id);
            }
            builder.open(&path)
        })?;
        Ok(Self { inner, location, in_memory: false })
    }

    /// Opens a store held only in memory (gone when the last handle is dropped).
    #[staticmethod]
    #[pyo3(signature = (root_key_kind = "bytes", root_key_value = None, region = None, account_id = None))]
    fn open_in_memory(
        py: Python<'_>,
        root_key_kind: &str,
        root_key_value: Option<&Bound<'_, PyAny>>,
        region: Option<String>,
        account_id: Option<String>,
    ) -> PyResult<Self> {
        let source = match (root_key_kind, root_key_value) {
            ("bytes", None) => RootKeySource::KeyFile(None), // the core makes a random root key
            (kind, value) => root_key_source(kind, value)?,
        };
        let inner = run(py, "OpenStore", || {
            let mut builder = Keystead::builder().root_key(source);
            if let Some(region) = region {
                builder = builder.region(region);
            }
            if let Some(account_id) = account_id {
                builder = builder.account_id(account_id);
            }
            builder.open_in_memory()
        })?;
        Ok(Self { inner, location: ":memory:".to_owned(), in_memory: true })
    }

    /// The store folder (or `:memory:`).
    #[getter]
    fn location(&self) -> &str {
        &self.location
    }

    /// The Region named in ARNs.
    #[getter]
    fn region(&self) -> &str {
        &self.inner.identity().region
    }

    /// The account id named in ARNs.
    #[getter]
    fn account_id(&self) -> &str {
        &self.inner.identity().account_id
    }

    /// The partition named in ARNs.
    #[getter]
    fn partition(&self) -> &str {
        &self.inner.identity().partition
    }

    fn __repr__(&self) -> String {
        format!(
            "Store(location={:?}, region={:?}, account_id={:?})",
            self.location,
            self.inner.identity().region,
            self.inner.identity().account_id
        )
    }

    /// `CreateKey`; returns `KeyMetadata`.
    #[pyo3(signature = (
        description = None, key_usage = None, key_spec = None, origin = None, tags = None, multi_region = false,
        policy = None, bypass_policy_lockout_safety_check = false
    ))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS CreateKey parameter")]
    fn create_key<'py>(
        &self,
        py: Python<'py>,
        description: Option<String>,
        key_usage: Option<&str>,
        key_spec: Option<&str>,
        origin: Option<&str>,
        tags: Option<Vec<(String, String)>>,
        multi_region: bool,
        policy: Option<String>,
        bypass_policy_lockout_safety_check: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let parsed = (|| {
            Ok::<_, keystead_core::Error>(CreateKeyRequest {
                key_spec: enum_arg(key_spec)?,
                key_usage: enum_arg(key_usage)?,
                description,
                origin: enum_arg(origin)?,
                tags: tags.unwrap_or_default().into_iter().map(|(k, v)| Tag::new(k, v)).collect(),
                multi_region,
                policy,
                bypass_policy_lockout_safety_check,
            })
        })();
        let metadata = run(py, "CreateKey", || self.inner.create_key(parsed?))?;
        convert::key_metadata(py, &metadata)
    }

    /// `DescribeKey`; returns `KeyMetadata`.
    fn describe_key<'py>(&self, py: Python<'py>, key_id: String) -> PyResult<Bound<'py, PyDict>> {
        let metadata = run(py, "DescribeKey", || self.inner.describe_key(&key_id))?;
        convert::key_metadata(py, &metadata)
    }

    /// `ListKeys`; returns `{"Keys", "Truncated", "NextMarker"?}`.
    #[pyo3(signature = (limit = None, marker = None))]
    fn list_keys<'py>(
        &self,
        py: Python<'py>,
        limit: Option<IntArg>,
        marker: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let page = run(py, "ListKeys", || self.inner.list_keys(u32_arg(limit, "limit")?, marker.as_deref()))?;
        convert::page(py, "Keys", &page, convert::key_entry)
    }

    /// `UpdateKeyDescription`.
    fn update_key_description(&self, py: Python<'_>, key_id: String, description: String) -> PyResult<()> {
        run(py, "UpdateKeyDescription", || self.inner.update_key_description(&key_id, &description))
    }

    /// `TagResource`.
    fn tag_resource(&self, py: Python<'_>, key_id: String, tags: Vec<(String, String)>) -> PyResult<()> {
        let tags: Vec<Tag> = tags.into_iter().map(|(k, v)| Tag::new(k, v)).collect();
        run(py, "TagResource", || self.inner.tag_resource(&key_id, &tags))
    }

    /// `UntagResource`.
    fn untag_resource(&self, py: Python<'_>, key_id: String, tag_keys: Vec<String>) -> PyResult<()> {
        run(py, "UntagResource", || self.inner.untag_resource(&key_id, &tag_keys))
    }

    /// `ListResourceTags`; returns `{"Tags", "Truncated", "NextMarker"?}`.
    #[pyo3(signature = (key_id, limit = None, marker = None))]
    fn list_resource_tags<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        limit: Option<IntArg>,
        marker: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let page = run(py, "ListResourceTags", || {
            self.inner.list_resource_tags(&key_id, u32_arg(limit, "limit")?, marker.as_deref())
        })?;
        convert::page(py, "Tags", &page, convert::tag)
    }

    /// `CreateAlias`.
    fn create_alias(&self, py: Python<'_>, alias_name: String, target_key_id: String) -> PyResult<()> {
        run(py, "CreateAlias", || self.inner.create_alias(&alias_name, &target_key_id))
    }

    /// `UpdateAlias`.
    fn update_alias(&self, py: Python<'_>, alias_name: String, target_key_id: String) -> PyResult<()> {
        run(py, "UpdateAlias", || self.inner.update_alias(&alias_name, &target_key_id))
    }

    /// `DeleteAlias`.
    fn delete_alias(&self, py: Python<'_>, alias_name: String) -> PyResult<()> {
        run(py, "DeleteAlias", || self.inner.delete_alias(&alias_name))
    }

    /// `ListAliases`; returns `{"Aliases", "Truncated", "NextMarker"?}`.
    #[pyo3(signature = (key_id = None, limit = None, marker = None))]
    fn list_aliases<'py>(
        &self,
        py: Python<'py>,
        key_id: Option<String>,
        limit: Option<IntArg>,
        marker: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let page = run(py, "ListAliases", || {
            self.inner.list_aliases(key_id.as_deref(), u32_arg(limit, "limit")?, marker.as_deref())
        })?;
        convert::page(py, "Aliases", &page, convert::alias_entry)
    }

    /// `EnableKey`.
    fn enable_key(&self, py: Python<'_>, key_id: String) -> PyResult<()> {
        run(py, "EnableKey", || self.inner.enable_key(&key_id))
    }

    /// `DisableKey`.
    fn disable_key(&self, py: Python<'_>, key_id: String) -> PyResult<()> {
        run(py, "DisableKey", || self.inner.disable_key(&key_id))
    }

    /// `ScheduleKeyDeletion`; returns `{"KeyId", "DeletionDate", "KeyState", "PendingWindowInDays"}`.
    #[pyo3(signature = (key_id, pending_window_in_days = None))]
    fn schedule_key_deletion<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        pending_window_in_days: Option<IntArg>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let response = run(py, "ScheduleKeyDeletion", || {
            self.inner.schedule_key_deletion(&key_id, u32_arg(pending_window_in_days, "pendingWindowInDays")?)
        })?;
        convert::deletion(py, &response)
    }

    /// `CancelKeyDeletion`; returns the key ARN.
    fn cancel_key_deletion(&self, py: Python<'_>, key_id: String) -> PyResult<String> {
        run(py, "CancelKeyDeletion", || self.inner.cancel_key_deletion(&key_id))
    }

    /// `EnableKeyRotation`.
    #[pyo3(signature = (key_id, rotation_period_in_days = None))]
    fn enable_key_rotation(
        &self,
        py: Python<'_>,
        key_id: String,
        rotation_period_in_days: Option<IntArg>,
    ) -> PyResult<()> {
        run(py, "EnableKeyRotation", || {
            self.inner.enable_key_rotation(&key_id, u32_arg(rotation_period_in_days, "rotationPeriodInDays")?)
        })
    }

    /// `DisableKeyRotation`.
    fn disable_key_rotation(&self, py: Python<'_>, key_id: String) -> PyResult<()> {
        run(py, "DisableKeyRotation", || self.inner.disable_key_rotation(&key_id))
    }

    /// `GetKeyRotationStatus`.
    fn get_key_rotation_status<'py>(&self, py: Python<'py>, key_id: String) -> PyResult<Bound<'py, PyDict>> {
        let status = run(py, "GetKeyRotationStatus", || self.inner.get_key_rotation_status(&key_id))?;
        convert::rotation_status(py, &status)
    }

    /// `RotateKeyOnDemand`; returns the key ARN.
    fn rotate_key_on_demand(&self, py: Python<'_>, key_id: String) -> PyResult<String> {
        run(py, "RotateKeyOnDemand", || self.inner.rotate_key_on_demand(&key_id))
    }

    /// `ListKeyRotations`; returns `{"Rotations", "Truncated", "NextMarker"?}`.
    #[pyo3(signature = (key_id, include_key_material = None, limit = None, marker = None))]
    fn list_key_rotations<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        include_key_material: Option<&str>,
        limit: Option<IntArg>,
        marker: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let include = enum_arg(include_key_material);
        let page = run(py, "ListKeyRotations", || {
            self.inner.list_key_rotations(&key_id, include?, u32_arg(limit, "limit")?, marker.as_deref())
        })?;
        convert::page(py, "Rotations", &page, convert::rotation_entry)
    }

    /// `Encrypt`; returns `{"CiphertextBlob", "KeyId", "EncryptionAlgorithm"}`.
    #[pyo3(signature = (key_id, plaintext, encryption_context = None, encryption_algorithm = None, grant_tokens = None, dry_run = false))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS parameter")]
    fn encrypt<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        plaintext: &Bound<'py, PyAny>,
        encryption_context: Context,
        encryption_algorithm: Option<&str>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let plaintext = bytes_arg(plaintext, "Plaintext")?;
        let algorithm = enum_arg(encryption_algorithm);
        let response = run(py, "Encrypt", || {
            self.inner.encrypt(EncryptRequest {
                key_id: &key_id,
                plaintext: plaintext.expose(),
                encryption_context: encryption_context.as_ref(),
                encryption_algorithm: algorithm?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "CiphertextBlob"), PyBytes::new(py, &response.ciphertext_blob))?;
        d.set_item(intern!(py, "KeyId"), &response.key_id)?;
        d.set_item(intern!(py, "EncryptionAlgorithm"), response.encryption_algorithm.as_str())?;
        Ok(d)
    }

    /// `Decrypt`; returns `{"KeyId", "Plaintext", "EncryptionAlgorithm", "KeyMaterialId"}`.
    #[pyo3(signature = (ciphertext_blob, encryption_context = None, key_id = None, encryption_algorithm = None, grant_tokens = None, dry_run = false))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS parameter")]
    fn decrypt<'py>(
        &self,
        py: Python<'py>,
        ciphertext_blob: &Bound<'py, PyAny>,
        encryption_context: Context,
        key_id: Option<String>,
        encryption_algorithm: Option<&str>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let blob = bytes_arg(ciphertext_blob, "CiphertextBlob")?;
        let algorithm = enum_arg(encryption_algorithm);
        let response = run(py, "Decrypt", || {
            self.inner.decrypt(DecryptRequest {
                ciphertext_blob: &blob,
                encryption_context: encryption_context.as_ref(),
                key_id: key_id.as_deref(),
                encryption_algorithm: algorithm?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "KeyId"), &response.key_id)?;
        d.set_item(intern!(py, "Plaintext"), PyBytes::new(py, response.plaintext.expose()))?;
        d.set_item(intern!(py, "EncryptionAlgorithm"), response.encryption_algorithm.as_str())?;
        if let Some(id) = &response.key_material_id {
            d.set_item(intern!(py, "KeyMaterialId"), id)?;
        }
        Ok(d)
    }

    /// `ReEncrypt`.
    #[pyo3(signature = (
        ciphertext_blob, destination_key_id, source_encryption_context = None, source_key_id = None,
        destination_encryption_context = None, source_encryption_algorithm = None,
        destination_encryption_algorithm = None, grant_tokens = None, dry_run = false))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS ReEncrypt parameter")]
    fn re_encrypt<'py>(
        &self,
        py: Python<'py>,
        ciphertext_blob: &Bound<'py, PyAny>,
        destination_key_id: String,
        source_encryption_context: Context,
        source_key_id: Option<String>,
        destination_encryption_context: Context,
        source_encryption_algorithm: Option<&str>,
        destination_encryption_algorithm: Option<&str>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let blob = bytes_arg(ciphertext_blob, "CiphertextBlob")?;
        let source_algorithm = enum_arg(source_encryption_algorithm);
        let destination_algorithm = enum_arg(destination_encryption_algorithm);
        let r = run(py, "ReEncrypt", || {
            self.inner.re_encrypt(ReEncryptRequest {
                ciphertext_blob: &blob,
                source_encryption_context: source_encryption_context.as_ref(),
                source_key_id: source_key_id.as_deref(),
                destination_key_id: &destination_key_id,
                destination_encryption_context: destination_encryption_context.as_ref(),
                source_encryption_algorithm: source_algorithm?,
                destination_encryption_algorithm: destination_algorithm?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "CiphertextBlob"), PyBytes::new(py, &r.ciphertext_blob))?;
        d.set_item(intern!(py, "SourceKeyId"), &r.source_key_id)?;
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "SourceEncryptionAlgorithm"), r.source_encryption_algorithm.as_str())?;
        d.set_item(intern!(py, "DestinationEncryptionAlgorithm"), r.destination_encryption_algorithm.as_str())?;
        if let Some(id) = &r.source_key_material_id {
            d.set_item(intern!(py, "SourceKeyMaterialId"), id)?;
        }
        if let Some(id) = &r.destination_key_material_id {
            d.set_item(intern!(py, "DestinationKeyMaterialId"), id)?;
        }
        Ok(d)
    }

    /// `GenerateDataKey`; returns `{"CiphertextBlob", "Plaintext", "KeyId", "KeyMaterialId"}`.
    #[pyo3(signature = (key_id, encryption_context = None, key_spec = None, number_of_bytes = None, grant_tokens = None, dry_run = false))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS parameter")]
    fn generate_data_key<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        encryption_context: Context,
        key_spec: Option<&str>,
        number_of_bytes: Option<IntArg>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let key_spec = enum_arg(key_spec);
        let r = run(py, "GenerateDataKey", || {
            self.inner.generate_data_key(GenerateDataKeyRequest {
                key_id: &key_id,
                encryption_context: encryption_context.as_ref(),
                key_spec: key_spec?,
                number_of_bytes: u32_arg(number_of_bytes, "numberOfBytes")?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "CiphertextBlob"), PyBytes::new(py, &r.ciphertext_blob))?;
        d.set_item(intern!(py, "Plaintext"), PyBytes::new(py, r.plaintext.expose()))?;
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "KeyMaterialId"), &r.key_material_id)?;
        Ok(d)
    }

    /// `GenerateDataKeyWithoutPlaintext`; returns `{"CiphertextBlob", "KeyId", "KeyMaterialId"}`.
    #[pyo3(signature = (key_id, encryption_context = None, key_spec = None, number_of_bytes = None, grant_tokens = None, dry_run = false))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS parameter")]
    fn generate_data_key_without_plaintext<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        encryption_context: Context,
        key_spec: Option<&str>,
        number_of_bytes: Option<IntArg>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let key_spec = enum_arg(key_spec);
        let r = run(py, "GenerateDataKeyWithoutPlaintext", || {
            self.inner.generate_data_key_without_plaintext(GenerateDataKeyRequest {
                key_id: &key_id,
                encryption_context: encryption_context.as_ref(),
                key_spec: key_spec?,
                number_of_bytes: u32_arg(number_of_bytes, "numberOfBytes")?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "CiphertextBlob"), PyBytes::new(py, &r.ciphertext_blob))?;
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "KeyMaterialId"), &r.key_material_id)?;
        Ok(d)
    }

    /// `GenerateRandom`; returns the random bytes.
    fn generate_random<'py>(&self, py: Python<'py>, number_of_bytes: IntArg) -> PyResult<Bound<'py, PyBytes>> {
        let random = run(py, "GenerateRandom", || {
            let n = u32_arg(Some(number_of_bytes), "numberOfBytes")?.unwrap_or_default();
            self.inner.generate_random(n)
        })?;
        Ok(PyBytes::new(py, random.expose()))
    }

    /// `Sign`; returns `{"KeyId", "Signature", "SigningAlgorithm"}`.
    #[pyo3(signature = (key_id, message, signing_algorithm = None, message_type = None, grant_tokens = None, dry_run = false))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS parameter")]
    fn sign<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        message: &Bound<'py, PyAny>,
        signing_algorithm: Option<&str>,
        message_type: Option<&str>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let message = bytes_arg(message, "Message")?;
        let algorithm = enum_arg(signing_algorithm);
        let message_type = enum_arg(message_type);
        let r = run(py, "Sign", || {
            self.inner.sign(SignRequest {
                key_id: &key_id,
                message: message.expose(),
                message_type: message_type?,
                signing_algorithm: algorithm?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "Signature"), PyBytes::new(py, &r.signature))?;
        d.set_item(intern!(py, "SigningAlgorithm"), r.signing_algorithm.as_str())?;
        Ok(d)
    }

    /// `Verify`; returns `{"KeyId", "SignatureValid": True, "SigningAlgorithm"}` (an invalid
    /// signature raises `KMSInvalidSignatureException`).
    #[pyo3(signature = (key_id, message, signature, signing_algorithm = None, message_type = None, grant_tokens = None, dry_run = false))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS parameter")]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        message: &Bound<'py, PyAny>,
        signature: &Bound<'py, PyAny>,
        signing_algorithm: Option<&str>,
        message_type: Option<&str>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let message = bytes_arg(message, "Message")?;
        let signature = bytes_arg(signature, "Signature")?;
        let algorithm = enum_arg(signing_algorithm);
        let message_type = enum_arg(message_type);
        let r = run(py, "Verify", || {
            self.inner.verify(VerifyRequest {
                key_id: &key_id,
                message: message.expose(),
                message_type: message_type?,
                signature: &signature,
                signing_algorithm: algorithm?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "SignatureValid"), r.signature_valid)?;
        d.set_item(intern!(py, "SigningAlgorithm"), r.signing_algorithm.as_str())?;
        Ok(d)
    }

    /// `GetPublicKey`; returns `{"KeyId", "PublicKey", "CustomerMasterKeySpec", "KeySpec",
    /// "KeyUsage", "EncryptionAlgorithms"?, "SigningAlgorithms"?, "KeyAgreementAlgorithms"?}`.
    #[pyo3(signature = (key_id, grant_tokens = None))]
    fn get_public_key<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        grant_tokens: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let r = run(py, "GetPublicKey", || {
            self.inner.get_public_key_with(GetPublicKeyRequest {
                key_id: &key_id,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
            })
        })?;
        convert::public_key(py, &r)
    }

    /// `GenerateMac`; returns `{"Mac", "MacAlgorithm", "KeyId"}`.
    #[pyo3(signature = (key_id, message, mac_algorithm = None, grant_tokens = None, dry_run = false))]
    fn generate_mac<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        message: &Bound<'py, PyAny>,
        mac_algorithm: Option<&str>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let message = bytes_arg(message, "Message")?;
        let algorithm = enum_arg(mac_algorithm);
        let r = run(py, "GenerateMac", || {
            self.inner.generate_mac(GenerateMacRequest {
                key_id: &key_id,
                message: message.expose(),
                mac_algorithm: algorithm?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "Mac"), PyBytes::new(py, &r.mac))?;
        d.set_item(intern!(py, "MacAlgorithm"), r.mac_algorithm.as_str())?;
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        Ok(d)
    }

    /// `VerifyMac`; returns `{"KeyId", "MacValid": True, "MacAlgorithm"}` (a wrong MAC raises
    /// `KMSInvalidMacException`).
    #[pyo3(signature = (key_id, message, mac, mac_algorithm = None, grant_tokens = None, dry_run = false))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS parameter")]
    fn verify_mac<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        message: &Bound<'py, PyAny>,
        mac: &Bound<'py, PyAny>,
        mac_algorithm: Option<&str>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let message = bytes_arg(message, "Message")?;
        let mac = bytes_arg(mac, "Mac")?;
        let algorithm = enum_arg(mac_algorithm);
        let r = run(py, "VerifyMac", || {
            self.inner.verify_mac(VerifyMacRequest {
                key_id: &key_id,
                message: message.expose(),
                mac: &mac,
                mac_algorithm: algorithm?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "MacValid"), r.mac_valid)?;
        d.set_item(intern!(py, "MacAlgorithm"), r.mac_algorithm.as_str())?;
        Ok(d)
    }

    /// `DeriveSharedSecret`; returns `{"KeyId", "SharedSecret", "KeyAgreementAlgorithm", "KeyOrigin"}`.
    #[pyo3(signature = (key_id, public_key, key_agreement_algorithm = None, grant_tokens = None, dry_run = false))]
    fn derive_shared_secret<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        public_key: &Bound<'py, PyAny>,
        key_agreement_algorithm: Option<&str>,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let public_key = bytes_arg(public_key, "PublicKey")?;
        let algorithm = enum_arg(key_agreement_algorithm);
        let r = run(py, "DeriveSharedSecret", || {
            self.inner.derive_shared_secret(DeriveSharedSecretRequest {
                key_id: &key_id,
                key_agreement_algorithm: algorithm?,
                public_key: &public_key,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "SharedSecret"), PyBytes::new(py, r.shared_secret.expose()))?;
        d.set_item(intern!(py, "KeyAgreementAlgorithm"), r.key_agreement_algorithm.as_str())?;
        d.set_item(intern!(py, "KeyOrigin"), r.key_origin.as_str())?;
        Ok(d)
    }

    /// `GenerateDataKeyPair`; returns `{"PrivateKeyCiphertextBlob", "PrivateKeyPlaintext",
    /// "PublicKey", "KeyId", "KeyPairSpec", "KeyMaterialId"}`.
    #[pyo3(signature = (key_id, key_pair_spec = None, encryption_context = None, grant_tokens = None, dry_run = false))]
    fn generate_data_key_pair<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        key_pair_spec: Option<&str>,
        encryption_context: Context,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let spec = enum_arg(key_pair_spec);
        let r = run(py, "GenerateDataKeyPair", || {
            self.inner.generate_data_key_pair(GenerateDataKeyPairRequest {
                key_id: &key_id,
                encryption_context: encryption_context.as_ref(),
                key_pair_spec: spec?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "PrivateKeyCiphertextBlob"), PyBytes::new(py, &r.private_key_ciphertext_blob))?;
        d.set_item(intern!(py, "PrivateKeyPlaintext"), PyBytes::new(py, r.private_key_plaintext.expose()))?;
        d.set_item(intern!(py, "PublicKey"), PyBytes::new(py, &r.public_key))?;
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "KeyPairSpec"), r.key_pair_spec.as_str())?;
        d.set_item(intern!(py, "KeyMaterialId"), &r.key_material_id)?;
        Ok(d)
    }

    /// `GenerateDataKeyPairWithoutPlaintext`; as `generate_data_key_pair` without
    /// `PrivateKeyPlaintext`.
    #[pyo3(signature = (key_id, key_pair_spec = None, encryption_context = None, grant_tokens = None, dry_run = false))]
    fn generate_data_key_pair_without_plaintext<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        key_pair_spec: Option<&str>,
        encryption_context: Context,
        grant_tokens: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let spec = enum_arg(key_pair_spec);
        let r = run(py, "GenerateDataKeyPairWithoutPlaintext", || {
            self.inner.generate_data_key_pair_without_plaintext(GenerateDataKeyPairRequest {
                key_id: &key_id,
                encryption_context: encryption_context.as_ref(),
                key_pair_spec: spec?,
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "PrivateKeyCiphertextBlob"), PyBytes::new(py, &r.private_key_ciphertext_blob))?;
        d.set_item(intern!(py, "PublicKey"), PyBytes::new(py, &r.public_key))?;
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "KeyPairSpec"), r.key_pair_spec.as_str())?;
        d.set_item(intern!(py, "KeyMaterialId"), &r.key_material_id)?;
        Ok(d)
    }

    /// `GetParametersForImport`; returns `{"KeyId", "ImportToken", "PublicKey", "ParametersValidTo"}`.
    fn get_parameters_for_import<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        wrapping_algorithm: &str,
        wrapping_key_spec: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let algorithm = wrapping_algorithm.parse::<WrappingAlgorithm>();
        let spec = wrapping_key_spec.parse::<WrappingKeySpec>();
        let r = run(py, "GetParametersForImport", || self.inner.get_parameters_for_import(&key_id, algorithm?, spec?))?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "KeyId"), &r.key_id)?;
        d.set_item(intern!(py, "ImportToken"), PyBytes::new(py, &r.import_token))?;
        d.set_item(intern!(py, "PublicKey"), PyBytes::new(py, &r.public_key))?;
        d.set_item(intern!(py, "ParametersValidTo"), convert::date(py, r.parameters_valid_to)?)?;
        Ok(d)
    }

    /// `ImportKeyMaterial`; `valid_to` in milliseconds since the epoch. Returns `{"KeyId", "KeyMaterialId"}`.
    #[pyo3(signature = (key_id, import_token, encrypted_key_material, expiration_model = None, valid_to = None,
                        import_type = None, key_material_description = None, key_material_id = None))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS parameter")]
    fn import_key_material<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        import_token: &Bound<'py, PyAny>,
        encrypted_key_material: &Bound<'py, PyAny>,
        expiration_model: Option<&str>,
        valid_to: Option<i64>,
        import_type: Option<&str>,
        key_material_description: Option<String>,
        key_material_id: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let token = bytes_arg(import_token, "ImportToken")?;
        let material = secret_arg(encrypted_key_material, "EncryptedKeyMaterial")?;
        let model = enum_arg(expiration_model);
        let import_type = enum_arg(import_type);
        let r = run(py, "ImportKeyMaterial", || {
            self.inner.import_key_material(ImportKeyMaterialRequest {
                key_id: &key_id,
                import_token: &token,
                encrypted_key_material: material.expose(),
                expiration_model: model?,
                valid_to,
                import_type: import_type?,
                key_material_description: key_material_description.as_deref(),
                key_material_id: key_material_id.as_deref(),
            })
        })?;
        convert::imported(py, &r)
    }

    /// `DeleteImportedKeyMaterial` (default: the current material); returns `{"KeyId", "KeyMaterialId"}`.
    #[pyo3(signature = (key_id, key_material_id = None))]
    fn delete_imported_key_material<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        key_material_id: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let r = run(py, "DeleteImportedKeyMaterial", || {
            self.inner.delete_imported_key_material_with(&key_id, key_material_id.as_deref())
        })?;
        convert::imported(py, &r)
    }

    /// Creates an access key for `principal`; returns `{"AccessKeyId", "SecretAccessKey", "Principal"}`
    /// (the secret is shown only here).
    fn create_access_key<'py>(&self, py: Python<'py>, principal: String) -> PyResult<Bound<'py, PyDict>> {
        let r = run(py, "CreateAccessKey", || self.inner.create_access_key(&principal))?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "AccessKeyId"), &r.access_key_id)?;
        let secret = std::str::from_utf8(r.secret_access_key.expose())
            .map_err(|_| PyValueError::new_err("the secret access key is not ASCII"))?;
        d.set_item(intern!(py, "SecretAccessKey"), secret)?;
        d.set_item(intern!(py, "Principal"), &r.principal)?;
        Ok(d)
    }

    /// Adds an existing access key; returns `{"AccessKeyId", "Principal", "CreateDate"}`.
    fn add_access_key<'py>(
        &self,
        py: Python<'py>,
        access_key_id: String,
        secret_access_key: &Bound<'py, PyAny>,
        principal: String,
    ) -> PyResult<Bound<'py, PyDict>> {
        let secret = match secret_access_key.cast::<PyString>() {
            Ok(text) => SecretBytes::copy_from(text.to_str()?.as_bytes()),
            Err(_) => secret_arg(secret_access_key, "SecretAccessKey")?,
        };
        let r = run(py, "AddAccessKey", || self.inner.add_access_key(&access_key_id, secret.expose(), &principal))?;
        convert::access_key(py, &r)
    }

    /// Every access key (no secrets): a list of `{"AccessKeyId", "Principal", "CreateDate"}`.
    fn list_access_keys<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let keys = run(py, "ListAccessKeys", || self.inner.list_access_keys())?;
        keys.iter().map(|k| convert::access_key(py, k)).collect()
    }

    /// Deletes an access key.
    fn delete_access_key(&self, py: Python<'_>, access_key_id: String) -> PyResult<()> {
        run(py, "DeleteAccessKey", || self.inner.delete_access_key(&access_key_id))
    }

    /// Re-seals every key material under a new root key (all or nothing).
    #[pyo3(signature = (root_key_kind, root_key_value = None))]
    fn rotate_root_key(
        &self,
        py: Python<'_>,
        root_key_kind: &str,
        root_key_value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let source = root_key_source(root_key_kind, root_key_value)?;
        run(py, "RotateRootKey", || self.inner.rotate_root_key(source))
    }

    /// Benchmark hook (private): runs `calls` core `Encrypt` calls in a Rust loop, without the
    /// GIL, and returns the seconds taken. `python/bench/encrypt_overhead.py` interleaves it with
    /// Python-side loops to measure the binding's per-call overhead under the same load.
    fn _time_encrypt(&self, py: Python<'_>, key_id: String, plaintext: &Bound<'_, PyAny>, calls: u32) -> PyResult<f64> {
        let plaintext = bytes_arg(plaintext, "Plaintext")?;
        run(py, "Encrypt", || {
            let started = std::time::Instant::now();
            for _ in 0..calls {
                let request = EncryptRequest { key_id: &key_id, plaintext: plaintext.expose(), ..Default::default() };
                std::hint::black_box(self.inner.encrypt(request)?);
            }
            Ok(started.elapsed().as_secs_f64())
        })
    }

    /// A handle on the same store that calls as `principal_arn` (key policies and grants decide
    /// what it may do; the audit log names it). `access_key_id` is recorded in audit events.
    #[pyo3(signature = (principal_arn, access_key_id = None))]
    fn as_principal(&self, py: Python<'_>, principal_arn: &str, access_key_id: Option<&str>) -> PyResult<Self> {
        let inner = run(py, "AsPrincipal", || match access_key_id {
            Some(id) => self.inner.as_principal_with_access_key(principal_arn, id),
            None => self.inner.as_principal(principal_arn),
        })?;
        Ok(Self { inner, location: self.location.clone(), in_memory: self.in_memory })
    }

    /// The ARN of the principal this handle calls as (the account principal unless narrowed).
    #[getter]
    fn principal(&self) -> &str {
        self.inner.principal().arn()
    }

    /// `PutKeyPolicy`.
    #[pyo3(signature = (key_id, policy, policy_name = None, bypass_policy_lockout_safety_check = false))]
    fn put_key_policy(
        &self,
        py: Python<'_>,
        key_id: String,
        policy: String,
        policy_name: Option<String>,
        bypass_policy_lockout_safety_check: bool,
    ) -> PyResult<()> {
        run(py, "PutKeyPolicy", || {
            self.inner.put_key_policy(&key_id, &policy, policy_name.as_deref(), bypass_policy_lockout_safety_check)
        })
    }

    /// `GetKeyPolicy`; returns the policy text.
    #[pyo3(signature = (key_id, policy_name = None))]
    fn get_key_policy(&self, py: Python<'_>, key_id: String, policy_name: Option<String>) -> PyResult<String> {
        run(py, "GetKeyPolicy", || self.inner.get_key_policy(&key_id, policy_name.as_deref()))
    }

    /// `ListKeyPolicies`; returns the policy names (always `["default"]`).
    fn list_key_policies(&self, py: Python<'_>, key_id: String) -> PyResult<Vec<String>> {
        run(py, "ListKeyPolicies", || self.inner.list_key_policies(&key_id))
    }

    /// `CreateGrant`; returns `{"GrantToken", "GrantId"}`.
    #[pyo3(signature = (
        key_id, grantee_principal, operations, retiring_principal = None, encryption_context_subset = None,
        encryption_context_equals = None, grant_tokens = None, name = None, dry_run = false
    ))]
    #[allow(clippy::too_many_arguments, reason = "one argument per AWS CreateGrant parameter")]
    fn create_grant<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        grantee_principal: String,
        operations: Vec<String>,
        retiring_principal: Option<String>,
        encryption_context_subset: Context,
        encryption_context_equals: Context,
        grant_tokens: Option<Vec<String>>,
        name: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let operations: Result<Vec<GrantOperation>, _> = operations.iter().map(|op| op.parse()).collect();
        let constraints = (encryption_context_subset.is_some() || encryption_context_equals.is_some())
            .then_some(GrantConstraints { encryption_context_subset, encryption_context_equals });
        let r = run(py, "CreateGrant", || {
            self.inner.create_grant(CreateGrantRequest {
                key_id: &key_id,
                grantee_principal: &grantee_principal,
                retiring_principal: retiring_principal.as_deref(),
                operations: &operations?,
                constraints: constraints.as_ref(),
                grant_tokens: grant_tokens.as_deref().unwrap_or_default(),
                name: name.as_deref(),
                dry_run,
            })
        })?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "GrantToken"), &r.grant_token)?;
        d.set_item(intern!(py, "GrantId"), &r.grant_id)?;
        Ok(d)
    }

    /// `ListGrants`; returns `{"Grants", "Truncated", "NextMarker"?}`.
    #[pyo3(signature = (key_id, grant_id = None, grantee_principal = None, limit = None, marker = None))]
    fn list_grants<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        grant_id: Option<String>,
        grantee_principal: Option<String>,
        limit: Option<IntArg>,
        marker: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let page = run(py, "ListGrants", || {
            self.inner.list_grants(
                &key_id,
                grant_id.as_deref(),
                grantee_principal.as_deref(),
                u32_arg(limit, "limit")?,
                marker.as_deref(),
            )
        })?;
        convert::page(py, "Grants", &page, access::grant_entry)
    }

    /// `ListRetirableGrants`; returns `{"Grants", "Truncated", "NextMarker"?}`.
    #[pyo3(signature = (retiring_principal, limit = None, marker = None))]
    fn list_retirable_grants<'py>(
        &self,
        py: Python<'py>,
        retiring_principal: String,
        limit: Option<IntArg>,
        marker: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let page = run(py, "ListRetirableGrants", || {
            self.inner.list_retirable_grants(&retiring_principal, u32_arg(limit, "limit")?, marker.as_deref())
        })?;
        convert::page(py, "Grants", &page, access::grant_entry)
    }

    /// `RetireGrant`, by `grant_token` or by `key_id` and `grant_id`.
    #[pyo3(signature = (grant_token = None, key_id = None, grant_id = None, dry_run = false))]
    fn retire_grant(
        &self,
        py: Python<'_>,
        grant_token: Option<String>,
        key_id: Option<String>,
        grant_id: Option<String>,
        dry_run: bool,
    ) -> PyResult<()> {
        run(py, "RetireGrant", || {
            let grant = match (grant_token.as_deref(), key_id.as_deref(), grant_id.as_deref()) {
                (Some(token), _, _) => GrantRef::Token(token),
                (None, Some(key_id), Some(grant_id)) => GrantRef::Id { key_id, grant_id },
                _ => {
                    return Err(keystead_core::Error::new(
                        keystead_core::ErrorKind::Validation,
                        "RetireGrant needs either GrantToken, or both KeyId and GrantId",
                    ))
                }
            };
            self.inner.retire_grant(grant, dry_run)
        })
    }

    /// `RevokeGrant`.
    #[pyo3(signature = (key_id, grant_id, dry_run = false))]
    fn revoke_grant(&self, py: Python<'_>, key_id: String, grant_id: String, dry_run: bool) -> PyResult<()> {
        run(py, "RevokeGrant", || self.inner.revoke_grant(&key_id, &grant_id, dry_run))
    }

    /// Whether this handle's principal may perform `action` (e.g. `kms:Decrypt`) on a key, and
    /// why: `{"Decision", "Allowed", "PolicyStatements", "GrantIds"}`.
    #[pyo3(signature = (key_id, action, encryption_context = None, conditions = None))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        key_id: String,
        action: String,
        encryption_context: Context,
        conditions: Option<Vec<(String, String)>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let conditions = conditions.unwrap_or_default();
        let r = run(py, "Explain", || {
            let extra: Vec<(&str, &str)> = conditions.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            self.inner.explain(&key_id, &action, encryption_context.as_ref(), &extra)
        })?;
        access::explanation(py, &r)
    }

    /// A snapshot of the store's metrics (calls by operation, key and outcome; latency
    /// histograms; last use of each key) as a dict.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let snapshot = py.detach(|| self.inner.metrics_snapshot());
        access::metrics(py, &snapshot)
    }

    /// The metrics in the Prometheus text exposition format 0.0.4.
    fn metrics_prometheus(&self, py: Python<'_>) -> String {
        py.detach(|| self.inner.metrics_snapshot().to_prometheus())
    }

    /// The last successful use of a key seen by this store handle, or None.
    fn key_last_usage<'py>(&self, py: Python<'py>, key_id: String) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.inner.metrics().key_last_usage(&key_id).map(|u| access::last_usage(py, &u)).transpose()
    }

    /// The folder of this store's audit log, or None when the store is not audited.
    #[getter]
    fn audit_dir(&self) -> Option<String> {
        self.inner.audit_log().map(|log| log.dir().display().to_string())
    }

    /// The events of the audit log (CloudTrail-shaped dicts), oldest first, streamed from the
    /// segment files: memory stays bounded however long the log is.
    fn iter_audit_events(&self, py: Python<'_>) -> PyResult<audit::AuditEventIterator> {
        let log = access::require_audit(py, &self.inner, audit::READ_AUDIT_LOG)?;
        let reader = run(py, audit::READ_AUDIT_LOG, || keystead_core::audit::EventReader::open(log.dir()))?;
        Ok(audit::AuditEventIterator::new(reader))
    }

    /// Verifies the audit log against the store's audit public key; returns `{"Valid",
    /// "Records", "Events", "Checkpoints", "Problems": [{"Kind", "Message", "File", "Line"?}],
    /// "Notes"}`.
    fn verify_audit_log<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let log = access::require_audit(py, &self.inner, "VerifyAuditLog")?;
        let report = run(py, "VerifyAuditLog", || keystead_core::audit::verify(log.dir(), log.public_key()))?;
        access::verify_report(py, &report)
    }

    /// Destroys keys whose deletion window ended and performs due rotations now.
    fn sweep(&self, py: Python<'_>) -> PyResult<()> {
        run(py, "Sweep", || self.inner.sweep())
    }
}

/// The AWS strings of every enum the core knows, for the drift test of `keystead/enums.py`.
#[pyfunction]
fn _enum_values() -> BTreeMap<&'static str, Vec<&'static str>> {
    use keystead_core as k;
    fn all<T: Copy>(values: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
        values.iter().map(|v| name(*v)).collect()
    }
    BTreeMap::from([
        ("KeySpec", all(k::KeySpec::ALL, k::KeySpec::as_str)),
        ("KeyUsage", all(k::KeyUsage::ALL, k::KeyUsage::as_str)),
        ("Origin", all(k::Origin::ALL, k::Origin::as_str)),
        ("KeyState", all(k::KeyState::ALL, k::KeyState::as_str)),
        ("KeyManager", all(k::KeyManager::ALL, k::KeyManager::as_str)),
        ("EncryptionAlgorithm", all(k::EncryptionAlgorithm::ALL, k::EncryptionAlgorithm::as_str)),
        ("SigningAlgorithm", all(k::SigningAlgorithm::ALL, k::SigningAlgorithm::as_str)),
        ("MacAlgorithm", all(k::MacAlgorithm::ALL, k::MacAlgorithm::as_str)),
        ("KeyAgreementAlgorithm", all(k::KeyAgreementAlgorithm::ALL, k::KeyAgreementAlgorithm::as_str)),
        ("DataKeySpec", all(k::DataKeySpec::ALL, k::DataKeySpec::as_str)),
        ("DataKeyPairSpec", all(k::DataKeyPairSpec::ALL, k::DataKeyPairSpec::as_str)),
        ("MessageType", all(k::MessageType::ALL, k::MessageType::as_str)),
        ("ExpirationModel", all(k::ExpirationModel::ALL, k::ExpirationModel::as_str)),
        ("RotationType", all(k::RotationType::ALL, k::RotationType::as_str)),
        ("KeyMaterialState", all(k::KeyMaterialState::ALL, k::KeyMaterialState::as_str)),
        ("IncludeKeyMaterial", all(k::IncludeKeyMaterial::ALL, k::IncludeKeyMaterial::as_str)),
        ("ImportType", all(k::ImportType::ALL, k::ImportType::as_str)),
        ("KeyMaterialImportState", all(k::KeyMaterialImportState::ALL, k::KeyMaterialImportState::as_str)),
        ("WrappingAlgorithm", all(WrappingAlgorithm::ALL, WrappingAlgorithm::as_str)),
        ("WrappingKeySpec", all(WrappingKeySpec::ALL, WrappingKeySpec::as_str)),
        ("GrantOperation", all(GrantOperation::ALL, GrantOperation::as_str)),
    ])
}

/// The native module. Objects are immutable, so it declares itself free-threading safe.
#[pymodule(gil_used = false)]
fn _keystead(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", keystead_core::VERSION)?;
    m.add_class::<Store>()?;
    m.add_class::<audit::AuditEventIterator>()?;
    m.add_function(wrap_pyfunction!(_enum_values, m)?)?;
    m.add_function(wrap_pyfunction!(error::_error_kinds, m)?)?;
    stream::register(m)?;
    typed::register(m)?;
    Ok(())
}
