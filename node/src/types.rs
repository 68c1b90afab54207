//! The plain objects that cross the boundary: option objects in, result objects out.
//!
//! Field names are AWS's, in camelCase. Dates are numbers of **seconds since the epoch**
//! (fractional, millisecond precision), as the AWS CLI and the KMS JSON protocol print them;
//! `new Date(seconds * 1000)` turns one into a `Date`. Enum values are AWS's strings.

use std::collections::HashMap;

use keystead_core as core;
use napi::bindgen_prelude::{Either, FromNapiValue, ToNapiValue, TypeName, Uint8Array, ValidateNapiValue};
use napi::{check_status, sys, Status, ValueType};

use crate::bytes::{Bytes, Secret};
use napi_derive::napi;

/// Seconds since the epoch, from the core's milliseconds.
pub(crate) fn seconds(ms: i64) -> f64 {
    // Millisecond timestamps of real dates fit in f64 exactly.
    #[allow(clippy::cast_precision_loss)]
    let ms = ms as f64;
    ms / 1000.0
}

/// An encryption context as JS gives it, made canonical (sorted) for the core.
pub(crate) fn context<C: Into<Context>>(map: Option<C>) -> Option<core::EncryptionContext> {
    map.map(|m| m.into().0)
}

/// An `encryptionContext` option, read straight into the core's sorted map. napi-rs's
/// `HashMap` conversion creates every property name twice (once to list it, once from UTF-8 to
/// look it up again) and then the map is sorted into a second one; on a 1 KiB Encrypt that was
/// about a fifth of the binding's time. Here each name found by `napi_get_property_names` is
/// used as the lookup key as it is. Same rules as before: the enumerable string-keyed
/// properties (inherited ones too, as `for...in`), every value a string.
#[derive(Clone, Default)]
pub struct Context(core::EncryptionContext);

impl From<HashMap<String, String>> for Context {
    fn from(map: HashMap<String, String>) -> Self {
        Self(map.into_iter().collect())
    }
}

impl TypeName for Context {
    fn type_name() -> &'static str {
        "Record<string, string>"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for Context {}

// Option objects convert both ways in napi-rs; this direction is never taken on a call path.
#[allow(unsafe_code)]
impl ToNapiValue for Context {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let map: HashMap<String, String> = value.0.into_iter().collect();
        // SAFETY: `env` is the caller's live env, as this trait requires.
        unsafe { HashMap::to_napi_value(env, map) }
    }
}

#[allow(unsafe_code)]
impl FromNapiValue for Context {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY (every block below): `env` and `value` are the live env and argument of the
        // current call on the JS thread, as this trait requires; every out-pointer is a local,
        // and the `napi_value`s it receives stay valid until the call returns (its handle scope).
        let mut kind = 0;
        // SAFETY: see above.
        check_status!(unsafe { sys::napi_typeof(env, value, &mut kind) })?;
        if kind != sys::ValueType::napi_object {
            return Err(napi::Error::new(Status::ObjectExpected, "an encryption context must be an object of strings"));
        }
        let mut names = std::ptr::null_mut();
        // SAFETY: see above.
        check_status!(unsafe { sys::napi_get_property_names(env, value, &mut names) })?;
        let mut len = 0;
        // SAFETY: see above (`names` is the array napi just made).
        check_status!(unsafe { sys::napi_get_array_length(env, names, &mut len) })?;
        let mut map = core::EncryptionContext::new();
        for i in 0..len {
            let (mut name, mut item) = (std::ptr::null_mut(), std::ptr::null_mut());
            // SAFETY: see above; `i` is below the array's length.
            check_status!(unsafe { sys::napi_get_element(env, names, i, &mut name) })?;
            // SAFETY: see above; `name` is a property name of `value`.
            check_status!(unsafe { sys::napi_get_property(env, value, name, &mut item) })?;
            // SAFETY: see above; `String` checks that `item` is a string.
            let text = unsafe { String::from_napi_value(env, item) }.map_err(|_| {
                napi::Error::new(Status::StringExpected, "every encryption context value must be a string")
            })?;
            // SAFETY: see above; property names come back as strings.
            map.insert(unsafe { String::from_napi_value(env, name) }?, text);
        }
        Ok(Self(map))
    }
}

/// Where the root key of a store comes from. Give at most one; with none, the key file
/// `<store folder>/root.key` is used (created with mode 0600 for a new store).
#[napi(object)]
pub struct RootKeyOptions {
    /// Path of a 32-byte key file (created if the store is new).
    pub key_file: Option<String>,
    /// Name of an environment variable holding the base64 of 32 bytes (e.g. `KEYSTEAD_ROOT_KEY`).
    pub env_var: Option<String>,
    /// A passphrase, stretched with scrypt (N = 2^15, r = 8, p = 1).
    pub passphrase: Option<Either<String, Uint8Array>>,
    /// The 32 root key bytes themselves.
    pub root_key: Option<Uint8Array>,
}

/// Options of `Keystead.open`.
#[napi(object)]
pub struct OpenOptions {
    /// Path of a 32-byte key file (default `<store folder>/root.key`).
    pub key_file: Option<String>,
    /// Name of an environment variable holding the base64 of 32 bytes.
    pub env_var: Option<String>,
    /// A passphrase, stretched with scrypt (N = 2^15, r = 8, p = 1).
    pub passphrase: Option<Either<String, Uint8Array>>,
    /// The 32 root key bytes themselves.
    pub root_key: Option<Uint8Array>,
    /// The Region named in ARNs of a new store (default `us-east-1`; ignored for an existing store).
    pub region: Option<String>,
    /// The 12-digit account id named in ARNs of a new store (default `111122223333`).
    pub account_id: Option<String>,
    /// How many decrypted key materials to keep in memory (default 4096; 0 disables the cache).
    pub cache_capacity: Option<u32>,
    /// The audit log in `<store folder>/audit/` (default on): `false` turns it off (calls are
    /// still counted in the metrics), `true` or an {@link AuditOptions} object turns it on. Every
    /// call appends a CloudTrail-shaped event; a call whose event cannot be written fails.
    pub audit: Option<Either<bool, AuditOptions>>,
}

/// Options of `Keystead.openInMemory` (a store held in memory has no key file and no audit log).
#[napi(object)]
pub struct InMemoryOptions {
    /// Name of an environment variable holding the base64 of 32 bytes.
    pub env_var: Option<String>,
    /// A passphrase, stretched with scrypt (N = 2^15, r = 8, p = 1).
    pub passphrase: Option<Either<String, Uint8Array>>,
    /// The 32 root key bytes themselves (default: a random root key).
    pub root_key: Option<Uint8Array>,
    /// The Region named in ARNs (default `us-east-1`).
    pub region: Option<String>,
    /// The 12-digit account id named in ARNs (default `111122223333`).
    pub account_id: Option<String>,
    /// How many decrypted key materials to keep in memory (default 4096; 0 disables the cache).
    pub cache_capacity: Option<u32>,
}

/// Options of the audit log (`OpenOptions.audit`).
#[napi(object)]
pub struct AuditOptions {
    /// When events reach the disk: `BATCHED` (default: written before the call returns, fsynced
    /// within 10 ms), `PER_RECORD` (fsynced before the call returns; concurrent calls share an
    /// fsync) or `OFF` (written, never fsynced by Keystead).
    pub durability: Option<String>,
    /// Replace encryption-context values by `hmac-sha256:<hex>` in the events (default false:
    /// AWS logs them in the clear).
    pub hmac_context_values: Option<bool>,
}

/// A resource tag.
#[napi(object)]
pub struct Tag {
    /// The tag key (1–128 characters).
    pub tag_key: String,
    /// The tag value (0–256 characters).
    pub tag_value: String,
}

impl From<core::Tag> for Tag {
    fn from(t: core::Tag) -> Self {
        Self { tag_key: t.tag_key, tag_value: t.tag_value }
    }
}

/// Options of `createKey`.
#[napi(object)]
pub struct CreateKeyOptions {
    /// `KeySpec` (default `SYMMETRIC_DEFAULT`).
    pub key_spec: Option<String>,
    /// `KeyUsage` (default `ENCRYPT_DECRYPT`).
    pub key_usage: Option<String>,
    /// A description (up to 8192 characters).
    pub description: Option<String>,
    /// `Origin` (default `AWS_KMS`).
    pub origin: Option<String>,
    /// Tags to attach (up to 50).
    pub tags: Option<Vec<Tag>>,
    /// Whether the key is a multi-Region primary key (default false).
    pub multi_region: Option<bool>,
    /// The key policy (JSON text, up to 32 KB). Default: AWS's default key policy, which lets
    /// every principal of the store's account use the key. Unless
    /// `bypassPolicyLockoutSafetyCheck`, it must let the caller change the policy again later
    /// (`MalformedPolicyDocumentException` otherwise).
    pub policy: Option<String>,
    /// Skips the lockout safety check of `policy` (as in AWS, use with care: the key may become
    /// unmanageable).
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

/// Pagination options of the `list...` operations.
#[napi(object)]
pub struct ListOptions {
    /// Most items to return (each operation documents its range and default).
    pub limit: Option<u32>,
    /// `nextMarker` of the previous page.
    pub marker: Option<String>,
}

/// Options of `listAliases`.
#[napi(object)]
pub struct ListAliasesOptions {
    /// Only the aliases of this key (key id or key ARN).
    pub key_id: Option<String>,
    /// Most aliases to return (1–100, default 50).
    pub limit: Option<u32>,
    /// `nextMarker` of the previous page.
    pub marker: Option<String>,
}

/// Options of `listKeyRotations`.
#[napi(object)]
pub struct ListKeyRotationsOptions {
    /// `ALL_KEY_MATERIAL` or `ROTATIONS_ONLY` (default).
    pub include_key_material: Option<String>,
    /// Most rotations to return (1–1000, default 100).
    pub limit: Option<u32>,
    /// `nextMarker` of the previous page.
    pub marker: Option<String>,
}

/// Options of `scheduleKeyDeletion`.
#[napi(object)]
pub struct ScheduleKeyDeletionOptions {
    /// Waiting period, 7–30 days (default 30).
    pub pending_window_in_days: Option<u32>,
}

/// Options of `enableKeyRotation`.
#[napi(object)]
pub struct EnableKeyRotationOptions {
    /// Days between automatic rotations, 90–2560 (default 365).
    pub rotation_period_in_days: Option<u32>,
}

/// Options of `encrypt`.
#[napi(object)]
pub struct EncryptOptions {
    /// The encryption context: string pairs bound to the ciphertext (needed again to decrypt).
    #[napi(ts_type = "Record<string, string>")]
    pub encryption_context: Option<Context>,
    /// `SYMMETRIC_DEFAULT` (the default and the only value for symmetric keys);
    /// `RSAES_OAEP_SHA_1` or `RSAES_OAEP_SHA_256` (required) for RSA encryption keys.
    pub encryption_algorithm: Option<String>,
    /// Grant tokens of grants that are not yet visible everywhere (checked for form; grants
    /// here take effect at once, so they are never needed). At most 10.
    pub grant_tokens: Option<Vec<String>>,
    /// Checks access and inputs only: rejects with `DryRunOperationException` when the call
    /// would succeed (and with the real error when it would not). Changes and returns nothing.
    pub dry_run: Option<bool>,
}

/// Options of `decrypt`.
#[napi(object)]
pub struct DecryptOptions {
    /// The encryption context given to `encrypt`.
    #[napi(ts_type = "Record<string, string>")]
    pub encryption_context: Option<Context>,
    /// The key expected to have encrypted the ciphertext (any identifier form); a mismatch is
    /// `IncorrectKeyException`.
    pub key_id: Option<String>,
    /// `SYMMETRIC_DEFAULT` (default); for RSA ciphertexts `RSAES_OAEP_SHA_1` or
    /// `RSAES_OAEP_SHA_256`, required together with `keyId`, since they carry no metadata.
    pub encryption_algorithm: Option<String>,
    /// Grant tokens of grants that are not yet visible everywhere (checked for form; grants
    /// here take effect at once, so they are never needed). At most 10.
    pub grant_tokens: Option<Vec<String>>,
    /// Checks access and inputs only: rejects with `DryRunOperationException` when the call
    /// would succeed (and with the real error when it would not). Changes and returns nothing.
    pub dry_run: Option<bool>,
}

/// Options of `reEncrypt`.
#[napi(object)]
pub struct ReEncryptOptions {
    /// The encryption context the ciphertext was made with.
    #[napi(ts_type = "Record<string, string>")]
    pub source_encryption_context: Option<Context>,
    /// The key expected to have encrypted the ciphertext.
    pub source_key_id: Option<String>,
    /// The encryption context of the new ciphertext.
    #[napi(ts_type = "Record<string, string>")]
    pub destination_encryption_context: Option<Context>,
    /// `SYMMETRIC_DEFAULT`.
    pub source_encryption_algorithm: Option<String>,
    /// `SYMMETRIC_DEFAULT`.
    pub destination_encryption_algorithm: Option<String>,
    /// Grant tokens of grants that are not yet visible everywhere (checked for form; grants
    /// here take effect at once, so they are never needed). At most 10.
    pub grant_tokens: Option<Vec<String>>,
    /// Checks access and inputs only: rejects with `DryRunOperationException` when the call
    /// would succeed (and with the real error when it would not). Changes and returns nothing.
    pub dry_run: Option<bool>,
}

/// Options of `generateDataKey` and `generateDataKeyWithoutPlaintext`. As in AWS, exactly one of
/// `keySpec` and `numberOfBytes` is required (`ValidationException` otherwise).
#[napi(object)]
pub struct GenerateDataKeyOptions {
    /// The encryption context bound to the encrypted data key.
    #[napi(ts_type = "Record<string, string>")]
    pub encryption_context: Option<Context>,
    /// `AES_256` or `AES_128`.
    pub key_spec: Option<String>,
    /// Length of the data key in bytes (1–1024).
    pub number_of_bytes: Option<u32>,
    /// Grant tokens of grants that are not yet visible everywhere (checked for form; grants
    /// here take effect at once, so they are never needed). At most 10.
    pub grant_tokens: Option<Vec<String>>,
    /// Checks access and inputs only: rejects with `DryRunOperationException` when the call
    /// would succeed (and with the real error when it would not). Changes and returns nothing.
    pub dry_run: Option<bool>,
}

/// AWS's `KeyMetadata`. Dates are seconds since the epoch.
#[napi(object)]
pub struct KeyMetadata {
    /// `AWSAccountId`.
    pub aws_account_id: String,
    /// The key id (a UUID).
    pub key_id: String,
    /// The key ARN.
    pub arn: String,
    /// Creation date (seconds since the epoch).
    pub creation_date: f64,
    /// True exactly when `keyState` is `Enabled`.
    pub enabled: bool,
    /// The description (empty if none).
    pub description: String,
    /// The key usage, e.g. `ENCRYPT_DECRYPT`.
    pub key_usage: String,
    /// The key state, e.g. `Enabled`, `Disabled`, `PendingDeletion`.
    pub key_state: String,
    /// When a key pending deletion is destroyed (seconds since the epoch).
    pub deletion_date: Option<f64>,
    /// When imported material expires (seconds since the epoch).
    pub valid_to: Option<f64>,
    /// Origin of the material, e.g. `AWS_KMS`.
    pub origin: String,
    /// `KEY_MATERIAL_EXPIRES` or `KEY_MATERIAL_DOES_NOT_EXPIRE` (imported keys only).
    pub expiration_model: Option<String>,
    /// `AWS` or `CUSTOMER`.
    pub key_manager: String,
    /// Deprecated twin of `keySpec`.
    pub customer_master_key_spec: String,
    /// The key spec, e.g. `SYMMETRIC_DEFAULT`.
    pub key_spec: String,
    /// Encryption algorithms the key supports.
    pub encryption_algorithms: Option<Vec<String>>,
    /// Signing algorithms the key supports.
    pub signing_algorithms: Option<Vec<String>>,
    /// MAC algorithms the key supports.
    pub mac_algorithms: Option<Vec<String>>,
    /// Key agreement algorithms the key supports.
    pub key_agreement_algorithms: Option<Vec<String>>,
    /// Whether the key is multi-Region.
    pub multi_region: bool,
    /// Id of the current key material.
    pub current_key_material_id: Option<String>,
}

fn names<T: std::fmt::Display>(values: Option<Vec<T>>) -> Option<Vec<String>> {
    values.map(|v| v.iter().map(ToString::to_string).collect())
}

impl From<core::KeyMetadata> for KeyMetadata {
    fn from(m: core::KeyMetadata) -> Self {
        Self {
            aws_account_id: m.aws_account_id,
            key_id: m.key_id,
            arn: m.arn,
            creation_date: seconds(m.creation_date),
            enabled: m.enabled,
            description: m.description,
            key_usage: m.key_usage.to_string(),
            key_state: m.key_state.to_string(),
            deletion_date: m.deletion_date.map(seconds),
            valid_to: m.valid_to.map(seconds),
            origin: m.origin.to_string(),
            expiration_model: m.expiration_model.map(|e| e.to_string()),
            key_manager: m.key_manager.to_string(),
            customer_master_key_spec: m.customer_master_key_spec.to_string(),
            key_spec: m.key_spec.to_string(),
            encryption_algorithms: names(m.encryption_algorithms),
            signing_algorithms: names(m.signing_algorithms),
            mac_algorithms: names(m.mac_algorithms),
            key_agreement_algorithms: names(m.key_agreement_algorithms),
            multi_region: m.multi_region,
            current_key_material_id: m.current_key_material_id,
        }
    }
}

/// One key in `listKeys`.
#[napi(object)]
pub struct KeyListEntry {
    /// The key id.
    pub key_id: String,
    /// The key ARN.
    pub key_arn: String,
}

/// A page of `listKeys`.
#[napi(object)]
pub struct ListKeysResult {
    /// The keys of this page.
    pub keys: Vec<KeyListEntry>,
    /// Pass as `marker` to get the next page; absent on the last page.
    pub next_marker: Option<String>,
    /// True when there are more pages.
    pub truncated: bool,
}

/// One alias in `listAliases`.
#[napi(object)]
pub struct AliasListEntry {
    /// The alias name, `alias/...`.
    pub alias_name: String,
    /// The alias ARN.
    pub alias_arn: String,
    /// The id of the key the alias points to.
    pub target_key_id: String,
    /// Creation date (seconds since the epoch).
    pub creation_date: f64,
    /// Last update (seconds since the epoch).
    pub last_updated_date: f64,
}

/// A page of `listAliases`.
#[napi(object)]
pub struct ListAliasesResult {
    /// The aliases of this page.
    pub aliases: Vec<AliasListEntry>,
    /// Pass as `marker` to get the next page; absent on the last page.
    pub next_marker: Option<String>,
    /// True when there are more pages.
    pub truncated: bool,
}

/// A page of `listResourceTags`.
#[napi(object)]
pub struct ListResourceTagsResult {
    /// The tags of this page.
    pub tags: Vec<Tag>,
    /// Pass as `marker` to get the next page; absent on the last page.
    pub next_marker: Option<String>,
    /// True when there are more pages.
    pub truncated: bool,
}

/// One entry of `listKeyRotations`.
#[napi(object)]
pub struct RotationsListEntry {
    /// The key id.
    pub key_id: String,
    /// The key material id.
    pub key_material_id: String,
    /// e.g. `CURRENT`, `NON_CURRENT`.
    pub key_material_state: String,
    /// When the rotation happened (seconds since the epoch).
    pub rotation_date: Option<f64>,
    /// `AUTOMATIC` or `ON_DEMAND`.
    pub rotation_type: Option<String>,
    /// The caller's description of the material (symmetric `EXTERNAL` keys only).
    pub key_material_description: Option<String>,
    /// `IMPORTED` or `PENDING_IMPORT` (symmetric `EXTERNAL` keys only).
    pub import_state: Option<String>,
    /// `KEY_MATERIAL_EXPIRES` or `KEY_MATERIAL_DOES_NOT_EXPIRE` (symmetric `EXTERNAL` keys only).
    pub expiration_model: Option<String>,
    /// When the material expires (seconds since the epoch).
    pub valid_to: Option<f64>,
}

/// A page of `listKeyRotations`.
#[napi(object)]
pub struct ListKeyRotationsResult {
    /// The rotations of this page.
    pub rotations: Vec<RotationsListEntry>,
    /// Pass as `marker` to get the next page; absent on the last page.
    pub next_marker: Option<String>,
    /// True when there are more pages.
    pub truncated: bool,
}

/// Result of `scheduleKeyDeletion`.
#[napi(object)]
pub struct ScheduleKeyDeletionResult {
    /// The key ARN.
    pub key_id: String,
    /// When the key will be destroyed (seconds since the epoch).
    pub deletion_date: f64,
    /// `PendingDeletion`.
    pub key_state: String,
    /// The waiting period in days.
    pub pending_window_in_days: u32,
}

/// Result of `getKeyRotationStatus`.
#[napi(object)]
pub struct KeyRotationStatus {
    /// Whether automatic rotation is on.
    pub key_rotation_enabled: bool,
    /// The key ARN.
    pub key_id: String,
    /// Days between automatic rotations.
    pub rotation_period_in_days: Option<u32>,
    /// Next automatic rotation (seconds since the epoch).
    pub next_rotation_date: Option<f64>,
    /// Start of an on-demand rotation in progress (seconds since the epoch).
    pub on_demand_rotation_start_date: Option<f64>,
}

/// Result of `encrypt`.
#[napi(object)]
pub struct EncryptResult {
    /// The ciphertext (self-describing: names the key and material version).
    #[napi(ts_type = "Buffer")]
    pub ciphertext_blob: Bytes,
    /// The ARN of the key used.
    pub key_id: String,
    /// The algorithm used.
    pub encryption_algorithm: String,
}

/// Result of `decrypt`.
#[napi(object)]
pub struct DecryptResult {
    /// The ARN of the key that decrypted.
    pub key_id: String,
    /// The plaintext.
    #[napi(ts_type = "Buffer")]
    pub plaintext: Secret,
    /// The algorithm used.
    pub encryption_algorithm: String,
    /// The key material that decrypted (symmetric keys only, as in AWS).
    pub key_material_id: Option<String>,
}

/// Result of `reEncrypt`.
#[napi(object)]
pub struct ReEncryptResult {
    /// The new ciphertext.
    #[napi(ts_type = "Buffer")]
    pub ciphertext_blob: Bytes,
    /// The ARN of the key that decrypted.
    pub source_key_id: String,
    /// The ARN of the key that encrypted.
    pub key_id: String,
    /// Algorithm of the source ciphertext.
    pub source_encryption_algorithm: String,
    /// Algorithm of the new ciphertext.
    pub destination_encryption_algorithm: String,
    /// Material that decrypted (symmetric source keys only).
    pub source_key_material_id: Option<String>,
    /// Material that encrypted (symmetric destination keys only).
    pub destination_key_material_id: Option<String>,
}

/// Result of `generateDataKey`.
#[napi(object)]
pub struct GenerateDataKeyResult {
    /// The data key encrypted under the KMS key (store it next to your data).
    #[napi(ts_type = "Buffer")]
    pub ciphertext_blob: Bytes,
    /// The data key in the clear (use it, then overwrite it with `fill(0)`).
    #[napi(ts_type = "Buffer")]
    pub plaintext: Secret,
    /// The ARN of the key used.
    pub key_id: String,
    /// The key material used.
    pub key_material_id: String,
}

/// Result of `generateDataKeyWithoutPlaintext`.
#[napi(object)]
pub struct GenerateDataKeyWithoutPlaintextResult {
    /// The data key encrypted under the KMS key.
    #[napi(ts_type = "Buffer")]
    pub ciphertext_blob: Bytes,
    /// The ARN of the key used.
    pub key_id: String,
    /// The key material used.
    pub key_material_id: String,
}

/// Result of `generateRandom`.
#[napi(object)]
pub struct GenerateRandomResult {
    /// The random bytes.
    #[napi(ts_type = "Buffer")]
    pub plaintext: Secret,
}

/// Options of `sealEnvelope`.
#[napi(object)]
pub struct SealEnvelopeOptions {
    /// The encryption context, bound to the message (needed again to open it).
    #[napi(ts_type = "Record<string, string>")]
    pub encryption_context: Option<Context>,
    /// Further keys (any identifier form) that each wrap the same data key, so that any one of
    /// them can open the message.
    pub additional_key_ids: Option<Vec<String>>,
    /// Plaintext bytes per AES-GCM segment (default 1 MiB).
    pub segment_size: Option<u32>,
}

/// Options of `openEnvelope`.
#[napi(object)]
pub struct OpenEnvelopeOptions {
    /// The encryption context given to `sealEnvelope`.
    #[napi(ts_type = "Record<string, string>")]
    pub encryption_context: Option<Context>,
    /// Messages with more encrypted data keys are refused before any is unwrapped (1–255,
    /// default 8).
    pub max_encrypted_data_keys: Option<u32>,
    /// When set, only data keys wrapped by these keys are unwrapped.
    pub allowed_wrapping_keys: Option<Vec<String>>,
}

/// Options of `sign` and `verify`.
#[napi(object)]
pub struct SignOptions {
    /// `RAW` (default: the message is hashed here, up to 4096 bytes) or `DIGEST` (the message
    /// is already a digest of the algorithm's hash).
    pub message_type: Option<String>,
    /// Grant tokens of grants that are not yet visible everywhere (checked for form; grants
    /// here take effect at once, so they are never needed). At most 10.
    pub grant_tokens: Option<Vec<String>>,
    /// Checks access and inputs only: rejects with `DryRunOperationException` when the call
    /// would succeed (and with the real error when it would not). Changes and returns nothing.
    pub dry_run: Option<bool>,
}

/// Result of `sign`.
#[napi(object)]
pub struct SignResult {
    /// The ARN of the key used.
    pub key_id: String,
    /// The signature (DER for ECDSA, as AWS returns it).
    #[napi(ts_type = "Buffer")]
    pub signature: Bytes,
    /// The algorithm used.
    pub signing_algorithm: String,
}

/// Result of `verify` (an invalid signature rejects with `KMSInvalidSignatureException`).
#[napi(object)]
pub struct VerifyResult {
    /// The ARN of the key used.
    pub key_id: String,
    /// Always true (an invalid signature is an error).
    pub signature_valid: bool,
    /// The algorithm used.
    pub signing_algorithm: String,
}

/// Result of `getPublicKey`.
#[napi(object)]
pub struct GetPublicKeyResult {
    /// The key ARN.
    pub key_id: String,
    /// The public key, DER `SubjectPublicKeyInfo` (`crypto.createPublicKey({ key, format: 'der', type: 'spki' })`).
    #[napi(ts_type = "Buffer")]
    pub public_key: Bytes,
    /// Deprecated twin of `keySpec`.
    pub customer_master_key_spec: String,
    /// The key spec, e.g. `ECC_NIST_P256`, `RSA_2048`.
    pub key_spec: String,
    /// The key usage.
    pub key_usage: String,
    /// Encryption algorithms (encryption keys).
    pub encryption_algorithms: Option<Vec<String>>,
    /// Signing algorithms (signing keys).
    pub signing_algorithms: Option<Vec<String>>,
    /// Key agreement algorithms (key agreement keys).
    pub key_agreement_algorithms: Option<Vec<String>>,
}

/// Options of `generateMac`, `verifyMac` and `deriveSharedSecret`.
#[napi(object)]
pub struct GrantOptions {
    /// Grant tokens of grants that are not yet visible everywhere (checked for form; grants
    /// here take effect at once, so they are never needed). At most 10.
    pub grant_tokens: Option<Vec<String>>,
    /// Checks access and inputs only: rejects with `DryRunOperationException` when the call
    /// would succeed (and with the real error when it would not). Returns nothing.
    pub dry_run: Option<bool>,
}

/// Result of `generateMac`.
#[napi(object)]
pub struct GenerateMacResult {
    /// The HMAC.
    #[napi(ts_type = "Buffer")]
    pub mac: Bytes,
    /// The algorithm used.
    pub mac_algorithm: String,
    /// The ARN of the key used.
    pub key_id: String,
}

/// Result of `verifyMac` (a mismatch rejects with `KMSInvalidMacException`).
#[napi(object)]
pub struct VerifyMacResult {
    /// The ARN of the key used.
    pub key_id: String,
    /// Always true (a mismatch is an error).
    pub mac_valid: bool,
    /// The algorithm used.
    pub mac_algorithm: String,
}

/// Options of `generateDataKeyPair` and `generateDataKeyPairWithoutPlaintext`.
#[napi(object)]
pub struct GenerateDataKeyPairOptions {
    /// The encryption context bound to the encrypted private key.
    #[napi(ts_type = "Record<string, string>")]
    pub encryption_context: Option<Context>,
    /// Grant tokens of grants that are not yet visible everywhere (checked for form; grants
    /// here take effect at once, so they are never needed). At most 10.
    pub grant_tokens: Option<Vec<String>>,
    /// Checks access and inputs only: rejects with `DryRunOperationException` when the call
    /// would succeed (and with the real error when it would not). Changes and returns nothing.
    pub dry_run: Option<bool>,
}

/// Result of `generateDataKeyPair`.
#[napi(object)]
pub struct GenerateDataKeyPairResult {
    /// The private key (PKCS#8 DER) encrypted under the KMS key.
    #[napi(ts_type = "Buffer")]
    pub private_key_ciphertext_blob: Bytes,
    /// The private key in the clear (PKCS#8 DER).
    #[napi(ts_type = "Buffer")]
    pub private_key_plaintext: Secret,
    /// The public key (DER SubjectPublicKeyInfo).
    #[napi(ts_type = "Buffer")]
    pub public_key: Bytes,
    /// The ARN of the key used.
    pub key_id: String,
    /// The key pair spec, e.g. `ECC_NIST_P256`.
    pub key_pair_spec: String,
    /// The key material used.
    pub key_material_id: String,
}

/// Result of `generateDataKeyPairWithoutPlaintext`.
#[napi(object)]
pub struct GenerateDataKeyPairWithoutPlaintextResult {
    /// The private key (PKCS#8 DER) encrypted under the KMS key.
    #[napi(ts_type = "Buffer")]
    pub private_key_ciphertext_blob: Bytes,
    /// The public key (DER SubjectPublicKeyInfo).
    #[napi(ts_type = "Buffer")]
    pub public_key: Bytes,
    /// The ARN of the key used.
    pub key_id: String,
    /// The key pair spec.
    pub key_pair_spec: String,
    /// The key material used.
    pub key_material_id: String,
}

/// Result of `deriveSharedSecret`.
#[napi(object)]
pub struct DeriveSharedSecretResult {
    /// The ARN of the key used.
    pub key_id: String,
    /// The raw ECDH shared secret.
    #[napi(ts_type = "Buffer")]
    pub shared_secret: Secret,
    /// `ECDH`.
    pub key_agreement_algorithm: String,
    /// Origin of the private key's material.
    pub key_origin: String,
}

/// Result of `getParametersForImport`.
#[napi(object)]
pub struct GetParametersForImportResult {
    /// The key ARN.
    pub key_id: String,
    /// The import token to pass to `importKeyMaterial`.
    #[napi(ts_type = "Buffer")]
    pub import_token: Bytes,
    /// The RSA wrapping public key (DER SubjectPublicKeyInfo).
    #[napi(ts_type = "Buffer")]
    pub public_key: Bytes,
    /// When the token and wrapping key expire (seconds since the epoch).
    pub parameters_valid_to: f64,
}

/// Options of `importKeyMaterial`.
#[napi(object)]
pub struct ImportKeyMaterialOptions {
    /// `KEY_MATERIAL_EXPIRES` (the default, as in AWS: then `validTo` is required) or
    /// `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    pub expiration_model: Option<String>,
    /// When the material expires (seconds since the epoch), with `KEY_MATERIAL_EXPIRES`.
    pub valid_to: Option<f64>,
    /// Symmetric keys only: `NEW_KEY_MATERIAL` (waits in `PENDING_ROTATION` for
    /// `rotateKeyOnDemand`, unless it is the key's first) or `EXISTING_KEY_MATERIAL` (the
    /// default after the first import).
    pub import_type: Option<String>,
    /// Symmetric keys only: 1–256 characters of `[a-zA-Z0-9:/_\s.-]`; kept when omitted.
    pub key_material_description: Option<String>,
    /// Symmetric keys only, not with `NEW_KEY_MATERIAL`: the 64-hex-character id the material
    /// must have.
    pub key_material_id: Option<String>,
}

/// Options of `deleteImportedKeyMaterial`.
#[napi(object)]
pub struct DeleteImportedKeyMaterialOptions {
    /// The material to delete (64 hex characters); default: the current material.
    pub key_material_id: Option<String>,
}

/// Options of `getPublicKey`.
#[napi(object)]
pub struct GetPublicKeyOptions {
    /// Grant tokens (checked for form, at most 10).
    pub grant_tokens: Option<Vec<String>>,
}

/// Result of `importKeyMaterial` and `deleteImportedKeyMaterial`.
#[napi(object)]
pub struct ImportedKeyMaterialResult {
    /// The key ARN.
    pub key_id: String,
    /// The key material imported or deleted.
    pub key_material_id: String,
}
