//! Target `context`: the encryption-context canonical encoding (`crypto::context`).
//!
//! The first byte picks the direction:
//! - even: the rest is an encoding; `parse_canonical_context` must accept only canonical
//!   encodings, so whatever it accepts must re-encode to the very same bytes;
//! - odd: the rest describes a map (pairs of strings); its canonical encoding must parse back to
//!   the same map, be independent of insertion order, and stay within `MAX_CONTEXT_BYTES` or
//!   fail with `ValidationException`.

use keystead_core::crypto::context::{parse_canonical_context, MAX_CONTEXT_BYTES};
use keystead_core::{canonical_context, EncryptionContext, ErrorKind};

use crate::input::Input;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(map) = parse_canonical_context(rest) {
            let encoded = canonical_context(&map).expect("a parsed context encodes");
            assert_eq!(encoded, rest, "a non-canonical encoding was accepted");
        }
        return;
    }
    let mut input = Input::new(rest);
    let mut pairs = Vec::new();
    while !input.is_empty() && pairs.len() < 64 {
        let key = input.string();
        let value = String::from_utf8_lossy(input.long_bytes()).into_owned();
        pairs.push((key, value));
    }
    let forward: EncryptionContext = pairs.iter().cloned().collect();
    let backward: EncryptionContext = pairs.iter().rev().cloned().collect();
    match canonical_context(&forward) {
        Ok(encoded) => {
            assert!(encoded.len() <= MAX_CONTEXT_BYTES);
            assert_eq!(parse_canonical_context(&encoded).expect("own encoding parses"), forward);
            // The same keys with the values of the other order: equal maps encode equally.
            if forward == backward {
                assert_eq!(canonical_context(&backward).expect("same map"), encoded);
            }
            // Any single-byte change gives a different map or no map.
            for at in 0..encoded.len().min(64) {
                let mut changed = encoded.clone();
                changed[at] ^= 0x01;
                if let Ok(other) = parse_canonical_context(&changed) {
                    assert_ne!(other, forward, "two encodings for one map");
                }
            }
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::Validation),
    }
}
