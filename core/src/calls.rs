//! The one wrapper every public operation runs in: it times the call, writes its audit event
//! (successful, failed or denied) and counts it in the metrics.
//!
//! Fail closed: when the audit event cannot be written, the call fails with the audit error and
//! its result (plaintext, data key, signature, MAC...) is dropped, which zeroizes its secrets.
//! The event never carries secrets: `request` closures build `requestParameters` from the
//! non-secret inputs only (key ids, algorithms, specs, the encryption context, sizes), as AWS's
//! CloudTrail events do, and responses of cryptographic calls are not logged.

use std::borrow::Cow;
use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::audit::{AuditEvent, AuditLog};
use crate::crypto::context::EncryptionContext;
use crate::error::Result;
use crate::keys::metadata::KeyMetadata;
use crate::metrics::{Metrics, MetricsSnapshot, Outcome};
use crate::Keystead;

/// What a successful result tells the audit log: the key it concerned (its ARN) and extra data
/// (`additionalEventData`, e.g. the key material id).
pub(crate) trait Audited {
    /// The key ARN the call acted on, when the result names it.
    fn audit_key_arn(&self) -> Option<&str> {
        None
    }
    /// `additionalEventData`.
    fn audit_additional(&self) -> Option<Value> {
        None
    }
    /// `responseElements` (management calls only; never secrets).
    fn audit_response(&self) -> Option<Value> {
        None
    }
}

impl Audited for () {}
impl Audited for String {}
impl Audited for Vec<String> {}
impl<T> Audited for crate::keys::metadata::Page<T> {}
impl Audited for crate::secret::SecretBytes {}

impl Audited for KeyMetadata {
    fn audit_key_arn(&self) -> Option<&str> {
        Some(&self.arn)
    }
    fn audit_response(&self) -> Option<Value> {
        Some(json!({"keyMetadata": {
            "keyId": self.key_id,
            "arn": self.arn,
            "keySpec": self.key_spec.as_str(),
            "keyUsage": self.key_usage.as_str(),
            "keyState": self.key_state.as_str(),
            "origin": self.origin.as_str(),
        }}))
    }
}

/// Implements [`Audited`] for responses that carry the key ARN in `key_id` and optionally a key
/// material id.
macro_rules! audited_by_key_id {
    ($($ty:ty $(=> $material:ident)?),+ $(,)?) => {
        $(
            impl Audited for $ty {
                fn audit_key_arn(&self) -> Option<&str> {
                    Some(&self.key_id)
                }
                $(
                    fn audit_additional(&self) -> Option<Value> {
                        audited_by_key_id!(@material self.$material)
                    }
                )?
            }
        )+
    };
    (@material $value:expr) => {
        Into::<Option<&String>>::into(&$value).map(|id| json!({"keyMaterialId": id}))
    };
}

audited_by_key_id! {
    crate::crypto::symmetric::EncryptResponse,
    crate::crypto::symmetric::DecryptResponse => key_material_id,
    crate::crypto::symmetric::GenerateDataKeyResponse => key_material_id,
    crate::crypto::symmetric::GenerateDataKeyWithoutPlaintextResponse => key_material_id,
    crate::crypto::symmetric::GenerateDataKeyPairResponse => key_material_id,
    crate::crypto::symmetric::GenerateDataKeyPairWithoutPlaintextResponse => key_material_id,
    crate::crypto::signing::SignResponse,
    crate::crypto::signing::VerifyResponse,
    crate::crypto::signing::GetPublicKeyResponse,
    crate::crypto::signing::DeriveSharedSecretResponse,
    crate::crypto::signing::GenerateMacResponse,
    crate::crypto::signing::VerifyMacResponse,
    crate::keys::import::ImportedKeyMaterialResponse,
    crate::keys::metadata::ScheduleKeyDeletionResponse,
}

impl Audited for crate::crypto::symmetric::ReEncryptResponse {
    fn audit_key_arn(&self) -> Option<&str> {
        Some(&self.key_id)
    }
    fn audit_additional(&self) -> Option<Value> {
        Some(json!({
            "sourceKeyArn": self.source_key_id,
            "sourceKeyMaterialId": self.source_key_material_id,
            "destinationKeyMaterialId": self.destination_key_material_id,
        }))
    }
}

impl Audited for crate::keys::import::GetParametersForImportResponse {
    fn audit_key_arn(&self) -> Option<&str> {
        Some(&self.key_id)
    }
}

impl Audited for crate::policy::grants::CreateGrantResponse {
    fn audit_response(&self) -> Option<Value> {
        Some(json!({"grantId": self.grant_id}))
    }
}

impl Audited for crate::audit::PruneReport {
    fn audit_response(&self) -> Option<Value> {
        let segments: Vec<Value> = self
            .pruned
            .iter()
            .map(|p| json!({"numbers": p.numbers, "records": p.records, "lastHash": p.last_hash}))
            .collect();
        Some(json!({"prunedSegments": segments}))
    }
}

impl Audited for crate::keys::metadata::KeyRotationStatus {}
impl Audited for crate::policy::authorize::Explanation {}
impl Audited for crate::policy::access_keys::AccessKey {}
impl Audited for Vec<crate::policy::access_keys::AccessKey> {}
impl Audited for crate::policy::access_keys::NewAccessKey {
    fn audit_response(&self) -> Option<Value> {
        Some(json!({"accessKeyId": self.access_key_id, "principal": self.principal}))
    }
}

/// The key id at the end of a key ARN. Key ids are 36-character UUIDs, so the common case is a
/// slice, without searching the ARN for `:key/`.
/// Same answer as `arn.rsplit_once(":key/")` (checked in the tests).
fn key_id_of_arn(arn: &str) -> Option<&str> {
    const ID_LEN: usize = 36;
    match arn.len().checked_sub(ID_LEN) {
        // A canonical id has no ':', so this is exactly what `rsplit_once` would find.
        Some(at)
            if arn.is_char_boundary(at)
                && arn[..at].ends_with(":key/")
                && crate::keys::id::is_canonical_key_id(&arn[at..]) =>
        {
            Some(&arn[at..])
        }
        _ => arn.rsplit_once(":key/").map(|(_, id)| id),
    }
}

/// The encryption context as the audit log shows it (values HMAC'd when configured).
pub(crate) fn context_value(log: &AuditLog, context: Option<&EncryptionContext>) -> Value {
    context.map_or(Value::Null, |c| log.redact_context(c))
}

/// A JSON object from `(name, value)` pairs, leaving out nulls (absent optional inputs).
pub(crate) fn params<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    let mut map = Map::new();
    for (name, value) in pairs {
        if !value.is_null() {
            map.insert(name.to_owned(), value);
        }
    }
    Value::Object(map)
}

impl Keystead {
    /// Runs one public operation: `body`, then its audit event and metrics.
    /// `key_ref` is the key as the caller named it (for failed calls, which have no result).
    pub(crate) fn call<T: Audited>(
        &self,
        operation: &'static str,
        key_ref: Option<&str>,
        request: impl FnOnce(&AuditLog) -> Value,
        body: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let started = Instant::now();
        let result = body();
        // Borrowed from the result when it names its key (no copy on the hot path).
        let key_arn: Option<Cow<'_, str>> = match &result {
            Ok(value) => value.audit_key_arn().map(Cow::Borrowed),
            Err(_) => None,
        }
        .or_else(|| key_ref.and_then(|r| self.key_arn_of_ref(r)));
        if let Some(log) = self.inner.audit.get() {
            let mut event = AuditEvent::new(operation, self.caller.arn(), self.identity())
                .time_ms(self.now())
                .request(request(log));
            if let Some(access_key_id) = self.caller.access_key_id() {
                event = event.access_key_id(access_key_id);
            }
            if let Some(arn) = &key_arn {
                event = event.key(arn.clone().into_owned());
            }
            match &result {
                Ok(value) => {
                    if let Some(response) = value.audit_response() {
                        event = event.response(response);
                    }
                    if let Some(additional) = value.audit_additional() {
                        event = event.additional(additional);
                    }
                }
                Err(e) => event = event.error(e.kind().exception_name(), e.message()),
            }
            if let Err(audit_error) = log.append(event) {
                // Fail closed: the result (and any secret in it) is dropped here.
                drop(key_arn);
                drop(result);
                self.inner.metrics.record(operation, None, Outcome::of_error(audit_error.kind()), started.elapsed());
                return Err(audit_error);
            }
        }
        let key_id = key_arn.as_deref().and_then(key_id_of_arn);
        self.inner.metrics.record(operation, key_id, Outcome::of(&result), started.elapsed());
        drop(key_arn);
        result
    }

    /// The key ARN for a key named by id or ARN (aliases are left to the result).
    fn key_arn_of_ref<'a>(&self, key_ref: &'a str) -> Option<Cow<'a, str>> {
        if key_ref.starts_with("arn:") && key_ref.contains(":key/") {
            Some(Cow::Borrowed(key_ref))
        } else if uuid::Uuid::try_parse(key_ref).is_ok() {
            Some(Cow::Owned(self.arn(key_ref)))
        } else {
            None
        }
    }

    /// The audit log this handle writes to, when auditing is on (stores opened from a folder
    /// audit by default; see `KeysteadBuilder::audit`).
    pub fn audit_log(&self) -> Option<&AuditLog> {
        self.inner.audit.get()
    }

    /// Deletes the audit log's whole segments sealed before `before_ms` (epoch ms), leaving a
    /// signed record of them ([`AuditLog::prune`]); the call itself is audited as
    /// `PruneAuditLog`. Like other store administration, it is not subject to key policies:
    /// the embedding application decides who may call it.
    ///
    /// # Errors
    /// `ValidationException` if the store has no audit log or `before_ms` is negative;
    /// `KMSInternalException` if the prune record cannot be written (then nothing is deleted).
    pub fn prune_audit_log(&self, before_ms: crate::clock::Millis) -> Result<crate::audit::PruneReport> {
        let Some(log) = self.audit_log() else {
            return Err(crate::error::Error::validation("This store has no audit log"));
        };
        self.call(
            "PruneAuditLog",
            None,
            |_| params([("before", json!(crate::audit::canonical::iso8601_millis(before_ms)))]),
            || {
                if before_ms < 0 {
                    return Err(crate::error::Error::validation("The prune time must not be before 1970"));
                }
                log.prune(before_ms)
            },
        )
    }

    /// The metrics of this store handle (shared by every handle narrowed from it).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// A snapshot of the metrics: per operation, key and outcome, counts and latency histograms.
    pub fn metrics_snapshot(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }
}

/// `dryRun` appears only when set.
pub(crate) fn dry_run_value(dry_run: bool) -> Value {
    if dry_run {
        Value::Bool(true)
    } else {
        Value::Null
    }
}

/// `requestParameters` of GenerateDataKey(WithoutPlaintext).
pub(crate) fn data_key_params(log: &AuditLog, request: &crate::crypto::symmetric::GenerateDataKeyRequest<'_>) -> Value {
    params([
        ("keyId", json!(request.key_id)),
        ("keySpec", json!(request.key_spec.map(crate::keys::spec::DataKeySpec::as_str))),
        ("numberOfBytes", json!(request.number_of_bytes)),
        ("encryptionContext", context_value(log, request.encryption_context)),
        ("dryRun", dry_run_value(request.dry_run)),
    ])
}

/// `requestParameters` of GenerateDataKeyPair(WithoutPlaintext).
pub(crate) fn data_key_pair_params(
    log: &AuditLog,
    request: &crate::crypto::symmetric::GenerateDataKeyPairRequest<'_>,
) -> Value {
    params([
        ("keyId", json!(request.key_id)),
        ("keyPairSpec", json!(request.key_pair_spec.map(crate::keys::spec::DataKeyPairSpec::as_str))),
        ("encryptionContext", context_value(log, request.encryption_context)),
        ("dryRun", dry_run_value(request.dry_run)),
    ])
}

#[cfg(test)]
mod tests {
    use super::key_id_of_arn;

    #[test]
    fn key_id_of_arn_agrees_with_rsplit() {
        let id = "3f2a9c1e-7b4d-4e8a-9c0f-5d6e7a8b9c0d";
        for arn in [
            format!("arn:aws:kms:us-east-1:111122223333:key/{id}"),
            format!("arn:aws:kms:us-east-1:111122223333:key/{id}x"),
            format!("arn:aws:kms:us-east-1:111122223333:key/x:key/{}", &id[..31]),
            format!("arn:aws:kms:us-east-1:111122223333:alias/{id}"),
            "arn:aws:kms:us-east-1:111122223333:key/short".to_owned(),
            format!(":key/{id}"),
            format!("é:key/{id}"),
            id.to_owned(),
            String::new(),
        ] {
            assert_eq!(key_id_of_arn(&arn), arn.rsplit_once(":key/").map(|(_, id)| id), "{arn}");
        }
    }
}
