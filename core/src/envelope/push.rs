//! Push-style streaming for callers that are handed data rather than a `Read` / `Write` (the C
//! streaming context, Python file objects, Node Transform streams): [`SealStream`] turns
//! plaintext chunks into message bytes, [`OpenStream`] turns message bytes into verified
//! plaintext. Same format, limits and guarantees as [`EnvelopeWriter`] / [`EnvelopeReader`]:
//! plaintext of a segment is released only after its tag verifies, and memory stays at about
//! two segments (plus the header while it arrives).
//!
//! [`EnvelopeWriter`]: super::EnvelopeWriter
//! [`EnvelopeReader`]: super::EnvelopeReader

use std::io::{self, Read, Write};

use zeroize::{Zeroize, Zeroizing};

use super::header::{read_header, MAGIC, SUITE_AES_256_GCM_HKDF_SHA256_COMMIT};
use super::segment::SegmentOpener;
use super::stream::take_output;
use super::{error_from_io, unlock, EnvelopeWriter, OpenOptions, SealOptions, SEGMENT_OVERHEAD};
use crate::crypto::context::EncryptionContext;
use crate::error::{Error, Result};
use crate::keystead::Keystead;
use crate::secret::SecretBytes;

/// Seals plaintext handed to it in chunks into one envelope message, returning the message
/// bytes as they become ready. Not thread-safe by itself (`&mut self`); `Send`.
pub struct SealStream {
    writer: Option<EnvelopeWriter<Vec<u8>>>,
}

impl std::fmt::Debug for SealStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealStream").field("finished", &self.writer.is_none()).finish_non_exhaustive()
    }
}

impl SealStream {
    /// Generates the data key and prepares the header (returned by the first
    /// [`update`](Self::update) or by [`finish`](Self::finish)).
    ///
    /// # Errors
    /// As [`seal`](super::seal).
    pub fn new(store: &Keystead, key_id: &str, context: &EncryptionContext, options: &SealOptions) -> Result<Self> {
        Ok(Self { writer: Some(EnvelopeWriter::new(store, key_id, context, options, Vec::new())?) })
    }

    fn writer(&mut self) -> Result<&mut EnvelopeWriter<Vec<u8>>> {
        self.writer.as_mut().ok_or_else(|| Error::validation("This seal stream is already finished"))
    }

    /// Seals `plaintext` and returns the message bytes ready so far (whole segments; the header
    /// on the first call), possibly none.
    ///
    /// # Errors
    /// `ValidationException` after `finish` or an earlier failure; `KMSInternalException` if
    /// sealing fails.
    pub fn update(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let writer = self.writer()?;
        writer.write_all(plaintext).map_err(error_from_io)?;
        Ok(take_output(writer))
    }

    /// Seals the last segment and returns the rest of the message. Afterwards every call fails.
    ///
    /// # Errors
    /// As [`update`](Self::update).
    pub fn finish(&mut self) -> Result<Vec<u8>> {
        let writer = self.writer.take().ok_or_else(|| Error::validation("This seal stream is already finished"))?;
        writer.finish().map_err(error_from_io)
    }
}

/// A reader over a byte slice that remembers whether a read ran past its end (so a header
/// parse that failed for lack of bytes is told apart from a malformed header).
struct Probe<'a> {
    data: &'a [u8],
    ran_out: bool,
}

impl Read for Probe<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() && !out.is_empty() {
            self.ran_out = true;
            return Ok(0);
        }
        let n = out.len().min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

enum State {
    /// Collecting the header.
    Header,
    /// Opening segments.
    Body {
        opener: SegmentOpener,
        segment_size: usize,
        index: u64,
    },
    Finished,
    Failed(Error),
}

/// Opens an envelope message handed to it in chunks, returning verified plaintext as each
/// segment completes. The header is parsed and the data key unwrapped (one `Decrypt`) as soon
/// as the header has arrived. Not thread-safe by itself (`&mut self`); `Send`.
pub struct OpenStream {
    store: Keystead,
    context: EncryptionContext,
    options: OpenOptions,
    state: State,
    /// Bytes received and not yet consumed (at most a header, or one segment and one byte).
    buffer: Vec<u8>,
}

impl std::fmt::Debug for OpenStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenStream").field("buffered", &self.buffer.len()).finish_non_exhaustive()
    }
}

impl OpenStream {
    /// A stream that opens one message with `context` and `options`.
    ///
    /// # Errors
    /// `ValidationException` for bad options.
    pub fn new(store: &Keystead, context: &EncryptionContext, options: &OpenOptions) -> Result<Self> {
        options.check()?;
        Ok(Self {
            store: store.clone(),
            context: context.clone(),
            options: options.clone(),
            state: State::Header,
            buffer: Vec::new(),
        })
    }

    /// Takes the next bytes of the message and returns the plaintext of the segments they
    /// complete (verified), possibly none. The last segment is released by
    /// [`finish`](Self::finish), since only the end of the input tells that it is the last.
    ///
    /// # Errors
    /// `InvalidCiphertextException` for a damaged message (also on every later call), the
    /// errors of [`open`](super::open) when the header completes.
    pub fn update(&mut self, data: &[u8]) -> Result<SecretBytes> {
        let result = self.step(data);
        self.settle(result)
    }

    /// Ends the message: opens the last segment and returns its plaintext. A message that ends
    /// early (inside the header or without its last segment) is `InvalidCiphertextException`.
    ///
    /// # Errors
    /// As [`update`](Self::update).
    pub fn finish(&mut self) -> Result<SecretBytes> {
        let result = self.end();
        let out = self.settle(result)?;
        self.state = State::Finished;
        Ok(out)
    }

    fn settle(&mut self, result: Result<SecretBytes>) -> Result<SecretBytes> {
        if let Err(e) = &result {
            self.buffer.zeroize();
            self.buffer.clear();
            if !matches!(self.state, State::Failed(_)) {
                self.state = State::Failed(e.clone());
            }
        }
        result
    }

    fn step(&mut self, data: &[u8]) -> Result<SecretBytes> {
        match &self.state {
            State::Failed(e) => return Err(e.clone()),
            State::Finished => return Err(Error::validation("This open stream is already finished")),
            _ => {}
        }
        self.buffer.extend_from_slice(data);
        if matches!(self.state, State::Header) && !self.try_header()? {
            return Ok(SecretBytes::new(Vec::new()));
        }
        let State::Body { opener, segment_size, index } = &mut self.state else {
            return Err(Error::internal("open stream in an unexpected state"));
        };
        let full = *segment_size + SEGMENT_OVERHEAD;
        // A full segment is known not to be the last only once a byte after it has arrived.
        let ready = self.buffer.len().saturating_sub(1) / full;
        // Exact capacity: plaintext is appended without zero-filling and never reallocated.
        let mut out = Zeroizing::new(Vec::with_capacity(ready * *segment_size));
        let mut consumed = 0;
        for _ in 0..ready {
            let sealed = &self.buffer[consumed..consumed + full];
            let i = u32::try_from(*index).map_err(|_| Error::invalid_ciphertext())?;
            opener.open_append(i, false, sealed, &mut out)?;
            *index += 1;
            consumed += full;
        }
        self.buffer.drain(..consumed);
        Ok(SecretBytes::new(std::mem::take(&mut *out)))
    }

    /// Parses the header once it is all here and unlocks the message; `false` = need more bytes.
    fn try_header(&mut self) -> Result<bool> {
        // Something that is not a message is refused on its first bytes, not once a header's
        // worth of it has been buffered.
        if self.buffer.first().is_some_and(|&b| b != MAGIC)
            || self.buffer.get(1).is_some_and(|&b| b != SUITE_AES_256_GCM_HKDF_SHA256_COMMIT)
        {
            return Err(Error::invalid_ciphertext());
        }
        let mut probe = Probe { data: &self.buffer, ran_out: false };
        let header = match read_header(&mut probe, self.options.max_encrypted_data_keys) {
            Ok(header) => header,
            Err(_) if probe.ran_out => return Ok(false),
            Err(e) => return Err(e),
        };
        let keys = unlock(&self.store, &header, &self.context, &self.options)?;
        self.buffer.drain(..header.len());
        self.state =
            State::Body { opener: SegmentOpener::new(&keys)?, segment_size: header.segment_size as usize, index: 0 };
        Ok(true)
    }

    fn end(&mut self) -> Result<SecretBytes> {
        let State::Body { opener, segment_size, index } = &mut self.state else {
            return match &self.state {
                State::Failed(e) => Err(e.clone()),
                State::Finished => Err(Error::validation("This open stream is already finished")),
                _ => Err(Error::invalid_ciphertext()),
            };
        };
        let sealed = &self.buffer[..];
        let min = if *index > 0 { SEGMENT_OVERHEAD + 1 } else { SEGMENT_OVERHEAD };
        if sealed.len() < min || sealed.len() > *segment_size + SEGMENT_OVERHEAD {
            return Err(Error::invalid_ciphertext());
        }
        let mut out = Zeroizing::new(Vec::with_capacity(sealed.len() - SEGMENT_OVERHEAD));
        let i = u32::try_from(*index).map_err(|_| Error::invalid_ciphertext())?;
        opener.open_append(i, true, sealed, &mut out)?;
        self.buffer.clear();
        Ok(SecretBytes::new(std::mem::take(&mut *out)))
    }
}
