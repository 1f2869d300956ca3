//! Properties of the syntax chunker over every real code excerpt in `fixtures/code`:
//! each line is covered exactly once, in order, and every chunk keeps the budget, for
//! any budget.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};

use plait_ingest::{
    chunk_bounded, ApproxTokenCounter, ChunkBudget, Chunker, SyntaxChunker, TokenCounter,
    MAX_CONTEXT_CHARS,
};
use proptest::prelude::*;

/// Every excerpt with the chunker of its folder's language.
fn fixtures() -> Vec<(PathBuf, String, SyntaxChunker)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/code");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let lang = dir.file_name().unwrap().to_string_lossy().into_owned();
        let chunker = SyntaxChunker::for_language(&lang).unwrap();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.to_string_lossy().ends_with(".chunks.json") {
                continue;
            }
            let source = std::fs::read_to_string(&f).unwrap();
            out.push((f, source, chunker));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 12, "{} excerpts", out.len());
    out
}

/// Coverage and bounds of one file under one budget.
fn check(path: &Path, source: &str, chunker: &SyntaxChunker, budget: &ChunkBudget) {
    let counter = ApproxTokenCounter;
    // The chunker alone: every line once, in order, lines numbered consecutively (a
    // line over budget cut into pieces, as the line chunker a stalled parse falls back
    // to does, keeps its number in each piece).
    let raw = chunker.chunk(source, &counter, budget);
    let joined: String = raw.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(joined, source, "{}", path.display());
    let mut next = 1;
    for c in &raw {
        assert_eq!(c.start_line, next, "{}", path.display());
        assert!(c.end_line >= c.start_line);
        assert_eq!(
            c.text.split_inclusive('\n').count(),
            c.end_line - c.start_line + 1,
            "{}:{}",
            path.display(),
            c.start_line
        );
        next = if c.text.ends_with('\n') {
            c.end_line + 1
        } else {
            c.end_line
        };
    }
    // Held to the budget: still every line once, and every chunk within bounds.
    let b = chunk_bounded(chunker, source, &counter, budget);
    let joined: String = b.chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(joined, source, "{}", path.display());
    for c in &b.chunks {
        assert!(c.text.chars().count() <= budget.max_chars);
        assert!(
            counter.count(&c.text) <= budget.max_tokens,
            "{}:{}-{}",
            path.display(),
            c.start_line,
            c.end_line
        );
        assert!(c.context.chars().count() <= MAX_CONTEXT_CHARS);
    }
}

#[test]
fn the_default_budget_covers_every_excerpt_and_names_most_chunks() {
    let budget = ChunkBudget::DEFAULT;
    let (mut chunks, mut named) = (0, 0);
    for (path, source, chunker) in fixtures() {
        check(&path, &source, &chunker, &budget);
        let b = chunk_bounded(&chunker, &source, &ApproxTokenCounter, &budget);
        let with_symbol = b.chunks.iter().filter(|c| c.symbol.is_some()).count();
        assert!(
            with_symbol > 0,
            "{}: no chunk carries a symbol",
            path.display()
        );
        chunks += b.chunks.len();
        named += with_symbol;
    }
    // Module code (imports, licence headers) has no symbol; definitions do.
    assert!(
        named * 10 >= chunks * 7,
        "{named} of {chunks} chunks carry a symbol"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_budget_covers_every_line_once_within_bounds(
        max_tokens in 8usize..400,
        min_frac in 0usize..100,
        max_chars in 80usize..4_000,
    ) {
        let budget = ChunkBudget {
            max_tokens,
            min_tokens: max_tokens * min_frac / 100,
            max_chars,
        };
        for (path, source, chunker) in fixtures() {
            check(&path, &source, &chunker, &budget);
        }
    }

    /// Broken code (an excerpt cut anywhere, leaving unclosed scopes and error regions)
    /// is still covered once, within bounds.
    #[test]
    fn code_cut_anywhere_is_covered_once_within_bounds(
        which in 0usize..1_000,
        cut in 0.0f64..1.0,
        drop_newline in proptest::bool::ANY,
    ) {
        let all = fixtures();
        let (path, source, chunker) = &all[which % all.len()];
        let mut at = (source.len() as f64 * cut) as usize;
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        let mut head = source[..at].to_string();
        if drop_newline {
            head = head.trim_end_matches('\n').to_string();
        } else if !head.ends_with('\n') {
            head.push('\n');
        }
        check(path, &head, chunker, &ChunkBudget::DEFAULT);
    }
}

/// Pieces of code in many languages, for random sources.
const PIECES: &[&str] = &[
    "class A {\n",
    "}\n",
    "def f(x):\n",
    "    return x\n",
    "fn g() {\n",
    "end\n",
    "namespace N {\n",
    "public void M() {\n",
    "object O {\n",
    "func (a *A) Run() {\n",
    "function h()\n",
    "  local y = 1\n",
    "/* comment\n",
    "*/\n",
    "# note\n",
    "\n",
    "#define X 1\n",
    "template <typename T>\n",
    "@decorator\n",
    "<?php\n",
    "\"str\n",
    "impl T for U {\n",
    "  let z = [1, 2,\n",
    "]);\n",
    "module M\n",
    "é😀 ünïcode\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Every language's chunker covers any mix of code-like lines once, within bounds
    /// (languages without a real excerpt, C# and Scala, included).
    #[test]
    fn every_language_covers_random_code_once(
        picks in proptest::collection::vec(0usize..PIECES.len(), 0..120),
        max_tokens in 8usize..200,
    ) {
        let source: String = picks.iter().map(|&i| PIECES[i]).collect();
        let budget = ChunkBudget { max_tokens, min_tokens: max_tokens / 4, max_chars: 2_000 };
        for spec in plait_ingest::chunk::SPECS {
            let chunker = SyntaxChunker::new(spec);
            check(Path::new(spec.name), &source, &chunker, &budget);
        }
    }
}

/// A mix proptest once found: the Kotlin grammar stalls on it, so the file is chunked
/// by lines, and a line over the budget of 9 tokens is cut in two pieces of line 8.
#[test]
fn kotlin_covers_a_found_mix_once() {
    let picks = [
        6, 21, 5, 20, 20, 21, 23, 9, 22, 24, 25, 25, 3, 3, 25, 8, 18, 13, 24, 0, 23, 13, 9, 22, 14,
        10, 7,
    ];
    let source: String = picks.iter().map(|&i| PIECES[i]).collect();
    let budget = ChunkBudget {
        max_tokens: 9,
        min_tokens: 2,
        max_chars: 2_000,
    };
    let spec = plait_ingest::chunk::spec_for("kotlin").unwrap();
    let chunker = SyntaxChunker::new(spec);
    let chunks = chunker.chunk(&source, &ApproxTokenCounter, &budget);
    let cut: Vec<(usize, usize)> = chunks
        .iter()
        .filter(|c| !c.text.ends_with('\n'))
        .map(|c| (c.start_line, c.end_line))
        .collect();
    assert!(cut.contains(&(7, 8)), "{cut:?}");
    check(Path::new("kotlin"), &source, &chunker, &budget);
}
