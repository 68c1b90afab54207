//! Keystead benchmarks live in `benches/`.
