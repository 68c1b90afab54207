//! Target `audit_log`: the audit-log verifier (`audit::verify_files`) on segment files.
//!
//! The fixture writes real segments once per process (events, failures, checkpoints every 3
//! records, a closed segment and one left open), signed with the process's audit key. Input:
//! `mode, template`, then edits of that segment (mode 0) or a raw segment (mode 1); the bytes
//! are written to a scratch file and verified. Checks: no panic and no error (everything found
//! in a file is a problem in the report); an untouched template verifies; any verified edited
//! file holds the template's events (same count), so an edit that changes what a record says
//! is always reported; a raw file that verifies holds no signed checkpoint.

use std::path::PathBuf;
use std::sync::OnceLock;

use keystead_core::audit::{self, AuditEvent, AuditKeys, AuditLog, AuditOptions, AuditPublicKey};
use keystead_core::{EncryptionContext, StoreIdentity};

use crate::input::Input;

struct Fixture {
    public_key: AuditPublicKey,
    /// Bytes, events and file name (the verifier binds a segment's header to its name).
    segments: Vec<(Vec<u8>, u64, String)>,
    scratch: PathBuf,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build().expect("building the audit fixture"))
}

fn build() -> keystead_core::Result<Fixture> {
    let dir = tempfile::tempdir()
        .map_err(|e| keystead_core::Error::new(keystead_core::ErrorKind::Validation, e.to_string()))?;
    let identity =
        StoreIdentity { partition: "aws".into(), region: "us-east-1".into(), account_id: "111122223333".into() };
    let options = AuditOptions { checkpoint_every: 3, ..AuditOptions::default() };
    let keys = AuditKeys::generate()?;
    let log_dir = dir.path().join("audit");
    let log = AuditLog::open(&log_dir, keys, options)?;
    let key_arn = identity.key_arn("1234abcd-12ab-34cd-56ef-1234567890ab");
    let context = EncryptionContext::from([("order".to_string(), "42".to_string())]);
    for i in 0..7 {
        let mut event = AuditEvent::new("Encrypt", "arn:aws:iam::111122223333:role/checkout", &identity)
            .key(key_arn.clone())
            .request(serde_json::json!({
                "keyId": key_arn,
                "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                "encryptionContext": log.redact_context(&context),
            }));
        if i % 3 == 2 {
            event = event.error("DisabledException", "key is disabled");
        }
        log.append(event)?;
    }
    let public_key = log.public_key().clone();
    let open_segment =
        log.segment_path().and_then(|p| Some((std::fs::read(&p).ok()?, p.file_name()?.to_string_lossy().into_owned())));
    log.close()?;
    let mut segments = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&log_dir)
        .map_err(|e| keystead_core::Error::new(keystead_core::ErrorKind::Validation, e.to_string()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    for file in files {
        let bytes = std::fs::read(&file)
            .map_err(|e| keystead_core::Error::new(keystead_core::ErrorKind::Validation, e.to_string()))?;
        let report = audit::verify_files(&[file.clone()], &public_key)?;
        assert!(report.is_valid(), "fixture segment does not verify: {report:?}");
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        segments.push((bytes, report.events, name));
    }
    if let Some((live, name)) = open_segment {
        // The same segment before its closing checkpoint (a live tail).
        std::fs::create_dir_all(dir.path().join("live"))
            .map_err(|e| keystead_core::Error::new(keystead_core::ErrorKind::Validation, e.to_string()))?;
        let scratch = dir.path().join("live").join(&name);
        std::fs::write(&scratch, &live)
            .map_err(|e| keystead_core::Error::new(keystead_core::ErrorKind::Validation, e.to_string()))?;
        let report = audit::verify_files(&[scratch], &public_key)?;
        if report.is_valid() {
            segments.push((live, report.events, name));
        }
    }
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch)
        .map_err(|e| keystead_core::Error::new(keystead_core::ErrorKind::Validation, e.to_string()))?;
    Ok(Fixture { public_key, segments, scratch, _dir: dir })
}

/// Builds the fixture (libFuzzer calls this before the first input, so that building it does
/// not count against the per-input timeout).
pub fn init() {
    fixture();
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    let mode = input.u8() % 2;
    let (template, events, name) = &f.segments[usize::from(input.u8()) % f.segments.len()];
    let bytes = if mode == 0 {
        let mut bytes = template.clone();
        input.edit(&mut bytes);
        bytes
    } else {
        input.rest().to_vec()
    };
    let path = f.scratch.join(name);
    std::fs::write(&path, &bytes).expect("write scratch segment");
    let report = audit::verify_files(&[path], &f.public_key).expect("verify_files never errors on content");
    if bytes == *template {
        assert!(report.is_valid(), "an untouched segment fails: {:?}", report.first_problem());
    }
    if report.is_valid() && mode == 0 && bytes != *template {
        assert_eq!(report.events, *events, "an edited segment verifies with other events");
    }
    if report.is_valid() && mode == 1 {
        assert!(report.checkpoints == 0 || bytes == *template, "a raw segment carries a valid signature");
    }
}
