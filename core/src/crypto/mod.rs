//! Cryptography: primitives over OpenSSL, the encryption-context encoding, the symmetric
//! ciphertext format, and the symmetric operations (Encrypt, Decrypt, ReEncrypt, data keys,
//! GenerateRandom).

pub(crate) mod asymmetric;
pub mod ciphertext;
pub mod context;
mod ed25519ph;
mod ml_dsa_mu;
pub(crate) mod parsed;
pub(crate) mod primitives;
pub mod signing;
pub mod symmetric;
#[cfg(test)]
mod wycheproof_tests;
