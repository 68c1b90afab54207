//! Sign and Verify ops/s per key spec, and GenerateMac, on an in-memory store (so the figures
//! are the cryptography plus Keystead's per-call work, without SQLite). Compare with
//! `openssl speed` for the same algorithms (see bench/README.md). Since the parsed-key cache,
//! repeated calls on one key reuse its parsed OpenSSL key (and the Ed25519 / ML-DSA keys of
//! the pure-Rust paths); the first call on a key pays the parsing.
#![allow(clippy::unwrap_used)] // Benchmarks fail loudly on purpose.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keystead_bench::{create_hmac_key, create_signing_key, signing_message, SIGNING_CASES};
use keystead_core::{GenerateMacRequest, Keystead, MacAlgorithm, SignRequest, VerifyRequest};

fn signing(c: &mut Criterion) {
    let store = Keystead::builder().open_in_memory().unwrap();
    let mut group = c.benchmark_group("signing");
    group.throughput(Throughput::Elements(1));
    for &(spec, algorithm, message_type) in SIGNING_CASES {
        if !spec.is_supported() {
            continue;
        }
        let message = signing_message(message_type);
        let key_id = create_signing_key(&store, spec).unwrap();
        let request = SignRequest {
            key_id: &key_id,
            message: &message,
            message_type: Some(message_type),
            signing_algorithm: Some(algorithm),
            ..Default::default()
        };
        let signature = store.sign(request).unwrap().signature;
        let name = format!("{spec} {algorithm} {message_type}");
        group.bench_function(format!("Sign {name}"), |b| b.iter(|| store.sign(request).unwrap()));
        group.bench_function(format!("Verify {name}"), |b| {
            b.iter(|| {
                store
                    .verify(VerifyRequest {
                        key_id: &key_id,
                        message: &message,
                        message_type: Some(message_type),
                        signature: &signature,
                        signing_algorithm: Some(algorithm),
                        ..Default::default()
                    })
                    .unwrap()
            })
        });
    }
    let hmac = create_hmac_key(&store).unwrap();
    group.bench_function("GenerateMac HMAC_256 32 B", |b| {
        b.iter(|| {
            store
                .generate_mac(GenerateMacRequest {
                    key_id: &hmac,
                    message: &[0x42u8; 32],
                    mac_algorithm: Some(MacAlgorithm::HmacSha256),
                    ..Default::default()
                })
                .unwrap()
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3)).sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = signing
}
criterion_main!(benches);
