//! Checking an index root in full (`plait check`) and repairing a damaged one
//! (`plait ingest --repair`): damaged parts are moved aside, and the next run rebuilds
//! them from the source folders, keeping everything that is whole.

use std::path::{Path, PathBuf};

use crate::manifest::Manifest;
use crate::{IngestError, Result, CODE, DOCS};

/// One damaged file of an index root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The damaged (or missing) file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

/// What [`check_root`] found, per part of the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CheckReport {
    /// Damage in `manifest.sqlite`.
    pub manifest: Vec<Problem>,
    /// Damage in `code/`.
    pub code: Vec<Problem>,
    /// Damage in `docs/`.
    pub docs: Vec<Problem>,
}

impl CheckReport {
    /// Whether nothing is damaged.
    pub fn is_whole(&self) -> bool {
        self.manifest.is_empty() && self.code.is_empty() && self.docs.is_empty()
    }

    /// Every problem, manifest first.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.manifest.iter().chain(&self.code).chain(&self.docs)
    }
}

/// Checks every byte of an index root: `manifest.sqlite` (SQLite's integrity check) and
/// each index (`CURRENT`, the manifest's checksum, every file's size and checksum, a
/// full open). [`IngestError::NoIndex`] when `root` holds no index.
pub fn check_root(root: &Path) -> Result<CheckReport> {
    let manifest_path = root.join("manifest.sqlite");
    if !manifest_path.is_file() {
        return Err(IngestError::NoIndex {
            path: root.to_path_buf(),
        });
    }
    let mut report = CheckReport::default();
    let mut contents = [0usize; 2];
    match Manifest::open_existing(root).and_then(|m| {
        let problems = m.integrity_check()?;
        for (i, name) in [CODE, DOCS].into_iter().enumerate() {
            contents[i] = m.content_keys(name)?.len();
        }
        Ok(problems)
    }) {
        Ok(problems) => {
            report.manifest = problems
                .into_iter()
                .map(|reason| Problem {
                    path: manifest_path.clone(),
                    reason,
                })
                .collect()
        }
        Err(e) => report.manifest.push(Problem {
            path: manifest_path.clone(),
            reason: e.to_string(),
        }),
    }
    for (i, name) in [CODE, DOCS].into_iter().enumerate() {
        let dir = root.join(name);
        let problems = match plait_colbert::verify(&dir) {
            Ok(damage) => damage
                .into_iter()
                .map(|d| Problem {
                    path: d.path,
                    reason: d.reason,
                })
                .collect(),
            // Never built: fine unless the manifest says it holds contents.
            Err(plait_colbert::ColbertError::NoIndex { .. }) if contents[i] == 0 => Vec::new(),
            Err(plait_colbert::ColbertError::NoIndex { .. }) => vec![Problem {
                path: dir.join("CURRENT"),
                reason: format!(
                    "missing, but the manifest lists {} contents of this index",
                    contents[i]
                ),
            }],
            Err(e) => vec![Problem {
                path: dir.clone(),
                reason: e.to_string(),
            }],
        };
        if name == CODE {
            report.code = problems;
        } else {
            report.docs = problems;
        }
    }
    Ok(report)
}

/// Moves the damaged parts of an index root aside (`<name>.damaged-<unix time>`), so the
/// next ingest rebuilds them from the source folders: a damaged index alone (its files
/// are chunked and encoded again, the other index is kept), or, when `manifest.sqlite`
/// is damaged, the manifest and both indexes (their keys are known only to it). Returns
/// the paths moved aside.
pub fn repair_root(root: &Path) -> Result<Vec<PathBuf>> {
    let report = match check_root(root) {
        Ok(r) => r,
        Err(IngestError::NoIndex { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut moved = Vec::new();
    let mut move_aside = |name: &str| -> Result<()> {
        let from = root.join(name);
        if from.exists() {
            let to = root.join(format!("{name}.damaged-{stamp}"));
            std::fs::rename(&from, &to).map_err(|source| IngestError::Io {
                path: from.clone(),
                source,
            })?;
            moved.push(to);
        }
        Ok(())
    };
    let everything = !report.manifest.is_empty();
    if everything {
        for f in [
            "manifest.sqlite",
            "manifest.sqlite-wal",
            "manifest.sqlite-shm",
        ] {
            move_aside(f)?;
        }
    }
    if everything || !report.code.is_empty() {
        move_aside(CODE)?;
    }
    if everything || !report.docs.is_empty() {
        move_aside(DOCS)?;
    }
    Ok(moved)
}
