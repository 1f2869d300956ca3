//! DB (differentiable binarisation) post-processing of the detection model's probability
//! map: threshold, connected text regions, their score, and the "unclip" that grows each
//! region back to the whole text line (the model is trained on shrunk regions).

/// Pixels above this probability are text.
pub const BINARY_THRESHOLD: f32 = 0.3;
/// Regions whose mean probability is below this are dropped (PaddleOCR's default 0.6;
/// a little lower keeps faint scanned lines).
pub const BOX_THRESHOLD: f32 = 0.5;
/// How much a region is grown: by `area * ratio / perimeter` on every side.
pub const UNCLIP_RATIO: f32 = 1.6;
/// Regions with a side shorter than this many map pixels are noise.
pub const MIN_SIDE: usize = 3;

/// An axis-aligned box in some pixel space, `[x0, y0, x1, y1)`, with the region's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    pub score: f32,
}

/// Text boxes of a `width x height` probability map (row-major), in map pixels.
pub fn boxes(prob: &[f32], width: usize, height: usize) -> Vec<TextBox> {
    let mut seen = vec![false; width * height];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..width * height {
        if seen[start] || prob[start] <= BINARY_THRESHOLD {
            continue;
        }
        // Flood-fill one 4-connected region.
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let (mut sum, mut n) = (0f32, 0usize);
        seen[start] = true;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
            sum += prob[i];
            n += 1;
            let mut visit = |j: usize| {
                if !seen[j] && prob[j] > BINARY_THRESHOLD {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < width {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - width);
            }
            if y + 1 < height {
                visit(i + width);
            }
        }
        let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
        let score = sum / n as f32;
        if w.min(h) < MIN_SIDE || score < BOX_THRESHOLD {
            continue;
        }
        let (wf, hf) = (w as f32, h as f32);
        let d = wf * hf * UNCLIP_RATIO / (2.0 * (wf + hf));
        out.push(TextBox {
            x0: (x0 as f32 - d).max(0.0),
            y0: (y0 as f32 - d).max(0.0),
            x1: ((x1 + 1) as f32 + d).min(width as f32),
            y1: ((y1 + 1) as f32 + d).min(height as f32),
            score,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_lines_become_two_grown_boxes_and_noise_is_dropped() {
        let (w, h) = (40, 20);
        let mut p = vec![0f32; w * h];
        for y in 3..6 {
            for x in 5..30 {
                p[y * w + x] = 0.9;
            }
        }
        for y in 12..15 {
            for x in 2..20 {
                p[y * w + x] = 0.8;
            }
        }
        p[18 * w + 38] = 0.95; // a speck
        for y in 16..19 {
            for x in 30..36 {
                p[y * w + x] = 0.35; // faint: below the box threshold
            }
        }
        let b = boxes(&p, w, h);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(b[0].x0 < 5.0 && b[0].x1 > 30.0 && b[0].y0 < 3.0 && b[0].y1 > 6.0);
        assert!((b[0].score - 0.9).abs() < 1e-5);
        assert!(b[1].y0 > 8.0);
    }
}
