//! Loading the models and native libraries the commands need, from the assets directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use plait_colbert::{Encoder, OnnxEncoder, OnnxEncoderBuilder, OnnxRuntime};

use crate::assets::{Home, Lock};

/// The default index root: `indexes/` in the current directory.
pub fn index_root(flag: Option<PathBuf>) -> PathBuf {
    flag.unwrap_or_else(|| PathBuf::from("indexes"))
}

/// Encoder model directories chosen on the command line (the embedded default when
/// absent), shared by the commands that encode.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ModelOpts {
    /// Encoder model directory for the code index (ColBERT ONNX export layout:
    /// model.onnx or model_int8.onnx, tokenizer.json, onnx_config.json) [default: the
    /// embedded MiniLM INT8]
    #[arg(long, value_name = "DIR")]
    pub code_model: Option<PathBuf>,
    /// Encoder model directory for the docs index [default: the embedded MiniLM INT8]
    #[arg(long, value_name = "DIR")]
    pub docs_model: Option<PathBuf>,
}

/// The encoders of the two indexes; one instance when both use the same model.
pub struct Encoders {
    pub code: Arc<dyn Encoder>,
    pub docs: Arc<dyn Encoder>,
    /// Where loading went: ONNX Runtime, then per model the session and the tokenizer
    /// (read on another thread while the session is created).
    pub load_times: Vec<(&'static str, std::time::Duration)>,
}

/// How a command loads its encoders.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Graph optimisation level.
    pub optimization: plait_colbert::Optimization,
    /// Keep the optimised graphs in the assets directory (`OPTIMISED_GRAPHS`) and load
    /// them from there: the same graph, without the rewrites at every start.
    pub cache: bool,
    /// Idle intra-op threads spin waiting for work. Off for a CLI search (it runs the
    /// model once) and for the server (its threads share the cores with concurrent
    /// requests: `scripts/bench-serve --baseline` compares).
    pub spinning: bool,
}

impl Default for LoadOptions {
    /// Every optimisation, cached; for commands that encode many texts.
    fn default() -> Self {
        Self {
            optimization: plait_colbert::Optimization::All,
            cache: true,
            spinning: true,
        }
    }
}

/// The folder of the assets directory holding the encoders' optimised graphs (made by
/// the first load of each model, safe to delete).
pub const OPTIMISED_GRAPHS: &str = "cache/optimised-graphs";

impl Encoders {
    /// Loads the configured encoders (each model once), every graph optimisation on:
    /// for commands that encode many texts.
    pub fn load(home: &Home, models: &ModelOpts) -> Result<Self> {
        Self::load_with(home, models, LoadOptions::default())
    }

    /// Loads the configured encoders with these options.
    pub fn load_with(home: &Home, models: &ModelOpts, options: LoadOptions) -> Result<Self> {
        let lock = Lock::embedded();
        let started = std::time::Instant::now();
        let runtime = OnnxRuntime::load(&home.require(&lock, "onnxruntime")?)?;
        let mut load_times = vec![("ONNX Runtime load", started.elapsed())];
        let default_dir = || home.require_dir_of(&lock, "encoder-model");
        let code_dir = match &models.code_model {
            Some(d) => d.clone(),
            None => default_dir()?,
        };
        let docs_dir = match &models.docs_model {
            Some(d) => d.clone(),
            None => default_dir()?,
        };
        let mut build = |dir: &Path| -> Result<Arc<dyn Encoder>> {
            let encoder = build_encoder(&runtime, dir, home, options)?;
            let (tokenizer, session) = encoder.load_times();
            load_times.push(("encoder session", session));
            load_times.push(("tokenizer (alongside)", tokenizer));
            Ok(Arc::new(encoder))
        };
        let code = build(&code_dir)?;
        let same = std::fs::canonicalize(&code_dir).ok() == std::fs::canonicalize(&docs_dir).ok();
        let docs = if same {
            code.clone()
        } else {
            build(&docs_dir)?
        };
        Ok(Self {
            code,
            docs,
            load_times,
        })
    }
}

/// The search service of an index root, with the configured encoders.
pub fn search_service(
    home: &Home,
    models: &ModelOpts,
    root: &Path,
) -> Result<plait_ingest::SearchService> {
    let encoders = Encoders::load(home, models)?;
    Ok(encoders.search_service(root))
}

impl Encoders {
    /// The search service of `root` searching with these encoders.
    pub fn search_service(&self, root: &Path) -> plait_ingest::SearchService {
        plait_ingest::SearchService::new(root, self.code.clone(), self.docs.clone())
    }
}

/// Texts per encoder run. Activations grow with batch × length², and ONNX Runtime keeps
/// its peak arena: 4 keeps an ingest's resident memory low at about the same speed as
/// larger batches on a CPU.
const ENCODE_BATCH: usize = 4;

fn build_encoder(
    runtime: &OnnxRuntime,
    dir: &Path,
    home: &Home,
    options: LoadOptions,
) -> Result<OnnxEncoder> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let session = plait_colbert::SessionOptions {
        threads,
        optimization: options.optimization,
        cache: options.cache.then(|| home.root().join(OPTIMISED_GRAPHS)),
        spinning: options.spinning,
        ..Default::default()
    };
    OnnxEncoderBuilder::new(dir)
        .session_options(session)
        .batch_size(ENCODE_BATCH)
        .build(runtime)
        .with_context(|| format!("loading the encoder model in {}", dir.display()))
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

/// Render resolution for OCR of scanned pages.
pub const OCR_DPI: f32 = 300.0;

/// PDFium plus the OCR engine: what ingest reads PDFs with.
pub struct PdfReader {
    pdfium: plait_ocr::Pdfium,
    engine: Arc<plait_ocr::OcrEngine>,
}

impl PdfReader {
    /// Binds PDFium and loads the (fast) PP-OCRv4 models from the assets directory.
    pub fn load(home: &Home) -> Result<Self> {
        let lock = Lock::embedded();
        let pdfium = pdfium(home)?;
        let runtime = OnnxRuntime::load(&home.require(&lock, "onnxruntime")?)?;
        // The fast derivative of PP-OCRv4 (scripts/optimize_ocr.py): folded graphs and an
        // INT8 recogniser, measured against the published models in scripts/bench-ocr.
        let dir = home.require_dir_of(&lock, "ppocrv4-int8-det")?;
        home.require(&lock, "ppocrv4-int8-rec")?;
        home.require(&lock, "ppocrv4-int8-cls")?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let engine = plait_ocr::OcrEngineBuilder::new(&dir)
            .threads(threads)
            .parallel_pages(threads)
            .build(&runtime)
            .with_context(|| format!("loading the OCR models in {}", dir.display()))?;
        Ok(Self {
            pdfium,
            engine: Arc::new(engine),
        })
    }

    /// The bound PDFium.
    pub fn pdfium(&self) -> plait_ocr::Pdfium {
        self.pdfium
    }

    /// The OCR engine.
    pub fn engine(&self) -> &plait_ocr::OcrEngine {
        &self.engine
    }

    /// The OCR engine, shared (the web page's page view marks scanned pages with it).
    pub fn shared_engine(&self) -> Arc<plait_ocr::OcrEngine> {
        self.engine.clone()
    }

    /// The ingest-side view: text layer, OCR where it is missing.
    pub fn pdf_text(&self) -> plait_ingest::OcrPdf<'_> {
        plait_ingest::OcrPdf {
            pdfium: self.pdfium,
            engine: &self.engine,
            dpi: OCR_DPI,
        }
    }
}

/// Parses `--mode` (clap value parser).
pub fn parse_mode(s: &str) -> Result<plait_ingest::SearchMode, String> {
    s.parse()
}

/// The model-role registry: the built-in roles, replaced role by role by the user's file
/// (`--roles`, else `$PLAIT_ROLES`, else `~/.config/plait/roles.toml` when it exists).
pub fn roles(home: &Home, flag: Option<&Path>) -> Result<plait_summarize::Registry> {
    let user = match flag {
        Some(p) => Some(p.to_path_buf()),
        None => std::env::var_os("PLAIT_ROLES")
            .map(PathBuf::from)
            .or_else(|| {
                let config = std::env::var_os("XDG_CONFIG_HOME")
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config"))
                    })?;
                Some(config.join("plait").join("roles.toml")).filter(|p| p.is_file())
            }),
    };
    Ok(plait_summarize::Registry::load(
        home.root(),
        user.as_deref(),
    )?)
}

/// Page texts `(number, text)` and the document title.
pub type PdfPages = (Vec<(usize, String)>, Option<String>);

/// The text of every page of a PDF: the text layer where it is good, OCR where it is
/// missing. Returns `(page number, text)` and the document title when the PDF has one.
pub fn pdf_pages(reader: &PdfReader, file: &Path) -> Result<PdfPages> {
    let mut pages = Vec::new();
    let options = plait_ocr::ReadOptions {
        dpi: OCR_DPI,
        ..Default::default()
    };
    let summary =
        plait_ingest::read_pages(&reader.pdfium(), reader.engine(), file, &options, |page| {
            pages.extend(page.map(|p| (p.number(), p.text())))
        })
        .with_context(|| format!("reading {}", file.display()))?;
    Ok((pages, summary.title))
}

/// The progress bar of a long command on stderr: drawn on a terminal unless the output is
/// JSON, hidden otherwise (callers print plain progress lines instead).
pub fn progress_bar(json: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    let bar = if std::io::stderr().is_terminal() && !json {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// For processes that run for hours with many threads (servers, the watcher): one
/// malloc arena per core instead of glibc's eight per core. With the default, a server
/// under load while the watcher commits kept growing (anonymous memory 170 → 196 MiB over
/// its first 120 s at 8 clients, 189 → 212 over the next 120 s of another run, the
/// arenas fragmenting); with one per core it held at 138-150 MiB from the first
/// 10 s to 240 s, at the same throughput (`scripts/bench-serve`). Call before any thread
/// starts.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let arenas = i32::try_from(cores).unwrap_or(i32::MAX).max(1);
        #[allow(unsafe_code)]
        // SAFETY: mallopt only sets an allocator parameter; no thread allocates yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
