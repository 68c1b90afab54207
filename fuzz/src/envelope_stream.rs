//! Target `envelope_stream`: the streaming reader (`EnvelopeReader`) against the one-shot
//! `envelope::open`, on the fixture store's messages (edited) or raw bytes.
//!
//! Input: `mode, template, read pattern (8 bytes)`, then edits (mode 0) or a raw message
//! (mode 1). Checks: when `open` succeeds it returns the template's plaintext for an untouched
//! message (any other success is a forgery) and the reader yields exactly the same bytes
//! whatever the sizes of the reads; when `open` fails, the reader fails too, and every byte it
//! released before failing is a prefix of the template's plaintext (only verified segments
//! come out); all failures are typed errors, and a failed reader keeps failing.

use std::io::Read;

use keystead_core::envelope::{self, error_from_io, EnvelopeReader, OpenOptions};

use crate::fixtures;
use crate::input::{assert_typed, Input};

/// Builds the fixture store (libFuzzer calls this before the first input, so that building it
/// does not count against the per-input timeout).
pub fn init() {
    fixtures::store();
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let f = fixtures::store();
    let mut input = Input::new(data);
    let mode = input.u8() % 2;
    let template = &f.messages[usize::from(input.u8()) % f.messages.len()];
    let pattern: Vec<usize> = input.bytes(8).iter().map(|b| usize::from(*b) * 3 + 1).collect();
    let message = if mode == 0 {
        let mut message = template.message.clone();
        input.edit(&mut message);
        message
    } else {
        input.rest().to_vec()
    };
    let options = OpenOptions { threads: 1, ..Default::default() };
    let one_shot = envelope::open(&f.store, &message, &template.context, &options);
    if let Ok(plaintext) = &one_shot {
        let origin =
            f.messages.iter().find(|m| m.message == message).unwrap_or_else(|| {
                panic!("open accepted a message the store never produced ({} bytes)", message.len())
            });
        assert_eq!(plaintext.expose(), &origin.plaintext[..], "open returned a wrong plaintext");
    }
    if let Err(e) = &one_shot {
        assert_typed("envelope::open", e);
    }

    let mut released = Vec::new();
    let streamed = match EnvelopeReader::new(&f.store, &message[..], &template.context, &options) {
        Ok(mut reader) => {
            let mut outcome = Ok(());
            for i in 0.. {
                let want = pattern.get(i % pattern.len().max(1)).copied().unwrap_or(4096);
                let mut buffer = vec![0u8; want];
                match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => released.extend_from_slice(&buffer[..n]),
                    Err(e) => {
                        let error = error_from_io(e);
                        // A failed reader stays failed.
                        let mut more = [0u8; 16];
                        assert!(reader.read(&mut more).is_err(), "the reader recovered after a failure");
                        outcome = Err(error);
                        break;
                    }
                }
            }
            outcome
        }
        Err(e) => Err(e),
    };
    match (&one_shot, &streamed) {
        (Ok(plaintext), Ok(())) => assert_eq!(released, plaintext.expose(), "reader and open disagree"),
        (Ok(_), Err(e)) => panic!("the reader refused a message open accepts: {e}"),
        (Err(_), Ok(())) => panic!("the reader accepted a message open refuses"),
        (Err(_), Err(e)) => {
            assert_typed("EnvelopeReader", e);
            if mode == 0 {
                assert!(
                    template.plaintext.starts_with(&released),
                    "the reader released {} bytes that are not the template's",
                    released.len()
                );
            } else {
                assert!(released.is_empty(), "the reader released bytes of a raw message");
            }
        }
    }
}
