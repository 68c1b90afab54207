//! Envelope messages (`keystead_core::envelope`, `docs/format.md` section 5): round trips at
//! every segment boundary through the one-shot, streaming, ranged and parallel paths; every
//! tampering refused with the one ciphertext error; limits checked before unwrapping; key
//! commitment; key states; committed known-answer vectors.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::io::{Cursor, Read, Write};

use keystead_core::envelope::{
    open, open_range, open_with_data_key, seal, seal_with_data_key, EnvelopeReader, EnvelopeWriter, OpenOptions,
    SealOptions, COMMITMENT_LEN, SEGMENT_OVERHEAD,
};
use keystead_core::{
    canonical_context, CreateKeyRequest, EncryptRequest, EncryptionContext, ErrorKind, Keystead, SecretBytes,
};
use proptest::prelude::*;

const SEG: usize = 64;

fn store_and_key() -> (Keystead, String) {
    let store = Keystead::builder().open_in_memory().expect("open");
    let id = store.create_key(CreateKeyRequest::default()).expect("create").key_id;
    (store, id)
}

fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn small(threads: usize) -> SealOptions {
    SealOptions { segment_size: SEG, threads, ..Default::default() }
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// Header length of a message: fixed 38, context, count, (2 + len) per key, commitment.
fn header_len(message: &[u8]) -> usize {
    let mut at = 38;
    let pairs = usize::from(u16::from_be_bytes([message[at], message[at + 1]]));
    at += 2;
    for _ in 0..pairs * 2 {
        at += 2 + usize::from(u16::from_be_bytes([message[at], message[at + 1]]));
    }
    let count = usize::from(message[at]);
    at += 1;
    for _ in 0..count {
        at += 2 + usize::from(u16::from_be_bytes([message[at], message[at + 1]]));
    }
    at + COMMITMENT_LEN
}

/// Opens `message` by every reading path and returns the results (all must agree).
fn open_all(
    store: &Keystead,
    message: &[u8],
    context: &EncryptionContext,
    options: &OpenOptions,
) -> [keystead_core::Result<Vec<u8>>; 4] {
    let one_shot = open(store, message, context, options).map(|p| p.expose().to_vec());
    let parallel =
        open(store, message, context, &OpenOptions { threads: 3, ..options.clone() }).map(|p| p.expose().to_vec());
    let streamed = EnvelopeReader::new(store, message, context, options).and_then(|mut reader| {
        let mut out = Vec::new();
        // Small reads cross segment boundaries.
        let mut buf = [0u8; 7];
        loop {
            let n = reader.read(&mut buf).map_err(keystead_core::envelope::error_from_io)?;
            if n == 0 {
                break Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    });
    let ranged = open_range(store, Cursor::new(message), context, options, 0..u64::MAX).map(|p| p.expose().to_vec());
    [one_shot, parallel, streamed, ranged]
}

fn assert_refused(store: &Keystead, message: &[u8], context: &EncryptionContext, what: &str) {
    for (path, result) in ["open", "parallel open", "reader", "open_range"].iter().zip(open_all(
        store,
        message,
        context,
        &OpenOptions::default(),
    )) {
        let err = result.expect_err(&format!("{what}: {path} must refuse"));
        assert_eq!(err.kind(), ErrorKind::InvalidCiphertext, "{what}: {path}: {err:?}");
    }
}

fn seal_streaming(
    store: &Keystead,
    key: &str,
    plaintext: &[u8],
    context: &EncryptionContext,
    options: &SealOptions,
    chunk: usize,
) -> Vec<u8> {
    let mut writer = EnvelopeWriter::new(store, key, context, options, Vec::new()).unwrap();
    for part in plaintext.chunks(chunk.max(1)) {
        writer.write_all(part).unwrap();
    }
    writer.finish().unwrap()
}

#[test]
fn round_trips_at_every_segment_boundary_on_every_path() {
    let (store, key) = store_and_key();
    let context = ctx(&[("tenant", "42"), ("purpose", "export")]);
    for len in [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 2 * SEG + 1, 10 * SEG + 17, 37 * SEG] {
        let plaintext = data(len, 3);
        let sealed = [
            seal(&store, &key, &plaintext, &context, &small(1)).unwrap(),
            seal(&store, &key, &plaintext, &context, &small(4)).unwrap(),
            seal_streaming(&store, &key, &plaintext, &context, &small(0), 1),
            seal_streaming(&store, &key, &plaintext, &context, &small(0), SEG),
            seal_streaming(&store, &key, &plaintext, &context, &small(0), 5 * SEG + 3),
        ];
        for message in &sealed {
            let segments = len.div_ceil(SEG).max(1);
            assert_eq!(message.len(), header_len(message) + len + segments * SEGMENT_OVERHEAD, "len {len}");
            for result in open_all(&store, message, &context, &OpenOptions::default()) {
                assert_eq!(result.unwrap(), plaintext, "len {len}");
            }
        }
        // Every way of sealing gives the same layout; only the random parts differ.
        assert!(sealed.iter().all(|m| m.len() == sealed[0].len()));
    }
}

#[test]
fn byte_ranges_read_only_what_they_need() {
    let (store, key) = store_and_key();
    let context = ctx(&[("object", "orders.csv")]);
    let plaintext = data(10 * SEG + 17, 9);
    let message = seal(&store, &key, &plaintext, &context, &small(1)).unwrap();
    let opts = OpenOptions::default();
    let len = plaintext.len() as u64;
    for (start, end) in [
        (0, 1),
        (0, 64),
        (63, 65),
        (64, 128),
        (100, 400),
        (640, len),
        (len - 1, len),
        (5, 5),
        (len, len + 10),
        (0, u64::MAX),
    ] {
        let got = open_range(&store, Cursor::new(&message), &context, &opts, start..end).unwrap();
        let (s, e) = (start.min(len) as usize, end.min(len) as usize);
        assert_eq!(got.expose(), &plaintext[s..e], "{start}..{end}");
    }
    // A range never needs the segments after it: the message cut after the range's segment
    // still serves it (and the last segment's flag still protects the end of the message).
    let header = header_len(&message);
    let cut = &message[..header + 2 * (SEG + SEGMENT_OVERHEAD)];
    let got = open_range(&store, Cursor::new(cut), &context, &opts, 10..100);
    assert_eq!(got.unwrap_err().kind(), ErrorKind::InvalidCiphertext, "the cut message has no last segment");
    // Opens from the current position of the reader (a message stored inside a larger file).
    let mut file = b"prefix".to_vec();
    file.extend_from_slice(&message);
    let mut cursor = Cursor::new(&file);
    cursor.set_position(6);
    assert_eq!(open_range(&store, cursor, &context, &opts, 3..200).unwrap().expose(), &plaintext[3..200]);
    let err =
        open_range(&store, Cursor::new(&message), &context, &opts, std::ops::Range { start: 9, end: 3 }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[test]
fn record_overhead_is_small_and_exact() {
    let (store, key) = store_and_key();
    let record = data(1024, 1);
    let empty = EncryptionContext::new();
    let message = seal(&store, &key, &record, &empty, &SealOptions::default()).unwrap();
    // 2 + 32 + 4 + 2 (empty context) + 1 + 2 + 86 (data key blob) + 32 + 16 (one tag).
    assert_eq!(message.len() - record.len(), 177);
    let context = ctx(&[("tenant", "42")]);
    let message = seal(&store, &key, &record, &context, &SealOptions::default()).unwrap();
    assert_eq!(message.len() - record.len(), 177 + canonical_context(&context).unwrap().len() - 2);
    // Each extra wrapping key adds 2 + 86 bytes.
    let second = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let options = SealOptions { additional_key_ids: vec![second], ..Default::default() };
    let message = seal(&store, &key, &record, &empty, &options).unwrap();
    assert_eq!(message.len() - record.len(), 177 + 88);
}

#[test]
fn every_bit_flip_and_every_truncation_is_refused() {
    let (store, key) = store_and_key();
    let context = ctx(&[("tenant", "42")]);
    let plaintext = data(3 * SEG + 5, 7);
    let message = seal(&store, &key, &plaintext, &context, &small(1)).unwrap();
    for at in 0..message.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = message.clone();
            bad[at] ^= bit;
            assert_refused(&store, &bad, &context, &format!("bit {bit:#x} at byte {at}"));
        }
    }
    for len in 0..message.len() {
        assert_refused(&store, &message[..len], &context, &format!("truncated to {len}"));
    }
    let mut longer = message.clone();
    longer.push(0);
    assert_refused(&store, &longer, &context, "one byte appended");
    let mut longer = message;
    longer.extend_from_slice(&[0u8; SEGMENT_OVERHEAD]);
    assert_refused(&store, &longer, &context, "an empty segment appended");
}

/// Splits a message into its header and its sealed segments.
fn split(message: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let header = header_len(message);
    (message[..header].to_vec(), message[header..].chunks(SEG + SEGMENT_OVERHEAD).map(<[u8]>::to_vec).collect())
}

fn join(header: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = header.to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out
}

#[test]
fn reordered_duplicated_dropped_and_spliced_segments_are_refused() {
    let (store, key) = store_and_key();
    let context = ctx(&[("tenant", "42")]);
    let a = seal(&store, &key, &data(4 * SEG + 9, 1), &context, &small(1)).unwrap();
    let b = seal(&store, &key, &data(4 * SEG + 9, 2), &context, &small(1)).unwrap();
    let (header_a, segs_a) = split(&a);
    let (header_b, segs_b) = split(&b);
    assert_eq!(segs_a.len(), 5);
    let mut swapped = segs_a.clone();
    swapped.swap(1, 2);
    assert_refused(&store, &join(&header_a, &swapped), &context, "segments 1 and 2 swapped");
    let mut dup = segs_a.clone();
    dup.insert(2, segs_a[1].clone());
    assert_refused(&store, &join(&header_a, &dup), &context, "segment 1 duplicated");
    let mut dropped = segs_a.clone();
    dropped.remove(2);
    assert_refused(&store, &join(&header_a, &dropped), &context, "segment 2 dropped");
    // Truncation at a segment boundary: the new last segment was sealed as "not last".
    for keep in 1..segs_a.len() {
        assert_refused(&store, &join(&header_a, &segs_a[..keep]), &context, &format!("cut after {keep} segments"));
    }
    let mut spliced = segs_a.clone();
    spliced[1] = segs_b[1].clone();
    assert_refused(&store, &join(&header_a, &spliced), &context, "segment from another message");
    assert_refused(&store, &join(&header_b, &segs_a), &context, "header of another message");
    let mut last_swapped = segs_a;
    last_swapped[4] = segs_b[4].clone();
    assert_refused(&store, &join(&header_a, &last_swapped), &context, "last segment of another message");
}

#[test]
fn context_must_match_exactly() {
    let (store, key) = store_and_key();
    let context = ctx(&[("tenant", "42"), ("table", "orders")]);
    let message = seal(&store, &key, b"record", &context, &SealOptions::default()).unwrap();
    for other in [
        ctx(&[]),
        ctx(&[("tenant", "42")]),
        ctx(&[("tenant", "43"), ("table", "orders")]),
        ctx(&[("Tenant", "42"), ("table", "orders")]),
        ctx(&[("tenant", "42"), ("table", "orders"), ("x", "")]),
    ] {
        assert_refused(&store, &message, &other, &format!("context {other:?}"));
    }
    // The order a caller builds the map in does not matter.
    let reordered: EncryptionContext =
        [("table", "orders"), ("tenant", "42")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(open(&store, &message, &reordered, &OpenOptions::default()).unwrap().expose(), b"record");
}

#[test]
fn header_changes_are_refused_by_the_commitment() {
    let (store, key) = store_and_key();
    let context = ctx(&[("tenant", "42")]);
    let message = seal(&store, &key, &data(200, 4), &context, &small(1)).unwrap();
    let header = header_len(&message);
    // The segment size field (bytes 34..38): 64 -> 128 keeps the body parseable.
    let mut bad = message.clone();
    bad[36] = 0;
    bad[37] = 128;
    assert_refused(&store, &bad, &context, "segment size changed");
    // The context inside the header changed to another valid context, and the caller gives it.
    let other = ctx(&[("tenant", "43")]);
    let mut bad = message.clone();
    let at = 38 + 2 + 2 + 6 + 2 + 1; // last byte of "42"
    bad[at] = b'3';
    assert_refused(&store, &bad, &other, "context in the header changed");
    // The encrypted data key replaced by a valid wrap of another data key (same key, same
    // context): the data key unwraps, the commitment does not match it.
    let other_key = store
        .encrypt(EncryptRequest {
            key_id: &key,
            plaintext: &[0x55; 32],
            encryption_context: Some(&context),
            ..Default::default()
        })
        .unwrap()
        .ciphertext_blob;
    let edk_at = 38 + canonical_context(&context).unwrap().len() + 1 + 2;
    let mut bad = message.clone();
    assert_eq!(other_key.len(), 86);
    bad[edk_at..edk_at + 86].copy_from_slice(&other_key);
    assert_refused(&store, &bad, &context, "data key swapped");
    // A second encrypted data key appended to the header (count 1 -> 2).
    let mut bad = message[..header - COMMITMENT_LEN].to_vec();
    bad[edk_at - 3] = 2;
    bad.extend_from_slice(&86u16.to_be_bytes());
    bad.extend_from_slice(&other_key);
    bad.extend_from_slice(&message[header - COMMITMENT_LEN..]);
    assert_refused(&store, &bad, &context, "encrypted data key added");
}

#[test]
fn wrong_data_key_or_commitment_is_refused_by_the_raw_api() {
    let context = ctx(&[("k", "v")]);
    let data_key = [7u8; 32];
    let blob = keystead_core::crypto::ciphertext::seal(
        uuid::Uuid::from_bytes([1; 16]),
        1,
        &[9u8; 32],
        &canonical_context(&context).unwrap(),
        &data_key,
    )
    .unwrap();
    let message = seal_with_data_key(&data_key, &[blob], &context, SEG, &data(150, 5)).unwrap();
    assert_eq!(open_with_data_key(&message, &data_key, &context).unwrap().expose(), &data(150, 5)[..]);
    let mut other = data_key;
    other[31] ^= 1;
    assert_eq!(open_with_data_key(&message, &other, &context).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
    let commitment_at = header_len(&message) - COMMITMENT_LEN;
    for i in 0..COMMITMENT_LEN {
        let mut bad = message.clone();
        bad[commitment_at + i] ^= 0x10;
        assert_eq!(open_with_data_key(&bad, &data_key, &context).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
    }
    assert_eq!(seal_with_data_key(&[1u8; 16], &[], &context, SEG, b"x").unwrap_err().kind(), ErrorKind::Validation);
}

#[test]
fn the_key_limit_is_checked_before_any_unwrap() {
    let store = Keystead::builder().open_in_memory().unwrap();
    let keys: Vec<String> = (0..3).map(|_| store.create_key(CreateKeyRequest::default()).unwrap().key_id).collect();
    let context = ctx(&[("tenant", "42")]);
    let options = SealOptions { additional_key_ids: keys[1..].to_vec(), ..Default::default() };
    let message = seal(&store, &keys[0], b"three recipients", &context, &options).unwrap();
    let limit = |n| OpenOptions { max_encrypted_data_keys: n, ..Default::default() };
    assert_eq!(open(&store, &message, &context, &limit(3)).unwrap().expose(), b"three recipients");
    // With every wrapping key disabled, an attempted unwrap would say DisabledException; over
    // the limit the answer is the ciphertext error, so no key was tried.
    for key in &keys {
        store.disable_key(key).unwrap();
    }
    assert_eq!(open(&store, &message, &context, &limit(3)).unwrap_err().kind(), ErrorKind::Disabled);
    for n in [1, 2] {
        assert_eq!(open(&store, &message, &context, &limit(n)).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
        let err = EnvelopeReader::new(&store, &message[..], &context, &limit(n)).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
    }
    for n in [0, 256] {
        assert_eq!(open(&store, &message, &context, &limit(n)).unwrap_err().kind(), ErrorKind::Validation);
    }
}

#[test]
fn a_header_with_255_keys_is_refused_fast_under_a_limit_of_3() {
    let (store, key) = store_and_key();
    let context = ctx(&[("tenant", "42")]);
    let generated = store
        .generate_data_key(keystead_core::GenerateDataKeyRequest {
            key_id: &key,
            encryption_context: Some(&context),
            key_spec: Some(keystead_core::DataKeySpec::Aes256),
            number_of_bytes: None,
            ..Default::default()
        })
        .unwrap();
    let edks = vec![generated.ciphertext_blob; 255];
    let message = seal_with_data_key(generated.plaintext.expose(), &edks, &context, SEG, b"many recipients").unwrap();
    let limit = |n| OpenOptions { max_encrypted_data_keys: n, ..Default::default() };
    assert_eq!(open(&store, &message, &context, &limit(255)).unwrap().expose(), b"many recipients");
    store.disable_key(&key).unwrap();
    let started = std::time::Instant::now();
    assert_eq!(open(&store, &message, &context, &limit(3)).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
    assert!(started.elapsed() < std::time::Duration::from_millis(50), "{:?}", started.elapsed());
    // Without the limit every key is tried (and each says the key is disabled).
    assert_eq!(open(&store, &message, &context, &limit(255)).unwrap_err().kind(), ErrorKind::Disabled);
}

#[test]
fn any_wrapping_key_opens_and_the_allow_list_restricts_them() {
    let store = Keystead::builder().open_in_memory().unwrap();
    let a = store.create_key(CreateKeyRequest::default()).unwrap();
    let b = store.create_key(CreateKeyRequest::default()).unwrap();
    let c = store.create_key(CreateKeyRequest::default()).unwrap();
    store.create_alias("alias/backup", &b.key_id).unwrap();
    let context = ctx(&[("tenant", "42")]);
    let options = SealOptions { additional_key_ids: vec!["alias/backup".into()], ..Default::default() };
    let message = seal(&store, &a.key_id, b"payload", &context, &options).unwrap();
    let allow = |ids: &[&str]| OpenOptions {
        allowed_wrapping_keys: Some(ids.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    };
    for ids in [
        vec![a.key_id.as_str()],
        vec![a.arn.as_str()],
        vec!["alias/backup"],
        vec![b.arn.as_str()],
        vec![c.key_id.as_str(), b.key_id.as_str()],
    ] {
        assert_eq!(open(&store, &message, &context, &allow(&ids)).unwrap().expose(), b"payload", "{ids:?}");
    }
    assert_eq!(
        open(&store, &message, &context, &allow(&[&c.key_id])).unwrap_err().kind(),
        ErrorKind::InvalidCiphertext
    );
    assert_eq!(
        open(&store, &message, &context, &allow(&["alias/none"])).unwrap_err().kind(),
        ErrorKind::InvalidCiphertext
    );
    assert_eq!(open(&store, &message, &context, &allow(&[])).unwrap_err().kind(), ErrorKind::Validation);
    // With A disabled the message still opens through B; restricted to A it reports A's state;
    // restricted to C, A is never asked (no DisabledException).
    store.disable_key(&a.key_id).unwrap();
    assert_eq!(open(&store, &message, &context, &OpenOptions::default()).unwrap().expose(), b"payload");
    assert_eq!(open(&store, &message, &context, &allow(&[&a.key_id])).unwrap_err().kind(), ErrorKind::Disabled);
    assert_eq!(
        open(&store, &message, &context, &allow(&[&c.key_id])).unwrap_err().kind(),
        ErrorKind::InvalidCiphertext
    );
    // A message from another store (its keys unknown here) is the ciphertext error.
    let (other_store, other_key) = store_and_key();
    let foreign = seal(&other_store, &other_key, b"payload", &context, &SealOptions::default()).unwrap();
    assert_refused(&store, &foreign, &context, "message of another store");
}

#[test]
fn inspect_describes_the_header_without_opening() {
    let store = Keystead::builder().open_in_memory().unwrap();
    let a = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let b = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let context = ctx(&[("tenant", "42")]);
    let options = SealOptions { additional_key_ids: vec![b.clone()], segment_size: SEG, ..Default::default() };
    let message = seal(&store, &a, &data(100, 0), &context, &options).unwrap();
    let mut reader = &message[..];
    let info = keystead_core::envelope::inspect(&mut reader, 8).unwrap();
    assert_eq!(info.encryption_context, context);
    assert_eq!(info.wrapping_key_ids, vec![a, b]);
    assert_eq!(info.segment_size, SEG);
    assert_eq!(info.header_len, header_len(&message));
    assert_eq!(reader.len(), message.len() - info.header_len, "consumes exactly the header");
    let err = keystead_core::envelope::inspect(&mut &message[..], 1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
}

#[test]
fn a_disabled_key_gives_disabled_exception() {
    let (store, key) = store_and_key();
    let context = ctx(&[("tenant", "42")]);
    let message = seal(&store, &key, &data(300, 1), &context, &small(1)).unwrap();
    store.disable_key(&key).unwrap();
    for result in open_all(&store, &message, &context, &OpenOptions::default()) {
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Disabled);
    }
    assert_eq!(seal(&store, &key, b"x", &context, &SealOptions::default()).unwrap_err().kind(), ErrorKind::Disabled);
    store.enable_key(&key).unwrap();
    assert_eq!(open(&store, &message, &context, &OpenOptions::default()).unwrap().expose(), &data(300, 1)[..]);
}

#[test]
fn bad_options_are_validation_errors() {
    let (store, key) = store_and_key();
    let context = EncryptionContext::new();
    for segment_size in [0, 15, (1 << 30) + 1] {
        let options = SealOptions { segment_size, ..Default::default() };
        assert_eq!(seal(&store, &key, b"x", &context, &options).unwrap_err().kind(), ErrorKind::Validation);
        assert_eq!(
            EnvelopeWriter::new(&store, &key, &context, &options, Vec::new()).err().unwrap().kind(),
            ErrorKind::Validation
        );
    }
    let options = SealOptions { additional_key_ids: vec![key.clone(); 255], ..Default::default() };
    assert_eq!(seal(&store, &key, b"x", &context, &options).unwrap_err().kind(), ErrorKind::Validation);
    let options = SealOptions { additional_key_ids: vec!["no-such-key".into()], ..Default::default() };
    assert_eq!(seal(&store, &key, b"x", &context, &options).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn reader_refuses_after_the_first_failure_and_releases_only_verified_segments() {
    let (store, key) = store_and_key();
    let context = EncryptionContext::new();
    let plaintext = data(5 * SEG, 2);
    let mut message = seal(&store, &key, &plaintext, &context, &small(1)).unwrap();
    let header = header_len(&message);
    // Damage segment 2: segments 0 and 1 are released, nothing of segment 2.
    message[header + 2 * (SEG + SEGMENT_OVERHEAD) + 3] ^= 1;
    let mut reader = EnvelopeReader::new(&store, &message[..], &context, &OpenOptions::default()).unwrap();
    let mut out = Vec::new();
    let err = reader.read_to_end(&mut out).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(keystead_core::envelope::error_from_io(err).kind(), ErrorKind::InvalidCiphertext);
    assert_eq!(out, plaintext[..2 * SEG]);
    assert!(reader.read(&mut [0u8; 8]).is_err(), "stays failed");
}

#[test]
fn a_writer_dropped_without_finish_leaves_a_refused_message() {
    let (store, key) = store_and_key();
    let context = EncryptionContext::new();
    let mut sink = Vec::new();
    {
        let mut writer = EnvelopeWriter::new(&store, &key, &context, &small(0), &mut sink).unwrap();
        writer.write_all(&data(3 * SEG + 1, 0)).unwrap();
    }
    assert_refused(&store, &sink, &context, "unfinished message");
}

#[test]
fn large_inputs_use_threads_and_agree_with_streaming() {
    let (store, key) = store_and_key();
    let context = ctx(&[("object", "big")]);
    let plaintext = data((5 << 20) + 12345, 8);
    let options = SealOptions { segment_size: 256 << 10, ..Default::default() };
    let message = seal(&store, &key, &plaintext, &context, &options).unwrap();
    assert_eq!(open(&store, &message, &context, &OpenOptions::default()).unwrap().expose(), &plaintext[..]);
    let mut reader = EnvelopeReader::new(&store, &message[..], &context, &OpenOptions::default()).unwrap();
    let mut out = Vec::new();
    reader.read_to_end(&mut out).unwrap();
    assert_eq!(out, plaintext);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn round_trips(plaintext in proptest::collection::vec(any::<u8>(), 0..1500), segment_size in 16usize..200, chunk in 1usize..300, threads in 0usize..4, start in 0u64..1600, span in 0u64..1600) {
        let (store, key) = store_and_key();
        let context = ctx(&[("p", "q")]);
        let options = SealOptions { segment_size, threads, ..Default::default() };
        let message = if chunk % 2 == 0 {
            seal(&store, &key, &plaintext, &context, &options).unwrap()
        } else {
            seal_streaming(&store, &key, &plaintext, &context, &options, chunk)
        };
        for result in open_all(&store, &message, &context, &OpenOptions { threads, ..Default::default() }) {
            prop_assert_eq!(result.unwrap(), plaintext.clone());
        }
        let len = plaintext.len() as u64;
        let got: SecretBytes = open_range(&store, Cursor::new(&message), &context, &OpenOptions::default(), start..start + span).unwrap();
        let (s, e) = (start.min(len) as usize, (start + span).min(len) as usize);
        prop_assert_eq!(got.expose(), &plaintext[s..e]);
    }
}

// ---------------------------------------------------------------------------------------------
// Known-answer vectors (`core/tests/vectors/envelope_v1.json`)
// ---------------------------------------------------------------------------------------------

mod vectors {
    use base64::Engine as _;
    use keystead_core::crypto::ciphertext;
    use keystead_core::envelope::{open_with_data_key, seal_with_data_key};
    use keystead_core::{canonical_context, EncryptionContext, ErrorKind};
    use serde_json::{json, Value};
    use uuid::Uuid;

    const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/envelope_v1.json");

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    fn b64() -> base64::engine::GeneralPurpose {
        base64::engine::general_purpose::STANDARD
    }

    /// Byte `i` = `7·i + seed mod 256`.
    fn bytes(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)).collect()
    }

    struct Wrapping {
        key_id: Uuid,
        key_version: u32,
        material: Vec<u8>,
    }

    fn wrapping_keys() -> [Wrapping; 2] {
        [
            Wrapping {
                key_id: Uuid::parse_str("0b6f1a3e-5c2d-4e8f-9a01-23456789abcd").unwrap(),
                key_version: 1,
                material: bytes(32, 17),
            },
            Wrapping {
                key_id: Uuid::parse_str("f0e1d2c3-b4a5-4697-8877-665544332211").unwrap(),
                key_version: 3,
                material: bytes(32, 99),
            },
        ]
    }

    fn context_of(value: &Value) -> EncryptionContext {
        value.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn case(
        description: &str,
        valid: bool,
        data_key: &[u8],
        context: &Value,
        segment_size: usize,
        plaintext: &[u8],
        message: &[u8],
        keys: usize,
    ) -> Value {
        let ctx = context_of(context);
        json!({
            "description": description,
            "valid": valid,
            "data_key": hex(data_key),
            "encryption_context": context,
            "canonical_context": hex(&canonical_context(&ctx).unwrap()),
            "segment_size": segment_size,
            "wrapping_keys": wrapping_keys()[..keys].iter().map(|w| json!({
                "key_id": w.key_id.to_string(), "key_version": w.key_version, "material": hex(&w.material),
            })).collect::<Vec<_>>(),
            "plaintext": hex(plaintext),
            "message": b64().encode(message),
        })
    }

    fn generate() -> Value {
        let mut cases = Vec::new();
        let data_key = bytes(32, 3);
        let mut make = |description: &str, context: Value, segment_size: usize, plaintext: Vec<u8>, keys: usize| {
            let ctx = context_of(&context);
            let canonical = canonical_context(&ctx).unwrap();
            let edks: Vec<Vec<u8>> = wrapping_keys()[..keys]
                .iter()
                .map(|w| ciphertext::seal(w.key_id, w.key_version, &w.material, &canonical, &data_key).unwrap())
                .collect();
            let message = seal_with_data_key(&data_key, &edks, &ctx, segment_size, &plaintext).unwrap();
            cases.push(case(description, true, &data_key, &context, segment_size, &plaintext, &message, keys));
            message
        };
        let empty = make("empty plaintext, empty context, one key, 64-byte segments", json!({}), 64, Vec::new(), 1);
        let record = make(
            "1 KiB record, default 1 MiB segments, one pair of context",
            json!({"tenant": "42"}),
            1 << 20,
            bytes(1024, 5),
            1,
        );
        let exact = make(
            "two full 64-byte segments (the last segment is full)",
            json!({"object": "orders.csv"}),
            64,
            bytes(128, 6),
            1,
        );
        let multi = make(
            "3 segments of 64 bytes and a 5-byte last one, two wrapping keys, unicode context",
            json!({"purpose": "export", "tenant": "ünïcode ✓"}),
            64,
            bytes(3 * 64 + 5, 7),
            2,
        );
        let _ = (&empty, &record, &exact);
        // Negative cases, all derived from the multi-segment case.
        let base = cases[3].clone();
        let ctx = base["encryption_context"].clone();
        let pt = bytes(3 * 64 + 5, 7);
        let header = super::header_len(&multi);
        let seg = 64 + 16;
        let mut negative = |description: &str, message: Vec<u8>, context: &Value, key: &[u8]| {
            cases.push(case(description, false, key, context, 64, &pt, &message, 2));
        };
        let flip = |at: usize| {
            let mut m = multi.clone();
            m[at] ^= 0x01;
            m
        };
        negative("bit flipped in the message id", flip(2), &ctx, &data_key);
        negative("segment size changed to 65", flip(37), &ctx, &data_key);
        negative("bit flipped in the commitment", flip(header - 1), &ctx, &data_key);
        negative("bit flipped in segment 1's ciphertext", flip(header + seg + 3), &ctx, &data_key);
        negative("bit flipped in the last segment's tag", flip(multi.len() - 1), &ctx, &data_key);
        let mut swapped = multi[..header].to_vec();
        swapped.extend_from_slice(&multi[header + seg..header + 2 * seg]);
        swapped.extend_from_slice(&multi[header..header + seg]);
        swapped.extend_from_slice(&multi[header + 2 * seg..]);
        negative("segments 0 and 1 swapped", swapped, &ctx, &data_key);
        negative(
            "truncated after 3 full segments (last segment dropped)",
            multi[..header + 3 * seg].to_vec(),
            &ctx,
            &data_key,
        );
        negative("truncated inside the last segment", multi[..multi.len() - 3].to_vec(), &ctx, &data_key);
        let mut longer = multi.clone();
        longer.push(0);
        negative("one byte appended", longer, &ctx, &data_key);
        negative(
            "different encryption context given",
            multi.clone(),
            &json!({"purpose": "export", "tenant": "other"}),
            &data_key,
        );
        let mut other_key = data_key.clone();
        other_key[0] ^= 0x80;
        negative("different data key given", multi.clone(), &ctx, &other_key);
        let mut magic = multi.clone();
        magic[0] = 0x01;
        negative("first byte 0x01 (a symmetric blob, not an envelope message)", magic, &ctx, &data_key);
        json!({
            "format": "keystead envelope message, format 0xE1 suite 0x01",
            "generated_by": "KEYSTEAD_REGENERATE_VECTORS=1 cargo test -p keystead-core --test envelope vectors (see README.md)",
            "cases": cases,
        })
    }

    #[test]
    fn committed_vectors_verify() {
        if std::env::var_os("KEYSTEAD_REGENERATE_VECTORS").is_some() {
            let text = serde_json::to_string_pretty(&generate()).unwrap();
            std::fs::write(FILE, text + "\n").unwrap();
        }
        let file: Value = serde_json::from_str(&std::fs::read_to_string(FILE).unwrap()).unwrap();
        let cases = file["cases"].as_array().unwrap();
        assert!(cases.len() >= 16);
        for case in cases {
            let description = case["description"].as_str().unwrap();
            let context = context_of(&case["encryption_context"]);
            let canonical = canonical_context(&context).unwrap();
            assert_eq!(hex(&canonical), case["canonical_context"].as_str().unwrap(), "{description}");
            let message = b64().decode(case["message"].as_str().unwrap()).unwrap();
            let data_key = unhex(case["data_key"].as_str().unwrap());
            let result = open_with_data_key(&message, &data_key, &context);
            if !case["valid"].as_bool().unwrap() {
                assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidCiphertext, "{description}");
                continue;
            }
            assert_eq!(hex(result.unwrap().expose()), case["plaintext"].as_str().unwrap(), "{description}");
            // Each encrypted data key in the header opens to the data key under its wrapping key.
            let mut at = 38 + canonical.len();
            assert_eq!(usize::from(message[at]), case["wrapping_keys"].as_array().unwrap().len());
            at += 1;
            for wrapping in case["wrapping_keys"].as_array().unwrap() {
                let len = usize::from(u16::from_be_bytes([message[at], message[at + 1]]));
                let edk = &message[at + 2..at + 2 + len];
                at += 2 + len;
                let header = ciphertext::parse_header(edk).unwrap();
                assert_eq!(header.key_id.to_string(), wrapping["key_id"].as_str().unwrap());
                assert_eq!(u64::from(header.key_version), wrapping["key_version"].as_u64().unwrap());
                let material = unhex(wrapping["material"].as_str().unwrap());
                assert_eq!(ciphertext::open(&header, &material, &canonical, edk).unwrap().expose(), &data_key[..]);
            }
        }
    }
}

/// `make stress`: a generated stream (4 GiB by default, `KEYSTEAD_STRESS_BYTES` to change) is
/// sealed by an `EnvelopeWriter` into a pipe and opened by an `EnvelopeReader` on the other
/// end, never stored; the process's peak resident memory must grow by less than 64 MiB.
#[test]
#[ignore = "stress: run with --ignored (make stress)"]
fn stress_stream_round_trips_with_bounded_memory() {
    fn peak_rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
    fn fill(buf: &mut [u8], offset: u64) {
        for (i, b) in buf.iter_mut().enumerate() {
            let x = offset + i as u64;
            *b = (x ^ (x >> 13) ^ (x >> 29)) as u8;
        }
    }
    let total: u64 = std::env::var("KEYSTEAD_STRESS_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(4 << 30);
    let (store, key) = store_and_key();
    let context = ctx(&[("stress", "stream")]);
    let before = peak_rss_kib();
    let started = std::time::Instant::now();
    let (pipe_reader, pipe_writer) = std::io::pipe().unwrap();
    std::thread::scope(|scope| {
        let (store, key, context) = (&store, &key, &context);
        scope.spawn(move || {
            let mut writer = EnvelopeWriter::new(store, key, context, &SealOptions::default(), pipe_writer).unwrap();
            let mut buf = vec![0u8; 1 << 16];
            let mut offset = 0u64;
            while offset < total {
                let n = buf.len().min((total - offset) as usize);
                fill(&mut buf[..n], offset);
                writer.write_all(&buf[..n]).unwrap();
                offset += n as u64;
            }
            writer.finish().unwrap();
        });
        let mut reader = EnvelopeReader::new(store, pipe_reader, context, &OpenOptions::default()).unwrap();
        let mut buf = vec![0u8; 1 << 16];
        let mut expected = vec![0u8; 1 << 16];
        let mut offset = 0u64;
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            fill(&mut expected[..n], offset);
            assert!(buf[..n] == expected[..n], "plaintext differs at {offset}");
            offset += n as u64;
        }
        assert_eq!(offset, total);
    });
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    let secs = started.elapsed().as_secs_f64();
    println!("{total} bytes sealed and opened through a pipe in {secs:.1} s; peak RSS grew by {grown_mib} MiB");
    assert!(grown_mib < 64, "peak RSS grew by {grown_mib} MiB");
}

mod caching {
    use std::sync::Arc;

    use keystead_core::envelope::{open, seal, CacheLimits, DataKeyCache, OpenOptions, SealOptions};
    use keystead_core::{CreateKeyRequest, ErrorKind, Keystead, ManualClock};

    use super::{ctx, header_len};

    /// The encrypted data keys and message id of a message (header bytes 2..34 and 38+c..).
    fn edks_and_id(message: &[u8], context_len: usize) -> (Vec<u8>, Vec<u8>) {
        (message[38 + context_len..header_len(message) - 32].to_vec(), message[2..34].to_vec())
    }

    fn setup(limits: CacheLimits) -> (Keystead, Arc<ManualClock>, String, SealOptions) {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let store = Keystead::builder().clock(clock.clone()).open_in_memory().unwrap();
        let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
        let options = SealOptions { cache: Some(Arc::new(DataKeyCache::new(limits).unwrap())), ..Default::default() };
        (store, clock, key, options)
    }

    #[test]
    fn off_by_default_and_reused_within_limits_with_fresh_message_ids() {
        let (store, _clock, key, cached) = setup(CacheLimits::with_max_age_ms(60_000));
        let context = ctx(&[("tenant", "42")]);
        let c = keystead_core::canonical_context(&context).unwrap().len();
        let plain = SealOptions::default();
        let a = seal(&store, &key, b"one", &context, &plain).unwrap();
        let b = seal(&store, &key, b"two", &context, &plain).unwrap();
        assert_ne!(edks_and_id(&a, c).0, edks_and_id(&b, c).0, "no cache: a data key per message");
        let a = seal(&store, &key, b"one", &context, &cached).unwrap();
        let b = seal(&store, &key, b"two", &context, &cached).unwrap();
        let (ea, ia) = edks_and_id(&a, c);
        let (eb, ib) = edks_and_id(&b, c);
        assert_eq!(ea, eb, "cached data key reused");
        assert_ne!(ia, ib, "each message has its own id, hence its own segment key");
        assert_eq!(open(&store, &a, &context, &OpenOptions::default()).unwrap().expose(), b"one");
        assert_eq!(open(&store, &b, &context, &OpenOptions::default()).unwrap().expose(), b"two");
        // Another context is another entry.
        let other = ctx(&[("tenant", "43")]);
        let d = seal(&store, &key, b"three", &other, &cached).unwrap();
        assert_ne!(edks_and_id(&d, c).0, ea);
        assert_eq!(cached.cache.as_ref().unwrap().len(), 2);
    }

    #[test]
    fn evicted_exactly_at_max_age_messages_and_bytes() {
        let context = ctx(&[]);
        let (store, clock, key, options) = setup(CacheLimits::with_max_age_ms(1000));
        let first = edks_and_id(&seal(&store, &key, b"x", &context, &options).unwrap(), 2).0;
        clock.advance_ms(999);
        assert_eq!(edks_and_id(&seal(&store, &key, b"x", &context, &options).unwrap(), 2).0, first, "age 999 < 1000");
        clock.advance_ms(1);
        let second = edks_and_id(&seal(&store, &key, b"x", &context, &options).unwrap(), 2).0;
        assert_ne!(second, first, "evicted at exactly max age");

        let limits = CacheLimits { max_messages: 3, ..CacheLimits::with_max_age_ms(60_000) };
        let (store, _clock, key, options) = setup(limits);
        let runs: Vec<Vec<u8>> =
            (0..7).map(|_| edks_and_id(&seal(&store, &key, b"x", &context, &options).unwrap(), 2).0).collect();
        assert!(runs[0] == runs[1] && runs[1] == runs[2] && runs[2] != runs[3]);
        assert!(runs[3] == runs[4] && runs[4] == runs[5] && runs[5] != runs[6]);

        let limits = CacheLimits { max_bytes: 10, ..CacheLimits::with_max_age_ms(60_000) };
        let (store, _clock, key, options) = setup(limits);
        let a = edks_and_id(&seal(&store, &key, &[0; 6], &context, &options).unwrap(), 2).0;
        let b = edks_and_id(&seal(&store, &key, &[0; 4], &context, &options).unwrap(), 2).0;
        let c = edks_and_id(&seal(&store, &key, &[0; 1], &context, &options).unwrap(), 2).0;
        assert!(a == b && b != c, "6 + 4 = 10 bytes fit; the 11th byte needs a new key");
        let big = edks_and_id(&seal(&store, &key, &[0; 11], &context, &options).unwrap(), 2).0;
        let after = edks_and_id(&seal(&store, &key, &[0; 1], &context, &options).unwrap(), 2).0;
        assert!(big != c && after == c, "a message over max_bytes gets its own uncached key");
    }

    #[test]
    fn bad_limits_are_validation_errors() {
        for limits in [
            CacheLimits::with_max_age_ms(0),
            CacheLimits { max_messages: 0, ..CacheLimits::with_max_age_ms(1) },
            CacheLimits { max_messages: (1 << 32) + 1, ..CacheLimits::with_max_age_ms(1) },
            CacheLimits { max_bytes: 0, ..CacheLimits::with_max_age_ms(1) },
            CacheLimits { capacity: 0, ..CacheLimits::with_max_age_ms(1) },
        ] {
            assert_eq!(DataKeyCache::new(limits).unwrap_err().kind(), ErrorKind::Validation, "{limits:?}");
        }
    }
}
