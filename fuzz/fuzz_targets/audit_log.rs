//! Fuzz target `audit_log`: see `keystead_fuzz::audit_log` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(init: keystead_fuzz::audit_log::init(), |data: &[u8]| keystead_fuzz::audit_log::run(data));
