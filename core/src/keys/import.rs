//! Importing key material (BYOK), the AWS way: `GetParametersForImport` hands out an RSA
//! wrapping public key and an import token valid for 24 hours; `ImportKeyMaterial` unwraps the
//! caller's material into an `EXTERNAL` key; `DeleteImportedKeyMaterial` and expiry take it
//! away again (the key returns to `PendingImport`), and only the same material can come back.

use serde::Serialize;

use crate::calls::params;
use crate::clock::{Millis, DAY_MS};
use crate::crypto::asymmetric;
use crate::crypto::primitives::random_bytes;
use crate::crypto::symmetric::base64_bytes;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::metadata::epoch_seconds;
use crate::keys::record::{ImportState, ImportTokenRecord, KeyRecord, MaterialRecord};
use crate::keys::spec::{ExpirationModel, KeyState, Origin, WrappingAlgorithm, WrappingKeySpec};
use crate::keystead::Keystead;
use crate::policy::authorize::{Access, Action};
use crate::store::rootkey::RecordKind;
use crate::store::Txn;
use serde_json::json;

/// How long import parameters stay valid.
pub const IMPORT_TOKEN_VALIDITY_MS: Millis = DAY_MS;
/// The furthest in the future imported material may expire.
pub const MAX_VALID_TO_DAYS: i64 = 365;

const TOKEN_MAGIC: &[u8; 4] = b"KSIT";
const TOKEN_VERSION: u8 = 1;
const TOKEN_LEN: usize = 4 + 1 + 16;

/// What `GetParametersForImport` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportResponse {
    /// The key ARN.
    pub key_id: String,
    /// The opaque token to pass to ImportKeyMaterial.
    #[serde(with = "base64_bytes")]
    pub import_token: Vec<u8>,
    /// The RSA wrapping public key, DER SubjectPublicKeyInfo.
    #[serde(with = "base64_bytes")]
    pub public_key: Vec<u8>,
    /// When the token and wrapping key stop being accepted (24 hours).
    #[serde(serialize_with = "epoch_seconds")]
    pub parameters_valid_to: Millis,
}

/// Inputs of `ImportKeyMaterial`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportKeyMaterialRequest<'a> {
    /// Key id or key ARN of an `EXTERNAL` key.
    pub key_id: &'a str,
    /// The token from GetParametersForImport.
    pub import_token: &'a [u8],
    /// The material wrapped with the token's public key and algorithm.
    pub encrypted_key_material: &'a [u8],
    /// Default `KEY_MATERIAL_EXPIRES`.
    pub expiration_model: Option<ExpirationModel>,
    /// Required with `KEY_MATERIAL_EXPIRES` (in the future, at most 365 days away); forbidden
    /// with `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    pub valid_to: Option<Millis>,
}

/// What `ImportKeyMaterial` and `DeleteImportedKeyMaterial` return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportedKeyMaterialResponse {
    /// The key ARN.
    pub key_id: String,
    /// The id of the imported material.
    pub key_material_id: String,
}

fn encode_token(token_id: &[u8; 16]) -> Vec<u8> {
    let mut token = Vec::with_capacity(TOKEN_LEN);
    token.extend_from_slice(TOKEN_MAGIC);
    token.push(TOKEN_VERSION);
    token.extend_from_slice(token_id);
    token
}

fn invalid_token() -> Error {
    Error::new(ErrorKind::InvalidImportToken, "The import token is not valid for this key")
}

fn decode_token(token: &[u8]) -> Result<String> {
    if token.len() != TOKEN_LEN || &token[..4] != TOKEN_MAGIC || token[4] != TOKEN_VERSION {
        return Err(invalid_token());
    }
    Ok(token[5..].iter().map(|b| format!("{b:02x}")).collect())
}

impl Keystead {
    /// Fails unless `key` can hold imported material.
    fn require_external(&self, key: &KeyRecord) -> Result<()> {
        if key.origin != Origin::External {
            return Err(Error::unsupported(format!(
                "{} origin is {} which is not valid for this operation.",
                self.arn(&key.key_id),
                key.origin
            )));
        }
        Ok(())
    }

    /// `GetParametersForImport`: a fresh RSA wrapping key of `wrapping_key_spec` and a token
    /// for `key_id` (an `EXTERNAL` key), both valid for 24 hours.
    pub fn get_parameters_for_import(
        &self,
        key_id: &str,
        wrapping_algorithm: WrappingAlgorithm,
        wrapping_key_spec: WrappingKeySpec,
    ) -> Result<GetParametersForImportResponse> {
        self.call("GetParametersForImport", Some(key_id), |_| params([("keyId", json!(key_id)), ("wrappingAlgorithm", json!(wrapping_algorithm.as_str())), ("wrappingKeySpec", json!(wrapping_key_spec.as_str()))]), || {
            self.maybe_sweep()?;
            let bits = match wrapping_key_spec {
                WrappingKeySpec::Rsa2048 => 2048,
                WrappingKeySpec::Rsa3072 => 3072,
                WrappingKeySpec::Rsa4096 => 4096,
                WrappingKeySpec::Sm2 => {
                    return Err(Error::unsupported("WrappingKeySpec SM2 is only available in AWS China Regions"))
                }
            };
            if matches!(wrapping_algorithm, WrappingAlgorithm::RsaesPkcs1V15 | WrappingAlgorithm::Sm2pke) {
                return Err(Error::unsupported(format!(
                    "WrappingAlgorithm {wrapping_algorithm} is not supported; use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256"
                )));
            }
            // Check the key before the (slow) RSA key generation.
            let key = self.read(|txn| {
                let key = self.resolve_key_only(txn, key_id)?;
                let access = Access::new(Action::GetParametersForImport)
                    .value("kms:WrappingAlgorithm", wrapping_algorithm.as_str())
                    .value("kms:WrappingKeySpec", wrapping_key_spec.as_str());
                self.authorize(txn, &key, &access)?;
                self.require_external(&key)?;
                self.require_not_pending_deletion(&key)?;
                Ok(key)
            })?;
            let (private_key, public_key) = asymmetric::generate_wrapping_key(bits)?;
            let mut token_id = [0u8; 16];
            token_id.copy_from_slice(&random_bytes(16)?);
            let token_hex: String = token_id.iter().map(|b| format!("{b:02x}")).collect();
            let sealed_private_key = {
                let root = self.inner.root.read().map_err(|_| Error::internal("root key lock poisoned"))?;
                root.seal(RecordKind::WrappingKey, &token_hex, 0, private_key.expose())?
            };
            let valid_to_ms = self.now() + IMPORT_TOKEN_VALIDITY_MS;
            self.write(|txn| {
                // Expired tokens are kept a week, so that late use gets ExpiredImportTokenException
                // rather than InvalidImportTokenException, then dropped here.
                txn.delete_expired_import_tokens(self.now() - 7 * DAY_MS)?;
                // The key may have changed since the check above.
                let current = self.resolve_key_only(txn, &key.key_id)?;
                self.require_not_pending_deletion(&current)?;
                txn.put_import_token(&ImportTokenRecord {
                    token_id: token_hex.clone(),
                    key_id: key.key_id.clone(),
                    wrapping_algorithm,
                    wrapping_key_spec,
                    valid_to_ms,
                    sealed_private_key,
                })
            })?;
            Ok(GetParametersForImportResponse {
                key_id: self.arn(&key.key_id),
                import_token: encode_token(&token_id),
                public_key,
                parameters_valid_to: valid_to_ms,
            })
        })
    }

    /// `ImportKeyMaterial`: unwraps material into an `EXTERNAL` key, which becomes `Enabled`.
    ///
    /// # Errors
    /// `InvalidImportTokenException` for a token of another key or no token of this store;
    /// `ExpiredImportTokenException` after 24 hours; `InvalidCiphertextException` when the
    /// material does not unwrap; `IncorrectKeyMaterialException` for material of the wrong
    /// kind, or different from material imported into this key before; `ValidationException`
    /// for a bad `ValidTo`; `UnsupportedOperationException` for keys not of origin `EXTERNAL`.
    pub fn import_key_material(&self, request: ImportKeyMaterialRequest<'_>) -> Result<ImportedKeyMaterialResponse> {
        self.call(
            "ImportKeyMaterial",
            Some(request.key_id),
            |_| {
                params([
                    ("keyId", json!(request.key_id)),
                    ("expirationModel", json!(request.expiration_model.map(ExpirationModel::as_str))),
                    ("validTo", json!(request.valid_to)),
                ])
            },
            || {
                self.maybe_sweep()?;
                if request.encrypted_key_material.is_empty() || request.encrypted_key_material.len() > 6144 {
                    return Err(Error::validation("EncryptedKeyMaterial must be 1 to 6144 bytes long"));
                }
                let now = self.now();
                let expiration_model = request.expiration_model.unwrap_or(ExpirationModel::KeyMaterialExpires);
                let valid_to_ms = match (expiration_model, request.valid_to) {
                    (ExpirationModel::KeyMaterialExpires, Some(valid_to)) => {
                        if valid_to <= now || valid_to > now + MAX_VALID_TO_DAYS * DAY_MS {
                            return Err(Error::validation(format!(
                                "ValidTo must be in the future and at most {MAX_VALID_TO_DAYS} days away"
                            )));
                        }
                        Some(valid_to)
                    }
                    (ExpirationModel::KeyMaterialExpires, None) => {
                        return Err(Error::validation(
                            "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES",
                        ))
                    }
                    (ExpirationModel::KeyMaterialDoesNotExpire, Some(_)) => {
                        return Err(Error::validation(
                            "ValidTo must not be given when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
                        ))
                    }
                    (ExpirationModel::KeyMaterialDoesNotExpire, None) => None,
                };
                let token_id = decode_token(request.import_token)?;
                self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, request.key_id)?;
                    let access = Access::new(Action::ImportKeyMaterial)
                        .value("kms:ExpirationModel", expiration_model.as_str())
                        .maybe("kms:ValidTo", valid_to_ms.map(|ms| ms.div_euclid(1000).to_string()));
                    self.authorize(txn, &key, &access)?;
                    self.require_external(&key)?;
                    self.require_not_pending_deletion(&key)?;
                    let token = txn.import_token(&token_id)?.ok_or_else(invalid_token)?;
                    if token.key_id != key.key_id {
                        return Err(invalid_token());
                    }
                    if token.valid_to_ms <= now {
                        return Err(Error::new(ErrorKind::ExpiredImportToken, "The import token has expired"));
                    }
                    let material = self.unwrap_with_token(&token, request.encrypted_key_material)?;
                    let material = asymmetric::normalize_imported_material(key.key_spec, material)?;
                    let material_id = asymmetric::imported_material_id(&key.key_id, material.expose());
                    if let Some(previous) = &key.import {
                        if previous.material_id != material_id {
                            return Err(Error::new(
                                ErrorKind::IncorrectKeyMaterial,
                                "The key material is different from the material previously imported into this key",
                            ));
                        }
                    }
                    self.store_imported_material(txn, &mut key, &material, &material_id)?;
                    key.import = Some(ImportState { material_id: material_id.clone(), expiration_model, valid_to_ms });
                    if key.state == KeyState::PendingImport {
                        key.state = KeyState::Enabled;
                    }
                    self.save_key(txn, &key)?;
                    Ok(ImportedKeyMaterialResponse { key_id: self.arn(&key.key_id), key_material_id: material_id })
                })
            },
        )
    }

    fn unwrap_with_token(&self, token: &ImportTokenRecord, wrapped: &[u8]) -> Result<crate::SecretBytes> {
        let root = self.inner.root.read().map_err(|_| Error::internal("root key lock poisoned"))?;
        let private_key =
            root.open(RecordKind::WrappingKey, &token.token_id, 0, &token.sealed_private_key).ok_or_else(|| {
                Error::new(ErrorKind::CorruptStore, "An import token's wrapping key failed its integrity check")
            })?;
        drop(root);
        let wrapping_key = asymmetric::private_key(private_key.expose())?;
        asymmetric::unwrap_imported_material(&wrapping_key, token.wrapping_algorithm, wrapped)
    }

    /// Seals imported material as version 1 of `key` (imported keys have one material).
    fn store_imported_material(
        &self,
        txn: &mut dyn Txn,
        key: &mut KeyRecord,
        material: &crate::SecretBytes,
        material_id: &str,
    ) -> Result<()> {
        let version = 1;
        let sealed = {
            let root = self.inner.root.read().map_err(|_| Error::internal("root key lock poisoned"))?;
            root.seal(RecordKind::Material, &key.key_id, version, material.expose())?
        };
        txn.put_material(&MaterialRecord {
            key_id: key.key_id.clone(),
            version,
            material_id: material_id.to_owned(),
            created_ms: self.now(),
            rotation_type: None,
            sealed,
        })?;
        key.current_version = version;
        Ok(())
    }

    /// Removes a key's imported material (deleted by the caller or expired): the key returns to
    /// `PendingImport` unless it is pending deletion.
    pub(crate) fn drop_imported_material(&self, txn: &mut dyn Txn, key: &mut KeyRecord) -> Result<()> {
        txn.delete_materials(&key.key_id)?;
        key.current_version = 0;
        if key.state != KeyState::PendingDeletion {
            key.state = KeyState::PendingImport;
        }
        self.inner.cache.evict_key(&key.key_id);
        Ok(())
    }

    /// `DeleteImportedKeyMaterial`: the key keeps its metadata and returns to `PendingImport`;
    /// ciphertexts decrypt again once the same material is imported again.
    pub fn delete_imported_key_material(&self, key_id: &str) -> Result<ImportedKeyMaterialResponse> {
        self.call(
            "DeleteImportedKeyMaterial",
            Some(key_id),
            |_| params([("keyId", json!(key_id))]),
            || {
                self.maybe_sweep()?;
                let response = self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::DeleteImportedKeyMaterial))?;
                    self.require_external(&key)?;
                    let material_id = key.import.as_ref().map(|i| i.material_id.clone()).unwrap_or_default();
                    if key.current_version > 0 {
                        self.drop_imported_material(txn, &mut key)?;
                        self.save_key(txn, &key)?;
                    }
                    Ok(ImportedKeyMaterialResponse { key_id: self.arn(&key.key_id), key_material_id: material_id })
                })?;
                self.inner.storage.purge_deleted()?;
                Ok(response)
            },
        )
    }
}
