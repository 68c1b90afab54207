//! Fuzz target `kms_json`: see `keystead_fuzz::kms_json` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(init: keystead_fuzz::kms_json::init(), |data: &[u8]| keystead_fuzz::kms_json::run(data));
