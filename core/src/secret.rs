//! Secret bytes: zeroized on drop, never printed.

use std::fmt;

use zeroize::Zeroizing;

/// Bytes that must stay secret (plaintext, data keys, key material).
///
/// The buffer is zeroized when dropped. `Debug` prints only the length, and there is no
/// `Display`, so a secret cannot end up in a log line by accident. Read the bytes with
/// [`SecretBytes::expose`], a name chosen to stand out in review.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`; they are zeroized when this value is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes` into a new zeroizing buffer.
    pub fn copy_from(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// The secret bytes. Every call site is a place where a secret leaves its wrapper.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Moves the bytes into a `Zeroizing` vector (for bindings that hand them on).
    pub fn into_zeroizing(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_bytes() {
        let secret = SecretBytes::copy_from(b"hunter2-hunter2");
        let shown = format!("{secret:?}");
        assert_eq!(shown, "SecretBytes([REDACTED; 15 bytes])");
        assert!(!shown.contains("hunter2"));
    }
}
