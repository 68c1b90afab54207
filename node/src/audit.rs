//! Reading and verifying an audit log by folder (no store handle, no root key): the native
//! halves of `verifyAuditLog` / `auditEvents` (`keystead.js`), mirroring Python's
//! `verify_audit_log` / `audit_events` and `keystead audit verify` / `show`.
//!
//! Both read files only, so they run without a store: a small task of their own on the libuv
//! thread pool (Promise form) or on the JS thread (`...Sync`), behind the same panic guard.

// Free `#[napi]` functions are registered only in the addon build; a unit-test build of the
// crate sees no caller for them (or for the task structs behind them).
#![cfg_attr(test, allow(dead_code))]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use keystead_core::audit::{
    parse_iso8601, store_and_audit_dirs, store_public_key, verify, AuditPublicKey, EventReader,
};
use keystead_core::{Error as CoreError, ErrorKind, Result as CoreResult};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Result, Task};
use napi_derive::napi;

use crate::error::{core_error, panic_error};

/// Options of `verifyAuditLog`.
#[napi(object)]
pub struct VerifyAuditLogOptions {
    /// The trusted audit public key (PEM or base64). Default: the key the store recorded in its
    /// database, which whoever can rewrite the log could rewrite too: keep your own copy.
    pub public_key: Option<String>,
}

/// One problem `verifyAuditLog` found.
#[napi(object)]
pub struct AuditProblem {
    /// What is wrong: `Edited`, `ChainBroken`, `Sequence`, `BadSignature`, `WrongKey`,
    /// `ForgedCheckpoint`, `AfterClose`, `Unclosed`, `TornTail`, `MissingSegment`,
    /// `DuplicateSegment`, `Malformed` or `Io`.
    pub kind: String,
    /// A human explanation.
    pub message: String,
    /// The segment file (or the folder).
    pub file: String,
    /// The 1-based line in the file, when the problem is at a line.
    pub line: Option<f64>,
    /// The record's sequence number in its segment, when known.
    pub seq: Option<f64>,
}

/// What `verifyAuditLog` found. A log that does not verify is a report with `valid: false`
/// (not an exception), as in Python.
#[napi(object)]
pub struct AuditReport {
    /// True when every record is chained and every sealed record is covered by a valid
    /// signature, and no segment is missing.
    pub valid: bool,
    /// Segment files (one per store handle that wrote to the log).
    pub segments: u32,
    /// Records read: headers, events and checkpoints.
    pub records: f64,
    /// Event records (one per audited call).
    pub events: f64,
    /// Checkpoints.
    pub checkpoints: f64,
    /// Every problem, in file order (empty when valid).
    pub problems: Vec<AuditProblem>,
    /// Facts that are not tampering (recovered segments, live unsealed tails).
    pub notes: Vec<String>,
}

/// Options of `auditEvents`.
#[napi(object)]
pub struct AuditEventsOptions {
    /// Only events at or after this ISO 8601 time (`auditEvents` also takes a `Date`).
    pub since: Option<String>,
    /// At most this many events (the oldest).
    pub limit: Option<u32>,
}

/// A read of an audit folder.
pub trait FolderOp: Send + 'static {
    /// What JavaScript receives (plain data, built off the JS thread).
    type Js: napi::bindgen_prelude::ToNapiValue + napi::bindgen_prelude::TypeName + Send + 'static;
    /// Reads the folder.
    fn run(&self) -> CoreResult<Self::Js>;
}

fn run_guarded<O: FolderOp>(op: &O) -> CoreResult<O::Js> {
    catch_unwind(AssertUnwindSafe(|| op.run())).unwrap_or_else(|_| Err(panic_error()))
}

fn run_sync<O: FolderOp>(env: &Env, op: O) -> Result<O::Js> {
    run_guarded(&op).map_err(|err| core_error(env, &err))
}

/// A folder read on the libuv thread pool.
pub struct FolderJob<O: FolderOp>(O);

impl<O: FolderOp> Task for FolderJob<O> {
    type Output = CoreResult<O::Js>;
    type JsValue = O::Js;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(run_guarded(&self.0))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<O::Js> {
        output.map_err(|err| core_error(&env, &err))
    }
}

/// `verifyAuditLog`.
pub struct Verify {
    dir: PathBuf,
    public_key: Option<String>,
}

impl FolderOp for Verify {
    type Js = AuditReport;

    fn run(&self) -> CoreResult<AuditReport> {
        let (store_dir, audit_dir) = store_and_audit_dirs(&self.dir);
        if !audit_dir.exists() {
            return Err(CoreError::new(ErrorKind::Validation, format!("No audit log at {}", audit_dir.display())));
        }
        let key = match &self.public_key {
            Some(text) => AuditPublicKey::from_pem_or_base64(text)?,
            None => store_public_key(&store_dir)?.ok_or_else(|| {
                CoreError::new(
                    ErrorKind::Validation,
                    format!("The store at {} has no audit key yet (nothing was audited)", store_dir.display()),
                )
            })?,
        };
        let report = verify(&audit_dir, &key)?;
        Ok(AuditReport {
            valid: report.is_valid(),
            segments: u32::try_from(report.segments.len()).unwrap_or(u32::MAX),
            records: report.records as f64,
            events: report.events as f64,
            checkpoints: report.checkpoints as f64,
            problems: report
                .problems
                .iter()
                .map(|p| AuditProblem {
                    kind: format!("{:?}", p.kind),
                    message: p.message.clone(),
                    file: p.file.to_string_lossy().into_owned(),
                    line: p.line.map(|n| n as f64),
                    seq: p.seq.map(|n| n as f64),
                })
                .collect(),
            notes: report.notes,
        })
    }
}

/// `auditEvents`: the events as one JSON array text (parsed in `keystead.js`).
pub struct Events {
    dir: PathBuf,
    since: Option<String>,
    limit: Option<u32>,
}

impl FolderOp for Events {
    type Js = String;

    fn run(&self) -> CoreResult<String> {
        let since = match &self.since {
            Some(text) => Some(parse_iso8601(text).ok_or_else(|| {
                CoreError::new(ErrorKind::Validation, format!("since is not an ISO 8601 time: {text:?}"))
            })?),
            None => None,
        };
        let (_, audit_dir) = store_and_audit_dirs(&self.dir);
        // Streamed: only the events returned are held, however large the log is.
        let limit = self.limit.map_or(usize::MAX, |n| n as usize);
        let list = EventReader::open(&audit_dir)?
            .filter(|e| match (e, since) {
                (Ok(e), Some(since)) => {
                    e.event["eventTime"].as_str().and_then(parse_iso8601).is_some_and(|t| t >= since)
                }
                _ => true,
            })
            .take(limit)
            .map(|e| e.map(|e| e.event))
            .collect::<CoreResult<Vec<serde_json::Value>>>()?;
        serde_json::to_string(&list).map_err(|e| CoreError::new(ErrorKind::Internal, e.to_string()))
    }
}

/// Verifies the audit log of a store folder (or of its `audit` folder, or one segment file)
/// without opening the store: every record's hash chain, the signed headers and checkpoints,
/// the seal at the end of each segment, and that no segment is missing. Resolves to the report
/// (`valid: false` with the problems when it does not verify); rejects with
/// `ValidationException` when there is no log or no usable key.
#[napi(strict, ts_return_type = "Promise<AuditReport>")]
pub fn verify_audit_log(dir: String, options: Option<VerifyAuditLogOptions>) -> AsyncTask<FolderJob<Verify>> {
    AsyncTask::new(FolderJob(Verify { dir: dir.into(), public_key: options.and_then(|o| o.public_key) }))
}

/// Synchronous twin of `verifyAuditLog`.
#[napi(strict)]
pub fn verify_audit_log_sync(env: Env, dir: String, options: Option<VerifyAuditLogOptions>) -> Result<AuditReport> {
    run_sync(&env, Verify { dir: dir.into(), public_key: options.and_then(|o| o.public_key) })
}

/// The events of the audit log of a folder as a JSON array text, oldest first (used by
/// `auditEvents` in `keystead.js`, which parses it).
#[napi(strict, ts_return_type = "Promise<string>")]
pub fn native_audit_events(dir: String, options: Option<AuditEventsOptions>) -> AsyncTask<FolderJob<Events>> {
    let (since, limit) = options.map_or((None, None), |o| (o.since, o.limit));
    AsyncTask::new(FolderJob(Events { dir: dir.into(), since, limit }))
}

/// Synchronous twin of `nativeAuditEvents`.
#[napi(strict)]
pub fn native_audit_events_sync(env: Env, dir: String, options: Option<AuditEventsOptions>) -> Result<String> {
    let (since, limit) = options.map_or((None, None), |o| (o.since, o.limit));
    run_sync(&env, Events { dir: dir.into(), since, limit })
}
