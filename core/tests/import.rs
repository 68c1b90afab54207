//! Importing key material (BYOK), following AWS's documented procedure with the `openssl`
//! command-line tool: wrap with `openssl pkeyutl` (RSA-OAEP), and for RSA_AES_KEY_WRAP with an
//! ephemeral AES key and `openssl enc -id-aes256-wrap-pad`; then import and use the key.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use keystead_core::{
    Clock, CreateKeyRequest, DecryptRequest, EncryptRequest, ErrorKind, ExpirationModel, GenerateMacRequest,
    ImportKeyMaterialRequest, KeySpec, KeyState, KeyUsage, Keystead, MacAlgorithm, ManualClock, MessageType, Origin,
    SignRequest, SigningAlgorithm, VerifyRequest, WrappingAlgorithm, WrappingKeySpec, DAY_MS,
};

fn openssl(args: &[&str], dir: &Path) {
    let output = Command::new("openssl").args(args).current_dir(dir).output().expect("the openssl tool runs");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Wraps `material` for import exactly as AWS's documentation shows, with the openssl tool.
fn wrap(dir: &Path, public_key_der: &[u8], algorithm: WrappingAlgorithm, material: &[u8]) -> Vec<u8> {
    std::fs::write(dir.join("wrapping.der"), public_key_der).unwrap();
    std::fs::write(dir.join("material.bin"), material).unwrap();
    let md = match algorithm {
        WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaAesKeyWrapSha1 => "sha1",
        _ => "sha256",
    };
    let oaep = |input: &str, output: &str| {
        openssl(
            &[
                "pkeyutl",
                "-encrypt",
                "-pubin",
                "-keyform",
                "DER",
                "-inkey",
                "wrapping.der",
                "-in",
                input,
                "-out",
                output,
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                &format!("rsa_oaep_md:{md}"),
                "-pkeyopt",
                &format!("rsa_mgf1_md:{md}"),
            ],
            dir,
        )
    };
    match algorithm {
        WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256 => {
            oaep("material.bin", "wrapped.bin");
            std::fs::read(dir.join("wrapped.bin")).unwrap()
        }
        _ => {
            openssl(&["rand", "-out", "aes.bin", "32"], dir);
            let aes: String = std::fs::read(dir.join("aes.bin")).unwrap().iter().map(|b| format!("{b:02x}")).collect();
            openssl(
                &[
                    "enc",
                    "-id-aes256-wrap-pad",
                    "-K",
                    &aes,
                    "-iv",
                    "A65959A6",
                    "-in",
                    "material.bin",
                    "-out",
                    "material.wrapped",
                ],
                dir,
            );
            oaep("aes.bin", "aes.wrapped");
            let mut out = std::fs::read(dir.join("aes.wrapped")).unwrap();
            out.extend(std::fs::read(dir.join("material.wrapped")).unwrap());
            out
        }
    }
}

struct Fixture {
    store: Keystead,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::starting_now());
    let store = Keystead::builder().clock(clock.clone()).open_in_memory().unwrap();
    Fixture { store, clock, dir: tempfile::tempdir().unwrap() }
}

impl Fixture {
    fn external(&self, spec: KeySpec, usage: KeyUsage) -> String {
        let meta = self
            .store
            .create_key(CreateKeyRequest {
                key_spec: Some(spec),
                key_usage: Some(usage),
                origin: Some(Origin::External),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(meta.key_state, KeyState::PendingImport);
        meta.key_id
    }

    fn import(
        &self,
        key_id: &str,
        algorithm: WrappingAlgorithm,
        material: &[u8],
        model: ExpirationModel,
    ) -> keystead_core::Result<String> {
        let parameters = self.store.get_parameters_for_import(key_id, algorithm, WrappingKeySpec::Rsa2048)?;
        assert_eq!(parameters.parameters_valid_to, self.clock.now_ms() + DAY_MS);
        let wrapped = wrap(self.dir.path(), &parameters.public_key, algorithm, material);
        let valid_to = (model == ExpirationModel::KeyMaterialExpires).then(|| self.clock.now_ms() + 30 * DAY_MS);
        self.store
            .import_key_material(ImportKeyMaterialRequest {
                key_id,
                import_token: &parameters.import_token,
                encrypted_key_material: &wrapped,
                expiration_model: Some(model),
                valid_to,
            })
            .map(|r| r.key_material_id)
    }
}

fn encrypt(store: &Keystead, key_id: &str) -> Vec<u8> {
    store.encrypt(EncryptRequest { key_id, plaintext: b"imported", ..Default::default() }).unwrap().ciphertext_blob
}

fn decrypt(store: &Keystead, blob: &[u8]) -> keystead_core::Result<Vec<u8>> {
    store.decrypt(DecryptRequest { ciphertext_blob: blob, ..Default::default() }).map(|r| r.plaintext.expose().to_vec())
}

#[test]
fn symmetric_material_imports_with_every_wrapping_algorithm() {
    let f = fixture();
    for algorithm in [
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
    ] {
        let key_id = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
        let material = [0x42u8; 32];
        let material_id = f.import(&key_id, algorithm, &material, ExpirationModel::KeyMaterialDoesNotExpire).unwrap();
        let meta = f.store.describe_key(&key_id).unwrap();
        assert_eq!(meta.key_state, KeyState::Enabled, "{algorithm}");
        assert_eq!(meta.expiration_model, Some(ExpirationModel::KeyMaterialDoesNotExpire));
        assert_eq!(meta.valid_to, None);
        assert_eq!(meta.current_key_material_id.as_deref(), Some(material_id.as_str()));
        let blob = encrypt(&f.store, &key_id);
        assert_eq!(decrypt(&f.store, &blob).unwrap(), b"imported");
    }
}

#[test]
fn the_same_material_comes_back_and_other_material_is_refused() {
    let f = fixture();
    let key_id = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let material = [7u8; 32];
    let first_id = f
        .import(&key_id, WrappingAlgorithm::RsaesOaepSha256, &material, ExpirationModel::KeyMaterialDoesNotExpire)
        .unwrap();
    let blob = encrypt(&f.store, &key_id);

    let deleted = f.store.delete_imported_key_material(&key_id).unwrap();
    assert_eq!(deleted.key_material_id, first_id);
    assert_eq!(f.store.describe_key(&key_id).unwrap().key_state, KeyState::PendingImport);
    let err = decrypt(&f.store, &blob).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    assert!(err.message().contains("pending import"));

    let err = f
        .import(&key_id, WrappingAlgorithm::RsaesOaepSha256, &[8u8; 32], ExpirationModel::KeyMaterialDoesNotExpire)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncorrectKeyMaterial);
    assert_eq!(
        f.store.describe_key(&key_id).unwrap().key_state,
        KeyState::PendingImport,
        "a refused import changes nothing"
    );

    let again = f
        .import(&key_id, WrappingAlgorithm::RsaAesKeyWrapSha256, &material, ExpirationModel::KeyMaterialDoesNotExpire)
        .unwrap();
    assert_eq!(again, first_id);
    assert_eq!(decrypt(&f.store, &blob).unwrap(), b"imported", "a ciphertext made before deletion decrypts again");
}

#[test]
fn material_expires_at_valid_to_and_can_be_reimported() {
    let f = fixture();
    let key_id = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let material = [9u8; 32];
    f.import(&key_id, WrappingAlgorithm::RsaesOaepSha256, &material, ExpirationModel::KeyMaterialExpires).unwrap();
    let meta = f.store.describe_key(&key_id).unwrap();
    assert_eq!(meta.valid_to, Some(f.clock.now_ms() + 30 * DAY_MS));
    assert_eq!(meta.expiration_model, Some(ExpirationModel::KeyMaterialExpires));
    let blob = encrypt(&f.store, &key_id);
    f.clock.advance_days(30);
    assert_eq!(f.store.describe_key(&key_id).unwrap().key_state, KeyState::PendingImport);
    assert_eq!(decrypt(&f.store, &blob).unwrap_err().kind(), ErrorKind::InvalidState);
    f.import(&key_id, WrappingAlgorithm::RsaesOaepSha256, &material, ExpirationModel::KeyMaterialExpires).unwrap();
    assert_eq!(decrypt(&f.store, &blob).unwrap(), b"imported");
}

#[test]
fn tokens_and_parameters_are_checked() {
    let f = fixture();
    let key_id = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let other = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let parameters = f
        .store
        .get_parameters_for_import(&key_id, WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa3072)
        .unwrap();
    let wrapped = wrap(f.dir.path(), &parameters.public_key, WrappingAlgorithm::RsaesOaepSha256, &[1u8; 32]);
    let request = |key_id, token: &[u8], wrapped: &[u8], model, valid_to| {
        f.store
            .import_key_material(ImportKeyMaterialRequest {
                key_id,
                import_token: token,
                encrypted_key_material: wrapped,
                expiration_model: model,
                valid_to,
            })
            .map(drop)
            .unwrap_err()
            .kind()
    };
    let never = Some(ExpirationModel::KeyMaterialDoesNotExpire);
    assert_eq!(request(&other, &parameters.import_token, &wrapped, never, None), ErrorKind::InvalidImportToken);
    assert_eq!(request(&key_id, b"garbage", &wrapped, never, None), ErrorKind::InvalidImportToken);
    let mut flipped = wrapped.clone();
    flipped[5] ^= 1;
    assert_eq!(request(&key_id, &parameters.import_token, &flipped, never, None), ErrorKind::InvalidCiphertext);
    assert_eq!(request(&key_id, &parameters.import_token, &wrapped, None, None), ErrorKind::Validation);
    let now = f.clock.now_ms();
    let expires = Some(ExpirationModel::KeyMaterialExpires);
    assert_eq!(request(&key_id, &parameters.import_token, &wrapped, expires, Some(now - 1)), ErrorKind::Validation);
    assert_eq!(
        request(&key_id, &parameters.import_token, &wrapped, expires, Some(now + 366 * DAY_MS)),
        ErrorKind::Validation
    );
    assert_eq!(request(&key_id, &parameters.import_token, &wrapped, never, Some(now + DAY_MS)), ErrorKind::Validation);
    let short = wrap(f.dir.path(), &parameters.public_key, WrappingAlgorithm::RsaesOaepSha256, &[1u8; 16]);
    assert_eq!(request(&key_id, &parameters.import_token, &short, never, None), ErrorKind::IncorrectKeyMaterial);
    f.clock.advance_ms(DAY_MS);
    assert_eq!(request(&key_id, &parameters.import_token, &wrapped, never, None), ErrorKind::ExpiredImportToken);
    assert_eq!(f.store.describe_key(&key_id).unwrap().key_state, KeyState::PendingImport);

    let normal = f.store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let err = f
        .store
        .get_parameters_for_import(&normal, WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa2048)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedOperation);
    assert_eq!(f.store.delete_imported_key_material(&normal).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
    let err = f
        .store
        .get_parameters_for_import(&key_id, WrappingAlgorithm::RsaesPkcs1V15, WrappingKeySpec::Rsa2048)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedOperation);
    f.store.schedule_key_deletion(&key_id, None).unwrap();
    let err = f
        .store
        .get_parameters_for_import(&key_id, WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa2048)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
}

#[test]
fn hmac_and_asymmetric_material_import() {
    let f = fixture();
    // HMAC: AWS allows 28..=64 bytes for HMAC_224, 32..=64 for HMAC_256 ...
    let hmac = f.external(KeySpec::Hmac256, KeyUsage::GenerateVerifyMac);
    let hmac_key = b"Jefe-but-longer-than-32-bytes-to-be-valid!";
    f.import(&hmac, WrappingAlgorithm::RsaesOaepSha256, hmac_key, ExpirationModel::KeyMaterialDoesNotExpire).unwrap();
    let mac = f
        .store
        .generate_mac(GenerateMacRequest {
            key_id: &hmac,
            message: b"m",
            mac_algorithm: Some(MacAlgorithm::HmacSha256),
            ..Default::default()
        })
        .unwrap()
        .mac;
    let expected = {
        let key = openssl::pkey::PKey::hmac(hmac_key).unwrap();
        let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
        signer.sign_oneshot_to_vec(b"m").unwrap()
    };
    assert_eq!(mac, expected, "the imported HMAC key is the one in use");
    let too_short = f.external(KeySpec::Hmac256, KeyUsage::GenerateVerifyMac);
    let err = f
        .import(&too_short, WrappingAlgorithm::RsaesOaepSha256, &[1; 31], ExpirationModel::KeyMaterialDoesNotExpire)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncorrectKeyMaterial);

    // Asymmetric: a PKCS#8 P-256 key made by the openssl tool, wrapped with RSA-AES key wrap.
    openssl(
        &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-outform", "DER", "-out", "p256.der"],
        f.dir.path(),
    );
    let private = std::fs::read(f.dir.path().join("p256.der")).unwrap();
    let signer = f.external(KeySpec::EccNistP256, KeyUsage::SignVerify);
    f.import(&signer, WrappingAlgorithm::RsaAesKeyWrapSha256, &private, ExpirationModel::KeyMaterialDoesNotExpire)
        .unwrap();
    let ours = openssl::pkey::PKey::private_key_from_der(&private).unwrap().public_key_to_der().unwrap();
    assert_eq!(f.store.get_public_key(&signer).unwrap().public_key, ours);
    let signature = f
        .store
        .sign(SignRequest {
            key_id: &signer,
            message: b"order",
            message_type: Some(MessageType::Raw),
            signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
            ..Default::default()
        })
        .unwrap()
        .signature;
    f.store
        .verify(VerifyRequest {
            key_id: &signer,
            message: b"order",
            signature: &signature,
            signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
            ..Default::default()
        })
        .unwrap();
    let wrong_curve = f.external(KeySpec::EccNistP384, KeyUsage::SignVerify);
    let err = f
        .import(
            &wrong_curve,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            &private,
            ExpirationModel::KeyMaterialDoesNotExpire,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncorrectKeyMaterial);
}

#[test]
fn cached_imported_signing_keys_follow_deletion_expiry_and_reimport() {
    // Two handles on one folder store with one clock: ours signs (and caches the parsed key),
    // the other deletes and re-imports the material; expiry is seen by both.
    let clock = Arc::new(ManualClock::starting_now());
    let dir = tempfile::tempdir().unwrap();
    let open = || Keystead::builder().clock(clock.clone()).open(dir.path()).unwrap();
    let (ours, theirs) = (open(), open());
    let f = Fixture { store: theirs, clock: clock.clone(), dir: tempfile::tempdir().unwrap() };
    openssl(&["genpkey", "-algorithm", "ED25519", "-outform", "DER", "-out", "ed.der"], f.dir.path());
    let private = std::fs::read(f.dir.path().join("ed.der")).unwrap();
    let key_id = f.external(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify);
    f.import(&key_id, WrappingAlgorithm::RsaesOaepSha256, &private, ExpirationModel::KeyMaterialExpires).unwrap();
    let digest = [0x5au8; 64];
    let sign = || {
        ours.sign(SignRequest {
            key_id: &key_id,
            message: &digest,
            message_type: Some(MessageType::Digest),
            signing_algorithm: Some(SigningAlgorithm::Ed25519PhSha512),
            ..Default::default()
        })
        .map(|r| r.signature)
    };
    let signature = sign().unwrap();
    let verify = |store: &Keystead| {
        store
            .verify(VerifyRequest {
                key_id: &key_id,
                message: &digest,
                message_type: Some(MessageType::Digest),
                signature: &signature,
                signing_algorithm: Some(SigningAlgorithm::Ed25519PhSha512),
                ..Default::default()
            })
            .map(drop)
    };
    verify(&f.store).unwrap();

    f.store.delete_imported_key_material(&key_id).unwrap();
    assert_eq!(sign().unwrap_err().kind(), ErrorKind::InvalidState, "deleted material must not sign from a cache");
    assert_eq!(verify(&ours).unwrap_err().kind(), ErrorKind::InvalidState);
    f.import(&key_id, WrappingAlgorithm::RsaAesKeyWrapSha256, &private, ExpirationModel::KeyMaterialExpires).unwrap();
    assert_eq!(sign().unwrap(), signature, "the same material signs again (Ed25519ph is deterministic)");

    clock.advance_days(30);
    assert_eq!(sign().unwrap_err().kind(), ErrorKind::InvalidState, "expired material must not sign from a cache");
    assert_eq!(verify(&f.store).unwrap_err().kind(), ErrorKind::InvalidState);
    f.import(&key_id, WrappingAlgorithm::RsaesOaepSha256, &private, ExpirationModel::KeyMaterialDoesNotExpire).unwrap();
    verify(&ours).unwrap();
}
