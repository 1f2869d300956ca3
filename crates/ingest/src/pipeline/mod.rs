//! One ingest run, as a sync of the folders into the indexes in three stages: plan
//! (`plan.rs`: discover, stat, hash, extract through `extract`, chunk, key every chunk),
//! encode (only contents no index has, one index commit per batch, then the manifest's
//! record of it), commit (the files, removals and orphans in one manifest transaction,
//! then the orphans' deletion from the indexes).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use ndarray::Array2;
use plait_colbert::{Documents, Encoder, Index, IndexConfig, IndexWriter};

use crate::chunk::{ChunkBudget, CHUNKER_VERSION};
use crate::extract::PdfText;
use crate::manifest::{ChunkRecord, Manifest};
use crate::{DiscoverConfig, IngestError, Language, Result};

mod plan;

use plan::{NewContent, Plan};

/// Name of the code index directory (and manifest index name).
pub const CODE: &str = "code";
/// Name of the docs index directory (and manifest index name).
pub const DOCS: &str = "docs";

/// Contents encoded per batch (and per index commit).
const ENCODE_BATCH: usize = 64;

/// Settings of an ingest run.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Folder holding `code/`, `docs/` and `manifest.sqlite`.
    pub index_root: PathBuf,
    /// What to walk and what to skip.
    pub discover: DiscoverConfig,
    /// Chunk size limits.
    pub budget: ChunkBudget,
    /// Settings of index builds.
    pub index: IndexConfig,
}

/// What a run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IngestReport {
    /// Files seen for the first time.
    pub files_added: usize,
    /// Files whose content changed.
    pub files_changed: usize,
    /// Files found unchanged (by stat, or by hash after a touch).
    pub files_unchanged: usize,
    /// Files gone from the folders and dropped from the indexes.
    pub files_removed: usize,
    /// Chunk contents encoded in this run.
    pub chunks_encoded: usize,
    /// Chunks whose content was already indexed (nothing encoded).
    pub chunks_reused: usize,
    /// Files left out by discovery, with reasons.
    pub skipped: Vec<(PathBuf, String)>,
    /// Files that failed, with reasons; the run went on without them.
    pub errors: Vec<(PathBuf, String)>,
    /// Files ingested only in part, with what was left out and why.
    pub warnings: Vec<(PathBuf, String)>,
    /// The run was stopped early on request. Everything committed so far stays; the
    /// next run picks up the rest without encoding anything twice.
    pub cancelled: bool,
}

/// Whether a sync drops contents no chunk uses any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Orphans {
    Collect,
    Keep,
}

/// Progress events for a caller's progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// `done` of `total` files processed.
    Files { done: usize, total: usize },
    /// `done` of `total` new chunk contents encoded.
    Encoded { done: usize, total: usize },
    /// `done` of the `total` pages of the PDF being read (OCR of a long scan takes
    /// minutes; blank pages cost nothing).
    Pages { done: usize, total: usize },
}

/// The writers of both indexes (their locks held while this lives).
type Writers = HashMap<&'static str, IndexWriter>;

/// Runs ingests into one index root.
pub struct Ingester<'a> {
    config: IngestConfig,
    code: &'a dyn Encoder,
    docs: &'a dyn Encoder,
    pdf: Option<&'a dyn PdfText>,
    cancel: Option<&'a AtomicBool>,
    /// Writers kept between runs by [`Ingester::hold_writers`] (a watch).
    held: std::sync::Mutex<Option<Writers>>,
}

impl std::fmt::Debug for Ingester<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingester")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The roots as absolute paths without symlinks, the form every stored path has.
pub(crate) fn canonical_roots(roots: &[PathBuf]) -> Result<Vec<PathBuf>> {
    roots
        .iter()
        .map(|r| {
            std::fs::canonicalize(r).map_err(|source| IngestError::Io {
                path: r.clone(),
                source,
            })
        })
        .collect()
}

/// An error's message without the leading file name (reports pair it with the path).
fn reason(path: &Path, e: &IngestError) -> String {
    let text = e.to_string();
    let prefix = format!("{}: ", path.display());
    let mut r = text.as_str();
    while let Some(rest) = r.strip_prefix(&prefix) {
        r = rest;
    }
    r.to_string()
}

fn language_name(l: Language) -> String {
    l.name().to_string()
}

fn hash_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

impl<'a> Ingester<'a> {
    /// An ingester with one encoder per index and an optional PDF text source.
    pub fn new(
        config: IngestConfig,
        code: &'a dyn Encoder,
        docs: &'a dyn Encoder,
        pdf: Option<&'a dyn PdfText>,
    ) -> Self {
        Self {
            config,
            code,
            docs,
            pdf,
            cancel: None,
            held: std::sync::Mutex::new(None),
        }
    }

    /// Takes the writer locks of both indexes and keeps them until
    /// [`Ingester::release_writers`] or the ingester is dropped, so no other writer (a
    /// `plait ingest` beside a watch) gets in between two runs. Runs reuse them. Fails
    /// with the index's `Locked` error while another writer holds one.
    pub fn hold_writers(&self) -> Result<()> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.is_none() {
            *held = Some(self.writers()?);
        }
        Ok(())
    }

    /// Whether [`Ingester::hold_writers`] holds the locks.
    pub fn holds_writers(&self) -> bool {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Lets go of the writer locks taken by [`Ingester::hold_writers`].
    pub fn release_writers(&self) {
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Runs `f` with the held writers, or with writers taken for this call.
    fn with_writers<T>(&self, f: impl FnOnce(&Writers) -> Result<T>) -> Result<T> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match held.as_ref() {
            Some(w) => f(w),
            None => {
                drop(held);
                f(&self.writers()?)
            }
        }
    }

    /// Stops runs early, at the next safe point, once `flag` is set (e.g. by Ctrl-C).
    /// Encoded batches already committed are kept.
    pub fn with_cancel(mut self, flag: &'a AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// The index root this ingester maintains.
    pub fn index_root(&self) -> &Path {
        &self.config.index_root
    }

    fn index_dir(&self, index: &str) -> PathBuf {
        self.config.index_root.join(index)
    }

    fn encoder(&self, index: &str) -> &dyn Encoder {
        if index == CODE {
            self.code
        } else {
            self.docs
        }
    }

    /// Ingests `roots`: new and changed files are chunked, contents not yet indexed are
    /// encoded, files gone from the roots are dropped. Bad files are reported and
    /// skipped.
    pub fn run(&self, roots: &[PathBuf], progress: &dyn Fn(Progress)) -> Result<IngestReport> {
        self.sync(roots, None, Orphans::Collect, progress)
    }

    /// Like [`Ingester::run`], limited to `paths` under `roots` (files or folders, as a
    /// file watcher reports them): paths that exist are ingested with the same rules as
    /// a full walk, paths that are gone (and everything under them) leave the indexes.
    ///
    /// Contents no chunk uses any more are kept in the indexes (invisible to search,
    /// which finds no location for them) until [`Ingester::collect_orphans`] or the
    /// next full run: a file moved in two steps (removed, then created elsewhere) is
    /// then not encoded again.
    pub fn run_paths(
        &self,
        roots: &[PathBuf],
        paths: &[PathBuf],
        progress: &dyn Fn(Progress),
    ) -> Result<IngestReport> {
        let targets: Vec<PathBuf> = paths
            .iter()
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
            .collect();
        self.sync(roots, Some(&targets), Orphans::Keep, progress)
    }

    /// Drops contents no chunk uses any more from the manifest and the indexes (batched
    /// deletes). Returns how many were dropped.
    pub fn collect_orphans(&self) -> Result<usize> {
        self.with_writers(|writers| self.collect_orphans_with(writers))
    }

    fn collect_orphans_with(&self, writers: &Writers) -> Result<usize> {
        let mut manifest = Manifest::open(&self.config.index_root)?;
        let orphans = manifest.transaction(|tx| {
            let mut orphans = HashMap::new();
            for name in [CODE, DOCS] {
                orphans.insert(name, tx.take_orphans(name)?);
            }
            Ok(orphans)
        })?;
        self.delete_orphans(writers, &orphans)?;
        Ok(orphans.values().map(Vec::len).sum())
    }

    fn writers(&self) -> Result<Writers> {
        [CODE, DOCS]
            .into_iter()
            .map(|name| {
                let dir = self.index_dir(name);
                IndexWriter::open(&dir)
                    .map(|w| (name, w))
                    .map_err(|source| IngestError::Index { path: dir, source })
            })
            .collect()
    }

    fn delete_orphans(
        &self,
        writers: &Writers,
        orphans: &HashMap<&'static str, Vec<u64>>,
    ) -> Result<()> {
        for name in [CODE, DOCS] {
            let Some(keys) = orphans.get(name) else {
                continue;
            };
            if !keys.is_empty() && plait_colbert::is_built(&self.index_dir(name)) {
                writers[name]
                    .delete(keys)
                    .map_err(|source| IngestError::Index {
                        path: self.index_dir(name),
                        source,
                    })?;
            }
        }
        Ok(())
    }

    fn sync(
        &self,
        roots: &[PathBuf],
        targets: Option<&[PathBuf]>,
        orphans: Orphans,
        progress: &dyn Fn(Progress),
    ) -> Result<IngestReport> {
        self.with_writers(|writers| self.sync_with(writers, roots, targets, orphans, progress))
    }

    /// One sync: plan (what changed, chunked, keyed) → encode (new contents only, one
    /// index commit per batch) → commit (the manifest's files, removals and orphans).
    fn sync_with(
        &self,
        writers: &Writers,
        roots: &[PathBuf],
        targets: Option<&[PathBuf]>,
        orphans: Orphans,
        progress: &dyn Fn(Progress),
    ) -> Result<IngestReport> {
        let mut manifest = Manifest::open(&self.config.index_root)?;
        let mut report = IngestReport::default();
        for name in [CODE, DOCS] {
            self.check_model(name)?;
            self.reconcile(&mut manifest, &writers[name], name)?;
        }
        let roots = canonical_roots(roots)?;
        let Some(plan) = self.plan(&mut manifest, &roots, targets, &mut report, progress)? else {
            return Ok(report);
        };
        if !self.encode(
            writers,
            &mut manifest,
            &plan.new_contents,
            &mut report,
            progress,
        )? {
            return Ok(report);
        }
        report.files_removed = plan.removed.len();
        self.commit(writers, &mut manifest, &plan, orphans)?;
        Ok(report)
    }

    /// Encodes the new contents in batches: each batch is committed to its index, then
    /// recorded in the manifest's contents. A batch's index commit (assignment,
    /// compression, files synced) runs on its own thread while the next batch is
    /// encoded. `false` when the run was cancelled.
    fn encode(
        &self,
        writers: &Writers,
        manifest: &mut Manifest,
        new_contents: &HashMap<&'static str, Vec<NewContent>>,
        report: &mut IngestReport,
        progress: &dyn Fn(Progress),
    ) -> Result<bool> {
        let to_encode: usize = new_contents.values().map(Vec::len).sum();
        let mut encoded = 0;
        // The manifest records a batch only after its index commit succeeded.
        let mut record = |manifest: &mut Manifest, name: &str, batch: &[NewContent]| {
            manifest.transaction(|tx| {
                for (k, h, _) in batch {
                    tx.add_content(name, *k, h)?;
                }
                Ok(())
            })?;
            encoded += batch.len();
            report.chunks_encoded += batch.len();
            progress(Progress::Encoded {
                done: encoded,
                total: to_encode,
            });
            Ok::<_, IngestError>(())
        };
        for name in [CODE, DOCS] {
            let Some(contents) = new_contents.get(name) else {
                continue;
            };
            let writer = &writers[name];
            let finished = std::thread::scope(|scope| -> Result<bool> {
                let mut pending: PendingCommit<'_, '_> = None;
                let mut join =
                    |pending: &mut PendingCommit<'_, '_>, manifest: &mut Manifest| -> Result<()> {
                        if let Some((batch, handle)) = pending.take() {
                            handle
                                .join()
                                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                            record(manifest, name, batch)?;
                        }
                        Ok(())
                    };
                for batch in contents.chunks(ENCODE_BATCH) {
                    if self.cancelled() {
                        // Committed batches are in the manifest's contents; the files are
                        // not recorded, so the next run chunks them again and reuses those.
                        join(&mut pending, manifest)?;
                        return Ok(false);
                    }
                    let vectors = self.encode_batch(name, batch);
                    join(&mut pending, manifest)?;
                    let vectors = vectors?;
                    let handle = scope.spawn(move || self.index_batch(writer, name, vectors));
                    pending = Some((batch, handle));
                }
                join(&mut pending, manifest)?;
                Ok(true)
            })?;
            if !finished {
                report.cancelled = true;
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Records the planned files, touches and removals in one manifest transaction
    /// (collecting orphaned contents when asked), then deletes the orphans from the
    /// indexes.
    fn commit(
        &self,
        writers: &Writers,
        manifest: &mut Manifest,
        plan: &Plan,
        orphans: Orphans,
    ) -> Result<()> {
        let orphans = manifest.transaction(|tx| {
            for (path, record, kind, pending) in &plan.files {
                let chunks: Vec<ChunkRecord> = pending.iter().map(|p| p.record.clone()).collect();
                tx.put_file(path, record, &format!("{kind:?}"), &chunks)?;
            }
            for (path, size, mtime) in &plan.touched {
                tx.touch_file(path, *size, *mtime)?;
            }
            for path in &plan.removed {
                tx.remove_file(path)?;
            }
            if plan.full {
                tx.set_meta("chunker_version", CHUNKER_VERSION)?;
            }
            let mut taken = HashMap::new();
            if orphans == Orphans::Collect {
                for name in [CODE, DOCS] {
                    taken.insert(name, tx.take_orphans(name)?);
                }
            }
            Ok(taken)
        })?;
        self.delete_orphans(writers, &orphans)
    }

    /// Refuses an existing index built by another encoder than the configured one.
    fn check_model(&self, name: &str) -> Result<()> {
        let dir = self.index_dir(name);
        let index = match Index::open_if_built(&dir) {
            Ok(Some(index)) => index,
            Ok(None) => return Ok(()),
            Err(source) => return Err(IngestError::Index { path: dir, source }),
        };
        let configured = self.encoder(name).model_name();
        match &index.meta().model {
            Some(built_with) if *built_with != configured => Err(IngestError::ModelMismatch {
                path: dir,
                built_with: built_with.clone(),
                configured,
            }),
            _ => Ok(()),
        }
    }

    /// Makes the index and the manifest agree after an interrupted run: index
    /// documents the manifest does not know are deleted; manifest contents the index
    /// lacks are forgotten (their files are ingested again).
    fn reconcile(&self, manifest: &mut Manifest, writer: &IndexWriter, name: &str) -> Result<()> {
        let dir = self.index_dir(name);
        let index_keys: std::collections::HashSet<u64> = match Index::open_if_built(&dir) {
            Ok(Some(index)) => index.keys().into_iter().collect(),
            Ok(None) => Default::default(),
            Err(source) => return Err(IngestError::Index { path: dir, source }),
        };
        let manifest_keys: std::collections::HashSet<u64> =
            manifest.content_keys(name)?.into_iter().collect();
        let extra: Vec<u64> = index_keys.difference(&manifest_keys).copied().collect();
        let missing: Vec<u64> = manifest_keys.difference(&index_keys).copied().collect();
        if !extra.is_empty() {
            writer.delete(&extra).map_err(|source| IngestError::Index {
                path: dir.clone(),
                source,
            })?;
        }
        if !missing.is_empty() {
            manifest.transaction(|tx| tx.drop_contents(name, &missing))?;
        }
        Ok(())
    }

    /// Encodes one batch of contents: their keys, token counts and vectors.
    fn encode_batch(&self, name: &str, batch: &[NewContent]) -> Result<EncodedBatch> {
        let encoder = self.encoder(name);
        let texts: Vec<&str> = batch.iter().map(|(_, _, t)| t.as_str()).collect();
        let embs = encoder
            .encode_documents(&texts)
            .map_err(|source| IngestError::Encode {
                path: self.index_dir(name),
                source,
            })?;
        let dim = encoder.dim();
        let mut keys = Vec::with_capacity(batch.len());
        let mut doclens = Vec::with_capacity(batch.len());
        let mut flat = Vec::new();
        for ((k, _, _), e) in batch.iter().zip(&embs) {
            // A content with no vectors left (punctuation only) is kept as an empty
            // document: it is never found, but index and manifest stay in step.
            keys.push(*k);
            doclens.push(e.len());
            flat.extend_from_slice(e.as_slice());
        }
        let rows = flat.len() / dim.max(1);
        let vectors = Array2::from_shape_vec((rows, dim), flat)
            .unwrap_or_else(|_| unreachable!("rows x dim values were collected"));
        Ok(EncodedBatch {
            keys,
            doclens,
            vectors,
        })
    }

    /// Commits one encoded batch to index `name`.
    fn index_batch(&self, writer: &IndexWriter, name: &str, batch: EncodedBatch) -> Result<()> {
        if batch.keys.is_empty() {
            return Ok(());
        }
        let dir = self.index_dir(name);
        let docs = Documents {
            keys: &batch.keys,
            doclens: &batch.doclens,
            vectors: batch.vectors.view(),
        };
        let result = if plait_colbert::is_built(&dir) {
            writer.add(docs)
        } else {
            let config = IndexConfig {
                model: Some(self.encoder(name).model_name()),
                ..self.config.index.clone()
            };
            writer.rebuild(docs, &config)
        };
        result
            .map(|_| ())
            .map_err(|source| IngestError::Index { path: dir, source })
    }
}

/// A batch whose index commit runs on a scoped thread, with that thread.
type PendingCommit<'s, 'b> = Option<(
    &'b [NewContent],
    std::thread::ScopedJoinHandle<'s, Result<()>>,
)>;

/// One batch's vectors, between encoding and its index commit.
struct EncodedBatch {
    keys: Vec<u64>,
    doclens: Vec<usize>,
    vectors: Array2<f32>,
}
