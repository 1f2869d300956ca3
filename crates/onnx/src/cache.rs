//! The cache of optimised graphs: a model's graph after ONNX Runtime's rewrites, saved
//! once (the graph as ONNX; its weights, and the same weights already repacked for the
//! matrix kernels, in a side file that later loads map instead of copying) and loaded
//! afterwards with graph optimisation off, which skips the rewrites, the repacking and
//! the copies of the folded weights at every load.
//!
//! An entry is a directory named by the model file (canonical path, size, modification
//! time), the optimisation level, the ONNX Runtime build and the CPU features the
//! rewrites may depend on. It is written under a temporary name and renamed into place,
//! so concurrent processes see a whole entry or none; a process that loses the race
//! drops its copy, and a new entry replaces the older ones of the same model and level.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Optimization;

/// The graph file of an entry.
const GRAPH: &str = "model.onnx";
/// The weights file of an entry, named inside the graph file (relative to it).
const WEIGHTS: &str = "model.data";
/// Tensors at least this large go to the weights file (smaller ones stay inline).
const WEIGHTS_MIN_BYTES: &str = "1024";
/// Temporary entries older than this are left over by a killed process.
const STALE_SECS: u64 = 3600;

/// Where the optimised graph of one model lives in a cache directory.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    dir: PathBuf,
    /// Prefix shared by the entries of the same model and level (older keys).
    family: String,
    name: String,
}

impl Entry {
    /// The entry of `model` at `level` in `cache`; `None` when the model's metadata
    /// cannot be read (the caller then loads without the cache).
    pub(crate) fn locate(cache: &Path, model: &Path, level: Optimization) -> Option<Self> {
        let canonical = std::fs::canonicalize(model).ok()?;
        let meta = std::fs::metadata(&canonical).ok()?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let path_hash = blake3::hash(canonical.as_os_str().as_encoded_bytes());
        let mut key = blake3::Hasher::new();
        key.update(b"plait optimised graph v2\0");
        key.update(ort::info().as_bytes());
        key.update(&meta.len().to_le_bytes());
        key.update(&mtime.to_le_bytes());
        key.update(cpu_features().as_bytes());
        let stem = canonical
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let family = format!(
            "{stem}-{}-{}-",
            &path_hash.to_hex()[..12],
            level_name(level)
        );
        let name = format!("{family}{}", &key.finalize().to_hex()[..16]);
        Some(Self {
            dir: cache.to_path_buf(),
            family,
            name,
        })
    }

    /// The saved graph, when the entry is complete.
    pub(crate) fn graph(&self) -> Option<PathBuf> {
        let graph = self.dir.join(&self.name).join(GRAPH);
        graph.is_file().then_some(graph)
    }

    /// Starts writing the entry: a fresh temporary directory and the session settings
    /// that make ONNX Runtime save the optimised graph there.
    pub(crate) fn begin(&self) -> Option<Pending> {
        std::fs::create_dir_all(&self.dir).ok()?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tmp = self.dir.join(format!(
            ".tmp-{}{}-{nanos}",
            self.family,
            std::process::id()
        ));
        std::fs::create_dir(&tmp).ok()?;
        Some(Pending {
            entry: self.clone(),
            tmp,
        })
    }

    /// Removes a broken entry (one that ONNX Runtime refused to load).
    pub(crate) fn discard(&self) {
        let _ = std::fs::remove_dir_all(self.dir.join(&self.name));
    }
}

/// An entry being written.
#[derive(Debug)]
pub(crate) struct Pending {
    entry: Entry,
    tmp: PathBuf,
}

impl Pending {
    /// The session settings (key, value) that save the optimised graph, its weights and
    /// their repacked form.
    pub(crate) fn config(&self) -> [(&'static str, &'static str); 3] {
        [
            ("session.save_external_prepacked_constant_initializers", "1"),
            (
                "session.optimized_model_external_initializers_file_name",
                WEIGHTS,
            ),
            (
                "session.optimized_model_external_initializers_min_size_in_bytes",
                WEIGHTS_MIN_BYTES,
            ),
        ]
    }

    /// Where ONNX Runtime writes the optimised graph.
    pub(crate) fn graph_path(&self) -> PathBuf {
        self.tmp.join(GRAPH)
    }

    /// Publishes the entry (the first writer wins) and removes the older entries of the
    /// same model and level, and temporary ones left by killed processes.
    pub(crate) fn commit(self) {
        let dir = &self.entry.dir;
        let target = dir.join(&self.entry.name);
        if !self.tmp.join(GRAPH).is_file() || std::fs::rename(&self.tmp, &target).is_err() {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
        let Ok(list) = std::fs::read_dir(dir) else {
            return;
        };
        let tmp_family = format!(".tmp-{}", self.entry.family);
        for item in list.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            let older = name.starts_with(&self.entry.family) && name != self.entry.name;
            let stale = name.starts_with(&tmp_family) && is_stale(&item.path());
            if older || stale {
                let _ = std::fs::remove_dir_all(item.path());
            }
        }
    }

    /// Drops the temporary directory (the session could not be built).
    pub(crate) fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

fn is_stale(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() > STALE_SECS)
}

fn level_name(level: Optimization) -> &'static str {
    match level {
        Optimization::All => "all",
        Optimization::Basic => "basic",
    }
}

/// The CPU features that ONNX Runtime's hardware-specific rewrites may depend on.
fn cpu_features() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        let features = [
            ("avx", std::arch::is_x86_feature_detected!("avx")),
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("fma", std::arch::is_x86_feature_detected!("fma")),
            ("avx512f", std::arch::is_x86_feature_detected!("avx512f")),
            ("avx512bw", std::arch::is_x86_feature_detected!("avx512bw")),
            ("avx512vl", std::arch::is_x86_feature_detected!("avx512vl")),
        ];
        features
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(",")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH.to_string()
    }
}
