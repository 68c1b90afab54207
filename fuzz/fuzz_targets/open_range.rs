//! Fuzz target `open_range`: see `keystead_fuzz::open_range` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(init: keystead_fuzz::open_range::init(), |data: &[u8]| keystead_fuzz::open_range::run(data));
