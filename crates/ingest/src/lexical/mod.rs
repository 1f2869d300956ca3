//! Lexical search: the terms of the manifest's full-text index ([`terms`]) and a plain
//! BM25 baseline over whole chunks ([`baseline`]) that `plait eval` prints beside the
//! modes; [`ResidentTerms`] holds the full-text index in memory for long-lived searchers.

pub mod baseline;
mod resident;
mod terms;

pub(crate) use resident::LoadError;
pub use resident::{ResidentTerms, COLUMN_WEIGHTS, MAX_INSTANCES};
pub(crate) use terms::parts;
pub use terms::{coverage, index_terms, query_terms};
