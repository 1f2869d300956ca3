//! A plain RGB raster (8 bits per channel) with the few operations OCR needs: crop,
//! bilinear resize, and sampling a tilted rectangle upright.

/// An RGB image, rows top to bottom, 3 bytes per pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height * 3` bytes.
    pub data: Vec<u8>,
}

impl Raster {
    /// An image from RGB bytes; `None` when the length does not match.
    pub fn from_rgb(width: usize, height: usize, data: Vec<u8>) -> Option<Self> {
        (data.len() == width * height * 3).then_some(Self {
            width,
            height,
            data,
        })
    }

    /// An image from RGBA bytes (alpha dropped, as if over white).
    pub fn from_rgba(width: usize, height: usize, rgba: &[u8]) -> Option<Self> {
        if rgba.len() != width * height * 4 {
            return None;
        }
        let mut data = Vec::with_capacity(width * height * 3);
        for px in rgba.chunks_exact(4) {
            let a = u16::from(px[3]);
            for &c in &px[..3] {
                data.push(((u16::from(c) * a + 255 * (255 - a)) / 255) as u8);
            }
        }
        Some(Self {
            width,
            height,
            data,
        })
    }

    /// Decodes a PNG, JPEG or TIFF file, refusing images over `max_pixels` before
    /// decoding them.
    pub fn open(path: &std::path::Path, max_pixels: usize) -> crate::Result<Self> {
        let bad = |reason: String| crate::OcrError::Image {
            path: path.to_path_buf(),
            reason,
        };
        let reader = image::ImageReader::open(path)
            .map_err(|e| bad(e.to_string()))?
            .with_guessed_format()
            .map_err(|e| bad(e.to_string()))?;
        let (w, h) = reader
            .into_dimensions()
            .map_err(|e| bad(format!("not a readable image: {e}")))?;
        if (w as usize).saturating_mul(h as usize) > max_pixels {
            return Err(bad(format!(
                "{w}x{h} pixels is beyond the {max_pixels} pixel limit"
            )));
        }
        let img = image::ImageReader::open(path)
            .map_err(|e| bad(e.to_string()))?
            .with_guessed_format()
            .map_err(|e| bad(e.to_string()))?
            .decode()
            .map_err(|e| bad(format!("not a readable image: {e}")))?
            .into_rgb8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        Self::from_rgb(w, h, img.into_raw()).ok_or_else(|| bad("unexpected pixel buffer".into()))
    }

    /// Whether anything is drawn on the image: at least [`MIN_INK_PIXELS`] pixels (and
    /// [`MIN_INK_SHARE`] of the image) differ clearly in brightness from its background
    /// (the most common brightness). A white or evenly grey page has no ink and nothing to
    /// recognise, and is skipped before the detector runs over it.
    pub fn has_ink(&self) -> bool {
        let mut histogram = [0usize; 256];
        for px in self.data.chunks_exact(3) {
            histogram[luma(px)] += 1;
        }
        let background = (0..256).max_by_key(|&i| histogram[i]).unwrap_or(255);
        let ink: usize = histogram
            .iter()
            .enumerate()
            .filter(|(i, _)| i.abs_diff(background) >= INK_CONTRAST)
            .map(|(_, n)| n)
            .sum();
        let total = self.width * self.height;
        ink >= MIN_INK_PIXELS && ink as f64 >= MIN_INK_SHARE * total as f64
    }

    /// The image turned upside down (rotated by 180 degrees).
    pub fn rotate180(&self) -> Self {
        let mut data = Vec::with_capacity(self.data.len());
        for px in self.data.chunks_exact(3).rev() {
            data.extend_from_slice(px);
        }
        Self {
            width: self.width,
            height: self.height,
            data,
        }
    }

    /// The pixel at (x, y) as `[r, g, b]`.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// The region `[x0, x1) x [y0, y1)`, clamped to the image.
    pub fn crop(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> Self {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        let (x0, y0) = (x0.min(x1), y0.min(y1));
        let (w, h) = (x1 - x0, y1 - y0);
        let mut data = Vec::with_capacity(w * h * 3);
        for y in y0..y1 {
            let start = (y * self.width + x0) * 3;
            data.extend_from_slice(&self.data[start..start + w * 3]);
        }
        Self {
            width: w,
            height: h,
            data,
        }
    }

    /// The parallelogram at `origin` spanned by `along` (becomes the x axis) and `across`
    /// (the y axis), sampled bilinearly into a `width x height` image: a tilted text line
    /// comes out level. Points outside the image are white.
    pub fn warp(
        &self,
        origin: [f32; 2],
        along: [f32; 2],
        across: [f32; 2],
        width: usize,
        height: usize,
    ) -> Self {
        let (width, height) = (width.max(1), height.max(1));
        let mut data = Vec::with_capacity(width * height * 3);
        for j in 0..height {
            let t = (j as f32 + 0.5) / height as f32;
            for i in 0..width {
                let s = (i as f32 + 0.5) / width as f32;
                // Pixel centres are at +0.5.
                let x = origin[0] + s * along[0] + t * across[0] - 0.5;
                let y = origin[1] + s * along[1] + t * across[1] - 0.5;
                data.extend_from_slice(&self.sample(x, y));
            }
        }
        Self {
            width,
            height,
            data,
        }
    }

    /// Bilinear sample at (x, y) in pixel-centre coordinates; white outside.
    fn sample(&self, x: f32, y: f32) -> [u8; 3] {
        if !(x > -1.0 && y > -1.0 && x < self.width as f32 && y < self.height as f32) {
            return [255; 3];
        }
        let (xf, yf) = (x.floor(), y.floor());
        let (wx, wy) = (x - xf, y - yf);
        let at = |xi: f32, yi: f32| {
            if xi < 0.0 || yi < 0.0 || xi >= self.width as f32 || yi >= self.height as f32 {
                [255; 3]
            } else {
                self.pixel(xi as usize, yi as usize)
            }
        };
        let corners = [
            at(xf, yf),
            at(xf + 1.0, yf),
            at(xf, yf + 1.0),
            at(xf + 1.0, yf + 1.0),
        ];
        bilinear(corners, wx, wy)
    }

    /// Bilinear resize to `width x height` (both at least 1).
    pub fn resize(&self, width: usize, height: usize) -> Self {
        let (width, height) = (width.max(1), height.max(1));
        if self.width == 0 || self.height == 0 {
            return Self {
                width,
                height,
                data: vec![255; width * height * 3],
            };
        }
        let sx = self.width as f32 / width as f32;
        let sy = self.height as f32 / height as f32;
        let mut data = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            let fy = ((y as f32 + 0.5) * sy - 0.5).max(0.0);
            let y0 = (fy as usize).min(self.height - 1);
            let y1 = (y0 + 1).min(self.height - 1);
            let wy = fy - y0 as f32;
            for x in 0..width {
                let fx = ((x as f32 + 0.5) * sx - 0.5).max(0.0);
                let x0 = (fx as usize).min(self.width - 1);
                let x1 = (x0 + 1).min(self.width - 1);
                let wx = fx - x0 as f32;
                let corners = [
                    self.pixel(x0, y0),
                    self.pixel(x1, y0),
                    self.pixel(x0, y1),
                    self.pixel(x1, y1),
                ];
                data.extend_from_slice(&bilinear(corners, wx, wy));
            }
        }
        Self {
            width,
            height,
            data,
        }
    }
}

/// The pixel between four neighbours `[top-left, top-right, bottom-left, bottom-right]`,
/// `wx` of the way right and `wy` down.
fn bilinear([a, b, c, d]: [[u8; 3]; 4], wx: f32, wy: f32) -> [u8; 3] {
    let mut out = [0u8; 3];
    for ch in 0..3 {
        let top = f32::from(a[ch]) * (1.0 - wx) + f32::from(b[ch]) * wx;
        let bottom = f32::from(c[ch]) * (1.0 - wx) + f32::from(d[ch]) * wx;
        out[ch] = (top * (1.0 - wy) + bottom * wy).round() as u8;
    }
    out
}

/// Brightness difference from the background that counts as ink.
const INK_CONTRAST: usize = 64;
/// Fewest ink pixels of a page worth recognising (a short word at 150 dpi has more).
pub const MIN_INK_PIXELS: usize = 40;
/// Smallest share of ink pixels worth recognising (scanner dust stays below it).
pub const MIN_INK_SHARE: f64 = 2e-6;

/// Brightness of an RGB pixel (integer Rec. 601 weights).
fn luma(px: &[u8]) -> usize {
    (usize::from(px[0]) * 299 + usize::from(px[1]) * 587 + usize::from(px[2]) * 114) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_and_resize_keep_content() {
        let mut data = Vec::new();
        for y in 0..4u8 {
            for x in 0..4u8 {
                data.extend_from_slice(&[x * 60, y * 60, 0]);
            }
        }
        let img = Raster::from_rgb(4, 4, data).unwrap();
        let c = img.crop(1, 2, 3, 4);
        assert_eq!((c.width, c.height), (2, 2));
        assert_eq!(c.pixel(0, 0), [60, 120, 0]);
        let r = img.resize(8, 8);
        assert_eq!((r.width, r.height), (8, 8));
        assert_eq!(r.pixel(0, 0), [0, 0, 0]);
        assert_eq!(r.pixel(7, 7), [180, 180, 0]);
        assert!(Raster::from_rgb(2, 2, vec![0; 5]).is_none());
        let rgba = Raster::from_rgba(1, 1, &[0, 0, 0, 0]).unwrap();
        assert_eq!(rgba.pixel(0, 0), [255, 255, 255]);
    }

    #[test]
    fn warp_with_level_axes_is_a_crop_and_a_turned_frame_turns_the_content() {
        let mut data = Vec::new();
        for y in 0..6u8 {
            for x in 0..6u8 {
                data.extend_from_slice(&[x * 40, y * 40, 7]);
            }
        }
        let img = Raster::from_rgb(6, 6, data).unwrap();
        assert_eq!(
            img.warp([1.0, 2.0], [3.0, 0.0], [0.0, 2.0], 3, 2),
            img.crop(1, 2, 4, 4)
        );
        // Axes swapped: the image's columns become the output's rows.
        let t = img.warp([0.0, 0.0], [0.0, 6.0], [6.0, 0.0], 6, 6);
        assert_eq!(t.pixel(2, 5), img.pixel(5, 2));
        // Outside the image is white.
        let out = img.warp([10.0, 10.0], [2.0, 0.0], [0.0, 2.0], 2, 2);
        assert!(out.data.iter().all(|&v| v == 255));
    }

    #[test]
    fn a_blank_page_has_no_ink_and_a_word_has() {
        let (w, h) = (400, 300);
        let white = Raster::from_rgb(w, h, vec![255; w * h * 3]).unwrap();
        assert!(!white.has_ink());
        let grey = Raster::from_rgb(w, h, vec![90; w * h * 3]).unwrap();
        assert!(!grey.has_ink(), "an even dark page has no ink either");
        // A few specks of dust stay below the bound.
        let mut dusty = white.clone();
        for i in [10usize, 5000, 90_000] {
            dusty.data[i * 3..i * 3 + 3].copy_from_slice(&[0, 0, 0]);
        }
        assert!(!dusty.has_ink());
        // A 12x8 dark mark (a short word at low resolution) is ink.
        let mut marked = white.clone();
        for y in 100..108 {
            for x in 200..212 {
                let i = (y * w + x) * 3;
                marked.data[i..i + 3].copy_from_slice(&[20, 20, 20]);
            }
        }
        assert!(marked.has_ink());
        // Light text on a dark page is ink too.
        let mut inverse = grey.clone();
        for y in 10..18 {
            for x in 10..22 {
                let i = (y * w + x) * 3;
                inverse.data[i..i + 3].copy_from_slice(&[250, 250, 250]);
            }
        }
        assert!(inverse.has_ink());
    }
}
