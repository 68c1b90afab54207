//! The envelope message header: encoding, bounded parsing from any reader, and the derivation
//! of the commitment and the segment key from the data key (`docs/format.md` section 5).

use std::io::Read;

use sha2::Digest;

use zeroize::Zeroizing;

use crate::crypto::ciphertext::{MAX_BLOB_LEN, OVERHEAD as BLOB_OVERHEAD};
use crate::crypto::context::MAX_CONTEXT_BYTES;
use crate::crypto::primitives::{constant_time_eq, AES_256_KEY_LEN};
use crate::envelope::segment::{SegmentKeys, NONCE_PREFIX_LEN};
use crate::error::{Error, Result};

/// First byte of every envelope message (format 1). Symmetric blobs start with `0x01`, so the
/// two cannot be confused.
pub const MAGIC: u8 = 0xE1;
/// Algorithm suite `0x01`: 256-bit data key; HKDF-SHA-256 commitment and segment key;
/// AES-256-GCM segments with a 7-byte nonce prefix, u32 index and last-segment flag.
pub const SUITE_AES_256_GCM_HKDF_SHA256_COMMIT: u8 = 0x01;
/// Bytes of the random message id.
pub const MESSAGE_ID_LEN: usize = 32;
/// Bytes of the key commitment.
pub const COMMITMENT_LEN: usize = 32;
/// Bytes of the data key the suite uses.
pub const DATA_KEY_LEN: usize = 32;
/// Bytes before the encryption context (magic, suite, message id, segment size).
pub(crate) const FIXED_PREFIX_LEN: usize = 2 + MESSAGE_ID_LEN + 4;
/// Most encrypted data keys the format can carry.
pub const MAX_FORMAT_DATA_KEYS: usize = 255;

const LABEL_COMMIT: &[u8] = b"keystead/envelope/v1/commitment";
const LABEL_KEY: &[u8] = b"keystead/envelope/v1/segment-key";

/// A parsed header; nothing in it is trusted until the commitment verifies.
pub(crate) struct Header {
    /// Header bytes before the commitment (the input of the derivations).
    pub(crate) body: Vec<u8>,
    pub(crate) message_id: [u8; MESSAGE_ID_LEN],
    pub(crate) segment_size: u32,
    /// Canonical encryption context, as stored.
    pub(crate) context: Vec<u8>,
    pub(crate) encrypted_data_keys: Vec<Vec<u8>>,
    pub(crate) commitment: [u8; COMMITMENT_LEN],
}

impl Header {
    /// Total encoded length (body and commitment).
    pub(crate) fn len(&self) -> usize {
        self.body.len() + COMMITMENT_LEN
    }
}

/// Encodes the header body (everything but the commitment) into a buffer with `room` bytes of
/// spare capacity after it.
pub(crate) fn encode_body(
    message_id: &[u8; MESSAGE_ID_LEN],
    segment_size: u32,
    canonical_context: &[u8],
    encrypted_data_keys: &[Vec<u8>],
    room: usize,
) -> Result<Vec<u8>> {
    let count = u8::try_from(encrypted_data_keys.len()).ok().filter(|n| *n > 0).ok_or_else(|| {
        Error::validation(format!("A message carries 1 to {MAX_FORMAT_DATA_KEYS} encrypted data keys"))
    })?;
    let keys_len: usize = encrypted_data_keys.iter().map(|k| 2 + k.len()).sum();
    let mut out = Vec::with_capacity((FIXED_PREFIX_LEN + canonical_context.len() + 1 + keys_len).saturating_add(room));
    out.push(MAGIC);
    out.push(SUITE_AES_256_GCM_HKDF_SHA256_COMMIT);
    out.extend_from_slice(message_id);
    out.extend_from_slice(&segment_size.to_be_bytes());
    out.extend_from_slice(canonical_context);
    out.push(count);
    for edk in encrypted_data_keys {
        let len = u16::try_from(edk.len()).map_err(|_| Error::internal("encrypted data key too long"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(edk);
    }
    Ok(out)
}

/// Reads exactly `n` bytes and appends them to `body`; a short read is a damaged message.
fn take<R: Read + ?Sized>(reader: &mut R, body: &mut Vec<u8>, n: usize) -> Result<()> {
    let start = body.len();
    body.resize(start + n, 0);
    reader.read_exact(&mut body[start..]).map_err(io_error)
}

/// End of input inside a message is tampering (truncation); any other I/O failure is reported
/// as an internal error naming only the I/O kind.
pub(crate) fn io_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        Error::invalid_ciphertext()
    } else if let Some(inner) = e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
        inner.clone()
    } else {
        Error::internal(format!("I/O error while reading or writing an envelope message: {e}"))
    }
}

fn u16_at(bytes: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]))
}

/// Reads and parses a header from `reader`, consuming exactly its bytes. Memory is bounded
/// (context at most 8192 bytes, at most `max_data_keys` keys of at most 6144 bytes each), and
/// the key count is checked against `max_data_keys` before any key is read.
pub(crate) fn read_header<R: Read + ?Sized>(reader: &mut R, max_data_keys: usize) -> Result<Header> {
    let mut body = Vec::with_capacity(256);
    take(reader, &mut body, FIXED_PREFIX_LEN)?;
    if body[0] != MAGIC || body[1] != SUITE_AES_256_GCM_HKDF_SHA256_COMMIT {
        return Err(Error::invalid_ciphertext());
    }
    let mut message_id = [0u8; MESSAGE_ID_LEN];
    message_id.copy_from_slice(&body[2..2 + MESSAGE_ID_LEN]);
    let segment_size = u32::from_be_bytes([body[34], body[35], body[36], body[37]]);
    if !(super::MIN_SEGMENT_SIZE..=super::MAX_SEGMENT_SIZE).contains(&(segment_size as usize)) {
        return Err(Error::invalid_ciphertext());
    }
    // Encryption context: u16 count, then (u16 len, bytes) twice per pair.
    let context_start = body.len();
    take(reader, &mut body, 2)?;
    let pairs = u16_at(&body, context_start);
    for _ in 0..pairs * 2 {
        let at = body.len();
        take(reader, &mut body, 2)?;
        let len = u16_at(&body, at);
        if body.len() - context_start + len > MAX_CONTEXT_BYTES {
            return Err(Error::invalid_ciphertext());
        }
        take(reader, &mut body, len)?;
    }
    let context = body[context_start..].to_vec();
    // Only a canonical encoding is accepted (sorted, unique keys, UTF-8).
    crate::crypto::context::parse_canonical_context(&context).map_err(|_| Error::invalid_ciphertext())?;
    let at = body.len();
    take(reader, &mut body, 1)?;
    let count = usize::from(body[at]);
    if count == 0 || count > max_data_keys {
        return Err(Error::invalid_ciphertext());
    }
    let mut encrypted_data_keys = Vec::with_capacity(count);
    for _ in 0..count {
        let at = body.len();
        take(reader, &mut body, 2)?;
        let len = u16_at(&body, at);
        if !(BLOB_OVERHEAD..=MAX_BLOB_LEN).contains(&len) {
            return Err(Error::invalid_ciphertext());
        }
        let at = body.len();
        take(reader, &mut body, len)?;
        encrypted_data_keys.push(body[at..].to_vec());
    }
    let mut commitment = [0u8; COMMITMENT_LEN];
    reader.read_exact(&mut commitment).map_err(io_error)?;
    Ok(Header { body, message_id, segment_size, context, encrypted_data_keys, commitment })
}

/// The commitment and segment keys of a message:
///
/// ```text
/// h          = SHA-256(header body)
/// commitment = HKDF-SHA-256(IKM = data key, salt = message id, info = "keystead/envelope/v1/commitment" || h, L = 32)
/// okm        = HKDF-SHA-256(IKM = data key, salt = message id, info = "keystead/envelope/v1/segment-key" || h, L = 39)
/// key = okm[0..32], nonce prefix = okm[32..39]
/// ```
pub(crate) fn derive(data_key: &[u8], body: &[u8], message_id: &[u8]) -> Result<([u8; COMMITMENT_LEN], SegmentKeys)> {
    if data_key.len() != DATA_KEY_LEN {
        return Err(Error::invalid_ciphertext());
    }
    // RustCrypto's SHA-256 rather than OpenSSL's one-shot digest, which fetches the algorithm
    // from the provider on every call (a third of this function's time for a 1 KiB record).
    let h = sha2::Sha256::digest(body);
    // Both values share the extract step (same IKM and salt): one PRK, two expands. The PRK
    // lives in the HMAC state, which `sha2`/`digest`'s zeroize feature wipes on drop.
    let prk = hkdf::Hkdf::<sha2::Sha256>::new(Some(message_id), data_key);
    let too_long = |_| Error::internal("HKDF output too long");
    let mut commitment = [0u8; COMMITMENT_LEN];
    prk.expand_multi_info(&[LABEL_COMMIT, &h[..]], &mut commitment).map_err(too_long)?;
    let mut okm = Zeroizing::new([0u8; AES_256_KEY_LEN + NONCE_PREFIX_LEN]);
    prk.expand_multi_info(&[LABEL_KEY, &h[..]], &mut okm[..]).map_err(too_long)?;
    let mut key = Zeroizing::new([0u8; AES_256_KEY_LEN]);
    key.copy_from_slice(&okm[..AES_256_KEY_LEN]);
    let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
    nonce_prefix.copy_from_slice(&okm[AES_256_KEY_LEN..]);
    Ok((commitment, SegmentKeys { key, nonce_prefix }))
}

/// Derives the keys of `header` from a candidate data key and checks the commitment in constant
/// time; only a matching data key yields segment keys.
pub(crate) fn verify(header: &Header, data_key: &[u8]) -> Result<SegmentKeys> {
    let (commitment, keys) = derive(data_key, &header.body, &header.message_id)?;
    if constant_time_eq(&commitment, &header.commitment) {
        Ok(keys)
    } else {
        Err(Error::invalid_ciphertext())
    }
}
