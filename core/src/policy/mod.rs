//! Access control. For now: the access keys a server verifies SigV4 signatures with, each
//! standing for a principal. Key policies, grants and their evaluation come next.

pub mod access_keys;
pub mod condition;
pub mod document;
pub mod evaluate;
#[cfg(test)]
mod reference;
