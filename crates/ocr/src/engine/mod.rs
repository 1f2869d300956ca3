//! The OCR engine: PP-OCRv4 text detection (DB) and recognition (CTC) on ONNX Runtime,
//! loaded once and reused for every page.

mod ctc;
mod db;
mod order;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::Session;
use ort::value::Tensor;
use plait_onnx::OnnxRuntime;

use crate::raster::Raster;
use crate::{OcrError, Result};

pub use db::TextBox;
pub use order::reading_order;

/// The longest side the detector sees; larger pages are scaled down (PaddleOCR's
/// `limit_side_len`, raised from 960 for dense scanned pages).
const DET_MAX_SIDE: usize = 1600;
/// Height of a text line for the recogniser (the PP-OCRv4 model's input height).
const REC_HEIGHT: usize = 48;
/// Widest line crop fed to the recogniser at once, in pixels after scaling.
const REC_MAX_WIDTH: usize = 2400;
/// Line crops recognised per model run, by default. One: the INT8 recogniser runs a
/// batch of 6 lines about 1.5x slower than the same lines one by one (its activations no
/// longer fit the caches); the float models gain a little from batches
/// ([`OcrEngineBuilder::lines_per_run`]).
pub const REC_BATCH: usize = 1;
/// Input size of the angle classifier (height, width).
const CLS_SHAPE: (usize, usize) = (48, 192);
/// A line is turned when the classifier is at least this sure it is upside down
/// (PaddleOCR's `cls_thresh`).
const CLS_THRESHOLD: f32 = 0.9;
/// Lines sampled per page for the upside-down decision.
const CLS_SAMPLE_LINES: usize = 9;
/// Width/height ratios of the sampled lines: wide enough to hold a few characters,
/// narrow enough not to be squeezed much into the classifier's 4:1 input.
const CLS_SAMPLE_RATIO: (f32, f32) = (2.0, 8.0);
/// ImageNet normalisation of the detector (BGR order, as the models were trained).
const DET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const DET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// One recognised line, in the pixel space of the image it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OcrLine {
    pub text: String,
    /// `[x0, y0, x1, y1]` in image pixels.
    pub bbox: [f32; 4],
    /// Mean probability of the recognised characters.
    pub confidence: f32,
}

impl OcrLine {
    /// The lines' texts, one per line (a page's text in reading order).
    pub fn join(lines: &[OcrLine]) -> String {
        lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Width of a line crop scaled to the recogniser's height.
fn rec_width(crop: &Raster) -> usize {
    ((crop.width as f32 * REC_HEIGHT as f32 / crop.height.max(1) as f32).ceil() as usize)
        .clamp(8, REC_MAX_WIDTH)
}

/// Builds an [`OcrEngine`] from the directory holding `det.onnx`, `rec.onnx` and
/// `cls.onnx`.
#[derive(Debug, Clone)]
pub struct OcrEngineBuilder {
    dir: PathBuf,
    threads: usize,
    page_workers: usize,
    rec_batch: usize,
}

impl OcrEngineBuilder {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            threads: 1,
            page_workers: 0,
            rec_batch: REC_BATCH,
        }
    }

    /// Line crops per recogniser run (lines of similar width are batched, padded to the
    /// widest). Default [`REC_BATCH`]; 6 suits the float models.
    pub fn lines_per_run(mut self, lines: usize) -> Self {
        self.rec_batch = lines.max(1);
        self
    }

    /// Threads per model run.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Also load `workers` single-threaded copies of the models, so that documents with
    /// several scanned pages have that many pages recognised at once
    /// ([`Pdfium::read`](crate::Pdfium::read)). On 2 cores two pages on one thread each
    /// finish sooner than the same pages one after the other on two threads (ONNX
    /// Runtime's threads wait on each other within a run; `scripts/bench-ocr` measures
    /// both). 0 or 1: pages one at a time.
    pub fn parallel_pages(mut self, workers: usize) -> Self {
        self.page_workers = workers;
        self
    }

    /// Loads the models through the process's ONNX Runtime.
    pub fn build(self, runtime: &OnnxRuntime) -> Result<OcrEngine> {
        let mut engine = self.build_one(runtime, self.threads)?;
        if self.page_workers > 1 {
            engine.page_workers = (0..self.page_workers)
                .map(|_| self.build_one(runtime, 1))
                .collect::<Result<_>>()?;
        }
        Ok(engine)
    }

    fn build_one(&self, runtime: &OnnxRuntime, threads: usize) -> Result<OcrEngine> {
        let det_path = self.dir.join("det.onnx");
        let rec_path = self.dir.join("rec.onnx");
        let det = session(runtime, &det_path, threads)?;
        let rec = session(runtime, &rec_path, threads)?;
        let cls_path = self.dir.join("cls.onnx");
        let cls = session(runtime, &cls_path, threads)?;
        let charset = rec
            .metadata()
            .ok()
            .and_then(|m| m.custom("character"))
            .ok_or_else(|| OcrError::Model {
                path: rec_path.clone(),
                reason: "no `character` dictionary in the model metadata".into(),
            })?;
        let dict: Vec<String> = charset.lines().map(ToString::to_string).collect();
        Ok(OcrEngine {
            det: Mutex::new(det),
            rec: Mutex::new(rec),
            cls: Mutex::new(cls),
            cls_path,
            det_path,
            rec_path,
            dict,
            page_workers: Vec::new(),
            rec_batch: self.rec_batch,
        })
    }
}

fn session(runtime: &OnnxRuntime, path: &Path, threads: usize) -> Result<Session> {
    // Every line has its own width: a memory plan per shape does not pay.
    let options = plait_onnx::SessionOptions {
        threads,
        memory_pattern: false,
        ..Default::default()
    };
    options.build(runtime, path).map_err(|e| OcrError::Model {
        path: path.to_path_buf(),
        reason: match e {
            plait_onnx::OnnxError::MissingModel { .. } => "missing: run scripts/setup".into(),
            other => other.to_string(),
        },
    })
}

/// PP-OCRv4 detection and recognition, shared by concurrent callers.
pub struct OcrEngine {
    det: Mutex<Session>,
    rec: Mutex<Session>,
    cls: Mutex<Session>,
    cls_path: PathBuf,
    det_path: PathBuf,
    rec_path: PathBuf,
    dict: Vec<String>,
    /// Single-threaded copies for recognising several pages at once.
    page_workers: Vec<OcrEngine>,
    rec_batch: usize,
}

impl std::fmt::Debug for OcrEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrEngine")
            .field("det", &self.det_path)
            .field("rec", &self.rec_path)
            .field("dictionary", &self.dict.len())
            .field("page_workers", &self.page_workers.len())
            .finish()
    }
}

impl OcrEngine {
    /// The single-threaded copies that recognise pages side by side (empty unless built
    /// with [`OcrEngineBuilder::parallel_pages`]).
    pub fn page_workers(&self) -> &[OcrEngine] {
        &self.page_workers
    }

    /// The text lines of an image, in reading order. A page found upside down (by the
    /// angle classifier on a sample of its lines) is turned first. An image without ink
    /// ([`Raster::has_ink`]) has no lines and is not run through the detector.
    pub fn recognize(&self, image: &Raster) -> Result<Vec<OcrLine>> {
        if !image.has_ink() {
            return Ok(Vec::new());
        }
        let boxes = self.detect(image)?;
        if self.page_upside_down(image, &boxes)? {
            let turned = image.rotate180();
            let boxes = self.detect(&turned)?;
            return self.read_boxes(&turned, boxes);
        }
        self.read_boxes(image, boxes)
    }

    /// Whether most of a sample of the page's lines are upside down. Scans come upside
    /// down as whole pages; deciding per page avoids the classifier's mistakes on single
    /// long lines (which it sees squeezed) and costs a few runs instead of one per line.
    fn page_upside_down(&self, image: &Raster, boxes: &[TextBox]) -> Result<bool> {
        let sample: Vec<&TextBox> = boxes
            .iter()
            .filter(|b| {
                let ratio = (b.x1 - b.x0) / (b.y1 - b.y0).max(1.0);
                (CLS_SAMPLE_RATIO.0..CLS_SAMPLE_RATIO.1).contains(&ratio)
            })
            .take(CLS_SAMPLE_LINES)
            .collect();
        let mut flipped = 0;
        for b in &sample {
            let crop = image.crop(b.x0 as usize, b.y0 as usize, b.x1 as usize, b.y1 as usize);
            if crop.width >= 2 && crop.height >= 2 && self.upside_down(&crop)? {
                flipped += 1;
            }
        }
        Ok(!sample.is_empty() && flipped * 3 >= sample.len() * 2)
    }

    fn read_boxes(&self, image: &Raster, boxes: Vec<TextBox>) -> Result<Vec<OcrLine>> {
        let mut crops = Vec::with_capacity(boxes.len());
        for b in boxes {
            let crop = if b.is_tilted() {
                // Rectified: sampled along the line's own axes, straight at the
                // recogniser's height (one resampling instead of two).
                let [tl, tr, _, bl] = b.quad;
                let along = [tr[0] - tl[0], tr[1] - tl[1]];
                let across = [bl[0] - tl[0], bl[1] - tl[1]];
                let len = |v: [f32; 2]| (v[0] * v[0] + v[1] * v[1]).sqrt();
                let width = (len(along) * REC_HEIGHT as f32 / len(across).max(1.0)).ceil();
                image.warp(tl, along, across, width as usize, REC_HEIGHT)
            } else {
                image.crop(
                    b.x0 as usize,
                    b.y0 as usize,
                    b.x1.ceil() as usize,
                    b.y1.ceil() as usize,
                )
            };
            if crop.width >= 2 && crop.height >= 2 {
                crops.push((b, crop));
            }
        }
        let read = self.read_lines_shared(&crops.iter().map(|(_, c)| c).collect::<Vec<_>>())?;
        let (mut lines, mut kept) = (Vec::with_capacity(crops.len()), Vec::new());
        for ((b, _), (text, confidence)) in crops.iter().zip(read) {
            let text = text.trim().to_string();
            if !text.is_empty() {
                lines.push(OcrLine {
                    text,
                    bbox: [b.x0, b.y0, b.x1, b.y1],
                    confidence,
                });
                kept.push(*b);
            }
        }
        let order = order::order(&order::deskewed_bounds(&kept));
        Ok(order::permute(lines, &order))
    }

    /// Text boxes of an image, in image pixels.
    pub fn detect(&self, image: &Raster) -> Result<Vec<TextBox>> {
        let scale = (DET_MAX_SIDE as f32 / image.width.max(image.height) as f32).min(1.0);
        let round32 = |v: f32| ((v / 32.0).round() as usize * 32).max(32);
        let (w, h) = (
            round32(image.width as f32 * scale),
            round32(image.height as f32 * scale),
        );
        let resized = image.resize(w, h);
        let mut input = vec![0f32; 3 * w * h];
        for (i, px) in resized.data.chunks_exact(3).enumerate() {
            // BGR planes.
            for (c, &v) in [px[2], px[1], px[0]].iter().enumerate() {
                input[c * w * h + i] = (f32::from(v) / 255.0 - DET_MEAN[c]) / DET_STD[c];
            }
        }
        let infer = |e: ort::Error| OcrError::Model {
            path: self.det_path.clone(),
            reason: e.to_string(),
        };
        let tensor = Tensor::from_array(([1usize, 3, h, w], input)).map_err(infer)?;
        let mut det = self.det.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = det.run(ort::inputs![tensor]).map_err(infer)?;
        let (shape, prob) = outputs[0].try_extract_tensor::<f32>().map_err(infer)?;
        let (mh, mw) = (shape[2] as usize, shape[3] as usize);
        let (fx, fy) = (
            image.width as f32 / mw as f32,
            image.height as f32 / mh as f32,
        );
        Ok(db::boxes(prob, mw, mh)
            .into_iter()
            .map(|b| b.scaled(fx, fy))
            .collect())
    }

    /// Whether the angle classifier finds a line crop upside down.
    pub fn upside_down(&self, crop: &Raster) -> Result<bool> {
        let (h, max_w) = CLS_SHAPE;
        let w =
            ((crop.width as f32 * h as f32 / crop.height as f32).ceil() as usize).clamp(8, max_w);
        let resized = crop.resize(w, h);
        // Right-padded with zeros to the fixed width, as the classifier was trained.
        let plane = max_w * h;
        let mut input = vec![0f32; 3 * plane];
        for (i, px) in resized.data.chunks_exact(3).enumerate() {
            let (y, x) = (i / w, i % w);
            for (c, &v) in [px[2], px[1], px[0]].iter().enumerate() {
                input[c * plane + y * max_w + x] = (f32::from(v) / 255.0 - 0.5) / 0.5;
            }
        }
        let infer = |e: ort::Error| OcrError::Model {
            path: self.cls_path.clone(),
            reason: e.to_string(),
        };
        let tensor = Tensor::from_array(([1usize, 3, h, max_w], input)).map_err(infer)?;
        let mut cls = self.cls.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = cls.run(ort::inputs![tensor]).map_err(infer)?;
        let (_, probs) = outputs[0].try_extract_tensor::<f32>().map_err(infer)?;
        Ok(probs.len() >= 2 && probs[1] > probs[0] && probs[1] >= CLS_THRESHOLD)
    }

    /// Recognises line crops on the page workers when there are any (lines dealt out in
    /// turn by width, one thread each), else on this engine's own sessions. Single-
    /// threaded sessions run side by side keep both cores busy without ONNX Runtime's
    /// threads waiting on each other at every small run.
    fn read_lines_shared(&self, crops: &[&Raster]) -> Result<Vec<(String, f32)>> {
        let workers = &self.page_workers;
        if workers.len() < 2 || crops.len() < 2 {
            return self.read_lines(crops);
        }
        let mut order: Vec<usize> = (0..crops.len()).collect();
        order.sort_by_key(|&i| rec_width(crops[i]));
        let shares: Vec<Vec<usize>> = (0..workers.len())
            .map(|w| {
                order
                    .iter()
                    .copied()
                    .skip(w)
                    .step_by(workers.len())
                    .collect()
            })
            .collect();
        let results: Vec<Result<Vec<(String, f32)>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = workers
                .iter()
                .zip(&shares)
                .map(|(worker, share)| {
                    let mine: Vec<&Raster> = share.iter().map(|&i| crops[i]).collect();
                    scope.spawn(move || worker.read_lines(&mine))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut out = vec![(String::new(), 0.0f32); crops.len()];
        for (share, result) in shares.iter().zip(results) {
            for (&i, read) in share.iter().zip(result?) {
                out[i] = read;
            }
        }
        Ok(out)
    }

    /// Recognises line crops, `rec_batch` per model run: sorted by width so that a batch
    /// holds lines of similar width, padded to the widest (as PaddleOCR batches them).
    /// Each line's CTC output is cut at its own width, so padding never adds characters.
    fn read_lines(&self, crops: &[&Raster]) -> Result<Vec<(String, f32)>> {
        let mut order: Vec<usize> = (0..crops.len()).collect();
        order.sort_by_key(|&i| rec_width(crops[i]));
        let mut out = vec![(String::new(), 0.0f32); crops.len()];
        let infer = |e: ort::Error| OcrError::Model {
            path: self.rec_path.clone(),
            reason: e.to_string(),
        };
        for batch in order.chunks(self.rec_batch) {
            let widths: Vec<usize> = batch.iter().map(|&i| rec_width(crops[i])).collect();
            let w_max = widths.iter().copied().max().unwrap_or(8);
            let plane = w_max * REC_HEIGHT;
            // Padding is 0 after normalisation (mid grey), as PaddleOCR pads.
            let mut input = vec![0f32; batch.len() * 3 * plane];
            for (k, (&i, &w)) in batch.iter().zip(&widths).enumerate() {
                let resized = if (crops[i].width, crops[i].height) == (w, REC_HEIGHT) {
                    std::borrow::Cow::Borrowed(crops[i])
                } else {
                    std::borrow::Cow::Owned(crops[i].resize(w, REC_HEIGHT))
                };
                let base = k * 3 * plane;
                for (p, px) in resized.data.chunks_exact(3).enumerate() {
                    let (y, x) = (p / w, p % w);
                    for (c, &v) in [px[2], px[1], px[0]].iter().enumerate() {
                        input[base + c * plane + y * w_max + x] =
                            (f32::from(v) / 255.0 - 0.5) / 0.5;
                    }
                }
            }
            let tensor =
                Tensor::from_array(([batch.len(), 3, REC_HEIGHT, w_max], input)).map_err(infer)?;
            let mut rec = self.rec.lock().unwrap_or_else(|e| e.into_inner());
            let outputs = rec.run(ort::inputs![tensor]).map_err(infer)?;
            let (shape, probs) = outputs[0].try_extract_tensor::<f32>().map_err(infer)?;
            let (steps, classes) = (shape[1] as usize, shape[2] as usize);
            for (k, (&i, &w)) in batch.iter().zip(&widths).enumerate() {
                let own = (steps * w).div_ceil(w_max).clamp(1, steps);
                let row = &probs[k * steps * classes..(k * steps + own) * classes];
                out[i] = ctc::decode(row, classes, &self.dict);
            }
        }
        Ok(out)
    }
}

/// A text layer shorter than this many letters and digits is treated as missing: page
/// numbers and scanner stamps on scanned pages are shorter, while a real page with a
/// short text layer ("Hello, world") is not worth rendering and OCR'ing.
pub const MIN_TEXT_LAYER_ALNUM: usize = 10;
/// A text layer where fewer than this share of non-space characters are letters or
/// digits is garbage (broken font encodings come out as symbol soup).
pub const MIN_ALNUM_RATIO: f32 = 0.5;
/// A text layer with more than this share of U+FFFD replacement characters is garbage.
pub const MAX_REPLACEMENT_RATIO: f32 = 0.05;
/// A page at least this much covered by images is a scan or a full-page figure ...
pub const IMAGE_PAGE_COVERAGE: f32 = 0.5;
/// ... and is OCR'd when its text layer has fewer letters and digits than this: scanner
/// stamps, page numbers and partial OCR layers are shorter, while a real page of text
/// over a background image (or an OCR'd scan with a good layer) has several hundred.
pub const IMAGE_PAGE_MAX_ALNUM: usize = 200;

/// Whether a page's text layer is missing or unusable, so the page needs OCR.
pub fn needs_ocr(text_layer: &str) -> bool {
    let visible: Vec<char> = text_layer.chars().filter(|c| !c.is_whitespace()).collect();
    let alnum = visible.iter().filter(|c| c.is_alphanumeric()).count();
    let replacement = visible.iter().filter(|&&c| c == '\u{FFFD}').count();
    let n = visible.len().max(1) as f32;
    alnum < MIN_TEXT_LAYER_ALNUM
        || (alnum as f32) / n < MIN_ALNUM_RATIO
        || (replacement as f32) / n > MAX_REPLACEMENT_RATIO
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_garbage_text_layers_need_ocr() {
        assert!(needs_ocr(""));
        assert!(needs_ocr("  12  \n"));
        assert!(!needs_ocr("Hello, world of PDF"));
        assert!(needs_ocr(&"\u{FFFD}a".repeat(60)));
        assert!(needs_ocr(&"@#%&*(){}[]<>~".repeat(20)));
        assert!(!needs_ocr(
            "The LinnSequencer is a state-of-the-art composition and performance tool."
        ));
    }
}
