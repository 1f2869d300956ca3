//! [`SearchService`]: the one search door of an index root, shared by the CLI, the HTTP
//! servers, the MCP server and `plait eval`. It holds one [`IndexReader`] per index
//! (reopened only when a commit changes the index) and a small pool of read-only
//! manifest connections; searching never writes, creates folders or runs DDL.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use plait_colbert::{BatchingSearcher, Encoder, IndexReader};
use serde::{Deserialize, Serialize};

use super::merge::merge_weights;
use super::resident::ResidentLexical;
use super::{search_index, Hit, IndexName, Query};
use crate::manifest::Manifest;
use crate::{IngestError, Result};

/// Read-only manifest connections kept for reuse (more are opened while busy).
const POOL: usize = 8;

/// The state of one index, as the status endpoints report it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexStatus {
    /// Which index.
    pub index: IndexName,
    /// Distinct chunk contents in the index.
    pub documents: usize,
    /// Chunk locations (a content can sit in several files).
    pub chunks: usize,
    /// Files with at least one chunk in this index.
    pub files: usize,
    /// The committed generation (`metadata-N.json`) searches read now.
    pub last_commit: Option<String>,
    /// When it was committed (seconds since the epoch).
    pub last_commit_unix: Option<u64>,
    /// The encoder that built the index.
    pub model: Option<String>,
}

/// Searches the indexes of one index root.
pub struct SearchService {
    root: PathBuf,
    /// Code and docs: encode and search (one searcher when both share an encoder).
    searchers: [Arc<BatchingSearcher>; 2],
    readers: [IndexReader; 2],
    pool: Mutex<Vec<Manifest>>,
    /// The full-text index in memory, for a long-lived service ([`Self::resident_lexical`]).
    pub(super) resident: Option<ResidentLexical>,
}

impl std::fmt::Debug for SearchService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchService")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// A path from a client, cut to a printable length for an error message.
trait CharsLimited {
    fn chars_limited(&self) -> PathBuf;
}

impl CharsLimited for Path {
    fn chars_limited(&self) -> PathBuf {
        let s = self.to_string_lossy();
        if s.chars().count() <= 300 {
            return self.to_path_buf();
        }
        PathBuf::from(format!("{}...", s.chars().take(300).collect::<String>()))
    }
}

impl SearchService {
    /// A service over `root` whose code and docs indexes were built with these encoders
    /// (queries are encoded by them; an index built by another model is refused). Nothing
    /// is opened yet, so a root a watcher is about to create is fine.
    pub fn new(root: &Path, code: Arc<dyn Encoder>, docs: Arc<dyn Encoder>) -> Self {
        Self {
            root: root.to_path_buf(),
            searchers: searchers(code, docs, Duration::ZERO, 1),
            readers: IndexName::ALL.map(|n| IndexReader::new(&root.join(n.as_str()))),
            pool: Mutex::new(Vec::new()),
            resident: None,
        }
    }

    /// The same service keeping the manifest's full-text index in memory (read in the
    /// background after each commit; FTS5 answers until it is read, with the same
    /// ranking): for servers and evaluations, which search many times. A one-off search
    /// is faster without, as it skips reading the whole index.
    pub fn resident_lexical(mut self) -> Self {
        self.resident = Some(ResidentLexical::new(&self.root));
        self
    }

    /// Reads the in-memory full-text index now (when [`Self::resident_lexical`]), so the
    /// next searches use it: what a caller timing its searches does first.
    pub fn load_lexical(&self) {
        if let Some(r) = &self.resident {
            r.load_now();
        }
    }

    /// The same service with concurrent searches gathered into batches: the first
    /// search waits at most `wait` for others (only while searches arrive together), at
    /// most `max` are encoded in one encoder run (a server's clients share that work
    /// instead of queueing for the cores), then each searches on its own thread.
    pub fn batching(mut self, wait: Duration, max: usize) -> Self {
        let [code, docs] = self.searchers.map(|s| s.encoder().clone());
        self.searchers = searchers(code, docs, wait, max);
        self
    }

    /// The index root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn reader(&self, name: IndexName) -> &IndexReader {
        &self.readers[name as usize]
    }

    pub(super) fn searcher(&self, name: IndexName) -> &BatchingSearcher {
        &self.searchers[name as usize]
    }

    /// Runs `f` on a pooled read-only manifest connection.
    pub(super) fn with_manifest<T>(&self, f: impl FnOnce(&Manifest) -> Result<T>) -> Result<T> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let manifest = match pooled {
            Some(m) => m,
            None => Manifest::open_read_only(&self.root)?,
        };
        let out = f(&manifest);
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL {
            pool.push(manifest);
        }
        out
    }

    /// Opens a read-only manifest connection now (what the first search does), keeping it
    /// for reuse: a caller can time it or fail early.
    pub fn open_manifest(&self) -> Result<()> {
        self.with_manifest(|_| Ok(()))
    }

    /// Opens the committed snapshot of each index named now (what the first search of
    /// it does).
    pub fn open_indexes(&self, names: &[IndexName]) -> Result<()> {
        for &name in names {
            let reader = self.reader(name);
            reader.searcher().map_err(|source| IngestError::Index {
                path: reader.dir().to_path_buf(),
                source,
            })?;
        }
        Ok(())
    }

    /// Searches one index: its hits best first. An index never built yet answers with no
    /// hits; a root without a manifest is [`IngestError::NoIndex`]; a bad query is
    /// [`IngestError::BadQuery`] (checked by [`Query::validate`] before anything runs).
    pub fn search(&self, name: IndexName, query: &Query) -> Result<Vec<Hit>> {
        query.validate()?;
        let reader = self.reader(name);
        let index = reader.searcher().map_err(|source| IngestError::Index {
            path: reader.dir().to_path_buf(),
            source,
        })?;
        let terms = self.resident.as_ref().and_then(ResidentLexical::fresh);
        self.with_manifest(|m| {
            search_index(
                m,
                terms.as_deref(),
                name,
                index.as_ref(),
                self.searcher(name),
                query,
            )
        })
    }

    /// Searches several indexes and merges their hits, at most `query.limit()`, by score
    /// relative to the best hit of their own index (scores of two indexes do not compare:
    /// each has its own encoder, and whole PDF pages outscore functions), weighted by how
    /// much of the query the index's first hits hold ([`merge_weights`]), so that the
    /// best of the index that does not hold the question's words is not put beside the
    /// best of the one that does.
    /// [`IngestError::NoIndex`] when none of them was ever built.
    pub fn search_all(&self, names: &[IndexName], query: &Query) -> Result<Vec<Hit>> {
        query.validate()?;
        if !names
            .iter()
            .any(|&n| plait_colbert::is_built(self.reader(n).dir()))
        {
            return Err(IngestError::NoIndex {
                path: self.root.clone(),
            });
        }
        let lists = names
            .iter()
            .map(|&name| self.search(name, query))
            .collect::<Result<Vec<_>>>()?;
        let weights = merge_weights(&query.text, &lists);
        let mut ranked: Vec<(f64, Hit)> = Vec::new();
        for (hits, weight) in lists.into_iter().zip(weights) {
            let best = hits.iter().map(|h| h.score).fold(f64::MIN, f64::max);
            let scale = if best > 0.0 { best } else { 1.0 };
            ranked.extend(hits.into_iter().map(|h| (weight * h.score / scale, h)));
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.truncate(query.limit());
        Ok(ranked.into_iter().map(|(_, h)| h).collect())
    }

    /// The chunk that goes on where `hit` stops, when `hit` is one piece of a function or
    /// section cut to fit the chunk budget ([`Hit::continued_by`]), as a hit with the
    /// same index and score; `None` for a whole unit or the last piece.
    pub fn continuation(&self, hit: &Hit) -> Result<Option<Hit>> {
        if hit.symbol.is_none() || hit.end_line.is_none() {
            return Ok(None);
        }
        let chunks =
            self.with_manifest(|m| m.chunks_in(hit.index.as_str(), Path::new(&hit.path)))?;
        let next = chunks
            .into_iter()
            .skip_while(|c| c.lines.map(|l| l.0) != hit.start_line)
            .nth(1)
            .filter(|c| hit.continued_by(c));
        Ok(next.map(|c| Hit::new(hit.index, c, hit.score, (None, None))))
    }

    /// PLAID's top `k` against exhaustive exact MaxSim over the same compressed vectors
    /// for one query (default search settings): the share of the exhaustive list PLAID
    /// returns, `None` when the index is empty or was never built (for `plait eval`).
    pub fn plaid_fidelity(&self, name: IndexName, text: &str, k: usize) -> Result<Option<f64>> {
        let reader = self.reader(name);
        let index_err = |source| IngestError::Index {
            path: reader.dir().to_path_buf(),
            source,
        };
        let Some(index) = reader.searcher().map_err(index_err)? else {
            return Ok(None);
        };
        let q = self
            .searcher(name)
            .encoder()
            .encode_queries(&[text])
            .map_err(|source| IngestError::Encode {
                path: reader.dir().to_path_buf(),
                source,
            })?
            .remove(0);
        let params = plait_colbert::SearchParams {
            k,
            ..plait_colbert::SearchParams::default()
        };
        index.top_k_overlap(&q, &params).map_err(index_err)
    }

    /// The plain BM25 baseline over one index's chunks (for `plait eval`).
    pub fn bm25_baseline(&self, name: IndexName) -> Result<crate::lexical::baseline::Bm25Baseline> {
        self.with_manifest(|m| {
            Ok(crate::lexical::baseline::Bm25Baseline::build(
                &m.all_chunks(name.as_str())?,
            ))
        })
    }

    /// `path` as the manifest lists it, when it is an indexed file (of either index);
    /// [`IngestError::NotIndexed`] otherwise. The one check before a server opens a file
    /// a client named: nothing else on the machine can be reached.
    pub fn indexed_file(&self, path: &str) -> Result<PathBuf> {
        let p = Path::new(path);
        let known = !path.is_empty() && self.with_manifest(|m| m.file(p))?.is_some();
        if known {
            Ok(p.to_path_buf())
        } else {
            Err(IngestError::NotIndexed {
                path: p.chars_limited(),
            })
        }
    }

    /// The files with chunks in index `name`, in path order.
    pub fn files_of(&self, name: IndexName) -> Result<Vec<PathBuf>> {
        self.with_manifest(|m| m.files_in(name.as_str()))
    }

    /// The counts and commit of one index.
    pub fn status(&self, name: IndexName) -> Result<IndexStatus> {
        let (chunks, files) =
            self.with_manifest(|m| Ok((m.counts(name.as_str())?.0, m.file_count(name.as_str())?)))?;
        let reader = self.reader(name);
        let index_err = |source| IngestError::Index {
            path: reader.dir().to_path_buf(),
            source,
        };
        let index = reader.searcher().map_err(index_err)?;
        let commit = reader.commit_info().map_err(index_err)?;
        Ok(IndexStatus {
            index: name,
            documents: index.as_ref().map_or(0, |i| i.num_documents()),
            chunks,
            files,
            last_commit: commit.as_ref().map(|c| c.name.clone()),
            last_commit_unix: commit
                .and_then(|c| c.committed)
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs()),
            model: index.as_ref().and_then(|i| i.meta().model.clone()),
        })
    }
}

/// The searchers of the code and docs indexes: one shared when both use one encoder.
fn searchers(
    code: Arc<dyn Encoder>,
    docs: Arc<dyn Encoder>,
    wait: Duration,
    max: usize,
) -> [Arc<BatchingSearcher>; 2] {
    let shared = Arc::ptr_eq(&code, &docs);
    let code = Arc::new(BatchingSearcher::new(code, wait, max));
    let docs = if shared {
        code.clone()
    } else {
        Arc::new(BatchingSearcher::new(docs, wait, max))
    };
    [code, docs]
}
