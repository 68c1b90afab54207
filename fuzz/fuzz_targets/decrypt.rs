//! Fuzz target `decrypt`: see `keystead_fuzz::decrypt` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(init: keystead_fuzz::decrypt::init(), |data: &[u8]| keystead_fuzz::decrypt::run(data));
