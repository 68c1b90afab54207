//! Envelope encryption: one self-describing message format for records and large objects.
//!
//! A message is a header (format, suite, random message id, segment size, the canonical
//! encryption context, 1 to 255 encrypted data keys, a 32-byte key commitment) followed by
//! AES-256-GCM segments. Each encrypted data key is the `CiphertextBlob` of
//! [`Keystead::generate_data_key`] (or [`Keystead::encrypt`] for extra wrapping keys) under a
//! Keystead symmetric key, so opening needs no key id. `docs/format.md` section 5 is the
//! normative description.
//!
//! Guarantees:
//! - **Commitment before decryption.** The commitment is an HKDF-SHA-256 value of the data key,
//!   the message id and a hash of the whole header; it is checked in constant time before any
//!   segment is decrypted, so a message opens to one plaintext under one data key only, and any
//!   header change (context, key list, segment size) is refused.
//! - **Limits before unwrapping.** The number of encrypted data keys is checked against
//!   [`OpenOptions::max_encrypted_data_keys`] before any is read, and keys outside
//!   [`OpenOptions::allowed_wrapping_keys`] are never sent to `Decrypt`.
//! - **Segments.** Segment `i` is sealed with nonce `prefix || i || last`, so truncation,
//!   reordering, duplication and splicing between messages fail a tag. Streaming readers release
//!   a segment's plaintext only after its tag verifies; memory stays at about two segments.
//! - **Data key caching** ([`DataKeyCache`], off by default): one-shot [`seal`] may reuse a
//!   data key within limits of age, messages and bytes (each message keeps its own message id,
//!   segment key and commitment); evicted keys are zeroized.
//! - **One error.** Every damaged or forged message is `InvalidCiphertextException` with the
//!   same message; a bad option is `ValidationException`; a wrapping key's state (disabled,
//!   pending deletion) surfaces as the KMS error for it.
//!
//! ```
//! use keystead_core::envelope::{open, seal, OpenOptions, SealOptions};
//! use keystead_core::{CreateKeyRequest, EncryptionContext, Keystead};
//!
//! # fn main() -> keystead_core::Result<()> {
//! let store = Keystead::builder().open_in_memory()?;
//! let key = store.create_key(CreateKeyRequest::default())?;
//! let context = EncryptionContext::from([("table".to_string(), "orders".to_string())]);
//! let message = seal(&store, &key.key_id, b"a customer record", &context, &SealOptions::default())?;
//! let opened = open(&store, &message, &context, &OpenOptions::default())?;
//! assert_eq!(opened.expose(), b"a customer record");
//! # Ok(())
//! # }
//! ```

mod cache;
mod fields;
mod header;
mod push;
mod secrets;
mod segment;
mod stream;

use std::collections::HashSet;
use std::sync::Arc;

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::crypto::ciphertext::parse_header as parse_blob_header;
use crate::crypto::context::{canonical_context, EncryptionContext};
use crate::crypto::primitives::GCM_TAG_LEN;
use crate::crypto::symmetric::{DecryptRequest, EncryptRequest, GenerateDataKeyRequest};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::spec::DataKeySpec;
use crate::keystead::Keystead;
use crate::secret::SecretBytes;

pub use cache::{CacheLimits, DataKeyCache};
pub use fields::{decrypt_fields, encrypt_fields, FIELDS_ATTRIBUTE, FIELDS_MAGIC, FIELDS_VERSION, MAX_FIELDS};
use header::Header;
pub use header::{
    COMMITMENT_LEN, DATA_KEY_LEN, MAGIC, MAX_FORMAT_DATA_KEYS, MESSAGE_ID_LEN, SUITE_AES_256_GCM_HKDF_SHA256_COMMIT,
};
pub use push::{OpenStream, SealStream};
pub use secrets::{
    decrypt_env, decrypt_secret, encrypt_secret, is_secret, MAX_SECRET_LEN, SECRET_PREFIX, VARIABLE_CONTEXT_KEY,
};
use segment::{SegmentKeys, SegmentOpener, SegmentSealer};
pub use stream::{error_from_io, open_range, open_range_parts, range_span, EnvelopeReader, EnvelopeWriter};

/// Default plaintext bytes per segment (1 MiB).
pub const DEFAULT_SEGMENT_SIZE: usize = 1 << 20;
/// Smallest segment size accepted.
pub const MIN_SEGMENT_SIZE: usize = 16;
/// Largest segment size accepted (1 GiB).
pub const MAX_SEGMENT_SIZE: usize = 1 << 30;
/// Default maximum number of encrypted data keys accepted by `open`.
pub const DEFAULT_MAX_ENCRYPTED_DATA_KEYS: usize = 8;
/// Bytes a segment adds to its plaintext (the GCM tag).
pub const SEGMENT_OVERHEAD: usize = GCM_TAG_LEN;
/// Inputs at least this large are sealed and opened on several threads when
/// `threads` is 0 (automatic).
pub const PARALLEL_THRESHOLD: usize = 4 << 20;

/// Options of [`seal`] and [`EnvelopeWriter`].
#[derive(Clone, Debug)]
pub struct SealOptions {
    /// Further keys (any identifier form) that each wrap the same data key, so that any one of
    /// them can open the message. The key given to `seal` generates the data key.
    pub additional_key_ids: Vec<String>,
    /// Plaintext bytes per segment, [`MIN_SEGMENT_SIZE`]..=[`MAX_SEGMENT_SIZE`]; default 1 MiB.
    /// Set it to a multipart upload's part size minus [`SEGMENT_OVERHEAD`] to align segments
    /// with parts.
    pub segment_size: usize,
    /// Threads for one-shot sealing: 0 = automatic (all cores for inputs of at least
    /// [`PARALLEL_THRESHOLD`] bytes), 1 = this thread only, n = up to n threads.
    pub threads: usize,
    /// Data key cache for one-shot [`seal`] (default none: a fresh data key per message).
    /// [`EnvelopeWriter`] never uses it (its length is not known in advance).
    pub cache: Option<Arc<DataKeyCache>>,
}

impl Default for SealOptions {
    fn default() -> Self {
        Self { additional_key_ids: Vec::new(), segment_size: DEFAULT_SEGMENT_SIZE, threads: 0, cache: None }
    }
}

/// Options of [`open`], [`EnvelopeReader`] and [`open_range`].
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Messages with more encrypted data keys are refused before any is unwrapped; 1..=255,
    /// default 8.
    pub max_encrypted_data_keys: usize,
    /// When set, only encrypted data keys wrapped by these keys (key ids, key ARNs, aliases or
    /// alias ARNs, resolved when opening) are unwrapped; the others are skipped without a
    /// `Decrypt` call.
    pub allowed_wrapping_keys: Option<Vec<String>>,
    /// Threads for one-shot opening, as in [`SealOptions::threads`].
    pub threads: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self { max_encrypted_data_keys: DEFAULT_MAX_ENCRYPTED_DATA_KEYS, allowed_wrapping_keys: None, threads: 0 }
    }
}

impl SealOptions {
    fn checked_segment_size(&self) -> Result<u32> {
        if !(MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&self.segment_size) {
            return Err(Error::validation(format!(
                "segment_size must be {MIN_SEGMENT_SIZE} to {MAX_SEGMENT_SIZE} bytes; got {}",
                self.segment_size
            )));
        }
        u32::try_from(self.segment_size).map_err(|_| Error::validation("segment_size is too large"))
    }
}

impl OpenOptions {
    fn check(&self) -> Result<()> {
        if !(1..=MAX_FORMAT_DATA_KEYS).contains(&self.max_encrypted_data_keys) {
            return Err(Error::validation(format!(
                "max_encrypted_data_keys must be 1 to {MAX_FORMAT_DATA_KEYS}; got {}",
                self.max_encrypted_data_keys
            )));
        }
        if self.allowed_wrapping_keys.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::validation("allowed_wrapping_keys, when given, must name at least one key"));
        }
        Ok(())
    }
}

/// A sealed header and the keys for its segments (the start of every sealing path).
pub(crate) struct Started {
    pub(crate) header: Vec<u8>,
    pub(crate) keys: SegmentKeys,
    pub(crate) segment_size: usize,
}

/// Generates a data key under `key_id`, wraps it under the additional keys, and builds the
/// header with its commitment.
pub(crate) fn start(
    store: &Keystead,
    key_id: &str,
    context: &EncryptionContext,
    options: &SealOptions,
) -> Result<Started> {
    start_with_room(store, key_id, context, options, 0)
}

/// [`start`], with the header's buffer given `room` bytes of spare capacity (one-shot sealing
/// writes the whole message into it).
fn start_with_room(
    store: &Keystead,
    key_id: &str,
    context: &EncryptionContext,
    options: &SealOptions,
    room: usize,
) -> Result<Started> {
    let segment_size = options.checked_segment_size()?;
    let canonical = checked_context(context, options)?;
    let (data_key, edks) = materials(store, key_id, context, options)?;
    let (header, keys) = build_header(data_key.expose(), &edks, &canonical, segment_size, room)?;
    Ok(Started { header, keys, segment_size: segment_size as usize })
}

fn checked_context(context: &EncryptionContext, options: &SealOptions) -> Result<Vec<u8>> {
    if options.additional_key_ids.len() + 1 > MAX_FORMAT_DATA_KEYS {
        return Err(Error::validation(format!("A message can have at most {MAX_FORMAT_DATA_KEYS} wrapping keys")));
    }
    canonical_context(context)
}

/// A fresh data key from `GenerateDataKey` under `key_id` and its copies under the additional
/// keys (`Encrypt`).
fn materials(
    store: &Keystead,
    key_id: &str,
    context: &EncryptionContext,
    options: &SealOptions,
) -> Result<(SecretBytes, Vec<Vec<u8>>)> {
    let generated = store.generate_data_key(GenerateDataKeyRequest {
        key_id,
        encryption_context: Some(context),
        key_spec: Some(DataKeySpec::Aes256),
        number_of_bytes: None,
        ..Default::default()
    })?;
    let data_key = generated.plaintext;
    let mut edks = vec![generated.ciphertext_blob];
    for extra in &options.additional_key_ids {
        let wrapped = store.encrypt(EncryptRequest {
            key_id: extra,
            plaintext: data_key.expose(),
            encryption_context: Some(context),
            encryption_algorithm: None,
            ..Default::default()
        })?;
        edks.push(wrapped.ciphertext_blob);
    }
    Ok((data_key, edks))
}

/// A header (with its commitment) for a fresh random message id, and its segment keys.
/// The buffer has `room` bytes of spare capacity after the header.
fn build_header(
    data_key: &[u8],
    edks: &[Vec<u8>],
    canonical: &[u8],
    segment_size: u32,
    room: usize,
) -> Result<(Vec<u8>, SegmentKeys)> {
    if data_key.len() != DATA_KEY_LEN {
        return Err(Error::validation(format!("The data key must be {DATA_KEY_LEN} bytes")));
    }
    let mut message_id = [0u8; MESSAGE_ID_LEN];
    openssl::rand::rand_bytes(&mut message_id)?;
    let mut header = header::encode_body(&message_id, segment_size, canonical, edks, COMMITMENT_LEN + room)?;
    let (commitment, keys) = header::derive(data_key, &header, &message_id)?;
    header.extend_from_slice(&commitment);
    Ok((header, keys))
}

/// Resolves the allow-list to key UUIDs. Entries naming no key of this store match nothing.
fn allowed_keys(store: &Keystead, options: &OpenOptions) -> Result<Option<HashSet<Uuid>>> {
    let Some(entries) = &options.allowed_wrapping_keys else { return Ok(None) };
    let mut set = HashSet::with_capacity(entries.len());
    for entry in entries {
        match store.describe_key(entry) {
            Ok(meta) => {
                if let Ok(id) = Uuid::try_parse(&meta.key_id) {
                    set.insert(id);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::InvalidArn) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(set))
}

/// Checks the caller's context against the header, unwraps a data key (allowed wrapping keys
/// only, in header order) and verifies the commitment. Returns the segment keys.
pub(crate) fn unlock(
    store: &Keystead,
    header: &Header,
    context: &EncryptionContext,
    options: &OpenOptions,
) -> Result<SegmentKeys> {
    if canonical_context(context)? != header.context {
        return Err(Error::invalid_ciphertext());
    }
    let allowed = allowed_keys(store, options)?;
    let mut first_error: Option<Error> = None;
    for edk in &header.encrypted_data_keys {
        let Ok(blob_header) = parse_blob_header(edk) else { continue };
        if allowed.as_ref().is_some_and(|set| !set.contains(&blob_header.key_id)) {
            continue;
        }
        match store.decrypt(DecryptRequest {
            ciphertext_blob: edk,
            encryption_context: Some(context),
            key_id: None,
            encryption_algorithm: None,
            ..Default::default()
        }) {
            // The first data key that unwraps must match the commitment; a second candidate is
            // never tried (a message commits to exactly one data key).
            Ok(response) => return header::verify(header, response.plaintext.expose()),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    // A key's state (disabled, pending deletion, unavailable) is worth telling; anything else
    // is the one ciphertext error.
    match first_error {
        Some(e) if e.kind() != ErrorKind::InvalidCiphertext => Err(e),
        _ => Err(Error::invalid_ciphertext()),
    }
}

/// How a body of `body_len` bytes splits into segments: `(count, plaintext length)`. Every
/// segment but the last holds `segment_size` plaintext bytes; the last holds 1..=segment_size,
/// or 0 when it is the only segment (empty plaintext).
pub(crate) fn layout(body_len: u64, segment_size: usize) -> Result<(u64, u64)> {
    let full = (segment_size + SEGMENT_OVERHEAD) as u64;
    if body_len < SEGMENT_OVERHEAD as u64 {
        return Err(Error::invalid_ciphertext());
    }
    let count = if body_len <= full { 1 } else { body_len.div_ceil(full) };
    let last = body_len - (count - 1) * full;
    let min_last = if count == 1 { SEGMENT_OVERHEAD as u64 } else { SEGMENT_OVERHEAD as u64 + 1 };
    if last < min_last || count > u64::from(u32::MAX) + 1 {
        return Err(Error::invalid_ciphertext());
    }
    Ok((count, body_len - count * SEGMENT_OVERHEAD as u64))
}

fn thread_count(requested: usize, bytes: usize, segments: usize) -> usize {
    let wanted = match requested {
        0 if bytes >= PARALLEL_THRESHOLD => std::thread::available_parallelism().map_or(1, usize::from),
        0 => 1,
        n => n,
    };
    wanted.clamp(1, segments.max(1))
}

/// Runs `work(first_index, chunk_pairs)` over `pairs` split into `threads` contiguous runs.
fn run_parallel<T: Send>(
    pairs: Vec<T>,
    threads: usize,
    work: impl Fn(usize, Vec<T>) -> Result<()> + Sync,
) -> Result<()> {
    if threads <= 1 {
        return work(0, pairs);
    }
    let per = pairs.len().div_ceil(threads);
    let mut runs = Vec::with_capacity(threads);
    let mut rest = pairs;
    let mut first = 0;
    while !rest.is_empty() {
        let tail = rest.split_off(per.min(rest.len()));
        let len = rest.len();
        runs.push((first, rest));
        first += len;
        rest = tail;
    }
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = runs.into_iter().map(|(first, run)| scope.spawn(move || work(first, run))).collect();
        let mut outcome = Ok(());
        for handle in handles {
            let result = handle.join().unwrap_or_else(|_| Err(Error::internal("an envelope worker thread panicked")));
            if outcome.is_ok() {
                outcome = result;
            }
        }
        outcome
    })
}

fn segment_index(i: usize) -> Result<u32> {
    u32::try_from(i).map_err(|_| Error::validation("The message would have more than 2^32 segments"))
}

/// Seals `plaintext` into one message under `key_id` (which generates the data key) and
/// `options.additional_key_ids`. Large inputs are sealed on several threads.
///
/// # Errors
/// `ValidationException` for bad options or a too-large context; the KMS errors of
/// `GenerateDataKey` / `Encrypt` for the wrapping keys (`NotFoundException`,
/// `DisabledException`, ...).
pub fn seal(
    store: &Keystead,
    key_id: &str,
    plaintext: &[u8],
    context: &EncryptionContext,
    options: &SealOptions,
) -> Result<Vec<u8>> {
    let Some(cache) = &options.cache else {
        let room = body_room(plaintext.len(), options.segment_size, options.threads);
        let started = start_with_room(store, key_id, context, options, room)?;
        return seal_body(started.header, &started.keys, started.segment_size, plaintext, options.threads);
    };
    let segment_size = options.checked_segment_size()?;
    let canonical = checked_context(context, options)?;
    let ids: Vec<String> =
        std::iter::once(key_id.to_owned()).chain(options.additional_key_ids.iter().cloned()).collect();
    let bytes = plaintext.len() as u64;
    let now = store.now();
    let (data_key, edks) = match cache.take(&ids, &canonical, bytes, now)? {
        Some(cached) => cached,
        None => {
            let fresh = materials(store, key_id, context, options)?;
            cache.put(&ids, &canonical, &fresh.0, &fresh.1, bytes, now)?;
            fresh
        }
    };
    let room = body_room(plaintext.len(), segment_size as usize, options.threads);
    let (header, keys) = build_header(data_key.expose(), &edks, &canonical, segment_size, room)?;
    seal_body(header, &keys, segment_size as usize, plaintext, options.threads)
}

/// Spare capacity for the header's buffer: the body's length when one thread will append the
/// body to it, 0 when several threads will write into a fresh zeroed allocation instead (or for
/// a segment size that `checked_segment_size` refuses anyway).
fn body_room(plaintext_len: usize, seg: usize, threads: usize) -> usize {
    if seg == 0 {
        return 0;
    }
    let segments = plaintext_len.div_ceil(seg).max(1);
    if thread_count(threads, plaintext_len, segments) > 1 {
        return 0;
    }
    plaintext_len.saturating_add(segments.saturating_mul(SEGMENT_OVERHEAD))
}

/// The message: `header` followed by the sealed segments of `plaintext`, in one allocation of
/// exactly the final size.
fn seal_body(header: Vec<u8>, keys: &SegmentKeys, seg: usize, plaintext: &[u8], threads: usize) -> Result<Vec<u8>> {
    let segments = plaintext.len().div_ceil(seg).max(1);
    segment_index(segments - 1)?;
    let header_len = header.len();
    let total = header_len + plaintext.len() + segments * SEGMENT_OVERHEAD;
    let threads = thread_count(threads, plaintext.len(), segments);
    if threads <= 1 {
        // One thread appends into the header's spare capacity (callers reserve the body's
        // length): no byte is written twice and nothing is reallocated.
        let mut out = header;
        out.reserve_exact(total - header_len);
        let mut sealer = SegmentSealer::new(keys)?;
        if plaintext.is_empty() {
            sealer.seal_append(0, true, &[], &mut out)?;
        }
        for (index, pt) in plaintext.chunks(seg).enumerate() {
            sealer.seal_append(segment_index(index)?, index == segments - 1, pt, &mut out)?;
        }
        return Ok(out);
    }
    // Threads need disjoint initialised slices of the one output: a zeroed allocation (for
    // large sizes fresh zero pages from the kernel, so no user-space fill pass).
    let mut out = vec![0u8; total];
    out[..header_len].copy_from_slice(&header);
    let pairs: Vec<(&[u8], &mut [u8])> =
        plaintext.chunks(seg).zip(out[header_len..].chunks_mut(seg + SEGMENT_OVERHEAD)).collect();
    run_parallel(pairs, threads, |first, run| {
        let mut sealer = SegmentSealer::new(keys)?;
        for (offset, (pt, ct)) in run.into_iter().enumerate() {
            let index = first + offset;
            sealer.seal(segment_index(index)?, index == segments - 1, pt, ct)?;
        }
        Ok(())
    })?;
    Ok(out)
}

/// Opens a message made by [`seal`] or [`EnvelopeWriter`] and returns its plaintext (all of it
/// verified). Large inputs are opened on several threads.
///
/// # Errors
/// `InvalidCiphertextException` for any damaged, truncated, extended or forged message, a
/// different encryption context, more encrypted data keys than allowed, or no allowed wrapping
/// key; `ValidationException` for bad options; `DisabledException` /
/// `KMSInvalidStateException` when the wrapping key cannot be used.
pub fn open(
    store: &Keystead,
    message: &[u8],
    context: &EncryptionContext,
    options: &OpenOptions,
) -> Result<SecretBytes> {
    options.check()?;
    let mut reader = message;
    let header = header::read_header(&mut reader, options.max_encrypted_data_keys)?;
    let body = &message[header.len()..];
    let seg = header.segment_size as usize;
    let (count, plaintext_len) = layout(body.len() as u64, seg)?;
    let keys = unlock(store, &header, context, options)?;
    open_body(body, seg, count, plaintext_len, &keys, options.threads)
}

fn open_body(
    body: &[u8],
    seg: usize,
    count: u64,
    plaintext_len: u64,
    keys: &SegmentKeys,
    threads: usize,
) -> Result<SecretBytes> {
    let count = usize::try_from(count).map_err(|_| Error::invalid_ciphertext())?;
    let plaintext_len = usize::try_from(plaintext_len).map_err(|_| Error::invalid_ciphertext())?;
    let sealed = body.chunks(seg + SEGMENT_OVERHEAD);
    if sealed.len() != count {
        return Err(Error::invalid_ciphertext());
    }
    let threads = thread_count(threads, plaintext_len, count);
    if threads <= 1 {
        // Exact capacity: the plaintext is appended without zero-filling and never reallocated.
        let mut out = Zeroizing::new(Vec::with_capacity(plaintext_len));
        let mut opener = SegmentOpener::new(keys)?;
        for (index, ct) in sealed.enumerate() {
            opener.open_append(segment_index(index)?, index == count - 1, ct, &mut out)?;
        }
        return Ok(SecretBytes::new(std::mem::take(&mut *out)));
    }
    let mut out = Zeroizing::new(vec![0u8; plaintext_len]);
    let pairs: Vec<(&[u8], &mut [u8])> = sealed.zip(out.chunks_mut(seg)).collect();
    if pairs.len() != count {
        return Err(Error::invalid_ciphertext());
    }
    run_parallel(pairs, threads, |first, run| {
        let mut opener = SegmentOpener::new(keys)?;
        for (offset, (ct, pt)) in run.into_iter().enumerate() {
            let index = first + offset;
            opener.open(segment_index(index)?, index == count - 1, ct, pt)?;
        }
        Ok(())
    })?;
    Ok(SecretBytes::new(std::mem::take(&mut *out)))
}

/// Seals `plaintext` under a data key the caller already holds, with the given encrypted data
/// keys copied into the header as they are. For test vectors and independent implementations;
/// applications use [`seal`], which generates and wraps the data key itself.
///
/// # Errors
/// `ValidationException` for a data key that is not 32 bytes, a bad segment size, 0 or more
/// than 255 encrypted data keys, or a too-large context.
pub fn seal_with_data_key(
    data_key: &[u8],
    encrypted_data_keys: &[Vec<u8>],
    context: &EncryptionContext,
    segment_size: usize,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let options = SealOptions { segment_size, threads: 1, ..Default::default() };
    let seg = options.checked_segment_size()?;
    if encrypted_data_keys.iter().any(|k| parse_blob_header(k).is_err()) {
        return Err(Error::validation("Every encrypted data key must be a Keystead ciphertext blob"));
    }
    let room = body_room(plaintext.len(), seg as usize, 1);
    let (header, keys) = build_header(data_key, encrypted_data_keys, &canonical_context(context)?, seg, room)?;
    seal_body(header, &keys, seg as usize, plaintext, 1)
}

/// Opens a message with its data key given directly (no unwrapping, no key store): checks the
/// context, the commitment, then every segment. For test vectors and independent
/// implementations; applications use [`open`].
///
/// # Errors
/// `InvalidCiphertextException` for any damaged message, a wrong data key or context.
pub fn open_with_data_key(message: &[u8], data_key: &[u8], context: &EncryptionContext) -> Result<SecretBytes> {
    let mut reader = message;
    let header = header::read_header(&mut reader, MAX_FORMAT_DATA_KEYS)?;
    let body = &message[header.len()..];
    let seg = header.segment_size as usize;
    let (count, plaintext_len) = layout(body.len() as u64, seg)?;
    if canonical_context(context)? != header.context {
        return Err(Error::invalid_ciphertext());
    }
    let keys = header::verify(&header, data_key)?;
    open_body(body, seg, count, plaintext_len, &keys, 1)
}

/// What a message's header says, before anything is verified: for tools that must show or
/// choose the encryption context and wrapping keys (a CLI `decrypt` that was given no
/// context). Nothing here is authenticated until [`open`] succeeds with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    /// The encryption context stored in the header.
    pub encryption_context: EncryptionContext,
    /// The key id (UUID) of each encrypted data key's wrapping key, in header order.
    pub wrapping_key_ids: Vec<String>,
    /// Plaintext bytes per segment.
    pub segment_size: usize,
    /// Bytes of the header (the body starts there).
    pub header_len: usize,
}

/// Reads a message header from `reader` (consuming exactly the header) and describes it, with
/// the same bounds as [`open`] (`max_encrypted_data_keys`).
///
/// # Errors
/// `InvalidCiphertextException` for a malformed header; `ValidationException` for a bad limit.
pub fn inspect<R: std::io::Read>(reader: &mut R, max_encrypted_data_keys: usize) -> Result<MessageInfo> {
    OpenOptions { max_encrypted_data_keys, ..Default::default() }.check()?;
    let header = header::read_header(reader, max_encrypted_data_keys)?;
    let encryption_context =
        crate::crypto::context::parse_canonical_context(&header.context).map_err(|_| Error::invalid_ciphertext())?;
    let wrapping_key_ids = header
        .encrypted_data_keys
        .iter()
        .map(|edk| parse_blob_header(edk).map(|h| h.key_id.hyphenated().to_string()))
        .collect::<Result<Vec<_>>>()
        .map_err(|_| Error::invalid_ciphertext())?;
    Ok(MessageInfo {
        encryption_context,
        wrapping_key_ids,
        segment_size: header.segment_size as usize,
        header_len: header.len(),
    })
}

/// Bytes a message adds to a plaintext of `plaintext_len` bytes, for a header of
/// `header_len` bytes and segments of `segment_size` bytes.
pub fn overhead(header_len: usize, plaintext_len: usize, segment_size: usize) -> usize {
    header_len + plaintext_len.div_ceil(segment_size.max(1)).max(1) * SEGMENT_OVERHEAD
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::keys::lifecycle::CreateKeyRequest;

    #[test]
    fn commitment_is_checked_before_any_segment_is_decrypted() {
        let store = Keystead::builder().open_in_memory().unwrap();
        let key = store.create_key(CreateKeyRequest::default()).unwrap();
        let context = EncryptionContext::new();
        let options = SealOptions { segment_size: 64, threads: 1, ..Default::default() };
        let message = seal(&store, &key.key_id, &[7u8; 300], &context, &options).unwrap();
        let mut reader = &message[..];
        let header_len = header::read_header(&mut reader, 8).unwrap().len();
        let open_options = OpenOptions { threads: 1, ..Default::default() };
        segment::SEGMENT_OPENS.with(|c| c.set(0));
        assert_eq!(open(&store, &message, &context, &open_options).unwrap().len(), 300);
        assert_eq!(segment::SEGMENT_OPENS.with(std::cell::Cell::get), 5);
        for at in header_len - COMMITMENT_LEN..header_len {
            let mut bad = message.clone();
            bad[at] ^= 0x01;
            segment::SEGMENT_OPENS.with(|c| c.set(0));
            let err = open(&store, &bad, &context, &open_options).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
            assert_eq!(segment::SEGMENT_OPENS.with(std::cell::Cell::get), 0, "no segment decrypted");
        }
    }

    #[test]
    fn layout_splits_bodies() {
        assert_eq!(layout(16, 64).unwrap(), (1, 0));
        assert_eq!(layout(80, 64).unwrap(), (1, 64));
        assert_eq!(layout(81 + 16, 64).unwrap(), (2, 65));
        assert!(layout(80 + 16, 64).is_err(), "an empty last segment only for an empty plaintext");
        assert!(layout(15, 64).is_err());
        assert!(layout(80 + 15, 64).is_err());
    }
}
