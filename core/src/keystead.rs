//! The store handle: opening, the root key, the material cache, key resolution and the sweep
//! that destroys expired keys and performs due rotations.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use crate::audit::{AuditEvent, AuditLog, AuditOptions};
use crate::calls::params;
use crate::clock::{Clock, Millis, SystemClock};
use crate::crypto::primitives::random_bytes;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::id::{managed_service, parse_key_ref, KeyRef, StoreIdentity};
use crate::keys::record::{KeyRecord, MaterialRecord};
use crate::keys::spec::{KeyState, RotationType};
use crate::metrics::Metrics;
use crate::policy::authorize::PolicyCache;
use crate::policy::principal::Principal;
use crate::secret::SecretBytes;
use crate::store::cache::Bounded;
use crate::store::memory::MemoryStorage;
use crate::store::rootkey::{
    finish_staged_key_file, prepare_next_root_key, root_key_for_existing_store, root_key_for_new_store, RecordKind,
    RootKey, RootKeySource, SETTING_CHECK, SETTING_KDF,
};
use crate::store::sqlite::SqliteStorage;
use crate::store::{Storage, Txn};

/// File name of the SQLite database inside a store folder.
pub const DATABASE_FILE_NAME: &str = "keystead.db";
/// Region used in ARNs when none is configured at creation.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Account id used in ARNs when none is configured at creation.
pub const DEFAULT_ACCOUNT_ID: &str = "111122223333";
/// Decrypted materials kept in memory by default.
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;
/// Longest time a handle goes without looking for due deletions and rotations made visible by
/// other processes.
const SWEEP_INTERVAL_MS: Millis = 60_000;

const SETTING_REGION: &str = "store.region";
const SETTING_ACCOUNT: &str = "store.account";
const SETTING_PARTITION: &str = "store.partition";

/// Options for opening or creating a store. Region and account apply only when the store is
/// created; an existing store keeps the identity it was created with.
pub struct KeysteadBuilder {
    root_key: RootKeySource,
    region: String,
    account_id: String,
    clock: Arc<dyn Clock>,
    cache_capacity: usize,
    audit: Option<AuditOptions>,
}

impl Default for KeysteadBuilder {
    fn default() -> Self {
        Self {
            root_key: RootKeySource::default(),
            region: DEFAULT_REGION.into(),
            account_id: DEFAULT_ACCOUNT_ID.into(),
            clock: Arc::new(SystemClock),
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            audit: Some(AuditOptions::default()),
        }
    }
}

impl KeysteadBuilder {
    /// Where the root key comes from (default: `<folder>/root.key`).
    pub fn root_key(mut self, source: RootKeySource) -> Self {
        self.root_key = source;
        self
    }

    /// The Region named in ARNs of a new store (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The 12-digit account id named in ARNs of a new store (default `111122223333`).
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = account_id.into();
        self
    }

    /// The clock (tests pass a [`crate::ManualClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How many decrypted materials to keep in memory (0 disables the cache).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// The audit log's options (default: on, batched durability, in `<folder>/audit/`). Every
    /// call of a store opened from a folder appends an audit event; a call whose event cannot be
    /// written fails (fail closed). Stores held in memory are not audited.
    pub fn audit(mut self, options: AuditOptions) -> Self {
        self.audit = Some(options);
        self
    }

    /// Turns the audit log off (calls are still counted in the metrics).
    pub fn without_audit(mut self) -> Self {
        self.audit = None;
        self
    }

    /// Opens the store in folder `dir`, creating the folder and the store if they do not exist.
    pub fn open(self, dir: impl AsRef<Path>) -> Result<Keystead> {
        let audit = self.audit.clone();
        let store = self.open_unaudited(dir.as_ref())?;
        if let Some(options) = audit {
            let log = AuditLog::for_store(&store, dir.as_ref(), options)?;
            // The handle was just made; nobody else can have set its log.
            let _ = store.inner.audit.set(log);
        }
        // A sweep at open destroys keys whose deletion window ended while no one had the store
        // open (after the audit log is attached, so those events are recorded). Its failure
        // (e.g. a read-only file) must not prevent reading the store.
        let _ = store.sweep();
        Ok(store)
    }

    fn open_unaudited(self, dir: &Path) -> Result<Keystead> {
        let io = |e: std::io::Error| Error::internal(format!("Cannot create the store folder {}: {e}", dir.display()));
        if !dir.exists() {
            std::fs::DirBuilder::new().recursive(true).create(dir).map_err(io)?;
            set_owner_only(dir).map_err(io)?;
        }
        let db_path = dir.join(DATABASE_FILE_NAME);
        // Opening creates the file and schema when missing; on an existing store it writes
        // nothing. Whether the store is initialized is decided by its root-key check value,
        // which is written in the same transaction as the rest of its settings: a creation that
        // crashed (or is still running in another process) before that commit is not a store
        // yet, and this opener completes it (the commit itself re-checks, so racing creators
        // agree on one root key).
        let storage = SqliteStorage::open(&db_path, true)?;
        let initialized = storage_is_initialized(&storage)?;
        if initialized {
            self.finish_existing(Box::new(storage), Some(dir.to_owned()))
        } else {
            let (root, kdf) = root_key_for_new_store(&self.root_key, dir)?;
            self.finish_new(Box::new(storage), Some(dir.to_owned()), root, kdf)
        }
    }

    /// Opens a store held only in memory (for tests and ephemeral use). Key files are not
    /// supported here; the default source becomes a random root key.
    pub fn open_in_memory(self) -> Result<Keystead> {
        let (root, kdf) = match &self.root_key {
            RootKeySource::KeyFile(_) => (RootKey::generate()?, None),
            other => root_key_for_new_store(other, Path::new("."))?,
        };
        self.finish_new(Box::new(MemoryStorage::new()), None, root, kdf)
    }

    fn finish_new(
        self,
        storage: Box<dyn Storage>,
        dir: Option<PathBuf>,
        root: RootKey,
        kdf: Option<crate::store::rootkey::KdfParams>,
    ) -> Result<Keystead> {
        let identity =
            StoreIdentity { partition: "aws".into(), region: self.region.clone(), account_id: self.account_id.clone() };
        identity.validate()?;
        let check = root.check_value()?;
        let kdf_bytes = kdf.map(|k| k.to_bytes()).transpose()?;
        let mut raced = false;
        storage.write(&mut |txn| {
            // Another process may have created the store between our existence check and now.
            if txn.setting(SETTING_CHECK)?.is_some() {
                raced = true;
                return Ok(());
            }
            txn.put_setting(SETTING_CHECK, &check)?;
            if let Some(kdf) = &kdf_bytes {
                txn.put_setting(SETTING_KDF, kdf)?;
            }
            txn.put_setting(SETTING_PARTITION, identity.partition.as_bytes())?;
            txn.put_setting(SETTING_REGION, identity.region.as_bytes())?;
            txn.put_setting(SETTING_ACCOUNT, identity.account_id.as_bytes())?;
            Ok(())
        })?;
        if raced {
            return self.finish_existing(storage, dir);
        }
        Ok(self.assemble(storage, dir, root, identity))
    }

    fn finish_existing(self, storage: Box<dyn Storage>, dir: Option<PathBuf>) -> Result<Keystead> {
        let mut settings = (None, None, Vec::new());
        storage.read(&mut |txn| {
            let text = |txn: &mut dyn Txn, name: &str| -> Result<String> {
                let bytes = txn
                    .setting(name)?
                    .ok_or_else(|| Error::new(ErrorKind::CorruptStore, format!("The store has no {name} setting")))?;
                String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::CorruptStore, format!("bad {name} setting")))
            };
            settings = (
                txn.setting(SETTING_CHECK)?,
                txn.setting(SETTING_KDF)?,
                vec![text(txn, SETTING_PARTITION)?, text(txn, SETTING_REGION)?, text(txn, SETTING_ACCOUNT)?],
            );
            Ok(())
        })?;
        let (Some(check), kdf, identity_parts) = settings else {
            return Err(Error::new(ErrorKind::CorruptStore, "The store has no root key check value"));
        };
        let [partition, region, account_id]: [String; 3] = identity_parts
            .try_into()
            .map_err(|_| Error::new(ErrorKind::CorruptStore, "The store identity is incomplete"))?;
        let folder = dir.clone().unwrap_or_else(|| PathBuf::from("."));
        let root = root_key_for_existing_store(&self.root_key, &folder, &check, kdf.as_deref())?;
        Ok(self.assemble(storage, dir, root, StoreIdentity { partition, region, account_id }))
    }

    fn assemble(
        self,
        storage: Box<dyn Storage>,
        dir: Option<PathBuf>,
        root: RootKey,
        identity: StoreIdentity,
    ) -> Keystead {
        let caller = Arc::new(Principal::account_root(&identity.partition, &identity.account_id));
        let metrics = Metrics::with_clock(Arc::clone(&self.clock));
        Keystead {
            caller,
            inner: Arc::new(Inner {
                storage,
                root: RwLock::new(root),
                identity,
                clock: self.clock,
                cache: MaterialCache::new(self.cache_capacity),
                policies: PolicyCache::default(),
                audit: OnceLock::new(),
                metrics,
                next_sweep_ms: AtomicI64::new(Millis::MIN),
                dir,
            }),
        }
    }
}

fn storage_is_initialized(storage: &dyn Storage) -> Result<bool> {
    let mut initialized = false;
    storage.read(&mut |txn| {
        initialized = txn.setting(SETTING_CHECK)?.is_some();
        Ok(())
    })?;
    Ok(initialized)
}

#[cfg(unix)]
fn set_owner_only(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// A handle on a key store. Cheap to clone, `Send + Sync`: share one handle between threads.
/// Several processes may open the same store folder at once.
#[derive(Clone)]
pub struct Keystead {
    pub(crate) inner: Arc<Inner>,
    /// Who this handle calls as (see [`Keystead::as_principal`]).
    pub(crate) caller: Arc<Principal>,
}

pub(crate) struct Inner {
    pub(crate) storage: Box<dyn Storage>,
    pub(crate) root: RwLock<RootKey>,
    pub(crate) identity: StoreIdentity,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cache: MaterialCache,
    pub(crate) policies: PolicyCache,
    /// The audit log (set right after opening, when auditing is on).
    pub(crate) audit: OnceLock<AuditLog>,
    pub(crate) metrics: Metrics,
    next_sweep_ms: AtomicI64,
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for Keystead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keystead")
            .field("dir", &self.inner.dir)
            .field("region", &self.inner.identity.region)
            .field("account_id", &self.inner.identity.account_id)
            .field("principal", &self.caller.arn())
            .finish_non_exhaustive()
    }
}

impl Keystead {
    /// Opens (or creates) the store in folder `dir` with default options: the root key in
    /// `<dir>/root.key`, Region `us-east-1`, account `111122223333`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Self::builder().open(dir)
    }

    /// Options for opening a store.
    pub fn builder() -> KeysteadBuilder {
        KeysteadBuilder::default()
    }

    /// The store's identity (partition, Region, account) as used in ARNs.
    pub fn identity(&self) -> &StoreIdentity {
        &self.inner.identity
    }

    pub(crate) fn now(&self) -> Millis {
        self.inner.clock.now_ms()
    }

    /// Runs `body` in a read transaction and returns its value.
    pub(crate) fn read<T>(&self, body: impl FnOnce(&mut dyn Txn) -> Result<T>) -> Result<T> {
        let mut body = Some(body);
        let mut out = None;
        self.inner.storage.read(&mut |txn| {
            let body = body.take().ok_or_else(|| Error::internal("transaction body ran twice"))?;
            out = Some(body(txn)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::internal("transaction produced no value"))
    }

    /// Runs `body` in a write transaction and returns its value once the change is durable.
    pub(crate) fn write<T>(&self, body: impl FnOnce(&mut dyn Txn) -> Result<T>) -> Result<T> {
        let mut body = Some(body);
        let mut out = None;
        self.inner.storage.write(&mut |txn| {
            let body = body.take().ok_or_else(|| Error::internal("transaction body ran twice"))?;
            out = Some(body(txn)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::internal("transaction produced no value"))
    }

    /// Stores a key record, and remembers when the sweep must next look at it.
    pub(crate) fn save_key(&self, txn: &mut dyn Txn, key: &KeyRecord) -> Result<()> {
        txn.put_key(key)?;
        if let Some(at) = key.next_event_ms() {
            self.inner.next_sweep_ms.fetch_min(at, Ordering::SeqCst);
        }
        Ok(())
    }

    /// The key ARN of `key_id`.
    pub(crate) fn arn(&self, key_id: &str) -> String {
        self.inner.identity.key_arn(key_id)
    }

    /// Resolves any of the four identifier forms to a key record inside `txn`.
    pub(crate) fn resolve(&self, txn: &mut dyn Txn, input: &str) -> Result<KeyRecord> {
        match parse_key_ref(input, &self.inner.identity)? {
            KeyRef::Key(id) => self.load(txn, &id),
            KeyRef::Alias(name) => {
                let alias = txn.alias(&name)?.ok_or_else(|| {
                    Error::not_found(format!("Alias {} is not found.", self.inner.identity.alias_arn(&name)))
                })?;
                self.load(txn, &alias.target_key_id)
            }
        }
    }

    /// Resolves an identifier that must be a key id or key ARN (operations that AWS documents
    /// as not taking aliases).
    pub(crate) fn resolve_key_only(&self, txn: &mut dyn Txn, input: &str) -> Result<KeyRecord> {
        match parse_key_ref(input, &self.inner.identity)? {
            KeyRef::Key(id) => self.load(txn, &id),
            KeyRef::Alias(_) => Err(Error::not_found(format!("Invalid keyId {input}"))),
        }
    }

    /// Loads a key by id. A key whose deletion window has ended no longer exists, even before
    /// the sweep has removed it.
    pub(crate) fn load(&self, txn: &mut dyn Txn, key_id: &str) -> Result<KeyRecord> {
        let missing = || Error::not_found(format!("Key '{}' does not exist", self.arn(key_id)));
        let key = txn.key(key_id)?.ok_or_else(missing)?;
        if key.state == KeyState::PendingDeletion && key.deletion_ms.is_some_and(|at| at <= self.now()) {
            return Err(missing());
        }
        Ok(key)
    }

    /// The decrypted material `version` of `key_id`, from the cache or the store.
    pub(crate) fn material(&self, txn: &mut dyn Txn, key_id: &str, version: u32) -> Result<Arc<CachedMaterial>> {
        if let Some(hit) = self.inner.cache.get(key_id, version) {
            return Ok(hit);
        }
        let record = txn.material(key_id, version)?.ok_or_else(Error::invalid_ciphertext)?;
        let root = self.inner.root.read().map_err(|_| Error::internal("root key lock poisoned"))?;
        let material = Arc::new(CachedMaterial {
            secret: root.open_material(key_id, version, &record.sealed)?,
            material_id: record.material_id,
            parsed: OnceLock::new(),
        });
        drop(root);
        self.inner.cache.insert(key_id, version, Arc::clone(&material));
        Ok(material)
    }

    /// Creates a new random material for `key` as version `current_version + 1` and makes it
    /// current. The caller saves the key record in the same transaction.
    pub(crate) fn add_material(
        &self,
        txn: &mut dyn Txn,
        key: &mut KeyRecord,
        rotation_type: Option<RotationType>,
    ) -> Result<()> {
        let version = key.current_version + 1;
        let secret = crate::crypto::asymmetric::generate_material(key.key_spec)?;
        let root = self.inner.root.read().map_err(|_| Error::internal("root key lock poisoned"))?;
        let sealed = root.seal(RecordKind::Material, &key.key_id, version, secret.expose())?;
        drop(root);
        let material_id: String = random_bytes(32)?.iter().map(|b| format!("{b:02x}")).collect();
        txn.put_material(&MaterialRecord {
            key_id: key.key_id.clone(),
            version,
            material_id,
            created_ms: self.now(),
            rotation_type,
            sealed,
        })?;
        key.current_version = version;
        Ok(())
    }

    /// If an identifier names a service-managed alias whose key does not exist yet, creates the
    /// key and the alias (AWS creates AWS managed keys on first use).
    pub(crate) fn ensure_managed_key(&self, input: &str) -> Result<()> {
        // Every call that names a key comes here: most name a key id or ARN, which cannot be a
        // managed alias, so they skip the parse (and its allocation).
        if !crate::keys::id::MANAGED_ALIAS_PREFIXES.iter().any(|prefix| input.contains(prefix)) {
            return Ok(());
        }
        let Ok(KeyRef::Alias(name)) = parse_key_ref(input, &self.inner.identity) else {
            return Ok(());
        };
        let Some(service) = managed_service(&name) else {
            return Ok(());
        };
        if self.read(|txn| txn.alias(&name))?.is_some() {
            return Ok(());
        }
        let service = service.to_owned();
        self.write(|txn| {
            if txn.alias(&name)?.is_some() {
                return Ok(());
            }
            self.create_managed_key(txn, &name, &service)
        })
    }

    /// Runs the sweep if it is due: destroys keys whose deletion window ended and performs due
    /// automatic rotations. Called at the start of every operation; costs one atomic read when
    /// nothing is due.
    pub(crate) fn maybe_sweep(&self) -> Result<()> {
        // The coarse clock (a few ms behind) is enough to decide whether to look: a key whose
        // deletion time has passed is already treated as gone by `load`, which reads the exact
        // clock, and a rotation a few milliseconds late changes nothing.
        if self.inner.clock.now_ms_coarse() >= self.inner.next_sweep_ms.load(Ordering::SeqCst) {
            self.sweep()?;
        }
        Ok(())
    }

    /// Destroys expired keys and performs due rotations now.
    pub fn sweep(&self) -> Result<()> {
        let now = self.now();
        // Look first, write only when something is due: opening a store and most sweeps then
        // take no write lock and change no file.
        let due = self.read(|txn| Ok(!txn.keys_due(now)?.is_empty()))?;
        // What the store did by itself, for the audit log (AWS's AwsServiceEvent records).
        let mut events: Vec<(&'static str, String)> = Vec::new();
        let destroyed = if !due {
            Vec::new()
        } else {
            self.write(|txn| {
                let mut destroyed = Vec::new();
                events.clear();
                for key_id in txn.keys_due(now)? {
                    let Some(mut key) = txn.key(&key_id)? else { continue };
                    if key.state != KeyState::PendingDeletion && key.material_expiry_ms().is_some_and(|at| at <= now) {
                        // Imported material expired (AWS's DeleteExpiredKeyMaterial event).
                        self.drop_imported_material(txn, &mut key)?;
                        self.save_key(txn, &key)?;
                        events.push(("DeleteExpiredKeyMaterial", key_id.clone()));
                        destroyed.push(key_id);
                        continue;
                    }
                    match key.state {
                        KeyState::PendingDeletion if key.deletion_ms.is_some_and(|at| at <= now) => {
                            txn.delete_key(&key_id)?;
                            events.push(("DeleteKey", key_id.clone()));
                            destroyed.push(key_id);
                        }
                        KeyState::Enabled => {
                            if let Some(schedule) = key.rotation.clone() {
                                if schedule.next_rotation_ms <= now {
                                    self.add_material(txn, &mut key, Some(RotationType::Automatic))?;
                                    key.rotation = Some(crate::keys::record::RotationSchedule {
                                        period_days: schedule.period_days,
                                        next_rotation_ms: now + i64::from(schedule.period_days) * crate::clock::DAY_MS,
                                    });
                                    self.save_key(txn, &key)?;
                                    events.push(("RotateKey", key_id.clone()));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Ok(destroyed)
            })?
        };
        for key_id in &destroyed {
            self.inner.cache.evict_key(key_id);
        }
        if let Some(log) = self.inner.audit.get() {
            for (name, key_id) in events {
                log.append(AuditEvent::service_event(name, self.identity()).time_ms(now).key(self.arn(&key_id)))?;
            }
        }
        if !destroyed.is_empty() {
            self.inner.storage.purge_deleted()?;
        }
        let next = self.read(|txn| txn.next_event_ms())?;
        let horizon = now.saturating_add(SWEEP_INTERVAL_MS);
        self.inner.next_sweep_ms.store(next.map_or(horizon, |n| n.min(horizon)), Ordering::SeqCst);
        Ok(())
    }

    /// Replaces the root key: every material is re-sealed under the new key in one transaction
    /// (all or nothing). With a key file, a new random key is written beside the old one and
    /// moved into place after the commit; an interrupted rotation is completed at the next open.
    /// Other processes that have the store open must reopen it.
    pub fn rotate_root_key(&self, new_source: RootKeySource) -> Result<()> {
        self.call(
            "RotateRootKey",
            None,
            |_| params([]),
            || {
                let dir = self.inner.dir.clone().unwrap_or_else(|| PathBuf::from("."));
                let next = prepare_next_root_key(&new_source, &dir)?;
                let mut root = self.inner.root.write().map_err(|_| Error::internal("root key lock poisoned"))?;
                let kdf = next.kdf.as_ref().map(|k| k.to_bytes()).transpose()?;
                let result = self.write(|txn| {
                    for mut material in txn.all_materials()? {
                        let secret = root.open_material(&material.key_id, material.version, &material.sealed)?;
                        material.sealed =
                            next.key.seal(RecordKind::Material, &material.key_id, material.version, secret.expose())?;
                        txn.put_material(&material)?;
                    }
                    let reseal = |kind: RecordKind, id: &str, sealed: &[u8]| -> Result<Vec<u8>> {
                        let secret = root.open(kind, id, 0, sealed).ok_or_else(|| {
                            Error::new(
                                ErrorKind::CorruptStore,
                                format!("A sealed record of {id} failed its integrity check"),
                            )
                        })?;
                        next.key.seal(kind, id, 0, secret.expose())
                    };
                    for mut token in txn.all_import_tokens()? {
                        token.sealed_private_key =
                            reseal(RecordKind::WrappingKey, &token.token_id, &token.sealed_private_key)?;
                        txn.put_import_token(&token)?;
                    }
                    for mut access_key in txn.list_access_keys()? {
                        access_key.sealed_secret =
                            reseal(RecordKind::AccessKeySecret, &access_key.access_key_id, &access_key.sealed_secret)?;
                        txn.put_access_key(&access_key)?;
                    }
                    crate::audit::keys::reseal_audit_keys(txn, &root, &next.key)?;
                    txn.put_setting(SETTING_CHECK, &next.key.check_value()?)?;
                    match &kdf {
                        Some(kdf) => txn.put_setting(SETTING_KDF, kdf)?,
                        None => {
                            if txn.setting(SETTING_KDF)?.is_some() {
                                // The opener tells a passphrase store by its KDF record, which a
                                // transaction cannot remove through the Storage trait; refuse instead.
                                return Err(Error::unsupported(
                                    "A passphrase-protected store can only rotate to a new passphrase",
                                ));
                            }
                        }
                    }
                    Ok(())
                });
                if let Err(err) = result {
                    if let Some((staged, _)) = &next.staged_file {
                        let _ = std::fs::remove_file(staged);
                    }
                    return Err(err);
                }
                if let Some((staged, path)) = &next.staged_file {
                    finish_staged_key_file(staged, path)?;
                }
                *root = next.key;
                drop(root);
                Ok(())
            },
        )
    }

    #[cfg(test)]
    pub(crate) fn root_key_bytes_for_tests(&self) -> Vec<u8> {
        self.inner.root.read().map(|r| r.expose_for_tests().to_vec()).unwrap_or_default()
    }
}

/// A decrypted key material with its `KeyMaterialId`.
pub(crate) struct CachedMaterial {
    secret: SecretBytes,
    /// AWS's `KeyMaterialId` of this material.
    pub(crate) material_id: String,
    /// The material parsed as an asymmetric key, on first use (see `crypto::parsed`).
    pub(crate) parsed: OnceLock<crate::crypto::parsed::ParsedKey>,
}

impl CachedMaterial {
    /// The material's bytes.
    pub(crate) fn expose(&self) -> &[u8] {
        self.secret.expose()
    }
}

/// A bounded cache of decrypted materials. Entries are immutable (a material never changes
/// once written), so the cache cannot serve stale material: key state, deletion and the
/// current version come from the key record on every call (read from the store, or from the
/// SQLite backend's record cache after it has checked that no one changed the store, see
/// `store::cache`). Evicted entries are zeroized when their last user drops them.
pub(crate) struct MaterialCache {
    /// By key id (parsed: hashing 16 bytes, and no `String` built for a lookup) and version.
    entries: Mutex<Bounded<(uuid::Uuid, u32), Arc<CachedMaterial>>>,
}

impl MaterialCache {
    fn new(capacity: usize) -> Self {
        Self { entries: Mutex::new(Bounded::new(capacity)) }
    }

    fn get(&self, key_id: &str, version: u32) -> Option<Arc<CachedMaterial>> {
        let id = uuid::Uuid::try_parse(key_id).ok()?;
        let entries = self.entries.lock().ok()?;
        entries.get(&(id, version)).cloned()
    }

    fn insert(&self, key_id: &str, version: u32, material: Arc<CachedMaterial>) {
        // Key ids are UUIDs; anything else is simply not cached.
        let Ok(id) = uuid::Uuid::try_parse(key_id) else { return };
        let Ok(mut entries) = self.entries.lock() else { return };
        entries.insert((id, version), material);
    }

    pub(crate) fn evict_key(&self, key_id: &str) {
        let Ok(id) = uuid::Uuid::try_parse(key_id) else { return };
        let Ok(mut entries) = self.entries.lock() else { return };
        entries.retain(|(cached, _)| *cached != id);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::{CreateKeyRequest, DataKeySpec, EncryptRequest, GenerateDataKeyRequest, ManualClock};

    /// Every file of the store folder (the audit log's too) except the root key file, as
    /// (name, bytes).
    fn store_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap()) {
            if entry.file_name() == crate::KEY_FILE_NAME {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                files.extend(store_files(&entry.path()));
            } else {
                files.push((entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path()).unwrap()));
            }
        }
        files
    }

    fn hits(files: &[(String, Vec<u8>)], needle: &[u8]) -> Vec<String> {
        files
            .iter()
            .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
            .map(|(name, _)| name.clone())
            .collect()
    }

    fn all_materials(store: &Keystead) -> Vec<(MaterialRecord, Vec<u8>)> {
        store
            .read(|txn| {
                let records = txn.all_materials()?;
                let root = store.inner.root.read().unwrap();
                records
                    .into_iter()
                    .map(|r| {
                        let secret = root.open_material(&r.key_id, r.version, &r.sealed)?.expose().to_vec();
                        Ok((r, secret))
                    })
                    .collect()
            })
            .unwrap()
    }

    #[test]
    fn no_key_material_plaintext_or_root_key_is_in_any_store_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystead::open(dir.path()).unwrap();
        let mut secrets: Vec<Vec<u8>> = Vec::new();
        for i in 0..10u8 {
            let key_id = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
            store.rotate_key_on_demand(&key_id).unwrap();
            let plaintext =
                [b'P', i, 0x5a, 0xa5, 0x3c, 0xc3, 0x0f, 0xf0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
            store.encrypt(EncryptRequest { key_id: &key_id, plaintext: &plaintext, ..Default::default() }).unwrap();
            secrets.push(plaintext.to_vec());
            let data_key = store
                .generate_data_key(GenerateDataKeyRequest {
                    key_id: &key_id,
                    key_spec: Some(DataKeySpec::Aes256),
                    ..Default::default()
                })
                .unwrap();
            secrets.push(data_key.plaintext.expose().to_vec());
        }
        let materials = all_materials(&store);
        assert_eq!(materials.len(), 20);
        secrets.extend(materials.iter().map(|(_, m)| m.clone()));
        secrets.extend(materials.iter().map(|(_, m)| m[..16].to_vec()));
        let root = store.root_key_bytes_for_tests();
        secrets.push(root.clone());
        secrets.push(root[..16].to_vec());
        // Look while the store is open (WAL present) and after it is closed (checkpointed).
        let open_files = store_files(dir.path());
        assert!(open_files.iter().any(|(n, _)| n == "keystead.db"));
        drop(store);
        let closed_files = store_files(dir.path());
        for files in [&open_files, &closed_files] {
            for secret in &secrets {
                assert!(hits(files, secret).is_empty(), "a secret is stored in the clear");
            }
        }
        // The scan itself can find things: the key ids are stored in the clear.
        let any_key_id = materials[0].0.key_id.as_bytes();
        assert!(!hits(&closed_files, any_key_id).is_empty());
    }

    #[test]
    fn a_destroyed_key_leaves_no_trace_in_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::starting_now());
        let store = Keystead::builder().clock(clock.clone()).open(dir.path()).unwrap();
        let keep = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
        let doomed = store
            .create_key(CreateKeyRequest {
                description: Some("doomed-key-description-marker".into()),
                ..Default::default()
            })
            .unwrap()
            .key_id;
        store.rotate_key_on_demand(&doomed).unwrap();
        let sealed: Vec<Vec<u8>> =
            all_materials(&store).into_iter().filter(|(r, _)| r.key_id == doomed).map(|(r, _)| r.sealed).collect();
        assert_eq!(sealed.len(), 2);
        // The audit log keeps the history of the key's calls (as CloudTrail does); the store
        // itself must forget it.
        let database_files = || {
            std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().unwrap().is_file() && e.file_name() != crate::KEY_FILE_NAME)
                .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
                .collect::<Vec<_>>()
        };
        let before = database_files();
        assert!(!hits(&before, b"doomed-key-description-marker").is_empty(), "the marker is findable before");
        store.schedule_key_deletion(&doomed, Some(7)).unwrap();
        clock.advance_days(8);
        store.sweep().unwrap();
        assert!(store.describe_key(&keep).is_ok());
        let files = database_files();
        for record in &sealed {
            assert!(hits(&files, &record[13..45]).is_empty(), "sealed material of a destroyed key remains");
        }
        assert!(hits(&files, b"doomed-key-description-marker").is_empty(), "the key record remains");
        assert!(hits(&files, doomed.as_bytes()).is_empty(), "the key id remains");
    }
}
