//! Fuzz target `blob`: see `keystead_fuzz::blob` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_fuzz::blob::run(data));
