//! `metadata-<generation>.json`: the versioned description of one committed index state,
//! and `CURRENT`, which names the committed one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::integrity::{hash_bytes, FileSum};
use super::storage::{io_err, write_atomic};
use crate::{ColbertError, Result};

/// Version of the on-disk layout this code writes. Readers accept every version listed
/// in [`SUPPORTED_FORMAT_VERSIONS`].
///
/// - 1: the PLAID layout (segments, codec, deletion lists).
/// - 2: the same files, plus the size and BLAKE3 of each in the manifest (`files`) and
///   the manifest's own BLAKE3 in `CURRENT` (`metadata-N.json blake3:HEX`). Version 1
///   indexes open unchanged (without the checks); their next commit writes version 2.
pub const FORMAT_VERSION: u32 = 2;
const SUPPORTED_FORMAT_VERSIONS: [u32; 2] = [1, 2];

/// Name of the file holding the name of the committed manifest.
pub(crate) const CURRENT: &str = "CURRENT";

/// One committed state of an index: the JSON commit `metadata-N.json` (not to be
/// confused with ingest's SQLite `Manifest`, the catalogue of files and chunks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    /// On-disk format version.
    pub format_version: u32,
    /// Commit counter, increasing.
    pub generation: u64,
    /// Vector dimension.
    pub dim: usize,
    /// Residual bits per dimension.
    pub nbits: u8,
    /// Number of centroids.
    pub num_centroids: usize,
    /// Directory of the codec arrays (centroids, buckets).
    pub codec: String,
    /// Immutable segments, oldest first.
    pub segments: Vec<SegmentMeta>,
    /// Next number for naming new segment or codec directories.
    pub next_id: u64,
    /// Free-form description of the encoder that made the vectors.
    #[serde(default)]
    pub model: Option<String>,
    /// Whether the centroid count was chosen from the token count (then a small index
    /// may be rebuilt with more centroids as it grows), or fixed by the caller.
    #[serde(default = "yes")]
    pub auto_centroids: bool,
    /// Size and hash of every file this manifest names, by path relative to the index
    /// directory (format 2; empty in format 1).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileSum>,
}

fn yes() -> bool {
    true
}

/// One segment: a directory of PLAID arrays for a batch of documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentMeta {
    /// Directory name inside the index.
    pub dir: String,
    /// Documents in the segment, deleted ones included.
    pub num_docs: usize,
    /// Token vectors in the segment.
    pub num_tokens: usize,
    /// File (inside `dir`) listing deleted local document numbers, if any.
    #[serde(default)]
    pub deleted: Option<String>,
}

impl IndexMeta {
    pub(crate) fn file_name(generation: u64) -> String {
        format!("metadata-{generation:06}.json")
    }

    /// Reads the manifest `CURRENT` names.
    pub(crate) fn load_current(dir: &Path) -> Result<Self> {
        let current = dir.join(CURRENT);
        let name = std::fs::read_to_string(&current).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ColbertError::NoIndex {
                    path: dir.to_path_buf(),
                }
            } else {
                io_err(&current)(source)
            }
        })?;
        let mut words = name.split_whitespace();
        let file = words.next().unwrap_or("");
        if !file.starts_with("metadata-") || !file.ends_with(".json") || file.contains('/') {
            return Err(ColbertError::CorruptIndex {
                path: current,
                reason: format!(
                    "it should name a metadata-N.json file, not {:?}",
                    name.chars().take(80).collect::<String>()
                ),
            });
        }
        let path = dir.join(file);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        if let Some(expected) = words.next().and_then(|w| w.strip_prefix("blake3:")) {
            if hash_bytes(&bytes) != expected {
                return Err(ColbertError::CorruptIndex {
                    path,
                    reason: "its checksum does not match the one in CURRENT (the file changed after it was committed)".into(),
                });
            }
        }
        let m: IndexMeta =
            serde_json::from_slice(&bytes).map_err(|e| ColbertError::CorruptIndex {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if !SUPPORTED_FORMAT_VERSIONS.contains(&m.format_version) {
            return Err(ColbertError::UnsupportedFormat {
                path,
                found: m.format_version,
                supported: FORMAT_VERSION,
            });
        }
        Ok(m)
    }

    /// Commits this manifest: writes it durably, then switches `CURRENT` to it.
    /// Everything the manifest names must already be on disk and synced.
    pub(crate) fn commit(&self, dir: &Path) -> Result<()> {
        let name = Self::file_name(self.generation);
        let json = serde_json::to_vec_pretty(self).map_err(|e| ColbertError::CorruptIndex {
            path: dir.join(&name),
            reason: e.to_string(),
        })?;
        write_atomic(&dir.join(&name), &json)?;
        write_atomic(
            &dir.join(CURRENT),
            format!("{name} blake3:{}\n", hash_bytes(&json)).as_bytes(),
        )
    }
}
