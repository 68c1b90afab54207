//! Target `import`: BYOK import (`ImportKeyMaterial`): import-token decoding, RSA-OAEP and
//! RSA-AES key-wrap unwrapping, and the checks on the unwrapped material (length for symmetric
//! and HMAC keys, PKCS#8 DER parsing and curve/size checks for RSA, ECC and Ed25519 keys).
//!
//! The fixture imports a known material into each EXTERNAL key once and deletes it again, so
//! every key is `PendingImport` and pinned to that material; every success is undone the same
//! way, so inputs do not depend on each other.
//!
//! Input: `key, token choice, material mode, expiration choice, days, key-id form`, then data:
//! the material is the key's valid material with edits (mode 0), arbitrary bytes (mode 1),
//! both wrapped by the harness with the token's public key and algorithm, arbitrary bytes used
//! as the wrapped material itself (mode 2), or a correct wrapping with edits (mode 3).
//!
//! Checks: only typed errors; a success needs the key's own token and yields exactly the
//! pinned material id, after which the key is `Enabled` and usable; raw unwrapped bytes
//! (mode 2) never import.

use std::sync::{Arc, OnceLock};

use keystead_core::{
    CreateKeyRequest, DecryptRequest, EncryptRequest, ErrorKind, ExpirationModel, ImportKeyMaterialRequest, KeySpec,
    KeyState, KeyUsage, Keystead, ManualClock, Origin, WrappingAlgorithm, WrappingKeySpec, DAY_MS,
};
use openssl::cipher::Cipher;
use openssl::cipher_ctx::{CipherCtx, CipherCtxFlags};
use openssl::encrypt::Encrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Padding;

use crate::input::{assert_typed, Input};

/// The fixture store's time (2026-01-01T00:00:00Z).
const FIXED_NOW_MS: i64 = 1_767_225_600_000;

/// One wrapping token of a key.
pub struct Token {
    /// The opaque import token.
    pub token: Vec<u8>,
    /// Its RSA public key.
    pub public_key: PKey<Public>,
    /// How material must be wrapped for it.
    pub algorithm: WrappingAlgorithm,
}

/// An EXTERNAL key of the import fixture.
pub struct ExternalKey {
    /// Key id.
    pub id: String,
    /// Key ARN.
    pub arn: String,
    /// Its spec.
    pub spec: KeySpec,
    /// The material it is pinned to.
    pub material: Vec<u8>,
    /// The KeyMaterialId of that material.
    pub material_id: String,
    /// Tokens for it, one per wrapping algorithm that fits its material.
    pub tokens: Vec<Token>,
}

/// The import fixture: a store and its EXTERNAL keys.
pub struct ImportFixture {
    /// The in-memory store.
    pub store: Keystead,
    /// The keys.
    pub keys: Vec<ExternalKey>,
}

fn fixture() -> &'static ImportFixture {
    static FIXTURE: OnceLock<ImportFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build().expect("building the import fixture"))
}

/// Wraps `material` for `token` as an importer would (RSA-OAEP, or RSA-OAEP of an AES key plus
/// AES key wrap with padding).
pub fn wrap(token: &Token, material: &[u8]) -> Option<Vec<u8>> {
    let oaep = |md: MessageDigest, data: &[u8]| -> Option<Vec<u8>> {
        let mut encrypter = Encrypter::new(&token.public_key).ok()?;
        encrypter.set_rsa_padding(Padding::PKCS1_OAEP).ok()?;
        encrypter.set_rsa_oaep_md(md).ok()?;
        encrypter.set_rsa_mgf1_md(md).ok()?;
        let mut out = vec![0u8; encrypter.encrypt_len(data).ok()?];
        let n = encrypter.encrypt(data, &mut out).ok()?;
        out.truncate(n);
        Some(out)
    };
    match token.algorithm {
        WrappingAlgorithm::RsaesOaepSha1 => oaep(MessageDigest::sha1(), material),
        WrappingAlgorithm::RsaesOaepSha256 => oaep(MessageDigest::sha256(), material),
        WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => {
            let md = if token.algorithm == WrappingAlgorithm::RsaAesKeyWrapSha1 {
                MessageDigest::sha1()
            } else {
                MessageDigest::sha256()
            };
            let aes_key = [0x3Cu8; 32];
            let mut out = oaep(md, &aes_key)?;
            let mut ctx = CipherCtx::new().ok()?;
            ctx.set_flags(CipherCtxFlags::FLAG_WRAP_ALLOW);
            ctx.encrypt_init(Some(Cipher::aes_256_wrap_pad()), Some(&aes_key), None).ok()?;
            let mut wrapped = vec![0u8; material.len() + 48];
            let n = ctx.cipher_update(material, Some(&mut wrapped)).ok()?;
            let m = ctx.cipher_final(&mut wrapped[n..]).ok()?;
            wrapped.truncate(n + m);
            out.extend_from_slice(&wrapped);
            Some(out)
        }
        _ => None,
    }
}

fn material_for(spec: KeySpec) -> keystead_core::Result<Vec<u8>> {
    let fail = |e: openssl::error::ErrorStack| keystead_core::Error::new(ErrorKind::Internal, e.to_string());
    let pkcs8 = |key: PKey<openssl::pkey::Private>| key.private_key_to_pkcs8().map_err(fail);
    Ok(match spec {
        KeySpec::SymmetricDefault => (0..32u8).collect(),
        KeySpec::Hmac256 => (100..140u8).collect(),
        KeySpec::Rsa2048 => pkcs8(PKey::from_rsa(openssl::rsa::Rsa::generate(2048).map_err(fail)?).map_err(fail)?)?,
        KeySpec::EccNistP256 => {
            let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).map_err(fail)?;
            pkcs8(PKey::from_ec_key(openssl::ec::EcKey::generate(&group).map_err(fail)?).map_err(fail)?)?
        }
        _ => pkcs8(PKey::generate_ed25519().map_err(fail)?)?,
    })
}

fn build() -> keystead_core::Result<ImportFixture> {
    // A fixed clock: an input's verdict on ValidTo must not depend on when it runs.
    let store = Keystead::builder().clock(Arc::new(ManualClock::new(FIXED_NOW_MS))).open_in_memory()?;
    let specs = [
        (KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt),
        (KeySpec::Hmac256, KeyUsage::GenerateVerifyMac),
        (KeySpec::Rsa2048, KeyUsage::SignVerify),
        (KeySpec::EccNistP256, KeyUsage::SignVerify),
        (KeySpec::EccNistEdwards25519, KeyUsage::SignVerify),
    ];
    let mut keys = Vec::new();
    for (spec, usage) in specs {
        let meta = store.create_key(CreateKeyRequest {
            key_spec: Some(spec),
            key_usage: Some(usage),
            origin: Some(Origin::External),
            ..Default::default()
        })?;
        let small = matches!(spec, KeySpec::SymmetricDefault | KeySpec::Hmac256);
        let algorithms: &[WrappingAlgorithm] = if small {
            &[
                WrappingAlgorithm::RsaesOaepSha256,
                WrappingAlgorithm::RsaesOaepSha1,
                WrappingAlgorithm::RsaAesKeyWrapSha256,
                WrappingAlgorithm::RsaAesKeyWrapSha1,
            ]
        } else {
            &[WrappingAlgorithm::RsaAesKeyWrapSha256]
        };
        let mut tokens = Vec::new();
        for algorithm in algorithms {
            let params = store.get_parameters_for_import(&meta.key_id, *algorithm, WrappingKeySpec::Rsa2048)?;
            let public_key = PKey::public_key_from_der(&params.public_key)
                .map_err(|e| keystead_core::Error::new(ErrorKind::Internal, e.to_string()))?;
            tokens.push(Token { token: params.import_token, public_key, algorithm: *algorithm });
        }
        let material = material_for(spec)?;
        let wrapped =
            wrap(&tokens[0], &material).ok_or_else(|| keystead_core::Error::new(ErrorKind::Internal, "wrap"))?;
        let imported = store.import_key_material(ImportKeyMaterialRequest {
            key_id: &meta.key_id,
            import_token: &tokens[0].token,
            encrypted_key_material: &wrapped,
            expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
            valid_to: None,
            ..Default::default()
        })?;
        store.delete_imported_key_material(&meta.key_id)?;
        keys.push(ExternalKey {
            id: meta.key_id,
            arn: meta.arn,
            spec,
            material,
            material_id: imported.key_material_id,
            tokens,
        });
    }
    Ok(ImportFixture { store, keys })
}

/// Builds the fixture (libFuzzer calls this before the first input, so that building it does
/// not count against the per-input timeout).
pub fn init() {
    fixture();
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let f = fixture();
    let mut input = Input::new(data);
    let key = &f.keys[usize::from(input.u8()) % f.keys.len()];
    let token_choice = input.u8() % 4;
    let token = &key.tokens[usize::from(input.u8()) % key.tokens.len()];
    let mode = input.u8() % 4;
    let expiration = input.u8() % 4;
    let days = i64::from(input.u16() % 400);
    let id_form = input.u8() % 4;

    let other = &f.keys[usize::from(input.u8()) % f.keys.len()];
    let mut import_token = match token_choice {
        0 => token.token.clone(),
        1 => other.tokens[0].token.clone(),
        2 => input.short_bytes().to_vec(),
        _ => token.token.clone(),
    };
    if token_choice == 3 {
        input.edit(&mut import_token);
    }
    let wrapped = match mode {
        0 => {
            let mut material = key.material.clone();
            input.edit(&mut material);
            wrap(token, &material)
        }
        1 => wrap(token, input.long_bytes()),
        2 => Some(input.long_bytes().to_vec()),
        _ => wrap(token, &key.material).map(|mut w| {
            input.edit(&mut w);
            w
        }),
    };
    // Material too long for the algorithm (plain OAEP): nothing to import.
    let Some(wrapped) = wrapped else { return };
    let now = FIXED_NOW_MS;
    let (expiration_model, valid_to) = match expiration {
        0 => (Some(ExpirationModel::KeyMaterialDoesNotExpire), None),
        1 => (Some(ExpirationModel::KeyMaterialExpires), Some(now + days * DAY_MS - 1)),
        2 => (Some(ExpirationModel::KeyMaterialExpires), None),
        _ => (Some(ExpirationModel::KeyMaterialDoesNotExpire), Some(now + DAY_MS)),
    };
    let key_id = match id_form {
        0 => key.id.clone(),
        1 => key.arn.clone(),
        2 => other.id.clone(),
        _ => input.string(),
    };
    let result = f.store.import_key_material(ImportKeyMaterialRequest {
        key_id: &key_id,
        import_token: &import_token,
        encrypted_key_material: &wrapped,
        expiration_model,
        valid_to,
        ..Default::default()
    });
    match result {
        Ok(response) => {
            assert_ne!(mode, 2, "raw bytes imported as wrapped material");
            let target =
                f.keys.iter().find(|k| k.id == key_id || k.arn == key_id).expect("imported into a fixture key");
            assert_eq!(response.key_material_id, target.material_id, "a different material was imported");
            assert_eq!(import_token, target.tokens.iter().find(|t| t.token == import_token).expect("own token").token);
            let meta = f.store.describe_key(&target.id).expect("describe");
            assert_eq!(meta.key_state, KeyState::Enabled);
            if target.spec == KeySpec::SymmetricDefault {
                let sealed = f
                    .store
                    .encrypt(EncryptRequest { key_id: &target.id, plaintext: b"imported", ..Default::default() })
                    .expect("an imported key encrypts");
                let opened = f
                    .store
                    .decrypt(DecryptRequest { ciphertext_blob: &sealed.ciphertext_blob, ..Default::default() })
                    .expect("and decrypts");
                assert_eq!(opened.plaintext.expose(), b"imported");
            }
            f.store.delete_imported_key_material(&target.id).expect("delete the material again");
        }
        Err(e) => {
            assert_typed("ImportKeyMaterial", &e);
            if token_choice == 1 && other.id != key.id && (id_form == 0 || id_form == 1) {
                // Parameters are validated before the token is (as in AWS): a ValidTo that is
                // missing, unexpected or out of range, or wrapped material of a length AWS
                // refuses, is ValidationException whatever the token.
                let expiration_valid = expiration == 0 || (expiration == 1 && (1..=365).contains(&days));
                let length_valid = (1..=6144).contains(&wrapped.len());
                if e.kind() == ErrorKind::Validation {
                    assert!(!(expiration_valid && length_valid), "another key's token, valid parameters: {e}");
                } else {
                    assert_eq!(e.kind(), ErrorKind::InvalidImportToken, "another key's token: {e}");
                }
            }
        }
    }
}
