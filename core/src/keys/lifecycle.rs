//! Creating, describing, listing, enabling, disabling and deleting keys; descriptions and tags.

use std::collections::BTreeMap;

use crate::calls::params;
use crate::clock::DAY_MS;
use crate::crypto::primitives::random_bytes;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::metadata::{KeyListEntry, KeyMetadata, Page, ScheduleKeyDeletionResponse, Tag};
use crate::keys::page::{decode_marker, encode_marker, limit};
use crate::keys::record::{AliasRecord, KeyRecord, RotationSchedule};
use crate::keys::spec::{KeyManager, KeySpec, KeyState, KeyUsage, Origin};
use crate::keystead::Keystead;
use crate::policy::authorize::{Access, Action};
use crate::store::Txn;
use serde_json::json;

/// Most keys one store holds (AWS's default quota of customer managed keys per Region).
pub const MAX_KEYS: u64 = 100_000;
/// Most tags on one key.
pub const MAX_TAGS: usize = 50;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 8192;
/// Shortest and longest deletion waiting period, and the default.
pub const PENDING_WINDOW_DAYS: (u32, u32, u32) = (7, 30, 30);
/// Rotation period of service-managed keys.
pub const MANAGED_KEY_ROTATION_DAYS: u32 = 365;

/// Inputs of `CreateKey`. Every field is optional, as in AWS.
#[derive(Clone, Debug, Default)]
pub struct CreateKeyRequest {
    /// Default `SYMMETRIC_DEFAULT`.
    pub key_spec: Option<KeySpec>,
    /// Default `ENCRYPT_DECRYPT`.
    pub key_usage: Option<KeyUsage>,
    /// 0–8192 characters, default empty.
    pub description: Option<String>,
    /// Default `AWS_KMS`; `EXTERNAL` creates a key in `PendingImport` with no material.
    pub origin: Option<Origin>,
    /// Tags to attach.
    pub tags: Vec<Tag>,
    /// Multi-Region keys are not supported (UnsupportedOperationException when true).
    pub multi_region: bool,
    /// The key policy (AWS policy JSON, at most 32 KB); AWS's default key policy when absent.
    pub policy: Option<String>,
    /// Accept a policy that would not let the caller change it again (skips AWS's lockout
    /// safety check).
    pub bypass_policy_lockout_safety_check: bool,
}

pub(crate) fn check_description(description: &str) -> Result<()> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::validation(format!("Description must be at most {MAX_DESCRIPTION_CHARS} characters long")));
    }
    Ok(())
}

fn check_tag_key(key: &str) -> Result<()> {
    let chars = key.chars().count();
    if chars == 0 || chars > 128 {
        return Err(Error::new(ErrorKind::Tag, "TagKey must be 1 to 128 characters long"));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(Error::new(ErrorKind::Tag, format!("TagKey {key} uses the reserved prefix aws:")));
    }
    Ok(())
}

/// Applies `tags` to `existing` (replacing values of existing keys), checking AWS's rules.
fn apply_tags(existing: &mut BTreeMap<String, String>, tags: &[Tag]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for tag in tags {
        check_tag_key(&tag.tag_key)?;
        if tag.tag_value.chars().count() > 256 {
            return Err(Error::new(ErrorKind::Tag, "TagValue must be at most 256 characters long"));
        }
        if !seen.insert(tag.tag_key.as_str()) {
            return Err(Error::new(ErrorKind::Tag, format!("Duplicate TagKey {} in one request", tag.tag_key)));
        }
    }
    let mut updated = existing.clone();
    for tag in tags {
        updated.insert(tag.tag_key.clone(), tag.tag_value.clone());
    }
    if updated.len() > MAX_TAGS {
        return Err(Error::new(ErrorKind::LimitExceeded, format!("A key can have at most {MAX_TAGS} tags")));
    }
    *existing = updated;
    Ok(())
}

impl Keystead {
    /// The AWS `KeyMetadata` of `key`.
    pub(crate) fn metadata(&self, txn: &mut dyn Txn, key: &KeyRecord) -> Result<KeyMetadata> {
        let imported = key.imported_materials();
        // An imported key's current material may be deleted for now; its id is still known.
        let current_import = imported.iter().find(|m| m.version == key.current_version);
        let current_key_material_id = if !key.key_spec.is_symmetric_encryption() || key.current_version == 0 {
            None
        } else if let Some(current) = current_import {
            Some(current.material_id.clone())
        } else {
            txn.material(&key.key_id, key.current_version)?.map(|m| m.material_id)
        };
        Ok(KeyMetadata {
            aws_account_id: self.identity().account_id.clone(),
            key_id: key.key_id.clone(),
            arn: self.arn(&key.key_id),
            creation_date: key.created_ms,
            enabled: key.state == KeyState::Enabled,
            description: key.description.clone(),
            key_usage: key.key_usage,
            key_state: key.state,
            deletion_date: (key.state == KeyState::PendingDeletion).then_some(key.deletion_ms).flatten(),
            valid_to: key.valid_to_ms(),
            origin: key.origin,
            expiration_model: current_import.map(|m| m.expiration_model),
            key_manager: key.key_manager,
            customer_master_key_spec: key.key_spec,
            key_spec: key.key_spec,
            encryption_algorithms: (key.key_usage == KeyUsage::EncryptDecrypt)
                .then(|| key.key_spec.encryption_algorithms().to_vec()),
            signing_algorithms: (key.key_usage == KeyUsage::SignVerify)
                .then(|| key.key_spec.signing_algorithms().to_vec()),
            mac_algorithms: (key.key_usage == KeyUsage::GenerateVerifyMac)
                .then(|| key.key_spec.mac_algorithms().to_vec()),
            key_agreement_algorithms: (key.key_usage == KeyUsage::KeyAgreement)
                .then(|| key.key_spec.key_agreement_algorithms().to_vec()),
            multi_region: false,
            current_key_material_id,
        })
    }

    /// `CreateKey`: a new key with fresh material (or none, for `Origin` `EXTERNAL`).
    ///
    /// # Errors
    /// `ValidationException` for a spec/usage pair AWS does not allow or a long description;
    /// `TagException` for bad tags; `UnsupportedOperationException` for key specs this build
    /// cannot create yet, custom key store origins and multi-Region keys;
    /// `LimitExceededException` past [`MAX_KEYS`].
    pub fn create_key(&self, request: CreateKeyRequest) -> Result<KeyMetadata> {
        let audit_params = params([
            ("keySpec", json!(request.key_spec.map(KeySpec::as_str))),
            ("keyUsage", json!(request.key_usage.map(KeyUsage::as_str))),
            ("origin", json!(request.origin.map(Origin::as_str))),
            ("description", json!(request.description)),
            ("tags", if request.tags.is_empty() { serde_json::Value::Null } else { json!(request.tags) }),
            ("policy", json!(request.policy)),
            ("bypassPolicyLockoutSafetyCheck", json!(request.bypass_policy_lockout_safety_check)),
        ]);
        self.call(
            "CreateKey",
            None,
            |_| audit_params,
            || {
                self.maybe_sweep()?;
                self.authorize_account("kms:CreateKey")?;
                let key_spec = request.key_spec.unwrap_or(KeySpec::SymmetricDefault);
                let key_usage = request.key_usage.unwrap_or(KeyUsage::EncryptDecrypt);
                if !key_spec.allowed_usages().contains(&key_usage) {
                    return Err(Error::validation(format!(
                        "KeyUsage {key_usage} is not compatible with KeySpec {key_spec}"
                    )));
                }
                let description = request.description.unwrap_or_default();
                check_description(&description)?;
                let mut tags = BTreeMap::new();
                apply_tags(&mut tags, &request.tags)?;
                let origin = request.origin.unwrap_or(Origin::AwsKms);
                if matches!(origin, Origin::AwsCloudhsm | Origin::ExternalKeyStore) {
                    return Err(Error::unsupported(format!(
                        "Origin {origin} needs a custom key store; Keystead has none"
                    )));
                }
                if request.multi_region {
                    return Err(Error::unsupported("Multi-Region keys are not supported by Keystead"));
                }
                if !crate::crypto::asymmetric::is_supported(key_spec) {
                    return Err(Error::unsupported(format!(
                        "KeySpec {key_spec} is not supported by this Keystead build"
                    )));
                }
                self.write(|txn| {
                    if txn.count_keys()? >= MAX_KEYS {
                        return Err(Error::new(
                            ErrorKind::LimitExceeded,
                            format!("The store already holds {MAX_KEYS} keys"),
                        ));
                    }
                    let mut key = KeyRecord {
                        key_id: new_key_id()?,
                        created_ms: self.now(),
                        description,
                        key_spec,
                        key_usage,
                        origin,
                        key_manager: KeyManager::Customer,
                        state: KeyState::Enabled,
                        deletion_ms: None,
                        pending_window_days: None,
                        rotation: None,
                        on_demand_rotations: 0,
                        current_version: 0,
                        tags,
                        import: None,
                        imported: Vec::new(),
                        imported_versions: 0,
                        policy_revision: 0,
                        grant_count: 0,
                    };
                    if let Some(policy) = &request.policy {
                        self.check_new_policy(
                            policy,
                            &self.arn(&key.key_id),
                            request.bypass_policy_lockout_safety_check,
                        )?;
                        txn.put_key_policy(&key.key_id, policy)?;
                        key.policy_revision = 1;
                    }
                    if origin == Origin::External {
                        key.state = KeyState::PendingImport;
                    } else {
                        self.add_material(txn, &mut key, None)?;
                    }
                    self.save_key(txn, &key)?;
                    self.metadata(txn, &key)
                })
            },
        )
    }

    /// Creates the service-managed key behind `alias_name` (inside a write transaction).
    pub(crate) fn create_managed_key(&self, txn: &mut dyn Txn, alias_name: &str, service: &str) -> Result<()> {
        let now = self.now();
        let mut key = KeyRecord {
            key_id: new_key_id()?,
            created_ms: now,
            description: format!("Default key that protects my {service} data when no other key is defined"),
            key_spec: KeySpec::SymmetricDefault,
            key_usage: KeyUsage::EncryptDecrypt,
            origin: Origin::AwsKms,
            key_manager: KeyManager::Aws,
            state: KeyState::Enabled,
            deletion_ms: None,
            pending_window_days: None,
            rotation: Some(RotationSchedule {
                period_days: MANAGED_KEY_ROTATION_DAYS,
                next_rotation_ms: now + i64::from(MANAGED_KEY_ROTATION_DAYS) * DAY_MS,
            }),
            on_demand_rotations: 0,
            current_version: 0,
            tags: BTreeMap::new(),
            import: None,
            imported: Vec::new(),
            imported_versions: 0,
            policy_revision: 0,
            grant_count: 0,
        };
        self.add_material(txn, &mut key, None)?;
        self.save_key(txn, &key)?;
        txn.put_alias(&AliasRecord {
            name: alias_name.to_owned(),
            target_key_id: key.key_id.clone(),
            created_ms: now,
            updated_ms: now,
        })
    }

    /// Fails with AccessDeniedException when `key` is service-managed: callers cannot change
    /// such keys (AWS's managed-key policies allow only their service).
    pub(crate) fn require_customer_managed(&self, key: &KeyRecord, action: &str) -> Result<()> {
        if key.key_manager == KeyManager::Aws {
            return Err(Error::new(
                ErrorKind::AccessDenied,
                format!(
                    "{} is an AWS managed key; callers are not authorized to perform kms:{action} on it",
                    self.arn(&key.key_id)
                ),
            ));
        }
        Ok(())
    }

    /// Fails with KMSInvalidStateException when `key` is pending deletion (the management
    /// operations that AWS's key-state table marks so).
    pub(crate) fn require_not_pending_deletion(&self, key: &KeyRecord) -> Result<()> {
        if key.state == KeyState::PendingDeletion {
            return Err(Error::invalid_state(format!("{} is pending deletion.", self.arn(&key.key_id))));
        }
        Ok(())
    }

    /// `DescribeKey`: works in every key state, with all four identifier forms.
    pub fn describe_key(&self, key_id: &str) -> Result<KeyMetadata> {
        self.call(
            "DescribeKey",
            Some(key_id),
            |_| params([("keyId", json!(key_id))]),
            || {
                self.maybe_sweep()?;
                self.ensure_managed_key(key_id)?;
                self.read(|txn| {
                    let key = self.resolve(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::DescribeKey).requested(key_id))?;
                    self.metadata(txn, &key)
                })
            },
        )
    }

    /// `ListKeys`: `limit` 1–1000 (default 100), continuing after `marker`.
    pub fn list_keys(&self, limit_value: Option<u32>, marker: Option<&str>) -> Result<Page<KeyListEntry>> {
        self.call(
            "ListKeys",
            None,
            |_| params([("limit", json!(limit_value)), ("marker", json!(marker))]),
            || {
                self.maybe_sweep()?;
                self.authorize_account("kms:ListKeys")?;
                let limit = limit(limit_value, 1000, 100)?;
                let after = marker.map(|m| decode_marker("keys", m)).transpose()?;
                let now = self.now();
                self.read(|txn| {
                    let mut ids = txn.list_key_ids(after.as_deref(), limit + 1)?;
                    // Hide keys whose deletion window has ended but that the sweep has not removed yet.
                    let mut visible = Vec::with_capacity(ids.len());
                    for id in ids.drain(..) {
                        let expired = txn.key(&id)?.is_some_and(|k| {
                            k.state == KeyState::PendingDeletion && k.deletion_ms.is_some_and(|at| at <= now)
                        });
                        if !expired {
                            visible.push(id);
                        }
                    }
                    let next_marker = (visible.len() > limit).then(|| encode_marker("keys", &visible[limit - 1]));
                    visible.truncate(limit);
                    Ok(Page {
                        items: visible
                            .into_iter()
                            .map(|id| KeyListEntry { key_arn: self.arn(&id), key_id: id })
                            .collect(),
                        next_marker,
                    })
                })
            },
        )
    }

    /// `UpdateKeyDescription`.
    pub fn update_key_description(&self, key_id: &str, description: &str) -> Result<()> {
        self.call(
            "UpdateKeyDescription",
            Some(key_id),
            |_| params([("keyId", json!(key_id)), ("description", json!(description))]),
            || {
                self.maybe_sweep()?;
                check_description(description)?;
                self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::UpdateKeyDescription))?;
                    self.require_customer_managed(&key, "UpdateKeyDescription")?;
                    self.require_not_pending_deletion(&key)?;
                    key.description = description.to_owned();
                    self.save_key(txn, &key)
                })
            },
        )
    }

    /// `TagResource`: adds tags or replaces their values (at most 50 per key).
    pub fn tag_resource(&self, key_id: &str, tags: &[Tag]) -> Result<()> {
        self.call(
            "TagResource",
            Some(key_id),
            |_| params([("keyId", json!(key_id)), ("tags", json!(tags))]),
            || {
                self.maybe_sweep()?;
                self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::TagResource))?;
                    self.require_customer_managed(&key, "TagResource")?;
                    self.require_not_pending_deletion(&key)?;
                    apply_tags(&mut key.tags, tags)?;
                    self.save_key(txn, &key)
                })
            },
        )
    }

    /// `UntagResource`: removes tags; missing keys are ignored.
    pub fn untag_resource(&self, key_id: &str, tag_keys: &[String]) -> Result<()> {
        self.call(
            "UntagResource",
            Some(key_id),
            |_| params([("keyId", json!(key_id)), ("tagKeys", json!(tag_keys))]),
            || {
                self.maybe_sweep()?;
                for tag_key in tag_keys {
                    check_tag_key(tag_key)?;
                }
                self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::UntagResource))?;
                    self.require_customer_managed(&key, "UntagResource")?;
                    self.require_not_pending_deletion(&key)?;
                    for tag_key in tag_keys {
                        key.tags.remove(tag_key);
                    }
                    self.save_key(txn, &key)
                })
            },
        )
    }

    /// `ListResourceTags`: `limit` 1–50 (default 50), by tag key.
    pub fn list_resource_tags(
        &self,
        key_id: &str,
        limit_value: Option<u32>,
        marker: Option<&str>,
    ) -> Result<Page<Tag>> {
        self.call(
            "ListResourceTags",
            Some(key_id),
            |_| params([("keyId", json!(key_id)), ("limit", json!(limit_value)), ("marker", json!(marker))]),
            || {
                self.maybe_sweep()?;
                let limit = limit(limit_value, 50, 50)?;
                let after = marker.map(|m| decode_marker("tags", m)).transpose()?;
                self.read(|txn| {
                    let key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::ListResourceTags))?;
                    let mut tags: Vec<Tag> = key
                        .tags
                        .iter()
                        .filter(|(k, _)| after.as_deref().is_none_or(|a| k.as_str() > a))
                        .take(limit + 1)
                        .map(|(k, v)| Tag::new(k.clone(), v.clone()))
                        .collect();
                    let next_marker = (tags.len() > limit).then(|| encode_marker("tags", &tags[limit - 1].tag_key));
                    tags.truncate(limit);
                    Ok(Page { items: tags, next_marker })
                })
            },
        )
    }

    /// `EnableKey`: Disabled or Enabled → Enabled.
    pub fn enable_key(&self, key_id: &str) -> Result<()> {
        self.call("EnableKey", Some(key_id), |_| params([("keyId", json!(key_id))]), || self.set_enabled(key_id, true))
    }

    /// `DisableKey`: Enabled or Disabled → Disabled.
    pub fn disable_key(&self, key_id: &str) -> Result<()> {
        self.call(
            "DisableKey",
            Some(key_id),
            |_| params([("keyId", json!(key_id))]),
            || self.set_enabled(key_id, false),
        )
    }

    fn set_enabled(&self, key_id: &str, enable: bool) -> Result<()> {
        self.maybe_sweep()?;
        let (action, name) = if enable { (Action::EnableKey, "EnableKey") } else { (Action::DisableKey, "DisableKey") };
        self.write(|txn| {
            let mut key = self.resolve_key_only(txn, key_id)?;
            self.authorize(txn, &key, &Access::new(action))?;
            self.require_customer_managed(&key, name)?;
            match key.state {
                KeyState::Enabled | KeyState::Disabled => {}
                KeyState::PendingDeletion => {
                    return Err(Error::invalid_state(format!("{} is pending deletion.", self.arn(&key.key_id))))
                }
                KeyState::PendingImport => {
                    return Err(Error::invalid_state(format!("{} is pending import.", self.arn(&key.key_id))))
                }
                other => return Err(Error::invalid_state(format!("{} is {other}.", self.arn(&key.key_id)))),
            }
            key.state = if enable { KeyState::Enabled } else { KeyState::Disabled };
            self.save_key(txn, &key)
        })
    }

    /// `ScheduleKeyDeletion`: waiting period 7–30 days (default 30); the key becomes
    /// `PendingDeletion` and is destroyed, with its materials and aliases, when it ends.
    pub fn schedule_key_deletion(
        &self,
        key_id: &str,
        pending_window_in_days: Option<u32>,
    ) -> Result<ScheduleKeyDeletionResponse> {
        self.call(
            "ScheduleKeyDeletion",
            Some(key_id),
            |_| params([("keyId", json!(key_id)), ("pendingWindowInDays", json!(pending_window_in_days))]),
            || {
                self.maybe_sweep()?;
                let (min, max, default) = PENDING_WINDOW_DAYS;
                let days = pending_window_in_days.unwrap_or(default);
                if !(min..=max).contains(&days) {
                    return Err(Error::validation(format!(
                        "PendingWindowInDays must be between {min} and {max}; got {days}"
                    )));
                }
                self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, key_id)?;
                    let access = Access::new(Action::ScheduleKeyDeletion)
                        .value("kms:ScheduleKeyDeletionPendingWindowInDays", days.to_string());
                    self.authorize(txn, &key, &access)?;
                    self.require_customer_managed(&key, "ScheduleKeyDeletion")?;
                    self.require_not_pending_deletion(&key)?;
                    let deletion_ms = self.now() + i64::from(days) * DAY_MS;
                    key.state = KeyState::PendingDeletion;
                    key.deletion_ms = Some(deletion_ms);
                    key.pending_window_days = Some(days);
                    self.save_key(txn, &key)?;
                    Ok(ScheduleKeyDeletionResponse {
                        key_id: self.arn(&key.key_id),
                        deletion_date: deletion_ms,
                        key_state: KeyState::PendingDeletion,
                        pending_window_in_days: days,
                    })
                })
            },
        )
    }

    /// `CancelKeyDeletion`: a key pending deletion becomes `Disabled`; returns the key ARN.
    pub fn cancel_key_deletion(&self, key_id: &str) -> Result<String> {
        self.call(
            "CancelKeyDeletion",
            Some(key_id),
            |_| params([("keyId", json!(key_id))]),
            || {
                self.maybe_sweep()?;
                self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::CancelKeyDeletion))?;
                    self.require_customer_managed(&key, "CancelKeyDeletion")?;
                    if key.state != KeyState::PendingDeletion {
                        return Err(Error::invalid_state(format!(
                            "{} is not pending deletion.",
                            self.arn(&key.key_id)
                        )));
                    }
                    key.state = if key.origin == Origin::External && key.missing_material() {
                        KeyState::PendingImport
                    } else {
                        KeyState::Disabled
                    };
                    key.deletion_ms = None;
                    key.pending_window_days = None;
                    self.save_key(txn, &key)?;
                    Ok(self.arn(&key.key_id))
                })
            },
        )
    }
}

fn new_key_id() -> Result<String> {
    let bytes = random_bytes(16)?;
    let mut raw = [0u8; 16];
    raw.copy_from_slice(&bytes);
    Ok(uuid::Builder::from_random_bytes(raw).into_uuid().hyphenated().to_string())
}
