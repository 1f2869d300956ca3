//! Micro-batching of concurrent queries: [`BatchingSearcher`] gathers single searches
//! that arrive together (a short wait, a maximum batch) and encodes their texts in one
//! encoder run; each caller then searches with its own query vectors on its own thread.
//! A second batch can gather while the first one runs.

use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::index::{Index, SearchHit, SearchParams};
use crate::{ColbertError, Encoder, Result, TokenEmbeddings};

/// Where one caller's answer goes.
struct Slot<R> {
    answer: Mutex<Option<R>>,
}

struct Queue<J, R> {
    pending: Vec<(J, Arc<Slot<R>>)>,
    /// Whether a caller is gathering the pending jobs into a batch now.
    gathering: bool,
    /// Size of the last batch run.
    last_batch: usize,
    /// Batches running now.
    running: usize,
}

/// Gathers jobs from concurrent callers into batches run by one of them.
struct Gather<J, R> {
    wait: Duration,
    max_batch: usize,
    queue: Mutex<Queue<J, R>>,
    arrived: Condvar,
}

impl<J, R> Gather<J, R> {
    fn new(wait: Duration, max_batch: usize) -> Self {
        Self {
            wait,
            max_batch: max_batch.max(1),
            queue: Mutex::new(Queue {
                pending: Vec::new(),
                gathering: false,
                last_batch: 1,
                running: 0,
            }),
            arrived: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue<J, R>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job` and returns its answer. `run` answers a batch, one answer per job in
    /// order; whichever caller gathers a batch runs it (for everyone in it).
    fn run(&self, job: J, run: impl Fn(Vec<J>) -> Vec<R>) -> R {
        let slot = Arc::new(Slot {
            answer: Mutex::new(None),
        });
        let mut queue = self.lock();
        queue.pending.push((job, slot.clone()));
        if queue.pending.len() >= self.max_batch {
            self.arrived.notify_all();
        }
        loop {
            if let Some(answer) = slot.answer.lock().unwrap_or_else(|e| e.into_inner()).take() {
                return answer;
            }
            let waiting = queue.pending.iter().any(|j| Arc::ptr_eq(&j.1, &slot));
            if queue.gathering || !waiting {
                // Another caller gathers (or runs our batch): wait for news.
                queue = self.arrived.wait(queue).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // Gather: while callers are arriving together (a batch is running, or the
            // last one had company) wait a moment for a full batch; a lone caller runs
            // at once. Then run the oldest jobs as one batch.
            queue.gathering = true;
            let busy = queue.running > 0 || queue.last_batch > 1;
            let want = if busy { self.max_batch } else { 1 };
            let deadline = Instant::now() + self.wait;
            while queue.pending.len() < want {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                queue = self
                    .arrived
                    .wait_timeout(queue, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            let take = queue.pending.len().min(self.max_batch);
            let batch: Vec<(J, Arc<Slot<R>>)> = queue.pending.drain(..take).collect();
            queue.gathering = false;
            queue.last_batch = take;
            queue.running += 1;
            // Jobs left over can be gathered by their owners while this batch runs.
            self.arrived.notify_all();
            drop(queue);
            let (jobs, slots): (Vec<J>, Vec<Arc<Slot<R>>>) = batch.into_iter().unzip();
            let answers = run(jobs);
            queue = self.lock();
            queue.running -= 1;
            for (slot, answer) in slots.into_iter().zip(answers) {
                *slot.answer.lock().unwrap_or_else(|e| e.into_inner()) = Some(answer);
            }
            // Answers are set under the queue lock, so no waiter misses this.
            self.arrived.notify_all();
        }
    }
}

/// What a search answers: the query's vectors (for further exact scoring) and its hits.
pub type QueryHits = (TokenEmbeddings, Vec<SearchHit>);

/// Searches with an encoder so that single searches running at the same time from
/// several threads share one encoder run.
pub struct BatchingSearcher {
    encoder: Arc<dyn Encoder>,
    gather: Gather<String, Result<TokenEmbeddings>>,
}

impl std::fmt::Debug for BatchingSearcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchingSearcher")
            .field("wait", &self.gather.wait)
            .field("max_batch", &self.gather.max_batch)
            .finish_non_exhaustive()
    }
}

impl BatchingSearcher {
    /// Gathers searches for at most `wait` after the first one arrives (only while
    /// searches have been arriving together: a lone caller runs at once), and at most
    /// `max_batch` (at least 1) per run.
    pub fn new(encoder: Arc<dyn Encoder>, wait: Duration, max_batch: usize) -> Self {
        Self {
            encoder,
            gather: Gather::new(wait, max_batch),
        }
    }

    /// The encoder queries are encoded with.
    pub fn encoder(&self) -> &Arc<dyn Encoder> {
        &self.encoder
    }

    /// Encodes `text` as a query (in one encoder run with the queries of other callers
    /// arriving at the same time) and searches `index` with it on the caller's thread:
    /// exactly what [`Index::search`] of the query's vectors returns, plus those vectors.
    ///
    /// The searches of a batch are not run by the caller that gathered it: PLAID's
    /// stages are per query ([`Index::search_batch`] measured no faster than one query
    /// at a time), so each caller searching on its own thread keeps every core busy
    /// without handing the work to another pool.
    pub fn search(
        &self,
        index: &Arc<Index>,
        text: &str,
        params: &SearchParams,
        filter: Option<&Arc<HashSet<u64>>>,
    ) -> Result<QueryHits> {
        let query = self.gather.run(text.to_string(), |texts| {
            encode_batch(&*self.encoder, &texts)
        })?;
        let hits = index.search(&query, params, filter.map(|f| &**f))?;
        Ok((query, hits))
    }
}

/// Every text's query vectors from one encoder run; a failed run fails each of them.
fn encode_batch(encoder: &dyn Encoder, texts: &[String]) -> Vec<Result<TokenEmbeddings>> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let failed = |reason: String| -> Vec<Result<TokenEmbeddings>> {
        (0..texts.len())
            .map(|_| {
                Err(ColbertError::Batch {
                    reason: reason.clone(),
                })
            })
            .collect()
    };
    match encoder.encode_queries(&refs) {
        Ok(v) if v.len() == texts.len() => v.into_iter().map(Ok).collect(),
        Ok(v) => failed(format!("{} vectors for {} queries", v.len(), texts.len())),
        Err(e) if texts.len() == 1 => vec![Err(e)],
        Err(e) => failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{IndexConfig, IndexWriter};
    use crate::testing::HashEncoder;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts encoder runs and the largest batch seen.
    struct Counting {
        inner: HashEncoder,
        runs: AtomicUsize,
        largest: AtomicUsize,
    }

    impl Encoder for Counting {
        fn dim(&self) -> usize {
            self.inner.dim()
        }
        fn encode_queries(&self, queries: &[&str]) -> Result<Vec<TokenEmbeddings>> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            self.largest.fetch_max(queries.len(), Ordering::SeqCst);
            // Slow enough that concurrent callers pile up behind a running batch.
            std::thread::sleep(Duration::from_millis(5));
            self.inner.encode_queries(queries)
        }
        fn encode_documents(&self, documents: &[&str]) -> Result<Vec<TokenEmbeddings>> {
            self.inner.encode_documents(documents)
        }
    }

    fn index(dir: &std::path::Path, encoder: &HashEncoder) -> Arc<Index> {
        let texts: Vec<String> = (0..400)
            .map(|i| format!("document {i} about topic {} and {}", i % 17, i % 5))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let docs = encoder.encode_documents(&refs).unwrap_or_default();
        let keys: Vec<u64> = (0..docs.len() as u64).collect();
        let doclens: Vec<usize> = docs.iter().map(TokenEmbeddings::len).collect();
        let flat: Vec<f32> = docs.iter().flat_map(|d| d.as_slice().to_vec()).collect();
        let rows = flat.len() / encoder.dim();
        let vectors = ndarray::ArrayView2::from_shape((rows, encoder.dim()), &flat[..])
            .unwrap_or_else(|e| panic!("{e}"));
        let writer = IndexWriter::open(dir).unwrap_or_else(|e| panic!("open: {e}"));
        let documents = crate::index::Documents {
            keys: &keys,
            doclens: &doclens,
            vectors,
        };
        Arc::new(
            writer
                .rebuild(documents, &IndexConfig::default())
                .unwrap_or_else(|e| panic!("rebuild: {e}")),
        )
    }

    #[test]
    fn concurrent_searches_share_runs_and_each_gets_its_own_answer() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let direct = HashEncoder::new(32);
        let index = index(tmp.path(), &direct);
        let counting = Arc::new(Counting {
            inner: HashEncoder::new(32),
            runs: AtomicUsize::new(0),
            largest: AtomicUsize::new(0),
        });
        let searcher = Arc::new(BatchingSearcher::new(
            counting.clone(),
            Duration::from_millis(50),
            4,
        ));
        let params = SearchParams {
            k: 5,
            n_full_scores: 16,
            ..SearchParams::default()
        };
        let texts: Vec<String> = (0..16).map(|i| format!("topic {i} document")).collect();
        // Warm up: the first batches learn that callers arrive together.
        let run_all = || {
            let handles: Vec<_> = texts
                .iter()
                .cloned()
                .map(|t| {
                    let (s, i, p) = (searcher.clone(), index.clone(), params.clone());
                    std::thread::spawn(move || (t.clone(), s.search(&i, &t, &p, None)))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| panic!("thread panicked")))
                .collect::<Vec<_>>()
        };
        for (text, got) in run_all() {
            let (q, hits) = got.unwrap_or_else(|e| panic!("{e}"));
            let want_q = direct.encode_queries(&[text.as_str()]).unwrap_or_default();
            assert_eq!(q.as_slice(), want_q[0].as_slice(), "{text}");
            let alone = index
                .search(&want_q[0], &params, None)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(hits, alone, "{text}");
            assert!(!hits.is_empty());
        }
        let runs = counting.runs.load(Ordering::SeqCst);
        assert!(runs < 16, "16 concurrent searches took {runs} encoder runs");
        assert!(counting.largest.load(Ordering::SeqCst) <= 4);
    }

    #[test]
    fn a_lone_caller_does_not_wait_for_company() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let encoder = Arc::new(HashEncoder::new(32));
        let index = index(tmp.path(), &encoder);
        // A gathering time far above a search: a lone caller must not pay it.
        let searcher = BatchingSearcher::new(encoder, Duration::from_secs(5), 8);
        let t = Instant::now();
        for _ in 0..3 {
            let (_, hits) = searcher
                .search(&index, "topic 3", &SearchParams::default(), None)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!hits.is_empty());
        }
        assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    }
}
