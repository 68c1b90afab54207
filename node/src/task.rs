//! One operation, two ways to run it: on the JS thread (`...Sync`) or on the libuv thread pool
//! (a Promise). Each operation is a small struct holding owned copies of its inputs (byte inputs
//! in zeroizing [`SecretBytes`](keystead_core::SecretBytes)), so nothing borrowed from JavaScript
//! is read off the JS thread.

use std::panic::{catch_unwind, AssertUnwindSafe};

use keystead_core::Keystead as Core;
use napi::bindgen_prelude::{ToNapiValue, TypeName};
use napi::{Env, Task};

use crate::error::{core_error, panic_error};

/// An operation on a store. A queued one (`Job`) is also `Send + 'static`: it owns its inputs;
/// one run on the JS thread may borrow them from the caller's arguments (`ops::Input`).
pub trait Op {
    /// What the core returns (plain Rust data, `Send`).
    type Output: Send + 'static;
    /// What JavaScript receives.
    type Js: ToNapiValue + TypeName;

    /// Runs the operation (on any thread).
    fn run(&self, store: &Core) -> keystead_core::Result<Self::Output>;

    /// Converts the output on the JS thread.
    fn to_js(env: &Env, output: Self::Output) -> napi::Result<Self::Js>;
}

/// Runs `op`, turning a panic into a `KMSInternalException`.
fn run_guarded<O: Op>(store: &Core, op: &O) -> keystead_core::Result<O::Output> {
    catch_unwind(AssertUnwindSafe(|| op.run(store))).unwrap_or_else(|_| Err(panic_error()))
}

/// Runs `op` on the calling (JS) thread.
pub fn run_sync<O: Op>(env: &Env, store: &Core, op: O) -> napi::Result<O::Js> {
    match run_guarded(store, &op) {
        Ok(output) => O::to_js(env, output),
        Err(err) => Err(core_error(env, &err)),
    }
}

/// An operation queued on the libuv thread pool; the Promise settles on the JS thread.
pub struct Job<O: Op + Send + 'static> {
    store: Core,
    op: O,
}

impl<O: Op + Send + 'static> Job<O> {
    pub fn new(store: &Core, op: O) -> Self {
        Self { store: store.clone(), op }
    }
}

impl<O: Op + Send + 'static> Task for Job<O> {
    type Output = keystead_core::Result<O::Output>;
    type JsValue = O::Js;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(run_guarded(&self.store, &self.op))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        match output {
            Ok(output) => O::to_js(&env, output),
            Err(err) => Err(core_error(&env, &err)),
        }
    }
}

/// Opening a store is a task too (scrypt for a passphrase takes ~100 ms); it has no store yet.
pub trait OpenOp: Send + 'static {
    fn open(&self) -> keystead_core::Result<Core>;
}

/// The task behind `Keystead.open`.
pub struct OpenJob<O: OpenOp> {
    op: O,
}

impl<O: OpenOp> OpenJob<O> {
    pub fn new(op: O) -> Self {
        Self { op }
    }
}

pub fn open_guarded<O: OpenOp>(op: &O) -> keystead_core::Result<Core> {
    catch_unwind(AssertUnwindSafe(|| op.open())).unwrap_or_else(|_| Err(panic_error()))
}

impl<O: OpenOp> Task for OpenJob<O> {
    type Output = keystead_core::Result<Core>;
    type JsValue = crate::store::Keystead;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(open_guarded(&self.op))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        match output {
            Ok(core) => Ok(crate::store::Keystead::wrap(core)),
            Err(err) => Err(core_error(&env, &err)),
        }
    }
}
