//! Reading the audit log one event at a time: the native half of
//! `keystead.Keystead.iter_audit_events()` (and of `audit_events()`, which lists it).
//!
//! [`AuditEventIterator`] wraps the core's streaming [`EventReader`], which keeps only the
//! segments being merged open, so memory stays bounded by the segments, not by the size of the
//! log. Each event becomes the dict `json.loads` would give for its JSON text, built straight
//! from the parsed value (no text in between). The file reads run without the GIL.

use keystead_core::audit::EventReader;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString};
use serde_json::Value;

use crate::error::to_py_err;

/// The operation name errors of the audit readers carry.
pub(crate) const READ_AUDIT_LOG: &str = "ReadAuditLog";

/// An iterator over the events of an audit log (CloudTrail-shaped dicts), oldest first, read
/// lazily from the segment files. Not verified (see `Keystead.verify_audit_log`). A read error
/// raises `KMSInternalException` and ends the iteration.
#[pyclass(module = "keystead._keystead")]
pub(crate) struct AuditEventIterator {
    /// None once the log is exhausted or a read failed.
    reader: Option<EventReader>,
}

impl AuditEventIterator {
    /// An iterator over `reader`'s events.
    pub(crate) fn new(reader: EventReader) -> Self {
        Self { reader: Some(reader) }
    }
}

#[pymethods]
impl AuditEventIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(reader) = self.reader.as_mut() else { return Ok(None) };
        match py.detach(|| reader.next()) {
            Some(Ok(logged)) => json_value(py, &logged.event).map(Some),
            Some(Err(e)) => {
                self.reader = None;
                Err(to_py_err(py, &e, READ_AUDIT_LOG))
            }
            None => {
                self.reader = None;
                Ok(None)
            }
        }
    }
}

/// The Python value `json.loads` gives for `value`'s JSON text: dicts in the same key order,
/// lists, str, int, float, bool and None.
fn json_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            // Not an integer: serde_json holds it as an f64, as json.loads would.
            (None, None) => PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_value(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, json_value(py, item)?)?;
            }
            dict.into_any()
        }
    })
}
