//! Building, extending and pruning an index; each change is one atomic commit.
//!
//! Commit protocol: new arrays go into new directories (a segment, a codec) or new
//! files (a deletion list), all fsynced; then a new `metadata-<gen>.json` is written and
//! `CURRENT` is switched to it by rename. A kill at any point leaves `CURRENT` naming
//! the previous, complete state; files no manifest names are removed by the next writer.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::assign::{extend_codes, CalibratedAssigner};
use super::codec::ResidualCodec;
use super::kmeans::{kmeans, KMeansConfig};
use super::meta::{IndexMeta, SegmentMeta, CURRENT, FORMAT_VERSION};
use super::rng::SplitMix64;
use super::segment::{write_compressed, write_deleted, write_segment};
use super::source::{gather_rows, VectorSource};
use super::storage::{io_err, sync_dir, write_npy};
use super::Index;
use crate::{ColbertError, Result};

/// Tokens sampled to fit the residual quantisers.
const CODEC_SAMPLE: usize = 65_536;

/// A new token is an outlier when it lies farther from every centroid than this many
/// times `cluster_threshold` (the 0.75 quantile of training distances). A quarter of
/// in-distribution tokens pass the threshold itself, so the margin keeps ordinary
/// batches from looking like drift while tokens on unseen topics still stand out.
const OUTLIER_FACTOR: f32 = 1.5;

/// New centroids are trained when outliers exceed both this many tokens and
/// [`MIN_OUTLIER_SHARE`] of the batch: smaller drifts are absorbed by the residuals.
const MIN_OUTLIERS: usize = 64;

/// Segments beyond this count trigger a merge of the smallest ones after an add, which
/// keeps per-segment work in searches bounded under many small commits (a watcher).
const MAX_SEGMENTS: usize = 8;

/// Indexes up to this many tokens are rebuilt when they outgrow their centroids.
const REBUILD_BELOW_TOKENS: usize = 100_000;

/// Segments left after such a merge.
const MERGE_TARGET: usize = 4;
const MIN_OUTLIER_SHARE: f64 = 0.05;

/// Settings of an index build.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Residual bits per dimension: 2 or 4.
    pub nbits: u8,
    /// Number of centroids; `None` picks `2^floor(log2(8·sqrt(tokens)))` below 2^20
    /// tokens, then doubles per 8x tokens.
    pub num_centroids: Option<usize>,
    /// k-means iterations.
    pub kmeans_iterations: usize,
    /// k-means training points per centroid.
    pub max_points_per_centroid: usize,
    /// Seed of every random choice, for reproducible builds.
    pub seed: u64,
    /// Description of the encoder, kept in the manifest.
    pub model: Option<String>,
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self {
            nbits: 4,
            num_centroids: None,
            kmeans_iterations: 10,
            max_points_per_centroid: 64,
            seed: 42,
            model: None,
        }
    }
}

impl IndexConfig {
    fn centroids_for(&self, tokens: usize) -> usize {
        let k = self
            .num_centroids
            .unwrap_or_else(|| default_centroids(tokens));
        k.clamp(1, tokens.max(1))
    }
}

/// Token count from which the default centroid count stops following the square root.
const CUBE_ROOT_FROM_TOKENS: usize = 1 << 20;

/// The default number of centroids for an index of `tokens` vectors: PLAID's
/// `2^floor(log2(8·sqrt(tokens)))` below 2^20 tokens (up to 4,096 centroids), then
/// doubling per 8x tokens (the cube root; 8,192 from about 3M tokens, 16,384 from about
/// 24M).
///
/// Measured on the shared synthetic corpus (`cargo bench --bench index`): at 1M tokens
/// 4,096 centroids search as fast as 8,192 (p50 1.96 vs 1.85 ms, recall@10 0.951 vs
/// 0.952) for a third of the build (46 vs 134 s), while 2,048 lose recall (0.745); at
/// 10M tokens the square root's 16,384 centroids were slower to search than 8,192
/// (p50 4.26 vs 2.71 ms) with lower recall (0.881 vs 0.890), and their build, which
/// grows with tokens × centroids and k-means with centroids², took 900 s against 342 s.
fn default_centroids(tokens: usize) -> usize {
    let t = tokens.max(1) as f64;
    let exponent = if tokens < CUBE_ROOT_FROM_TOKENS {
        (8.0 * t.sqrt()).log2().floor().max(0.0)
    } else {
        12.0 + ((t.log2() - 20.0) / 3.0).round()
    };
    1usize << (exponent as u32)
}

/// A batch of documents in flat form: `doclens[i]` consecutive rows of `vectors` belong
/// to the document with key `keys[i]`.
#[derive(Debug, Clone, Copy)]
pub struct Documents<'a> {
    /// Stable caller-chosen keys, one per document.
    pub keys: &'a [u64],
    /// Token count per document.
    pub doclens: &'a [usize],
    /// All token vectors (unit norm), documents one after another.
    pub vectors: ArrayView2<'a, f32>,
}

/// A batch of documents whose vectors are read through a [`VectorSource`] (a corpus on
/// disk, streamed): what [`IndexWriter::rebuild_streamed`] builds from.
#[derive(Clone, Copy)]
pub struct StreamedDocuments<'a> {
    /// Stable caller-chosen keys, one per document.
    pub keys: &'a [u64],
    /// Token count per document.
    pub doclens: &'a [usize],
    /// All token vectors (unit norm), documents one after another.
    pub vectors: &'a dyn VectorSource,
}

impl std::fmt::Debug for StreamedDocuments<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamedDocuments")
            .field("documents", &self.keys.len())
            .field("rows", &self.vectors.num_rows())
            .finish()
    }
}

impl<'a> Documents<'a> {
    fn streamed<'s>(&'s self) -> StreamedDocuments<'s>
    where
        'a: 's,
    {
        StreamedDocuments {
            keys: self.keys,
            doclens: self.doclens,
            vectors: &self.vectors,
        }
    }

    fn validate(&self, dim: usize) -> Result<()> {
        self.streamed().validate(dim)
    }
}

impl StreamedDocuments<'_> {
    fn validate(&self, dim: usize) -> Result<()> {
        let invalid = |reason: String| Err(ColbertError::InvalidConfig { reason });
        if self.keys.len() != self.doclens.len() {
            return invalid(format!(
                "{} keys for {} documents",
                self.keys.len(),
                self.doclens.len()
            ));
        }
        let total: usize = self.doclens.iter().sum();
        if total != self.vectors.num_rows() {
            return invalid(format!(
                "doclens add up to {total} tokens, {} vectors given",
                self.vectors.num_rows()
            ));
        }
        if self.vectors.dim() != dim {
            return Err(ColbertError::DocumentDims {
                key: self.keys.first().copied().unwrap_or(0),
                expected: dim,
                got: self.vectors.dim(),
            });
        }
        let mut seen = HashSet::with_capacity(self.keys.len());
        for &k in self.keys {
            if !seen.insert(k) {
                return Err(ColbertError::DuplicateKey { key: k });
            }
        }
        Ok(())
    }
}

/// The single writer of an index directory (an exclusive lock on `LOCK`).
#[derive(Debug)]
pub struct IndexWriter {
    dir: PathBuf,
    _lock: File,
    /// The assigner of the codec written last (its directory name): batches added with
    /// the same centroids share its calibration instead of each measuring again.
    assigner: Mutex<Option<(String, Arc<CalibratedAssigner>)>>,
}

impl IndexWriter {
    /// Takes the writer lock of `dir` (created if needed); fails if another writer holds it.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let lock_path = dir.join("LOCK");
        let lock = File::create(&lock_path).map_err(io_err(&lock_path))?;
        lock.try_lock().map_err(|_| ColbertError::Locked {
            path: dir.to_path_buf(),
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            _lock: lock,
            assigner: Mutex::new(None),
        })
    }

    /// Builds a fresh index from `docs`, replacing whatever the directory held, in one
    /// commit.
    pub fn rebuild(&self, docs: Documents<'_>, config: &IndexConfig) -> Result<Index> {
        self.rebuild_streamed(docs.streamed(), config)
    }

    /// [`IndexWriter::rebuild`] from vectors read chunk by chunk: k-means and the
    /// quantisers train on samples, and compression reads one chunk of rows at a time,
    /// so memory holds the samples and the compressed index, not the corpus.
    pub fn rebuild_streamed(
        &self,
        docs: StreamedDocuments<'_>,
        config: &IndexConfig,
    ) -> Result<Index> {
        let dim = docs.vectors.dim();
        docs.validate(dim)?;
        if !matches!(config.nbits, 2 | 4) {
            return Err(ColbertError::InvalidConfig {
                reason: format!("nbits must be 2 or 4, not {}", config.nbits),
            });
        }
        if dim == 0
            || !(dim * usize::from(config.nbits)).is_multiple_of(8)
            || docs.vectors.num_rows() == 0
        {
            return Err(ColbertError::InvalidConfig {
                reason: format!(
                    "cannot index {} vectors of dimension {dim} with nbits {}",
                    docs.vectors.num_rows(),
                    config.nbits
                ),
            });
        }
        let previous = IndexMeta::load_current(&self.dir).ok();
        let mut next_id = previous.as_ref().map_or(1, |m| m.next_id);
        let generation = previous.as_ref().map_or(1, |m| m.generation + 1);
        let tokens = docs.vectors.num_rows();
        let k = config.centroids_for(tokens);
        // k-means trains on one sample; the quantisers are fitted on tokens held out
        // from it (residuals of training points are optimistically small). A corpus too
        // small for both uses all its tokens for each.
        let kmeans_n = k.saturating_mul(config.max_points_per_centroid.max(1));
        let mut rng = SplitMix64::new(config.seed ^ 0x5eed_c0de);
        let (train_idx, heldout_idx) = if tokens >= kmeans_n + CODEC_SAMPLE {
            let mut both = rng.sample_indices(tokens, kmeans_n + CODEC_SAMPLE);
            // Move a random CODEC_SAMPLE of them to the held-out side.
            for i in 0..CODEC_SAMPLE {
                let j = i + rng.below(both.len() - i);
                both.swap(i, j);
            }
            let mut heldout = both[..CODEC_SAMPLE].to_vec();
            let mut train = both[CODEC_SAMPLE..].to_vec();
            heldout.sort_unstable();
            train.sort_unstable();
            (train, heldout)
        } else {
            let all: Vec<usize> = (0..tokens).collect();
            (all.clone(), all)
        };
        let train = gather_rows(docs.vectors, &train_idx)?;
        let centroids = kmeans(
            train.view(),
            &KMeansConfig {
                k,
                iterations: config.kmeans_iterations,
                max_points_per_centroid: config.max_points_per_centroid,
                seed: config.seed,
            },
        );
        drop(train);
        let heldout = gather_rows(docs.vectors, &heldout_idx)?;
        let codec = ResidualCodec::train(centroids, heldout.view(), config.nbits);
        drop(heldout);

        let codec_dir = format!("codec-{next_id:06}");
        next_id += 1;
        write_codec(&self.dir.join(&codec_dir), &codec)?;
        let codec = self.keep_assigner(&codec_dir, codec);
        let segment = self.new_segment(&mut next_id, &codec, docs, None)?;
        let manifest = IndexMeta {
            format_version: FORMAT_VERSION,
            generation,
            dim,
            nbits: config.nbits,
            num_centroids: codec.num_centroids(),
            codec: codec_dir,
            segments: vec![segment],
            next_id,
            model: config.model.clone(),
            auto_centroids: config.num_centroids.is_none(),
            files: Default::default(),
        };
        self.commit(&manifest)
    }

    /// Adds documents as a new segment compressed with the existing centroids (plus new
    /// centroids for tokens far from all of them). A small index whose token count has
    /// grown enough for twice its centroids is rebuilt instead.
    pub fn add(&self, docs: Documents<'_>) -> Result<Index> {
        let index = Index::open(&self.dir)?;
        docs.validate(index.manifest.dim)?;
        if let Some(&k) = docs.keys.iter().find(|&&k| index.contains(k)) {
            return Err(ColbertError::DuplicateKey { key: k });
        }
        if let Some(rebuilt) = self.rebuild_if_small(&index, docs)? {
            return Ok(rebuilt);
        }
        let mut manifest = index.manifest.clone();
        manifest.generation += 1;
        // One assignment serves the outlier check and compression; centroids added for
        // the outliers are appended, so only they are scored for every token then.
        let codec = self.keep_assigner(&manifest.codec, index.codec.clone());
        let codes = codec.assign(docs.vectors);
        let outliers = codec.outliers_of(docs.vectors, &codes, OUTLIER_FACTOR);
        let (codec, codes) = match self.grown_codec(&index, docs.vectors, &outliers) {
            Some(grown) => {
                let codec_dir = format!("codec-{:06}", manifest.next_id);
                manifest.next_id += 1;
                write_codec(&self.dir.join(&codec_dir), &grown)?;
                manifest.num_centroids = grown.num_centroids();
                let base_k = codec.num_centroids();
                let extended = Arc::new(CalibratedAssigner::extending(codec.assigner(), base_k));
                let grown = self.keep_assigner(&codec_dir, grown.with_assigner(extended));
                manifest.codec = codec_dir;
                let codes = extend_codes(docs.vectors, grown.centroids(), codes, base_k);
                (grown, codes)
            }
            None => (codec, codes),
        };
        let segment =
            self.new_segment(&mut manifest.next_id, &codec, docs.streamed(), Some(&codes))?;
        manifest.segments.push(segment);
        drop(index);
        let index = self.commit(&manifest)?;
        if index.segments.len() > MAX_SEGMENTS {
            return self.merge_smallest(index, MERGE_TARGET);
        }
        Ok(index)
    }

    /// `codec` assigning through the assigner kept for `codec_dir` (which becomes the
    /// kept one, `codec`'s own when it is another directory's).
    fn keep_assigner(&self, codec_dir: &str, codec: ResidualCodec) -> ResidualCodec {
        let mut kept = self.assigner.lock().unwrap_or_else(|e| e.into_inner());
        match kept.as_ref() {
            Some((dir, assigner)) if dir == codec_dir => codec.with_assigner(assigner.clone()),
            _ => {
                *kept = Some((codec_dir.to_string(), codec.assigner().clone()));
                codec
            }
        }
    }

    /// Writes `docs` as a new segment named from `next_id` (advanced); `codes` are their
    /// centroids when already assigned.
    fn new_segment(
        &self,
        next_id: &mut u64,
        codec: &ResidualCodec,
        docs: StreamedDocuments<'_>,
        codes: Option<&[u32]>,
    ) -> Result<SegmentMeta> {
        let dir = format!("seg-{:06}", *next_id);
        *next_id += 1;
        write_segment(
            &self.dir.join(&dir),
            codec,
            docs.keys,
            docs.doclens,
            docs.vectors,
            codes,
        )?;
        Ok(SegmentMeta {
            dir,
            num_docs: docs.keys.len(),
            num_tokens: docs.vectors.num_rows(),
            deleted: None,
        })
    }

    /// Rewrites the index's segments into one, dropping deleted documents. Compressed
    /// data is copied as is: nothing is re-encoded or re-quantised.
    pub fn compact(&self) -> Result<Index> {
        let index = Index::open(&self.dir)?;
        self.merge_smallest(index, 1)
    }

    /// Merges the smallest segments so that `target` segments remain.
    fn merge_smallest(&self, index: Index, target: usize) -> Result<Index> {
        let n = index.segments.len();
        if n <= target.max(1) && index.segments.iter().all(|s| s.deleted_docs().is_empty()) {
            return Ok(index);
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| index.segments[i].num_tokens());
        let take = (n + 1).saturating_sub(target.max(1)).max(1).min(n);
        let mut chosen: Vec<usize> = order[..take].to_vec();
        chosen.sort_unstable();
        let plen = index.codec.packed_len();
        let (mut keys, mut doclens, mut codes, mut packed) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &si in &chosen {
            let seg = &index.segments[si];
            let seg_keys = seg.keys();
            let residuals = seg.residuals();
            for (d, &key) in seg_keys.iter().enumerate() {
                if seg.is_deleted(d) {
                    continue;
                }
                let (a, b) = (seg.doc_offsets[d], seg.doc_offsets[d + 1]);
                keys.push(key);
                doclens.push(b - a);
                codes.extend((a..b).map(|t| seg.code(t)));
                packed.extend_from_slice(&residuals[a * plen..b * plen]);
            }
        }
        let mut manifest = index.manifest.clone();
        manifest.generation += 1;
        let seg_dir = format!("seg-{:06}", manifest.next_id);
        manifest.next_id += 1;
        let merged = SegmentMeta {
            dir: seg_dir.clone(),
            num_docs: keys.len(),
            num_tokens: codes.len(),
            deleted: None,
        };
        if !keys.is_empty() {
            write_compressed(
                &self.dir.join(&seg_dir),
                index.codec.num_centroids(),
                plen,
                &keys,
                &doclens,
                codes,
                &packed,
            )?;
        }
        let first = chosen[0];
        let mut segments = Vec::with_capacity(n - chosen.len() + 1);
        for (i, meta) in manifest.segments.iter().enumerate() {
            if i == first && !keys.is_empty() {
                segments.push(merged.clone());
            } else if !chosen.contains(&i) {
                segments.push(meta.clone());
            }
        }
        manifest.segments = segments;
        drop(index);
        self.commit(&manifest)
    }

    /// Rebuilds a small, auto-sized index with the new documents when the centroid count
    /// its grown token count calls for is at least twice the current one. The existing
    /// documents come back from their compressed form, so each rebuild re-quantises them
    /// once; doubling bounds that to a few times over an index's small life.
    fn rebuild_if_small(&self, index: &Index, docs: Documents<'_>) -> Result<Option<Index>> {
        let m = &index.manifest;
        let live_tokens: usize = index
            .locations
            .values()
            .map(|&(s, d)| {
                let seg = &index.segments[s as usize];
                seg.doc_offsets[d as usize + 1] - seg.doc_offsets[d as usize]
            })
            .sum();
        let total = live_tokens + docs.vectors.nrows();
        let config = IndexConfig {
            nbits: m.nbits,
            model: m.model.clone(),
            ..IndexConfig::default()
        };
        if !m.auto_centroids
            || total > REBUILD_BELOW_TOKENS
            || config.centroids_for(total) < 2 * m.num_centroids
        {
            return Ok(None);
        }
        let mut keys = Vec::with_capacity(index.num_documents() + docs.keys.len());
        let mut doclens = Vec::with_capacity(keys.capacity());
        let mut vectors = Array2::<f32>::zeros((total, m.dim));
        let mut row = 0;
        for key in index.keys() {
            let v = index
                .document(key)
                .unwrap_or_else(|| unreachable!("keys() lists live documents"));
            vectors
                .slice_mut(ndarray::s![row..row + v.nrows(), ..])
                .assign(&v);
            row += v.nrows();
            keys.push(key);
            doclens.push(v.nrows());
        }
        vectors
            .slice_mut(ndarray::s![row.., ..])
            .assign(&docs.vectors);
        keys.extend_from_slice(docs.keys);
        doclens.extend_from_slice(docs.doclens);
        let all = Documents {
            keys: &keys,
            doclens: &doclens,
            vectors: vectors.view(),
        };
        self.rebuild(all, &config).map(Some)
    }

    /// The codec with new centroids for `vectors` when too many of them lie far from
    /// every existing centroid (documents on new topics); `None` when the existing
    /// centroids cover them.
    fn grown_codec(
        &self,
        index: &Index,
        vectors: ArrayView2<'_, f32>,
        outliers: &[usize],
    ) -> Option<ResidualCodec> {
        let n = vectors.nrows();
        if outliers.len() < MIN_OUTLIERS || (outliers.len() as f64) < MIN_OUTLIER_SHARE * n as f64 {
            return None;
        }
        // As many new centroids as the outliers need at the index's tokens per centroid.
        let per_centroid = (index.num_tokens() / index.codec.num_centroids().max(1)).max(1);
        let k = outliers
            .len()
            .div_ceil(per_centroid)
            .clamp(1, outliers.len());
        let sample = vectors.select(Axis(0), outliers);
        let extra = kmeans(
            sample.view(),
            &KMeansConfig {
                k,
                iterations: 10,
                max_points_per_centroid: 256,
                seed: index.manifest.generation,
            },
        );
        Some(index.codec.with_added_centroids(extra.view()))
    }

    /// Deletes the documents with these keys (unknown keys are ignored); returns how
    /// many were deleted. Costs one small file per touched segment.
    pub fn delete(&self, keys: &[u64]) -> Result<(Index, usize)> {
        let index = Index::open(&self.dir)?;
        let wanted: HashSet<u64> = keys.iter().copied().collect();
        let mut manifest = index.manifest.clone();
        manifest.generation += 1;
        let mut removed = 0;
        for (seg, meta) in index.segments.iter().zip(manifest.segments.iter_mut()) {
            let mut hits: Vec<u32> = seg
                .keys()
                .iter()
                .enumerate()
                .filter(|&(d, k)| wanted.contains(k) && !seg.is_deleted(d))
                .map(|(d, _)| d as u32)
                .collect();
            if hits.is_empty() {
                continue;
            }
            removed += hits.len();
            hits.extend(seg.deleted_docs());
            hits.sort_unstable();
            let name = format!("deleted-{:06}.npy", manifest.generation);
            let seg_dir = self.dir.join(&meta.dir);
            write_deleted(&seg_dir.join(&name), &hits)?;
            sync_dir(&seg_dir)?;
            meta.deleted = Some(name);
        }
        drop(index);
        if removed == 0 {
            return Ok((Index::open(&self.dir)?, 0));
        }
        Ok((self.commit(&manifest)?, removed))
    }

    fn commit(&self, manifest: &IndexMeta) -> Result<Index> {
        let mut manifest = manifest.clone();
        let previous = IndexMeta::load_current(&self.dir).ok();
        manifest.format_version = FORMAT_VERSION;
        super::integrity::fill_sums(&self.dir, &mut manifest, previous.as_ref())?;
        let manifest = &manifest;
        manifest.commit(&self.dir)?;
        self.collect_garbage(manifest);
        Index::open(&self.dir)
    }

    /// Removes files no longer named by `manifest`. Best effort: a failure here loses
    /// nothing, and open readers keep their mapped files (unlinked files stay readable).
    fn collect_garbage(&self, manifest: &IndexMeta) {
        let keep_meta = IndexMeta::file_name(manifest.generation);
        let mut keep_dirs: HashSet<&str> =
            manifest.segments.iter().map(|s| s.dir.as_str()).collect();
        keep_dirs.insert(manifest.codec.as_str());
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let path = e.path();
            if name == CURRENT || name == "LOCK" || name == keep_meta.as_str() {
                continue;
            }
            if path.is_dir() {
                if keep_dirs.contains(name.as_ref()) {
                    if let Some(seg) = manifest.segments.iter().find(|s| s.dir == name) {
                        prune_deleted_files(&path, seg.deleted.as_deref());
                    }
                } else if name.starts_with("seg-") || name.starts_with("codec-") {
                    let _ = std::fs::remove_dir_all(&path);
                }
            } else if name.starts_with("metadata-") || name.starts_with('.') {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

fn prune_deleted_files(seg_dir: &Path, keep: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(seg_dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("deleted-") && Some(name.as_ref()) != keep {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn write_codec(dir: &Path, codec: &ResidualCodec) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    write_npy(&dir.join("centroids.npy"), &codec.centroids())?;
    write_npy(&dir.join("bucket_cutoffs.npy"), &codec.cutoffs())?;
    write_npy(&dir.join("bucket_weights.npy"), &codec.weights())?;
    write_npy(&dir.join("avg_residual.npy"), &codec.avg_residual())?;
    write_npy(
        &dir.join("cluster_threshold.npy"),
        &Array1::from(vec![codec.cluster_threshold()]),
    )?;
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::default_centroids;

    #[test]
    fn centroids_follow_the_square_root_then_the_cube_root() {
        // PLAID's rule below 2^20 tokens.
        assert_eq!(default_centroids(1), 8);
        assert_eq!(default_centroids(10_000), 512);
        assert_eq!(default_centroids(100_000), 2048);
        assert_eq!(default_centroids(999_440), 4096);
        // Then one doubling per 8x tokens, without a step back at the switch.
        assert_eq!(default_centroids(1 << 20), 4096);
        assert_eq!(default_centroids(2_900_000), 4096);
        assert_eq!(default_centroids(3_000_000), 8192);
        assert_eq!(default_centroids(9_991_226), 8192);
        assert_eq!(default_centroids(100_000_000), 16384);
        let mut last = 0;
        for e in 0..40 {
            let k = default_centroids(1usize << e);
            assert!(k >= last, "{k} centroids at 2^{e} tokens, {last} before");
            last = k;
        }
    }
}
