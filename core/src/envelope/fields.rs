//! Field-level encryption of records (the seed's RDS / DynamoDB rows): chosen top-level fields of
//! a JSON object are encrypted under one data key per record, each field a compact ciphertext
//! (its JSON text, AES-256-GCM, 16 bytes of tag, base64url) bound to its field name, the record
//! and the record's encryption context. The other fields stay readable (and queryable).
//!
//! The record gains one attribute, [`FIELDS_ATTRIBUTE`], holding the record header: a random
//! record id, the names of the encrypted fields, the encrypted data keys and a key commitment.
//! The encryption context is not stored (the caller derives it, e.g. from the table name and the
//! primary key, and passes the same one to decrypt). `docs/format.md` section 7 is the layout.
//!
//! What is detected: a changed, removed, swapped (between fields or records) or added encrypted
//! field, a changed header or context, a wrong or extra data key. What is not: changes to the
//! fields left in the clear (bind them through the context when they matter, e.g. the key).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::header::{Header, MAX_FORMAT_DATA_KEYS, MESSAGE_ID_LEN};
use super::segment::SegmentKeys;
use super::{materials, unlock, OpenOptions, SealOptions};
use crate::crypto::ciphertext::{parse_header as parse_blob_header, MAX_BLOB_LEN, OVERHEAD as BLOB_OVERHEAD};
use crate::crypto::context::{canonical_context, EncryptionContext};
use crate::crypto::primitives::{
    aes_gcm_open, aes_gcm_seal, hkdf_sha256, random_bytes, AES_256_KEY_LEN, GCM_NONCE_LEN,
};
use crate::error::{Error, Result};
use crate::keystead::Keystead;

/// The attribute added to an encrypted record (its header, base64url).
pub const FIELDS_ATTRIBUTE: &str = "keystead:fields";
/// First byte of a record header (envelope messages start with `0xE1`).
pub const FIELDS_MAGIC: u8 = 0xE2;
/// Version of the record format.
pub const FIELDS_VERSION: u8 = 0x01;
/// Most fields one record can have encrypted.
pub const MAX_FIELDS: usize = 255;

const LABEL_FIELD: &[u8] = b"keystead/fields/v1/field-key";
const COMMITMENT_LEN: usize = super::COMMITMENT_LEN;

/// Encrypts `fields` (top-level names) of the JSON object `record` under a fresh data key from
/// `key_id` (also wrapped under `options.additional_key_ids`; the other options do not apply)
/// and returns the record with those fields replaced by their ciphertexts (strings) and
/// [`FIELDS_ATTRIBUTE`] added. Any JSON value can be encrypted; `decrypt_fields` restores it.
///
/// # Errors
/// `ValidationException` if `record` is not an object, already has [`FIELDS_ATTRIBUTE`], or a
/// field is missing, repeated or reserved, or none / more than 255 are named; the KMS errors of
/// `GenerateDataKey` / `Encrypt`.
pub fn encrypt_fields<S: AsRef<str>>(
    store: &Keystead,
    key_id: &str,
    record: &Value,
    fields: &[S],
    context: &EncryptionContext,
    options: &SealOptions,
) -> Result<Value> {
    let Value::Object(map) = record else {
        return Err(Error::validation("A record must be a JSON object"));
    };
    if map.contains_key(FIELDS_ATTRIBUTE) {
        return Err(Error::validation(format!("The record already has encrypted fields ({FIELDS_ATTRIBUTE})")));
    }
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        return Err(Error::validation(format!("Name 1 to {MAX_FIELDS} fields to encrypt")));
    }
    let mut names: Vec<&str> = Vec::with_capacity(fields.len());
    for field in fields {
        let name = field.as_ref();
        if names.contains(&name) {
            return Err(Error::validation(format!("The field {name} is named twice")));
        }
        if !map.contains_key(name) {
            return Err(Error::validation(format!("The record has no field {name}")));
        }
        if name.len() > usize::from(u16::MAX) {
            return Err(Error::validation("A field name is too long"));
        }
        names.push(name);
    }
    if options.additional_key_ids.len() + 1 > MAX_FORMAT_DATA_KEYS {
        return Err(Error::validation(format!("A record can have at most {MAX_FORMAT_DATA_KEYS} wrapping keys")));
    }
    let canonical = canonical_context(context)?;
    let (data_key, edks) = materials(store, key_id, context, options)?;
    let mut record_id = [0u8; MESSAGE_ID_LEN];
    record_id.copy_from_slice(&random_bytes(MESSAGE_ID_LEN)?);
    let stored = encode(&record_id, &names, &edks)?;
    let body = derivation_body(&stored, &canonical);
    let (commitment, keys) = super::header::derive(data_key.expose(), &body, &record_id)?;
    let mut out = map.clone();
    for name in &names {
        let plaintext = Zeroizing::new(serde_json::to_vec(&map[*name]).map_err(|e| Error::internal(e.to_string()))?);
        let (key, nonce) = field_key(&keys, &record_id, name)?;
        let sealed = aes_gcm_seal(&key[..], &nonce, b"", &plaintext)?;
        out.insert((*name).to_owned(), Value::String(URL_SAFE_NO_PAD.encode(sealed)));
    }
    let mut header = stored;
    header.extend_from_slice(&commitment);
    out.insert(FIELDS_ATTRIBUTE.to_owned(), Value::String(URL_SAFE_NO_PAD.encode(header)));
    Ok(Value::Object(out))
}

/// Decrypts the fields of a record made by [`encrypt_fields`] and returns the record as it was
/// before (the fields restored, [`FIELDS_ATTRIBUTE`] removed). `options` bounds and filters the
/// data keys as for [`open`](super::open).
///
/// # Errors
/// `InvalidCiphertextException` for any damaged, missing or moved field, a damaged header, a
/// different context, or no allowed wrapping key; `ValidationException` if `record` is not an
/// object with [`FIELDS_ATTRIBUTE`] or for bad options; the wrapping key's state errors.
pub fn decrypt_fields(
    store: &Keystead,
    record: &Value,
    context: &EncryptionContext,
    options: &OpenOptions,
) -> Result<Value> {
    options.check()?;
    let Value::Object(map) = record else {
        return Err(Error::validation("A record must be a JSON object"));
    };
    let Some(attribute) = map.get(FIELDS_ATTRIBUTE) else {
        return Err(Error::validation(format!("The record has no encrypted fields ({FIELDS_ATTRIBUTE})")));
    };
    let Value::String(encoded) = attribute else { return Err(Error::invalid_ciphertext()) };
    let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| Error::invalid_ciphertext())?;
    let parsed = parse(&bytes, options.max_encrypted_data_keys)?;
    let canonical = canonical_context(context)?;
    let header = Header {
        body: derivation_body(&bytes[..bytes.len() - COMMITMENT_LEN], &canonical),
        message_id: parsed.record_id,
        segment_size: 0,
        context: canonical,
        encrypted_data_keys: parsed.edks,
        commitment: parsed.commitment,
    };
    let keys = unlock(store, &header, context, options)?;
    let mut out: Map<String, Value> = map.clone();
    out.remove(FIELDS_ATTRIBUTE);
    for name in &parsed.names {
        let Some(Value::String(text)) = map.get(name) else { return Err(Error::invalid_ciphertext()) };
        let sealed = URL_SAFE_NO_PAD.decode(text).map_err(|_| Error::invalid_ciphertext())?;
        let (key, nonce) = field_key(&keys, &parsed.record_id, name)?;
        let plaintext = aes_gcm_open(&key[..], &nonce, b"", &sealed).ok_or_else(Error::invalid_ciphertext)?;
        let value: Value = serde_json::from_slice(plaintext.expose()).map_err(|_| Error::invalid_ciphertext())?;
        out.insert(name.clone(), value);
    }
    Ok(Value::Object(out))
}

/// The header without its commitment:
/// `magic || version || record id (32) || u8 n || (u16 len, name) * n || u8 k || (u16 len, edk) * k`.
fn encode(record_id: &[u8; MESSAGE_ID_LEN], names: &[&str], edks: &[Vec<u8>]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(
        2 + MESSAGE_ID_LEN
            + 2
            + names.iter().map(|n| 2 + n.len()).sum::<usize>()
            + edks.iter().map(|k| 2 + k.len()).sum::<usize>(),
    );
    out.push(FIELDS_MAGIC);
    out.push(FIELDS_VERSION);
    out.extend_from_slice(record_id);
    out.push(u8::try_from(names.len()).map_err(|_| Error::validation("too many fields"))?);
    for name in names {
        let len = u16::try_from(name.len()).map_err(|_| Error::validation("A field name is too long"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    out.push(u8::try_from(edks.len()).map_err(|_| Error::validation("too many wrapping keys"))?);
    for edk in edks {
        let len = u16::try_from(edk.len()).map_err(|_| Error::internal("encrypted data key too long"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(edk);
    }
    Ok(out)
}

/// What the commitment and the keys are derived from: the stored header (without the
/// commitment) followed by the canonical context, so the context is bound without being stored.
fn derivation_body(stored: &[u8], canonical: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(stored.len() + canonical.len());
    body.extend_from_slice(stored);
    body.extend_from_slice(canonical);
    body
}

/// Per-field key and nonce: `HKDF-SHA-256(IKM = record key, salt = record id,
/// info = "keystead/fields/v1/field-key" || name, L = 44)`. Each (record, field) pair is
/// encrypted once, so a derived nonce never repeats under its key.
fn field_key(
    keys: &SegmentKeys,
    record_id: &[u8],
    name: &str,
) -> Result<(Zeroizing<[u8; AES_256_KEY_LEN]>, [u8; GCM_NONCE_LEN])> {
    let mut info = Vec::with_capacity(LABEL_FIELD.len() + name.len());
    info.extend_from_slice(LABEL_FIELD);
    info.extend_from_slice(name.as_bytes());
    let mut okm = Zeroizing::new([0u8; AES_256_KEY_LEN + GCM_NONCE_LEN]);
    hkdf_sha256(&keys.key[..], record_id, &info, &mut okm[..])?;
    let mut key = Zeroizing::new([0u8; AES_256_KEY_LEN]);
    key.copy_from_slice(&okm[..AES_256_KEY_LEN]);
    let mut nonce = [0u8; GCM_NONCE_LEN];
    nonce.copy_from_slice(&okm[AES_256_KEY_LEN..]);
    Ok((key, nonce))
}

struct Parsed {
    record_id: [u8; MESSAGE_ID_LEN],
    names: Vec<String>,
    edks: Vec<Vec<u8>>,
    commitment: [u8; COMMITMENT_LEN],
}

/// Parses a stored header; every malformation is `InvalidCiphertextException`, and the key count
/// is checked against `max_data_keys` before any key is read.
fn parse(bytes: &[u8], max_data_keys: usize) -> Result<Parsed> {
    let bad = Error::invalid_ciphertext;
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8]> {
        let end = at.checked_add(n).filter(|end| *end <= bytes.len()).ok_or_else(bad)?;
        let slice = &bytes[at..end];
        at = end;
        Ok(slice)
    };
    let prefix = take(2)?;
    if prefix != [FIELDS_MAGIC, FIELDS_VERSION] {
        return Err(bad());
    }
    let mut record_id = [0u8; MESSAGE_ID_LEN];
    record_id.copy_from_slice(take(MESSAGE_ID_LEN)?);
    let count = usize::from(take(1)?[0]);
    if count == 0 {
        return Err(bad());
    }
    let mut names: Vec<String> = Vec::with_capacity(count);
    for _ in 0..count {
        let len = take(2)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let name = std::str::from_utf8(take(len)?).map_err(|_| bad())?.to_owned();
        if name == FIELDS_ATTRIBUTE || names.contains(&name) {
            return Err(bad());
        }
        names.push(name);
    }
    let keys = usize::from(take(1)?[0]);
    if keys == 0 || keys > max_data_keys {
        return Err(bad());
    }
    let mut edks = Vec::with_capacity(keys);
    for _ in 0..keys {
        let len = take(2)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if !(BLOB_OVERHEAD..=MAX_BLOB_LEN).contains(&len) {
            return Err(bad());
        }
        let edk = take(len)?;
        parse_blob_header(edk).map_err(|_| bad())?;
        edks.push(edk.to_vec());
    }
    let mut commitment = [0u8; COMMITMENT_LEN];
    commitment.copy_from_slice(take(COMMITMENT_LEN)?);
    if at != bytes.len() {
        return Err(bad());
    }
    Ok(Parsed { record_id, names, edks, commitment })
}
