//! Push-style streaming (`SealStream` / `OpenStream`, the base of the C, Python and Node
//! streams): byte-identical format with the one-shot and `Read`/`Write` paths, any chunking,
//! every tampering and truncation refused, no plaintext before verification.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use keystead_core::envelope::{open, OpenOptions, OpenStream, SealOptions, SealStream};
use keystead_core::{CreateKeyRequest, EncryptionContext, ErrorKind, Keystead};

const SEG: usize = 64;

fn store_and_key() -> (Keystead, String) {
    let store = Keystead::builder().open_in_memory().expect("open");
    let id = store.create_key(CreateKeyRequest::default()).expect("create").key_id;
    (store, id)
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(13).wrapping_add(5)).collect()
}

fn seal_in_chunks(store: &Keystead, key: &str, plain: &[u8], chunk: usize, context: &EncryptionContext) -> Vec<u8> {
    let options = SealOptions { segment_size: SEG, ..Default::default() };
    let mut stream = SealStream::new(store, key, context, &options).unwrap();
    let mut message = Vec::new();
    for piece in plain.chunks(chunk.max(1)) {
        message.extend(stream.update(piece).unwrap());
    }
    message.extend(stream.finish().unwrap());
    message
}

fn open_in_chunks(
    store: &Keystead,
    message: &[u8],
    chunk: usize,
    context: &EncryptionContext,
) -> keystead_core::Result<Vec<u8>> {
    let mut stream = OpenStream::new(store, context, &OpenOptions::default())?;
    let mut plain = Vec::new();
    for piece in message.chunks(chunk.max(1)) {
        plain.extend_from_slice(stream.update(piece)?.expose());
    }
    plain.extend_from_slice(stream.finish()?.expose());
    Ok(plain)
}

#[test]
fn push_streams_round_trip_with_any_chunking_and_match_one_shot() {
    let (store, key) = store_and_key();
    let context: EncryptionContext = [("k".to_owned(), "v".to_owned())].into();
    for len in [0, 1, SEG - 1, SEG, SEG + 1, SEG * 7 + 5] {
        let plain = data(len);
        for chunk in [1, 7, SEG, SEG + 16, 10_000] {
            let message = seal_in_chunks(&store, &key, &plain, chunk, &context);
            assert_eq!(open(&store, &message, &context, &OpenOptions::default()).unwrap().expose(), &plain[..]);
            for read_chunk in [1, 13, SEG + 17, 100_000] {
                assert_eq!(open_in_chunks(&store, &message, read_chunk, &context).unwrap(), plain, "{len} {chunk}");
            }
        }
    }
}

#[test]
fn plaintext_is_released_only_for_verified_segments() {
    let (store, key) = store_and_key();
    let none = EncryptionContext::new();
    let plain = data(SEG * 3);
    let message = seal_in_chunks(&store, &key, &plain, 1000, &none);
    let body_start = message.len() - 3 * (SEG + 16);
    let mut stream = OpenStream::new(&store, &none, &OpenOptions::default()).unwrap();
    // The header and exactly one segment: the segment is held back (it might be the last).
    assert!(stream.update(&message[..body_start + SEG + 16]).unwrap().is_empty());
    // One more byte proves it is not the last: released.
    assert_eq!(stream.update(&message[body_start + SEG + 16..body_start + SEG + 17]).unwrap().expose(), &plain[..SEG]);
    // A damaged second segment: refused, and every later call fails the same way.
    let mut rest = message[body_start + SEG + 17..].to_vec();
    rest[5] ^= 1;
    assert_eq!(stream.update(&rest).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
    assert_eq!(stream.update(b"").unwrap_err().kind(), ErrorKind::InvalidCiphertext);
    assert_eq!(stream.finish().unwrap_err().kind(), ErrorKind::InvalidCiphertext);
}

#[test]
fn every_truncation_and_bit_flip_is_refused() {
    let (store, key) = store_and_key();
    let none = EncryptionContext::new();
    let plain = data(SEG * 2 + 9);
    let message = seal_in_chunks(&store, &key, &plain, 50, &none);
    for cut in 0..message.len() {
        let err = open_in_chunks(&store, &message[..cut], 37, &none).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidCiphertext, "cut at {cut}");
    }
    let mut longer = message.clone();
    longer.push(0);
    assert_eq!(open_in_chunks(&store, &longer, 37, &none).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
    for at in (0..message.len()).step_by(3) {
        let mut bad = message.clone();
        bad[at] ^= 0x80;
        assert!(open_in_chunks(&store, &bad, 64, &none).is_err(), "flip at {at}");
    }
    let other: EncryptionContext = [("a".to_owned(), "b".to_owned())].into();
    assert_eq!(open_in_chunks(&store, &message, 64, &other).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
}

#[test]
fn a_finished_seal_stream_refuses_more_input() {
    let (store, key) = store_and_key();
    let none = EncryptionContext::new();
    let mut stream = SealStream::new(&store, &key, &none, &SealOptions::default()).unwrap();
    let mut message = stream.update(b"abc").unwrap();
    message.extend(stream.finish().unwrap());
    assert_eq!(stream.update(b"more").unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(stream.finish().unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(open_in_chunks(&store, &message, 5, &none).unwrap(), b"abc");
    let bad = SealOptions { segment_size: 3, ..Default::default() };
    assert_eq!(SealStream::new(&store, &key, &none, &bad).unwrap_err().kind(), ErrorKind::Validation);
    let bad = OpenOptions { max_encrypted_data_keys: 0, ..Default::default() };
    assert_eq!(OpenStream::new(&store, &none, &bad).unwrap_err().kind(), ErrorKind::Validation);
}

#[test]
fn bytes_that_are_not_a_message_are_refused_on_their_first_chunk() {
    let (store, key) = store_and_key();
    let none = EncryptionContext::new();
    let message = seal_in_chunks(&store, &key, b"abc", 50, &none);
    // A wrong first byte (magic) or second byte (suite) fails the very chunk that brings it.
    for (at, first_chunk) in [(0, vec![0xffu8]), (1, vec![message[0], 0x7f])] {
        let mut stream = OpenStream::new(&store, &none, &OpenOptions::default()).unwrap();
        assert_eq!(stream.update(&first_chunk).unwrap_err().kind(), ErrorKind::InvalidCiphertext, "byte {at}");
        assert_eq!(stream.finish().unwrap_err().kind(), ErrorKind::InvalidCiphertext, "byte {at}, later calls");
    }
    // The start of a real message is not refused while its header is still arriving.
    let mut stream = OpenStream::new(&store, &none, &OpenOptions::default()).unwrap();
    assert!(stream.update(&message[..2]).unwrap().is_empty());
}
