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
//! key (`BN_clear_free` for RSA and EC, a cleared buffer for Ed25519 and ML-DSA); the Ed25519 and
//! ML-DSA keys of the pure-Rust paths are zeroized on drop.
//!
//! Ed25519 signatures (ED25519_SHA_512 and ED25519_PH_SHA_512) are made by `ed25519-dalek`, not
//! OpenSSL: OpenSSL 3.6's Ed25519 uses the portable ref10 field arithmetic (ten 26/25-bit limbs,
//! no assembly on any platform; its 64-bit and assembly paths serve X25519 only), which made a
//! Sign about 1.5 times slower than `cryptography`'s whole call. curve25519-dalek's fixed-base
//! multiplication uses 64-bit limbs and precomputed tables. Ed25519 is deterministic (RFC 8032),
//! so both produce the same bytes (tested below against OpenSSL). Verify stays with OpenSSL,
//! whose acceptance rules the Wycheproof vectors pin down.

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
    /// For ED25519_SHA_512 signing and ED25519_PH_SHA_512 (zeroized on drop).
    ed25519: OnceLock<ed25519_dalek::SigningKey>,
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
            ed25519: OnceLock::new(),
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

    fn ed25519(&self) -> Result<&ed25519_dalek::SigningKey> {
        get_or_try(&self.ed25519, || ed25519ph::signing_key(&self.private))
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
            (SigningAlgorithm::Ed25519Sha512, _) => {
                Ok(ed25519_dalek::Signer::sign(self.ed25519()?, message).to_bytes().to_vec())
            }
            (SigningAlgorithm::Ed25519PhSha512, _) => ed25519ph::sign(self.ed25519()?, message),
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
            (SigningAlgorithm::Ed25519PhSha512, _) => ed25519ph::verify(self.ed25519()?, message, signature),
            (SigningAlgorithm::MlDsaShake256, MessageType::ExternalMu) => {
                self.ml_dsa(spec)?.verify_mu(message, signature)
            }
            _ => asymmetric::verify(self.public()?, algorithm, message_type, message, signature),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::secret::SecretBytes;

    fn unhex(text: &str) -> Vec<u8> {
        hex::decode(text.split_whitespace().collect::<String>()).unwrap()
    }

    fn ed25519_material(seed: &[u8]) -> SecretBytes {
        let key = PKey::private_key_from_raw_bytes(seed, openssl::pkey::Id::ED25519).unwrap();
        SecretBytes::new(key.private_key_to_pkcs8().unwrap())
    }

    /// RFC 8032 §7.1 tests 1 to 3, signed through the cached key as Sign does.
    #[test]
    fn ed25519_signs_the_rfc8032_section_7_1_vectors() {
        let vectors = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
            (
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            ),
        ];
        for (seed, message, expected) in vectors {
            let parsed = ParsedKey::parse(ed25519_material(&unhex(seed)).expose()).unwrap();
            let message = unhex(message);
            let signature = parsed
                .sign(KeySpec::EccNistEdwards25519, SigningAlgorithm::Ed25519Sha512, MessageType::Raw, &message)
                .unwrap();
            assert_eq!(hex::encode(&signature), expected);
            parsed
                .verify(
                    KeySpec::EccNistEdwards25519,
                    SigningAlgorithm::Ed25519Sha512,
                    MessageType::Raw,
                    &message,
                    &signature,
                )
                .unwrap();
        }
    }

    /// Sign's Ed25519 (ed25519-dalek) and OpenSSL's produce the same bytes: RFC 8032 signatures
    /// are deterministic, so any difference would be a bug in one of them.
    #[test]
    fn ed25519_signatures_are_byte_identical_to_openssl() {
        let (spec, algorithm) = (KeySpec::EccNistEdwards25519, SigningAlgorithm::Ed25519Sha512);
        for round in 0..64usize {
            let material = asymmetric::generate_material(spec).unwrap();
            let parsed = ParsedKey::parse(material.expose()).unwrap();
            let openssl_key = asymmetric::private_key(material.expose()).unwrap();
            for len in [1, 31 + round, 4096 - round * 37] {
                let mut message = vec![0u8; len];
                openssl::rand::rand_bytes(&mut message).unwrap();
                let ours = parsed.sign(spec, algorithm, MessageType::Raw, &message).unwrap();
                let theirs = asymmetric::sign(&openssl_key, algorithm, MessageType::Raw, &message).unwrap();
                assert_eq!(ours, theirs, "key {round}, message of {len} bytes");
                parsed.verify(spec, algorithm, MessageType::Raw, &message, &ours).unwrap();
                message[0] ^= 1;
                let err = parsed.verify(spec, algorithm, MessageType::Raw, &message, &ours).unwrap_err();
                assert_eq!(err.kind(), crate::error::ErrorKind::InvalidSignature);
            }
        }
    }
}
