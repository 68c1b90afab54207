//! Criterion benchmarks of envelope messages (`keystead_core::envelope`) on an on-disk store:
//!
//! - `envelope-record/seal 1 KiB` and `open 1 KiB`: one-shot, one wrapping key, empty context
//!   (each seal is a `GenerateDataKey`, each open a `Decrypt`, plus the message crypto).
//! - `envelope-large/…`: 64 MiB in 1 MiB segments, one-shot on 1 thread and on all cores
//!   (each call returns a freshly allocated message / plaintext), and through `EnvelopeWriter` /
//!   `EnvelopeReader` into a reused buffer (64 KiB writes and reads). Throughput is in plaintext
//!   bytes.
//! - `envelope-large/baseline AES-256-GCM 64 MiB`: the core's symmetric blob sealing (one HKDF
//!   and one OpenSSL AES-256-GCM pass per 1 MiB call, each into a fresh buffer) over the same
//!   bytes. `peers core` / `peers envelope large` has the bare-OpenSSL floors, preallocated and
//!   with a fresh output buffer.
//!
//! Run with `cargo bench -p keystead-bench --bench envelope`.

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keystead_core::envelope::{open, seal, EnvelopeReader, EnvelopeWriter, OpenOptions, SealOptions};
use keystead_core::{CreateKeyRequest, EncryptionContext, Keystead};

const LARGE: usize = 64 << 20;

fn store() -> (tempfile::TempDir, Keystead, String) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Keystead::open(dir.path().join("store")).expect("open store");
    let key = store.create_key(CreateKeyRequest::default()).expect("create key").key_id;
    (dir, store, key)
}

fn record(c: &mut Criterion) {
    let (_dir, store, key) = store();
    let context = EncryptionContext::new();
    let plaintext: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
    let message = seal(&store, &key, &plaintext, &context, &SealOptions::default()).expect("seal");
    println!("envelope overhead for a 1 KiB record: {} bytes", message.len() - plaintext.len());
    let mut group = c.benchmark_group("envelope-record");
    group.throughput(Throughput::Elements(1));
    group.bench_function("seal 1 KiB", |b| {
        b.iter(|| {
            black_box(seal(&store, &key, black_box(&plaintext), &context, &SealOptions::default()).expect("seal"))
        })
    });
    group.bench_function("open 1 KiB", |b| {
        b.iter(|| black_box(open(&store, black_box(&message), &context, &OpenOptions::default()).expect("open")))
    });
    group.finish();
}

fn large(c: &mut Criterion) {
    let (_dir, store, key) = store();
    let context = EncryptionContext::from([("object".to_string(), "export.csv".to_string())]);
    let plaintext: Vec<u8> = (0..LARGE).map(|i| (i % 251) as u8).collect();
    let one = SealOptions { threads: 1, ..Default::default() };
    let message = seal(&store, &key, &plaintext, &context, &one).expect("seal");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("envelope-large");
    group.throughput(Throughput::Bytes(LARGE as u64));
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    // Baseline: the same OpenSSL's AES-256-GCM over the same bytes in 1 MiB calls (the core's
    // symmetric blob sealing: one HKDF and one GCM pass per call, output in a fresh buffer).
    let material = [7u8; 32];
    let blob = store
        .encrypt(keystead_core::EncryptRequest { key_id: &key, plaintext: b"x", ..Default::default() })
        .expect("encrypt")
        .ciphertext_blob;
    let key_uuid = keystead_core::crypto::ciphertext::parse_header(&blob).expect("blob").key_id;
    group.bench_function("baseline AES-256-GCM 64 MiB, 1 thread", |b| {
        b.iter(|| {
            let mut total = 0;
            for chunk in plaintext.chunks(1 << 20) {
                let sealed = keystead_core::crypto::ciphertext::seal(key_uuid, 1, &material, b"", chunk).expect("gcm");
                total += black_box(sealed).len();
            }
            total
        })
    });
    for threads in [1, cores] {
        let seal_options = SealOptions { threads, ..Default::default() };
        group.bench_function(format!("seal 64 MiB, {threads} thread(s)"), |b| {
            b.iter(|| black_box(seal(&store, &key, &plaintext, &context, &seal_options).expect("seal")))
        });
        let open_options = OpenOptions { threads, ..Default::default() };
        group.bench_function(format!("open 64 MiB, {threads} thread(s)"), |b| {
            b.iter(|| black_box(open(&store, &message, &context, &open_options).expect("open")))
        });
    }
    // Streaming into a reused sink (cleared, capacity kept) in 64 KiB writes and reads: the
    // streaming API's own cost, next to the baseline's preallocated-buffer figure.
    let mut sink: Vec<u8> = Vec::with_capacity(message.len());
    group.bench_function("EnvelopeWriter 64 MiB, 1 thread, into a reused buffer", |b| {
        b.iter(|| {
            sink.clear();
            let mut writer = EnvelopeWriter::new(&store, &key, &context, &one, &mut sink).expect("writer");
            for chunk in plaintext.chunks(64 << 10) {
                writer.write_all(chunk).expect("write");
            }
            writer.finish().expect("finish");
            black_box(sink.len())
        })
    });
    group.bench_function("EnvelopeReader 64 MiB, 1 thread, into a reused buffer", |b| {
        let mut buf = vec![0u8; 64 << 10];
        b.iter(|| {
            let mut reader =
                EnvelopeReader::new(&store, &message[..], &context, &OpenOptions::default()).expect("reader");
            let mut total = 0;
            loop {
                let n = reader.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                total += n;
            }
            black_box(total)
        })
    });
    group.finish();
}

criterion_group!(benches, record, large);
criterion_main!(benches);
