//! Per-segment AES-256-GCM with the key schedule set up once per message and per thread.
//!
//! The generic helpers of `crypto::primitives` allocate a fresh buffer per call; segments of
//! a large object are encrypted straight into (and decrypted straight out of) the caller's
//! buffers instead, with one OpenSSL context whose key is set once and whose nonce changes per
//! segment.

use openssl::cipher_ctx::CipherCtx;
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::primitives::{aes_256_gcm, AES_256_KEY_LEN, GCM_NONCE_LEN, GCM_TAG_LEN};
use crate::error::{Error, Result};
use crate::secret::wipe_vec;

/// Bytes of the per-message nonce prefix.
pub(crate) const NONCE_PREFIX_LEN: usize = 7;

/// The per-message segment key and nonce prefix (derived from the data key, see `header`).
#[derive(Clone)]
pub(crate) struct SegmentKeys {
    pub(crate) key: Zeroizing<[u8; AES_256_KEY_LEN]>,
    pub(crate) nonce_prefix: [u8; NONCE_PREFIX_LEN],
}

/// `nonce_prefix (7) || index (u32, big-endian) || last (0x00 or 0x01)`.
pub(crate) fn segment_nonce(prefix: &[u8; NONCE_PREFIX_LEN], index: u32, last: bool) -> [u8; GCM_NONCE_LEN] {
    let mut nonce = [0u8; GCM_NONCE_LEN];
    nonce[..NONCE_PREFIX_LEN].copy_from_slice(prefix);
    nonce[NONCE_PREFIX_LEN..NONCE_PREFIX_LEN + 4].copy_from_slice(&index.to_be_bytes());
    nonce[GCM_NONCE_LEN - 1] = u8::from(last);
    nonce
}

#[cfg(test)]
thread_local! {
    /// Segment decryptions attempted on this thread (white-box tests of "no decryption before
    /// the commitment check").
    pub(crate) static SEGMENT_OPENS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Bytes the append and in-place paths transform per OpenSSL call. The append paths copy a
/// piece into the output's spare capacity and transform it there at once, so both passes over
/// the piece stay in the L1/L2 cache and no output byte is ever zero-filled first (the safe
/// `openssl` API only writes into initialised memory, and the core forbids `unsafe`).
const PIECE: usize = 32 * 1024;

/// A buffer that may hold plaintext, wiped (all of its capacity) when dropped.
///
/// Wiped by `secret::wipe_vec` at memset speed, where `Zeroizing<Vec<u8>>` wipes byte by byte
/// (about as slow as the AES-GCM pass itself).
#[derive(Default)]
pub(crate) struct Wiped(pub(crate) Vec<u8>);

impl Drop for Wiped {
    fn drop(&mut self) {
        wipe_vec(&mut self.0);
    }
}

/// Wipes `out[start..]` and cuts it off: what an append path leaves when it fails.
fn discard_from(out: &mut Vec<u8>, start: usize) {
    out[start..].zeroize();
    out.truncate(start);
}

/// Encrypts segments under one message key.
pub(crate) struct SegmentSealer {
    ctx: CipherCtx,
    prefix: [u8; NONCE_PREFIX_LEN],
}

impl SegmentSealer {
    pub(crate) fn new(keys: &SegmentKeys) -> Result<Self> {
        let mut ctx = CipherCtx::new()?;
        ctx.encrypt_init(Some(aes_256_gcm()), Some(&keys.key[..]), None)?;
        Ok(Self { ctx, prefix: keys.nonce_prefix })
    }

    /// Sets the nonce of segment `index` (the key schedule is kept).
    fn begin(&mut self, index: u32, last: bool) -> Result<()> {
        let nonce = segment_nonce(&self.prefix, index, last);
        self.ctx.encrypt_init(None, None, Some(&nonce))?;
        Ok(())
    }

    /// Encrypts `data` in place as the next bytes of the current segment.
    fn update_in_place(&mut self, data: &mut [u8]) -> Result<()> {
        let len = data.len();
        if self.ctx.cipher_update_inplace(data, len)? != len {
            return Err(Error::internal("AES-GCM produced a short segment"));
        }
        Ok(())
    }

    /// Ends the current segment and returns its tag.
    fn end(&mut self) -> Result<[u8; GCM_TAG_LEN]> {
        if self.ctx.cipher_final(&mut [])? != 0 {
            return Err(Error::internal("AES-GCM produced bytes at the end of a segment"));
        }
        let mut tag = [0u8; GCM_TAG_LEN];
        self.ctx.tag(&mut tag)?;
        Ok(tag)
    }

    /// Writes `ciphertext || tag` of `plaintext` into `out` (`plaintext.len() + 16` bytes).
    pub(crate) fn seal(&mut self, index: u32, last: bool, plaintext: &[u8], out: &mut [u8]) -> Result<()> {
        if out.len() != plaintext.len() + GCM_TAG_LEN {
            return Err(Error::internal("segment output buffer has the wrong length"));
        }
        self.begin(index, last)?;
        let (body, tag) = out.split_at_mut(plaintext.len());
        let written = self.ctx.cipher_update(plaintext, Some(body))?;
        if written != plaintext.len() {
            return Err(Error::internal("AES-GCM produced a short segment"));
        }
        tag.copy_from_slice(&self.end()?);
        Ok(())
    }

    /// Appends `ciphertext || tag` of `plaintext` to `out`, copying it piece by piece into the
    /// spare capacity and encrypting it there (no zero-filling, one cache-hot copy). Reserves
    /// what is missing; give `out` the exact capacity beforehand to avoid a reallocation. On
    /// failure `out` is left as it was (the plaintext copied so far is wiped).
    pub(crate) fn seal_append(&mut self, index: u32, last: bool, plaintext: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.reserve(plaintext.len() + GCM_TAG_LEN);
        let result = self.begin(index, last).and_then(|()| {
            for piece in plaintext.chunks(PIECE) {
                let at = out.len();
                out.extend_from_slice(piece);
                self.update_in_place(&mut out[at..])?;
            }
            self.end()
        });
        match result {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                Ok(())
            }
            Err(e) => {
                discard_from(out, start);
                Err(e)
            }
        }
    }

    /// Encrypts `data` (a whole segment's plaintext) in place and returns the segment's tag.
    pub(crate) fn seal_in_place(&mut self, index: u32, last: bool, data: &mut [u8]) -> Result<[u8; GCM_TAG_LEN]> {
        self.begin(index, last)?;
        self.update_in_place(data)?;
        self.end()
    }
}

/// Decrypts and verifies segments under one message key.
pub(crate) struct SegmentOpener {
    ctx: CipherCtx,
    prefix: [u8; NONCE_PREFIX_LEN],
}

impl SegmentOpener {
    pub(crate) fn new(keys: &SegmentKeys) -> Result<Self> {
        let mut ctx = CipherCtx::new()?;
        ctx.decrypt_init(Some(aes_256_gcm()), Some(&keys.key[..]), None)?;
        Ok(Self { ctx, prefix: keys.nonce_prefix })
    }

    /// Sets the nonce and expected tag of segment `index`.
    fn begin(&mut self, index: u32, last: bool, tag: &[u8]) -> std::result::Result<(), openssl::error::ErrorStack> {
        #[cfg(test)]
        SEGMENT_OPENS.with(|c| c.set(c.get() + 1));
        let nonce = segment_nonce(&self.prefix, index, last);
        self.ctx.decrypt_init(None, None, Some(&nonce))?;
        self.ctx.set_tag(tag)
    }

    /// Decrypts `data` in place as the next bytes of the current segment (not yet verified).
    fn update_in_place(&mut self, data: &mut [u8]) -> bool {
        let len = data.len();
        self.ctx.cipher_update_inplace(data, len).is_ok_and(|n| n == len)
    }

    /// Ends the current segment: true when the tag verifies.
    fn verified(&mut self) -> bool {
        self.ctx.cipher_final(&mut []).is_ok_and(|n| n == 0)
    }

    /// Decrypts `ciphertext || tag` into `out` (`sealed.len() - 16` bytes). On any failure `out`
    /// is zeroed (no unverified plaintext survives) and the error is `InvalidCiphertext`.
    pub(crate) fn open(&mut self, index: u32, last: bool, sealed: &[u8], out: &mut [u8]) -> Result<()> {
        if sealed.len() < GCM_TAG_LEN || out.len() != sealed.len() - GCM_TAG_LEN {
            return Err(Error::invalid_ciphertext());
        }
        let (body, tag) = sealed.split_at(sealed.len() - GCM_TAG_LEN);
        let ok = self.begin(index, last, tag).is_ok()
            && self.ctx.cipher_update(body, Some(&mut *out)).is_ok_and(|n| n == body.len())
            && self.verified();
        if ok {
            Ok(())
        } else {
            out.zeroize();
            Err(Error::invalid_ciphertext())
        }
    }

    /// Appends the verified plaintext of `ciphertext || tag` to `out`, copying the ciphertext
    /// piece by piece into the spare capacity and decrypting it there (no zero-filling). `out`
    /// must already have the capacity: a buffer holding plaintext is never reallocated (the
    /// old allocation would be freed unwiped). On any failure the appended bytes are wiped,
    /// `out` is left as it was and the error is `InvalidCiphertext`.
    pub(crate) fn open_append(&mut self, index: u32, last: bool, sealed: &[u8], out: &mut Vec<u8>) -> Result<()> {
        if sealed.len() < GCM_TAG_LEN {
            return Err(Error::invalid_ciphertext());
        }
        let (body, tag) = sealed.split_at(sealed.len() - GCM_TAG_LEN);
        if out.capacity() - out.len() < body.len() {
            return Err(Error::internal("segment plaintext buffer is too small"));
        }
        let start = out.len();
        let ok = self.begin(index, last, tag).is_ok()
            && body.chunks(PIECE).all(|piece| {
                let at = out.len();
                out.extend_from_slice(piece);
                self.update_in_place(&mut out[at..])
            })
            && self.verified();
        if ok {
            Ok(())
        } else {
            discard_from(out, start);
            Err(Error::invalid_ciphertext())
        }
    }

    /// Decrypts `sealed` (`ciphertext || tag`) in place; on success its first
    /// `sealed.len() - 16` bytes are the verified plaintext. On any failure all of `sealed` is
    /// wiped and the error is `InvalidCiphertext`.
    pub(crate) fn open_in_place(&mut self, index: u32, last: bool, sealed: &mut [u8]) -> Result<usize> {
        if sealed.len() < GCM_TAG_LEN {
            return Err(Error::invalid_ciphertext());
        }
        let len = sealed.len() - GCM_TAG_LEN;
        let (body, tag) = sealed.split_at_mut(len);
        let ok = self.begin(index, last, tag).is_ok() && self.update_in_place(body) && self.verified();
        if ok {
            Ok(len)
        } else {
            sealed.zeroize();
            Err(Error::invalid_ciphertext())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::crypto::primitives::aes_gcm_open;

    #[test]
    fn segments_match_the_generic_gcm_and_bind_index_and_flag() {
        let keys = SegmentKeys { key: Zeroizing::new([5u8; 32]), nonce_prefix: [1, 2, 3, 4, 5, 6, 7] };
        let mut sealer = SegmentSealer::new(&keys).unwrap();
        let mut opener = SegmentOpener::new(&keys).unwrap();
        for len in [0usize, 1, 15, 16, 17, 100] {
            let pt: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut ct = vec![0u8; len + 16];
            sealer.seal(9, true, &pt, &mut ct).unwrap();
            let nonce = segment_nonce(&keys.nonce_prefix, 9, true);
            assert_eq!(aes_gcm_open(&keys.key[..], &nonce, b"", &ct).unwrap().expose(), &pt[..]);
            let mut out = vec![0u8; len];
            opener.open(9, true, &ct, &mut out).unwrap();
            assert_eq!(out, pt);
            assert!(opener.open(9, false, &ct, &mut out).is_err());
            assert!(opener.open(8, true, &ct, &mut out).is_err());
            assert!(out.iter().all(|b| *b == 0));
        }
    }
}
