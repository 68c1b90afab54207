//! Per-call cost of `Encrypt` on 1 KiB: the core Rust call vs the same call through the C ABI
//! (`keystead_store_encrypt` + `keystead_bytes_free`), on one store.
//!
//! `cargo run --release -p keystead-ffi --example encrypt_overhead -- <store-dir | :memory:> [iterations]`
//! (`bindings/c/bench/encrypt_overhead.c` is the C twin; see bindings/c/README.md).
#![allow(unsafe_code, missing_docs)]

use std::ffi::CString;
use std::ptr::{null, null_mut};
use std::time::Instant;

use keystead::{
    keystead_bytes_free, keystead_result, keystead_store, keystead_store_encrypt, keystead_store_free,
    keystead_store_open, keystead_store_open_in_memory,
};
use keystead_core::EncryptRequest;

const ALIAS: &str = "alias/bench-encrypt";

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "/tmp/keystead-bench-store".into());
    let iterations: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    // One store for both loops: opened through the C ABI, used from Rust through `core()`.
    let mut handle: *mut keystead_store = null_mut();
    let rc = if dir == ":memory:" {
        // SAFETY: the output pointer is writable.
        unsafe { keystead_store_open_in_memory(null(), &mut handle, null_mut()) }
    } else {
        let c_dir = CString::new(dir.as_str()).expect("path");
        // SAFETY: valid C string and output pointer.
        unsafe { keystead_store_open(c_dir.as_ptr(), null(), &mut handle, null_mut()) }
    };
    assert_eq!(rc, keystead_result::Ok);
    // SAFETY: `handle` is live until keystead_store_free below.
    let store = unsafe { &*handle }.core().clone();
    if store.describe_key(ALIAS).is_err() {
        let key = store.create_key(Default::default()).expect("create key");
        store.create_alias(ALIAS, &key.key_id).expect("create alias");
    }
    let plaintext = [0x5a_u8; 1024];
    let alias = CString::new(ALIAS).expect("alias");
    let rust = || {
        store.encrypt(EncryptRequest { key_id: ALIAS, plaintext: &plaintext, ..Default::default() }).expect("encrypt");
    };
    let ffi = || {
        let mut out = null_mut();
        // SAFETY: live handle, valid strings and buffers, output pointer writable.
        let rc = unsafe {
            keystead_store_encrypt(
                handle,
                alias.as_ptr(),
                plaintext.as_ptr(),
                plaintext.len(),
                null(),
                null(),
                &mut out,
                null_mut(),
            )
        };
        assert_eq!(rc, keystead_result::Ok);
        // SAFETY: `out` was just returned by the library.
        unsafe { keystead_bytes_free(out) };
    };

    // Warm up (material cache, SQLite pages), then alternate rounds so drift hits both alike.
    for _ in 0..1000 {
        rust();
        ffi();
    }
    // The fastest of several rounds is the least disturbed by other load on the machine.
    let rounds = 20;
    let per_round = (iterations / rounds).max(1);
    let (mut rust_best, mut ffi_best) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..per_round {
            rust();
        }
        rust_best = rust_best.min(start.elapsed().as_nanos() as f64 / f64::from(per_round));
        let start = Instant::now();
        for _ in 0..per_round {
            ffi();
        }
        ffi_best = ffi_best.min(start.elapsed().as_nanos() as f64 / f64::from(per_round));
    }
    println!("best of {rounds} rounds of {per_round} calls");
    println!("rust    store.encrypt (1 KiB):          {rust_best:8.0} ns/call");
    println!("rust->C keystead_store_encrypt (1 KiB): {ffi_best:8.0} ns/call");
    println!("difference:                             {:8.0} ns/call", ffi_best - rust_best);
    drop(store);
    // SAFETY: the handle is no longer used.
    unsafe { keystead_store_free(handle) };
}
