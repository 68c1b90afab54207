//! An in-memory backend for tests: same semantics as SQLite, nothing on disk.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::clock::Millis;
use crate::error::{Error, Result};
use crate::keys::record::{AccessKeyRecord, AliasRecord, GrantRecord, ImportTokenRecord, KeyRecord, MaterialRecord};
use crate::store::{Storage, Txn, TxnBody};

#[derive(Clone, Default)]
struct State {
    settings: BTreeMap<String, Vec<u8>>,
    keys: BTreeMap<String, KeyRecord>,
    materials: BTreeMap<(String, u32), MaterialRecord>,
    aliases: BTreeMap<String, AliasRecord>,
    import_tokens: BTreeMap<String, ImportTokenRecord>,
    access_keys: BTreeMap<String, AccessKeyRecord>,
    key_policies: BTreeMap<String, String>,
    grants: BTreeMap<String, GrantRecord>,
}

/// A store held in memory. Writes are all-or-nothing: a transaction works on a copy that
/// replaces the state only when the body succeeds.
#[derive(Default)]
pub struct MemoryStorage {
    state: Mutex<State>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| Error::internal("memory store lock poisoned"))
    }
}

impl Storage for MemoryStorage {
    fn read(&self, body: &mut TxnBody<'_>) -> Result<()> {
        let mut guard = self.lock()?;
        body(&mut MemoryTxn { state: &mut guard, writable: false })
    }

    fn write(&self, body: &mut TxnBody<'_>) -> Result<()> {
        let mut guard = self.lock()?;
        let mut copy = guard.clone();
        body(&mut MemoryTxn { state: &mut copy, writable: true })?;
        *guard = copy;
        Ok(())
    }

    fn purge_deleted(&self) -> Result<()> {
        Ok(())
    }
}

struct MemoryTxn<'a> {
    state: &'a mut State,
    writable: bool,
}

impl MemoryTxn<'_> {
    fn check_writable(&self) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(Error::internal("write attempted in a read transaction"))
        }
    }
}

impl Txn for MemoryTxn<'_> {
    fn setting(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.state.settings.get(name).cloned())
    }

    fn put_setting(&mut self, name: &str, value: &[u8]) -> Result<()> {
        self.check_writable()?;
        self.state.settings.insert(name.to_owned(), value.to_vec());
        Ok(())
    }

    fn key(&mut self, key_id: &str) -> Result<Option<KeyRecord>> {
        Ok(self.state.keys.get(key_id).cloned())
    }

    fn put_key(&mut self, key: &KeyRecord) -> Result<()> {
        self.check_writable()?;
        self.state.keys.insert(key.key_id.clone(), key.clone());
        Ok(())
    }

    fn delete_key(&mut self, key_id: &str) -> Result<()> {
        self.check_writable()?;
        self.state.keys.remove(key_id);
        self.state.materials.retain(|(id, _), _| id != key_id);
        self.state.import_tokens.retain(|_, t| t.key_id != key_id);
        self.state.aliases.retain(|_, alias| alias.target_key_id != key_id);
        self.state.key_policies.remove(key_id);
        self.state.grants.retain(|_, grant| grant.key_id != key_id);
        Ok(())
    }

    fn list_key_ids(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        Ok(self.state.keys.keys().filter(|id| after.is_none_or(|a| id.as_str() > a)).take(limit).cloned().collect())
    }

    fn count_keys(&mut self) -> Result<u64> {
        Ok(self.state.keys.len() as u64)
    }

    fn keys_due(&mut self, now: Millis) -> Result<Vec<String>> {
        Ok(self
            .state
            .keys
            .values()
            .filter(|k| k.next_event_ms().is_some_and(|t| t <= now))
            .map(|k| k.key_id.clone())
            .collect())
    }

    fn next_event_ms(&mut self) -> Result<Option<Millis>> {
        Ok(self.state.keys.values().filter_map(KeyRecord::next_event_ms).min())
    }

    fn material(&mut self, key_id: &str, version: u32) -> Result<Option<MaterialRecord>> {
        Ok(self.state.materials.get(&(key_id.to_owned(), version)).cloned())
    }

    fn materials(&mut self, key_id: &str) -> Result<Vec<MaterialRecord>> {
        Ok(self.state.materials.values().filter(|m| m.key_id == key_id).cloned().collect())
    }

    fn all_materials(&mut self) -> Result<Vec<MaterialRecord>> {
        Ok(self.state.materials.values().cloned().collect())
    }

    fn put_material(&mut self, material: &MaterialRecord) -> Result<()> {
        self.check_writable()?;
        self.state.materials.insert((material.key_id.clone(), material.version), material.clone());
        Ok(())
    }

    fn delete_materials(&mut self, key_id: &str) -> Result<()> {
        self.check_writable()?;
        self.state.materials.retain(|(id, _), _| id != key_id);
        Ok(())
    }

    fn import_token(&mut self, token_id: &str) -> Result<Option<ImportTokenRecord>> {
        Ok(self.state.import_tokens.get(token_id).cloned())
    }

    fn put_import_token(&mut self, token: &ImportTokenRecord) -> Result<()> {
        self.check_writable()?;
        self.state.import_tokens.insert(token.token_id.clone(), token.clone());
        Ok(())
    }

    fn all_import_tokens(&mut self) -> Result<Vec<ImportTokenRecord>> {
        Ok(self.state.import_tokens.values().cloned().collect())
    }

    fn delete_expired_import_tokens(&mut self, now: Millis) -> Result<()> {
        self.check_writable()?;
        self.state.import_tokens.retain(|_, t| t.valid_to_ms > now);
        Ok(())
    }

    fn access_key(&mut self, access_key_id: &str) -> Result<Option<AccessKeyRecord>> {
        Ok(self.state.access_keys.get(access_key_id).cloned())
    }

    fn put_access_key(&mut self, key: &AccessKeyRecord) -> Result<()> {
        self.check_writable()?;
        self.state.access_keys.insert(key.access_key_id.clone(), key.clone());
        Ok(())
    }

    fn delete_access_key(&mut self, access_key_id: &str) -> Result<bool> {
        self.check_writable()?;
        Ok(self.state.access_keys.remove(access_key_id).is_some())
    }

    fn list_access_keys(&mut self) -> Result<Vec<AccessKeyRecord>> {
        Ok(self.state.access_keys.values().cloned().collect())
    }

    fn key_policy(&mut self, key_id: &str) -> Result<Option<String>> {
        Ok(self.state.key_policies.get(key_id).cloned())
    }

    fn put_key_policy(&mut self, key_id: &str, policy: &str) -> Result<()> {
        self.check_writable()?;
        self.state.key_policies.insert(key_id.to_owned(), policy.to_owned());
        Ok(())
    }

    fn grant(&mut self, grant_id: &str) -> Result<Option<GrantRecord>> {
        Ok(self.state.grants.get(grant_id).cloned())
    }

    fn put_grant(&mut self, grant: &GrantRecord) -> Result<()> {
        self.check_writable()?;
        self.state.grants.insert(grant.grant_id.clone(), grant.clone());
        Ok(())
    }

    fn delete_grant(&mut self, grant_id: &str) -> Result<bool> {
        self.check_writable()?;
        Ok(self.state.grants.remove(grant_id).is_some())
    }

    fn list_grants(&mut self, key_id: &str, after: Option<&str>, limit: usize) -> Result<Vec<GrantRecord>> {
        Ok(self
            .state
            .grants
            .values()
            .filter(|g| g.key_id == key_id && after.is_none_or(|a| g.grant_id.as_str() > a))
            .take(limit)
            .cloned()
            .collect())
    }

    fn grants_for_grantees(&mut self, key_id: &str, grantees: &[String]) -> Result<Vec<GrantRecord>> {
        Ok(self
            .state
            .grants
            .values()
            .filter(|g| g.key_id == key_id && grantees.contains(&g.grantee_principal))
            .cloned()
            .collect())
    }

    fn grants_named(&mut self, key_id: &str, name: &str) -> Result<Vec<GrantRecord>> {
        Ok(self
            .state
            .grants
            .values()
            .filter(|g| g.key_id == key_id && g.name.as_deref() == Some(name))
            .cloned()
            .collect())
    }

    fn list_retirable_grants(
        &mut self,
        retiring_principal: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<GrantRecord>> {
        Ok(self
            .state
            .grants
            .values()
            .filter(|g| {
                g.retiring_principal.as_deref() == Some(retiring_principal)
                    && after.is_none_or(|a| g.grant_id.as_str() > a)
            })
            .take(limit)
            .cloned()
            .collect())
    }

    fn alias(&mut self, name: &str) -> Result<Option<AliasRecord>> {
        Ok(self.state.aliases.get(name).cloned())
    }

    fn put_alias(&mut self, alias: &AliasRecord) -> Result<()> {
        self.check_writable()?;
        self.state.aliases.insert(alias.name.clone(), alias.clone());
        Ok(())
    }

    fn delete_alias(&mut self, name: &str) -> Result<bool> {
        self.check_writable()?;
        Ok(self.state.aliases.remove(name).is_some())
    }

    fn list_aliases(&mut self, key_id: Option<&str>, after: Option<&str>, limit: usize) -> Result<Vec<AliasRecord>> {
        Ok(self
            .state
            .aliases
            .values()
            .filter(|a| key_id.is_none_or(|k| a.target_key_id == k))
            .filter(|a| after.is_none_or(|after| a.name.as_str() > after))
            .take(limit)
            .cloned()
            .collect())
    }

    fn count_aliases(&mut self, key_id: &str) -> Result<u64> {
        Ok(self.state.aliases.values().filter(|a| a.target_key_id == key_id).count() as u64)
    }
}
