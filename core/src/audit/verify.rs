//! The verifier: checks every segment's chain, signatures and seal, and that no segment is
//! missing (docs/audit.md §5).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use crate::audit::canonical::{canonical, unhex};
use crate::audit::keys::AuditPublicKey;
use crate::audit::record::{
    is_final_reason, record_hash, signed_message, FORMAT_VERSION, GENESIS, REASON_PRUNE, REASON_RECOVERED,
    REASON_RESUMED, TYPE_CHECKPOINT, TYPE_EVENT, TYPE_HEADER,
};
use crate::audit::{COUNTER_FILE_NAME, SEGMENT_EXTENSION, SEGMENT_FORMAT};
use crate::error::{Error, Result};

/// What is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ProblemKind {
    /// The file or folder cannot be read.
    Io,
    /// A line is not JSON, or a record lacks a required member.
    Malformed,
    /// A line is not byte for byte its canonical form, or its hash does not match its content:
    /// the record was edited.
    Edited,
    /// A record's `prev` is not the previous record's `hash`: a record before it was deleted,
    /// inserted or moved.
    ChainBroken,
    /// Sequence numbers skip or repeat: records were deleted or reordered.
    Sequence,
    /// A header or checkpoint signature does not verify under the trusted key.
    BadSignature,
    /// The segment header names another public key than the trusted one.
    WrongKey,
    /// A checkpoint's content contradicts its position (e.g. a wrong record count).
    ForgedCheckpoint,
    /// Records follow the segment's final checkpoint.
    AfterClose,
    /// No writer holds the segment and it has no final checkpoint: its tail was truncated, or
    /// its writer died and no process has opened the log since (opening seals it).
    Unclosed,
    /// The file ends in the middle of a line and no writer holds it.
    TornTail,
    /// A segment number between 1 and the store's segment count has no segment: a whole
    /// segment file was deleted.
    MissingSegment,
    /// Two segments carry the same number.
    DuplicateSegment,
}

/// One problem, with where it was found.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// The segment file (or the folder).
    pub file: PathBuf,
    /// The 1-based line, when the problem is at a line.
    pub line: Option<u64>,
    /// The record's sequence number, when known.
    pub seq: Option<u64>,
    /// A human explanation.
    pub message: String,
}

/// How a segment ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SegmentState {
    /// Ended by its writer's final checkpoint.
    Closed,
    /// Its writer died; a later opener sealed it (a crash, or a truncation before the seal).
    Recovered,
    /// A writer holds it now; records after its last checkpoint are an unsealed tail.
    Live,
    /// Not sealed and not held by any writer (see [`ProblemKind::Unclosed`]).
    Unclosed,
    /// Its header is missing or invalid.
    Invalid,
}

/// What the verifier found in one segment.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentSummary {
    /// The segment file.
    pub file: PathBuf,
    /// The store-wide segment number from its header.
    pub number: Option<u64>,
    /// The store-wide numbers of the later writers that continued this segment (from their
    /// signed `resumed` checkpoints).
    pub resumed_numbers: Vec<u64>,
    /// Records (lines) read, including header and checkpoints.
    pub records: u64,
    /// Event records.
    pub events: u64,
    /// Checkpoint records.
    pub checkpoints: u64,
    /// Records covered by a verified signature (the header and everything up to the last
    /// valid checkpoint).
    pub sealed_records: u64,
    /// Records after the last valid checkpoint: chained, but not yet signed.
    pub unsealed_tail: u64,
    /// How the segment ends.
    pub state: SegmentState,
}

/// The result of [`verify`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    /// One summary per segment, by segment number.
    pub segments: Vec<SegmentSummary>,
    /// Records read in all segments.
    pub records: u64,
    /// Event records.
    pub events: u64,
    /// Checkpoints (valid or not).
    pub checkpoints: u64,
    /// Every problem found, in file order; empty when the log verifies.
    pub problems: Vec<Problem>,
    /// Facts worth knowing that are not tampering (recovered segments, live tails, prunes).
    pub notes: Vec<String>,
    /// Writer numbers deliberately pruned, as `[first, last]` ranges, from valid signed prune
    /// checkpoints: their segments are absent on purpose.
    pub pruned_numbers: Vec<[u64; 2]>,
}

impl VerifyReport {
    /// True when no problem was found.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first problem found.
    pub fn first_problem(&self) -> Option<&Problem> {
        self.problems.first()
    }

    /// True when some problem of `kind` was found.
    pub fn has(&self, kind: ProblemKind) -> bool {
        self.problems.iter().any(|p| p.kind == kind)
    }
}

/// Verifies the log in folder `target` (every `*.jsonl` segment and the segment count), or the
/// single segment file `target`, against the trusted `public_key`.
///
/// # Errors
/// `ValidationException` if `target` does not exist. Everything found in the files is a
/// [`Problem`] in the report, not an error.
pub fn verify(target: &Path, public_key: &AuditPublicKey) -> Result<VerifyReport> {
    if target.is_dir() {
        let mut report = VerifyReport::default();
        let files = match segment_files(target) {
            Ok(files) => files,
            Err(e) => {
                report.problems.push(problem(ProblemKind::Io, target, None, None, e.to_string()));
                return Ok(report);
            }
        };
        verify_segments(&files, public_key, &mut report);
        check_numbers(target, &mut report);
        Ok(report)
    } else if target.is_file() {
        verify_files(&[target.to_owned()], public_key)
    } else {
        Err(Error::validation(format!("No audit log at {}", target.display())))
    }
}

/// Verifies the given segment files (without the check for missing segments).
pub fn verify_files(files: &[PathBuf], public_key: &AuditPublicKey) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    verify_segments(files, public_key, &mut report);
    Ok(report)
}

/// The segment files of a log folder, by name (which starts with the creation time).
pub(crate) fn segment_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(SEGMENT_EXTENSION) && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn problem(kind: ProblemKind, file: &Path, line: Option<u64>, seq: Option<u64>, message: impl Into<String>) -> Problem {
    Problem { kind, file: file.to_owned(), line, seq, message: message.into() }
}

fn verify_segments(files: &[PathBuf], key: &AuditPublicKey, report: &mut VerifyReport) {
    let mut summaries = Vec::new();
    for file in files {
        let summary = verify_segment(file, key, report);
        report.records += summary.records;
        report.events += summary.events;
        report.checkpoints += summary.checkpoints;
        summaries.push(summary);
    }
    summaries.sort_by_key(|s| (s.number.is_none(), s.number));
    report.segments = summaries;
}

/// True when some process holds the segment's writer lock.
fn is_live(path: &Path) -> bool {
    match File::open(path) {
        Ok(file) => file.try_lock_shared().is_err(),
        Err(_) => false,
    }
}

fn signature_ok(record: &Value, digest: &[u8; 32], key: &AuditPublicKey) -> bool {
    let Some(sig) = record.get("sig").and_then(Value::as_str) else { return false };
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig) else { return false };
    key.verify(&signed_message(digest), &sig)
}

fn verify_segment(path: &Path, key: &AuditPublicKey, report: &mut VerifyReport) -> SegmentSummary {
    let mut summary = SegmentSummary {
        file: path.to_owned(),
        number: None,
        resumed_numbers: Vec::new(),
        records: 0,
        events: 0,
        checkpoints: 0,
        sealed_records: 0,
        unsealed_tail: 0,
        state: SegmentState::Invalid,
    };
    // Look before reading, so a writer that closes meanwhile is not mistaken for a dead one.
    let live = is_live(path);
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            report.problems.push(problem(ProblemKind::Io, path, None, None, e.to_string()));
            return summary;
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<&str> = text.split('\n').collect();
    let torn = lines.pop().filter(|rest| !rest.is_empty());
    let mut expected_seq = 0u64;
    let mut prev = GENESIS.to_owned();
    let mut final_reason: Option<String> = None;
    let mut header_ok = false;
    let first_problem = report.problems.len();
    for (index, line) in lines.iter().enumerate() {
        let line_no = index as u64 + 1;
        let at = |kind, seq, message: String| problem(kind, path, Some(line_no), seq, message);
        summary.records += 1;
        let mut record: Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(e) => {
                report.problems.push(at(ProblemKind::Malformed, None, format!("not JSON: {e}")));
                prev = String::new();
                expected_seq += 1;
                continue;
            }
        };
        let seq = record.get("seq").and_then(Value::as_u64);
        if canonical(&record) != *line {
            report.problems.push(at(ProblemKind::Edited, seq, "the line is not in canonical form (edited)".into()));
        }
        let (Some(seq), Some(kind), Some(record_prev), Some(hash)) = (
            seq,
            record.get("type").and_then(Value::as_str).map(str::to_owned),
            record.get("prev").and_then(Value::as_str).map(str::to_owned),
            record.get("hash").and_then(Value::as_str).map(str::to_owned),
        ) else {
            report.problems.push(at(
                ProblemKind::Malformed,
                seq,
                "a record member (seq, type, prev, hash) is missing".into(),
            ));
            expected_seq += 1;
            prev = String::new();
            continue;
        };
        if record.get("v").and_then(Value::as_u64) != Some(FORMAT_VERSION) {
            report.problems.push(at(ProblemKind::Malformed, Some(seq), "unknown record format version".into()));
        }
        if seq != expected_seq {
            let what = if seq > expected_seq {
                format!("records {expected_seq}..{} are missing (deleted)", seq - 1)
            } else {
                format!("sequence {seq} where {expected_seq} was expected (reordered or duplicated)")
            };
            report.problems.push(at(ProblemKind::Sequence, Some(seq), what));
        }
        if record_prev != prev {
            report.problems.push(at(
                ProblemKind::ChainBroken,
                Some(seq),
                "prev is not the previous record's hash (a record was removed, inserted or moved)".into(),
            ));
        }
        let mut unsealed = record.clone();
        if let Some(object) = unsealed.as_object_mut() {
            object.remove("hash");
            object.remove("sig");
        }
        let digest = record_hash(&canonical(&unsealed));
        if unhex(&hash).as_deref() != Some(&digest[..]) {
            report.problems.push(at(
                ProblemKind::Edited,
                Some(seq),
                "the hash does not match the content (edited)".into(),
            ));
        }
        // A later writer may continue a sealed segment: its signed `resumed` checkpoint is the
        // one record allowed right after a seal (checked below like any checkpoint).
        let resumes = kind == TYPE_CHECKPOINT
            && record["checkpoint"]["reason"] == REASON_RESUMED
            && signature_ok(&record, &digest, key);
        if let Some(reason) = &final_reason {
            if resumes {
                final_reason = None;
            } else {
                report.problems.push(at(
                    ProblemKind::AfterClose,
                    Some(seq),
                    format!("a record after the {reason} checkpoint"),
                ));
            }
        } else if resumes {
            report.problems.push(at(
                ProblemKind::ForgedCheckpoint,
                Some(seq),
                "a resume record that does not follow a seal".into(),
            ));
        }
        match kind.as_str() {
            TYPE_HEADER => {
                let segment = record.get_mut("segment").map(Value::take).unwrap_or(Value::Null);
                let name_id = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                if seq != 0 || index != 0 {
                    report.problems.push(at(ProblemKind::Sequence, Some(seq), "a header inside a segment".into()));
                } else if segment["format"] != SEGMENT_FORMAT || segment["id"] != name_id {
                    report.problems.push(at(
                        ProblemKind::Malformed,
                        Some(seq),
                        "the header's format or id does not match this file".into(),
                    ));
                } else if segment["publicKey"].as_str() != Some(&key.to_base64()) {
                    report.problems.push(at(
                        ProblemKind::WrongKey,
                        Some(seq),
                        "the segment was written under another audit key than the trusted one".into(),
                    ));
                } else if !signature_ok(&record, &digest, key) {
                    report.problems.push(at(
                        ProblemKind::BadSignature,
                        Some(seq),
                        "the header signature is invalid".into(),
                    ));
                } else {
                    header_ok = true;
                    summary.number = segment["number"].as_u64();
                    summary.sealed_records = 1;
                }
            }
            TYPE_CHECKPOINT => {
                summary.checkpoints += 1;
                let body = record.get("checkpoint").cloned().unwrap_or(Value::Null);
                if !signature_ok(&record, &digest, key) {
                    report.problems.push(at(
                        ProblemKind::BadSignature,
                        Some(seq),
                        "the checkpoint signature is invalid (forged or edited)".into(),
                    ));
                } else if body["records"].as_u64() != Some(seq) {
                    report.problems.push(at(
                        ProblemKind::ForgedCheckpoint,
                        Some(seq),
                        "the checkpoint's record count does not match its position".into(),
                    ));
                } else {
                    summary.sealed_records = summary.records;
                    if body["reason"] == REASON_RESUMED {
                        summary.resumed_numbers.extend(body["number"].as_u64());
                    }
                    if body["reason"] == REASON_PRUNE {
                        let numbers = &body["pruned"]["numbers"];
                        for range in numbers.as_array().into_iter().flatten() {
                            if let (Some(first), Some(last)) = (range[0].as_u64(), range[1].as_u64()) {
                                report.pruned_numbers.push([first, last]);
                            }
                        }
                        report.notes.push(format!(
                            "{}: at {}, segments sealed before {} were pruned on purpose (writer numbers {})",
                            path.display(),
                            body["time"].as_str().unwrap_or("?"),
                            body["pruned"]["before"].as_str().unwrap_or("?"),
                            numbers,
                        ));
                    }
                    if let Some(reason) = body["reason"].as_str().filter(|r| is_final_reason(r)) {
                        final_reason = Some(reason.to_owned());
                        if reason == REASON_RECOVERED {
                            report.notes.push(format!(
                                "{}: its writer ended without closing it (a crash, or a truncation before {}); \
                                 sealed at {} records by {}",
                                path.display(),
                                body["time"].as_str().unwrap_or("?"),
                                seq,
                                body["recoveredBy"].as_str().unwrap_or("?"),
                            ));
                        }
                    }
                }
            }
            TYPE_EVENT => {
                summary.events += 1;
                if !record.get("event").is_some_and(Value::is_object) {
                    report.problems.push(at(
                        ProblemKind::Malformed,
                        Some(seq),
                        "an event record without an event".into(),
                    ));
                }
            }
            other => {
                report.problems.push(at(ProblemKind::Malformed, Some(seq), format!("unknown record type {other:?}")));
            }
        }
        expected_seq = seq + 1;
        prev = hash;
    }
    if summary.records == 0 {
        report.problems.push(problem(ProblemKind::Malformed, path, None, None, "the segment has no header"));
    }
    summary.unsealed_tail = summary.records - summary.sealed_records;
    summary.state = if !header_ok {
        SegmentState::Invalid
    } else if let Some(reason) = &final_reason {
        if reason == REASON_RECOVERED {
            SegmentState::Recovered
        } else {
            SegmentState::Closed
        }
    } else if live {
        SegmentState::Live
    } else {
        SegmentState::Unclosed
    };
    if let Some(rest) = torn {
        if live {
            report.notes.push(format!("{}: a record is being written ({} bytes so far)", path.display(), rest.len()));
        } else {
            report.problems.push(problem(
                ProblemKind::TornTail,
                path,
                Some(lines.len() as u64 + 1),
                None,
                format!("the file ends in a partial line of {} bytes", rest.len()),
            ));
        }
    }
    match summary.state {
        SegmentState::Unclosed if report.problems.len() == first_problem || summary.unsealed_tail > 0 => {
            report.problems.push(problem(
                ProblemKind::Unclosed,
                path,
                None,
                Some(expected_seq),
                format!(
                    "no final checkpoint and no writer: the tail was truncated, or the writer died and the log \
                     was not opened since ({} records after the last valid signature)",
                    summary.unsealed_tail
                ),
            ));
        }
        SegmentState::Unclosed => {
            report.problems.push(problem(ProblemKind::Unclosed, path, None, Some(expected_seq), "no final checkpoint"));
        }
        SegmentState::Live if summary.unsealed_tail > 0 => report.notes.push(format!(
            "{}: live segment, {} records after its last checkpoint are not signed yet",
            path.display(),
            summary.unsealed_tail
        )),
        _ => {}
    }
    summary
}

/// Every number from 1 to the store's segment count must name exactly one segment.
fn check_numbers(dir: &Path, report: &mut VerifyReport) {
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    for segment in &report.segments {
        for number in segment.number.iter().chain(&segment.resumed_numbers) {
            *seen.entry(*number).or_default() += 1;
        }
    }
    let pruned_ranges = report.pruned_numbers.clone();
    let pruned = |number: u64| pruned_ranges.iter().any(|[first, last]| (*first..=*last).contains(&number));
    let counted = fs::read_to_string(dir.join(COUNTER_FILE_NAME)).ok().and_then(|t| t.trim().parse::<u64>().ok());
    let highest = seen.keys().next_back().copied().unwrap_or(0).max(counted.unwrap_or(0));
    for number in 1..=highest {
        match seen.get(&number) {
            None if pruned(number) => {}
            None => report.problems.push(problem(
                ProblemKind::MissingSegment,
                dir,
                None,
                None,
                format!("segment number {number} of {highest} is missing (a segment file was deleted)"),
            )),
            Some(&count) if count > 1 => report.problems.push(problem(
                ProblemKind::DuplicateSegment,
                dir,
                None,
                None,
                format!("segment number {number} appears {count} times"),
            )),
            Some(_) => {}
        }
    }
    if counted.is_none() && highest > 0 {
        report.notes.push(format!(
            "{} is missing; deleted segments after the last one found cannot be seen",
            COUNTER_FILE_NAME
        ));
    }
}

/// One event read from a log.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedEvent {
    /// The segment file.
    pub segment: PathBuf,
    /// The record's sequence number in its segment.
    pub seq: u64,
    /// The CloudTrail-shaped event.
    pub event: Value,
}

/// Every event of the log in `dir` (or the segment file `dir`), ordered by event time, then
/// segment and sequence. Reads without verifying: run [`verify`] to trust the result. Holds the
/// whole log in memory; [`EventReader`] streams it.
pub fn read_events(dir: &Path) -> Result<Vec<LoggedEvent>> {
    let mut events = EventReader::open(dir)?.collect::<Result<Vec<_>>>()?;
    // The reader's merge is already in this order unless a segment's own times step back
    // (two threads that stamped their events in one order and appended them in the other).
    events.sort_by(|a, b| {
        let time = |e: &LoggedEvent| e.event["eventTime"].as_str().unwrap_or("").to_owned();
        time(a).cmp(&time(b)).then_with(|| a.segment.cmp(&b.segment)).then(a.seq.cmp(&b.seq))
    });
    Ok(events)
}

/// The events of a log (a folder, or one segment file) one at a time, with memory bounded by
/// the segments being read, not by the size of the log: for huge logs, `keystead audit show`
/// and the bindings' event readers.
///
/// **Not verified**: lines that are not JSON event records are skipped, as [`read_events`]
/// does; run [`verify`] to trust what it yields.
///
/// Order: a merge of the segments by (`eventTime`, segment, `seq`). A segment file is opened
/// only once the merge reaches the time in its name (its creation), and closed at its end, so
/// the segments open at once are those whose writers overlapped in time. The order is
/// [`read_events`]'s whenever each segment's event times do not step back; where they do
/// (events stamped by two threads in one order and appended in the other, within a second),
/// those events come in file order.
pub struct EventReader {
    /// Segments not opened yet, by name (creation time); the earliest last.
    pending: Vec<(String, PathBuf)>,
    /// Segments being read, each with its next event.
    open: Vec<SegmentCursor>,
}

struct SegmentCursor {
    file: PathBuf,
    lines: BufReader<File>,
    next: Option<(String, LoggedEvent)>,
}

impl SegmentCursor {
    /// Reads up to the next event record; `Ok(None)` at the end of the file.
    fn advance(&mut self) -> Result<()> {
        let mut line = Vec::new();
        self.next = loop {
            line.clear();
            let read = self
                .lines
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::internal(format!("Cannot read {}: {e}", self.file.display())))?;
            if read == 0 {
                break None;
            }
            let Ok(mut record) = serde_json::from_slice::<Value>(&line) else { continue };
            if record["type"] != TYPE_EVENT {
                continue;
            }
            let seq = record["seq"].as_u64().unwrap_or(0);
            let event = record.get_mut("event").map(Value::take).unwrap_or(Value::Null);
            let time = event["eventTime"].as_str().unwrap_or("").to_owned();
            break Some((time, LoggedEvent { segment: self.file.clone(), seq, event }));
        };
        Ok(())
    }
}

/// The creation time in a segment's name (`20261129T073517Z-...`) as an event time
/// (`2026-11-29T07:35:17Z`), or "" for a name not in that form (opened at once).
fn segment_start(file: &Path) -> String {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let b = name.as_bytes();
    let well_formed =
        b.len() >= 16 && b[8] == b'T' && b[15] == b'Z' && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit);
    if !well_formed {
        return String::new();
    }
    format!("{}-{}-{}T{}:{}:{}Z", &name[..4], &name[4..6], &name[6..8], &name[9..11], &name[11..13], &name[13..15])
}

impl EventReader {
    /// A reader over the log in `dir` (a log folder, or one segment file). Errors:
    /// `KMSInternalException` if the folder cannot be listed.
    pub fn open(dir: &Path) -> Result<Self> {
        let files = if dir.is_dir() {
            segment_files(dir).map_err(|e| Error::internal(format!("Cannot read {}: {e}", dir.display())))?
        } else {
            vec![dir.to_owned()]
        };
        let mut pending: Vec<(String, PathBuf)> = files.into_iter().map(|f| (segment_start(&f), f)).collect();
        // Stable, so files of one start time keep their name order; reversed to pop the first.
        pending.sort_by(|a, b| a.0.cmp(&b.0));
        pending.reverse();
        Ok(Self { pending, open: Vec::new() })
    }

    /// The open segment holding the earliest next event.
    fn earliest(&self) -> Option<usize> {
        let key = |i: usize| self.open[i].next.as_ref().map(|(time, e)| (time.as_str(), &self.open[i].file, e.seq));
        (0..self.open.len()).min_by(|&a, &b| key(a).cmp(&key(b)))
    }

    fn open_next_pending(&mut self) -> Result<()> {
        let Some((_, file)) = self.pending.pop() else { return Ok(()) };
        let handle = File::open(&file).map_err(|e| Error::internal(format!("Cannot read {}: {e}", file.display())))?;
        let mut cursor = SegmentCursor { file, lines: BufReader::new(handle), next: None };
        cursor.advance()?;
        if cursor.next.is_some() {
            self.open.push(cursor);
        }
        Ok(())
    }

    fn next_event(&mut self) -> Result<Option<LoggedEvent>> {
        // Open every segment created at or before the earliest event in hand: one of its
        // events may come first.
        while let Some((start, _)) = self.pending.last() {
            let due = match self.earliest().and_then(|i| self.open[i].next.as_ref()) {
                None => true,
                Some((time, _)) => start.as_str() <= time.as_str(),
            };
            if !due {
                break;
            }
            self.open_next_pending()?;
        }
        let Some(i) = self.earliest() else { return Ok(None) };
        let cursor = &mut self.open[i];
        let event = cursor.next.take().map(|(_, e)| e);
        cursor.advance()?;
        if cursor.next.is_none() {
            self.open.swap_remove(i);
        }
        Ok(event)
    }
}

impl Iterator for EventReader {
    type Item = Result<LoggedEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_event() {
            Ok(event) => event.map(Ok),
            Err(e) => {
                // A read error ends the stream: the caller cannot tell what it skipped.
                self.pending.clear();
                self.open.clear();
                Some(Err(e))
            }
        }
    }
}
