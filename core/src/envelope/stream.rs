//! Streaming: a `Write` adapter that seals, a `Read` adapter that opens, and ranged opening
//! over `Read + Seek` that reads only the segments a byte range needs.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;

use zeroize::{Zeroize, Zeroizing};

use super::header::{io_error, read_header};
use super::segment::{SegmentOpener, SegmentSealer, Wiped};
use super::{layout, start, unlock, OpenOptions, SealOptions, SEGMENT_OVERHEAD};
use crate::crypto::context::EncryptionContext;
use crate::error::{Error, Result};
use crate::keystead::Keystead;
use crate::secret::SecretBytes;

fn to_io(e: Error) -> io::Error {
    let kind = match e.kind() {
        crate::ErrorKind::InvalidCiphertext => io::ErrorKind::InvalidData,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

/// Seals everything written to it into one envelope message written to `inner`.
///
/// The header is written by [`EnvelopeWriter::new`]; each full segment is written as soon as
/// the next byte arrives; [`EnvelopeWriter::finish`] writes the last segment. A writer dropped
/// without `finish` leaves a message that every reader refuses as truncated. Memory: one
/// segment, reused for every segment (buffered plaintext is encrypted in place; a whole segment
/// handed to `write` at once is encrypted into a second buffer, also reused). I/O errors of `inner` are returned as they are;
/// other failures are an `io::Error` wrapping the Keystead [`Error`] (see
/// [`error_from_io`](super::error_from_io)).
pub struct EnvelopeWriter<W: Write> {
    inner: Option<W>,
    sealer: SegmentSealer,
    segment_size: usize,
    /// Plaintext of the segment being filled; encrypted in place once the next byte tells
    /// whether it is the last. Wiped (all its capacity) when the writer is dropped.
    pending: Wiped,
    /// Ciphertext of a whole segment sealed straight from the caller's buffer.
    out: Vec<u8>,
    index: u64,
    failed: bool,
}

impl<W: Write> EnvelopeWriter<W> {
    /// Generates a data key under `key_id` (plus `options.additional_key_ids`) and writes the
    /// message header to `inner`.
    ///
    /// # Errors
    /// As [`seal`](super::seal); an I/O failure writing the header is `KMSInternalException`.
    pub fn new(
        store: &Keystead,
        key_id: &str,
        context: &EncryptionContext,
        options: &SealOptions,
        mut inner: W,
    ) -> Result<Self> {
        let started = start(store, key_id, context, options)?;
        inner.write_all(&started.header).map_err(io_error)?;
        let segment_size = started.segment_size;
        Ok(Self {
            inner: Some(inner),
            sealer: SegmentSealer::new(&started.keys)?,
            segment_size,
            pending: Wiped(Vec::with_capacity(segment_size)),
            out: Vec::new(),
            index: 0,
            failed: false,
        })
    }

    fn next_index(&self) -> io::Result<u32> {
        u32::try_from(self.index)
            .map_err(|_| to_io(Error::validation("The message would have more than 2^32 segments")))
    }

    fn inner(&mut self) -> io::Result<&mut W> {
        self.inner.as_mut().ok_or_else(|| to_io(Error::internal("writer already finished")))
    }

    /// Seals the buffered plaintext in place and writes it and its tag.
    fn emit_pending(&mut self, last: bool) -> io::Result<()> {
        let index = self.next_index()?;
        let tag = self.sealer.seal_in_place(index, last, &mut self.pending.0).map_err(to_io)?;
        let inner = self.inner.as_mut().ok_or_else(|| to_io(Error::internal("writer already finished")))?;
        inner.write_all(&self.pending.0)?;
        inner.write_all(&tag)?;
        // The buffer now holds ciphertext; the next segment's plaintext overwrites it.
        self.pending.0.clear();
        self.index += 1;
        Ok(())
    }

    /// Seals a whole non-last segment straight from the caller's buffer.
    fn emit_direct(&mut self, plaintext: &[u8]) -> io::Result<()> {
        let index = self.next_index()?;
        self.out.clear();
        self.sealer.seal_append(index, false, plaintext, &mut self.out).map_err(to_io)?;
        let inner = self.inner.as_mut().ok_or_else(|| to_io(Error::internal("writer already finished")))?;
        inner.write_all(&self.out)?;
        self.index += 1;
        Ok(())
    }

    fn guarded<T>(&mut self, body: impl FnOnce(&mut Self) -> io::Result<T>) -> io::Result<T> {
        if self.failed {
            return Err(to_io(Error::internal("an earlier write to this envelope writer failed")));
        }
        let result = body(self);
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    /// Writes the last segment, flushes and returns the inner writer.
    ///
    /// # Errors
    /// An `io::Error` if writing fails or an earlier write failed.
    pub fn finish(mut self) -> io::Result<W> {
        self.guarded(|w| {
            w.emit_pending(true)?;
            w.inner()?.flush()
        })?;
        self.inner.take().ok_or_else(|| to_io(Error::internal("writer already finished")))
    }
}

impl<W: Write> Write for EnvelopeWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.guarded(|w| {
            let seg = w.segment_size;
            let mut rest = data;
            while !rest.is_empty() {
                if w.pending.0.len() == seg {
                    // More data follows, so the buffered segment is not the last.
                    w.emit_pending(false)?;
                }
                if w.pending.0.is_empty() && rest.len() > seg {
                    // Whole segments straight from the caller's buffer (no copy).
                    w.emit_direct(&rest[..seg])?;
                    rest = &rest[seg..];
                    continue;
                }
                let n = (seg - w.pending.0.len()).min(rest.len());
                w.pending.0.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
            }
            Ok(data.len())
        })
    }

    /// Flushes the inner writer; a partly filled segment stays buffered (it is sealed once it
    /// is full or the message is finished).
    fn flush(&mut self) -> io::Result<()> {
        match self.inner.as_mut() {
            Some(inner) => inner.flush(),
            None => Ok(()),
        }
    }
}

/// The bytes written to a `Vec` inner writer so far, taken out of it (for [`SealStream`]).
///
/// [`SealStream`]: super::SealStream
pub(crate) fn take_output(writer: &mut EnvelopeWriter<Vec<u8>>) -> Vec<u8> {
    writer.inner.as_mut().map(std::mem::take).unwrap_or_default()
}

/// Opens an envelope message read from `inner`, segment by segment.
///
/// [`EnvelopeReader::new`] reads the header, unwraps the data key and checks the commitment;
/// reading then yields plaintext one verified segment at a time. A failure (tampering,
/// truncation, bytes after the last segment) is an `io::Error` of kind `InvalidData` wrapping
/// an `InvalidCiphertextException` [`Error`]; use [`error_from_io`](super::error_from_io) to
/// get it back. I/O errors of `inner` are returned as they are. After any failure every read
/// fails. Memory: about two segments.
pub struct EnvelopeReader<R: Read> {
    inner: R,
    opener: SegmentOpener,
    segment_size: usize,
    /// Ciphertext read ahead (at most one segment and one byte); once a segment verifies, its
    /// plaintext in place at the front. Grows only while it holds no plaintext yet (up to one
    /// segment and one byte), then is reused for every segment.
    buffer: Wiped,
    /// Bytes at the front of `buffer` that were read from `inner` and not yet consumed.
    filled: usize,
    /// Length of the current segment in `buffer` (ciphertext and tag), and of its plaintext.
    sealed_len: usize,
    plain_len: usize,
    /// Plaintext bytes of the current segment already handed out.
    position: usize,
    index: u64,
    done: bool,
    failed: Option<Error>,
}

/// Granularity in which the read-ahead buffer grows before the first segment (so a short
/// message with a large segment size does not allocate a whole segment).
const READ_GROWTH: usize = 64 * 1024;

impl<R: Read> EnvelopeReader<R> {
    /// Reads the header from `inner` and unlocks the message.
    ///
    /// # Errors
    /// As [`open`](super::open).
    pub fn new(store: &Keystead, mut inner: R, context: &EncryptionContext, options: &OpenOptions) -> Result<Self> {
        options.check()?;
        let header = read_header(&mut inner, options.max_encrypted_data_keys)?;
        let keys = unlock(store, &header, context, options)?;
        let segment_size = header.segment_size as usize;
        Ok(Self {
            inner,
            opener: SegmentOpener::new(&keys)?,
            segment_size,
            buffer: Wiped::default(),
            filled: 0,
            sealed_len: 0,
            plain_len: 0,
            position: 0,
            index: 0,
            done: false,
            failed: None,
        })
    }

    /// The inner reader (positioned after the message once all of it was read).
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads until `want` bytes are buffered or the input ends.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        while self.filled < want {
            if self.filled == self.buffer.0.len() {
                // Only before the first segment opens: afterwards the buffer is `want` long.
                let grown = want.min((self.buffer.0.len() * 2).max(READ_GROWTH));
                self.buffer.0.resize(grown, 0);
            }
            let end = want.min(self.buffer.0.len());
            match self.inner.read(&mut self.buffer.0[self.filled..end]) {
                Ok(0) => break,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads and verifies the next segment. I/O errors of the inner reader are returned as they
    /// are; a bad segment is an `InvalidData` error wrapping `InvalidCiphertextException`.
    fn next_segment(&mut self) -> io::Result<()> {
        // The read-ahead bytes after the previous segment move to the front.
        self.buffer.0.copy_within(self.sealed_len..self.filled, 0);
        self.filled -= self.sealed_len;
        self.sealed_len = 0;
        self.plain_len = 0;
        self.position = 0;
        let full = self.segment_size + SEGMENT_OVERHEAD;
        // Read one segment and one byte more: the extra byte tells whether this is the last.
        self.fill(full + 1)?;
        self.open_buffered(full).map_err(to_io)
    }

    fn open_buffered(&mut self, full: usize) -> Result<()> {
        let last = self.filled <= full;
        let sealed_len = if last { self.filled } else { full };
        let min = if last && self.index > 0 { SEGMENT_OVERHEAD + 1 } else { SEGMENT_OVERHEAD };
        if sealed_len < min {
            return Err(Error::invalid_ciphertext());
        }
        let index = u32::try_from(self.index).map_err(|_| Error::invalid_ciphertext())?;
        self.plain_len = self.opener.open_in_place(index, last, &mut self.buffer.0[..sealed_len])?;
        self.sealed_len = sealed_len;
        self.index += 1;
        self.done = last;
        Ok(())
    }
}

impl<R: Read> Read for EnvelopeReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(to_io(e.clone()));
        }
        while self.position == self.plain_len {
            if self.done {
                return Ok(0);
            }
            if let Err(e) = self.next_segment() {
                self.buffer.0.as_mut_slice().zeroize();
                self.filled = 0;
                self.sealed_len = 0;
                self.plain_len = 0;
                self.position = 0;
                self.failed = Some(keystead_error_of(&e));
                return Err(e);
            }
        }
        let n = out.len().min(self.plain_len - self.position);
        out[..n].copy_from_slice(&self.buffer.0[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

/// The Keystead error an `io::Error` stands for, without consuming it.
fn keystead_error_of(e: &io::Error) -> Error {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
        Some(inner) => inner.clone(),
        None => Error::internal(format!("I/O error while reading an envelope message: {e}")),
    }
}

/// The Keystead error inside an `io::Error` from [`EnvelopeReader`] or [`EnvelopeWriter`]
/// (an inner I/O failure becomes `KMSInternalException`).
pub fn error_from_io(e: io::Error) -> Error {
    io_error(e)
}

/// Opens only `range` (plaintext byte offsets; the end is clipped to the plaintext length) of
/// the message that starts at the current position of `reader`, reading the header and just the
/// segments that overlap the range (an S3 ranged GET needs only those bytes).
///
/// # Errors
/// As [`open`](super::open); `ValidationException` when `range.start > range.end`.
pub fn open_range<R: Read + Seek>(
    store: &Keystead,
    mut reader: R,
    context: &EncryptionContext,
    options: &OpenOptions,
    range: Range<u64>,
) -> Result<SecretBytes> {
    options.check()?;
    if range.start > range.end {
        return Err(Error::validation("The range's start is after its end"));
    }
    let io = |e: io::Error| io_error(e);
    let base = reader.stream_position().map_err(io)?;
    let end = reader.seek(SeekFrom::End(0)).map_err(io)?;
    reader.seek(SeekFrom::Start(base)).map_err(io)?;
    let header = read_header(&mut reader, options.max_encrypted_data_keys)?;
    let body_start = base + header.len() as u64;
    let body_len = end.checked_sub(body_start).ok_or_else(Error::invalid_ciphertext)?;
    let seg = header.segment_size as usize;
    let (count, plaintext_len) = layout(body_len, seg)?;
    let keys = unlock(store, &header, context, options)?;
    let mut opener = SegmentOpener::new(&keys)?;
    let start = range.start.min(plaintext_len);
    let stop = range.end.min(plaintext_len);
    let capacity = usize::try_from(stop - start).map_err(|_| Error::validation("The range is too large"))?;
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    let seg64 = seg as u64;
    let full = seg64 + SEGMENT_OVERHEAD as u64;
    // An empty range still verifies the last segment, which authenticates the message length.
    let (first, last_needed) = if start == stop { (count - 1, count - 1) } else { (start / seg64, (stop - 1) / seg64) };
    // Each segment is decrypted in place in one reused buffer; `out` has its exact capacity, so
    // it is never reallocated.
    let mut sealed = Wiped::default();
    reader.seek(SeekFrom::Start(body_start + first * full)).map_err(io)?;
    for index in first..=last_needed {
        let is_last = index == count - 1;
        let sealed_len = if is_last { body_len - index * full } else { full };
        sealed.0.resize(sealed_len as usize, 0);
        reader.read_exact(&mut sealed.0).map_err(io)?;
        let index32 = u32::try_from(index).map_err(|_| Error::invalid_ciphertext())?;
        let plain_len = opener.open_in_place(index32, is_last, &mut sealed.0)?;
        let plain = &sealed.0[..plain_len];
        let seg_start = index * seg64;
        let from = (start.max(seg_start) - seg_start) as usize;
        let to = (stop.min(seg_start + plain.len() as u64).max(seg_start) - seg_start) as usize;
        out.extend_from_slice(&plain[from.min(to)..to]);
    }
    Ok(SecretBytes::new(std::mem::take(&mut *out)))
}

/// The bytes of a message (absolute offsets, half-open) that [`open_range`] reads for `range`
/// besides the header: the segments overlapping the range (the last segment for an empty
/// range). `info` is the message's [`inspect`](super::inspect) result and `message_len` its
/// total length. For fetching just those bytes (an S3 ranged GET) and passing them to
/// [`open_range_parts`].
///
/// # Errors
/// `InvalidCiphertextException` if `message_len` does not fit the header's layout;
/// `ValidationException` when `range.start > range.end`.
pub fn range_span(info: &super::MessageInfo, message_len: u64, range: Range<u64>) -> Result<Range<u64>> {
    if range.start > range.end {
        return Err(Error::validation("The range's start is after its end"));
    }
    let header_len = info.header_len as u64;
    let body_len = message_len.checked_sub(header_len).ok_or_else(Error::invalid_ciphertext)?;
    let (count, plaintext_len) = layout(body_len, info.segment_size)?;
    let seg = info.segment_size as u64;
    let full = seg + SEGMENT_OVERHEAD as u64;
    let start = range.start.min(plaintext_len);
    let stop = range.end.min(plaintext_len);
    let (first, last) = if start == stop { (count - 1, count - 1) } else { (start / seg, (stop - 1) / seg) };
    Ok(header_len + first * full..(header_len + (last + 1) * full).min(message_len))
}

/// A `Read + Seek` view of a message of which only the header and one span are at hand.
struct Sparse<'a> {
    header: &'a [u8],
    span_start: u64,
    span: &'a [u8],
    len: u64,
    position: u64,
}

impl Read for Sparse<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let (base, bytes) = if self.position < self.header.len() as u64 {
            (0, self.header)
        } else if self.position >= self.span_start && self.position < self.span_start + self.span.len() as u64 {
            (self.span_start, self.span)
        } else if self.position >= self.len {
            return Ok(0);
        } else {
            // `open_range` reads only the header and the span it was given.
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "bytes outside the fetched span"));
        };
        let at = (self.position - base) as usize;
        let n = out.len().min(bytes.len() - at);
        out[..n].copy_from_slice(&bytes[at..at + n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for Sparse<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        self.position = target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek out of range"))?;
        Ok(self.position)
    }
}

/// [`open_range`] over pieces of a message: its first bytes (at least the whole header),
/// its total length, and the span [`range_span`] named, fetched from `span_start`.
///
/// # Errors
/// As [`open_range`]; a span that does not cover the segments the range needs is
/// `InvalidCiphertextException`.
#[allow(clippy::too_many_arguments)] // the pieces of a message, then `open_range`'s own arguments
pub fn open_range_parts(
    store: &Keystead,
    header: &[u8],
    message_len: u64,
    span_start: u64,
    span: &[u8],
    context: &EncryptionContext,
    options: &OpenOptions,
    range: Range<u64>,
) -> Result<SecretBytes> {
    let sparse = Sparse { header, span_start, span, len: message_len, position: 0 };
    open_range(store, sparse, context, options, range)
}
