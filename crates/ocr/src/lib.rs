//! PDF text with positions through PDFium, and OCR of scanned pages.
//!
//! This is the only crate that links PDFium. The shared library is bound at run time
//! from a path the caller passes in ([`Pdfium::load`]); the library never reads
//! environment variables.

pub mod cer;
mod document;
mod engine;
mod error;
mod hyphen;
mod layout;
mod lineend;
mod pdf;
mod raster;
mod view;

pub use document::{ReadOptions, ReadPage, ReadSummary};
pub use engine::{
    needs_ocr, reading_order, OcrEngine, OcrEngineBuilder, OcrLine, TextBox, IMAGE_PAGE_COVERAGE,
    IMAGE_PAGE_MAX_ALNUM, REC_BATCH,
};
pub use error::OcrError;
pub use hyphen::{join_hyphenated, LINE_END_HYPHEN};
pub use layout::{headings, rows, TextLine, HEADING_MAX_CHARS, HEADING_SIZE_RATIO};
pub use lineend::plain_line_ends;
pub use pdf::{PageText, PdfText, Pdfium, MAX_RENDER_PIXELS};
pub use raster::Raster;
pub use view::{PagePng, ViewConfig};

/// Result alias of this crate.
pub type Result<T, E = OcrError> = std::result::Result<T, E>;
