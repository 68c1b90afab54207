//! Byte outputs. A result's bytes are **copied** into a new V8-owned `Buffer`
//! (`napi_create_buffer_copy`) rather than handed over as an external buffer: V8 frees the copy
//! at GC without a finalizer (napi finalizers run only when the event loop turns, so a long
//! synchronous loop of `...Sync` calls would otherwise hold every result's memory), and the Rust
//! copy of a secret is zeroized right after the copy.

use std::ptr;

use keystead_core::SecretBytes;
use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, ValueType};

/// Bytes that become a JavaScript `Buffer` (a public value: ciphertext).
pub struct Bytes(pub Vec<u8>);

/// Secret bytes that become a JavaScript `Buffer`; the Rust copy is zeroized when dropped.
pub struct Secret(pub SecretBytes);

/// Copies `data` into a new `Buffer` of `env`.
///
/// # Safety
/// `env` must be the live environment of the current JS-thread call.
unsafe fn buffer_copy(env: sys::napi_env, data: &[u8]) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    let mut copied = ptr::null_mut();
    // SAFETY: `data` is valid for `data.len()` bytes; `env` is live (caller's contract); Node
    // copies the bytes before returning, so nothing borrowed outlives this call.
    let status = unsafe { sys::napi_create_buffer_copy(env, data.len(), data.as_ptr().cast(), &mut copied, &mut out) };
    if status == sys::Status::napi_ok {
        Ok(out)
    } else {
        Err(napi::Error::new(napi::Status::GenericFailure, "Failed to create a Buffer"))
    }
}

impl ToNapiValue for Bytes {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: napi calls this on the JS thread with a live `env`.
        unsafe { buffer_copy(env, &val.0) }
    }
}

impl ToNapiValue for Secret {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: as above; `val` (and its zeroizing memory) is dropped after the copy.
        unsafe { buffer_copy(env, val.0.expose()) }
    }
}

// Result objects are output-only, but `#[napi(object)]` also derives `FromNapiValue`; these
// impls make that possible (a JS object passed back in would be copied).
impl FromNapiValue for Bytes {
    unsafe fn from_napi_value(env: sys::napi_env, napi_val: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: forwarded contract.
        let slice: &[u8] = unsafe { <&[u8]>::from_napi_value(env, napi_val) }?;
        Ok(Self(slice.to_vec()))
    }
}

impl FromNapiValue for Secret {
    unsafe fn from_napi_value(env: sys::napi_env, napi_val: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: forwarded contract.
        let slice: &[u8] = unsafe { <&[u8]>::from_napi_value(env, napi_val) }?;
        Ok(Self(SecretBytes::copy_from(slice)))
    }
}

macro_rules! buffer_type_name {
    ($t:ty) => {
        impl TypeName for $t {
            fn type_name() -> &'static str {
                "Buffer"
            }
            fn value_type() -> ValueType {
                ValueType::Object
            }
        }
        impl ValidateNapiValue for $t {}
    };
}
buffer_type_name!(Bytes);
buffer_type_name!(Secret);
