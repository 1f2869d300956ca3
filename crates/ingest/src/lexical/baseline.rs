//! The plain BM25 baseline `plait eval` prints beside plait's modes: Okapi BM25
//! (k1 = 1.2, b = 0.75) over whole functions and whole pages (a chunk location's text,
//! the pieces of one symbol or one page joined), lowercased alphanumeric words, no
//! stemming, no fields. A lexical mode worth fusing must beat it.

use std::collections::HashMap;

use crate::manifest::ChunkRecord;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// A unit's place in its file: the lines its pieces span (code), or its page (PDFs).
type Place = (Option<(usize, usize)>, Option<usize>);

/// A BM25 index over the units of one index's chunks.
#[derive(Debug, Default)]
pub struct Bm25Baseline {
    /// Each unit's file path.
    paths: Vec<String>,
    /// Each unit's place in its file.
    places: Vec<Place>,
    /// Each unit's length in words.
    lengths: Vec<u32>,
    /// Term → (unit, term frequency).
    postings: HashMap<String, Vec<(u32, u32)>>,
    average_length: f64,
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

impl Bm25Baseline {
    /// Builds the index: chunks of the same file and symbol (code) or the same file and
    /// page (PDFs) form one unit, their texts joined in order.
    pub fn build(chunks: &[ChunkRecord]) -> Self {
        let mut units: Vec<(String, String)> = Vec::new();
        let mut places: Vec<Place> = Vec::new();
        let mut unit_of: HashMap<(String, Option<String>, Option<usize>), usize> = HashMap::new();
        for c in chunks {
            let path = c.path.to_string_lossy().into_owned();
            let key = (path.clone(), c.symbol.clone(), c.page);
            let i = *unit_of.entry(key).or_insert_with(|| {
                units.push((path, String::new()));
                places.push((None, c.page));
                units.len() - 1
            });
            units[i].1.push('\n');
            units[i].1.push_str(&c.text);
            if let Some((a, b)) = c.lines {
                let span = places[i].0.get_or_insert((a, b));
                *span = (span.0.min(a), span.1.max(b));
            }
        }
        let mut me = Self {
            places,
            ..Self::default()
        };
        for (u, (path, text)) in units.into_iter().enumerate() {
            let mut tf: HashMap<String, u32> = HashMap::new();
            let mut len = 0u32;
            for w in words(&text) {
                *tf.entry(w).or_default() += 1;
                len += 1;
            }
            for (w, n) in tf {
                me.postings.entry(w).or_default().push((u as u32, n));
            }
            me.paths.push(path);
            me.lengths.push(len);
        }
        let total: f64 = me.lengths.iter().map(|&l| f64::from(l)).sum();
        me.average_length = total / me.lengths.len().max(1) as f64;
        me
    }

    /// The units' file paths ranked for `query`, best first, each file once, at most `n`.
    pub fn ranked_paths(&self, query: &str, n: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for u in self.ranked(query) {
            if out.len() >= n {
                break;
            }
            if !out.contains(&u.path) {
                out.push(u.path);
            }
        }
        out
    }

    /// The units ranked for `query`, best first, with their scores and places (every
    /// unit holding a word of it).
    pub fn ranked(&self, query: &str) -> Vec<BaselineUnit> {
        let mut scores: HashMap<u32, f64> = HashMap::new();
        let count = self.paths.len() as f64;
        let mut seen = std::collections::HashSet::new();
        for w in words(query) {
            if !seen.insert(w.clone()) {
                continue;
            }
            let Some(list) = self.postings.get(&w) else {
                continue;
            };
            let df = list.len() as f64;
            let idf = ((count - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(u, tf) in list {
                let tf = f64::from(tf);
                let norm = 1.0 - B + B * f64::from(self.lengths[u as usize]) / self.average_length;
                *scores.entry(u).or_default() += idf * tf * (K1 + 1.0) / (tf + K1 * norm);
            }
        }
        let mut ranked: Vec<(u32, f64)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .map(|(u, score)| {
                let (lines, page) = self.places[u as usize];
                BaselineUnit {
                    path: self.paths[u as usize].clone(),
                    lines,
                    page,
                    score,
                }
            })
            .collect()
    }
}

/// One unit of the baseline as ranked: its file, the lines its pieces span (code) or
/// its page (PDFs), and its BM25 score.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineUnit {
    pub path: String,
    pub lines: Option<(usize, usize)>,
    pub page: Option<usize>,
    pub score: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(path: &str, symbol: Option<&str>, text: &str) -> ChunkRecord {
        let lines = match text {
            "then return the page" => (3, 4),
            _ => (1, 1),
        };
        ChunkRecord {
            path: path.into(),
            index: "code".into(),
            key: 0,
            lines: Some(lines),
            page: None,
            symbol: symbol.map(str::to_string),
            container: None,
            kind: "function".into(),
            language: None,
            context: String::new(),
            text: text.into(),
        }
    }

    #[test]
    fn rarer_words_and_shorter_units_rank_first() {
        let chunks = [
            chunk("a.py", Some("f"), "encrypt the page with a password"),
            chunk("a.py", Some("f"), "then return the page"),
            chunk("b.py", Some("g"), "merge the page trees page page"),
            chunk("c.py", Some("h"), "the the the the"),
        ];
        let bm = Bm25Baseline::build(&chunks);
        assert_eq!(bm.paths.len(), 3, "a.py's two pieces of f are one unit");
        assert_eq!(bm.ranked_paths("password page", 10), ["a.py", "b.py"]);
        assert_eq!(bm.ranked_paths("page", 10)[0], "b.py");
        assert!(bm.ranked_paths("zeppelin", 10).is_empty());
        assert_eq!(bm.ranked_paths("the page", 1).len(), 1);
        let units = bm.ranked("password");
        assert_eq!(units.len(), 1);
        assert_eq!(
            (units[0].path.as_str(), units[0].lines),
            ("a.py", Some((1, 4)))
        );
        assert!(units[0].score > 0.0);
    }
}
