//! The symmetric operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext),
//! GenerateRandom.

use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use crate::calls::{context_value, data_key_pair_params, data_key_params, dry_run_value, params};
use crate::crypto::asymmetric;
use crate::crypto::ciphertext::{self, MAX_BLOB_LEN};
use crate::crypto::context::{canonical_context, EncryptionContext};
use crate::crypto::primitives::{random_bytes, random_secret};
use crate::crypto::signing::check_blob_len;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::record::KeyRecord;
use crate::keys::spec::{DataKeyPairSpec, DataKeySpec, EncryptionAlgorithm, KeySpec, KeyState, KeyUsage};
use crate::keystead::{CachedMaterial, Keystead};
use crate::policy::authorize::{finish_dry_run, Access, Action};
use crate::policy::grants::check_grant_tokens;
use crate::secret::SecretBytes;
use crate::store::Txn;
use serde_json::json;

/// Largest plaintext `Encrypt` takes.
pub const MAX_PLAINTEXT_LEN: usize = 4096;
/// Largest data key and random byte string.
pub const MAX_DATA_KEY_LEN: usize = 1024;

/// Inputs of `Encrypt`.
#[derive(Clone, Copy, Debug, Default)]
pub struct EncryptRequest<'a> {
    /// Any of the four identifier forms.
    pub key_id: &'a str,
    /// 1–4096 bytes.
    pub plaintext: &'a [u8],
    /// Bound to the ciphertext; must be given again to decrypt.
    pub encryption_context: Option<&'a EncryptionContext>,
    /// Default `SYMMETRIC_DEFAULT`.
    pub encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `Encrypt` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    /// The self-describing ciphertext blob.
    #[serde(with = "base64_bytes")]
    pub ciphertext_blob: Vec<u8>,
    /// The key ARN.
    pub key_id: String,
    /// The algorithm used.
    pub encryption_algorithm: EncryptionAlgorithm,
}

/// Inputs of `Decrypt`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecryptRequest<'a> {
    /// The blob from Encrypt, GenerateDataKey or ReEncrypt.
    pub ciphertext_blob: &'a [u8],
    /// The encryption context given at encryption.
    pub encryption_context: Option<&'a EncryptionContext>,
    /// Optional; when given it must name the key that encrypted the blob.
    pub key_id: Option<&'a str>,
    /// Default `SYMMETRIC_DEFAULT`.
    pub encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `Decrypt` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecryptResponse {
    /// The key ARN.
    pub key_id: String,
    /// The plaintext (zeroized on drop).
    pub plaintext: SecretBytes,
    /// The algorithm used.
    pub encryption_algorithm: EncryptionAlgorithm,
    /// The material that decrypted it (symmetric keys only, as in AWS).
    pub key_material_id: Option<String>,
}

/// Inputs of `ReEncrypt`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReEncryptRequest<'a> {
    /// The blob to re-encrypt.
    pub ciphertext_blob: &'a [u8],
    /// The context it was encrypted with.
    pub source_encryption_context: Option<&'a EncryptionContext>,
    /// Optional; when given it must name the key that encrypted the blob.
    pub source_key_id: Option<&'a str>,
    /// The key to encrypt under (any identifier form).
    pub destination_key_id: &'a str,
    /// The context to bind to the new blob.
    pub destination_encryption_context: Option<&'a EncryptionContext>,
    /// Default `SYMMETRIC_DEFAULT`.
    pub source_encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Default `SYMMETRIC_DEFAULT`.
    pub destination_encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `ReEncrypt` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptResponse {
    /// The new blob.
    #[serde(with = "base64_bytes")]
    pub ciphertext_blob: Vec<u8>,
    /// ARN of the key that had encrypted the old blob.
    pub source_key_id: String,
    /// ARN of the key that encrypted the new blob.
    pub key_id: String,
    /// Algorithm of the old blob.
    pub source_encryption_algorithm: EncryptionAlgorithm,
    /// Algorithm of the new blob.
    pub destination_encryption_algorithm: EncryptionAlgorithm,
    /// Material that decrypted the old blob (symmetric source keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_material_id: Option<String>,
    /// Material that encrypted the new blob (symmetric destination keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_key_material_id: Option<String>,
}

/// Inputs of `GenerateDataKey` and `GenerateDataKeyWithoutPlaintext`: exactly one of
/// `key_spec` and `number_of_bytes`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GenerateDataKeyRequest<'a> {
    /// Any of the four identifier forms.
    pub key_id: &'a str,
    /// Bound to the encrypted copy.
    pub encryption_context: Option<&'a EncryptionContext>,
    /// `AES_128` (16 bytes) or `AES_256` (32 bytes).
    pub key_spec: Option<DataKeySpec>,
    /// 1–1024.
    pub number_of_bytes: Option<u32>,
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `GenerateDataKey` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateDataKeyResponse {
    /// The data key encrypted under the KMS key.
    pub ciphertext_blob: Vec<u8>,
    /// The data key (zeroized on drop).
    pub plaintext: SecretBytes,
    /// The key ARN.
    pub key_id: String,
    /// The material that encrypted it.
    pub key_material_id: String,
}

/// What `GenerateDataKeyWithoutPlaintext` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyWithoutPlaintextResponse {
    /// The data key encrypted under the KMS key.
    #[serde(with = "base64_bytes")]
    pub ciphertext_blob: Vec<u8>,
    /// The key ARN.
    pub key_id: String,
    /// The material that encrypted it.
    pub key_material_id: String,
}

/// Serde helper: bytes as standard base64 (AWS JSON blobs).
pub mod base64_bytes {
    use base64::Engine as _;
    use serde::Serializer;

    /// Serializes bytes as base64 text.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

fn empty_context() -> &'static EncryptionContext {
    static EMPTY: std::sync::OnceLock<EncryptionContext> = std::sync::OnceLock::new();
    EMPTY.get_or_init(EncryptionContext::new)
}

/// An encryption context is only valid with symmetric keys.
fn reject_context_for_asymmetric(context: Option<&EncryptionContext>) -> Result<()> {
    if context.is_some_and(|c| !c.is_empty()) {
        return Err(Error::validation("EncryptionContext is supported only with symmetric encryption keys"));
    }
    Ok(())
}

/// Fails unless `algorithm` suits a symmetric key.
fn check_symmetric_algorithm(algorithm: Option<EncryptionAlgorithm>) -> Result<EncryptionAlgorithm> {
    match algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault) {
        EncryptionAlgorithm::SymmetricDefault => Ok(EncryptionAlgorithm::SymmetricDefault),
        other => Err(Error::new(
            ErrorKind::InvalidKeyUsage,
            format!("EncryptionAlgorithm {other} is not valid for a symmetric encryption key"),
        )),
    }
}

impl Keystead {
    /// The key-state rule of every cryptographic operation (AWS's key-state table): only an
    /// Enabled key may be used.
    pub(crate) fn require_usable(&self, key: &KeyRecord) -> Result<()> {
        let arn = || self.arn(&key.key_id);
        match key.state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(Error::new(ErrorKind::Disabled, format!("{} is disabled.", arn()))),
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                Err(Error::invalid_state(format!("{} is pending deletion.", arn())))
            }
            KeyState::PendingImport => Err(Error::invalid_state(format!("{} is pending import.", arn()))),
            KeyState::Unavailable => Err(Error::invalid_state(format!("{} is unavailable.", arn()))),
            KeyState::Creating => Err(Error::invalid_state(format!("{} is creating.", arn()))),
            KeyState::Updating => Err(Error::invalid_state(format!("{} is updating.", arn()))),
        }
    }

    /// Fails unless `key` is a symmetric encryption key.
    fn require_symmetric_encryption(&self, key: &KeyRecord, operation: &str) -> Result<()> {
        if key.key_usage != KeyUsage::EncryptDecrypt || key.key_spec != KeySpec::SymmetricDefault {
            return Err(Error::new(
                ErrorKind::InvalidKeyUsage,
                format!(
                    "{} key usage is {} and key spec is {}, which is not valid for {operation}",
                    self.arn(&key.key_id),
                    key.key_usage,
                    key.key_spec
                ),
            ));
        }
        Ok(())
    }

    /// Resolves the encryption key of an Encrypt-like operation and returns it with its current
    /// material, after the state and usage checks.
    fn encryption_key(
        &self,
        txn: &mut dyn Txn,
        key_id: &str,
        operation: &str,
        access: &Access<'_>,
    ) -> Result<(KeyRecord, Arc<CachedMaterial>, String)> {
        let key = self.resolve(txn, key_id)?;
        self.authorize(txn, &key, access)?;
        self.require_usable(&key)?;
        self.require_symmetric_encryption(&key, operation)?;
        let material = self.material(txn, &key.key_id, key.current_version)?;
        let material_id = material.material_id.clone();
        Ok((key, material, material_id))
    }

    fn seal_under(&self, key: &KeyRecord, material: &[u8], context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let key_uuid = Uuid::try_parse(&key.key_id).map_err(|_| Error::internal("stored key id is not a UUID"))?;
        let blob = ciphertext::seal(key_uuid, key.current_version, material, context, plaintext)?;
        debug_assert!(blob.len() <= MAX_BLOB_LEN);
        Ok(blob)
    }

    /// `Encrypt`: encrypts up to 4096 bytes under a symmetric key.
    ///
    /// # Errors
    /// `ValidationException` for an empty or too long plaintext; `NotFoundException`;
    /// `DisabledException` / `KMSInvalidStateException` by key state;
    /// `InvalidKeyUsageException` for a key or algorithm that cannot encrypt.
    pub fn encrypt(&self, request: EncryptRequest<'_>) -> Result<EncryptResponse> {
        self.call(
            "Encrypt",
            Some(request.key_id),
            |log| {
                params([
                    ("keyId", json!(request.key_id)),
                    (
                        "encryptionAlgorithm",
                        json!(request.encryption_algorithm.map_or("SYMMETRIC_DEFAULT", EncryptionAlgorithm::as_str)),
                    ),
                    ("encryptionContext", context_value(log, request.encryption_context)),
                    ("dryRun", dry_run_value(request.dry_run)),
                ])
            },
            || {
                self.maybe_sweep()?;
                if request.plaintext.is_empty() || request.plaintext.len() > MAX_PLAINTEXT_LEN {
                    return Err(Error::validation(format!(
                        "Plaintext must be 1 to {MAX_PLAINTEXT_LEN} bytes long; got {}",
                        request.plaintext.len()
                    )));
                }
                let context = canonical_context(request.encryption_context.unwrap_or(empty_context()))?;
                self.ensure_managed_key(request.key_id)?;
                check_grant_tokens(request.grant_tokens)?;
                let access = Access::new(Action::Encrypt)
                    .requested(request.key_id)
                    .context(request.encryption_context)
                    .value(
                        "kms:EncryptionAlgorithm",
                        request.encryption_algorithm.map_or("SYMMETRIC_DEFAULT", EncryptionAlgorithm::as_str),
                    )
                    .dry_run(request.dry_run);
                let (key, material) = self.read(|txn| {
                    self.key_for_usage(txn, request.key_id, KeyUsage::EncryptDecrypt, "Encrypt", &access)
                })?;
                let (ciphertext_blob, encryption_algorithm, _) = self.encrypt_with(
                    &key,
                    &material,
                    request.encryption_algorithm,
                    &access,
                    &context,
                    request.plaintext,
                )?;
                Ok(EncryptResponse { ciphertext_blob, key_id: self.arn(&key.key_id), encryption_algorithm })
            },
        )
    }

    /// The algorithm an RSA encryption key is asked to use: required, and one of its spec's.
    fn asymmetric_algorithm(
        &self,
        key: &KeyRecord,
        algorithm: Option<EncryptionAlgorithm>,
    ) -> Result<EncryptionAlgorithm> {
        let algorithm = algorithm.ok_or_else(|| {
            Error::validation(format!("EncryptionAlgorithm is required with asymmetric key {}", self.arn(&key.key_id)))
        })?;
        if !key.key_spec.encryption_algorithms().contains(&algorithm) {
            return Err(Error::new(
                ErrorKind::InvalidKeyUsage,
                format!("Algorithm {algorithm} is incompatible with key spec {}.", key.key_spec),
            ));
        }
        Ok(algorithm)
    }

    /// Encrypts under `key`: the self-describing symmetric blob, or raw RSA-OAEP (no metadata,
    /// no encryption context, as in AWS). Returns the blob, the algorithm and the material id
    /// (symmetric keys only).
    fn encrypt_with(
        &self,
        key: &KeyRecord,
        material: &CachedMaterial,
        algorithm: Option<EncryptionAlgorithm>,
        access: &Access<'_>,
        canonical: &[u8],
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, EncryptionAlgorithm, Option<String>)> {
        if key.key_spec == KeySpec::SymmetricDefault {
            let algorithm = check_symmetric_algorithm(algorithm)?;
            finish_dry_run(access.dry_run)?;
            let blob = self.seal_under(key, material.expose(), canonical, plaintext)?;
            return Ok((blob, algorithm, Some(material.material_id.clone())));
        }
        let algorithm = self.asymmetric_algorithm(key, algorithm)?;
        reject_context_for_asymmetric(access.context)?;
        let private = material.parsed()?.private();
        let max = asymmetric::rsa_oaep_max_plaintext(private.size(), algorithm);
        if plaintext.len() > max {
            return Err(Error::validation(format!(
                "Plaintext must be at most {max} bytes for {} with {algorithm}; got {}",
                key.key_spec,
                plaintext.len()
            )));
        }
        finish_dry_run(access.dry_run)?;
        Ok((asymmetric::rsa_oaep_encrypt(private, algorithm, plaintext)?, algorithm, None))
    }

    /// Decrypts `blob` inside `txn`. With a `key_id` naming an RSA key, the blob is raw
    /// RSA-OAEP (the algorithm must be given); otherwise it is a symmetric blob that names its
    /// key. Returns the key, the plaintext, the algorithm and the material id (symmetric only).
    fn decrypt_any(
        &self,
        txn: &mut dyn Txn,
        blob: &[u8],
        canonical: &[u8],
        key_id: Option<&str>,
        algorithm: Option<EncryptionAlgorithm>,
        access: &Access<'_>,
    ) -> Result<(KeyRecord, SecretBytes, EncryptionAlgorithm, Option<String>)> {
        if let Some(named) = key_id {
            let key = self.resolve(txn, named)?;
            if key.key_spec != KeySpec::SymmetricDefault {
                self.authorize(txn, &key, access)?;
                self.require_usable(&key)?;
                self.require_usage(&key, KeyUsage::EncryptDecrypt, "Decrypt")?;
                let algorithm = self.asymmetric_algorithm(&key, algorithm)?;
                reject_context_for_asymmetric(access.context)?;
                finish_dry_run(access.dry_run)?;
                let material = self.material(txn, &key.key_id, key.current_version)?;
                let plaintext = asymmetric::rsa_oaep_decrypt(material.parsed()?.private(), algorithm, blob)?;
                return Ok((key, plaintext, algorithm, None));
            }
        }
        let algorithm = check_symmetric_algorithm(algorithm)?;
        let (key, plaintext, material_id) = self.open_blob(txn, blob, canonical, key_id, access)?;
        Ok((key, plaintext, algorithm, Some(material_id)))
    }

    /// Decrypts a blob inside `txn`: returns the key, the plaintext and the material id.
    fn open_blob(
        &self,
        txn: &mut dyn Txn,
        blob: &[u8],
        context: &[u8],
        expected_key: Option<&str>,
        access: &Access<'_>,
    ) -> Result<(KeyRecord, SecretBytes, String)> {
        let header = ciphertext::parse_header(blob)?;
        let blob_key_id = header.key_id.hyphenated().encode_lower(&mut Uuid::encode_buffer()).to_owned();
        if let Some(expected) = expected_key {
            let named = self.resolve(txn, expected)?;
            if named.key_id != blob_key_id {
                return Err(Error::new(
                    ErrorKind::IncorrectKey,
                    "The key ID in the request does not identify a CMK that can perform this operation.",
                ));
            }
        }
        // A blob naming a key this store does not hold is indistinguishable from a damaged blob.
        let key = match self.load(txn, &blob_key_id) {
            Ok(key) => key,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(Error::invalid_ciphertext()),
            Err(e) => return Err(e),
        };
        self.authorize(txn, &key, access)?;
        self.require_usable(&key)?;
        self.require_symmetric_encryption(&key, "Decrypt")?;
        if header.key_version == 0 || header.key_version > key.current_version {
            return Err(Error::invalid_ciphertext());
        }
        finish_dry_run(access.dry_run)?;
        let material = self.material(txn, &key.key_id, header.key_version)?;
        let plaintext = ciphertext::open(&header, material.expose(), context, blob)?;
        let material_id = material.material_id.clone();
        Ok((key, plaintext, material_id))
    }

    /// `Decrypt`: no key id needed (the blob names its key). A wrong blob or encryption
    /// context is `InvalidCiphertextException`; a `key_id` that is not the encrypting key is
    /// `IncorrectKeyException`.
    pub fn decrypt(&self, request: DecryptRequest<'_>) -> Result<DecryptResponse> {
        self.call(
            "Decrypt",
            request.key_id,
            |log| {
                params([
                    ("keyId", json!(request.key_id)),
                    (
                        "encryptionAlgorithm",
                        json!(request.encryption_algorithm.map_or("SYMMETRIC_DEFAULT", EncryptionAlgorithm::as_str)),
                    ),
                    ("encryptionContext", context_value(log, request.encryption_context)),
                    ("dryRun", dry_run_value(request.dry_run)),
                ])
            },
            || {
                self.maybe_sweep()?;
                check_blob_len(request.ciphertext_blob, "CiphertextBlob")?;
                let context = canonical_context(request.encryption_context.unwrap_or(empty_context()))?;
                if let Some(key_id) = request.key_id {
                    self.ensure_managed_key(key_id)?;
                }
                check_grant_tokens(request.grant_tokens)?;
                let access = Access::new(Action::Decrypt)
                    .context(request.encryption_context)
                    .value(
                        "kms:EncryptionAlgorithm",
                        request.encryption_algorithm.map_or("SYMMETRIC_DEFAULT", EncryptionAlgorithm::as_str),
                    )
                    .dry_run(request.dry_run);
                let access = match request.key_id {
                    Some(key_id) => access.requested(key_id),
                    None => access,
                };
                let (key, plaintext, encryption_algorithm, key_material_id) = self.read(|txn| {
                    self.decrypt_any(
                        txn,
                        request.ciphertext_blob,
                        &context,
                        request.key_id,
                        request.encryption_algorithm,
                        &access,
                    )
                })?;
                Ok(DecryptResponse { key_id: self.arn(&key.key_id), plaintext, encryption_algorithm, key_material_id })
            },
        )
    }

    /// `ReEncrypt`: decrypts and encrypts again under another key (or the same key's newest
    /// material, or another context) without the plaintext leaving the core.
    pub fn re_encrypt(&self, request: ReEncryptRequest<'_>) -> Result<ReEncryptResponse> {
        self.call(
            "ReEncrypt",
            Some(request.destination_key_id),
            |log| {
                params([
                    ("sourceKeyId", json!(request.source_key_id)),
                    ("destinationKeyId", json!(request.destination_key_id)),
                    (
                        "sourceEncryptionAlgorithm",
                        json!(request.source_encryption_algorithm.map(EncryptionAlgorithm::as_str)),
                    ),
                    (
                        "destinationEncryptionAlgorithm",
                        json!(request.destination_encryption_algorithm.map(EncryptionAlgorithm::as_str)),
                    ),
                    ("sourceEncryptionContext", context_value(log, request.source_encryption_context)),
                    ("destinationEncryptionContext", context_value(log, request.destination_encryption_context)),
                    ("dryRun", dry_run_value(request.dry_run)),
                ])
            },
            || {
                self.maybe_sweep()?;
                check_blob_len(request.ciphertext_blob, "CiphertextBlob")?;
                let source_context = canonical_context(request.source_encryption_context.unwrap_or(empty_context()))?;
                let destination_context =
                    canonical_context(request.destination_encryption_context.unwrap_or(empty_context()))?;
                if let Some(source) = request.source_key_id {
                    self.ensure_managed_key(source)?;
                }
                self.ensure_managed_key(request.destination_key_id)?;
                check_grant_tokens(request.grant_tokens)?;
                let to_access = Access::new(Action::ReEncryptTo)
                    .requested(request.destination_key_id)
                    .context(request.destination_encryption_context)
                    .value(
                        "kms:EncryptionAlgorithm",
                        request
                            .destination_encryption_algorithm
                            .map_or("SYMMETRIC_DEFAULT", EncryptionAlgorithm::as_str),
                    );
                let from_access = Access::new(Action::ReEncryptFrom).context(request.source_encryption_context).value(
                    "kms:EncryptionAlgorithm",
                    request.source_encryption_algorithm.map_or("SYMMETRIC_DEFAULT", EncryptionAlgorithm::as_str),
                );
                let from_access = match request.source_key_id {
                    Some(key_id) => from_access.requested(key_id),
                    None => from_access,
                };
                let (source, plaintext, source_algorithm, source_material_id, destination, material) =
                    self.read(|txn| {
                        let (destination, material) = self.key_for_usage(
                            txn,
                            request.destination_key_id,
                            KeyUsage::EncryptDecrypt,
                            "ReEncrypt",
                            &to_access,
                        )?;
                        let (source, plaintext, algorithm, material_id) = self.decrypt_any(
                            txn,
                            request.ciphertext_blob,
                            &source_context,
                            request.source_key_id,
                            request.source_encryption_algorithm,
                            &from_access,
                        )?;
                        Ok((source, plaintext, algorithm, material_id, destination, material))
                    })?;
                let (ciphertext_blob, destination_algorithm, destination_material_id) = self.encrypt_with(
                    &destination,
                    &material,
                    request.destination_encryption_algorithm,
                    &to_access.dry_run(request.dry_run),
                    &destination_context,
                    plaintext.expose(),
                )?;
                Ok(ReEncryptResponse {
                    ciphertext_blob,
                    source_key_id: self.arn(&source.key_id),
                    key_id: self.arn(&destination.key_id),
                    source_encryption_algorithm: source_algorithm,
                    destination_encryption_algorithm: destination_algorithm,
                    source_key_material_id: source_material_id,
                    destination_key_material_id: destination_material_id,
                })
            },
        )
    }

    /// `GenerateDataKey`: a random data key and its copy encrypted under a symmetric key.
    pub fn generate_data_key(&self, request: GenerateDataKeyRequest<'_>) -> Result<GenerateDataKeyResponse> {
        self.call(
            "GenerateDataKey",
            Some(request.key_id),
            |log| data_key_params(log, &request),
            || {
                let (plaintext, ciphertext_blob, key_id, key_material_id) = self.data_key(request, true)?;
                Ok(GenerateDataKeyResponse { ciphertext_blob, plaintext, key_id, key_material_id })
            },
        )
    }

    /// `GenerateDataKeyWithoutPlaintext`: only the encrypted copy of a new data key.
    pub fn generate_data_key_without_plaintext(
        &self,
        request: GenerateDataKeyRequest<'_>,
    ) -> Result<GenerateDataKeyWithoutPlaintextResponse> {
        self.call(
            "GenerateDataKeyWithoutPlaintext",
            Some(request.key_id),
            |log| data_key_params(log, &request),
            || {
                let (_plaintext, ciphertext_blob, key_id, key_material_id) = self.data_key(request, false)?;
                Ok(GenerateDataKeyWithoutPlaintextResponse { ciphertext_blob, key_id, key_material_id })
            },
        )
    }

    fn data_key(
        &self,
        request: GenerateDataKeyRequest<'_>,
        with_plaintext: bool,
    ) -> Result<(SecretBytes, Vec<u8>, String, String)> {
        self.maybe_sweep()?;
        let len = match (request.key_spec, request.number_of_bytes) {
            (Some(spec), None) => spec.byte_len(),
            (None, Some(n)) if (1..=MAX_DATA_KEY_LEN as u32).contains(&n) => n as usize,
            (None, Some(n)) => {
                return Err(Error::validation(format!(
                    "NumberOfBytes must be between 1 and {MAX_DATA_KEY_LEN}; got {n}"
                )))
            }
            _ => return Err(Error::validation("Specify exactly one of KeySpec and NumberOfBytes")),
        };
        let context = canonical_context(request.encryption_context.unwrap_or(empty_context()))?;
        self.ensure_managed_key(request.key_id)?;
        check_grant_tokens(request.grant_tokens)?;
        let action = if with_plaintext { Action::GenerateDataKey } else { Action::GenerateDataKeyWithoutPlaintext };
        let access = Access::new(action).requested(request.key_id).context(request.encryption_context);
        let (key, material, material_id) = self.read(|txn| {
            self.encryption_key(txn, request.key_id, action.as_str().trim_start_matches("kms:"), &access)
        })?;
        finish_dry_run(request.dry_run)?;
        let plaintext = random_secret(len)?;
        let ciphertext_blob = self.seal_under(&key, material.expose(), &context, plaintext.expose())?;
        Ok((plaintext, ciphertext_blob, self.arn(&key.key_id), material_id))
    }

    /// `GenerateRandom`: 1–1024 random bytes.
    pub fn generate_random(&self, number_of_bytes: u32) -> Result<SecretBytes> {
        self.call(
            "GenerateRandom",
            None,
            |_| params([("numberOfBytes", json!(number_of_bytes))]),
            || {
                self.authorize_account("kms:GenerateRandom")?;
                if !(1..=MAX_DATA_KEY_LEN as u32).contains(&number_of_bytes) {
                    return Err(Error::validation(format!(
                        "NumberOfBytes must be between 1 and {MAX_DATA_KEY_LEN}; got {number_of_bytes}"
                    )));
                }
                Ok(SecretBytes::new(random_bytes(number_of_bytes as usize)?))
            },
        )
    }
}

/// Inputs of `GenerateDataKeyPair` and `GenerateDataKeyPairWithoutPlaintext`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GenerateDataKeyPairRequest<'a> {
    /// Any of the four identifier forms of a symmetric encryption key.
    pub key_id: &'a str,
    /// Bound to the encrypted private key.
    pub encryption_context: Option<&'a EncryptionContext>,
    /// Required: the kind of pair (RSA, ECC or Ed25519 specs).
    pub key_pair_spec: Option<DataKeyPairSpec>,
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `GenerateDataKeyPair` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateDataKeyPairResponse {
    /// The private key encrypted under the KMS key (a ciphertext blob).
    pub private_key_ciphertext_blob: Vec<u8>,
    /// The private key, DER PKCS#8 (zeroized on drop).
    pub private_key_plaintext: SecretBytes,
    /// The public key, DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// The key ARN.
    pub key_id: String,
    /// The pair's spec.
    pub key_pair_spec: DataKeyPairSpec,
    /// The material that encrypted the private key.
    pub key_material_id: String,
}

/// What `GenerateDataKeyPairWithoutPlaintext` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairWithoutPlaintextResponse {
    /// The private key encrypted under the KMS key.
    #[serde(with = "base64_bytes")]
    pub private_key_ciphertext_blob: Vec<u8>,
    /// The public key, DER SubjectPublicKeyInfo.
    #[serde(with = "base64_bytes")]
    pub public_key: Vec<u8>,
    /// The key ARN.
    pub key_id: String,
    /// The pair's spec.
    pub key_pair_spec: DataKeyPairSpec,
    /// The material that encrypted the private key.
    pub key_material_id: String,
}

impl Keystead {
    /// `GenerateDataKeyPair`: a new key pair whose private key is also returned encrypted under
    /// a symmetric key.
    pub fn generate_data_key_pair(
        &self,
        request: GenerateDataKeyPairRequest<'_>,
    ) -> Result<GenerateDataKeyPairResponse> {
        self.call(
            "GenerateDataKeyPair",
            Some(request.key_id),
            |log| data_key_pair_params(log, &request),
            || {
                let (
                    private_key_plaintext,
                    private_key_ciphertext_blob,
                    public_key,
                    key_id,
                    key_pair_spec,
                    key_material_id,
                ) = self.data_key_pair(request, true)?;
                Ok(GenerateDataKeyPairResponse {
                    private_key_ciphertext_blob,
                    private_key_plaintext,
                    public_key,
                    key_id,
                    key_pair_spec,
                    key_material_id,
                })
            },
        )
    }

    /// `GenerateDataKeyPairWithoutPlaintext`: as `GenerateDataKeyPair`, without the plaintext
    /// private key.
    pub fn generate_data_key_pair_without_plaintext(
        &self,
        request: GenerateDataKeyPairRequest<'_>,
    ) -> Result<GenerateDataKeyPairWithoutPlaintextResponse> {
        self.call(
            "GenerateDataKeyPairWithoutPlaintext",
            Some(request.key_id),
            |log| data_key_pair_params(log, &request),
            || {
                let (_plaintext, private_key_ciphertext_blob, public_key, key_id, key_pair_spec, key_material_id) =
                    self.data_key_pair(request, false)?;
                Ok(GenerateDataKeyPairWithoutPlaintextResponse {
                    private_key_ciphertext_blob,
                    public_key,
                    key_id,
                    key_pair_spec,
                    key_material_id,
                })
            },
        )
    }

    #[allow(clippy::type_complexity)]
    fn data_key_pair(
        &self,
        request: GenerateDataKeyPairRequest<'_>,
        with_plaintext: bool,
    ) -> Result<(SecretBytes, Vec<u8>, Vec<u8>, String, DataKeyPairSpec, String)> {
        self.maybe_sweep()?;
        let spec = request.key_pair_spec.ok_or_else(|| Error::validation("KeyPairSpec is required"))?;
        let context = canonical_context(request.encryption_context.unwrap_or(empty_context()))?;
        self.ensure_managed_key(request.key_id)?;
        check_grant_tokens(request.grant_tokens)?;
        let action =
            if with_plaintext { Action::GenerateDataKeyPair } else { Action::GenerateDataKeyPairWithoutPlaintext };
        let access = Access::new(action)
            .requested(request.key_id)
            .context(request.encryption_context)
            .value("kms:DataKeyPairSpec", spec.as_str());
        let (key, material, material_id) = self.read(|txn| {
            self.encryption_key(txn, request.key_id, action.as_str().trim_start_matches("kms:"), &access)
        })?;
        finish_dry_run(request.dry_run)?;
        let (private_key, public_key) = asymmetric::generate_pair(spec.key_spec())?;
        let blob = self.seal_under(&key, material.expose(), &context, private_key.expose())?;
        Ok((private_key, blob, public_key, self.arn(&key.key_id), spec, material_id))
    }
}
