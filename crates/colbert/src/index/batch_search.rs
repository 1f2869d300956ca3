//! Batched PLAID search: many queries share one centroid-scoring pass (the server's
//! micro-batches), then each runs the remaining stages on its own.

use std::collections::HashSet;
use std::time::Instant;

use super::cscore::CentroidScorer;
use super::probe::QueryCentroids;
use super::search::{SearchHit, SearchParams, SearchStages};
use super::Index;
use crate::{Result, TokenEmbeddings};

thread_local! {
    static BATCH: std::cell::RefCell<(Vec<f32>, Vec<f32>, QueryCentroids, CentroidScorer)> =
        std::cell::RefCell::new(Default::default());
}

impl Index {
    /// [`Index::search`] of every query, with one centroid-scoring pass for all of
    /// them. Results are those of searching each query alone, in query order.
    pub fn search_batch(
        &self,
        queries: &[TokenEmbeddings],
        params: &SearchParams,
        filter: Option<&HashSet<u64>>,
    ) -> Result<Vec<Vec<SearchHit>>> {
        self.search_batch_staged(queries, params, filter, &mut SearchStages::default())
    }

    /// [`Index::search_batch`] that adds the time of each stage to `stages` (the shared
    /// pass is counted under centroid scores).
    pub fn search_batch_staged(
        &self,
        queries: &[TokenEmbeddings],
        params: &SearchParams,
        filter: Option<&HashSet<u64>>,
        stages: &mut SearchStages,
    ) -> Result<Vec<Vec<SearchHit>>> {
        for q in queries {
            self.check_query(q)?;
        }
        let n_full = params.n_full_scores.max(params.k);
        let live: Vec<&TokenEmbeddings> = queries.iter().filter(|q| !q.is_empty()).collect();
        if live.len() < 2 || params.k == 0 || self.num_documents() <= n_full {
            return queries
                .iter()
                .map(|q| self.search_staged(q, params, filter, stages))
                .collect();
        }
        let k = self.codec.num_centroids();
        let dim = self.codec.dim();
        let total: usize = live.iter().map(|q| q.len()).sum();
        BATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (stacked, scores, qc, scorer) = &mut *guard;
            let mut t = Instant::now();
            stacked.clear();
            for q in &live {
                stacked.extend_from_slice(q.as_slice());
            }
            if scores.len() < k * total {
                scores.resize(k * total, 0.0);
            }
            // The same kernel as a query alone, so every score is the same bits.
            scorer.score(
                self.codec.centroid_slice(),
                dim,
                stacked,
                total,
                &mut scores[..k * total],
            );
            stages.centroid_scores += t.elapsed();
            let mut results = Vec::with_capacity(queries.len());
            let mut off = 0;
            for q in queries {
                if q.is_empty() {
                    results.push(Vec::new());
                    continue;
                }
                stages.searches += 1;
                t = Instant::now();
                qc.take_columns(&scores[..k * total], k, total, off, q.len());
                off += q.len();
                stages.centroid_scores += t.elapsed();
                results.push(self.search_scored(q, qc, params, filter, stages));
            }
            Ok(results)
        })
    }
}
