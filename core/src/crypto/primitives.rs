//! The only module that calls OpenSSL for symmetric primitives: AES-256-GCM, HKDF, scrypt,
//! random bytes. Everything else in the core goes through these functions.

use openssl::md::Md;
use openssl::pkey::Id;
use openssl::pkey_ctx::PkeyCtx;
use openssl::symm::{Cipher, Crypter, Mode};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::SecretBytes;

/// AES-256 key length.
pub(crate) const AES_256_KEY_LEN: usize = 32;
/// GCM nonce length (96 bits, the only length Keystead uses).
pub(crate) const GCM_NONCE_LEN: usize = 12;
/// GCM tag length (128 bits).
pub(crate) const GCM_TAG_LEN: usize = 16;

/// Fills a fresh buffer with `len` bytes from OpenSSL's CSPRNG.
pub(crate) fn random_bytes(len: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; len];
    openssl::rand::rand_bytes(&mut out)?;
    Ok(out)
}

/// `len` random bytes meant to stay secret (key material, data keys), from OpenSSL's private
/// DRBG so that they never share a generator with public values such as nonces.
pub(crate) fn random_secret(len: usize) -> Result<SecretBytes> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    openssl::rand::rand_priv_bytes(&mut out)?;
    Ok(SecretBytes::new(std::mem::take(&mut *out)))
}

/// AES-256-GCM encryption; returns `ciphertext || tag`.
pub(crate) fn aes_gcm_seal(key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    debug_assert_eq!(key.len(), AES_256_KEY_LEN);
    debug_assert_eq!(nonce.len(), GCM_NONCE_LEN);
    let mut crypter = Crypter::new(Cipher::aes_256_gcm(), Mode::Encrypt, key, Some(nonce))?;
    crypter.aad_update(aad)?;
    let mut out = vec![0u8; plaintext.len() + GCM_TAG_LEN];
    let written = crypter.update(plaintext, &mut out)?;
    let finished = crypter.finalize(&mut out[written..])?;
    out.truncate(written + finished);
    let mut tag = [0u8; GCM_TAG_LEN];
    crypter.get_tag(&mut tag)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// AES-256-GCM decryption of `ciphertext || tag`. The plaintext is released only after the tag
/// verifies; on failure the scratch buffer is zeroized and the caller gets `None`, which it turns
/// into its own error without detail.
pub(crate) fn aes_gcm_open(key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Option<SecretBytes> {
    if sealed.len() < GCM_TAG_LEN || key.len() != AES_256_KEY_LEN || nonce.len() != GCM_NONCE_LEN {
        return None;
    }
    let (ciphertext, tag) = sealed.split_at(sealed.len() - GCM_TAG_LEN);
    let mut crypter = Crypter::new(Cipher::aes_256_gcm(), Mode::Decrypt, key, Some(nonce)).ok()?;
    crypter.aad_update(aad).ok()?;
    // Zeroizing: if the tag check fails, the unverified plaintext is wiped on drop.
    let mut out = Zeroizing::new(vec![0u8; ciphertext.len() + 16]);
    let written = crypter.update(ciphertext, &mut out).ok()?;
    crypter.set_tag(tag).ok()?;
    let finished = crypter.finalize(&mut out[written..]).ok()?;
    out.truncate(written + finished);
    Some(SecretBytes::new(std::mem::take(&mut *out)))
}

/// HKDF-SHA-256 (RFC 5869, extract then expand) into `out`.
pub(crate) fn hkdf_sha256(ikm: &[u8], salt: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    let mut ctx = PkeyCtx::new_id(Id::HKDF)?;
    ctx.derive_init()?;
    ctx.set_hkdf_md(Md::sha256())?;
    ctx.set_hkdf_key(ikm)?;
    ctx.set_hkdf_salt(salt)?;
    ctx.add_hkdf_info(info)?;
    let written = ctx.derive(Some(out))?;
    if written != out.len() {
        return Err(Error::internal("HKDF produced a short output"));
    }
    Ok(())
}

/// scrypt (RFC 7914) of a passphrase into a 32-byte key.
pub(crate) fn scrypt_key(passphrase: &[u8], salt: &[u8], log_n: u8, r: u64, p: u64) -> Result<SecretBytes> {
    if !(10..=24).contains(&log_n) || r == 0 || p == 0 || r > 64 || p > 64 {
        return Err(Error::validation("scrypt parameters are out of range"));
    }
    let n = 1u64 << log_n;
    let mut out = Zeroizing::new(vec![0u8; AES_256_KEY_LEN]);
    // maxmem: scrypt needs 128 * r * N bytes plus a little; allow twice that.
    let maxmem = 256 * r * n * p + (1 << 20);
    openssl::pkcs5::scrypt(passphrase, salt, n, r, p, maxmem, &mut out)?;
    Ok(SecretBytes::new(std::mem::take(&mut *out)))
}

/// Constant-time equality of two byte strings (their lengths are not secret).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcm_round_trip_and_tamper() {
        let key = [7u8; 32];
        let nonce = [1u8; 12];
        let sealed = aes_gcm_seal(&key, &nonce, b"aad", b"hello").unwrap();
        assert_eq!(sealed.len(), 5 + GCM_TAG_LEN);
        let opened = aes_gcm_open(&key, &nonce, b"aad", &sealed).unwrap();
        assert_eq!(opened.expose(), b"hello");
        assert!(aes_gcm_open(&key, &nonce, b"aae", &sealed).is_none());
        let mut bad = sealed;
        bad[0] ^= 1;
        assert!(aes_gcm_open(&key, &nonce, b"aad", &bad).is_none());
    }

    // RFC 5869 test case 1.
    #[test]
    fn hkdf_matches_rfc5869_case_1() {
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let mut okm = [0u8; 42];
        hkdf_sha256(&ikm, &salt, &info, &mut okm).unwrap();
        let expected = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
        let hex: String = okm.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    // RFC 7914 section 12, second vector ("password", "NaCl", N=1024, r=8, p=16), first 32 bytes.
    #[test]
    fn scrypt_matches_rfc7914() {
        let key = scrypt_key(b"password", b"NaCl", 10, 8, 16).unwrap();
        let hex: String = key.expose().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162");
    }
}
