//! Reading a whole PDF: the text layer where it is good, OCR where it is missing, page by
//! page in order, with scanned pages recognised side by side when the engine has page
//! workers.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::{OcrEngine, OcrLine, PageText, Pdfium, Result};

/// What [`Pdfium::read`] reads and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    /// Render resolution for OCR.
    pub dpi: f32,
    /// OCR every page, even those with a good text layer.
    pub force_ocr: bool,
    /// 1-based page numbers to read; pages beyond the document are ignored.
    pub pages: RangeInclusive<usize>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            dpi: 300.0,
            force_ocr: false,
            pages: 1..=usize::MAX,
        }
    }
}

/// One page as read.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadPage {
    /// The page's text layer was good.
    TextLayer(PageText),
    /// The page was rendered and recognised.
    Ocr { number: usize, lines: Vec<OcrLine> },
}

impl ReadPage {
    /// 1-based page number.
    pub fn number(&self) -> usize {
        match self {
            Self::TextLayer(p) => p.number,
            Self::Ocr { number, .. } => *number,
        }
    }

    /// The page's text: the text layer as PDFium gives it, or the recognised lines in
    /// reading order, one per line.
    pub fn text(&self) -> String {
        match self {
            Self::TextLayer(p) => p.text.clone(),
            Self::Ocr { lines, .. } => OcrLine::join(lines),
        }
    }
}

/// The document-level facts [`Pdfium::read`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSummary {
    /// Pages in the document (not only those read).
    pub page_count: usize,
    /// The document's title from its metadata, where present.
    pub title: Option<String>,
}

impl Pdfium {
    /// Reads the pages of the PDF at `path` that `options` selects, calling `each` once
    /// per page in page order, with the text layer or, where the page needs OCR
    /// ([`PageText::needs_ocr`]) or `force_ocr` is set, the page rendered and recognised.
    ///
    /// When the engine has page workers and more than one page needs OCR, the workers
    /// render and recognise pages side by side while `each` still sees them in order. An
    /// error on one page (render, model) is passed to `each` for that page and the other
    /// pages go on; an error opening the document is returned.
    pub fn read(
        &self,
        engine: &OcrEngine,
        path: &Path,
        options: &ReadOptions,
        mut each: impl FnMut(Result<ReadPage>),
    ) -> Result<ReadSummary> {
        let layer = self.text(path, None)?;
        let summary = ReadSummary {
            page_count: layer.pages.len(),
            title: layer.title.clone(),
        };
        let selected: Vec<&PageText> = layer
            .pages
            .iter()
            .filter(|p| options.pages.contains(&p.number))
            .collect();
        let scanned: Vec<usize> = selected
            .iter()
            .filter(|p| options.force_ocr || p.needs_ocr())
            .map(|p| p.number)
            .collect();
        let ocr = |engine: &OcrEngine, number: usize| {
            let image = self.render(path, number, options.dpi, None)?;
            Ok(ReadPage::Ocr {
                number,
                lines: engine.recognize(&image)?,
            })
        };
        let workers = engine.page_workers();
        if workers.len() < 2 || scanned.len() < 2 {
            for page in selected {
                if scanned.contains(&page.number) {
                    each(ocr(engine, page.number));
                } else {
                    each(Ok(ReadPage::TextLayer(page.clone())));
                }
            }
            return Ok(summary);
        }
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel();
            for worker in workers {
                let (tx, next, scanned, ocr) = (tx.clone(), &next, &scanned, &ocr);
                scope.spawn(move || {
                    while let Some(&number) = scanned.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if tx.send((number, ocr(worker, number))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            let mut done: HashMap<usize, Result<ReadPage>> = HashMap::new();
            for page in selected {
                if !scanned.contains(&page.number) {
                    each(Ok(ReadPage::TextLayer(page.clone())));
                    continue;
                }
                while !done.contains_key(&page.number) {
                    match rx.recv() {
                        Ok((number, result)) => {
                            done.insert(number, result);
                        }
                        // Every worker has stopped: a panic inside one; the scope re-raises it.
                        Err(_) => return,
                    }
                }
                if let Some(result) = done.remove(&page.number) {
                    each(result);
                }
            }
        });
        Ok(summary)
    }
}
