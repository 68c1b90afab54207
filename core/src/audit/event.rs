//! One audit event, shaped like the CloudTrail event AWS KMS writes for the same call.

use serde_json::{json, Map, Value};

use crate::audit::canonical::{iso8601_seconds, write_canonical, write_iso8601_seconds, write_string};
use crate::clock::{Clock, Millis, SystemClock};
use crate::crypto::primitives::fill_public_random;
use crate::keys::id::StoreIdentity;

/// The `eventVersion` Keystead writes (the newest version seen in AWS's KMS examples).
pub const EVENT_VERSION: &str = "1.08";
/// The `eventSource` of every KMS event.
pub const EVENT_SOURCE: &str = "kms.amazonaws.com";

/// Operations that change nothing (CloudTrail's `readOnly: true`): reads and cryptographic
/// calls. Everything else is `readOnly: false`.
const READ_ONLY_OPERATIONS: &[&str] = &[
    "Decrypt",
    "DeriveSharedSecret",
    "DescribeCustomKeyStores",
    "DescribeKey",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "GetKeyLastUsage",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "GetPublicKey",
    "ListAliases",
    "ListGrants",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ListRetirableGrants",
    "ReEncrypt",
    "Sign",
    "Verify",
    "VerifyMac",
];

/// True when AWS marks `operation` `readOnly` in CloudTrail.
pub fn is_read_only(operation: &str) -> bool {
    READ_ONLY_OPERATIONS.binary_search(&operation).is_ok()
}

/// 32 fresh random bytes for request and event ids, from the thread's pool of public random
/// bytes (`fill_public_random`: one generator call per many ids, never shared with a forked
/// child). All zero only if the generator fails, which OpenSSL reports as an error everywhere
/// else first.
fn random_32() -> [u8; 32] {
    let mut out = [0u8; 32];
    let _ = fill_public_random(&mut out);
    out
}

/// Two UUID v4 strings (request id, event id) from 32 random bytes.
pub(crate) fn uuid_v4_pair() -> (String, String) {
    let raw = random_32();
    let one = |half: &[u8]| {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(half);
        let mut buffer = uuid::Uuid::encode_buffer();
        uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().encode_lower(&mut buffer).to_owned()
    };
    (one(&raw[..16]), one(&raw[16..]))
}

/// CloudTrail's `userIdentity.type` for a principal ARN.
fn identity_type(arn: &str) -> &'static str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
    if resource == "root" {
        "Root"
    } else if resource.starts_with("user/") {
        "IAMUser"
    } else if resource.starts_with("assumed-role/") || resource.starts_with("role/") {
        "AssumedRole"
    } else if resource.starts_with("federated-user/") {
        "FederatedUser"
    } else {
        "Unknown"
    }
}

/// The account id field of an ARN, if it has a 12-digit one.
fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

/// `userIdentity`, kept as fields so that the hot path writes it without building a `Value`.
#[derive(Clone, Debug, PartialEq)]
struct UserIdentity {
    /// `type` (absent for service events).
    kind: Option<&'static str>,
    /// `arn` (absent for service events).
    arn: Option<String>,
    account_id: String,
    access_key_id: Option<String>,
    /// `invokedBy` (service events: `AWS Internal`).
    invoked_by: Option<&'static str>,
}

impl UserIdentity {
    fn to_json(&self) -> Value {
        let mut map = Map::new();
        if let Some(kind) = self.kind {
            map.insert("type".into(), kind.into());
        }
        if let Some(arn) = &self.arn {
            map.insert("arn".into(), arn.clone().into());
        }
        map.insert("accountId".into(), self.account_id.clone().into());
        if let Some(id) = &self.access_key_id {
            map.insert("accessKeyId".into(), id.clone().into());
        }
        if let Some(by) = self.invoked_by {
            map.insert("invokedBy".into(), by.into());
        }
        Value::Object(map)
    }

    /// The canonical form: members in byte order (accessKeyId, accountId, arn, invokedBy, type).
    fn write_canonical(&self, out: &mut String) {
        let mut first = true;
        let mut member = |out: &mut String, name: &str, value: &str| {
            out.push_str(if first { "{\"" } else { ",\"" });
            first = false;
            out.push_str(name);
            out.push_str("\":");
            write_string(value, out);
        };
        if let Some(id) = &self.access_key_id {
            member(out, "accessKeyId", id);
        }
        member(out, "accountId", &self.account_id);
        if let Some(arn) = &self.arn {
            member(out, "arn", arn);
        }
        if let Some(by) = self.invoked_by {
            member(out, "invokedBy", by);
        }
        if let Some(kind) = self.kind {
            member(out, "type", kind);
        }
        out.push('}');
    }
}

/// One audit event. Build it with [`AuditEvent::new`] and the chained setters, then hand it to
/// [`crate::audit::AuditLog::append`].
///
/// The caller decides what goes into `requestParameters` and `responseElements`; the rule (as in
/// AWS, kms-behaviour.md §7.3) is: never a plaintext, data key, ciphertext blob, signature, MAC,
/// key material, private key or grant token. Encryption contexts go through
/// [`crate::audit::AuditLog::redact_context`].
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    event_name: String,
    time_ms: Millis,
    region: String,
    recipient_account_id: String,
    user_identity: UserIdentity,
    request_parameters: Value,
    response_elements: Value,
    additional_event_data: Option<Value>,
    error: Option<(String, String)>,
    request_id: String,
    event_id: String,
    read_only: bool,
    resources: Vec<String>,
    service_event: bool,
}

impl AuditEvent {
    /// An event for a call of `event_name` (the AWS operation name, e.g. `Encrypt`) made by
    /// `principal_arn` against the store `identity`, now, with fresh request and event ids.
    pub fn new(event_name: impl Into<String>, principal_arn: &str, identity: &StoreIdentity) -> Self {
        let event_name = event_name.into();
        let read_only = is_read_only(&event_name);
        let (request_id, event_id) = uuid_v4_pair();
        Self {
            user_identity: UserIdentity {
                kind: Some(identity_type(principal_arn)),
                arn: Some(principal_arn.to_owned()),
                account_id: arn_account(principal_arn).unwrap_or(&identity.account_id).to_owned(),
                access_key_id: None,
                invoked_by: None,
            },
            event_name,
            time_ms: SystemClock.now_ms(),
            region: identity.region.clone(),
            recipient_account_id: identity.account_id.clone(),
            request_parameters: Value::Null,
            response_elements: Value::Null,
            additional_event_data: None,
            error: None,
            request_id,
            event_id,
            read_only,
            resources: Vec::new(),
            service_event: false,
        }
    }

    /// An event Keystead raises on its own (AWS's `AwsServiceEvent`: `DeleteKey` at the end of a
    /// deletion window, `RotateKey` for an automatic rotation, `DeleteExpiredKeyMaterial`). It
    /// has no request id, and `userIdentity` is `{accountId, invokedBy: "AWS Internal"}`.
    pub fn service_event(event_name: impl Into<String>, identity: &StoreIdentity) -> Self {
        let mut event = Self::new(event_name, "", identity);
        event.user_identity = UserIdentity {
            kind: None,
            arn: None,
            account_id: identity.account_id.clone(),
            access_key_id: None,
            invoked_by: Some("AWS Internal"),
        };
        event.request_id = String::new();
        event.service_event = true;
        event.read_only = false;
        event
    }

    /// The event time (default: the system clock when the event was created).
    pub fn time_ms(mut self, ms: Millis) -> Self {
        self.time_ms = ms;
        self
    }

    /// The access key the caller signed with (a server request), shown in `userIdentity`.
    pub fn access_key_id(mut self, access_key_id: &str) -> Self {
        self.user_identity.access_key_id = Some(access_key_id.into());
        self
    }

    /// The request id (default: a fresh UUID v4). Set it to the id returned to the caller so
    /// the event can be found from a response.
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = request_id.into();
        self
    }

    /// Adds the key the call used to `resources` (call once per key; ReEncrypt names two).
    pub fn key(mut self, key_arn: impl Into<String>) -> Self {
        let arn = key_arn.into();
        if !self.resources.contains(&arn) {
            self.resources.push(arn);
        }
        self
    }

    /// `requestParameters`: the request members in camelCase, without secrets.
    pub fn request(mut self, parameters: Value) -> Self {
        self.request_parameters = parameters;
        self
    }

    /// `responseElements`: for management calls only (AWS logs `null` for cryptographic calls).
    pub fn response(mut self, elements: Value) -> Self {
        self.response_elements = elements;
        self
    }

    /// Marks the call failed: `errorCode` (the exception name, e.g. `AccessDeniedException`)
    /// and `errorMessage`.
    pub fn error(mut self, kind_name: impl Into<String>, message: impl Into<String>) -> Self {
        self.error = Some((kind_name.into(), message.into()));
        self
    }

    /// `additionalEventData`, e.g. `{"keyMaterialId": "...", "keyVersion": 2}`. Objects given
    /// in several calls are merged.
    pub fn additional(mut self, data: Value) -> Self {
        self.additional_event_data = match (self.additional_event_data.take(), data) {
            (Some(Value::Object(mut old)), Value::Object(new)) => {
                old.extend(new);
                Some(Value::Object(old))
            }
            (_, data) => Some(data),
        };
        self
    }

    /// Overrides `readOnly` (default: from the operation name).
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// The operation name.
    pub fn event_name(&self) -> &str {
        &self.event_name
    }

    /// The request id.
    pub fn get_request_id(&self) -> &str {
        &self.request_id
    }

    /// The event id.
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    /// The event time in epoch milliseconds.
    pub fn get_time_ms(&self) -> Millis {
        self.time_ms
    }

    /// The event as CloudTrail JSON (the object stored under `event` in a log record).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("eventVersion".into(), EVENT_VERSION.into());
        map.insert("userIdentity".into(), self.user_identity.to_json());
        map.insert("eventTime".into(), iso8601_seconds(self.time_ms).into());
        map.insert("eventSource".into(), EVENT_SOURCE.into());
        map.insert("eventName".into(), self.event_name.clone().into());
        map.insert("awsRegion".into(), self.region.clone().into());
        let (source_ip, agent) = if self.service_event { ("AWS Internal", "AWS Internal") } else { ("", "keystead") };
        if !source_ip.is_empty() {
            map.insert("sourceIPAddress".into(), source_ip.into());
        }
        map.insert("userAgent".into(), agent.into());
        map.insert("requestParameters".into(), self.request_parameters.clone());
        map.insert("responseElements".into(), self.response_elements.clone());
        if let Some(data) = &self.additional_event_data {
            map.insert("additionalEventData".into(), data.clone());
        }
        if let Some((code, message)) = &self.error {
            map.insert("errorCode".into(), code.clone().into());
            map.insert("errorMessage".into(), message.clone().into());
        }
        if !self.request_id.is_empty() {
            map.insert("requestID".into(), self.request_id.clone().into());
        }
        map.insert("eventID".into(), self.event_id.clone().into());
        map.insert("readOnly".into(), self.read_only.into());
        let resources: Vec<Value> = self
            .resources
            .iter()
            .map(|arn| {
                json!({
                    "accountId": arn_account(arn).unwrap_or(&self.recipient_account_id),
                    "type": "AWS::KMS::Key",
                    "ARN": arn,
                })
            })
            .collect();
        map.insert("resources".into(), Value::Array(resources));
        map.insert("eventType".into(), if self.service_event { "AwsServiceEvent" } else { "AwsApiCall" }.into());
        map.insert("managementEvent".into(), true.into());
        map.insert("recipientAccountId".into(), self.recipient_account_id.clone().into());
        map.insert("eventCategory".into(), "Management".into());
        Value::Object(map)
    }

    /// The canonical JSON of [`AuditEvent::to_json`], written directly from the fields into one
    /// buffer, members in the canonical (byte) order of their names. This is the hot path of
    /// every append: no intermediate `Value`, no per-member strings, no sort.
    pub(crate) fn canonical_json(&self) -> String {
        let mut out = String::with_capacity(1024);
        self.write_canonical(&mut out);
        out
    }

    /// Appends the canonical JSON of the event to `out` (see [`AuditEvent::canonical_json`]).
    pub(crate) fn write_canonical(&self, out: &mut String) {
        // Names are plain ASCII and need no escaping. A member follows `{` (the first) or a value.
        fn name(out: &mut String, name: &str) {
            out.push_str(if out.ends_with('{') { "\"" } else { ",\"" });
            out.push_str(name);
            out.push_str("\":");
        }
        fn text(out: &mut String, member: &str, value: &str) {
            name(out, member);
            write_string(value, out);
        }
        out.push('{');
        if let Some(data) = &self.additional_event_data {
            name(out, "additionalEventData");
            write_canonical(data, out);
        }
        text(out, "awsRegion", &self.region);
        if let Some((code, message)) = &self.error {
            text(out, "errorCode", code);
            text(out, "errorMessage", message);
        }
        text(out, "eventCategory", "Management");
        text(out, "eventID", &self.event_id);
        text(out, "eventName", &self.event_name);
        text(out, "eventSource", EVENT_SOURCE);
        name(out, "eventTime");
        write_iso8601_seconds(self.time_ms, out);
        text(out, "eventType", if self.service_event { "AwsServiceEvent" } else { "AwsApiCall" });
        text(out, "eventVersion", EVENT_VERSION);
        name(out, "managementEvent");
        out.push_str("true");
        name(out, "readOnly");
        out.push_str(if self.read_only { "true" } else { "false" });
        text(out, "recipientAccountId", &self.recipient_account_id);
        if !self.request_id.is_empty() {
            text(out, "requestID", &self.request_id);
        }
        name(out, "requestParameters");
        write_canonical(&self.request_parameters, out);
        name(out, "resources");
        out.push('[');
        for (i, arn) in self.resources.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"ARN\":");
            write_string(arn, out);
            out.push_str(",\"accountId\":");
            write_string(arn_account(arn).unwrap_or(&self.recipient_account_id), out);
            out.push_str(",\"type\":\"AWS::KMS::Key\"}");
        }
        out.push(']');
        name(out, "responseElements");
        write_canonical(&self.response_elements, out);
        if self.service_event {
            text(out, "sourceIPAddress", "AWS Internal");
        }
        text(out, "userAgent", if self.service_event { "AWS Internal" } else { "keystead" });
        name(out, "userIdentity");
        self.user_identity.write_canonical(out);
        out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::canonical::canonical;

    fn identity() -> StoreIdentity {
        StoreIdentity { partition: "aws".into(), region: "eu-west-1".into(), account_id: "111122223333".into() }
    }

    #[test]
    fn read_only_table_is_sorted_for_binary_search() {
        let mut sorted = READ_ONLY_OPERATIONS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, READ_ONLY_OPERATIONS);
        assert!(is_read_only("Encrypt"));
        assert!(!is_read_only("CreateKey"));
        assert!(!is_read_only("PutKeyPolicy"));
    }

    #[test]
    fn encrypt_event_has_cloudtrail_shape() {
        let arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let event = AuditEvent::new("Encrypt", "arn:aws:iam::444455556666:user/Alice", &identity())
            .time_ms(1_657_829_862_000)
            .access_key_id("AKIAEXAMPLE")
            .key(arn)
            .request(json!({"keyId": arn, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}))
            .additional(json!({"keyMaterialId": "abc"}))
            .additional(json!({"keyVersion": 2}));
        let json = event.to_json();
        assert_eq!(json["eventName"], "Encrypt");
        assert_eq!(json["eventSource"], "kms.amazonaws.com");
        assert_eq!(json["eventTime"], "2022-07-14T20:17:42Z");
        assert_eq!(json["awsRegion"], "eu-west-1");
        assert_eq!(json["userIdentity"]["type"], "IAMUser");
        assert_eq!(json["userIdentity"]["accountId"], "444455556666");
        assert_eq!(json["userIdentity"]["accessKeyId"], "AKIAEXAMPLE");
        assert_eq!(json["responseElements"], Value::Null);
        assert_eq!(json["readOnly"], true);
        assert_eq!(json["resources"][0]["type"], "AWS::KMS::Key");
        assert_eq!(json["resources"][0]["ARN"], arn);
        assert_eq!(json["additionalEventData"], json!({"keyMaterialId": "abc", "keyVersion": 2}));
        assert_eq!(json["eventType"], "AwsApiCall");
        assert_eq!(json["eventCategory"], "Management");
        assert_eq!(json["managementEvent"], true);
        assert_eq!(json["recipientAccountId"], "111122223333");
        assert!(json.get("errorCode").is_none());
        let request_id = json["requestID"].as_str().unwrap();
        assert_eq!(uuid::Uuid::parse_str(request_id).unwrap().get_version_num(), 4);
        assert_ne!(json["requestID"], json["eventID"]);
    }

    #[test]
    fn the_direct_canonical_form_equals_the_canonical_form_of_the_json() {
        let arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let events = [
            AuditEvent::new("Encrypt", "arn:aws:iam::444455556666:user/Al\"ice\n", &identity())
                .access_key_id("AKIA")
                .key(arn)
                .key("arn:aws:kms:eu-west-1:999988887777:key/other")
                .request(json!({"keyId": arn, "encryptionContext": {"z": "1", "a": "\u{1}é"}}))
                .additional(json!({"keyVersion": 2})),
            AuditEvent::new("CreateKey", "arn:aws:iam::111122223333:root", &identity())
                .response(json!({"keyMetadata": {"KeyId": "x"}}))
                .error("LimitExceededException", "too many"),
            AuditEvent::service_event("RotateKey", &identity()).key(arn),
        ];
        for event in &events {
            assert_eq!(event.canonical_json(), canonical(&event.to_json()));
        }
    }

    #[test]
    fn failed_and_service_events() {
        let denied = AuditEvent::new("Decrypt", "arn:aws:sts::111122223333:assumed-role/app/s1", &identity())
            .error("AccessDeniedException", "not allowed");
        let json = denied.to_json();
        assert_eq!(json["errorCode"], "AccessDeniedException");
        assert_eq!(json["errorMessage"], "not allowed");
        assert_eq!(json["userIdentity"]["type"], "AssumedRole");
        let rotate = AuditEvent::service_event("RotateKey", &identity()).to_json();
        assert_eq!(rotate["eventType"], "AwsServiceEvent");
        assert_eq!(rotate["userIdentity"]["invokedBy"], "AWS Internal");
        assert!(rotate.get("requestID").is_none());
        assert_eq!(rotate["readOnly"], false);
    }
}
