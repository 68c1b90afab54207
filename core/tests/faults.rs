//! Faults on the store's disk: a full filesystem (ENOSPC) and failing writes (EIO).
//!
//! - `enospc_*`: a store on a small tmpfs in a private user+mount namespace (`unshare -r -m`,
//!   no root needed) whose free space a filler file has used up to a little headroom. A child
//!   process (this binary re-executed on `fault_child_entry`, the only way to own a mount)
//!   creates keys, rotates, encrypts with the material cache off, decrypts, puts policies,
//!   creates grants and toggles keys until every writing operation has failed several times.
//!   It then deletes the filler (the space returns), reopens the store and checks it.
//! - `eio_*`: the child runs with an `LD_PRELOAD` shim (C, compiled here with `cc`) that makes
//!   `write`/`pwrite`/`writev`/`fsync`/`fdatasync` on files under one folder fail with EIO from
//!   the N-th such call on (sticky) or at the N-th call only (transient). The fault is lifted
//!   by the child's exit; the parent then reopens the store without the shim and checks it.
//!   SQLite's VFS and the audit log's writer both reach the kernel through these libc calls,
//!   so this fails the real code paths, unlike a mock storage.
//!
//! The checks after each fault (`check_store`): `PRAGMA integrity_check` is `ok`; the store
//! opens; every acknowledged CreateKey, rotation, PutKeyPolicy, CreateGrant and Disable/Enable
//! is there; an operation that failed is either fully there or not at all (a key's rotations
//! number between the acknowledged and the attempted ones, and its newest material version is
//! exactly 1 + that number); every acknowledged ciphertext decrypts to its plaintext; the audit
//! log, once reopened, verifies. During the fault every failure is a typed `KMSInternalException`
//! (ENOSPC: its message says the disk is full), nothing panics, and while the audit log cannot
//! be written no call succeeds, so no plaintext is released unaudited (fail closed).
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use keystead_core::audit::{store_public_key, verify};
use keystead_core::crypto::ciphertext::parse_header;
use keystead_core::{
    CreateGrantRequest, CreateKeyRequest, DecryptRequest, EncryptRequest, ErrorKind, GrantOperation, KeyState, Keystead,
};
use support::{sqlite_integrity_check, version_of, Rng};

const MODE_ENV: &str = "KEYSTEAD_FAULT_MODE";
const DIR_ENV: &str = "KEYSTEAD_FAULT_DIR";
const SEED_ENV: &str = "KEYSTEAD_FAULT_SEED";
const OPS_ENV: &str = "KEYSTEAD_FAULT_OPS";
/// Keys the parent created before the child starts (comma-separated).
const KEYS_ENV: &str = "KEYSTEAD_FAULT_KEYS";
const GRANTEE: &str = "arn:aws:iam::111122223333:role/fault-grantee";
/// Rotations attempted per key at most (AWS allows 25 on-demand rotations per key).
const MAX_ROTATIONS: usize = 20;

fn owner_policy(sid: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{sid}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::111122223333:root"}}, "Action": "kms:*", "Resource": "*"}}]}}"#
    )
}

// ---------------------------------------------------------------------------------------------
// The workload and its journal

/// What the driver prints: `@@TRY <op> <key>` before a call, then `@@ACK <op> <key> [data]` or
/// `@@FAIL <op> <key> <kind> <message>` after it. The journal is the checks' only input.
struct Driver {
    rng: Rng,
    journal: Vec<String>,
    keys: Vec<String>,
    /// Keys whose Disable or Enable failed: their state is unknown, so no crypto on them.
    frozen: Vec<String>,
    blobs: Vec<(Vec<u8>, Vec<u8>)>,
    rotations: BTreeMap<String, usize>,
    /// Per operation: (acknowledged, failed).
    outcomes: BTreeMap<&'static str, (u32, u32)>,
    /// Messages of the failures, for the caller's assertions.
    failures: Vec<(ErrorKind, String)>,
    /// When set, a call that starts after this file exists must fail (audit fail-closed).
    must_fail_marker: Option<PathBuf>,
    n: u32,
}

impl Driver {
    fn new(seed: u64, must_fail_marker: Option<PathBuf>) -> Self {
        Self {
            rng: Rng::new(seed),
            journal: Vec::new(),
            keys: Vec::new(),
            frozen: Vec::new(),
            blobs: Vec::new(),
            rotations: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            failures: Vec::new(),
            must_fail_marker,
            n: 0,
        }
    }

    fn log(&mut self, line: String) {
        let mut out = std::io::stdout().lock();
        out.write_all(format!("\n@@{line}\n").as_bytes()).unwrap();
        out.flush().unwrap();
        self.journal.push(line);
    }

    /// Runs one call, journals it and returns its result.
    fn call<T>(
        &mut self,
        op: &'static str,
        key: &str,
        detail: &str,
        body: impl FnOnce() -> keystead_core::Result<T>,
        ack: impl FnOnce(&T) -> String,
    ) -> Option<T> {
        let faulted_before = self.must_fail_marker.as_ref().is_some_and(|m| m.exists());
        self.log(format!("TRY {op} {key} {detail}"));
        let entry = self.outcomes.entry(op).or_default();
        match body() {
            Ok(value) => {
                entry.0 += 1;
                assert!(!faulted_before, "{op} succeeded while the audit log could not be written (not fail closed)");
                let data = ack(&value);
                self.log(format!("ACK {op} {key} {data}"));
                Some(value)
            }
            Err(e) => {
                entry.1 += 1;
                // Typed errors only: an I/O fault is KMSInternalException, never a panic, a
                // corrupt-store verdict or a state error.
                assert_eq!(e.kind(), ErrorKind::Internal, "{op} failed with an unexpected kind: {e}");
                self.log(format!("FAIL {op} {key} {:?} {}", e.kind(), e.message().replace('\n', " ")));
                self.failures.push((e.kind(), e.message().to_owned()));
                None
            }
        }
    }

    /// A random key: any key for management calls, or (`crypto`) one known to be enabled.
    fn pick_key(&mut self, crypto: bool) -> Option<String> {
        let keys: Vec<String> = self.keys.iter().filter(|k| !crypto || !self.frozen.contains(k)).cloned().collect();
        if keys.is_empty() {
            None
        } else {
            Some(keys[self.rng.below(keys.len())].clone())
        }
    }

    /// One random operation.
    fn step(&mut self, store: &Keystead) {
        self.n += 1;
        let n = self.n;
        let roll = self.rng.below(100);
        // Encrypt, Decrypt and rotations need an enabled key; the other calls take any key.
        let crypto = roll < 60;
        let Some(key) = self.pick_key(crypto).filter(|_| roll >= 10) else {
            if let Some(meta) = self.call(
                "CreateKey",
                "-",
                "",
                || store.create_key(CreateKeyRequest { description: Some(format!("fault {n}")), ..Default::default() }),
                |m| m.key_id.clone(),
            ) {
                self.keys.push(meta.key_id);
            }
            return;
        };
        match roll {
            10..=24 if self.rotations.get(&key).copied().unwrap_or(0) < MAX_ROTATIONS => {
                *self.rotations.entry(key.clone()).or_default() += 1;
                self.call("RotateKeyOnDemand", &key, "", || store.rotate_key_on_demand(&key), |_| String::new());
            }
            10..=44 => {
                let plaintext = self.rng.bytes(300);
                let blob = self.call(
                    "Encrypt",
                    &key,
                    "",
                    || store.encrypt(EncryptRequest { key_id: &key, plaintext: &plaintext, ..Default::default() }),
                    |r| format!("{} {}", B64.encode(&plaintext), B64.encode(&r.ciphertext_blob)),
                );
                if let Some(r) = blob {
                    self.blobs.push((plaintext, r.ciphertext_blob));
                }
            }
            45..=59 if !self.blobs.is_empty() => {
                let i = self.rng.below(self.blobs.len());
                let (plaintext, blob) = self.blobs[i].clone();
                let key_of_blob = self.keys.iter().find(|k| blob_names_key(&blob, k)).cloned().unwrap_or_default();
                if self.frozen.contains(&key_of_blob) {
                    return;
                }
                if let Some(back) = self.call(
                    "Decrypt",
                    &key_of_blob,
                    "",
                    || store.decrypt(DecryptRequest { ciphertext_blob: &blob, ..Default::default() }),
                    |_| String::new(),
                ) {
                    assert_eq!(back.plaintext.expose(), &plaintext[..], "Decrypt returned other bytes");
                }
            }
            45..=72 => {
                let sid = format!("sid{n}");
                self.call(
                    "PutKeyPolicy",
                    &key,
                    &sid,
                    || store.put_key_policy(&key, &owner_policy(&sid), None, false),
                    |()| sid.clone(),
                );
            }
            73..=86 => {
                let name = format!("grant{n}");
                self.call(
                    "CreateGrant",
                    &key,
                    "",
                    || {
                        store.create_grant(CreateGrantRequest {
                            key_id: &key,
                            grantee_principal: GRANTEE,
                            operations: &[GrantOperation::Encrypt, GrantOperation::Decrypt],
                            name: Some(&name),
                            ..Default::default()
                        })
                    },
                    |r| r.grant_id.clone(),
                );
            }
            _ => {
                // A disable and its enable: a key left disabled (or unknown) is frozen; an
                // enable that succeeds later thaws it.
                if self.call("DisableKey", &key, "", || store.disable_key(&key), |()| String::new()).is_none()
                    || self.call("EnableKey", &key, "", || store.enable_key(&key), |()| String::new()).is_none()
                {
                    if !self.frozen.contains(&key) {
                        self.frozen.push(key);
                    }
                } else {
                    self.frozen.retain(|k| *k != key);
                }
            }
        }
    }

    fn failed(&self, op: &str) -> u32 {
        self.outcomes.get(op).map_or(0, |o| o.1)
    }

    fn matrix(&self, fault: &str) -> Vec<String> {
        self.outcomes.iter().map(|(op, (ok, failed))| format!("MATRIX {fault} {op} ok={ok} failed={failed}")).collect()
    }
}

/// Whether `blob` was made under `key_id` (its header names the key).
fn blob_names_key(blob: &[u8], key_id: &str) -> bool {
    parse_header(blob).map(|h| h.key_id.to_string() == key_id).unwrap_or(false)
}

/// Opens a store the way the workload uses it: material cache off, so every Encrypt and Decrypt
/// reads the store.
fn open_store(dir: &Path, audited: bool) -> keystead_core::Result<Keystead> {
    let builder = Keystead::builder().cache_capacity(0);
    if audited {
        builder.open(dir)
    } else {
        builder.without_audit().open(dir)
    }
}

// ---------------------------------------------------------------------------------------------
// The checks after a fault

/// Per key, what the journal says happened.
#[derive(Default)]
struct KeyJournal {
    rotations_acked: usize,
    rotations_tried: usize,
    /// Sids: the last acknowledged one and any tried after it (a failed PutKeyPolicy may have
    /// committed before its failure was reported, e.g. when only the audit write failed).
    policy_ok: Vec<String>,
    policy_after: Vec<String>,
    grants: Vec<String>,
    /// Key states the key may be in: the last acknowledged one and any tried after it.
    state_ok: Option<KeyState>,
    state_after: Vec<KeyState>,
}

/// Checks the store in `dir` against the `journal` (lines without `@@`); returns a summary.
fn check_store(dir: &Path, journal: &[String], audited: bool) -> String {
    sqlite_integrity_check(dir);
    let mut keys: BTreeMap<String, KeyJournal> = BTreeMap::new();
    let mut blobs = Vec::new();
    let mut pending_sid = BTreeMap::new();
    for line in journal {
        let words: Vec<&str> = line.split(' ').collect();
        let (kind, op, key) = (words[0], words[1], words.get(2).copied().unwrap_or("-"));
        match (kind, op) {
            ("ACK", "CreateKey") => {
                keys.entry(words[3].to_owned()).or_default();
            }
            ("TRY", "RotateKeyOnDemand") => keys.entry(key.to_owned()).or_default().rotations_tried += 1,
            ("ACK", "RotateKeyOnDemand") => keys.entry(key.to_owned()).or_default().rotations_acked += 1,
            ("ACK", "Encrypt") => blobs.push((B64.decode(words[3]).unwrap(), B64.decode(words[4]).unwrap())),
            ("TRY", "PutKeyPolicy") => {
                pending_sid.insert(key.to_owned(), words[3].to_owned());
            }
            ("FAIL", "PutKeyPolicy") => {
                let sid = pending_sid.remove(key).unwrap_or_default();
                keys.entry(key.to_owned()).or_default().policy_after.push(sid);
            }
            ("ACK", "PutKeyPolicy") => {
                pending_sid.remove(key);
                let k = keys.entry(key.to_owned()).or_default();
                k.policy_ok = vec![words[3].to_owned()];
                k.policy_after.clear();
            }
            ("ACK", "CreateGrant") => keys.entry(key.to_owned()).or_default().grants.push(words[3].to_owned()),
            ("TRY", "DisableKey" | "EnableKey") => {
                let state = if op == "DisableKey" { KeyState::Disabled } else { KeyState::Enabled };
                keys.entry(key.to_owned()).or_default().state_after.push(state);
            }
            ("ACK", "DisableKey" | "EnableKey") => {
                let k = keys.entry(key.to_owned()).or_default();
                k.state_ok = k.state_after.pop();
                k.state_after.clear();
            }
            _ => {}
        }
    }
    let store = open_store(dir, audited).expect("the store does not open after the fault was lifted");
    let mut rotations_total = 0;
    for (key_id, k) in &keys {
        let meta = store.describe_key(key_id).unwrap_or_else(|e| panic!("acknowledged key {key_id} is gone: {e}"));
        let mut states = k.state_after.clone();
        // A new key is enabled until a Disable is acknowledged.
        states.push(k.state_ok.unwrap_or(KeyState::Enabled));
        assert!(states.contains(&meta.key_state), "{key_id}: state {:?}, expected one of {states:?}", meta.key_state);
        let rotations = store.list_key_rotations(key_id, None, Some(1000), None).unwrap().items.len();
        assert!(
            (k.rotations_acked..=k.rotations_tried).contains(&rotations),
            "{key_id}: {rotations} rotations, {} acknowledged and {} attempted",
            k.rotations_acked,
            k.rotations_tried
        );
        rotations_total += rotations;
        let policy = store.get_key_policy(key_id, None).unwrap();
        if !k.policy_ok.is_empty() {
            // The acknowledged policy, or one whose PutKeyPolicy failed after it.
            let candidates: Vec<&String> = k.policy_ok.iter().chain(&k.policy_after).collect();
            assert!(
                candidates.iter().any(|sid| policy.contains(&format!("\"{sid}\""))),
                "{key_id}: the acknowledged policy {:?} was lost: {policy}",
                k.policy_ok
            );
        }
        let grants: Vec<String> = store
            .list_grants(key_id, None, None, Some(100), None)
            .unwrap()
            .items
            .into_iter()
            .map(|g| g.grant_id)
            .collect();
        for grant in &k.grants {
            assert!(grants.contains(grant), "{key_id}: acknowledged grant {grant} was lost");
        }
        // Versions are gap-free: a fresh Encrypt uses material 1 + the rotations listed.
        if meta.key_state == KeyState::Disabled {
            store.enable_key(key_id).unwrap();
        }
        let blob = store
            .encrypt(EncryptRequest { key_id, plaintext: b"after the fault", ..Default::default() })
            .unwrap_or_else(|e| panic!("{key_id}: Encrypt after the fault failed: {e}"));
        assert_eq!(version_of(&blob.ciphertext_blob) as usize, 1 + rotations, "{key_id}: material versions");
    }
    for (plaintext, blob) in &blobs {
        let back = store
            .decrypt(DecryptRequest { ciphertext_blob: blob, ..Default::default() })
            .unwrap_or_else(|e| panic!("an acknowledged ciphertext no longer decrypts: {e}"));
        assert_eq!(back.plaintext.expose(), &plaintext[..], "an acknowledged ciphertext decrypts to other bytes");
    }
    // The store works again: a new key round-trips.
    let fresh = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let blob = store.encrypt(EncryptRequest { key_id: &fresh, plaintext: b"again", ..Default::default() }).unwrap();
    store.decrypt(DecryptRequest { ciphertext_blob: &blob.ciphertext_blob, ..Default::default() }).unwrap();
    drop(store);
    if audited {
        // Reopening sealed any segment the faulted writer left; the whole log verifies.
        let public = store_public_key(dir).unwrap().expect("audit public key");
        let report = verify(&dir.join("audit"), &public).unwrap();
        assert!(report.is_valid(), "the audit log does not verify after the fault: {report:#?}");
    }
    format!("{} keys, {rotations_total} rotations, {} ciphertexts checked", keys.len(), blobs.len())
}

// ---------------------------------------------------------------------------------------------
// The child

fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    out.write_all(format!("\n@@{line}\n").as_bytes()).unwrap();
    out.flush().unwrap();
}

/// Fills the filesystem of `dir` with `filler` up to `headroom` bytes of free space.
fn fill(filler: &Path, headroom: u64) -> u64 {
    let mut file = fs::File::create(filler).unwrap();
    let chunk = vec![0x5Au8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    let keep = written.saturating_sub(headroom);
    file.set_len(keep).unwrap();
    file.sync_all().unwrap();
    keep
}

/// ENOSPC child: runs inside the private namespace with a fresh tmpfs at `mount`.
fn enospc_child(mount: &Path, audited: bool, seed: u64) {
    let dir = mount.join("store");
    let fault = if audited { "ENOSPC(store+audit)" } else { "ENOSPC(store)" };
    let mut driver = Driver::new(seed, None);
    {
        let store = open_store(&dir, audited).unwrap();
        // A few keys with material before the disk fills.
        while driver.keys.len() < 4 {
            driver.step(&store);
        }
        let filler = mount.join("filler");
        let filled = fill(&filler, 48 * 1024);
        emit(&format!("FILLED {filled}"));
        let writers = ["CreateKey", "PutKeyPolicy", "CreateGrant", "DisableKey"];
        let mut steps = 0;
        // Rotations need a key known to be enabled; once failed Disable/Enable calls have left
        // none, no rotation can be tried.
        let all_frozen = |d: &Driver| d.keys.iter().all(|k| d.frozen.contains(k));
        while writers.iter().any(|op| driver.failed(op) < 3)
            || (driver.failed("RotateKeyOnDemand") < 3 && !all_frozen(&driver))
        {
            driver.step(&store);
            steps += 1;
            assert!(steps < 3_000, "the disk never filled: {:?}", driver.outcomes);
        }
        for (kind, message) in &driver.failures {
            assert_eq!(*kind, ErrorKind::Internal);
            assert!(
                message.contains("disk is full") || message.contains("No space left"),
                "a full-disk failure does not say so: {message}"
            );
        }
        // The space returns.
        drop(store);
        fs::remove_file(&filler).unwrap();
    }
    let summary = check_store(&dir, &driver.journal, audited);
    for line in driver.matrix(fault) {
        emit(&line);
    }
    emit(&format!("CHECKED {fault}: {summary}"));
}

/// EIO child: the shim is preloaded; runs `ops` random operations.
fn eio_child(dir: &Path, audited: bool, seed: u64, ops: u32) {
    let sticky = std::env::var("KS_EIO_STICKY").is_ok_and(|v| v == "1");
    let audit_only = std::env::var("KS_EIO_DIR").is_ok_and(|d| d.ends_with("audit"));
    // A sticky fault on the audit log (alone or with the store) means every later call fails.
    let marker = std::env::var("KS_EIO_MARK").ok().map(PathBuf::from).filter(|_| sticky && audited);
    let mut driver = Driver::new(seed, marker);
    driver
        .keys
        .extend(std::env::var(KEYS_ENV).unwrap_or_default().split(',').filter(|k| !k.is_empty()).map(str::to_owned));
    let fault =
        format!("EIO({}{})", if audit_only { "audit" } else { "store+audit" }, if sticky { "" } else { ",once" });
    // A caller retries a failed open once: a transient fault is gone by then, a sticky one not.
    let opened = open_store(dir, audited).or_else(|e| {
        assert_eq!(e.kind(), ErrorKind::Internal, "open failed with an unexpected kind: {e}");
        *driver.outcomes.entry("Open").or_default() = (0, 1);
        open_store(dir, audited)
    });
    match opened {
        Ok(store) => {
            driver.outcomes.entry("Open").or_default().0 += 1;
            for _ in 0..ops {
                driver.step(&store);
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Internal, "open failed with an unexpected kind: {e}");
            emit(&format!("FAIL Open - {:?} {}", e.kind(), e.message()));
            driver.outcomes.entry("Open").or_default().1 += 1;
        }
    }
    for line in driver.matrix(&fault) {
        emit(&line);
    }
    emit("DONE");
}

/// The child process body: runs only when the parent sets `KEYSTEAD_FAULT_MODE`. Not a test on
/// its own.
#[test]
fn fault_child_entry() {
    let Ok(mode) = std::env::var(MODE_ENV) else { return };
    let dir = PathBuf::from(std::env::var(DIR_ENV).unwrap());
    let seed: u64 = std::env::var(SEED_ENV).unwrap().parse().unwrap();
    match mode.as_str() {
        "enospc" => enospc_child(&dir, false, seed),
        "enospc-audit" => enospc_child(&dir, true, seed),
        "eio" => eio_child(&dir, true, seed, std::env::var(OPS_ENV).unwrap().parse().unwrap()),
        other => panic!("unknown fault mode {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The parents

/// Protocol lines (without `@@`) of a child's stdout.
fn protocol(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|l| l.strip_prefix("@@")).map(str::to_owned).collect()
}

fn child_command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.env_remove(MODE_ENV);
    command
}

fn run_enospc(audited: bool, seed: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let mount = tmp.path().join("tiny");
    fs::create_dir(&mount).unwrap();
    let exe = std::env::current_exe().unwrap();
    // 2 MiB of tmpfs in a private mount namespace of a private user namespace (no root needed).
    // The mount, and everything on it, vanishes with the child.
    let script = format!(
        "mount -t tmpfs -o size=2m tmpfs '{}' && exec '{}' --exact fault_child_entry --nocapture --test-threads=1",
        mount.display(),
        exe.display()
    );
    let output = child_command("unshare")
        .args(["-r", "-m", "sh", "-c", &script])
        .env(MODE_ENV, if audited { "enospc-audit" } else { "enospc" })
        .env(DIR_ENV, &mount)
        .env(SEED_ENV, seed.to_string())
        .output()
        .expect("run unshare (util-linux)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "ENOSPC child failed ({}):\n{stdout}\n{stderr}", output.status);
    let lines = protocol(&stdout);
    let checked = lines.iter().find(|l| l.starts_with("CHECKED")).expect("the child did not check the store");
    println!("faults: {checked}");
    for line in lines.iter().filter(|l| l.starts_with("MATRIX")) {
        println!("faults: {line}");
    }
    let failures = lines.iter().filter(|l| l.starts_with("FAIL ")).count();
    assert!(failures >= 15, "too few calls hit the full disk: {failures}");
}

#[test]
fn enospc_on_the_store_gives_typed_errors_and_loses_nothing() {
    run_enospc(false, 11);
}

#[test]
fn enospc_on_the_store_and_audit_log_fails_closed_and_loses_nothing() {
    run_enospc(true, 12);
}

/// The EIO shim: counts write-type calls on files under `KS_EIO_DIR` and fails them from the
/// `KS_EIO_AFTER`-th on (or only that one when `KS_EIO_STICKY` is not 1). The first injected
/// failure creates `KS_EIO_MARK`; the number injected is printed to stderr at exit.
const SHIM_C: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *prefix;
static size_t prefix_len;
static const char *mark;
static long after = -1;
static int sticky = 1;
static atomic_long calls;
static atomic_long injected;

__attribute__((constructor)) static void shim_init(void) {
    prefix = getenv("KS_EIO_DIR");
    prefix_len = prefix ? strlen(prefix) : 0;
    mark = getenv("KS_EIO_MARK");
    const char *a = getenv("KS_EIO_AFTER");
    after = a ? atol(a) : -1;
    const char *s = getenv("KS_EIO_STICKY");
    sticky = !(s && strcmp(s, "1") != 0);
}

__attribute__((destructor)) static void shim_fini(void) {
    if (prefix) {
        char line[96];
        int n = snprintf(line, sizeof line, "\n@@EIO calls=%ld injected=%ld\n", atomic_load(&calls), atomic_load(&injected));
        ssize_t ignored = syscall_write_stderr(line, n);
        (void)ignored;
    }
}

static int targeted(int fd) {
    if (!prefix || after < 0) return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return 0;
    path[n] = 0;
    return strncmp(path, prefix, prefix_len) == 0;
}

static int fail_now(int fd) {
    if (!targeted(fd)) return 0;
    long c = atomic_fetch_add(&calls, 1) + 1;
    if (c < after || (!sticky && c != after)) return 0;
    if (atomic_fetch_add(&injected, 1) == 0 && mark) {
        int m = open(mark, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (m >= 0) close(m);
    }
    errno = EIO;
    return 1;
}

#define REAL(ret, name, ...) static ret (*real_##name)(__VA_ARGS__); \
    if (!real_##name) real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t count) {
    REAL(ssize_t, write, int, const void *, size_t);
    if (fail_now(fd)) return -1;
    return real_write(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
    if (fail_now(fd)) return -1;
    return real_pwrite(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
    REAL(ssize_t, pwrite64, int, const void *, size_t, off_t);
    if (fail_now(fd)) return -1;
    return real_pwrite64(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    REAL(ssize_t, writev, int, const struct iovec *, int);
    if (fail_now(fd)) return -1;
    return real_writev(fd, iov, iovcnt);
}

int fsync(int fd) {
    REAL(int, fsync, int);
    if (fail_now(fd)) return -1;
    return real_fsync(fd);
}

int fdatasync(int fd) {
    REAL(int, fdatasync, int);
    if (fail_now(fd)) return -1;
    return real_fdatasync(fd);
}
"#;

/// Compiles the shim into `dir`; returns its path.
fn build_shim(dir: &Path) -> PathBuf {
    let source = dir.join("eio_shim.c");
    // The destructor writes with the raw syscall so that its own write is never intercepted.
    let text = SHIM_C.replace(
        "#include <unistd.h>\n",
        "#include <unistd.h>\n#include <sys/syscall.h>\nstatic ssize_t syscall_write_stderr(const char *s, int n) { return syscall(SYS_write, 2, s, (size_t)n); }\n",
    );
    fs::write(&source, text).unwrap();
    let lib = dir.join("eio_shim.so");
    let output = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o"])
        .arg(&lib)
        .arg(&source)
        .arg("-ldl")
        .output()
        .expect("run the C compiler (cc)");
    assert!(output.status.success(), "the EIO shim does not compile:\n{}", String::from_utf8_lossy(&output.stderr));
    lib
}

/// One EIO run: a child on a fresh store with the fault at the `after`-th write-type call under
/// `target`; then the parent's checks. Returns (injected faults, matrix lines).
fn run_eio(shim: &Path, after: u32, target_audit: bool, sticky: bool, seed: u64, ops: u32) -> (u64, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    // Early fault points hit the store's creation; later ones the workload on an existing store.
    let mut keys = Vec::new();
    if after > 3 {
        // An existing store with keys, so that the fault meets rotations, encryptions, policies
        // and grants rather than only the creation of the first keys.
        let store = open_store(&dir, true).unwrap();
        keys = (0..3).map(|_| store.create_key(CreateKeyRequest::default()).unwrap().key_id).collect();
    }
    let target = if target_audit { dir.join("audit") } else { dir.clone() };
    let mark = tmp.path().join("faulted");
    let output = child_command(std::env::current_exe().unwrap().to_str().unwrap())
        .args(["--exact", "fault_child_entry", "--nocapture", "--test-threads=1"])
        .env(MODE_ENV, "eio")
        .env(DIR_ENV, &dir)
        .env(SEED_ENV, seed.to_string())
        .env(OPS_ENV, ops.to_string())
        .env(KEYS_ENV, keys.join(","))
        .env("LD_PRELOAD", shim)
        .env("KS_EIO_DIR", &target)
        .env("KS_EIO_AFTER", after.to_string())
        .env("KS_EIO_STICKY", if sticky { "1" } else { "0" })
        .env("KS_EIO_MARK", &mark)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let what = format!("EIO after {after} (audit only: {target_audit}, sticky: {sticky})");
    assert!(output.status.success(), "{what}: the child failed ({}):\n{stdout}\n{stderr}", output.status);
    let lines = protocol(&stdout);
    assert!(lines.iter().any(|l| l == "DONE"), "{what}: the child did not finish:\n{stdout}");
    let injected: u64 = protocol(&stderr)
        .iter()
        .find_map(|l| {
            l.strip_prefix("EIO calls=").and_then(|r| r.split("injected=").nth(1)).map(|n| n.parse().unwrap())
        })
        .unwrap_or_else(|| panic!("{what}: the shim was not loaded:\n{stderr}"));
    // The fault is lifted (the child has exited); the store must open and hold everything.
    let journal: Vec<String> = keys
        .iter()
        .map(|k| format!("ACK CreateKey - {k}"))
        .chain(
            lines.iter().filter(|l| l.starts_with("TRY ") || l.starts_with("ACK ") || l.starts_with("FAIL ")).cloned(),
        )
        .collect();
    if dir.join(keystead_core::DATABASE_FILE_NAME).exists() {
        check_store(&dir, &journal, true);
    } else {
        // The fault hit before the database existed: opening creates it now.
        open_store(&dir, true).unwrap();
    }
    (injected, lines.into_iter().filter(|l| l.starts_with("MATRIX")).collect())
}

fn eio_suite(target_audit: bool, sticky: bool, seed: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let shim = build_shim(tmp.path());
    let mut totals: BTreeMap<(String, String), (u32, u32)> = BTreeMap::new();
    let mut runs = 0;
    let mut faulted_runs = 0;
    // Fault points from the store's creation to the middle of the workload (the audit log
    // writes less often than the database).
    let points: &[u32] =
        if target_audit { &[1, 2, 3, 4, 6, 9, 13, 19, 28, 40] } else { &[1, 2, 3, 4, 8, 16, 32, 48, 64, 96] };
    for (i, &after) in points.iter().enumerate() {
        let (injected, matrix) = run_eio(&shim, after, target_audit, sticky, seed + i as u64, 40);
        runs += 1;
        if injected > 0 {
            faulted_runs += 1;
        }
        for line in matrix {
            let w: Vec<&str> = line.split(' ').collect();
            let e = totals.entry((w[1].to_owned(), w[2].to_owned())).or_default();
            e.0 += w[3].trim_start_matches("ok=").parse::<u32>().unwrap();
            e.1 += w[4].trim_start_matches("failed=").parse::<u32>().unwrap();
        }
    }
    for ((fault, op), (ok, failed)) in &totals {
        println!("faults: MATRIX {fault} {op} ok={ok} failed={failed}");
    }
    println!("faults: {runs} EIO runs, {faulted_runs} with injected faults, all checked");
    assert_eq!(faulted_runs, runs, "the fault was injected in only {faulted_runs} of {runs} runs");
    let failed: u32 = totals.values().map(|t| t.1).sum();
    assert!(failed > 0, "no call ever failed under EIO");
}

#[test]
fn eio_on_the_store_gives_typed_errors_and_loses_nothing() {
    eio_suite(false, true, 100);
}

#[test]
fn transient_eio_on_the_store_loses_nothing() {
    eio_suite(false, false, 200);
}

#[test]
fn eio_on_the_audit_log_fails_closed() {
    eio_suite(true, true, 300);
}
