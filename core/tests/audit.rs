//! The audit log: round trip, every tamper kind, concurrency (threads and processes), crash
//! recovery, fail-closed appends (full disk, unwritable folder) and no secret in the output.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use keystead_core::audit::{
    read_events, store_public_key, verify, AuditEvent, AuditKeys, AuditLog, AuditOptions, Durability, ProblemKind,
    SegmentState, VerifyReport,
};
use keystead_core::{EncryptionContext, ErrorKind, Keystead, StoreIdentity};
use serde_json::{json, Value};

fn identity() -> StoreIdentity {
    StoreIdentity { partition: "aws".into(), region: "eu-west-1".into(), account_id: "111122223333".into() }
}

const ALICE: &str = "arn:aws:iam::111122223333:user/Alice";

fn key_arn(n: u32) -> String {
    identity().key_arn(&format!("00000000-0000-4000-8000-{n:012}"))
}

fn event(n: u32) -> AuditEvent {
    let arn = key_arn(n % 3);
    AuditEvent::new(if n.is_multiple_of(2) { "Encrypt" } else { "Decrypt" }, ALICE, &identity())
        .key(arn.clone())
        .request(json!({"keyId": arn, "encryptionAlgorithm": "SYMMETRIC_DEFAULT", "n": n}))
        .additional(json!({"keyMaterialId": "m", "keyVersion": 1}))
}

fn options(checkpoint_every: u64) -> AuditOptions {
    AuditOptions { checkpoint_every, checkpoint_interval: None, ..AuditOptions::default() }
}

/// A closed log of `events` events in a fresh folder; returns (folder guard, log dir, keys' public key).
fn closed_log(events: u32, checkpoint_every: u64) -> (tempfile::TempDir, PathBuf, keystead_core::AuditPublicKey) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let log = AuditLog::open(&dir, AuditKeys::generate().unwrap(), options(checkpoint_every)).unwrap();
    for n in 0..events {
        log.append(event(n)).unwrap();
    }
    let key = log.public_key().clone();
    log.close().unwrap();
    (tmp, dir, key)
}

fn only_segment(dir: &Path) -> PathBuf {
    let segments: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    assert_eq!(segments.len(), 1, "{segments:?}");
    segments[0].clone()
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

fn kinds(report: &VerifyReport) -> BTreeSet<ProblemKind> {
    report.problems.iter().map(|p| p.kind).collect()
}

#[test]
fn round_trip_verifies_and_reads_back() {
    let (_tmp, dir, key) = closed_log(25, 10);
    let report = verify(&dir, &key).unwrap();
    assert!(report.is_valid(), "{report:#?}");
    assert_eq!(report.events, 25);
    // header + 25 events + checkpoints after 10 and 20 records + close = 29 records.
    assert_eq!(report.checkpoints, 3);
    assert_eq!(report.records, 29);
    assert_eq!(report.segments.len(), 1);
    assert_eq!(report.segments[0].state, SegmentState::Closed);
    assert_eq!(report.segments[0].number, Some(1));
    assert_eq!(report.segments[0].unsealed_tail, 0);
    let events = read_events(&dir).unwrap();
    assert_eq!(events.len(), 25);
    let ns: BTreeSet<u64> = events.iter().map(|e| e.event["requestParameters"]["n"].as_u64().unwrap()).collect();
    assert_eq!(ns, (0..25).collect());
    let first = &events.iter().find(|e| e.event["requestParameters"]["n"] == 0).unwrap().event;
    assert_eq!(first["eventName"], "Encrypt");
    assert_eq!(first["eventSource"], "kms.amazonaws.com");
    assert_eq!(first["userIdentity"]["arn"], ALICE);
    assert_eq!(first["resources"][0]["ARN"], key_arn(0));
    // The trusted key matters: another key's verifier rejects every header.
    let stranger = AuditKeys::generate().unwrap();
    let report = verify(&dir, stranger.public_key()).unwrap();
    assert!(report.has(ProblemKind::WrongKey), "{report:#?}");
}

#[test]
fn deleting_a_middle_record_is_detected() {
    let (_tmp, dir, key) = closed_log(20, 5);
    let segment = only_segment(&dir);
    let mut all = lines(&segment);
    all.remove(8);
    write_lines(&segment, &all);
    let report = verify(&dir, &key).unwrap();
    assert!(!report.is_valid());
    let found = kinds(&report);
    assert!(found.contains(&ProblemKind::Sequence) && found.contains(&ProblemKind::ChainBroken), "{found:?}");
    assert_eq!(report.first_problem().unwrap().line, Some(9));
}

#[test]
fn editing_a_field_is_detected_even_with_the_chain_recomputed() {
    let (_tmp, dir, key) = closed_log(20, 5);
    let segment = only_segment(&dir);
    let original = lines(&segment);

    // A plain edit: the record's hash no longer matches.
    let mut edited = original.clone();
    edited[4] = edited[4].replace("\"Decrypt\"", "\"Encrypt\"");
    assert_ne!(edited[4], original[4]);
    write_lines(&segment, &edited);
    let report = verify(&dir, &key).unwrap();
    assert_eq!(report.first_problem().unwrap().kind, ProblemKind::Edited, "{report:#?}");
    assert_eq!(report.first_problem().unwrap().line, Some(5));

    // A whitespace-only edit changes no value but is still not the canonical line.
    let mut spaced = original.clone();
    spaced[3] = spaced[3].replacen(":", ": ", 1);
    write_lines(&segment, &spaced);
    assert!(verify(&dir, &key).unwrap().has(ProblemKind::Edited));

    // An attacker without the signing key recomputes every hash after the edit: the chain is
    // consistent again, but the next checkpoint's signature no longer covers it.
    let mut rechained = original;
    rechained[4] = rechained[4].replace("\"Decrypt\"", "\"Encrypt\"");
    rehash_from(&mut rechained, 4);
    write_lines(&segment, &rechained);
    let report = verify(&dir, &key).unwrap();
    let first = report.first_problem().unwrap();
    assert_eq!((first.kind, first.line), (ProblemKind::BadSignature, Some(7)), "{report:#?}");
    let found = kinds(&report);
    assert!(!found.contains(&ProblemKind::Edited) && !found.contains(&ProblemKind::ChainBroken), "{found:?}");
    // With every signature void, the final checkpoint no longer seals the segment either.
    assert!(found.contains(&ProblemKind::Unclosed), "{found:?}");
}

/// Recomputes `hash` (and the next `prev`) of every record from `from` on, as an attacker
/// without the signing key can (signatures are left as they are).
fn rehash_from(lines: &mut [String], from: usize) {
    let mut prev: String = {
        let v: Value = serde_json::from_str(&lines[from - 1]).unwrap();
        v["hash"].as_str().unwrap().to_owned()
    };
    for line in lines.iter_mut().skip(from) {
        let mut record: Value = serde_json::from_str(line).unwrap();
        record["prev"] = Value::String(prev.clone());
        let sig = record.as_object_mut().unwrap().remove("sig");
        record.as_object_mut().unwrap().remove("hash");
        let mut hasher = openssl::sha::Sha256::new();
        hasher.update(b"keystead-audit/1\n");
        hasher.update(canonical(&record).as_bytes());
        let hash: String = hasher.finish().iter().map(|b| format!("{b:02x}")).collect();
        record["hash"] = Value::String(hash.clone());
        if let Some(sig) = sig {
            record["sig"] = sig;
        }
        *line = canonical(&record);
        prev = hash;
    }
}

/// Canonical JSON as docs/audit.md defines it, written independently of the crate.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut members: Vec<_> = map.iter().collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let inner: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), canonical(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => serde_json::to_string(other).unwrap(),
    }
}

#[test]
fn the_tests_canonical_form_matches_the_written_lines() {
    let (_tmp, dir, _key) = closed_log(6, 3);
    for line in lines(&only_segment(&dir)) {
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(canonical(&value), line);
    }
}

#[test]
fn swapping_two_records_is_detected() {
    let (_tmp, dir, key) = closed_log(20, 5);
    let segment = only_segment(&dir);
    let mut all = lines(&segment);
    all.swap(2, 3);
    write_lines(&segment, &all);
    let report = verify(&dir, &key).unwrap();
    let found = kinds(&report);
    assert!(found.contains(&ProblemKind::Sequence) && found.contains(&ProblemKind::ChainBroken), "{found:?}");
}

#[test]
fn truncating_the_tail_is_detected() {
    let (_tmp, dir, key) = closed_log(20, 5);
    let segment = only_segment(&dir);
    let all = lines(&segment);
    // Drop the close checkpoint and the two events before it.
    write_lines(&segment, &all[..all.len() - 3]);
    let report = verify(&dir, &key).unwrap();
    assert_eq!(report.segments[0].state, SegmentState::Unclosed);
    assert!(report.has(ProblemKind::Unclosed), "{report:#?}");
    // Cutting in the middle of a line is a torn tail as well.
    let text = fs::read_to_string(&segment).unwrap();
    fs::write(&segment, &text[..text.len() - 10]).unwrap();
    assert!(verify(&dir, &key).unwrap().has(ProblemKind::TornTail));
}

#[test]
fn removing_a_whole_segment_is_detected() {
    let store_dir = tempfile::tempdir().unwrap();
    let store = Keystead::builder().without_audit().open(store_dir.path()).unwrap();
    let mut paths = Vec::new();
    for n in 0..3 {
        let log = AuditLog::for_store(&store, store_dir.path(), options(5)).unwrap();
        log.append(event(n)).unwrap();
        paths.push(log.segment_path().unwrap());
        log.close().unwrap();
    }
    let audit_dir = store_dir.path().join("audit");
    let key = store_public_key(store_dir.path()).unwrap().unwrap();
    assert!(verify(&audit_dir, &key).unwrap().is_valid());
    // A middle segment deleted: its number is missing.
    let saved = fs::read(&paths[1]).unwrap();
    fs::remove_file(&paths[1]).unwrap();
    let report = verify(&audit_dir, &key).unwrap();
    assert_eq!(kinds(&report), BTreeSet::from([ProblemKind::MissingSegment]), "{report:#?}");
    fs::write(&paths[1], saved).unwrap();
    // The newest segment deleted: the segment count still names it.
    fs::remove_file(&paths[2]).unwrap();
    let report = verify(&audit_dir, &key).unwrap();
    assert_eq!(kinds(&report), BTreeSet::from([ProblemKind::MissingSegment]), "{report:#?}");
}

#[test]
fn forged_checkpoints_are_detected() {
    let (_tmp, dir, key) = closed_log(12, 5);
    let segment = only_segment(&dir);
    let original = lines(&segment);
    let checkpoint_at = original.iter().position(|l| l.contains("\"type\":\"checkpoint\"")).unwrap();

    // Claim a different record count and re-hash: the signature no longer matches.
    let mut forged = original.clone();
    forged[checkpoint_at] = forged[checkpoint_at].replace("\"reason\":\"count\"", "\"reason\":\"close\"");
    rehash_from(&mut forged, checkpoint_at);
    write_lines(&segment, &forged);
    let report = verify(&dir, &key).unwrap();
    assert_eq!(report.first_problem().unwrap().kind, ProblemKind::BadSignature, "{report:#?}");

    // A checkpoint signed with another key, appended after truncation, does not seal anything.
    let other = AuditLog::open(dir.with_file_name("other"), AuditKeys::generate().unwrap(), options(1)).unwrap();
    other.append(event(0)).unwrap();
    other.close().unwrap();
    let foreign_close = lines(&only_segment(&dir.with_file_name("other"))).pop().unwrap();
    let mut spliced = original[..original.len() - 1].to_vec();
    spliced.push(foreign_close);
    rehash_from(&mut spliced, original.len() - 1);
    write_lines(&segment, &spliced);
    let report = verify(&dir, &key).unwrap();
    assert!(report.has(ProblemKind::BadSignature), "{report:#?}");
    assert!(report.has(ProblemKind::Unclosed), "{report:#?}");
}

#[test]
fn concurrent_appends_from_eight_threads_lose_nothing() {
    for durability in [
        Durability::PerRecord,
        Durability::default(),
        Durability::Batched { max_delay: Duration::from_millis(1), max_records: 7 },
        Durability::Off,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("audit");
        let log =
            AuditLog::open(&dir, AuditKeys::generate().unwrap(), AuditOptions { durability, ..options(97) }).unwrap();
        let threads: Vec<_> = (0..8u32)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..250 {
                        log.append(event(t * 1000 + i)).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let key = log.public_key().clone();
        drop(log);
        let report = verify(&dir, &key).unwrap();
        assert!(report.is_valid(), "{durability:?}: {report:#?}");
        assert_eq!(report.events, 2000, "{durability:?}");
        let ns: BTreeSet<u64> =
            read_events(&dir).unwrap().iter().map(|e| e.event["requestParameters"]["n"].as_u64().unwrap()).collect();
        assert_eq!(ns.len(), 2000);
    }
}

#[test]
fn a_record_is_in_the_file_when_append_returns() {
    for durability in [Durability::PerRecord, Durability::default(), Durability::Off] {
        let tmp = tempfile::tempdir().unwrap();
        let log = AuditLog::open(tmp.path(), AuditKeys::generate().unwrap(), options(1000)).unwrap();
        let _ = durability;
        let path = log.segment_path().unwrap();
        for n in 0..5 {
            let event = event(n);
            let id = event.event_id().to_owned();
            log.append(event).unwrap();
            assert!(fs::read_to_string(&path).unwrap().contains(&id), "{durability:?}: record {n} not written");
        }
        // Verified while the writer is live: valid, with an unsealed tail.
        let report = verify(tmp.path(), log.public_key()).unwrap();
        assert!(report.is_valid(), "{report:#?}");
        assert_eq!(report.segments[0].state, SegmentState::Live);
        assert_eq!(report.segments[0].unsealed_tail, 5);
    }
}

#[test]
fn interval_checkpoints_seal_the_tail() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = AuditOptions { checkpoint_interval: Some(Duration::from_millis(30)), ..options(1000) };
    let log = AuditLog::open(tmp.path(), AuditKeys::generate().unwrap(), opts).unwrap();
    for n in 0..3 {
        log.append(event(n)).unwrap();
    }
    let mut report = verify(tmp.path(), log.public_key()).unwrap();
    for _ in 0..100 {
        if report.segments[0].unsealed_tail == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        report = verify(tmp.path(), log.public_key()).unwrap();
    }
    assert!(report.is_valid(), "{report:#?}");
    assert_eq!(report.segments[0].unsealed_tail, 0, "{report:#?}");
    assert_eq!(report.checkpoints, 1);
}

const CHILD_DIR_ENV: &str = "KEYSTEAD_AUDIT_CHILD_DIR";
const CHILD_MODE_ENV: &str = "KEYSTEAD_AUDIT_CHILD_MODE";

/// The child process body (runs only when the parent sets the variables): opens the store's
/// audit log and appends events; `crash` leaves without closing (as a kill would), `full`
/// appends until the disk is full and reports the error.
#[test]
fn child_process_entry() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else { return };
    let mode = std::env::var(CHILD_MODE_ENV).unwrap_or_default();
    let dir = PathBuf::from(dir);
    match mode.as_str() {
        "append" | "crash" => {
            let store = Keystead::builder().without_audit().open(&dir).unwrap();
            let log = AuditLog::for_store(&store, &dir, options(50)).unwrap();
            for n in 0..300 {
                log.append(event(std::process::id() * 1000 + n)).unwrap();
            }
            if mode == "crash" {
                // Like kill -9: no destructor runs, the segment is never closed.
                std::process::exit(0);
            }
            log.close().unwrap();
        }
        "full" => {
            let log = AuditLog::open(&dir, AuditKeys::generate().unwrap(), options(50)).unwrap();
            let mut written = 0;
            let error = loop {
                match log.append(event(written)) {
                    Ok(()) => written += 1,
                    Err(e) => break e,
                }
                assert!(written < 1_000_000, "the disk never filled");
            };
            assert_eq!(error.kind(), ErrorKind::Internal);
            assert!(error.message().contains("No space left"), "{error:?}");
            assert!(written > 0);
            // Still failing: there is no room for a new segment either.
            assert!(log.append(event(0)).is_err());
            println!("@@FULL after {written} records: {error}");
        }
        "unwritable" => {
            let audit = dir.join("audit");
            let err = AuditLog::open(&audit, AuditKeys::generate().unwrap(), options(50)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Internal);
            assert!(err.message().contains("Permission denied"), "{err:?}");
            println!("@@UNWRITABLE {err}");
        }
        other => panic!("unknown child mode {other}"),
    }
}

fn child(dir: &Path, mode: &str, wrapper: &[&str]) -> Command {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(wrapper.first().copied().unwrap_or(exe.to_str().unwrap()));
    if !wrapper.is_empty() {
        command.args(&wrapper[1..]).arg(&exe);
    }
    command.args(["--exact", "child_process_entry", "--nocapture", "--test-threads=1"]);
    command.env(CHILD_DIR_ENV, dir).env(CHILD_MODE_ENV, mode);
    command
}

#[test]
fn two_processes_append_to_one_store() {
    let tmp = tempfile::tempdir().unwrap();
    Keystead::builder().without_audit().open(tmp.path()).unwrap();
    let children: Vec<_> = (0..2).map(|_| child(tmp.path(), "append", &[]).spawn().unwrap()).collect();
    // This process writes at the same time.
    let store = Keystead::builder().without_audit().open(tmp.path()).unwrap();
    let log = AuditLog::for_store(&store, tmp.path(), options(50)).unwrap();
    for n in 0..300 {
        log.append(event(n)).unwrap();
    }
    log.close().unwrap();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let key = store_public_key(tmp.path()).unwrap().unwrap();
    let report = verify(&tmp.path().join("audit"), &key).unwrap();
    assert!(report.is_valid(), "{report:#?}");
    // Three writers; one that started after another closed may have continued its segment.
    assert!((1..=3).contains(&report.segments.len()), "{report:#?}");
    assert_eq!(report.events, 900);
    let numbers: BTreeSet<u64> =
        report.segments.iter().flat_map(|s| s.number.into_iter().chain(s.resumed_numbers.iter().copied())).collect();
    assert_eq!(numbers, BTreeSet::from([1, 2, 3]));
}

#[test]
fn a_crashed_writers_segment_is_sealed_by_the_next_opener() {
    let tmp = tempfile::tempdir().unwrap();
    Keystead::builder().without_audit().open(tmp.path()).unwrap();
    assert!(child(tmp.path(), "crash", &[]).status().unwrap().success());
    let key = store_public_key(tmp.path()).unwrap().unwrap();
    let audit = tmp.path().join("audit");
    let report = verify(&audit, &key).unwrap();
    assert!(report.has(ProblemKind::Unclosed), "{report:#?}");
    assert_eq!(report.events, 300);
    // Opening the log again seals the dead segment with a signed "recovered" checkpoint.
    let store = Keystead::builder().without_audit().open(tmp.path()).unwrap();
    let log = AuditLog::for_store(&store, tmp.path(), options(50)).unwrap();
    log.append(event(7)).unwrap();
    log.close().unwrap();
    let report = verify(&audit, &key).unwrap();
    assert!(report.is_valid(), "{report:#?}");
    assert_eq!(report.events, 301);
    // The sealed segment of the dead writer is continued by the new one (a signed resume
    // record after the recovered seal), then closed.
    let states: Vec<SegmentState> = report.segments.iter().map(|s| s.state).collect();
    assert_eq!(states, vec![SegmentState::Closed]);
    assert_eq!(report.segments[0].resumed_numbers, vec![2]);
    assert!(report.notes.iter().any(|n| n.contains("without closing")), "{:?}", report.notes);
}

#[test]
fn fail_closed_when_the_disk_fills_mid_record() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = AuditOptions { fail_after_bytes: Some(20_000), ..options(10) };
    let log = AuditLog::open(tmp.path(), AuditKeys::generate().unwrap(), opts).unwrap();
    let mut ok = Vec::new();
    let mut failed = None;
    for n in 0..1000 {
        match log.append(event(n)) {
            Ok(()) => ok.push(n),
            Err(e) => {
                failed = Some((n, e));
                break;
            }
        }
    }
    let (failed_n, error) = failed.expect("the budget must run out");
    assert_eq!(error.kind(), ErrorKind::Internal);
    assert!(error.message().contains("No space left"), "{error:?}");
    // The next append starts a new segment (which seals the torn one) and succeeds.
    log.append(event(5000)).unwrap();
    ok.push(5000);
    let key = log.public_key().clone();
    log.close().unwrap();
    let report = verify(tmp.path(), &key).unwrap();
    assert!(report.is_valid(), "{report:#?}");
    // The failed segment was sealed (its torn line dropped) and continued by the next writer.
    assert_eq!(report.segments.len(), 1);
    assert_eq!(report.segments[0].resumed_numbers, vec![2]);
    let logged: Vec<u64> =
        read_events(tmp.path()).unwrap().iter().map(|e| e.event["requestParameters"]["n"].as_u64().unwrap()).collect();
    let mut logged_sorted = logged.clone();
    logged_sorted.sort_unstable();
    assert_eq!(logged_sorted, ok.iter().map(|&n| u64::from(n)).collect::<Vec<_>>());
    assert!(!logged.contains(&u64::from(failed_n)), "the failed record must not be in the log");
}

/// Runs `command`; `None` if the sandbox cannot be made here (the test then says so).
fn run_sandboxed(mut command: Command, what: &str) -> Option<String> {
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() && !stdout.contains("child_process_entry") {
        eprintln!("SKIPPED {what}: cannot set up the sandbox here: {stderr}");
        return None;
    }
    assert!(output.status.success(), "{what}: child failed:\n{stdout}\n{stderr}");
    Some(stdout)
}

#[test]
fn fail_closed_on_a_real_full_filesystem() {
    let tmp = tempfile::tempdir().unwrap();
    let mount = tmp.path().join("tiny");
    fs::create_dir(&mount).unwrap();
    // A 64 KiB tmpfs in a private mount namespace (user namespace: no root needed).
    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "mount -t tmpfs -o size=64k tmpfs '{}' && exec '{}' --exact child_process_entry --nocapture --test-threads=1",
        mount.display(),
        exe.display()
    );
    let mut command = Command::new("unshare");
    command.args(["-r", "-m", "sh", "-c", &script]).env(CHILD_DIR_ENV, &mount).env(CHILD_MODE_ENV, "full");
    if let Some(out) = run_sandboxed(command, "full filesystem") {
        assert!(out.contains("@@FULL after"), "{out}");
    }
}

#[test]
fn fail_closed_on_an_unwritable_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let audit = tmp.path().join("audit");
    fs::create_dir(&audit).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&audit, fs::Permissions::from_mode(0o500)).unwrap();
    // Root ignores permission bits; then drop the capabilities that let it.
    let privileged = fs::write(audit.join("probe"), b"x").is_ok();
    let wrapper: &[&str] =
        if privileged { &["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"] } else { &[] };
    if let Some(out) = run_sandboxed(child(tmp.path(), "unwritable", wrapper), "unwritable folder") {
        assert!(out.contains("@@UNWRITABLE"), "{out}");
    }
    fs::set_permissions(&audit, fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn hmac_context_values_never_appear_in_the_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let secret_value = "4111-1111-1111-1111-card-number";
    let context = EncryptionContext::from([("card".to_string(), secret_value.to_string())]);
    for hmac in [true, false] {
        let dir = tmp.path().join(format!("hmac-{hmac}"));
        let opts = AuditOptions { hmac_context_values: hmac, ..options(3) };
        let log = AuditLog::open(&dir, AuditKeys::generate().unwrap(), opts).unwrap();
        let redacted = log.redact_context(&context);
        for n in 0..5 {
            log.append(event(n).request(json!({"keyId": key_arn(1), "encryptionContext": redacted}))).unwrap();
        }
        let mac = log.hmac_value(secret_value);
        log.close().unwrap();
        let all: String = fs::read_dir(&dir).unwrap().map(|e| fs::read_to_string(e.unwrap().path()).unwrap()).collect();
        assert!(all.contains("\"card\""), "context keys stay in the clear");
        if hmac {
            assert!(!all.contains(secret_value), "a HMAC'd value is in the clear");
            assert!(mac.starts_with("hmac-sha256:") && mac.len() == 12 + 64);
            assert_eq!(all.matches(&mac).count(), 5);
        } else {
            // The scan can find the value when it is logged in the clear (as AWS does).
            assert_eq!(all.matches(secret_value).count(), 5);
        }
    }
}

#[test]
fn store_held_keys_verify_with_the_public_key_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Keystead::builder().without_audit().open(tmp.path()).unwrap();
    let log = AuditLog::for_store(&store, tmp.path(), options(2)).unwrap();
    for n in 0..5 {
        log.append(event(n)).unwrap();
    }
    log.close().unwrap();
    let from_store = store_public_key(tmp.path()).unwrap().unwrap();
    assert_eq!(&from_store, log.public_key());
    assert_eq!(store.audit_public_key().unwrap(), from_store);
    let pem = fs::read_to_string(tmp.path().join("audit").join("public-key.pem")).unwrap();
    let from_pem = keystead_core::AuditPublicKey::from_pem_or_base64(&pem).unwrap();
    assert_eq!(from_pem, from_store);
    assert!(verify(&tmp.path().join("audit"), &from_pem).unwrap().is_valid());
}

/// Encrypt throughput with an audit record per call (as the store's wrapper will write it)
/// against no audit, per durability mode, one thread and 8 threads. Runs are interleaved so
/// that machine load hits every mode alike. Figures:
/// `cargo test --release -p keystead-core --test audit -- --ignored --nocapture encrypt_throughput`.
#[test]
#[ignore = "a measurement, not a check"]
fn encrypt_throughput_with_and_without_audit() {
    use keystead_core::{CreateKeyRequest, EncryptRequest};
    use std::time::Instant;
    let tmp = tempfile::tempdir().unwrap();
    let store = Keystead::builder().without_audit().open(tmp.path()).unwrap();
    let key_id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let arn = store.identity().key_arn(&key_id);
    let context = EncryptionContext::from([("order".to_string(), "42".to_string())]);
    let modes: [(&str, Option<Durability>); 4] = [
        ("off (no AuditLog)", None),
        ("Durability::Off", Some(Durability::Off)),
        ("Batched 10 ms", Some(Durability::default())),
        ("PerRecord", Some(Durability::PerRecord)),
    ];
    let logs: Vec<Option<AuditLog>> = modes
        .iter()
        .map(|(_, d)| {
            d.map(|durability| {
                let opts = AuditOptions { durability, ..AuditOptions::default() };
                AuditLog::for_store(&store, tmp.path(), opts).unwrap()
            })
        })
        .collect();
    let append_nanos = std::sync::atomic::AtomicU64::new(0);
    let one_call = |log: &Option<AuditLog>| {
        let sealed = store
            .encrypt(EncryptRequest {
                key_id: &key_id,
                plaintext: b"4111 1111 1111 1111",
                encryption_context: Some(&context),
                ..Default::default()
            })
            .unwrap();
        if let Some(log) = log {
            let started = Instant::now();
            log.append(
                AuditEvent::new("Encrypt", ALICE, store.identity())
                    .key(arn.clone())
                    .request(json!({
                        "keyId": arn,
                        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                        "encryptionContext": log.redact_context(&context),
                    }))
                    .additional(json!({"keyVersion": 1, "ciphertextBytes": sealed.ciphertext_blob.len()})),
            )
            .unwrap();
            append_nanos.fetch_add(started.elapsed().as_nanos() as u64, std::sync::atomic::Ordering::Relaxed);
        }
    };
    for threads in [1usize, 8] {
        let per_thread = if threads == 1 { 4000 } else { 1000 };
        let mut totals = vec![Duration::ZERO; modes.len()];
        for _round in 0..3 {
            for (i, log) in logs.iter().enumerate() {
                if threads == 1 && _round == 0 {
                    append_nanos.store(0, std::sync::atomic::Ordering::Relaxed);
                }
                let started = Instant::now();
                std::thread::scope(|scope| {
                    for _ in 0..threads {
                        scope.spawn(|| (0..per_thread).for_each(|_| one_call(log)));
                    }
                });
                totals[i] += started.elapsed();
                if threads == 1 && _round == 0 && log.is_some() {
                    let per = append_nanos.load(std::sync::atomic::Ordering::Relaxed) as f64 / per_thread as f64;
                    println!("  {}: {per:.0} ns per append (wall, one thread)", modes[i].0);
                }
            }
        }
        let calls = (3 * threads * per_thread) as f64;
        let base = calls / totals[0].as_secs_f64();
        for (i, (name, _)) in modes.iter().enumerate() {
            let rate = calls / totals[i].as_secs_f64();
            println!("{threads} thread(s), {name:<18}: {rate:>9.0} Encrypt/s  ({:.2}x of no audit)", rate / base);
        }
    }
}

/// Where an append's time goes: building the event, and the append itself per mode.
/// `cargo test --release -p keystead-core --test audit -- --ignored --nocapture append_cost`
#[test]
#[ignore = "a measurement, not a check"]
fn append_cost() {
    use std::time::Instant;
    let n = 20_000u32;
    let context = EncryptionContext::from([("order".to_string(), "42".to_string())]);
    let build = |log: &AuditLog, i: u32| {
        AuditEvent::new("Encrypt", ALICE, &identity()).key(key_arn(1)).request(json!({
            "keyId": key_arn(1),
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "encryptionContext": log.redact_context(&context),
            "n": i,
        }))
    };
    let tmp = tempfile::tempdir().unwrap();
    for (name, durability) in
        [("Off", Durability::Off), ("Batched", Durability::default()), ("PerRecord", Durability::PerRecord)]
    {
        let log = AuditLog::open(
            tmp.path().join(name),
            AuditKeys::generate().unwrap(),
            AuditOptions { durability, ..AuditOptions::default() },
        )
        .unwrap();
        let count = if durability == Durability::PerRecord { n / 20 } else { n };
        let started = Instant::now();
        let events: Vec<AuditEvent> = (0..count).map(|i| build(&log, i)).collect();
        let built = started.elapsed().as_nanos() as f64 / f64::from(count);
        let started = Instant::now();
        for event in events {
            log.append(event).unwrap();
        }
        let appended = started.elapsed().as_nanos() as f64 / f64::from(count);
        println!("{name:<9}: build {built:.0} ns, append {appended:.0} ns per event");
    }
}

/// Encrypt throughput of a store with its built-in audit (batched, the default; and per-record)
/// against the same store opened without audit, interleaved rounds, 1 and 8 threads.
/// `cargo test --release -p keystead-core --test audit -- --ignored --nocapture wired_encrypt`
#[test]
#[ignore = "a measurement, not a check"]
fn wired_encrypt_throughput() {
    use keystead_core::{CreateKeyRequest, EncryptRequest};
    use std::time::Instant;
    let tmp = tempfile::tempdir().unwrap();
    let plain = Keystead::builder().without_audit().open(tmp.path()).unwrap();
    let batched = Keystead::builder().audit(AuditOptions::default()).open(tmp.path()).unwrap();
    let per_record = Keystead::builder()
        .audit(AuditOptions { durability: Durability::PerRecord, ..AuditOptions::default() })
        .open(tmp.path())
        .unwrap();
    let key_id = plain.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let context = EncryptionContext::from([("order".to_string(), "42".to_string())]);
    let stores = [("no audit", &plain), ("audit batched", &batched), ("audit per-record", &per_record)];
    for threads in [1usize, 8] {
        let per_thread = if threads == 1 { 3000 } else { 600 };
        let mut totals = [Duration::ZERO; 3];
        for _round in 0..3 {
            for (i, (_, store)) in stores.iter().enumerate() {
                let started = Instant::now();
                std::thread::scope(|scope| {
                    for _ in 0..threads {
                        scope.spawn(|| {
                            for _ in 0..per_thread {
                                store
                                    .encrypt(EncryptRequest {
                                        key_id: &key_id,
                                        plaintext: b"4111 1111 1111 1111",
                                        encryption_context: Some(&context),
                                        ..Default::default()
                                    })
                                    .unwrap();
                            }
                        });
                    }
                });
                totals[i] += started.elapsed();
            }
        }
        let calls = (3 * threads * per_thread) as f64;
        let base = calls / totals[0].as_secs_f64();
        for (i, (name, _)) in stores.iter().enumerate() {
            let rate = calls / totals[i].as_secs_f64();
            println!("{threads} thread(s), {name:<17}: {rate:>8.0} Encrypt/s ({:.2}x of no audit)", rate / base);
        }
    }
}

/// The segment files of a log folder, by name.
fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

/// The writer numbers a report found (headers and resume records).
fn writer_numbers(report: &VerifyReport) -> BTreeSet<u64> {
    report.segments.iter().flat_map(|s| s.number.into_iter().chain(s.resumed_numbers.iter().copied())).collect()
}

#[test]
fn short_lived_handles_continue_the_newest_segment() {
    // 100 store handles, one after another, like 100 CLI runs: each opens the store's log,
    // writes a few events and closes.
    let tmp = tempfile::tempdir().unwrap();
    let store = Keystead::builder().without_audit().open(tmp.path()).unwrap();
    for run in 0..100u32 {
        let log = AuditLog::for_store(&store, tmp.path(), options(1000)).unwrap();
        for n in 0..3 {
            log.append(event(run * 3 + n)).unwrap();
        }
        log.close().unwrap();
    }
    let audit = tmp.path().join("audit");
    assert_eq!(segment_files(&audit).len(), 1, "the runs share one segment");
    let key = store_public_key(tmp.path()).unwrap().unwrap();
    let report = verify(&audit, &key).unwrap();
    assert!(report.is_valid(), "{report:#?}");
    assert_eq!(report.events, 300);
    assert_eq!(writer_numbers(&report), (1..=100).collect());
    // A size limit starts new segments.
    for run in 0..6u32 {
        let log =
            AuditLog::for_store(&store, tmp.path(), AuditOptions { segment_max_bytes: 1, ..options(1000) }).unwrap();
        log.append(event(run)).unwrap();
        log.close().unwrap();
    }
    assert_eq!(segment_files(&audit).len(), 7);
    assert!(verify(&audit, &key).unwrap().is_valid());
}

#[test]
fn cutting_a_continued_segment_back_to_an_earlier_seal_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Keystead::builder().without_audit().open(tmp.path()).unwrap();
    let audit = tmp.path().join("audit");
    let first = AuditLog::for_store(&store, tmp.path(), options(1000)).unwrap();
    first.append(event(1)).unwrap();
    first.close().unwrap();
    let sealed_len = fs::metadata(only_segment(&audit)).unwrap().len();
    let second = AuditLog::for_store(&store, tmp.path(), options(1000)).unwrap();
    second.append(event(2)).unwrap();
    second.close().unwrap();
    let segment = only_segment(&audit);
    let store_key = store_public_key(tmp.path()).unwrap().unwrap();
    assert!(verify(&audit, &store_key).unwrap().is_valid());
    // Cut back to the first writer's seal: the segment ends cleanly, but writer 2 is missing.
    let bytes = fs::read(&segment).unwrap();
    fs::write(&segment, &bytes[..usize::try_from(sealed_len).unwrap()]).unwrap();
    let report = verify(&audit, &store_key).unwrap();
    assert!(report.has(ProblemKind::MissingSegment), "{report:#?}");
}

#[test]
fn prune_deletes_old_segments_with_a_signed_record_and_verify_tells_it_from_deletion() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Keystead::builder().without_audit().open(tmp.path()).unwrap();
    let audit = tmp.path().join("audit");
    let separate = AuditOptions { segment_max_bytes: 0, ..options(1000) };
    // Four old segments (one file each), then a cut-off time, then one more.
    for n in 0..4 {
        let log = AuditLog::for_store(&store, tmp.path(), separate.clone()).unwrap();
        log.append(event(n)).unwrap();
        log.close().unwrap();
    }
    let old: Vec<PathBuf> = segment_files(&audit);
    let last_hashes: Vec<String> = old
        .iter()
        .map(|f| {
            let last: Value = serde_json::from_str(lines(f).last().unwrap()).unwrap();
            last["hash"].as_str().unwrap().to_owned()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    let cutoff = keystead_core::audit::parse_iso8601(&chrono_like_now()).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let recent = AuditLog::for_store(&store, tmp.path(), separate.clone()).unwrap();
    recent.append(event(10)).unwrap();
    recent.close().unwrap();
    // A live writer's segment is never pruned, whatever its age.
    let live = AuditLog::for_store(&store, tmp.path(), separate.clone()).unwrap();
    live.append(event(11)).unwrap();
    let pruner = AuditLog::for_store(&store, tmp.path(), separate.clone()).unwrap();
    let report = pruner.prune(cutoff).unwrap();
    assert_eq!(report.pruned.iter().map(|p| p.file.clone()).collect::<Vec<_>>(), old);
    assert_eq!(report.pruned.iter().map(|p| p.last_hash.clone()).collect::<Vec<_>>(), last_hashes);
    assert!(old.iter().all(|f| !f.exists()));
    pruner.append(event(12)).unwrap();
    pruner.close().unwrap();
    live.close().unwrap();
    let key = store_public_key(tmp.path()).unwrap().unwrap();
    let verified = verify(&audit, &key).unwrap();
    assert!(verified.is_valid(), "{verified:#?}");
    assert_eq!(verified.pruned_numbers, vec![[1, 4]]);
    assert!(verified.notes.iter().any(|n| n.contains("pruned on purpose")), "{:?}", verified.notes);
    assert_eq!(verified.events, 3);
    // The prune record is in the pruner's segment, signed, naming the segments and hashes.
    let texts: Vec<String> = segment_files(&audit).iter().map(|f| fs::read_to_string(f).unwrap()).collect();
    let text = texts.iter().find(|t| t.contains(r#""reason":"prune""#)).unwrap();
    for hash in &last_hashes {
        assert!(text.contains(hash.as_str()));
    }
    // A later prune that deletes the segment holding the first prune record carries its
    // numbers forward.
    let later = keystead_core::audit::parse_iso8601(&chrono_like_now()).unwrap() + 1000;
    let second = AuditLog::for_store(&store, tmp.path(), separate.clone()).unwrap();
    let report = second.prune(later).unwrap();
    assert_eq!(report.pruned.len(), 3, "{report:#?}");
    second.close().unwrap();
    let verified = verify(&audit, &key).unwrap();
    assert!(verified.is_valid(), "{verified:#?}");
    assert_eq!(segment_files(&audit).len(), 1);
    // Deleting a segment by hand is still found.
    let third = AuditLog::for_store(&store, tmp.path(), separate).unwrap();
    third.append(event(13)).unwrap();
    third.close().unwrap();
    fs::remove_file(&segment_files(&audit)[0]).unwrap();
    let verified = verify(&audit, &key).unwrap();
    assert!(verified.has(ProblemKind::MissingSegment), "{verified:#?}");
}

/// Now as ISO 8601 with milliseconds (UTC), from the system clock.
fn chrono_like_now() -> String {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    let event = AuditEvent::new("Encrypt", ALICE, &identity()).time_ms(i64::try_from(ms).unwrap());
    // eventTime has whole seconds; add the milliseconds back.
    let seconds = event.to_json()["eventTime"].as_str().unwrap().trim_end_matches('Z').to_owned();
    format!("{seconds}.{:03}Z", ms % 1000)
}
