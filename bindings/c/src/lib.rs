//! Keystead C ABI (being built).
