//! DB (differentiable binarisation) post-processing of the detection model's probability
//! map: threshold, connected text regions, their score, their orientation (a tilted line
//! gets a tilted rectangle, so that its crop can be rectified), and the "unclip" that
//! grows each region back to the whole text line (the model is trained on shrunk regions).

/// Pixels above this probability are text.
pub const BINARY_THRESHOLD: f32 = 0.3;
/// Regions whose mean probability is below this are dropped (PaddleOCR's default 0.6;
/// a little lower keeps faint scanned lines).
pub const BOX_THRESHOLD: f32 = 0.5;
/// How much a region is grown: by `area * ratio / perimeter` on every side.
pub const UNCLIP_RATIO: f32 = 1.6;
/// Regions with a side shorter than this many map pixels are noise.
pub const MIN_SIDE: usize = 3;
/// Lines tilted less than this (radians, about 0.6 degrees) are cropped axis-aligned: over
/// a line as long as a page is wide, such a tilt moves the baseline by less than a third
/// of a line height, which the unclipped box absorbs.
pub const MIN_TILT: f32 = 0.01;
/// Lines tilted more than this (radians, about 20 degrees) are not rectified: scanned
/// text is not that skewed, and such regions are vertical text, stamps or figures.
pub const MAX_TILT: f32 = 0.35;
/// Regions less elongated than this (length over thickness, from their second moments)
/// have no reliable direction: a short word is cropped axis-aligned.
pub const MIN_ELONGATION: f32 = 4.0;

/// A text region in some pixel space: its axis-aligned bounds `[x0, y0, x1, y1)`, the
/// rectangle it really covers (tilted for a skewed line), and the region's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    /// Corners of the line's rectangle as `[x, y]`: top-left, top-right, bottom-right,
    /// bottom-left in reading direction. Equal to the bounds' corners when not tilted.
    pub quad: [[f32; 2]; 4],
    pub score: f32,
}

impl TextBox {
    /// A box that is not tilted.
    pub fn axis_aligned(x0: f32, y0: f32, x1: f32, y1: f32, score: f32) -> Self {
        Self {
            x0,
            y0,
            x1,
            y1,
            quad: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
            score,
        }
    }

    /// Whether the line is tilted (its rectangle is not its bounds).
    pub fn is_tilted(&self) -> bool {
        self.quad[0][1] != self.quad[1][1] || self.quad[0][0] != self.quad[3][0]
    }

    /// The box scaled by `fx` horizontally and `fy` vertically.
    pub fn scaled(&self, fx: f32, fy: f32) -> Self {
        Self {
            x0: self.x0 * fx,
            y0: self.y0 * fy,
            x1: self.x1 * fx,
            y1: self.y1 * fy,
            quad: self.quad.map(|[x, y]| [x * fx, y * fy]),
            score: self.score,
        }
    }
}

/// Text boxes of a `width x height` probability map (row-major), in map pixels.
pub fn boxes(prob: &[f32], width: usize, height: usize) -> Vec<TextBox> {
    let mut seen = vec![false; width * height];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    let mut region = Vec::new();
    for start in 0..width * height {
        if seen[start] || prob[start] <= BINARY_THRESHOLD {
            continue;
        }
        // Flood-fill one 4-connected region.
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let (mut sum, mut n) = (0f32, 0usize);
        seen[start] = true;
        stack.push(start);
        region.clear();
        while let Some(i) = stack.pop() {
            region.push(i);
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
        if let Some(tilted) = tilted_box(&region, width, height, score) {
            out.push(tilted);
            continue;
        }
        let d = wf * hf * UNCLIP_RATIO / (2.0 * (wf + hf));
        out.push(TextBox::axis_aligned(
            (x0 as f32 - d).max(0.0),
            (y0 as f32 - d).max(0.0),
            ((x1 + 1) as f32 + d).min(width as f32),
            ((y1 + 1) as f32 + d).min(height as f32),
            score,
        ));
    }
    out
}

/// The tilted rectangle of a region (map pixel indices), unclipped, when the region is a
/// clearly elongated line tilted between [`MIN_TILT`] and [`MAX_TILT`].
fn tilted_box(region: &[usize], width: usize, height: usize, score: f32) -> Option<TextBox> {
    let n = region.len() as f64;
    let centre = |i: usize| ((i % width) as f64 + 0.5, (i / width) as f64 + 0.5);
    let (mut sx, mut sy) = (0f64, 0f64);
    for &i in region {
        let (x, y) = centre(i);
        sx += x;
        sy += y;
    }
    let (cx, cy) = (sx / n, sy / n);
    let (mut mxx, mut myy, mut mxy) = (0f64, 0f64, 0f64);
    for &i in region {
        let (x, y) = centre(i);
        mxx += (x - cx) * (x - cx);
        myy += (y - cy) * (y - cy);
        mxy += (x - cx) * (y - cy);
    }
    let theta = 0.5 * (2.0 * mxy).atan2(mxx - myy);
    // Eigenvalues of the covariance: spread along and across the line.
    let half_trace = (mxx + myy) / 2.0;
    let root = (((mxx - myy) / 2.0).powi(2) + mxy * mxy).sqrt();
    let (along, across) = (half_trace + root, (half_trace - root).max(1e-9));
    let tilt = theta.abs() as f32;
    if !(MIN_TILT..=MAX_TILT).contains(&tilt) || ((along / across).sqrt() as f32) < MIN_ELONGATION {
        return None;
    }
    let (u, v) = ((theta.cos(), theta.sin()), (-theta.sin(), theta.cos()));
    let (mut a0, mut a1, mut b0, mut b1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &i in region {
        let (x, y) = centre(i);
        let (a, b) = (
            (x - cx) * u.0 + (y - cy) * u.1,
            (x - cx) * v.0 + (y - cy) * v.1,
        );
        a0 = a0.min(a);
        a1 = a1.max(a);
        b0 = b0.min(b);
        b1 = b1.max(b);
    }
    // Each pixel is a unit square around its centre.
    let (a0, a1, b0, b1) = (a0 - 0.5, a1 + 0.5, b0 - 0.5, b1 + 0.5);
    let (w, h) = (a1 - a0, b1 - b0);
    let d = w * h * f64::from(UNCLIP_RATIO) / (2.0 * (w + h));
    let (a0, a1, b0, b1) = (a0 - d, a1 + d, b0 - d, b1 + d);
    let corner = |a: f64, b: f64| {
        [
            (cx + a * u.0 + b * v.0) as f32,
            (cy + a * u.1 + b * v.1) as f32,
        ]
    };
    let quad = [
        corner(a0, b0),
        corner(a1, b0),
        corner(a1, b1),
        corner(a0, b1),
    ];
    let [x0, y0, x1, y1] = quad_bounds(&quad);
    Some(TextBox {
        x0: x0.max(0.0),
        y0: y0.max(0.0),
        x1: x1.min(width as f32),
        y1: y1.min(height as f32),
        quad,
        score,
    })
}

/// The axis-aligned bounds `[x0, y0, x1, y1]` of four corners.
pub fn quad_bounds(quad: &[[f32; 2]; 4]) -> [f32; 4] {
    quad.iter().fold(
        [f32::MAX, f32::MAX, f32::MIN, f32::MIN],
        |[x0, y0, x1, y1], &[x, y]| [x0.min(x), y0.min(y), x1.max(x), y1.max(y)],
    )
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
        assert!(!b[0].is_tilted() && !b[1].is_tilted());
    }

    #[test]
    fn a_tilted_line_gets_a_tilted_rectangle_along_it() {
        // A band 4 pixels thick rising 1 pixel per 10 (about 5.7 degrees).
        let (w, h) = (120, 40);
        let mut p = vec![0f32; w * h];
        for x in 10..110 {
            let y0 = 25 - x / 10;
            for y in y0..y0 + 4 {
                p[y * w + x] = 0.9;
            }
        }
        let b = boxes(&p, w, h);
        assert_eq!(b.len(), 1, "{b:?}");
        let b = b[0];
        assert!(b.is_tilted(), "{b:?}");
        let [tl, tr, br, bl] = b.quad;
        let slope = (tr[1] - tl[1]) / (tr[0] - tl[0]);
        assert!((slope + 0.1).abs() < 0.02, "slope {slope}");
        // Left to right, top above bottom, and thinner than the axis-aligned bounds.
        assert!(tl[0] < tr[0] && bl[0] < br[0] && tl[1] < bl[1] && tr[1] < br[1]);
        let thickness = ((bl[0] - tl[0]).powi(2) + (bl[1] - tl[1]).powi(2)).sqrt();
        assert!(thickness < 14.0 && b.y1 - b.y0 > 18.0, "{thickness} {b:?}");
        assert!(b.x0 < 10.0 && b.x1 > 110.0);
    }
}
