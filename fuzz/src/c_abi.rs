//! Target `c_abi`: random sequences of `keystead_*` calls through the C ABI (the `keystead-ffi`
//! crate linked as an rlib), with NULL pointers, NULL-with-length, oversize lengths, strings
//! that are not UTF-8 or not AWS values, and handles that were freed from the pool (never
//! passed again: a use after free is the caller's undefined behaviour, not a library finding).
//!
//! Every call is checked against the ABI's contract (`bindings/c/src/lib.rs`):
//! - no `KEYSTEAD_RESULT_PANIC`, no `KMSInternalException` or `CorruptStoreException` from
//!   bad input;
//! - a required pointer that is NULL, or a `(NULL, len > 0)` / `len > PTRDIFF_MAX` byte
//!   argument, never succeeds;
//! - on success `*err_out` is NULL and every requested output is set; on failure `*err_out`
//!   holds an error whose code is the result, with a name and a UTF-8 message, and every
//!   output is NULL (outputs are set to NULL first and written only on success);
//! - `keystead_bytes_copy` writes nothing past the capacity it is given (canary bytes).
//!
//! Input: a sequence of operations, each an op byte followed by its arguments; everything the
//! library returned is freed at the end of the input (LeakSanitizer reports what is not).

use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

use keystead::*;

use crate::input::Input;

const KEY_SPECS: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "HMAC_256",
    "ECC_NIST_P256",
    "ECC_NIST_EDWARDS25519",
    "ECC_SECG_P256K1",
    "HMAC_512",
    "RSA_2048",
    "ML_DSA_44",
    "SM2",
    "symmetric_default",
];
const USAGES: &[&str] = &["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "Encrypt"];
const ORIGINS: &[&str] = &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE", ""];
const ENCRYPTION_ALGORITHMS: &[&str] =
    &["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE", "AES"];
const DATA_KEY_SPECS: &[&str] = &["AES_256", "AES_128", "AES_512"];
const PAIR_SPECS: &[&str] = &["ECC_NIST_P256", "ECC_NIST_EDWARDS25519", "ECC_SECG_P256K1", "RSA_2048", "ECC_NIST_P521"];
const SIGNING_ALGORITHMS: &[&str] = &[
    "ECDSA_SHA_256",
    "ED25519_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "ECDSA_SHA_384",
    "ML_DSA_SHAKE_256",
];
const MESSAGE_TYPES: &[&str] = &["RAW", "DIGEST", "EXTERNAL_MU", "ED25519_PH"];
const MAC_ALGORITHMS: &[&str] = &["HMAC_SHA_256", "HMAC_SHA_512", "HMAC_SHA_224", "HMAC"];
const WRAPPING_ALGORITHMS: &[&str] =
    &["RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5", "SM2PKE"];
const WRAPPING_SPECS: &[&str] = &["RSA_2048", "SM2", "RSA_1024"];
const EXPIRATION_MODELS: &[&str] = &["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE", "NEVER"];
const INCLUDE_KEY_MATERIAL: &[&str] = &["ALL_KEY_MATERIAL", "ROTATIONS_ONLY", "NONE"];
const NAMES: &[&str] = &["alias/fuzz", "alias/aws/s3", "alias/", "aws:tag", "tenant", "key/../x", "arn:aws:kms:::"];

/// Operations that generate RSA keys or run scrypt cost 50 ms to 1 s; a few per input.
const SLOW_BUDGET: u32 = 2;

/// A C string argument: NULL, or bytes kept alive for the call.
struct Text(Option<CString>);

impl Text {
    fn ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(null(), |s| s.as_ptr())
    }
    fn is_null(&self) -> bool {
        self.0.is_none()
    }
    fn bytes(&self) -> &[u8] {
        self.0.as_ref().map_or(&[], |s| s.as_bytes())
    }
}

/// A `(ptr, len)` byte argument and whether it is malformed.
struct Bytes {
    data: Vec<u8>,
    mode: u8,
}

impl Bytes {
    fn ptr(&self) -> *const u8 {
        match self.mode {
            1 => null(),
            4 => std::ptr::NonNull::dangling().as_ptr(),
            _ if self.data.is_empty() => null(),
            _ => self.data.as_ptr(),
        }
    }
    fn len(&self) -> usize {
        match self.mode {
            1 => self.data.len().max(1),
            3 => usize::MAX - usize::from(self.data.first().copied().unwrap_or(0)),
            4 => 0,
            _ => self.data.len(),
        }
    }
    /// Malformed by the ABI's own rules: `(NULL, len > 0)` or a length above `PTRDIFF_MAX`.
    fn bad(&self) -> bool {
        matches!(self.mode, 1 | 3)
    }
}

/// An output slot, pre-filled with garbage so that "set to NULL first" is observable.
struct OutSlot<T> {
    value: *mut T,
    wanted: bool,
}

impl<T> OutSlot<T> {
    fn new(wanted: bool) -> Self {
        Self { value: std::ptr::NonNull::dangling().as_ptr(), wanted }
    }
    fn arg(&mut self) -> *mut *mut T {
        if self.wanted {
            &mut self.value
        } else {
            null_mut()
        }
    }
}

struct Session<'a> {
    input: Input<'a>,
    slow: u32,
    stores: Vec<*mut keystead_store>,
    options: Vec<*mut keystead_options>,
    root_keys: Vec<(*mut keystead_root_key, bool)>,
    contexts: Vec<*mut keystead_context>,
    tags: Vec<*mut keystead_tags>,
    requests: Vec<*mut keystead_create_key_request>,
    bytes: Vec<*mut keystead_bytes>,
    /// Key ids, ARNs, aliases and access key ids the library returned (copied).
    names: Vec<Vec<u8>>,
    /// Ciphertexts, messages, signatures, MACs, public keys and tokens it returned.
    blobs: Vec<Vec<u8>>,
}

fn c_str_ok(ptr: *const c_char) -> bool {
    // SAFETY: the library returns NULL or a NUL-terminated string it owns.
    !ptr.is_null() && unsafe { CStr::from_ptr(ptr) }.to_str().is_ok()
}

impl<'a> Session<'a> {
    fn pick<T: Copy>(&mut self, pool: &[T]) -> Option<T> {
        let choice = usize::from(self.input.u8());
        if pool.is_empty() || choice % 5 == 0 {
            None
        } else {
            Some(pool[choice % pool.len()])
        }
    }

    fn store(&mut self) -> *const keystead_store {
        let stores = self.stores.clone();
        self.pick(&stores).map_or(null(), |p| p.cast_const())
    }

    fn context(&mut self) -> *const keystead_context {
        let pool = self.contexts.clone();
        self.pick(&pool).map_or(null(), |p| p.cast_const())
    }

    /// A string argument from `vocab`, a name the library returned, arbitrary bytes, or NULL.
    fn text(&mut self, vocab: &[&str]) -> Text {
        let choice = self.input.u8();
        let raw: Vec<u8> = match choice % 8 {
            0 => return Text(None),
            1..=3 => vocab.get(usize::from(self.input.u8()) % vocab.len().max(1)).copied().unwrap_or("").into(),
            4 | 5 if !self.names.is_empty() => {
                let i = usize::from(self.input.u8()) % self.names.len();
                let mut name = self.names[i].clone();
                if choice % 8 == 5 {
                    // Near misses: case, a cut, a suffix.
                    match self.input.u8() % 3 {
                        0 => name.make_ascii_uppercase(),
                        1 => name.truncate(name.len() / 2),
                        _ => name.extend_from_slice(b"-x"),
                    }
                }
                name
            }
            6 => NAMES[usize::from(self.input.u8()) % NAMES.len()].into(),
            _ => self.input.short_bytes().to_vec(),
        };
        let mut raw: Vec<u8> = raw.into_iter().filter(|b| *b != 0).collect();
        // Key specs that take seconds to generate are never named (timeouts, not findings).
        if raw.windows(4).any(|w| w == b"RSA_") && !raw.ends_with(b"RSA_2048") {
            raw.clear();
        }
        Text(Some(CString::new(raw).expect("NULs removed")))
    }

    /// A byte argument: empty, data from the input, a blob the library returned, or malformed.
    fn bytes_arg(&mut self) -> Bytes {
        let mode = self.input.u8() % 8;
        let data = match mode {
            5 | 6 if !self.blobs.is_empty() => {
                let i = usize::from(self.input.u8()) % self.blobs.len();
                let mut blob = self.blobs[i].clone();
                if mode == 6 {
                    self.input.edit(&mut blob);
                }
                blob
            }
            _ => self.input.long_bytes().to_vec(),
        };
        Bytes { data, mode: if mode >= 5 { 0 } else { mode } }
    }

    fn out<T>(&mut self) -> OutSlot<T> {
        OutSlot::new(self.input.u8() % 8 != 0)
    }

    fn slow(&mut self) -> bool {
        if self.slow >= SLOW_BUDGET {
            return false;
        }
        self.slow += 1;
        true
    }

    /// Checks a call's result and error object against the contract; returns whether it
    /// succeeded. `must_fail`: the arguments broke the ABI's rules.
    fn check(&mut self, what: &str, rc: keystead_result, err: &OutSlot<keystead_error>, must_fail: bool) -> bool {
        assert_ne!(rc, keystead_result::Panic, "{what}: a panic reached the boundary");
        assert!(
            !matches!(rc, keystead_result::Internal | keystead_result::CorruptStore),
            "{what}: bad input gave {rc:?}"
        );
        assert!(c_str_ok(keystead_result_name(rc as u32)));
        if must_fail {
            assert_ne!(rc, keystead_result::Ok, "{what}: succeeded with a NULL or malformed argument");
        }
        if err.wanted {
            if rc == keystead_result::Ok {
                assert!(err.value.is_null(), "{what}: success left an error object");
            } else {
                assert!(!err.value.is_null(), "{what}: failure without an error object");
                // SAFETY: a live error object from the library, freed once below.
                unsafe {
                    assert_eq!(keystead_error_code(err.value), rc, "{what}: error code differs from the result");
                    assert!(c_str_ok(keystead_error_name(err.value)), "{what}: error name");
                    assert!(c_str_ok(keystead_error_message(err.value)), "{what}: error message");
                    keystead_error_free(err.value);
                }
            }
        }
        rc == keystead_result::Ok
    }

    /// Takes an output after a call: NULL after a failure, set after a success.
    fn take<T>(&mut self, what: &str, ok: bool, slot: &OutSlot<T>) -> Option<*mut T> {
        if !slot.wanted {
            return None;
        }
        if ok {
            assert!(!slot.value.is_null(), "{what}: success without its output");
            Some(slot.value)
        } else {
            // A failure never hands out an object. (The ABI documents "set to NULL first";
            // a call refused on an earlier argument leaves later outputs untouched instead.)
            let untouched = slot.value == std::ptr::NonNull::dangling().as_ptr();
            assert!(slot.value.is_null() || untouched, "{what}: failure left an output");
            None
        }
    }

    /// Keeps a returned byte buffer; `name`: it is a key id, ARN or similar to reuse as text.
    fn keep_bytes(&mut self, what: &str, ok: bool, slot: &OutSlot<keystead_bytes>, name: bool) {
        if let Some(ptr) = self.take(what, ok, slot) {
            // SAFETY: a live keystead_bytes from the library.
            let content = unsafe {
                let len = keystead_bytes_len(ptr);
                let data = keystead_bytes_data(ptr);
                assert!(len == 0 || !data.is_null(), "{what}: bytes with a length but no data");
                if len == 0 {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(data, len).to_vec()
                }
            };
            if name {
                if self.names.len() < 32 {
                    self.names.push(content);
                }
            } else if self.blobs.len() < 32 && content.len() <= 8192 {
                self.blobs.push(content);
            }
            self.bytes.push(ptr);
        }
    }

    fn step(&mut self) {
        let op = self.input.u8() % 40;
        let mut err = self.out::<keystead_error>();
        match op {
            0 => {
                let options = {
                    let pool = self.options.clone();
                    self.pick(&pool).map_or(null(), |p| p.cast_const())
                };
                let mut store = self.out::<keystead_store>();
                // SAFETY: every pointer is NULL or live; outputs are writable slots.
                let rc = unsafe { keystead_store_open_in_memory(options, store.arg(), err.arg()) };
                let ok = self.check("store_open_in_memory", rc, &err, !store.wanted);
                if let Some(p) = self.take("store_open_in_memory", ok, &store) {
                    self.stores.push(p);
                }
            }
            1 => {
                let mut options = self.out::<keystead_options>();
                // SAFETY: as above.
                let rc = unsafe { keystead_options_new(options.arg(), err.arg()) };
                let ok = self.check("options_new", rc, &err, !options.wanted);
                if let Some(p) = self.take("options_new", ok, &options) {
                    self.options.push(p);
                }
            }
            2 => {
                let options = {
                    let pool = self.options.clone();
                    self.pick(&pool).unwrap_or(null_mut())
                };
                let which = self.input.u8() % 4;
                let (rc, must_fail) = match which {
                    0 => {
                        let root = {
                            // Passphrase root keys run scrypt when a store opens: only within budget.
                            let pool: Vec<_> =
                                self.root_keys.iter().filter(|(_, slow)| !*slow).map(|(p, _)| *p).collect();
                            self.pick(&pool).map_or(null(), |p| p.cast_const())
                        };
                        // SAFETY: as above.
                        let rc = unsafe { keystead_options_set_root_key(options, root, err.arg()) };
                        (rc, options.is_null() || root.is_null())
                    }
                    1 => {
                        let region = self.text(&["us-east-1", "eu-west-3", "US-EAST-1", "x"]);
                        // SAFETY: as above.
                        let rc = unsafe { keystead_options_set_region(options, region.ptr(), err.arg()) };
                        (rc, options.is_null() || region.is_null())
                    }
                    2 => {
                        let account = self.text(&["111122223333", "12345", "abcdefghijkl"]);
                        // SAFETY: as above.
                        let rc = unsafe { keystead_options_set_account_id(options, account.ptr(), err.arg()) };
                        (rc, options.is_null() || account.is_null())
                    }
                    _ => {
                        let capacity = usize::from(self.input.u16());
                        // SAFETY: as above.
                        let rc = unsafe { keystead_options_set_cache_capacity(options, capacity, err.arg()) };
                        (rc, options.is_null())
                    }
                };
                self.check("options_set", rc, &err, must_fail);
            }
            3 => {
                let mut root = self.out::<keystead_root_key>();
                let which = self.input.u8() % 4;
                let (rc, must_fail, slow) = match which {
                    0 => {
                        let key = self.bytes_arg();
                        // SAFETY: `key` is a valid (ptr, len) or a deliberately malformed one the
                        // library must refuse before reading.
                        let rc = unsafe { keystead_root_key_new_bytes(key.ptr(), key.len(), root.arg(), err.arg()) };
                        (rc, key.bad(), false)
                    }
                    1 => {
                        let pass = self.bytes_arg();
                        // SAFETY: as above.
                        let rc =
                            unsafe { keystead_root_key_new_passphrase(pass.ptr(), pass.len(), root.arg(), err.arg()) };
                        (rc, pass.bad(), true)
                    }
                    2 => {
                        let name = self.text(&["KEYSTEAD_ROOT_KEY", "PATH", "HOME", ""]);
                        // SAFETY: as above.
                        let rc = unsafe { keystead_root_key_new_env(name.ptr(), root.arg(), err.arg()) };
                        // NULL names the default variable (KEYSTEAD_ROOT_KEY): not malformed.
                        (rc, false, false)
                    }
                    _ => {
                        // Only paths in a folder that does not exist: nothing is ever written.
                        let path = CString::new("/nonexistent-keystead-fuzz/root.key").expect("no NUL");
                        let path = if self.input.u8() % 4 == 0 { null() } else { path.as_ptr() };
                        // SAFETY: as above.
                        let rc = unsafe { keystead_root_key_new_file(path, root.arg(), err.arg()) };
                        // NULL is the default `<store>/root.key`: not malformed.
                        (rc, false, false)
                    }
                };
                let ok = self.check("root_key_new", rc, &err, must_fail || !root.wanted);
                if let Some(p) = self.take("root_key_new", ok, &root) {
                    self.root_keys.push((p, slow));
                }
            }
            4 => {
                let mut ctx = self.out::<keystead_context>();
                // SAFETY: as above.
                let rc = unsafe { keystead_context_new(ctx.arg(), err.arg()) };
                let ok = self.check("context_new", rc, &err, !ctx.wanted);
                if let Some(p) = self.take("context_new", ok, &ctx) {
                    self.contexts.push(p);
                }
            }
            5 => {
                let ctx = {
                    let pool = self.contexts.clone();
                    self.pick(&pool).unwrap_or(null_mut())
                };
                let key = self.text(&["tenant", "a", "b", "Tenant"]);
                let value = self.text(&["42", "", "✓"]);
                // SAFETY: as above.
                let rc = unsafe { keystead_context_add(ctx, key.ptr(), value.ptr(), err.arg()) };
                self.check("context_add", rc, &err, ctx.is_null() || key.is_null() || value.is_null());
            }
            6 => {
                let mut tags = self.out::<keystead_tags>();
                // SAFETY: as above.
                let rc = unsafe { keystead_tags_new(tags.arg(), err.arg()) };
                let ok = self.check("tags_new", rc, &err, !tags.wanted);
                if let Some(p) = self.take("tags_new", ok, &tags) {
                    self.tags.push(p);
                }
            }
            7 => {
                let tags = {
                    let pool = self.tags.clone();
                    self.pick(&pool).unwrap_or(null_mut())
                };
                let key = self.text(&["team", "aws:reserved", "", "Team"]);
                let value = self.text(&["blue", ""]);
                // SAFETY: as above.
                let rc = unsafe { keystead_tags_add(tags, key.ptr(), value.ptr(), err.arg()) };
                self.check("tags_add", rc, &err, tags.is_null() || key.is_null() || value.is_null());
            }
            8 => {
                let mut request = self.out::<keystead_create_key_request>();
                // SAFETY: as above.
                let rc = unsafe { keystead_create_key_request_new(request.arg(), err.arg()) };
                let ok = self.check("create_key_request_new", rc, &err, !request.wanted);
                if let Some(p) = self.take("create_key_request_new", ok, &request) {
                    self.requests.push(p);
                }
            }
            9 => {
                let request = {
                    let pool = self.requests.clone();
                    self.pick(&pool).unwrap_or(null_mut())
                };
                let which = self.input.u8() % 6;
                let (rc, must_fail) = match which {
                    0 => {
                        let spec = self.text(KEY_SPECS);
                        // SAFETY: as above.
                        let rc = unsafe { keystead_create_key_request_set_key_spec(request, spec.ptr(), err.arg()) };
                        (rc, spec.is_null())
                    }
                    1 => {
                        let usage = self.text(USAGES);
                        // SAFETY: as above.
                        let rc = unsafe { keystead_create_key_request_set_key_usage(request, usage.ptr(), err.arg()) };
                        (rc, usage.is_null())
                    }
                    2 => {
                        let origin = self.text(ORIGINS);
                        // SAFETY: as above.
                        let rc = unsafe { keystead_create_key_request_set_origin(request, origin.ptr(), err.arg()) };
                        (rc, origin.is_null())
                    }
                    3 => {
                        let text = self.text(&["orders", ""]);
                        // SAFETY: as above.
                        let rc = unsafe { keystead_create_key_request_set_description(request, text.ptr(), err.arg()) };
                        (rc, text.is_null())
                    }
                    4 => {
                        let multi = self.input.u8() % 2 == 1;
                        // SAFETY: as above.
                        let rc = unsafe { keystead_create_key_request_set_multi_region(request, multi, err.arg()) };
                        (rc, false)
                    }
                    _ => {
                        let tags = {
                            let pool = self.tags.clone();
                            self.pick(&pool).map_or(null(), |p| p.cast_const())
                        };
                        // SAFETY: as above.
                        let rc = unsafe { keystead_create_key_request_set_tags(request, tags, err.arg()) };
                        (rc, tags.is_null())
                    }
                };
                self.check("create_key_request_set", rc, &err, must_fail || request.is_null());
            }
            10 => {
                // RSA key generation is slow: only within the budget.
                if !self.slow() {
                    return;
                }
                let store = self.store();
                let request = {
                    let pool = self.requests.clone();
                    self.pick(&pool).map_or(null(), |p| p.cast_const())
                };
                let mut key_id = self.out::<keystead_bytes>();
                let mut json = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe { keystead_store_create_key(store, request, key_id.arg(), json.arg(), err.arg()) };
                let ok = self.check("store_create_key", rc, &err, store.is_null());
                self.keep_bytes("create_key key_id", ok, &key_id, true);
                self.keep_bytes("create_key json", ok, &json, false);
            }
            11 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let plaintext = self.bytes_arg();
                let ctx = self.context();
                let algorithm = self.text(ENCRYPTION_ALGORITHMS);
                let mut blob = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe {
                    keystead_store_encrypt(
                        store,
                        key_id.ptr(),
                        plaintext.ptr(),
                        plaintext.len(),
                        ctx,
                        algorithm.ptr(),
                        blob.arg(),
                        err.arg(),
                    )
                };
                let must_fail = store.is_null() || key_id.is_null() || plaintext.bad() || !blob.wanted;
                let ok = self.check("store_encrypt", rc, &err, must_fail);
                self.keep_bytes("encrypt", ok, &blob, false);
            }
            12 => {
                let store = self.store();
                let blob = self.bytes_arg();
                let ctx = self.context();
                let key_id = if self.input.u8() % 2 == 0 { Text(None) } else { self.text(&["alias/fuzz"]) };
                let algorithm = if self.input.u8() % 2 == 0 { Text(None) } else { self.text(ENCRYPTION_ALGORITHMS) };
                let mut plaintext = self.out::<keystead_bytes>();
                let mut used_key = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe {
                    keystead_store_decrypt(
                        store,
                        blob.ptr(),
                        blob.len(),
                        ctx,
                        key_id.ptr(),
                        algorithm.ptr(),
                        plaintext.arg(),
                        used_key.arg(),
                        err.arg(),
                    )
                };
                let ok = self.check("store_decrypt", rc, &err, store.is_null() || blob.bad() || !plaintext.wanted);
                self.keep_bytes("decrypt plaintext", ok, &plaintext, false);
                self.keep_bytes("decrypt key", ok, &used_key, true);
            }
            13 => {
                let store = self.store();
                let blob = self.bytes_arg();
                let source_ctx = self.context();
                let source_key = if self.input.u8() % 2 == 0 { Text(None) } else { self.text(&[]) };
                let destination = self.text(&["alias/fuzz"]);
                let destination_ctx = self.context();
                let source_alg = if self.input.u8() % 2 == 0 { Text(None) } else { self.text(ENCRYPTION_ALGORITHMS) };
                let destination_alg =
                    if self.input.u8() % 2 == 0 { Text(None) } else { self.text(ENCRYPTION_ALGORITHMS) };
                let mut out = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe {
                    keystead_store_re_encrypt(
                        store,
                        blob.ptr(),
                        blob.len(),
                        source_ctx,
                        source_key.ptr(),
                        destination.ptr(),
                        destination_ctx,
                        source_alg.ptr(),
                        destination_alg.ptr(),
                        out.arg(),
                        err.arg(),
                    )
                };
                let must_fail = store.is_null() || blob.bad() || destination.is_null() || !out.wanted;
                let ok = self.check("store_re_encrypt", rc, &err, must_fail);
                self.keep_bytes("re_encrypt", ok, &out, false);
            }
            14 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let ctx = self.context();
                let spec = if self.input.u8() % 2 == 0 { Text(None) } else { self.text(DATA_KEY_SPECS) };
                let count = u32::from(self.input.u16() % 1100);
                let with_plaintext = self.input.u8() % 2 == 0;
                let mut plaintext = self.out::<keystead_bytes>();
                let mut blob = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe {
                    if with_plaintext {
                        keystead_store_generate_data_key(
                            store,
                            key_id.ptr(),
                            ctx,
                            spec.ptr(),
                            count,
                            plaintext.arg(),
                            blob.arg(),
                            err.arg(),
                        )
                    } else {
                        plaintext.wanted = false;
                        keystead_store_generate_data_key_without_plaintext(
                            store,
                            key_id.ptr(),
                            ctx,
                            spec.ptr(),
                            count,
                            blob.arg(),
                            err.arg(),
                        )
                    }
                };
                let ok = self.check("generate_data_key", rc, &err, store.is_null() || key_id.is_null());
                self.keep_bytes("generate_data_key plaintext", ok, &plaintext, false);
                self.keep_bytes("generate_data_key blob", ok, &blob, false);
            }
            15 => {
                let store = self.store();
                let count =
                    if self.input.u8() % 4 == 0 { self.input.u32() } else { u32::from(self.input.u16() % 1100) };
                let mut random = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe { keystead_store_generate_random(store, count, random.arg(), err.arg()) };
                let ok = self.check("generate_random", rc, &err, store.is_null() || !random.wanted);
                if ok {
                    assert_eq!(count as usize, {
                        // SAFETY: a live keystead_bytes.
                        unsafe { keystead_bytes_len(random.value) }
                    });
                }
                self.keep_bytes("generate_random", ok, &random, false);
            }
            16 => {
                let spec = self.text(PAIR_SPECS);
                if spec.bytes().starts_with(b"RSA") && !self.slow() {
                    return;
                }
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let ctx = self.context();
                let with_plaintext = self.input.u8() % 2 == 0;
                let mut private = self.out::<keystead_bytes>();
                let mut private_blob = self.out::<keystead_bytes>();
                let mut public = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe {
                    if with_plaintext {
                        keystead_store_generate_data_key_pair(
                            store,
                            key_id.ptr(),
                            ctx,
                            spec.ptr(),
                            private.arg(),
                            private_blob.arg(),
                            public.arg(),
                            err.arg(),
                        )
                    } else {
                        private.wanted = false;
                        keystead_store_generate_data_key_pair_without_plaintext(
                            store,
                            key_id.ptr(),
                            ctx,
                            spec.ptr(),
                            private_blob.arg(),
                            public.arg(),
                            err.arg(),
                        )
                    }
                };
                let ok = self.check(
                    "generate_data_key_pair",
                    rc,
                    &err,
                    store.is_null() || key_id.is_null() || spec.is_null(),
                );
                self.keep_bytes("data_key_pair private", ok, &private, false);
                self.keep_bytes("data_key_pair blob", ok, &private_blob, false);
                self.keep_bytes("data_key_pair public", ok, &public, false);
            }
            17 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let plaintext = self.bytes_arg();
                let ctx = self.context();
                let extra: Vec<Text> = (0..self.input.u8() % 4).map(|_| self.text(&["alias/fuzz"])).collect();
                let extra_ptrs: Vec<*const c_char> = extra.iter().map(Text::ptr).collect();
                let (extra_ptr, extra_len, extra_bad) = match self.input.u8() % 4 {
                    0 if !extra_ptrs.is_empty() => (null(), extra_ptrs.len(), true),
                    _ if extra_ptrs.is_empty() => (null(), 0, false),
                    _ => (extra_ptrs.as_ptr(), extra_ptrs.len(), extra.iter().any(Text::is_null)),
                };
                let segment_size = match self.input.u8() % 4 {
                    0 => 0,
                    1 => usize::from(self.input.u16()),
                    2 => usize::MAX,
                    _ => 16,
                };
                let mut message = self.out::<keystead_bytes>();
                // SAFETY: as above; `extra_ptrs` outlives the call.
                let rc = unsafe {
                    keystead_envelope_seal(
                        store,
                        key_id.ptr(),
                        plaintext.ptr(),
                        plaintext.len(),
                        ctx,
                        extra_ptr,
                        extra_len,
                        segment_size,
                        message.arg(),
                        err.arg(),
                    )
                };
                let must_fail = store.is_null() || key_id.is_null() || plaintext.bad() || extra_bad || !message.wanted;
                let ok = self.check("envelope_seal", rc, &err, must_fail);
                self.keep_bytes("envelope_seal", ok, &message, false);
            }
            18 => {
                let store = self.store();
                let message = self.bytes_arg();
                let ctx = self.context();
                let allowed: Vec<Text> = (0..self.input.u8() % 3).map(|_| self.text(&["alias/fuzz"])).collect();
                let allowed_ptrs: Vec<*const c_char> = allowed.iter().map(Text::ptr).collect();
                let (allowed_ptr, allowed_len) =
                    if allowed_ptrs.is_empty() { (null(), 0) } else { (allowed_ptrs.as_ptr(), allowed_ptrs.len()) };
                let max_keys = usize::from(self.input.u8() % 10);
                let mut plaintext = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe {
                    keystead_envelope_open(
                        store,
                        message.ptr(),
                        message.len(),
                        ctx,
                        allowed_ptr,
                        allowed_len,
                        max_keys,
                        plaintext.arg(),
                        err.arg(),
                    )
                };
                let must_fail =
                    store.is_null() || message.bad() || !plaintext.wanted || allowed.iter().any(Text::is_null);
                let ok = self.check("envelope_open", rc, &err, must_fail);
                self.keep_bytes("envelope_open", ok, &plaintext, false);
            }
            19 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let mut json = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe { keystead_store_describe_key(store, key_id.ptr(), json.arg(), err.arg()) };
                let ok = self.check("describe_key", rc, &err, store.is_null() || key_id.is_null() || !json.wanted);
                self.keep_bytes("describe_key", ok, &json, false);
            }
            20 => {
                let store = self.store();
                let limit = u32::from(self.input.u8() % 4) * 500;
                let marker = if self.input.u8() % 2 == 0 { Text(None) } else { self.text(&["bWFya2Vy"]) };
                let which = self.input.u8() % 2;
                let key_id = self.text(&["alias/fuzz"]);
                let mut json = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let rc = unsafe {
                    if which == 0 {
                        keystead_store_list_keys(store, limit, marker.ptr(), json.arg(), err.arg())
                    } else {
                        keystead_store_list_aliases(store, key_id.ptr(), limit, marker.ptr(), json.arg(), err.arg())
                    }
                };
                let ok = self.check("list", rc, &err, store.is_null() || !json.wanted);
                self.keep_bytes("list", ok, &json, false);
            }
            21 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let which = self.input.u8() % 6;
                let mut out = self.out::<keystead_bytes>();
                // SAFETY: as above.
                // SAFETY: as above.
                let (rc, extra_fail) = unsafe {
                    match which {
                        0 => (keystead_store_enable_key(store, key_id.ptr(), err.arg()), false),
                        1 => (keystead_store_disable_key(store, key_id.ptr(), err.arg()), false),
                        2 => {
                            let days = u32::from(self.input.u8() % 40);
                            (
                                keystead_store_schedule_key_deletion(store, key_id.ptr(), days, out.arg(), err.arg()),
                                false,
                            )
                        }
                        3 => (keystead_store_cancel_key_deletion(store, key_id.ptr(), out.arg(), err.arg()), false),
                        4 => {
                            let description = self.text(&["new description", ""]);
                            let rc = keystead_store_update_key_description(
                                store,
                                key_id.ptr(),
                                description.ptr(),
                                err.arg(),
                            );
                            (rc, description.is_null())
                        }
                        _ => (keystead_store_rotate_key_on_demand(store, key_id.ptr(), out.arg(), err.arg()), false),
                    }
                };
                if matches!(which, 0 | 1 | 4) {
                    out.wanted = false;
                }
                let must_fail = store.is_null() || key_id.is_null() || extra_fail;
                let ok = self.check("key_state_op", rc, &err, must_fail);
                self.keep_bytes("key_state_op", ok, &out, false);
            }
            22 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let which = self.input.u8() % 3;
                let mut json = self.out::<keystead_bytes>();
                let tags = {
                    let pool = self.tags.clone();
                    self.pick(&pool).map_or(null(), |p| p.cast_const())
                };
                let keys: Vec<Text> = (0..self.input.u8() % 3).map(|_| self.text(&["team", "aws:x"])).collect();
                let key_ptrs: Vec<*const c_char> = keys.iter().map(Text::ptr).collect();
                let limit = u32::from(self.input.u8());
                // SAFETY: as above.
                let (rc, must_fail) = unsafe {
                    match which {
                        0 => (keystead_store_tag_resource(store, key_id.ptr(), tags, err.arg()), tags.is_null()),
                        1 => (
                            keystead_store_untag_resource(
                                store,
                                key_id.ptr(),
                                if key_ptrs.is_empty() { null() } else { key_ptrs.as_ptr() },
                                key_ptrs.len(),
                                err.arg(),
                            ),
                            keys.iter().any(Text::is_null),
                        ),
                        _ => (
                            keystead_store_list_resource_tags(
                                store,
                                key_id.ptr(),
                                limit,
                                null(),
                                json.arg(),
                                err.arg(),
                            ),
                            !json.wanted,
                        ),
                    }
                };
                if which != 2 {
                    json.wanted = false;
                }
                let ok = self.check("tags_op", rc, &err, must_fail || store.is_null() || key_id.is_null());
                self.keep_bytes("tags_op", ok, &json, false);
            }
            23 => {
                let store = self.store();
                let alias = self.text(&["alias/fuzz", "alias/aws/s3", "alias/other", "fuzz", "alias/"]);
                let target = self.text(&["alias/fuzz"]);
                let which = self.input.u8() % 3;
                // SAFETY: as above.
                let (rc, must_fail) = unsafe {
                    match which {
                        0 => {
                            (keystead_store_create_alias(store, alias.ptr(), target.ptr(), err.arg()), target.is_null())
                        }
                        1 => {
                            (keystead_store_update_alias(store, alias.ptr(), target.ptr(), err.arg()), target.is_null())
                        }
                        _ => (keystead_store_delete_alias(store, alias.ptr(), err.arg()), false),
                    }
                };
                let ok = self.check("alias_op", rc, &err, must_fail || store.is_null() || alias.is_null());
                if ok && which == 0 && self.names.len() < 32 {
                    self.names.push(alias.bytes().to_vec());
                }
            }
            24 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let which = self.input.u8() % 4;
                let mut json = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let (rc, needs_out) = unsafe {
                    match which {
                        0 => {
                            let days = u32::from(self.input.u16() % 3000);
                            (keystead_store_enable_key_rotation(store, key_id.ptr(), days, err.arg()), false)
                        }
                        1 => (keystead_store_disable_key_rotation(store, key_id.ptr(), err.arg()), false),
                        2 => (keystead_store_get_key_rotation_status(store, key_id.ptr(), json.arg(), err.arg()), true),
                        _ => {
                            let include =
                                if self.input.u8() % 2 == 0 { Text(None) } else { self.text(INCLUDE_KEY_MATERIAL) };
                            let limit = u32::from(self.input.u8());
                            let rc = keystead_store_list_key_rotations(
                                store,
                                key_id.ptr(),
                                include.ptr(),
                                limit,
                                null(),
                                json.arg(),
                                err.arg(),
                            );
                            (rc, true)
                        }
                    }
                };
                if !needs_out {
                    json.wanted = false;
                }
                let ok = self.check(
                    "rotation_op",
                    rc,
                    &err,
                    store.is_null() || key_id.is_null() || (needs_out && !json.wanted),
                );
                self.keep_bytes("rotation_op", ok, &json, false);
            }
            25 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let message = self.bytes_arg();
                let message_type = if self.input.u8() % 2 == 0 { Text(None) } else { self.text(MESSAGE_TYPES) };
                let algorithm = self.text(SIGNING_ALGORITHMS);
                let which = self.input.u8() % 2;
                let mut signature = self.out::<keystead_bytes>();
                let given = self.bytes_arg();
                // SAFETY: as above.
                let (rc, must_fail) = unsafe {
                    if which == 0 {
                        let rc = keystead_store_sign(
                            store,
                            key_id.ptr(),
                            message.ptr(),
                            message.len(),
                            message_type.ptr(),
                            algorithm.ptr(),
                            signature.arg(),
                            err.arg(),
                        );
                        (rc, !signature.wanted)
                    } else {
                        signature.wanted = false;
                        let rc = keystead_store_verify(
                            store,
                            key_id.ptr(),
                            message.ptr(),
                            message.len(),
                            message_type.ptr(),
                            given.ptr(),
                            given.len(),
                            algorithm.ptr(),
                            err.arg(),
                        );
                        (rc, given.bad())
                    }
                };
                let must_fail =
                    must_fail || store.is_null() || key_id.is_null() || message.bad() || algorithm.is_null();
                let ok = self.check("sign_verify", rc, &err, must_fail);
                self.keep_bytes("sign", ok, &signature, false);
            }
            26 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let message = self.bytes_arg();
                let algorithm = self.text(MAC_ALGORITHMS);
                let which = self.input.u8() % 2;
                let mut mac = self.out::<keystead_bytes>();
                let given = self.bytes_arg();
                // SAFETY: as above.
                let (rc, must_fail) = unsafe {
                    if which == 0 {
                        let rc = keystead_store_generate_mac(
                            store,
                            key_id.ptr(),
                            message.ptr(),
                            message.len(),
                            algorithm.ptr(),
                            mac.arg(),
                            err.arg(),
                        );
                        (rc, !mac.wanted)
                    } else {
                        mac.wanted = false;
                        let rc = keystead_store_verify_mac(
                            store,
                            key_id.ptr(),
                            message.ptr(),
                            message.len(),
                            given.ptr(),
                            given.len(),
                            algorithm.ptr(),
                            err.arg(),
                        );
                        (rc, given.bad())
                    }
                };
                let must_fail =
                    must_fail || store.is_null() || key_id.is_null() || message.bad() || algorithm.is_null();
                let ok = self.check("mac", rc, &err, must_fail);
                self.keep_bytes("generate_mac", ok, &mac, false);
            }
            27 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let which = self.input.u8() % 2;
                let mut public = self.out::<keystead_bytes>();
                let mut json = self.out::<keystead_bytes>();
                let peer = self.bytes_arg();
                let algorithm = self.text(&["ECDH", "ecdh"]);
                // SAFETY: as above.
                let (rc, must_fail) = unsafe {
                    if which == 0 {
                        let rc =
                            keystead_store_get_public_key(store, key_id.ptr(), public.arg(), json.arg(), err.arg());
                        (rc, false)
                    } else {
                        json.wanted = false;
                        let rc = keystead_store_derive_shared_secret(
                            store,
                            key_id.ptr(),
                            algorithm.ptr(),
                            peer.ptr(),
                            peer.len(),
                            public.arg(),
                            err.arg(),
                        );
                        (rc, peer.bad() || algorithm.is_null() || !public.wanted)
                    }
                };
                let ok = self.check("public_key_op", rc, &err, must_fail || store.is_null() || key_id.is_null());
                self.keep_bytes("public_key_op", ok, &public, false);
                self.keep_bytes("public_key_op json", ok, &json, false);
            }
            28 => {
                let store = self.store();
                let key_id = self.text(&["alias/fuzz"]);
                let which = self.input.u8() % 3;
                let mut token = self.out::<keystead_bytes>();
                let mut public = self.out::<keystead_bytes>();
                let mut json = self.out::<keystead_bytes>();
                let (rc, must_fail) = match which {
                    0 => {
                        let spec = self.text(WRAPPING_SPECS);
                        let algorithm = self.text(WRAPPING_ALGORITHMS);
                        if !self.slow() {
                            return;
                        }
                        // SAFETY: as above.
                        let rc = unsafe {
                            keystead_store_get_parameters_for_import(
                                store,
                                key_id.ptr(),
                                algorithm.ptr(),
                                spec.ptr(),
                                token.arg(),
                                public.arg(),
                                json.arg(),
                                err.arg(),
                            )
                        };
                        (rc, algorithm.is_null() || spec.is_null())
                    }
                    1 => {
                        token.wanted = false;
                        public.wanted = false;
                        let import_token = self.bytes_arg();
                        let material = self.bytes_arg();
                        let model = if self.input.u8() % 2 == 0 { Text(None) } else { self.text(EXPIRATION_MODELS) };
                        let valid_to = i64::from(self.input.u32()) * 1000;
                        // SAFETY: as above.
                        let rc = unsafe {
                            keystead_store_import_key_material(
                                store,
                                key_id.ptr(),
                                import_token.ptr(),
                                import_token.len(),
                                material.ptr(),
                                material.len(),
                                model.ptr(),
                                valid_to,
                                json.arg(),
                                err.arg(),
                            )
                        };
                        (rc, import_token.bad() || material.bad())
                    }
                    _ => {
                        token.wanted = false;
                        public.wanted = false;
                        // SAFETY: as above.
                        let rc = unsafe {
                            keystead_store_delete_imported_key_material(store, key_id.ptr(), json.arg(), err.arg())
                        };
                        (rc, false)
                    }
                };
                let ok = self.check("import_op", rc, &err, must_fail || store.is_null() || key_id.is_null());
                self.keep_bytes("import token", ok, &token, false);
                self.keep_bytes("import public key", ok, &public, false);
                self.keep_bytes("import json", ok, &json, false);
            }
            29 => {
                let store = self.store();
                let which = self.input.u8() % 4;
                let principal = self.text(&["arn:aws:iam::111122223333:user/alice", "alice", ""]);
                let access_key = self.text(&["AKIAEXAMPLE", ""]);
                let secret = self.bytes_arg();
                let mut id = self.out::<keystead_bytes>();
                let mut key_secret = self.out::<keystead_bytes>();
                // SAFETY: as above.
                let (rc, must_fail) = unsafe {
                    match which {
                        0 => {
                            let rc = keystead_store_create_access_key(
                                store,
                                principal.ptr(),
                                id.arg(),
                                key_secret.arg(),
                                err.arg(),
                            );
                            (rc, principal.is_null())
                        }
                        1 => {
                            key_secret.wanted = false;
                            let rc = keystead_store_add_access_key(
                                store,
                                access_key.ptr(),
                                secret.ptr(),
                                secret.len(),
                                principal.ptr(),
                                id.arg(),
                                err.arg(),
                            );
                            (rc, access_key.is_null() || principal.is_null() || secret.bad())
                        }
                        2 => {
                            key_secret.wanted = false;
                            (keystead_store_list_access_keys(store, id.arg(), err.arg()), false)
                        }
                        _ => {
                            key_secret.wanted = false;
                            id.wanted = false;
                            let rc = keystead_store_delete_access_key(store, access_key.ptr(), err.arg());
                            (rc, access_key.is_null())
                        }
                    }
                };
                let ok = self.check("access_key_op", rc, &err, must_fail || store.is_null());
                self.keep_bytes("access key id", ok, &id, which == 0);
                self.keep_bytes("access key secret", ok, &key_secret, false);
            }
            30 => {
                // keystead_bytes_copy with a canary after the capacity.
                let source = {
                    let pool = self.bytes.clone();
                    self.pick(&pool).map_or(null(), |p| p.cast_const())
                };
                let cap = usize::from(self.input.u16() % 2048);
                let mut buffer = vec![0xCDu8; cap + 16];
                let mut len: usize = usize::MAX;
                let null_out = self.input.u8() % 4 == 0;
                let null_len = self.input.u8() % 8 == 0;
                // SAFETY: `buffer` has `cap` writable bytes (plus the canary).
                let rc = unsafe {
                    keystead_bytes_copy(
                        source,
                        if null_out { null_mut() } else { buffer.as_mut_ptr() },
                        if null_out { 0 } else { cap },
                        if null_len { null_mut() } else { &mut len },
                        err.arg(),
                    )
                };
                let ok = self.check("bytes_copy", rc, &err, source.is_null() || null_len);
                assert!(buffer[cap..].iter().all(|b| *b == 0xCD), "bytes_copy wrote past the capacity");
                if !source.is_null() && !null_len {
                    // SAFETY: a live keystead_bytes.
                    let real = unsafe { keystead_bytes_len(source) };
                    if ok {
                        assert_eq!(len, real);
                        // SAFETY: as above.
                        let data = unsafe { std::slice::from_raw_parts(keystead_bytes_data(source), real) };
                        assert_eq!(&buffer[..real], data);
                    } else if rc == keystead_result::BufferTooSmall {
                        assert_eq!(len, real, "BUFFER_TOO_SMALL must report the needed size");
                        assert!(buffer.iter().all(|b| *b == 0xCD), "BUFFER_TOO_SMALL wrote to the buffer");
                    }
                }
            }
            31 => {
                // Accessors with NULL: documented defaults, no crash.
                // SAFETY: NULL is allowed for every accessor.
                unsafe {
                    assert!(keystead_bytes_data(null()).is_null());
                    assert_eq!(keystead_bytes_len(null()), 0);
                    assert_eq!(keystead_error_code(null()), keystead_result::Ok);
                    assert!(!keystead_error_name(null()).is_null());
                    assert!(!keystead_error_message(null()).is_null());
                    let code = self.input.u32();
                    assert!(c_str_ok(keystead_result_name(code)));
                    let _ = keystead_result_is_retryable(code);
                    assert!(c_str_ok(keystead_version()));
                    assert_eq!(keystead_abi_version(), KEYSTEAD_ABI_VERSION);
                    keystead_bytes_free(null_mut());
                    keystead_error_free(null_mut());
                    keystead_context_free(null_mut());
                    keystead_tags_free(null_mut());
                    keystead_create_key_request_free(null_mut());
                    keystead_options_free(null_mut());
                    keystead_root_key_free(null_mut());
                    keystead_store_free(null_mut());
                }
            }
            32 => {
                let store = self.store();
                let root = {
                    let pool: Vec<_> = self.root_keys.iter().map(|(p, _)| *p).collect();
                    self.pick(&pool)
                };
                let slow = root.is_some_and(|r| self.root_keys.iter().any(|(p, s)| *p == r && *s));
                if slow && !self.slow() {
                    return;
                }
                let root = root.map_or(null(), |p| p.cast_const());
                // SAFETY: as above.
                let rc = unsafe { keystead_store_rotate_root_key(store, root, err.arg()) };
                self.check("rotate_root_key", rc, &err, store.is_null() || root.is_null());
            }
            33 => {
                let store = self.store();
                // SAFETY: as above.
                let rc = unsafe { keystead_store_sweep(store, err.arg()) };
                self.check("sweep", rc, &err, store.is_null());
            }
            34 => {
                // Create a usable key in one step (keeps sequences short): symmetric, HMAC or EC.
                let store = self.store();
                let spec = ["SYMMETRIC_DEFAULT", "HMAC_256", "ECC_NIST_P256", "ECC_NIST_EDWARDS25519", "ECC_NIST_P256"]
                    [usize::from(self.input.u8() % 5)];
                let usage = match spec {
                    "SYMMETRIC_DEFAULT" => "ENCRYPT_DECRYPT",
                    "HMAC_256" => "GENERATE_VERIFY_MAC",
                    "ECC_NIST_P256" if self.input.u8() % 2 == 0 => "KEY_AGREEMENT",
                    _ => "SIGN_VERIFY",
                };
                let external = self.input.u8() % 6 == 0;
                let mut request: *mut keystead_create_key_request = null_mut();
                let spec = CString::new(spec).expect("no NUL");
                let usage = CString::new(usage).expect("no NUL");
                let origin = CString::new("EXTERNAL").expect("no NUL");
                let mut key_id = self.out::<keystead_bytes>();
                key_id.wanted = true;
                // SAFETY: as above.
                unsafe {
                    assert_eq!(keystead_create_key_request_new(&mut request, null_mut()), keystead_result::Ok);
                    assert_eq!(
                        keystead_create_key_request_set_key_spec(request, spec.as_ptr(), null_mut()),
                        keystead_result::Ok
                    );
                    assert_eq!(
                        keystead_create_key_request_set_key_usage(request, usage.as_ptr(), null_mut()),
                        keystead_result::Ok
                    );
                    if external {
                        keystead_create_key_request_set_origin(request, origin.as_ptr(), null_mut());
                    }
                }
                // SAFETY: as above.
                let rc = unsafe { keystead_store_create_key(store, request, key_id.arg(), null_mut(), err.arg()) };
                // SAFETY: created above, freed once.
                unsafe { keystead_create_key_request_free(request) };
                let ok = self.check("create_key (quick)", rc, &err, store.is_null());
                self.keep_bytes("create_key (quick)", ok, &key_id, true);
            }
            35..=37 => self.free_one(),
            _ => {
                // Make a context with a pair or two in one step.
                let mut ctx: *mut keystead_context = null_mut();
                // SAFETY: as above.
                unsafe {
                    assert_eq!(keystead_context_new(&mut ctx, null_mut()), keystead_result::Ok);
                }
                for _ in 0..self.input.u8() % 3 {
                    let key = self.text(&["tenant", "a"]);
                    let value = self.text(&["42", "1"]);
                    // SAFETY: as above.
                    let rc = unsafe { keystead_context_add(ctx, key.ptr(), value.ptr(), null_mut()) };
                    assert_ne!(rc, keystead_result::Panic);
                }
                self.contexts.push(ctx);
            }
        }
    }

    /// Frees one object from a pool (and forgets it, so it is never passed again).
    fn free_one(&mut self) {
        let which = self.input.u8() % 8;
        let index = usize::from(self.input.u8());
        // SAFETY: each pointer came from the library, is removed from its pool and freed once.
        unsafe {
            match which {
                0 if !self.stores.is_empty() => keystead_store_free(self.stores.remove(index % self.stores.len())),
                1 if !self.contexts.is_empty() => {
                    keystead_context_free(self.contexts.remove(index % self.contexts.len()))
                }
                2 if !self.tags.is_empty() => keystead_tags_free(self.tags.remove(index % self.tags.len())),
                3 if !self.requests.is_empty() => {
                    keystead_create_key_request_free(self.requests.remove(index % self.requests.len()))
                }
                4 if !self.bytes.is_empty() => keystead_bytes_free(self.bytes.remove(index % self.bytes.len())),
                5 if !self.options.is_empty() => keystead_options_free(self.options.remove(index % self.options.len())),
                6 if !self.root_keys.is_empty() => {
                    keystead_root_key_free(self.root_keys.remove(index % self.root_keys.len()).0)
                }
                _ => {}
            }
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        // SAFETY: every pointer in the pools is live and owned by this session; each is freed
        // once. Bytes and builders go before the stores (any order is allowed by the ABI).
        unsafe {
            for p in self.bytes.drain(..) {
                keystead_bytes_free(p);
            }
            for p in self.contexts.drain(..) {
                keystead_context_free(p);
            }
            for p in self.tags.drain(..) {
                keystead_tags_free(p);
            }
            for p in self.requests.drain(..) {
                keystead_create_key_request_free(p);
            }
            for p in self.options.drain(..) {
                keystead_options_free(p);
            }
            for (p, _) in self.root_keys.drain(..) {
                keystead_root_key_free(p);
            }
            for p in self.stores.drain(..) {
                keystead_store_free(p);
            }
        }
    }
}

/// Runs one input: up to 64 calls.
pub fn run(data: &[u8]) {
    let mut session = Session {
        input: Input::new(data),
        slow: 0,
        stores: Vec::new(),
        options: Vec::new(),
        root_keys: Vec::new(),
        contexts: Vec::new(),
        tags: Vec::new(),
        requests: Vec::new(),
        bytes: Vec::new(),
        names: Vec::new(),
        blobs: Vec::new(),
    };
    for _ in 0..64 {
        if session.input.is_empty() {
            break;
        }
        session.step();
    }
}
