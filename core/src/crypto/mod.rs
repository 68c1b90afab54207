//! Cryptography: primitives over OpenSSL, the encryption-context encoding, the symmetric
//! ciphertext format, and the symmetric operations (Encrypt, Decrypt, ReEncrypt, data keys,
//! GenerateRandom).

pub(crate) mod asymmetric;
pub mod ciphertext;
pub mod context;
pub(crate) mod primitives;
pub mod signing;
pub mod symmetric;
#[cfg(test)]
mod wycheproof_tests;
