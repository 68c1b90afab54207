//! Importing key material (BYOK), following AWS's documented procedure with the `openssl`
//! command-line tool: wrap with `openssl pkeyutl` (RSA-OAEP), and for RSA_AES_KEY_WRAP with an
//! ephemeral AES key and `openssl enc -id-aes256-wrap-pad`; then import and use the key.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use keystead_core::{
    Clock, CreateKeyRequest, DecryptRequest, EncryptRequest, ErrorKind, ExpirationModel, GenerateMacRequest,
    ImportKeyMaterialRequest, ImportType, IncludeKeyMaterial, KeyMaterialImportState, KeyMaterialState, KeySpec,
    KeyState, KeyUsage, Keystead, MacAlgorithm, ManualClock, MessageType, Origin, SignRequest, SigningAlgorithm,
    VerifyRequest, WrappingAlgorithm, WrappingKeySpec, DAY_MS,
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
        let valid_to = (model == ExpirationModel::KeyMaterialExpires).then(|| self.clock.now_ms() + 30 * DAY_MS);
        self.import_with(
            key_id,
            algorithm,
            material,
            Extra { expiration_model: Some(model), valid_to, ..Extra::default() },
        )
    }

    /// ImportKeyMaterial with the 2025 parameters.
    fn import_with(
        &self,
        key_id: &str,
        algorithm: WrappingAlgorithm,
        material: &[u8],
        extra: Extra<'_>,
    ) -> keystead_core::Result<String> {
        let parameters = self.store.get_parameters_for_import(key_id, algorithm, WrappingKeySpec::Rsa2048)?;
        assert_eq!(parameters.parameters_valid_to, self.clock.now_ms() + DAY_MS);
        let wrapped = wrap(self.dir.path(), &parameters.public_key, algorithm, material);
        self.store
            .import_key_material(ImportKeyMaterialRequest {
                key_id,
                import_token: &parameters.import_token,
                encrypted_key_material: &wrapped,
                expiration_model: extra.expiration_model,
                valid_to: extra.valid_to,
                import_type: extra.import_type,
                key_material_description: extra.description,
                key_material_id: extra.key_material_id,
            })
            .map(|r| r.key_material_id)
    }
}

/// The optional ImportKeyMaterial parameters of a test import.
#[derive(Default, Clone, Copy)]
struct Extra<'a> {
    expiration_model: Option<ExpirationModel>,
    valid_to: Option<i64>,
    import_type: Option<ImportType>,
    description: Option<&'a str>,
    key_material_id: Option<&'a str>,
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
                ..Default::default()
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

const OAEP: WrappingAlgorithm = WrappingAlgorithm::RsaesOaepSha256;

fn never() -> Extra<'static> {
    Extra { expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire), ..Extra::default() }
}

fn rotations(f: &Fixture, key_id: &str, include: Option<IncludeKeyMaterial>) -> Vec<keystead_core::RotationsListEntry> {
    f.store.list_key_rotations(key_id, include, None, None).unwrap().items
}

#[test]
fn new_material_waits_for_on_demand_rotation_then_becomes_current() {
    let f = fixture();
    let key_id = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    // No pending material: an imported key has nothing to rotate to.
    let first = f.import_with(&key_id, OAEP, &[1u8; 32], Extra { description: Some("first one"), ..never() }).unwrap();
    let err = f.store.rotate_key_on_demand(&key_id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedOperation);
    assert!(err.message().contains("PENDING_ROTATION"), "{}", err.message());
    let old_blob = encrypt(&f.store, &key_id);

    // ImportType defaults to EXISTING after the first import: other material is refused.
    let err = f.import_with(&key_id, OAEP, &[2u8; 32], never()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncorrectKeyMaterial);
    let new_type = Extra { import_type: Some(ImportType::NewKeyMaterial), description: Some("second\tone"), ..never() };
    let second = f.import_with(&key_id, OAEP, &[2u8; 32], new_type).unwrap();
    assert_ne!(second, first);
    assert_eq!(second.len(), 64);
    let meta = f.store.describe_key(&key_id).unwrap();
    assert_eq!(meta.key_state, KeyState::Enabled);
    assert_eq!(meta.current_key_material_id.as_deref(), Some(first.as_str()), "new material is not current yet");
    assert!(rotations(&f, &key_id, None).is_empty(), "ROTATIONS_ONLY is the default and nothing rotated yet");
    assert!(rotations(&f, &key_id, Some(IncludeKeyMaterial::RotationsOnly)).is_empty());
    let all = rotations(&f, &key_id, Some(IncludeKeyMaterial::AllKeyMaterial));
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0].key_material_id.as_str(), all[0].key_material_state),
        (first.as_str(), KeyMaterialState::Current)
    );
    assert_eq!(all[0].key_material_description.as_deref(), Some("first one"));
    assert_eq!(all[0].import_state, Some(KeyMaterialImportState::Imported));
    assert_eq!(all[0].expiration_model, Some(ExpirationModel::KeyMaterialDoesNotExpire));
    assert_eq!((all[0].rotation_date, all[0].rotation_type), (None, None), "first material");
    assert_eq!(all[1].key_material_state, KeyMaterialState::PendingRotation);
    assert_eq!(all[1].key_material_description.as_deref(), Some("second\tone"));
    assert_eq!((all[1].rotation_date, all[1].rotation_type), (None, None), "pending material");
    let json = serde_json::to_value(&all[1]).unwrap();
    assert_eq!(json["ImportState"], "IMPORTED");
    assert_eq!(json["KeyMaterialState"], "PENDING_ROTATION");
    assert!(json.get("RotationDate").is_none() && json.get("ValidTo").is_none());

    f.clock.advance_ms(5_000);
    f.store.rotate_key_on_demand(&key_id).unwrap();
    assert_eq!(f.store.describe_key(&key_id).unwrap().current_key_material_id.as_deref(), Some(second.as_str()));
    let rotated = rotations(&f, &key_id, None);
    assert_eq!(rotated.len(), 1);
    assert_eq!(rotated[0].key_material_id, second);
    assert_eq!(rotated[0].key_material_state, KeyMaterialState::Current);
    assert_eq!(rotated[0].rotation_type, Some(keystead_core::RotationType::OnDemand));
    assert_eq!(rotated[0].rotation_date, Some(f.clock.now_ms()));
    let all = rotations(&f, &key_id, Some(IncludeKeyMaterial::AllKeyMaterial));
    assert_eq!(all[0].key_material_state, KeyMaterialState::NonCurrent);
    let new_blob = encrypt(&f.store, &key_id);
    let decrypted = f.store.decrypt(DecryptRequest { ciphertext_blob: &new_blob, ..Default::default() }).unwrap();
    assert_eq!(decrypted.key_material_id.as_deref(), Some(second.as_str()));
    let decrypted = f.store.decrypt(DecryptRequest { ciphertext_blob: &old_blob, ..Default::default() }).unwrap();
    assert_eq!(decrypted.key_material_id.as_deref(), Some(first.as_str()), "old material still decrypts");

    // A second rotation needs another NEW import first.
    assert_eq!(f.store.rotate_key_on_demand(&key_id).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
    // NEW material the key already has is refused, whatever its state.
    let again_new = Extra { import_type: Some(ImportType::NewKeyMaterial), ..never() };
    assert_eq!(
        f.import_with(&key_id, OAEP, &[1u8; 32], again_new).unwrap_err().kind(),
        ErrorKind::IncorrectKeyMaterial
    );
}

#[test]
fn deleting_an_old_material_blocks_its_ciphertexts_until_it_is_imported_again() {
    let f = fixture();
    let key_id = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let first = f.import_with(&key_id, OAEP, &[1u8; 32], Extra { description: Some("kept"), ..never() }).unwrap();
    let old_blob = encrypt(&f.store, &key_id);
    let new_type = Extra { import_type: Some(ImportType::NewKeyMaterial), ..never() };
    let second = f.import_with(&key_id, OAEP, &[2u8; 32], new_type).unwrap();
    f.store.rotate_key_on_demand(&key_id).unwrap();
    let new_blob = encrypt(&f.store, &key_id);

    let err = f.store.delete_imported_key_material_with(&key_id, Some(&"0".repeat(64))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    for bad in ["ABC", &"A".repeat(64), &"0".repeat(63)] {
        let err = f.store.delete_imported_key_material_with(&key_id, Some(bad)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{bad}");
    }
    assert_eq!(f.store.describe_key(&key_id).unwrap().key_state, KeyState::Enabled, "refused deletions change nothing");

    let deleted = f.store.delete_imported_key_material_with(&key_id, Some(&first)).unwrap();
    assert_eq!(deleted.key_material_id, first);
    assert!(deleted.key_id.starts_with("arn:"));
    let meta = f.store.describe_key(&key_id).unwrap();
    assert_eq!(meta.key_state, KeyState::PendingImport, "a permanently associated material is missing");
    assert_eq!(meta.current_key_material_id.as_deref(), Some(second.as_str()));
    let err = decrypt(&f.store, &old_blob).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    assert!(err.message().ends_with("is pending import."), "{}", err.message());
    assert_eq!(decrypt(&f.store, &new_blob).unwrap_err().kind(), ErrorKind::InvalidState);
    let all = rotations(&f, &key_id, Some(IncludeKeyMaterial::AllKeyMaterial));
    assert_eq!(all[0].import_state, Some(KeyMaterialImportState::PendingImport));
    assert_eq!(all[1].import_state, Some(KeyMaterialImportState::Imported));

    // The wrong KeyMaterialId, or material the key never had, is refused and changes nothing.
    let wrong_id = Extra { key_material_id: Some(&second), ..never() };
    assert_eq!(f.import_with(&key_id, OAEP, &[1u8; 32], wrong_id).unwrap_err().kind(), ErrorKind::IncorrectKeyMaterial);
    let stranger = Extra { import_type: Some(ImportType::ExistingKeyMaterial), ..never() };
    assert_eq!(f.import_with(&key_id, OAEP, &[3u8; 32], stranger).unwrap_err().kind(), ErrorKind::IncorrectKeyMaterial);
    assert_eq!(f.store.describe_key(&key_id).unwrap().key_state, KeyState::PendingImport);

    let existing =
        Extra { import_type: Some(ImportType::ExistingKeyMaterial), key_material_id: Some(&first), ..never() };
    assert_eq!(f.import_with(&key_id, OAEP, &[1u8; 32], existing).unwrap(), first);
    assert_eq!(f.store.describe_key(&key_id).unwrap().key_state, KeyState::Enabled);
    assert_eq!(decrypt(&f.store, &old_blob).unwrap(), b"imported");
    assert_eq!(decrypt(&f.store, &new_blob).unwrap(), b"imported");
    let all = rotations(&f, &key_id, Some(IncludeKeyMaterial::AllKeyMaterial));
    assert_eq!(all[0].key_material_description.as_deref(), Some("kept"), "kept when the re-import omits it");
    assert_eq!(all[0].import_state, Some(KeyMaterialImportState::Imported));

    // Without KeyMaterialId the current material goes.
    assert_eq!(f.store.delete_imported_key_material(&key_id).unwrap().key_material_id, second);
    assert_eq!(decrypt(&f.store, &old_blob).unwrap_err().kind(), ErrorKind::InvalidState);
}

#[test]
fn material_waiting_for_rotation_can_be_deleted_and_replaced() {
    let f = fixture();
    let key_id = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    f.import(&key_id, OAEP, &[1u8; 32], ExpirationModel::KeyMaterialDoesNotExpire).unwrap();
    let new_type = Extra { import_type: Some(ImportType::NewKeyMaterial), ..never() };
    let pending = f.import_with(&key_id, OAEP, &[2u8; 32], new_type).unwrap();
    f.store.delete_imported_key_material_with(&key_id, Some(&pending)).unwrap();
    assert_eq!(f.store.describe_key(&key_id).unwrap().key_state, KeyState::Enabled, "pending material is not bound");
    assert_eq!(rotations(&f, &key_id, Some(IncludeKeyMaterial::AllKeyMaterial)).len(), 1);
    assert_eq!(f.store.rotate_key_on_demand(&key_id).unwrap_err().kind(), ErrorKind::UnsupportedOperation);
    let replacement = f.import_with(&key_id, OAEP, &[3u8; 32], new_type).unwrap();
    f.store.rotate_key_on_demand(&key_id).unwrap();
    assert_eq!(f.store.describe_key(&key_id).unwrap().current_key_material_id, Some(replacement));
    let blob = encrypt(&f.store, &key_id);
    assert_eq!(decrypt(&f.store, &blob).unwrap(), b"imported");
}

#[test]
fn each_material_expires_at_its_own_valid_to() {
    let f = fixture();
    let key_id = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let first = f.import(&key_id, OAEP, &[1u8; 32], ExpirationModel::KeyMaterialDoesNotExpire).unwrap();
    let ten_days = f.clock.now_ms() + 10 * DAY_MS;
    let expiring = Extra {
        import_type: Some(ImportType::NewKeyMaterial),
        expiration_model: Some(ExpirationModel::KeyMaterialExpires),
        valid_to: Some(ten_days),
        ..Extra::default()
    };
    let second = f.import_with(&key_id, OAEP, &[2u8; 32], expiring).unwrap();
    assert_eq!(f.store.describe_key(&key_id).unwrap().valid_to, None, "pending material is not yet the key's");
    f.store.rotate_key_on_demand(&key_id).unwrap();
    let meta = f.store.describe_key(&key_id).unwrap();
    assert_eq!(meta.valid_to, Some(ten_days));
    assert_eq!(meta.expiration_model, Some(ExpirationModel::KeyMaterialExpires), "the current material's model");
    let all = rotations(&f, &key_id, Some(IncludeKeyMaterial::AllKeyMaterial));
    assert_eq!(all[1].valid_to, Some(ten_days));
    assert_eq!(all[0].valid_to, None);
    let blob = encrypt(&f.store, &key_id); // under the expiring material
    f.clock.advance_days(10);
    let meta = f.store.describe_key(&key_id).unwrap();
    assert_eq!(meta.key_state, KeyState::PendingImport);
    assert_eq!(meta.valid_to, None);
    let all = rotations(&f, &key_id, Some(IncludeKeyMaterial::AllKeyMaterial));
    assert_eq!(all[0].import_state, Some(KeyMaterialImportState::Imported), "{first} does not expire");
    assert_eq!(all[1].import_state, Some(KeyMaterialImportState::PendingImport));
    assert_eq!((all[1].rotation_date, all[1].rotation_type), (None, None), "pending imports show no rotation");
    assert_eq!(decrypt(&f.store, &blob).unwrap_err().kind(), ErrorKind::InvalidState);
    let back = Extra { key_material_id: Some(&second), ..never() };
    f.import_with(&key_id, OAEP, &[2u8; 32], back).unwrap();
    assert_eq!(f.store.describe_key(&key_id).unwrap().valid_to, None, "re-import changed the expiry");
    assert_eq!(decrypt(&f.store, &blob).unwrap(), b"imported");
}

#[test]
fn new_parameters_are_validated_and_only_for_symmetric_keys() {
    let f = fixture();
    let key_id = f.external(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let bad = |extra: Extra<'_>| f.import_with(&key_id, OAEP, &[1u8; 32], extra).unwrap_err().kind();
    let long = "a".repeat(257);
    for description in ["", "semi;colon", "ünicode", long.as_str()] {
        assert_eq!(
            bad(Extra { description: Some(description), ..never() }),
            ErrorKind::Validation,
            "{description:.10}"
        );
    }
    for id in ["abc", &"G".repeat(64), &"A".repeat(64)] {
        assert_eq!(bad(Extra { key_material_id: Some(id), ..never() }), ErrorKind::Validation, "{id}");
    }
    let id = "0".repeat(64);
    let new_with_id = Extra { import_type: Some(ImportType::NewKeyMaterial), key_material_id: Some(&id), ..never() };
    assert_eq!(bad(new_with_id), ErrorKind::Validation);
    // EXISTING before any import: the key has no such material.
    assert_eq!(
        bad(Extra { import_type: Some(ImportType::ExistingKeyMaterial), ..never() }),
        ErrorKind::IncorrectKeyMaterial
    );
    assert_eq!(f.store.describe_key(&key_id).unwrap().key_state, KeyState::PendingImport);
    let ok = f.import_with(&key_id, OAEP, &[1u8; 32], Extra { description: Some("a/b:c_d.e-f 1"), ..never() });
    assert_eq!(ok.unwrap().len(), 64);

    let hmac = f.external(KeySpec::Hmac256, KeyUsage::GenerateVerifyMac);
    for extra in [
        Extra { import_type: Some(ImportType::NewKeyMaterial), ..never() },
        Extra { description: Some("x"), ..never() },
        Extra { key_material_id: Some(&id), ..never() },
    ] {
        let err = f.import_with(&hmac, OAEP, &[5u8; 32], extra).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation);
    }
    assert_eq!(f.store.describe_key(&hmac).unwrap().key_state, KeyState::PendingImport);
    f.import_with(&hmac, OAEP, &[5u8; 32], never()).unwrap();
    assert_eq!(f.store.describe_key(&hmac).unwrap().key_state, KeyState::Enabled);
}
