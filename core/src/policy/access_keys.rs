//! Access keys: the SigV4 credentials (access key id + secret access key) that clients of a
//! Keystead server sign requests with, each mapped to the principal ARN its requests act as.
//! Secrets are sealed under the root key like key material and never listed.

use serde::Serialize;

use crate::calls::params;
use crate::clock::Millis;
use crate::crypto::primitives::random_bytes;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::metadata::epoch_seconds;
use crate::keys::record::AccessKeyRecord;
use crate::keystead::Keystead;
use crate::secret::SecretBytes;
use crate::store::rootkey::RecordKind;
use serde_json::json;

/// An access key as listed (no secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKey {
    /// The access key id.
    pub access_key_id: String,
    /// The principal ARN its requests act as.
    pub principal: String,
    /// When it was created or added.
    #[serde(serialize_with = "epoch_seconds")]
    pub create_date: Millis,
}

/// A newly created access key with its secret (shown once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccessKey {
    /// The access key id (`AKIA` + 16 base32 characters, as AWS's).
    pub access_key_id: String,
    /// The secret access key (40 characters), zeroized on drop.
    pub secret_access_key: SecretBytes,
    /// The principal ARN.
    pub principal: String,
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Checks a principal ARN: 1–256 characters of `[\w+=,.@:/-]`, starting with `arn:`.
fn check_principal(principal: &str) -> Result<()> {
    let ok_chars = principal.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@:/-".contains(&b));
    if principal.is_empty() || principal.len() > 256 || !ok_chars || !principal.starts_with("arn:") {
        return Err(Error::validation(format!(
            "Principal '{principal}' must be an ARN of 1 to 256 characters from [A-Za-z0-9_+=,.@:/-]"
        )));
    }
    Ok(())
}

/// Checks an access key id: 16–128 characters of `[A-Za-z0-9_]` (AWS's `AccessKeyId` shape).
pub(crate) fn check_access_key_id(id: &str) -> Result<()> {
    if !(16..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::validation("An access key id must be 16 to 128 characters from [A-Za-z0-9_]"));
    }
    Ok(())
}

impl Keystead {
    fn store_access_key(&self, access_key_id: &str, secret: &[u8], principal: &str, replace: bool) -> Result<()> {
        let sealed_secret = {
            let root = self.inner.root.read().map_err(|_| Error::internal("root key lock poisoned"))?;
            root.seal(RecordKind::AccessKeySecret, access_key_id, 0, secret)?
        };
        let record = AccessKeyRecord {
            access_key_id: access_key_id.to_owned(),
            principal: principal.to_owned(),
            created_ms: self.now(),
            sealed_secret,
        };
        self.authorize_admin("keystead:PutAccessKey")?;
        self.write(|txn| {
            if !replace && txn.access_key(access_key_id)?.is_some() {
                return Err(Error::new(ErrorKind::AlreadyExists, format!("Access key {access_key_id} already exists")));
            }
            txn.put_access_key(&record)
        })
    }

    /// Creates an access key for `principal` (e.g. `arn:aws:iam::111122223333:role/checkout`).
    /// The secret is returned only here.
    pub fn create_access_key(&self, principal: &str) -> Result<NewAccessKey> {
        self.call(
            "CreateAccessKey",
            None,
            |_| params([("principal", json!(principal))]),
            || {
                check_principal(principal)?;
                let id_bytes = random_bytes(16)?;
                let access_key_id: String =
                    "AKIA".chars().chain(id_bytes.iter().map(|b| char::from(BASE32[usize::from(b % 32)]))).collect();
                let secret_bytes = zeroize::Zeroizing::new(random_bytes(40)?);
                let secret: Vec<u8> = secret_bytes.iter().map(|b| SECRET_ALPHABET[usize::from(b % 64)]).collect();
                let secret = SecretBytes::new(secret);
                self.store_access_key(&access_key_id, secret.expose(), principal, false)?;
                Ok(NewAccessKey { access_key_id, secret_access_key: secret, principal: principal.to_owned() })
            },
        )
    }

    /// Adds an existing access key id and secret (to accept a client's current configuration).
    /// An existing id is `AlreadyExistsException`.
    pub fn add_access_key(&self, access_key_id: &str, secret_access_key: &[u8], principal: &str) -> Result<AccessKey> {
        self.call(
            "AddAccessKey",
            None,
            |_| params([("accessKeyId", json!(access_key_id)), ("principal", json!(principal))]),
            || {
                check_access_key_id(access_key_id)?;
                check_principal(principal)?;
                if !(16..=128).contains(&secret_access_key.len())
                    || !secret_access_key.iter().all(|b| b.is_ascii_graphic())
                {
                    return Err(Error::validation("A secret access key must be 16 to 128 printable ASCII characters"));
                }
                self.store_access_key(access_key_id, secret_access_key, principal, false)?;
                self.read(|txn| txn.access_key(access_key_id))?
                    .map(|r| AccessKey {
                        access_key_id: r.access_key_id,
                        principal: r.principal,
                        create_date: r.created_ms,
                    })
                    .ok_or_else(|| Error::internal("the access key vanished after it was added"))
            },
        )
    }

    /// Every access key, by id (no secrets).
    pub fn list_access_keys(&self) -> Result<Vec<AccessKey>> {
        self.call(
            "ListAccessKeys",
            None,
            |_| params([]),
            || {
                self.authorize_admin("keystead:ListAccessKeys")?;
                Ok(self
                    .read(|txn| txn.list_access_keys())?
                    .into_iter()
                    .map(|r| AccessKey {
                        access_key_id: r.access_key_id,
                        principal: r.principal,
                        create_date: r.created_ms,
                    })
                    .collect())
            },
        )
    }

    /// Deletes an access key; a missing one is `NotFoundException`.
    pub fn delete_access_key(&self, access_key_id: &str) -> Result<()> {
        self.call(
            "DeleteAccessKey",
            None,
            |_| params([("accessKeyId", json!(access_key_id))]),
            || {
                self.authorize_admin("keystead:DeleteAccessKey")?;
                self.write(|txn| {
                    if txn.delete_access_key(access_key_id)? {
                        Ok(())
                    } else {
                        Err(Error::not_found(format!("Access key {access_key_id} does not exist")))
                    }
                })
            },
        )
    }

    /// The secret and principal of an access key, for a server verifying a SigV4 signature.
    /// An unknown id is `NotFoundException`.
    pub fn access_key_secret(&self, access_key_id: &str) -> Result<(SecretBytes, String)> {
        self.authorize_admin("keystead:GetAccessKeySecret")?;
        let record = self
            .read(|txn| txn.access_key(access_key_id))?
            .ok_or_else(|| Error::not_found(format!("Access key {access_key_id} does not exist")))?;
        let root = self.inner.root.read().map_err(|_| Error::internal("root key lock poisoned"))?;
        let secret = root
            .open(RecordKind::AccessKeySecret, access_key_id, 0, &record.sealed_secret)
            .ok_or_else(|| Error::new(ErrorKind::CorruptStore, "An access key secret failed its integrity check"))?;
        Ok((secret, record.principal))
    }
}
