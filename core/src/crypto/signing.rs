//! Asymmetric-key operations: Sign, Verify, GetPublicKey, DeriveSharedSecret, and the HMAC
//! operations GenerateMac and VerifyMac.

use std::sync::Arc;

use serde::Serialize;

use crate::calls::{dry_run_value, params};
use crate::crypto::asymmetric;
use crate::crypto::ciphertext::MAX_BLOB_LEN;
use crate::crypto::symmetric::base64_bytes;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::record::KeyRecord;
use crate::keys::spec::{
    EncryptionAlgorithm, KeyAgreementAlgorithm, KeySpec, KeyUsage, MacAlgorithm, MessageType, Origin, SigningAlgorithm,
};
use crate::keystead::{CachedMaterial, Keystead};
use crate::policy::authorize::{finish_dry_run, Access, Action};
use crate::policy::grants::check_grant_tokens;
use crate::secret::SecretBytes;
use crate::store::Txn;
use serde_json::json;

/// Inputs of `GetPublicKey`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GetPublicKeyRequest<'a> {
    /// Key id, key ARN, alias name or alias ARN of an asymmetric key.
    pub key_id: &'a str,
    /// Grant tokens (0–10, each 1–8192 characters).
    pub grant_tokens: &'a [String],
}
/// Inputs of `Sign`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignRequest<'a> {
    /// Any of the four identifier forms of a SIGN_VERIFY key.
    pub key_id: &'a str,
    /// The message (RAW, 1–4096 bytes) or its digest (DIGEST).
    pub message: &'a [u8],
    /// Default `RAW`.
    pub message_type: Option<MessageType>,
    /// Required: one of the key spec's signing algorithms.
    pub signing_algorithm: Option<SigningAlgorithm>,
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `Sign` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignResponse {
    /// The key ARN.
    pub key_id: String,
    /// The signature (DER `ECDSA-Sig-Value` for ECDSA; raw for RSA, Ed25519, ML-DSA).
    #[serde(with = "base64_bytes")]
    pub signature: Vec<u8>,
    /// The algorithm used.
    pub signing_algorithm: SigningAlgorithm,
}

/// Inputs of `Verify`.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyRequest<'a> {
    /// Any of the four identifier forms of a SIGN_VERIFY key.
    pub key_id: &'a str,
    /// The message or digest that was signed.
    pub message: &'a [u8],
    /// Default `RAW`.
    pub message_type: Option<MessageType>,
    /// The signature to check.
    pub signature: &'a [u8],
    /// Required: the algorithm the signature was made with.
    pub signing_algorithm: Option<SigningAlgorithm>,
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `Verify` returns when the signature is valid (an invalid one is an error).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyResponse {
    /// The key ARN.
    pub key_id: String,
    /// Always true: an invalid signature is `KMSInvalidSignatureException`.
    pub signature_valid: bool,
    /// The algorithm used.
    pub signing_algorithm: SigningAlgorithm,
}

/// What `GetPublicKey` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPublicKeyResponse {
    /// The key ARN.
    pub key_id: String,
    /// DER-encoded X.509 SubjectPublicKeyInfo.
    #[serde(with = "base64_bytes")]
    pub public_key: Vec<u8>,
    /// The deprecated twin of `key_spec`.
    pub customer_master_key_spec: KeySpec,
    /// The key spec.
    pub key_spec: KeySpec,
    /// The key usage.
    pub key_usage: KeyUsage,
    /// Present for ENCRYPT_DECRYPT keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<EncryptionAlgorithm>>,
    /// Present for SIGN_VERIFY keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<SigningAlgorithm>>,
    /// Present for KEY_AGREEMENT keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<KeyAgreementAlgorithm>>,
}

/// Inputs of `DeriveSharedSecret`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeriveSharedSecretRequest<'a> {
    /// Any of the four identifier forms of a KEY_AGREEMENT key.
    pub key_id: &'a str,
    /// Required: `ECDH`.
    pub key_agreement_algorithm: Option<KeyAgreementAlgorithm>,
    /// The peer's public key, DER SubjectPublicKeyInfo on the same curve.
    pub public_key: &'a [u8],
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `DeriveSharedSecret` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeriveSharedSecretResponse {
    /// The key ARN.
    pub key_id: String,
    /// The raw ECDH shared secret (no KDF), zeroized on drop.
    pub shared_secret: SecretBytes,
    /// `ECDH`.
    pub key_agreement_algorithm: KeyAgreementAlgorithm,
    /// The key's origin.
    pub key_origin: Origin,
}

/// Inputs of `GenerateMac`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GenerateMacRequest<'a> {
    /// Any of the four identifier forms of a GENERATE_VERIFY_MAC key.
    pub key_id: &'a str,
    /// 1–4096 bytes.
    pub message: &'a [u8],
    /// Required: the key spec's MAC algorithm.
    pub mac_algorithm: Option<MacAlgorithm>,
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `GenerateMac` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateMacResponse {
    /// The MAC.
    #[serde(with = "base64_bytes")]
    pub mac: Vec<u8>,
    /// The algorithm used.
    pub mac_algorithm: MacAlgorithm,
    /// The key ARN.
    pub key_id: String,
}

/// Inputs of `VerifyMac`.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyMacRequest<'a> {
    /// Any of the four identifier forms of a GENERATE_VERIFY_MAC key.
    pub key_id: &'a str,
    /// 1–4096 bytes.
    pub message: &'a [u8],
    /// The MAC to check.
    pub mac: &'a [u8],
    /// Required: the key spec's MAC algorithm.
    pub mac_algorithm: Option<MacAlgorithm>,
    /// Grant tokens (checked for form; grants take effect at once in Keystead).
    pub grant_tokens: &'a [String],
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// What `VerifyMac` returns when the MAC is valid (an invalid one is an error).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyMacResponse {
    /// The key ARN.
    pub key_id: String,
    /// Always true: an invalid MAC is `KMSInvalidMacException`.
    pub mac_valid: bool,
    /// The algorithm used.
    pub mac_algorithm: MacAlgorithm,
}

fn required<T>(value: Option<T>, name: &str) -> Result<T> {
    value.ok_or_else(|| Error::validation(format!("{name} is required")))
}

fn check_message_len(message: &[u8]) -> Result<()> {
    if message.is_empty() || message.len() > 4096 {
        return Err(Error::validation(format!("Message must be 1 to 4096 bytes long; got {}", message.len())));
    }
    Ok(())
}

/// Checks a blob input (ciphertext, signature, MAC) against AWS's 1–6144 byte shape.
pub(crate) fn check_blob_len(blob: &[u8], name: &str) -> Result<()> {
    if blob.is_empty() || blob.len() > MAX_BLOB_LEN {
        return Err(Error::validation(format!("{name} must be 1 to {MAX_BLOB_LEN} bytes long; got {}", blob.len())));
    }
    Ok(())
}

/// What [`Keystead::prepare_keyed_call`] needs to know about a Sign, Verify, GenerateMac or
/// VerifyMac request.
struct KeyedCall<'a> {
    action: Action,
    usage: KeyUsage,
    key_id: &'a str,
    /// The message (1–4096 bytes for all four operations).
    message: &'a [u8],
    /// The signature or MAC to check (1–6144 bytes), with its parameter name.
    checked_blob: Option<(&'a [u8], &'static str)>,
    /// The algorithm's policy condition key and value.
    algorithm: (&'static str, &'static str),
    /// Sign and Verify: the `kms:MessageType` condition value.
    message_type: Option<MessageType>,
    grant_tokens: &'a [String],
    dry_run: bool,
}

impl<'a> KeyedCall<'a> {
    fn signing(
        action: Action,
        key_id: &'a str,
        message: &'a [u8],
        algorithm: SigningAlgorithm,
        message_type: MessageType,
    ) -> Self {
        Self {
            action,
            usage: KeyUsage::SignVerify,
            key_id,
            message,
            checked_blob: None,
            algorithm: ("kms:SigningAlgorithm", algorithm.as_str()),
            message_type: Some(message_type),
            grant_tokens: &[],
            dry_run: false,
        }
    }

    fn mac(action: Action, key_id: &'a str, message: &'a [u8], algorithm: MacAlgorithm) -> Self {
        Self {
            action,
            usage: KeyUsage::GenerateVerifyMac,
            key_id,
            message,
            checked_blob: None,
            algorithm: ("kms:MacAlgorithm", algorithm.as_str()),
            message_type: None,
            grant_tokens: &[],
            dry_run: false,
        }
    }

    fn checking(mut self, blob: &'a [u8], name: &'static str) -> Self {
        self.checked_blob = Some((blob, name));
        self
    }

    fn tokens(mut self, grant_tokens: &'a [String], dry_run: bool) -> Self {
        self.grant_tokens = grant_tokens;
        self.dry_run = dry_run;
        self
    }
}

/// InvalidKeyUsageException unless `algorithm` is one of `allowed` (the key spec's list).
fn check_algorithm<A: PartialEq + std::fmt::Display>(key: &KeyRecord, algorithm: A, allowed: &[A]) -> Result<()> {
    if !allowed.contains(&algorithm) {
        return Err(Error::new(
            ErrorKind::InvalidKeyUsage,
            format!("Algorithm {algorithm} is incompatible with key spec {}.", key.key_spec),
        ));
    }
    Ok(())
}

impl Keystead {
    /// Resolves a key for an operation that needs `usage`, checks its state and usage, and
    /// returns it with its material.
    pub(crate) fn key_for_usage(
        &self,
        txn: &mut dyn Txn,
        key_id: &str,
        usage: KeyUsage,
        operation: &str,
        access: &Access<'_>,
    ) -> Result<(KeyRecord, Arc<CachedMaterial>)> {
        let key = self.resolve(txn, key_id)?;
        self.authorize(txn, &key, access)?;
        self.require_usable(&key)?;
        self.require_usage(&key, usage, operation)?;
        let material = self.material(txn, &key.key_id, key.current_version)?;
        Ok((key, material))
    }

    /// Fails with InvalidKeyUsageException unless `key` has `usage`.
    pub(crate) fn require_usage(&self, key: &KeyRecord, usage: KeyUsage, operation: &str) -> Result<()> {
        if key.key_usage != usage {
            return Err(Error::new(
                ErrorKind::InvalidKeyUsage,
                format!("{} key usage is {} which is not valid for {operation}.", self.arn(&key.key_id), key.key_usage),
            ));
        }
        Ok(())
    }

    /// The preparation Sign, Verify, GenerateMac and VerifyMac share: input lengths, grant
    /// tokens, the key (authorized with the call's condition keys, usable, of the right usage)
    /// and its material, the algorithm-specific `check`, then the dry-run stop.
    fn prepare_keyed_call(
        &self,
        call: KeyedCall<'_>,
        check: impl FnOnce(&KeyRecord) -> Result<()>,
    ) -> Result<(KeyRecord, Arc<CachedMaterial>)> {
        check_message_len(call.message)?;
        if let Some((blob, name)) = call.checked_blob {
            check_blob_len(blob, name)?;
        }
        // Input checks come before anything that may change the store (creating an AWS managed
        // key on first use of its alias).
        check_grant_tokens(call.grant_tokens)?;
        self.ensure_managed_key(call.key_id)?;
        let operation = call.action.as_str().trim_start_matches("kms:");
        let (condition, algorithm) = call.algorithm;
        let access = Access::new(call.action)
            .requested(call.key_id)
            .value(condition, algorithm)
            .maybe("kms:MessageType", call.message_type.map(MessageType::as_str));
        let (key, material) = self.read(|txn| self.key_for_usage(txn, call.key_id, call.usage, operation, &access))?;
        check(&key)?;
        finish_dry_run(call.dry_run)?;
        Ok((key, material))
    }

    /// `Sign`: a signature with an asymmetric SIGN_VERIFY key.
    pub fn sign(&self, request: SignRequest<'_>) -> Result<SignResponse> {
        self.call(
            "Sign",
            Some(request.key_id),
            |_| {
                params([
                    ("keyId", json!(request.key_id)),
                    ("signingAlgorithm", json!(request.signing_algorithm.map(SigningAlgorithm::as_str))),
                    ("messageType", json!(request.message_type.map(MessageType::as_str))),
                    ("dryRun", dry_run_value(request.dry_run)),
                ])
            },
            || {
                self.maybe_sweep()?;
                let algorithm = required(request.signing_algorithm, "SigningAlgorithm")?;
                let message_type = request.message_type.unwrap_or(MessageType::Raw);
                let call = KeyedCall::signing(Action::Sign, request.key_id, request.message, algorithm, message_type)
                    .tokens(request.grant_tokens, request.dry_run);
                let (key, material) = self.prepare_keyed_call(call, |key| {
                    check_algorithm(key, algorithm, key.key_spec.signing_algorithms())?;
                    asymmetric::check_message(algorithm, message_type, request.message)
                })?;
                let signature = material.parsed()?.sign(key.key_spec, algorithm, message_type, request.message)?;
                Ok(SignResponse { key_id: self.arn(&key.key_id), signature, signing_algorithm: algorithm })
            },
        )
    }

    /// `Verify`: checks a signature; an invalid one is `KMSInvalidSignatureException`.
    pub fn verify(&self, request: VerifyRequest<'_>) -> Result<VerifyResponse> {
        self.call(
            "Verify",
            Some(request.key_id),
            |_| {
                params([
                    ("keyId", json!(request.key_id)),
                    ("signingAlgorithm", json!(request.signing_algorithm.map(SigningAlgorithm::as_str))),
                    ("messageType", json!(request.message_type.map(MessageType::as_str))),
                    ("dryRun", dry_run_value(request.dry_run)),
                ])
            },
            || {
                self.maybe_sweep()?;
                let algorithm = required(request.signing_algorithm, "SigningAlgorithm")?;
                let message_type = request.message_type.unwrap_or(MessageType::Raw);
                let call = KeyedCall::signing(Action::Verify, request.key_id, request.message, algorithm, message_type)
                    .checking(request.signature, "Signature")
                    .tokens(request.grant_tokens, request.dry_run);
                let (key, material) = self.prepare_keyed_call(call, |key| {
                    check_algorithm(key, algorithm, key.key_spec.signing_algorithms())?;
                    asymmetric::check_message(algorithm, message_type, request.message)
                })?;
                material.parsed()?.verify(key.key_spec, algorithm, message_type, request.message, request.signature)?;
                Ok(VerifyResponse {
                    key_id: self.arn(&key.key_id),
                    signature_valid: true,
                    signing_algorithm: algorithm,
                })
            },
        )
    }

    /// `GetPublicKey`: the public key of an asymmetric key, with its spec, usage and algorithms.
    pub fn get_public_key(&self, key_id: &str) -> Result<GetPublicKeyResponse> {
        self.get_public_key_with(GetPublicKeyRequest { key_id, grant_tokens: &[] })
    }

    /// `GetPublicKey` with all of AWS's parameters.
    ///
    /// # Errors
    /// `InvalidGrantTokenException` / `ValidationException` for bad grant tokens (0–10, each
    /// 1–8192 characters), besides the errors of [`Keystead::get_public_key`].
    pub fn get_public_key_with(&self, request: GetPublicKeyRequest<'_>) -> Result<GetPublicKeyResponse> {
        let key_id = request.key_id;
        self.call(
            "GetPublicKey",
            Some(key_id),
            |_| params([("keyId", json!(key_id))]),
            || {
                self.maybe_sweep()?;
                check_grant_tokens(request.grant_tokens)?;
                self.ensure_managed_key(key_id)?;
                let (key, material) = self.read(|txn| {
                    let key = self.resolve(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::GetPublicKey).requested(key_id))?;
                    self.require_usable(&key)?;
                    if matches!(
                        key.key_spec,
                        KeySpec::SymmetricDefault
                            | KeySpec::Hmac224
                            | KeySpec::Hmac256
                            | KeySpec::Hmac384
                            | KeySpec::Hmac512
                    ) {
                        return Err(Error::unsupported(format!(
                            "{} is not an asymmetric key; GetPublicKey needs one.",
                            self.arn(&key.key_id)
                        )));
                    }
                    let material = self.material(txn, &key.key_id, key.current_version)?;
                    Ok((key, material))
                })?;
                let public_key = material.parsed()?.public_key_der()?;
                let list = |usage: KeyUsage| key.key_usage == usage;
                Ok(GetPublicKeyResponse {
                    key_id: self.arn(&key.key_id),
                    public_key,
                    customer_master_key_spec: key.key_spec,
                    key_spec: key.key_spec,
                    key_usage: key.key_usage,
                    encryption_algorithms: list(KeyUsage::EncryptDecrypt)
                        .then(|| key.key_spec.encryption_algorithms().to_vec()),
                    signing_algorithms: list(KeyUsage::SignVerify).then(|| key.key_spec.signing_algorithms().to_vec()),
                    key_agreement_algorithms: list(KeyUsage::KeyAgreement)
                        .then(|| key.key_spec.key_agreement_algorithms().to_vec()),
                })
            },
        )
    }

    /// `DeriveSharedSecret`: raw ECDH between a KEY_AGREEMENT key and a peer public key.
    pub fn derive_shared_secret(&self, request: DeriveSharedSecretRequest<'_>) -> Result<DeriveSharedSecretResponse> {
        self.call(
            "DeriveSharedSecret",
            Some(request.key_id),
            |_| {
                params([
                    ("keyId", json!(request.key_id)),
                    (
                        "keyAgreementAlgorithm",
                        json!(request.key_agreement_algorithm.map(KeyAgreementAlgorithm::as_str)),
                    ),
                    ("dryRun", dry_run_value(request.dry_run)),
                ])
            },
            || {
                self.maybe_sweep()?;
                let algorithm = required(request.key_agreement_algorithm, "KeyAgreementAlgorithm")?;
                if request.public_key.is_empty() || request.public_key.len() > 8192 {
                    return Err(Error::validation("PublicKey must be 1 to 8192 bytes long"));
                }
                let peer = asymmetric::parse_public_key(request.public_key)?;
                self.ensure_managed_key(request.key_id)?;
                check_grant_tokens(request.grant_tokens)?;
                let access = Access::new(Action::DeriveSharedSecret)
                    .requested(request.key_id)
                    .value("kms:KeyAgreementAlgorithm", algorithm.as_str());
                let (key, material) = self.read(|txn| {
                    self.key_for_usage(txn, request.key_id, KeyUsage::KeyAgreement, "DeriveSharedSecret", &access)
                })?;
                finish_dry_run(request.dry_run)?;
                let shared_secret = asymmetric::ecdh(material.parsed()?.private(), &peer)?;
                Ok(DeriveSharedSecretResponse {
                    key_id: self.arn(&key.key_id),
                    shared_secret,
                    key_agreement_algorithm: algorithm,
                    key_origin: key.origin,
                })
            },
        )
    }

    /// `GenerateMac`: an HMAC with a GENERATE_VERIFY_MAC key.
    pub fn generate_mac(&self, request: GenerateMacRequest<'_>) -> Result<GenerateMacResponse> {
        self.call(
            "GenerateMac",
            Some(request.key_id),
            |_| {
                params([
                    ("keyId", json!(request.key_id)),
                    ("macAlgorithm", json!(request.mac_algorithm.map(MacAlgorithm::as_str))),
                    ("dryRun", dry_run_value(request.dry_run)),
                ])
            },
            || {
                self.maybe_sweep()?;
                let algorithm = required(request.mac_algorithm, "MacAlgorithm")?;
                let call = KeyedCall::mac(Action::GenerateMac, request.key_id, request.message, algorithm)
                    .tokens(request.grant_tokens, request.dry_run);
                let (key, material) = self
                    .prepare_keyed_call(call, |key| check_algorithm(key, algorithm, key.key_spec.mac_algorithms()))?;
                let mac = asymmetric::hmac(algorithm, material.expose(), request.message)?;
                Ok(GenerateMacResponse { mac, mac_algorithm: algorithm, key_id: self.arn(&key.key_id) })
            },
        )
    }

    /// `VerifyMac`: checks an HMAC in constant time; a mismatch is `KMSInvalidMacException`.
    pub fn verify_mac(&self, request: VerifyMacRequest<'_>) -> Result<VerifyMacResponse> {
        self.call(
            "VerifyMac",
            Some(request.key_id),
            |_| {
                params([
                    ("keyId", json!(request.key_id)),
                    ("macAlgorithm", json!(request.mac_algorithm.map(MacAlgorithm::as_str))),
                    ("dryRun", dry_run_value(request.dry_run)),
                ])
            },
            || {
                self.maybe_sweep()?;
                let algorithm = required(request.mac_algorithm, "MacAlgorithm")?;
                let call = KeyedCall::mac(Action::VerifyMac, request.key_id, request.message, algorithm)
                    .checking(request.mac, "Mac")
                    .tokens(request.grant_tokens, request.dry_run);
                let (key, material) = self
                    .prepare_keyed_call(call, |key| check_algorithm(key, algorithm, key.key_spec.mac_algorithms()))?;
                asymmetric::verify_hmac(algorithm, material.expose(), request.message, request.mac)?;
                Ok(VerifyMacResponse { key_id: self.arn(&key.key_id), mac_valid: true, mac_algorithm: algorithm })
            },
        )
    }
}
