//! Log records: how a line is built, hashed and signed (docs/audit.md §3).
//!
//! Every line is the canonical JSON of one record object with the members `v` (format version,
//! 1), `seq` (0, 1, 2... within the segment), `type` (`header`, `event` or `checkpoint`), `prev`
//! (the `hash` of the previous record; 64 zeros for the header), one body member named like the
//! type (`segment`, `event`, `checkpoint`), `hash`, and for headers and checkpoints `sig`.
//!
//! `hash` = hex(SHA-256(`"keystead-audit/1\n"` || canonical JSON of the record without `hash`
//! and `sig`)). `sig` = base64(Ed25519(`"keystead-audit/1/sig\n"` || the 32 hash bytes)).

use base64::Engine as _;

use crate::audit::canonical::{hex, write_string};
use crate::audit::keys::AuditKeys;
use crate::error::Result;

/// Format version in every record (`v`).
pub(crate) const FORMAT_VERSION: u64 = 1;
/// Domain separation prefix of record hashes.
pub(crate) const HASH_DOMAIN: &[u8] = b"keystead-audit/1\n";
/// Domain separation prefix of signatures.
pub(crate) const SIG_DOMAIN: &[u8] = b"keystead-audit/1/sig\n";
/// The `prev` of a segment's first record.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The record types.
pub(crate) const TYPE_HEADER: &str = "header";
pub(crate) const TYPE_EVENT: &str = "event";
pub(crate) const TYPE_CHECKPOINT: &str = "checkpoint";

/// Checkpoint reasons; the last two end a segment.
pub(crate) const REASON_COUNT: &str = "count";
pub(crate) const REASON_INTERVAL: &str = "interval";
pub(crate) const REASON_CLOSE: &str = "close";
pub(crate) const REASON_RECOVERED: &str = "recovered";
/// A new writer continues a sealed segment (carries the writer's store-wide `number`).
pub(crate) const REASON_RESUMED: &str = "resumed";
/// Whole segments were deleted on purpose (carries the `pruned` numbers and what they held).
pub(crate) const REASON_PRUNE: &str = "prune";

/// True for the checkpoint reasons that end a segment.
pub(crate) fn is_final_reason(reason: &str) -> bool {
    reason == REASON_CLOSE || reason == REASON_RECOVERED
}

/// The record hash of the canonical bytes of a record without `hash` and `sig`.
pub(crate) fn record_hash(unsealed: &str) -> [u8; 32] {
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(HASH_DOMAIN);
    hasher.update(unsealed.as_bytes());
    hasher.finish()
}

/// The message an Ed25519 signature covers.
pub(crate) fn signed_message(hash: &[u8; 32]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIG_DOMAIN.len() + 32);
    message.extend_from_slice(SIG_DOMAIN);
    message.extend_from_slice(hash);
    message
}

/// Joins pre-canonicalized members into a canonical object (members sorted by name).
pub(crate) fn object(members: &mut [(&str, String)]) -> String {
    members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::with_capacity(members.iter().map(|(n, v)| n.len() + v.len() + 4).sum::<usize>() + 2);
    out.push('{');
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(name, &mut out);
        out.push(':');
        out.push_str(value);
    }
    out.push('}');
    out
}

/// A record ready to be written: its line (with the trailing newline) and its hash (hex).
pub(crate) struct SealedRecord {
    pub(crate) line: String,
    pub(crate) hash: String,
}

/// Builds the line of a record of `kind` whose body (the member named `kind`, or `segment` for
/// a header) is `body_canonical`, chained after `prev`, signed with `keys` when given.
pub(crate) fn seal(
    kind: &str,
    body_canonical: String,
    seq: u64,
    prev: &str,
    keys: Option<&AuditKeys>,
) -> Result<SealedRecord> {
    let body_name = if kind == TYPE_HEADER { "segment" } else { kind };
    let mut prev_json = String::with_capacity(prev.len() + 2);
    write_string(prev, &mut prev_json);
    let mut kind_json = String::with_capacity(kind.len() + 2);
    write_string(kind, &mut kind_json);
    let mut members = vec![
        ("v", FORMAT_VERSION.to_string()),
        ("seq", seq.to_string()),
        ("type", kind_json),
        ("prev", prev_json),
        (body_name, body_canonical),
    ];
    let digest = record_hash(&object(&mut members));
    let hash = hex(&digest);
    members.push(("hash", format!("\"{hash}\"")));
    if let Some(keys) = keys {
        let signature = keys.sign(&signed_message(&digest))?;
        members.push(("sig", format!("\"{}\"", base64::engine::general_purpose::STANDARD.encode(signature))));
    }
    let mut line = object(&mut members);
    line.push('\n');
    Ok(SealedRecord { line, hash })
}

/// An event body whose hash is started: the hash input begins with the body (`{"event":` then
/// the body, members sorted by name), so all of it but the short tail (`prev`, `seq`, `type`,
/// `v`) is hashed before the record's place in the chain is known, outside the log's lock.
pub(crate) struct PreparedEvent {
    body: String,
    hasher: openssl::sha::Sha256,
}

impl PreparedEvent {
    /// Hashes the head of the record of the event whose canonical JSON is `body`.
    pub(crate) fn new(body: String) -> Self {
        let mut hasher = openssl::sha::Sha256::new();
        hasher.update(HASH_DOMAIN);
        hasher.update(b"{\"event\":");
        hasher.update(body.as_bytes());
        Self { body, hasher }
    }

    /// Chains the event after `prev` at `seq`: appends its line (with the newline) to `out` and
    /// returns its hash (hex). The same bytes as `seal(TYPE_EVENT, body, seq, prev, None)`.
    pub(crate) fn seal_into(self, seq: u64, prev: &str, out: &mut String) -> String {
        let mut tail = String::with_capacity(prev.len() + 64);
        tail.push_str(",\"prev\":");
        write_string(prev, &mut tail);
        tail.push_str(",\"seq\":");
        tail.push_str(&seq.to_string());
        tail.push_str(",\"type\":\"event\",\"v\":");
        tail.push_str(&FORMAT_VERSION.to_string());
        tail.push('}');
        let mut hasher = self.hasher;
        hasher.update(tail.as_bytes());
        let hash = hex(&hasher.finish());
        out.reserve(self.body.len() + tail.len() + hash.len() + 24);
        out.push_str("{\"event\":");
        out.push_str(&self.body);
        out.push_str(",\"hash\":\"");
        out.push_str(&hash);
        out.push('"');
        out.push_str(&tail);
        out.push('\n');
        hash
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::audit::canonical::canonical;

    #[test]
    fn sealed_line_is_canonical_and_hash_covers_everything_but_hash_and_sig() {
        let keys = AuditKeys::generate().unwrap();
        let body = canonical(&json!({"reason": "count", "records": 5}));
        let sealed = seal(TYPE_CHECKPOINT, body, 5, GENESIS, Some(&keys)).unwrap();
        let line = sealed.line.trim_end();
        let mut value: Value = serde_json::from_str(line).unwrap();
        assert_eq!(canonical(&value), line);
        assert_eq!(value["hash"], sealed.hash.as_str());
        let object = value.as_object_mut().unwrap();
        object.remove("hash");
        let sig = object.remove("sig").unwrap();
        let digest = record_hash(&canonical(&value));
        assert_eq!(hex(&digest), sealed.hash);
        let sig = base64::engine::general_purpose::STANDARD.decode(sig.as_str().unwrap()).unwrap();
        assert!(keys.public_key().verify(&signed_message(&digest), &sig));
    }

    #[test]
    fn prepared_events_seal_to_the_same_bytes_as_seal() {
        let body = canonical(&json!({"eventName": "Encrypt", "x": "a\"b\n", "n": [1, 2]}));
        let general = seal(TYPE_EVENT, body.clone(), 7, GENESIS, None).unwrap();
        let mut out = String::from("previous line\n");
        let hash = PreparedEvent::new(body).seal_into(7, GENESIS, &mut out);
        assert_eq!(hash, general.hash);
        assert_eq!(out, format!("previous line\n{}", general.line));
    }
}
