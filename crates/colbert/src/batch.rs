//! [`BatchingEncoder`]: concurrent single-query encodes gathered into one encoder run.
//! The first caller of a batch waits a short moment for others, encodes every query
//! that arrived in one run and hands each caller its own vectors; a second batch can
//! gather while the first one runs.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::{ColbertError, Encoder, Result, TokenEmbeddings};

/// One caller's query and where its answer goes.
struct Job {
    text: String,
    slot: Arc<Slot>,
}

#[derive(Default)]
struct Slot {
    answer: Mutex<Option<Result<TokenEmbeddings>>>,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Job>,
    /// Whether a caller is gathering the pending jobs into a batch now.
    gathering: bool,
}

/// Wraps an encoder so that single queries encoded at the same time from several
/// threads run as one batch (documents and multi-query calls pass straight through).
pub struct BatchingEncoder {
    inner: Arc<dyn Encoder>,
    wait: Duration,
    max_batch: usize,
    queue: Mutex<Queue>,
    arrived: Condvar,
}

impl std::fmt::Debug for BatchingEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchingEncoder")
            .field("wait", &self.wait)
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

impl BatchingEncoder {
    /// Gathers queries for at most `wait` after the first one arrives, and at most
    /// `max_batch` (at least 1) per run.
    pub fn new(inner: Arc<dyn Encoder>, wait: Duration, max_batch: usize) -> Self {
        Self {
            inner,
            wait,
            max_batch: max_batch.max(1),
            queue: Mutex::new(Queue::default()),
            arrived: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn encode_one(&self, text: &str) -> Result<TokenEmbeddings> {
        let slot = Arc::new(Slot::default());
        let mut queue = self.lock();
        queue.pending.push(Job {
            text: text.to_string(),
            slot: slot.clone(),
        });
        if queue.pending.len() >= self.max_batch {
            self.arrived.notify_all();
        }
        loop {
            if let Some(answer) = take_answer(&slot) {
                return answer;
            }
            let waiting = queue.pending.iter().any(|j| Arc::ptr_eq(&j.slot, &slot));
            if queue.gathering || !waiting {
                // Another caller gathers (or runs our batch): wait for news.
                queue = self.arrived.wait(queue).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // Gather: wait a moment for company, then run the oldest jobs as one batch.
            queue.gathering = true;
            let deadline = Instant::now() + self.wait;
            while queue.pending.len() < self.max_batch {
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
            let batch: Vec<Job> = queue.pending.drain(..take).collect();
            queue.gathering = false;
            // Jobs left over can be gathered by their owners while this batch runs.
            self.arrived.notify_all();
            drop(queue);
            let texts: Vec<&str> = batch.iter().map(|j| j.text.as_str()).collect();
            let result = self.inner.encode_queries(&texts);
            queue = self.lock();
            match result {
                Ok(vectors) if vectors.len() == batch.len() => {
                    for (job, v) in batch.into_iter().zip(vectors) {
                        put_answer(&job.slot, Ok(v));
                    }
                }
                other => {
                    let reason = match other {
                        Err(e) => e.to_string(),
                        Ok(v) => format!("{} vectors for {} queries", v.len(), batch.len()),
                    };
                    for job in batch {
                        let e = ColbertError::Batch {
                            reason: reason.clone(),
                        };
                        put_answer(&job.slot, Err(e));
                    }
                }
            }
            // Answers are set under the queue lock, so no waiter misses this.
            self.arrived.notify_all();
        }
    }
}

fn take_answer(slot: &Slot) -> Option<Result<TokenEmbeddings>> {
    slot.answer.lock().unwrap_or_else(|e| e.into_inner()).take()
}

fn put_answer(slot: &Slot, answer: Result<TokenEmbeddings>) {
    *slot.answer.lock().unwrap_or_else(|e| e.into_inner()) = Some(answer);
}

impl Encoder for BatchingEncoder {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn encode_queries(&self, queries: &[&str]) -> Result<Vec<TokenEmbeddings>> {
        match queries {
            [one] => Ok(vec![self.encode_one(one)?]),
            _ => self.inner.encode_queries(queries),
        }
    }

    fn encode_documents(&self, documents: &[&str]) -> Result<Vec<TokenEmbeddings>> {
        self.inner.encode_documents(documents)
    }

    fn count_tokens(&self, text: &str) -> usize {
        self.inner.count_tokens(text)
    }

    fn model_name(&self) -> String {
        self.inner.model_name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            self.inner.encode_queries(queries)
        }
        fn encode_documents(&self, documents: &[&str]) -> Result<Vec<TokenEmbeddings>> {
            self.inner.encode_documents(documents)
        }
    }

    #[test]
    fn concurrent_queries_share_runs_and_each_gets_its_own_answer() {
        let counting = Arc::new(Counting {
            inner: HashEncoder::new(8),
            runs: AtomicUsize::new(0),
            largest: AtomicUsize::new(0),
        });
        let batcher = Arc::new(BatchingEncoder::new(
            counting.clone(),
            Duration::from_millis(50),
            4,
        ));
        let texts: Vec<String> = (0..12).map(|i| format!("query number {i} words")).collect();
        let handles: Vec<_> = texts
            .iter()
            .cloned()
            .map(|t| {
                let b = batcher.clone();
                std::thread::spawn(move || (t.clone(), b.encode_queries(&[t.as_str()])))
            })
            .collect();
        let direct = HashEncoder::new(8);
        for h in handles {
            let (text, got) = h.join().unwrap_or_else(|_| panic!("thread panicked"));
            let got = got.unwrap_or_else(|e| panic!("{e}"));
            let want = direct.encode_queries(&[text.as_str()]).unwrap_or_default();
            assert_eq!(got[0].as_slice(), want[0].as_slice(), "{text}");
        }
        let runs = counting.runs.load(Ordering::SeqCst);
        assert!(runs < 12, "12 concurrent queries took {runs} runs");
        assert!(counting.largest.load(Ordering::SeqCst) <= 4);
        // A lone query waits at most the gathering time.
        let t = Instant::now();
        batcher.encode_queries(&["alone"]).unwrap_or_default();
        assert!(t.elapsed() < Duration::from_secs(2));
    }
}
