//! Pages for people to look at: one page rendered to PNG at a modest resolution
//! (bounded in pixels), and one page's text layer, for the web page's page view.

use std::path::Path;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::ImageEncoder;

use crate::{OcrError, PageText, Pdfium, Result};

/// How a page is rendered for viewing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewConfig {
    /// Resolution in dots per inch.
    pub dpi: f32,
    /// Largest image rendered, in pixels; a page larger than this at `dpi` is refused
    /// ([`OcrError::TooLarge`]) instead of being rendered.
    pub max_pixels: usize,
}

impl Default for ViewConfig {
    fn default() -> Self {
        Self {
            dpi: 96.0,
            max_pixels: 8_000_000,
        }
    }
}

/// A page rendered to PNG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePng {
    /// The PNG file's bytes.
    pub png: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pages in the document.
    pub pages: usize,
}

impl Pdfium {
    /// Renders page `number` (1-based) of the PDF at `path` to PNG at `config.dpi`.
    /// A page past the end is [`OcrError::NoSuchPage`]; a page that would exceed
    /// `config.max_pixels` is [`OcrError::TooLarge`].
    pub fn render_png(&self, path: &Path, number: usize, config: &ViewConfig) -> Result<PagePng> {
        let doc = self.open(path, None)?;
        let pages = usize::try_from(doc.pages().len()).unwrap_or(0);
        let page = doc
            .pages()
            .get(page_index(path, number, pages)?)
            .map_err(|e| OcrError::Render {
                path: path.to_path_buf(),
                page: number,
                reason: e.to_string(),
            })?;
        let w = (page.width().value / 72.0 * config.dpi).round();
        let h = (page.height().value / 72.0 * config.dpi).round();
        if !(w >= 1.0 && h >= 1.0) || (w as f64) * (h as f64) > config.max_pixels as f64 {
            return Err(OcrError::TooLarge {
                path: path.to_path_buf(),
                page: number,
                width: w.max(0.0) as u64,
                height: h.max(0.0) as u64,
                max_pixels: config.max_pixels,
            });
        }
        let render = pdfium_render::prelude::PdfRenderConfig::new()
            .set_target_width(w as i32)
            .set_maximum_height(h as i32);
        let render_err = |reason: String| OcrError::Render {
            path: path.to_path_buf(),
            page: number,
            reason,
        };
        let bitmap = page
            .render_with_config(&render)
            .map_err(|e| render_err(e.to_string()))?;
        let (bw, bh) = (bitmap.width() as u32, bitmap.height() as u32);
        let rgba = bitmap.as_rgba_bytes();
        // Over white, without alpha: smaller and what a viewer shows anyway.
        let raster = crate::Raster::from_rgba(bw as usize, bh as usize, &rgba)
            .ok_or_else(|| render_err("unexpected bitmap size".into()))?;
        let mut png = Vec::with_capacity(raster.data.len() / 8);
        PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Sub)
            .write_image(&raster.data, bw, bh, image::ExtendedColorType::Rgb8)
            .map_err(|e| render_err(format!("PNG encoding: {e}")))?;
        Ok(PagePng {
            png,
            width: bw,
            height: bh,
            pages,
        })
    }

    /// The text layer of page `number` (1-based) alone, and the document's page count.
    pub fn page_text(&self, path: &Path, number: usize) -> Result<(PageText, usize)> {
        let doc = self.open(path, None)?;
        let pages = usize::try_from(doc.pages().len()).unwrap_or(0);
        let index = page_index(path, number, pages)?;
        let page = doc.pages().get(index).map_err(|e| OcrError::Page {
            path: path.to_path_buf(),
            page: number,
            reason: e.to_string(),
        })?;
        Ok((crate::pdf::read_page(path, number, &page)?, pages))
    }
}

/// PDFium's 0-based index of page `number`, or [`OcrError::NoSuchPage`].
fn page_index(path: &Path, number: usize, pages: usize) -> Result<i32> {
    if number == 0 || number > pages {
        return Err(OcrError::NoSuchPage {
            path: path.to_path_buf(),
            page: number,
            pages,
        });
    }
    i32::try_from(number - 1).map_err(|_| OcrError::NoSuchPage {
        path: path.to_path_buf(),
        page: number,
        pages,
    })
}
