//! Configuration secrets (the seed's Lambda environment variables): a secret is sealed into an
//! envelope message and written as one line of text, `keystead:v1:<base64url>`, that can sit in
//! an environment variable or a configuration file. At start-up [`decrypt_env`] opens every
//! variable that holds such a value and leaves the others alone.
//!
//! Each value is bound to the name of the variable it is meant for (the reserved context pair
//! `keystead:variable = NAME` is added to the caller's context), so a value copied into another
//! variable does not decrypt: an attacker who can edit the configuration cannot make the
//! database password appear as, say, a log level. `docs/format.md` section 6 describes the text.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::{open, seal, OpenOptions, SealOptions};
use crate::crypto::context::EncryptionContext;
use crate::error::{Error, ErrorKind, Result};
use crate::keystead::Keystead;
use crate::secret::SecretBytes;

/// The prefix of every configuration secret of this format version.
pub const SECRET_PREFIX: &str = "keystead:v1:";
/// The encryption context key that binds a secret to its variable name (reserved: a caller's
/// context must not use it).
pub const VARIABLE_CONTEXT_KEY: &str = "keystead:variable";
/// Largest secret accepted (environment values are small; this keeps the text under 6 KiB).
pub const MAX_SECRET_LEN: usize = 4096;

/// `context` plus the variable binding.
fn bound_context(name: &str, context: &EncryptionContext) -> Result<EncryptionContext> {
    if name.is_empty() || name.contains('=') || name.contains('\0') {
        return Err(Error::validation("A secret's variable name must be non-empty and contain no '=' or NUL"));
    }
    if context.contains_key(VARIABLE_CONTEXT_KEY) {
        return Err(Error::validation(format!(
            "The encryption context key {VARIABLE_CONTEXT_KEY} is reserved for the variable name"
        )));
    }
    let mut bound = context.clone();
    bound.insert(VARIABLE_CONTEXT_KEY.to_owned(), name.to_owned());
    Ok(bound)
}

/// True if `value` is meant to be a Keystead configuration secret (of any version): it starts
/// with `keystead:v` and a digit.
pub fn is_secret(value: &str) -> bool {
    value.strip_prefix("keystead:v").is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Seals `value` for the variable `name` under `key_id` and returns the text
/// `keystead:v1:<base64url of an envelope message>`.
///
/// # Errors
/// `ValidationException` for an empty or too large value (more than [`MAX_SECRET_LEN`] bytes), a
/// bad name, or a context using [`VARIABLE_CONTEXT_KEY`]; the KMS errors of `GenerateDataKey`.
pub fn encrypt_secret(
    store: &Keystead,
    key_id: &str,
    name: &str,
    value: &[u8],
    context: &EncryptionContext,
) -> Result<String> {
    if value.is_empty() || value.len() > MAX_SECRET_LEN {
        return Err(Error::validation(format!("A secret must be 1 to {MAX_SECRET_LEN} bytes; got {}", value.len())));
    }
    let bound = bound_context(name, context)?;
    let options = SealOptions { threads: 1, ..SealOptions::default() };
    let message = seal(store, key_id, value, &bound, &options)?;
    Ok(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(message)))
}

/// Opens a value made by [`encrypt_secret`] for the variable `name`.
///
/// # Errors
/// `ValidationException` if `text` is not a version 1 secret or `name` is bad;
/// `InvalidCiphertextException` if it does not decrypt (damaged, other variable, other
/// context); the wrapping key's state errors (`DisabledException`, ...).
pub fn decrypt_secret(
    store: &Keystead,
    name: &str,
    text: &str,
    context: &EncryptionContext,
    options: &OpenOptions,
) -> Result<SecretBytes> {
    let Some(encoded) = text.strip_prefix(SECRET_PREFIX) else {
        return Err(if is_secret(text) {
            Error::validation("This Keystead secret has a format version this library does not read")
        } else {
            Error::validation(format!("A Keystead secret starts with {SECRET_PREFIX}"))
        });
    };
    let bound = bound_context(name, context)?;
    let message = URL_SAFE_NO_PAD.decode(encoded.trim_end()).map_err(|_| Error::invalid_ciphertext())?;
    open(store, &message, &bound, options)
}

/// Decrypts every variable of `vars` whose value is a Keystead secret ([`is_secret`]) and
/// returns those variables with their plaintext values, in input order; the other variables are
/// left alone (not returned). Pass `std::env::vars()` at start-up and set the results back.
///
/// # Errors
/// The first variable that holds a secret that does not decrypt fails the whole call (with the
/// error's kind, and a message that names the variable but never shows its value): a service
/// must not start with a half-decrypted configuration.
pub fn decrypt_env<I, K, V>(
    store: &Keystead,
    vars: I,
    context: &EncryptionContext,
    options: &OpenOptions,
) -> Result<Vec<(String, SecretBytes)>>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut out = Vec::new();
    for (name, value) in vars {
        let (name, value) = (name.as_ref(), value.as_ref());
        if !is_secret(value) {
            continue;
        }
        match decrypt_secret(store, name, value, context, options) {
            Ok(plaintext) => out.push((name.to_owned(), plaintext)),
            Err(e) => {
                let why = match e.kind() {
                    ErrorKind::InvalidCiphertext => {
                        "it is damaged, or was encrypted for another variable or encryption context".to_owned()
                    }
                    _ => e.message().to_owned(),
                };
                return Err(Error::new(
                    e.kind(),
                    format!("The environment variable {name} holds a Keystead secret that does not decrypt: {why}"),
                ));
            }
        }
    }
    Ok(out)
}
