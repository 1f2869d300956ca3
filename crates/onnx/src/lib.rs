//! The process-wide ONNX Runtime handle ([`OnnxRuntime`], loaded once from an explicit
//! path) and the one way plait builds a session ([`SessionOptions::build`]), shared by
//! the encoder (`colbert`) and OCR (`ocr`), with an optional cache of optimised graphs
//! (`cache`). The library never reads environment variables.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

pub use ort;

mod cache;

/// What can go wrong loading the runtime or a model.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// The ONNX Runtime shared library could not be loaded.
    #[error("cannot load ONNX Runtime from {path}: {reason}")]
    RuntimeLoad { path: PathBuf, reason: String },

    /// ONNX Runtime was already loaded in this process from another file.
    #[error("ONNX Runtime is already loaded from {loaded}; cannot load it again from {requested}")]
    RuntimeMismatch { loaded: PathBuf, requested: PathBuf },

    /// A model file is missing.
    #[error("model file {path} is missing: run scripts/setup")]
    MissingModel { path: PathBuf },

    /// ONNX Runtime refused the model or a session setting.
    #[error("cannot load the ONNX model {path}: {source}")]
    Session { path: PathBuf, source: ort::Error },
}

/// Result alias of this crate.
pub type Result<T, E = OnnxError> = std::result::Result<T, E>;

/// How much ONNX Runtime rewrites a graph when it loads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Optimization {
    /// Every rewrite (ORT_ENABLE_ALL): the fastest runs, the slowest load. For servers,
    /// ingest and OCR, which run a model many times.
    #[default]
    All,
    /// Constant folding and redundant-node removal only (ORT_ENABLE_BASIC): a quicker
    /// load for a process that runs the model a few times (one CLI search).
    Basic,
}

/// How a session runs: threads, memory planning and graph optimisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// Threads inside one operator (intra-op).
    pub threads: usize,
    /// Plan memory per input shape (off when every input has its own shape).
    pub memory_pattern: bool,
    /// Graph rewrites at load.
    pub optimization: Optimization,
    /// Directory of optimised graphs: when set, the graph after `optimization` is saved
    /// there once per model, ONNX Runtime build and CPU, and later loads read it with
    /// graph optimisation off (same graph, same outputs; no rewrites or weight repacking
    /// at load, and the weights are mapped rather than copied). Written atomically, safe
    /// to share between processes. `None` optimises at every load.
    pub cache: Option<PathBuf>,
    /// Let idle intra-op threads spin waiting for work: lower latency between
    /// operators, CPU burnt while idle. Off for a process that runs a model once.
    pub spinning: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            threads: 1,
            memory_pattern: true,
            optimization: Optimization::All,
            cache: None,
            spinning: true,
        }
    }
}

/// What one session commit does with the graph.
enum Load<'a> {
    /// Optimise at load, as configured.
    Optimise,
    /// Optimise and save the result into a cache entry.
    Save(&'a cache::Pending),
    /// The file is an already optimised graph: no rewrites.
    Saved,
}

impl SessionOptions {
    /// A session for the model at `path`: the graph optimisations of `optimization`
    /// (`All` is ORT_ENABLE_ALL, as Python's default; ort's `Level3` is only
    /// ORT_ENABLE_LAYOUT), `threads` intra-op threads, one inter-op thread; through the
    /// cache of optimised graphs when `cache` is set (a cache that cannot be read or
    /// written is skipped).
    pub fn build(&self, runtime: &OnnxRuntime, path: &Path) -> Result<ort::session::Session> {
        if !path.is_file() {
            return Err(OnnxError::MissingModel {
                path: path.to_path_buf(),
            });
        }
        let entry = self
            .cache
            .as_deref()
            .and_then(|dir| cache::Entry::locate(dir, path, self.optimization));
        let Some(entry) = entry else {
            return self.commit(runtime, path, Load::Optimise);
        };
        if let Some(graph) = entry.graph() {
            match self.commit(runtime, &graph, Load::Saved) {
                Ok(session) => return Ok(session),
                Err(_) => entry.discard(),
            }
        }
        let Some(pending) = entry.begin() else {
            return self.commit(runtime, path, Load::Optimise);
        };
        match self.commit(runtime, path, Load::Save(&pending)) {
            Ok(session) => {
                pending.commit();
                Ok(session)
            }
            Err(_) => {
                pending.abandon();
                self.commit(runtime, path, Load::Optimise)
            }
        }
    }

    fn commit(
        &self,
        runtime: &OnnxRuntime,
        path: &Path,
        load: Load<'_>,
    ) -> Result<ort::session::Session> {
        use ort::session::builder::GraphOptimizationLevel;
        let err = |source: ort::Error| OnnxError::Session {
            path: path.to_path_buf(),
            source,
        };
        let level = match (&load, self.optimization) {
            (Load::Saved, _) => GraphOptimizationLevel::Disable,
            (_, Optimization::All) => GraphOptimizationLevel::All,
            (_, Optimization::Basic) => GraphOptimizationLevel::Level1,
        };
        let mut builder = ort::session::Session::builder(runtime.environment())
            .map_err(err)?
            .with_optimization_level(level)
            .map_err(|e| err(e.into()))?
            .with_intra_threads(self.threads.max(1))
            .map_err(|e| err(e.into()))?
            .with_inter_threads(1)
            .map_err(|e| err(e.into()))?
            .with_memory_pattern(self.memory_pattern)
            .map_err(|e| err(e.into()))?;
        if !self.spinning {
            builder = builder
                .with_intra_op_spinning(false)
                .map_err(|e| err(e.into()))?;
        }
        if let Load::Save(pending) = &load {
            builder = builder
                .with_optimized_model_path(pending.graph_path())
                .map_err(|e| err(e.into()))?;
            for (key, value) in pending.config() {
                builder = builder
                    .with_config_entry(key, value)
                    .map_err(|e| err(e.into()))?;
            }
        }
        builder.commit_from_file(path).map_err(err)
    }
}

/// A handle on the process-wide ONNX Runtime environment.
///
/// ONNX Runtime allows one environment per process. [`OnnxRuntime::load`] creates it on
/// the first call and hands out clones afterwards, so every crate that runs ONNX models
/// (the encoder here, OCR elsewhere) shares one initialisation.
#[derive(Clone)]
pub struct OnnxRuntime {
    env: ort::environment::Environment,
    library: PathBuf,
}

impl std::fmt::Debug for OnnxRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxRuntime")
            .field("library", &self.library)
            .finish()
    }
}

static RUNTIME: OnceLock<OnnxRuntime> = OnceLock::new();
static INIT: Mutex<()> = Mutex::new(());

impl OnnxRuntime {
    /// Loads `libonnxruntime.so` from `library` (once per process) and returns the shared
    /// environment. Loading again from the same file returns the existing handle; asking
    /// for a different file once one is loaded is an error.
    pub fn load(library: &Path) -> Result<Self> {
        let _guard = INIT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rt) = RUNTIME.get() {
            return rt.same_library(library);
        }
        if !library.is_file() {
            return Err(OnnxError::RuntimeLoad {
                path: library.to_path_buf(),
                reason: "no such file".into(),
            });
        }
        let load_err = |reason: String| OnnxError::RuntimeLoad {
            path: library.to_path_buf(),
            reason,
        };
        let env = ort::init_from(library)
            .map_err(|e| load_err(e.to_string()))?
            .with_name("plait")
            // A local tool reports nothing: with telemetry on, ONNX Runtime 1.31 queues
            // usage events in an SQLite file under ~/.cache/Microsoft and syncs it to
            // disk as each process exits.
            .with_telemetry(false)
            .build()
            .map_err(|e| load_err(e.to_string()))?;
        let rt = OnnxRuntime {
            env,
            library: library.to_path_buf(),
        };
        Ok(RUNTIME.get_or_init(|| rt).clone())
    }

    fn same_library(&self, requested: &Path) -> Result<Self> {
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if canon(&self.library) == canon(requested) {
            Ok(self.clone())
        } else {
            Err(OnnxError::RuntimeMismatch {
                loaded: self.library.clone(),
                requested: requested.to_path_buf(),
            })
        }
    }

    /// The shared-library file this runtime was loaded from.
    pub fn library(&self) -> &Path {
        &self.library
    }

    /// The ONNX Runtime environment, for building sessions.
    pub fn environment(&self) -> &ort::environment::Environment {
        &self.env
    }
}
