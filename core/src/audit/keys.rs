//! The audit keys: an Ed25519 key that signs segment headers and checkpoints, and an HMAC key
//! that hides encryption-context values. Both are store secrets, sealed under the root key in
//! the store settings; the public key is stored in the clear beside them so an auditor can
//! verify without the root key.

use std::path::Path;

use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::sign::{Signer, Verifier};

use crate::crypto::primitives::random_secret;
use crate::error::{Error, ErrorKind, Result};
use crate::keystead::Keystead;
use crate::secret::SecretBytes;
use crate::store::rootkey::{RecordKind, RootKey};
use crate::store::sqlite::SqliteStorage;
use crate::store::{Storage, Txn};

/// Setting holding the sealed Ed25519 private key (raw 32 bytes, sealed).
const SETTING_SIGNING: &str = "audit.signing_key";
/// Setting holding the sealed HMAC key (32 bytes, sealed).
const SETTING_HMAC: &str = "audit.hmac_key";
/// Setting holding the Ed25519 public key in the clear (raw 32 bytes).
pub(crate) const SETTING_PUBLIC: &str = "audit.public_key";
/// Record ids bound into the seals' AAD.
const SEAL_ID_SIGNING: &str = "audit/signing-key";
const SEAL_ID_HMAC: &str = "audit/hmac-key";

/// Length of an Ed25519 public key, private key and (half) signature.
const ED25519_LEN: usize = 32;

/// The audit signing and HMAC keys (secret). `Debug` shows only the public key.
pub struct AuditKeys {
    signing: PKey<Private>,
    public: AuditPublicKey,
    hmac: SecretBytes,
}

impl std::fmt::Debug for AuditKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKeys").field("public", &self.public).finish_non_exhaustive()
    }
}

impl AuditKeys {
    /// Fresh random keys (a store generates its own on first use; tests and tools use this).
    pub fn generate() -> Result<Self> {
        Self::from_secrets(&random_secret(ED25519_LEN)?, random_secret(32)?)
    }

    /// Keys from their secret bytes: the raw Ed25519 private key and the HMAC key.
    fn from_secrets(signing_raw: &SecretBytes, hmac: SecretBytes) -> Result<Self> {
        let signing = PKey::private_key_from_raw_bytes(signing_raw.expose(), Id::ED25519)?;
        let public_raw = signing.raw_public_key()?;
        Ok(Self { signing, public: AuditPublicKey::from_raw(&public_raw)?, hmac })
    }

    /// The public half, for verifiers.
    pub fn public_key(&self) -> &AuditPublicKey {
        &self.public
    }

    /// An Ed25519 signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut signer = Signer::new_without_digest(&self.signing)?;
        Ok(signer.sign_oneshot_to_vec(message)?)
    }

    /// HMAC-SHA256 of `message` under the audit HMAC key.
    pub(crate) fn hmac(&self, message: &[u8]) -> Result<Vec<u8>> {
        let key = PKey::hmac(self.hmac.expose())?;
        let mut signer = Signer::new(MessageDigest::sha256(), &key)?;
        signer.update(message)?;
        Ok(signer.sign_to_vec()?)
    }

    fn seal_into(&self, txn: &mut dyn Txn, root: &RootKey) -> Result<()> {
        let private = SecretBytes::new(self.signing.raw_private_key()?);
        txn.put_setting(SETTING_SIGNING, &root.seal(RecordKind::AuditKey, SEAL_ID_SIGNING, 0, private.expose())?)?;
        txn.put_setting(SETTING_HMAC, &root.seal(RecordKind::AuditKey, SEAL_ID_HMAC, 0, self.hmac.expose())?)?;
        txn.put_setting(SETTING_PUBLIC, self.public.raw())
    }

    fn open_from(txn: &mut dyn Txn, root: &RootKey) -> Result<Option<Self>> {
        let (Some(signing), Some(hmac)) = (txn.setting(SETTING_SIGNING)?, txn.setting(SETTING_HMAC)?) else {
            return Ok(None);
        };
        let corrupt =
            |what: &str| Error::new(ErrorKind::CorruptStore, format!("The audit {what} failed its integrity check"));
        let signing =
            root.open(RecordKind::AuditKey, SEAL_ID_SIGNING, 0, &signing).ok_or_else(|| corrupt("signing key"))?;
        let hmac = root.open(RecordKind::AuditKey, SEAL_ID_HMAC, 0, &hmac).ok_or_else(|| corrupt("HMAC key"))?;
        let keys = Self::from_secrets(&signing, hmac)?;
        if txn.setting(SETTING_PUBLIC)?.as_deref() != Some(keys.public.raw()) {
            return Err(corrupt("public key"));
        }
        Ok(Some(keys))
    }
}

/// Re-seals the audit keys under a new root key (root-key rotation calls this inside its
/// transaction, so the keys follow the root key or nothing changes).
pub(crate) fn reseal_audit_keys(txn: &mut dyn Txn, old: &RootKey, new: &RootKey) -> Result<()> {
    if let Some(keys) = AuditKeys::open_from(txn, old)? {
        keys.seal_into(txn, new)?;
    }
    Ok(())
}

impl Keystead {
    /// The store's audit keys, generated and sealed under the root key on first use. Racing
    /// processes agree on one pair: the write transaction re-reads before it generates.
    pub(crate) fn audit_keys(&self) -> Result<AuditKeys> {
        let root = self.inner.root.read().map_err(|_| Error::internal("root key lock poisoned"))?;
        if let Some(keys) = self.read(|txn| AuditKeys::open_from(txn, &root))? {
            return Ok(keys);
        }
        self.write(|txn| {
            if let Some(keys) = AuditKeys::open_from(txn, &root)? {
                return Ok(keys);
            }
            let keys = AuditKeys::generate()?;
            keys.seal_into(txn, &root)?;
            Ok(keys)
        })
    }

    /// The public key of the store's audit log (creating the audit keys on first use). Give it
    /// to auditors: `keystead audit verify --public-key FILE` checks a log against it.
    pub fn audit_public_key(&self) -> Result<AuditPublicKey> {
        Ok(self.audit_keys()?.public)
    }
}

/// The audit public key of the store in `store_dir`, read without the root key; `None` if the
/// store has not created audit keys yet.
pub fn store_public_key(store_dir: &Path) -> Result<Option<AuditPublicKey>> {
    let storage = SqliteStorage::open(&store_dir.join(crate::keystead::DATABASE_FILE_NAME), false)?;
    let mut raw = None;
    storage.read(&mut |txn| {
        raw = txn.setting(SETTING_PUBLIC)?;
        Ok(())
    })?;
    raw.map(|raw| AuditPublicKey::from_raw(&raw)).transpose()
}

/// An Ed25519 public key that verifies audit signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditPublicKey {
    raw: [u8; ED25519_LEN],
}

impl std::fmt::Debug for AuditPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditPublicKey({})", self.to_base64())
    }
}

impl AuditPublicKey {
    /// From the raw 32-byte Ed25519 public key.
    pub fn from_raw(raw: &[u8]) -> Result<Self> {
        let raw: [u8; ED25519_LEN] =
            raw.try_into().map_err(|_| Error::validation("An Ed25519 public key is 32 bytes"))?;
        Ok(Self { raw })
    }

    /// The raw 32 bytes.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Base64 of the raw bytes (the form written into segment headers).
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.raw)
    }

    /// From base64 of the raw bytes.
    pub fn from_base64(text: &str) -> Result<Self> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| Error::validation("The audit public key is not valid base64"))?;
        Self::from_raw(&raw)
    }

    /// PEM (`BEGIN PUBLIC KEY`, SubjectPublicKeyInfo), as `openssl pkey -pubin` reads it.
    pub fn to_pem(&self) -> Result<String> {
        let key = self.pkey()?;
        String::from_utf8(key.public_key_to_pem()?).map_err(|_| Error::internal("PEM is not UTF-8"))
    }

    /// From a PEM public key, or a file holding the base64 of the raw 32 bytes.
    pub fn from_pem_or_base64(text: &str) -> Result<Self> {
        if text.contains("-----BEGIN") {
            let key = PKey::public_key_from_pem(text.as_bytes())
                .map_err(|_| Error::validation("The audit public key PEM cannot be read"))?;
            if key.id() != Id::ED25519 {
                return Err(Error::validation("The audit public key is not an Ed25519 key"));
            }
            return Self::from_raw(&key.raw_public_key()?);
        }
        Self::from_base64(text)
    }

    fn pkey(&self) -> Result<PKey<Public>> {
        Ok(PKey::public_key_from_raw_bytes(&self.raw, Id::ED25519)?)
    }

    /// True when `signature` is this key's Ed25519 signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(key) = self.pkey() else { return false };
        let Ok(mut verifier) = Verifier::new_without_digest(&key) else { return false };
        verifier.verify_oneshot(signature, message).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_under_the_right_key_and_message() {
        let keys = AuditKeys::generate().unwrap();
        let signature = keys.sign(b"checkpoint").unwrap();
        assert!(keys.public_key().verify(b"checkpoint", &signature));
        assert!(!keys.public_key().verify(b"checkpoinT", &signature));
        let other = AuditKeys::generate().unwrap();
        assert!(!other.public_key().verify(b"checkpoint", &signature));
        let pem = keys.public_key().to_pem().unwrap();
        assert_eq!(&AuditPublicKey::from_pem_or_base64(&pem).unwrap(), keys.public_key());
        let b64 = keys.public_key().to_base64();
        assert_eq!(&AuditPublicKey::from_pem_or_base64(&b64).unwrap(), keys.public_key());
        assert!(!format!("{keys:?}").contains(&crate::audit::canonical::hex(keys.hmac.expose())));
    }

    #[test]
    fn store_keys_are_stable_sealed_and_follow_root_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystead::open(dir.path()).unwrap();
        let first = store.audit_keys().unwrap();
        let again = store.audit_keys().unwrap();
        assert_eq!(first.public_key(), again.public_key());
        assert_eq!(first.hmac(b"x").unwrap(), again.hmac(b"x").unwrap());
        assert_eq!(store_public_key(dir.path()).unwrap().as_ref(), Some(first.public_key()));
        // The private key and HMAC key are not in the store file in the clear.
        drop(store);
        let db = std::fs::read(dir.path().join(crate::DATABASE_FILE_NAME)).unwrap();
        let private = first.signing.raw_private_key().unwrap();
        assert!(!db.windows(32).any(|w| w == private.as_slice() || w == first.hmac.expose()));
        assert!(db.windows(32).any(|w| w == first.public_key().raw()));
        // Re-sealing under a new root key keeps the same keys.
        let store = Keystead::open(dir.path()).unwrap();
        let next = RootKey::generate().unwrap();
        let root = store.inner.root.read().unwrap();
        let moved = store
            .write(|txn| {
                reseal_audit_keys(txn, &root, &next)?;
                AuditKeys::open_from(txn, &next)
            })
            .unwrap()
            .unwrap();
        assert_eq!(moved.public_key(), first.public_key());
    }
}
