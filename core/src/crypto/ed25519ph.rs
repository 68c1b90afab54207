//! ED25519_PH_SHA_512: Ed25519ph (RFC 8032 §5.1, `phflag` 1, empty context) over a caller's
//! SHA-512 digest.
//!
//! AWS KMS takes a 64-byte digest (MessageType DIGEST only) and still applies the Ed25519ph
//! prehash to it, so the signature is `Ed25519ph(D)` = `Ed25519(dom2(1, "") ‖ SHA-512(D))`: the
//! caller's message is hashed twice. The safe `openssl` crate cannot select OpenSSL's Ed25519ph
//! instance (an `OSSL_PARAM` on the signature context), so the signing key is rebuilt here from
//! the 32-byte seed that OpenSSL keeps in our PKCS#8 material.

use ed25519_dalek::{Digest, Sha512, Signature, SigningKey};
use openssl::pkey::{Id, PKey, Private};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};

/// The signing key of an Ed25519 private key (its seed is wiped when the key is dropped).
pub(crate) fn signing_key(key: &PKey<Private>) -> Result<SigningKey> {
    if key.id() != Id::ED25519 {
        return Err(Error::internal("ED25519_PH_SHA_512 needs an Ed25519 key"));
    }
    let raw = Zeroizing::new(key.raw_private_key()?);
    let seed: &[u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| Error::new(ErrorKind::CorruptStore, "stored Ed25519 private key has the wrong length"))?;
    Ok(SigningKey::from_bytes(seed))
}

fn prehash(digest: &[u8]) -> Sha512 {
    let mut hasher = Sha512::new();
    hasher.update(digest);
    hasher
}

/// Signs `digest` (already checked to be 64 bytes) with Ed25519ph and an empty context.
pub(crate) fn sign(key: &SigningKey, digest: &[u8]) -> Result<Vec<u8>> {
    let signature =
        key.sign_prehashed(prehash(digest), None).map_err(|_| Error::internal("Ed25519ph signing failed"))?;
    Ok(signature.to_bytes().to_vec())
}

/// Verifies an Ed25519ph signature over `digest`; anything that does not verify (including a
/// signature of the wrong length or with a non-canonical scalar) is KMSInvalidSignatureException.
pub(crate) fn verify(key: &SigningKey, digest: &[u8], signature: &[u8]) -> Result<()> {
    let invalid = || Error::new(ErrorKind::InvalidSignature, "The signature is not valid");
    let signature = Signature::from_slice(signature).map_err(|_| invalid())?;
    key.verifying_key().verify_prehashed(prehash(digest), None, &signature).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        hex::decode(text.split_whitespace().collect::<String>()).unwrap()
    }

    /// RFC 8032 §7.3, test 1 ("Ed25519ph", message "abc"). Ed25519ph signs SHA-512 of its
    /// input, so KMS's DIGEST input that reproduces the vector is the message "abc" itself:
    /// `sign(D)` here is Ed25519ph over D.
    #[test]
    fn rfc8032_section_7_3_ed25519ph_vector() {
        let secret = unhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42");
        let public = unhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf");
        let expected = unhex(
            "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41
             31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406",
        );
        let key = PKey::private_key_from_raw_bytes(&secret, Id::ED25519).unwrap();
        let signing = signing_key(&key).unwrap();
        assert_eq!(signing.verifying_key().to_bytes().to_vec(), public);
        assert_eq!(key.raw_public_key().unwrap(), public);
        let signature = sign(&signing, b"abc").unwrap();
        assert_eq!(signature, expected);
        verify(&signing, b"abc", &signature).unwrap();
        assert_eq!(verify(&signing, b"abd", &signature).unwrap_err().kind(), ErrorKind::InvalidSignature);
        let mut tampered = signature.clone();
        tampered[0] ^= 1;
        assert_eq!(verify(&signing, b"abc", &tampered).unwrap_err().kind(), ErrorKind::InvalidSignature);
        assert_eq!(verify(&signing, b"abc", &signature[..63]).unwrap_err().kind(), ErrorKind::InvalidSignature);
        // Ed25519ph is not pure Ed25519 over the same bytes: OpenSSL's ED25519 rejects it.
        let mut verifier = openssl::sign::Verifier::new_without_digest(&key).unwrap();
        assert!(!verifier.verify_oneshot(&signature, b"abc").unwrap_or(false));
    }

    #[test]
    fn only_ed25519_keys_have_an_ed25519ph_signing_key() {
        let ec = PKey::from_ec_key(
            openssl::ec::EcKey::generate(
                &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(signing_key(&ec).unwrap_err().kind(), ErrorKind::Internal);
    }
}
