//! What the store keeps about a key: its non-secret record, its sealed materials, its aliases.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::keys::spec::{
    ExpirationModel, GrantOperation, KeyManager, KeySpec, KeyState, KeyUsage, Origin, RotationType, WrappingAlgorithm,
    WrappingKeySpec,
};

/// Automatic rotation settings of a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationSchedule {
    /// Days between automatic rotations (90–2560).
    pub period_days: u32,
    /// When the next automatic rotation is due.
    pub next_rotation_ms: Millis,
}

/// The non-secret record of one key. Stored as one document; its secret materials are stored
/// apart, sealed under the root key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The key id (a lowercase UUID).
    pub key_id: String,
    /// Creation time.
    pub created_ms: Millis,
    /// Free text, 0–8192 characters.
    pub description: String,
    /// The key spec.
    pub key_spec: KeySpec,
    /// The key usage.
    pub key_usage: KeyUsage,
    /// Where the material came from.
    pub origin: Origin,
    /// Customer or service managed.
    pub key_manager: KeyManager,
    /// The current state.
    pub state: KeyState,
    /// When a key pending deletion is destroyed.
    pub deletion_ms: Option<Millis>,
    /// The waiting period chosen when deletion was scheduled.
    pub pending_window_days: Option<u32>,
    /// Automatic rotation, when enabled.
    pub rotation: Option<RotationSchedule>,
    /// Number of `RotateKeyOnDemand` calls that succeeded (at most 25).
    pub on_demand_rotations: u32,
    /// The material new encryptions use; 0 while the key has none (`PendingImport`).
    pub current_version: u32,
    /// Tags, ordered by tag key.
    pub tags: BTreeMap<String, String>,
    /// Stores written before keys could hold several imported materials kept the one material's
    /// details here. Read through [`KeyRecord::imported_materials`]; cleared by
    /// [`KeyRecord::upgrade_legacy_import`] on the next change of the key's materials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportState>,
    /// For keys with imported material: every material associated with the key, in version
    /// order, including materials deleted or expired (kept so that only the same material can
    /// be imported again, and so ListKeyRotations shows them as `PENDING_IMPORT`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imported: Vec<ImportedMaterial>,
    /// The highest material version ever given to imported material, so that a version is
    /// never reused (cached materials rely on a (key, version) pair never changing), even
    /// after material waiting for rotation was deleted and forgotten.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub imported_versions: u32,
    /// Bumped by every PutKeyPolicy; 0 means the key has AWS's default key policy (and no
    /// stored policy text). Compiled policies are cached by (key, revision).
    #[serde(default)]
    pub policy_revision: u64,
    /// Number of grants on the key (so a call on a key without grants reads none, and the
    /// 50,000-grant limit is checked without counting).
    #[serde(default)]
    pub grant_count: u32,
}

/// What stores written before multi-material import kept about an `EXTERNAL` key's one
/// material (the serialized form must keep reading).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportState {
    /// The `KeyMaterialId` of the imported material, derived from it (so the same material
    /// always has the same id, and other material is recognised as different).
    pub material_id: String,
    /// Whether the material expires.
    pub expiration_model: ExpirationModel,
    /// When it expires (only with `KEY_MATERIAL_EXPIRES`).
    pub valid_to_ms: Option<Millis>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// One material associated with an `EXTERNAL` key (AWS's per-material import details).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedMaterial {
    /// The `KeyMaterialId`, derived from the key id and the material.
    pub material_id: String,
    /// The material's version in the store (what ciphertexts name).
    pub version: u32,
    /// Whether the material expires.
    pub expiration_model: ExpirationModel,
    /// When it expires (only with `KEY_MATERIAL_EXPIRES`).
    pub valid_to_ms: Option<Millis>,
    /// The caller's `KeyMaterialDescription`, kept across re-imports that omit it.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether the material is in the store now (`IMPORTED`) or was deleted or expired and
    /// must be imported again (`PENDING_IMPORT`).
    pub present: bool,
    /// Imported as `NEW_KEY_MATERIAL` and waiting for `RotateKeyOnDemand` (`PENDING_ROTATION`);
    /// such material is not yet permanently associated with the key.
    #[serde(default)]
    pub pending_rotation: bool,
    /// When it became current through a rotation; `None` for the first material.
    #[serde(default)]
    pub rotated_ms: Option<Millis>,
    /// How it became current; `None` for the first material and pending material.
    #[serde(default)]
    pub rotation_type: Option<RotationType>,
    /// When it was first imported.
    #[serde(default)]
    pub imported_ms: Millis,
}

impl KeyRecord {
    /// The materials associated with this key, in version order, reading records of older
    /// stores too (whose one material was version 1, absent exactly when `current_version`
    /// was 0).
    pub fn imported_materials(&self) -> std::borrow::Cow<'_, [ImportedMaterial]> {
        match (&self.import, self.imported.is_empty()) {
            (Some(legacy), true) => std::borrow::Cow::Owned(vec![ImportedMaterial {
                material_id: legacy.material_id.clone(),
                version: 1,
                expiration_model: legacy.expiration_model,
                valid_to_ms: legacy.valid_to_ms,
                description: None,
                present: self.current_version > 0,
                pending_rotation: false,
                rotated_ms: None,
                rotation_type: None,
                imported_ms: self.created_ms,
            }]),
            _ => std::borrow::Cow::Borrowed(&self.imported),
        }
    }

    /// Moves an older store's single-material record to the list form before the materials
    /// change; the key then names version 1 as current even while that material is absent.
    pub fn upgrade_legacy_import(&mut self) {
        if self.import.is_some() && self.imported.is_empty() {
            self.imported = self.imported_materials().into_owned();
            self.current_version = 1;
        }
        self.import = None;
    }

    /// Whether an `EXTERNAL` key lacks material it needs: none was ever imported, or a
    /// permanently associated material was deleted or expired (the key is then
    /// `PendingImport`, as in AWS, until every such material is imported again).
    pub fn missing_material(&self) -> bool {
        let materials = self.imported_materials();
        materials.is_empty() || materials.iter().any(|m| !m.pending_rotation && !m.present)
    }

    /// The earliest expiry among the permanently associated materials present now (AWS's
    /// `ValidTo` in KeyMetadata).
    pub fn valid_to_ms(&self) -> Option<Millis> {
        self.imported_materials()
            .iter()
            .filter(|m| m.present && !m.pending_rotation)
            .filter_map(|m| m.valid_to_ms)
            .min()
    }

    /// The next instant at which the store must act on this key by itself: destroy it at the
    /// end of its deletion window, or rotate it. The storage layer indexes this value so a sweep
    /// finds due keys without reading every record.
    pub fn next_event_ms(&self) -> Option<Millis> {
        let expiry = self.material_expiry_ms();
        match self.state {
            KeyState::PendingDeletion => self.deletion_ms,
            KeyState::Enabled => match (self.rotation.as_ref().map(|r| r.next_rotation_ms), expiry) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            // A disabled key is not rotated (re-enabling it makes an overdue rotation due again),
            // but its imported material still expires.
            KeyState::Disabled => expiry,
            _ => None,
        }
    }

    /// When the first of the imported materials this key holds expires (pending ones
    /// included: they expire too), if it holds expiring material.
    pub fn material_expiry_ms(&self) -> Option<Millis> {
        self.imported_materials().iter().filter(|m| m.present).filter_map(|m| m.valid_to_ms).min()
    }
}

/// One key material (version) of a key. The material itself is sealed under the root key.
#[derive(Clone, PartialEq, Eq)]
pub struct MaterialRecord {
    /// The key this material belongs to.
    pub key_id: String,
    /// Material number, from 1, in creation order.
    pub version: u32,
    /// AWS's `KeyMaterialId`: 64 lowercase hex characters.
    pub material_id: String,
    /// When this material was created (the rotation date for rotations).
    pub created_ms: Millis,
    /// How it came to be: `None` for the first material.
    pub rotation_type: Option<RotationType>,
    /// The material sealed under the root key (see `store::rootkey`).
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for MaterialRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaterialRecord")
            .field("key_id", &self.key_id)
            .field("version", &self.version)
            .field("material_id", &self.material_id)
            .field("created_ms", &self.created_ms)
            .field("rotation_type", &self.rotation_type)
            .field("sealed", &format_args!("[{} bytes]", self.sealed.len()))
            .finish()
    }
}

/// An alias and its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasRecord {
    /// The full name, starting with `alias/`.
    pub name: String,
    /// The key id it points to.
    pub target_key_id: String,
    /// When the alias was created.
    pub created_ms: Millis,
    /// When it was last re-pointed.
    pub updated_ms: Millis,
}

/// The parameters of one GetParametersForImport call: the wrapping private key (sealed under
/// the root key) and what the import token allows.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportTokenRecord {
    /// The token's id (32 lowercase hex characters).
    pub token_id: String,
    /// The key the token imports into.
    pub key_id: String,
    /// How the material must be wrapped.
    pub wrapping_algorithm: WrappingAlgorithm,
    /// The wrapping key's spec.
    pub wrapping_key_spec: WrappingKeySpec,
    /// The end of the token's 24 hours.
    pub valid_to_ms: Millis,
    /// The wrapping private key (PKCS#8) sealed under the root key.
    pub sealed_private_key: Vec<u8>,
}

impl std::fmt::Debug for ImportTokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportTokenRecord")
            .field("token_id", &self.token_id)
            .field("key_id", &self.key_id)
            .field("wrapping_algorithm", &self.wrapping_algorithm)
            .field("wrapping_key_spec", &self.wrapping_key_spec)
            .field("valid_to_ms", &self.valid_to_ms)
            .finish_non_exhaustive()
    }
}

/// An access key (the SigV4 credentials a server client signs with) and the principal it
/// stands for. The secret is sealed under the root key.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    /// The access key id (`AKIA...` for generated keys).
    pub access_key_id: String,
    /// The principal ARN requests signed with this key act as.
    pub principal: String,
    /// When it was created or added.
    pub created_ms: Millis,
    /// The secret access key sealed under the root key.
    pub sealed_secret: Vec<u8>,
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key_id", &self.access_key_id)
            .field("principal", &self.principal)
            .field("created_ms", &self.created_ms)
            .finish_non_exhaustive()
    }
}

/// A grant: permission for a grantee principal to use one key for some operations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    /// The grant's id (64 lowercase hex characters).
    pub grant_id: String,
    /// The key it applies to.
    pub key_id: String,
    /// The name given at creation (makes CreateGrant retries idempotent).
    pub name: Option<String>,
    /// When it was created.
    pub created_ms: Millis,
    /// Who may use it.
    pub grantee_principal: String,
    /// Who may retire it besides the grantee (with RetireGrant) and the issuing account.
    pub retiring_principal: Option<String>,
    /// The account principal (`arn:aws:iam::<acct>:root`) of the principal that created it.
    pub issuing_account: String,
    /// The operations it allows, without repeats, in AWS's order.
    pub operations: Vec<GrantOperation>,
    /// Encryption-context constraints.
    pub constraints: Option<GrantConstraints>,
}

/// A grant's encryption-context constraints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantConstraints {
    /// The request's encryption context must contain these pairs (and may add others).
    pub encryption_context_subset: Option<BTreeMap<String, String>>,
    /// The request's encryption context must be exactly this.
    pub encryption_context_equals: Option<BTreeMap<String, String>>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A key document as stores written before multi-material import hold it.
    fn legacy(current_version: u32) -> KeyRecord {
        let doc = serde_json::json!({
            "key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "created_ms": 1000, "description": "",
            "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "origin": "EXTERNAL",
            "key_manager": "CUSTOMER", "state": if current_version > 0 { "Enabled" } else { "PendingImport" },
            "deletion_ms": null, "pending_window_days": null, "rotation": null, "on_demand_rotations": 0,
            "current_version": current_version, "tags": {},
            "import": {"material_id": "ab".repeat(32), "expiration_model": "KEY_MATERIAL_EXPIRES", "valid_to_ms": 5000}
        });
        serde_json::from_value(doc).unwrap()
    }

    #[test]
    fn records_of_older_stores_read_as_one_material() {
        let present = legacy(1);
        let materials = present.imported_materials();
        assert_eq!(materials.len(), 1);
        assert_eq!((materials[0].version, materials[0].present), (1, true));
        assert_eq!(materials[0].material_id, "ab".repeat(32));
        assert_eq!(present.material_expiry_ms(), Some(5000));
        assert_eq!(present.valid_to_ms(), Some(5000));
        assert!(!present.missing_material());

        let mut deleted = legacy(0);
        assert!(deleted.missing_material());
        assert_eq!(deleted.material_expiry_ms(), None);
        deleted.upgrade_legacy_import();
        assert_eq!(deleted.current_version, 1, "the one material stays the current one");
        assert!(deleted.import.is_none());
        assert!(!deleted.imported[0].present);
        let json = serde_json::to_value(&deleted).unwrap();
        assert!(json.get("import").is_none());
        let back: KeyRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, deleted);
    }
}
