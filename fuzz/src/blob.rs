//! Target `blob`: the symmetric ciphertext blob parser (`crypto::ciphertext`).
//!
//! Input: the blob itself. Checks: `parse_header` accepts exactly the documented layout
//! (length 54..=6144, version and suite bytes 0x01) and reads key id and version from their
//! offsets; `open` with the fixture material never panics, fails with
//! `InvalidCiphertextException` only, and succeeds only on a blob sealed under that material
//! whose re-encryption with the same header round-trips.

use keystead_core::crypto::ciphertext::{self, HEADER_LEN, MAX_BLOB_LEN, OVERHEAD};
use keystead_core::ErrorKind;

/// The material the seed blobs are sealed with (`examples/gen_corpus.rs`).
pub const SEED_MATERIAL: [u8; 32] = [0x42; 32];
/// The canonical context the seed blobs are sealed with: `{"purpose": "fuzz"}`.
pub const SEED_CONTEXT: &[u8] = b"\x00\x01\x00\x07purpose\x00\x04fuzz";

/// Runs one input.
pub fn run(data: &[u8]) {
    let parsed = ciphertext::parse_header(data);
    let well_formed = (OVERHEAD..=MAX_BLOB_LEN).contains(&data.len()) && data[0] == 0x01 && data[1] == 0x01;
    match &parsed {
        Ok(header) => {
            assert!(well_formed, "parse_header accepted a malformed blob");
            assert_eq!(header.key_id.as_bytes()[..], data[2..18]);
            assert_eq!(header.key_version.to_be_bytes()[..], data[18..22]);
        }
        Err(e) => {
            assert!(!well_formed, "parse_header refused a well-formed blob");
            assert_eq!(e.kind(), ErrorKind::InvalidCiphertext);
        }
    }
    let Ok(header) = parsed else { return };
    for context in [SEED_CONTEXT, b"\x00\x00".as_slice()] {
        match ciphertext::open(&header, &SEED_MATERIAL, context, data) {
            Ok(plaintext) => {
                assert_eq!(plaintext.len() + OVERHEAD, data.len(), "plaintext length does not match the blob");
                // A blob that opens must be what sealing produces: same header layout, and a
                // fresh seal of the plaintext under the same key opens to the same bytes.
                let again =
                    ciphertext::seal(header.key_id, header.key_version, &SEED_MATERIAL, context, plaintext.expose())
                        .expect("seal");
                assert_eq!(again.len(), data.len());
                assert_eq!(again[..22], data[..22]);
                let reparsed = ciphertext::parse_header(&again).expect("own blob parses");
                let reopened = ciphertext::open(&reparsed, &SEED_MATERIAL, context, &again).expect("own blob opens");
                assert_eq!(reopened.expose(), plaintext.expose());
            }
            Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidCiphertext),
        }
    }
    // The header alone never opens, whatever follows it.
    assert!(ciphertext::open(&header, &SEED_MATERIAL, SEED_CONTEXT, &data[..HEADER_LEN]).is_err());
}
