//! Parsed asymmetric keys, cached beside their decrypted material.
//!
//! Parsing PKCS#8 (and, for EC keys, re-deriving the public point) cost more than the signature
//! itself on every Sign and Verify. A [`ParsedKey`] is built once, on first use, inside the
//! [`CachedMaterial`] it was parsed from, so it follows the material cache's rules exactly:
//! entries are keyed by key id and material version and never change, key state (disabled,
//! pending deletion, pending import, expired material) is read from the key record on every
//! call before the material is used (the record cache serves it only while the store is
//! unchanged, see `store::cache`), and imported material that is deleted or expires evicts the
//! key's entries. Other processes hold their own caches, which are equally keyed by immutable
//! material, so what they cache can never disagree with the store.
//!
//! Dropping the last reference frees the OpenSSL key, whose key management wipes the private
//! key (`BN_clear_free` for RSA and EC, a cleared buffer for Ed25519 and ML-DSA); the Ed25519ph
//! and ML-DSA keys of the pure-Rust paths are zeroized on drop.

use std::sync::OnceLock;

use openssl::pkey::{PKey, Private, Public};

use crate::crypto::asymmetric;
use crate::crypto::ed25519ph;
use crate::crypto::ml_dsa_mu::MlDsaKey;
use crate::error::Result;
use crate::keys::spec::{KeySpec, MessageType, SigningAlgorithm};
use crate::keystead::CachedMaterial;

/// An asymmetric private key parsed from its PKCS#8 material, with what is derived from it
/// lazily.
pub(crate) struct ParsedKey {
    private: PKey<Private>,
    /// DER SubjectPublicKeyInfo.
    public_der: OnceLock<Vec<u8>>,
    /// The public half alone, for Verify.
    public: OnceLock<PKey<Public>>,
    /// For ED25519_PH_SHA_512.
    ed25519ph: OnceLock<ed25519_dalek::SigningKey>,
    /// For ML_DSA_SHAKE_256 with MessageType EXTERNAL_MU.
    ml_dsa: OnceLock<MlDsaKey>,
}

/// `cell`'s value, made by `make` the first time. Two threads may both make it; the loser's
/// copy is dropped (and wiped) and both use the winner's.
fn get_or_try<T>(cell: &OnceLock<T>, make: impl FnOnce() -> Result<T>) -> Result<&T> {
    if let Some(value) = cell.get() {
        return Ok(value);
    }
    let value = make()?;
    Ok(cell.get_or_init(|| value))
}

impl CachedMaterial {
    /// The material parsed as an asymmetric private key, parsed on first use and kept with the
    /// material.
    pub(crate) fn parsed(&self) -> Result<&ParsedKey> {
        get_or_try(&self.parsed, || ParsedKey::parse(self.expose()))
    }
}

impl ParsedKey {
    /// Parses stored PKCS#8 material.
    pub(crate) fn parse(material: &[u8]) -> Result<Self> {
        Ok(Self {
            private: asymmetric::private_key(material)?,
            public_der: OnceLock::new(),
            public: OnceLock::new(),
            ed25519ph: OnceLock::new(),
            ml_dsa: OnceLock::new(),
        })
    }

    /// The OpenSSL private key.
    pub(crate) fn private(&self) -> &PKey<Private> {
        &self.private
    }

    /// The DER SubjectPublicKeyInfo.
    pub(crate) fn public_key_der(&self) -> Result<Vec<u8>> {
        Ok(get_or_try(&self.public_der, || asymmetric::public_key_der(&self.private))?.clone())
    }

    fn public(&self) -> Result<&PKey<Public>> {
        get_or_try(&self.public, || asymmetric::parse_public_key(&self.public_key_der()?))
    }

    fn ed25519ph(&self) -> Result<&ed25519_dalek::SigningKey> {
        get_or_try(&self.ed25519ph, || ed25519ph::signing_key(&self.private))
    }

    fn ml_dsa(&self, spec: KeySpec) -> Result<&MlDsaKey> {
        get_or_try(&self.ml_dsa, || MlDsaKey::from_private(spec, &self.private))
    }

    /// Signs `message` (already checked with [`asymmetric::check_message`]) with this key of
    /// `spec`.
    pub(crate) fn sign(
        &self,
        spec: KeySpec,
        algorithm: SigningAlgorithm,
        message_type: MessageType,
        message: &[u8],
    ) -> Result<Vec<u8>> {
        match (algorithm, message_type) {
            (SigningAlgorithm::Ed25519PhSha512, _) => ed25519ph::sign(self.ed25519ph()?, message),
            (SigningAlgorithm::MlDsaShake256, MessageType::ExternalMu) => self.ml_dsa(spec)?.sign_mu(message),
            _ => asymmetric::sign(&self.private, algorithm, message_type, message),
        }
    }

    /// Verifies `signature`; one that does not verify is KMSInvalidSignatureException.
    pub(crate) fn verify(
        &self,
        spec: KeySpec,
        algorithm: SigningAlgorithm,
        message_type: MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        match (algorithm, message_type) {
            (SigningAlgorithm::Ed25519PhSha512, _) => ed25519ph::verify(self.ed25519ph()?, message, signature),
            (SigningAlgorithm::MlDsaShake256, MessageType::ExternalMu) => {
                self.ml_dsa(spec)?.verify_mu(message, signature)
            }
            _ => asymmetric::verify(self.public()?, algorithm, message_type, message, signature),
        }
    }
}
