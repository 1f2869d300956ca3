//! Lexical search: the terms of the manifest's full-text index ([`terms`]) and a plain
//! BM25 baseline over whole chunks ([`baseline`]) that `plait eval` prints beside the
//! modes.

pub mod baseline;
mod terms;

pub use terms::{index_terms, query_terms};
