//! Golden tests of the chunkers: each input under tests/golden, and each excerpt of real
//! code under `fixtures/code/<language>/`, has the expected chunk list beside it
//! (`<name>.chunks.json`). Run with `UPDATE_GOLDEN=1` to rewrite the expected files after
//! an intended change, then review the diff.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;

use plait_ingest::{
    ApproxTokenCounter, ChunkBudget, Chunker, MarkdownChunker, PythonChunker, SyntaxChunker,
};

/// Small limits so splitting and merging show up in small inputs.
const BUDGET: ChunkBudget = ChunkBudget {
    max_tokens: 60,
    min_tokens: 12,
    max_chars: 2_000,
};

fn check(dir: &str, chunker: &dyn Chunker) {
    check_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(dir),
        chunker,
    );
}

/// The folder of real code excerpts (one sub-folder per language name).
fn code_fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/code")
}

fn check_dir(root: &Path, chunker: &dyn Chunker) {
    let mut inputs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".chunks.json"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    for input in inputs {
        let source = std::fs::read_to_string(&input).unwrap();
        let chunks = chunker.chunk(&source, &ApproxTokenCounter, &BUDGET);
        // Every line exactly once, in order.
        let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            joined,
            source,
            "{}: chunks do not cover the file",
            input.display()
        );
        for w in chunks.windows(2) {
            assert_eq!(w[0].end_line + 1, w[1].start_line, "{}", input.display());
        }
        let summary: Vec<serde_json::Value> = chunks
            .iter()
            .map(|c| {
                let mut v = serde_json::json!({
                    "kind": c.kind,
                    "symbol": c.symbol,
                    "lines": format!("{}-{}", c.start_line, c.end_line),
                    "context": c.context,
                });
                // Shown only where there is one, so chunks at top level read as before.
                if let Some(container) = &c.container {
                    v["container"] = serde_json::json!(container);
                }
                v
            })
            .collect();
        let got = serde_json::to_string_pretty(&summary).unwrap() + "\n";
        let expected_path = input.with_extension(format!(
            "{}.chunks.json",
            input.extension().unwrap().to_string_lossy()
        ));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "missing {}: run with UPDATE_GOLDEN=1 and review it",
                expected_path.display()
            )
        });
        assert_eq!(
            got,
            expected,
            "{} differs from its golden file",
            input.display()
        );
    }
}

#[test]
fn python_chunks_match_the_golden_files() {
    check("python", &PythonChunker);
}

/// Every language folder under `fixtures/code` is checked with its syntax chunker.
#[test]
fn real_code_chunks_match_the_golden_files() {
    let mut langs: Vec<_> = std::fs::read_dir(code_fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    langs.sort();
    assert!(langs.len() >= 12, "{} language folders", langs.len());
    for dir in langs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let chunker = SyntaxChunker::for_language(&name)
            .unwrap_or_else(|| panic!("no syntax chunker for fixtures/code/{name}"));
        check_dir(&dir, &chunker);
    }
}

#[test]
fn markdown_chunks_match_the_golden_files() {
    check("markdown", &MarkdownChunker);
}

use plait_testkit as assets;

/// Real modules (pypdf's, from the quick-start sample): full coverage, every chunk
/// within budget unless one line alone exceeds it, and definitions found.
#[test]
fn real_python_modules_are_covered_within_budget() {
    let budget = ChunkBudget::default();
    let counter = ApproxTokenCounter;
    let mut symbols = 0;
    for name in ["filters.py", "_utils.py", "pagerange.py", "papersizes.py"] {
        let path = assets::asset(&format!("samples/quickstart/code/{name}"));
        let source = std::fs::read_to_string(&path).unwrap();
        let chunks = PythonChunker.chunk(&source, &counter, &budget);
        let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(joined, source, "{name}");
        for c in &chunks {
            let tokens = plait_ingest::TokenCounter::count(&counter, &c.text);
            let single_line = c.start_line == c.end_line;
            assert!(
                tokens <= budget.max_tokens || single_line,
                "{name}:{}-{} has {tokens} tokens",
                c.start_line,
                c.end_line
            );
        }
        symbols += chunks.iter().filter(|c| c.symbol.is_some()).count();
    }
    assert!(symbols > 40, "only {symbols} chunks with symbols");
    let filters =
        std::fs::read_to_string(assets::asset("samples/quickstart/code/filters.py")).unwrap();
    let chunks = PythonChunker.chunk(&filters, &counter, &budget);
    assert!(
        chunks
            .iter()
            .any(|c| c.kind == plait_ingest::ChunkKind::Method
                && c.symbol
                    .as_deref()
                    .is_some_and(|s| s.starts_with("FlateDecode."))
                && c.context.starts_with("class FlateDecode")),
        "methods of FlateDecode carry their class"
    );
}
