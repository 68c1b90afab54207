//! Metrics: per (operation, key, outcome) request counters and latency histograms, the last use
//! of each key (like AWS `GetKeyLastUsage`), a usage report with a cost estimate, and the
//! Prometheus text exposition (format 0.0.4).
//!
//! Recording sits on every call, so it takes no lock: keys and their (operation, outcome)
//! series live in append-only hash tables whose slots are `OnceLock`s (`AppendMap`): a
//! lookup is a hash and a few atomic loads, a new entry is one slot initialization, and
//! entries are never moved or removed, so readers never wait for writers. A record is then
//! two relaxed atomic additions (and, when they changed, two stores of the last use). `KEYSTEAD_PROFILE=metrics
//! cargo bench -p keystead-bench --bench access` measures it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Millis, SystemClock};
use crate::error::{ErrorKind, Result};

/// The AWS KMS operations (the service model's 54) plus Keystead's own, sorted for lookup.
const KNOWN_OPERATIONS: &[&str] = &[
    "CancelKeyDeletion",
    "ConnectCustomKeyStore",
    "CreateAccessKey",
    "CreateAlias",
    "CreateCustomKeyStore",
    "CreateGrant",
    "CreateKey",
    "Decrypt",
    "DeleteAccessKey",
    "DeleteAlias",
    "DeleteCustomKeyStore",
    "DeleteImportedKeyMaterial",
    "DeleteKey",
    "DeriveSharedSecret",
    "DescribeCustomKeyStores",
    "DescribeKey",
    "DisableKey",
    "DisableKeyRotation",
    "DisconnectCustomKeyStore",
    "EnableKey",
    "EnableKeyRotation",
    "Encrypt",
    "Explain",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "GetKeyLastUsage",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "GetPublicKey",
    "ImportKeyMaterial",
    "ListAliases",
    "ListGrants",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ListRetirableGrants",
    "PutKeyPolicy",
    "ReEncrypt",
    "ReplicateKey",
    "RetireGrant",
    "RevokeGrant",
    "RotateKey",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "Sign",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateCustomKeyStore",
    "UpdateKeyDescription",
    "UpdatePrimaryRegion",
    "Verify",
    "VerifyMac",
];

/// Operation names learned at run time beyond [`KNOWN_OPERATIONS`]; past this many, further
/// names count as `Other` so a caller cannot grow the label set without bound.
const MAX_EXTRA_OPERATIONS: usize = 64;
/// The name unknown operations fall into once the table is full.
const OTHER_OPERATION: &str = "Other";

/// Histogram upper bounds: 2^(10 + 2i) nanoseconds, i = 0..13 (1.024 µs to 17.2 s), then +Inf.
const BUCKETS: usize = 13;

/// The upper bound of bucket `i` in seconds.
fn bucket_bound_seconds(i: usize) -> f64 {
    (1u64 << (10 + 2 * i)) as f64 / 1e9
}

/// The bucket of a duration: the smallest i with nanos <= 2^(10 + 2i), or BUCKETS for +Inf.
fn bucket_of(nanos: u64) -> usize {
    if nanos <= 1 << 10 {
        return 0;
    }
    let bits = 64 - (nanos - 1).leading_zeros() as usize; // ceil(log2(nanos))
    (bits - 10).div_ceil(2).min(BUCKETS)
}

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It succeeded.
    Ok,
    /// It failed because of the request (AWS's 4xx errors), except access denied.
    ClientError(ErrorKind),
    /// No policy or grant allowed it (`AccessDeniedException`).
    Denied,
    /// It failed inside Keystead (AWS's 5xx errors: `KMSInternalException`, timeouts...).
    ServerError(ErrorKind),
}

impl Outcome {
    /// The outcome of a call's result.
    pub fn of<T>(result: &Result<T>) -> Self {
        match result {
            Ok(_) => Self::Ok,
            Err(e) => Self::of_error(e.kind()),
        }
    }

    /// The outcome of a failure of `kind`.
    pub fn of_error(kind: ErrorKind) -> Self {
        if kind == ErrorKind::AccessDenied {
            Self::Denied
        } else if kind.http_status() >= 500 {
            Self::ServerError(kind)
        } else {
            Self::ClientError(kind)
        }
    }

    /// The `outcome` label: `ok`, `client_error`, `denied` or `server_error`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ClientError(_) => "client_error",
            Self::Denied => "denied",
            Self::ServerError(_) => "server_error",
        }
    }

    /// The `error_code` label: the exception name, empty for success.
    pub fn error_code(self) -> &'static str {
        match self {
            Self::Ok => "",
            Self::Denied => ErrorKind::AccessDenied.exception_name(),
            Self::ClientError(kind) | Self::ServerError(kind) => kind.exception_name(),
        }
    }

    fn index(self) -> u16 {
        let kind_index = |kind: ErrorKind| ErrorKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u16;
        match self {
            Self::Ok => 0,
            Self::Denied => 1,
            Self::ClientError(kind) => 2 + kind_index(kind),
            Self::ServerError(kind) => 2 + ErrorKind::ALL.len() as u16 + kind_index(kind),
        }
    }

    fn from_index(index: u16) -> Self {
        let kinds = ErrorKind::ALL.len() as u16;
        match index {
            0 => Self::Ok,
            1 => Self::Denied,
            i if i < 2 + kinds => Self::ClientError(ErrorKind::ALL[usize::from(i - 2)]),
            i => Self::ServerError(ErrorKind::ALL[usize::from(i - 2 - kinds).min(ErrorKind::ALL.len() - 1)]),
        }
    }
}

/// One (key, operation, outcome) series. No separate count: the buckets sum to it (the snapshot
/// reports the +Inf bucket), which saves one atomic add per call. Aligned to cache lines so
/// that two threads counting different series never write the same line (false sharing
/// tripled the cost of a record from two threads).
#[derive(Default)]
#[repr(align(64))]
struct Series {
    sum_nanos: AtomicU64,
    buckets: [AtomicU64; BUCKETS + 1],
}

struct KeyStats {
    /// Epoch ms of the last call, 0 if none.
    last_used_ms: AtomicI64,
    /// Operation index + 1 of the last call, 0 if none.
    last_operation: AtomicU32,
    /// Series by `operation << 16 | outcome`. Most keys see a handful of combinations, so
    /// the first table is small; 12 tables hold 32,760 slots, more than the 7,626 possible
    /// combinations (123 operation names times 62 outcomes).
    series: AppendMap<u32, Box<Series>, 12>,
}

impl KeyStats {
    fn new(seed: Seed) -> Self {
        Self { last_used_ms: AtomicI64::new(0), last_operation: AtomicU32::new(0), series: AppendMap::new(seed, 8) }
    }

    fn record(&self, slot: u32, nanos: u64, bucket: usize) {
        if let Some(series) = self.series.get_or_insert_with(&slot, || slot, Box::default) {
            series.add(nanos, bucket);
        }
    }
}

/// Probes per table before a key moves on to the next (larger) table.
const PROBES: usize = 8;

/// One slot: the key's hash (compared before the key), the key and its value.
type Slot<K, V> = OnceLock<(u64, K, V)>;

/// One table, allocated when first needed: its slots and, beside them, a hint per slot (the
/// slot's hash with the low bit set, or 0 while not yet known). A probe reads the hints first:
/// eight of them share a cache line, where eight slots span six, so passing over the full
/// windows of the smaller tables costs one line each instead of eight `OnceLock` loads.
struct Table<K, V> {
    hints: Box<[AtomicU64]>,
    slots: Box<[Slot<K, V>]>,
}

impl<K, V> Table<K, V> {
    fn new(len: usize) -> Self {
        Self {
            hints: (0..len).map(|_| AtomicU64::new(0)).collect(),
            slots: (0..len).map(|_| OnceLock::new()).collect(),
        }
    }
}

/// A slot's hint for `hash`: never 0, which means "not known yet, look at the slot".
fn hint_of(hash: u64) -> u64 {
    hash | 1
}

/// An append-only concurrent hash map without locks (and without unsafe code): a chain of
/// open-addressing tables of `OnceLock` slots, each table twice the size of the one before,
/// allocated when first needed.
///
/// A key lives in the first table where one of its `PROBES` slots was free or its own when it
/// was inserted. Slots are filled once and never emptied, so a window that was full stays full,
/// and a lookup can stop at the first empty slot it meets: the key was never inserted beyond
/// it. Two threads inserting into one slot meet in `OnceLock::get_or_init`: one fills it, the
/// other sees the result (its own key, or another that makes it probe on).
/// `N` tables: table `i` has `base << i` slots.
struct AppendMap<K, V, const N: usize> {
    seed: Seed,
    base: usize,
    tables: [OnceLock<Table<K, V>>; N],
}

impl<K: Eq + Hash, V, const N: usize> AppendMap<K, V, N> {
    fn new(seed: Seed, base: usize) -> Self {
        Self { seed, base: base.next_power_of_two(), tables: std::array::from_fn(|_| OnceLock::new()) }
    }

    fn hash_of<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.seed.hash_one(key)
    }

    fn window(&self, level: usize, hash: u64) -> impl Iterator<Item = usize> {
        let mask = (self.base << level) - 1;
        // The top bits pick the start (the low bits of an Fx-style hash mix less).
        let start = (hash.rotate_left(32) as usize) & mask;
        (0..PROBES.min(mask + 1)).map(move |i| (start + i) & mask)
    }

    /// The value of `key`, if present.
    fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash_of(key);
        let hint = hint_of(hash);
        for (level, table) in self.tables.iter().enumerate() {
            let table = table.get()?;
            for at in self.window(level, hash) {
                // A hint is stored (Release) after its slot is filled, so a hint seen (Acquire)
                // means the slot is seen filled too; another key's hint skips the slot.
                let seen = table.hints[at].load(Ordering::Acquire);
                if seen != 0 && seen != hint {
                    continue;
                }
                match table.slots[at].get() {
                    None => return None,
                    Some((h, k, v)) if *h == hash && k.borrow() == key => return Some(v), // ct-ok: a hash-table slot hash of a public metric key
                    Some(_) => {}
                }
            }
        }
        None
    }

    /// The value of `key`, inserting `value()` under `owned()` if it is absent. `None` only
    /// if every table is full (`base << N` slots: more than the map can ever hold).
    fn get_or_insert_with<Q>(&self, key: &Q, owned: impl FnOnce() -> K, value: impl FnOnce() -> V) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(v) = self.get(key) {
            return Some(v);
        }
        let hash = self.hash_of(key);
        let mut entry = (hash, owned(), value());
        for (level, table) in self.tables.iter().enumerate() {
            let table = table.get_or_init(|| Table::new(self.base << level));
            for at in self.window(level, hash) {
                // `set` waits for a concurrent initialization of the slot and hands the entry
                // back if the slot is taken, by this key (another thread won) or another.
                match table.slots[at].set(entry) {
                    Ok(()) => {
                        let filled = table.slots[at].get();
                        if let Some((h, _, _)) = filled {
                            table.hints[at].store(hint_of(*h), Ordering::Release);
                        }
                        return filled.map(|(_, _, v)| v);
                    }
                    Err(back) => entry = back,
                }
                if let Some((h, k, v)) = table.slots[at].get() {
                    // Every thread that sees the slot filled publishes the same hint.
                    table.hints[at].store(hint_of(*h), Ordering::Release);
                    let same = *h == hash && k.borrow() == key; // ct-ok: a hash-table slot hash of a public metric key
                    if same {
                        return Some(v);
                    }
                }
            }
        }
        None
    }

    /// Every entry, in no particular order.
    fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.tables
            .iter()
            .filter_map(OnceLock::get)
            .flat_map(|table| table.slots.iter().filter_map(OnceLock::get))
            .map(|(_, k, v)| (k, v))
    }
}

impl Series {
    fn add(&self, nanos: u64, bucket: usize) {
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
    }
}

/// Counters, histograms and last-use times of one store handle (share it between threads).
pub struct Metrics {
    /// Per key id; 32 tables from 256 slots hold a trillion keys.
    keys: AppendMap<String, Box<KeyStats>, 32>,
    no_key: KeyStats,
    extra_operations: RwLock<Vec<String>>,
    clock: Arc<dyn Clock>,
    started_ms: Millis,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("started_ms", &self.started_ms).finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// A fast keyed hash for the metrics maps (FxHash's word-at-a-time mixing with a per-instance
/// random seed). Keys are store-issued key ids, so SipHash's full HashDoS resistance is not
/// needed, and hashing a 36-byte id costs a few nanoseconds instead of ~25.
#[derive(Clone, Copy)]
struct SeededHasher {
    hash: u64,
}

const FX_MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;

impl SeededHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_MULTIPLIER);
    }
}

impl Hasher for SeededHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Builds [`SeededHasher`]s from one random seed.
#[derive(Clone, Copy)]
struct Seed(u64);

impl BuildHasher for Seed {
    type Hasher = SeededHasher;

    fn build_hasher(&self) -> SeededHasher {
        SeededHasher { hash: self.0 }
    }
}

impl Seed {
    fn random() -> Self {
        let mut bytes = [0u8; 8];
        // A zero seed still works (the hash stays well mixed); randomness only hardens it.
        let _ = openssl::rand::rand_bytes(&mut bytes);
        Self(u64::from_le_bytes(bytes))
    }
}

/// The index of each name in [`KNOWN_OPERATIONS`] (a hash lookup instead of ~6 string
/// comparisons of a binary search).
static OPERATION_INDEX: LazyLock<HashMap<&'static str, u16, Seed>> = LazyLock::new(|| {
    let mut map = HashMap::with_capacity_and_hasher(KNOWN_OPERATIONS.len(), Seed::random());
    map.extend(KNOWN_OPERATIONS.iter().enumerate().map(|(i, name)| (*name, i as u16)));
    map
});

impl Metrics {
    /// Empty metrics on the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// Empty metrics whose last-use times come from `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        let seed = Seed::random();
        Self {
            keys: AppendMap::new(seed, 256),
            no_key: KeyStats::new(seed),
            extra_operations: RwLock::new(Vec::new()),
            started_ms: clock.now_ms(),
            clock,
        }
    }

    fn operation_index(&self, operation: &str) -> u16 {
        if let Some(&i) = OPERATION_INDEX.get(operation) {
            return i;
        }
        let base = KNOWN_OPERATIONS.len();
        if let Ok(extra) = self.extra_operations.read() {
            if let Some(i) = extra.iter().position(|o| o == operation) {
                return (base + i) as u16;
            }
        }
        let Ok(mut extra) = self.extra_operations.write() else { return base as u16 };
        if let Some(i) = extra.iter().position(|o| o == operation) {
            return (base + i) as u16;
        }
        if extra.len() < MAX_EXTRA_OPERATIONS {
            extra.push(operation.to_owned());
            return (base + extra.len() - 1) as u16;
        }
        match extra.iter().position(|o| o == OTHER_OPERATION) {
            Some(i) => (base + i) as u16,
            None => {
                // The table is full: the last slot becomes the catch-all.
                extra.pop();
                extra.push(OTHER_OPERATION.to_owned());
                (base + extra.len() - 1) as u16
            }
        }
    }

    fn operation_name(&self, index: u16) -> String {
        let index = usize::from(index);
        match KNOWN_OPERATIONS.get(index) {
            Some(name) => (*name).to_owned(),
            None => self
                .extra_operations
                .read()
                .ok()
                .and_then(|extra| extra.get(index - KNOWN_OPERATIONS.len()).cloned())
                .unwrap_or_else(|| OTHER_OPERATION.to_owned()),
        }
    }

    /// Counts one call of `operation` (the AWS operation name) on `key_id` (the key id, not an
    /// alias or ARN; `None` for calls without a key) that ended with `outcome` after `elapsed`.
    pub fn record(&self, operation: &str, key_id: Option<&str>, outcome: Outcome, elapsed: Duration) {
        let op = self.operation_index(operation);
        let slot = u32::from(op) << 16 | u32::from(outcome.index());
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = bucket_of(nanos);
        let Some(key_id) = key_id else {
            self.no_key.record(slot, nanos, bucket);
            return;
        };
        let seed = self.keys.seed;
        let Some(stats) = self.keys.get_or_insert_with(key_id, || key_id.to_owned(), || Box::new(KeyStats::new(seed)))
        else {
            return;
        };
        stats.record(slot, nanos, bucket);
        // Only successful calls are a use of the key (AWS tracks completed operations).
        if outcome == Outcome::Ok {
            // The coarse clock (a few ms behind, a few ns to read): last use is reported in
            // whole milliseconds and AWS's own tracking is far coarser.
            // Stored only when changed: these share a cache line with the key's series table,
            // which every thread counting this key reads.
            let now = self.clock.now_ms_coarse();
            if stats.last_used_ms.load(Ordering::Relaxed) != now {
                stats.last_used_ms.store(now, Ordering::Relaxed);
            }
            let last = u32::from(op) + 1;
            if stats.last_operation.load(Ordering::Relaxed) != last {
                stats.last_operation.store(last, Ordering::Relaxed);
            }
        }
    }

    /// When `key_id` was last used successfully, and by which operation (like AWS
    /// `GetKeyLastUsage`); `None` if not since these metrics started.
    pub fn key_last_usage(&self, key_id: &str) -> Option<KeyLastUsage> {
        let stats = self.keys.get(key_id)?;
        self.last_usage_of(key_id, stats)
    }

    fn last_usage_of(&self, key_id: &str, stats: &KeyStats) -> Option<KeyLastUsage> {
        let op = stats.last_operation.load(Ordering::Relaxed);
        let at = stats.last_used_ms.load(Ordering::Relaxed);
        if op == 0 {
            return None;
        }
        Some(KeyLastUsage {
            key_id: key_id.to_owned(),
            operation: self.operation_name((op - 1) as u16),
            timestamp_ms: at,
            tracking_start_ms: self.started_ms,
        })
    }

    /// A consistent-enough copy of every counter (each series is read atomically per field;
    /// calls recorded meanwhile may be partly included).
    pub fn snapshot(&self) -> MetricsSnapshot {
        let mut series = Vec::new();
        let mut last_usage = Vec::new();
        let mut collect = |key_id: Option<&str>, stats: &KeyStats| {
            {
                for (slot, s) in stats.series.iter() {
                    let outcome = Outcome::from_index((slot & 0xffff) as u16);
                    let mut cumulative = 0;
                    let buckets = s
                        .buckets
                        .iter()
                        .map(|b| {
                            cumulative += b.load(Ordering::Relaxed);
                            cumulative
                        })
                        .collect::<Vec<u64>>();
                    series.push(SeriesSnapshot {
                        operation: self.operation_name((slot >> 16) as u16),
                        key_id: key_id.map(str::to_owned),
                        outcome: outcome.label().to_owned(),
                        error_code: outcome.error_code().to_owned(),
                        // The count is the +Inf bucket, so count and buckets always agree.
                        count: cumulative,
                        sum_seconds: s.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
                        cumulative_buckets: buckets,
                    });
                }
            }
            if let Some(key_id) = key_id {
                last_usage.extend(self.last_usage_of(key_id, stats));
            }
        };
        collect(None, &self.no_key);
        for (key_id, stats) in self.keys.iter() {
            collect(Some(key_id), stats);
        }
        series.sort_by(|a, b| {
            (&a.operation, &a.key_id, &a.outcome, &a.error_code).cmp(&(
                &b.operation,
                &b.key_id,
                &b.outcome,
                &b.error_code,
            ))
        });
        last_usage.sort_by(|a, b| a.key_id.cmp(&b.key_id));
        MetricsSnapshot {
            taken_at_ms: self.clock.now_ms(),
            since_ms: self.started_ms,
            bucket_bounds_seconds: (0..BUCKETS).map(bucket_bound_seconds).collect(),
            series,
            last_usage,
        }
    }
}

/// The last use of a key (AWS `GetKeyLastUsage`'s `KeyLastUsage` and `TrackingStartDate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLastUsage {
    /// The key id.
    pub key_id: String,
    /// The operation of the last successful call.
    pub operation: String,
    /// When it happened (epoch ms).
    pub timestamp_ms: Millis,
    /// Since when calls are tracked (epoch ms): when these metrics started.
    pub tracking_start_ms: Millis,
}

/// One (operation, key, outcome) series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesSnapshot {
    /// The operation name.
    pub operation: String,
    /// The key id (`None` for calls without a key).
    pub key_id: Option<String>,
    /// `ok`, `client_error`, `denied` or `server_error`.
    pub outcome: String,
    /// The exception name, empty for success.
    pub error_code: String,
    /// Calls.
    pub count: u64,
    /// Total latency in seconds.
    pub sum_seconds: f64,
    /// Calls that took at most each bound of [`MetricsSnapshot::bucket_bounds_seconds`], and
    /// last, all calls (+Inf).
    pub cumulative_buckets: Vec<u64>,
}

/// A copy of the metrics at one time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    /// When the snapshot was taken (epoch ms).
    pub taken_at_ms: Millis,
    /// When counting started (epoch ms).
    pub since_ms: Millis,
    /// The histogram bucket upper bounds in seconds (+Inf not listed).
    pub bucket_bounds_seconds: Vec<f64>,
    /// Every series, by operation, key and outcome.
    pub series: Vec<SeriesSnapshot>,
    /// The last use of each key used successfully.
    pub last_usage: Vec<KeyLastUsage>,
}

/// Escapes a Prometheus label value (backslash, double quote, line feed).
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A float as Prometheus prints it.
fn number(value: f64) -> String {
    if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else if value.is_nan() {
        "NaN".to_owned()
    } else {
        format!("{value}")
    }
}

impl MetricsSnapshot {
    /// The Prometheus text exposition format 0.0.4 (`Content-Type: text/plain; version=0.0.4`).
    pub fn to_prometheus(&self) -> String {
        let mut out = String::new();
        let labels = |s: &SeriesSnapshot| {
            format!(
                "operation=\"{}\",key_id=\"{}\",outcome=\"{}\",error_code=\"{}\"",
                label_value(&s.operation),
                label_value(s.key_id.as_deref().unwrap_or("")),
                s.outcome,
                s.error_code
            )
        };
        out.push_str("# HELP keystead_requests_total Calls handled, by operation, key, outcome and error code.\n");
        out.push_str("# TYPE keystead_requests_total counter\n");
        for s in &self.series {
            let _ = writeln!(out, "keystead_requests_total{{{}}} {}", labels(s), s.count);
        }
        out.push_str(
            "# HELP keystead_request_duration_seconds Call latency, by operation, key, outcome and error code.\n",
        );
        out.push_str("# TYPE keystead_request_duration_seconds histogram\n");
        for s in &self.series {
            let l = labels(s);
            for (i, cumulative) in s.cumulative_buckets.iter().enumerate() {
                let le = self.bucket_bounds_seconds.get(i).map_or_else(|| "+Inf".to_owned(), |b| number(*b));
                let _ = writeln!(out, "keystead_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {cumulative}");
            }
            let _ = writeln!(out, "keystead_request_duration_seconds_sum{{{l}}} {}", number(s.sum_seconds));
            let _ = writeln!(out, "keystead_request_duration_seconds_count{{{l}}} {}", s.count);
        }
        out.push_str("# HELP keystead_key_last_used_timestamp_seconds When a key was last used successfully.\n");
        out.push_str("# TYPE keystead_key_last_used_timestamp_seconds gauge\n");
        for u in &self.last_usage {
            let _ = writeln!(
                out,
                "keystead_key_last_used_timestamp_seconds{{key_id=\"{}\",operation=\"{}\"}} {}",
                label_value(&u.key_id),
                label_value(&u.operation),
                number(u.timestamp_ms as f64 / 1000.0)
            );
        }
        out
    }

    /// Calls per key and operation (all outcomes: AWS bills failed requests too) with a cost
    /// estimate at `pricing`.
    pub fn usage_report(&self, pricing: &Pricing) -> UsageReport {
        let mut lines: BTreeMap<(String, String), u64> = BTreeMap::new();
        for s in &self.series {
            *lines.entry((s.key_id.clone().unwrap_or_default(), s.operation.clone())).or_default() += s.count;
        }
        let lines: Vec<UsageLine> = lines
            .into_iter()
            .map(|((key_id, operation), requests)| {
                let rate = pricing.rate_per_10k(&operation);
                UsageLine {
                    key_id: (!key_id.is_empty()).then_some(key_id),
                    request_cost_usd: requests as f64 * rate / 10_000.0,
                    operation,
                    requests,
                }
            })
            .collect();
        let requests: u64 = lines.iter().map(|l| l.requests).sum();
        let billable = requests.saturating_sub(pricing.free_requests);
        let average_rate =
            if requests == 0 { 0.0 } else { lines.iter().map(|l| l.request_cost_usd).sum::<f64>() / requests as f64 };
        let keys = lines.iter().filter_map(|l| l.key_id.as_deref()).collect::<std::collections::BTreeSet<_>>().len();
        let days = (self.taken_at_ms - self.since_ms).max(0) as f64 / 86_400_000.0;
        UsageReport {
            since_ms: self.since_ms,
            until_ms: self.taken_at_ms,
            requests,
            request_cost_usd: billable as f64 * average_rate,
            keys_used: keys as u64,
            key_storage_cost_usd: keys as f64 * pricing.key_month_usd * days / 30.0,
            lines,
            pricing: pricing.clone(),
        }
    }
}

/// Prices for the usage report's estimate, in US dollars.
///
/// [`Pricing::default`] is AWS KMS's published price list for us-east-1
/// (aws.amazon.com/kms/pricing, read Nov 2026; anchors.md lists no prices): $1 per key and
/// month (rotated backing keys add $1 each, not counted here: metrics do not know rotations),
/// $0.03 per 10,000 requests, 20,000 free requests a month. AWS charges more for some
/// asymmetric requests; set those with [`Pricing::with_rate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    /// Price of one key for one month.
    pub key_month_usd: f64,
    /// Price of 10,000 requests of an operation not in `operation_rates`.
    pub default_per_10k_usd: f64,
    /// Per-operation prices of 10,000 requests.
    pub operation_rates: BTreeMap<String, f64>,
    /// Requests not charged (AWS's free tier is per month; the report subtracts it once).
    pub free_requests: u64,
}

impl Default for Pricing {
    fn default() -> Self {
        Self { key_month_usd: 1.0, default_per_10k_usd: 0.03, operation_rates: BTreeMap::new(), free_requests: 20_000 }
    }
}

impl Pricing {
    /// Sets the price of 10,000 requests of `operation`.
    pub fn with_rate(mut self, operation: &str, per_10k_usd: f64) -> Self {
        self.operation_rates.insert(operation.to_owned(), per_10k_usd);
        self
    }

    fn rate_per_10k(&self, operation: &str) -> f64 {
        self.operation_rates.get(operation).copied().unwrap_or(self.default_per_10k_usd)
    }
}

/// Requests of one operation on one key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageLine {
    /// The key (`None`: calls without a key).
    pub key_id: Option<String>,
    /// The operation.
    pub operation: String,
    /// Calls, all outcomes.
    pub requests: u64,
    /// `requests` at the operation's rate, before the free tier.
    pub request_cost_usd: f64,
}

/// Usage per key and operation with a cost estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageReport {
    /// Start of the period (epoch ms).
    pub since_ms: Millis,
    /// End of the period (epoch ms).
    pub until_ms: Millis,
    /// Calls in the period.
    pub requests: u64,
    /// Request cost after the free requests.
    pub request_cost_usd: f64,
    /// Keys used in the period.
    pub keys_used: u64,
    /// Storage cost of the keys used, prorated over the period.
    pub key_storage_cost_usd: f64,
    /// Per key and operation.
    pub lines: Vec<UsageLine>,
    /// The prices used.
    pub pricing: Pricing,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn operation_table_is_sorted() {
        let mut sorted = KNOWN_OPERATIONS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, KNOWN_OPERATIONS);
    }

    #[test]
    fn buckets_are_log_scale_and_inclusive() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1024), 0);
        assert_eq!(bucket_of(1025), 1);
        assert_eq!(bucket_of(4096), 1);
        assert_eq!(bucket_of(4097), 2);
        assert_eq!(bucket_of(1 << 34), 12);
        assert_eq!(bucket_of((1 << 34) + 1), BUCKETS);
        assert_eq!(bucket_of(u64::MAX), BUCKETS);
        for i in 0..BUCKETS {
            let bound = (bucket_bound_seconds(i) * 1e9).round() as u64;
            assert_eq!(bucket_of(bound), i);
            assert_eq!(bucket_of(bound + 1), i + 1);
        }
    }

    #[test]
    fn outcomes_round_trip_through_their_index() {
        for kind in ErrorKind::ALL {
            for outcome in [Outcome::ClientError(kind), Outcome::ServerError(kind)] {
                assert_eq!(Outcome::from_index(outcome.index()), outcome);
            }
        }
        assert_eq!(Outcome::from_index(Outcome::Ok.index()), Outcome::Ok);
        assert_eq!(Outcome::from_index(Outcome::Denied.index()), Outcome::Denied);
        assert_eq!(Outcome::of_error(ErrorKind::AccessDenied), Outcome::Denied);
        assert_eq!(Outcome::of_error(ErrorKind::Internal), Outcome::ServerError(ErrorKind::Internal));
        assert_eq!(Outcome::of_error(ErrorKind::NotFound), Outcome::ClientError(ErrorKind::NotFound));
    }

    #[test]
    fn append_map_finds_every_key_once_under_concurrent_inserts() {
        // A tiny first table forces keys through many tables and full probe windows.
        let map: AppendMap<String, Box<AtomicU64>, 24> = AppendMap::new(Seed::random(), 2);
        let keys: Vec<String> = (0..3000).map(|i| format!("key-{i}")).collect();
        std::thread::scope(|scope| {
            for t in 0..8u64 {
                let (map, keys) = (&map, &keys);
                scope.spawn(move || {
                    // Every thread inserts every key, in a different order, and counts one use.
                    for i in 0..keys.len() {
                        let key = &keys[(i * 7 + t as usize * 389) % keys.len()];
                        let value = map.get_or_insert_with(key.as_str(), || key.clone(), Box::default).unwrap();
                        value.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        let mut seen: Vec<(&String, u64)> = map.iter().map(|(k, v)| (k, v.load(Ordering::Relaxed))).collect();
        seen.sort();
        assert_eq!(seen.len(), keys.len(), "each key exactly once");
        assert!(seen.iter().all(|(_, uses)| *uses == 8), "every thread found the one entry of each key");
        assert!(map.get("key-17").is_some());
        assert!(map.get("key-3000").is_none());
        assert!(map.tables.iter().filter(|t| t.get().is_some()).count() > 5);
    }

    #[test]
    fn unknown_operations_are_bounded() {
        let metrics = Metrics::new();
        for i in 0..200 {
            metrics.record(&format!("Op{i}"), None, Outcome::Ok, Duration::from_micros(1));
        }
        let snapshot = metrics.snapshot();
        let names: std::collections::BTreeSet<_> = snapshot.series.iter().map(|s| s.operation.clone()).collect();
        assert_eq!(names.len(), MAX_EXTRA_OPERATIONS);
        assert!(names.contains(OTHER_OPERATION));
        assert_eq!(snapshot.series.iter().map(|s| s.count).sum::<u64>(), 200);
    }

    #[test]
    fn last_usage_tracks_successful_calls_only() {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let metrics = Metrics::with_clock(clock.clone());
        assert!(metrics.key_last_usage("k").is_none());
        metrics.record("Encrypt", Some("k"), Outcome::Ok, Duration::from_micros(5));
        clock.advance_ms(500);
        metrics.record("Decrypt", Some("k"), Outcome::ClientError(ErrorKind::InvalidCiphertext), Duration::ZERO);
        let usage = metrics.key_last_usage("k").unwrap();
        assert_eq!((usage.operation.as_str(), usage.timestamp_ms), ("Encrypt", 1_000_000));
        clock.advance_ms(500);
        metrics.record("Sign", Some("k"), Outcome::Ok, Duration::ZERO);
        let usage = metrics.key_last_usage("k").unwrap();
        assert_eq!((usage.operation.as_str(), usage.timestamp_ms), ("Sign", 1_001_000));
        assert_eq!(usage.tracking_start_ms, 1_000_000);
    }
}
