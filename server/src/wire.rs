//! The awsJson1_1 wire format: reading a request's members with AWS's error for each kind of bad
//! input, and writing responses and errors as AWS KMS sends them (`__type`, `message`, status).

use std::str::FromStr;

use base64::Engine as _;
use keystead_core::{EncryptionContext, ErrorKind, Tag};
use serde::Serialize;
use serde_json::{Map, Value};
use zeroize::{Zeroize as _, Zeroizing};

use crate::sigv4::AuthError;

/// The content type of every request and response.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// An error as sent on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WireError {
    pub(crate) status: u16,
    pub(crate) type_name: &'static str,
    pub(crate) message: String,
}

impl WireError {
    pub(crate) fn new(status: u16, type_name: &'static str, message: impl Into<String>) -> Self {
        Self { status, type_name, message: message.into() }
    }

    /// A body that is not JSON, or a member of the wrong JSON type.
    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        Self::new(400, "SerializationException", message)
    }

    /// A member that breaks a constraint of the model.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }

    /// An operation of AWS KMS's model that Keystead does not offer (yet).
    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Self::new(400, "UnsupportedOperationException", message)
    }

    /// The JSON body: `{"__type": ..., "message": ...}`.
    pub(crate) fn body(&self) -> Vec<u8> {
        serde_json::json!({ "__type": self.type_name, "message": self.message }).to_string().into_bytes()
    }
}

impl From<keystead_core::Error> for WireError {
    fn from(error: keystead_core::Error) -> Self {
        match error.kind() {
            // Keystead-only failures of the store are server faults; SDKs know KMSInternalException
            // (retryable) and would not know these names.
            ErrorKind::IncorrectRootKey | ErrorKind::CorruptStore => {
                Self::new(500, "KMSInternalException", error.message())
            }
            kind => Self::new(kind.http_status(), kind.exception_name(), error.message()),
        }
    }
}

impl From<AuthError> for WireError {
    fn from(error: AuthError) -> Self {
        Self::new(error.http_status(), error.exception_name(), error.message())
    }
}

/// A response body. Bodies holding plaintext, data keys or shared secrets are zeroized when the
/// HTTP layer drops them.
pub(crate) enum Body {
    /// No output members (AWS sends an empty body).
    Empty,
    /// A JSON document without secrets.
    Json(Vec<u8>),
    /// A JSON document with secrets.
    Secret(Zeroizing<Vec<u8>>),
}

/// The body of a response without secrets.
pub(crate) fn json<T: Serialize>(value: &T) -> Result<Body, WireError> {
    serde_json::to_vec(value)
        .map(Body::Json)
        .map_err(|e| WireError::new(500, "KMSInternalException", format!("cannot encode the response: {e}")))
}

/// The body of a response with secrets: written into one buffer sized up front, so no
/// reallocation leaves an unzeroized copy behind.
pub(crate) fn secret_json<T: Serialize>(value: &T, size_hint: usize) -> Result<Body, WireError> {
    let mut buffer = Zeroizing::new(Vec::with_capacity(size_hint + 1024));
    serde_json::to_writer(&mut *buffer, value)
        .map_err(|e| WireError::new(500, "KMSInternalException", format!("cannot encode the response: {e}")))?;
    Ok(Body::Secret(buffer))
}

/// Base64 of secret bytes, in a zeroized string.
pub(crate) fn secret_b64(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(3) * 4));
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut out);
    out
}

/// AWS names members in validation messages in lowerCamelCase (`keyId`).
fn member_path(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn missing(name: &str) -> WireError {
    WireError::validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        member_path(name)
    ))
}

fn wrong_type(name: &str, expected: &str) -> WireError {
    WireError::serialization(format!("Member {name} must be {expected}"))
}

/// A request's input members. Every string in it (plaintexts, messages, their base64) is
/// zeroized on drop.
pub(crate) struct Input {
    members: Map<String, Value>,
}

impl Drop for Input {
    fn drop(&mut self) {
        fn wipe(value: &mut Value) {
            match value {
                Value::String(s) => s.zeroize(),
                Value::Array(items) => items.iter_mut().for_each(wipe),
                Value::Object(map) => map.values_mut().for_each(wipe),
                _ => {}
            }
        }
        self.members.values_mut().for_each(wipe);
    }
}

impl Input {
    /// Parses a request body: an empty body is `{}`; anything but a JSON object is a
    /// SerializationException.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, WireError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self { members: Map::new() });
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(members)) => Ok(Self { members }),
            Ok(_) => Err(WireError::serialization("The request body must be a JSON object")),
            Err(e) => Err(WireError::serialization(format!("The request body is not valid JSON: {e}"))),
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        // JSON null is the same as an absent member (as AWS's deserializers treat it).
        self.members.get(name).filter(|v| !v.is_null())
    }

    /// Whether the member is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub(crate) fn str(&self, name: &str) -> Result<Option<&str>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    pub(crate) fn req_str(&self, name: &str) -> Result<&str, WireError> {
        self.str(name)?.ok_or_else(|| missing(name))
    }

    pub(crate) fn blob(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, WireError> {
        let Some(text) = self.str(name)? else { return Ok(None) };
        let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 4 * 3 + 3));
        base64::engine::general_purpose::STANDARD
            .decode_vec(text.as_bytes(), &mut out)
            .map_err(|_| WireError::serialization(format!("Member {name} is not valid base64")))?;
        Ok(Some(out))
    }

    pub(crate) fn req_blob(&self, name: &str) -> Result<Zeroizing<Vec<u8>>, WireError> {
        self.blob(name)?.ok_or_else(|| missing(name))
    }

    pub(crate) fn u32(&self, name: &str) -> Result<Option<u32>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                let value = n.as_i64().ok_or_else(|| wrong_type(name, "an integer"))?;
                u32::try_from(value).map(Some).map_err(|_| {
                    WireError::validation(format!(
                        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: Member \
                         must have value greater than or equal to 1",
                        member_path(name)
                    ))
                })
            }
            Some(_) => Err(wrong_type(name, "an integer")),
        }
    }

    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    /// A timestamp member (epoch seconds, possibly with a fraction) in milliseconds.
    pub(crate) fn timestamp_ms(&self, name: &str) -> Result<Option<i64>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                let seconds = n.as_f64().ok_or_else(|| wrong_type(name, "a timestamp"))?;
                if !(0.0..=253_402_300_799.0).contains(&seconds) {
                    return Err(WireError::validation(format!("Member {name} is out of range")));
                }
                // In range (checked above), so the conversion is exact to the millisecond.
                Ok(Some((seconds * 1000.0).round() as i64))
            }
            Some(_) => Err(wrong_type(name, "a timestamp (epoch seconds)")),
        }
    }

    pub(crate) fn enumeration<T: FromStr<Err = keystead_core::Error>>(
        &self,
        name: &str,
    ) -> Result<Option<T>, WireError> {
        Ok(self.str(name)?.map(str::parse).transpose()?)
    }

    pub(crate) fn context(&self, name: &str) -> Result<Option<EncryptionContext>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(wrong_type(name, "a map of strings to strings")),
                })
                .collect::<Result<EncryptionContext, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "a map of strings to strings")),
        }
    }

    /// A structure member (e.g. CreateGrant's `Constraints`), read with the same rules.
    pub(crate) fn object(&self, name: &str) -> Result<Option<Input>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(members)) => Ok(Some(Input { members: members.clone() })),
            Some(_) => Err(wrong_type(name, "a structure")),
        }
    }

    pub(crate) fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong_type(name, "a list of strings")))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "a list of strings")),
        }
    }

    pub(crate) fn tags(&self, name: &str) -> Result<Option<Vec<Tag>>, WireError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        let Value::Array(items) = value else { return Err(wrong_type(name, "a list of tags")) };
        let mut tags = Vec::with_capacity(items.len());
        for item in items {
            let Value::Object(tag) = item else { return Err(wrong_type(name, "a list of tags")) };
            let field = |field: &str| match tag.get(field) {
                Some(Value::String(s)) => Ok(s.clone()),
                None | Some(Value::Null) => Err(missing(&format!("{name}.member.{field}"))),
                Some(_) => Err(wrong_type(&format!("{name}.{field}"), "a string")),
            };
            tags.push(Tag::new(field("TagKey")?, field("TagValue")?));
        }
        Ok(Some(tags))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bad_bodies_and_types_are_serialization_errors() {
        assert_eq!(Input::parse(b"{").err().unwrap().type_name, "SerializationException");
        assert_eq!(Input::parse(b"[1]").err().unwrap().type_name, "SerializationException");
        let input =
            Input::parse(br#"{"KeyId": 5, "Limit": "x", "Plaintext": "%%%", "EncryptionContext": {"a": 1}}"#).unwrap();
        assert_eq!(input.str("KeyId").unwrap_err().type_name, "SerializationException");
        assert_eq!(input.u32("Limit").unwrap_err().type_name, "SerializationException");
        assert_eq!(input.blob("Plaintext").unwrap_err().type_name, "SerializationException");
        assert_eq!(input.context("EncryptionContext").unwrap_err().type_name, "SerializationException");
        let missing = input.req_str("AliasName").unwrap_err();
        assert_eq!(missing.type_name, "ValidationException");
        assert!(missing.message.contains("'aliasName'"), "{}", missing.message);
    }

    #[test]
    fn reads_members() {
        let input = Input::parse(
            br#"{"KeyId": "alias/a", "Plaintext": "aGVsbG8=", "Limit": 10, "DryRun": true, "Marker": null,
                 "Tags": [{"TagKey": "k", "TagValue": "v"}], "EncryptionContext": {"order": "42"}}"#,
        )
        .unwrap();
        assert_eq!(input.req_str("KeyId").unwrap(), "alias/a");
        assert_eq!(input.req_blob("Plaintext").unwrap().as_slice(), b"hello");
        assert_eq!(input.u32("Limit").unwrap(), Some(10));
        assert_eq!(input.bool("DryRun").unwrap(), Some(true));
        assert_eq!(input.str("Marker").unwrap(), None);
        assert_eq!(input.tags("Tags").unwrap().unwrap(), vec![Tag::new("k", "v")]);
        assert_eq!(input.context("EncryptionContext").unwrap().unwrap()["order"], "42");
        assert!(Input::parse(b"").unwrap().members.is_empty());
    }

    #[test]
    fn core_errors_keep_their_aws_names_and_statuses() {
        let e = WireError::from(keystead_core::Error::new(ErrorKind::NotFound, "no such key"));
        assert_eq!((e.status, e.type_name, e.message.as_str()), (404, "NotFoundException", "no such key"));
        let e = WireError::from(keystead_core::Error::new(ErrorKind::CorruptStore, "bad record"));
        assert_eq!((e.status, e.type_name), (500, "KMSInternalException"));
        let body: Value = serde_json::from_slice(&e.body()).unwrap();
        assert_eq!(body["__type"], "KMSInternalException");
        assert_eq!(body["message"], "bad record");
    }
}
