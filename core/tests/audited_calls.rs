//! Every public operation goes through one wrapper that writes a CloudTrail-shaped audit event
//! (success, failure or denial) and counts the call; an event that cannot be written fails the
//! call and releases nothing.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::path::Path;

use keystead_core::audit::{read_events, verify};
use keystead_core::{
    AuditOptions, CreateKeyRequest, DecryptRequest, EncryptRequest, EncryptionContext, ErrorKind,
    GenerateDataKeyRequest, Keystead,
};

const CHECKOUT: &str = "arn:aws:iam::111122223333:role/checkout";
const OUTSIDER: &str = "arn:aws:iam::444455556666:role/intruder";

fn events(dir: &Path) -> Vec<serde_json::Value> {
    read_events(&dir.join("audit")).unwrap().into_iter().map(|e| e.event).collect()
}

fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("audit")).unwrap() {
        out.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn successful_failed_and_denied_calls_are_all_recorded_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let store = Keystead::open(dir.path()).unwrap();
    let key = store.create_key(CreateKeyRequest::default()).unwrap();
    let checkout = store.as_principal_with_access_key(CHECKOUT, "AKIAEXAMPLEKEY000001").unwrap();
    let context = EncryptionContext::from([("order".to_string(), "42".to_string())]);
    let plaintext = b"4111-1111-1111-1111 secret-plaintext-marker";
    let blob = checkout
        .encrypt(EncryptRequest {
            key_id: &key.key_id,
            plaintext,
            encryption_context: Some(&context),
            ..Default::default()
        })
        .unwrap()
        .ciphertext_blob;
    let data_key = store
        .generate_data_key(GenerateDataKeyRequest {
            key_id: &key.key_id,
            number_of_bytes: Some(32),
            ..Default::default()
        })
        .unwrap();
    // A failure (wrong context) and a denial (another account).
    assert_eq!(
        store.decrypt(DecryptRequest { ciphertext_blob: &blob, ..Default::default() }).unwrap_err().kind(),
        ErrorKind::InvalidCiphertext
    );
    let outsider = store.as_principal(OUTSIDER).unwrap();
    assert_eq!(outsider.describe_key(&key.key_id).unwrap_err().kind(), ErrorKind::AccessDenied);
    store.audit_log().unwrap().close().unwrap();

    let events = events(dir.path());
    let names: Vec<&str> = events.iter().map(|e| e["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["CreateKey", "Encrypt", "GenerateDataKey", "Decrypt", "DescribeKey"]);
    let encrypt = &events[1];
    assert_eq!(encrypt["eventSource"], "kms.amazonaws.com");
    assert_eq!(encrypt["userIdentity"]["arn"], CHECKOUT);
    assert_eq!(encrypt["userIdentity"]["accessKeyId"], "AKIAEXAMPLEKEY000001");
    assert_eq!(encrypt["requestParameters"]["keyId"], key.key_id);
    assert_eq!(encrypt["requestParameters"]["encryptionContext"]["order"], "42");
    assert_eq!(encrypt["requestParameters"]["encryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert_eq!(encrypt["resources"][0]["ARN"], key.arn);
    assert!(encrypt["responseElements"].is_null());
    assert!(encrypt.get("errorCode").is_none());
    let generate = &events[2];
    assert_eq!(generate["additionalEventData"]["keyMaterialId"], data_key.key_material_id);
    let failed = &events[3];
    assert_eq!(failed["errorCode"], "InvalidCiphertextException");
    let denied = &events[4];
    assert_eq!(denied["errorCode"], "AccessDeniedException");
    assert_eq!(denied["userIdentity"]["arn"], OUTSIDER);
    assert_eq!(denied["resources"][0]["ARN"], key.arn);
    assert!(denied["errorMessage"].as_str().unwrap().contains("kms:DescribeKey"));

    // No plaintext, data key, or ciphertext in the log, in any encoding.
    let bytes = all_bytes(dir.path());
    for secret in [&plaintext[..], data_key.plaintext.expose(), &blob] {
        assert!(!contains(&bytes, secret));
        assert!(!contains(&bytes, hex(secret).as_bytes()));
        assert!(!contains(&bytes, base64(secret).as_bytes()));
    }
    let report = verify(&dir.path().join("audit"), store.audit_log().unwrap().public_key()).unwrap();
    assert!(report.is_valid(), "{report:?}");
}

#[test]
fn context_values_can_be_hmacd() {
    let dir = tempfile::tempdir().unwrap();
    let options = AuditOptions { hmac_context_values: true, ..Default::default() };
    let store = Keystead::builder().audit(options).open(dir.path()).unwrap();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let context = EncryptionContext::from([("customer".to_string(), "alice-private-marker".to_string())]);
    store
        .encrypt(EncryptRequest {
            key_id: &key,
            plaintext: b"x",
            encryption_context: Some(&context),
            ..Default::default()
        })
        .unwrap();
    store.audit_log().unwrap().close().unwrap();
    let bytes = all_bytes(dir.path());
    assert!(!contains(&bytes, b"alice-private-marker"));
    let events = events(dir.path());
    let logged = events[1]["requestParameters"]["encryptionContext"]["customer"].as_str().unwrap();
    assert_eq!(logged, store.audit_log().unwrap().hmac_value("alice-private-marker"));
}

#[test]
fn a_call_whose_event_cannot_be_written_fails_and_releases_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let store = Keystead::builder().without_audit().open(dir.path()).unwrap();
        store.create_key(CreateKeyRequest::default()).unwrap().key_id
    };
    let blob = {
        let store = Keystead::builder().without_audit().open(dir.path()).unwrap();
        store
            .encrypt(EncryptRequest { key_id: &key, plaintext: b"hello", ..Default::default() })
            .unwrap()
            .ciphertext_blob
    };
    // The audit file accepts a few hundred bytes, then the disk is "full".
    let options = AuditOptions { fail_after_bytes: Some(600), ..Default::default() };
    let store = Keystead::builder().audit(options).open(dir.path()).unwrap();
    let mut failures = 0;
    for _ in 0..5 {
        match store.decrypt(DecryptRequest { ciphertext_blob: &blob, ..Default::default() }) {
            Ok(response) => assert_eq!(response.plaintext.expose(), b"hello"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
                assert!(e.message().contains("Audit log"), "{e}");
                failures += 1;
            }
        }
    }
    assert!(failures > 0, "the byte budget must run out within 5 records");
    // The failed decrypts are counted as server errors.
    let snapshot = store.metrics_snapshot();
    let errors: u64 = snapshot
        .series
        .iter()
        .filter(|s| s.operation == "Decrypt" && s.outcome == "server_error")
        .map(|s| s.count)
        .sum();
    assert_eq!(errors, failures);
}

#[test]
fn metrics_count_every_call_by_operation_key_and_outcome() {
    let store = Keystead::builder().open_in_memory().unwrap();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    for _ in 0..3 {
        store.encrypt(EncryptRequest { key_id: &key, plaintext: b"x", ..Default::default() }).unwrap();
    }
    store
        .as_principal(OUTSIDER)
        .unwrap()
        .encrypt(EncryptRequest { key_id: &key, plaintext: b"x", ..Default::default() })
        .unwrap_err();
    let snapshot = store.metrics_snapshot();
    let count = |outcome: &str| {
        snapshot
            .series
            .iter()
            .filter(|s| s.operation == "Encrypt" && s.outcome == outcome && s.key_id.as_deref() == Some(key.as_str()))
            .map(|s| s.count)
            .sum::<u64>()
    };
    assert_eq!(count("ok"), 3);
    assert_eq!(count("denied"), 1);
    let last = store.metrics().key_last_usage(&key).unwrap();
    assert_eq!(last.operation, "Encrypt");
    let text = snapshot.to_prometheus();
    assert!(text.contains("operation=\"Encrypt\"") && text.contains(&key), "{text}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn what_the_store_does_by_itself_is_recorded_as_service_events() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(keystead_core::ManualClock::starting_now());
    let store = Keystead::builder().clock(clock.clone()).open(dir.path()).unwrap();
    let doomed = store.create_key(CreateKeyRequest::default()).unwrap();
    let rotating = store.create_key(CreateKeyRequest::default()).unwrap();
    store.enable_key_rotation(&rotating.key_id, Some(90)).unwrap();
    store.schedule_key_deletion(&doomed.key_id, Some(7)).unwrap();
    clock.advance_days(91);
    store.sweep().unwrap();
    store.audit_log().unwrap().close().unwrap();
    let events = events(dir.path());
    let service: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["eventType"] == "AwsServiceEvent")
        .map(|e| (e["eventName"].as_str().unwrap(), e["resources"][0]["ARN"].as_str().unwrap()))
        .collect();
    assert!(service.contains(&("DeleteKey", doomed.arn.as_str())), "{service:?}");
    assert!(service.contains(&("RotateKey", rotating.arn.as_str())), "{service:?}");
}

#[test]
fn prune_audit_log_is_an_audited_call_and_verify_accepts_what_it_pruned() {
    let tmp = tempfile::tempdir().unwrap();
    // One segment per handle here (no continuation), so there are whole old segments to prune.
    let options = AuditOptions { segment_max_bytes: 0, ..AuditOptions::default() };
    for _ in 0..3 {
        let store = Keystead::builder().audit(options.clone()).open(tmp.path()).unwrap();
        store.create_key(CreateKeyRequest::default()).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    let store = Keystead::builder().audit(options).open(tmp.path()).unwrap();
    let now = keystead_core::audit::parse_iso8601("2100-01-01T00:00:00Z").unwrap();
    let report = store.prune_audit_log(now).unwrap();
    assert_eq!(report.pruned.len(), 3, "{report:?}");
    let log = store.audit_log().unwrap().clone();
    let key = log.public_key().clone();
    drop(store);
    log.close().unwrap();
    let audit = tmp.path().join("audit");
    let verified = verify(&audit, &key).unwrap();
    assert!(verified.is_valid(), "{verified:#?}");
    assert_eq!(verified.pruned_numbers, vec![[1, 3]]);
    let pruned: Vec<_> = events(tmp.path()).into_iter().filter(|e| e["eventName"] == "PruneAuditLog").collect();
    assert_eq!(pruned.len(), 1);
    assert_eq!(pruned[0]["responseElements"]["prunedSegments"].as_array().unwrap().len(), 3);
    assert_eq!(pruned[0]["requestParameters"]["before"], "2100-01-01T00:00:00.000Z");
    // The CreateKey events of the pruned segments are gone with them.
    assert!(events(tmp.path()).iter().all(|e| e["eventName"] != "CreateKey"));
}
