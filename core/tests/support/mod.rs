//! Helpers shared by the fault and load tests (`faults.rs`, `concurrency_load.rs`): a seeded
//! generator, so that a failing run can be replayed, and the checks both make on a store.
// Each test file is its own crate and uses only some of these.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;

use keystead_core::crypto::ciphertext::parse_header;

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1) ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).expect("below n fits usize")
    }

    /// 1 to `max_len` random bytes.
    pub fn bytes(&mut self, max_len: usize) -> Vec<u8> {
        let len = 1 + self.below(max_len);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// The material version a ciphertext names.
pub fn version_of(blob: &[u8]) -> u32 {
    parse_header(blob).expect("a ciphertext this store made").key_version
}

/// `PRAGMA integrity_check` on the store's database file (when it exists) must say `ok`.
pub fn sqlite_integrity_check(dir: &Path) {
    let db = dir.join(keystead_core::DATABASE_FILE_NAME);
    if !db.exists() {
        return;
    }
    let conn = rusqlite::Connection::open(&db).expect("open keystead.db with rusqlite");
    let result: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("integrity_check");
    assert_eq!(result, "ok", "PRAGMA integrity_check failed");
}
