//! Target `open_range`: ranged opening over `Read + Seek` (`envelope::open_range`) against the
//! one-shot `envelope::open`, on the fixture store's messages (edited), placed after a prefix
//! of arbitrary bytes in the reader.
//!
//! Input: `template, prefix length, range start (u16), range length (u16)`, then edits.
//! Checks: a start after the end is `ValidationException`; any success returns bytes that sit
//! at `start` in the template's plaintext (only verified segments, from the right place); when
//! the whole message opens, the range equals the same slice of `open`'s plaintext; failures
//! are typed errors.

use std::io::{Cursor, Seek, SeekFrom};

use keystead_core::envelope::{self, open_range, OpenOptions};
use keystead_core::ErrorKind;

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
    let template = &f.messages[usize::from(input.u8()) % f.messages.len()];
    let prefix = usize::from(input.u8() % 32);
    let start = u64::from(input.u16());
    let length = input.u16();
    // Lengths above 0xF000 stand for "start after end" and open-ended ranges.
    let end = match length {
        0xF000..=0xF7FF => start.saturating_sub(u64::from(length - 0xEFFF)),
        0xF800..=0xFFFF => u64::MAX,
        n => start + u64::from(n),
    };
    let mut message = template.message.clone();
    input.edit(&mut message);

    let mut stored = vec![0xA5u8; prefix];
    stored.extend_from_slice(&message);
    let mut reader = Cursor::new(&stored[..]);
    reader.seek(SeekFrom::Start(prefix as u64)).expect("seek in memory");
    let options = OpenOptions { threads: 1, ..Default::default() };
    let ranged = open_range(&f.store, reader, &template.context, &options, start..end);
    let whole = envelope::open(&f.store, &message, &template.context, &options);
    match &ranged {
        Ok(bytes) => {
            assert!(start <= end);
            let at = usize::try_from(start).expect("small");
            let got = bytes.expose();
            assert!(
                got.is_empty() || template.plaintext.get(at..at + got.len()) == Some(got),
                "open_range returned {} bytes that are not the template's at {start}",
                got.len()
            );
            assert!(got.len() as u64 <= end - start);
        }
        Err(e) => {
            assert_typed("open_range", e);
            if start > end {
                assert_eq!(e.kind(), ErrorKind::Validation);
            }
        }
    }
    if let Ok(plaintext) = &whole {
        let origin = f.messages.iter().find(|m| m.message == message).expect("open accepted a forged message");
        assert_eq!(plaintext.expose(), &origin.plaintext[..]);
        if start <= end {
            let len = plaintext.len() as u64;
            let (from, to) = (start.min(len) as usize, end.min(len) as usize);
            let bytes = ranged.expect("open_range refused a message that opens");
            assert_eq!(bytes.expose(), &plaintext.expose()[from..to], "open_range and open disagree");
        }
    }
}
