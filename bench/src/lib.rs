//! Keystead benchmarks live in `benches/`; this library holds what several of them share, so
//! that the criterion benches and the side-by-side `peers` program measure the same cases.

use keystead_core::{CreateKeyRequest, KeySpec, KeyUsage, Keystead, MessageType, Result, SigningAlgorithm};

/// The signing cases measured per key spec: key spec, signing algorithm and message type (a
/// 32-byte message for `RAW`; a 64-byte digest or ML-DSA mu otherwise). `benches/signing.rs`
/// measures all of them; `benches/peers.rs` the `RAW` ones, next to a bare OpenSSL key.
pub const SIGNING_CASES: &[(KeySpec, SigningAlgorithm, MessageType)] = &[
    (KeySpec::EccNistP256, SigningAlgorithm::EcdsaSha256, MessageType::Raw),
    (KeySpec::EccNistP384, SigningAlgorithm::EcdsaSha384, MessageType::Raw),
    (KeySpec::EccSecgP256k1, SigningAlgorithm::EcdsaSha256, MessageType::Raw),
    (KeySpec::EccNistEdwards25519, SigningAlgorithm::Ed25519Sha512, MessageType::Raw),
    (KeySpec::EccNistEdwards25519, SigningAlgorithm::Ed25519PhSha512, MessageType::Digest),
    (KeySpec::Rsa2048, SigningAlgorithm::RsassaPssSha256, MessageType::Raw),
    (KeySpec::Rsa2048, SigningAlgorithm::RsassaPkcs1V15Sha256, MessageType::Raw),
    (KeySpec::MlDsa65, SigningAlgorithm::MlDsaShake256, MessageType::Raw),
    (KeySpec::MlDsa65, SigningAlgorithm::MlDsaShake256, MessageType::ExternalMu),
];

/// The message a signing case signs: 32 bytes for `RAW`, 64 bytes (a SHA-512 digest's or an
/// ML-DSA mu's length) otherwise.
pub fn signing_message(message_type: MessageType) -> Vec<u8> {
    let len = if message_type == MessageType::Raw { 32 } else { 64 };
    vec![0x42; len]
}

/// Creates a `SIGN_VERIFY` key of `spec` in `store` and returns its key id.
pub fn create_signing_key(store: &Keystead, spec: KeySpec) -> Result<String> {
    create_key(store, spec, KeyUsage::SignVerify)
}

/// Creates an `HMAC_256` key in `store` and returns its key id.
pub fn create_hmac_key(store: &Keystead) -> Result<String> {
    create_key(store, KeySpec::Hmac256, KeyUsage::GenerateVerifyMac)
}

fn create_key(store: &Keystead, spec: KeySpec, usage: KeyUsage) -> Result<String> {
    let request = CreateKeyRequest { key_spec: Some(spec), key_usage: Some(usage), ..Default::default() };
    Ok(store.create_key(request)?.key_id)
}
