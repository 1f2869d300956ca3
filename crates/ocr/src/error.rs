//! The error type of the `ocr` crate.

use std::path::PathBuf;

/// Everything that can go wrong reading a PDF or an image.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// The PDFium shared library could not be loaded.
    #[error("cannot load PDFium from {path}: {reason}")]
    LibraryLoad { path: PathBuf, reason: String },

    /// PDFium is already bound in this process to another file.
    #[error("PDFium is already loaded from {loaded}; cannot load it again from {requested}")]
    LibraryMismatch { loaded: PathBuf, requested: PathBuf },

    /// The input file does not exist or cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The file is empty.
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },

    /// The file is not a PDF PDFium can parse.
    #[error("{path}: not a valid PDF ({reason})")]
    InvalidPdf { path: PathBuf, reason: String },

    /// The PDF is encrypted and needs a password.
    #[error("{path}: the PDF is encrypted; a password is needed to open it")]
    PasswordRequired { path: PathBuf },

    /// Reading one page failed.
    #[error("{path}, page {page}: {reason}")]
    Page {
        path: PathBuf,
        page: usize,
        reason: String,
    },

    /// An OCR model could not be loaded or run.
    #[error("OCR model {path}: {reason}")]
    Model { path: PathBuf, reason: String },

    /// A page could not be rendered for OCR.
    #[error("{path}: page {page} cannot be rendered: {reason}")]
    Render {
        path: PathBuf,
        page: usize,
        reason: String,
    },

    /// An image file could not be read or is too large.
    #[error("{path}: {reason}")]
    Image { path: PathBuf, reason: String },

    /// A page number outside the document.
    #[error("{path} has {pages} page(s): there is no page {page}")]
    NoSuchPage {
        path: PathBuf,
        page: usize,
        pages: usize,
    },

    /// A page too large to render at the requested resolution.
    #[error("{path}, page {page}: {width}x{height} pixels is beyond the {max_pixels} pixel limit of a page view; ask for a lower resolution")]
    TooLarge {
        path: PathBuf,
        page: usize,
        width: u64,
        height: u64,
        max_pixels: usize,
    },
}
