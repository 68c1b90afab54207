//! One in-memory store per fuzzing process, built once, with keys in every interesting state
//! and "templates": ciphertext blobs and envelope messages that really open. Harnesses start
//! from a template (by index) and edit it, so the fuzzer reaches the code behind a successful
//! key lookup and commitment check, which random bytes never would. The key ids and random
//! bytes differ between processes; a template index always means the same kind of case.

use std::sync::OnceLock;

use keystead_core::envelope::{self, SealOptions};
use keystead_core::{
    CreateKeyRequest, EncryptRequest, EncryptionAlgorithm, EncryptionContext, KeySpec, KeyUsage, Keystead, Origin,
};

/// A key of the fixture store.
pub struct Key {
    /// Key id (UUID).
    pub id: String,
    /// Key ARN.
    pub arn: String,
}

/// A ciphertext blob that decrypts.
pub struct BlobTemplate {
    /// Index into [`Fixture::keys`] of the encrypting key.
    pub key: usize,
    /// The blob.
    pub blob: Vec<u8>,
    /// What it decrypts to.
    pub plaintext: Vec<u8>,
    /// The context it was sealed with.
    pub context: EncryptionContext,
    /// The algorithm (`SYMMETRIC_DEFAULT` or an RSA OAEP one).
    pub algorithm: EncryptionAlgorithm,
}

/// An envelope message that opens.
pub struct MessageTemplate {
    /// The message.
    pub message: Vec<u8>,
    /// What it opens to.
    pub plaintext: Vec<u8>,
    /// The context it was sealed with.
    pub context: EncryptionContext,
}

/// The store and its templates.
pub struct Fixture {
    /// The in-memory store.
    pub store: Keystead,
    /// Keys: see [`keys`] for the role of each index.
    pub keys: Vec<Key>,
    /// An alias of key [`keys::ROTATED`].
    pub alias: String,
    /// Blobs that decrypt.
    pub blobs: Vec<BlobTemplate>,
    /// Messages that open.
    pub messages: Vec<MessageTemplate>,
    /// The contexts the templates use.
    pub contexts: Vec<EncryptionContext>,
}

/// Roles of the fixture keys (indices into [`Fixture::keys`]).
pub mod keys {
    /// Symmetric, rotated twice (materials 1, 2, 3), aliased.
    pub const ROTATED: usize = 0;
    /// Symmetric, disabled after its templates were made.
    pub const DISABLED: usize = 1;
    /// Symmetric, pending deletion after its templates were made.
    pub const PENDING_DELETION: usize = 2;
    /// HMAC_256 (not an encryption key).
    pub const HMAC: usize = 3;
    /// RSA_2048 for encryption.
    pub const RSA: usize = 4;
    /// Symmetric, origin EXTERNAL, no material (PendingImport).
    pub const PENDING_IMPORT: usize = 5;
    /// Symmetric, a second wrapping key for messages.
    pub const SECOND: usize = 6;
}

/// A recognisable plaintext of `len` bytes, different per `seed`.
pub fn plaintext(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The process-wide fixture (built on first use).
pub fn store() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build().expect("building the fuzz fixture store"))
}

fn build() -> keystead_core::Result<Fixture> {
    let store = Keystead::builder().open_in_memory()?;
    let contexts = vec![
        EncryptionContext::new(),
        context(&[("tenant", "42")]),
        context(&[("a", "1"), ("b", "2"), ("ünïcode", "✓")]),
    ];
    let make = |spec: KeySpec, usage: KeyUsage, origin: Option<Origin>| -> keystead_core::Result<Key> {
        let meta = store.create_key(CreateKeyRequest {
            key_spec: Some(spec),
            key_usage: Some(usage),
            origin,
            ..Default::default()
        })?;
        Ok(Key { id: meta.key_id, arn: meta.arn })
    };
    let keys = vec![
        make(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, None)?,
        make(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, None)?,
        make(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, None)?,
        make(KeySpec::Hmac256, KeyUsage::GenerateVerifyMac, None)?,
        make(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt, None)?,
        make(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, Some(Origin::External))?,
        make(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, None)?,
    ];
    let alias = "alias/fuzz-rotated".to_string();
    store.create_alias(&alias, &keys[keys::ROTATED].id)?;

    let mut blobs = Vec::new();
    let mut seal = |key: usize, len: usize, ctx: usize, algorithm: EncryptionAlgorithm| -> keystead_core::Result<()> {
        let plaintext = plaintext(len, blobs.len() as u8);
        let rsa = algorithm != EncryptionAlgorithm::SymmetricDefault;
        let context = if rsa { EncryptionContext::new() } else { contexts[ctx].clone() };
        let sealed = store.encrypt(EncryptRequest {
            key_id: &keys[key].id,
            plaintext: &plaintext,
            encryption_context: if rsa { None } else { Some(&context) },
            encryption_algorithm: Some(algorithm),
            ..Default::default()
        })?;
        blobs.push(BlobTemplate { key, blob: sealed.ciphertext_blob, plaintext, context, algorithm });
        Ok(())
    };
    let sym = EncryptionAlgorithm::SymmetricDefault;
    seal(keys::ROTATED, 2, 0, sym)?;
    store.rotate_key_on_demand(&keys[keys::ROTATED].id)?;
    seal(keys::ROTATED, 1, 1, sym)?;
    store.rotate_key_on_demand(&keys[keys::ROTATED].id)?;
    seal(keys::ROTATED, 100, 2, sym)?;
    seal(keys::ROTATED, 4096, 1, sym)?;
    seal(keys::DISABLED, 16, 1, sym)?;
    seal(keys::PENDING_DELETION, 32, 0, sym)?;
    seal(keys::SECOND, 7, 2, sym)?;
    seal(keys::RSA, 32, 0, EncryptionAlgorithm::RsaesOaepSha256)?;
    seal(keys::RSA, 190, 0, EncryptionAlgorithm::RsaesOaepSha1)?;

    let mut messages = Vec::new();
    let mut message =
        |key: usize, extra: &[usize], len: usize, ctx: usize, segment_size: usize| -> keystead_core::Result<()> {
            let plaintext = plaintext(len, 100 + messages.len() as u8);
            let options = SealOptions {
                additional_key_ids: extra.iter().map(|k| keys[*k].id.clone()).collect(),
                segment_size,
                threads: 1,
                cache: None,
            };
            let sealed = envelope::seal(&store, &keys[key].id, &plaintext, &contexts[ctx], &options)?;
            messages.push(MessageTemplate { message: sealed, plaintext, context: contexts[ctx].clone() });
            Ok(())
        };
    message(keys::ROTATED, &[], 0, 0, 16)?;
    message(keys::ROTATED, &[], 100, 1, 16)?;
    message(keys::ROTATED, &[keys::SECOND], 333, 2, 64)?;
    message(keys::DISABLED, &[keys::ROTATED], 50, 1, 32)?;
    message(keys::SECOND, &[], 17, 0, 16)?;
    message(keys::ROTATED, &[], 1000, 0, 1000)?;
    message(keys::PENDING_DELETION, &[], 5, 1, 16)?;

    store.disable_key(&keys[keys::DISABLED].id)?;
    store.schedule_key_deletion(&keys[keys::PENDING_DELETION].id, Some(7))?;
    Ok(Fixture { store, keys, alias, blobs, messages, contexts })
}
