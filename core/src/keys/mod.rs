//! Keys: the AWS key model (specs, states, records, metadata), identifiers and aliases, and the
//! lifecycle and rotation operations.

pub mod aliases;
pub mod id;
pub mod import;
pub mod lifecycle;
pub mod metadata;
pub(crate) mod page;
pub mod record;
pub mod rotation;
pub mod spec;
