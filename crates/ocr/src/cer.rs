//! Character error rate of OCR output against a reference text, for tests and benchmarks.
//!
//! White space is collapsed to single spaces. With [`Folding::Typography`], typographic
//! variants are folded first (curly quotes to straight ones, dashes to `-`, ligatures to
//! their letters, compatibility forms by NFKC-like rules), since references that are
//! themselves OCR output use them inconsistently; the same folding applies to every
//! engine compared.

/// How to compare characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folding {
    /// Exact characters (white space collapsed).
    None,
    /// Typographic variants folded.
    Typography,
}

fn fold(c: char, out: &mut String) {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' | '`' | '\u{00B4}' => out.push('\''),
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => out.push('"'),
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => out.push('-'),
        '\u{FB00}' => out.push_str("ff"),
        '\u{FB01}' => out.push_str("fi"),
        '\u{FB02}' => out.push_str("fl"),
        '\u{FB03}' => out.push_str("ffi"),
        '\u{FB04}' => out.push_str("ffl"),
        '\u{2026}' => out.push_str("..."),
        '\u{00A0}' | '\u{2009}' | '\u{202F}' => out.push(' '),
        c => out.push(c),
    }
}

/// The characters compared: white space collapsed, typography folded when asked.
pub fn normalise(text: &str, folding: Folding) -> Vec<char> {
    let folded = match folding {
        Folding::None => text.to_string(),
        Folding::Typography => {
            let mut s = String::with_capacity(text.len());
            for c in text.chars() {
                fold(c, &mut s);
            }
            // Runs of dashes ("--" for an em dash) count as one.
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                if !(c == '-' && out.ends_with('-')) {
                    out.push(c);
                }
            }
            out
        }
    };
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect()
}

/// Levenshtein distance between two character sequences.
pub fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Edits needed to turn `hypothesis` into `reference`, per reference character.
pub fn character_error_rate(hypothesis: &str, reference: &str, folding: Folding) -> f64 {
    let (h, r) = (
        normalise(hypothesis, folding),
        normalise(reference, folding),
    );
    edit_distance(&h, &r) as f64 / r.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_edits_per_reference_character() {
        assert_eq!(character_error_rate("abc", "abc", Folding::None), 0.0);
        assert!((character_error_rate("abd", "abc", Folding::None) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(character_error_rate("a  b\nc", "a b c", Folding::None), 0.0);
    }

    #[test]
    fn folding_treats_typographic_variants_alike_and_nothing_else() {
        let ocr = "It's the first state-of-the-art \"chain\" -- done";
        let reference = "It\u{2019}s the \u{FB01}rst state\u{2014}of\u{2014}the-art \u{201C}chain\u{201D} \u{2014} done";
        assert!(character_error_rate(ocr, reference, Folding::None) > 0.1);
        assert_eq!(
            character_error_rate(ocr, reference, Folding::Typography),
            0.0
        );
        // Real misreadings still count.
        assert!(character_error_rate("MlDI", "MIDI", Folding::Typography) > 0.2);
    }
}
