//! Labelled places (`path`, `path:START-END`, `path p.N`) and whether a stretch of a
//! file (a search hit, a cited source, a baseline's function or page) is at one: what
//! both the answer scores (`eval.rs`) and the retrieval scores (`retrieval_eval.rs`)
//! judge by.

use plait_ingest::Hit;

/// A stretch of a file: its path with the lines or the page it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretch<'a> {
    pub path: &'a str,
    pub lines: Option<(usize, usize)>,
    pub page: Option<usize>,
}

impl<'a> From<&'a Hit> for Stretch<'a> {
    fn from(h: &'a Hit) -> Self {
        Self {
            path: &h.path,
            lines: h.start_line.zip(h.end_line),
            page: h.page,
        }
    }
}

impl Stretch<'_> {
    /// Whether it is at the labelled place `spec`: the same file (`spec`'s path a suffix
    /// of its path, whole components) and, when `spec` names them, overlapping lines or
    /// the same page. A malformed spec matches nothing.
    pub fn is_at(&self, spec: &str) -> bool {
        let Ok((want, at)) = parse_place(spec) else {
            return false;
        };
        let same_file = self.path == want || self.path.ends_with(&format!("/{want}"));
        same_file
            && match at {
                Place::File => true,
                Place::Page(p) => self.page == Some(p),
                Place::Lines(a, b) => self.lines.is_some_and(|(s, e)| s <= b && a <= e),
            }
    }
}

/// A labelled place: `path`, `path:START-END` (1-based, inclusive) or `path p.N`
/// (1-based physical page).
pub(crate) fn parse_place(spec: &str) -> Result<(&str, Place), String> {
    let number = |t: &str| match t.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{spec:?}: {t:?} is not a line or page number (from 1)"
        )),
    };
    if let Some((path, page)) = spec.rsplit_once(" p.") {
        return Ok((path, Place::Page(number(page)?)));
    }
    match spec.rsplit_once(':') {
        Some((path, lines)) => {
            let (a, b) = lines
                .split_once('-')
                .ok_or_else(|| format!("{spec:?}: lines are written START-END"))?;
            let (a, b) = (number(a)?, number(b)?);
            if a > b {
                return Err(format!("{spec:?}: the range ends before it starts"));
            }
            Ok((path, Place::Lines(a, b)))
        }
        None => Ok((spec, Place::File)),
    }
}

pub(crate) enum Place {
    File,
    Page(usize),
    Lines(usize, usize),
}
