//! Optional data key caching for one-shot sealing (off by default), as the AWS Encryption SDK's
//! caching materials manager: a data key and its encrypted copies are reused for further
//! messages until an age, message-count or byte-count limit is reached. Each message still gets
//! its own random message id, hence its own segment key and commitment.
//!
//! Trade-off (documented for callers): while a data key is cached, sealing does not call
//! `GenerateDataKey`, so disabling the wrapping key stops new data keys only once the entry
//! expires, and one data key protects several messages. Cached keys are zeroized when evicted.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use crate::clock::Millis;
use crate::error::{Error, Result};
use crate::secret::SecretBytes;

/// Limits of a [`DataKeyCache`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimits {
    /// An entry is used while its age is below this (milliseconds, by the store's clock); at
    /// exactly this age it is evicted. Required, at least 1.
    pub max_age_ms: Millis,
    /// Messages sealed with one data key, 1..=2^32 (default 2^32).
    pub max_messages: u64,
    /// Plaintext bytes sealed with one data key (default `u64::MAX`); a message larger than
    /// this is sealed with a data key of its own that is not cached.
    pub max_bytes: u64,
    /// Entries kept (one per wrapping-key list and encryption context); default 100.
    pub capacity: usize,
}

impl CacheLimits {
    /// Limits with the given maximum age and the defaults for the rest.
    pub fn with_max_age_ms(max_age_ms: Millis) -> Self {
        Self { max_age_ms, max_messages: 1 << 32, max_bytes: u64::MAX, capacity: 100 }
    }
}

pub(crate) struct Entry {
    data_key: SecretBytes,
    encrypted_data_keys: Vec<Vec<u8>>,
    created: Millis,
    messages: u64,
    bytes: u64,
}

/// The cache key: the wrapping keys as the caller named them and the canonical context.
type Slot = (Vec<String>, Vec<u8>);

/// A data key cache shared by the seals that name it in [`SealOptions::cache`]
/// (`Arc<DataKeyCache>`). Use one cache per store.
///
/// [`SealOptions::cache`]: super::SealOptions::cache
pub struct DataKeyCache {
    limits: CacheLimits,
    entries: Mutex<HashMap<Slot, Entry>>,
}

impl fmt::Debug for DataKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.entries.lock().map(|e| e.len()).unwrap_or(0);
        f.debug_struct("DataKeyCache").field("limits", &self.limits).field("entries", &len).finish()
    }
}

impl DataKeyCache {
    /// A new, empty cache.
    ///
    /// # Errors
    /// `ValidationException` when a limit is out of range.
    pub fn new(limits: CacheLimits) -> Result<Self> {
        if limits.max_age_ms < 1 {
            return Err(Error::validation("max_age_ms must be at least 1"));
        }
        if !(1..=1 << 32).contains(&limits.max_messages) {
            return Err(Error::validation("max_messages must be 1 to 2^32"));
        }
        if limits.max_bytes == 0 || limits.capacity == 0 {
            return Err(Error::validation("max_bytes and capacity must be at least 1"));
        }
        Ok(Self { limits, entries: Mutex::new(HashMap::new()) })
    }

    /// The limits.
    pub fn limits(&self) -> CacheLimits {
        self.limits
    }

    /// Entries currently held (expired ones included until their next use).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// True when the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry (their data keys are zeroized).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<Slot, Entry>>> {
        self.entries.lock().map_err(|_| Error::internal("the data key cache lock is poisoned"))
    }

    /// A cached data key and its encrypted copies for one more message of `bytes` bytes, if an
    /// entry is within all limits; an entry past a limit is evicted.
    pub(crate) fn take(
        &self,
        key_ids: &[String],
        context: &[u8],
        bytes: u64,
        now: Millis,
    ) -> Result<Option<(SecretBytes, Vec<Vec<u8>>)>> {
        let slot = (key_ids.to_vec(), context.to_vec());
        let mut entries = self.lock()?;
        let Some(entry) = entries.get_mut(&slot) else { return Ok(None) };
        let fresh = now.saturating_sub(entry.created) < self.limits.max_age_ms && now >= entry.created;
        let within = entry.messages < self.limits.max_messages
            && entry.bytes.checked_add(bytes).is_some_and(|b| b <= self.limits.max_bytes);
        if fresh && within {
            entry.messages += 1;
            entry.bytes += bytes;
            return Ok(Some((entry.data_key.clone(), entry.encrypted_data_keys.clone())));
        }
        if !fresh || entry.messages >= self.limits.max_messages {
            entries.remove(&slot);
        }
        Ok(None)
    }

    /// Caches a new data key that has just sealed one message of `bytes` bytes.
    pub(crate) fn put(
        &self,
        key_ids: &[String],
        context: &[u8],
        data_key: &SecretBytes,
        encrypted_data_keys: &[Vec<u8>],
        bytes: u64,
        now: Millis,
    ) -> Result<()> {
        if bytes > self.limits.max_bytes {
            return Ok(());
        }
        let mut entries = self.lock()?;
        entries.retain(|_, e| now.saturating_sub(e.created) < self.limits.max_age_ms);
        while entries.len() >= self.limits.capacity {
            let oldest = entries.iter().min_by_key(|(_, e)| e.created).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => entries.remove(&k),
                None => break,
            };
        }
        entries.insert(
            (key_ids.to_vec(), context.to_vec()),
            Entry {
                data_key: data_key.clone(),
                encrypted_data_keys: encrypted_data_keys.to_vec(),
                created: now,
                messages: 1,
                bytes,
            },
        );
        Ok(())
    }
}
