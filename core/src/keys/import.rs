//! Importing key material (BYOK), the AWS way: `GetParametersForImport` hands out an RSA
//! wrapping public key and an import token valid for 24 hours; `ImportKeyMaterial` unwraps the
//! caller's material into an `EXTERNAL` key; `DeleteImportedKeyMaterial` and expiry take it
//! away again (the key returns to `PendingImport`), and only the same material can come back.
//! Symmetric keys can hold several imported materials (AWS's 2025 `ImportType`): new material
//! waits in `PENDING_ROTATION` until `RotateKeyOnDemand` makes it current.

use serde::Serialize;

use crate::calls::params;
use crate::clock::{Millis, DAY_MS};
use crate::crypto::asymmetric;
use crate::crypto::primitives::random_bytes;
use crate::crypto::symmetric::base64_bytes;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::metadata::epoch_seconds;
use crate::keys::record::{ImportTokenRecord, ImportedMaterial, KeyRecord, MaterialRecord};
use crate::keys::spec::{
    ExpirationModel, ImportType, KeyState, Origin, RotationType, WrappingAlgorithm, WrappingKeySpec,
};
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
    /// Symmetric keys only. Default: `NEW_KEY_MATERIAL` for the key's first import,
    /// `EXISTING_KEY_MATERIAL` after.
    pub import_type: Option<ImportType>,
    /// Symmetric keys only: 1–256 characters of `[a-zA-Z0-9:/_\s.-]`; kept from the last
    /// import of the same material when omitted.
    pub key_material_description: Option<&'a str>,
    /// Symmetric keys only, not with `NEW_KEY_MATERIAL`: the 64-hex-character id the material
    /// must have (checked against the material and the key).
    pub key_material_id: Option<&'a str>,
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

    /// `ImportKeyMaterial`: unwraps material into an `EXTERNAL` key. The key becomes `Enabled`
    /// once every material permanently associated with it is imported.
    ///
    /// Symmetric encryption keys can hold several materials: `NEW_KEY_MATERIAL` adds one (the
    /// key's first becomes current; later ones wait in `PENDING_ROTATION` for
    /// `RotateKeyOnDemand`), `EXISTING_KEY_MATERIAL` brings back one the key has. Without
    /// `ImportType`, the first import ever is NEW and later ones EXISTING.
    ///
    /// # Errors
    /// `InvalidImportTokenException` for a token of another key or no token of this store;
    /// `ExpiredImportTokenException` after 24 hours; `InvalidCiphertextException` when the
    /// material does not unwrap; `IncorrectKeyMaterialException` for material of the wrong
    /// kind, NEW material the key already has, EXISTING material it does not have, or a
    /// `KeyMaterialId` that does not match the material; `ValidationException` for a bad
    /// `ValidTo`, `KeyMaterialDescription` or `KeyMaterialId`, a `KeyMaterialId` with
    /// NEW_KEY_MATERIAL, or `ImportType` / `KeyMaterialDescription` / `KeyMaterialId` on a key
    /// that is not a symmetric encryption key; `UnsupportedOperationException` for keys not of
    /// origin `EXTERNAL`.
    pub fn import_key_material(&self, request: ImportKeyMaterialRequest<'_>) -> Result<ImportedKeyMaterialResponse> {
        self.call(
            "ImportKeyMaterial",
            Some(request.key_id),
            |_| {
                params([
                    ("keyId", json!(request.key_id)),
                    ("expirationModel", json!(request.expiration_model.map(ExpirationModel::as_str))),
                    ("validTo", json!(request.valid_to)),
                    ("importType", json!(request.import_type.map(ImportType::as_str))),
                    ("keyMaterialDescription", json!(request.key_material_description)),
                    ("keyMaterialId", json!(request.key_material_id)),
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
                if let Some(description) = request.key_material_description {
                    check_material_description(description)?;
                }
                if let Some(id) = request.key_material_id {
                    check_key_material_id(id)?;
                    if request.import_type == Some(ImportType::NewKeyMaterial) {
                        return Err(Error::validation(
                            "KeyMaterialId must not be given with ImportType NEW_KEY_MATERIAL",
                        ));
                    }
                }
                let token_id = decode_token(request.import_token)?;
                self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, request.key_id)?;
                    let access = Access::new(Action::ImportKeyMaterial)
                        .value("kms:ExpirationModel", expiration_model.as_str())
                        .maybe("kms:ValidTo", valid_to_ms.map(|ms| ms.div_euclid(1000).to_string()));
                    self.authorize(txn, &key, &access)?;
                    self.require_external(&key)?;
                    self.require_not_pending_deletion(&key)?;
                    let multi_material_fields = request.import_type.is_some()
                        || request.key_material_description.is_some()
                        || request.key_material_id.is_some();
                    if multi_material_fields && !key.key_spec.is_symmetric_encryption() {
                        return Err(Error::validation(format!(
                            "ImportType, KeyMaterialDescription and KeyMaterialId are only valid for symmetric \
                             encryption keys; {} has KeySpec {}",
                            self.arn(&key.key_id),
                            key.key_spec
                        )));
                    }
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
                    if request.key_material_id.is_some_and(|given| given != material_id) {
                        return Err(Error::new(
                            ErrorKind::IncorrectKeyMaterial,
                            "The key material does not match the KeyMaterialId in the request",
                        ));
                    }
                    key.upgrade_legacy_import();
                    let import_type = request.import_type.unwrap_or(if key.imported.is_empty() {
                        ImportType::NewKeyMaterial
                    } else {
                        ImportType::ExistingKeyMaterial
                    });
                    let description = request.key_material_description.map(str::to_owned);
                    // Where the material goes: its version, its record's date and rotation type.
                    let stored = match import_type {
                        ImportType::NewKeyMaterial => {
                            if key.imported.iter().any(|m| m.material_id == material_id) {
                                return Err(Error::new(
                                    ErrorKind::IncorrectKeyMaterial,
                                    format!(
                                        "The key material is already associated with {}; import it with \
                                         ImportType EXISTING_KEY_MATERIAL",
                                        self.arn(&key.key_id)
                                    ),
                                ));
                            }
                            let first = key.imported.is_empty();
                            // A version never used by this key: above the current one, above any
                            // material waiting for rotation, and above any forgotten one.
                            let version = key
                                .imported
                                .iter()
                                .map(|m| m.version)
                                .max()
                                .unwrap_or(0)
                                .max(key.current_version)
                                .max(key.imported_versions)
                                + 1;
                            key.imported_versions = version;
                            key.imported.push(ImportedMaterial {
                                material_id: material_id.clone(),
                                version,
                                expiration_model,
                                valid_to_ms,
                                description,
                                present: true,
                                pending_rotation: !first,
                                rotated_ms: None,
                                rotation_type: None,
                                imported_ms: now,
                            });
                            if first {
                                key.current_version = version;
                            }
                            (version, now, None)
                        }
                        ImportType::ExistingKeyMaterial => {
                            let Some(entry) = key.imported.iter_mut().find(|m| m.material_id == material_id) else {
                                return Err(Error::new(
                                    ErrorKind::IncorrectKeyMaterial,
                                    "The key material is different from the material previously imported into this key",
                                ));
                            };
                            let created_ms = entry.rotated_ms.unwrap_or(entry.imported_ms);
                            let (version, rotation_type) = (entry.version, entry.rotation_type);
                            entry.expiration_model = expiration_model;
                            entry.valid_to_ms = valid_to_ms;
                            entry.present = true;
                            if description.is_some() {
                                entry.description = description;
                            }
                            (version, created_ms, rotation_type)
                        }
                    };
                    let (version, created_ms, rotation_type) = stored;
                    self.store_imported_material(
                        txn,
                        &key.key_id,
                        version,
                        &material,
                        &material_id,
                        created_ms,
                        rotation_type,
                    )?;
                    if key.state == KeyState::PendingImport && !key.missing_material() {
                        key.state = KeyState::Enabled;
                    }
                    self.inner.cache.evict_key(&key.key_id);
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

    /// Seals imported material as `version` of `key_id` (replacing what that version held).
    #[allow(clippy::too_many_arguments)]
    fn store_imported_material(
        &self,
        txn: &mut dyn Txn,
        key_id: &str,
        version: u32,
        material: &crate::SecretBytes,
        material_id: &str,
        created_ms: Millis,
        rotation_type: Option<RotationType>,
    ) -> Result<()> {
        let sealed = {
            let root = self.inner.root.read().map_err(|_| Error::internal("root key lock poisoned"))?;
            root.seal(RecordKind::Material, key_id, version, material.expose())?
        };
        txn.put_material(&MaterialRecord {
            key_id: key_id.to_owned(),
            version,
            material_id: material_id.to_owned(),
            created_ms,
            rotation_type,
            sealed,
        })
    }

    /// Takes one imported material out of the store. Material waiting for rotation is not
    /// yet bound to the key and is forgotten; a permanently associated one is remembered as
    /// `PENDING_IMPORT`, and the key returns to `PendingImport` unless it is pending deletion.
    fn remove_imported_material(&self, txn: &mut dyn Txn, key: &mut KeyRecord, index: usize) -> Result<()> {
        let entry = key.imported[index].clone();
        if entry.present {
            // The store deletes materials per key; the others are written back unchanged (their
            // sealed bytes are bound to key and version, not to the row) in the same transaction.
            let keep: Vec<MaterialRecord> =
                txn.materials(&key.key_id)?.into_iter().filter(|m| m.version != entry.version).collect();
            txn.delete_materials(&key.key_id)?;
            for record in &keep {
                txn.put_material(record)?;
            }
        }
        if entry.pending_rotation {
            key.imported.remove(index);
        } else {
            key.imported[index].present = false;
            if key.state != KeyState::PendingDeletion {
                key.state = KeyState::PendingImport;
            }
        }
        self.inner.cache.evict_key(&key.key_id);
        Ok(())
    }

    /// Removes the imported materials of `key` whose `ValidTo` has passed (AWS's
    /// `DeleteExpiredKeyMaterial`).
    pub(crate) fn drop_imported_material(&self, txn: &mut dyn Txn, key: &mut KeyRecord) -> Result<()> {
        let now = self.now();
        key.upgrade_legacy_import();
        while let Some(index) = key.imported.iter().position(|m| m.present && m.valid_to_ms.is_some_and(|at| at <= now))
        {
            self.remove_imported_material(txn, key, index)?;
        }
        Ok(())
    }

    /// `DeleteImportedKeyMaterial` of the key's current material.
    pub fn delete_imported_key_material(&self, key_id: &str) -> Result<ImportedKeyMaterialResponse> {
        self.delete_imported_key_material_with(key_id, None)
    }

    /// `DeleteImportedKeyMaterial`: deletes the material `key_material_id` (default: the current
    /// material). The key keeps its metadata and returns to `PendingImport` (unless the material
    /// was still waiting for rotation); ciphertexts decrypt again once the same material is
    /// imported again.
    ///
    /// # Errors
    /// `ValidationException` for a malformed `KeyMaterialId`; `NotFoundException` when the key
    /// has no such material; `UnsupportedOperationException` for keys not of origin `EXTERNAL`.
    pub fn delete_imported_key_material_with(
        &self,
        key_id: &str,
        key_material_id: Option<&str>,
    ) -> Result<ImportedKeyMaterialResponse> {
        self.call(
            "DeleteImportedKeyMaterial",
            Some(key_id),
            |_| params([("keyId", json!(key_id)), ("keyMaterialId", json!(key_material_id))]),
            || {
                self.maybe_sweep()?;
                if let Some(id) = key_material_id {
                    check_key_material_id(id)?;
                }
                let response = self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::DeleteImportedKeyMaterial))?;
                    self.require_external(&key)?;
                    key.upgrade_legacy_import();
                    let index = match key_material_id {
                        Some(id) => Some(key.imported.iter().position(|m| m.material_id == id).ok_or_else(|| {
                            Error::new(
                                ErrorKind::NotFound,
                                format!("Key material {id} is not associated with {}", self.arn(&key.key_id)),
                            )
                        })?),
                        None => key.imported.iter().position(|m| m.version == key.current_version),
                    };
                    let Some(index) = index else {
                        // Nothing was ever imported: no effect, as in AWS.
                        return Ok(ImportedKeyMaterialResponse {
                            key_id: self.arn(&key.key_id),
                            key_material_id: String::new(),
                        });
                    };
                    let material_id = key.imported[index].material_id.clone();
                    self.remove_imported_material(txn, &mut key, index)?;
                    self.save_key(txn, &key)?;
                    Ok(ImportedKeyMaterialResponse { key_id: self.arn(&key.key_id), key_material_id: material_id })
                })?;
                self.inner.storage.purge_deleted()?;
                Ok(response)
            },
        )
    }

    /// RotateKeyOnDemand of an `EXTERNAL` key: the oldest material waiting in
    /// `PENDING_ROTATION` becomes current. The caller has checked the key's kind and state.
    pub(crate) fn rotate_to_pending_import(&self, txn: &mut dyn Txn, key: &mut KeyRecord) -> Result<()> {
        key.upgrade_legacy_import();
        let now = self.now();
        let Some(entry) = key.imported.iter_mut().filter(|m| m.pending_rotation).min_by_key(|m| m.version) else {
            return Err(Error::unsupported(format!(
                "{} has imported key material and no new key material in PENDING_ROTATION; import \
                 new key material (ImportType NEW_KEY_MATERIAL) first",
                self.arn(&key.key_id)
            )));
        };
        entry.pending_rotation = false;
        entry.rotated_ms = Some(now);
        entry.rotation_type = Some(RotationType::OnDemand);
        let version = entry.version;
        // The stored record carries the rotation date and type ListKeyRotations shows.
        let mut record = txn
            .material(&key.key_id, version)?
            .ok_or_else(|| Error::internal("a material waiting for rotation is missing from the store"))?;
        record.created_ms = now;
        record.rotation_type = Some(RotationType::OnDemand);
        txn.put_material(&record)?;
        key.current_version = version;
        self.inner.cache.evict_key(&key.key_id);
        Ok(())
    }
}

/// `KeyMaterialDescription`: 0–256 characters of `^[a-zA-Z0-9:/_\s.-]+$` (so, as in AWS's
/// model, an empty string fails the pattern).
fn check_material_description(description: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '.' | '-') || is_regex_space(c);
    if description.chars().count() > 256 || description.is_empty() || !description.chars().all(allowed) {
        return Err(Error::validation(
            "KeyMaterialDescription must be 1 to 256 characters matching ^[a-zA-Z0-9:/_\\s.-]+$",
        ));
    }
    Ok(())
}

/// Java's `\s` (AWS's patterns are Java regular expressions).
fn is_regex_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// `KeyMaterialId`: exactly 64 characters of `^[a-f0-9]+$`.
pub(crate) fn check_key_material_id(id: &str) -> Result<()> {
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(Error::validation("KeyMaterialId must be 64 characters matching ^[a-f0-9]+$"));
    }
    Ok(())
}
