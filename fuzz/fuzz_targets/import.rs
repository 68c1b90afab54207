//! Fuzz target `import`: see `keystead_fuzz::import` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(init: keystead_fuzz::import::init(), |data: &[u8]| keystead_fuzz::import::run(data));
