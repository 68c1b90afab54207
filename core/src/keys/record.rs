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
    /// For keys with imported material: what was imported (kept after the material is deleted
    /// or expires, so that only the same material can be imported again).
    #[serde(default)]
    pub import: Option<ImportState>,
    /// Bumped by every PutKeyPolicy; 0 means the key has AWS's default key policy (and no
    /// stored policy text). Compiled policies are cached by (key, revision).
    #[serde(default)]
    pub policy_revision: u64,
    /// Number of grants on the key (so a call on a key without grants reads none, and the
    /// 50,000-grant limit is checked without counting).
    #[serde(default)]
    pub grant_count: u32,
}

/// What is known about the material imported into an `EXTERNAL` key.
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

impl KeyRecord {
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

    /// When the imported material this key holds expires, if it holds expiring material.
    pub fn material_expiry_ms(&self) -> Option<Millis> {
        if self.current_version == 0 {
            return None;
        }
        self.import.as_ref().and_then(|i| i.valid_to_ms)
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
