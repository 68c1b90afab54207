//! The fast envelope paths (no zero-filling, in-place and append AES-GCM, reused streaming
//! buffers, one output allocation): every sealing path writes exactly the bytes of
//! `docs/format.md` section 5, checked against an independent reference built here from raw
//! OpenSSL AES-256-GCM and HKDF-SHA-256; every opening path gives the plaintext back and still
//! refuses any tampering, releasing nothing of a segment whose tag fails.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::io::{Read, Write};

use keystead_core::envelope::{
    open, open_range, seal, EnvelopeReader, EnvelopeWriter, OpenOptions, OpenStream, SealOptions, COMMITMENT_LEN,
    SEGMENT_OVERHEAD,
};
use keystead_core::{CreateKeyRequest, DecryptRequest, EncryptionContext, ErrorKind, Keystead};
use openssl::symm::{encrypt_aead, Cipher};
use sha2::Digest;

fn store_and_key() -> (Keystead, String) {
    let store = Keystead::builder().open_in_memory().unwrap();
    let id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    (store, id)
}

fn context() -> EncryptionContext {
    EncryptionContext::from([("object".to_string(), "export.csv".to_string())])
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(29).wrapping_add(3)).collect()
}

/// The sizes of issue 7: empty, one byte, around one segment, several segments.
fn sizes(seg: usize) -> [usize; 6] {
    [0, 1, seg - 1, seg, seg + 1, 5 * seg + 3]
}

/// Offsets of the header: `(offset of the first encrypted data key, its length, header length)`.
fn parse(message: &[u8]) -> (usize, usize, usize) {
    let u16_at = |at: usize| usize::from(u16::from_be_bytes([message[at], message[at + 1]]));
    let mut at = 38;
    let pairs = u16_at(at);
    at += 2;
    for _ in 0..pairs * 2 {
        at += 2 + u16_at(at);
    }
    let count = usize::from(message[at]);
    at += 1;
    let first = (at + 2, u16_at(at));
    for _ in 0..count {
        at += 2 + u16_at(at);
    }
    (first.0, first.1, at + COMMITMENT_LEN)
}

/// The body `docs/format.md` 5.2–5.3 prescribes for this header and plaintext, computed
/// independently (raw OpenSSL GCM per segment, HKDF from the `hkdf` crate); also checks the
/// header's commitment.
fn reference_body(data_key: &[u8], header: &[u8], seg: usize, plaintext: &[u8]) -> Vec<u8> {
    let (body, commitment) = header.split_at(header.len() - COMMITMENT_LEN);
    let h = sha2::Sha256::digest(body);
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(&header[2..34]), data_key);
    let mut expected_commitment = [0u8; 32];
    hk.expand(&[&b"keystead/envelope/v1/commitment"[..], &h[..]].concat(), &mut expected_commitment).unwrap();
    assert_eq!(commitment, expected_commitment, "commitment");
    let mut okm = [0u8; 39];
    hk.expand(&[&b"keystead/envelope/v1/segment-key"[..], &h[..]].concat(), &mut okm).unwrap();
    let chunks: Vec<&[u8]> = if plaintext.is_empty() { vec![&[]] } else { plaintext.chunks(seg).collect() };
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut nonce = [0u8; 12];
        nonce[..7].copy_from_slice(&okm[32..]);
        nonce[7..11].copy_from_slice(&(i as u32).to_be_bytes());
        nonce[11] = u8::from(i == chunks.len() - 1);
        let mut tag = [0u8; 16];
        out.extend(encrypt_aead(Cipher::aes_256_gcm(), &okm[..32], Some(&nonce), b"", chunk, &mut tag).unwrap());
        out.extend_from_slice(&tag);
    }
    out
}

/// Unwraps the message's data key through the store and checks its body byte for byte.
fn assert_reference(store: &Keystead, message: &[u8], seg: usize, plaintext: &[u8], what: &str) {
    let (edk_at, edk_len, header_len) = parse(message);
    let data_key = store
        .decrypt(DecryptRequest {
            ciphertext_blob: &message[edk_at..edk_at + edk_len],
            encryption_context: Some(&context()),
            ..Default::default()
        })
        .unwrap()
        .plaintext;
    let expected = reference_body(data_key.expose(), &message[..header_len], seg, plaintext);
    assert!(message[header_len..] == expected[..], "{what}: body differs from the format's reference");
}

fn writer_message(store: &Keystead, key: &str, seg: usize, plaintext: &[u8], chunk: usize) -> Vec<u8> {
    let options = SealOptions { segment_size: seg, threads: 1, ..Default::default() };
    let mut sink = Vec::new();
    let mut writer = EnvelopeWriter::new(store, key, &context(), &options, &mut sink).unwrap();
    for piece in plaintext.chunks(chunk.max(1)) {
        writer.write_all(piece).unwrap();
    }
    writer.finish().unwrap();
    sink
}

#[test]
fn every_sealing_path_writes_the_reference_bytes() {
    let (store, key) = store_and_key();
    for seg in [16usize, 64] {
        for len in sizes(seg) {
            let plaintext = data(len);
            for threads in [1usize, 2] {
                let options = SealOptions { segment_size: seg, threads, ..Default::default() };
                let message = seal(&store, &key, &plaintext, &context(), &options).unwrap();
                assert_reference(
                    &store,
                    &message,
                    seg,
                    &plaintext,
                    &format!("seal seg {seg} len {len} threads {threads}"),
                );
            }
            // Buffered in-place segments (small writes), whole segments straight from the
            // caller's buffer (large writes), and mixes of both.
            for chunk in [1usize, 7, seg - 1, seg, seg + 1, 3 * seg + 5, len.max(1)] {
                let message = writer_message(&store, &key, seg, &plaintext, chunk);
                assert_reference(
                    &store,
                    &message,
                    seg,
                    &plaintext,
                    &format!("writer seg {seg} len {len} chunk {chunk}"),
                );
            }
        }
    }
}

/// What each opening path yields: the plaintext, or the error. The reader also reports how many
/// plaintext bytes it released before failing.
fn open_every_way(store: &Keystead, message: &[u8], seg: usize) -> Vec<(String, Result<Vec<u8>, ErrorKind>)> {
    let mut results = Vec::new();
    for threads in [1usize, 2] {
        let options = OpenOptions { threads, ..Default::default() };
        let opened = open(store, message, &context(), &options).map(|p| p.expose().to_vec()).map_err(|e| e.kind());
        results.push((format!("open, {threads} thread(s)"), opened));
    }
    for chunk in [1usize, seg + 3, 1 << 16] {
        let mut reader = match EnvelopeReader::new(store, message, &context(), &OpenOptions::default()) {
            Ok(reader) => reader,
            Err(e) => {
                results.push((format!("reader, reads of {chunk}"), Err(e.kind())));
                continue;
            }
        };
        let mut got = Vec::new();
        let mut buf = vec![0u8; chunk];
        let outcome = loop {
            match reader.read(&mut buf) {
                Ok(0) => break Ok(got),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => {
                    // Whatever was released before the failure is whole verified segments.
                    assert_eq!(got.len() % seg, 0, "reader released part of a segment");
                    break Err(keystead_core::envelope::error_from_io(e).kind());
                }
            }
        };
        results.push((format!("reader, reads of {chunk}"), outcome));
    }
    for chunk in [1usize, seg + 3, message.len().max(1)] {
        let mut stream = OpenStream::new(store, &context(), &OpenOptions::default()).unwrap();
        let mut got = Vec::new();
        let mut outcome = Ok(());
        for piece in message.chunks(chunk) {
            match stream.update(piece) {
                Ok(plain) => got.extend_from_slice(plain.expose()),
                Err(e) => {
                    outcome = Err(e.kind());
                    break;
                }
            }
        }
        let outcome = outcome.and_then(|()| stream.finish().map_err(|e| e.kind())).map(|last| {
            got.extend_from_slice(last.expose());
            got
        });
        results.push((format!("OpenStream, chunks of {chunk}"), outcome));
    }
    let ranged = open_range(store, std::io::Cursor::new(message), &context(), &OpenOptions::default(), 0..u64::MAX)
        .map(|p| p.expose().to_vec())
        .map_err(|e| e.kind());
    results.push(("open_range, everything".to_string(), ranged));
    results
}

#[test]
fn every_opening_path_returns_the_plaintext_and_refuses_tampering() {
    let (store, key) = store_and_key();
    for seg in [16usize, 64] {
        for len in sizes(seg) {
            let plaintext = data(len);
            let options = SealOptions { segment_size: seg, threads: 1, ..Default::default() };
            let message = seal(&store, &key, &plaintext, &context(), &options).unwrap();
            for (path, result) in open_every_way(&store, &message, seg) {
                assert_eq!(result.as_deref(), Ok(&plaintext[..]), "{path}, seg {seg}, len {len}");
            }
            let (_, _, header_len) = parse(&message);
            let body = message.len() - header_len;
            // A byte of the first segment's ciphertext or tag, one in the middle, the last tag
            // byte; then a truncation by one byte and an appended byte.
            let mut damaged = Vec::new();
            for at in [header_len, header_len + body / 2, message.len() - 1] {
                let mut bad = message.clone();
                bad[at] ^= 0x20;
                damaged.push((format!("flip at {at}"), bad));
            }
            damaged.push(("truncated".to_string(), message[..message.len() - 1].to_vec()));
            let mut longer = message.clone();
            longer.push(0);
            damaged.push(("extended".to_string(), longer));
            for (what, bad) in damaged {
                for (path, result) in open_every_way(&store, &bad, seg) {
                    assert_eq!(result, Err(ErrorKind::InvalidCiphertext), "{path}, {what}, seg {seg}, len {len}");
                }
            }
        }
    }
}

#[test]
fn a_reader_releases_the_segments_before_a_bad_one_and_nothing_of_it() {
    let (store, key) = store_and_key();
    let seg = 64;
    let plaintext = data(6 * seg + 10);
    let options = SealOptions { segment_size: seg, threads: 1, ..Default::default() };
    let message = seal(&store, &key, &plaintext, &context(), &options).unwrap();
    let (_, _, header_len) = parse(&message);
    for bad_segment in 0..7 {
        let mut bad = message.clone();
        bad[header_len + bad_segment * (seg + SEGMENT_OVERHEAD) + 3] ^= 1;
        let mut reader = EnvelopeReader::new(&store, &bad[..], &context(), &OpenOptions::default()).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 100];
        let error = loop {
            match reader.read(&mut buf) {
                Ok(0) => panic!("segment {bad_segment}: a damaged message read to the end"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(got, plaintext[..bad_segment * seg], "segment {bad_segment}: only the verified segments");
        assert_eq!(keystead_core::envelope::error_from_io(error).kind(), ErrorKind::InvalidCiphertext);
        assert!(reader.read(&mut buf).is_err(), "every read after a failure fails");
    }
}

#[test]
fn large_messages_agree_between_one_thread_two_threads_and_streaming() {
    // Several default-size (1 MiB) segments and a partial one: the parallel slice paths, the
    // one-thread append paths and the streaming paths all give the reference bytes.
    let (store, key) = store_and_key();
    let seg = keystead_core::envelope::DEFAULT_SEGMENT_SIZE;
    let plaintext = data(3 * seg + 12345);
    for threads in [1usize, 2] {
        let options = SealOptions { threads, ..Default::default() };
        let message = seal(&store, &key, &plaintext, &context(), &options).unwrap();
        assert_reference(&store, &message, seg, &plaintext, &format!("seal, {threads} thread(s)"));
        for open_threads in [1usize, 2] {
            let options = OpenOptions { threads: open_threads, ..Default::default() };
            assert!(open(&store, &message, &context(), &options).unwrap().expose() == &plaintext[..]);
        }
        let mut reader = EnvelopeReader::new(&store, &message[..], &context(), &OpenOptions::default()).unwrap();
        let mut streamed = Vec::new();
        reader.read_to_end(&mut streamed).unwrap();
        assert!(streamed == plaintext);
    }
    let message = writer_message(&store, &key, seg, &plaintext, 64 << 10);
    assert_reference(&store, &message, seg, &plaintext, "writer, 64 KiB writes");
}
