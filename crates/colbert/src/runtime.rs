//! Loading ONNX Runtime once per process from an explicit shared-library path.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::{ColbertError, Result};

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
            return Err(ColbertError::RuntimeLoad {
                path: library.to_path_buf(),
                reason: "no such file".into(),
            });
        }
        let load_err = |reason: String| ColbertError::RuntimeLoad {
            path: library.to_path_buf(),
            reason,
        };
        let env = ort::init_from(library)
            .map_err(|e| load_err(e.to_string()))?
            .with_name("plait")
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
            Err(ColbertError::RuntimeMismatch {
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
