//! Loading the models and native libraries the commands need, from the assets directory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use plait_colbert::{OnnxEncoder, OnnxEncoderBuilder, OnnxRuntime};

use crate::assets::{Home, Lock};

/// The default index root: `indexes/` in the current directory.
pub fn index_root(flag: Option<PathBuf>) -> PathBuf {
    flag.unwrap_or_else(|| PathBuf::from("indexes"))
}

/// The embedded default encoder (used for both indexes until model roles land).
pub fn default_encoder(home: &Home) -> Result<OnnxEncoder> {
    let lock = Lock::embedded();
    let runtime = OnnxRuntime::load(&home.require(&lock, "onnxruntime")?)?;
    let dir = home.require_dir_of(&lock, "encoder-model")?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    OnnxEncoderBuilder::new(&dir)
        .threads(threads)
        .build(&runtime)
        .with_context(|| format!("loading the encoder in {}", dir.display()))
}

/// PDFium bound from the assets directory.
pub fn pdfium(home: &Home) -> Result<plait_ocr::Pdfium> {
    let lock = Lock::embedded();
    Ok(plait_ocr::Pdfium::load(&home.require(&lock, "pdfium")?)?)
}

/// The process's stop flag, set by the first Ctrl-C (SIGINT) or SIGTERM so long work can
/// finish its current commit and stop cleanly. A second signal exits at once (status
/// 130), which is safe too: every commit is atomic.
pub fn stop_flag() -> &'static AtomicBool {
    static STOP: AtomicBool = AtomicBool::new(false);
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let installed = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!("plait: stopping after the current commit (Ctrl-C again to quit now)");
            }
        });
        if let Err(e) = installed {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("plait: warning: Ctrl-C will not stop cleanly: {e}");
            }
        }
    });
    &STOP
}
