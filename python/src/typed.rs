//! The typed API's per-call work in one native call.
//!
//! `keystead.Keystead.encrypt` and the other hot methods (decrypt, re_encrypt, the data-key,
//! sign / verify and MAC calls) used to check their arguments in Python (`keystead/_args.py`),
//! call the dict-returning `Store` method and wrap the dict in a result dataclass: three to six
//! microseconds on top of a seven-microsecond 1 KiB Encrypt. The functions here take the typed
//! method's arguments as they are, check them with the same rules and errors as
//! `_args.string_map` / `store._tokens`, call the core and build the result dataclass
//! (`keystead.types`) directly, so the Python method is a single call.
//!
//! The results stay the documented frozen dataclasses (equality, hashing, pickling, `repr` and
//! `dataclasses.fields` unchanged): an instance is made with `object.__new__` and its fields
//! written into its `__dict__` in field order, exactly what the dataclass `__init__` leaves
//! behind (these classes have no `__post_init__` and no defaulted fields among those set here).

use std::collections::BTreeMap;

use keystead_core::{
    DataKeySpec, DecryptRequest, EncryptRequest, Error, ErrorKind, GenerateDataKeyRequest, GenerateMacRequest,
    ReEncryptRequest, SignRequest, VerifyMacRequest, VerifyRequest,
};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString, PyType};

use crate::convert::{bytes_arg, enum_arg, u32_arg, IntArg};
use crate::error::to_py_err;
use crate::{Context, Store};

/// The `ValidationException` of `operation` for text that has no UTF-8 form (a lone surrogate).
fn invalid_unicode(py: Python<'_>, operation: &str, name: &str) -> PyErr {
    let message = format!("Value at '{name}' failed to satisfy constraint: Member must be valid Unicode text");
    to_py_err(py, &Error::new(ErrorKind::Validation, message), operation)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".to_owned())
}

/// One `(key, value)` pair of a string mapping; the errors of `_args.string_map`. The values
/// are never repeated in an error: a context may carry identifying data.
fn string_pair(
    key: &Bound<'_, PyAny>,
    item: &Bound<'_, PyAny>,
    operation: &str,
    name: &str,
) -> PyResult<(String, String)> {
    let (Ok(key_text), Ok(item_text)) = (key.cast::<PyString>(), item.cast::<PyString>()) else {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a mapping of str to str, not one with a {} key and a {} value",
            type_name(key),
            type_name(item)
        )));
    };
    let py = key.py();
    let key_text = key_text.to_str().map_err(|_| invalid_unicode(py, operation, name))?;
    let item_text = item_text.to_str().map_err(|_| invalid_unicode(py, operation, name))?;
    Ok((key_text.to_owned(), item_text.to_owned()))
}

/// A `Mapping[str, str]` argument (an encryption context) or None, with the rules of
/// `keystead._args.string_map`: any mapping is taken, anything else is a `TypeError` naming
/// `name`, a non-`str` key or value a `TypeError`, text without a UTF-8 form the
/// `ValidationException` of `operation`.
pub(crate) fn context_arg(value: Option<&Bound<'_, PyAny>>, operation: &str, name: &str) -> PyResult<Context> {
    let Some(value) = value else { return Ok(None) };
    let mut out = BTreeMap::new();
    // A plain dict (the common case) is read in place; a subclass could override `items`, so
    // it goes the general way, as in Python.
    if let Ok(dict) = value.cast_exact::<PyDict>() {
        for (key, item) in dict.iter() {
            let (key, item) = string_pair(&key, &item, operation, name)?;
            out.insert(key, item);
        }
        return Ok(Some(out));
    }
    static MAPPING: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let py = value.py();
    if !value.is_instance(MAPPING.import(py, "collections.abc", "Mapping")?)? {
        return Err(PyTypeError::new_err(format!("{name} must be a mapping of str to str, not {}", type_name(value))));
    }
    for pair in value.call_method0(intern!(py, "items"))?.try_iter()? {
        let (key, item) = pair?.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()?;
        let (key, item) = string_pair(&key, &item, operation, name)?;
        out.insert(key, item);
    }
    Ok(Some(out))
}

/// A `grant_tokens` argument: None, or an iterable of `str` (a lone `str` is refused, as
/// `store._tokens` does, since it would otherwise be read as a list of characters).
pub(crate) fn tokens_arg(value: Option<&Bound<'_, PyAny>>, operation: &str) -> PyResult<Vec<String>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    if value.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("grant_tokens must be a sequence of str, not a single str"));
    }
    let py = value.py();
    value
        .try_iter()?
        .map(|token| {
            let token = token?;
            let text = token.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "grant_tokens must be a sequence of str, not one holding a {}",
                    type_name(&token)
                ))
            })?;
            Ok(text.to_str().map_err(|_| invalid_unicode(py, operation, "grant_tokens"))?.to_owned())
        })
        .collect()
}

/// Runs `work` for `operation` and maps its error. The GIL is released when the work may wait
/// (a folder store reads SQLite and appends to the audit log, which may fsync) or is long (large
/// inputs); a small call on an in-memory store only computes for a few microseconds, less than
/// handing the GIL over and taking it back costs a waiting thread, so it keeps the GIL.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    store: &Store,
    input_len: usize,
    operation: &str,
    work: impl FnOnce() -> keystead_core::Result<T> + Send,
) -> PyResult<T> {
    /// Inputs up to this size are "small" (the symmetric Encrypt limit is 4 KiB).
    const SMALL: usize = 64 * 1024;
    let result = if store.in_memory && input_len <= SMALL { work() } else { py.detach(work) };
    result.map_err(|e| to_py_err(py, &e, operation))
}

/// A new, empty instance of the dataclass `keystead.types.<name>` (cached in `class`) and its
/// `__dict__`, for the caller to fill in field order.
fn new_result<'py>(
    py: Python<'py>,
    class: &'static PyOnceLock<Py<PyType>>,
    name: &str,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    static OBJECT_NEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let new = OBJECT_NEW
        .get_or_try_init(py, || py.import("builtins")?.getattr("object")?.getattr("__new__").map(Bound::unbind))?;
    let instance = new.bind(py).call1((class.import(py, "keystead.types", name)?,))?;
    let fields = instance.getattr(intern!(py, "__dict__"))?.cast_into::<PyDict>()?;
    Ok((instance, fields))
}

/// The members of one `keystead.enums` class by value, loaded once.
type Members = PyOnceLock<Vec<(String, Py<PyAny>)>>;

/// The `keystead.enums.<class>` member whose value is `value` (as `enums._of`: an unknown value
/// raises as `<class>(value)` does).
fn member<'py>(py: Python<'py>, members: &'static Members, class: &str, value: &str) -> PyResult<Bound<'py, PyAny>> {
    let loaded = members.get_or_try_init(py, || -> PyResult<_> {
        let enum_class = py.import("keystead.enums")?.getattr(class)?;
        enum_class
            .try_iter()?
            .map(|m| {
                let m = m?;
                Ok((m.getattr(intern!(py, "value"))?.extract::<String>()?, m.unbind()))
            })
            .collect()
    })?;
    match loaded.iter().find(|(v, _)| v == value) {
        Some((_, m)) => Ok(m.bind(py).clone()),
        None => py.import("keystead.enums")?.getattr(class)?.call1((value,)),
    }
}

static ENCRYPTION_ALGORITHMS: Members = PyOnceLock::new();
static SIGNING_ALGORITHMS: Members = PyOnceLock::new();
static MAC_ALGORITHMS: Members = PyOnceLock::new();

fn algorithm_member<'py>(py: Python<'py>, value: keystead_core::EncryptionAlgorithm) -> PyResult<Bound<'py, PyAny>> {
    member(py, &ENCRYPTION_ALGORITHMS, "EncryptionAlgorithm", value.as_str())
}

/// `Keystead.encrypt`: returns an `EncryptResult`.
#[pyfunction]
#[allow(clippy::too_many_arguments, reason = "one argument per parameter of Keystead.encrypt")]
pub(crate) fn typed_encrypt<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    key_id: &str,
    plaintext: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    encryption_algorithm: Option<&str>,
    grant_tokens: Option<&Bound<'py, PyAny>>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let context = context_arg(encryption_context, "Encrypt", "encryption_context")?;
    let tokens = tokens_arg(grant_tokens, "Encrypt")?;
    let plaintext = bytes_arg(plaintext, "Plaintext")?;
    let store = store.get();
    let r = run(py, store, plaintext.len(), "Encrypt", || {
        store.inner.encrypt(EncryptRequest {
            key_id,
            plaintext: plaintext.expose(),
            encryption_context: context.as_ref(),
            encryption_algorithm: enum_arg(encryption_algorithm)?,
            grant_tokens: &tokens,
            dry_run,
        })
    })?;
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let (result, fields) = new_result(py, &CLASS, "EncryptResult")?;
    fields.set_item(intern!(py, "ciphertext_blob"), PyBytes::new(py, &r.ciphertext_blob))?;
    fields.set_item(intern!(py, "key_id"), &r.key_id)?;
    fields.set_item(intern!(py, "encryption_algorithm"), algorithm_member(py, r.encryption_algorithm)?)?;
    Ok(result)
}

/// `Keystead.decrypt`: returns a `DecryptResult`.
#[pyfunction]
#[allow(clippy::too_many_arguments, reason = "one argument per parameter of Keystead.decrypt")]
pub(crate) fn typed_decrypt<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    ciphertext_blob: &Bound<'py, PyAny>,
    encryption_context: Option<&Bound<'py, PyAny>>,
    key_id: Option<&str>,
    encryption_algorithm: Option<&str>,
    grant_tokens: Option<&Bound<'py, PyAny>>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let context = context_arg(encryption_context, "Decrypt", "encryption_context")?;
    let tokens = tokens_arg(grant_tokens, "Decrypt")?;
    let blob = bytes_arg(ciphertext_blob, "CiphertextBlob")?;
    let store = store.get();
    let r = run(py, store, blob.len(), "Decrypt", || {
        store.inner.decrypt(DecryptRequest {
            ciphertext_blob: &blob,
            encryption_context: context.as_ref(),
            key_id,
            encryption_algorithm: enum_arg(encryption_algorithm)?,
            grant_tokens: &tokens,
            dry_run,
        })
    })?;
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let (result, fields) = new_result(py, &CLASS, "DecryptResult")?;
    fields.set_item(intern!(py, "plaintext"), PyBytes::new(py, r.plaintext.expose()))?;
    fields.set_item(intern!(py, "key_id"), &r.key_id)?;
    fields.set_item(intern!(py, "encryption_algorithm"), algorithm_member(py, r.encryption_algorithm)?)?;
    fields.set_item(intern!(py, "key_material_id"), &r.key_material_id)?;
    Ok(result)
}

/// `Keystead.re_encrypt`: returns a `ReEncryptResult`.
#[pyfunction]
#[allow(clippy::too_many_arguments, reason = "one argument per parameter of Keystead.re_encrypt")]
pub(crate) fn typed_re_encrypt<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    ciphertext_blob: &Bound<'py, PyAny>,
    destination_key_id: &str,
    source_encryption_context: Option<&Bound<'py, PyAny>>,
    source_key_id: Option<&str>,
    destination_encryption_context: Option<&Bound<'py, PyAny>>,
    source_encryption_algorithm: Option<&str>,
    destination_encryption_algorithm: Option<&str>,
    grant_tokens: Option<&Bound<'py, PyAny>>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let source_context = context_arg(source_encryption_context, "ReEncrypt", "source_encryption_context")?;
    let destination_context =
        context_arg(destination_encryption_context, "ReEncrypt", "destination_encryption_context")?;
    let tokens = tokens_arg(grant_tokens, "ReEncrypt")?;
    let blob = bytes_arg(ciphertext_blob, "CiphertextBlob")?;
    let store = store.get();
    let r = run(py, store, blob.len(), "ReEncrypt", || {
        store.inner.re_encrypt(ReEncryptRequest {
            ciphertext_blob: &blob,
            source_encryption_context: source_context.as_ref(),
            source_key_id,
            destination_key_id,
            destination_encryption_context: destination_context.as_ref(),
            source_encryption_algorithm: enum_arg(source_encryption_algorithm)?,
            destination_encryption_algorithm: enum_arg(destination_encryption_algorithm)?,
            grant_tokens: &tokens,
            dry_run,
        })
    })?;
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let (result, fields) = new_result(py, &CLASS, "ReEncryptResult")?;
    fields.set_item(intern!(py, "ciphertext_blob"), PyBytes::new(py, &r.ciphertext_blob))?;
    fields.set_item(intern!(py, "key_id"), &r.key_id)?;
    fields.set_item(intern!(py, "source_key_id"), &r.source_key_id)?;
    let source = algorithm_member(py, r.source_encryption_algorithm)?;
    fields.set_item(intern!(py, "source_encryption_algorithm"), source)?;
    let destination = algorithm_member(py, r.destination_encryption_algorithm)?;
    fields.set_item(intern!(py, "destination_encryption_algorithm"), destination)?;
    fields.set_item(intern!(py, "source_key_material_id"), &r.source_key_material_id)?;
    fields.set_item(intern!(py, "destination_key_material_id"), &r.destination_key_material_id)?;
    Ok(result)
}

/// The request of `Keystead.generate_data_key(_without_plaintext)`: `AES_256` when neither
/// `key_spec` nor `number_of_bytes` is given, as the typed API documents.
fn data_key_spec(key_spec: Option<&str>, number_of_bytes: &Option<IntArg>) -> Result<Option<DataKeySpec>, Error> {
    match (enum_arg(key_spec)?, number_of_bytes) {
        (None, None) => Ok(Some(DataKeySpec::Aes256)),
        (spec, _) => Ok(spec),
    }
}

/// `GenerateDataKey` or `GenerateDataKeyWithoutPlaintext` (`call`) from the typed method's
/// arguments, checked as in `typed_encrypt`.
#[allow(clippy::too_many_arguments, reason = "the typed method's arguments, and the call")]
fn data_key_call<R: Send>(
    py: Python<'_>,
    store: &Bound<'_, Store>,
    operation: &str,
    key_id: &str,
    encryption_context: Option<&Bound<'_, PyAny>>,
    key_spec: Option<&str>,
    number_of_bytes: Option<IntArg>,
    grant_tokens: Option<&Bound<'_, PyAny>>,
    dry_run: bool,
    call: impl FnOnce(&keystead_core::Keystead, GenerateDataKeyRequest<'_>) -> keystead_core::Result<R> + Send,
) -> PyResult<R> {
    let context = context_arg(encryption_context, operation, "encryption_context")?;
    let tokens = tokens_arg(grant_tokens, operation)?;
    let store = store.get();
    run(py, store, 0, operation, || {
        let request = GenerateDataKeyRequest {
            key_id,
            encryption_context: context.as_ref(),
            key_spec: data_key_spec(key_spec, &number_of_bytes)?,
            number_of_bytes: u32_arg(number_of_bytes, "numberOfBytes")?,
            grant_tokens: &tokens,
            dry_run,
        };
        call(&store.inner, request)
    })
}

/// `Keystead.generate_data_key`: returns a `DataKey`.
#[pyfunction]
#[allow(clippy::too_many_arguments, reason = "one argument per parameter of Keystead.generate_data_key")]
pub(crate) fn typed_generate_data_key<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    key_id: &str,
    encryption_context: Option<&Bound<'py, PyAny>>,
    key_spec: Option<&str>,
    number_of_bytes: Option<IntArg>,
    grant_tokens: Option<&Bound<'py, PyAny>>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let r = data_key_call(
        py,
        store,
        "GenerateDataKey",
        key_id,
        encryption_context,
        key_spec,
        number_of_bytes,
        grant_tokens,
        dry_run,
        |inner, request| inner.generate_data_key(request),
    )?;
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let (result, fields) = new_result(py, &CLASS, "DataKey")?;
    fields.set_item(intern!(py, "plaintext"), PyBytes::new(py, r.plaintext.expose()))?;
    fields.set_item(intern!(py, "ciphertext_blob"), PyBytes::new(py, &r.ciphertext_blob))?;
    fields.set_item(intern!(py, "key_id"), &r.key_id)?;
    fields.set_item(intern!(py, "key_material_id"), &r.key_material_id)?;
    Ok(result)
}

/// `Keystead.generate_data_key_without_plaintext`: returns an `EncryptedDataKey`.
#[pyfunction]
#[allow(clippy::too_many_arguments, reason = "one argument per parameter of the typed method")]
pub(crate) fn typed_generate_data_key_without_plaintext<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    key_id: &str,
    encryption_context: Option<&Bound<'py, PyAny>>,
    key_spec: Option<&str>,
    number_of_bytes: Option<IntArg>,
    grant_tokens: Option<&Bound<'py, PyAny>>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let r = data_key_call(
        py,
        store,
        "GenerateDataKeyWithoutPlaintext",
        key_id,
        encryption_context,
        key_spec,
        number_of_bytes,
        grant_tokens,
        dry_run,
        |inner, request| inner.generate_data_key_without_plaintext(request),
    )?;
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let (result, fields) = new_result(py, &CLASS, "EncryptedDataKey")?;
    fields.set_item(intern!(py, "ciphertext_blob"), PyBytes::new(py, &r.ciphertext_blob))?;
    fields.set_item(intern!(py, "key_id"), &r.key_id)?;
    fields.set_item(intern!(py, "key_material_id"), &r.key_material_id)?;
    Ok(result)
}

/// `Keystead.sign`: returns a `SignResult`.
#[pyfunction]
#[allow(clippy::too_many_arguments, reason = "one argument per parameter of Keystead.sign")]
pub(crate) fn typed_sign<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    key_id: &str,
    message: &Bound<'py, PyAny>,
    signing_algorithm: Option<&str>,
    message_type: Option<&str>,
    grant_tokens: Option<&Bound<'py, PyAny>>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let tokens = tokens_arg(grant_tokens, "Sign")?;
    let message = bytes_arg(message, "Message")?;
    let store = store.get();
    let r = run(py, store, message.len(), "Sign", || {
        store.inner.sign(SignRequest {
            key_id,
            message: message.expose(),
            message_type: enum_arg(message_type)?,
            signing_algorithm: enum_arg(signing_algorithm)?,
            grant_tokens: &tokens,
            dry_run,
        })
    })?;
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let (result, fields) = new_result(py, &CLASS, "SignResult")?;
    fields.set_item(intern!(py, "signature"), PyBytes::new(py, &r.signature))?;
    fields.set_item(intern!(py, "key_id"), &r.key_id)?;
    let algorithm = member(py, &SIGNING_ALGORITHMS, "SigningAlgorithm", r.signing_algorithm.as_str())?;
    fields.set_item(intern!(py, "signing_algorithm"), algorithm)?;
    Ok(result)
}

/// `Keystead.verify`: returns a `VerifyResult` (an invalid signature raises).
#[pyfunction]
#[allow(clippy::too_many_arguments, reason = "one argument per parameter of Keystead.verify")]
pub(crate) fn typed_verify<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    key_id: &str,
    message: &Bound<'py, PyAny>,
    signature: &Bound<'py, PyAny>,
    signing_algorithm: Option<&str>,
    message_type: Option<&str>,
    grant_tokens: Option<&Bound<'py, PyAny>>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let tokens = tokens_arg(grant_tokens, "Verify")?;
    let message = bytes_arg(message, "Message")?;
    let signature = bytes_arg(signature, "Signature")?;
    let store = store.get();
    let r = run(py, store, message.len(), "Verify", || {
        store.inner.verify(VerifyRequest {
            key_id,
            message: message.expose(),
            message_type: enum_arg(message_type)?,
            signature: &signature,
            signing_algorithm: enum_arg(signing_algorithm)?,
            grant_tokens: &tokens,
            dry_run,
        })
    })?;
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let (result, fields) = new_result(py, &CLASS, "VerifyResult")?;
    fields.set_item(intern!(py, "key_id"), &r.key_id)?;
    fields.set_item(intern!(py, "signature_valid"), r.signature_valid)?;
    let algorithm = member(py, &SIGNING_ALGORITHMS, "SigningAlgorithm", r.signing_algorithm.as_str())?;
    fields.set_item(intern!(py, "signing_algorithm"), algorithm)?;
    Ok(result)
}

/// `Keystead.generate_mac`: returns a `MacResult`.
#[pyfunction]
pub(crate) fn typed_generate_mac<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    key_id: &str,
    message: &Bound<'py, PyAny>,
    mac_algorithm: Option<&str>,
    grant_tokens: Option<&Bound<'py, PyAny>>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let tokens = tokens_arg(grant_tokens, "GenerateMac")?;
    let message = bytes_arg(message, "Message")?;
    let store = store.get();
    let r = run(py, store, message.len(), "GenerateMac", || {
        store.inner.generate_mac(GenerateMacRequest {
            key_id,
            message: message.expose(),
            mac_algorithm: enum_arg(mac_algorithm)?,
            grant_tokens: &tokens,
            dry_run,
        })
    })?;
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let (result, fields) = new_result(py, &CLASS, "MacResult")?;
    fields.set_item(intern!(py, "mac"), PyBytes::new(py, &r.mac))?;
    fields.set_item(intern!(py, "key_id"), &r.key_id)?;
    let algorithm = member(py, &MAC_ALGORITHMS, "MacAlgorithm", r.mac_algorithm.as_str())?;
    fields.set_item(intern!(py, "mac_algorithm"), algorithm)?;
    Ok(result)
}

/// `Keystead.verify_mac`: returns a `VerifyMacResult` (a wrong MAC raises).
#[pyfunction]
#[allow(clippy::too_many_arguments, reason = "one argument per parameter of Keystead.verify_mac")]
pub(crate) fn typed_verify_mac<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    key_id: &str,
    message: &Bound<'py, PyAny>,
    mac: &Bound<'py, PyAny>,
    mac_algorithm: Option<&str>,
    grant_tokens: Option<&Bound<'py, PyAny>>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let tokens = tokens_arg(grant_tokens, "VerifyMac")?;
    let message = bytes_arg(message, "Message")?;
    let mac = bytes_arg(mac, "Mac")?;
    let store = store.get();
    let r = run(py, store, message.len(), "VerifyMac", || {
        store.inner.verify_mac(VerifyMacRequest {
            key_id,
            message: message.expose(),
            mac: &mac,
            mac_algorithm: enum_arg(mac_algorithm)?,
            grant_tokens: &tokens,
            dry_run,
        })
    })?;
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let (result, fields) = new_result(py, &CLASS, "VerifyMacResult")?;
    fields.set_item(intern!(py, "key_id"), &r.key_id)?;
    fields.set_item(intern!(py, "mac_valid"), r.mac_valid)?;
    let algorithm = member(py, &MAC_ALGORITHMS, "MacAlgorithm", r.mac_algorithm.as_str())?;
    fields.set_item(intern!(py, "mac_algorithm"), algorithm)?;
    Ok(result)
}

/// Adds the typed calls to the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(typed_encrypt, m)?)?;
    m.add_function(wrap_pyfunction!(typed_decrypt, m)?)?;
    m.add_function(wrap_pyfunction!(typed_re_encrypt, m)?)?;
    m.add_function(wrap_pyfunction!(typed_generate_data_key, m)?)?;
    m.add_function(wrap_pyfunction!(typed_generate_data_key_without_plaintext, m)?)?;
    m.add_function(wrap_pyfunction!(typed_sign, m)?)?;
    m.add_function(wrap_pyfunction!(typed_verify, m)?)?;
    m.add_function(wrap_pyfunction!(typed_generate_mac, m)?)?;
    m.add_function(wrap_pyfunction!(typed_verify_mac, m)?)?;
    Ok(())
}
