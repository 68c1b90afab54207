//! Conversions between Python values and core values.
//!
//! Inputs are made readable without the GIL before it is released: an immutable `bytes` object
//! is read in place (no other thread can change it, and the caller's object holds the same bytes
//! anyway), any other buffer is copied into zeroizing [`SecretBytes`] first, since another
//! thread could resize or rewrite it while the GIL is released. Outputs are dicts keyed
//! by AWS's PascalCase names, with `bytes` for blobs and UTC `datetime` for dates: the
//! boto3-shaped client returns them as they are and the typed API wraps them.

use keystead_core::{
    AccessKey, AliasListEntry, Error, GetPublicKeyResponse, ImportedKeyMaterialResponse, KeyListEntry, KeyMetadata,
    KeyRotationStatus, Millis, Page, RotationsListEntry, ScheduleKeyDeletionResponse, SecretBytes, Tag,
};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDateTime, PyDict, PyInt, PyList, PyString, PyTzInfo};

fn not_str(value: &Bound<'_, PyAny>, name: &str) -> PyResult<()> {
    if value.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be bytes-like (bytes, bytearray, memoryview), not str; \
             encode text first, for example value.encode(\"utf-8\")"
        )));
    }
    Ok(())
}

/// Copies a buffer-protocol object (not `bytes`) into zeroizing memory.
fn copied(value: &Bound<'_, PyAny>, name: &str) -> PyResult<SecretBytes> {
    let buffer = PyBuffer::<u8>::get(value).map_err(|_| {
        let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        PyTypeError::new_err(format!(
            "{name} must be a bytes-like object of unsigned bytes (bytes, bytearray, memoryview), not {type_name}"
        ))
    })?;
    Ok(SecretBytes::new(buffer.to_vec(value.py())?))
}

/// Copies a bytes-like argument (any object with the buffer protocol) into owned zeroizing
/// memory, for values the core keeps (root keys, imported material). A `str` is refused with a
/// hint, since text has no single byte encoding.
pub(crate) fn secret_arg(value: &Bound<'_, PyAny>, name: &str) -> PyResult<SecretBytes> {
    not_str(value, name)?;
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(SecretBytes::copy_from(bytes.as_bytes()));
    }
    copied(value, name)
}

/// A bytes-like call input (plaintext, message, ciphertext blob) readable without the GIL.
pub(crate) enum BytesArg {
    /// A `bytes` object, read in place: it is immutable, so no copy is needed (and none of a
    /// secret is left to zeroize); this holds a reference to it.
    Shared(PyBackedBytes),
    /// Any other buffer, copied into zeroizing memory.
    Copied(SecretBytes),
}

impl BytesArg {
    /// The bytes.
    pub(crate) fn expose(&self) -> &[u8] {
        match self {
            Self::Shared(bytes) => bytes,
            Self::Copied(bytes) => bytes.expose(),
        }
    }
}

impl std::ops::Deref for BytesArg {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.expose()
    }
}

/// A bytes-like call input (any object with the buffer protocol; a `str` is refused with a
/// hint). `bytes`, the common case, is not copied: per-call copies are most of the binding's
/// own cost for small inputs.
pub(crate) fn bytes_arg(value: &Bound<'_, PyAny>, name: &str) -> PyResult<BytesArg> {
    not_str(value, name)?;
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(BytesArg::Shared(PyBackedBytes::from(bytes.clone())));
    }
    Ok(BytesArg::Copied(copied(value, name)?))
}

/// An integer argument. Any Python `int` is taken: one beyond 64 bits is kept as a core
/// validation error (raised, like a negative count, as `ValidationException` by the operation
/// that reads it) instead of PyO3's `OverflowError`; a value of another type is a `TypeError`.
pub(crate) struct IntArg(Result<i64, String>);

impl<'a, 'py> FromPyObject<'a, 'py> for IntArg {
    type Error = PyErr;

    fn extract(value: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        match value.extract::<i64>() {
            Ok(v) => Ok(Self(Ok(v))),
            // An int (not a bool or float: those fail the i64 extraction with TypeError already)
            // that does not fit.
            Err(_) if value.is_instance_of::<PyInt>() => Ok(Self(Err(value.to_string()))),
            Err(e) => Err(e),
        }
    }
}

fn non_negative_error(value: &str, name: &str) -> Error {
    Error::new(
        keystead_core::ErrorKind::Validation,
        format!("Value '{value}' at '{name}' failed to satisfy constraint: Member must be a non-negative integer"),
    )
}

/// A core validation error for an integer argument outside `u32`.
pub(crate) fn u32_arg(value: Option<IntArg>, name: &str) -> Result<Option<u32>, Error> {
    value.map(|v| unsigned_arg(v, name)).transpose()
}

/// A core validation error for an integer argument that is negative or does not fit the
/// target type (`u32` counts, `usize` sizes).
pub(crate) fn unsigned_arg<T: TryFrom<i64>>(value: IntArg, name: &str) -> Result<T, Error> {
    match value.0 {
        Ok(v) => T::try_from(v).map_err(|_| non_negative_error(&v.to_string(), name)),
        Err(text) => Err(non_negative_error(&text, name)),
    }
}

/// Parses an optional AWS enum string.
pub(crate) fn enum_arg<T: std::str::FromStr<Err = Error>>(value: Option<&str>) -> Result<Option<T>, Error> {
    value.map(str::parse).transpose()
}

/// A UTC `datetime` from milliseconds since the epoch.
pub(crate) fn date(py: Python<'_>, ms: Millis) -> PyResult<Bound<'_, PyDateTime>> {
    let utc = PyTzInfo::utc(py)?;
    PyDateTime::from_timestamp(py, ms as f64 / 1000.0, Some(&utc))
}

fn set_opt<'py, T: IntoPyObject<'py>>(dict: &Bound<'py, PyDict>, key: &str, value: Option<T>) -> PyResult<()> {
    if let Some(value) = value {
        dict.set_item(key, value)?;
    }
    Ok(())
}

fn strings<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// AWS `KeyMetadata`.
pub(crate) fn key_metadata<'py>(py: Python<'py>, m: &KeyMetadata) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("AWSAccountId", &m.aws_account_id)?;
    d.set_item("KeyId", &m.key_id)?;
    d.set_item("Arn", &m.arn)?;
    d.set_item("CreationDate", date(py, m.creation_date)?)?;
    d.set_item("Enabled", m.enabled)?;
    d.set_item("Description", &m.description)?;
    d.set_item("KeyUsage", m.key_usage.as_str())?;
    d.set_item("KeyState", m.key_state.as_str())?;
    set_opt(&d, "DeletionDate", m.deletion_date.map(|ms| date(py, ms)).transpose()?)?;
    set_opt(&d, "ValidTo", m.valid_to.map(|ms| date(py, ms)).transpose()?)?;
    d.set_item("Origin", m.origin.as_str())?;
    set_opt(&d, "ExpirationModel", m.expiration_model.map(|e| e.as_str()))?;
    d.set_item("KeyManager", m.key_manager.as_str())?;
    d.set_item("CustomerMasterKeySpec", m.customer_master_key_spec.as_str())?;
    d.set_item("KeySpec", m.key_spec.as_str())?;
    set_opt(&d, "EncryptionAlgorithms", m.encryption_algorithms.as_deref().map(strings))?;
    set_opt(&d, "SigningAlgorithms", m.signing_algorithms.as_deref().map(strings))?;
    set_opt(&d, "MacAlgorithms", m.mac_algorithms.as_deref().map(strings))?;
    set_opt(&d, "KeyAgreementAlgorithms", m.key_agreement_algorithms.as_deref().map(strings))?;
    d.set_item("MultiRegion", m.multi_region)?;
    set_opt(&d, "CurrentKeyMaterialId", m.current_key_material_id.as_deref())?;
    Ok(d)
}

/// A list page: `{list_name: [...], "Truncated": bool, "NextMarker"?: str}`.
pub(crate) fn page<'py, T>(
    py: Python<'py>,
    list_name: &str,
    page: &Page<T>,
    item: impl Fn(Python<'py>, &T) -> PyResult<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let items = PyList::empty(py);
    for entry in &page.items {
        items.append(item(py, entry)?)?;
    }
    let d = PyDict::new(py);
    d.set_item(list_name, items)?;
    d.set_item("Truncated", page.truncated())?;
    set_opt(&d, "NextMarker", page.next_marker.as_deref())?;
    Ok(d)
}

/// One `ListKeys` entry.
pub(crate) fn key_entry<'py>(py: Python<'py>, e: &KeyListEntry) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("KeyId", &e.key_id)?;
    d.set_item("KeyArn", &e.key_arn)?;
    Ok(d)
}

/// One `ListAliases` entry.
pub(crate) fn alias_entry<'py>(py: Python<'py>, e: &AliasListEntry) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("AliasName", &e.alias_name)?;
    d.set_item("AliasArn", &e.alias_arn)?;
    d.set_item("TargetKeyId", &e.target_key_id)?;
    d.set_item("CreationDate", date(py, e.creation_date)?)?;
    d.set_item("LastUpdatedDate", date(py, e.last_updated_date)?)?;
    Ok(d)
}

/// One tag.
pub(crate) fn tag<'py>(py: Python<'py>, t: &Tag) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("TagKey", &t.tag_key)?;
    d.set_item("TagValue", &t.tag_value)?;
    Ok(d)
}

/// One `ListKeyRotations` entry.
pub(crate) fn rotation_entry<'py>(py: Python<'py>, e: &RotationsListEntry) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("KeyId", &e.key_id)?;
    d.set_item("KeyMaterialId", &e.key_material_id)?;
    d.set_item("KeyMaterialState", e.key_material_state.as_str())?;
    set_opt(&d, "RotationDate", e.rotation_date.map(|ms| date(py, ms)).transpose()?)?;
    set_opt(&d, "RotationType", e.rotation_type.map(|t| t.as_str()))?;
    set_opt(&d, "KeyMaterialDescription", e.key_material_description.as_deref())?;
    set_opt(&d, "ImportState", e.import_state.map(|s| s.as_str()))?;
    set_opt(&d, "ExpirationModel", e.expiration_model.map(|m| m.as_str()))?;
    set_opt(&d, "ValidTo", e.valid_to.map(|ms| date(py, ms)).transpose()?)?;
    Ok(d)
}

/// `GetKeyRotationStatus`.
pub(crate) fn rotation_status<'py>(py: Python<'py>, s: &KeyRotationStatus) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("KeyRotationEnabled", s.key_rotation_enabled)?;
    d.set_item("KeyId", &s.key_id)?;
    set_opt(&d, "RotationPeriodInDays", s.rotation_period_in_days)?;
    set_opt(&d, "NextRotationDate", s.next_rotation_date.map(|ms| date(py, ms)).transpose()?)?;
    set_opt(&d, "OnDemandRotationStartDate", s.on_demand_rotation_start_date.map(|ms| date(py, ms)).transpose()?)?;
    Ok(d)
}

/// `ScheduleKeyDeletion`.
pub(crate) fn deletion<'py>(py: Python<'py>, r: &ScheduleKeyDeletionResponse) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("KeyId", &r.key_id)?;
    d.set_item("DeletionDate", date(py, r.deletion_date)?)?;
    d.set_item("KeyState", r.key_state.as_str())?;
    d.set_item("PendingWindowInDays", r.pending_window_in_days)?;
    Ok(d)
}

/// `GetPublicKey`.
pub(crate) fn public_key<'py>(py: Python<'py>, r: &GetPublicKeyResponse) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("KeyId", &r.key_id)?;
    d.set_item("PublicKey", PyBytes::new(py, &r.public_key))?;
    d.set_item("CustomerMasterKeySpec", r.customer_master_key_spec.as_str())?;
    d.set_item("KeySpec", r.key_spec.as_str())?;
    d.set_item("KeyUsage", r.key_usage.as_str())?;
    set_opt(&d, "EncryptionAlgorithms", r.encryption_algorithms.as_deref().map(strings))?;
    set_opt(&d, "SigningAlgorithms", r.signing_algorithms.as_deref().map(strings))?;
    set_opt(&d, "KeyAgreementAlgorithms", r.key_agreement_algorithms.as_deref().map(strings))?;
    Ok(d)
}

/// `ImportKeyMaterial` and `DeleteImportedKeyMaterial`.
pub(crate) fn imported<'py>(py: Python<'py>, r: &ImportedKeyMaterialResponse) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("KeyId", &r.key_id)?;
    d.set_item("KeyMaterialId", &r.key_material_id)?;
    Ok(d)
}

/// One access key (no secret).
pub(crate) fn access_key<'py>(py: Python<'py>, k: &AccessKey) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("AccessKeyId", &k.access_key_id)?;
    d.set_item("Principal", &k.principal)?;
    d.set_item("CreateDate", date(py, k.create_date)?)?;
    Ok(d)
}
