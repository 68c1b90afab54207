//! The audit log: one CloudTrail-shaped event per operation, successful, failed or denied, in a
//! tamper-evident log (`docs/audit.md`).
//!
//! - **Records**: JSON Lines in `<store>/audit/`; each line carries `prev` and `hash`, forming a
//!   SHA-256 chain, and checkpoints signed with the store's Ed25519 audit key seal the chain
//!   every N records, every T seconds and at close ([`record`]).
//! - **Segments**: every [`AuditLog`] (one per open store handle) writes its own segment file,
//!   a chain of its own that starts with a signed header carrying a store-wide segment number.
//!   Processes and handles never share a file, so appends need no cross-process lock; the
//!   verifier checks every segment and that no segment number is missing.
//! - **Fail closed**: [`AuditLog::append`] returns only once the record is written (and, with
//!   [`Durability::PerRecord`], on disk); if it cannot be written, it returns an error and the
//!   caller fails the operation.
//!
//! How the store's call wrapper uses it:
//! ```
//! use keystead_core::audit::{AuditEvent, AuditKeys, AuditLog, AuditOptions};
//! use keystead_core::{EncryptionContext, StoreIdentity};
//!
//! # fn main() -> keystead_core::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! let identity = StoreIdentity { partition: "aws".into(), region: "us-east-1".into(), account_id: "111122223333".into() };
//! let log = AuditLog::open(dir.path(), AuditKeys::generate()?, AuditOptions::default())?;
//! let context = EncryptionContext::from([("order".to_string(), "42".to_string())]);
//! let key_arn = identity.key_arn("1234abcd-12ab-34cd-56ef-1234567890ab");
//! log.append(
//!     AuditEvent::new("Encrypt", "arn:aws:iam::111122223333:role/checkout", &identity)
//!         .key(key_arn.clone())
//!         .request(serde_json::json!({
//!             "keyId": key_arn,
//!             "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
//!             "encryptionContext": log.redact_context(&context),
//!         })),
//! )?;
//! log.close()?;
//! let report = keystead_core::audit::verify(dir.path(), log.public_key())?;
//! assert!(report.is_valid(), "{report:?}");
//! assert_eq!(report.events, 1);
//! # Ok(())
//! # }
//! ```

pub(crate) mod canonical;
pub mod event;
pub mod keys;
pub(crate) mod record;
pub mod verify;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

pub use canonical::parse_iso8601;
pub use event::AuditEvent;
pub use keys::{store_public_key, AuditKeys, AuditPublicKey};
pub use verify::{
    read_events, verify, verify_files, EventReader, LoggedEvent, Problem, ProblemKind, SegmentState, SegmentSummary,
    VerifyReport,
};

use crate::clock::{Clock, Millis, SystemClock};
use crate::crypto::context::EncryptionContext;
use crate::crypto::primitives::random_bytes;
use crate::error::{Error, Result};
use crate::keystead::Keystead;
use canonical::{canonical, compact_time, hex, iso8601_millis};
use record::{
    seal, PreparedEvent, GENESIS, REASON_CLOSE, REASON_COUNT, REASON_INTERVAL, REASON_PRUNE, REASON_RECOVERED,
    REASON_RESUMED, TYPE_CHECKPOINT, TYPE_HEADER,
};

/// The folder of the audit log inside a store folder.
pub const AUDIT_DIR_NAME: &str = "audit";
/// File name extension of segment files.
pub const SEGMENT_EXTENSION: &str = "jsonl";

/// The (store folder, audit folder) that `dir` names, for tools that take either (`keystead
/// audit --data-dir`, the bindings' verify and event readers): a store folder — it holds an
/// `audit` folder or the store database — gives itself and its `audit` folder; anything else
/// (an audit folder, or one segment file) is the audit target, and its parent the store folder.
/// Only looks at the file system; whether a log is there is the caller's question.
pub fn store_and_audit_dirs(dir: &Path) -> (PathBuf, PathBuf) {
    if dir.join(AUDIT_DIR_NAME).is_dir() || dir.join(crate::keystead::DATABASE_FILE_NAME).exists() {
        (dir.to_owned(), dir.join(AUDIT_DIR_NAME))
    } else {
        (dir.parent().map_or_else(|| dir.to_owned(), Path::to_owned), dir.to_owned())
    }
}
/// The file holding the number of segments ever started (the verifier's check for whole
/// missing segments).
pub const COUNTER_FILE_NAME: &str = "segments.count";
/// The auditor's copy of the public key, written beside the segments (pin your own copy).
pub const PUBLIC_KEY_FILE_NAME: &str = "public-key.pem";
/// Lock file serializing segment creation and crash recovery between processes.
const LOCK_FILE_NAME: &str = ".lock";
/// Suffix of the marker that says a segment is open (removed at clean close); a marker whose
/// segment no process holds locked means its writer died, and the next opener seals it.
const OPEN_MARKER_SUFFIX: &str = ".open";
/// Prefix of HMAC'd encryption-context values.
pub const HMAC_PREFIX: &str = "hmac-sha256:";
/// The `format` named in segment headers.
pub const SEGMENT_FORMAT: &str = "keystead-audit/1";

/// When a record reaches the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `append` returns after the record is written and fsynced. Concurrent appends share one
    /// fsync (group commit), so throughput grows with the number of callers.
    PerRecord,
    /// `append` returns after the record is written to the file (`write(2)` done: a crash of
    /// the process loses nothing); a flusher fsyncs at most `max_delay` later, or as soon as
    /// `max_records` records are unsynced. A power loss can lose the records of the last
    /// `max_delay` (plus one fsync's duration).
    Batched {
        /// Longest time a written record waits for its fsync.
        max_delay: Duration,
        /// Unsynced records that trigger an fsync at once.
        max_records: u64,
    },
    /// Records are written before `append` returns but never fsynced by Keystead (the kernel
    /// writes them back when it wants, typically within 30 s). Headers and the final
    /// checkpoint are still fsynced. To not audit at all, do not attach an `AuditLog`.
    Off,
}

impl Default for Durability {
    fn default() -> Self {
        Self::Batched { max_delay: Duration::from_millis(10), max_records: 256 }
    }
}

/// Options of an [`AuditLog`].
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// When records reach the disk (default: batched, 10 ms).
    pub durability: Durability,
    /// A signed checkpoint after this many records (default 1000; 0 turns count checkpoints off).
    pub checkpoint_every: u64,
    /// A signed checkpoint when records have waited this long for one (default 60 s).
    pub checkpoint_interval: Option<Duration>,
    /// Replace encryption-context values by `hmac-sha256:<hex>` in [`AuditLog::redact_context`]
    /// (default false: AWS logs them in the clear).
    pub hmac_context_values: bool,
    /// A new writer continues the newest segment, if its writer is gone and sealed it, while
    /// the segment is smaller than this (default 16 MiB; 0: every writer starts a new segment).
    /// Short-lived handles (a CLI run each) then share a few files instead of one file each.
    pub segment_max_bytes: u64,
    /// ... and younger than this (default 24 h), so that [`AuditLog::prune`], which deletes
    /// whole segments, can free old records.
    pub segment_max_age: Duration,
    /// Testing aid: the segment file accepts this many more bytes after its header, then every
    /// write fails with `ENOSPC` (a full disk), the last one after a partial write.
    #[doc(hidden)]
    pub fail_after_bytes: Option<u64>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        Self {
            durability: Durability::default(),
            checkpoint_every: 1000,
            checkpoint_interval: Some(Duration::from_secs(60)),
            hmac_context_values: false,
            segment_max_bytes: 16 << 20,
            segment_max_age: Duration::from_secs(24 * 3600),
            fail_after_bytes: None,
        }
    }
}

/// The file a segment is written to.
trait SegmentFile: Send + Sync {
    fn append(&self, bytes: &[u8]) -> io::Result<()>;
    fn sync(&self) -> io::Result<()>;
}

impl SegmentFile for File {
    fn append(&self, bytes: &[u8]) -> io::Result<()> {
        (&*self).write_all(bytes)
    }

    fn sync(&self) -> io::Result<()> {
        self.sync_data()
    }
}

/// A segment file with a byte budget (see [`AuditOptions::fail_after_bytes`]).
struct BudgetedFile {
    file: File,
    left: AtomicU64,
}

impl SegmentFile for BudgetedFile {
    fn append(&self, bytes: &[u8]) -> io::Result<()> {
        let left = self.left.load(Ordering::SeqCst);
        let len = bytes.len() as u64;
        if len <= left {
            self.left.fetch_sub(len, Ordering::SeqCst);
            return (&self.file).write_all(bytes);
        }
        // Like a disk that fills up mid-write: what fits is written, then ENOSPC.
        self.left.store(0, Ordering::SeqCst);
        let fits = usize::try_from(left).unwrap_or(0);
        (&self.file).write_all(&bytes[..fits])?;
        Err(io::Error::from_raw_os_error(28))
    }

    fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// The segment this log writes now.
struct Segment {
    file: Arc<dyn SegmentFile>,
    /// Shared with the writer of each batch (a reference count, not a copy per write).
    path: Arc<Path>,
    next_seq: u64,
    prev: String,
    since_checkpoint: u64,
}

struct State {
    segment: Option<Segment>,
    /// Every record pushed gets the next ticket; tickets below `done` are written or failed.
    next_ticket: u64,
    done: u64,
    synced: u64,
    batch: String,
    /// The last written batch's buffer, cleared, kept to take the next records without a new
    /// allocation.
    spare: String,
    batch_start: u64,
    batch_waiters: u64,
    writing: bool,
    /// Threads waiting on `progress` (notifying an empty condvar is still a system call).
    sleepers: u64,
    /// Failed ticket ranges with the error and how many waiters have yet to read it.
    failures: Vec<Failure>,
    last_checkpoint: Instant,
    first_unsynced: Option<Instant>,
    closed: bool,
}

struct Failure {
    start: u64,
    end: u64,
    waiters: u64,
    error: Error,
}

/// The flusher's wake-up signal, outside `Shared` so that waiting does not keep the log alive.
struct FlushSignal {
    stop: Mutex<bool>,
    wake: Condvar,
}

struct Shared {
    dir: PathBuf,
    keys: Arc<AuditKeys>,
    options: AuditOptions,
    state: Mutex<State>,
    progress: Condvar,
    flush: Arc<FlushSignal>,
}

/// A handle on this process's segment of an audit log. Cheap to clone; `Send + Sync`. The
/// segment is sealed with a final checkpoint by [`AuditLog::close`] or when the last clone is
/// dropped.
#[derive(Clone)]
pub struct AuditLog {
    shared: Arc<Shared>,
    /// Seals the segment when the last clone is dropped, in the dropping thread. (`Shared`'s own
    /// drop is a fallback only: the flusher thread briefly holds `Shared` during a round, and if
    /// the last handle went away meanwhile, the final checkpoint would be written by the flusher
    /// after the caller had moved on, e.g. after it copied or checked the folder.)
    _closer: Arc<CloseOnLastDrop>,
}

struct CloseOnLastDrop(Arc<Shared>);

impl Drop for CloseOnLastDrop {
    fn drop(&mut self) {
        let _ = self.0.close();
    }
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").field("dir", &self.shared.dir).finish_non_exhaustive()
    }
}

fn io_error(what: &str, path: &Path, e: &io::Error) -> Error {
    Error::internal(format!("Audit log: cannot {what} {}: {e}", path.display()))
}

fn lock_state(shared: &Shared) -> Result<MutexGuard<'_, State>> {
    shared.state.lock().map_err(|_| Error::internal("audit log lock poisoned"))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error("sync", dir, &e))
}

impl AuditLog {
    /// Opens a new segment in `dir` (created with mode 0700 if missing) and seals the segments
    /// of writers that died without closing theirs.
    ///
    /// # Errors
    /// `KMSInternalException` if the folder, the segment or its header cannot be written.
    pub fn open(dir: impl AsRef<Path>, keys: AuditKeys, options: AuditOptions) -> Result<Self> {
        let dir = dir.as_ref().to_owned();
        let flush = Arc::new(FlushSignal { stop: Mutex::new(false), wake: Condvar::new() });
        let shared = Arc::new(Shared {
            dir,
            keys: Arc::new(keys),
            options,
            state: Mutex::new(State {
                segment: None,
                next_ticket: 0,
                done: 0,
                synced: 0,
                batch: String::new(),
                spare: String::new(),
                batch_start: 0,
                batch_waiters: 0,
                writing: false,
                sleepers: 0,
                failures: Vec::new(),
                last_checkpoint: Instant::now(),
                first_unsynced: None,
                closed: false,
            }),
            progress: Condvar::new(),
            flush: Arc::clone(&flush),
        });
        {
            let mut state = lock_state(&shared)?;
            state.segment = Some(shared.open_segment()?);
        }
        let needs_flusher = matches!(shared.options.durability, Durability::Batched { .. })
            || shared.options.checkpoint_interval.is_some();
        if needs_flusher {
            let weak = Arc::downgrade(&shared);
            std::thread::Builder::new()
                .name("keystead-audit".into())
                .spawn(move || flusher(&weak, &flush))
                .map_err(|e| Error::internal(format!("Audit log: cannot start the flusher thread: {e}")))?;
        }
        Ok(Self { _closer: Arc::new(CloseOnLastDrop(Arc::clone(&shared))), shared })
    }

    /// Opens a segment of the audit log of the store `store` whose folder is `store_dir`
    /// (`<store_dir>/audit/`), with the store's audit keys (created on first use).
    pub fn for_store(store: &Keystead, store_dir: &Path, options: AuditOptions) -> Result<Self> {
        Self::open(store_dir.join(AUDIT_DIR_NAME), store.audit_keys()?, options)
    }

    /// The public key that verifies this log's signatures.
    pub fn public_key(&self) -> &AuditPublicKey {
        self.shared.keys.public_key()
    }

    /// The folder of the log.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The file this handle writes now (`None` after a write failure until the next append).
    pub fn segment_path(&self) -> Option<PathBuf> {
        lock_state(&self.shared).ok()?.segment.as_ref().map(|s| s.path.to_path_buf())
    }

    /// An encryption context as it goes into `requestParameters.encryptionContext`: keys in the
    /// clear, values in the clear or, with [`AuditOptions::hmac_context_values`], as
    /// `hmac-sha256:<hex of HMAC-SHA256(audit HMAC key, value)>`.
    pub fn redact_context(&self, context: &EncryptionContext) -> Value {
        let map: Map<String, Value> = context
            .iter()
            .map(|(k, v)| {
                let shown = if self.shared.options.hmac_context_values { self.hmac_value(v) } else { v.clone() };
                (k.clone(), Value::String(shown))
            })
            .collect();
        Value::Object(map)
    }

    /// The `hmac-sha256:` form of `value`, to search a log with HMAC'd context values for a
    /// known value. Never the value itself: if the HMAC fails, `hmac-sha256:unavailable`.
    pub fn hmac_value(&self, value: &str) -> String {
        match self.shared.keys.hmac(value.as_bytes()) {
            Ok(mac) => format!("{HMAC_PREFIX}{}", hex(&mac)),
            Err(_) => format!("{HMAC_PREFIX}unavailable"),
        }
    }

    /// Appends `event`. Returns once the record is written to the segment file (and fsynced
    /// with [`Durability::PerRecord`]).
    ///
    /// # Errors
    /// `KMSInternalException` if the record could not be written (disk full, folder not
    /// writable, log closed): the caller must fail the operation and release nothing. The next
    /// append starts a new segment.
    pub fn append(&self, event: AuditEvent) -> Result<()> {
        // The expensive parts, serializing the event and hashing it (all but the chain's tail),
        // run outside the lock.
        let prepared = PreparedEvent::new(event.canonical_json());
        let shared = &*self.shared;
        let mut state = lock_state(shared)?;
        if state.closed {
            return Err(Error::internal("Audit log: the log is closed"));
        }
        if state.segment.is_none() {
            state.segment = Some(shared.open_segment()?);
        }
        let ticket = shared.push_event(&mut state, prepared)?;
        state.batch_waiters += 1;
        let every = shared.options.checkpoint_every;
        if every > 0 && state.segment.as_ref().is_some_and(|s| s.since_checkpoint >= every) {
            shared.push_checkpoint(&mut state, REASON_COUNT)?;
        }
        let _state = shared.wait_written(state, ticket)?;
        Ok(())
    }

    /// Seals the segment with a final checkpoint, fsyncs it and closes it. Later appends fail.
    /// Dropping the last clone does the same, ignoring errors.
    pub fn close(&self) -> Result<()> {
        self.shared.close()
    }
}

impl Shared {
    /// Creates a segment: takes the next store-wide number, writes and fsyncs the signed
    /// header, leaves an open marker, then seals dead writers' segments. Holds the folder's
    /// lock file meanwhile (other processes wait a few milliseconds at most).
    fn open_segment(&self) -> Result<Segment> {
        let dir = &self.dir;
        if !dir.exists() {
            fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| io_error("create", dir, &e))?;
        }
        let lock = lock_folder(dir)?;
        let now = SystemClock.now_ms();
        let nonce = hex(&random_bytes(6)?);
        let id = format!("{}-{}-{nonce}", compact_time(now), std::process::id());
        // Dead writers' segments are sealed first, so that the newest one can be continued.
        recover_dead_segments(dir, &id, &self.keys);
        // The number is taken from the counter and from the headers present, and the counter is
        // advanced only once the header (or resume record) is durable: a writer killed in
        // between then leaves neither a gap (a counted number without a file, which the verifier
        // reports as a deleted segment) nor a number used twice (recovery raises the counter
        // past the numbers found in the segment it seals).
        let number = read_segment_count(dir)?.max(highest_segment_number(dir)) + 1;
        let segment = match self.resume_newest(dir, number, now)? {
            Some(segment) => segment,
            None => self.create_segment(dir, &id, number, now)?,
        };
        write_segment_count(dir, number)?;
        let pem = dir.join(PUBLIC_KEY_FILE_NAME);
        if !pem.exists() {
            // A convenience copy for auditors; failing to write it must not stop auditing.
            let _ = self.keys.public_key().to_pem().map(|text| fs::write(&pem, text));
        }
        drop(lock);
        Ok(segment)
    }

    /// Wraps a segment's file for writing (with the testing byte budget, if any).
    fn segment_file(&self, file: File) -> Arc<dyn SegmentFile> {
        match self.options.fail_after_bytes {
            Some(budget) => Arc::new(BudgetedFile { file, left: AtomicU64::new(budget) }),
            None => Arc::new(file),
        }
    }

    /// Creates a new segment file `<id>.jsonl` with its signed header (the caller holds the
    /// folder's lock file).
    fn create_segment(&self, dir: &Path, id: &str, number: u64, now: Millis) -> Result<Segment> {
        let path = dir.join(format!("{id}.{SEGMENT_EXTENSION}"));
        // The open marker comes first: a writer killed before its header is complete leaves a
        // marked file, which the next opener removes (it holds no record) instead of a headerless
        // segment the verifier would have to report.
        let marker = marker_path(&path);
        File::create(&marker).map_err(|e| io_error("create", &marker, &e))?;
        let file = OpenOptions::new()
            .append(true)
            .read(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| io_error("create", &path, &e))?;
        // Held until the segment is dropped: the verifier and recovery tell a live writer by it.
        file.try_lock().map_err(|e| Error::internal(format!("Audit log: cannot lock {}: {e}", path.display())))?;
        let header = json!({
            "format": SEGMENT_FORMAT,
            "id": id,
            "number": number,
            "pid": std::process::id(),
            "created": iso8601_millis(now),
            "publicKey": self.keys.public_key().to_base64(),
        });
        let sealed = seal(TYPE_HEADER, canonical(&header), 0, GENESIS, Some(&self.keys))?;
        file.append(sealed.line.as_bytes()).map_err(|e| io_error("write", &path, &e))?;
        file.sync().map_err(|e| io_error("sync", &path, &e))?;
        sync_dir(dir)?;
        let file = self.segment_file(file);
        Ok(Segment { file, path: path.into(), next_seq: 1, prev: sealed.hash, since_checkpoint: 0 })
    }

    /// Continues the newest segment when its writer is gone and sealed it (a `close` or
    /// `recovered` checkpoint last), it was written under this log's key, and it is within
    /// the size and age limits: appends a signed `resumed` checkpoint carrying this writer's
    /// store-wide `number`, chained to the seal. `None` when there is nothing to continue.
    ///
    /// Why this keeps verification sound: the chain runs on unbroken through the old seal, the
    /// resume record is signed, and its number joins the numbers the verifier requires, so
    /// cutting the segment back to the old seal (which would look like a clean end) shows as a
    /// missing number.
    fn resume_newest(&self, dir: &Path, number: u64, now: Millis) -> Result<Option<Segment>> {
        if self.options.segment_max_bytes == 0 {
            return Ok(None);
        }
        let Ok(files) = verify::segment_files(dir) else { return Ok(None) };
        let Some(path) = files.last() else { return Ok(None) };
        let Ok(file) = OpenOptions::new().append(true).read(true).open(path) else { return Ok(None) };
        if file.try_lock().is_err() {
            return Ok(None); // a live writer holds it
        }
        let Ok(meta) = file.metadata() else { return Ok(None) };
        if meta.len() >= self.options.segment_max_bytes {
            return Ok(None);
        }
        let Some(header) = first_record(path) else { return Ok(None) };
        let created = header["segment"]["created"].as_str().and_then(parse_iso8601);
        let young = created.is_some_and(|c| {
            now.saturating_sub(c) < i64::try_from(self.options.segment_max_age.as_millis()).unwrap_or(i64::MAX)
        });
        if !young || header["segment"]["publicKey"].as_str() != Some(&self.keys.public_key().to_base64()) {
            return Ok(None);
        }
        // Only a segment that ends with a complete line is continued (a torn tail is left for
        // recovery to drop; appending after it would glue two records into one line).
        let Ok(Some((line, complete_len))) = last_line(&file) else { return Ok(None) };
        if complete_len != meta.len() {
            return Ok(None);
        }
        let Ok(last) = serde_json::from_slice::<Value>(&line) else { return Ok(None) };
        let sealed_by = last["checkpoint"]["reason"].as_str().filter(|r| record::is_final_reason(r));
        let (Some(_), Some(seq), Some(prev)) = (sealed_by, last["seq"].as_u64(), last["hash"].as_str()) else {
            return Ok(None);
        };
        // Marked first: if this writer dies before its resume record is complete, the next
        // opener drops the torn line and seals the segment again.
        let marker = marker_path(path);
        File::create(&marker).map_err(|e| io_error("create", &marker, &e))?;
        let body = json!({
            "reason": REASON_RESUMED,
            "records": seq + 1,
            "time": iso8601_millis(now),
            "number": number,
            "pid": std::process::id(),
        });
        let sealed = seal(TYPE_CHECKPOINT, canonical(&body), seq + 1, prev, Some(&self.keys))?;
        (&file).write_all(sealed.line.as_bytes()).map_err(|e| io_error("write", path, &e))?;
        file.sync_data().map_err(|e| io_error("sync", path, &e))?;
        sync_dir(dir)?;
        let file = self.segment_file(file);
        Ok(Some(Segment {
            file,
            path: path.as_path().into(),
            next_seq: seq + 2,
            prev: sealed.hash,
            since_checkpoint: 0,
        }))
    }

    /// Chains a record onto the current segment and queues its line; returns its ticket.
    fn push(&self, state: &mut State, kind: &str, body: String) -> Result<u64> {
        let segment = state.segment.as_mut().ok_or_else(|| Error::internal("Audit log: no open segment"))?;
        let keys = (kind == TYPE_CHECKPOINT).then_some(&*self.keys);
        let sealed = seal(kind, body, segment.next_seq, &segment.prev, keys)?;
        segment.next_seq += 1;
        segment.prev = sealed.hash;
        segment.since_checkpoint = if kind == TYPE_CHECKPOINT { 0 } else { segment.since_checkpoint + 1 };
        state.batch.push_str(&sealed.line);
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        Ok(ticket)
    }

    /// [`Shared::push`] for an event whose hash is started.
    fn push_event(&self, state: &mut State, prepared: PreparedEvent) -> Result<u64> {
        let segment = state.segment.as_mut().ok_or_else(|| Error::internal("Audit log: no open segment"))?;
        if state.batch.is_empty() && state.batch.capacity() == 0 {
            state.batch = std::mem::take(&mut state.spare);
        }
        let hash = prepared.seal_into(segment.next_seq, &segment.prev, &mut state.batch);
        segment.next_seq += 1;
        segment.prev = hash;
        segment.since_checkpoint += 1;
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        Ok(ticket)
    }

    /// Sleeps until the state changes (a batch written, the log closed).
    fn wait_progress<'a>(&'a self, mut state: MutexGuard<'a, State>) -> Result<MutexGuard<'a, State>> {
        state.sleepers += 1;
        let mut state = self.progress.wait(state).map_err(|_| Error::internal("audit log lock poisoned"))?;
        state.sleepers -= 1;
        Ok(state)
    }

    fn push_checkpoint(&self, state: &mut State, reason: &str) -> Result<u64> {
        self.push_checkpoint_with(state, reason, Map::new())
    }

    /// A checkpoint whose body also carries the members of `extra`.
    fn push_checkpoint_with(&self, state: &mut State, reason: &str, extra: Map<String, Value>) -> Result<u64> {
        let records = state.segment.as_ref().map_or(0, |s| s.next_seq);
        let mut body = json!({ "reason": reason, "records": records, "time": iso8601_millis(SystemClock.now_ms()) });
        if let Value::Object(members) = &mut body {
            members.extend(extra);
        }
        let ticket = self.push(state, TYPE_CHECKPOINT, canonical(&body))?;
        state.last_checkpoint = Instant::now();
        Ok(ticket)
    }

    /// Waits until `ticket` is written, leading the write of the queued batch if no one is.
    fn wait_written<'a>(&'a self, mut state: MutexGuard<'a, State>, ticket: u64) -> Result<MutexGuard<'a, State>> {
        loop {
            if ticket < state.done {
                if let Some(at) = state.failures.iter().position(|f| (f.start..f.end).contains(&ticket)) {
                    let failure = &mut state.failures[at];
                    let error = failure.error.clone();
                    failure.waiters = failure.waiters.saturating_sub(1);
                    if failure.waiters == 0 {
                        state.failures.swap_remove(at);
                    }
                    return Err(error);
                }
                return Ok(state);
            }
            state = if state.writing { self.wait_progress(state)? } else { self.lead(state)? };
        }
    }

    /// Writes the queued batch with one `write(2)` (and fsyncs it in per-record mode).
    fn lead<'a>(&'a self, mut state: MutexGuard<'a, State>) -> Result<MutexGuard<'a, State>> {
        let mut batch = std::mem::take(&mut state.batch);
        let (start, end, waiters) = (state.batch_start, state.next_ticket, state.batch_waiters);
        state.batch_start = end;
        state.batch_waiters = 0;
        if batch.is_empty() {
            return Ok(state);
        }
        state.writing = true;
        let target = state.segment.as_ref().map(|s| (Arc::clone(&s.file), Arc::clone(&s.path)));
        drop(state);
        let per_record = self.options.durability == Durability::PerRecord;
        let result = match &target {
            Some((file, path)) => file
                .append(batch.as_bytes())
                .and_then(|()| if per_record { file.sync() } else { Ok(()) })
                .map_err(|e| io_error("write", path, &e)),
            None => Err(Error::internal("Audit log: no open segment")),
        };
        let mut state = lock_state(self)?;
        state.writing = false;
        if state.spare.capacity() < batch.capacity() && batch.capacity() <= 1 << 20 {
            batch.clear();
            state.spare = batch;
        }
        match result {
            Ok(()) => {
                state.done = end;
                if per_record {
                    state.synced = end;
                } else if let Durability::Batched { max_records, .. } = self.options.durability {
                    state.first_unsynced.get_or_insert_with(Instant::now);
                    if end - state.synced >= max_records {
                        self.flush.wake.notify_one();
                    }
                }
            }
            Err(error) => {
                // The segment's chain now has a gap of unknown extent: abandon it (its lock is
                // released when the last reference goes; the next opener seals it), fail its
                // queued records too, and let the next append start a new segment.
                let queued = (state.batch_start, state.next_ticket, state.batch_waiters);
                state.batch.clear();
                state.batch_start = state.next_ticket;
                state.batch_waiters = 0;
                state.segment = None;
                state.done = state.next_ticket;
                state.synced = state.next_ticket;
                for (start, end, waiters) in [(start, end, waiters), queued] {
                    if waiters > 0 {
                        state.failures.push(Failure { start, end, waiters, error: error.clone() });
                    }
                }
            }
        }
        if state.sleepers > 0 {
            self.progress.notify_all();
        }
        Ok(state)
    }

    /// Writes everything queued and fsyncs it.
    fn flush_all(&self) -> Result<()> {
        let mut state = lock_state(self)?;
        while !state.batch.is_empty() || state.writing {
            state = if state.writing { self.wait_progress(state)? } else { self.lead(state)? };
        }
        self.sync_written(state)
    }

    /// Fsyncs what is written and not yet synced.
    fn sync_written<'a>(&'a self, mut state: MutexGuard<'a, State>) -> Result<()> {
        let target = state.done;
        if state.synced >= target {
            return Ok(());
        }
        let Some((file, path)) = state.segment.as_ref().map(|s| (Arc::clone(&s.file), Arc::clone(&s.path))) else {
            return Ok(());
        };
        drop(state);
        let synced = file.sync().map_err(|e| io_error("sync", &path, &e));
        state = lock_state(self)?;
        match synced {
            Ok(()) => {
                state.synced = state.synced.max(target);
                if state.synced >= state.done {
                    state.first_unsynced = None;
                }
                Ok(())
            }
            Err(error) => {
                // Records already acknowledged may be lost (the batched mode's documented
                // window); start a new segment rather than keep writing to a file that fails.
                if state.segment.as_ref().is_some_and(|s| s.path == path) {
                    state.segment = None;
                }
                Err(error)
            }
        }
    }

    fn close(&self) -> Result<()> {
        {
            let mut state = lock_state(self)?;
            if state.closed {
                return Ok(());
            }
            state.closed = true;
            if state.segment.is_some() {
                self.push_checkpoint(&mut state, REASON_CLOSE)?;
            }
        }
        if let Ok(mut stop) = self.flush.stop.lock() {
            *stop = true;
        }
        self.flush.wake.notify_all();
        self.flush_all()?;
        let mut state = lock_state(self)?;
        if let Some(segment) = state.segment.take() {
            let _ = fs::remove_file(marker_path(&segment.path));
            let _ = sync_dir(&self.dir);
        }
        Ok(())
    }

    /// One round of the flusher: fsync in batched mode, checkpoint on the interval.
    fn flusher_round(&self) -> Result<()> {
        let mut state = lock_state(self)?;
        if state.closed {
            return Ok(());
        }
        if let Some(interval) = self.options.checkpoint_interval {
            let waiting = state.segment.as_ref().is_some_and(|s| s.since_checkpoint > 0);
            if waiting && state.last_checkpoint.elapsed() >= interval {
                self.push_checkpoint(&mut state, REASON_INTERVAL)?;
                while !state.batch.is_empty() || state.writing {
                    state = if state.writing { self.wait_progress(state)? } else { self.lead(state)? };
                }
            }
        }
        if let Durability::Batched { max_delay, max_records } = self.options.durability {
            let due = state.first_unsynced.is_some_and(|at| at.elapsed() >= max_delay)
                || state.done.saturating_sub(state.synced) >= max_records;
            if due {
                return self.sync_written(state);
            }
        }
        Ok(())
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// The flusher thread: wakes every tick (or when signalled), does one round, and ends when the
/// log is closed or dropped. It holds the log only during a round.
fn flusher(shared: &Weak<Shared>, signal: &FlushSignal) {
    let tick = match shared.upgrade() {
        Some(shared) => {
            let mut tick = Duration::from_secs(1);
            if let Durability::Batched { max_delay, .. } = shared.options.durability {
                tick = tick.min(max_delay.max(Duration::from_millis(1)));
            }
            if let Some(interval) = shared.options.checkpoint_interval {
                tick = tick.min(interval.max(Duration::from_millis(1)));
            }
            tick
        }
        None => return,
    };
    loop {
        {
            let Ok(stop) = signal.stop.lock() else { return };
            if *stop {
                return;
            }
            let Ok((stop, _)) = signal.wake.wait_timeout(stop, tick) else { return };
            if *stop {
                return;
            }
        }
        let Some(shared) = shared.upgrade() else { return };
        // A failed fsync already retired its segment; the next append reports the failure.
        let _ = shared.flusher_round();
    }
}

/// Takes the folder's lock file (segment creation, resumption, recovery and pruning).
fn lock_folder(dir: &Path) -> Result<File> {
    let lock_path = dir.join(LOCK_FILE_NAME);
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| io_error("open", &lock_path, &e))?;
    lock.lock().map_err(|e| io_error("lock", &lock_path, &e))?;
    Ok(lock)
}

/// One segment deleted by [`AuditLog::prune`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct PrunedSegment {
    /// The file that was deleted.
    pub file: PathBuf,
    /// The store-wide numbers of its writers (header and resume records).
    pub numbers: Vec<u64>,
    /// Records it held.
    pub records: u64,
    /// The hash of its last record (its seal).
    pub last_hash: String,
    /// The time of its seal.
    pub sealed_at: String,
}

/// What [`AuditLog::prune`] did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PruneReport {
    /// The segments deleted.
    pub pruned: Vec<PrunedSegment>,
    /// Segments sealed before the cut-off but kept: a writer holds them, or their seal could
    /// not be read.
    pub kept: Vec<PathBuf>,
}

/// Sorted numbers as `[first, last]` ranges.
fn ranges(numbers: &[u64]) -> Vec<[u64; 2]> {
    let mut out: Vec<[u64; 2]> = Vec::new();
    for &n in numbers {
        match out.last_mut() {
            Some(last) if last[1] + 1 == n || last[1] == n => last[1] = n,
            _ => out.push([n, n]),
        }
    }
    out
}

/// The numbers listed as pruned by the prune checkpoints in `text` (a segment's content).
pub(crate) fn pruned_numbers_in(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.contains(REASON_PRUNE)) {
        let Ok(record) = serde_json::from_str::<Value>(line) else { continue };
        if record["checkpoint"]["reason"] != REASON_PRUNE {
            continue;
        }
        for range in record["checkpoint"]["pruned"]["numbers"].as_array().into_iter().flatten() {
            if let (Some(first), Some(last)) = (range[0].as_u64(), range[1].as_u64()) {
                out.extend(first..=last.min(first.saturating_add(1 << 20)));
            }
        }
    }
    out
}

impl AuditLog {
    /// Deletes the whole segments whose writers are gone and whose seal (final checkpoint) is
    /// older than `before_ms`, after appending to this log's segment a signed `prune`
    /// checkpoint that names them (file, writer numbers, record count, last hash) and carries
    /// the numbers pruned earlier by prune records inside them. The verifier accepts those
    /// numbers as deliberately pruned; any other missing segment is still reported.
    ///
    /// # Errors
    /// `KMSInternalException` if the prune record cannot be written and fsynced (then nothing
    /// is deleted) or the folder cannot be read.
    pub fn prune(&self, before_ms: Millis) -> Result<PruneReport> {
        let shared = &*self.shared;
        let dir = &shared.dir;
        let lock = lock_folder(dir)?;
        let own = {
            let state = lock_state(shared)?;
            if state.closed {
                return Err(Error::internal("Audit log: the log is closed"));
            }
            if state.segment.is_none() {
                drop(state);
                drop(lock);
                let segment = shared.open_segment()?;
                let mut state = lock_state(shared)?;
                state.segment.get_or_insert(segment);
                return self.prune(before_ms);
            }
            state.segment.as_ref().map(|s| s.path.to_path_buf())
        };
        let files = verify::segment_files(dir).map_err(|e| io_error("read", dir, &e))?;
        let mut report = PruneReport::default();
        let mut held = Vec::new();
        let mut numbers = Vec::new();
        for path in files {
            if Some(&path) == own.as_ref() {
                continue;
            }
            let Ok(file) = File::open(&path) else { continue };
            let Ok(text) = fs::read_to_string(&path) else { continue };
            let last = text.lines().last().and_then(|l| serde_json::from_str::<Value>(l).ok());
            let Some(last) = last else { continue };
            let reason = last["checkpoint"]["reason"].as_str().unwrap_or("");
            let sealed_at = last["checkpoint"]["time"].as_str().unwrap_or("").to_owned();
            if !record::is_final_reason(reason) || !text.ends_with('\n') {
                continue;
            }
            if parse_iso8601(&sealed_at).is_none_or(|t| t >= before_ms) {
                continue;
            }
            if file.try_lock().is_err() {
                report.kept.push(path);
                continue;
            }
            let mut own_numbers = numbers_in(&path);
            own_numbers.sort_unstable();
            numbers.extend(pruned_numbers_in(&text));
            numbers.extend(&own_numbers);
            report.pruned.push(PrunedSegment {
                file: path,
                numbers: own_numbers,
                records: last["seq"].as_u64().map_or(0, |s| s + 1),
                last_hash: last["hash"].as_str().unwrap_or("").to_owned(),
                sealed_at,
            });
            held.push(file);
        }
        if report.pruned.is_empty() {
            return Ok(report);
        }
        numbers.sort_unstable();
        numbers.dedup();
        let segments: Vec<Value> = report
            .pruned
            .iter()
            .map(|p| {
                json!({
                    "id": p.file.file_stem().and_then(|s| s.to_str()).unwrap_or(""),
                    "numbers": p.numbers,
                    "records": p.records,
                    "lastHash": p.last_hash,
                    "sealedAt": p.sealed_at,
                })
            })
            .collect();
        let mut extra = Map::new();
        extra.insert(
            "pruned".into(),
            json!({ "before": iso8601_millis(before_ms), "numbers": ranges(&numbers), "segments": segments }),
        );
        {
            let mut state = lock_state(shared)?;
            let ticket = shared.push_checkpoint_with(&mut state, REASON_PRUNE, extra)?;
            state.batch_waiters += 1;
            drop(shared.wait_written(state, ticket)?);
        }
        // The record must be on disk before any file goes.
        shared.flush_all()?;
        for pruned in &report.pruned {
            fs::remove_file(&pruned.file).map_err(|e| io_error("delete", &pruned.file, &e))?;
            let _ = fs::remove_file(marker_path(&pruned.file));
        }
        sync_dir(dir)?;
        drop(held);
        drop(lock);
        Ok(report)
    }
}

fn marker_path(segment: &Path) -> PathBuf {
    let mut name = segment.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(OPEN_MARKER_SUFFIX);
    segment.with_file_name(name)
}

/// The segment counter: how many segments were ever started (the caller holds the lock file).
fn read_segment_count(dir: &Path) -> Result<u64> {
    let path = dir.join(COUNTER_FILE_NAME);
    match fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map_err(|_| Error::internal(format!("Audit log: {} does not hold a segment count", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io_error("read", &path, &e)),
    }
}

/// The highest segment number found in the headers of the segment files present (0 if none).
fn highest_segment_number(dir: &Path) -> u64 {
    use std::io::BufRead as _;
    let Ok(files) = verify::segment_files(dir) else { return 0 };
    files
        .iter()
        .filter_map(|file| {
            let mut first = String::new();
            io::BufReader::new(File::open(file).ok()?).read_line(&mut first).ok()?;
            serde_json::from_str::<Value>(&first).ok()?["segment"]["number"].as_u64()
        })
        .max()
        .unwrap_or(0)
}

/// Durably rewrites the segment counter (the caller holds the lock file).
fn write_segment_count(dir: &Path, next: u64) -> Result<()> {
    let path = dir.join(COUNTER_FILE_NAME);
    let temp = dir.join(format!("{COUNTER_FILE_NAME}.tmp"));
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temp)?;
        file.write_all(format!("{next}\n").as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, &path)
    })();
    written.map_err(|e| io_error("write", &path, &e))
}

/// Seals segments whose writer died: for each open marker whose segment no process holds
/// locked, drops a torn last line and appends a signed `recovered` checkpoint. Best effort:
/// what cannot be sealed is left for the verifier to report.
fn recover_dead_segments(dir: &Path, recovered_by: &str, keys: &AuditKeys) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let marker = entry.path();
        let Some(name) = marker.file_name().and_then(|n| n.to_str()) else { continue };
        let Some(segment_name) = name.strip_suffix(OPEN_MARKER_SUFFIX) else { continue };
        let segment = dir.join(segment_name);
        if let Ok(true) = seal_dead_segment(&segment, keys, recovered_by) {
            // A writer killed between its resume record and the counter update left a number
            // the counter does not know yet; count it so that it is never handed out twice.
            let highest = numbers_in(&segment).into_iter().max().unwrap_or(0);
            if read_segment_count(dir).is_ok_and(|count| count < highest) {
                let _ = write_segment_count(dir, highest);
            }
            let _ = fs::remove_file(&marker);
        }
    }
}

/// The store-wide numbers of the writers of a segment: its header's and its resume records'.
fn numbers_in(path: &Path) -> Vec<u64> {
    let Ok(text) = fs::read_to_string(path) else { return Vec::new() };
    text.lines()
        .filter(|line| line.contains("\"number\""))
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|record| {
            let resumed = record["checkpoint"]["reason"] == REASON_RESUMED;
            let body = if resumed { &record["checkpoint"] } else { &record["segment"] };
            body["number"].as_u64()
        })
        .collect()
}

/// The first record of a segment file, parsed.
fn first_record(path: &Path) -> Option<Value> {
    use std::io::BufRead as _;
    let mut first = String::new();
    io::BufReader::new(File::open(path).ok()?).read_line(&mut first).ok()?;
    serde_json::from_str(&first).ok()
}

/// The last complete line of `file` and the offset where it ends (after its newline), reading
/// only the tail; `None` if the file holds no complete line.
fn last_line(mut file: &File) -> io::Result<Option<(Vec<u8>, u64)>> {
    let len = file.metadata()?.len();
    // The last complete line is within the tail; read more only for a huge last record.
    let mut window = 256 * 1024u64;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        let Some(end) = tail.iter().rposition(|&b| b == b'\n') else {
            if start == 0 {
                return Ok(None);
            }
            window *= 4;
            continue;
        };
        match tail[..end].iter().rposition(|&b| b == b'\n') {
            Some(before) => return Ok(Some((tail[before + 1..end].to_vec(), start + end as u64 + 1))),
            None if start == 0 => return Ok(Some((tail[..end].to_vec(), end as u64 + 1))),
            None => window *= 4,
        }
    }
}

/// Seals one segment if its writer is gone; `Ok(true)` when it is (now) sealed or gone.
fn seal_dead_segment(path: &Path, keys: &AuditKeys, recovered_by: &str) -> io::Result<bool> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e),
    };
    if file.try_lock().is_err() {
        return Ok(false); // a live writer holds it
    }
    let len = file.metadata()?.len();
    let Some((line, complete_len)) = last_line(&file)? else {
        // Not even the header line is complete: the writer died while creating the segment,
        // before any record. Nothing was logged in it; remove it with its marker.
        drop(file);
        fs::remove_file(path)?;
        return Ok(true);
    };
    let Ok(last) = serde_json::from_slice::<Value>(&line) else { return Ok(false) };
    let torn = len - complete_len;
    if last["type"] == TYPE_CHECKPOINT && last["checkpoint"]["reason"].as_str().is_some_and(record::is_final_reason) {
        // Already sealed, but a writer that failed while resuming it (a full disk) may have left
        // part of its resume record after the seal: drop it, or the next resume would be glued
        // onto it.
        if torn > 0 {
            file.set_len(complete_len)?;
            file.sync_data()?;
        }
        return Ok(true);
    }
    let (Some(seq), Some(prev)) = (last["seq"].as_u64(), last["hash"].as_str()) else { return Ok(false) };
    if torn > 0 {
        file.set_len(complete_len)?;
    }
    let body = json!({
        "reason": REASON_RECOVERED,
        "records": seq + 1,
        "time": iso8601_millis(SystemClock.now_ms()),
        "tornBytes": torn,
        "recoveredBy": recovered_by,
    });
    let sealed = seal(TYPE_CHECKPOINT, canonical(&body), seq + 1, prev, Some(keys)).map_err(io::Error::other)?;
    file.seek(SeekFrom::End(0))?;
    file.write_all(sealed.line.as_bytes())?;
    file.sync_data()?;
    Ok(true)
}
