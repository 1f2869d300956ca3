//! Reading order of recognised lines: top to bottom, column by column on two-column pages,
//! measured in the frame of the page's own skew so that a tilted scan reads like a level
//! one.

use super::db::{quad_bounds, TextBox};
use super::OcrLine;

/// Share of lines that may cross a column gutter (titles, full-width paragraphs).
const GUTTER_MAX_CROSSING: f32 = 0.3;
/// Lines needed on each side of a gutter for the page to count as two columns.
const GUTTER_MIN_LINES: usize = 3;
/// Lines at least this many times longer than thick vote on the page's skew; shorter
/// ones (single words) have no reliable direction.
const SKEW_MIN_ELONGATION: f32 = 4.0;

/// Lines sorted for reading. A page with a gutter (an x position in the middle of the
/// text that few lines cross, with text on both sides) is read column by column between
/// the lines that span it (titles, full-width paragraphs); otherwise top to bottom, left
/// to right within a row.
pub fn reading_order(lines: Vec<OcrLine>) -> Vec<OcrLine> {
    let boxes: Vec<[f32; 4]> = lines.iter().map(|l| l.bbox).collect();
    permute(lines, &order(&boxes))
}

/// `items` rearranged so that position `k` holds `items[order[k]]`.
pub(super) fn permute<T>(items: Vec<T>, order: &[usize]) -> Vec<T> {
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order.iter().filter_map(|&i| slots[i].take()).collect()
}

/// Boxes `[x0, y0, x1, y1]` to order the lines of one page by: the bounds of each line's
/// rectangle turned level by the page's skew (the median direction of its long lines).
pub(super) fn deskewed_bounds(boxes: &[TextBox]) -> Vec<[f32; 4]> {
    let mut angles: Vec<f32> = boxes
        .iter()
        .filter_map(|b| {
            let [tl, tr, _, bl] = b.quad;
            let along = ((tr[0] - tl[0]).powi(2) + (tr[1] - tl[1]).powi(2)).sqrt();
            let across = ((bl[0] - tl[0]).powi(2) + (bl[1] - tl[1]).powi(2)).sqrt();
            (along >= SKEW_MIN_ELONGATION * across).then(|| (tr[1] - tl[1]).atan2(tr[0] - tl[0]))
        })
        .collect();
    angles.sort_by(f32::total_cmp);
    let skew = angles.get(angles.len() / 2).copied().unwrap_or(0.0);
    let (sin, cos) = (-skew).sin_cos();
    boxes
        .iter()
        .map(|b| quad_bounds(&b.quad.map(|[x, y]| [x * cos - y * sin, x * sin + y * cos])))
        .collect()
}

/// Indices of `boxes` in reading order (see [`reading_order`]).
pub(super) fn order(boxes: &[[f32; 4]]) -> Vec<usize> {
    let all: Vec<usize> = (0..boxes.len()).collect();
    let Some(gutter) = find_gutter(boxes) else {
        return rows(boxes, all);
    };
    let mut sorted = all;
    sorted.sort_by(|&a, &b| boxes[a][1].total_cmp(&boxes[b][1]));
    let mut out = Vec::with_capacity(sorted.len());
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for i in sorted {
        let b = boxes[i];
        if b[0] < gutter && b[2] > gutter {
            out.extend(rows(boxes, std::mem::take(&mut left)));
            out.extend(rows(boxes, std::mem::take(&mut right)));
            out.push(i);
        } else if b[2] <= gutter {
            left.push(i);
        } else {
            right.push(i);
        }
    }
    out.extend(rows(boxes, left));
    out.extend(rows(boxes, right));
    out
}

fn find_gutter(boxes: &[[f32; 4]]) -> Option<f32> {
    if boxes.len() < 2 * GUTTER_MIN_LINES {
        return None;
    }
    let x0 = boxes.iter().map(|b| b[0]).fold(f32::MAX, f32::min);
    let x1 = boxes.iter().map(|b| b[2]).fold(f32::MIN, f32::max);
    let width = x1 - x0;
    let mut best: Option<(usize, f32)> = None;
    for step in 30..=70 {
        let x = x0 + width * step as f32 / 100.0;
        let crossing = boxes.iter().filter(|b| b[0] < x && b[2] > x).count();
        let left = boxes.iter().filter(|b| b[2] <= x).count();
        let right = boxes.iter().filter(|b| b[0] >= x).count();
        if left >= GUTTER_MIN_LINES
            && right >= GUTTER_MIN_LINES
            && (crossing as f32) <= GUTTER_MAX_CROSSING * boxes.len() as f32
            && best.is_none_or(|(c, _)| crossing < c)
        {
            best = Some((crossing, x));
        }
    }
    best.map(|(_, x)| x)
}

/// Top to bottom; lines whose vertical centres are within half a line height share a
/// row, read left to right.
fn rows(boxes: &[[f32; 4]], mut ids: Vec<usize>) -> Vec<usize> {
    ids.sort_by(|&a, &b| boxes[a][1].total_cmp(&boxes[b][1]));
    let mut rows: Vec<Vec<usize>> = Vec::new();
    for i in ids {
        let b = boxes[i];
        let centre = (b[1] + b[3]) / 2.0;
        let height = b[3] - b[1];
        match rows.last_mut() {
            Some(row)
                if row.iter().any(|&j| {
                    let l = boxes[j];
                    ((l[1] + l[3]) / 2.0 - centre).abs() < 0.5 * height.min(l[3] - l[1])
                }) =>
            {
                row.push(i);
            }
            _ => rows.push(vec![i]),
        }
    }
    rows.into_iter()
        .flat_map(|mut row| {
            row.sort_by(|&a, &b| boxes[a][0].total_cmp(&boxes[b][0]));
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, x0: f32, y0: f32, x1: f32) -> OcrLine {
        OcrLine {
            text: text.into(),
            bbox: [x0, y0, x1, y0 + 10.0],
            confidence: 1.0,
        }
    }

    #[test]
    fn two_columns_are_read_column_by_column_between_spanning_lines() {
        let lines = vec![
            line("R1", 110.0, 20.0, 190.0),
            line("Title", 0.0, 0.0, 200.0),
            line("L1", 0.0, 20.0, 90.0),
            line("L2", 0.0, 35.0, 90.0),
            line("R2", 110.0, 35.0, 190.0),
            line("L3", 0.0, 50.0, 90.0),
            line("R3", 110.0, 50.0, 190.0),
            line("Footer", 0.0, 70.0, 200.0),
        ];
        let order: Vec<String> = reading_order(lines).into_iter().map(|l| l.text).collect();
        assert_eq!(
            order,
            ["Title", "L1", "L2", "L3", "R1", "R2", "R3", "Footer"]
        );
    }

    #[test]
    fn a_single_column_is_read_by_rows() {
        let lines = vec![
            line("b", 50.0, 0.0, 90.0),
            line("a", 0.0, 1.0, 40.0),
            line("c", 0.0, 20.0, 90.0),
        ];
        let order: Vec<String> = reading_order(lines).into_iter().map(|l| l.text).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }

    /// A line of a page tilted by `angle` (radians): the level rectangle
    /// `[x0, y0] .. [x0 + len, y0 + 10]` turned about the origin.
    fn tilted(x0: f32, y0: f32, len: f32, angle: f32) -> TextBox {
        let (sin, cos) = angle.sin_cos();
        let turn = |x: f32, y: f32| [x * cos - y * sin, x * sin + y * cos];
        let quad = [
            turn(x0, y0),
            turn(x0 + len, y0),
            turn(x0 + len, y0 + 10.0),
            turn(x0, y0 + 10.0),
        ];
        let [x0, y0, x1, y1] = quad_bounds(&quad);
        TextBox {
            x0,
            y0,
            x1,
            y1,
            quad,
            score: 1.0,
        }
    }

    #[test]
    fn lines_of_a_skewed_page_are_read_in_their_own_order() {
        // Lines 14 apart on a page turned by -3 degrees: the bounds of neighbouring long
        // lines overlap by more than half their height, and the second line starts a
        // pixel left of the first.
        let angle = -3f32.to_radians();
        let boxes = vec![
            tilted(0.0, 28.0, 600.0, angle),
            tilted(0.0, 0.0, 600.0, angle),
            tilted(0.0, 42.0, 120.0, angle),
            tilted(-1.0, 14.0, 580.0, angle),
        ];
        // By raw bounds the first two lines share a row and swap.
        let raw: Vec<[f32; 4]> = boxes.iter().map(|b| [b.x0, b.y0, b.x1, b.y1]).collect();
        assert_ne!(order(&raw), [1, 3, 0, 2]);
        assert_eq!(order(&deskewed_bounds(&boxes)), [1, 3, 0, 2]);
        assert_eq!(
            permute(vec!['a', 'b', 'c', 'd'], &[1, 3, 0, 2]),
            ['b', 'd', 'a', 'c']
        );
    }
}
