//! End-to-end tests of `keystead audit`: prune (deletes old sealed segments, leaves a log that
//! still verifies, refuses bad times and changes nothing then), verify and show, run as the
//! real binary.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use keystead_core::audit::AUDIT_DIR_NAME;
use keystead_core::Keystead;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keystead");

fn keystead(store: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("KEYSTEAD_STORE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(store: &Path, args: &[&str]) -> String {
    let output = keystead(store, args);
    assert!(output.status.success(), "keystead {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn segments(store: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(store.join(AUDIT_DIR_NAME))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

/// A store whose log has two sealed segments (two handles were open at once, so the second
/// could not continue the first's segment), with a key and some calls in each.
fn store_with_two_segments() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    ok(&store, &["init"]);
    {
        let a = Keystead::builder().open(&store).unwrap();
        let b = Keystead::builder().open(&store).unwrap();
        let key = a.create_key(Default::default()).unwrap().key_id;
        b.describe_key(&key).unwrap();
    }
    assert_eq!(segments(&store).len(), 2, "two handles at once write two segments");
    (tmp, store)
}

fn events(store: &Path) -> Vec<Value> {
    ok(store, &["audit", "show", "--jsonl"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn prune_deletes_old_sealed_segments_and_the_log_still_verifies() {
    let (_tmp, store) = store_with_two_segments();
    let before = segments(&store);
    let events_before = events(&store);
    assert!(events_before.iter().any(|e| e["eventName"] == "CreateKey"));

    // Every segment is sealed before 2100; the one the pruning run itself continues is kept.
    let report: Value =
        serde_json::from_str(&ok(&store, &["audit", "prune", "--before", "2100-01-01T00:00:00Z", "--json"])).unwrap();
    let pruned = report["pruned"].as_array().unwrap();
    assert_eq!(pruned.len(), 1, "{report}");
    let after = segments(&store);
    assert_eq!(after.len(), 1);
    let gone = PathBuf::from(pruned[0]["file"].as_str().unwrap());
    assert!(before.iter().any(|p| p.file_name() == gone.file_name()) && !gone.exists());

    // The log verifies: the signed prune record accounts for the deleted segment's numbers.
    let verdict: Value = serde_json::from_str(&ok(&store, &["audit", "verify", "--json"])).unwrap();
    assert!(verdict["problems"].as_array().unwrap().is_empty(), "{verdict}");
    assert!(!verdict["pruned_numbers"].as_array().unwrap().is_empty(), "{verdict}");
    // And the prune itself is audited.
    let events_after = events(&store);
    assert!(events_after.iter().any(|e| e["eventName"] == "PruneAuditLog"));
    assert!(events_after.len() < events_before.len() + 2);

    // Nothing older than 1999 is sealed there: a prune with that cut-off deletes nothing.
    let text = ok(&store, &["audit", "prune", "--before", "1999-01-01T00:00:00Z"]);
    assert!(text.starts_with("Pruned 0 segment(s)"), "{text}");
    assert_eq!(segments(&store).len(), 1);
    assert_eq!(keystead(&store, &["audit", "verify"]).status.code(), Some(0));
}

#[test]
fn prune_refuses_times_before_1970_and_non_times_and_changes_nothing() {
    let (_tmp, store) = store_with_two_segments();
    let before = segments(&store);
    for bad in ["1969-12-31T23:59:59Z", "yesterday", "2026-13-01T00:00:00Z", ""] {
        let output = keystead(&store, &["audit", "prune", "--before", bad]);
        assert!(!output.status.success(), "--before {bad:?} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("1970") || stderr.contains("ISO 8601"), "--before {bad:?}: {stderr}");
        assert_eq!(segments(&store), before, "--before {bad:?} changed the log");
    }
    assert_eq!(keystead(&store, &["audit", "verify"]).status.code(), Some(0));
}

#[test]
fn prune_needs_the_root_key() {
    let (_tmp, store) = store_with_two_segments();
    let before = segments(&store);
    // Without the key file the store cannot be opened: the prune record could not be signed.
    let key_file = store.join(keystead_core::KEY_FILE_NAME);
    assert!(key_file.is_file(), "the store's root key file");
    std::fs::rename(&key_file, store.with_file_name("root-key-elsewhere")).unwrap();
    let output = keystead(&store, &["audit", "prune", "--before", "2100-01-01T00:00:00Z"]);
    assert!(!output.status.success());
    assert_eq!(segments(&store), before);
    // Verify needs no root key.
    assert_eq!(keystead(&store, &["audit", "verify"]).status.code(), Some(0));
}

#[test]
fn show_streams_the_same_events_as_jsonl_and_as_an_array() {
    let (_tmp, store) = store_with_two_segments();
    let lines = events(&store);
    let array: Value = serde_json::from_str(&ok(&store, &["audit", "show"])).unwrap();
    assert_eq!(array.as_array().unwrap(), &lines);
    // The array text is what serde_json pretty-prints for the whole list.
    let text = ok(&store, &["audit", "show"]);
    assert_eq!(text, format!("{}\n", serde_json::to_string_pretty(&array).unwrap()));
    // A filter that matches nothing prints an empty array.
    assert_eq!(ok(&store, &["audit", "show", "--event", "NoSuchOperation"]), "[]\n");
    // --data-dir takes the audit folder too.
    let audit = store.join(AUDIT_DIR_NAME);
    let via_audit = ok(&store, &["audit", "show", "--jsonl", "--data-dir", audit.to_str().unwrap()]);
    assert_eq!(via_audit.lines().count(), lines.len());
}
