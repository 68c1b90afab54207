//! ML-DSA with MessageType EXTERNAL_MU: the caller sends μ (FIPS 204 Algorithm 2 step 6 /
//! Algorithm 3 step 7: μ = SHAKE256(tr ‖ M′, 64) with tr = SHAKE256(pk, 64)) and the signature
//! is ML-DSA.Sign_internal from that μ, so it is the very signature a RAW call over M makes
//! (with an empty context, M′ = 0x00 ‖ 0x00 ‖ M).
//!
//! The safe `openssl` crate cannot pass OpenSSL's ML-DSA `mu` parameter, so the key is expanded
//! here with RustCrypto's `ml-dsa` from the 32-byte FIPS 204 seed ξ that OpenSSL keeps in our
//! PKCS#8 material. Key generation from ξ (ML-DSA.KeyGen_internal) is deterministic, so both
//! libraries derive the same key pair; [`MlDsaKey::from_private`] checks that the public key
//! matches OpenSSL's before the key is used.

use ml_dsa::common::array::Array;
use ml_dsa::signature::rand_core::{TryCryptoRng, TryRng};
use ml_dsa::{MlDsa44, MlDsa65, MlDsa87, MlDsaParams, Signature, SigningKey, VerifyingKey};
use openssl::pkey::{PKey, Private};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::keys::spec::KeySpec;

/// An expanded ML-DSA signing key (zeroized on drop) of one of the three parameter sets.
pub(crate) enum MlDsaKey {
    /// ML_DSA_44.
    L44(Box<SigningKey<MlDsa44>>),
    /// ML_DSA_65.
    L65(Box<SigningKey<MlDsa65>>),
    /// ML_DSA_87.
    L87(Box<SigningKey<MlDsa87>>),
}

/// OpenSSL's random generator, for the hedged signing variant (the one OpenSSL uses for RAW).
struct OpensslRng;

impl TryRng for OpensslRng {
    type Error = openssl::error::ErrorStack;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0u8; 4];
        openssl::rand::rand_priv_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0u8; 8];
        openssl::rand::rand_priv_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        openssl::rand::rand_priv_bytes(dst)
    }
}

impl TryCryptoRng for OpensslRng {}

fn invalid_signature() -> Error {
    Error::new(ErrorKind::InvalidSignature, "The signature is not valid")
}

fn mu_of(mu: &[u8]) -> Result<Array<u8, ml_dsa::common::typenum::U64>> {
    Array::try_from(mu).map_err(|_| Error::validation("An EXTERNAL_MU message must be exactly 64 bytes"))
}

fn sign_with<P: MlDsaParams>(key: &SigningKey<P>, mu: &[u8]) -> Result<Vec<u8>> {
    let signature = key
        .expanded_key()
        .sign_mu_randomized(&mu_of(mu)?, &mut OpensslRng)
        .map_err(|_| Error::internal("ML-DSA signing from mu failed"))?;
    Ok(signature.encode().to_vec())
}

fn verify_with<P: MlDsaParams>(key: &SigningKey<P>, mu: &[u8], signature: &[u8]) -> Result<()> {
    let signature = Signature::<P>::try_from(signature).map_err(|_| invalid_signature())?;
    let verifying: &VerifyingKey<P> = key.as_ref();
    if verifying.verify_mu(&mu_of(mu)?, &signature) {
        Ok(())
    } else {
        Err(invalid_signature())
    }
}

impl MlDsaKey {
    /// Expands the key of `spec` from the seed inside OpenSSL's `key`, and checks that it has
    /// OpenSSL's public key.
    pub(crate) fn from_private(spec: KeySpec, key: &PKey<Private>) -> Result<Self> {
        let seed = Zeroizing::new(
            ml_dsa::Seed::try_from(seed(key)?.as_slice())
                .map_err(|_| Error::new(ErrorKind::CorruptStore, "stored ML-DSA seed has the wrong length"))?,
        );
        let expanded = match spec {
            KeySpec::MlDsa44 => Self::L44(Box::new(SigningKey::from_seed(&seed))),
            KeySpec::MlDsa65 => Self::L65(Box::new(SigningKey::from_seed(&seed))),
            KeySpec::MlDsa87 => Self::L87(Box::new(SigningKey::from_seed(&seed))),
            other => return Err(Error::internal(format!("{other} is not an ML-DSA key spec"))),
        };
        if expanded.public_key() != key.raw_public_key()? {
            return Err(Error::internal("ML-DSA key expansion does not match OpenSSL's public key"));
        }
        Ok(expanded)
    }

    /// The encoded public key (FIPS 204 pkEncode).
    pub(crate) fn public_key(&self) -> Vec<u8> {
        fn encode<P: MlDsaParams>(key: &SigningKey<P>) -> Vec<u8> {
            let verifying: &VerifyingKey<P> = key.as_ref();
            verifying.encode().to_vec()
        }
        match self {
            Self::L44(key) => encode(key),
            Self::L65(key) => encode(key),
            Self::L87(key) => encode(key),
        }
    }

    /// Signs a 64-byte μ (hedged, like OpenSSL's RAW signatures).
    pub(crate) fn sign_mu(&self, mu: &[u8]) -> Result<Vec<u8>> {
        match self {
            Self::L44(key) => sign_with(key, mu),
            Self::L65(key) => sign_with(key, mu),
            Self::L87(key) => sign_with(key, mu),
        }
    }

    /// Verifies a signature over μ; a signature that does not verify (or has the wrong length)
    /// is KMSInvalidSignatureException.
    pub(crate) fn verify_mu(&self, mu: &[u8], signature: &[u8]) -> Result<()> {
        match self {
            Self::L44(key) => verify_with(key, mu, signature),
            Self::L65(key) => verify_with(key, mu, signature),
            Self::L87(key) => verify_with(key, mu, signature),
        }
    }
}

/// The FIPS 204 seed ξ of an OpenSSL ML-DSA key, in a buffer wiped on drop.
#[cfg(ossl350)]
fn seed(key: &PKey<Private>) -> Result<Zeroizing<Vec<u8>>> {
    let mut seed = Zeroizing::new(vec![0u8; 32]);
    let len = key
        .seed_into(&mut seed)
        .map_err(|_| Error::unsupported("EXTERNAL_MU needs an ML-DSA key stored with its seed"))?;
    seed.truncate(len);
    Ok(seed)
}

#[cfg(not(ossl350))]
fn seed(_key: &PKey<Private>) -> Result<Zeroizing<Vec<u8>>> {
    Err(Error::unsupported("ML-DSA is not supported by this Keystead build"))
}
