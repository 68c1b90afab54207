//! Fuzz target `envelope_stream`: see `keystead_fuzz::envelope_stream` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(init: keystead_fuzz::envelope_stream::init(), |data: &[u8]| keystead_fuzz::envelope_stream::run(data));
