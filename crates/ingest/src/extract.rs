//! The extraction stage of ingest: a file's content as the chunkers take it ([`extract`]:
//! decoded text, a PDF's pages, an image's OCR text), through the [`PdfText`] seam
//! (PDFium's text layer, or [`OcrPdf`] with OCR where the text layer is missing), page by
//! page with progress. [`read_pages`] is the one rule for reading a whole PDF.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::{DocFormat, FileKind, IngestError, Result};

/// One page's text and the headings found on it (in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageContent {
    /// The page's text, lines separated by newlines.
    pub text: String,
    /// Lines of the text that are headings (larger type), in page order.
    pub headings: Vec<String>,
}

impl PageContent {
    fn from_lines<'a>(lines: impl Iterator<Item = (&'a str, f32)> + Clone) -> Self {
        Self {
            text: lines.clone().map(|l| l.0).collect::<Vec<_>>().join("\n"),
            headings: plait_ocr::headings(lines),
        }
    }
}

/// Text extraction from PDFs, provided by the caller (the `ocr` crate's PDFium).
pub trait PdfText: Send + Sync {
    /// The text of each page, in order.
    fn pages(&self, path: &Path) -> Result<Vec<PageContent>, plait_ocr::OcrError>;

    /// Like [`PdfText::pages`], calling `progress(done, total)` as pages are read.
    fn pages_with_progress(
        &self,
        path: &Path,
        _progress: &dyn Fn(usize, usize),
    ) -> Result<Vec<PageContent>, plait_ocr::OcrError> {
        self.pages(path)
    }

    /// The text of a page image (PNG, JPEG, TIFF), when OCR is available.
    fn image_text(&self, _path: &Path) -> Result<Option<String>, plait_ocr::OcrError> {
        Ok(None)
    }
}

fn text_layer_page(page: &plait_ocr::PageText) -> PageContent {
    PageContent {
        text: page.text.clone(),
        headings: plait_ocr::headings(page.lines.iter().map(|l| (l.text.as_str(), l.font_size))),
    }
}

impl PdfText for plait_ocr::Pdfium {
    fn pages(&self, path: &Path) -> Result<Vec<PageContent>, plait_ocr::OcrError> {
        Ok(self
            .text(path, None)?
            .pages
            .iter()
            .map(text_layer_page)
            .collect())
    }
}

/// PDF text through PDFium, with pages whose text layer is missing or garbage read by
/// OCR (rendered at `dpi`).
pub struct OcrPdf<'a> {
    /// The bound PDFium.
    pub pdfium: plait_ocr::Pdfium,
    /// The OCR engine for scanned pages.
    pub engine: &'a plait_ocr::OcrEngine,
    /// Render resolution for OCR.
    pub dpi: f32,
}

impl std::fmt::Debug for OcrPdf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrPdf").field("dpi", &self.dpi).finish()
    }
}

impl PdfText for OcrPdf<'_> {
    fn pages(&self, path: &Path) -> Result<Vec<PageContent>, plait_ocr::OcrError> {
        self.pages_with_progress(path, &|_, _| {})
    }

    fn pages_with_progress(
        &self,
        path: &Path,
        progress: &dyn Fn(usize, usize),
    ) -> Result<Vec<PageContent>, plait_ocr::OcrError> {
        let total = self.pdfium.page_count(path)?;
        progress(0, total);
        let options = plait_ocr::ReadOptions {
            dpi: self.dpi,
            ..Default::default()
        };
        let (mut out, mut seen) = (Vec::new(), 0);
        read_pages(&self.pdfium, self.engine, path, &options, |page| {
            match page {
                Some(plait_ocr::ReadPage::Ocr { lines, .. }) => out.push(PageContent::from_lines(
                    lines
                        .iter()
                        .map(|l| (l.text.as_str(), l.bbox[3] - l.bbox[1])),
                )),
                Some(plait_ocr::ReadPage::TextLayer(page)) => out.push(text_layer_page(&page)),
                None => {}
            }
            seen += 1;
            progress(seen, total);
        })?;
        Ok(out)
    }

    fn image_text(&self, path: &Path) -> Result<Option<String>, plait_ocr::OcrError> {
        let image = plait_ocr::Raster::open(path, plait_ocr::MAX_RENDER_PIXELS)?;
        let lines = self.engine.recognize(&image)?;
        Ok(Some(plait_ocr::OcrLine::join(&lines)))
    }
}

/// Reads every page of the PDF at `path` in page order (the text layer, OCR where it is
/// missing; scanned pages side by side when the engine has page workers) and hands each
/// to `each`, `None` for a page that failed. The file fails with its first bad page's
/// error once every page was read. `plait ingest`, `plait summarize` and the web page's
/// summaries all read PDFs by this one rule.
pub fn read_pages(
    pdfium: &plait_ocr::Pdfium,
    engine: &plait_ocr::OcrEngine,
    path: &Path,
    options: &plait_ocr::ReadOptions,
    mut each: impl FnMut(Option<plait_ocr::ReadPage>),
) -> std::result::Result<plait_ocr::ReadSummary, plait_ocr::OcrError> {
    let mut failed = None;
    let summary = pdfium.read(engine, path, options, |page| match page {
        Ok(page) => each(Some(page)),
        Err(e) => {
            failed.get_or_insert(e);
            each(None);
        }
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

/// A file's content as extraction hands it to the chunkers.
#[derive(Debug)]
pub(crate) enum Extracted<'a> {
    /// Decoded text: code, Markdown, plain text.
    Text(Cow<'a, str>),
    /// A PDF's pages, in order.
    Pages(Vec<PageContent>),
    /// A page image's OCR text; `None` without an OCR engine or when it found nothing.
    Image(Option<String>),
}

/// Extracts the content of the file at `path` (of kind `kind`, read as `bytes`): text
/// decoded, a PDF's pages through `pdf` (`on_page(done, total)` as they are read), an
/// image's text through `pdf`'s OCR.
pub(crate) fn extract<'a>(
    path: &Path,
    kind: FileKind,
    bytes: &'a [u8],
    pdf: Option<&dyn PdfText>,
    on_page: &dyn Fn(usize, usize),
) -> Result<Extracted<'a>> {
    let failed = |source| IngestError::Extract {
        path: path.to_path_buf(),
        source,
    };
    match kind {
        FileKind::Doc(DocFormat::Pdf) => {
            let Some(pdf) = pdf else {
                return Err(failed(plait_ocr::OcrError::LibraryLoad {
                    path: PathBuf::from("libpdfium.so"),
                    reason: "no PDF reader configured".into(),
                }));
            };
            pdf.pages_with_progress(path, on_page)
                .map(Extracted::Pages)
                .map_err(failed)
        }
        FileKind::Doc(DocFormat::Image) => match pdf {
            Some(pdf) => pdf
                .image_text(path)
                .map(|t| Extracted::Image(t.filter(|t| !t.trim().is_empty())))
                .map_err(failed),
            None => Ok(Extracted::Image(None)),
        },
        _ => crate::text::decode_text(path, bytes).map(Extracted::Text),
    }
}

/// Sorted page numbers as ranges: `1-3, 7, 9-12` (a 10,000-page blank scan is one
/// range, not 10,000 numbers).
pub(crate) fn page_ranges(pages: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < pages.len() {
        let mut j = i;
        while j + 1 < pages.len() && pages[j + 1] == pages[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            pages[i].to_string()
        } else {
            format!("{}-{}", pages[i], pages[j])
        });
        i = j + 1;
    }
    out.join(", ")
}
