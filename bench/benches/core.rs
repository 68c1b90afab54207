//! Criterion benchmarks of `keystead-core` on an on-disk store (SQLite in WAL mode,
//! `synchronous=FULL`, root key in a key file), each store in its own temporary folder:
//!
//! - `symmetric/Encrypt 1 KiB` and `symmetric/Decrypt 1 KiB`: key named by key id.
//! - `symmetric/GenerateDataKey AES_256`.
//! - `open/open store with 10000 keys`: `Keystead::open` of a store holding 10,000 keys, built
//!   once per run (the time to create them is printed) and reused by every iteration; and
//!   `open/open store with 0 keys` for comparison.
//!
//! Run with `cargo bench -p keystead-bench`; see `bench/README.md` for figures.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keystead_core::{CreateKeyRequest, DataKeySpec, DecryptRequest, EncryptRequest, GenerateDataKeyRequest, Keystead};

/// Keys in the store of the `open` benchmark.
const KEYS_IN_BIG_STORE: usize = 10_000;

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

fn symmetric(c: &mut Criterion) {
    let dir = temp_dir();
    let store = Keystead::open(dir.path().join("store")).expect("open store");
    let key = store.create_key(CreateKeyRequest::default()).expect("create key");
    let key_id = key.key_id;
    let plaintext: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
    let sealed = store
        .encrypt(EncryptRequest { key_id: &key_id, plaintext: &plaintext, ..Default::default() })
        .expect("encrypt")
        .ciphertext_blob;

    let mut group = c.benchmark_group("symmetric");
    group.throughput(Throughput::Elements(1));
    group.bench_function("Encrypt 1 KiB", |b| {
        b.iter(|| {
            let request = EncryptRequest { key_id: &key_id, plaintext: black_box(&plaintext), ..Default::default() };
            black_box(store.encrypt(request).expect("encrypt"))
        })
    });
    group.bench_function("Decrypt 1 KiB", |b| {
        b.iter(|| {
            let request = DecryptRequest { ciphertext_blob: black_box(&sealed), ..Default::default() };
            black_box(store.decrypt(request).expect("decrypt"))
        })
    });
    group.bench_function("GenerateDataKey AES_256", |b| {
        b.iter(|| {
            let request =
                GenerateDataKeyRequest { key_id: &key_id, key_spec: Some(DataKeySpec::Aes256), ..Default::default() };
            black_box(store.generate_data_key(request).expect("generate data key"))
        })
    });
    group.finish();
    drop(store);
}

fn open_big_store(c: &mut Criterion) {
    let dir = temp_dir();
    let path = dir.path().join("store");
    {
        let store = Keystead::open(&path).expect("create store");
        let started = Instant::now();
        for _ in 0..KEYS_IN_BIG_STORE {
            store.create_key(CreateKeyRequest::default()).expect("create key");
        }
        let elapsed = started.elapsed();
        eprintln!(
            "setup: created {KEYS_IN_BIG_STORE} keys in {:.2} s ({:.0} CreateKey/s, {:.3} ms each)",
            elapsed.as_secs_f64(),
            KEYS_IN_BIG_STORE as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1000.0 / KEYS_IN_BIG_STORE as f64,
        );
    }

    // For comparison: the same open of a store that holds no key.
    let empty_dir = temp_dir();
    let empty_path = empty_dir.path().join("store");
    drop(Keystead::open(&empty_path).expect("create empty store"));

    let mut group = c.benchmark_group("open");
    group.throughput(Throughput::Elements(1));
    // An open takes milliseconds: 20 samples fit the measurement time.
    group.sample_size(20);
    group.bench_function("open store with 10000 keys", |b| {
        b.iter(|| black_box(Keystead::open(black_box(&path)).expect("open store")))
    });
    group.bench_function("open store with 0 keys", |b| {
        b.iter(|| black_box(Keystead::open(black_box(&empty_path)).expect("open store")))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(5)).sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = symmetric, open_big_store
}
criterion_main!(benches);
