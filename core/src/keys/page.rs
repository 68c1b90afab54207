//! Opaque pagination markers and the `Limit` ranges of the list operations.

use base64::Engine as _;

use crate::error::{Error, ErrorKind, Result};

/// Makes the marker that continues a listing of `kind` after `last`.
pub(crate) fn encode_marker(kind: &str, last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}\n{last}"))
}

/// Reads a marker made by [`encode_marker`] for the same `kind`; anything else is
/// `InvalidMarkerException`.
pub(crate) fn decode_marker(kind: &str, marker: &str) -> Result<String> {
    let invalid = || Error::new(ErrorKind::InvalidMarker, "The request contains an invalid marker");
    if marker.is_empty() || marker.len() > 1024 {
        return Err(invalid());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(marker).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (found_kind, last) = text.split_once('\n').ok_or_else(invalid)?;
    if found_kind != kind || last.is_empty() {
        return Err(invalid());
    }
    Ok(last.to_owned())
}

/// Checks an optional `Limit` against `max` and applies `default`.
pub(crate) fn limit(value: Option<u32>, max: u32, default: u32) -> Result<usize> {
    match value {
        None => Ok(default as usize),
        Some(n) if (1..=max).contains(&n) => Ok(n as usize),
        Some(n) => Err(Error::validation(format!(
            "Value '{n}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {max}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_bound_to_their_listing() {
        let marker = encode_marker("keys", "abc");
        assert_eq!(decode_marker("keys", &marker).unwrap(), "abc");
        assert_eq!(decode_marker("aliases", &marker).unwrap_err().kind(), ErrorKind::InvalidMarker);
        assert_eq!(decode_marker("keys", "!!!").unwrap_err().kind(), ErrorKind::InvalidMarker);
    }
}
