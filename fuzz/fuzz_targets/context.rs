//! Fuzz target `context`: see `keystead_fuzz::context` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_fuzz::context::run(data));
