//! The PLAID multi-vector index: residual-compressed token vectors in immutable
//! segments, an inverted file from centroids to documents, and staged late-interaction
//! search.

mod assign;
mod batch_search;
mod codec;
mod cscore;
mod decode;
mod integrity;
mod kmeans;
mod meta;
mod pooled;
mod probe;
mod reader;
mod refine;
mod refine_vnni;
mod rng;
mod search;
mod segment;
mod source;
mod storage;
mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};

pub use assign::{assign, assign_exact, CentroidGroups};
pub use codec::ResidualCodec;
pub use integrity::{verify, Damage, FileSum};
pub use kmeans::{kmeans, KMeansConfig};
pub use meta::{IndexMeta, SegmentMeta, FORMAT_VERSION};
pub use reader::{is_built, CommitInfo, IndexReader};
pub use search::{SearchHit, SearchParams, SearchStages};
pub use source::VectorSource;
pub use storage::is_disk_full;
pub use writer::{Documents, IndexConfig, IndexWriter, StreamedDocuments};

use segment::Segment;
use storage::read_npy;

use crate::Result;

/// How often `Index::open` starts over when commits keep replacing the state it reads.
const OPEN_ATTEMPTS: usize = 20;

/// A committed index opened for searching: one consistent snapshot.
///
/// Opening reads the manifest `CURRENT` names and memory-maps its segments; later
/// commits by a writer do not change an opened `Index` (its files are never modified),
/// so a search sees either the state before a commit or after it.
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    manifest: IndexMeta,
    codec: ResidualCodec,
    segments: Vec<Segment>,
    /// Live key -> (segment, local document).
    locations: HashMap<u64, (u32, u32)>,
}

impl Index {
    /// Opens the committed index in `dir`.
    ///
    /// A writer may commit and collect the previous state's files while this runs; then
    /// the files of the manifest just read can vanish. Opening starts over from the new
    /// `CURRENT` in that case (bounded), so a reader always gets a whole snapshot.
    pub fn open(dir: &Path) -> Result<Self> {
        let mut attempt = 0;
        loop {
            // The manifest `CURRENT` names can itself be gone by the time it is read: a
            // writer committed again and removed it. Then CURRENT has moved on too.
            let mut generation = None;
            let opened = IndexMeta::load_current(dir).and_then(|manifest| {
                generation = Some(manifest.generation);
                Self::open_manifest(dir, manifest)
            });
            match opened {
                Ok(index) => return Ok(index),
                Err(e) => {
                    attempt += 1;
                    let moved_on = IndexMeta::load_current(dir)
                        .map(|m| Some(m.generation) != generation)
                        .unwrap_or(false);
                    if !moved_on || attempt >= OPEN_ATTEMPTS {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Opens the committed index in `dir`, `None` when nothing was ever committed there.
    pub fn open_if_built(dir: &Path) -> Result<Option<Self>> {
        match Self::open(dir) {
            Ok(i) => Ok(Some(i)),
            Err(crate::ColbertError::NoIndex { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn open_manifest(dir: &Path, manifest: IndexMeta) -> Result<Self> {
        integrity::check_sizes(dir, &manifest)?;
        let cdir = dir.join(&manifest.codec);
        let centroids: Array2<f32> = read_npy(&cdir.join("centroids.npy"))?;
        let cutoffs: Array2<f32> = read_npy(&cdir.join("bucket_cutoffs.npy"))?;
        let weights: Array2<f32> = read_npy(&cdir.join("bucket_weights.npy"))?;
        let avg_residual: Array1<f32> = read_npy(&cdir.join("avg_residual.npy"))?;
        let threshold: Array1<f32> = read_npy(&cdir.join("cluster_threshold.npy"))?;
        if centroids.ncols() != manifest.dim || centroids.nrows() != manifest.num_centroids {
            return Err(crate::ColbertError::CorruptIndex {
                path: dir.join(IndexMeta::file_name(manifest.generation)),
                reason: format!(
                    "it says dim {} and {} centroids, but centroids.npy holds {} x {}",
                    manifest.dim,
                    manifest.num_centroids,
                    centroids.nrows(),
                    centroids.ncols()
                ),
            });
        }
        let codec = ResidualCodec::from_parts(
            centroids,
            cutoffs,
            weights,
            avg_residual,
            threshold.first().copied().unwrap_or(0.0),
            manifest.nbits,
        );
        let segments = manifest
            .segments
            .iter()
            .map(|s| Segment::open(&dir.join(&s.dir), s.deleted.as_deref(), codec.packed_len()))
            .collect::<Result<Vec<_>>>()?;
        let mut locations = HashMap::new();
        for (si, seg) in segments.iter().enumerate() {
            for (d, &k) in seg.keys().iter().enumerate() {
                if !seg.is_deleted(d) && locations.insert(k, (si as u32, d as u32)).is_some() {
                    return Err(crate::ColbertError::CorruptIndex {
                        path: dir.join(&manifest.segments[si].dir).join("keys.npy"),
                        reason: format!("key {k} is live in two places"),
                    });
                }
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            codec,
            segments,
            locations,
        })
    }

    /// The directory the index lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The commit metadata (`metadata-N.json`) this snapshot was opened from.
    pub fn meta(&self) -> &IndexMeta {
        &self.manifest
    }

    /// The residual codec (centroids and quantisers).
    pub fn codec(&self) -> &ResidualCodec {
        &self.codec
    }

    /// Documents that are not deleted.
    pub fn num_documents(&self) -> usize {
        self.locations.len()
    }

    /// Whether a live document has this key.
    pub fn contains(&self, key: u64) -> bool {
        self.locations.contains_key(&key)
    }

    /// Stored token vectors, deleted documents included until they are merged away.
    pub fn num_tokens(&self) -> usize {
        self.segments.iter().map(Segment::num_tokens).sum()
    }

    /// Keys of all live documents, in storage order.
    pub fn keys(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.num_documents());
        for seg in &self.segments {
            out.extend(
                seg.keys()
                    .iter()
                    .enumerate()
                    .filter(|&(d, _)| !seg.is_deleted(d))
                    .map(|(_, &k)| k),
            );
        }
        out
    }

    /// The decompressed (unit-norm) token vectors of the document with `key`, if present.
    pub fn document(&self, key: u64) -> Option<Array2<f32>> {
        let &(s, d) = self.locations.get(&key)?;
        Some(search::decompress_doc(
            &self.codec,
            &self.segments[s as usize],
            d as usize,
        ))
    }
}
