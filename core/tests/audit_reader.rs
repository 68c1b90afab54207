//! The streaming event reader (`EventReader`) and the store-or-audit folder helper
//! (`store_and_audit_dirs`) that the CLI and the bindings share.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use keystead_core::audit::{
    read_events, store_and_audit_dirs, AuditEvent, AuditKeys, AuditLog, AuditOptions, EventReader, AUDIT_DIR_NAME,
};
use keystead_core::StoreIdentity;
use serde_json::json;

fn identity() -> StoreIdentity {
    StoreIdentity { partition: "aws".into(), region: "eu-west-1".into(), account_id: "111122223333".into() }
}

fn event(n: u32) -> AuditEvent {
    AuditEvent::new("Encrypt", "arn:aws:iam::111122223333:user/Alice", &identity()).request(json!({ "n": n }))
}

fn n_of(event: &serde_json::Value) -> u64 {
    event["requestParameters"]["n"].as_u64().unwrap()
}

/// A synthetic (unsigned: the reader does not verify) segment named after `start` (epoch s),
/// with one event per entry of `times` (epoch s), numbered from `first_n`.
fn synthetic_segment(dir: &Path, name_suffix: &str, start: i64, times: &[i64], first_n: u64) -> PathBuf {
    let iso = |s: i64| {
        let (days, rem) = (s.div_euclid(86_400), s.rem_euclid(86_400));
        // Days since 2026-01-01 within January only: enough for these tests.
        assert!(days < 31);
        format!("2026-01-{:02}T{:02}:{:02}:{:02}Z", days + 1, rem / 3600, rem / 60 % 60, rem % 60)
    };
    let compact = iso(start).replace(['-', ':'], "");
    let path = dir.join(format!("{compact}-1-{name_suffix}.jsonl"));
    let mut text = format!("{}\n", json!({"type": "header", "seq": 0, "segment": {}}));
    for (i, t) in times.iter().enumerate() {
        let record = json!({"type": "event", "seq": i + 1, "event": {"eventTime": iso(*t),
            "requestParameters": {"n": first_n + i as u64}}});
        text.push_str(&format!("{record}\n"));
    }
    // A torn last line, as a crashed writer leaves: skipped, as read_events skips it.
    text.push_str("{\"type\":\"event\",\"seq\":");
    fs::write(&path, text).unwrap();
    path
}

fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

#[test]
fn stream_matches_read_events_for_two_writers_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(AUDIT_DIR_NAME);
    let options = AuditOptions { checkpoint_every: 7, checkpoint_interval: None, ..AuditOptions::default() };
    // Two live handles: two segments whose events interleave in time (the reader does not
    // verify, so their keys need not match).
    let a = AuditLog::open(&dir, AuditKeys::generate().unwrap(), options.clone()).unwrap();
    let b = AuditLog::open(&dir, AuditKeys::generate().unwrap(), options).unwrap();
    for n in 0..60 {
        if n % 3 == 0 { &b } else { &a }.append(event(n)).unwrap();
    }
    a.close().unwrap();
    b.close().unwrap();
    let streamed: Vec<_> = EventReader::open(&dir).unwrap().map(Result::unwrap).collect();
    let listed = read_events(&dir).unwrap();
    assert_eq!(streamed.len(), 60);
    let key = |e: &keystead_core::audit::LoggedEvent| (e.segment.clone(), e.seq, n_of(&e.event));
    assert_eq!(streamed.iter().map(key).collect::<Vec<_>>(), listed.iter().map(key).collect::<Vec<_>>());
    let mut numbers: Vec<u64> = streamed.iter().map(|e| n_of(&e.event)).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..60).collect::<Vec<_>>());
    // One segment file reads alone.
    let one = &streamed[0].segment;
    let alone: Vec<_> = EventReader::open(one).unwrap().map(Result::unwrap).collect();
    assert!(!alone.is_empty() && alone.len() < 60);
    assert!(alone.iter().all(|e| &e.segment == one));
}

#[test]
fn overlapping_segments_merge_by_time() {
    let tmp = tempfile::tempdir().unwrap();
    // Segment x from t=0: events at 0, 10, 20; segment y from t=5: events at 5, 15, 25.
    synthetic_segment(tmp.path(), "x", 0, &[0, 10, 20], 0);
    synthetic_segment(tmp.path(), "y", 5, &[5, 15, 25], 100);
    let order: Vec<u64> = EventReader::open(tmp.path()).unwrap().map(|e| n_of(&e.unwrap().event)).collect();
    assert_eq!(order, [0, 100, 1, 101, 2, 102]);
    let listed: Vec<u64> = read_events(tmp.path()).unwrap().iter().map(|e| n_of(&e.event)).collect();
    assert_eq!(order, listed);
}

#[test]
fn segments_are_opened_only_when_the_merge_reaches_them() {
    let tmp = tempfile::tempdir().unwrap();
    // 300 segments, one a minute, each with three events in its own minute: a long log.
    for i in 0..300i64 {
        let start = i * 60;
        synthetic_segment(tmp.path(), &format!("{i:04}"), start, &[start, start + 1, start + 2], i as u64 * 3);
    }
    let before = open_fds();
    let mut most = 0;
    let mut seen = 0u64;
    for event in EventReader::open(tmp.path()).unwrap() {
        assert_eq!(n_of(&event.unwrap().event), seen, "events in time order");
        seen += 1;
        most = most.max(open_fds().saturating_sub(before));
    }
    assert_eq!(seen, 900);
    // Other tests of this binary run alongside and open a few files; 300 would show.
    assert!(most < 40, "{most} files open at once");
}

#[test]
fn a_missing_log_reads_as_an_error_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder that is not there is an error (it cannot be listed) ...
    assert!(EventReader::open(&tmp.path().join("nope")).unwrap().next().unwrap().is_err());
    // ... an empty one has no events.
    assert_eq!(EventReader::open(tmp.path()).unwrap().count(), 0);
}

#[test]
fn store_and_audit_dirs_accepts_either_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let audit = store.join(AUDIT_DIR_NAME);
    fs::create_dir_all(&audit).unwrap();
    // A store folder (it holds audit/), the audit folder, and a segment file in it.
    assert_eq!(store_and_audit_dirs(&store), (store.clone(), audit.clone()));
    assert_eq!(store_and_audit_dirs(&audit), (store, audit.clone()));
    let segment = audit.join("20260101T000000Z-1-abc.jsonl");
    fs::write(&segment, "").unwrap();
    assert_eq!(store_and_audit_dirs(&segment), (audit, segment));
    // A store folder with a database but no audit folder yet.
    let fresh = tmp.path().join("fresh");
    fs::create_dir_all(&fresh).unwrap();
    fs::write(fresh.join(keystead_core::DATABASE_FILE_NAME), "").unwrap();
    assert_eq!(store_and_audit_dirs(&fresh), (fresh.clone(), fresh.join(AUDIT_DIR_NAME)));
    // Anything else is taken as the audit target.
    let other = tmp.path().join("elsewhere");
    assert_eq!(store_and_audit_dirs(&other), (tmp.path().to_owned(), other));
}
