//! Persistence. The [`Storage`] trait is the only way the key logic reaches stored state.
//!
//! A backend stores records and runs transactions; it never sees key material in the clear
//! (materials arrive sealed under the root key, see [`rootkey`]) and never decides anything
//! about keys. Every state change the key logic makes happens inside one [`Storage::write`]
//! transaction, so a crash at any instant leaves the store as before or as after.
//!
//! Backends: [`sqlite::SqliteStorage`] (the embedded default: one SQLite file in WAL mode) and
//! [`memory::MemoryStorage`] (for tests). A PostgreSQL backend implements the same trait; a
//! PKCS#11 module fits as a [`rootkey::RootKey`] sealer, leaving this trait untouched.

pub(crate) mod cache;
pub mod memory;
pub mod rootkey;
pub mod sqlite;

use crate::clock::Millis;
use crate::error::Result;
use crate::keys::record::{AccessKeyRecord, AliasRecord, GrantRecord, ImportTokenRecord, KeyRecord, MaterialRecord};

/// A transaction body. It may run more than once if the backend retries a conflict, so it must
/// not have side effects outside the transaction.
pub type TxnBody<'a> = dyn FnMut(&mut dyn Txn) -> Result<()> + 'a;

/// A store backend: transactions over key records, materials, aliases and settings.
///
/// Implementations must be safe to share between threads, and (for persistent backends)
/// between processes: a change committed by one handle is seen by the next transaction of any
/// other.
pub trait Storage: Send + Sync {
    /// Runs `body` in a read-only transaction that sees one consistent snapshot.
    fn read(&self, body: &mut TxnBody<'_>) -> Result<()>;

    /// Runs `body` in a read-write transaction. If `body` fails, nothing it did is kept. When
    /// this returns `Ok`, the change is durable.
    fn write(&self, body: &mut TxnBody<'_>) -> Result<()>;

    /// Makes deletions final on disk: after this returns, records deleted before the call no
    /// longer appear in any store file (SQLite: secure-delete pages, checkpoint, truncate WAL).
    fn purge_deleted(&self) -> Result<()>;
}

/// Operations inside one transaction. Writes through a read transaction fail.
pub trait Txn {
    /// A store-wide setting (root-key check, KDF parameters, region...).
    fn setting(&mut self, name: &str) -> Result<Option<Vec<u8>>>;
    /// Sets a store-wide setting.
    fn put_setting(&mut self, name: &str, value: &[u8]) -> Result<()>;

    /// The record of `key_id`, if it exists.
    fn key(&mut self, key_id: &str) -> Result<Option<KeyRecord>>;
    /// Inserts or replaces a key record.
    fn put_key(&mut self, key: &KeyRecord) -> Result<()>;
    /// Deletes a key with its materials and aliases.
    fn delete_key(&mut self, key_id: &str) -> Result<()>;
    /// Up to `limit` key ids greater than `after`, in ascending order.
    fn list_key_ids(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<String>>;
    /// Number of keys.
    fn count_keys(&mut self) -> Result<u64>;
    /// Ids of keys whose [`KeyRecord::next_event_ms`] is at or before `now`.
    fn keys_due(&mut self, now: Millis) -> Result<Vec<String>>;
    /// The earliest [`KeyRecord::next_event_ms`] of any key.
    fn next_event_ms(&mut self) -> Result<Option<Millis>>;

    /// One material of a key.
    fn material(&mut self, key_id: &str, version: u32) -> Result<Option<MaterialRecord>>;
    /// All materials of a key, by version.
    fn materials(&mut self, key_id: &str) -> Result<Vec<MaterialRecord>>;
    /// Every material of every key (for root-key rotation).
    fn all_materials(&mut self) -> Result<Vec<MaterialRecord>>;
    /// Inserts or replaces a material.
    fn put_material(&mut self, material: &MaterialRecord) -> Result<()>;
    /// Deletes every material of a key (imported material deleted or expired).
    fn delete_materials(&mut self, key_id: &str) -> Result<()>;

    /// An import token's record.
    fn import_token(&mut self, token_id: &str) -> Result<Option<ImportTokenRecord>>;
    /// Stores an import token's record.
    fn put_import_token(&mut self, token: &ImportTokenRecord) -> Result<()>;
    /// Every import token (for root-key rotation).
    fn all_import_tokens(&mut self) -> Result<Vec<ImportTokenRecord>>;
    /// Deletes import tokens whose validity ended at or before `now`.
    fn delete_expired_import_tokens(&mut self, now: Millis) -> Result<()>;

    /// An access key by id.
    fn access_key(&mut self, access_key_id: &str) -> Result<Option<AccessKeyRecord>>;
    /// Inserts or replaces an access key.
    fn put_access_key(&mut self, key: &AccessKeyRecord) -> Result<()>;
    /// Deletes an access key; returns whether it existed.
    fn delete_access_key(&mut self, access_key_id: &str) -> Result<bool>;
    /// Every access key, by id.
    fn list_access_keys(&mut self) -> Result<Vec<AccessKeyRecord>>;

    /// The key policy text of a key (absent: AWS's default policy).
    fn key_policy(&mut self, key_id: &str) -> Result<Option<String>>;
    /// Sets a key's policy text.
    fn put_key_policy(&mut self, key_id: &str, policy: &str) -> Result<()>;

    /// A grant by id.
    fn grant(&mut self, grant_id: &str) -> Result<Option<GrantRecord>>;
    /// Inserts or replaces a grant.
    fn put_grant(&mut self, grant: &GrantRecord) -> Result<()>;
    /// Deletes a grant; returns whether it existed.
    fn delete_grant(&mut self, grant_id: &str) -> Result<bool>;
    /// Up to `limit` grants of `key_id` with ids greater than `after`, by grant id.
    fn list_grants(&mut self, key_id: &str, after: Option<&str>, limit: usize) -> Result<Vec<GrantRecord>>;
    /// The grants of `key_id` whose grantee is one of `grantees`.
    fn grants_for_grantees(&mut self, key_id: &str, grantees: &[String]) -> Result<Vec<GrantRecord>>;
    /// The grants of `key_id` created with `name`.
    fn grants_named(&mut self, key_id: &str, name: &str) -> Result<Vec<GrantRecord>>;
    /// Up to `limit` grants (of any key) whose retiring principal is `retiring_principal`, with
    /// ids greater than `after`, by grant id.
    fn list_retirable_grants(
        &mut self,
        retiring_principal: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<GrantRecord>>;

    /// An alias by full name.
    fn alias(&mut self, name: &str) -> Result<Option<AliasRecord>>;
    /// Inserts or replaces an alias.
    fn put_alias(&mut self, alias: &AliasRecord) -> Result<()>;
    /// Deletes an alias; returns whether it existed.
    fn delete_alias(&mut self, name: &str) -> Result<bool>;
    /// Up to `limit` aliases with names greater than `after`, by name, optionally only those
    /// pointing to `key_id`.
    fn list_aliases(&mut self, key_id: Option<&str>, after: Option<&str>, limit: usize) -> Result<Vec<AliasRecord>>;
    /// Number of aliases pointing to `key_id`.
    fn count_aliases(&mut self, key_id: &str) -> Result<u64>;
}
