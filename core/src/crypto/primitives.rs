//! The symmetric primitives: AES-256-GCM, HKDF, scrypt, random bytes. Everything else in the
//! core goes through these functions.
//!
//! Speed: these run on every Encrypt, Decrypt and GenerateDataKey, where the cryptography
//! itself takes about a microsecond. OpenSSL 3 looks an algorithm up by name (a locked,
//! hashed method-store query) whenever it is handed a legacy `EVP_aes_256_gcm()` object, so
//! AES-256-GCM is fetched once ([`aes_256_gcm`]). Its HKDF provider builds a fresh
//! `EVP_PKEY_CTX`, a KDF context and an `EVP_Q_mac` (fetching HMAC and SHA-256 again) per
//! derivation, ~18 µs a call, ten times the AES-GCM; HKDF therefore comes from RustCrypto's
//! `hkdf` and `sha2` crates (checked against OpenSSL's HKDF in the tests below).

use std::sync::OnceLock;

use openssl::cipher::{Cipher, CipherRef};
use openssl::cipher_ctx::CipherCtx;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::SecretBytes;

/// AES-256 key length.
pub(crate) const AES_256_KEY_LEN: usize = 32;
/// GCM nonce length (96 bits, the only length Keystead uses).
pub(crate) const GCM_NONCE_LEN: usize = 12;
/// GCM tag length (128 bits).
pub(crate) const GCM_TAG_LEN: usize = 16;

/// OpenSSL's AES-256-GCM, fetched from the default provider once per process: initialising a
/// context with the legacy `EVP_aes_256_gcm()` object makes OpenSSL 3 look the implementation up
/// again every time (a visible share of a 1 KiB record's cost). If the explicit fetch fails (it
/// does not with the providers Keystead links), the legacy object still works, only slower.
/// Shared by the ciphertext blobs and the envelope's segments.
pub(crate) fn aes_256_gcm() -> &'static CipherRef {
    static FETCHED: OnceLock<Option<Cipher>> = OnceLock::new();
    FETCHED.get_or_init(|| Cipher::fetch(None, "AES-256-GCM", None).ok()).as_deref().unwrap_or(Cipher::aes_256_gcm())
}

/// Fills a fresh buffer with `len` bytes from OpenSSL's CSPRNG.
pub(crate) fn random_bytes(len: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; len];
    openssl::rand::rand_bytes(&mut out)?;
    Ok(out)
}

/// Bytes one thread draws from OpenSSL at a time for public random values.
const PUBLIC_POOL_BYTES: usize = 512;

/// A thread's store of random bytes for public values (ciphertext salts, audit event ids):
/// one `RAND_bytes` refills it for 32 salts, where a call of its own (locks, a `getpid`, a
/// CTR-DRBG update with its AES key schedule) cost as much as the AES-GCM of a 1 KiB Encrypt.
/// Bytes are handed out once and wiped as they are; the pool remembers the process id it was
/// filled in, and a forked child never uses its parent's bytes (a salt reused with the same
/// key material would repeat an AES-GCM key and nonce).
struct PublicPool {
    pid: u32,
    bytes: [u8; PUBLIC_POOL_BYTES],
    used: usize,
}

thread_local! {
    static PUBLIC_POOL: std::cell::RefCell<PublicPool> =
        const { std::cell::RefCell::new(PublicPool { pid: 0, bytes: [0; PUBLIC_POOL_BYTES], used: PUBLIC_POOL_BYTES }) };
}

/// Fills `out` with random bytes for a *public* value (a salt, an id): from the thread's pool
/// of OpenSSL CSPRNG output. Never for secrets (see [`random_secret`]).
pub(crate) fn fill_public_random(out: &mut [u8]) -> Result<()> {
    if out.len() > PUBLIC_POOL_BYTES / 8 {
        openssl::rand::rand_bytes(out)?;
        return Ok(());
    }
    PUBLIC_POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let pid = std::process::id();
        if pool.used + out.len() > PUBLIC_POOL_BYTES || pool.pid != pid {
            // Marked empty first: if OpenSSL fails, nothing old is handed out afterwards.
            pool.used = PUBLIC_POOL_BYTES;
            openssl::rand::rand_bytes(&mut pool.bytes)?;
            pool.used = 0;
            pool.pid = pid;
        }
        let at = pool.used;
        out.copy_from_slice(&pool.bytes[at..at + out.len()]);
        pool.bytes[at..at + out.len()].fill(0);
        pool.used += out.len();
        Ok(())
    })
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
    let mut out = Vec::with_capacity(plaintext.len() + GCM_TAG_LEN);
    aes_gcm_seal_append(key, nonce, &[aad], plaintext, &mut out)?;
    Ok(out)
}

/// AES-256-GCM encryption that appends `ciphertext || tag` to `out`, with the AAD given in
/// parts (fed to GCM one after another, the same as their concatenation): the blob of a small
/// Encrypt is written in place instead of through intermediate buffers.
pub(crate) fn aes_gcm_seal_append(
    key: &[u8],
    nonce: &[u8],
    aad: &[&[u8]],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    if key.len() != AES_256_KEY_LEN || nonce.len() != GCM_NONCE_LEN {
        return Err(Error::internal("AES-256-GCM called with a wrong key or nonce length"));
    }
    let mut ctx = CipherCtx::new()?;
    ctx.encrypt_init(Some(aes_256_gcm()), Some(key), Some(nonce))?;
    for part in aad.iter().filter(|p| !p.is_empty()) {
        ctx.cipher_update(part, None)?;
    }
    let start = out.len();
    out.resize(start + plaintext.len() + GCM_TAG_LEN, 0);
    let body = &mut out[start..];
    let written = ctx.cipher_update(plaintext, Some(&mut body[..plaintext.len()]))?;
    let finished = ctx.cipher_final(&mut body[written..plaintext.len()])?;
    let len = written + finished;
    ctx.tag(&mut body[len..len + GCM_TAG_LEN])?;
    out.truncate(start + len + GCM_TAG_LEN);
    Ok(())
}

/// AES-256-GCM decryption of `ciphertext || tag` with the AAD in parts (see
/// [`aes_gcm_seal_append`]); otherwise as [`aes_gcm_open`].
pub(crate) fn aes_gcm_open_parts(key: &[u8], nonce: &[u8], aad: &[&[u8]], sealed: &[u8]) -> Option<SecretBytes> {
    if sealed.len() < GCM_TAG_LEN || key.len() != AES_256_KEY_LEN || nonce.len() != GCM_NONCE_LEN {
        return None;
    }
    let (ciphertext, tag) = sealed.split_at(sealed.len() - GCM_TAG_LEN);
    let mut ctx = CipherCtx::new().ok()?;
    ctx.decrypt_init(Some(aes_256_gcm()), Some(key), Some(nonce)).ok()?;
    for part in aad.iter().filter(|p| !p.is_empty()) {
        ctx.cipher_update(part, None).ok()?;
    }
    // Zeroizing: if the tag check fails, the unverified plaintext is wiped on drop.
    let mut out = Zeroizing::new(vec![0u8; ciphertext.len()]);
    let written = ctx.cipher_update(ciphertext, Some(&mut out[..])).ok()?;
    ctx.set_tag(tag).ok()?;
    let finished = ctx.cipher_final(&mut out[written..]).ok()?;
    out.truncate(written + finished);
    Some(SecretBytes::new(std::mem::take(&mut *out)))
}

/// AES-256-GCM decryption of `ciphertext || tag`. The plaintext is released only after the tag
/// verifies; on failure the scratch buffer is zeroized and the caller gets `None`, which it turns
/// into its own error without detail.
pub(crate) fn aes_gcm_open(key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Option<SecretBytes> {
    aes_gcm_open_parts(key, nonce, &[aad], sealed)
}

/// HKDF-SHA-256 (RFC 5869, extract then expand) into `out` (at most 255 × 32 bytes).
pub(crate) fn hkdf_sha256(ikm: &[u8], salt: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    // An absent salt is HashLen zero bytes (RFC 5869 2.2), which `None` means to the crate.
    let salt = if salt.is_empty() { None } else { Some(salt) };
    // The PRK lives in the HMAC state, which `sha2`/`digest`'s zeroize feature wipes on drop.
    hkdf::Hkdf::<sha2::Sha256>::new(salt, ikm).expand(info, out).map_err(|_| Error::internal("HKDF output too long"))
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
        assert_eq!(hex(&okm), expected);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// OpenSSL's own HKDF, the reference the crate's must match.
    fn openssl_hkdf(ikm: &[u8], salt: &[u8], info: &[u8], len: usize) -> Vec<u8> {
        let mut ctx = openssl::pkey_ctx::PkeyCtx::new_id(openssl::pkey::Id::HKDF).unwrap();
        ctx.derive_init().unwrap();
        ctx.set_hkdf_md(openssl::md::Md::sha256()).unwrap();
        ctx.set_hkdf_key(ikm).unwrap();
        if !salt.is_empty() {
            ctx.set_hkdf_salt(salt).unwrap();
        }
        ctx.add_hkdf_info(info).unwrap();
        let mut out = vec![0u8; len];
        ctx.derive(Some(&mut out)).unwrap();
        out
    }

    // RFC 5869 test case 3: empty salt and info.
    #[test]
    fn hkdf_matches_rfc5869_case_3() {
        let mut okm = [0u8; 42];
        hkdf_sha256(&[0x0bu8; 22], &[], &[], &mut okm).unwrap();
        assert_eq!(hex(&okm), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    }

    #[test]
    fn hkdf_agrees_with_openssl_for_every_shape() {
        for (ikm_len, salt_len, info_len, out_len) in [
            (32, 16, 43, 44),
            (32, 0, 0, 32),
            (1, 64, 1, 1),
            (100, 65, 200, 33),
            (32, 200, 10, 255 * 32),
            (0, 5, 5, 64),
        ] {
            let ikm = random_bytes(ikm_len).unwrap();
            let salt = random_bytes(salt_len).unwrap();
            let info = random_bytes(info_len).unwrap();
            let mut ours = vec![0u8; out_len];
            hkdf_sha256(&ikm, &salt, &info, &mut ours).unwrap();
            assert_eq!(ours, openssl_hkdf(&ikm, &salt, &info, out_len), "{ikm_len} {salt_len} {info_len} {out_len}");
        }
        assert!(hkdf_sha256(b"k", b"s", b"i", &mut vec![0u8; 255 * 32 + 1]).is_err());
    }

    #[test]
    fn gcm_agrees_with_openssl_symm_and_handles_empty_parts() {
        let key = random_bytes(32).unwrap();
        let nonce = random_bytes(12).unwrap();
        for (aad, plaintext) in [(&b""[..], &b""[..]), (b"", b"x"), (b"header", &[9u8; 1000][..])] {
            let sealed = aes_gcm_seal(&key, &nonce, aad, plaintext).unwrap();
            let mut tag = [0u8; 16];
            let mut expected = openssl::symm::encrypt_aead(
                openssl::symm::Cipher::aes_256_gcm(),
                &key,
                Some(&nonce),
                aad,
                plaintext,
                &mut tag,
            )
            .unwrap();
            expected.extend_from_slice(&tag);
            assert_eq!(sealed, expected);
            assert_eq!(aes_gcm_open(&key, &nonce, aad, &sealed).unwrap().expose(), plaintext);
        }
        assert!(aes_gcm_seal(&key[..16], &nonce, b"", b"x").is_err());
    }

    // RFC 7914 section 12, second vector ("password", "NaCl", N=1024, r=8, p=16), first 32 bytes.
    #[test]
    fn scrypt_matches_rfc7914() {
        let key = scrypt_key(b"password", b"NaCl", 10, 8, 16).unwrap();
        let hex: String = key.expose().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162");
    }
}
