//! Page layout from the text layer: lines with boxes and font sizes, and which lines
//! are headings (noticeably larger than the page's body text).

/// One line of a page's text layer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TextLine {
    pub text: String,
    /// `[x0, y0, x1, y1]` in points from the top-left corner of the page.
    pub bbox: [f32; 4],
    /// Font size in points (the line's height).
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
}
