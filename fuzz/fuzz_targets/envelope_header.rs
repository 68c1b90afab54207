//! Fuzz target `envelope_header`: see `keystead_fuzz::envelope_header` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_fuzz::envelope_header::run(data));
