//! Checksums of committed index files, like tantivy's footer CRC: every file a manifest
//! names has its size and BLAKE3 hash recorded in that manifest, and `CURRENT` records
//! the hash of the manifest itself. Opening an index checks the manifest's hash and every
//! file's size (cheap); [`verify`] hashes every byte (the check command).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::meta::IndexMeta;
use crate::{ColbertError, Result};

/// Files of every codec directory.
pub(crate) const CODEC_FILES: [&str; 5] = [
    "centroids.npy",
    "bucket_cutoffs.npy",
    "bucket_weights.npy",
    "avg_residual.npy",
    "cluster_threshold.npy",
];

/// Files of every segment directory (besides its deletion list).
pub(crate) const SEGMENT_FILES: [&str; 6] = [
    "codes.npy",
    "residuals.npy",
    "doclens.npy",
    "keys.npy",
    "ivf.npy",
    "ivf_lengths.npy",
];

/// Size and hash of one committed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    /// Length in bytes.
    pub size: u64,
    /// BLAKE3 of the whole file, hex.
    pub blake3: String,
}

/// Hex BLAKE3 of `bytes`.
pub(crate) fn hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

fn corrupt(path: PathBuf, reason: impl Into<String>) -> ColbertError {
    ColbertError::CorruptIndex {
        path,
        reason: reason.into(),
    }
}

/// Size and hash of a file, read in blocks.
fn sum_file(path: &Path) -> Result<FileSum> {
    let mut f = std::fs::File::open(path).map_err(super::storage::io_err(path))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(super::storage::io_err(path))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok(FileSum {
        size,
        blake3: hasher.finalize().to_hex().to_string(),
    })
}

/// Paths (relative to the index directory) of every file `m` names.
pub(crate) fn named_files(m: &IndexMeta) -> Vec<String> {
    let mut out: Vec<String> = CODEC_FILES
        .iter()
        .map(|f| format!("{}/{f}", m.codec))
        .collect();
    for s in &m.segments {
        out.extend(SEGMENT_FILES.iter().map(|f| format!("{}/{f}", s.dir)));
        if let Some(d) = &s.deleted {
            out.push(format!("{}/{d}", s.dir));
        }
    }
    out
}

/// Records the sum of every file `m` names: taken over from `previous` for files it
/// already named (committed files never change), computed for new ones.
pub(crate) fn fill_sums(dir: &Path, m: &mut IndexMeta, previous: Option<&IndexMeta>) -> Result<()> {
    let mut files = BTreeMap::new();
    for rel in named_files(m) {
        let sum = match previous.and_then(|p| p.files.get(&rel)) {
            Some(s) => s.clone(),
            None => sum_file(&dir.join(&rel))?,
        };
        files.insert(rel, sum);
    }
    m.files = files;
    Ok(())
}

/// The cheap check of opening: every recorded file exists with its recorded size.
pub(crate) fn check_sizes(dir: &Path, m: &IndexMeta) -> Result<()> {
    for (rel, sum) in &m.files {
        let path = dir.join(rel);
        let meta = std::fs::metadata(&path).map_err(super::storage::io_err(&path))?;
        if meta.len() != sum.size {
            return Err(corrupt(
                path,
                format!(
                    "{} bytes, but {} were committed (truncated or overwritten)",
                    meta.len(),
                    sum.size
                ),
            ));
        }
    }
    Ok(())
}

/// One damaged file found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The damaged (or missing) file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

/// The full check: `CURRENT`, the manifest's hash, every named file's size and hash,
/// then a full open (array headers and shapes). Returns every damaged file found;
/// empty when the index is whole. An index written before checksums (format 1) gets
/// the open check only.
pub fn verify(dir: &Path) -> Result<Vec<Damage>> {
    let m = match IndexMeta::load_current(dir) {
        Ok(m) => m,
        Err(ColbertError::NoIndex { .. }) => {
            return Err(ColbertError::NoIndex {
                path: dir.to_path_buf(),
            })
        }
        Err(e) => return Ok(vec![damage_of(dir, e)]),
    };
    let mut out = Vec::new();
    for (rel, sum) in &m.files {
        let path = dir.join(rel);
        match sum_file(&path) {
            Ok(s) if s == *sum => {}
            Ok(s) if s.size != sum.size => out.push(Damage {
                path,
                reason: format!("{} bytes, but {} were committed", s.size, sum.size),
            }),
            Ok(_) => out.push(Damage {
                path,
                reason: "its checksum does not match the committed one (the bytes changed)".into(),
            }),
            Err(e) => out.push(damage_of(dir, e)),
        }
    }
    if out.is_empty() {
        if let Err(e) = super::Index::open(dir) {
            out.push(damage_of(dir, e));
        }
    }
    Ok(out)
}

fn damage_of(dir: &Path, e: ColbertError) -> Damage {
    match e {
        ColbertError::CorruptIndex { path, reason } => Damage { path, reason },
        ColbertError::Io { path, source } => Damage {
            path,
            reason: source.to_string(),
        },
        e => Damage {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        },
    }
}
