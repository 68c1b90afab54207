//! Access control: who calls ([`principal`]), what key policies and grants allow them, and the
//! access keys a server verifies SigV4 signatures with, each standing for a principal.

pub mod access_keys;
pub mod authorize;
pub mod condition;
pub mod document;
pub mod evaluate;
pub mod grants;
pub mod principal;
#[cfg(test)]
mod reference;
