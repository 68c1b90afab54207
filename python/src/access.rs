//! Access control, audit and metrics values for Python: grant list entries, `explain`
//! answers, metrics snapshots and audit-log reports as dicts keyed by AWS-style PascalCase
//! names (the boto3-shaped client returns grants as they are; the typed API wraps them all).

use keystead_core::audit::VerifyReport;
use keystead_core::metrics::KeyLastUsage;
use keystead_core::{
    AuditLog, AuditOptions, Durability, Error, ErrorKind, Explanation, GrantListEntry, Keystead, MetricsSnapshot,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::date;
use crate::error::to_py_err;

/// The audit options of `Store.open`: `None` turns the log off; otherwise the durability mode
/// by name, with the core's defaults for the rest.
pub(crate) fn audit_options(durability: Option<&str>, hmac_context_values: bool) -> PyResult<Option<AuditOptions>> {
    let Some(durability) = durability else { return Ok(None) };
    let durability = match durability {
        "per_record" => Durability::PerRecord,
        "batched" => Durability::default(),
        "off" => Durability::Off,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown audit durability {other:?}; expected per_record, batched or off"
            )))
        }
    };
    Ok(Some(AuditOptions { durability, hmac_context_values, ..Default::default() }))
}

/// The handle's audit log, or a ValidationException saying the store is not audited.
pub(crate) fn require_audit<'a>(py: Python<'_>, store: &'a Keystead, operation: &str) -> PyResult<&'a AuditLog> {
    store.audit_log().ok_or_else(|| {
        let error =
            Error::new(ErrorKind::Validation, "This store has no audit log (opened in memory or with audit=False)");
        to_py_err(py, &error, operation)
    })
}

/// One `ListGrants` / `ListRetirableGrants` entry, in AWS's `GrantListEntry` shape.
pub(crate) fn grant_entry<'py>(py: Python<'py>, g: &GrantListEntry) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("KeyId", &g.key_id)?;
    d.set_item("GrantId", &g.grant_id)?;
    if let Some(name) = &g.name {
        d.set_item("Name", name)?;
    }
    d.set_item("CreationDate", date(py, g.creation_date)?)?;
    d.set_item("GranteePrincipal", &g.grantee_principal)?;
    if let Some(retiring) = &g.retiring_principal {
        d.set_item("RetiringPrincipal", retiring)?;
    }
    d.set_item("IssuingAccount", &g.issuing_account)?;
    d.set_item("Operations", g.operations.iter().map(|op| op.as_str()).collect::<Vec<_>>())?;
    if let Some(c) = &g.constraints {
        let constraints = PyDict::new(py);
        if let Some(subset) = &c.encryption_context_subset {
            constraints.set_item("EncryptionContextSubset", subset)?;
        }
        if let Some(equals) = &c.encryption_context_equals {
            constraints.set_item("EncryptionContextEquals", equals)?;
        }
        d.set_item("Constraints", constraints)?;
    }
    Ok(d)
}

/// The answer of `explain`.
pub(crate) fn explanation<'py>(py: Python<'py>, e: &Explanation) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("Decision", &e.decision)?;
    d.set_item("Allowed", e.allowed)?;
    d.set_item("PolicyStatements", &e.policy_statements)?;
    d.set_item("GrantIds", &e.grant_ids)?;
    Ok(d)
}

/// A key's last use.
pub(crate) fn last_usage<'py>(py: Python<'py>, u: &KeyLastUsage) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("KeyId", &u.key_id)?;
    d.set_item("Operation", &u.operation)?;
    d.set_item("Timestamp", date(py, u.timestamp_ms)?)?;
    d.set_item("TrackingStartDate", date(py, u.tracking_start_ms)?)?;
    Ok(d)
}

/// A metrics snapshot: `{"TakenAt", "Since", "BucketBoundsSeconds", "Series": [...], "LastUsage": [...]}`.
pub(crate) fn metrics<'py>(py: Python<'py>, m: &MetricsSnapshot) -> PyResult<Bound<'py, PyDict>> {
    let series = PyList::empty(py);
    for s in &m.series {
        let d = PyDict::new(py);
        d.set_item("Operation", &s.operation)?;
        d.set_item("KeyId", s.key_id.as_deref())?;
        d.set_item("Outcome", &s.outcome)?;
        d.set_item("ErrorCode", &s.error_code)?;
        d.set_item("Count", s.count)?;
        d.set_item("SumSeconds", s.sum_seconds)?;
        d.set_item("CumulativeBuckets", &s.cumulative_buckets)?;
        series.append(d)?;
    }
    let usage = PyList::empty(py);
    for u in &m.last_usage {
        usage.append(last_usage(py, u)?)?;
    }
    let d = PyDict::new(py);
    d.set_item("TakenAt", date(py, m.taken_at_ms)?)?;
    d.set_item("Since", date(py, m.since_ms)?)?;
    d.set_item("BucketBoundsSeconds", &m.bucket_bounds_seconds)?;
    d.set_item("Series", series)?;
    d.set_item("LastUsage", usage)?;
    Ok(d)
}

/// The report of verifying an audit log.
pub(crate) fn verify_report<'py>(py: Python<'py>, r: &VerifyReport) -> PyResult<Bound<'py, PyDict>> {
    let problems = PyList::empty(py);
    for p in &r.problems {
        let d = PyDict::new(py);
        d.set_item("Kind", format!("{:?}", p.kind))?;
        d.set_item("Message", &p.message)?;
        d.set_item("File", p.file.display().to_string())?;
        if let Some(line) = p.line {
            d.set_item("Line", line)?;
        }
        problems.append(d)?;
    }
    let d = PyDict::new(py);
    d.set_item("Valid", r.is_valid())?;
    d.set_item("Records", r.records)?;
    d.set_item("Events", r.events)?;
    d.set_item("Checkpoints", r.checkpoints)?;
    d.set_item("Problems", problems)?;
    d.set_item("Notes", &r.notes)?;
    Ok(d)
}
