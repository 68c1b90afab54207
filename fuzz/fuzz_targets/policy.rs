//! Fuzz target `policy`: see `keystead_fuzz::policy` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_fuzz::policy::run(data));
