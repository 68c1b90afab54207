//! The embedded store: persistence, root-key providers, wrong root keys (files left
//! byte-identical), root-key rotation and its crash recovery.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use keystead_core::{
    CreateKeyRequest, DecryptRequest, EncryptRequest, EncryptionContext, ErrorKind, Keystead, RootKeySource,
    SecretBytes, KEY_FILE_NAME,
};

/// Every file under `dir` (the audit log's folder included) with its bytes, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().expect("type").is_dir() {
            for (inner, bytes) in snapshot(&entry.path()) {
                files.insert(format!("{name}/{inner}"), bytes);
            }
        } else {
            files.insert(name, fs::read(entry.path()).expect("read"));
        }
    }
    files
}

fn encrypt(store: &Keystead, key_id: &str, plaintext: &[u8]) -> Vec<u8> {
    store.encrypt(EncryptRequest { key_id, plaintext, ..Default::default() }).expect("encrypt").ciphertext_blob
}

fn decrypt(store: &Keystead, blob: &[u8]) -> keystead_core::Result<Vec<u8>> {
    store.decrypt(DecryptRequest { ciphertext_blob: blob, ..Default::default() }).map(|r| r.plaintext.expose().to_vec())
}

#[test]
fn keys_aliases_and_blobs_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let (key_id, blob) = {
        let store = Keystead::builder().region("eu-west-1").account_id("444455556666").open(dir.path()).unwrap();
        let key_id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
        store.create_alias("alias/orders", &key_id).unwrap();
        store.rotate_key_on_demand(&key_id).unwrap();
        (key_id, encrypt(&store, "alias/orders", b"persisted"))
    };
    // Region and account are fixed at creation; later options do not change them.
    let store = Keystead::builder().region("us-west-2").open(dir.path()).unwrap();
    let meta = store.describe_key("alias/orders").unwrap();
    assert_eq!(meta.key_id, key_id);
    assert_eq!(meta.arn, format!("arn:aws:kms:eu-west-1:444455556666:key/{key_id}"));
    assert_eq!(decrypt(&store, &blob).unwrap(), b"persisted");
    assert_eq!(store.list_key_rotations(&key_id, None, None, None).unwrap().items.len(), 1);
}

#[test]
fn the_key_file_is_private_and_required() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("new-store");
    let dir = dir.as_path();
    drop(Keystead::open(dir).unwrap());
    let key_file = dir.join(KEY_FILE_NAME);
    let mode = fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(fs::read(&key_file).unwrap().len(), 32);
    assert_eq!(fs::metadata(dir).unwrap().permissions().mode() & 0o777, 0o700, "a folder the store creates is private");

    fs::remove_file(&key_file).unwrap();
    let before = snapshot(dir);
    let err = Keystead::open(dir).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncorrectRootKey);
    assert!(!key_file.exists(), "opening an existing store never invents a new root key");
    assert_eq!(snapshot(dir), before);
}

#[test]
fn a_wrong_root_key_is_a_clear_error_and_leaves_every_file_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let key_id = {
        let store = Keystead::open(dir.path()).unwrap();
        let key_id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
        encrypt(&store, &key_id, b"x");
        key_id
    };
    let good_key = fs::read(dir.path().join(KEY_FILE_NAME)).unwrap();
    fs::write(dir.path().join(KEY_FILE_NAME), [7u8; 32]).unwrap();
    let before = snapshot(dir.path());
    let err = Keystead::open(dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncorrectRootKey);
    assert!(err.message().contains("does not open this store"), "{}", err.message());
    let bytes_err = Keystead::builder()
        .root_key(RootKeySource::Bytes(SecretBytes::new(vec![9u8; 32])))
        .open(dir.path())
        .unwrap_err();
    assert_eq!(bytes_err.kind(), ErrorKind::IncorrectRootKey);
    let passphrase_err = Keystead::builder()
        .root_key(RootKeySource::Passphrase(SecretBytes::copy_from(b"guess")))
        .open(dir.path())
        .unwrap_err();
    assert_eq!(passphrase_err.kind(), ErrorKind::IncorrectRootKey);
    assert_eq!(snapshot(dir.path()), before, "store files are byte-identical after failed opens");

    fs::write(dir.path().join(KEY_FILE_NAME), &good_key).unwrap();
    let store = Keystead::open(dir.path()).unwrap();
    assert!(store.describe_key(&key_id).is_ok());
}

#[test]
fn passphrase_and_environment_providers() {
    let dir = tempfile::tempdir().unwrap();
    let passphrase = || RootKeySource::Passphrase(SecretBytes::copy_from(b"correct horse battery staple"));
    let blob = {
        let store = Keystead::builder().root_key(passphrase()).open(dir.path()).unwrap();
        let key_id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
        encrypt(&store, &key_id, b"behind a passphrase")
    };
    assert!(!dir.path().join(KEY_FILE_NAME).exists(), "no key file for a passphrase store");
    let before = snapshot(dir.path());
    let wrong = Keystead::builder()
        .root_key(RootKeySource::Passphrase(SecretBytes::copy_from(b"incorrect horse")))
        .open(dir.path())
        .unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::IncorrectRootKey);
    let key_file = Keystead::open(dir.path()).unwrap_err();
    assert_eq!(key_file.kind(), ErrorKind::IncorrectRootKey);
    assert!(key_file.message().contains("passphrase"), "{}", key_file.message());
    assert_eq!(snapshot(dir.path()), before);
    let store = Keystead::builder().root_key(passphrase()).open(dir.path()).unwrap();
    assert_eq!(decrypt(&store, &blob).unwrap(), b"behind a passphrase");

    // Environment variable: base64 of 32 bytes. (Variable names are unique to this test.)
    let env_dir = tempfile::tempdir().unwrap();
    std::env::set_var("KEYSTEAD_TEST_ROOT_A", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=");
    std::env::set_var("KEYSTEAD_TEST_ROOT_B", "IB8eHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=");
    std::env::set_var("KEYSTEAD_TEST_ROOT_BAD", "not base64!");
    let env = |name: &str| RootKeySource::EnvVar(name.to_owned());
    drop(Keystead::builder().root_key(env("KEYSTEAD_TEST_ROOT_A")).open(env_dir.path()).unwrap());
    assert!(Keystead::builder().root_key(env("KEYSTEAD_TEST_ROOT_A")).open(env_dir.path()).is_ok());
    let err = Keystead::builder().root_key(env("KEYSTEAD_TEST_ROOT_B")).open(env_dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncorrectRootKey);
    let err = Keystead::builder().root_key(env("KEYSTEAD_TEST_ROOT_UNSET")).open(env_dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncorrectRootKey);
    let err = Keystead::builder().root_key(env("KEYSTEAD_TEST_ROOT_BAD")).open(env_dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    // The same 32 bytes given directly open it too.
    let raw: Vec<u8> = (1..=32).collect();
    assert!(Keystead::builder().root_key(RootKeySource::Bytes(SecretBytes::new(raw))).open(env_dir.path()).is_ok());
    let short = Keystead::builder()
        .root_key(RootKeySource::Bytes(SecretBytes::new(vec![1; 31])))
        .open(tempfile::tempdir().unwrap().path())
        .unwrap_err();
    assert_eq!(short.kind(), ErrorKind::Validation);
}

#[test]
fn root_key_rotation_re_seals_everything_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let store = Keystead::open(dir.path()).unwrap();
    let mut blobs = Vec::new();
    for i in 0..5u8 {
        let key_id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
        store.rotate_key_on_demand(&key_id).unwrap();
        blobs.push((i, encrypt(&store, &key_id, &[i; 10])));
    }
    let old_key = fs::read(dir.path().join(KEY_FILE_NAME)).unwrap();
    store.rotate_root_key(RootKeySource::KeyFile(None)).unwrap();
    let new_key = fs::read(dir.path().join(KEY_FILE_NAME)).unwrap();
    assert_ne!(old_key, new_key);
    assert!(!dir.path().join("root.key.next").exists());
    drop(store);

    let reopened = Keystead::open(dir.path()).unwrap();
    for (i, blob) in &blobs {
        assert_eq!(decrypt(&reopened, blob).unwrap(), vec![*i; 10]);
    }
    drop(reopened);
    fs::write(dir.path().join(KEY_FILE_NAME), &old_key).unwrap();
    assert_eq!(Keystead::open(dir.path()).unwrap_err().kind(), ErrorKind::IncorrectRootKey);

    // A rotation that committed but crashed before moving the new key file into place: the
    // next open finds the new key staged beside the old one and finishes the job.
    fs::write(dir.path().join("root.key.next"), &new_key).unwrap();
    let recovered = Keystead::open(dir.path()).unwrap();
    assert_eq!(fs::read(dir.path().join(KEY_FILE_NAME)).unwrap(), new_key);
    assert!(!dir.path().join("root.key.next").exists());
    assert_eq!(decrypt(&recovered, &blobs[0].1).unwrap(), vec![0u8; 10]);

    // A rotation that crashed before its commit leaves a stale staged key: it is discarded.
    fs::write(dir.path().join("root.key.next"), [5u8; 32]).unwrap();
    drop(recovered);
    let store = Keystead::open(dir.path()).unwrap();
    assert!(!dir.path().join("root.key.next").exists());
    assert_eq!(decrypt(&store, &blobs[1].1).unwrap(), vec![1u8; 10]);
}

/// A new root key file in a folder that does not exist is the caller's mistake: a typed
/// ValidationException that changes nothing (found by the c_abi fuzz target, which expected no
/// Internal for bad input).
#[test]
fn root_key_rotation_to_an_unwritable_path_is_a_validation_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = Keystead::open(dir.path()).unwrap();
    let key_id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let blob = encrypt(&store, &key_id, b"kept");
    let root_key_before = fs::read(dir.path().join(KEY_FILE_NAME)).unwrap();
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = snapshot(dir).into_keys().filter(|n| !n.starts_with("audit/")).collect();
        names.sort();
        names
    };
    let files_before = names(dir.path());
    let missing = dir.path().join("no-such-folder").join("root.key");
    let err = store.rotate_root_key(RootKeySource::KeyFile(Some(missing))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    assert!(err.to_string().contains("no-such-folder"), "{err}");
    assert_eq!(fs::read(dir.path().join(KEY_FILE_NAME)).unwrap(), root_key_before, "the root key is kept");
    assert_eq!(names(dir.path()), files_before, "no staged or temporary key file is left");
    drop(store);
    let reopened = Keystead::open(dir.path()).unwrap();
    assert_eq!(decrypt(&reopened, &blob).unwrap(), b"kept");
}

#[test]
fn passphrase_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let first = RootKeySource::Passphrase(SecretBytes::copy_from(b"first passphrase"));
    let second = RootKeySource::Passphrase(SecretBytes::copy_from(b"second passphrase"));
    let store = Keystead::builder().root_key(first.clone()).open(dir.path()).unwrap();
    let key_id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let blob = encrypt(&store, &key_id, b"p");
    store.rotate_root_key(second.clone()).unwrap();
    assert_eq!(decrypt(&store, &blob).unwrap(), b"p");
    drop(store);
    assert_eq!(Keystead::builder().root_key(first).open(dir.path()).unwrap_err().kind(), ErrorKind::IncorrectRootKey);
    let store = Keystead::builder().root_key(second).open(dir.path()).unwrap();
    assert_eq!(decrypt(&store, &blob).unwrap(), b"p");
    let err = store.rotate_root_key(RootKeySource::Bytes(SecretBytes::new(vec![3; 32]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedOperation);
    assert_eq!(decrypt(&store, &blob).unwrap(), b"p", "a refused rotation changes nothing");
}

#[test]
fn a_store_is_shared_by_handles_in_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let a = Keystead::open(dir.path()).unwrap();
    let b = Keystead::open(dir.path()).unwrap();
    let key_id = a.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let blob = encrypt(&b, &key_id, b"seen by b");
    a.disable_key(&key_id).unwrap();
    assert_eq!(decrypt(&b, &blob).unwrap_err().kind(), ErrorKind::Disabled, "b's cache does not hide a disable");
    a.enable_key(&key_id).unwrap();
    let context = EncryptionContext::new();
    let out = b
        .decrypt(DecryptRequest { ciphertext_blob: &blob, encryption_context: Some(&context), ..Default::default() })
        .unwrap();
    assert_eq!(out.plaintext.expose(), b"seen by b");
}

#[test]
fn access_keys_are_sealed_listed_without_secrets_and_survive_root_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let store = Keystead::open(dir.path()).unwrap();
    let created = store.create_access_key("arn:aws:iam::111122223333:role/checkout").unwrap();
    assert!(created.access_key_id.starts_with("AKIA") && created.access_key_id.len() == 20);
    assert_eq!(created.secret_access_key.len(), 40);
    let added = store
        .add_access_key(
            "AKIAIOSFODNN7EXAMPLE",
            b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "arn:aws:iam::111122223333:user/alice",
        )
        .unwrap();
    assert_eq!(added.principal, "arn:aws:iam::111122223333:user/alice");
    let err =
        store.add_access_key("AKIAIOSFODNN7EXAMPLE", b"another-secret-of-length", "arn:aws:iam::1:root").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(
        store.add_access_key("short", b"wJalrXUtnFEMI/K7MDENG", "arn:x").unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(store.create_access_key("not an arn").unwrap_err().kind(), ErrorKind::Validation);
    let listed = store.list_access_keys().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(!format!("{listed:?}").contains("wJalrXUtnFEMI"), "listing shows no secret");

    let secret = created.secret_access_key.expose().to_vec();
    store.rotate_root_key(RootKeySource::KeyFile(None)).unwrap();
    drop(store);
    let store = Keystead::open(dir.path()).unwrap();
    let (found, principal) = store.access_key_secret(&created.access_key_id).unwrap();
    assert_eq!(found.expose(), secret);
    assert_eq!(principal, "arn:aws:iam::111122223333:role/checkout");
    let (alice, _) = store.access_key_secret("AKIAIOSFODNN7EXAMPLE").unwrap();
    assert_eq!(alice.expose(), b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

    let files: Vec<Vec<u8>> =
        snapshot(dir.path()).into_iter().filter(|(name, _)| name != KEY_FILE_NAME).map(|(_, bytes)| bytes).collect();
    for needle in [&secret[..], b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"] {
        assert!(!files.iter().any(|f| f.windows(needle.len()).any(|w| w == needle)), "a secret is stored in the clear");
    }
    store.delete_access_key("AKIAIOSFODNN7EXAMPLE").unwrap();
    assert_eq!(store.delete_access_key("AKIAIOSFODNN7EXAMPLE").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(store.access_key_secret("AKIAIOSFODNN7EXAMPLE").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn pending_import_tokens_survive_root_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let store = Keystead::open(dir.path()).unwrap();
    let key_id = store
        .create_key(CreateKeyRequest { origin: Some(keystead_core::Origin::External), ..Default::default() })
        .unwrap()
        .key_id;
    let parameters = store
        .get_parameters_for_import(
            &key_id,
            keystead_core::WrappingAlgorithm::RsaesOaepSha256,
            keystead_core::WrappingKeySpec::Rsa2048,
        )
        .unwrap();
    store.rotate_root_key(RootKeySource::KeyFile(None)).unwrap();
    // Wrap 32 bytes with the returned public key (RSA-OAEP SHA-256) and import them.
    let public = openssl::pkey::PKey::public_key_from_der(&parameters.public_key).unwrap();
    let mut ctx = openssl::pkey_ctx::PkeyCtx::new(&public).unwrap();
    ctx.encrypt_init().unwrap();
    ctx.set_rsa_padding(openssl::rsa::Padding::PKCS1_OAEP).unwrap();
    ctx.set_rsa_oaep_md(openssl::md::Md::sha256()).unwrap();
    ctx.set_rsa_mgf1_md(openssl::md::Md::sha256()).unwrap();
    let mut wrapped = Vec::new();
    ctx.encrypt_to_vec(&[5u8; 32], &mut wrapped).unwrap();
    store
        .import_key_material(keystead_core::ImportKeyMaterialRequest {
            key_id: &key_id,
            import_token: &parameters.import_token,
            encrypted_key_material: &wrapped,
            expiration_model: Some(keystead_core::ExpirationModel::KeyMaterialDoesNotExpire),
            valid_to: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(decrypt(&store, &encrypt(&store, &key_id, b"after")).unwrap(), b"after");
}
