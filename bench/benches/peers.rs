//! Keystead's core next to a bare OpenSSL loop doing the same primitive work, measured in
//! alternating rounds (issue 10; `make bench` runs it and writes bench/RESULTS.md).
//!
//! Every workload is a list of cases (Keystead and its OpenSSL floor). Each case is calibrated to
//! about `BENCH_TARGET_MS` per round, then the cases run one after another, round after round
//! (`BENCH_ROUNDS`, default 7), so that load from other processes hits all of them alike; the
//! median round is what counts, and ratios are ratios of medians. The OpenSSL loops use the
//! `openssl` crate, which links the same vendored OpenSSL as `keystead-core` here.
//!
//! Subcommands (after `cargo bench -p keystead-bench --bench peers --`):
//! - `core`: Encrypt/Decrypt/GenerateDataKey 1 KiB, envelope seal/open 1 KiB, 1 MiB and
//!   64 MiB on 1 and 2 threads, Sign/Verify per key spec, GenerateMac, Encrypt throughput on 1
//!   and 2 threads.
//! - `stores <cache-dir> [tag]`: store open time and DescribeKey latency with 10, 1,000, 10,000
//!   and 100,000 keys, CreateKey latency with 10, 1,000, 10,000 and 99,000 keys (stores built
//!   once into `<cache-dir>`, see `cached_store`).
//! - `envelope [records | large]`: only the envelope workloads of `core` (1 KiB records; 1 MiB
//!   and 64 MiB objects, one-shot and streaming), or one half of them.
//! - `profile-seal <1 KiB | 1 MiB | 64 MiB>`: about 5 s of one-thread envelope seals and opens, for
//!   `perf record` when a large-object or record goal is missed.
//! - `versions`: the OpenSSL linked in, as JSON.
//! - `encrypt-loop <calls>`: one timed batch of `Encrypt` 1 KiB calls on an in-memory store
//!   (the Rust twin of bench/c/encrypt_loop.c; the driver alternates the two processes).
//!
//! Output: one `RESULT {json}` line per case (workload, case, per-round ns/op, median).
#![allow(clippy::unwrap_used, missing_docs)] // A measurement program: failures are loud on purpose.

use std::hint::black_box;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use keystead_bench::{create_hmac_key, create_signing_key, signing_message, SIGNING_CASES};
use keystead_core::envelope::{open, seal, EnvelopeReader, EnvelopeWriter, OpenOptions, SealOptions};
use keystead_core::{
    CreateKeyRequest, DataKeySpec, DecryptRequest, EncryptRequest, EncryptionContext, GenerateDataKeyRequest,
    GenerateMacRequest, KeySpec, Keystead, MacAlgorithm, MessageType, SignRequest, SigningAlgorithm, VerifyRequest,
};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use openssl::symm::{Cipher, Crypter, Mode};
use serde_json::json;

const KIB: usize = 1024;
const MIB: usize = 1 << 20;

/// One measured case: `run(n)` performs `n` operations.
struct Case<'a> {
    name: String,
    /// Bytes processed per operation (0 for per-call workloads), for MB/s.
    bytes: usize,
    run: Box<dyn FnMut(u64) + 'a>,
}

impl<'a> Case<'a> {
    fn new(name: impl Into<String>, bytes: usize, run: impl FnMut(u64) + 'a) -> Self {
        Self { name: name.into(), bytes, run: Box::new(run) }
    }
}

struct Settings {
    rounds: usize,
    target: Duration,
}

impl Settings {
    fn from_env() -> Self {
        Self {
            rounds: env_number("BENCH_ROUNDS", 7) as usize,
            target: Duration::from_millis(env_number("BENCH_TARGET_MS", 200)),
        }
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Operations per round so that one round of the case takes about `target`: doubles a trial
/// batch until it lasts a tenth of the target (which also warms caches up).
fn calibrate(case: &mut Case<'_>, target: Duration) -> u64 {
    let mut n = 1u64;
    loop {
        let started = Instant::now();
        (case.run)(n);
        let elapsed = started.elapsed();
        if elapsed >= target / 10 || n >= 1 << 30 {
            let per_op = elapsed.as_secs_f64() / n as f64;
            return ((target.as_secs_f64() / per_op) as u64).max(1);
        }
        n *= 2;
    }
}

/// Runs the cases in alternating rounds and prints one `RESULT` line per case.
fn measure(workload: &str, mut cases: Vec<Case<'_>>, settings: &Settings) {
    let counts: Vec<u64> = cases.iter_mut().map(|case| calibrate(case, settings.target)).collect();
    let mut samples = vec![Vec::with_capacity(settings.rounds); cases.len()];
    for _ in 0..settings.rounds {
        for (i, case) in cases.iter_mut().enumerate() {
            let started = Instant::now();
            (case.run)(counts[i]);
            samples[i].push(started.elapsed().as_nanos() as f64 / counts[i] as f64);
        }
    }
    for (i, case) in cases.iter().enumerate() {
        print_result(workload, &case.name, case.bytes, counts[i], &samples[i]);
    }
}

/// Prints one case's `RESULT` line (per-round ns/op and their median).
fn print_result(workload: &str, case: &str, bytes: usize, ops_per_round: u64, samples: &[f64]) {
    let median_ns = median(samples);
    let line = json!({
        "workload": workload,
        "case": case,
        "bytes": bytes,
        "ops_per_round": ops_per_round,
        "samples_ns": samples,
        "median_ns": median_ns,
    });
    println!("RESULT {line}");
    eprintln!("{workload:>24} | {case:<48} {median_ns:>12.0} ns/op");
}

fn record() -> Vec<u8> {
    (0..KIB as u32).map(|i| (i % 251) as u8).collect()
}

fn symmetric_key(store: &Keystead) -> String {
    store.create_key(CreateKeyRequest::default()).unwrap().key_id
}

/// The OpenSSL floor of a small seal: a fresh 12-byte nonce, AES-256-GCM into a fresh buffer
/// (what an API that returns the ciphertext must do).
fn gcm_seal_alloc(key: &[u8], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    openssl::rand::rand_bytes(&mut nonce).unwrap();
    let mut tag = [0u8; 16];
    let mut out =
        openssl::symm::encrypt_aead(Cipher::aes_256_gcm(), key, Some(&nonce), aad, plaintext, &mut tag).unwrap();
    out.extend_from_slice(&tag);
    out
}

fn gcm_open_alloc(key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Vec<u8> {
    let (body, tag) = sealed.split_at(sealed.len() - 16);
    openssl::symm::decrypt_aead(Cipher::aes_256_gcm(), key, Some(nonce), aad, body, tag).unwrap()
}

/// AES-256-GCM of one segment into a preallocated `out` (input length + 16 bytes of room, as
/// `Crypter` requires), returning the tag: the practical limit for large objects.
fn gcm_segment(encrypt: bool, key: &[u8], nonce: &[u8], input: &[u8], out: &mut [u8], tag: &mut [u8; 16]) {
    let mode = if encrypt { Mode::Encrypt } else { Mode::Decrypt };
    let mut crypter = Crypter::new(Cipher::aes_256_gcm(), mode, key, Some(nonce)).unwrap();
    if !encrypt {
        crypter.set_tag(tag).unwrap();
    }
    let n = crypter.update(input, out).unwrap();
    crypter.finalize(&mut out[n..]).unwrap();
    if encrypt {
        crypter.get_tag(tag).unwrap();
    }
}

/// The OpenSSL floor for a large object: 1 MiB segments, a fresh nonce each, split over
/// `threads` threads, into preallocated buffers (`out` has 16 spare bytes per segment).
fn gcm_large(encrypt: bool, key: &[u8], input: &[u8], out: &mut [u8], tags: &mut [[u8; 16]], threads: usize) {
    let segments: Vec<(&[u8], &mut [u8], &mut [u8; 16])> = input
        .chunks(MIB)
        .zip(out.chunks_mut(MIB + 16))
        .zip(tags.iter_mut())
        .map(|((input, out), tag)| (input, out, tag))
        .collect();
    let work = |part: Vec<(&[u8], &mut [u8], &mut [u8; 16])>| {
        for (input, out, tag) in part {
            let mut nonce = [0u8; 12];
            if encrypt {
                openssl::rand::rand_bytes(&mut nonce).unwrap();
            }
            gcm_segment(encrypt, key, &nonce, input, out, tag);
        }
    };
    if threads <= 1 {
        work(segments);
        return;
    }
    let per_thread = segments.len().div_ceil(threads);
    let mut parts: Vec<Vec<_>> = Vec::new();
    let mut segments = segments.into_iter();
    loop {
        let part: Vec<_> = segments.by_ref().take(per_thread).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    std::thread::scope(|scope| {
        for part in parts {
            scope.spawn(|| work(part));
        }
    });
}

/// Decrypt floor input: what `gcm_large` in decrypt mode consumes (all-zero nonces, so the
/// tags must come from an encryption with all-zero nonces too).
fn gcm_large_ciphertext(key: &[u8], input: &[u8]) -> (Vec<u8>, Vec<[u8; 16]>) {
    let segments = input.len().div_ceil(MIB);
    let mut out = vec![0u8; input.len() + 16 * segments];
    let mut tags = vec![[0u8; 16]; segments];
    for ((input, out), tag) in input.chunks(MIB).zip(out.chunks_mut(MIB + 16)).zip(tags.iter_mut()) {
        gcm_segment(true, key, &[0u8; 12], input, out, tag);
    }
    // Keep only the ciphertext bytes, laid out again with 16 spare bytes per segment for input.
    let mut body = Vec::with_capacity(input.len());
    for (i, chunk) in out.chunks(MIB + 16).enumerate() {
        let len = MIB.min(input.len() - i * MIB);
        body.extend_from_slice(&chunk[..len]);
    }
    (body, tags)
}

/// Runs `op` `n` times split over `threads` threads.
fn on_threads(threads: usize, n: u64, op: &(dyn Fn() + Sync)) {
    if threads <= 1 {
        for _ in 0..n {
            op();
        }
        return;
    }
    std::thread::scope(|scope| {
        for t in 0..threads as u64 {
            let share = n / threads as u64 + u64::from(t < n % threads as u64);
            scope.spawn(move || {
                for _ in 0..share {
                    op();
                }
            });
        }
    });
}

fn symmetric_workloads(settings: &Settings) {
    let memory = Keystead::builder().open_in_memory().unwrap();
    let memory_key = symmetric_key(&memory);
    let dir = tempfile::tempdir().unwrap();
    let folder = Keystead::open(dir.path().join("store")).unwrap();
    let folder_key = symmetric_key(&folder);
    let plaintext = record();
    let material = [7u8; 32];
    let encrypt = |store: &Keystead, key: &str| {
        black_box(store.encrypt(EncryptRequest { key_id: key, plaintext: &plaintext, ..Default::default() }).unwrap());
    };
    measure(
        "Encrypt 1 KiB",
        vec![
            Case::new("keystead in-memory store", 0, |n| (0..n).for_each(|_| encrypt(&memory, &memory_key))),
            Case::new("keystead folder store (defaults: SQLite, audit on)", 0, |n| {
                (0..n).for_each(|_| encrypt(&folder, &folder_key))
            }),
            Case::new("openssl: nonce + AES-256-GCM 1 KiB", 0, |n| {
                (0..n).for_each(|_| drop(black_box(gcm_seal_alloc(&material, b"", &plaintext))))
            }),
        ],
        settings,
    );

    let blob = |store: &Keystead, key: &str| {
        store
            .encrypt(EncryptRequest { key_id: key, plaintext: &plaintext, ..Default::default() })
            .unwrap()
            .ciphertext_blob
    };
    let (memory_blob, folder_blob) = (blob(&memory, &memory_key), blob(&folder, &folder_key));
    let decrypt = |store: &Keystead, blob: &[u8]| {
        black_box(store.decrypt(DecryptRequest { ciphertext_blob: blob, ..Default::default() }).unwrap());
    };
    let nonce = [1u8; 12];
    let mut tag = [0u8; 16];
    let mut sealed =
        openssl::symm::encrypt_aead(Cipher::aes_256_gcm(), &material, Some(&nonce), b"", &plaintext, &mut tag).unwrap();
    sealed.extend_from_slice(&tag);
    measure(
        "Decrypt 1 KiB",
        vec![
            Case::new("keystead in-memory store", 0, |n| (0..n).for_each(|_| decrypt(&memory, &memory_blob))),
            Case::new("keystead folder store (defaults: SQLite, audit on)", 0, |n| {
                (0..n).for_each(|_| decrypt(&folder, &folder_blob))
            }),
            Case::new("openssl: AES-256-GCM open 1 KiB", 0, |n| {
                (0..n).for_each(|_| drop(black_box(gcm_open_alloc(&material, &nonce, b"", &sealed))))
            }),
        ],
        settings,
    );

    let data_key = |store: &Keystead, key: &str| {
        let request = GenerateDataKeyRequest { key_id: key, key_spec: Some(DataKeySpec::Aes256), ..Default::default() };
        black_box(store.generate_data_key(request).unwrap());
    };
    measure(
        "GenerateDataKey AES_256",
        vec![
            Case::new("keystead in-memory store", 0, |n| (0..n).for_each(|_| data_key(&memory, &memory_key))),
            Case::new("keystead folder store (defaults: SQLite, audit on)", 0, |n| {
                (0..n).for_each(|_| data_key(&folder, &folder_key))
            }),
            Case::new("openssl: 32 random bytes + nonce + AES-256-GCM of them", 0, |n| {
                (0..n).for_each(|_| {
                    let mut key = [0u8; 32];
                    openssl::rand::rand_bytes(&mut key).unwrap();
                    black_box(gcm_seal_alloc(&material, b"", &key));
                })
            }),
        ],
        settings,
    );

    for threads in [1usize, 2] {
        let memory_op = || encrypt(&memory, &memory_key);
        let folder_op = || encrypt(&folder, &folder_key);
        let openssl_op = || drop(black_box(gcm_seal_alloc(&material, b"", &plaintext)));
        measure(
            &format!("Encrypt 1 KiB, {threads} thread(s)"),
            vec![
                Case::new("keystead in-memory store", 0, move |n| on_threads(threads, n, &memory_op)),
                Case::new("keystead folder store (defaults)", 0, move |n| on_threads(threads, n, &folder_op)),
                Case::new("openssl: nonce + AES-256-GCM 1 KiB", 0, move |n| on_threads(threads, n, &openssl_op)),
            ],
            settings,
        );
    }
}

/// The envelope workloads; `only` = `records` (1 KiB) or `large` (1 MiB and 64 MiB) runs one
/// half.
fn envelope_workloads(settings: &Settings, only: Option<&str>) {
    let store = Keystead::builder().open_in_memory().unwrap();
    let key = symmetric_key(&store);
    let context = EncryptionContext::from([("tenant".to_string(), "acme-corp".to_string())]);
    let plaintext = record();
    let wrapping = [9u8; 32];
    let message = seal(&store, &key, &plaintext, &context, &SealOptions::default()).unwrap();
    // The hand-written envelope on the same OpenSSL: a fresh data key wrapped by a local key,
    // the record sealed under the data key.
    let handwritten_seal = || {
        let mut data_key = [0u8; 32];
        openssl::rand::rand_bytes(&mut data_key).unwrap();
        let wrapped = gcm_seal_alloc(&wrapping, b"", &data_key);
        let body = gcm_seal_alloc(&data_key, b"tenant=acme-corp", &plaintext);
        black_box((wrapped, body));
    };
    let wrap_nonce = [2u8; 12];
    let record_nonce = [3u8; 12];
    let mut tag = [0u8; 16];
    let data_key = [5u8; 32];
    let mut wrapped =
        openssl::symm::encrypt_aead(Cipher::aes_256_gcm(), &wrapping, Some(&wrap_nonce), b"", &data_key, &mut tag)
            .unwrap();
    wrapped.extend_from_slice(&tag);
    let mut body = openssl::symm::encrypt_aead(
        Cipher::aes_256_gcm(),
        &data_key,
        Some(&record_nonce),
        b"tenant=acme-corp",
        &plaintext,
        &mut tag,
    )
    .unwrap();
    body.extend_from_slice(&tag);
    let handwritten_open = || {
        let key = gcm_open_alloc(&wrapping, &wrap_nonce, b"", &wrapped);
        black_box(gcm_open_alloc(&key, &record_nonce, b"tenant=acme-corp", &body));
    };
    if only == Some("large") {
        for size in [MIB, 64 * MIB] {
            large_object_workload(&store, &key, &context, size, settings);
        }
        return;
    }
    measure(
        "envelope seal/open 1 KiB",
        vec![
            Case::new("keystead envelope::seal (in-memory store)", 0, |n| {
                (0..n).for_each(|_| drop(black_box(seal(&store, &key, &plaintext, &context, &SealOptions::default()))))
            }),
            Case::new("openssl: hand-written envelope seal", 0, |n| (0..n).for_each(|_| handwritten_seal())),
            Case::new("keystead envelope::open (in-memory store)", 0, |n| {
                (0..n).for_each(|_| drop(black_box(open(&store, &message, &context, &OpenOptions::default()))))
            }),
            Case::new("openssl: hand-written envelope open", 0, |n| (0..n).for_each(|_| handwritten_open())),
        ],
        settings,
    );

    if only == Some("records") {
        return;
    }
    for size in [MIB, 64 * MIB] {
        large_object_workload(&store, &key, &context, size, settings);
    }
}

/// Plaintext bytes per `write` / `read` call of the streaming cases (a typical copy buffer).
const STREAM_CHUNK: usize = 64 * KIB;

/// One large object (1 MiB or 64 MiB, 1 MiB segments), four ways next to their OpenSSL floors:
///
/// - one-shot `seal` / `open` on 1 and 2 threads: each call returns a freshly allocated message
///   (plaintext), so the fair single-core floor is "openssl ... fresh output buffer";
/// - streaming `EnvelopeWriter` / `EnvelopeReader` on one thread, writing into (reading into)
///   a reused buffer and sink in `STREAM_CHUNK` pieces: the floor is "openssl ... preallocated";
/// - OpenSSL AES-256-GCM over the same 1 MiB segments (fresh nonce per segment, one `Crypter`
///   per segment), into a preallocated buffer or into a fresh one of the message's size.
fn large_object_workload(store: &Keystead, key: &str, context: &EncryptionContext, size: usize, settings: &Settings) {
    let label = if size == MIB { "1 MiB" } else { "64 MiB" };
    let data_key = [5u8; 32];
    let plaintext: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let message = seal(store, key, &plaintext, context, &SealOptions { threads: 1, ..Default::default() }).unwrap();
    let segments = size.div_ceil(MIB);
    let mut out = vec![0u8; size + 16 * segments];
    let mut tags = vec![[0u8; 16]; segments];
    let (ciphertext, mut open_tags) = gcm_large_ciphertext(&data_key, &plaintext);
    let mut fresh_open_tags = open_tags.clone();
    let out = std::cell::RefCell::new(&mut out);
    let tags = std::cell::RefCell::new(&mut tags);
    let mut cases = Vec::new();
    for threads in [1usize, 2] {
        let (plaintext, message) = (&plaintext, &message);
        cases.push(Case::new(format!("keystead seal, {threads} thread(s), one-shot"), size, move |n| {
            for _ in 0..n {
                black_box(
                    seal(store, key, plaintext, context, &SealOptions { threads, ..Default::default() }).unwrap(),
                );
            }
        }));
        cases.push(Case::new(format!("keystead open, {threads} thread(s), one-shot"), size, move |n| {
            for _ in 0..n {
                black_box(open(store, message, context, &OpenOptions { threads, ..Default::default() }).unwrap());
            }
        }));
    }
    {
        let plaintext = &plaintext;
        let mut sink: Vec<u8> = Vec::with_capacity(message.len());
        cases.push(Case::new("keystead EnvelopeWriter, 1 thread, into a reused buffer", size, move |n| {
            for _ in 0..n {
                sink.clear();
                let options = SealOptions { threads: 1, ..Default::default() };
                let mut writer = EnvelopeWriter::new(store, key, context, &options, &mut sink).unwrap();
                for chunk in plaintext.chunks(STREAM_CHUNK) {
                    writer.write_all(chunk).unwrap();
                }
                writer.finish().unwrap();
                black_box(&sink);
            }
        }));
    }
    {
        let message = &message;
        let mut chunk = vec![0u8; STREAM_CHUNK];
        cases.push(Case::new("keystead EnvelopeReader, 1 thread, into a reused buffer", size, move |n| {
            for _ in 0..n {
                let mut reader = EnvelopeReader::new(store, &message[..], context, &OpenOptions::default()).unwrap();
                let mut total = 0;
                loop {
                    let got = reader.read(&mut chunk).unwrap();
                    if got == 0 {
                        break;
                    }
                    total += got;
                }
                assert_eq!(black_box(total), size);
            }
        }));
    }
    for threads in [1usize, 2] {
        let (out, tags, plaintext, data_key) = (&out, &tags, &plaintext, &data_key);
        cases.push(Case::new(
            format!("openssl AES-256-GCM encrypt, {threads} thread(s), preallocated"),
            size,
            move |n| {
                for _ in 0..n {
                    gcm_large(
                        true,
                        data_key,
                        plaintext,
                        &mut out.borrow_mut()[..],
                        &mut tags.borrow_mut()[..],
                        threads,
                    );
                }
            },
        ));
    }
    {
        let (out, open_tags, ciphertext, data_key) = (&out, &mut open_tags, &ciphertext, &data_key);
        cases.push(Case::new("openssl AES-256-GCM decrypt, 1 thread, preallocated", size, move |n| {
            for _ in 0..n {
                gcm_large(false, data_key, ciphertext, &mut out.borrow_mut()[..], &mut open_tags[..], 1);
            }
        }));
    }
    {
        let (plaintext, data_key) = (&plaintext, &data_key);
        cases.push(Case::new("openssl AES-256-GCM encrypt, 1 thread, fresh output buffer", size, move |n| {
            for _ in 0..n {
                let mut fresh = vec![0u8; plaintext.len() + 16 * segments];
                let mut tags = vec![[0u8; 16]; segments];
                gcm_large(true, data_key, plaintext, &mut fresh, &mut tags, 1);
                black_box(fresh);
            }
        }));
    }
    {
        let (ciphertext, data_key, open_tags) = (&ciphertext, &data_key, &mut fresh_open_tags);
        cases.push(Case::new("openssl AES-256-GCM decrypt, 1 thread, fresh output buffer", size, move |n| {
            for _ in 0..n {
                let mut fresh = vec![0u8; ciphertext.len() + 16 * segments];
                gcm_large(false, data_key, ciphertext, &mut fresh, &mut open_tags[..], 1);
                black_box(fresh);
            }
        }));
    }
    measure(&format!("envelope {label}"), cases, settings);
}

/// A bare OpenSSL key for the same key spec, and how to sign/verify 32 bytes with it.
enum Floor {
    Digest(PKey<Private>, MessageDigest, Option<Padding>),
    Ed25519(PKey<Private>),
}

impl Floor {
    fn for_spec(spec: KeySpec, algorithm: SigningAlgorithm) -> Option<Self> {
        let ec = |nid: Nid, digest: MessageDigest| {
            let key = EcKey::generate(&EcGroup::from_curve_name(nid).unwrap()).unwrap();
            Some(Floor::Digest(PKey::from_ec_key(key).unwrap(), digest, None))
        };
        match (spec, algorithm) {
            (KeySpec::EccNistP256, _) => ec(Nid::X9_62_PRIME256V1, MessageDigest::sha256()),
            (KeySpec::EccNistP384, _) => ec(Nid::SECP384R1, MessageDigest::sha384()),
            (KeySpec::EccSecgP256k1, _) => ec(Nid::SECP256K1, MessageDigest::sha256()),
            (KeySpec::EccNistEdwards25519, _) => Some(Floor::Ed25519(PKey::generate_ed25519().unwrap())),
            (KeySpec::Rsa2048, SigningAlgorithm::RsassaPssSha256) => Some(Floor::Digest(
                PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
                MessageDigest::sha256(),
                Some(Padding::PKCS1_PSS),
            )),
            (KeySpec::Rsa2048, _) => Some(Floor::Digest(
                PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
                MessageDigest::sha256(),
                None,
            )),
            _ => None,
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Floor::Digest(key, digest, padding) => {
                let mut signer = Signer::new(*digest, key).unwrap();
                if let Some(padding) = padding {
                    signer.set_rsa_padding(*padding).unwrap();
                    signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).unwrap();
                }
                signer.update(message).unwrap();
                signer.sign_to_vec().unwrap()
            }
            Floor::Ed25519(key) => Signer::new_without_digest(key).unwrap().sign_oneshot_to_vec(message).unwrap(),
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Floor::Digest(key, digest, padding) => {
                let mut verifier = Verifier::new(*digest, key).unwrap();
                if let Some(padding) = padding {
                    verifier.set_rsa_padding(*padding).unwrap();
                    verifier.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).unwrap();
                }
                verifier.update(message).unwrap();
                verifier.verify(signature).unwrap()
            }
            Floor::Ed25519(key) => {
                Verifier::new_without_digest(key).unwrap().verify_oneshot(signature, message).unwrap()
            }
        }
    }
}

fn signing_workloads(settings: &Settings) {
    let store = Keystead::builder().open_in_memory().unwrap();
    // The RAW cases of the shared list: the OpenSSL floor signs the same 32 bytes.
    let message = signing_message(MessageType::Raw);
    for &(spec, algorithm, message_type) in SIGNING_CASES {
        if !spec.is_supported() || message_type != MessageType::Raw {
            continue;
        }
        let key_id = create_signing_key(&store, spec).unwrap();
        let request = SignRequest {
            key_id: &key_id,
            message: &message,
            message_type: Some(MessageType::Raw),
            signing_algorithm: Some(algorithm),
            ..Default::default()
        };
        let signature = store.sign(request).unwrap().signature;
        let verify = VerifyRequest {
            key_id: &key_id,
            message: &message,
            message_type: Some(MessageType::Raw),
            signature: &signature,
            signing_algorithm: Some(algorithm),
            ..Default::default()
        };
        let floor = Floor::for_spec(spec, algorithm);
        let floor_signature = floor.as_ref().map(|f| f.sign(&message));
        let mut list =
            vec![Case::new("keystead Sign", 0, |n| (0..n).for_each(|_| drop(black_box(store.sign(request).unwrap()))))];
        if let Some(floor) = &floor {
            list.push(Case::new("openssl sign", 0, |n| (0..n).for_each(|_| drop(black_box(floor.sign(&message))))));
        }
        list.push(Case::new("keystead Verify", 0, |n| {
            (0..n).for_each(|_| drop(black_box(store.verify(verify).unwrap())))
        }));
        if let (Some(floor), Some(signature)) = (&floor, &floor_signature) {
            list.push(Case::new("openssl verify", 0, |n| {
                (0..n).for_each(|_| assert!(black_box(floor.verify(&message, signature))))
            }));
        }
        measure(&format!("Sign/Verify {spec} {algorithm}"), list, settings);
    }

    let hmac = create_hmac_key(&store).unwrap();
    let mac_key = PKey::hmac(&[4u8; 32]).unwrap();
    let request = GenerateMacRequest {
        key_id: &hmac,
        message: &message,
        mac_algorithm: Some(MacAlgorithm::HmacSha256),
        ..Default::default()
    };
    measure(
        "GenerateMac HMAC_256 32 B",
        vec![
            Case::new("keystead GenerateMac", 0, |n| {
                (0..n).for_each(|_| drop(black_box(store.generate_mac(request).unwrap())))
            }),
            Case::new("openssl HMAC-SHA256", 0, |n| {
                (0..n).for_each(|_| {
                    let mut signer = Signer::new(MessageDigest::sha256(), &mac_key).unwrap();
                    signer.update(&message).unwrap();
                    black_box(signer.sign_to_vec().unwrap());
                })
            }),
        ],
        settings,
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Folder for stores that are written a lot: tmpfs (`/dev/shm`) where there is one, so that a
/// durable commit's fsync returns at once and what is measured is the store's own work.
fn scratch_parent() -> PathBuf {
    if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    }
}

/// A store holding `keys` symmetric keys, built once and kept in `cache` (with `keys.txt`, the
/// key ids). A durable `CreateKey` on this disk costs one fsync, about 5 ms, so the store is
/// built through the public API (one `CreateKey` per key, as a user would) in a folder on
/// tmpfs, without the audit log, and then copied into the cache. The build records how long it
/// took and the mean `CreateKey` time over each tenth of the keys (`built.json`), which shows
/// whether creating a key costs more as the store grows. A build takes at most
/// `BENCH_STORE_BUILD_S` (300) seconds per run; an unfinished one is kept in
/// `<cache>/store-N.partial` and continued by the next run. `tag` names the store format (the
/// driver passes the schema version); a cache or partial build of another format is rebuilt.
fn cached_store(cache: &Path, keys: usize, tag: &str) -> Option<PathBuf> {
    let dir = cache.join(format!("store-{keys}"));
    let marker = dir.join("complete");
    let complete = || std::fs::read_to_string(&marker).ok().as_deref() == Some(tag);
    // Another run building the same store (its pid in the lock file) is not raced: it is waited
    // for up to BENCH_STORE_WAIT_S seconds (default 0), then this size is skipped.
    let lock = cache.join(format!("store-{keys}.building"));
    let wait = Duration::from_secs(env_number("BENCH_STORE_WAIT_S", 0));
    let waiting_since = Instant::now();
    while !complete() {
        let builder = std::fs::read_to_string(&lock).ok().and_then(|pid| pid.trim().parse::<u32>().ok());
        let Some(pid) = builder.filter(|pid| Path::new(&format!("/proc/{pid}")).exists()) else { break };
        if waiting_since.elapsed() >= wait {
            let line = json!({"store_keys": keys, "reason": format!("process {pid} is still building it")});
            println!("SKIPPED {line}");
            return None;
        }
        eprintln!("waiting for process {pid} to finish building {}", dir.display());
        std::thread::sleep(Duration::from_secs(10));
    }
    if complete() {
        return Some(dir);
    }
    std::fs::create_dir_all(cache).unwrap();
    std::fs::write(&lock, std::process::id().to_string()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    // A build stopped by its time budget left its keys and its progress so far in
    // `store-N.partial`: go on from there if it is of this format.
    let partial = cache.join(format!("store-{keys}.partial"));
    let progress_file = "build-progress.json";
    let budget = Duration::from_secs(env_number("BENCH_STORE_BUILD_S", 300));
    let staging = tempfile::tempdir_in(scratch_parent()).unwrap();
    let store_dir = staging.path().join("store");
    let mut ids = String::new();
    let mut seconds = 0.0;
    // (keys in the store at the end of the window, mean µs per CreateKey in the window)
    let mut windows: Vec<(usize, f64)> = Vec::new();
    let saved: Option<serde_json::Value> = std::fs::read_to_string(partial.join(progress_file))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .filter(|progress: &serde_json::Value| progress["tag"] == tag);
    if let Some(progress) = saved {
        copy_dir(&partial, &store_dir);
        ids = std::fs::read_to_string(store_dir.join("keys.txt")).unwrap_or_default();
        seconds = progress["seconds"].as_f64().unwrap_or(0.0);
        windows = serde_json::from_value(progress["windows"].clone()).unwrap_or_default();
    }
    let _ = std::fs::remove_dir_all(&partial);
    let window = (keys / 10).max(1);
    let started = Instant::now();
    let mut made = ids.lines().count();
    {
        let store = Keystead::builder().without_audit().open(&store_dir).unwrap();
        let mut window_started = Instant::now();
        while made < keys && started.elapsed() < budget {
            ids.push_str(&symmetric_key(&store));
            ids.push('\n');
            made += 1;
            if made.is_multiple_of(window) {
                windows.push((made, window_started.elapsed().as_secs_f64() * 1e6 / window as f64));
                window_started = Instant::now();
            }
        }
    }
    seconds += started.elapsed().as_secs_f64();
    std::fs::write(store_dir.join("keys.txt"), &ids).unwrap();
    if made < keys {
        copy_dir(&store_dir, &partial);
        let progress = json!({"tag": tag, "seconds": seconds, "windows": windows});
        std::fs::write(partial.join(progress_file), progress.to_string()).unwrap();
        let _ = std::fs::remove_file(&lock);
        let reason = format!(
            "its build stopped at its time budget (BENCH_STORE_BUILD_S) with {made} keys after {seconds:.0} s of \
             CreateKey in all; the next run continues from there"
        );
        println!("SKIPPED {}", json!({"store_keys": keys, "reason": reason}));
        return None;
    }
    copy_dir(&store_dir, &dir);
    let line = json!({"store_keys": keys, "build_seconds": seconds, "create_key_us_by_keys": windows, "tag": tag});
    std::fs::write(dir.join("built.json"), line.to_string()).unwrap();
    std::fs::write(&marker, tag).unwrap();
    let _ = std::fs::remove_file(&lock);
    println!("BUILT {line}");
    eprintln!("built a store with {keys} keys in {seconds:.1} s");
    Some(dir)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn store_workloads(settings: &Settings, cache: &Path, tag: &str) {
    let sizes = [10usize, 1_000, 10_000, 100_000];
    // Each run works on a fresh copy (the cache stays as built; opening with the defaults adds
    // an audit folder).
    let work = tempfile::tempdir().unwrap();
    let mut stores = Vec::new();
    for keys in sizes {
        let Some(cached) = cached_store(cache, keys, tag) else { continue };
        let copy = work.path().join(format!("store-{keys}"));
        copy_dir(&cached, &copy);
        let ids: Vec<String> =
            std::fs::read_to_string(copy.join("keys.txt")).unwrap().lines().map(String::from).collect();
        stores.push((keys, copy, ids));
    }
    measure(
        "store open",
        stores
            .iter()
            .map(|(keys, path, _)| {
                Case::new(format!("Keystead::open, {keys} keys"), 0, move |n| {
                    (0..n).for_each(|_| drop(black_box(Keystead::open(path).unwrap())))
                })
            })
            .collect(),
        settings,
    );
    let handles: Vec<(usize, Keystead, &Vec<String>)> =
        stores.iter().map(|(keys, path, ids)| (*keys, Keystead::open(path).unwrap(), ids)).collect();
    let mut cases: Vec<Case<'_>> = handles
        .iter()
        .map(|(keys, store, ids)| {
            // A different key each call (a fixed stride through the list), so that the
            // latency is not that of one hot row.
            let mut next = 0usize;
            Case::new(format!("DescribeKey, {keys} keys"), 0, move |n| {
                for _ in 0..n {
                    next = (next + 7919) % ids.len();
                    black_box(store.describe_key(&ids[next]).unwrap());
                }
            })
        })
        .collect();
    // The largest store once more with one key only: its pages stay in SQLite's page cache, so
    // the difference to the row above is what reading spread-out rows of a large file costs.
    if let Some((keys, store, ids)) = handles.last() {
        cases.push(Case::new(format!("DescribeKey, {keys} keys, the same key every call"), 0, move |n| {
            (0..n).for_each(|_| drop(black_box(store.describe_key(&ids[0]).unwrap())))
        }));
    }
    measure("DescribeKey", cases, settings);
}

/// CreateKey latency as the store grows: `BENCH_CREATE_KEY_CALLS` (200) calls per round on a
/// fresh tmpfs copy of each cached store, audit off (as the stores are built), so that every
/// round starts from the same number of keys and the disk's fsync is not what is measured.
/// The largest store holds 99,000 keys because the store refuses keys beyond `MAX_KEYS`
/// (100,000). The copy and the open are not timed; the cases alternate round after round.
fn create_key_workload(settings: &Settings, cache: &Path, tag: &str) {
    let calls = env_number("BENCH_CREATE_KEY_CALLS", 200).max(1);
    let stores: Vec<(usize, PathBuf)> = [10usize, 1_000, 10_000, 99_000]
        .into_iter()
        .filter_map(|keys| cached_store(cache, keys, tag).map(|dir| (keys, dir)))
        .collect();
    let mut samples = vec![Vec::with_capacity(settings.rounds); stores.len()];
    // Round 0 is a warm-up (page cache, allocator) and is not kept.
    for round in 0..=settings.rounds {
        for (i, (_, cached)) in stores.iter().enumerate() {
            let scratch = tempfile::tempdir_in(scratch_parent()).unwrap();
            copy_dir(cached, scratch.path());
            let store = Keystead::builder().without_audit().open(scratch.path()).unwrap();
            let started = Instant::now();
            for _ in 0..calls {
                black_box(symmetric_key(&store));
            }
            if round > 0 {
                samples[i].push(started.elapsed().as_nanos() as f64 / calls as f64);
            }
        }
    }
    for ((keys, _), samples) in stores.iter().zip(&samples) {
        print_result("CreateKey (tmpfs, audit off)", &format!("CreateKey, store of {keys} keys"), 0, calls, samples);
    }
}

/// One timed batch of `calls` Encrypt 1 KiB calls after a warm-up, on an in-memory store: the
/// Rust side of the C binding comparison (bench/c/encrypt_loop.c does the same through the C
/// ABI).
fn encrypt_loop(calls: u64) {
    let store = Keystead::builder().open_in_memory().unwrap();
    let key = symmetric_key(&store);
    let plaintext = [0x5a_u8; KIB];
    let once = || {
        black_box(store.encrypt(EncryptRequest { key_id: &key, plaintext: &plaintext, ..Default::default() }).unwrap());
    };
    (0..1000).for_each(|_| once());
    let started = Instant::now();
    (0..calls).for_each(|_| once());
    println!("{:.1} ns/call", started.elapsed().as_nanos() as f64 / calls as f64);
}

/// About 5 s of one-thread `seal` + `open` of one object size (`1 KiB`, `1 MiB`, `64 MiB`): what
/// `perf record` samples when a large-object or record goal is missed.
fn profile_seal(size: &str) {
    let bytes = match size {
        s if s.starts_with("64") => 64 * MIB,
        s if s.ends_with("KiB") => KIB,
        _ => MIB,
    };
    let store = Keystead::builder().open_in_memory().unwrap();
    let key = symmetric_key(&store);
    let context = EncryptionContext::new();
    let plaintext: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let message =
            seal(&store, &key, &plaintext, &context, &SealOptions { threads: 1, ..Default::default() }).unwrap();
        black_box(open(&store, &message, &context, &OpenOptions { threads: 1, ..Default::default() }).unwrap());
    }
}

fn main() {
    // `cargo bench` adds `--bench`; anything starting with `--` is not ours.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let settings = Settings::from_env();
    match args.first().map(String::as_str) {
        Some("profile-seal") => profile_seal(args.get(1).map_or("64 MiB", String::as_str)),
        Some("versions") => println!("{}", json!({"openssl": openssl::version::version()})),
        Some("encrypt-loop") => encrypt_loop(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20_000)),
        Some("stores") => {
            let cache = PathBuf::from(args.get(1).expect("stores <cache-dir> [tag]"));
            let tag = args.get(2).map_or("untagged", String::as_str);
            store_workloads(&settings, &cache, tag);
            create_key_workload(&settings, &cache, tag);
        }
        Some("envelope") => envelope_workloads(&settings, args.get(1).map(String::as_str)),
        Some("core") | None => {
            symmetric_workloads(&settings);
            envelope_workloads(&settings, None);
            signing_workloads(&settings);
        }
        Some(other) => {
            eprintln!("unknown subcommand {other}: core | envelope | stores <cache-dir> [tag] | encrypt-loop <calls>");
            std::process::exit(2);
        }
    }
}
