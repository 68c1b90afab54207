//! What the key operations return, shaped like AWS KMS responses.
//!
//! Field names serialize in AWS's PascalCase and dates as epoch seconds, so a binding or the
//! server can emit these values as AWS JSON unchanged.

use serde::{Serialize, Serializer};

use crate::clock::Millis;
use crate::keys::spec::{
    EncryptionAlgorithm, ExpirationModel, KeyAgreementAlgorithm, KeyManager, KeyMaterialImportState, KeyMaterialState,
    KeySpec, KeyState, KeyUsage, MacAlgorithm, Origin, RotationType, SigningAlgorithm,
};

/// Serializes milliseconds as epoch seconds (a JSON number with fractions), as AWS does.
pub(crate) fn epoch_seconds<S: Serializer>(ms: &Millis, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(*ms as f64 / 1000.0)
}

fn opt_epoch_seconds<S: Serializer>(ms: &Option<Millis>, serializer: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => epoch_seconds(ms, serializer),
        None => serializer.serialize_none(),
    }
}

/// AWS's `KeyMetadata`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    /// `AWSAccountId`.
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    /// The key id.
    pub key_id: String,
    /// The key ARN.
    pub arn: String,
    /// Creation date (milliseconds since the epoch; seconds on the wire).
    #[serde(serialize_with = "epoch_seconds")]
    pub creation_date: Millis,
    /// True exactly when `key_state` is `Enabled`.
    pub enabled: bool,
    /// The description.
    pub description: String,
    /// The key usage.
    pub key_usage: KeyUsage,
    /// The key state.
    pub key_state: KeyState,
    /// When a key pending deletion is destroyed.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_epoch_seconds")]
    pub deletion_date: Option<Millis>,
    /// Material expiry of imported keys.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_epoch_seconds")]
    pub valid_to: Option<Millis>,
    /// Origin of the material.
    pub origin: Origin,
    /// Whether imported material expires (imported keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// `AWS` or `CUSTOMER`.
    pub key_manager: KeyManager,
    /// The deprecated twin of `key_spec`.
    pub customer_master_key_spec: KeySpec,
    /// The key spec.
    pub key_spec: KeySpec,
    /// Encryption algorithms (ENCRYPT_DECRYPT keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<EncryptionAlgorithm>>,
    /// Signing algorithms (SIGN_VERIFY keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<SigningAlgorithm>>,
    /// MAC algorithms (GENERATE_VERIFY_MAC keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_algorithms: Option<Vec<MacAlgorithm>>,
    /// Key agreement algorithms (KEY_AGREEMENT keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<KeyAgreementAlgorithm>>,
    /// Always false: Keystead has no multi-Region keys.
    pub multi_region: bool,
    /// The material new encryptions use (symmetric keys with material).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
}

/// One entry of `ListKeys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    /// The key id.
    pub key_id: String,
    /// The key ARN.
    pub key_arn: String,
}

/// A page of a list operation: `items`, and a marker when more remain (`Truncated`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass to the next call to continue; `None` on the last page.
    pub next_marker: Option<String>,
}

impl<T> Page<T> {
    /// True when more items remain.
    pub fn truncated(&self) -> bool {
        self.next_marker.is_some()
    }
}

/// One entry of `ListAliases`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// The alias name (`alias/...`).
    pub alias_name: String,
    /// The alias ARN.
    pub alias_arn: String,
    /// The key id it points to.
    pub target_key_id: String,
    /// When it was created.
    #[serde(serialize_with = "epoch_seconds")]
    pub creation_date: Millis,
    /// When it was last re-pointed.
    #[serde(serialize_with = "epoch_seconds")]
    pub last_updated_date: Millis,
}

/// A tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// 1–128 characters; may not start with `aws:`.
    pub tag_key: String,
    /// 0–256 characters.
    pub tag_value: String,
}

impl Tag {
    /// A tag from a key and a value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self { tag_key: key.into(), tag_value: value.into() }
    }
}

/// The answer of `ScheduleKeyDeletion`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionResponse {
    /// The key ARN.
    pub key_id: String,
    /// When the key will be destroyed.
    #[serde(serialize_with = "epoch_seconds")]
    pub deletion_date: Millis,
    /// `PendingDeletion`.
    pub key_state: KeyState,
    /// The waiting period.
    pub pending_window_in_days: u32,
}

/// The answer of `GetKeyRotationStatus`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyRotationStatus {
    /// Whether automatic rotation is on (false while the key is pending deletion).
    pub key_rotation_enabled: bool,
    /// The key ARN.
    pub key_id: String,
    /// The period, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<u32>,
    /// The next automatic rotation, when enabled.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_epoch_seconds")]
    pub next_rotation_date: Option<Millis>,
    /// Set while an on-demand rotation runs. Keystead rotates synchronously, so always `None`.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_epoch_seconds")]
    pub on_demand_rotation_start_date: Option<Millis>,
}

/// One entry of `ListKeyRotations`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationsListEntry {
    /// The key id.
    pub key_id: String,
    /// The material's id.
    pub key_material_id: String,
    /// `CURRENT` or `NON_CURRENT`.
    pub key_material_state: KeyMaterialState,
    /// When the rotation happened; absent for the first material.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_epoch_seconds")]
    pub rotation_date: Option<Millis>,
    /// How the rotation happened; absent for the first material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<RotationType>,
    /// The caller's description of the material (symmetric `EXTERNAL` keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_description: Option<String>,
    /// `IMPORTED` or `PENDING_IMPORT` (symmetric `EXTERNAL` keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_state: Option<KeyMaterialImportState>,
    /// Whether the material expires (symmetric `EXTERNAL` keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// When the material expires (symmetric `EXTERNAL` keys with expiring material).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_epoch_seconds")]
    pub valid_to: Option<Millis>,
}
