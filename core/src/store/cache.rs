//! The record cache of the SQLite backend: key records and aliases kept parsed in memory, so
//! that a call on an unchanged store runs no `SELECT` and parses no JSON.
//!
//! Validity is by *epoch*, one counter per [`crate::store::sqlite::SqliteStorage`]. Anything
//! that may have changed the database moves the epoch on, which empties the cache:
//! - every write transaction of this handle (bumped after its commit, before `write` returns);
//! - every commit by anyone else (another handle on the same folder, another process): each
//!   pooled connection remembers the `PRAGMA data_version` it last saw, and a read transaction
//!   that finds it changed bumps the epoch before it reads anything. SQLite changes a
//!   connection's `data_version` whenever *another* connection commits, so this covers every
//!   writer but the connection itself, whose own writes are the first case.
//!
//! A reader reads the epoch *before* it takes its snapshot, and may insert what it read only
//! while the epoch is still that value (checked under the cache lock): a reader whose snapshot
//! predates a commit cannot have noticed it, and whoever notices it (or the writer itself)
//! moves the epoch past the reader's, so stale records are never inserted after the change
//! becomes visible, and those inserted before are dropped by the bump. Serving from the cache
//! needs the same equality, so a call that begins after a write returned (in this process) or
//! after a commit by another process (which the call's own connection notices) reads the store.
//!
//! Entries hold no secrets (key records and aliases carry ids, states, dates and tags; key
//! material is cached separately, decrypted, in `SecretBytes`). The size is bounded: the oldest
//! entries are evicted first once [`CAPACITY`] records are held.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::keys::record::{AliasRecord, KeyRecord};

/// Records of each kind kept at most (a key record is about 1 KiB parsed).
pub(crate) const CAPACITY: usize = 4096;

/// A map that forgets its oldest insertions beyond a capacity.
pub(crate) struct Bounded<K, V> {
    capacity: usize,
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Eq + Hash + Clone, V> Bounded<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { capacity, map: HashMap::new(), order: VecDeque::new() }
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(key)
    }

    pub(crate) fn insert(&mut self, key: K, value: V) {
        if self.capacity == 0 {
            return;
        }
        if self.map.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
        }
        while self.map.len() > self.capacity {
            let Some(oldest) = self.order.pop_front() else { break };
            self.map.remove(&oldest);
        }
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.map.retain(|k, _| keep(k));
        self.order.retain(|k| keep(k));
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }
}

struct Entries {
    /// The epoch the entries were read at.
    epoch: u64,
    /// Key records by key id; `None` records that the key does not exist.
    keys: Bounded<String, Option<KeyRecord>>,
    /// Aliases by full name; `None` records that the alias does not exist.
    aliases: Bounded<String, Option<AliasRecord>>,
}

/// The cache of one storage handle.
pub(crate) struct RecordCache {
    epoch: AtomicU64,
    entries: Mutex<Entries>,
}

impl RecordCache {
    pub(crate) fn new() -> Self {
        Self {
            epoch: AtomicU64::new(0),
            entries: Mutex::new(Entries { epoch: 0, keys: Bounded::new(CAPACITY), aliases: Bounded::new(CAPACITY) }),
        }
    }

    /// The current epoch (read before a transaction takes its snapshot).
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Invalidates everything cached so far: the store may have changed.
    pub(crate) fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// The entries, if they are valid for a reader of `epoch`; emptied first when they are
    /// older than a still-current `epoch`.
    fn valid_for(&self, epoch: u64) -> Option<std::sync::MutexGuard<'_, Entries>> {
        let mut entries = self.entries.lock().ok()?;
        if entries.epoch != epoch {
            // Only the current epoch may (re)fill the cache: a reader of an older one may hold
            // records from before a change.
            if epoch != self.epoch() {
                return None;
            }
            entries.keys.clear();
            entries.aliases.clear();
            entries.epoch = epoch;
        }
        if epoch != self.epoch() {
            return None;
        }
        Some(entries)
    }

    /// A cached key record: `Some(None)` is a cached absence, `None` a miss.
    pub(crate) fn key(&self, epoch: u64, key_id: &str) -> Option<Option<KeyRecord>> {
        self.valid_for(epoch)?.keys.get(key_id).cloned()
    }

    pub(crate) fn put_key(&self, epoch: u64, key_id: &str, record: Option<&KeyRecord>) {
        if let Some(mut entries) = self.valid_for(epoch) {
            entries.keys.insert(key_id.to_owned(), record.cloned());
        }
    }

    /// A cached alias: `Some(None)` is a cached absence, `None` a miss.
    pub(crate) fn alias(&self, epoch: u64, name: &str) -> Option<Option<AliasRecord>> {
        self.valid_for(epoch)?.aliases.get(name).cloned()
    }

    pub(crate) fn put_alias(&self, epoch: u64, name: &str, record: Option<&AliasRecord>) {
        if let Some(mut entries) = self.valid_for(epoch) {
            entries.aliases.insert(name.to_owned(), record.cloned());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_oldest_entries_go_first_beyond_the_capacity() {
        let mut map = Bounded::new(2);
        map.insert("a", 1);
        map.insert("b", 2);
        map.insert("a", 3);
        map.insert("c", 4);
        assert_eq!((map.get("a"), map.get("b"), map.get("c")), (None, Some(&2), Some(&4)));
        map.retain(|k| *k != "c");
        assert_eq!(map.get("c"), None);
        assert_eq!(map.map.len(), map.order.len());
    }

    #[test]
    fn a_bump_hides_entries_and_refuses_inserts_of_older_readers() {
        let cache = RecordCache::new();
        let alias = AliasRecord { name: "alias/x".into(), target_key_id: "k".into(), created_ms: 1, updated_ms: 1 };
        let before = cache.epoch();
        cache.put_alias(before, "alias/x", Some(&alias));
        assert_eq!(cache.alias(before, "alias/x"), Some(Some(alias.clone())));
        cache.put_alias(before, "alias/none", None);
        assert_eq!(cache.alias(before, "alias/none"), Some(None));
        cache.bump();
        let after = cache.epoch();
        assert_eq!(cache.alias(after, "alias/x"), None, "a change empties the cache");
        // A reader that took its snapshot before the change must not put back what it read.
        cache.put_alias(before, "alias/x", Some(&alias));
        assert_eq!(cache.alias(after, "alias/x"), None);
        assert_eq!(cache.alias(before, "alias/x"), None);
        cache.put_alias(after, "alias/x", Some(&alias));
        assert_eq!(cache.alias(after, "alias/x"), Some(Some(alias)));
    }
}
