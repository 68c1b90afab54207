//! The root key: the one secret that seals every key material at rest.
//!
//! Every material is stored as `0x01 || nonce(12) || AES-256-GCM(root key, material) || tag`,
//! with AAD = `"keystead/record/v1" || kind || len(key id) || key id || version`, so a sealed
//! record moved to another key, version or record kind fails to open. A sealed check value in
//! the store's settings tells a wrong root key apart before anything is read or written.
//!
//! Where the root key comes from is a [`RootKeySource`]: a key file (the default), an
//! environment variable, a passphrase (scrypt, parameters stored in the store), or bytes the
//! application supplies (for example from its own secret manager or an HSM).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::crypto::primitives::{
    aes_gcm_open, aes_gcm_seal, random_bytes, random_secret, scrypt_key, AES_256_KEY_LEN, GCM_NONCE_LEN, GCM_TAG_LEN,
};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::SecretBytes;

/// Name of the default key file inside a store folder.
pub const KEY_FILE_NAME: &str = "root.key";
/// The environment variable [`RootKeySource::EnvVar`] reads by default.
pub const DEFAULT_ENV_VAR: &str = "KEYSTEAD_ROOT_KEY";

const SEAL_FORMAT: u8 = 0x01;
const AAD_LABEL: &[u8] = b"keystead/record/v1";
const CHECK_PLAINTEXT: &[u8] = b"keystead root key check v1";

/// Setting names used by the root key.
pub(crate) const SETTING_CHECK: &str = "root.check";
pub(crate) const SETTING_KDF: &str = "root.kdf";

/// Where the root key comes from.
#[derive(Clone, Debug)]
pub enum RootKeySource {
    /// A 32-byte file, created with mode 0600 when the store is created. `None` means
    /// `<store folder>/root.key`.
    KeyFile(Option<PathBuf>),
    /// An environment variable holding the base64 of 32 bytes.
    EnvVar(String),
    /// A passphrase stretched with scrypt (N = 2^15, r = 8, p = 1; parameters stored).
    Passphrase(SecretBytes),
    /// 32 bytes supplied by the application.
    Bytes(SecretBytes),
}

impl Default for RootKeySource {
    fn default() -> Self {
        Self::KeyFile(None)
    }
}

/// What kind of record a sealed value is, bound into its AAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RecordKind {
    /// The root-key check value.
    Check = 0,
    /// A key material.
    Material = 1,
    /// The wrapping private key of an import token.
    WrappingKey = 2,
    /// The secret of an access key.
    AccessKeySecret = 3,
    /// An audit-log key (the Ed25519 signing key or the HMAC key).
    AuditKey = 4,
}

/// Stored parameters of the passphrase KDF (not secret).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct KdfParams {
    algorithm: String,
    salt: String,
    log_n: u8,
    r: u64,
    p: u64,
}

impl KdfParams {
    fn fresh() -> Result<Self> {
        Ok(Self {
            algorithm: "scrypt".into(),
            salt: base64::engine::general_purpose::STANDARD.encode(random_bytes(16)?),
            log_n: 15,
            r: 8,
            p: 1,
        })
    }

    fn derive(&self, passphrase: &[u8]) -> Result<SecretBytes> {
        if self.algorithm != "scrypt" {
            return Err(Error::new(ErrorKind::CorruptStore, "unknown root key KDF"));
        }
        let salt = base64::engine::general_purpose::STANDARD
            .decode(&self.salt)
            .map_err(|_| Error::new(ErrorKind::CorruptStore, "bad root key KDF salt"))?;
        scrypt_key(passphrase, &salt, self.log_n, self.r, self.p)
    }

    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::internal(e.to_string()))
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|_| Error::new(ErrorKind::CorruptStore, "bad root key KDF record"))
    }
}

/// The root key in memory (zeroized on drop).
pub struct RootKey {
    key: SecretBytes,
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey([REDACTED])")
    }
}

fn aad(kind: RecordKind, key_id: &str, version: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 9 + key_id.len());
    aad.extend_from_slice(AAD_LABEL);
    aad.push(kind as u8);
    aad.extend_from_slice(&u32::try_from(key_id.len()).unwrap_or(u32::MAX).to_be_bytes());
    aad.extend_from_slice(key_id.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

impl RootKey {
    /// Wraps 32 bytes as a root key.
    pub fn from_bytes(bytes: SecretBytes) -> Result<Self> {
        if bytes.len() != AES_256_KEY_LEN {
            return Err(Error::validation(format!("A root key must be {AES_256_KEY_LEN} bytes; got {}", bytes.len())));
        }
        Ok(Self { key: bytes })
    }

    /// A new random root key.
    pub fn generate() -> Result<Self> {
        Self::from_bytes(random_secret(AES_256_KEY_LEN)?)
    }

    /// Seals `secret` as a record of `kind` for (`key_id`, `version`).
    pub(crate) fn seal(&self, kind: RecordKind, key_id: &str, version: u32, secret: &[u8]) -> Result<Vec<u8>> {
        let nonce = random_bytes(GCM_NONCE_LEN)?;
        let body = aes_gcm_seal(self.key.expose(), &nonce, &aad(kind, key_id, version), secret)?;
        let mut out = Vec::with_capacity(1 + GCM_NONCE_LEN + body.len());
        out.push(SEAL_FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens a sealed record; `None` if it was not sealed by this key for this record.
    pub(crate) fn open(&self, kind: RecordKind, key_id: &str, version: u32, sealed: &[u8]) -> Option<SecretBytes> {
        if sealed.len() < 1 + GCM_NONCE_LEN + GCM_TAG_LEN || sealed[0] != SEAL_FORMAT {
            return None;
        }
        let (nonce, body) = sealed[1..].split_at(GCM_NONCE_LEN);
        aes_gcm_open(self.key.expose(), nonce, &aad(kind, key_id, version), body)
    }

    /// Opens a sealed material, or fails with `CorruptStoreException`.
    pub(crate) fn open_material(&self, key_id: &str, version: u32, sealed: &[u8]) -> Result<SecretBytes> {
        self.open(RecordKind::Material, key_id, version, sealed).ok_or_else(|| {
            Error::new(
                ErrorKind::CorruptStore,
                format!("Key material {version} of key {key_id} failed its integrity check (was the root key changed by another process?)"),
            )
        })
    }

    /// The check value stored at creation.
    pub(crate) fn check_value(&self) -> Result<Vec<u8>> {
        self.seal(RecordKind::Check, "", 0, CHECK_PLAINTEXT)
    }

    /// True when `check` was made by this key.
    pub(crate) fn matches(&self, check: &[u8]) -> bool {
        self.open(RecordKind::Check, "", 0, check).is_some_and(|p| p.expose() == CHECK_PLAINTEXT)
    }

    #[cfg(test)]
    pub(crate) fn expose_for_tests(&self) -> &[u8] {
        self.key.expose()
    }
}

fn incorrect_root_key(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::IncorrectRootKey, message)
}

fn decode_base64_key(text: &str, what: &str) -> Result<RootKey> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| Error::validation(format!("{what} is not valid base64")))?;
    RootKey::from_bytes(SecretBytes::new(bytes))
}

/// The key file path of `source` for a store in `dir`, if the source is a key file.
pub(crate) fn key_file_path(source: &RootKeySource, dir: &Path) -> Option<PathBuf> {
    match source {
        RootKeySource::KeyFile(Some(path)) => Some(path.clone()),
        RootKeySource::KeyFile(None) => Some(dir.join(KEY_FILE_NAME)),
        _ => None,
    }
}

fn pending_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".next");
    path.with_file_name(name)
}

fn read_key_file(path: &Path) -> Result<RootKey> {
    let mut file = File::open(path)
        .map_err(|e| incorrect_root_key(format!("Cannot read the root key file {}: {e}", path.display())))?;
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(AES_256_KEY_LEN));
    file.read_to_end(&mut bytes)
        .map_err(|e| incorrect_root_key(format!("Cannot read the root key file {}: {e}", path.display())))?;
    if bytes.len() != AES_256_KEY_LEN {
        return Err(incorrect_root_key(format!(
            "The root key file {} holds {} bytes; a root key is {AES_256_KEY_LEN}",
            path.display(),
            bytes.len()
        )));
    }
    RootKey::from_bytes(SecretBytes::new(std::mem::take(&mut *bytes)))
}

/// Writes `key` to a new file at `path` with mode 0600, durably and atomically: the bytes go to
/// a temporary file that is synced and then hard-linked to `path`. The link fails if `path`
/// exists, so two racing creators cannot both win, and no reader ever sees a partial key file
/// (a crash leaves either no `path` or a complete one).
fn write_new_key_file(path: &Path, key: &RootKey) -> Result<()> {
    let io = |e: std::io::Error| {
        let message = format!("Cannot write the root key file {}: {e}", path.display());
        // A folder that does not exist or may not be written is the caller's path, not a fault
        // of the store: a typed input error. Full disks and I/O errors stay internal.
        match e.kind() {
            std::io::ErrorKind::NotFound
            | std::io::ErrorKind::PermissionDenied
            | std::io::ErrorKind::NotADirectory
            | std::io::ErrorKind::ReadOnlyFilesystem
            | std::io::ErrorKind::AlreadyExists => Error::validation(message),
            _ => Error::internal(message),
        }
    };
    let mut temp_name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    let nonce: String = random_bytes(8)?.iter().map(|b| format!("{b:02x}")).collect();
    temp_name.push(format!(".tmp-{}-{nonce}", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
        file.write_all(key.key.expose())?;
        file.sync_all()?;
        fs::hard_link(&temp, path)
    })();
    let _ = fs::remove_file(&temp);
    written.map_err(io)?;
    sync_parent(path)
}

fn sync_parent(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        let dir = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::internal(format!("Cannot sync {}: {e}", dir.display())))?;
    }
    Ok(())
}

/// Obtains the root key of a store being created, creating the key file if that is the source.
pub(crate) fn root_key_for_new_store(source: &RootKeySource, dir: &Path) -> Result<(RootKey, Option<KdfParams>)> {
    match source {
        RootKeySource::KeyFile(_) => {
            let path = key_file_path(source, dir).ok_or_else(|| Error::internal("no key file path"))?;
            match fs::metadata(&path) {
                // An empty key file is what a creator killed between creating and writing it
                // left behind (before key files were written atomically); no store was ever
                // sealed under it, so it is replaced.
                Ok(meta) if meta.len() == 0 => {
                    fs::remove_file(&path)
                        .map_err(|e| Error::internal(format!("Cannot remove the empty key file: {e}")))?;
                }
                // A creator that crashed before writing the database, a racing creator, or a
                // key file the application provisioned for this store.
                Ok(_) => return Ok((read_key_file(&path)?, None)),
                Err(_) => {}
            }
            let key = RootKey::generate()?;
            match write_new_key_file(&path, &key) {
                Ok(()) => Ok((key, None)),
                // Another process created it between our check and our create: use theirs.
                Err(_) if path.exists() => Ok((read_key_file(&path)?, None)),
                Err(e) => Err(e),
            }
        }
        RootKeySource::Passphrase(passphrase) => {
            let params = KdfParams::fresh()?;
            let key = RootKey::from_bytes(params.derive(passphrase.expose())?)?;
            Ok((key, Some(params)))
        }
        RootKeySource::EnvVar(_) | RootKeySource::Bytes(_) => Ok((root_key_from_value(source)?, None)),
    }
}

fn root_key_from_value(source: &RootKeySource) -> Result<RootKey> {
    match source {
        RootKeySource::EnvVar(name) => {
            let value = zeroize::Zeroizing::new(std::env::var(name).map_err(|_| {
                incorrect_root_key(format!("The environment variable {name} holding the root key is not set"))
            })?);
            decode_base64_key(&value, &format!("The environment variable {name}"))
        }
        RootKeySource::Bytes(bytes) => RootKey::from_bytes(bytes.clone()),
        RootKeySource::KeyFile(_) | RootKeySource::Passphrase(_) => {
            Err(Error::internal("root key source has no direct value"))
        }
    }
}

/// Obtains and checks the root key of an existing store. Nothing is written unless an
/// interrupted root-key rotation of a key file must be completed.
pub(crate) fn root_key_for_existing_store(
    source: &RootKeySource,
    dir: &Path,
    check: &[u8],
    kdf: Option<&[u8]>,
) -> Result<RootKey> {
    let key = match (source, kdf) {
        (RootKeySource::Passphrase(passphrase), Some(kdf)) => {
            RootKey::from_bytes(KdfParams::from_bytes(kdf)?.derive(passphrase.expose())?)?
        }
        (RootKeySource::Passphrase(_), None) => {
            return Err(incorrect_root_key("This store was not created with a passphrase; open it with its root key"))
        }
        (_, Some(_)) => {
            return Err(incorrect_root_key("This store is protected by a passphrase; open it with the passphrase"))
        }
        (RootKeySource::KeyFile(_), None) => {
            let path = key_file_path(source, dir).ok_or_else(|| Error::internal("no key file path"))?;
            let pending = pending_path(&path);
            let current = read_key_file(&path);
            match current {
                Ok(key) if key.matches(check) => {
                    // A rotation that crashed before its database commit left a stale next key.
                    if pending.exists() {
                        let _ = fs::remove_file(&pending);
                    }
                    return Ok(key);
                }
                _ if pending.exists() => {
                    // A rotation committed but crashed before renaming the new key file into
                    // place: finish it.
                    let next = read_key_file(&pending)?;
                    if next.matches(check) {
                        fs::rename(&pending, &path)
                            .map_err(|e| Error::internal(format!("Cannot finish the root key rotation: {e}")))?;
                        sync_parent(&path)?;
                        return Ok(next);
                    }
                    return Err(incorrect_root_key("The root key file does not open this store"));
                }
                Ok(key) => key,
                Err(e) => return Err(e),
            }
        }
        (RootKeySource::EnvVar(_) | RootKeySource::Bytes(_), None) => root_key_from_value(source)?,
    };
    if key.matches(check) {
        Ok(key)
    } else {
        Err(incorrect_root_key("The root key does not open this store (wrong key file, variable or passphrase)"))
    }
}

/// A root key prepared for a rotation: the new key, its KDF parameters, and for a key file the
/// staging path that must be renamed into place after the database commit.
pub(crate) struct NextRootKey {
    pub(crate) key: RootKey,
    pub(crate) kdf: Option<KdfParams>,
    pub(crate) staged_file: Option<(PathBuf, PathBuf)>,
}

/// Prepares the next root key from `source`. A key file gets a fresh random key, staged at
/// `<key file>.next` until the rotation commits.
pub(crate) fn prepare_next_root_key(source: &RootKeySource, dir: &Path) -> Result<NextRootKey> {
    match source {
        RootKeySource::KeyFile(_) => {
            let path = key_file_path(source, dir).ok_or_else(|| Error::internal("no key file path"))?;
            let staged = pending_path(&path);
            if staged.exists() {
                fs::remove_file(&staged)
                    .map_err(|e| Error::internal(format!("Cannot remove {}: {e}", staged.display())))?;
            }
            let key = RootKey::generate()?;
            write_new_key_file(&staged, &key)?;
            Ok(NextRootKey { key, kdf: None, staged_file: Some((staged, path)) })
        }
        RootKeySource::Passphrase(passphrase) => {
            let params = KdfParams::fresh()?;
            let key = RootKey::from_bytes(params.derive(passphrase.expose())?)?;
            Ok(NextRootKey { key, kdf: Some(params), staged_file: None })
        }
        RootKeySource::EnvVar(_) | RootKeySource::Bytes(_) => {
            Ok(NextRootKey { key: root_key_from_value(source)?, kdf: None, staged_file: None })
        }
    }
}

/// Moves a staged key file into place after the rotation committed.
pub(crate) fn finish_staged_key_file(staged: &Path, path: &Path) -> Result<()> {
    fs::rename(staged, path).map_err(|e| Error::internal(format!("Cannot install the new root key file: {e}")))?;
    sync_parent(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_records_are_bound_to_kind_key_and_version() {
        let root = RootKey::generate().unwrap();
        let sealed = root.seal(RecordKind::Material, "k1", 1, b"material").unwrap();
        assert_eq!(root.open(RecordKind::Material, "k1", 1, &sealed).unwrap().expose(), b"material");
        assert!(root.open(RecordKind::Material, "k1", 2, &sealed).is_none());
        assert!(root.open(RecordKind::Material, "k2", 1, &sealed).is_none());
        assert!(root.open(RecordKind::Check, "k1", 1, &sealed).is_none());
        let other = RootKey::generate().unwrap();
        assert!(other.open(RecordKind::Material, "k1", 1, &sealed).is_none());
    }
}
