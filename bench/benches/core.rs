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
//!
//! `cargo bench -p keystead-bench --bench core -- hot` instead measures the per-call cost of the
//! in-memory store (Encrypt, Decrypt, GenerateDataKey 1 KiB, GenerateMac, Sign P-256) next to
//! the bare OpenSSL work of each, in alternating rounds (`HOT_ROUNDS`, default 9; medians), and
//! `... -- hot <case> <seconds>` loops one case alone for `perf record` (cases: encrypt,
//! decrypt, datakey, mac, sign).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use keystead_bench::{create_hmac_key, create_signing_key};
use keystead_core::{
    CreateKeyRequest, DataKeySpec, DecryptRequest, EncryptRequest, GenerateDataKeyRequest, GenerateMacRequest, KeySpec,
    Keystead, MacAlgorithm, MessageType, SignRequest, SigningAlgorithm,
};
use openssl::symm::Cipher;

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
/// One hot-loop case: its name and one call.
type HotCase<'a> = (&'static str, Box<dyn Fn() + 'a>);

/// Seal with a fresh nonce into a fresh buffer: the OpenSSL floor of `Encrypt`.
fn gcm_seal(key: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    openssl::rand::rand_bytes(&mut nonce).expect("nonce");
    let mut tag = [0u8; 16];
    let mut out =
        openssl::symm::encrypt_aead(Cipher::aes_256_gcm(), key, Some(&nonce), b"", plaintext, &mut tag).expect("seal");
    out.extend_from_slice(&tag);
    out
}

/// The in-memory per-call loops and their OpenSSL floors (see the module comment).
fn hot(args: &[String]) {
    let store = Keystead::builder().open_in_memory().expect("in-memory store");
    let key = store.create_key(CreateKeyRequest::default()).expect("create key").key_id;
    let mac_key = create_hmac_key(&store).expect("hmac key");
    let sign_key = create_signing_key(&store, KeySpec::EccNistP256).expect("signing key");
    let plaintext: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
    let blob = store
        .encrypt(EncryptRequest { key_id: &key, plaintext: &plaintext, ..Default::default() })
        .expect("encrypt")
        .ciphertext_blob;
    let material = [7u8; 32];
    let nonce = [1u8; 12];
    let mut tag = [0u8; 16];
    let sealed = {
        let mut out =
            openssl::symm::encrypt_aead(Cipher::aes_256_gcm(), &material, Some(&nonce), b"", &plaintext, &mut tag)
                .expect("seal");
        out.extend_from_slice(&tag);
        out
    };
    let hmac_key = openssl::pkey::PKey::hmac(&material).expect("hmac key");
    let message = [0x42u8; 32];
    let cases: Vec<HotCase<'_>> = vec![
        (
            "encrypt",
            Box::new(|| {
                let request = EncryptRequest { key_id: &key, plaintext: black_box(&plaintext), ..Default::default() };
                black_box(store.encrypt(request).expect("encrypt"));
            }),
        ),
        ("openssl seal", Box::new(|| drop(black_box(gcm_seal(&material, &plaintext))))),
        (
            "decrypt",
            Box::new(|| {
                let request = DecryptRequest { ciphertext_blob: black_box(&blob), ..Default::default() };
                black_box(store.decrypt(request).expect("decrypt"));
            }),
        ),
        (
            "openssl open",
            Box::new(|| {
                let (body, tag) = sealed.split_at(sealed.len() - 16);
                let out = openssl::symm::decrypt_aead(Cipher::aes_256_gcm(), &material, Some(&nonce), b"", body, tag);
                drop(black_box(out.expect("open")));
            }),
        ),
        (
            "datakey",
            Box::new(|| {
                let request =
                    GenerateDataKeyRequest { key_id: &key, key_spec: Some(DataKeySpec::Aes256), ..Default::default() };
                black_box(store.generate_data_key(request).expect("generate data key"));
            }),
        ),
        (
            "openssl datakey",
            Box::new(|| {
                let mut data_key = [0u8; 32];
                openssl::rand::rand_bytes(&mut data_key).expect("random");
                drop(black_box(gcm_seal(&material, &data_key)));
            }),
        ),
        (
            "mac",
            Box::new(|| {
                let request = GenerateMacRequest {
                    key_id: &mac_key,
                    message: black_box(&message),
                    mac_algorithm: Some(MacAlgorithm::HmacSha256),
                    ..Default::default()
                };
                black_box(store.generate_mac(request).expect("generate mac"));
            }),
        ),
        (
            "openssl hmac",
            Box::new(|| {
                let mut signer =
                    openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &hmac_key).expect("signer");
                signer.update(&message).expect("update");
                black_box(signer.sign_to_vec().expect("hmac"));
            }),
        ),
        (
            "sign",
            Box::new(|| {
                let request = SignRequest {
                    key_id: &sign_key,
                    message: black_box(&message),
                    message_type: Some(MessageType::Raw),
                    signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
                    ..Default::default()
                };
                black_box(store.sign(request).expect("sign"));
            }),
        ),
    ];
    if let Some(name) = args.first() {
        // One case alone, for `perf record`.
        let seconds: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
        let (_, run) = cases.iter().find(|(n, _)| n == name).expect("case: encrypt decrypt datakey mac sign");
        let started = Instant::now();
        while started.elapsed().as_secs_f64() < seconds {
            (0..1000).for_each(|_| run());
        }
        return;
    }
    let rounds: usize = std::env::var("HOT_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(9);
    // Calibrate each case to about 100 ms per round.
    let calls: Vec<u64> = cases
        .iter()
        .map(|(_, run)| {
            let started = Instant::now();
            (0..200).for_each(|_| run());
            let per_call = started.elapsed().as_secs_f64() / 200.0;
            ((0.1 / per_call) as u64).max(10)
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(rounds); cases.len()];
    for _ in 0..rounds {
        for (i, (_, run)) in cases.iter().enumerate() {
            let started = Instant::now();
            (0..calls[i]).for_each(|_| run());
            samples[i].push(started.elapsed().as_nanos() as f64 / calls[i] as f64);
        }
    }
    for ((name, _), mut samples) in cases.iter().zip(samples) {
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        let (low, high) = (samples[0], samples[samples.len() - 1]);
        println!("{name:>16}: median {median:8.0} ns/call  (min {low:.0}, max {high:.0}, {rounds} rounds)");
    }
}

fn main() {
    // `cargo bench` adds `--bench`; anything starting with `--` is criterion's or cargo's.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if args.first().map(String::as_str) == Some("hot") {
        hot(&args[1..]);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
