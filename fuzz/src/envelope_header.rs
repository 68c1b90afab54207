//! Target `envelope_header`: the envelope message header parser and the one-shot opener with a
//! known data key (`envelope::inspect`, `envelope::open_with_data_key`), no store involved, so
//! seeds sealed with [`SEED_DATA_KEY`] open in any process and the fuzzer explores the segment
//! layer behind a valid commitment.
//!
//! Input: a whole message. Checks: parsing from a slice and from a reader that returns the
//! bytes in small, uneven pieces gives the same answer; a header that parses has a length
//! within the message and re-parses from its own bytes; `open_with_data_key` succeeds only on a
//! message whose header parses, whose body length matches the segment layout exactly, and then
//! opens again to the same plaintext; every failure is `InvalidCiphertextException`.

use std::io::Read;

use keystead_core::envelope::{self, MAX_FORMAT_DATA_KEYS, SEGMENT_OVERHEAD};
use keystead_core::ErrorKind;

/// The data key of the seed messages (`examples/gen_corpus.rs`).
pub const SEED_DATA_KEY: [u8; 32] = [0x5A; 32];

/// A reader that hands out `data` in pieces of 1 to 7 bytes, driven by the data itself.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.step = self.step.wrapping_mul(5).wrapping_add(3);
        let n = (self.step % 7 + 1).min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut slice = data;
    let whole = envelope::inspect(&mut slice, MAX_FORMAT_DATA_KEYS);
    let mut trickle = Trickle { data, step: data.len() };
    let pieces = envelope::inspect(&mut trickle, MAX_FORMAT_DATA_KEYS);
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "slice and reader parse differently"),
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
        _ => panic!("slice and reader disagree: {whole:?} vs {pieces:?}"),
    }
    let info = match whole {
        Ok(info) => {
            assert!(info.header_len <= data.len());
            assert_eq!(data.len() - slice.len(), info.header_len, "inspect consumed more or less than the header");
            let mut header_only = &data[..info.header_len];
            assert_eq!(envelope::inspect(&mut header_only, MAX_FORMAT_DATA_KEYS).expect("header re-parses"), info);
            Some(info)
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidCiphertext, "inspect: {e}");
            None
        }
    };
    let context = info.as_ref().map(|i| i.encryption_context.clone()).unwrap_or_default();
    match envelope::open_with_data_key(data, &SEED_DATA_KEY, &context) {
        Ok(plaintext) => {
            let info = info.expect("a message that opens has a header that parses");
            let segments = plaintext.len().div_ceil(info.segment_size).max(1);
            assert_eq!(data.len(), info.header_len + plaintext.len() + segments * SEGMENT_OVERHEAD);
            let again = envelope::open_with_data_key(data, &SEED_DATA_KEY, &context).expect("opens twice");
            assert_eq!(again.expose(), plaintext.expose());
            // The same data key under another context never opens it.
            let mut other = context.clone();
            other.insert("fuzz-extra".into(), String::new());
            assert!(envelope::open_with_data_key(data, &SEED_DATA_KEY, &other).is_err());
        }
        Err(e) => assert!(
            matches!(e.kind(), ErrorKind::InvalidCiphertext | ErrorKind::Validation),
            "open_with_data_key: {:?} {e}",
            e.kind()
        ),
    }
}
