//! Envelope encryption for Python (`docs/format.md` sections 5–7): one-shot seal/open, the
//! push-style streams under `keystead.EnvelopeWriter` / `EnvelopeReader` (`keystead/stream.py`),
//! field-level record encryption (`keystead.fields`) and configuration secrets
//! (`keystead.secrets`). Inputs are copied before the GIL is released for the crypto.

use std::collections::BTreeMap;

use keystead_core::envelope::{self, OpenOptions, OpenStream, SealOptions, SealStream};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::{bytes_arg, unsigned_arg, IntArg};
use crate::error::to_py_err;
use crate::typed::{self, context_arg};
use crate::{run, Context, Store};

/// Seal options; a negative or oversize `segment_size` is the operation's `ValidationException`.
fn seal_options(
    py: Python<'_>,
    operation: &str,
    additional_key_ids: Option<Vec<String>>,
    segment_size: Option<IntArg>,
) -> PyResult<SealOptions> {
    let mut options = SealOptions { additional_key_ids: additional_key_ids.unwrap_or_default(), ..Default::default() };
    if let Some(size) = segment_size {
        options.segment_size = unsigned_arg(size, "segmentSize").map_err(|e| to_py_err(py, &e, operation))?;
    }
    Ok(options)
}

/// Open options; a negative or oversize `max_encrypted_data_keys` is the operation's
/// `ValidationException`.
fn open_options(
    py: Python<'_>,
    operation: &str,
    allowed: Option<Vec<String>>,
    max_encrypted_data_keys: Option<IntArg>,
) -> PyResult<OpenOptions> {
    let mut options = OpenOptions { allowed_wrapping_keys: allowed, ..Default::default() };
    if let Some(max) = max_encrypted_data_keys {
        options.max_encrypted_data_keys =
            unsigned_arg(max, "maxEncryptedDataKeys").map_err(|e| to_py_err(py, &e, operation))?;
    }
    Ok(options)
}

fn bytes_out<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, data)
}

/// Seals `plaintext` into one envelope message (`keystead.envelope_seal`).
#[pyfunction]
#[pyo3(signature = (store, key_id, plaintext, context = None, additional_key_ids = None, segment_size = None))]
pub(crate) fn envelope_seal<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    key_id: String,
    plaintext: &Bound<'py, PyAny>,
    context: Option<&Bound<'py, PyAny>>,
    additional_key_ids: Option<Vec<String>>,
    segment_size: Option<IntArg>,
) -> PyResult<Bound<'py, PyBytes>> {
    let context = context_arg(context, "EnvelopeSeal", "encryption_context")?;
    let plaintext = bytes_arg(plaintext, "plaintext")?;
    let store = store.get();
    let options = seal_options(py, "EnvelopeSeal", additional_key_ids, segment_size)?;
    let context = context.unwrap_or_default();
    let message = typed::run(py, store, plaintext.len(), "EnvelopeSeal", || {
        envelope::seal(&store.inner, &key_id, plaintext.expose(), &context, &options)
    })?;
    Ok(bytes_out(py, &message))
}

/// Opens an envelope message (`keystead.envelope_open`).
#[pyfunction]
#[pyo3(signature = (store, message, context = None, allowed_wrapping_keys = None, max_encrypted_data_keys = None))]
pub(crate) fn envelope_open<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    message: &Bound<'py, PyAny>,
    context: Option<&Bound<'py, PyAny>>,
    allowed_wrapping_keys: Option<Vec<String>>,
    max_encrypted_data_keys: Option<IntArg>,
) -> PyResult<Bound<'py, PyBytes>> {
    let context = context_arg(context, "EnvelopeOpen", "encryption_context")?;
    let message = bytes_arg(message, "message")?;
    let store = store.get();
    let options = open_options(py, "EnvelopeOpen", allowed_wrapping_keys, max_encrypted_data_keys)?;
    let context = context.unwrap_or_default();
    let plaintext = typed::run(py, store, message.len(), "EnvelopeOpen", || {
        envelope::open(&store.inner, &message, &context, &options)
    })?;
    Ok(bytes_out(py, plaintext.expose()))
}

/// The sealing half of `keystead.EnvelopeWriter`: plaintext in, message bytes out.
#[pyclass(module = "keystead._keystead")]
pub(crate) struct SealStreamNative {
    inner: SealStream,
}

#[pymethods]
impl SealStreamNative {
    #[new]
    #[pyo3(signature = (store, key_id, context = None, additional_key_ids = None, segment_size = None))]
    fn new(
        py: Python<'_>,
        store: &Bound<'_, Store>,
        key_id: String,
        context: Context,
        additional_key_ids: Option<Vec<String>>,
        segment_size: Option<IntArg>,
    ) -> PyResult<Self> {
        let store = store.get().inner.clone();
        let options = seal_options(py, "EnvelopeSeal", additional_key_ids, segment_size)?;
        let context = context.unwrap_or_default();
        let inner = run(py, "EnvelopeSeal", || SealStream::new(&store, &key_id, &context, &options))?;
        Ok(Self { inner })
    }

    /// Seals `data`; returns the message bytes ready so far (possibly empty).
    fn update<'py>(&mut self, py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let data = bytes_arg(data, "data")?;
        let inner = &mut self.inner;
        let out = run(py, "EnvelopeSeal", || inner.update(data.expose()))?;
        Ok(bytes_out(py, &out))
    }

    /// Seals the last segment; returns the rest of the message.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let inner = &mut self.inner;
        let out = run(py, "EnvelopeSeal", || inner.finish())?;
        Ok(bytes_out(py, &out))
    }
}

/// The opening half of `keystead.EnvelopeReader`: message bytes in, verified plaintext out.
#[pyclass(module = "keystead._keystead")]
pub(crate) struct OpenStreamNative {
    inner: OpenStream,
}

#[pymethods]
impl OpenStreamNative {
    #[new]
    #[pyo3(signature = (store, context = None, allowed_wrapping_keys = None, max_encrypted_data_keys = None))]
    fn new(
        py: Python<'_>,
        store: &Bound<'_, Store>,
        context: Context,
        allowed_wrapping_keys: Option<Vec<String>>,
        max_encrypted_data_keys: Option<IntArg>,
    ) -> PyResult<Self> {
        let store = store.get().inner.clone();
        let options = open_options(py, "EnvelopeOpen", allowed_wrapping_keys, max_encrypted_data_keys)?;
        let context = context.unwrap_or_default();
        let inner = OpenStream::new(&store, &context, &options).map_err(|e| to_py_err(py, &e, "EnvelopeOpen"))?;
        Ok(Self { inner })
    }

    /// Takes message bytes; returns the verified plaintext they complete (possibly empty).
    fn update<'py>(&mut self, py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let data = bytes_arg(data, "data")?;
        let inner = &mut self.inner;
        let out = run(py, "EnvelopeOpen", || inner.update(&data))?;
        Ok(bytes_out(py, out.expose()))
    }

    /// Ends the message; returns the last segment's plaintext.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let inner = &mut self.inner;
        let out = run(py, "EnvelopeOpen", || inner.finish())?;
        Ok(bytes_out(py, out.expose()))
    }
}

fn parse_record(text: &str) -> PyResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("the record is not JSON: {e}")))
}

/// Encrypts fields of a record given as JSON text; returns JSON text (`keystead.fields`).
#[pyfunction]
#[pyo3(signature = (store, key_id, record_json, fields, context = None, additional_key_ids = None))]
pub(crate) fn encrypt_fields_json(
    py: Python<'_>,
    store: &Bound<'_, Store>,
    key_id: String,
    record_json: &str,
    fields: Vec<String>,
    context: Context,
    additional_key_ids: Option<Vec<String>>,
) -> PyResult<String> {
    let record = parse_record(record_json)?;
    let store = store.get().inner.clone();
    let options = seal_options(py, "EncryptFields", additional_key_ids, None)?;
    let context = context.unwrap_or_default();
    let sealed =
        run(py, "EncryptFields", || envelope::encrypt_fields(&store, &key_id, &record, &fields, &context, &options))?;
    Ok(sealed.to_string())
}

/// Decrypts the fields of a record given as JSON text; returns JSON text (`keystead.fields`).
#[pyfunction]
#[pyo3(signature = (store, record_json, context = None, allowed_wrapping_keys = None, max_encrypted_data_keys = None))]
pub(crate) fn decrypt_fields_json(
    py: Python<'_>,
    store: &Bound<'_, Store>,
    record_json: &str,
    context: Context,
    allowed_wrapping_keys: Option<Vec<String>>,
    max_encrypted_data_keys: Option<IntArg>,
) -> PyResult<String> {
    let record = parse_record(record_json)?;
    let store = store.get().inner.clone();
    let options = open_options(py, "DecryptFields", allowed_wrapping_keys, max_encrypted_data_keys)?;
    let context = context.unwrap_or_default();
    let opened = run(py, "DecryptFields", || envelope::decrypt_fields(&store, &record, &context, &options))?;
    Ok(opened.to_string())
}

/// Encrypts a configuration secret for one variable; returns `keystead:v1:...`.
#[pyfunction]
#[pyo3(signature = (store, key_id, name, value, context = None))]
pub(crate) fn encrypt_secret(
    py: Python<'_>,
    store: &Bound<'_, Store>,
    key_id: String,
    name: String,
    value: &Bound<'_, PyAny>,
    context: Context,
) -> PyResult<String> {
    let value = bytes_arg(value, "value")?;
    let store = store.get().inner.clone();
    let context = context.unwrap_or_default();
    run(py, "EncryptSecret", || envelope::encrypt_secret(&store, &key_id, &name, value.expose(), &context))
}

/// Decrypts the `keystead:v1:...` values among `variables` (name → value); returns name →
/// plaintext bytes for those only. The first one that does not decrypt raises.
#[pyfunction]
#[pyo3(signature = (store, variables, context = None))]
pub(crate) fn decrypt_env<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    variables: Vec<(String, String)>,
    context: Context,
) -> PyResult<BTreeMap<String, Bound<'py, PyBytes>>> {
    let store = store.get().inner.clone();
    let context = context.unwrap_or_default();
    let opened =
        run(py, "DecryptSecret", || envelope::decrypt_env(&store, variables, &context, &OpenOptions::default()))?;
    Ok(opened.into_iter().map(|(name, value)| (name, bytes_out(py, value.expose()))).collect())
}

/// Decrypts one `keystead:v1:...` value made for the variable `name`.
#[pyfunction]
#[pyo3(signature = (store, name, text, context = None))]
pub(crate) fn decrypt_secret<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    name: String,
    text: String,
    context: Context,
) -> PyResult<Bound<'py, PyBytes>> {
    let store = store.get().inner.clone();
    let context = context.unwrap_or_default();
    let plaintext =
        run(py, "DecryptSecret", || envelope::decrypt_secret(&store, &name, &text, &context, &OpenOptions::default()))?;
    Ok(bytes_out(py, plaintext.expose()))
}

/// Plans a ranged read of a message of `message_len` bytes from its first bytes `prefix` (at
/// least the header): `(header_len, span_start, span_end)`, the span being the message bytes
/// (half-open) that plaintext `[start, end)` needs.
#[pyfunction]
pub(crate) fn envelope_range_span(
    py: Python<'_>,
    prefix: &Bound<'_, PyAny>,
    message_len: u64,
    start: u64,
    end: u64,
) -> PyResult<(usize, u64, u64)> {
    let prefix = bytes_arg(prefix, "prefix")?;
    let plan = || -> keystead_core::Result<(usize, u64, u64)> {
        let info = envelope::inspect(&mut &prefix[..], envelope::MAX_FORMAT_DATA_KEYS)?;
        let span = envelope::range_span(&info, message_len, start..end)?;
        Ok((info.header_len, span.start, span.end))
    };
    plan().map_err(|e| to_py_err(py, &e, "EnvelopeOpen"))
}

/// Opens plaintext `[start, end)` from a message's header, total length and the span
/// [`envelope_range_span`] named.
#[pyfunction]
#[pyo3(signature = (store, header, message_len, span_start, span, start, end, context = None, allowed_wrapping_keys = None, max_encrypted_data_keys = None))]
#[allow(clippy::too_many_arguments)] // mirrors the Python keyword arguments
pub(crate) fn envelope_open_range_parts<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    header: &Bound<'py, PyAny>,
    message_len: u64,
    span_start: u64,
    span: &Bound<'py, PyAny>,
    start: u64,
    end: u64,
    context: Context,
    allowed_wrapping_keys: Option<Vec<String>>,
    max_encrypted_data_keys: Option<IntArg>,
) -> PyResult<Bound<'py, PyBytes>> {
    let header = bytes_arg(header, "header")?;
    let span = bytes_arg(span, "span")?;
    let store = store.get().inner.clone();
    let options = open_options(py, "EnvelopeOpen", allowed_wrapping_keys, max_encrypted_data_keys)?;
    let context = context.unwrap_or_default();
    let plaintext = run(py, "EnvelopeOpen", || {
        envelope::open_range_parts(&store, &header, message_len, span_start, &span, &context, &options, start..end)
    })?;
    Ok(bytes_out(py, plaintext.expose()))
}

/// Benchmark hook (private): seals `size` bytes with the core's [`SealStream`] fed `chunk` bytes
/// at a time, then opens the message with [`OpenStream`] fed the same way, all in Rust without
/// the GIL; returns the seconds of each half. `python/bench/envelope.py` runs it next to the
/// same work through `EnvelopeWriter` / `EnvelopeReader`, so the two figures share one run.
#[pyfunction]
pub(crate) fn _time_envelope_stream(
    py: Python<'_>,
    store: &Bound<'_, Store>,
    key_id: String,
    size: usize,
    chunk: usize,
) -> PyResult<(f64, f64)> {
    if chunk == 0 {
        return Err(PyValueError::new_err("chunk must be at least 1 byte"));
    }
    let store = store.get().inner.clone();
    run(py, "EnvelopeSeal", || {
        let plaintext: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let context = keystead_core::EncryptionContext::new();
        let started = std::time::Instant::now();
        let mut seal = SealStream::new(&store, &key_id, &context, &SealOptions::default())?;
        let mut message = Vec::with_capacity(size + (size >> 10) + 4096);
        for piece in plaintext.chunks(chunk) {
            message.extend_from_slice(&seal.update(piece)?);
        }
        message.extend_from_slice(&seal.finish()?);
        let sealed = started.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        let mut open = OpenStream::new(&store, &context, &OpenOptions::default())?;
        let mut total = 0;
        for piece in message.chunks(chunk) {
            total += open.update(piece)?.expose().len();
        }
        total += open.finish()?.expose().len();
        let opened = started.elapsed().as_secs_f64();
        std::hint::black_box(total);
        Ok((sealed, opened))
    })
}

/// Registers this module's classes and functions on `keystead._keystead`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SealStreamNative>()?;
    m.add_class::<OpenStreamNative>()?;
    m.add_function(wrap_pyfunction!(envelope_seal, m)?)?;
    m.add_function(wrap_pyfunction!(envelope_open, m)?)?;
    m.add_function(wrap_pyfunction!(encrypt_fields_json, m)?)?;
    m.add_function(wrap_pyfunction!(decrypt_fields_json, m)?)?;
    m.add_function(wrap_pyfunction!(encrypt_secret, m)?)?;
    m.add_function(wrap_pyfunction!(decrypt_secret, m)?)?;
    m.add_function(wrap_pyfunction!(decrypt_env, m)?)?;
    m.add_function(wrap_pyfunction!(envelope_range_span, m)?)?;
    m.add_function(wrap_pyfunction!(envelope_open_range_parts, m)?)?;
    m.add_function(wrap_pyfunction!(_time_envelope_stream, m)?)?;
    Ok(())
}
