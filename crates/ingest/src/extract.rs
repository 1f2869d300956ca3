//! Text out of PDFs and page images for ingest: the [`PdfText`] seam (PDFium's text
//! layer, or [`OcrPdf`] with OCR where the text layer is missing), page by page with
//! progress.

use std::path::Path;

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
        let (mut out, mut failed) = (Vec::new(), None);
        // Scanned pages are recognised side by side when the engine has page workers;
        // pages arrive in order. The file fails on its first bad page.
        self.pdfium.read(self.engine, path, &options, |page| {
            match page {
                Ok(plait_ocr::ReadPage::Ocr { lines, .. }) => out.push(PageContent::from_lines(
                    lines
                        .iter()
                        .map(|l| (l.text.as_str(), l.bbox[3] - l.bbox[1])),
                )),
                Ok(plait_ocr::ReadPage::TextLayer(page)) => out.push(text_layer_page(&page)),
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
            progress(out.len() + usize::from(failed.is_some()), total);
        })?;
        match failed {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    fn image_text(&self, path: &Path) -> Result<Option<String>, plait_ocr::OcrError> {
        let image = plait_ocr::Raster::open(path, plait_ocr::MAX_RENDER_PIXELS)?;
        let lines = self.engine.recognize(&image)?;
        Ok(Some(plait_ocr::OcrLine::join(&lines)))
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
