//! Concurrency under load (issue 11): many processes and many threads on one store.
//!
//! - `processes_share_one_store_under_load`: `KEYSTEAD_CONC_PROCS` processes (default 8) each
//!   run `KEYSTEAD_CONC_OPS` random operations (default 250; `make stress` runs 10,000) on one
//!   store folder: CreateKey, Encrypt/Decrypt round trips under shared and own keys,
//!   RotateKeyOnDemand of shared keys, Disable/Enable of shared keys, CreateGrant,
//!   GetKeyPolicy and DescribeKey. The workers are this test binary re-executed on
//!   `load_worker_entry`.
//! - `threads_share_one_handle_under_load`: `KEYSTEAD_CONC_THREADS` threads (default 64) each run
//!   `KEYSTEAD_CONC_THREAD_OPS` random Encrypt/Decrypt/Rotate/Disable/Enable calls (default 100)
//!   on one handle.
//!
//! Both check: 0 wrong plaintexts (every round trip, and every acknowledged ciphertext again at
//! the end from another process or handle), material versions unique and gap-free (the
//! rotations listed equal the rotations acknowledged, their material ids are distinct, a fresh
//! Encrypt uses version 1 + that number, and every acknowledged ciphertext names a version in
//! that range), every acknowledged grant listed, only the expected refusals (DisabledException
//! on a disabled key, LimitExceededException past 25 on-demand rotations), and 0 panics (a
//! panicking worker or thread fails the test).
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use keystead_core::crypto::ciphertext::parse_header;
use keystead_core::{
    CreateGrantRequest, CreateKeyRequest, DecryptRequest, EncryptRequest, ErrorKind, GrantOperation, Keystead,
};
use support::{version_of, Rng};

const DIR_ENV: &str = "KEYSTEAD_LOAD_CHILD_DIR";
const INDEX_ENV: &str = "KEYSTEAD_LOAD_CHILD_INDEX";
const SHARED_ENV: &str = "KEYSTEAD_LOAD_SHARED_KEYS";
const GRANTEE: &str = "arn:aws:iam::111122223333:role/load-grantee";
/// Shared keys that are rotated (by every worker) and never disabled.
const ROTATED: usize = 4;
/// Shared keys that are disabled and enabled (by every worker).
const TOGGLED: usize = 2;
/// AWS's limit of on-demand rotations per key.
const MAX_ON_DEMAND: usize = 25;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn encrypt(store: &Keystead, key_id: &str, plaintext: &[u8]) -> keystead_core::Result<Vec<u8>> {
    store.encrypt(EncryptRequest { key_id, plaintext, ..Default::default() }).map(|r| r.ciphertext_blob)
}

fn decrypt(store: &Keystead, blob: &[u8]) -> keystead_core::Result<Vec<u8>> {
    store.decrypt(DecryptRequest { ciphertext_blob: blob, ..Default::default() }).map(|r| r.plaintext.expose().to_vec())
}

/// What one worker (process or thread) did.
#[derive(Default)]
struct Tally {
    ops: u64,
    round_trips: u64,
    /// Acknowledged on-demand rotations per key.
    rotations: BTreeMap<String, usize>,
    /// Acknowledged grant ids per key.
    grants: BTreeMap<String, Vec<String>>,
    created: Vec<String>,
    disabled_refusals: u64,
    limit_refusals: u64,
    /// DependencyTimeoutException: the write lock was not free within the store's busy timeout
    /// (10 s). Typed and retryable; the call was not applied (its transaction never began).
    busy_refusals: u64,
    /// (plaintext, ciphertext) of every acknowledged Encrypt.
    blobs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// An error that the workload expects: a disabled key, or the rotation limit.
fn expected_refusal(tally: &mut Tally, e: &keystead_core::Error, what: &str) {
    match e.kind() {
        ErrorKind::Disabled => tally.disabled_refusals += 1,
        ErrorKind::LimitExceeded => tally.limit_refusals += 1,
        ErrorKind::DependencyTimeout => tally.busy_refusals += 1,
        _ => panic!("{what}: unexpected error {e}"),
    }
}

/// Encrypt then Decrypt under `key`: the plaintext must come back; the blob is kept for the end.
fn round_trip(store: &Keystead, key: &str, rng: &mut Rng, tally: &mut Tally) {
    let plaintext = rng.bytes(256);
    match encrypt(store, key, &plaintext) {
        Ok(blob) => {
            match decrypt(store, &blob) {
                Ok(back) => {
                    assert_eq!(back, plaintext, "a round trip under {key} returned other bytes");
                    tally.round_trips += 1;
                }
                Err(e) => expected_refusal(tally, &e, "Decrypt"),
            }
            tally.blobs.push((plaintext, blob));
        }
        Err(e) => expected_refusal(tally, &e, "Encrypt"),
    }
}

/// One random operation of the mixed workload. `rotated` keys are only rotated and used;
/// `toggled` keys are also disabled and enabled; `own` keys belong to this worker.
fn mixed_step(store: &Keystead, rng: &mut Rng, rotated: &[String], toggled: &[String], tally: &mut Tally) {
    tally.ops += 1;
    let roll = rng.below(100);
    let any_key = |rng: &mut Rng, tally: &Tally| -> String {
        let own = &tally.created;
        let pool = rotated.len() + toggled.len() + own.len();
        let i = rng.below(pool);
        if i < rotated.len() {
            rotated[i].clone()
        } else if i < rotated.len() + toggled.len() {
            toggled[i - rotated.len()].clone()
        } else {
            own[i - rotated.len() - toggled.len()].clone()
        }
    };
    match roll {
        0..=1 => match store.create_key(CreateKeyRequest { description: Some("load".into()), ..Default::default() }) {
            Ok(meta) => tally.created.push(meta.key_id),
            Err(e) => expected_refusal(tally, &e, "CreateKey"),
        },
        2..=59 => {
            let key = any_key(rng, tally);
            round_trip(store, &key, rng, tally);
        }
        60..=69 if !tally.blobs.is_empty() => {
            // An older blob of this worker (maybe of older material) decrypts again.
            let (plaintext, blob) = &tally.blobs[rng.below(tally.blobs.len())];
            match decrypt(store, blob) {
                Ok(back) => assert_eq!(&back, plaintext, "an earlier ciphertext decrypted to other bytes"),
                Err(e) => expected_refusal(tally, &e, "Decrypt (earlier blob)"),
            }
        }
        60..=74 => {
            let key = rotated[rng.below(rotated.len())].clone();
            match store.rotate_key_on_demand(&key) {
                Ok(_) => *tally.rotations.entry(key).or_default() += 1,
                Err(e) => expected_refusal(tally, &e, "RotateKeyOnDemand"),
            }
        }
        75..=84 => {
            let key = toggled[rng.below(toggled.len())].clone();
            let toggled = if rng.below(2) == 0 { store.disable_key(&key) } else { store.enable_key(&key) };
            if let Err(e) = toggled {
                expected_refusal(tally, &e, "DisableKey/EnableKey");
            }
        }
        85..=89 => {
            let key = rotated[rng.below(rotated.len())].clone();
            let grant = store.create_grant(CreateGrantRequest {
                key_id: &key,
                grantee_principal: GRANTEE,
                operations: &[GrantOperation::Encrypt, GrantOperation::Decrypt],
                ..Default::default()
            });
            match grant {
                Ok(grant) => tally.grants.entry(key).or_default().push(grant.grant_id),
                Err(e) => expected_refusal(tally, &e, "CreateGrant"),
            }
        }
        90..=94 => {
            let key = any_key(rng, tally);
            let policy = store.get_key_policy(&key, None).unwrap();
            assert!(policy.contains("kms:*"), "GetKeyPolicy returned an unexpected policy: {policy}");
        }
        _ => {
            let key = any_key(rng, tally);
            assert_eq!(store.describe_key(&key).unwrap().key_id, key);
        }
    }
}

/// Every grant id of `key`, over all ListGrants pages.
fn all_grants(store: &Keystead, key: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut marker = None;
    loop {
        let page = store.list_grants(key, None, None, Some(100), marker.as_deref()).unwrap();
        ids.extend(page.items.into_iter().map(|g| g.grant_id));
        marker = page.next_marker;
        if marker.is_none() {
            return ids;
        }
    }
}

/// The checks at the end: `tallies` are every worker's; `store` is a handle other than theirs.
fn check_end_state(store: &Keystead, rotated: &[String], toggled: &[String], tallies: &[Tally]) -> String {
    for key in toggled {
        store.enable_key(key).unwrap();
    }
    let mut total_rotations = 0;
    let mut newest: BTreeMap<String, u32> = BTreeMap::new();
    for key in rotated {
        let acked: usize = tallies.iter().map(|t| t.rotations.get(key).copied().unwrap_or(0)).sum();
        let listed = store.list_key_rotations(key, None, Some(1000), None).unwrap().items;
        assert_eq!(listed.len(), acked, "{key}: {} rotations listed, {acked} acknowledged", listed.len());
        assert!(acked <= MAX_ON_DEMAND, "{key}: {acked} on-demand rotations succeeded (limit {MAX_ON_DEMAND})");
        let ids: BTreeSet<&String> = listed.iter().map(|r| &r.key_material_id).collect();
        assert_eq!(ids.len(), listed.len(), "{key}: two rotations share a material id");
        let blob = encrypt(store, key, b"newest").unwrap();
        assert_eq!(version_of(&blob) as usize, 1 + acked, "{key}: newest material version is not 1 + rotations");
        newest.insert(key.clone(), version_of(&blob));
        total_rotations += acked;
        let granted = all_grants(store, key);
        for t in tallies {
            for grant in t.grants.get(key).into_iter().flatten() {
                assert!(granted.contains(grant), "{key}: acknowledged grant {grant} is not listed");
            }
        }
    }
    let mut checked = 0;
    for t in tallies {
        for key in &t.created {
            store.describe_key(key).unwrap();
        }
        for (plaintext, blob) in &t.blobs {
            let header = parse_header(blob).unwrap();
            if let Some(&max) = newest.get(&header.key_id.to_string()) {
                assert!((1..=max).contains(&header.key_version), "a ciphertext names material {}", header.key_version);
            }
            let back = decrypt(store, blob).unwrap_or_else(|e| panic!("an acknowledged ciphertext fails: {e}"));
            assert_eq!(&back, plaintext, "an acknowledged ciphertext decrypts to other bytes");
            checked += 1;
        }
    }
    format!("{checked} ciphertexts re-decrypted, {total_rotations} rotations")
}

// ---------------------------------------------------------------------------------------------
// Processes

fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    out.write_all(format!("\n@@{line}\n").as_bytes()).unwrap();
    out.flush().unwrap();
}

/// The worker process body: runs only when the parent sets `KEYSTEAD_LOAD_CHILD_DIR`. Not a test
/// on its own. Runs its operations, writes its tally to `<dir>/../tally-<index>`, prints `@@DONE`.
#[test]
fn load_worker_entry() {
    let Ok(dir) = std::env::var(DIR_ENV) else { return };
    let index: u64 = std::env::var(INDEX_ENV).unwrap().parse().unwrap();
    let shared: Vec<String> = std::env::var(SHARED_ENV).unwrap().split(',').map(str::to_owned).collect();
    let (rotated, toggled) = shared.split_at(ROTATED);
    let ops = env_usize("KEYSTEAD_CONC_OPS", 250);
    let store = Keystead::open(&dir).unwrap();
    let mut rng = Rng::new(0xC0FFEE + index);
    let mut tally = Tally::default();
    for _ in 0..ops {
        mixed_step(&store, &mut rng, rotated, toggled, &mut tally);
    }
    // The tally, one record a line, for the parent's checks.
    let mut text = String::new();
    for (key, n) in &tally.rotations {
        text.push_str(&format!("rotation {key} {n}\n"));
    }
    for (key, grants) in &tally.grants {
        for grant in grants {
            text.push_str(&format!("grant {key} {grant}\n"));
        }
    }
    for key in &tally.created {
        text.push_str(&format!("created {key}\n"));
    }
    for (plaintext, blob) in &tally.blobs {
        text.push_str(&format!("blob {} {}\n", B64.encode(plaintext), B64.encode(blob)));
    }
    let path = Path::new(&dir).parent().unwrap().join(format!("tally-{index}"));
    fs::write(path, text).unwrap();
    emit(&format!(
        "DONE ops={} round_trips={} disabled_refusals={} limit_refusals={} busy_refusals={}",
        tally.ops, tally.round_trips, tally.disabled_refusals, tally.limit_refusals, tally.busy_refusals
    ));
}

fn read_tally(path: &Path) -> Tally {
    let mut tally = Tally::default();
    for line in fs::read_to_string(path).unwrap().lines() {
        let w: Vec<&str> = line.split(' ').collect();
        match w[0] {
            "rotation" => {
                tally.rotations.insert(w[1].to_owned(), w[2].parse().unwrap());
            }
            "grant" => tally.grants.entry(w[1].to_owned()).or_default().push(w[2].to_owned()),
            "created" => tally.created.push(w[1].to_owned()),
            "blob" => tally.blobs.push((B64.decode(w[1]).unwrap(), B64.decode(w[2]).unwrap())),
            other => panic!("unknown tally line {other}"),
        }
    }
    tally
}

fn shared_keys(store: &Keystead) -> (Vec<String>, Vec<String>) {
    let new_key =
        |what: &str| store.create_key(CreateKeyRequest { description: Some(what.into()), ..Default::default() });
    let rotated = (0..ROTATED).map(|_| new_key("rotated").unwrap().key_id).collect();
    let toggled = (0..TOGGLED).map(|_| new_key("toggled").unwrap().key_id).collect();
    (rotated, toggled)
}

#[test]
fn processes_share_one_store_under_load() {
    let procs = env_usize("KEYSTEAD_CONC_PROCS", 8);
    let ops = env_usize("KEYSTEAD_CONC_OPS", 250);
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("store");
    let store = Keystead::open(&dir).unwrap();
    let (rotated, toggled) = shared_keys(&store);
    let shared = rotated.iter().chain(&toggled).cloned().collect::<Vec<_>>().join(",");
    let started = Instant::now();
    let children: Vec<_> = (0..procs)
        .map(|i| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "load_worker_entry", "--nocapture", "--test-threads=1"])
                .env(DIR_ENV, &dir)
                .env(INDEX_ENV, i.to_string())
                .env(SHARED_ENV, &shared)
                .env("KEYSTEAD_CONC_OPS", ops.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut summaries = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "worker {i} failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let done = stdout.lines().find_map(|l| l.strip_prefix("@@DONE ")).expect("worker summary");
        summaries.push(done.to_owned());
    }
    let worked = started.elapsed();
    let tallies: Vec<Tally> = (0..procs).map(|i| read_tally(&temp.path().join(format!("tally-{i}")))).collect();
    let summary = check_end_state(&store, &rotated, &toggled, &tallies);
    let total_ops: u64 = summaries
        .iter()
        .map(|s| s.split(' ').find_map(|w| w.strip_prefix("ops=")).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total_ops, (procs * ops) as u64);
    println!(
        "concurrency/load: {procs} processes x {ops} operations = {total_ops} in {:.1} s ({:.0} ops/s); {summary}; \
         workers: {}",
        worked.as_secs_f64(),
        total_ops as f64 / worked.as_secs_f64(),
        summaries.join(" | ")
    );
}

// ---------------------------------------------------------------------------------------------
// Threads

#[test]
fn threads_share_one_handle_under_load() {
    let threads = env_usize("KEYSTEAD_CONC_THREADS", 64);
    let ops = env_usize("KEYSTEAD_CONC_THREAD_OPS", 100);
    let temp = tempfile::tempdir().unwrap();
    let dir: PathBuf = temp.path().join("store");
    let store = Keystead::open(&dir).unwrap();
    let (rotated, toggled) = shared_keys(&store);
    let tallies = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (store, rotated, toggled, tallies) = (store.clone(), &rotated, &toggled, &tallies);
            scope.spawn(move || {
                let mut rng = Rng::new(0xBEEF + t as u64);
                let mut tally = Tally::default();
                for _ in 0..ops {
                    // Encrypt/decrypt, rotate, disable/enable only (the thread mix).
                    thread_step(&store, &mut rng, rotated, toggled, &mut tally);
                }
                tallies.lock().unwrap().push(tally);
            });
        }
    });
    let worked = started.elapsed();
    let tallies = tallies.into_inner().unwrap();
    assert_eq!(tallies.len(), threads, "a thread panicked");
    // A fresh handle (its own cache) checks the end state.
    let other = Keystead::open(&dir).unwrap();
    let summary = check_end_state(&other, &rotated, &toggled, &tallies);
    let round_trips: u64 = tallies.iter().map(|t| t.round_trips).sum();
    let disabled: u64 = tallies.iter().map(|t| t.disabled_refusals).sum();
    let limit: u64 = tallies.iter().map(|t| t.limit_refusals).sum();
    let busy: u64 = tallies.iter().map(|t| t.busy_refusals).sum();
    println!(
        "concurrency/load: {threads} threads x {ops} operations in {:.1} s; {round_trips} round trips, 0 wrong; \
         {summary}; {disabled} DisabledException, {limit} LimitExceededException (expected), {busy} \
         DependencyTimeoutException (write lock busy > 10 s)",
        worked.as_secs_f64()
    );
}

/// One call of the thread mix: Encrypt+Decrypt (70%), RotateKeyOnDemand (10%), DisableKey or
/// EnableKey (10%), Decrypt of an earlier blob (10%).
fn thread_step(store: &Keystead, rng: &mut Rng, rotated: &[String], toggled: &[String], tally: &mut Tally) {
    tally.ops += 1;
    let roll = rng.below(100);
    match roll {
        0..=69 => {
            let i = rng.below(rotated.len() + toggled.len());
            let key = if i < rotated.len() { &rotated[i] } else { &toggled[i - rotated.len()] };
            round_trip(store, key, rng, tally);
        }
        70..=79 => {
            let key = rotated[rng.below(rotated.len())].clone();
            match store.rotate_key_on_demand(&key) {
                Ok(_) => *tally.rotations.entry(key).or_default() += 1,
                Err(e) => expected_refusal(tally, &e, "RotateKeyOnDemand"),
            }
        }
        80..=89 => {
            let key = &toggled[rng.below(toggled.len())];
            let toggled = if rng.below(2) == 0 { store.disable_key(key) } else { store.enable_key(key) };
            if let Err(e) = toggled {
                expected_refusal(tally, &e, "DisableKey/EnableKey");
            }
        }
        _ => {
            if !tally.blobs.is_empty() {
                let (plaintext, blob) = &tally.blobs[rng.below(tally.blobs.len())];
                match decrypt(store, blob) {
                    Ok(back) => assert_eq!(&back, plaintext, "an earlier ciphertext decrypted to other bytes"),
                    Err(e) => expected_refusal(tally, &e, "Decrypt (earlier blob)"),
                }
            }
        }
    }
}
