//! Binding PDFium once per process and reading the text layer of PDF pages.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use pdfium_render::prelude::{
    PdfDocument, PdfDocumentMetadataTagType, PdfPage, PdfPageObjectCommon, PdfPageObjectType,
    PdfPageObjectsCommon, PdfPageTextSegment, PdfiumError, PdfiumInternalError,
};

use crate::{OcrError, Result};

/// The text layer of one page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PageText {
    /// 1-based page number.
    pub number: usize,
    /// Page width in points.
    pub width: f32,
    /// Page height in points.
    pub height: f32,
    /// The page's text in PDFium's reading order, words split at a line-end hyphen
    /// joined and every line ending in a plain `\n`.
    pub text: String,
    /// The text as lines with boxes and font sizes.
    pub lines: Vec<crate::TextLine>,
    /// Share of the page's area under image objects (0 to 1; overlaps count twice, capped
    /// at 1): a scan is one image covering the page.
    pub image_coverage: f32,
    /// Page objects of any kind (text, images, paths, shadings, forms); 0 on a blank
    /// page, which has nothing to OCR.
    pub objects: usize,
}

impl PageText {
    /// Whether this page needs OCR: its text layer is missing or garbage
    /// ([`needs_ocr`](crate::needs_ocr)), or an image covers most of it and the text
    /// layer is too short to be the page's text (a scan with a stamp or a page number,
    /// see [`IMAGE_PAGE_COVERAGE`](crate::IMAGE_PAGE_COVERAGE)).
    pub fn needs_ocr(&self) -> bool {
        !self.is_blank() && crate::needs_ocr(&self.text)
            || (self.image_coverage >= crate::IMAGE_PAGE_COVERAGE
                && self.text.chars().filter(|c| c.is_alphanumeric()).count()
                    < crate::IMAGE_PAGE_MAX_ALNUM)
    }

    /// Whether the page draws nothing at all (no object of any kind): it is skipped
    /// before rendering or OCR, however many such pages a file has.
    pub fn is_blank(&self) -> bool {
        self.objects == 0
    }
}

/// Share of a page's area that its image objects cover.
fn image_coverage(page: &PdfPage<'_>) -> f32 {
    let (pw, ph) = (page.width().value, page.height().value);
    let area = (pw * ph).max(1e-6);
    let covered: f32 = page
        .objects()
        .iter()
        .filter(|o| o.object_type() == PdfPageObjectType::Image)
        .filter_map(|o| o.bounds().ok())
        .map(|q| {
            let r = q.to_rect();
            let w = r.right().value.min(pw) - r.left().value.max(0.0);
            let h = r.top().value.min(ph) - r.bottom().value.max(0.0);
            w.max(0.0) * h.max(0.0)
        })
        .sum();
    (covered / area).min(1.0)
}

/// The text layer of a whole document.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PdfText {
    /// The file that was read.
    pub path: PathBuf,
    /// The document's title from its metadata, where present.
    pub title: Option<String>,
    /// One entry per page, in order.
    pub pages: Vec<PageText>,
}

/// A handle on the process-wide PDFium library.
#[derive(Clone, Copy)]
pub struct Pdfium {
    bound: &'static Bound,
}

struct Bound {
    library: PathBuf,
    pdfium: pdfium_render::prelude::Pdfium,
}

impl std::fmt::Debug for Pdfium {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pdfium")
            .field("library", &self.bound.library)
            .finish()
    }
}

static BOUND: OnceLock<Bound> = OnceLock::new();
static INIT: Mutex<()> = Mutex::new(());

impl Pdfium {
    /// Binds `libpdfium.so` from `library` (once per process). Binding again to the
    /// same file returns a handle on the existing binding.
    pub fn load(library: &Path) -> Result<Self> {
        let _guard = INIT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bound) = BOUND.get() {
            let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            return if canon(&bound.library) == canon(library) {
                Ok(Self { bound })
            } else {
                Err(OcrError::LibraryMismatch {
                    loaded: bound.library.clone(),
                    requested: library.to_path_buf(),
                })
            };
        }
        if !library.is_file() {
            return Err(OcrError::LibraryLoad {
                path: library.to_path_buf(),
                reason: "no such file".into(),
            });
        }
        let bindings = pdfium_render::prelude::Pdfium::bind_to_library(library).map_err(|e| {
            OcrError::LibraryLoad {
                path: library.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
        let bound = BOUND.get_or_init(|| Bound {
            library: library.to_path_buf(),
            pdfium: pdfium_render::prelude::Pdfium::new(bindings),
        });
        Ok(Self { bound })
    }

    /// The shared-library file PDFium was bound from.
    pub fn library(&self) -> &Path {
        &self.bound.library
    }

    /// Opens a document. PDFium keeps the reason for a failed open in one process-wide
    /// "last error" slot, so opens are serialised: otherwise another thread's failed open
    /// could turn "password required" into "invalid format" between the two calls.
    pub(crate) fn open(&self, path: &Path, password: Option<&str>) -> Result<PdfDocument<'_>> {
        static OPEN: Mutex<()> = Mutex::new(());
        let _guard = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        self.bound
            .pdfium
            .load_pdf_from_file(path, password)
            .map_err(|e| open_error(path, e))
    }

    /// Pages in the PDF at `path`, without reading them.
    pub fn page_count(&self, path: &Path) -> Result<usize> {
        let doc = self.open(path, None)?;
        Ok(usize::try_from(doc.pages().len()).unwrap_or(0))
    }

    /// Reads the text layer of every page of the PDF at `path`.
    pub fn text(&self, path: &Path, password: Option<&str>) -> Result<PdfText> {
        let meta = std::fs::metadata(path).map_err(|source| OcrError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if meta.len() == 0 {
            return Err(OcrError::Empty {
                path: path.to_path_buf(),
            });
        }
        let doc = self.open(path, password)?;
        let mut pages = Vec::new();
        for (i, page) in doc.pages().iter().enumerate() {
            pages.push(read_page(path, i + 1, &page)?);
        }
        let title = doc
            .metadata()
            .get(PdfDocumentMetadataTagType::Title)
            .map(|t| t.value().trim().to_string())
            .filter(|t| !t.is_empty());
        Ok(PdfText {
            path: path.to_path_buf(),
            title,
            pages,
        })
    }
}

/// The text layer of one page (`number` is 1-based), as lines with boxes.
pub(crate) fn read_page(path: &Path, number: usize, page: &PdfPage<'_>) -> Result<PageText> {
    let page_err = |e: PdfiumError| OcrError::Page {
        path: path.to_path_buf(),
        page: number,
        reason: e.to_string(),
    };
    let layer = page.text().map_err(page_err)?;
    // PDFium marks a word hyphenated at a line end with U+0002: join the halves; and it
    // ends lines with `\r\n`: write plain line ends.
    let text = crate::lineend::plain_line_ends(&crate::hyphen::join_hyphenated(&layer.all()));
    let height = page.height().value;
    let mut lines: Vec<crate::TextLine> = Vec::new();
    for segment in layer.segments().iter() {
        let r = segment.bounds();
        let (x0, x1) = (r.left().value, r.right().value);
        let (y0, y1) = (height - r.top().value, height - r.bottom().value);
        // A line ending in a split word shows its hyphen.
        let t = segment.text().replace(crate::hyphen::LINE_END_HYPHEN, "-");
        let size = segment_font_size(&segment).unwrap_or(y1 - y0);
        match lines.last_mut() {
            // Segments on the same baseline continue the line.
            Some(l) if (l.bbox[3] - y1).abs() < 1.0 && x0 >= l.bbox[2] - 1.0 => {
                l.text.push_str(&t);
                l.bbox[2] = x1;
                l.bbox[1] = l.bbox[1].min(y0);
                l.font_size = l.font_size.max(size);
            }
            _ => lines.push(crate::TextLine {
                text: t,
                bbox: [x0, y0, x1, y1],
                font_size: size,
            }),
        }
    }
    Ok(PageText {
        number,
        width: page.width().value,
        height,
        text,
        lines,
        image_coverage: image_coverage(page),
        objects: page.objects().len(),
    })
}

/// The font size of a text segment as the PDF sets it (PDFium's `FPDFText_GetFontSize`
/// times the vertical scale of the character matrix): the median over its visible
/// characters, `None` when PDFium reports none. The height of the segment's box is no
/// measure of it: it follows ascenders, descenders and sub- and superscripts, so body
/// lines of one size differ by a third and a heading can look no larger than its text.
fn segment_font_size(segment: &PdfPageTextSegment<'_>) -> Option<f32> {
    let chars = segment.chars().ok()?;
    let mut sizes: Vec<f32> = chars
        .iter()
        .filter(|c| c.unicode_char().is_some_and(|c| !c.is_whitespace()))
        .map(|c| c.scaled_font_size().value)
        .filter(|s| s.is_finite() && *s > 0.0)
        .collect();
    if sizes.is_empty() {
        return None;
    }
    sizes.sort_by(f32::total_cmp);
    Some(sizes[sizes.len() / 2])
}

/// Largest page raster rendered for OCR, in pixels (a 600 DPI A3 page is ~70 M); pages
/// declaring absurd sizes are refused instead of exhausting memory.
pub const MAX_RENDER_PIXELS: usize = 80_000_000;

/// Lowest resolution a page is rendered at for OCR; below it text is unreadable anyway.
pub const MIN_RENDER_DPI: f32 = 50.0;

impl Pdfium {
    /// Renders page `number` (1-based) of a PDF at `dpi` for OCR (lower for pages too
    /// large for [`MAX_RENDER_PIXELS`] at that resolution).
    pub fn render(
        &self,
        path: &Path,
        number: usize,
        dpi: f32,
        password: Option<&str>,
    ) -> Result<crate::Raster> {
        let doc = self.open(path, password)?;
        let render_err = |reason: String| OcrError::Render {
            path: path.to_path_buf(),
            page: number,
            reason,
        };
        let index = number
            .checked_sub(1)
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(|| render_err("no such page".into()))?;
        let page = doc
            .pages()
            .get(index)
            .map_err(|e| render_err(e.to_string()))?;
        // Large pages (posters, drawings) are rendered at a lower resolution so the raster
        // stays under the pixel limit; only pages too large even at MIN_RENDER_DPI fail.
        let (pw, ph) = (page.width().value / 72.0, page.height().value / 72.0);
        let fit = (MAX_RENDER_PIXELS as f32 / (pw * ph).max(1e-6)).sqrt();
        let dpi = dpi.min(fit);
        let w = (pw * dpi).round();
        let h = (ph * dpi).round();
        if !(w >= 1.0 && h >= 1.0) || dpi < MIN_RENDER_DPI {
            return Err(render_err(format!(
                "the page is {pw:.0}x{ph:.0} inches: even at {MIN_RENDER_DPI} DPI it is beyond the {MAX_RENDER_PIXELS} pixel limit"
            )));
        }
        let config = pdfium_render::prelude::PdfRenderConfig::new()
            .set_target_width(w as i32)
            .set_maximum_height(h as i32);
        let bitmap = page
            .render_with_config(&config)
            .map_err(|e| render_err(e.to_string()))?;
        let (bw, bh) = (bitmap.width() as usize, bitmap.height() as usize);
        crate::Raster::from_rgba(bw, bh, &bitmap.as_rgba_bytes())
            .ok_or_else(|| render_err("unexpected bitmap size".into()))
    }
}

fn open_error(path: &Path, e: PdfiumError) -> OcrError {
    match e {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => {
            OcrError::PasswordRequired {
                path: path.to_path_buf(),
            }
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            OcrError::InvalidPdf {
                path: path.to_path_buf(),
                reason: "PDFium cannot parse the file".into(),
            }
        }
        other => OcrError::InvalidPdf {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    }
}
