//! Batched PLAID search (the server's micro-batches): each query in turn. Centroid
//! scores come from a kernel that reads the centroid matrix in place (`cscore.rs`), so
//! one pass over the stacked queries of a batch saves nothing: measured, it made a
//! batch of 8 slower (1.04-1.10x one query at a time) than scoring each query's
//! centroids on its own.

use std::collections::HashSet;

use super::search::{SearchHit, SearchParams, SearchStages};
use super::Index;
use crate::{Result, TokenEmbeddings};

impl Index {
    /// [`Index::search`] of every query. Results are those of searching each query
    /// alone, in query order.
    pub fn search_batch(
        &self,
        queries: &[TokenEmbeddings],
        params: &SearchParams,
        filter: Option<&HashSet<u64>>,
    ) -> Result<Vec<Vec<SearchHit>>> {
        self.search_batch_staged(queries, params, filter, &mut SearchStages::default())
    }

    /// [`Index::search_batch`] that adds the time of each stage to `stages`.
    pub fn search_batch_staged(
        &self,
        queries: &[TokenEmbeddings],
        params: &SearchParams,
        filter: Option<&HashSet<u64>>,
        stages: &mut SearchStages,
    ) -> Result<Vec<Vec<SearchHit>>> {
        // Every query is checked before any is searched.
        for q in queries {
            self.check_query(q)?;
        }
        queries
            .iter()
            .map(|q| self.search_staged(q, params, filter, stages))
            .collect()
    }
}
