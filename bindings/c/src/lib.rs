//! # Keystead C ABI
//!
//! The stable C interface of Keystead (`include/keystead.h`, library `libkeystead`). The Rust
//! item names are the C names. Conventions (see `bindings/c/README.md`):
//!
//! - Every fallible function returns a `keystead_result` (0 = `KEYSTEAD_RESULT_OK`) and takes a
//!   last optional `keystead_error **err_out`: when not NULL it receives NULL on success and a
//!   new error object (code, AWS exception name, message) on failure. No thread-local state.
//! - Receiver first, then inputs, then outputs. Byte inputs are `(const uint8_t *p, size_t len)`
//!   (NULL allowed only with `len == 0`); strings are NUL-terminated UTF-8.
//! - Every byte, string and JSON output is a library-allocated `keystead_bytes *` freed with
//!   `keystead_bytes_free` (which zeroizes). Output pointers are written only on success; each is
//!   set to NULL when its argument is checked, so a call refused on an earlier argument leaves
//!   later ones as they were. After a failure nothing is handed out: do not read or free outputs.
//! - Metadata results are JSON text in the exact AWS response shape.
//! - `_free(NULL)` is a no-op; no panic crosses the boundary (`KEYSTEAD_RESULT_PANIC`).
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]

// First: the boundary macros are textually scoped.
#[macro_use]
mod boundary;

mod access;
mod access_keys;
mod audit;
mod bytes;
mod call_options;
mod crypto;
mod envelope;
mod error;
mod fields;
mod import;
mod json;
mod keys;
mod secrets;
mod signing;
mod store;
mod stream;

pub use access::*;
pub use access_keys::*;
pub use audit::*;
pub use bytes::*;
pub use call_options::*;
pub use crypto::*;
pub use envelope::*;
pub use error::*;
pub use fields::*;
pub use import::*;
pub use keys::*;
pub use secrets::*;
pub use signing::*;
pub use store::*;
pub use stream::*;

/// The ABI generation of this library. It changes only on an incompatible change to the C
/// interface; compare `keystead_abi_version()` with this macro at start-up.
pub const KEYSTEAD_ABI_VERSION: u32 = 1;

static VERSION_CSTR: &std::ffi::CStr =
    match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(text) => text,
        Err(_) => panic!("version contains a NUL"),
    };

/// The library version, e.g. `"0.1.0"`.
///
/// Ownership: a static string; do not free it. Thread safety: any thread.
#[no_mangle]
pub extern "C" fn keystead_version() -> *const std::os::raw::c_char {
    VERSION_CSTR.as_ptr()
}

/// The ABI generation of the loaded library (see `KEYSTEAD_ABI_VERSION`).
///
/// Thread safety: any thread.
/// Ownership: returns a plain value; nothing to free.
/// NULL behaviour: takes no pointers.
#[no_mangle]
pub extern "C" fn keystead_abi_version() -> u32 {
    KEYSTEAD_ABI_VERSION
}
