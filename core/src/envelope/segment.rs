//! Per-segment AES-256-GCM with the key schedule set up once per message and per thread.
//!
//! The generic helpers of `crypto::primitives` allocate a fresh buffer per call; segments of
//! a large object are encrypted straight into (and decrypted straight out of) the caller's
//! buffers instead, with one OpenSSL context whose key is set once and whose nonce changes per
//! segment.

use openssl::cipher::Cipher;
use openssl::cipher_ctx::CipherCtx;
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::primitives::{AES_256_KEY_LEN, GCM_NONCE_LEN, GCM_TAG_LEN};
use crate::error::{Error, Result};

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

/// Encrypts segments under one message key.
pub(crate) struct SegmentSealer {
    ctx: CipherCtx,
    prefix: [u8; NONCE_PREFIX_LEN],
}

impl SegmentSealer {
    pub(crate) fn new(keys: &SegmentKeys) -> Result<Self> {
        let mut ctx = CipherCtx::new()?;
        ctx.encrypt_init(Some(Cipher::aes_256_gcm()), Some(&keys.key[..]), None)?;
        Ok(Self { ctx, prefix: keys.nonce_prefix })
    }

    /// Writes `ciphertext || tag` of `plaintext` into `out` (`plaintext.len() + 16` bytes).
    pub(crate) fn seal(&mut self, index: u32, last: bool, plaintext: &[u8], out: &mut [u8]) -> Result<()> {
        if out.len() != plaintext.len() + GCM_TAG_LEN {
            return Err(Error::internal("segment output buffer has the wrong length"));
        }
        let nonce = segment_nonce(&self.prefix, index, last);
        self.ctx.encrypt_init(None, None, Some(&nonce))?;
        let (body, tag) = out.split_at_mut(plaintext.len());
        let written = self.ctx.cipher_update(plaintext, Some(body))?;
        let finished = self.ctx.cipher_final(&mut [])?;
        if written + finished != plaintext.len() {
            return Err(Error::internal("AES-GCM produced a short segment"));
        }
        self.ctx.tag(tag)?;
        Ok(())
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
        ctx.decrypt_init(Some(Cipher::aes_256_gcm()), Some(&keys.key[..]), None)?;
        Ok(Self { ctx, prefix: keys.nonce_prefix })
    }

    /// Decrypts `ciphertext || tag` into `out` (`sealed.len() - 16` bytes). On any failure `out`
    /// is zeroed (no unverified plaintext survives) and the error is `InvalidCiphertext`.
    pub(crate) fn open(&mut self, index: u32, last: bool, sealed: &[u8], out: &mut [u8]) -> Result<()> {
        #[cfg(test)]
        SEGMENT_OPENS.with(|c| c.set(c.get() + 1));
        if sealed.len() < GCM_TAG_LEN || out.len() != sealed.len() - GCM_TAG_LEN {
            return Err(Error::invalid_ciphertext());
        }
        let (body, tag) = sealed.split_at(sealed.len() - GCM_TAG_LEN);
        let nonce = segment_nonce(&self.prefix, index, last);
        let ok = self
            .ctx
            .decrypt_init(None, None, Some(&nonce))
            .and_then(|()| self.ctx.set_tag(tag))
            .and_then(|()| self.ctx.cipher_update(body, Some(&mut *out)))
            .and_then(|written| Ok(written + self.ctx.cipher_final(&mut [])?))
            .is_ok_and(|total| total == body.len());
        if ok {
            Ok(())
        } else {
            out.zeroize();
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
