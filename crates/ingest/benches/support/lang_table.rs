//! Chunking alone over a tree, per language: files, chunks, the share of chunks that carry
//! a symbol, and files/s (the production path: `code_chunker` then `chunk_bounded`, tokens
//! counted by the encoder's tokenizer, one thread). Shared by the chunking and ingest
//! benchmarks.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use plait_colbert::Encoder;
use plait_ingest::{
    chunk_bounded, code_chunker, decode_text, discover, ChunkBudget, DiscoverConfig, FileKind,
    SyntaxChunker, TokenCounter,
};

struct Tokens<'a>(&'a dyn Encoder);

impl TokenCounter for Tokens<'_> {
    fn count(&self, text: &str) -> usize {
        self.0.count_tokens(text)
    }
}

#[derive(Default)]
struct Tally {
    files: usize,
    bytes: usize,
    chunks: usize,
    named: usize,
    time: Duration,
}

impl Tally {
    fn add(&mut self, t: &Tally) {
        self.files += t.files;
        self.bytes += t.bytes;
        self.chunks += t.chunks;
        self.named += t.named;
        self.time += t.time;
    }

    fn row(&self, name: &str) -> String {
        format!(
            "{name:<12} {:>6} {:>5.1} {:>7}  {:>10.1}%  {:>7.0}",
            self.files,
            self.bytes as f64 / 1e6,
            self.chunks,
            100.0 * self.named as f64 / self.chunks.max(1) as f64,
            self.files as f64 / self.time.as_secs_f64().max(1e-9)
        )
    }
}

/// The first words of a chunk's first non-blank line: what a chunk without a symbol
/// starts with (`import`, `//`, `const`), to see which kinds of code lack one.
fn shape(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let word: String = line
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '#')
        .collect();
    if word.is_empty() {
        line.chars().take(2).collect()
    } else {
        word
    }
}

/// Chunks every code file under `roots` and prints the table (and, when `why` is set,
/// what the chunks without a symbol start with, per language); returns the share of
/// chunks with a symbol over the languages chunked along their syntax tree.
pub fn print(roots: &[PathBuf], encoder: &dyn Encoder, why: bool) -> f64 {
    let counter = Tokens(encoder);
    let budget = ChunkBudget::default();
    let (found, _) = discover(roots, &DiscoverConfig::default());
    let mut by_lang: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut missing: BTreeMap<&'static str, BTreeMap<String, usize>> = BTreeMap::new();
    for f in &found {
        let FileKind::Code(lang) = f.kind else {
            continue;
        };
        let bytes = std::fs::read(&f.path).unwrap();
        let Ok(text) = decode_text(&f.path, &bytes) else {
            continue;
        };
        let started = Instant::now();
        let chunker = code_chunker(lang.name());
        let chunks = chunk_bounded(&*chunker, &text, &counter, &budget).chunks;
        let t = by_lang.entry(lang.name()).or_default();
        t.time += started.elapsed();
        t.files += 1;
        t.bytes += bytes.len();
        t.chunks += chunks.len();
        t.named += chunks.iter().filter(|c| c.symbol.is_some()).count();
        for c in chunks.iter().filter(|c| c.symbol.is_none()) {
            *missing
                .entry(lang.name())
                .or_default()
                .entry(shape(&c.text))
                .or_default() += 1;
        }
    }
    println!("chunking alone (one thread; * = chunked along its syntax tree):");
    println!("language      files    MB  chunks  with symbol  files/s");
    let (mut all, mut syntax) = (Tally::default(), Tally::default());
    for (lang, t) in &by_lang {
        let supported = SyntaxChunker::for_language(lang).is_some();
        let name = format!("{lang}{}", if supported { " *" } else { "" });
        println!("{}", t.row(&name));
        all.add(t);
        if supported {
            syntax.add(t);
        }
    }
    println!(
        "{}   ({:.1} s chunking)",
        all.row("all"),
        all.time.as_secs_f64()
    );
    if why {
        println!("chunks without a symbol, by what they start with (most frequent first):");
        for (lang, shapes) in &missing {
            let mut shapes: Vec<_> = shapes.iter().collect();
            shapes.sort_by(|a, b| b.1.cmp(a.1));
            let top: Vec<String> = shapes
                .iter()
                .take(8)
                .map(|(s, n)| format!("{s:?} {n}"))
                .collect();
            println!("  {lang:<11} {}", top.join(", "));
        }
    }
    let share = syntax.named as f64 / syntax.chunks.max(1) as f64;
    println!("{}   (with symbol: goal >= 90%)", syntax.row("syntax *"));
    share
}
