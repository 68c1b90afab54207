//! Keystead's fuzz harnesses. Each module is one libFuzzer target (`fuzz_targets/<name>.rs`
//! calls `<name>::run`); the same functions replay crash files and corpora in the plain
//! `#[test]` of `tests/regressions.rs`.
//!
//! Every harness checks more than "no panic": it states what a correct result must look like
//! (a round trip, agreement between two code paths, no forged success, only typed errors), and
//! panics when that fails, so libFuzzer records the input as a crash.
//!
//! Inputs are decoded with [`input::Input`], a small byte reader that never fails (missing
//! bytes read as zero), so that the seed generator (`examples/gen_corpus.rs`) can write
//! meaningful seeds by hand: "template 2, no edits" is the bytes `[0, 2, 0, 0, 0]`.

pub mod audit_log;
pub mod blob;
pub mod c_abi;
pub mod context;
pub mod decrypt;
pub mod envelope_header;
pub mod envelope_stream;
pub mod fixtures;
pub mod import;
pub mod input;
pub mod kms_json;
pub mod open_range;
pub mod policy;

/// Every target, by name, with its entry point (for the regression test and the generator).
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("blob", blob::run),
    ("context", context::run),
    ("decrypt", decrypt::run),
    ("envelope_header", envelope_header::run),
    ("envelope_stream", envelope_stream::run),
    ("open_range", open_range::run),
    ("import", import::run),
    ("c_abi", c_abi::run),
    ("policy", policy::run),
    ("audit_log", audit_log::run),
    ("kms_json", kms_json::run),
];
