//! Page layout from the text layer: lines with boxes and font sizes, and which lines
//! are headings (noticeably larger than the page's body text).

/// One line of a page's text layer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TextLine {
    pub text: String,
    /// `[x0, y0, x1, y1]` in points from the top-left corner of the page.
    pub bbox: [f32; 4],
    /// Font size in points: the size the PDF sets for the text layer (the largest on
    /// the line), the box height for OCR'd lines.
    pub font_size: f32,
}

/// A line this much larger than the body text (the median size, weighted by characters)
/// is a heading: 20% is above the size jitter of body text and below the usual step
/// from body to section titles.
pub const HEADING_SIZE_RATIO: f32 = 1.2;
/// Headings are short; longer "large" lines are pull quotes or title pages.
pub const HEADING_MAX_CHARS: usize = 120;

/// The headings among `(text, size)` lines, in order.
pub fn headings<'a>(lines: impl IntoIterator<Item = (&'a str, f32)>) -> Vec<String> {
    let lines: Vec<(&str, f32)> = lines
        .into_iter()
        .filter(|(t, s)| !t.trim().is_empty() && *s > 0.0)
        .collect();
    let mut sizes: Vec<(f32, usize)> = lines
        .iter()
        .map(|(t, s)| (*s, t.trim().chars().count()))
        .collect();
    sizes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: usize = sizes.iter().map(|s| s.1).sum();
    let mut seen = 0;
    let mut body = 0.0;
    for (size, n) in &sizes {
        seen += n;
        if seen * 2 >= total {
            body = *size;
            break;
        }
    }
    lines
        .iter()
        .filter(|(t, s)| {
            let t = t.trim();
            *s >= body * HEADING_SIZE_RATIO
                && t.chars().count() <= HEADING_MAX_CHARS
                && t.chars().any(char::is_alphabetic)
        })
        .map(|(t, _)| t.trim().to_string())
        .collect()
}

/// The page's visual rows: text-layer segments that sit side by side on one line
/// (their vertical extents overlap by more than half the smaller one) joined into one
/// line with the box around them, top to bottom. PDFium splits a line wherever the font
/// changes; a reader sees one line.
pub fn rows(lines: &[TextLine]) -> Vec<TextLine> {
    let mut out: Vec<TextLine> = Vec::new();
    for l in lines {
        let joined = out.last_mut().filter(|r| {
            let overlap = r.bbox[3].min(l.bbox[3]) - r.bbox[1].max(l.bbox[1]);
            let smaller = (r.bbox[3] - r.bbox[1]).min(l.bbox[3] - l.bbox[1]).max(0.1);
            overlap > smaller / 2.0 && l.bbox[0] >= r.bbox[0]
        });
        match joined {
            Some(r) => {
                r.text.push_str(&l.text);
                r.bbox = [
                    r.bbox[0].min(l.bbox[0]),
                    r.bbox[1].min(l.bbox[1]),
                    r.bbox[2].max(l.bbox[2]),
                    r.bbox[3].max(l.bbox[3]),
                ];
                r.font_size = r.font_size.max(l.font_size);
            }
            None => out.push(l.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn larger_short_lines_are_headings() {
        let body = "body text of the page that goes on for a while";
        let lines = [
            ("1 Introduction", 14.0),
            (body, 10.0),
            (body, 10.2),
            ("2 Methods", 14.0),
            (body, 9.8),
            ("   ", 30.0),
            ("12", 16.0),
        ];
        assert_eq!(headings(lines), ["1 Introduction", "2 Methods"]);
        assert!(headings([(body, 10.0), (body, 10.0)]).is_empty());
    }

    #[test]
    fn segments_of_one_line_join_into_a_row() {
        let seg = |t: &str, b: [f32; 4]| TextLine {
            text: t.into(),
            bbox: b,
            font_size: b[3] - b[1],
        };
        let lines = [
            seg("however, ", [57.0, 64.5, 98.5, 73.5]),
            seg("did not last ", [104.0, 64.5, 163.0, 72.1]),
            seg("gerous ", [57.0, 78.9, 87.6, 86.4]),
            seg("for use.", [94.5, 76.5, 129.5, 84.1]),
        ];
        let r = rows(&lines);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].text, "however, did not last ");
        assert_eq!(r[0].bbox, [57.0, 64.5, 163.0, 73.5]);
        assert_eq!(r[1].text, "gerous for use.");
    }
}
