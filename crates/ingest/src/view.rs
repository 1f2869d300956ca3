//! The page view: a page of an indexed PDF as a PNG (rendered by `ocr`, cached on disk
//! and invalidated when the file changes) and the boxes of the lines on it that match a
//! query (from the text layer, or from OCR on a scanned page), in page-relative
//! coordinates so a viewer can draw them over the image at any size.
//!
//! Every path comes from a client: [`PageViewer`] only opens files the manifest lists
//! (checked by [`crate::SearchService::indexed_file`]), so no other file on the machine
//! can be reached through it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use plait_ocr::{OcrEngine, Pdfium, ViewConfig};
use serde::Serialize;

use crate::{IngestError, Result};

/// Bumped when the cached images or boxes change form, so old entries are not read.
const CACHE_VERSION: u32 = 1;

/// How pages are rendered and cached.
#[derive(Debug, Clone, PartialEq)]
pub struct PageViewConfig {
    /// Folder of the cache (created on first use).
    pub cache_dir: PathBuf,
    /// Resolution when the request names none.
    pub default_dpi: f32,
    /// Lowest and highest resolution a request may ask for.
    pub dpi_range: (f32, f32),
    /// Largest image rendered, in pixels.
    pub max_pixels: usize,
    /// Resolution scanned pages are rendered at for OCR of their line boxes.
    pub ocr_dpi: f32,
    /// Files kept in the cache; the oldest are removed beyond it.
    pub max_cache_files: usize,
    /// Lines marked on a page at most.
    pub max_boxes: usize,
}

impl PageViewConfig {
    /// The defaults, caching under `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            default_dpi: 96.0,
            dpi_range: (36.0, 200.0),
            max_pixels: 8_000_000,
            ocr_dpi: 200.0,
            max_cache_files: 2000,
            max_boxes: 8,
        }
    }
}

/// A rendered page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageImage {
    /// The PNG file's bytes.
    pub png: Vec<u8>,
    /// Whether it came from the cache.
    pub cached: bool,
}

/// One marked line, with its box as fractions of the page's width and height (from the
/// top-left corner).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineBox {
    pub text: String,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

/// The lines of a page that match a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageBoxes {
    pub path: String,
    pub page: usize,
    /// Pages in the document.
    pub pages: usize,
    /// Where the lines came from: `text-layer`, `ocr`, or `none` (a scanned page and no
    /// OCR engine, or a blank page).
    pub source: &'static str,
    /// Lines on the page in all.
    pub lines: usize,
    /// The matching lines, in page order.
    pub boxes: Vec<LineBox>,
}

/// Renders and marks pages of indexed PDFs.
pub struct PageViewer {
    pdfium: Pdfium,
    ocr: Option<Arc<OcrEngine>>,
    config: PageViewConfig,
}

impl std::fmt::Debug for PageViewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageViewer")
            .field("config", &self.config)
            .field("ocr", &self.ocr.is_some())
            .finish_non_exhaustive()
    }
}

/// A page's lines with boxes in page fractions, as cached.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct CachedLines {
    pages: usize,
    source: String,
    lines: Vec<(String, [f32; 4])>,
}

impl PageViewer {
    /// A viewer rendering with `pdfium`; with an OCR engine, scanned pages get line boxes
    /// too.
    pub fn new(pdfium: Pdfium, ocr: Option<Arc<OcrEngine>>, config: PageViewConfig) -> Self {
        Self {
            pdfium,
            ocr,
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PageViewConfig {
        &self.config
    }

    /// Page `page` of the PDF `file` (a path [`crate::SearchService::indexed_file`]
    /// returned) as PNG at `dpi` (the default when `None`), from the cache when the file
    /// has not changed since it was rendered.
    pub fn image(&self, file: &Path, page: usize, dpi: Option<f32>) -> Result<PageImage> {
        let dpi = self.dpi(dpi)?;
        let stamp = stamp(file)?;
        let cache = self.cache_path(file, &stamp, &format!("{page}\0{dpi}"), "png");
        if let Ok(png) = std::fs::read(&cache) {
            return Ok(PageImage { png, cached: true });
        }
        let rendered = self
            .pdfium
            .render_png(
                file,
                page,
                &ViewConfig {
                    dpi,
                    max_pixels: self.config.max_pixels,
                },
            )
            .map_err(|source| extract(file, source))?;
        self.store(&cache, &rendered.png);
        Ok(PageImage {
            png: rendered.png,
            cached: false,
        })
    }

    /// The lines of page `page` of the PDF `file` that share the most words with
    /// `query` (see [`crate::search::matching_lines`]), with their boxes.
    pub fn boxes(&self, file: &Path, page: usize, query: &str) -> Result<PageBoxes> {
        let stamp = stamp(file)?;
        let cache = self.cache_path(file, &stamp, &format!("{page}\0lines"), "json");
        let lines = match std::fs::read(&cache)
            .ok()
            .and_then(|b| serde_json::from_slice::<CachedLines>(&b).ok())
        {
            Some(lines) => lines,
            None => {
                let lines = self.read_lines(file, page)?;
                if let Ok(bytes) = serde_json::to_vec(&lines) {
                    self.store(&cache, &bytes);
                }
                lines
            }
        };
        let texts: Vec<&str> = lines.lines.iter().map(|l| l.0.as_str()).collect();
        let boxes = crate::search::matching_lines(&texts, query, self.config.max_boxes)
            .into_iter()
            .map(|i| {
                let (text, b) = &lines.lines[i];
                LineBox {
                    text: text.clone(),
                    x0: b[0],
                    y0: b[1],
                    x1: b[2],
                    y1: b[3],
                }
            })
            .collect();
        Ok(PageBoxes {
            path: file.to_string_lossy().into_owned(),
            page,
            pages: lines.pages,
            source: match lines.source.as_str() {
                "text-layer" => "text-layer",
                "ocr" => "ocr",
                _ => "none",
            },
            lines: lines.lines.len(),
            boxes,
        })
    }

    /// Every line of the page with its box in page fractions: the text layer's rows, or
    /// OCR lines where the page is scanned.
    fn read_lines(&self, file: &Path, page: usize) -> Result<CachedLines> {
        let (layer, pages) = self
            .pdfium
            .page_text(file, page)
            .map_err(|source| extract(file, source))?;
        let (w, h) = (layer.width.max(1e-3), layer.height.max(1e-3));
        if !layer.needs_ocr() {
            let lines = plait_ocr::rows(&layer.lines)
                .into_iter()
                .filter(|l| !l.text.trim().is_empty())
                .map(|l| {
                    let b = l.bbox;
                    (l.text, [b[0] / w, b[1] / h, b[2] / w, b[3] / h])
                })
                .collect();
            return Ok(CachedLines {
                pages,
                source: "text-layer".into(),
                lines,
            });
        }
        let Some(engine) = &self.ocr else {
            return Ok(CachedLines {
                pages,
                source: "none".into(),
                lines: Vec::new(),
            });
        };
        let raster = self
            .pdfium
            .render(file, page, self.config.ocr_dpi, None)
            .map_err(|source| extract(file, source))?;
        let (rw, rh) = (raster.width.max(1) as f32, raster.height.max(1) as f32);
        let lines = engine
            .recognize(&raster)
            .map_err(|source| extract(file, source))?
            .into_iter()
            .map(|l| {
                let b = l.bbox;
                (l.text, [b[0] / rw, b[1] / rh, b[2] / rw, b[3] / rh])
            })
            .collect();
        Ok(CachedLines {
            pages,
            source: "ocr".into(),
            lines,
        })
    }

    fn dpi(&self, dpi: Option<f32>) -> Result<f32> {
        let (lo, hi) = self.config.dpi_range;
        match dpi {
            None => Ok(self.config.default_dpi),
            Some(d) if (lo..=hi).contains(&d) => Ok(d),
            Some(d) => Err(IngestError::BadQuery {
                reason: format!("a page view is rendered at {lo} to {hi} DPI, not {d}"),
            }),
        }
    }

    /// `<file>-<content>-<entry>.<ext>`, each part a hash: of the path, of the file's
    /// [`stamp`] (with the cache version) and of what the entry holds (page, DPI).
    fn cache_path(&self, file: &Path, stamp: &str, entry: &str, ext: &str) -> PathBuf {
        let part = |s: &str| blake3::hash(s.as_bytes()).to_hex()[..16].to_string();
        let name = format!(
            "{}-{}-{}.{ext}",
            part(&file.to_string_lossy()),
            part(&format!("{CACHE_VERSION}\0{stamp}")),
            part(entry)
        );
        self.config.cache_dir.join(name)
    }

    /// Writes a cache entry (a new file renamed into place), removes the entries of
    /// the same file's older contents (they can never be read again) and trims the
    /// cache to its size. A failure only costs the next request a render.
    fn store(&self, path: &Path, bytes: &[u8]) {
        let dir = &self.config.cache_dir;
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, path).is_err() {
            let _ = std::fs::remove_file(&tmp);
            return;
        }
        trim(dir, path, self.config.max_cache_files);
    }
}

/// Removes the entries of `dir` that share `current`'s file part but not its content
/// part (a changed file's old renders), then the oldest files beyond `keep`.
fn trim(dir: &Path, current: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let name = current
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let parts = |n: &str| -> Option<(String, String)> {
        let mut it = n.splitn(3, '-');
        Some((it.next()?.to_string(), it.next()?.to_string()))
    };
    let current = name.as_deref().and_then(parts);
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for e in entries.filter_map(|e| e.ok()) {
        let stale = match (&current, parts(&e.file_name().to_string_lossy())) {
            (Some((file, content)), Some((f, c))) => *file == f && *content != c,
            _ => false,
        };
        if stale {
            let _ = std::fs::remove_file(e.path());
        } else if let Some(t) = e.metadata().ok().and_then(|m| m.modified().ok()) {
            files.push((t, e.path()));
        }
    }
    if files.len() <= keep {
        return;
    }
    files.sort();
    for (_, p) in &files[..files.len() - keep] {
        let _ = std::fs::remove_file(p);
    }
}

/// What identifies a file's content for the cache: path, size and modification time
/// (a changed file gets new entries). The file must be a regular file, not a link.
fn stamp(file: &Path) -> Result<String> {
    let meta = std::fs::symlink_metadata(file).map_err(|source| IngestError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(IngestError::NotRegular {
            path: file.to_path_buf(),
            what: if meta.is_symlink() {
                "a symbolic link"
            } else {
                "a special file or folder"
            },
        });
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok(format!("{}\0{}\0{mtime}", file.display(), meta.len()))
}

fn extract(file: &Path, source: plait_ocr::OcrError) -> IngestError {
    IngestError::Extract {
        path: file.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storing_a_changed_file_s_page_removes_its_old_renders_only() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let names = [
            "aaaa-old1-p1.png",
            "aaaa-old1-p2.json",
            "aaaa-new2-p1.png",
            "bbbb-old1-p1.png",
        ];
        for n in names {
            std::fs::write(dir.path().join(n), b"x").unwrap_or_else(|e| panic!("{e}"));
        }
        trim(dir.path(), &dir.path().join("aaaa-new2-p3.png"), 10);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["aaaa-new2-p1.png", "bbbb-old1-p1.png"]);
        // Beyond the size, the oldest go.
        trim(dir.path(), &dir.path().join("cccc-x-y.png"), 1);
        let count = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .count();
        assert_eq!(count, 1);
    }
}
