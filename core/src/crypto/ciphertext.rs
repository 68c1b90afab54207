//! The symmetric ciphertext blob (`CiphertextBlob` of Encrypt, GenerateDataKey, ReEncrypt).
//!
//! Layout (format 1, all integers big-endian; `docs/format.md` is the normative text):
//!
//! ```text
//! offset  size  field
//! 0       1     format version = 0x01
//! 1       1     algorithm suite = 0x01 (AES-256-GCM, key and nonce from HKDF-SHA-256)
//! 2       16    key id (the UUID's 16 bytes)
//! 18      4     key version (material number, from 1)
//! 22      16    salt (random per call)
//! 38      n     AES-256-GCM ciphertext of the plaintext
//! 38+n    16    GCM tag
//! ```
//!
//! Each call derives a fresh AES key and nonce: `HKDF-SHA-256(ikm = key material, salt,
//! info = "keystead/v1/symmetric" || header[0..22])` → 44 bytes (key 32, nonce 12). A 128-bit
//! random salt per call means no AES key is ever used more than once in practice, so the 2^32
//! random-nonce bound of GCM never comes near. The AAD is the 38-byte header followed by the
//! canonical encryption context, so changing any header byte or any context pair fails the tag.

use uuid::Uuid;

use crate::crypto::primitives::{
    aes_gcm_open_parts, aes_gcm_seal_append, fill_public_random, hkdf_sha256, AES_256_KEY_LEN, GCM_NONCE_LEN,
    GCM_TAG_LEN,
};
use crate::error::{Error, Result};
use crate::secret::SecretBytes;

/// Format version byte of the current blob format.
pub const FORMAT_VERSION: u8 = 0x01;
/// Algorithm suite byte: AES-256-GCM with HKDF-SHA-256 per-call key derivation.
pub const SUITE_AES_256_GCM_HKDF_SHA256: u8 = 0x01;
/// Bytes of header before the ciphertext.
pub const HEADER_LEN: usize = 38;
/// Bytes a blob adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + GCM_TAG_LEN;
/// Largest blob AWS KMS accepts and produces.
pub const MAX_BLOB_LEN: usize = 6144;

const SALT_LEN: usize = 16;
const INFO_LABEL: &[u8] = b"keystead/v1/symmetric";

/// The parsed, not yet authenticated header of a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CiphertextHeader {
    /// The key that encrypted the blob.
    pub key_id: Uuid,
    /// Which material of that key.
    pub key_version: u32,
    salt: [u8; SALT_LEN],
}

impl CiphertextHeader {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = FORMAT_VERSION;
        out[1] = SUITE_AES_256_GCM_HKDF_SHA256;
        out[2..18].copy_from_slice(self.key_id.as_bytes());
        out[18..22].copy_from_slice(&self.key_version.to_be_bytes());
        out[22..38].copy_from_slice(&self.salt);
        out
    }
}

/// Reads the header of `blob`. Any malformation is `InvalidCiphertextException` without detail.
pub fn parse_header(blob: &[u8]) -> Result<CiphertextHeader> {
    if blob.len() < OVERHEAD || blob.len() > MAX_BLOB_LEN {
        return Err(Error::invalid_ciphertext());
    }
    if blob[0] != FORMAT_VERSION || blob[1] != SUITE_AES_256_GCM_HKDF_SHA256 {
        return Err(Error::invalid_ciphertext());
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&blob[2..18]);
    let key_version = u32::from_be_bytes([blob[18], blob[19], blob[20], blob[21]]);
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&blob[22..38]);
    Ok(CiphertextHeader { key_id: Uuid::from_bytes(id), key_version, salt })
}

/// The per-blob AES key and nonce (44 bytes, on the stack, wiped on drop).
fn derive(
    material: &[u8],
    header: &[u8; HEADER_LEN],
) -> Result<zeroize::Zeroizing<[u8; AES_256_KEY_LEN + GCM_NONCE_LEN]>> {
    let mut info = [0u8; INFO_LABEL.len() + 22];
    info[..INFO_LABEL.len()].copy_from_slice(INFO_LABEL);
    info[INFO_LABEL.len()..].copy_from_slice(&header[..22]);
    let mut okm = zeroize::Zeroizing::new([0u8; AES_256_KEY_LEN + GCM_NONCE_LEN]);
    hkdf_sha256(material, &header[22..38], &info, &mut okm[..])?;
    Ok(okm)
}

/// Encrypts `plaintext` under `material` (version `key_version` of key `key_id`). The blob is
/// written in place (header, then ciphertext and tag); the AAD (header and canonical context)
/// goes to GCM in two parts rather than through a concatenated copy.
pub fn seal(
    key_id: Uuid,
    key_version: u32,
    material: &[u8],
    canonical_context: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    fill_public_random(&mut salt)?;
    let header = CiphertextHeader { key_id, key_version, salt }.encode();
    let okm = derive(material, &header)?;
    let (key, nonce) = okm.split_at(AES_256_KEY_LEN);
    let mut blob = Vec::with_capacity(OVERHEAD + plaintext.len());
    blob.extend_from_slice(&header);
    aes_gcm_seal_append(key, nonce, &[&header, canonical_context], plaintext, &mut blob)?;
    Ok(blob)
}

/// Decrypts `blob` whose header is `header` with `material`. Every failure is the same
/// `InvalidCiphertextException`.
pub fn open(header: &CiphertextHeader, material: &[u8], canonical_context: &[u8], blob: &[u8]) -> Result<SecretBytes> {
    let encoded = header.encode();
    if blob.len() < OVERHEAD || blob[..HEADER_LEN] != encoded {
        return Err(Error::invalid_ciphertext());
    }
    let okm = derive(material, &encoded)?;
    let (key, nonce) = okm.split_at(AES_256_KEY_LEN);
    aes_gcm_open_parts(key, nonce, &[&encoded, canonical_context], &blob[HEADER_LEN..])
        .ok_or_else(Error::invalid_ciphertext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_overhead() {
        let id = Uuid::from_bytes([9; 16]);
        let material = [3u8; 32];
        let blob = seal(id, 7, &material, b"\0\0", b"order 42").unwrap();
        assert_eq!(blob.len(), 8 + OVERHEAD);
        let header = parse_header(&blob).unwrap();
        assert_eq!((header.key_id, header.key_version), (id, 7));
        assert_eq!(open(&header, &material, b"\0\0", &blob).unwrap().expose(), b"order 42");
        assert!(open(&header, &material, b"\0\x01", &blob).is_err());
        assert!(open(&header, &[4u8; 32], b"\0\0", &blob).is_err());
    }

    /// The in-place writer produces exactly the format's bytes: HKDF-SHA-256 of the material
    /// (salt from the header, info = label || header[0..22]) → key and nonce, AES-256-GCM over
    /// the plaintext with AAD = header || context, written after the header.
    #[test]
    fn blob_matches_the_format_built_step_by_step() {
        let id = Uuid::from_bytes([0x42; 16]);
        let material = [5u8; 32];
        for (context, plaintext) in [(&b""[..], &b"x"[..]), (b"\0\x01ab\0\x01c", &[7u8; 4096][..])] {
            let blob = seal(id, 3, &material, context, plaintext).unwrap();
            let header = &blob[..HEADER_LEN];
            let mut info = INFO_LABEL.to_vec();
            info.extend_from_slice(&header[..22]);
            let mut okm = [0u8; 44];
            hkdf_sha256(&material, &header[22..38], &info, &mut okm).unwrap();
            let mut aad = header.to_vec();
            aad.extend_from_slice(context);
            let expected = crate::crypto::primitives::aes_gcm_seal(&okm[..32], &okm[32..], &aad, plaintext).unwrap();
            assert_eq!(&blob[HEADER_LEN..], &expected[..]);
            assert_eq!(&header[..22], &CiphertextHeader { key_id: id, key_version: 3, salt: [0; 16] }.encode()[..22]);
            let parsed = parse_header(&blob).unwrap();
            assert_eq!(open(&parsed, &material, context, &blob).unwrap().expose(), plaintext);
        }
    }

    /// Salts of successive blobs differ (they come from the thread's random pool).
    #[test]
    fn salts_are_fresh() {
        let id = Uuid::from_bytes([1; 16]);
        let salts: std::collections::HashSet<Vec<u8>> =
            (0..200).map(|_| seal(id, 1, &[0u8; 32], b"", b"p").unwrap()[22..38].to_vec()).collect();
        assert_eq!(salts.len(), 200);
    }
}
