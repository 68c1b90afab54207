//! # Keystead for Node.js
//!
//! A napi-rs addon over `keystead-core`: AWS KMS as an embeddable library. The JavaScript API is
//! the `Keystead` class (`store::Keystead`); `index.d.ts` is generated from the doc comments
//! in this crate.
//!
//! Shape: every operation is a `task::Op` holding owned copies of its inputs; it runs either
//! on the JS thread (`...Sync`) or on the libuv thread pool (`task::Job`, a Promise). Errors are
//! mapped once, in `error::exception_code`.
#![deny(unsafe_code)]
#![deny(clippy::all)]
// napi exports must be `pub`; the modules are private, so `pub` here means "exported to JS".
#![allow(unreachable_pub)]

mod access;
mod audit;
mod bytes;
mod error;
mod ops;
mod store;
mod stream;
mod task;
mod types;

use napi_derive::napi;

/// The version of the Keystead core this addon was built with.
#[napi(strict)]
pub fn version() -> String {
    keystead_core::VERSION.to_owned()
}

/// Every error `code` the Keystead core can produce (the AWS KMS exception names plus
/// Keystead's own `IncorrectRootKeyException` and `CorruptStoreException`).
#[napi(strict)]
pub fn error_codes() -> Vec<String> {
    keystead_core::ErrorKind::ALL.iter().map(|k| error::exception_code(*k).to_owned()).collect()
}
