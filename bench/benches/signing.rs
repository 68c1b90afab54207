//! Sign and Verify ops/s per key spec, and GenerateMac, on an in-memory store (so the figures
//! are the cryptography plus Keystead's per-call work, without SQLite). Compare with
//! `openssl speed` for the same algorithms (see bench/README.md).
#![allow(clippy::unwrap_used)] // Benchmarks fail loudly on purpose.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keystead_core::{
    CreateKeyRequest, GenerateMacRequest, KeySpec, KeyUsage, Keystead, MacAlgorithm, MessageType, SignRequest,
    SigningAlgorithm, VerifyRequest,
};

fn signing(c: &mut Criterion) {
    let store = Keystead::builder().open_in_memory().unwrap();
    let message = [0x42u8; 32];
    let cases = [
        (KeySpec::EccNistP256, SigningAlgorithm::EcdsaSha256),
        (KeySpec::EccNistP384, SigningAlgorithm::EcdsaSha384),
        (KeySpec::EccSecgP256k1, SigningAlgorithm::EcdsaSha256),
        (KeySpec::EccNistEdwards25519, SigningAlgorithm::Ed25519Sha512),
        (KeySpec::Rsa2048, SigningAlgorithm::RsassaPssSha256),
        (KeySpec::Rsa2048, SigningAlgorithm::RsassaPkcs1V15Sha256),
        (KeySpec::MlDsa65, SigningAlgorithm::MlDsaShake256),
    ];
    let mut group = c.benchmark_group("signing");
    group.throughput(Throughput::Elements(1));
    for (spec, algorithm) in cases {
        if !spec.is_supported() {
            continue;
        }
        let key_id = store
            .create_key(CreateKeyRequest {
                key_spec: Some(spec),
                key_usage: Some(KeyUsage::SignVerify),
                ..Default::default()
            })
            .unwrap()
            .key_id;
        let request = SignRequest {
            key_id: &key_id,
            message: &message,
            message_type: Some(MessageType::Raw),
            signing_algorithm: Some(algorithm),
            ..Default::default()
        };
        let signature = store.sign(request).unwrap().signature;
        group.bench_function(format!("Sign {spec} {algorithm}"), |b| b.iter(|| store.sign(request).unwrap()));
        group.bench_function(format!("Verify {spec} {algorithm}"), |b| {
            b.iter(|| {
                store
                    .verify(VerifyRequest {
                        key_id: &key_id,
                        message: &message,
                        message_type: Some(MessageType::Raw),
                        signature: &signature,
                        signing_algorithm: Some(algorithm),
                        ..Default::default()
                    })
                    .unwrap()
            })
        });
    }
    let hmac = store
        .create_key(CreateKeyRequest {
            key_spec: Some(KeySpec::Hmac256),
            key_usage: Some(KeyUsage::GenerateVerifyMac),
            ..Default::default()
        })
        .unwrap()
        .key_id;
    group.bench_function("GenerateMac HMAC_256 32 B", |b| {
        b.iter(|| {
            store
                .generate_mac(GenerateMacRequest {
                    key_id: &hmac,
                    message: &message,
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
