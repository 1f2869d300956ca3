//! `IndexReader`: one long-lived reader of an index directory that hands out the
//! committed snapshot, reopening it only when a commit has changed `CURRENT`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::meta::CURRENT;
use super::Index;
use crate::{ColbertError, Result};

/// The commit a reader's snapshot was opened at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// The committed generation's metadata file (`metadata-N.json`).
    pub name: String,
    /// When it was committed (the commit marker's modification time).
    pub committed: Option<SystemTime>,
}

/// Reads one index directory for as long as the process searches it (like tantivy's
/// `IndexReader` with a reload-on-commit policy): [`IndexReader::searcher`] returns the
/// snapshot of the last commit, opened once and shared until a writer commits again.
/// Each caller searches one snapshot from start to end, so a commit never shows half-way.
#[derive(Debug)]
pub struct IndexReader {
    dir: PathBuf,
    cached: Mutex<Option<(String, Arc<Index>)>>,
}

impl IndexReader {
    /// A reader of the index in `dir`; nothing is opened until the first search, and a
    /// directory with no commit yet is not an error ([`IndexReader::searcher`] is `None`).
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            cached: Mutex::new(None),
        }
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The committed snapshot as of now: the cached one while the commit marker is
    /// unchanged, else a newly opened one; `None` while the index has never been built.
    pub fn searcher(&self) -> Result<Option<Arc<Index>>> {
        let Some(marker) = read_marker(&self.dir)? else {
            return Ok(None);
        };
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, index)) = cached.as_ref() {
            if *at == marker {
                return Ok(Some(index.clone()));
            }
        }
        let index = match Index::open(&self.dir) {
            Ok(i) => Arc::new(i),
            Err(ColbertError::NoIndex { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        // The marker read before opening may be older than what was opened; caching it
        // under the older marker only costs one more open at the next call.
        *cached = Some((marker, index.clone()));
        Ok(Some(index))
    }

    /// The commit searches read now (`None` before the first commit).
    pub fn commit_info(&self) -> Result<Option<CommitInfo>> {
        let Some(marker) = read_marker(&self.dir)? else {
            return Ok(None);
        };
        let committed = std::fs::metadata(self.dir.join(CURRENT))
            .and_then(|m| m.modified())
            .ok();
        Ok(Some(CommitInfo {
            name: marker.split_whitespace().next().unwrap_or("").to_string(),
            committed,
        }))
    }
}

/// Whether `dir` holds a committed index (a writer has committed at least once).
pub fn is_built(dir: &Path) -> bool {
    dir.join(CURRENT).is_file()
}

/// The commit marker's contents, `None` when there is none.
fn read_marker(dir: &Path) -> Result<Option<String>> {
    let path = dir.join(CURRENT);
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ColbertError::Io { path, source }),
    }
}
