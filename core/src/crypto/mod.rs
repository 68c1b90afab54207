//! Cryptography: primitives over OpenSSL, the encryption-context encoding, the symmetric
//! ciphertext format, and the symmetric operations (Encrypt, Decrypt, ReEncrypt, data keys,
//! GenerateRandom).

pub mod ciphertext;
pub mod context;
pub(crate) mod primitives;
pub mod symmetric;
