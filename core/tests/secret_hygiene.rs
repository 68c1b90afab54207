//! Secret hygiene (docs/reliability.md, checks KMS-5, S-8, S-9): runs a workload on a store
//! folder with recognisable random secrets — root keys, imported key materials, plaintexts,
//! data keys, data key pair private keys, random bytes, access key secrets — including failing
//! operations, then scans for every one of them, raw, in hex (both cases) and in base64
//! (standard and URL-safe, at every alignment):
//! - every file of the store folder (database, WAL, SHM, journal, anything else), read both
//!   while the store is open and after it is closed;
//! - every error's message, `Display` and `Debug`;
//! - the `Debug` output of every response and secret-bearing value.
//!
//! Expected: 0 hits. A positive control proves the scanner finds a secret in each encoding.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use base64::Engine;
use keystead_core::envelope::{self, OpenOptions, SealOptions};
use keystead_core::{
    CreateKeyRequest, DataKeyPairSpec, DecryptRequest, EncryptRequest, EncryptionContext, Error, ExpirationModel,
    GenerateDataKeyPairRequest, GenerateDataKeyRequest, GenerateMacRequest, ImportKeyMaterialRequest, KeySpec,
    KeyUsage, Keystead, MacAlgorithm, Origin, ReEncryptRequest, RootKeySource, SecretBytes, WrappingAlgorithm,
    WrappingKeySpec,
};
use openssl::encrypt::Encrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Padding;

/// Every window of this many bytes of a secret is searched for.
const WINDOW: usize = 16;

/// The secrets of the run and everything printed or stored that must not contain them.
#[derive(Default)]
struct Ledger {
    secrets: Vec<(String, Vec<u8>)>,
    texts: Vec<(String, String)>,
}

impl Ledger {
    fn secret(&mut self, what: &str, bytes: &[u8]) {
        assert!(bytes.len() >= WINDOW, "{what}: shorter than the {WINDOW}-byte search window");
        self.secrets.push((what.to_string(), bytes.to_vec()));
    }

    /// A fresh random secret of `len` bytes, recorded.
    fn fresh(&mut self, what: &str, len: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; len];
        openssl::rand::rand_bytes(&mut bytes).unwrap();
        self.secret(what, &bytes);
        bytes
    }

    /// Records an error's message, Display and Debug.
    fn error(&mut self, what: &str, error: &Error) {
        self.texts.push((format!("{what} (message)"), error.message().to_string()));
        self.texts.push((format!("{what} (Display)"), error.to_string()));
        self.texts.push((format!("{what} (Debug)"), format!("{error:?}")));
    }

    fn fails<T: std::fmt::Debug>(&mut self, what: &str, result: keystead_core::Result<T>) {
        match result {
            Ok(value) => panic!("{what} was expected to fail, got {value:?}"),
            Err(e) => self.error(what, &e),
        }
    }

    fn debug(&mut self, what: &str, value: &dyn std::fmt::Debug) {
        self.texts.push((what.to_string(), format!("{value:?}")));
    }
}

/// The needles for one secret, with their encoding: every raw window of [`WINDOW`] bytes, its
/// hex (both cases, 2 x WINDOW bytes), and base64 (standard and URL-safe) of 12-byte pieces at
/// the three alignments (16 bytes each).
fn needles(secret: &[u8]) -> Vec<(Vec<u8>, &'static str)> {
    let mut out = Vec::new();
    for start in 0..=secret.len() - WINDOW {
        let raw = &secret[start..start + WINDOW];
        out.push((raw.to_vec(), "raw"));
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        out.push((hex.to_uppercase().into_bytes(), "HEX"));
        out.push((hex.into_bytes(), "hex"));
    }
    // Base64 of a substring only appears in the encoding of the whole when it starts at a
    // multiple of 3 of the encoded input; three offsets cover every alignment.
    for offset in 0..3 {
        let piece = &secret[offset..offset + 12];
        out.push((base64::engine::general_purpose::STANDARD.encode(piece).into_bytes(), "base64"));
        out.push((base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(piece).into_bytes(), "base64url"));
    }
    out
}

/// Every file under `dir` (recursively), with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

/// Returns "secret found in place (encoding)" for every hit. Needles are grouped by length in
/// hash maps, so each place is read once per needle length (linear in the bytes scanned).
fn scan(ledger: &Ledger, places: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut by_len: HashMap<usize, HashMap<Vec<u8>, (String, &'static str)>> = HashMap::new();
    for (what, secret) in &ledger.secrets {
        for (needle, encoding) in needles(secret) {
            by_len.entry(needle.len()).or_default().insert(needle, (what.clone(), encoding));
        }
    }
    let mut hits = Vec::new();
    for (place, bytes) in places {
        for (len, needles) in &by_len {
            for window in bytes.windows(*len) {
                if let Some((what, encoding)) = needles.get(window) {
                    hits.push(format!("{what} found in {place} ({encoding})"));
                }
            }
        }
    }
    hits.sort();
    hits.dedup();
    hits
}

fn wrap_oaep_sha256(public_key_der: &[u8], material: &[u8]) -> Vec<u8> {
    let key = PKey::public_key_from_der(public_key_der).unwrap();
    let mut encrypter = Encrypter::new(&key).unwrap();
    encrypter.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
    encrypter.set_rsa_oaep_md(MessageDigest::sha256()).unwrap();
    encrypter.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
    let mut out = vec![0u8; encrypter.encrypt_len(material).unwrap()];
    let n = encrypter.encrypt(material, &mut out).unwrap();
    out.truncate(n);
    out
}

/// The workload: every kind of secret the library takes or hands out, and failures with each.
fn workload(store: &Keystead, ledger: &mut Ledger) {
    let context: EncryptionContext = BTreeMap::from([("tenant".to_string(), "hygiene".to_string())]);
    let wrong_context: EncryptionContext = BTreeMap::from([("tenant".to_string(), "other".to_string())]);

    // Symmetric: Encrypt/Decrypt/ReEncrypt of recorded plaintexts, across a rotation.
    let key = store.create_key(CreateKeyRequest::default()).unwrap();
    let other = store.create_key(CreateKeyRequest::default()).unwrap();
    for round in 0..3 {
        let plaintext = ledger.fresh(&format!("plaintext {round}"), 64 + round * 100);
        let sealed = store
            .encrypt(EncryptRequest {
                key_id: &key.key_id,
                plaintext: &plaintext,
                encryption_context: Some(&context),
                ..Default::default()
            })
            .unwrap();
        ledger.debug("EncryptResponse", &sealed);
        let opened = store
            .decrypt(DecryptRequest {
                ciphertext_blob: &sealed.ciphertext_blob,
                encryption_context: Some(&context),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(opened.plaintext.expose(), &plaintext[..]);
        ledger.debug("DecryptResponse", &opened);
        ledger.fails(
            "Decrypt with the wrong context",
            store.decrypt(DecryptRequest {
                ciphertext_blob: &sealed.ciphertext_blob,
                encryption_context: Some(&wrong_context),
                ..Default::default()
            }),
        );
        ledger.fails(
            "Decrypt naming the wrong key",
            store.decrypt(DecryptRequest {
                ciphertext_blob: &sealed.ciphertext_blob,
                encryption_context: Some(&context),
                key_id: Some(&other.key_id),
                ..Default::default()
            }),
        );
        let mut tampered = sealed.ciphertext_blob.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        ledger.fails(
            "Decrypt of a tampered blob",
            store.decrypt(DecryptRequest {
                ciphertext_blob: &tampered,
                encryption_context: Some(&context),
                ..Default::default()
            }),
        );
        let re = store
            .re_encrypt(ReEncryptRequest {
                ciphertext_blob: &sealed.ciphertext_blob,
                source_encryption_context: Some(&context),
                destination_key_id: &other.key_id,
                ..Default::default()
            })
            .unwrap();
        ledger.debug("ReEncryptResponse", &re);
        store.rotate_key_on_demand(&key.key_id).unwrap();
    }
    // A plaintext too long for Encrypt: the error must not echo it.
    let too_long = ledger.fresh("oversized plaintext", 4097);
    ledger.fails(
        "Encrypt of 4097 bytes",
        store.encrypt(EncryptRequest { key_id: &key.key_id, plaintext: &too_long, ..Default::default() }),
    );

    // Data keys and data key pairs.
    for spec in [None, Some(keystead_core::DataKeySpec::Aes128)] {
        let data_key = store
            .generate_data_key(GenerateDataKeyRequest {
                key_id: &key.key_id,
                encryption_context: Some(&context),
                key_spec: spec.or(Some(keystead_core::DataKeySpec::Aes256)),
                ..Default::default()
            })
            .unwrap();
        ledger.secret("data key", data_key.plaintext.expose());
        ledger.debug("GenerateDataKeyResponse", &data_key);
    }
    for spec in [DataKeyPairSpec::EccNistP256, DataKeyPairSpec::EccNistEdwards25519] {
        let pair = store
            .generate_data_key_pair(GenerateDataKeyPairRequest {
                key_id: &key.key_id,
                encryption_context: Some(&context),
                key_pair_spec: Some(spec),
                ..Default::default()
            })
            .unwrap();
        // The DER carries fixed algorithm bytes (and for EC the public key); the secret is the
        // private scalar or seed inside it.
        let key = PKey::private_key_from_pkcs8(pair.private_key_plaintext.expose()).unwrap();
        let scalar = match key.ec_key() {
            Ok(ec) => ec.private_key().to_vec(),
            Err(_) => key.raw_private_key().unwrap(),
        };
        ledger.secret("data key pair private key", &scalar);
        ledger.debug("GenerateDataKeyPairResponse", &pair);
    }
    let random = store.generate_random(48).unwrap();
    ledger.secret("GenerateRandom output", random.expose());
    ledger.debug("GenerateRandom SecretBytes", &random);

    // Envelope messages.
    let big = ledger.fresh("envelope plaintext", 5000);
    let message = envelope::seal(
        store,
        &key.key_id,
        &big,
        &context,
        &SealOptions { segment_size: 1024, threads: 1, ..Default::default() },
    )
    .unwrap();
    let opened = envelope::open(store, &message, &context, &OpenOptions::default()).unwrap();
    assert_eq!(opened.expose(), &big[..]);
    ledger.debug("envelope::open result", &opened);
    ledger.fails(
        "envelope::open with the wrong context",
        envelope::open(store, &message, &wrong_context, &OpenOptions::default()),
    );

    // HMAC keys: the MAC is not secret, the message is.
    let hmac = store
        .create_key(CreateKeyRequest {
            key_spec: Some(KeySpec::Hmac256),
            key_usage: Some(KeyUsage::GenerateVerifyMac),
            ..Default::default()
        })
        .unwrap();
    let message = ledger.fresh("MAC message", 40);
    let mac = store
        .generate_mac(GenerateMacRequest {
            key_id: &hmac.key_id,
            message: &message,
            mac_algorithm: Some(MacAlgorithm::HmacSha256),
            ..Default::default()
        })
        .unwrap();
    ledger.debug("GenerateMacResponse", &mac);
    ledger.fails(
        "Encrypt with an HMAC key",
        store.encrypt(EncryptRequest { key_id: &hmac.key_id, plaintext: &message, ..Default::default() }),
    );

    // Imported key material (symmetric), a wrong material, a wrong token.
    let external = store.create_key(CreateKeyRequest { origin: Some(Origin::External), ..Default::default() }).unwrap();
    let params = store
        .get_parameters_for_import(&external.key_id, WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa2048)
        .unwrap();
    let material = ledger.fresh("imported key material", 32);
    let wrapped = wrap_oaep_sha256(&params.public_key, &material);
    let short = ledger.fresh("wrong-size imported material", 31);
    ledger.fails(
        "ImportKeyMaterial of 31 bytes",
        store.import_key_material(ImportKeyMaterialRequest {
            key_id: &external.key_id,
            import_token: &params.import_token,
            encrypted_key_material: &wrap_oaep_sha256(&params.public_key, &short),
            expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
            valid_to: None,
            ..Default::default()
        }),
    );
    ledger.fails(
        "ImportKeyMaterial with a bad token",
        store.import_key_material(ImportKeyMaterialRequest {
            key_id: &external.key_id,
            import_token: b"not a token at all",
            encrypted_key_material: &wrapped,
            expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
            valid_to: None,
            ..Default::default()
        }),
    );
    let imported = store
        .import_key_material(ImportKeyMaterialRequest {
            key_id: &external.key_id,
            import_token: &params.import_token,
            encrypted_key_material: &wrapped,
            expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
            valid_to: None,
            ..Default::default()
        })
        .unwrap();
    ledger.debug("ImportKeyMaterial response", &imported);
    let other_material = ledger.fresh("second imported material", 32);
    let params = store
        .get_parameters_for_import(&external.key_id, WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa2048)
        .unwrap();
    ledger.fails(
        "ImportKeyMaterial of a different material",
        store.import_key_material(ImportKeyMaterialRequest {
            key_id: &external.key_id,
            import_token: &params.import_token,
            encrypted_key_material: &wrap_oaep_sha256(&params.public_key, &other_material),
            expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
            valid_to: None,
            ..Default::default()
        }),
    );
    let imported_plaintext = ledger.fresh("plaintext under imported key", 100);
    let sealed = store
        .encrypt(EncryptRequest { key_id: &external.key_id, plaintext: &imported_plaintext, ..Default::default() })
        .unwrap();
    store.decrypt(DecryptRequest { ciphertext_blob: &sealed.ciphertext_blob, ..Default::default() }).unwrap();

    // Access keys: the secret is returned once and stored sealed.
    let access = store.create_access_key("arn:aws:iam::111122223333:user/hygiene").unwrap();
    ledger.secret("access key secret", access.secret_access_key.expose());
    ledger.debug("NewAccessKey", &access);
    let chosen: Vec<u8> = ledger.fresh("chosen access key secret", 24).iter().map(|b| b'A' + b % 26).collect();
    ledger.secrets.pop();
    ledger.secret("chosen access key secret", &chosen);
    let added = store.add_access_key("AKIAHYGIENEEXAMPLE01", &chosen, "arn:aws:iam::111122223333:user/b").unwrap();
    ledger.debug("AccessKey", &added);

    // Disabled and pending-deletion keys refuse, with plaintexts in the request.
    store.disable_key(&other.key_id).unwrap();
    let refused = ledger.fresh("plaintext refused by a disabled key", 50);
    ledger.fails(
        "Encrypt with a disabled key",
        store.encrypt(EncryptRequest { key_id: &other.key_id, plaintext: &refused, ..Default::default() }),
    );
}

#[test]
fn no_secret_in_store_files_errors_or_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let mut ledger = Ledger::default();
    let root = ledger.fresh("root key", 32);
    let store =
        Keystead::builder().root_key(RootKeySource::Bytes(SecretBytes::copy_from(&root))).open(&store_dir).unwrap();
    workload(&store, &mut ledger);

    // Root-key rotation: both the old and the new key stay out of the files.
    let next_root = ledger.fresh("rotated root key", 32);
    store.rotate_root_key(RootKeySource::Bytes(SecretBytes::copy_from(&next_root))).unwrap();
    let after = ledger.fresh("plaintext after root rotation", 64);
    let key = store.create_key(CreateKeyRequest::default()).unwrap();
    store.encrypt(EncryptRequest { key_id: &key.key_id, plaintext: &after, ..Default::default() }).unwrap();
    let wrong_root = ledger.fresh("wrong root key", 32);
    let refused =
        Keystead::builder().root_key(RootKeySource::Bytes(SecretBytes::copy_from(&wrong_root))).open(&store_dir);
    ledger.fails("open with a wrong root key", refused);

    // The files while the store is open (WAL and SHM present), then after closing.
    let mut places = files(&store_dir);
    assert!(places.iter().any(|(p, _)| p.ends_with("keystead.db")), "no database file in {places:?}");
    let open_files: Vec<String> = places.iter().map(|(p, _)| p.clone()).collect();
    drop(store);
    places.extend(files(&store_dir));
    for (what, text) in &ledger.texts {
        places.push((what.clone(), text.clone().into_bytes()));
    }
    assert!(ledger.secrets.len() >= 20, "the workload recorded {} secrets", ledger.secrets.len());
    assert!(ledger.texts.len() >= 40, "the workload recorded {} outputs", ledger.texts.len());
    let hits = scan(&ledger, &places);
    println!(
        "secret hygiene: {} secrets x {} places ({} store files while open: {:?}), {} hits",
        ledger.secrets.len(),
        places.len(),
        open_files.len(),
        open_files.iter().map(|p| Path::new(p).file_name().unwrap().to_string_lossy().into_owned()).collect::<Vec<_>>(),
        hits.len()
    );
    assert!(hits.is_empty(), "secrets leaked:\n{}", hits.join("\n"));
}

/// The scanner finds a secret in each form it claims to search (so 0 hits above means
/// something).
#[test]
fn scanner_positive_control() {
    let mut ledger = Ledger::default();
    let secret = ledger.fresh("control", 40);
    let hex: String = secret[5..30].iter().map(|b| format!("{b:02X}")).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&secret[1..]);
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&secret[2..]);
    let mut raw = b"prefix".to_vec();
    raw.extend_from_slice(&secret[10..26]);
    let places = vec![
        ("raw".to_string(), raw),
        ("hex".to_string(), hex.into_bytes()),
        ("base64".to_string(), format!("x{b64}y").into_bytes()),
        ("base64url".to_string(), b64url.into_bytes()),
        ("clean".to_string(), b"nothing secret here".to_vec()),
    ];
    // Which places were hit (the encoding label is the first that matched a needle; standard
    // and URL-safe base64 often coincide).
    let hit_places: Vec<String> = scan(&ledger, &places)
        .iter()
        .map(|hit| hit.trim_start_matches("control found in ").split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(hit_places, vec!["base64", "base64url", "hex", "raw"]);
}

/// End-to-end positive control: the default root-key source keeps the root key in
/// `<store>/root.key` by design, and the same file scan finds it there (and nowhere else).
#[test]
fn file_scan_finds_a_root_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Keystead::open(dir.path()).unwrap();
    store.create_key(CreateKeyRequest::default()).unwrap();
    drop(store);
    let root = std::fs::read(dir.path().join(keystead_core::KEY_FILE_NAME)).unwrap();
    let mut ledger = Ledger::default();
    ledger.secret("root key from root.key", &root);
    let hits = scan(&ledger, &files(dir.path()));
    assert!(!hits.is_empty(), "the scan missed the root key in root.key");
    assert!(hits.iter().all(|h| h.contains(keystead_core::KEY_FILE_NAME)), "{hits:?}");
}
