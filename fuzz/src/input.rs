//! A forgiving reader over fuzz input: past the end every number reads as 0 and every byte
//! string as empty, so any input decodes to some test case and short seeds stay readable.

use keystead_core::EncryptionContext;

/// Cursor over the fuzz input.
pub struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads `data` from its start.
    pub fn new(data: &'a [u8]) -> Self {
        Self { rest: data }
    }

    /// The next byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((b, tail)) => {
                self.rest = tail;
                *b
            }
            None => 0,
        }
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// A big-endian u64.
    pub fn u64(&mut self) -> u64 {
        (u64::from(self.u32()) << 32) | u64::from(self.u32())
    }

    /// Up to `n` bytes.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.rest.len());
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        head
    }

    /// A length-prefixed (u8) byte string.
    pub fn short_bytes(&mut self) -> &'a [u8] {
        let n = usize::from(self.u8());
        self.bytes(n)
    }

    /// A length-prefixed (u16) byte string.
    pub fn long_bytes(&mut self) -> &'a [u8] {
        let n = usize::from(self.u16());
        self.bytes(n)
    }

    /// A length-prefixed string (invalid UTF-8 replaced, so it is always a `String`).
    pub fn string(&mut self) -> String {
        String::from_utf8_lossy(self.short_bytes()).into_owned()
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// An encryption context of up to 8 pairs read from the input.
    pub fn context(&mut self) -> EncryptionContext {
        let pairs = self.u8() % 9;
        (0..pairs).map(|_| (self.string(), self.string())).collect()
    }

    /// Applies up to 8 edits read from the input to `bytes`: flip, set, insert, delete a byte,
    /// truncate, append, or splice a window of the message over another place.
    pub fn edit(&mut self, bytes: &mut Vec<u8>) {
        let count = self.u8() % 9;
        for _ in 0..count {
            let op = self.u8() % 7;
            let at = usize::from(self.u16());
            let value = self.u8();
            let len = bytes.len();
            match op {
                0 if len > 0 => bytes[at % len] ^= value.max(1),
                1 if len > 0 => bytes[at % len] = value,
                2 => bytes.insert(at % (len + 1), value),
                3 if len > 0 => {
                    bytes.remove(at % len);
                }
                4 => bytes.truncate(at % (len + 1)),
                5 => bytes.extend(std::iter::repeat_n(value, usize::from(value % 64) + 1)),
                6 if len > 0 => {
                    // Copy a window over another place (moves headers, tags, segments around).
                    let from = at % len;
                    let to = usize::from(value) * 7 % len;
                    let n = (len - from.max(to)).min(usize::from(value % 48) + 1);
                    let window = bytes[from..from + n].to_vec();
                    bytes[to..to + n].copy_from_slice(&window);
                }
                _ => {}
            }
        }
    }
}

/// True when `kind` must never come out of bad input: those mean a bug or a broken store.
pub fn is_internal(kind: keystead_core::ErrorKind) -> bool {
    use keystead_core::ErrorKind as K;
    matches!(kind, K::Internal | K::CorruptStore | K::DependencyTimeout | K::IncorrectRootKey)
}

/// Panics (a fuzz finding) when `error` is one that bad input must never cause.
pub fn assert_typed(what: &str, error: &keystead_core::Error) {
    assert!(!is_internal(error.kind()), "{what}: bad input gave {:?}: {}", error.kind(), error.message());
}
