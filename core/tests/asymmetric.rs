//! Asymmetric and HMAC keys: Sign/Verify with every spec and algorithm (RAW and DIGEST),
//! signatures checked by the `openssl` command-line tool, GetPublicKey, GenerateMac/VerifyMac,
//! DeriveSharedSecret and GenerateDataKeyPair, with AWS's usage errors.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::process::Command;

use keystead_core::{
    CreateKeyRequest, DataKeyPairSpec, DecryptRequest, DeriveSharedSecretRequest, EncryptRequest, EncryptionContext,
    ErrorKind, GenerateDataKeyPairRequest, GenerateDataKeyRequest, GenerateMacRequest, KeyAgreementAlgorithm, KeySpec,
    KeyUsage, Keystead, MacAlgorithm, MessageType, SignRequest, SigningAlgorithm, VerifyMacRequest, VerifyRequest,
};
use openssl::hash::{hash, MessageDigest};

fn store() -> Keystead {
    Keystead::builder().open_in_memory().unwrap()
}

fn create(store: &Keystead, spec: KeySpec, usage: KeyUsage) -> String {
    store
        .create_key(CreateKeyRequest { key_spec: Some(spec), key_usage: Some(usage), ..Default::default() })
        .unwrap()
        .key_id
}

fn digest(algorithm: SigningAlgorithm, message: &[u8]) -> Vec<u8> {
    let md = match algorithm.digest_len() {
        Some(32) => MessageDigest::sha256(),
        Some(48) => MessageDigest::sha384(),
        _ => MessageDigest::sha512(),
    };
    hash(md, message).unwrap().to_vec()
}

fn try_sign(
    store: &Keystead,
    key_id: &str,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
) -> keystead_core::Result<Vec<u8>> {
    store
        .sign(SignRequest {
            key_id,
            message,
            message_type: Some(message_type),
            signing_algorithm: Some(algorithm),
            ..Default::default()
        })
        .map(|r| r.signature)
}

fn sign(
    store: &Keystead,
    key_id: &str,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
) -> Vec<u8> {
    try_sign(store, key_id, algorithm, message_type, message).unwrap()
}

fn verify(
    store: &Keystead,
    key_id: &str,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
    signature: &[u8],
) -> keystead_core::Result<()> {
    store
        .verify(VerifyRequest {
            key_id,
            message,
            message_type: Some(message_type),
            signature,
            signing_algorithm: Some(algorithm),
            ..Default::default()
        })
        .map(|r| assert!(r.signature_valid))
}

#[test]
fn every_signing_spec_signs_and_verifies_raw_and_digest() {
    let store = store();
    let message = b"order 42: 3 items, total 99.90 EUR";
    let specs = [
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256k1,
        KeySpec::EccNistEdwards25519,
        KeySpec::MlDsa44,
        KeySpec::MlDsa65,
        KeySpec::MlDsa87,
    ];
    let mut combinations = 0;
    for spec in specs {
        if !spec.is_supported() {
            // ML-DSA when linked to a system OpenSSL older than 3.5: refused, never half-made.
            let err = store
                .create_key(CreateKeyRequest {
                    key_spec: Some(spec),
                    key_usage: Some(KeyUsage::SignVerify),
                    ..Default::default()
                })
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::UnsupportedOperation);
            combinations += spec.signing_algorithms().len();
            continue;
        }
        let key_id = create(&store, spec, KeyUsage::SignVerify);
        let meta = store.describe_key(&key_id).unwrap();
        assert_eq!(meta.signing_algorithms.as_deref(), Some(spec.signing_algorithms()));
        assert_eq!(meta.encryption_algorithms, None);
        for &algorithm in spec.signing_algorithms() {
            if algorithm == SigningAlgorithm::Ed25519PhSha512 {
                // DIGEST only (AWS): a SHA-512 digest in, Ed25519ph over it.
                let d = digest(algorithm, message);
                let signature = sign(&store, &key_id, algorithm, MessageType::Digest, &d);
                verify(&store, &key_id, algorithm, MessageType::Digest, &d, &signature).unwrap();
                let err = verify(&store, &key_id, algorithm, MessageType::Digest, &digest(algorithm, b"o"), &signature)
                    .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidSignature);
                combinations += 1;
                continue;
            }
            let raw = sign(&store, &key_id, algorithm, MessageType::Raw, message);
            verify(&store, &key_id, algorithm, MessageType::Raw, message, &raw).unwrap();
            let err = verify(&store, &key_id, algorithm, MessageType::Raw, b"order 43", &raw).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{spec} {algorithm}");
            let mut tampered = raw.clone();
            let last = tampered.len() - 1;
            tampered[last] ^= 0x01;
            let err = verify(&store, &key_id, algorithm, MessageType::Raw, message, &tampered).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{spec} {algorithm}");
            if let Some(len) = algorithm.digest_len() {
                let d = digest(algorithm, message);
                assert_eq!(d.len(), len);
                let signed_digest = sign(&store, &key_id, algorithm, MessageType::Digest, &d);
                // A message and its digest are the same message to Verify, either way round.
                verify(&store, &key_id, algorithm, MessageType::Raw, message, &signed_digest).unwrap();
                verify(&store, &key_id, algorithm, MessageType::Digest, &d, &raw).unwrap();
                let err = store
                    .sign(SignRequest {
                        key_id: &key_id,
                        message: &d[1..],
                        message_type: Some(MessageType::Digest),
                        signing_algorithm: Some(algorithm),
                        ..Default::default()
                    })
                    .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Validation, "short digest for {algorithm}");
            }
            combinations += 1;
        }
    }
    assert_eq!(combinations, 6 + 6 + 1 + 1 + 1 + 1 + 2 + 3);
}

#[test]
fn wrong_algorithms_message_types_and_lengths_get_aws_errors() {
    let store = store();
    let p256 = create(&store, KeySpec::EccNistP256, KeyUsage::SignVerify);
    let ed = create(&store, KeySpec::EccNistEdwards25519, KeyUsage::SignVerify);
    let request = |key_id, algorithm, message_type, message| {
        store
            .sign(SignRequest {
                key_id,
                message,
                message_type: Some(message_type),
                signing_algorithm: Some(algorithm),
                ..Default::default()
            })
            .map(drop)
            .unwrap_err()
            .kind()
    };
    assert_eq!(request(&p256, SigningAlgorithm::EcdsaSha384, MessageType::Raw, b"m"), ErrorKind::InvalidKeyUsage);
    assert_eq!(request(&p256, SigningAlgorithm::RsassaPssSha256, MessageType::Raw, b"m"), ErrorKind::InvalidKeyUsage);
    assert_eq!(
        request(&ed, SigningAlgorithm::Ed25519Sha512, MessageType::Digest, &[0; 64]),
        ErrorKind::InvalidKeyUsage
    );
    assert_eq!(request(&ed, SigningAlgorithm::Ed25519PhSha512, MessageType::Raw, b"m"), ErrorKind::InvalidKeyUsage);
    let zeros = [0u8; 65];
    for len in [32, 63, 65] {
        assert_eq!(
            request(&ed, SigningAlgorithm::Ed25519PhSha512, MessageType::Digest, &zeros[..len]),
            ErrorKind::Validation
        );
    }
    assert_eq!(request(&p256, SigningAlgorithm::EcdsaSha256, MessageType::Raw, &[0; 4097]), ErrorKind::Validation);
    assert_eq!(request(&p256, SigningAlgorithm::EcdsaSha256, MessageType::Raw, &[]), ErrorKind::Validation);
    assert!(store
        .sign(SignRequest {
            key_id: &p256,
            message: &[1; 4096],
            signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
            ..Default::default()
        })
        .is_ok());
    let missing = store.sign(SignRequest { key_id: &p256, message: b"m", ..Default::default() }).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Validation);

    // Keys used outside their usage.
    let symmetric = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    assert_eq!(request(&symmetric, SigningAlgorithm::EcdsaSha256, MessageType::Raw, b"m"), ErrorKind::InvalidKeyUsage);
    let err = store.encrypt(EncryptRequest { key_id: &p256, plaintext: b"x", ..Default::default() }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);
    let err = store
        .generate_data_key(GenerateDataKeyRequest { key_id: &p256, number_of_bytes: Some(32), ..Default::default() })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);
    assert_eq!(store.get_public_key(&symmetric).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
    // Asymmetric keys do not rotate.
    assert_eq!(store.enable_key_rotation(&p256, None).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
    assert_eq!(store.rotate_key_on_demand(&p256).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
    assert_eq!(store.get_key_rotation_status(&p256).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
    // A disabled signing key refuses to sign.
    store.disable_key(&p256).unwrap();
    assert_eq!(request(&p256, SigningAlgorithm::EcdsaSha256, MessageType::Raw, b"m"), ErrorKind::Disabled);
    assert_eq!(store.get_public_key(&p256).unwrap_err().kind(), ErrorKind::Disabled);
}

#[test]
fn spec_and_usage_combinations_follow_aws() {
    let store = store();
    let attempt = |spec, usage| {
        store.create_key(CreateKeyRequest { key_spec: Some(spec), key_usage: usage, ..Default::default() }).map(drop)
    };
    assert_eq!(
        attempt(KeySpec::EccSecgP256k1, Some(KeyUsage::KeyAgreement)).unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(attempt(KeySpec::EccNistEdwards25519, None).unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(attempt(KeySpec::Hmac384, Some(KeyUsage::SignVerify)).unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(attempt(KeySpec::MlDsa65, Some(KeyUsage::KeyAgreement)).unwrap_err().kind(), ErrorKind::Validation);
    assert!(attempt(KeySpec::Hmac384, Some(KeyUsage::GenerateVerifyMac)).is_ok());
    assert!(attempt(KeySpec::EccNistP384, Some(KeyUsage::KeyAgreement)).is_ok());
    assert_eq!(attempt(KeySpec::Sm2, Some(KeyUsage::SignVerify)).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
}

fn openssl_cli() -> Command {
    let found = Command::new("openssl").arg("version").output().map(|o| o.status.success()).unwrap_or(false);
    assert!(found, "the openssl command-line tool is needed to cross-check signatures");
    Command::new("openssl")
}

#[test]
fn the_openssl_command_line_verifies_our_signatures() {
    let store = store();
    let dir = tempfile::tempdir().unwrap();
    let message = b"verify me elsewhere";
    let message_path = dir.path().join("message");
    std::fs::write(&message_path, message).unwrap();
    let cases: [(KeySpec, SigningAlgorithm, &[&str]); 6] = [
        (KeySpec::EccNistP256, SigningAlgorithm::EcdsaSha256, &["dgst", "-sha256"]),
        (KeySpec::EccNistP384, SigningAlgorithm::EcdsaSha384, &["dgst", "-sha384"]),
        (KeySpec::EccSecgP256k1, SigningAlgorithm::EcdsaSha256, &["dgst", "-sha256"]),
        (KeySpec::Rsa2048, SigningAlgorithm::RsassaPkcs1V15Sha512, &["dgst", "-sha512"]),
        (
            KeySpec::Rsa2048,
            SigningAlgorithm::RsassaPssSha256,
            &["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"],
        ),
        (KeySpec::EccNistEdwards25519, SigningAlgorithm::Ed25519Sha512, &["pkeyutl"]),
    ];
    for (i, (spec, algorithm, tool)) in cases.iter().enumerate() {
        let key_id = create(&store, *spec, KeyUsage::SignVerify);
        let public = store.get_public_key(&key_id).unwrap();
        assert_eq!(public.key_spec, *spec);
        assert_eq!(public.signing_algorithms.as_deref(), Some(spec.signing_algorithms()));
        let public_path = dir.path().join(format!("public-{i}.der"));
        std::fs::write(&public_path, &public.public_key).unwrap();
        let signature = sign(&store, &key_id, *algorithm, MessageType::Raw, message);
        let signature_path = dir.path().join(format!("signature-{i}"));
        std::fs::write(&signature_path, &signature).unwrap();
        let mut command = openssl_cli();
        if tool[0] == "pkeyutl" {
            command.args(["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-rawin"]);
            command.arg("-inkey").arg(&public_path).arg("-in").arg(&message_path).arg("-sigfile").arg(&signature_path);
        } else {
            command.args(*tool).args(["-keyform", "DER", "-verify"]).arg(&public_path);
            command.arg("-signature").arg(&signature_path).arg(&message_path);
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "openssl rejected {spec} {algorithm}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn hmac_keys_generate_and_verify_macs() {
    let store = store();
    for (spec, algorithm, len) in [
        (KeySpec::Hmac224, MacAlgorithm::HmacSha224, 28),
        (KeySpec::Hmac256, MacAlgorithm::HmacSha256, 32),
        (KeySpec::Hmac384, MacAlgorithm::HmacSha384, 48),
        (KeySpec::Hmac512, MacAlgorithm::HmacSha512, 64),
    ] {
        let key_id = create(&store, spec, KeyUsage::GenerateVerifyMac);
        assert_eq!(store.describe_key(&key_id).unwrap().mac_algorithms, Some(vec![algorithm]));
        let mac = store
            .generate_mac(GenerateMacRequest {
                key_id: &key_id,
                message: b"token",
                mac_algorithm: Some(algorithm),
                ..Default::default()
            })
            .unwrap()
            .mac;
        assert_eq!(mac.len(), len);
        let again = store
            .generate_mac(GenerateMacRequest {
                key_id: &key_id,
                message: b"token",
                mac_algorithm: Some(algorithm),
                ..Default::default()
            })
            .unwrap()
            .mac;
        assert_eq!(mac, again, "HMAC is deterministic");
        let ok = store
            .verify_mac(VerifyMacRequest {
                key_id: &key_id,
                message: b"token",
                mac: &mac,
                mac_algorithm: Some(algorithm),
                ..Default::default()
            })
            .unwrap();
        assert!(ok.mac_valid);
        let err = store
            .verify_mac(VerifyMacRequest {
                key_id: &key_id,
                message: b"tokem",
                mac: &mac,
                mac_algorithm: Some(algorithm),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidMac);
        let err = store
            .verify_mac(VerifyMacRequest {
                key_id: &key_id,
                message: b"token",
                mac: &mac[..len - 1],
                mac_algorithm: Some(algorithm),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidMac);
    }
    let key_id = create(&store, KeySpec::Hmac256, KeyUsage::GenerateVerifyMac);
    let wrong = store
        .generate_mac(GenerateMacRequest {
            key_id: &key_id,
            message: b"m",
            mac_algorithm: Some(MacAlgorithm::HmacSha512),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::InvalidKeyUsage);
    let too_long = store
        .generate_mac(GenerateMacRequest {
            key_id: &key_id,
            message: &[0; 4097],
            mac_algorithm: Some(MacAlgorithm::HmacSha256),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(too_long.kind(), ErrorKind::Validation);
    assert_eq!(store.rotate_key_on_demand(&key_id).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
    assert_eq!(store.get_public_key(&key_id).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
    let err = store.encrypt(EncryptRequest { key_id: &key_id, plaintext: b"x", ..Default::default() }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);
}

#[test]
fn ecdh_derives_the_same_secret_on_both_sides() {
    let store = store();
    for spec in [KeySpec::EccNistP256, KeySpec::EccNistP384, KeySpec::EccNistP521] {
        let alice = create(&store, spec, KeyUsage::KeyAgreement);
        let bob = create(&store, spec, KeyUsage::KeyAgreement);
        let alice_public = store.get_public_key(&alice).unwrap();
        assert_eq!(alice_public.key_agreement_algorithms, Some(vec![KeyAgreementAlgorithm::Ecdh]));
        let bob_public = store.get_public_key(&bob).unwrap().public_key;
        let derive = |key_id: &str, peer: &[u8]| {
            store.derive_shared_secret(DeriveSharedSecretRequest {
                key_id,
                key_agreement_algorithm: Some(KeyAgreementAlgorithm::Ecdh),
                public_key: peer,
                ..Default::default()
            })
        };
        let ab = derive(&alice, &bob_public).unwrap();
        let ba = derive(&bob, &alice_public.public_key).unwrap();
        assert_eq!(ab.shared_secret, ba.shared_secret);
        assert!(!ab.shared_secret.is_empty());
        assert_eq!(derive(&alice, b"not a key").unwrap_err().kind(), ErrorKind::Validation);
    }
    let p256 = create(&store, KeySpec::EccNistP256, KeyUsage::KeyAgreement);
    let p384 = create(&store, KeySpec::EccNistP384, KeyUsage::KeyAgreement);
    let other_curve = store.get_public_key(&p384).unwrap().public_key;
    let err = store
        .derive_shared_secret(DeriveSharedSecretRequest {
            key_id: &p256,
            key_agreement_algorithm: Some(KeyAgreementAlgorithm::Ecdh),
            public_key: &other_curve,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let signer = create(&store, KeySpec::EccNistP256, KeyUsage::SignVerify);
    let err = store
        .derive_shared_secret(DeriveSharedSecretRequest {
            key_id: &signer,
            key_agreement_algorithm: Some(KeyAgreementAlgorithm::Ecdh),
            public_key: &other_curve,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);
}

#[test]
fn data_key_pairs_are_usable_and_their_private_key_decrypts() {
    let store = store();
    let wrapping = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let context = EncryptionContext::from([("purpose".to_string(), "signing".to_string())]);
    for spec in [
        DataKeyPairSpec::Rsa2048,
        DataKeyPairSpec::EccNistP256,
        DataKeyPairSpec::EccNistP521,
        DataKeyPairSpec::EccSecgP256k1,
        DataKeyPairSpec::EccNistEdwards25519,
    ] {
        let pair = store
            .generate_data_key_pair(GenerateDataKeyPairRequest {
                key_id: &wrapping,
                encryption_context: Some(&context),
                key_pair_spec: Some(spec),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(pair.key_pair_spec, spec);
        let private = openssl::pkey::PKey::private_key_from_pkcs8(pair.private_key_plaintext.expose()).unwrap();
        assert_eq!(private.public_key_to_der().unwrap(), pair.public_key, "{spec}: the pair matches");
        let opened = store
            .decrypt(DecryptRequest {
                ciphertext_blob: &pair.private_key_ciphertext_blob,
                encryption_context: Some(&context),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(opened.plaintext, pair.private_key_plaintext);
        let without = store
            .generate_data_key_pair_without_plaintext(GenerateDataKeyPairRequest {
                key_id: &wrapping,
                encryption_context: None,
                key_pair_spec: Some(spec),
                ..Default::default()
            })
            .unwrap();
        let private = store
            .decrypt(DecryptRequest { ciphertext_blob: &without.private_key_ciphertext_blob, ..Default::default() })
            .unwrap();
        let parsed = openssl::pkey::PKey::private_key_from_pkcs8(private.plaintext.expose()).unwrap();
        assert_eq!(parsed.public_key_to_der().unwrap(), without.public_key);
    }
    let signer = create(&store, KeySpec::EccNistP256, KeyUsage::SignVerify);
    let err = store
        .generate_data_key_pair(GenerateDataKeyPairRequest {
            key_id: &signer,
            encryption_context: None,
            key_pair_spec: Some(DataKeyPairSpec::EccNistP256),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);
    let err = store
        .generate_data_key_pair(GenerateDataKeyPairRequest {
            key_id: &wrapping,
            encryption_context: None,
            key_pair_spec: None,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[test]
fn rsa_encryption_keys_encrypt_and_decrypt_with_oaep() {
    use keystead_core::{EncryptionAlgorithm, ReEncryptRequest};
    let store = store();
    let dir = tempfile::tempdir().unwrap();
    for (spec, limits) in [(KeySpec::Rsa2048, [214usize, 190]), (KeySpec::Rsa3072, [342, 318])] {
        let key_id = create(&store, spec, KeyUsage::EncryptDecrypt);
        let meta = store.describe_key(&key_id).unwrap();
        assert_eq!(
            meta.encryption_algorithms,
            Some(vec![EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256])
        );
        for (algorithm, max) in
            [EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256].into_iter().zip(limits)
        {
            let plaintext = vec![0x5a; max];
            let sealed = store
                .encrypt(EncryptRequest {
                    key_id: &key_id,
                    plaintext: &plaintext,
                    encryption_algorithm: Some(algorithm),
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(sealed.encryption_algorithm, algorithm);
            let opened = store
                .decrypt(DecryptRequest {
                    ciphertext_blob: &sealed.ciphertext_blob,
                    key_id: Some(&key_id),
                    encryption_algorithm: Some(algorithm),
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(opened.plaintext.expose(), &plaintext[..]);
            assert_eq!(opened.key_material_id, None, "AWS returns no KeyMaterialId for asymmetric keys");
            let too_long = store
                .encrypt(EncryptRequest {
                    key_id: &key_id,
                    plaintext: &vec![0; max + 1],
                    encryption_algorithm: Some(algorithm),
                    ..Default::default()
                })
                .unwrap_err();
            assert_eq!(too_long.kind(), ErrorKind::Validation, "{spec} {algorithm} limit {max}");
        }
    }
    let key_id = create(&store, KeySpec::Rsa2048, KeyUsage::EncryptDecrypt);
    let encrypt = |algorithm: Option<EncryptionAlgorithm>, context: Option<&EncryptionContext>| {
        store.encrypt(EncryptRequest {
            key_id: &key_id,
            plaintext: b"card",
            encryption_algorithm: algorithm,
            encryption_context: context,
            ..Default::default()
        })
    };
    assert_eq!(encrypt(None, None).unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(
        encrypt(Some(EncryptionAlgorithm::SymmetricDefault), None).unwrap_err().kind(),
        ErrorKind::InvalidKeyUsage
    );
    let context = EncryptionContext::from([("a".to_string(), "b".to_string())]);
    assert_eq!(
        encrypt(Some(EncryptionAlgorithm::RsaesOaepSha256), Some(&context)).unwrap_err().kind(),
        ErrorKind::Validation
    );
    let blob = encrypt(Some(EncryptionAlgorithm::RsaesOaepSha256), None).unwrap().ciphertext_blob;
    // Without the key id the blob cannot be found: it carries no metadata.
    let err = store.decrypt(DecryptRequest { ciphertext_blob: &blob, ..Default::default() }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
    let err = store
        .decrypt(DecryptRequest { ciphertext_blob: &blob, key_id: Some(&key_id), ..Default::default() })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "the algorithm is required");
    let mut tampered = blob.clone();
    tampered[7] ^= 1;
    let err = store
        .decrypt(DecryptRequest {
            ciphertext_blob: &tampered,
            key_id: Some(&key_id),
            encryption_algorithm: Some(EncryptionAlgorithm::RsaesOaepSha256),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
    let err = store
        .decrypt(DecryptRequest {
            ciphertext_blob: &blob,
            key_id: Some(&key_id),
            encryption_algorithm: Some(EncryptionAlgorithm::RsaesOaepSha1),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext, "decrypting with the other OAEP hash fails");

    // The openssl tool encrypts with the public key; Keystead decrypts.
    let public = store.get_public_key(&key_id).unwrap();
    assert_eq!(public.encryption_algorithms.as_ref().map(Vec::len), Some(2));
    std::fs::write(dir.path().join("rsa.der"), &public.public_key).unwrap();
    std::fs::write(dir.path().join("secret.txt"), b"from openssl").unwrap();
    let status = openssl_cli()
        .current_dir(dir.path())
        .args(["pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", "rsa.der", "-in", "secret.txt"])
        .args(["-out", "secret.bin", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"])
        .args(["-pkeyopt", "rsa_mgf1_md:sha256"])
        .status()
        .unwrap();
    assert!(status.success());
    let from_openssl = std::fs::read(dir.path().join("secret.bin")).unwrap();
    let opened = store
        .decrypt(DecryptRequest {
            ciphertext_blob: &from_openssl,
            key_id: Some(&key_id),
            encryption_algorithm: Some(EncryptionAlgorithm::RsaesOaepSha256),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(opened.plaintext.expose(), b"from openssl");

    // ReEncrypt between an RSA key and a symmetric key, both ways.
    let symmetric = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let to_symmetric = store
        .re_encrypt(ReEncryptRequest {
            ciphertext_blob: &blob,
            source_key_id: Some(&key_id),
            source_encryption_algorithm: Some(EncryptionAlgorithm::RsaesOaepSha256),
            destination_key_id: &symmetric,
            destination_encryption_context: Some(&context),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(to_symmetric.source_key_material_id, None);
    assert!(to_symmetric.destination_key_material_id.is_some());
    let back = store
        .re_encrypt(ReEncryptRequest {
            ciphertext_blob: &to_symmetric.ciphertext_blob,
            source_encryption_context: Some(&context),
            destination_key_id: &key_id,
            destination_encryption_algorithm: Some(EncryptionAlgorithm::RsaesOaepSha1),
            ..Default::default()
        })
        .unwrap();
    let opened = store
        .decrypt(DecryptRequest {
            ciphertext_blob: &back.ciphertext_blob,
            key_id: Some(&key_id),
            encryption_algorithm: Some(EncryptionAlgorithm::RsaesOaepSha1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(opened.plaintext.expose(), b"card");

    // Symmetric-only operations and state rules.
    let err = store
        .generate_data_key(GenerateDataKeyRequest { key_id: &key_id, number_of_bytes: Some(32), ..Default::default() })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);
    store.disable_key(&key_id).unwrap();
    assert_eq!(encrypt(Some(EncryptionAlgorithm::RsaesOaepSha256), None).unwrap_err().kind(), ErrorKind::Disabled);
    let signer = create(&store, KeySpec::Rsa2048, KeyUsage::SignVerify);
    let err = store
        .encrypt(EncryptRequest {
            key_id: &signer,
            plaintext: b"x",
            encryption_algorithm: Some(EncryptionAlgorithm::RsaesOaepSha256),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);
}

/// SHAKE256 with a 64-byte output, from OpenSSL.
fn shake256_64(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![0u8; 64];
    openssl::hash::hash_xof(MessageDigest::shake_256(), &parts.concat(), &mut out).unwrap();
    out
}

#[test]
fn ed25519ph_signs_a_digest_by_hashing_it_again() {
    use ed25519_dalek::{Digest, Sha512, Signature, VerifyingKey};
    let store = store();
    let key_id = create(&store, KeySpec::EccNistEdwards25519, KeyUsage::SignVerify);
    let algorithm = SigningAlgorithm::Ed25519PhSha512;
    let d = digest(algorithm, b"release 1.4.2 tarball");
    let signature = sign(&store, &key_id, algorithm, MessageType::Digest, &d);
    assert_eq!(signature.len(), 64);
    // Ed25519 is deterministic, so is Ed25519ph.
    assert_eq!(sign(&store, &key_id, algorithm, MessageType::Digest, &d), signature);

    // Checked from the public key alone: RFC 8032 Ed25519ph (empty context) whose prehash is
    // SHA-512 of the caller's digest, i.e. the message was hashed twice.
    let spki = store.get_public_key(&key_id).unwrap().public_key;
    let raw: [u8; 32] =
        openssl::pkey::PKey::public_key_from_der(&spki).unwrap().raw_public_key().unwrap().try_into().unwrap();
    let public = VerifyingKey::from_bytes(&raw).unwrap();
    let parsed = Signature::from_slice(&signature).unwrap();
    public.verify_prehashed(Sha512::new().chain_update(&d), None, &parsed).unwrap();
    assert!(public.verify_prehashed(Sha512::new().chain_update(b"release 1.4.2 tarball"), None, &parsed).is_err());

    // The two Ed25519 algorithms cannot be swapped, in either direction.
    let err = verify(&store, &key_id, SigningAlgorithm::Ed25519Sha512, MessageType::Raw, &d, &signature).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
    let pure = sign(&store, &key_id, SigningAlgorithm::Ed25519Sha512, MessageType::Raw, &d);
    let err = verify(&store, &key_id, algorithm, MessageType::Digest, &d, &pure).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
    let err = verify(&store, &key_id, algorithm, MessageType::Raw, &d, &signature).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);

    let mut tampered = signature.clone();
    tampered[10] ^= 0x80;
    let err = verify(&store, &key_id, algorithm, MessageType::Digest, &d, &tampered).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
    let err = verify(&store, &key_id, algorithm, MessageType::Digest, &d, &signature[..63]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
    let err = verify(&store, &key_id, algorithm, MessageType::Digest, &d[..32], &signature).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    // A dry run checks everything but signs nothing.
    let err = store
        .sign(SignRequest {
            key_id: &key_id,
            message: &d,
            message_type: Some(MessageType::Digest),
            signing_algorithm: Some(algorithm),
            dry_run: true,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DryRunOperation);
}

#[test]
fn ml_dsa_external_mu_signatures_are_raw_signatures_of_the_message() {
    let store = store();
    let message = b"firmware image 7, 4 MiB, built 2026-11-29";
    for (spec, signature_len) in [(KeySpec::MlDsa44, 2420), (KeySpec::MlDsa65, 3309), (KeySpec::MlDsa87, 4627)] {
        if !spec.is_supported() {
            continue; // a system OpenSSL older than 3.5: no ML-DSA keys at all (checked above)
        }
        let key_id = create(&store, spec, KeyUsage::SignVerify);
        let spki = store.get_public_key(&key_id).unwrap().public_key;
        let public = openssl::pkey::PKey::public_key_from_der(&spki).unwrap();
        // FIPS 204 §6.2 with an empty context: μ = SHAKE256(tr ‖ 0x00 ‖ 0x00 ‖ M, 64) with
        // tr = SHAKE256(pk, 64).
        let tr = shake256_64(&[&public.raw_public_key().unwrap()]);
        let mu = shake256_64(&[&tr, &[0, 0], message]);
        let algorithm = SigningAlgorithm::MlDsaShake256;

        // Signed from μ, verified by OpenSSL over the message (through Verify RAW and directly).
        let from_mu = sign(&store, &key_id, algorithm, MessageType::ExternalMu, &mu);
        assert_eq!(from_mu.len(), signature_len, "{spec}");
        verify(&store, &key_id, algorithm, MessageType::Raw, message, &from_mu).unwrap();
        let mut verifier = openssl::sign::Verifier::new_without_digest(&public).unwrap();
        assert!(verifier.verify_oneshot(&from_mu, message).unwrap(), "{spec}: OpenSSL rejects a signature from mu");
        verify(&store, &key_id, algorithm, MessageType::ExternalMu, &mu, &from_mu).unwrap();

        // Signed by OpenSSL over the message, verified from μ.
        let raw = sign(&store, &key_id, algorithm, MessageType::Raw, message);
        verify(&store, &key_id, algorithm, MessageType::ExternalMu, &mu, &raw).unwrap();

        // Wrong μ, tampered or truncated signatures, wrong lengths.
        let other_mu = shake256_64(&[&tr, &[0, 0], b"firmware image 8"]);
        let err = verify(&store, &key_id, algorithm, MessageType::ExternalMu, &other_mu, &raw).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{spec}");
        let mut tampered = from_mu.clone();
        tampered[5] ^= 1;
        let err = verify(&store, &key_id, algorithm, MessageType::ExternalMu, &mu, &tampered).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{spec}");
        let err = verify(&store, &key_id, algorithm, MessageType::Raw, message, &tampered).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{spec}");
        let err = verify(&store, &key_id, algorithm, MessageType::ExternalMu, &mu, &from_mu[1..]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{spec}");
        // μ over the message without the FIPS 204 domain prefix is another μ.
        let unprefixed = shake256_64(&[&tr, message]);
        let err = verify(&store, &key_id, algorithm, MessageType::ExternalMu, &unprefixed, &raw).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{spec}");
        for len in [32, 63, 65] {
            let err = try_sign(&store, &key_id, algorithm, MessageType::ExternalMu, &vec![7; len]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Validation, "{spec} mu of {len} bytes");
        }
    }
    // EXTERNAL_MU belongs to ML-DSA only.
    let p256 = create(&store, KeySpec::EccNistP256, KeyUsage::SignVerify);
    let err = try_sign(&store, &p256, SigningAlgorithm::EcdsaSha256, MessageType::ExternalMu, &[1; 64]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);
}

#[test]
fn cached_keys_see_state_changes_made_through_another_handle() {
    let dir = tempfile::tempdir().unwrap();
    let ours = Keystead::open(dir.path()).unwrap();
    let theirs = Keystead::open(dir.path()).unwrap();
    let specs = [
        (KeySpec::EccNistP256, SigningAlgorithm::EcdsaSha256, MessageType::Raw, vec![1u8; 16]),
        (KeySpec::Rsa2048, SigningAlgorithm::RsassaPssSha256, MessageType::Raw, vec![2u8; 16]),
        (KeySpec::EccNistEdwards25519, SigningAlgorithm::Ed25519PhSha512, MessageType::Digest, vec![3u8; 64]),
        (KeySpec::MlDsa44, SigningAlgorithm::MlDsaShake256, MessageType::ExternalMu, vec![4u8; 64]),
    ];
    for (spec, algorithm, message_type, message) in specs {
        if !spec.is_supported() {
            continue;
        }
        let key_id = create(&ours, spec, KeyUsage::SignVerify);
        let attempt = || try_sign(&ours, &key_id, algorithm, message_type, &message);
        // Warm our cache (material and parsed key), then change the key through the other handle.
        let signature = attempt().unwrap();
        verify(&ours, &key_id, algorithm, message_type, &message, &signature).unwrap();
        theirs.disable_key(&key_id).unwrap();
        assert_eq!(attempt().unwrap_err().kind(), ErrorKind::Disabled, "{spec}");
        let err = verify(&ours, &key_id, algorithm, message_type, &message, &signature).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Disabled, "{spec}");
        theirs.enable_key(&key_id).unwrap();
        verify(&ours, &key_id, algorithm, message_type, &message, &attempt().unwrap()).unwrap();
        theirs.schedule_key_deletion(&key_id, Some(7)).unwrap();
        assert_eq!(attempt().unwrap_err().kind(), ErrorKind::InvalidState, "{spec}");
        assert_eq!(ours.get_public_key(&key_id).unwrap_err().kind(), ErrorKind::InvalidState, "{spec}");
        theirs.cancel_key_deletion(&key_id).unwrap();
        assert_eq!(
            attempt().unwrap_err().kind(),
            ErrorKind::Disabled,
            "{spec}: a cancelled deletion leaves it disabled"
        );
        theirs.enable_key(&key_id).unwrap();
        // The other handle verifies what ours signs with the cached key.
        verify(&theirs, &key_id, algorithm, message_type, &message, &attempt().unwrap()).unwrap();
    }
}

#[test]
fn threads_share_one_cached_key() {
    let store = store();
    let keys: Vec<_> = [
        (KeySpec::EccNistP256, SigningAlgorithm::EcdsaSha256, MessageType::Raw),
        (KeySpec::EccNistEdwards25519, SigningAlgorithm::Ed25519PhSha512, MessageType::Digest),
        (KeySpec::MlDsa44, SigningAlgorithm::MlDsaShake256, MessageType::ExternalMu),
    ]
    .into_iter()
    .filter(|(spec, _, _)| spec.is_supported())
    .map(|(spec, algorithm, message_type)| (create(&store, spec, KeyUsage::SignVerify), algorithm, message_type))
    .collect();
    std::thread::scope(|scope| {
        for thread in 0u8..4 {
            let (store, keys) = (&store, &keys);
            scope.spawn(move || {
                for round in 0u8..20 {
                    for (key_id, algorithm, message_type) in keys {
                        let message = match message_type {
                            MessageType::Raw => vec![thread, round],
                            _ => vec![thread ^ round; 64],
                        };
                        let signature = sign(store, key_id, *algorithm, *message_type, &message);
                        verify(store, key_id, *algorithm, *message_type, &message, &signature).unwrap();
                    }
                }
            });
        }
    });
}
