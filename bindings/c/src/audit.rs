//! Reading and verifying the audit log (issue 8), by store handle or by folder: the C side of
//! Python's `audit_events` / `verify_audit_log` and of `keystead audit show` / `verify`.
//!
//! Verification is a verdict, not a report to parse: a log that verifies gives
//! `KEYSTEAD_RESULT_OK` and its counts; one that does not gives `KEYSTEAD_RESULT_AUDIT_LOG_INVALID`
//! with a message naming the first problem. Events come one at a time from a reader object as
//! CloudTrail-shaped JSON texts (one per call of `keystead_audit_reader_next`).

use std::os::raw::c_char;
use std::path::{Path, PathBuf};

use keystead_core::audit::{
    parse_iso8601, store_and_audit_dirs, store_public_key, verify, AuditPublicKey, EventReader, LoggedEvent,
    VerifyReport,
};
use keystead_core::{AuditLog, Error, ErrorKind, Keystead};

use crate::boundary::{arg_mut, arg_opt_str, arg_path, arg_ref, free_box, out};
use crate::bytes::{keystead_bytes, put};
use crate::error::{keystead_error, keystead_result, FfiError};
use crate::store::keystead_store;

/// The counts of an audit log that verified.
///
/// Ownership: a plain struct the caller allocates (on the stack is fine) and passes by pointer;
/// it is written only on success. Thread safety: plain data.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct keystead_audit_report {
    /// Segment files (one per store handle that ever wrote to the log).
    pub segments: u64,
    /// Records in all segments: headers, events and checkpoints.
    pub records: u64,
    /// Event records (one per audited call).
    pub events: u64,
    /// Signed checkpoints.
    pub checkpoints: u64,
}

/// The audit log of a store handle (`VALIDATION` when it has none).
fn store_log(store: &Keystead) -> Result<&AuditLog, FfiError> {
    store.audit_log().ok_or_else(|| {
        Error::new(ErrorKind::Validation, "This store has no audit log (opened in memory or with audit off)").into()
    })
}

/// [`store_and_audit_dirs`] of a log that exists: `VALIDATION` otherwise (checked before anything else, as a
/// store folder without a database would report a storage error, and a reader over a folder
/// that is not there would read no events rather than say so).
fn existing_log(dir: &Path) -> Result<(PathBuf, PathBuf), FfiError> {
    let (store_dir, audit_dir) = store_and_audit_dirs(dir);
    if !audit_dir.exists() {
        return Err(Error::new(ErrorKind::Validation, format!("No audit log at {}", audit_dir.display())).into());
    }
    Ok((store_dir, audit_dir))
}

/// The key to verify against: `public_key` (PEM or base64 text) or the one the store recorded.
fn trusted_key(public_key: Option<&str>, store_dir: &Path) -> Result<AuditPublicKey, FfiError> {
    if let Some(text) = public_key {
        return Ok(AuditPublicKey::from_pem_or_base64(text)?);
    }
    store_public_key(store_dir)?.ok_or_else(|| {
        Error::new(
            ErrorKind::Validation,
            format!("The store at {} has no audit key yet (nothing was audited)", store_dir.display()),
        )
        .into()
    })
}

/// The verdict on a report: its counts, or `AUDIT_LOG_INVALID` naming the first problem.
fn verdict(report: &VerifyReport) -> Result<keystead_audit_report, FfiError> {
    if let Some(first) = report.first_problem() {
        let at = match (first.line, first.seq) {
            (Some(line), Some(seq)) => format!(":{line} (seq {seq})"),
            (Some(line), None) => format!(":{line}"),
            _ => String::new(),
        };
        return Err(FfiError::audit_log_invalid(format!(
            "the audit log does not verify: {} problem(s); first: {:?} at {}{at}: {}",
            report.problems.len(),
            first.kind,
            first.file.display(),
            first.message
        )));
    }
    Ok(keystead_audit_report {
        segments: report.segments.len() as u64,
        records: report.records,
        events: report.events,
        checkpoints: report.checkpoints,
    })
}

/// Verifies the audit log of a store folder without opening the store (no root key needed):
/// every record's hash chain, the signed headers and checkpoints, the seal at the end of each
/// segment, and that no segment is missing.
///
/// `dir`: the store folder (its log is `<dir>/audit`), the audit folder itself, or one segment
/// file. `public_key`: the trusted audit public key as PEM or base64 text (keep your own copy:
/// `keystead audit public-key`), or NULL for the key recorded in the store's database (which
/// someone able to rewrite the log could rewrite too). A log may be verified while stores are
/// writing to it: their records after the last checkpoint are chained but not yet signed.
///
/// Errors: `AUDIT_LOG_INVALID` when the log does not verify (the message names the first
/// problem: kind such as `Edited`, `ChainBroken`, `Sequence`, `BadSignature`,
/// `MissingSegment`, `Unclosed`, then file, line and sequence number); `VALIDATION` (no log at
/// `dir`, no audit key recorded, unreadable `public_key`). Ownership: `*report_out` is written
/// on success only; nothing is returned to free. NULL behaviour: `dir` and `report_out` must
/// not be NULL; `public_key` may be. Thread safety: thread-safe (reads files only).
///
/// # Safety
/// `dir` and `public_key` are NULL or NUL-terminated; `report_out` is NULL or writable;
/// `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_audit_verify(
    dir: *const c_char,
    public_key: *const c_char,
    report_out: *mut keystead_audit_report,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let report_out = unsafe { arg_mut(report_out, "report_out") }?;
        // SAFETY: as above.
        let dir = unsafe { arg_path(dir, "dir") }?;
        // SAFETY: as above.
        let public_key = unsafe { arg_opt_str(public_key, "public_key") }?;
        let (store_dir, audit_dir) = existing_log(dir)?;
        let key = trusted_key(public_key, &store_dir)?;
        *report_out = verdict(&verify(&audit_dir, &key)?)?;
        Ok(())
    })
}

/// Verifies the audit log of an open store against the store's audit public key; as
/// `keystead_audit_verify` otherwise.
///
/// Errors: `AUDIT_LOG_INVALID` (the message names the first problem); `VALIDATION` when the
/// store has no audit log (held in memory, or opened with `keystead_options_set_audit(false)`).
/// Ownership: `*report_out` is written on success only; nothing is returned to free. NULL
/// behaviour: `store` and `report_out` must not be NULL. Thread safety: thread-safe; calls on
/// other threads may keep appending while it runs.
///
/// # Safety
/// `store` is NULL or live; `report_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_audit_verify(
    store: *const keystead_store,
    report_out: *mut keystead_audit_report,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument read below).
        let report_out = unsafe { arg_mut(report_out, "report_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        let log = store_log(&store.inner)?;
        *report_out = verdict(&verify(log.dir(), log.public_key())?)?;
        Ok(())
    })
}

/// The events of an audit log, handed out one at a time by `keystead_audit_reader_next`.
///
/// Ownership: made by `keystead_audit_reader_open` or `keystead_store_audit_reader`, owned by
/// the caller, freed with `keystead_audit_reader_free`. It streams the log from its files with
/// bounded memory (the segments being read, one event at a time), however large the log. It
/// hands out the events counted when it was made (`keystead_audit_reader_remaining`); calls made
/// later are not included (make a new reader). Thread safety: `keystead_audit_reader_next` needs
/// exclusive access; different readers are independent.
pub struct keystead_audit_reader {
    events: EventReader,
    /// Events before this time (`parse_iso8601`: milliseconds since the Unix epoch) are skipped.
    since: Option<i64>,
    /// Events still to hand out: the count of the pre-pass, less those handed out.
    remaining: u64,
}

/// Whether `event` is at or after `since` (all events when `since` is `None`).
fn from_since(event: &LoggedEvent, since: Option<i64>) -> bool {
    since.is_none_or(|since| event.event["eventTime"].as_str().and_then(parse_iso8601).is_some_and(|t| t >= since))
}

/// The reader's next event from `since` on, whatever `remaining` says.
fn next_matching(events: &mut EventReader, since: Option<i64>) -> Result<Option<LoggedEvent>, FfiError> {
    for event in events {
        let event = event?;
        if from_since(&event, since) {
            return Ok(Some(event));
        }
    }
    Ok(None)
}

/// A streaming reader over the events of the log in `audit_dir`, from `since` on, at most
/// `limit` (0: all).
///
/// `remaining` needs a count before the first event is handed out: a first pass over the log
/// counts the matching events (up to `limit`) holding one event at a time, so that memory stays
/// bounded at the price of reading the log twice. Capping the reader at that count keeps
/// `remaining` exact while stores keep appending.
///
/// # Safety
/// `since` is NULL or NUL-terminated.
unsafe fn reader(audit_dir: &Path, since: *const c_char, limit: u64) -> Result<keystead_audit_reader, FfiError> {
    // SAFETY: the caller's contract above.
    let since = match unsafe { arg_opt_str(since, "since") }? {
        Some(text) => Some(
            parse_iso8601(text)
                .ok_or_else(|| Error::new(ErrorKind::Validation, format!("since is not an ISO 8601 time: {text:?}")))?,
        ),
        None => None,
    };
    let limit = if limit == 0 { u64::MAX } else { limit };
    let mut counting = EventReader::open(audit_dir)?;
    let mut count = 0;
    while count < limit && next_matching(&mut counting, since)?.is_some() {
        count += 1;
    }
    Ok(keystead_audit_reader { events: EventReader::open(audit_dir)?, since, remaining: count })
}

/// A reader over the events of the audit log of a store folder (or of its audit folder, or of
/// one segment file; see `keystead_audit_verify`), oldest first (the segments merged by event
/// time), read without verifying (run `keystead_audit_verify` to trust them). No root key is
/// needed. The log is streamed from its files: opening counts the events (a first pass that
/// holds one event at a time), then `keystead_audit_reader_next` reads them again one by one.
///
/// `since`: NULL, or an ISO 8601 time (`"2026-11-29T07:00:00Z"`): only events at or after it.
/// `limit`: at most this many events (the oldest), 0 for all. Errors: `VALIDATION` (no log at
/// `dir`, a `since` that is not ISO 8601), `INTERNAL` (the folder or a segment cannot be
/// read). Ownership: `*reader_out` is owned by the caller (`keystead_audit_reader_free`). NULL
/// behaviour: `dir` and `reader_out` must not be NULL; `since` may be. Thread safety:
/// thread-safe.
///
/// # Safety
/// `dir` and `since` are NULL or NUL-terminated; `reader_out` and `err_out` are NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_audit_reader_open(
    dir: *const c_char,
    since: *const c_char,
    limit: u64,
    reader_out: *mut *mut keystead_audit_reader,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(reader_out, "reader_out") }?;
        // SAFETY: as above.
        let dir = unsafe { arg_path(dir, "dir") }?;
        let (_, audit_dir) = existing_log(dir)?;
        // SAFETY: as above.
        out.set(unsafe { reader(&audit_dir, since, limit) }?);
        Ok(())
    })
}

/// A reader over the events of an open store's audit log; as `keystead_audit_reader_open`
/// otherwise.
///
/// Errors: `VALIDATION` (no audit log: a store held in memory or opened with the audit off; a
/// bad `since`). Ownership: `*reader_out` is owned by the caller (`keystead_audit_reader_free`)
/// and independent of `store` (either may be freed first). NULL behaviour: `store` and
/// `reader_out` must not be NULL; `since` may be. Thread safety: thread-safe.
///
/// # Safety
/// `store` is NULL or live; `since` is NULL or NUL-terminated; `reader_out` and `err_out` are
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_store_audit_reader(
    store: *const keystead_store,
    since: *const c_char,
    limit: u64,
    reader_out: *mut *mut keystead_audit_reader,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument reads below).
        let out = unsafe { out(reader_out, "reader_out") }?;
        // SAFETY: as above.
        let store = unsafe { arg_ref(store, "store") }?;
        let log = store_log(&store.inner)?;
        // SAFETY: as above.
        out.set(unsafe { reader(log.dir(), since, limit) }?);
        Ok(())
    })
}

/// The next event as one line of compact CloudTrail-shaped JSON (`{"eventVersion", "eventTime",
/// "eventName", "userIdentity", "requestParameters", "responseElements", "errorCode"?, ...}`),
/// or `*event_out == NULL` (still `KEYSTEAD_RESULT_OK`) when no event is left.
///
/// Errors: `INTERNAL` when a segment file cannot be read (`*event_out` stays NULL and the reader
/// is at its end: `keystead_audit_reader_remaining` gives 0). Ownership: a non-NULL
/// `*event_out` (NUL-terminated) is owned by the caller (`keystead_bytes_free`). NULL
/// behaviour: `reader` and `event_out` must not be NULL. Thread safety: exclusive access to
/// `reader`.
///
/// # Safety
/// `reader` is NULL or live and not used by another thread; `event_out` and `err_out` are NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn keystead_audit_reader_next(
    reader: *mut keystead_audit_reader,
    event_out: *mut *mut keystead_bytes,
    err_out: *mut *mut keystead_error,
) -> keystead_result {
    ffi!(err_out, {
        // SAFETY: the caller's contract above (also for the argument read below).
        let out = unsafe { out(event_out, "event_out") }?;
        // SAFETY: as above.
        let reader = unsafe { arg_mut(reader, "reader") }?;
        if reader.remaining == 0 {
            return Ok(());
        }
        match next_matching(&mut reader.events, reader.since) {
            Ok(Some(event)) => {
                reader.remaining -= 1;
                put(out, event.event.to_string().as_bytes());
            }
            // The log lost events since the count (a segment removed by `keystead audit prune`).
            Ok(None) => reader.remaining = 0,
            Err(e) => {
                // A read error ends the stream: what comes after it cannot be placed in order.
                reader.remaining = 0;
                return Err(e);
            }
        }
        Ok(())
    })
}

/// How many events `keystead_audit_reader_next` has still to hand out: those counted when the
/// reader was made, less those handed out (0 after a read error, or if the log lost events since,
/// e.g. a pruned segment).
///
/// Ownership: returns a plain value. NULL behaviour: NULL gives 0. Thread safety: not during a
/// `keystead_audit_reader_next` on the same reader.
///
/// # Safety
/// `reader` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn keystead_audit_reader_remaining(reader: *const keystead_audit_reader) -> usize {
    ffi_or!(0, {
        // SAFETY: the caller's contract above.
        unsafe { reader.as_ref() }.map_or(0, |r| usize::try_from(r.remaining).unwrap_or(usize::MAX))
    })
}

/// Frees a reader. NULL is a no-op; do not free twice.
///
/// Ownership: takes back an object the caller owned. NULL behaviour: NULL is a no-op. Thread
/// safety: no other thread may use the reader during or after the call.
///
/// # Safety
/// `reader` is NULL or a reader from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn keystead_audit_reader_free(reader: *mut keystead_audit_reader) {
    ffi_or!((), {
        // SAFETY: the caller's contract above.
        unsafe { free_box(reader) }
    })
}
