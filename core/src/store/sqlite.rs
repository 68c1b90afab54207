//! The embedded default backend: one SQLite database in WAL mode.
//!
//! - `journal_mode=WAL` lets readers run while one writer commits, across threads and
//!   processes on one host; `synchronous=FULL` makes every acknowledged commit durable.
//! - Writes take the write lock at `BEGIN IMMEDIATE`, so two writers never deadlock on a lock
//!   upgrade; a writer waits up to the busy timeout, then gets `DependencyTimeoutException`.
//! - `secure_delete=ON` overwrites deleted records; [`Storage::purge_deleted`] then checkpoints
//!   and truncates the WAL so that a destroyed key leaves no trace in any file.
//! - Connections are pooled: each transaction takes one connection for its duration.
//! - Key records and aliases are cached parsed, valid until the database changes (see
//!   [`crate::store::cache`]); transaction statements are prepared once per connection.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::store::cache::RecordCache;

use crate::clock::Millis;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::record::{AccessKeyRecord, AliasRecord, GrantRecord, ImportTokenRecord, KeyRecord, MaterialRecord};
use crate::store::{Storage, Txn, TxnBody};

/// The schema version this build writes (`PRAGMA user_version`). Version 2 added
/// `import_tokens`, version 3 `access_keys`, version 4 `key_policies` and `grants`, version 5
/// `key_count`. Every statement of [`SCHEMA`] is idempotent, so upgrading an older store is
/// running it again.
const SCHEMA_VERSION: i64 = 5;
/// How long a transaction waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections kept open for reuse.
const POOL_SIZE: usize = 8;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys (
    key_id        TEXT PRIMARY KEY,
    next_event_ms INTEGER,
    doc           TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_by_next_event ON keys(next_event_ms) WHERE next_event_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS materials (
    key_id        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    material_id   TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    rotation_type TEXT,
    sealed        BLOB NOT NULL,
    PRIMARY KEY (key_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aliases (
    name          TEXT PRIMARY KEY,
    target_key_id TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_by_target ON aliases(target_key_id, name);
CREATE TABLE IF NOT EXISTS import_tokens (
    token_id           TEXT PRIMARY KEY,
    key_id             TEXT NOT NULL,
    wrapping_algorithm TEXT NOT NULL,
    wrapping_key_spec  TEXT NOT NULL,
    valid_to_ms        INTEGER NOT NULL,
    sealed_private_key BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS access_keys (
    access_key_id TEXT PRIMARY KEY,
    principal     TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    sealed_secret BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_policies (
    key_id TEXT PRIMARY KEY,
    policy TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS grants (
    grant_id  TEXT PRIMARY KEY,
    key_id    TEXT NOT NULL,
    grantee   TEXT NOT NULL,
    retiring  TEXT,
    name      TEXT,
    doc       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS grants_by_key ON grants(key_id, grant_id);
CREATE INDEX IF NOT EXISTS grants_by_grantee ON grants(key_id, grantee);
CREATE INDEX IF NOT EXISTS grants_by_retiring ON grants(retiring, grant_id) WHERE retiring IS NOT NULL;
-- The number of keys, kept by triggers: CreateKey checks the 100,000-key limit on every call,
-- and COUNT(*) over `keys` reads every key document (CreateKey fell to ~50/s at 35,000 keys).
CREATE TABLE IF NOT EXISTS key_count (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    n  INTEGER NOT NULL
);
INSERT OR IGNORE INTO key_count (id, n) SELECT 0, COUNT(*) FROM keys;
CREATE TRIGGER IF NOT EXISTS key_count_insert AFTER INSERT ON keys
    BEGIN UPDATE key_count SET n = n + 1 WHERE id = 0; END;
CREATE TRIGGER IF NOT EXISTS key_count_delete AFTER DELETE ON keys
    BEGIN UPDATE key_count SET n = n - 1 WHERE id = 0; END;
";

/// Inserts or updates a key row. An upsert, not INSERT OR REPLACE: a replaced row would fire the
/// insert trigger of `key_count` without its delete trigger.
const PUT_KEY: &str = "INSERT INTO keys (key_id, next_event_ms, doc) VALUES (?1, ?2, ?3) \
    ON CONFLICT(key_id) DO UPDATE SET next_event_ms = excluded.next_event_ms, doc = excluded.doc";

/// A SQLite-backed store.
pub struct SqliteStorage {
    path: PathBuf,
    pool: Mutex<Pool>,
    cache: RecordCache,
}

/// Idle connections, and the process that opened them.
struct Pool {
    owner_pid: u32,
    idle: Vec<Pooled>,
}

/// A connection, with the `PRAGMA data_version` its last read transaction saw (`None` before
/// its first), by which it notices commits of other connections.
struct Pooled {
    conn: Connection,
    data_version: Option<i64>,
}

/// Runs a statement that returns no row, prepared once per connection (transaction control:
/// `execute_batch` would parse it again on every call).
fn exec(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql).and_then(|mut stmt| stmt.execute([])).map(|_| ()).map_err(sql_error)
}

fn sql_error(err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::new(
            ErrorKind::DependencyTimeout,
            "The key store is busy (another process holds its write lock); retry",
        ),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            Error::new(ErrorKind::CorruptStore, format!("The key store database is damaged: {err}"))
        }
        _ => Error::internal(format!("key store I/O failed: {err}")),
    }
}

fn corrupt(what: &str) -> Error {
    Error::new(ErrorKind::CorruptStore, format!("A stored {what} record cannot be read"))
}

impl SqliteStorage {
    /// Opens the database at `path` (creating the file when `create` is true) and makes sure
    /// its schema exists. Opening an existing store writes nothing.
    pub fn open(path: &Path, create: bool) -> Result<Self> {
        let storage = Self {
            path: path.to_owned(),
            pool: Mutex::new(Pool { owner_pid: std::process::id(), idle: Vec::new() }),
            cache: RecordCache::new(),
        };
        // While another process creates the file or switches it to WAL mode, SQLite can answer
        // SQLITE_BUSY without calling the busy handler; such an opener waits and retries.
        let started = Instant::now();
        loop {
            match storage.open_once(create) {
                Err(e) if e.kind() == ErrorKind::DependencyTimeout && started.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                outcome => return outcome.map(|()| storage),
            }
        }
    }

    fn open_once(&self, create: bool) -> Result<()> {
        let mut conn = self.connect(create)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(sql_error)?;
        if version > SCHEMA_VERSION {
            return Err(Error::new(
                ErrorKind::CorruptStore,
                format!("The store has schema version {version}; this build reads up to {SCHEMA_VERSION}"),
            ));
        }
        if version < SCHEMA_VERSION {
            if !create && version == 0 {
                return Err(Error::not_found("No Keystead store exists at this path"));
            }
            let txn = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error)?;
            // Re-read under the write lock: a racing creator may have just written the schema.
            let version: i64 = txn.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(sql_error)?;
            if version < SCHEMA_VERSION {
                txn.execute_batch(SCHEMA).map_err(sql_error)?;
                txn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(sql_error)?;
            }
            txn.commit().map_err(sql_error)?;
        }
        self.give_back(Pooled { conn, data_version: None });
        Ok(())
    }

    fn connect(&self, create: bool) -> Result<Connection> {
        let mut flags =
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(&self.path, flags).map_err(sql_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_error)?;
        // journal_mode is persistent: it writes only when the file is not in WAL mode yet.
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0)).map_err(sql_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(())).map_err(sql_error)?;
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA foreign_keys=OFF;")
            .map_err(sql_error)?;
        Ok(conn)
    }

    fn take(&self) -> Result<Pooled> {
        let mut pool = self.pool.lock().map_err(|_| Error::internal("connection pool poisoned"))?;
        if pool.owner_pid != std::process::id() {
            // This process is a fork of the one that opened these connections. SQLite
            // connections must not cross a fork, and closing them here could drop the parent's
            // POSIX locks on the file, so they are abandoned (never closed) and fresh ones opened.
            std::mem::forget(std::mem::take(&mut pool.idle));
            pool.owner_pid = std::process::id();
        }
        let pooled = pool.idle.pop();
        drop(pool);
        match pooled {
            Some(conn) => Ok(conn),
            None => Ok(Pooled { conn: self.connect(false)?, data_version: None }),
        }
    }

    fn give_back(&self, conn: Pooled) {
        if let Ok(mut pool) = self.pool.lock() {
            if pool.owner_pid != std::process::id() {
                // Opened before a fork that happened while it was in use: abandon it too.
                std::mem::forget(conn);
            } else if pool.idle.len() < POOL_SIZE {
                pool.idle.push(conn);
            }
        }
    }

    fn run(&self, behavior: TransactionBehavior, writable: bool, body: &mut TxnBody<'_>) -> Result<()> {
        let mut pooled = self.take()?;
        // Read before the snapshot is taken (see `store::cache`).
        let epoch = self.cache.epoch();
        let outcome = self.run_on(&mut pooled, behavior, writable, epoch, body);
        if writable {
            // After the commit (or the failure, which may have left it unknown), before the
            // caller learns of it: every later call reads the store again.
            self.cache.bump();
        }
        let in_transaction = !pooled.conn.is_autocommit();
        if in_transaction && exec(&pooled.conn, "ROLLBACK").is_err() {
            // A connection stuck in a transaction is not reused.
            return outcome;
        }
        self.give_back(pooled);
        outcome
    }

    fn run_on(
        &self,
        pooled: &mut Pooled,
        behavior: TransactionBehavior,
        writable: bool,
        epoch: u64,
        body: &mut TxnBody<'_>,
    ) -> Result<()> {
        let conn = &pooled.conn;
        exec(
            conn,
            match behavior {
                TransactionBehavior::Immediate => "BEGIN IMMEDIATE",
                TransactionBehavior::Exclusive => "BEGIN EXCLUSIVE",
                _ => "BEGIN DEFERRED",
            },
        )?;
        let cache = if writable {
            None
        } else {
            // The first statement takes the read snapshot; its data_version tells whether
            // another connection committed since this one last looked.
            let version: i64 = conn
                .prepare_cached("PRAGMA data_version")
                .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
                .map_err(sql_error)?;
            if pooled.data_version == Some(version) {
                Some((&self.cache, epoch))
            } else {
                pooled.data_version = Some(version);
                self.cache.bump();
                None
            }
        };
        body(&mut SqliteTxn { txn: conn, writable, cache })?;
        exec(conn, "COMMIT")
    }
}

impl Storage for SqliteStorage {
    fn read(&self, body: &mut TxnBody<'_>) -> Result<()> {
        self.run(TransactionBehavior::Deferred, false, body)
    }

    fn write(&self, body: &mut TxnBody<'_>) -> Result<()> {
        self.run(TransactionBehavior::Immediate, true, body)
    }

    fn purge_deleted(&self) -> Result<()> {
        let pooled = self.take()?;
        let conn = &pooled.conn;
        // TRUNCATE waits for readers, copies every frame into the database (whose deleted
        // cells secure_delete has zeroed) and empties the WAL file.
        let outcome = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(sql_error);
        self.give_back(pooled);
        outcome
    }
}

struct SqliteTxn<'a> {
    /// The connection, inside its transaction.
    txn: &'a Connection,
    writable: bool,
    /// The record cache and this reader's epoch, when the cache may serve this transaction
    /// (read transactions that found the store unchanged by others).
    cache: Option<(&'a RecordCache, u64)>,
}

impl SqliteTxn<'_> {
    fn check_writable(&self) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(Error::internal("write attempted in a read transaction"))
        }
    }

    fn key_uncached(&mut self, key_id: &str) -> Result<Option<KeyRecord>> {
        let doc: Option<String> = self
            .txn
            .prepare_cached("SELECT doc FROM keys WHERE key_id = ?1")
            .and_then(|mut stmt| stmt.query_row([key_id], |row| row.get(0)).optional())
            .map_err(sql_error)?;
        doc.map(|doc| serde_json::from_str(&doc).map_err(|_| corrupt("key"))).transpose()
    }

    fn alias_uncached(&mut self, name: &str) -> Result<Option<AliasRecord>> {
        self.txn
            .prepare_cached("SELECT name, target_key_id, created_ms, updated_ms FROM aliases WHERE name = ?1")
            .and_then(|mut stmt| stmt.query_row([name], alias_from_row).optional())
            .map_err(sql_error)
    }

    /// Runs a query whose one column is a grant document.
    fn grant_docs(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<GrantRecord>> {
        let mut stmt = self.txn.prepare_cached(sql).map_err(sql_error)?;
        let docs = stmt
            .query_map(params, |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(sql_error)?;
        docs.iter().map(|doc| grant_from_doc(doc)).collect()
    }
}

fn grant_from_doc(doc: &str) -> Result<GrantRecord> {
    serde_json::from_str(doc).map_err(|_| corrupt("grant"))
}

fn material_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(MaterialRecord, Option<String>)> {
    Ok((
        MaterialRecord {
            key_id: row.get(0)?,
            version: row.get(1)?,
            material_id: row.get(2)?,
            created_ms: row.get(3)?,
            rotation_type: None,
            sealed: row.get(5)?,
        },
        row.get(4)?,
    ))
}

fn finish_material((mut record, rotation_type): (MaterialRecord, Option<String>)) -> Result<MaterialRecord> {
    record.rotation_type = match rotation_type {
        Some(text) => Some(text.parse().map_err(|_| corrupt("key material"))?),
        None => None,
    };
    Ok(record)
}

const IMPORT_TOKEN_COLUMNS: &str =
    "token_id, key_id, wrapping_algorithm, wrapping_key_spec, valid_to_ms, sealed_private_key";

type ImportTokenRow = (String, String, String, String, i64, Vec<u8>);

fn import_token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ImportTokenRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
}

fn finish_import_token(
    (token_id, key_id, algorithm, spec, valid_to_ms, sealed_private_key): ImportTokenRow,
) -> Result<ImportTokenRecord> {
    Ok(ImportTokenRecord {
        token_id,
        key_id,
        wrapping_algorithm: algorithm.parse().map_err(|_| corrupt("import token"))?,
        wrapping_key_spec: spec.parse().map_err(|_| corrupt("import token"))?,
        valid_to_ms,
        sealed_private_key,
    })
}

fn access_key_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        access_key_id: row.get(0)?,
        principal: row.get(1)?,
        created_ms: row.get(2)?,
        sealed_secret: row.get(3)?,
    })
}

fn alias_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AliasRecord> {
    Ok(AliasRecord { name: row.get(0)?, target_key_id: row.get(1)?, created_ms: row.get(2)?, updated_ms: row.get(3)? })
}

const MATERIAL_COLUMNS: &str = "key_id, version, material_id, created_ms, rotation_type, sealed";

impl Txn for SqliteTxn<'_> {
    fn setting(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        self.txn
            .prepare_cached("SELECT value FROM settings WHERE name = ?1")
            .and_then(|mut stmt| stmt.query_row([name], |row| row.get(0)).optional())
            .map_err(sql_error)
    }

    fn put_setting(&mut self, name: &str, value: &[u8]) -> Result<()> {
        self.check_writable()?;
        self.txn
            .prepare_cached("INSERT OR REPLACE INTO settings (name, value) VALUES (?1, ?2)")
            .and_then(|mut stmt| stmt.execute(params![name, value]))
            .map(|_| ())
            .map_err(sql_error)
    }

    fn key(&mut self, key_id: &str) -> Result<Option<KeyRecord>> {
        if let Some((cache, epoch)) = self.cache {
            if let Some(hit) = cache.key(epoch, key_id) {
                return Ok(hit);
            }
            let record = self.key_uncached(key_id)?;
            cache.put_key(epoch, key_id, record.as_ref());
            return Ok(record);
        }
        self.key_uncached(key_id)
    }

    fn put_key(&mut self, key: &KeyRecord) -> Result<()> {
        self.check_writable()?;
        let doc = serde_json::to_string(key).map_err(|e| Error::internal(e.to_string()))?;
        self.txn
            .prepare_cached(PUT_KEY)
            .and_then(|mut stmt| stmt.execute(params![key.key_id, key.next_event_ms(), doc]))
            .map(|_| ())
            .map_err(sql_error)
    }

    fn delete_key(&mut self, key_id: &str) -> Result<()> {
        self.check_writable()?;
        for sql in [
            "DELETE FROM materials WHERE key_id = ?1",
            "DELETE FROM aliases WHERE target_key_id = ?1",
            "DELETE FROM import_tokens WHERE key_id = ?1",
            "DELETE FROM key_policies WHERE key_id = ?1",
            "DELETE FROM grants WHERE key_id = ?1",
            "DELETE FROM keys WHERE key_id = ?1",
        ] {
            self.txn.prepare_cached(sql).and_then(|mut stmt| stmt.execute([key_id])).map_err(sql_error)?;
        }
        Ok(())
    }

    fn list_key_ids(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .txn
            .prepare_cached("SELECT key_id FROM keys WHERE key_id > ?1 ORDER BY key_id LIMIT ?2")
            .map_err(sql_error)?;
        let rows = stmt.query_map(params![after.unwrap_or(""), limit], |row| row.get(0)).map_err(sql_error)?;
        rows.collect::<rusqlite::Result<Vec<String>>>().map_err(sql_error)
    }

    fn count_keys(&mut self) -> Result<u64> {
        let count: i64 = self
            .txn
            .prepare_cached("SELECT n FROM key_count WHERE id = 0")
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(sql_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn keys_due(&mut self, now: Millis) -> Result<Vec<String>> {
        let mut stmt = self
            .txn
            .prepare_cached("SELECT key_id FROM keys WHERE next_event_ms <= ?1 ORDER BY next_event_ms")
            .map_err(sql_error)?;
        let rows = stmt.query_map([now], |row| row.get(0)).map_err(sql_error)?;
        rows.collect::<rusqlite::Result<Vec<String>>>().map_err(sql_error)
    }

    fn next_event_ms(&mut self) -> Result<Option<Millis>> {
        self.txn
            .prepare_cached("SELECT MIN(next_event_ms) FROM keys WHERE next_event_ms IS NOT NULL")
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(sql_error)
    }

    fn material(&mut self, key_id: &str, version: u32) -> Result<Option<MaterialRecord>> {
        let row = self
            .txn
            .prepare_cached(&format!("SELECT {MATERIAL_COLUMNS} FROM materials WHERE key_id = ?1 AND version = ?2"))
            .and_then(|mut stmt| stmt.query_row(params![key_id, version], material_from_row).optional())
            .map_err(sql_error)?;
        row.map(finish_material).transpose()
    }

    fn materials(&mut self, key_id: &str) -> Result<Vec<MaterialRecord>> {
        let mut stmt = self
            .txn
            .prepare_cached(&format!("SELECT {MATERIAL_COLUMNS} FROM materials WHERE key_id = ?1 ORDER BY version"))
            .map_err(sql_error)?;
        let rows = stmt.query_map([key_id], material_from_row).map_err(sql_error)?;
        rows.map(|row| row.map_err(sql_error).and_then(finish_material)).collect()
    }

    fn all_materials(&mut self) -> Result<Vec<MaterialRecord>> {
        let mut stmt = self
            .txn
            .prepare_cached(&format!("SELECT {MATERIAL_COLUMNS} FROM materials ORDER BY key_id, version"))
            .map_err(sql_error)?;
        let rows = stmt.query_map([], material_from_row).map_err(sql_error)?;
        rows.map(|row| row.map_err(sql_error).and_then(finish_material)).collect()
    }

    fn put_material(&mut self, m: &MaterialRecord) -> Result<()> {
        self.check_writable()?;
        self.txn
            .prepare_cached(&format!(
                "INSERT OR REPLACE INTO materials ({MATERIAL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))
            .and_then(|mut stmt| {
                stmt.execute(params![
                    m.key_id,
                    m.version,
                    m.material_id,
                    m.created_ms,
                    m.rotation_type.map(|r| r.as_str()),
                    m.sealed
                ])
            })
            .map(|_| ())
            .map_err(sql_error)
    }

    fn delete_materials(&mut self, key_id: &str) -> Result<()> {
        self.check_writable()?;
        self.txn
            .prepare_cached("DELETE FROM materials WHERE key_id = ?1")
            .and_then(|mut stmt| stmt.execute([key_id]))
            .map(|_| ())
            .map_err(sql_error)
    }

    fn import_token(&mut self, token_id: &str) -> Result<Option<ImportTokenRecord>> {
        let row = self
            .txn
            .prepare_cached(&format!("SELECT {IMPORT_TOKEN_COLUMNS} FROM import_tokens WHERE token_id = ?1"))
            .and_then(|mut stmt| stmt.query_row([token_id], import_token_from_row).optional())
            .map_err(sql_error)?;
        row.map(finish_import_token).transpose()
    }

    fn all_import_tokens(&mut self) -> Result<Vec<ImportTokenRecord>> {
        let mut stmt = self
            .txn
            .prepare_cached(&format!("SELECT {IMPORT_TOKEN_COLUMNS} FROM import_tokens ORDER BY token_id"))
            .map_err(sql_error)?;
        let rows = stmt.query_map([], import_token_from_row).map_err(sql_error)?;
        rows.map(|row| row.map_err(sql_error).and_then(finish_import_token)).collect()
    }

    fn put_import_token(&mut self, t: &ImportTokenRecord) -> Result<()> {
        self.check_writable()?;
        self.txn
            .prepare_cached(
                "INSERT OR REPLACE INTO import_tokens
                 (token_id, key_id, wrapping_algorithm, wrapping_key_spec, valid_to_ms, sealed_private_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    t.token_id,
                    t.key_id,
                    t.wrapping_algorithm.as_str(),
                    t.wrapping_key_spec.as_str(),
                    t.valid_to_ms,
                    t.sealed_private_key
                ])
            })
            .map(|_| ())
            .map_err(sql_error)
    }

    fn delete_expired_import_tokens(&mut self, now: Millis) -> Result<()> {
        self.check_writable()?;
        self.txn
            .prepare_cached("DELETE FROM import_tokens WHERE valid_to_ms <= ?1")
            .and_then(|mut stmt| stmt.execute([now]))
            .map(|_| ())
            .map_err(sql_error)
    }

    fn access_key(&mut self, access_key_id: &str) -> Result<Option<AccessKeyRecord>> {
        self.txn
            .prepare_cached(
                "SELECT access_key_id, principal, created_ms, sealed_secret FROM access_keys WHERE access_key_id = ?1",
            )
            .and_then(|mut stmt| stmt.query_row([access_key_id], access_key_from_row).optional())
            .map_err(sql_error)
    }

    fn put_access_key(&mut self, k: &AccessKeyRecord) -> Result<()> {
        self.check_writable()?;
        self.txn
            .prepare_cached(
                "INSERT OR REPLACE INTO access_keys (access_key_id, principal, created_ms, sealed_secret)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| stmt.execute(params![k.access_key_id, k.principal, k.created_ms, k.sealed_secret]))
            .map(|_| ())
            .map_err(sql_error)
    }

    fn delete_access_key(&mut self, access_key_id: &str) -> Result<bool> {
        self.check_writable()?;
        self.txn
            .prepare_cached("DELETE FROM access_keys WHERE access_key_id = ?1")
            .and_then(|mut stmt| stmt.execute([access_key_id]))
            .map(|n| n > 0)
            .map_err(sql_error)
    }

    fn list_access_keys(&mut self) -> Result<Vec<AccessKeyRecord>> {
        let mut stmt = self
            .txn
            .prepare_cached(
                "SELECT access_key_id, principal, created_ms, sealed_secret FROM access_keys ORDER BY access_key_id",
            )
            .map_err(sql_error)?;
        let rows = stmt.query_map([], access_key_from_row).map_err(sql_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_error)
    }

    fn key_policy(&mut self, key_id: &str) -> Result<Option<String>> {
        self.txn
            .prepare_cached("SELECT policy FROM key_policies WHERE key_id = ?1")
            .and_then(|mut stmt| stmt.query_row([key_id], |row| row.get(0)).optional())
            .map_err(sql_error)
    }

    fn put_key_policy(&mut self, key_id: &str, policy: &str) -> Result<()> {
        self.check_writable()?;
        self.txn
            .prepare_cached("INSERT OR REPLACE INTO key_policies (key_id, policy) VALUES (?1, ?2)")
            .and_then(|mut stmt| stmt.execute(params![key_id, policy]))
            .map(|_| ())
            .map_err(sql_error)
    }

    fn grant(&mut self, grant_id: &str) -> Result<Option<GrantRecord>> {
        let doc: Option<String> = self
            .txn
            .prepare_cached("SELECT doc FROM grants WHERE grant_id = ?1")
            .and_then(|mut stmt| stmt.query_row([grant_id], |row| row.get(0)).optional())
            .map_err(sql_error)?;
        doc.map(|doc| grant_from_doc(&doc)).transpose()
    }

    fn put_grant(&mut self, grant: &GrantRecord) -> Result<()> {
        self.check_writable()?;
        let doc = serde_json::to_string(grant).map_err(|e| Error::internal(e.to_string()))?;
        self.txn
            .prepare_cached(
                "INSERT OR REPLACE INTO grants (grant_id, key_id, grantee, retiring, name, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    grant.grant_id,
                    grant.key_id,
                    grant.grantee_principal,
                    grant.retiring_principal,
                    grant.name,
                    doc
                ])
            })
            .map(|_| ())
            .map_err(sql_error)
    }

    fn delete_grant(&mut self, grant_id: &str) -> Result<bool> {
        self.check_writable()?;
        self.txn
            .prepare_cached("DELETE FROM grants WHERE grant_id = ?1")
            .and_then(|mut stmt| stmt.execute([grant_id]))
            .map(|n| n > 0)
            .map_err(sql_error)
    }

    fn list_grants(&mut self, key_id: &str, after: Option<&str>, limit: usize) -> Result<Vec<GrantRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.grant_docs(
            "SELECT doc FROM grants WHERE key_id = ?1 AND grant_id > ?2 ORDER BY grant_id LIMIT ?3",
            params![key_id, after.unwrap_or(""), limit],
        )
    }

    fn grants_for_grantees(&mut self, key_id: &str, grantees: &[String]) -> Result<Vec<GrantRecord>> {
        let mut out = Vec::new();
        for grantee in grantees {
            out.extend(self.grant_docs(
                "SELECT doc FROM grants WHERE key_id = ?1 AND grantee = ?2 ORDER BY grant_id",
                params![key_id, grantee],
            )?);
        }
        Ok(out)
    }

    fn grants_named(&mut self, key_id: &str, name: &str) -> Result<Vec<GrantRecord>> {
        self.grant_docs(
            "SELECT doc FROM grants WHERE key_id = ?1 AND name = ?2 ORDER BY grant_id",
            params![key_id, name],
        )
    }

    fn list_retirable_grants(
        &mut self,
        retiring_principal: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<GrantRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.grant_docs(
            "SELECT doc FROM grants WHERE retiring = ?1 AND grant_id > ?2 ORDER BY grant_id LIMIT ?3",
            params![retiring_principal, after.unwrap_or(""), limit],
        )
    }

    fn alias(&mut self, name: &str) -> Result<Option<AliasRecord>> {
        if let Some((cache, epoch)) = self.cache {
            if let Some(hit) = cache.alias(epoch, name) {
                return Ok(hit);
            }
            let record = self.alias_uncached(name)?;
            cache.put_alias(epoch, name, record.as_ref());
            return Ok(record);
        }
        self.alias_uncached(name)
    }

    fn put_alias(&mut self, a: &AliasRecord) -> Result<()> {
        self.check_writable()?;
        self.txn
            .prepare_cached(
                "INSERT OR REPLACE INTO aliases (name, target_key_id, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| stmt.execute(params![a.name, a.target_key_id, a.created_ms, a.updated_ms]))
            .map(|_| ())
            .map_err(sql_error)
    }

    fn delete_alias(&mut self, name: &str) -> Result<bool> {
        self.check_writable()?;
        self.txn
            .prepare_cached("DELETE FROM aliases WHERE name = ?1")
            .and_then(|mut stmt| stmt.execute([name]))
            .map(|n| n > 0)
            .map_err(sql_error)
    }

    fn list_aliases(&mut self, key_id: Option<&str>, after: Option<&str>, limit: usize) -> Result<Vec<AliasRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .txn
            .prepare_cached(
                "SELECT name, target_key_id, created_ms, updated_ms FROM aliases
                 WHERE (?1 IS NULL OR target_key_id = ?1) AND name > ?2 ORDER BY name LIMIT ?3",
            )
            .map_err(sql_error)?;
        let rows = stmt.query_map(params![key_id, after.unwrap_or(""), limit], alias_from_row).map_err(sql_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_error)
    }

    fn count_aliases(&mut self, key_id: &str) -> Result<u64> {
        let count: i64 = self
            .txn
            .prepare_cached("SELECT COUNT(*) FROM aliases WHERE target_key_id = ?1")
            .and_then(|mut stmt| stmt.query_row([key_id], |row| row.get(0)))
            .map_err(sql_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn counts(conn: &Connection) -> (i64, i64) {
        let kept = conn.query_row("SELECT n FROM key_count WHERE id = 0", [], |row| row.get(0)).unwrap();
        let real = conn.query_row("SELECT COUNT(*) FROM keys", [], |row| row.get(0)).unwrap();
        (kept, real)
    }

    #[test]
    fn the_key_count_starts_from_an_older_store_and_follows_every_write() {
        let conn = Connection::open_in_memory().unwrap();
        // A store of schema version 4: keys, but no key_count yet.
        conn.execute_batch(
            "CREATE TABLE keys (key_id TEXT PRIMARY KEY, next_event_ms INTEGER, doc TEXT NOT NULL) WITHOUT ROWID;
             INSERT INTO keys VALUES ('a', NULL, '{}'), ('b', NULL, '{}');",
        )
        .unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        assert_eq!(counts(&conn), (2, 2));
        conn.execute(PUT_KEY, params!["a", 5, "{\"updated\":1}"]).unwrap();
        assert_eq!(counts(&conn), (2, 2), "an update is not a new key");
        conn.execute(PUT_KEY, params!["c", None::<i64>, "{}"]).unwrap();
        assert_eq!(counts(&conn), (3, 3));
        conn.execute("DELETE FROM keys WHERE key_id = 'b'", []).unwrap();
        assert_eq!(counts(&conn), (2, 2));
        conn.execute_batch(SCHEMA).unwrap();
        assert_eq!(counts(&conn), (2, 2), "running the schema again changes nothing");
        let doc: String = conn.query_row("SELECT doc FROM keys WHERE key_id = 'a'", [], |row| row.get(0)).unwrap();
        assert_eq!(doc, "{\"updated\":1}");
    }
}
