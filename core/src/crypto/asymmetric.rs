//! Asymmetric and MAC primitives over OpenSSL: key generation for every supported KeySpec,
//! signatures (RSA PKCS#1 v1.5 and PSS, ECDSA, Ed25519, ML-DSA), RSA-OAEP, ECDH and HMAC.
//!
//! Asymmetric key material is kept as a DER PKCS#8 `PrivateKeyInfo` (RFC 5958); HMAC material
//! is the raw key. Public keys leave as DER `SubjectPublicKeyInfo` (RFC 5280).

use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::md::Md;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use zeroize::Zeroizing;

use crate::crypto::primitives::{constant_time_eq, random_secret};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::spec::{EncryptionAlgorithm, KeySpec, MacAlgorithm, MessageType, SigningAlgorithm};
use crate::secret::SecretBytes;

fn unsupported_spec(spec: KeySpec) -> Error {
    Error::unsupported(format!("KeySpec {spec} is not supported by this Keystead build"))
}

fn curve(spec: KeySpec) -> Option<Nid> {
    match spec {
        KeySpec::EccNistP256 => Some(Nid::X9_62_PRIME256V1),
        KeySpec::EccNistP384 => Some(Nid::SECP384R1),
        KeySpec::EccNistP521 => Some(Nid::SECP521R1),
        KeySpec::EccSecgP256k1 => Some(Nid::SECP256K1),
        _ => None,
    }
}

fn hmac_len(spec: KeySpec) -> Option<usize> {
    match spec {
        KeySpec::Hmac224 => Some(28),
        KeySpec::Hmac256 => Some(32),
        KeySpec::Hmac384 => Some(48),
        KeySpec::Hmac512 => Some(64),
        _ => None,
    }
}

fn pkcs8(key: &PKey<Private>) -> Result<SecretBytes> {
    Ok(SecretBytes::new(key.private_key_to_pkcs8()?))
}

/// Generates new key material for `spec` (32 random bytes for SYMMETRIC_DEFAULT, a random
/// HMAC key of the digest's length, or a private key as PKCS#8 DER).
pub(crate) fn generate_material(spec: KeySpec) -> Result<SecretBytes> {
    if spec == KeySpec::SymmetricDefault {
        return random_secret(32);
    }
    if let Some(len) = hmac_len(spec) {
        return random_secret(len);
    }
    if let Some(nid) = curve(spec) {
        let group = EcGroup::from_curve_name(nid)?;
        return pkcs8(&PKey::from_ec_key(EcKey::generate(&group)?)?);
    }
    match spec {
        KeySpec::Rsa2048 => pkcs8(&PKey::from_rsa(Rsa::generate(2048)?)?),
        KeySpec::Rsa3072 => pkcs8(&PKey::from_rsa(Rsa::generate(3072)?)?),
        KeySpec::Rsa4096 => pkcs8(&PKey::from_rsa(Rsa::generate(4096)?)?),
        KeySpec::EccNistEdwards25519 => pkcs8(&PKey::generate_ed25519()?),
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => ml_dsa::generate(spec),
        _ => Err(unsupported_spec(spec)),
    }
}

/// True when this build can create keys of `spec`.
pub(crate) fn is_supported(spec: KeySpec) -> bool {
    match spec {
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => ml_dsa::AVAILABLE,
        KeySpec::Sm2 | KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => false,
        _ => true,
    }
}

/// Parses stored asymmetric material.
pub(crate) fn private_key(material: &[u8]) -> Result<PKey<Private>> {
    PKey::private_key_from_pkcs8(material)
        .map_err(|_| Error::new(ErrorKind::CorruptStore, "stored private key material cannot be parsed"))
}

/// The DER SubjectPublicKeyInfo of a private key.
pub(crate) fn public_key_der(key: &PKey<Private>) -> Result<Vec<u8>> {
    Ok(key.public_key_to_der()?)
}

/// Parses a caller's DER SubjectPublicKeyInfo.
pub(crate) fn parse_public_key(der: &[u8]) -> Result<PKey<Public>> {
    PKey::public_key_from_der(der)
        .map_err(|_| Error::validation("PublicKey is not a DER-encoded X.509 SubjectPublicKeyInfo"))
}

fn digest_of(algorithm: SigningAlgorithm) -> Option<MessageDigest> {
    use SigningAlgorithm::*;
    match algorithm {
        RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 => Some(MessageDigest::sha256()),
        RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(MessageDigest::sha384()),
        RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 | Ed25519PhSha512 => Some(MessageDigest::sha512()),
        Ed25519Sha512 | MlDsaShake256 | Sm2dsa => None,
    }
}

fn md_of(algorithm: SigningAlgorithm) -> Option<&'static openssl::md::MdRef> {
    use SigningAlgorithm::*;
    match algorithm {
        RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 => Some(Md::sha256()),
        RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(Md::sha384()),
        RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 | Ed25519PhSha512 => Some(Md::sha512()),
        Ed25519Sha512 | MlDsaShake256 | Sm2dsa => None,
    }
}

fn is_pss(algorithm: SigningAlgorithm) -> bool {
    matches!(
        algorithm,
        SigningAlgorithm::RsassaPssSha256 | SigningAlgorithm::RsassaPssSha384 | SigningAlgorithm::RsassaPssSha512
    )
}

/// Checks that `message_type` and the message length suit `algorithm` (AWS's rules).
pub(crate) fn check_message(algorithm: SigningAlgorithm, message_type: MessageType, message: &[u8]) -> Result<()> {
    if message.is_empty() || message.len() > 4096 {
        return Err(Error::validation(format!("Message must be 1 to 4096 bytes long; got {}", message.len())));
    }
    match (algorithm, message_type) {
        (SigningAlgorithm::Ed25519Sha512, MessageType::Raw) | (SigningAlgorithm::MlDsaShake256, MessageType::Raw) => {
            Ok(())
        }
        (SigningAlgorithm::Ed25519Sha512, _) => Err(Error::new(
            ErrorKind::InvalidKeyUsage,
            "ED25519_SHA_512 signs only MessageType RAW; use ED25519_PH_SHA_512 for digests",
        )),
        (SigningAlgorithm::Ed25519PhSha512, MessageType::Raw) => Err(Error::new(
            ErrorKind::InvalidKeyUsage,
            "ED25519_PH_SHA_512 signs only MessageType DIGEST; use ED25519_SHA_512 for raw messages",
        )),
        (SigningAlgorithm::MlDsaShake256, MessageType::ExternalMu) => {
            if message.len() != 64 {
                return Err(Error::validation("An EXTERNAL_MU message must be exactly 64 bytes"));
            }
            Ok(())
        }
        (_, MessageType::ExternalMu) => {
            Err(Error::new(ErrorKind::InvalidKeyUsage, "MessageType EXTERNAL_MU is only valid with ML_DSA_SHAKE_256"))
        }
        (_, MessageType::Digest) => {
            let expected = algorithm.digest_len().unwrap_or(0);
            if message.len() != expected {
                return Err(Error::validation(format!(
                    "A DIGEST message for {algorithm} must be {expected} bytes; got {}",
                    message.len()
                )));
            }
            Ok(())
        }
        (_, MessageType::Raw) => Ok(()),
    }
}

fn not_in_this_build(what: &str) -> Error {
    Error::unsupported(format!("{what} is not supported by this Keystead build yet"))
}

/// ED25519_PH_SHA_512 and ML-DSA's EXTERNAL_MU need OpenSSL parameters the safe `openssl` crate
/// cannot set; [`crate::crypto::parsed::ParsedKey`] signs and verifies them without OpenSSL.
fn not_through_openssl() -> Error {
    Error::internal("ED25519_PH_SHA_512 and EXTERNAL_MU are not signed through OpenSSL")
}

/// Signs `message` (already checked with [`check_message`]) with OpenSSL: every algorithm and
/// message type except ED25519_PH_SHA_512 and EXTERNAL_MU. Sign itself makes ED25519_SHA_512
/// signatures with ed25519-dalek (faster, see `parsed`); OpenSSL's stays as the reference the
/// tests compare them with, byte for byte.
pub(crate) fn sign(
    key: &PKey<Private>,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
) -> Result<Vec<u8>> {
    match (algorithm, message_type) {
        (SigningAlgorithm::Ed25519Sha512, _) => Ok(Signer::new_without_digest(key)?.sign_oneshot_to_vec(message)?),
        (SigningAlgorithm::MlDsaShake256, MessageType::Raw) => {
            Ok(Signer::new_without_digest(key)?.sign_oneshot_to_vec(message)?)
        }
        (SigningAlgorithm::MlDsaShake256, _) | (SigningAlgorithm::Ed25519PhSha512, _) => Err(not_through_openssl()),
        (_, MessageType::Raw) => {
            let digest = digest_of(algorithm).ok_or_else(|| not_in_this_build(algorithm.as_str()))?;
            let mut signer = Signer::new(digest, key)?;
            if is_pss(algorithm) {
                signer.set_rsa_padding(Padding::PKCS1_PSS)?;
                signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                signer.set_rsa_mgf1_md(digest)?;
            } else if key.id() == Id::RSA {
                signer.set_rsa_padding(Padding::PKCS1)?;
            }
            Ok(signer.sign_oneshot_to_vec(message)?)
        }
        (_, _) => {
            let md = md_of(algorithm).ok_or_else(|| not_in_this_build(algorithm.as_str()))?;
            let mut ctx = PkeyCtx::new(key)?;
            ctx.sign_init()?;
            configure_digest_ctx(&mut ctx, key.id(), algorithm, md)?;
            let mut signature = Vec::new();
            ctx.sign_to_vec(message, &mut signature)?;
            Ok(signature)
        }
    }
}

fn configure_digest_ctx<T>(
    ctx: &mut PkeyCtx<T>,
    id: Id,
    algorithm: SigningAlgorithm,
    md: &openssl::md::MdRef,
) -> Result<()> {
    if id == Id::RSA {
        if is_pss(algorithm) {
            ctx.set_rsa_padding(Padding::PKCS1_PSS)?;
            ctx.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
            ctx.set_rsa_mgf1_md(md)?;
        } else {
            ctx.set_rsa_padding(Padding::PKCS1)?;
        }
    }
    ctx.set_signature_md(md)?;
    Ok(())
}

/// Verifies `signature` with OpenSSL (not ED25519_PH_SHA_512 or EXTERNAL_MU); a signature that
/// does not verify (or is malformed) is KMSInvalidSignatureException.
pub(crate) fn verify<T: openssl::pkey::HasPublic>(
    key: &PKey<T>,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    let verdict: Result<bool, openssl::error::ErrorStack> = match (algorithm, message_type) {
        (SigningAlgorithm::Ed25519Sha512, _) | (SigningAlgorithm::MlDsaShake256, MessageType::Raw) => {
            Verifier::new_without_digest(key).and_then(|mut v| v.verify_oneshot(signature, message))
        }
        (SigningAlgorithm::MlDsaShake256, _) | (SigningAlgorithm::Ed25519PhSha512, _) => {
            return Err(not_through_openssl())
        }
        (_, MessageType::Raw) => {
            let digest = digest_of(algorithm).ok_or_else(|| not_in_this_build(algorithm.as_str()))?;
            (|| {
                let mut verifier = Verifier::new(digest, key)?;
                if is_pss(algorithm) {
                    verifier.set_rsa_padding(Padding::PKCS1_PSS)?;
                    verifier.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                    verifier.set_rsa_mgf1_md(digest)?;
                } else if key.id() == Id::RSA {
                    verifier.set_rsa_padding(Padding::PKCS1)?;
                }
                verifier.verify_oneshot(signature, message)
            })()
        }
        (_, _) => {
            let md = md_of(algorithm).ok_or_else(|| not_in_this_build(algorithm.as_str()))?;
            let mut ctx = PkeyCtx::new(key)?;
            ctx.verify_init()?;
            configure_digest_ctx(&mut ctx, key.id(), algorithm, md)?;
            ctx.verify(message, signature)
        }
    };
    match verdict {
        Ok(true) => Ok(()),
        // OpenSSL reports malformed signatures as errors; both mean "does not verify".
        Ok(false) | Err(_) => Err(Error::new(ErrorKind::InvalidSignature, "The signature is not valid")),
    }
}

/// The largest plaintext RSA-OAEP takes for a key of `modulus_bytes` bytes:
/// key bytes − 2 × hash bytes − 2.
pub(crate) fn rsa_oaep_max_plaintext(modulus_bytes: usize, algorithm: EncryptionAlgorithm) -> usize {
    let hash = if algorithm == EncryptionAlgorithm::RsaesOaepSha1 { 20 } else { 32 };
    modulus_bytes.saturating_sub(2 * hash + 2)
}

fn oaep_md(algorithm: EncryptionAlgorithm) -> Result<&'static openssl::md::MdRef> {
    match algorithm {
        EncryptionAlgorithm::RsaesOaepSha1 => Ok(Md::sha1()),
        EncryptionAlgorithm::RsaesOaepSha256 => Ok(Md::sha256()),
        other => Err(Error::new(ErrorKind::InvalidKeyUsage, format!("{other} is not an RSA encryption algorithm"))),
    }
}

/// RSA-OAEP encryption (MGF1 with the same hash, empty label).
pub(crate) fn rsa_oaep_encrypt<T: openssl::pkey::HasPublic>(
    key: &PKey<T>,
    algorithm: EncryptionAlgorithm,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let md = oaep_md(algorithm)?;
    let mut ctx = PkeyCtx::new(key)?;
    ctx.encrypt_init()?;
    ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
    ctx.set_rsa_oaep_md(md)?;
    ctx.set_rsa_mgf1_md(md)?;
    let mut out = Vec::new();
    ctx.encrypt_to_vec(plaintext, &mut out)?;
    Ok(out)
}

/// RSA-OAEP decryption; any failure is InvalidCiphertextException.
pub(crate) fn rsa_oaep_decrypt(
    key: &PKey<Private>,
    algorithm: EncryptionAlgorithm,
    ciphertext: &[u8],
) -> Result<SecretBytes> {
    let md = oaep_md(algorithm)?;
    let attempt = || -> Result<SecretBytes, openssl::error::ErrorStack> {
        let mut ctx = PkeyCtx::new(key)?;
        ctx.decrypt_init()?;
        ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
        ctx.set_rsa_oaep_md(md)?;
        ctx.set_rsa_mgf1_md(md)?;
        let mut out = Zeroizing::new(Vec::new());
        ctx.decrypt_to_vec(ciphertext, &mut out)?;
        Ok(SecretBytes::new(std::mem::take(&mut *out)))
    };
    attempt().map_err(|_| Error::invalid_ciphertext())
}

/// Raw ECDH shared secret between `key` and the peer's public key (same curve).
pub(crate) fn ecdh(key: &PKey<Private>, peer: &PKey<Public>) -> Result<SecretBytes> {
    let same_curve = match (key.ec_key(), peer.ec_key()) {
        (Ok(ours), Ok(theirs)) => ours.group().curve_name() == theirs.group().curve_name(),
        _ => false,
    };
    if !same_curve {
        return Err(Error::validation("PublicKey must be an elliptic-curve key on the same curve as the KMS key"));
    }
    let mut deriver = openssl::derive::Deriver::new(key)?;
    deriver.set_peer(peer).map_err(|_| Error::validation("PublicKey is not a valid point on the key's curve"))?;
    let mut out = Zeroizing::new(deriver.derive_to_vec()?);
    Ok(SecretBytes::new(std::mem::take(&mut *out)))
}

fn mac_digest(algorithm: MacAlgorithm) -> MessageDigest {
    match algorithm {
        MacAlgorithm::HmacSha224 => MessageDigest::sha224(),
        MacAlgorithm::HmacSha256 => MessageDigest::sha256(),
        MacAlgorithm::HmacSha384 => MessageDigest::sha384(),
        MacAlgorithm::HmacSha512 => MessageDigest::sha512(),
    }
}

/// HMAC (RFC 2104) of `message` under `key`.
pub(crate) fn hmac(algorithm: MacAlgorithm, key: &[u8], message: &[u8]) -> Result<Vec<u8>> {
    let pkey = PKey::hmac(key)?;
    Ok(Signer::new(mac_digest(algorithm), &pkey)?.sign_oneshot_to_vec(message)?)
}

/// Verifies an HMAC in constant time; a mismatch is KMSInvalidMacException.
pub(crate) fn verify_hmac(algorithm: MacAlgorithm, key: &[u8], message: &[u8], mac: &[u8]) -> Result<()> {
    let expected = hmac(algorithm, key, message)?;
    if constant_time_eq(&expected, mac) {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::InvalidMac, "The MAC is not valid"))
    }
}

/// A fresh key pair of `spec`: the private key as PKCS#8 DER and the public key as SPKI DER.
pub(crate) fn generate_pair(spec: KeySpec) -> Result<(SecretBytes, Vec<u8>)> {
    if hmac_len(spec).is_some() || spec == KeySpec::SymmetricDefault || !is_supported(spec) {
        return Err(unsupported_spec(spec));
    }
    let material = generate_material(spec)?;
    let public = public_key_der(&private_key(material.expose())?)?;
    Ok((material, public))
}

/// A new RSA wrapping key pair for GetParametersForImport: (PKCS#8 private key, SPKI public key).
pub(crate) fn generate_wrapping_key(bits: u32) -> Result<(SecretBytes, Vec<u8>)> {
    let key = PKey::from_rsa(Rsa::generate(bits)?)?;
    Ok((pkcs8(&key)?, key.public_key_to_der()?))
}

/// Unwraps imported key material.
///
/// - `RSAES_OAEP_SHA_*`: the material is RSA-OAEP encrypted (MGF1 with the same hash).
/// - `RSA_AES_KEY_WRAP_SHA_*`: the first modulus-length bytes are an ephemeral AES-256 key,
///   RSA-OAEP encrypted; the rest is the material wrapped with AES key wrap with padding
///   (RFC 5649) under that key — AWS's documented procedure.
///
/// Any failure is InvalidCiphertextException.
pub(crate) fn unwrap_imported_material(
    wrapping_key: &PKey<Private>,
    algorithm: crate::keys::spec::WrappingAlgorithm,
    wrapped: &[u8],
) -> Result<SecretBytes> {
    use crate::keys::spec::WrappingAlgorithm as W;
    let oaep = |hash: EncryptionAlgorithm, data: &[u8]| rsa_oaep_decrypt(wrapping_key, hash, data);
    match algorithm {
        W::RsaesOaepSha1 => oaep(EncryptionAlgorithm::RsaesOaepSha1, wrapped),
        W::RsaesOaepSha256 => oaep(EncryptionAlgorithm::RsaesOaepSha256, wrapped),
        W::RsaAesKeyWrapSha1 | W::RsaAesKeyWrapSha256 => {
            let hash = if algorithm == W::RsaAesKeyWrapSha1 {
                EncryptionAlgorithm::RsaesOaepSha1
            } else {
                EncryptionAlgorithm::RsaesOaepSha256
            };
            let modulus = wrapping_key.size();
            if wrapped.len() <= modulus {
                return Err(Error::invalid_ciphertext());
            }
            let (wrapped_key, wrapped_material) = wrapped.split_at(modulus);
            let aes_key = oaep(hash, wrapped_key)?;
            if aes_key.len() != 32 {
                return Err(Error::invalid_ciphertext());
            }
            aes_kwp_unwrap(aes_key.expose(), wrapped_material).ok_or_else(Error::invalid_ciphertext)
        }
        W::RsaesPkcs1V15 | W::Sm2pke => Err(Error::unsupported(format!(
            "WrappingAlgorithm {algorithm} is not supported; use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256"
        ))),
    }
}

/// AES-256 key wrap with padding (RFC 5649) unwrap; `None` if the integrity check fails.
fn aes_kwp_unwrap(key: &[u8], wrapped: &[u8]) -> Option<SecretBytes> {
    use openssl::cipher::Cipher;
    use openssl::cipher_ctx::{CipherCtx, CipherCtxFlags};
    let mut ctx = CipherCtx::new().ok()?;
    ctx.set_flags(CipherCtxFlags::FLAG_WRAP_ALLOW);
    ctx.decrypt_init(Some(Cipher::aes_256_wrap_pad()), Some(key), None).ok()?;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len() + 16]);
    let written = ctx.cipher_update(wrapped, Some(&mut out)).ok()?;
    let finished = ctx.cipher_final(&mut out[written..]).ok()?;
    out.truncate(written + finished);
    Some(SecretBytes::new(std::mem::take(&mut *out)))
}

/// Checks that imported `material` fits `spec` and returns it in the form Keystead stores
/// (raw bytes for symmetric and HMAC keys, PKCS#8 DER for asymmetric ones). Material of the
/// wrong kind or size is IncorrectKeyMaterialException.
pub(crate) fn normalize_imported_material(spec: KeySpec, material: SecretBytes) -> Result<SecretBytes> {
    let incorrect = |why: &str| {
        Error::new(ErrorKind::IncorrectKeyMaterial, format!("The key material is not valid for KeySpec {spec}: {why}"))
    };
    let len = material.len();
    let hmac_range = match spec {
        KeySpec::SymmetricDefault => {
            return if len == 32 { Ok(material) } else { Err(incorrect("a symmetric key must be 32 bytes")) };
        }
        KeySpec::Hmac224 => Some(28..=64),
        KeySpec::Hmac256 => Some(32..=64),
        KeySpec::Hmac384 => Some(48..=128),
        KeySpec::Hmac512 => Some(64..=128),
        _ => None,
    };
    if let Some(range) = hmac_range {
        return if range.contains(&len) {
            Ok(material)
        } else {
            Err(incorrect(&format!("an HMAC key for this spec must be {} to {} bytes", range.start(), range.end())))
        };
    }
    let key = PKey::private_key_from_pkcs8(material.expose())
        .or_else(|_| PKey::private_key_from_der(material.expose()))
        .map_err(|_| incorrect("asymmetric material must be a DER PKCS#8 private key"))?;
    let fits = match spec {
        KeySpec::Rsa2048 => key.rsa().is_ok_and(|r| r.size() == 256),
        KeySpec::Rsa3072 => key.rsa().is_ok_and(|r| r.size() == 384),
        KeySpec::Rsa4096 => key.rsa().is_ok_and(|r| r.size() == 512),
        KeySpec::EccNistEdwards25519 => key.id() == Id::ED25519,
        other => match curve(other) {
            Some(nid) => key.ec_key().is_ok_and(|k| k.group().curve_name() == Some(nid) && k.check_key().is_ok()),
            None => false,
        },
    };
    if !fits {
        return Err(incorrect("the private key is of another type or size"));
    }
    pkcs8(&key)
}

/// The KeyMaterialId of imported material: derived from the key id and the material, so the
/// same material always gets the same id (as in AWS) and reveals nothing about it.
pub(crate) fn imported_material_id(key_id: &str, material: &[u8]) -> String {
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(b"keystead/imported-key-material-id/v1\0");
    hasher.update(key_id.as_bytes());
    hasher.update(b"\0");
    hasher.update(material);
    hasher.finish().iter().map(|b| format!("{b:02x}")).collect()
}

/// ML-DSA through OpenSSL 3.5+ (the vendored build); absent when linking an older OpenSSL.
#[cfg(ossl350)]
mod ml_dsa {
    use openssl::pkey::{KeyType, PKey};

    use super::{pkcs8, unsupported_spec};
    use crate::crypto::primitives::random_secret;
    use crate::error::Result;
    use crate::keys::spec::KeySpec;
    use crate::secret::SecretBytes;

    pub(super) const AVAILABLE: bool = true;

    pub(super) fn generate(spec: KeySpec) -> Result<SecretBytes> {
        let key_type = match spec {
            KeySpec::MlDsa44 => KeyType::ML_DSA_44,
            KeySpec::MlDsa65 => KeyType::ML_DSA_65,
            KeySpec::MlDsa87 => KeyType::ML_DSA_87,
            _ => return Err(unsupported_spec(spec)),
        };
        let seed = random_secret(32)?;
        pkcs8(&PKey::private_key_from_seed(None, key_type, None, seed.expose())?)
    }
}

#[cfg(not(ossl350))]
mod ml_dsa {
    use super::unsupported_spec;
    use crate::error::Result;
    use crate::keys::spec::KeySpec;
    use crate::secret::SecretBytes;

    pub(super) const AVAILABLE: bool = false;

    pub(super) fn generate(spec: KeySpec) -> Result<SecretBytes> {
        Err(unsupported_spec(spec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    // RFC 4231, test case 2 ("Jefe", "what do ya want for nothing?").
    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let message = b"what do ya want for nothing?";
        assert_eq!(
            hex(&hmac(MacAlgorithm::HmacSha256, b"Jefe", message).unwrap()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac(MacAlgorithm::HmacSha224, b"Jefe", message).unwrap()),
            "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"
        );
        let mac = hmac(MacAlgorithm::HmacSha512, b"Jefe", message).unwrap();
        assert!(verify_hmac(MacAlgorithm::HmacSha512, b"Jefe", message, &mac).is_ok());
        let mut bad = mac;
        bad[63] ^= 1;
        assert_eq!(
            verify_hmac(MacAlgorithm::HmacSha512, b"Jefe", message, &bad).unwrap_err().kind(),
            ErrorKind::InvalidMac
        );
    }

    #[test]
    fn rsa_oaep_round_trip_and_limits() {
        let material = generate_material(KeySpec::Rsa2048).unwrap();
        let key = private_key(material.expose()).unwrap();
        for (algorithm, max) in [(EncryptionAlgorithm::RsaesOaepSha1, 214), (EncryptionAlgorithm::RsaesOaepSha256, 190)]
        {
            assert_eq!(rsa_oaep_max_plaintext(256, algorithm), max);
            let ciphertext = rsa_oaep_encrypt(&key, algorithm, &vec![7u8; max]).unwrap();
            assert_eq!(rsa_oaep_decrypt(&key, algorithm, &ciphertext).unwrap().expose(), vec![7u8; max]);
            assert!(rsa_oaep_encrypt(&key, algorithm, &vec![7u8; max + 1]).is_err());
            let mut bad = ciphertext;
            bad[10] ^= 1;
            assert_eq!(rsa_oaep_decrypt(&key, algorithm, &bad).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
        }
        assert_eq!(rsa_oaep_max_plaintext(384, EncryptionAlgorithm::RsaesOaepSha256), 318);
        assert_eq!(rsa_oaep_max_plaintext(512, EncryptionAlgorithm::RsaesOaepSha1), 470);
    }
}
