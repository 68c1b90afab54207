//! Target `decrypt`: `Keystead::decrypt` and `re_encrypt` with an arbitrary blob, context, key
//! id and algorithm on the fixture store (keys rotated, disabled, pending deletion, HMAC, RSA,
//! pending import).
//!
//! Input: `mode, template, context choice, key-id choice, algorithm choice`, then mode data:
//! - mode 0: the template blob with edits (see [`Input::edit`]);
//! - mode 1: raw blob bytes;
//! - mode 2: a well-formed header naming a real key and version, then arbitrary bytes.
//!
//! Checks: a success is only possible for an unmodified template blob, with its own context,
//! and yields exactly its plaintext (no forgery, no wrong plaintext); every failure is a typed
//! KMS error (never internal); ReEncrypt reaches the same verdict as Decrypt, and its output
//! decrypts to the same plaintext.

use keystead_core::{DecryptRequest, EncryptionAlgorithm, EncryptionContext, ReEncryptRequest};

use crate::fixtures::{self, keys};
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
    let mode = input.u8() % 3;
    let template = &f.blobs[usize::from(input.u8()) % f.blobs.len()];
    let context_choice = input.u8() % 6;
    let key_choice = input.u8() % 11;
    let algorithm_choice = usize::from(input.u8()) % (EncryptionAlgorithm::ALL.len() + 1);
    let blob = match mode {
        0 => {
            let mut blob = template.blob.clone();
            input.edit(&mut blob);
            blob
        }
        1 => input.long_bytes().to_vec(),
        _ => {
            let key = &f.keys[usize::from(input.u8()) % f.keys.len()];
            let uuid = parse_uuid(&key.id);
            let mut blob = vec![0x01, 0x01];
            blob.extend_from_slice(&uuid);
            blob.extend_from_slice(&u32::from(input.u8() % 5).to_be_bytes());
            blob.extend_from_slice(input.long_bytes());
            blob
        }
    };
    let context: Option<EncryptionContext> = match context_choice {
        0 => Some(template.context.clone()),
        1 => None,
        2 => Some(EncryptionContext::new()),
        3 => {
            // One pair changed, added or removed, or a key's case flipped.
            let mut ctx = template.context.clone();
            let pair = input.string();
            match input.u8() % 3 {
                0 => {
                    ctx.insert(pair, input.string());
                }
                1 => {
                    let first = ctx.keys().next().cloned();
                    if let Some(k) = first {
                        let v = ctx.remove(&k).unwrap_or_default();
                        ctx.insert(k.to_uppercase(), v);
                    }
                }
                _ => {
                    let first = ctx.keys().next().cloned();
                    if let Some(k) = first {
                        ctx.remove(&k);
                    }
                }
            }
            Some(ctx)
        }
        4 => Some(input.context()),
        _ => Some(f.contexts[usize::from(input.u8()) % f.contexts.len()].clone()),
    };
    let other = &f.keys[usize::from(input.u8()) % f.keys.len()];
    let own = &f.keys[template.key];
    let key_id: Option<String> = match key_choice {
        0..=2 => None,
        3 => Some(own.id.clone()),
        4 => Some(own.arn.clone()),
        5 => Some(f.alias.clone()),
        6 => Some(f.keys[keys::ROTATED].arn.replace(&format!("key/{}", f.keys[keys::ROTATED].id), &f.alias)),
        7 => Some(other.id.clone()),
        8 => Some(input.string()),
        9 => Some("alias/does-not-exist".into()),
        _ => Some(format!("arn:aws:kms:us-east-1:111122223333:key/{}", input.string())),
    };
    let algorithm = algorithm_choice.checked_sub(1).map(|i| EncryptionAlgorithm::ALL[i]);

    let decrypted = f.store.decrypt(DecryptRequest {
        ciphertext_blob: &blob,
        encryption_context: context.as_ref(),
        key_id: key_id.as_deref(),
        encryption_algorithm: algorithm,
        ..Default::default()
    });
    let accepted = match &decrypted {
        Ok(response) => {
            let origin =
                f.blobs.iter().find(|t| t.blob == blob).unwrap_or_else(|| {
                    panic!("Decrypt accepted a blob the store never produced ({} bytes)", blob.len())
                });
            assert_eq!(response.plaintext.expose(), &origin.plaintext[..], "Decrypt returned a wrong plaintext");
            assert_eq!(context.clone().unwrap_or_default(), origin.context, "Decrypt ignored the context");
            assert_eq!(response.key_id, f.keys[origin.key].arn);
            true
        }
        Err(e) => {
            assert_typed("Decrypt", e);
            false
        }
    };

    // ReEncrypt to the rotated key: decrypts the same way, so the same verdict.
    let destination = &f.keys[keys::ROTATED].id;
    let re = f.store.re_encrypt(ReEncryptRequest {
        ciphertext_blob: &blob,
        source_encryption_context: context.as_ref(),
        source_key_id: key_id.as_deref(),
        destination_key_id: destination,
        destination_encryption_context: context.as_ref(),
        source_encryption_algorithm: algorithm,
        destination_encryption_algorithm: None,
        ..Default::default()
    });
    match re {
        Ok(response) => {
            assert!(accepted, "ReEncrypt accepted what Decrypt refused");
            let again = f
                .store
                .decrypt(DecryptRequest {
                    ciphertext_blob: &response.ciphertext_blob,
                    encryption_context: context.as_ref(),
                    ..Default::default()
                })
                .expect("a ReEncrypt result decrypts");
            let expected = decrypted.as_ref().map(|d| d.plaintext.expose().to_vec()).unwrap_or_default();
            assert_eq!(again.plaintext.expose(), &expected[..]);
        }
        Err(e) => {
            assert_typed("ReEncrypt", &e);
            assert!(
                !accepted || e.kind() == keystead_core::ErrorKind::Validation,
                "ReEncrypt refused what Decrypt accepted: {e}"
            );
        }
    }
}

fn parse_uuid(id: &str) -> [u8; 16] {
    let hex: Vec<u8> = id.bytes().filter(u8::is_ascii_hexdigit).collect();
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).take(16).enumerate() {
        let text = std::str::from_utf8(pair).unwrap_or("00");
        out[i] = u8::from_str_radix(text, 16).unwrap_or(0);
    }
    out
}
