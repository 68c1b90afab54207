//! Fuzz target `c_abi`: see `keystead_fuzz::c_abi` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_fuzz::c_abi::run(data));
