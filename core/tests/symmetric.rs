//! Symmetric crypto: Encrypt, Decrypt, ReEncrypt, data keys and random bytes, with their limits,
//! encryption-context binding and tamper detection.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use keystead_core::{
    CreateKeyRequest, DataKeySpec, DecryptRequest, EncryptRequest, EncryptionAlgorithm, EncryptionContext, ErrorKind,
    GenerateDataKeyRequest, Keystead, ReEncryptRequest,
};

fn store_and_key() -> (Keystead, String) {
    let store = Keystead::builder().open_in_memory().expect("open");
    let id = store.create_key(CreateKeyRequest::default()).expect("create").key_id;
    (store, id)
}

fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn encrypt(store: &Keystead, key_id: &str, plaintext: &[u8], context: &EncryptionContext) -> Vec<u8> {
    store
        .encrypt(EncryptRequest { key_id, plaintext, encryption_context: Some(context), ..Default::default() })
        .expect("encrypt")
        .ciphertext_blob
}

fn decrypt(store: &Keystead, blob: &[u8], context: &EncryptionContext) -> keystead_core::Result<Vec<u8>> {
    store
        .decrypt(DecryptRequest { ciphertext_blob: blob, encryption_context: Some(context), ..Default::default() })
        .map(|r| r.plaintext.expose().to_vec())
}

#[test]
fn round_trip_at_every_size_boundary() {
    let (store, id) = store_and_key();
    let context = ctx(&[("tenant", "42")]);
    for len in [1usize, 2, 15, 16, 17, 1024, 4095, 4096] {
        let plaintext: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let blob = encrypt(&store, &id, &plaintext, &context);
        assert_eq!(blob.len(), len + 54, "54 bytes of overhead");
        assert!(blob.len() <= 6144);
        assert_eq!(decrypt(&store, &blob, &context).unwrap(), plaintext);
    }
    for bad in [0usize, 4097] {
        let err =
            store.encrypt(EncryptRequest { key_id: &id, plaintext: &vec![0; bad], ..Default::default() }).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "plaintext of {bad} bytes");
    }
    let empty = decrypt(&store, &[], &EncryptionContext::new()).unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::Validation);
    let huge = decrypt(&store, &vec![1; 6145], &EncryptionContext::new()).unwrap_err();
    assert_eq!(huge.kind(), ErrorKind::Validation);
}

#[test]
fn encryption_context_must_match_exactly_in_any_order() {
    let (store, id) = store_and_key();
    let context = ctx(&[("order", "42"), ("customer", "7")]);
    let blob = encrypt(&store, &id, b"card", &context);
    assert_eq!(decrypt(&store, &blob, &ctx(&[("customer", "7"), ("order", "42")])).unwrap(), b"card");
    let wrong = [
        EncryptionContext::new(),
        ctx(&[("order", "42")]),
        ctx(&[("order", "42"), ("customer", "7"), ("extra", "1")]),
        ctx(&[("order", "43"), ("customer", "7")]),
        ctx(&[("Order", "42"), ("customer", "7")]),
        ctx(&[("order", "42"), ("customer", "8")]),
        ctx(&[("order", "42"), ("client", "7")]),
        ctx(&[("order", "4"), ("customer", "27")]),
    ];
    let mut messages = std::collections::HashSet::new();
    for context in &wrong {
        let err = decrypt(&store, &blob, context).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidCiphertext, "{context:?}");
        messages.insert(err.message().to_owned());
    }
    assert_eq!(messages.len(), 1, "one error shape that reveals nothing");
}

#[test]
fn every_single_bit_flip_truncation_and_extension_is_rejected() {
    let (store, id) = store_and_key();
    let context = ctx(&[("k", "v")]);
    let blob = encrypt(&store, &id, b"0123456789abcdef", &context);
    let expected = decrypt(&store, &[0u8; 60], &context).unwrap_err();
    for byte in 0..blob.len() {
        for bit in 0..8 {
            let mut tampered = blob.clone();
            tampered[byte] ^= 1 << bit;
            let err = decrypt(&store, &tampered, &context).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidCiphertext, "byte {byte} bit {bit}");
            assert_eq!(err.message(), expected.message());
        }
    }
    for len in 1..blob.len() {
        assert_eq!(decrypt(&store, &blob[..len], &context).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
    }
    let mut longer = blob.clone();
    longer.push(0);
    assert_eq!(decrypt(&store, &longer, &context).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
    assert_eq!(decrypt(&store, &blob, &context).unwrap(), b"0123456789abcdef", "original still fine");
}

#[test]
fn key_id_on_decrypt_must_name_the_encrypting_key() {
    let (store, id) = store_and_key();
    let other = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    store.create_alias("alias/mine", &id).unwrap();
    let blob = encrypt(&store, &id, b"x", &EncryptionContext::new());
    for good in [id.as_str(), "alias/mine"] {
        let out =
            store.decrypt(DecryptRequest { ciphertext_blob: &blob, key_id: Some(good), ..Default::default() }).unwrap();
        assert!(out.key_id.ends_with(&id));
        assert_eq!(out.encryption_algorithm, EncryptionAlgorithm::SymmetricDefault);
    }
    let err = store
        .decrypt(DecryptRequest { ciphertext_blob: &blob, key_id: Some(&other), ..Default::default() })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncorrectKey);
    let err = store
        .decrypt(DecryptRequest { ciphertext_blob: &blob, key_id: Some("alias/none"), ..Default::default() })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = store
        .decrypt(DecryptRequest {
            ciphertext_blob: &blob,
            encryption_algorithm: Some(EncryptionAlgorithm::RsaesOaepSha256),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKeyUsage);
}

#[test]
fn blobs_from_another_store_do_not_decrypt() {
    let (a, a_key) = store_and_key();
    let (b, _) = store_and_key();
    let blob = encrypt(&a, &a_key, b"secret", &EncryptionContext::new());
    let err = decrypt(&b, &blob, &EncryptionContext::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
}

#[test]
fn re_encrypt_moves_between_keys_and_contexts() {
    let (store, source) = store_and_key();
    let destination = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let from = ctx(&[("v", "1")]);
    let to = ctx(&[("v", "2")]);
    let blob = encrypt(&store, &source, b"record", &from);
    let moved = store
        .re_encrypt(ReEncryptRequest {
            ciphertext_blob: &blob,
            source_encryption_context: Some(&from),
            destination_key_id: &destination,
            destination_encryption_context: Some(&to),
            ..Default::default()
        })
        .unwrap();
    assert!(moved.source_key_id.ends_with(&source));
    assert!(moved.key_id.ends_with(&destination));
    assert_eq!(decrypt(&store, &moved.ciphertext_blob, &to).unwrap(), b"record");
    assert_eq!(decrypt(&store, &moved.ciphertext_blob, &from).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
    // Same key, newest material after a rotation.
    store.rotate_key_on_demand(&source).unwrap();
    let refreshed = store
        .re_encrypt(ReEncryptRequest {
            ciphertext_blob: &blob,
            source_encryption_context: Some(&from),
            destination_key_id: &source,
            destination_encryption_context: Some(&from),
            ..Default::default()
        })
        .unwrap();
    assert_ne!(refreshed.source_key_material_id, refreshed.destination_key_material_id);
    let err = store
        .re_encrypt(ReEncryptRequest { ciphertext_blob: &blob, destination_key_id: &destination, ..Default::default() })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext, "source context is required");
    store.disable_key(&destination).unwrap();
    let err = store
        .re_encrypt(ReEncryptRequest {
            ciphertext_blob: &blob,
            source_encryption_context: Some(&from),
            destination_key_id: &destination,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Disabled);
}

#[test]
fn data_keys_have_the_requested_length_and_decrypt() {
    let (store, id) = store_and_key();
    let context = ctx(&[("bucket", "orders")]);
    for (spec, bytes, len) in [
        (Some(DataKeySpec::Aes256), None, 32),
        (Some(DataKeySpec::Aes128), None, 16),
        (None, Some(1), 1),
        (None, Some(1024), 1024),
    ] {
        let out = store
            .generate_data_key(GenerateDataKeyRequest {
                key_id: &id,
                encryption_context: Some(&context),
                key_spec: spec,
                number_of_bytes: bytes,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(out.plaintext.len(), len);
        assert_eq!(decrypt(&store, &out.ciphertext_blob, &context).unwrap(), out.plaintext.expose());
        assert_eq!(out.key_material_id.len(), 64);
    }
    let without = store
        .generate_data_key_without_plaintext(GenerateDataKeyRequest {
            key_id: &id,
            key_spec: Some(DataKeySpec::Aes256),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(decrypt(&store, &without.ciphertext_blob, &EncryptionContext::new()).unwrap().len(), 32);
    for (spec, bytes) in [(None, None), (Some(DataKeySpec::Aes256), Some(32)), (None, Some(0)), (None, Some(1025))] {
        let err = store
            .generate_data_key(GenerateDataKeyRequest {
                key_id: &id,
                key_spec: spec,
                number_of_bytes: bytes,
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{spec:?} {bytes:?}");
    }
    let a = store
        .generate_data_key(GenerateDataKeyRequest {
            key_id: &id,
            key_spec: Some(DataKeySpec::Aes256),
            ..Default::default()
        })
        .unwrap();
    let b = store
        .generate_data_key(GenerateDataKeyRequest {
            key_id: &id,
            key_spec: Some(DataKeySpec::Aes256),
            ..Default::default()
        })
        .unwrap();
    assert_ne!(a.plaintext, b.plaintext);
    assert!(!format!("{a:?}").contains(&format!("{:?}", a.plaintext.expose())), "Debug never shows the data key");
}

#[test]
fn generate_random_bounds() {
    let (store, _) = store_and_key();
    assert_eq!(store.generate_random(1).unwrap().len(), 1);
    assert_eq!(store.generate_random(1024).unwrap().len(), 1024);
    assert_ne!(store.generate_random(32).unwrap(), store.generate_random(32).unwrap());
    assert_eq!(store.generate_random(0).unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(store.generate_random(1025).unwrap_err().kind(), ErrorKind::Validation);
}

#[test]
fn oversized_encryption_context_is_rejected() {
    let (store, id) = store_and_key();
    let big = ctx(&[("k", &"v".repeat(9000))]);
    let err = store
        .encrypt(EncryptRequest { key_id: &id, plaintext: b"x", encryption_context: Some(&big), ..Default::default() })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}
