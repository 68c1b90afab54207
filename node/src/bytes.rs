//! Byte outputs. A result's bytes are **copied** into a new V8-owned `Buffer`
//! (`BufferSlice::copy_from`, i.e. `napi_create_buffer_copy`) rather than handed over as an
//! external buffer: V8 frees the copy at GC without a finalizer (napi finalizers run only when
//! the event loop turns, so a long synchronous loop of `...Sync` calls would otherwise hold every
//! result's memory), and the Rust copy of a secret is zeroized right after the copy.

use keystead_core::SecretBytes;
use napi::bindgen_prelude::BufferSlice;
use napi::Env;

/// Bytes already copied into a JavaScript `Buffer` (a public value: ciphertext).
pub type Bytes = BufferSlice<'static>;

/// Secret bytes already copied into a JavaScript `Buffer` (the Rust copy is zeroized).
pub type Secret = BufferSlice<'static>;

/// Copies `data` into a new `Buffer` of `env`.
pub(crate) fn bytes(env: &Env, data: Vec<u8>) -> napi::Result<Bytes> {
    BufferSlice::copy_from(env, data)
}

/// Copies `data` into a new `Buffer` of `env`; `data` (zeroizing) is dropped after the copy.
pub(crate) fn secret(env: &Env, data: SecretBytes) -> napi::Result<Secret> {
    BufferSlice::copy_from(env, data.expose())
}
