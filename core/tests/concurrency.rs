//! Concurrency: many threads on one handle, and several processes on one store folder.
//!
//! - `sixteen_threads_share_one_handle`: 16 threads mix Encrypt/Decrypt round trips,
//!   RotateKeyOnDemand up to the limit of 25 per key, and DisableKey/EnableKey on other keys.
//! - `four_processes_share_one_store`: four re-executed copies of this test binary
//!   (`process_worker_entry`, driven line by line over stdin/stdout) create keys, encrypt,
//!   decrypt each other's blobs, tag one key at the same time, and see each other's disables
//!   and rotations on their next call even with the material cached.
//! - `processes_racing_to_create_a_store_all_open_it`: several processes open a store folder
//!   that does not exist yet, at the same instant.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use keystead_core::{CreateKeyRequest, DecryptRequest, EncryptRequest, ErrorKind, Keystead, Tag};
use support::{version_of, Rng};

const WORKER_DIR_ENV: &str = "KEYSTEAD_CONC_CHILD_DIR";
const RACE_DIR_ENV: &str = "KEYSTEAD_RACE_CHILD_DIR";

fn new_key(store: &Keystead, description: &str) -> String {
    store.create_key(CreateKeyRequest { description: Some(description.into()), ..Default::default() }).unwrap().key_id
}

fn encrypt(store: &Keystead, key_id: &str, plaintext: &[u8]) -> keystead_core::Result<Vec<u8>> {
    store.encrypt(EncryptRequest { key_id, plaintext, ..Default::default() }).map(|r| r.ciphertext_blob)
}

fn decrypt(store: &Keystead, blob: &[u8]) -> keystead_core::Result<(Vec<u8>, String)> {
    store
        .decrypt(DecryptRequest { ciphertext_blob: blob, ..Default::default() })
        .map(|r| (r.plaintext.expose().to_vec(), r.key_material_id.unwrap_or_default()))
}

// ---------------------------------------------------------------------------------------------
// (a) threads

const THREADS: usize = 16;
/// Threads 0..ROTATING_THREADS encrypt/decrypt and rotate; the rest also toggle keys.
const ROTATING_THREADS: usize = 12;
const ROTATED_KEYS: usize = 4;
const TOGGLED_KEYS: usize = 2;
const MAX_ON_DEMAND: u32 = 25;

#[test]
fn sixteen_threads_share_one_handle() {
    let temp = tempfile::tempdir().unwrap();
    let store = Keystead::open(temp.path().join("store")).unwrap();
    let rotated: Vec<String> = (0..ROTATED_KEYS).map(|i| new_key(&store, &format!("rotated-{i}"))).collect();
    let toggled: Vec<String> = (0..TOGGLED_KEYS).map(|i| new_key(&store, &format!("toggled-{i}"))).collect();
    let rotations_ok: Vec<AtomicU32> = (0..ROTATED_KEYS).map(|_| AtomicU32::new(0)).collect();
    let limit_refusals = AtomicU32::new(0);
    let disabled_refusals = AtomicU64::new(0);
    let calls = AtomicU64::new(0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(3);

    // Every blob encrypted: (key id, plaintext, blob).
    let blobs: Vec<(String, Vec<u8>, Vec<u8>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = store.clone();
                let (rotated, toggled) = (&rotated, &toggled);
                let (rotations_ok, limit_refusals, disabled_refusals, calls) =
                    (&rotations_ok, &limit_refusals, &disabled_refusals, &calls);
                scope.spawn(move || {
                    let mut rng = Rng::new(0x5EED + t as u64);
                    let mut mine = Vec::new();
                    // Newest material version this thread has seen per rotated key: a thread's
                    // own view never goes back, and its own rotation is seen by its next call.
                    let mut seen = [0u32; ROTATED_KEYS];
                    let mut must_exceed = [0u32; ROTATED_KEYS];
                    while Instant::now() < deadline {
                        calls.fetch_add(1, Ordering::Relaxed);
                        let roll = rng.below(100);
                        if t >= ROTATING_THREADS && roll < 50 {
                            // Toggle a key, or use it while others toggle it.
                            let key = &toggled[t % TOGGLED_KEYS];
                            match roll {
                                0..=14 => store.disable_key(key).unwrap(),
                                15..=29 => store.enable_key(key).unwrap(),
                                _ => {
                                    let plaintext = rng.bytes(256);
                                    match encrypt(&store, key, &plaintext) {
                                        Ok(blob) => {
                                            match decrypt(&store, &blob) {
                                                Ok((back, _)) => assert_eq!(back, plaintext),
                                                Err(e) if e.kind() == ErrorKind::Disabled => {
                                                    disabled_refusals.fetch_add(1, Ordering::Relaxed);
                                                }
                                                Err(e) => panic!("thread {t}: unexpected Decrypt error {e}"),
                                            }
                                            mine.push((key.clone(), plaintext, blob));
                                        }
                                        Err(e) if e.kind() == ErrorKind::Disabled => {
                                            disabled_refusals.fetch_add(1, Ordering::Relaxed);
                                        }
                                        Err(e) => panic!("thread {t}: unexpected Encrypt error {e}"),
                                    }
                                }
                            }
                        } else if roll < 92 || t >= ROTATING_THREADS {
                            let k = rng.below(ROTATED_KEYS);
                            let plaintext = rng.bytes(512);
                            let blob = encrypt(&store, &rotated[k], &plaintext)
                                .unwrap_or_else(|e| panic!("thread {t}: unexpected Encrypt error {e}"));
                            let version = version_of(&blob);
                            assert!(
                                version >= seen[k],
                                "thread {t}: key material went back from {} to {version}",
                                seen[k]
                            );
                            assert!(
                                version > must_exceed[k] || must_exceed[k] == 0,
                                "thread {t}: Encrypt after this thread's own rotation used old material {version}"
                            );
                            seen[k] = version;
                            must_exceed[k] = 0;
                            let (back, _) = decrypt(&store, &blob)
                                .unwrap_or_else(|e| panic!("thread {t}: unexpected Decrypt error {e}"));
                            assert_eq!(back, plaintext, "thread {t}: round trip changed the plaintext");
                            mine.push((rotated[k].clone(), plaintext, blob));
                        } else {
                            let k = rng.below(ROTATED_KEYS);
                            match store.rotate_key_on_demand(&rotated[k]) {
                                Ok(_) => {
                                    rotations_ok[k].fetch_add(1, Ordering::SeqCst);
                                    must_exceed[k] = seen[k];
                                }
                                Err(e) if e.kind() == ErrorKind::LimitExceeded => {
                                    limit_refusals.fetch_add(1, Ordering::Relaxed);
                                }
                                Err(e) => panic!("thread {t}: unexpected RotateKeyOnDemand error {e}"),
                            }
                        }
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let worked = started.elapsed();

    for (k, key) in rotated.iter().enumerate() {
        let done = rotations_ok[k].load(Ordering::SeqCst);
        assert!(done <= MAX_ON_DEMAND, "{done} on-demand rotations of one key succeeded (limit {MAX_ON_DEMAND})");
        let listed = store.list_key_rotations(key, None, Some(1000), None).unwrap().items.len();
        assert_eq!(listed, done as usize, "ListKeyRotations disagrees with the acknowledged rotations");
    }
    if limit_refusals.load(Ordering::SeqCst) > 0 {
        let total: u32 = rotations_ok.iter().map(|r| r.load(Ordering::SeqCst)).sum();
        assert!(total >= MAX_ON_DEMAND, "LimitExceeded before any key reached {MAX_ON_DEMAND} rotations");
    }
    for key in &toggled {
        store.enable_key(key).unwrap();
    }
    for (key, plaintext, blob) in &blobs {
        let (back, _) = decrypt(&store, blob).unwrap_or_else(|e| panic!("a blob of {key} no longer decrypts: {e}"));
        assert_eq!(&back, plaintext);
    }
    println!(
        "concurrency/threads: {THREADS} threads, {} calls in {:.1} s, {} blobs re-decrypted, rotations {:?}, \
         {} LimitExceeded, {} DisabledException (expected)",
        calls.load(Ordering::SeqCst),
        worked.as_secs_f64(),
        blobs.len(),
        rotations_ok.iter().map(|r| r.load(Ordering::SeqCst)).collect::<Vec<_>>(),
        limit_refusals.load(Ordering::SeqCst),
        disabled_refusals.load(Ordering::SeqCst),
    );
}

// ---------------------------------------------------------------------------------------------
// (b) processes

fn respond(line: &str) {
    let mut out = std::io::stdout().lock();
    out.write_all(format!("\n@@{line}\n").as_bytes()).unwrap();
    out.flush().unwrap();
}

/// Runs one command of the worker protocol.
fn worker_command(store: &Keystead, words: &[&str]) -> keystead_core::Result<String> {
    let arg = |i: usize| words.get(i).copied().unwrap_or_default();
    let count = |i: usize| arg(i).parse::<usize>().unwrap();
    match words.first().copied().unwrap_or_default() {
        "create" => Ok(new_key(store, "process worker")),
        "encrypt" => {
            let blob = encrypt(store, arg(1), &B64.decode(arg(2)).unwrap())?;
            Ok(format!("{} {}", B64.encode(&blob), version_of(&blob)))
        }
        "decrypt" => {
            let (plaintext, material) = decrypt(store, &B64.decode(arg(1)).unwrap())?;
            Ok(format!("{} {material}", B64.encode(plaintext)))
        }
        "disable" => store.disable_key(arg(1)).map(|()| String::new()),
        "enable" => store.enable_key(arg(1)).map(|()| String::new()),
        "rotate" => store.rotate_key_on_demand(arg(1)).map(|_| String::new()),
        "current" => Ok(store.describe_key(arg(1))?.current_key_material_id.unwrap_or_default()),
        "tags" => {
            for j in 0..count(3) {
                store.tag_resource(arg(1), &[Tag::new(format!("{}-{j}", arg(2)), j.to_string())])?;
            }
            Ok(String::new())
        }
        "burst" => {
            let mut rng = Rng::new(u64::from(std::process::id()));
            for _ in 0..count(2) {
                let plaintext = rng.bytes(200);
                let blob = encrypt(store, arg(1), &plaintext)?;
                assert_eq!(decrypt(store, &blob)?.0, plaintext, "burst round trip changed the plaintext");
            }
            Ok(String::new())
        }
        other => panic!("unknown worker command {other:?}"),
    }
}

/// The worker process body: runs only when the parent sets `KEYSTEAD_CONC_CHILD_DIR`. Not a
/// test on its own. Reads commands from stdin until EOF and answers `@@OK ...` or `@@ERR <kind>`.
#[test]
fn process_worker_entry() {
    let Ok(dir) = std::env::var(WORKER_DIR_ENV) else { return };
    let store = Keystead::open(&dir).expect("worker: open store");
    respond("READY");
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        match worker_command(&store, &words) {
            Ok(out) => respond(&format!("OK {out}")),
            Err(e) => respond(&format!("ERR {:?} {e}", e.kind())),
        }
    }
}

/// A running worker process.
struct Worker {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn spawn(entry: &str, env: &str, dir: &Path, name: &str) -> Worker {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", entry, "--nocapture", "--test-threads=1"])
            .env(env, dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn worker");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Worker { name: name.into(), child, stdin, stdout }
    }

    fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{command}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// The next protocol line (without `@@`).
    fn recv(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "worker {} ended unexpectedly", self.name);
            if let Some(at) = line.find("@@") {
                return line[at + 2..].trim_end().to_owned();
            }
        }
    }

    /// Sends a command and returns its `OK` words; panics on `ERR`.
    fn ok(&mut self, command: &str) -> Vec<String> {
        self.send(command);
        self.expect_ok(command)
    }

    fn expect_ok(&mut self, command: &str) -> Vec<String> {
        let reply = self.recv();
        let words: Vec<String> = reply.split_whitespace().map(str::to_owned).collect();
        assert_eq!(words.first().map(String::as_str), Some("OK"), "worker {}: {command} -> {reply}", self.name);
        words[1..].to_vec()
    }

    /// Sends a command that must fail with `kind`.
    fn err(&mut self, command: &str, kind: &str) {
        self.send(command);
        let reply = self.recv();
        assert!(
            reply.starts_with(&format!("ERR {kind} ")),
            "worker {}: {command} -> {reply}, expected {kind}",
            self.name
        );
    }

    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "worker {} exited with {status}", self.name);
    }
}

#[test]
fn four_processes_share_one_store() {
    let started = Instant::now();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("store");
    drop(Keystead::open(&dir).unwrap());
    let mut w: Vec<Worker> =
        (0..4).map(|i| Worker::spawn("process_worker_entry", WORKER_DIR_ENV, &dir, &format!("P{i}"))).collect();
    for worker in &mut w {
        assert_eq!(worker.recv(), "READY");
    }

    // Each process creates a key and encrypts under it, all at once.
    for worker in &mut w {
        worker.send("create");
    }
    let keys: Vec<String> = w.iter_mut().map(|worker| worker.expect_ok("create")[0].clone()).collect();
    let plaintexts: Vec<Vec<u8>> = (0..4).map(|i| format!("secret of process {i}").into_bytes()).collect();
    for (i, worker) in w.iter_mut().enumerate() {
        worker.send(&format!("encrypt {} {}", keys[i], B64.encode(&plaintexts[i])));
    }
    let blobs: Vec<String> = w.iter_mut().map(|worker| worker.expect_ok("encrypt")[0].clone()).collect();

    // A blob made by process i decrypts in process i+1.
    for i in 0..4 {
        let j = (i + 1) % 4;
        let out = w[j].ok(&format!("decrypt {}", blobs[i]));
        assert_eq!(B64.decode(&out[0]).unwrap(), plaintexts[i], "P{j} decrypted P{i}'s blob to other bytes");
    }

    // Concurrent load: every process round-trips under another's key while all four tag the
    // same key (read-modify-write transactions in four processes: no update may be lost).
    for (i, worker) in w.iter_mut().enumerate() {
        worker.send(&format!("burst {} 150", keys[(i + 2) % 4]));
        worker.send(&format!("tags {} p{i} 10", keys[0]));
    }
    for worker in &mut w {
        worker.expect_ok("burst");
        worker.expect_ok("tags");
    }
    {
        let store = Keystead::open(&dir).unwrap();
        let tags: BTreeMap<String, String> = store
            .list_resource_tags(&keys[0], Some(50), None)
            .unwrap()
            .items
            .into_iter()
            .map(|t| (t.tag_key, t.tag_value))
            .collect();
        let expected: BTreeMap<String, String> =
            (0..4).flat_map(|i| (0..10).map(move |j| (format!("p{i}-{j}"), j.to_string()))).collect();
        assert_eq!(tags, expected, "tags written concurrently by four processes were lost");
    }

    // A disable by P0 is enforced by P1's and P2's next calls, though both have the material
    // cached.
    let warm = B64.encode(b"warm the cache");
    w[1].ok(&format!("encrypt {} {warm}", keys[0]));
    w[1].ok(&format!("decrypt {}", blobs[0]));
    w[2].ok(&format!("decrypt {}", blobs[0]));
    w[0].ok(&format!("disable {}", keys[0]));
    w[1].err(&format!("encrypt {} {warm}", keys[0]), "Disabled");
    w[1].err(&format!("decrypt {}", blobs[0]), "Disabled");
    w[2].err(&format!("decrypt {}", blobs[0]), "Disabled");
    w[3].err(&format!("rotate {}", keys[0]), "Disabled");
    // ...and an enable by P2 as well.
    w[2].ok(&format!("enable {}", keys[0]));
    w[1].ok(&format!("encrypt {} {warm}", keys[0]));
    w[1].ok(&format!("decrypt {}", blobs[0]));

    // A rotation by P3 is used by P1's next Encrypt (cached old material notwithstanding).
    let before = w[1].ok(&format!("encrypt {} {warm}", keys[2]));
    let old_version: u32 = before[1].parse().unwrap();
    let old_material = w[1].ok(&format!("decrypt {}", before[0]))[1].clone();
    w[3].ok(&format!("rotate {}", keys[2]));
    let new_material = w[0].ok(&format!("current {}", keys[2]))[0].clone();
    assert_ne!(new_material, old_material, "RotateKeyOnDemand did not change the current material");
    let after = w[1].ok(&format!("encrypt {} {warm}", keys[2]));
    let new_version: u32 = after[1].parse().unwrap();
    assert_eq!(new_version, old_version + 1, "P1 encrypted with material {new_version}, not the rotated one");
    assert_eq!(w[1].ok(&format!("decrypt {}", after[0]))[1], new_material, "P1's new blob names old material");
    assert_eq!(w[2].ok(&format!("decrypt {}", after[0]))[1], new_material);
    assert_eq!(w[0].ok(&format!("decrypt {}", before[0]))[1], old_material, "old blob no longer decrypts");

    for worker in w {
        worker.finish();
    }
    println!("concurrency/processes: 4 processes, all checks passed in {:.1} s", started.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------------------------
// (c) racing creators

/// The racing opener's body: runs only when the parent sets `KEYSTEAD_RACE_CHILD_DIR`. Not a
/// test on its own. Waits for a line on stdin, opens (creating) the store, creates a key and
/// answers `@@OK <key id>` or `@@ERR <kind> <message>`.
#[test]
fn racing_opener_entry() {
    let Ok(dir) = std::env::var(RACE_DIR_ENV) else { return };
    respond("READY");
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go).unwrap();
    let result = Keystead::open(&dir).and_then(|store| {
        let key = new_key(&store, "racer");
        let blob = encrypt(&store, &key, b"racer")?;
        decrypt(&store, &blob)?;
        Ok(key)
    });
    match result {
        Ok(key) => respond(&format!("OK {key}")),
        Err(e) => respond(&format!("ERR {:?} {e}", e.kind())),
    }
}

/// Regression test: processes racing to create one store all open it. (A racer opening between
/// the creator's schema commit and its settings commit used to fail with CorruptStoreException,
/// and racers got an immediate DependencyTimeoutException while the creator switched the new
/// file to WAL mode.)
#[test]
fn processes_racing_to_create_a_store_all_open_it() {
    const ROUNDS: usize = 8;
    const RACERS: usize = 4;
    let temp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for round in 0..ROUNDS {
        let dir = temp.path().join(format!("store-{round}"));
        let mut racers: Vec<Worker> = (0..RACERS)
            .map(|i| Worker::spawn("racing_opener_entry", RACE_DIR_ENV, &dir, &format!("R{round}.{i}")))
            .collect();
        for racer in &mut racers {
            assert_eq!(racer.recv(), "READY");
        }
        for racer in &mut racers {
            racer.send("go");
        }
        let mut keys = BTreeSet::new();
        for mut racer in racers {
            let reply = racer.recv();
            match reply.strip_prefix("OK ") {
                Some(key) => {
                    keys.insert(key.to_owned());
                }
                None => failures.push(format!("round {round}, {}: {reply}", racer.name)),
            }
            racer.finish();
        }
        if let Ok(store) = Keystead::open(&dir) {
            for key in &keys {
                store.describe_key(key).unwrap();
            }
        }
    }
    assert!(failures.is_empty(), "processes opening a new store at once failed:\n{}", failures.join("\n"));
}
