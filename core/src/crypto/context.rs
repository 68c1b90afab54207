//! Encryption context: a string map bound to a ciphertext as additional authenticated data.
//!
//! The canonical encoding (`docs/format.md`) sorts pairs by the UTF-8 bytes of their keys, so
//! the order a caller gives them in never matters, and length-prefixes every string, so no two
//! different maps share an encoding (`{"ab": "c"}` and `{"a": "bc"}` differ).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// An encryption context: non-secret string pairs, matched exactly (case-sensitive) on decrypt.
pub type EncryptionContext = BTreeMap<String, String>;

/// Largest canonical encoding accepted, in bytes. AWS does not publish a limit; this bound keeps
/// a request's memory small while leaving room for any realistic context.
pub const MAX_CONTEXT_BYTES: usize = 8192;

/// The canonical encoding: `u16 count`, then for each pair in key order
/// `u16 key_len, key, u16 value_len, value` (big-endian lengths).
pub fn canonical_context(context: &EncryptionContext) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(2 + context.iter().map(|(k, v)| 4 + k.len() + v.len()).sum::<usize>());
    let count =
        u16::try_from(context.len()).map_err(|_| Error::validation("The encryption context has too many pairs"))?;
    out.extend_from_slice(&count.to_be_bytes());
    // BTreeMap<String, _> iterates in the byte order of the keys' UTF-8 encoding.
    for (key, value) in context {
        for text in [key, value] {
            let len =
                u16::try_from(text.len()).map_err(|_| Error::validation("An encryption context entry is too long"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(text.as_bytes());
        }
    }
    if out.len() > MAX_CONTEXT_BYTES {
        return Err(Error::validation(format!(
            "The encryption context is {} bytes when encoded; the limit is {MAX_CONTEXT_BYTES}",
            out.len()
        )));
    }
    Ok(out)
}

/// Parses a canonical encoding back into a map (used by tests, fuzzers and tools). Rejects any
/// encoding that is not exactly what [`canonical_context`] would produce.
pub fn parse_canonical_context(bytes: &[u8]) -> Result<EncryptionContext> {
    let bad = || Error::validation("not a canonical encryption context encoding");
    let mut rest = bytes;
    let mut take = |n: usize| -> Result<&[u8]> {
        if rest.len() < n {
            return Err(bad());
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let read_u16 = |b: &[u8]| usize::from(u16::from_be_bytes([b[0], b[1]]));
    let count = read_u16(take(2)?);
    let mut map = EncryptionContext::new();
    let mut previous: Option<String> = None;
    for _ in 0..count {
        let key_len = read_u16(take(2)?);
        let key = String::from_utf8(take(key_len)?.to_vec()).map_err(|_| bad())?;
        let value_len = read_u16(take(2)?);
        let value = String::from_utf8(take(value_len)?.to_vec()).map_err(|_| bad())?;
        if previous.as_deref().is_some_and(|p| p >= key.as_str()) {
            return Err(bad());
        }
        previous = Some(key.clone());
        map.insert(key, value);
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn order_does_not_matter_and_boundaries_do() {
        let a = canonical_context(&ctx(&[("b", "2"), ("a", "1")])).unwrap();
        let b = canonical_context(&ctx(&[("a", "1"), ("b", "2")])).unwrap();
        assert_eq!(a, b);
        let c = canonical_context(&ctx(&[("ab", "c")])).unwrap();
        let d = canonical_context(&ctx(&[("a", "bc")])).unwrap();
        assert_ne!(c, d);
        assert_eq!(canonical_context(&EncryptionContext::new()).unwrap(), vec![0, 0]);
    }

    #[test]
    fn parse_round_trips_and_rejects_noise() {
        let map = ctx(&[("tenant", "42"), ("ünïcode", "✓")]);
        let bytes = canonical_context(&map).unwrap();
        assert_eq!(parse_canonical_context(&bytes).unwrap(), map);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(parse_canonical_context(&longer).is_err());
        assert!(parse_canonical_context(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn oversized_context_is_a_validation_error() {
        let map = ctx(&[("k", &"v".repeat(MAX_CONTEXT_BYTES))]);
        let err = canonical_context(&map).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Validation);
    }
}
