//! One syntax-aware chunker for every language with a tree-sitter grammar, driven by a
//! [`LanguageSpec`] per language (`langs.rs`).
//!
//! Units are functions, methods (the enclosing container signatures are their context),
//! container headers (signature, doc and fields up to the first member definition),
//! other definitions (types, constants, macros) and runs of top-level statements.
//! Comments, attributes and blank lines go with the definition they precede; a line
//! that only closes a scope (`}`, `end`) goes with the one it closes. A unit over budget
//! is cut between the statements of its body, each later piece keeping the signature as
//! context; small neighbours in one scope are merged. A region that fails to parse is
//! cut where a line at its indentation starts with a definition keyword.

mod langs;
mod spec;
mod walk;

pub(crate) use langs::PYTHON;
pub use langs::{spec_for, SPECS};
pub use spec::{LanguageSpec, Role};

use std::time::{Duration, Instant};

use tree_sitter::{ParseOptions, Parser};

use super::{Chunk, ChunkBudget, ChunkKind, Chunker, LineChunker, Lines, TokenCounter};
use walk::{indentation, Scope, Walker};

/// Longest a parse may take before the file is chunked by lines instead.
const MAX_PARSE_TIME: Duration = Duration::from_secs(5);

/// Chunks source of one language along its syntax tree.
#[derive(Debug, Clone, Copy)]
pub struct SyntaxChunker {
    spec: &'static LanguageSpec,
}

impl SyntaxChunker {
    /// A chunker for the language `spec` describes.
    pub fn new(spec: &'static LanguageSpec) -> Self {
        Self { spec }
    }

    /// The chunker of language `name` (`rust`, `go`, ...), if it has a spec.
    pub fn for_language(name: &str) -> Option<Self> {
        spec_for(name).map(Self::new)
    }

    /// The language's spec.
    pub fn spec(&self) -> &'static LanguageSpec {
        self.spec
    }
}

/// A definition or statement run found in the tree (rows are 0-based, inclusive).
#[derive(Debug, Clone)]
struct Unit {
    start: usize,
    end: usize,
    kind: ChunkKind,
    symbol: Option<String>,
    /// Qualified name of the enclosing container.
    container: Option<String>,
    /// Signatures of the enclosing containers.
    context: String,
    /// The unit's own signature (functions), repeated as context of later pieces.
    signature: Option<String>,
    /// Rows where a piece may start when the unit must be split.
    cuts: Vec<usize>,
}

/// Whether a line only closes scopes: brackets, `end`, separators.
fn is_closer(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    let t = t.strip_prefix("end").unwrap_or(t);
    t.chars()
        .all(|c| matches!(c, '}' | ')' | ']' | ';' | ',' | ' ' | '\t'))
}

/// Sorts units, folds overlaps, and gives every uncovered row (comments, blank lines)
/// to a neighbour: to the previous unit when the gap's first text is indented deeper
/// than the next unit's first line (the tail of the previous scope); otherwise lines up
/// to the gap's last closing line (`}`, `end`) to the previous unit, the rest to the
/// following unit.
fn cover(mut units: Vec<Unit>, lines: &Lines<'_>) -> Vec<Unit> {
    units.sort_by_key(|u| (u.start, u.end));
    let mut merged: Vec<Unit> = Vec::with_capacity(units.len());
    for u in units {
        match merged.last_mut() {
            Some(prev) if u.start <= prev.end => prev.end = prev.end.max(u.end),
            _ => merged.push(u),
        }
    }
    let n = lines.len();
    if merged.is_empty() {
        return vec![Unit {
            start: 0,
            end: n - 1,
            kind: ChunkKind::Module,
            symbol: None,
            container: None,
            context: String::new(),
            signature: None,
            cuts: Vec::new(),
        }];
    }
    // Leading rows go to the first unit.
    merged[0].start = 0;
    for i in 1..merged.len() {
        let gap_start = merged[i - 1].end + 1;
        let gap_end = merged[i].start;
        if gap_start >= gap_end {
            continue;
        }
        let first_text = (gap_start..gap_end).find(|&r| !lines.is_blank(r));
        let deeper = first_text.is_some_and(|r| {
            indentation(lines.lines[r]) > indentation(lines.lines[merged[i].start])
        });
        if deeper {
            merged[i - 1].end = gap_end - 1;
            continue;
        }
        match (gap_start..gap_end)
            .rev()
            .find(|&r| is_closer(lines.lines[r]))
        {
            Some(last_closer) => {
                merged[i - 1].end = last_closer;
                merged[i].start = last_closer + 1;
            }
            None => merged[i].start = gap_start,
        }
    }
    if let Some(last) = merged.last_mut() {
        last.end = n - 1;
    }
    merged
}

/// Joins consecutive top-level statement units while they fit the budget.
fn group_module_code(units: Vec<Unit>, lines: &Lines<'_>, max: usize) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::with_capacity(units.len());
    for u in units {
        if let Some(prev) = out.last_mut() {
            if prev.kind == ChunkKind::Module
                && u.kind == ChunkKind::Module
                && prev.context == u.context
                && lines.tokens(prev.start, u.end) <= max
            {
                prev.cuts.push(u.start);
                prev.end = u.end;
                continue;
            }
        }
        let mut u = u;
        if u.kind == ChunkKind::Module {
            u.cuts = vec![u.start];
        }
        out.push(u);
    }
    out
}

/// Cuts a unit over budget into pieces at its cut rows (falling back to line windows
/// for a single statement over budget).
fn split(unit: &Unit, lines: &Lines<'_>, max: usize) -> Vec<(usize, usize)> {
    if lines.tokens(unit.start, unit.end) <= max {
        return vec![(unit.start, unit.end)];
    }
    let mut bounds: Vec<usize> = unit
        .cuts
        .iter()
        .copied()
        .filter(|&r| r > unit.start && r <= unit.end)
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut segments = Vec::new();
    let mut s = unit.start;
    for b in bounds {
        segments.push((s, b - 1));
        s = b;
    }
    segments.push((s, unit.end));
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    for (a, b) in segments {
        if lines.tokens(a, b) > max {
            pieces.extend(lines.windows(a, b, max));
            continue;
        }
        match pieces.last_mut() {
            Some(last) if lines.tokens(last.0, b) <= max && last.1 + 1 == a => last.1 = b,
            _ => pieces.push((a, b)),
        }
    }
    pieces
}

impl Chunker for SyntaxChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        let lines = Lines::new(source, counter);
        if lines.len() == 0 {
            return Vec::new();
        }
        let mut parser = Parser::new();
        // A grammar that loops on some input (a scanner bug) must not stall ingest: the
        // parse is cancelled after a deadline and the file chunked by lines.
        let started = Instant::now();
        let mut give_up = |_: &tree_sitter::ParseState| started.elapsed() > MAX_PARSE_TIME;
        let bytes = source.as_bytes();
        let mut read = |at: usize, _: tree_sitter::Point| bytes.get(at..).unwrap_or_default();
        let tree = parser
            .set_language(&(self.spec.grammar)())
            .ok()
            .and_then(|()| {
                parser.parse_with_options(
                    &mut read,
                    None,
                    Some(ParseOptions::new().progress_callback(&mut give_up)),
                )
            });
        let Some(tree) = tree else {
            return LineChunker.chunk(source, counter, budget);
        };
        let mut walker = Walker {
            spec: self.spec,
            source,
            lines: &lines,
            units: Vec::new(),
        };
        walker.block(tree.root_node(), &Scope::default());
        let units = group_module_code(cover(walker.units, &lines), &lines, budget.max_tokens);

        // (chunk, tokens, unit index) so pieces of one unit are never re-merged.
        let mut chunks: Vec<(Chunk, usize, usize)> = Vec::new();
        for (ui, u) in units.iter().enumerate() {
            for (pi, (a, b)) in split(u, &lines, budget.max_tokens).into_iter().enumerate() {
                let mut context = u.context.clone();
                if pi > 0 {
                    if let Some(sig) = &u.signature {
                        if !context.is_empty() {
                            context.push('\n');
                        }
                        context.push_str(sig);
                    }
                }
                chunks.push((
                    Chunk {
                        kind: u.kind,
                        symbol: u.symbol.clone(),
                        container: u.container.clone(),
                        start_line: a + 1,
                        end_line: b + 1,
                        context,
                        text: lines.text(a, b),
                    },
                    lines.tokens(a, b),
                    ui,
                ));
            }
        }
        merge_small(chunks, budget)
    }
}

/// Merges adjacent small chunks of the same scope while the result fits the budget.
fn merge_small(chunks: Vec<(Chunk, usize, usize)>, budget: &ChunkBudget) -> Vec<Chunk> {
    let mut out: Vec<(Chunk, usize, usize)> = Vec::with_capacity(chunks.len());
    for (c, t, ui) in chunks {
        if let Some((prev, pt, pui)) = out.last_mut() {
            let small = *pt < budget.min_tokens || t < budget.min_tokens;
            // Unnamed top-level statements (a file's package line, imports, includes,
            // `<?php`) go with the definition after them, a class included: alone they
            // would be a chunk no one searches for and no symbol names. The file's
            // first chunk goes whenever the two fit.
            let preamble = prev.kind == ChunkKind::Module
                && prev.symbol.is_none()
                && (small || prev.start_line == 1);
            let neighbours = small && prev.kind != ChunkKind::Class && c.kind != ChunkKind::Class;
            if (neighbours || preamble)
                && *pui != ui
                && prev.context == c.context
                && *pt + t <= budget.max_tokens
            {
                prev.symbol = match (prev.symbol.take(), c.symbol) {
                    // A name defined twice (`const X = ...; type X = ...`) is listed once.
                    (Some(a), Some(b)) if a.split(", ").any(|n| n == b) => Some(a),
                    (Some(a), Some(b)) => Some(format!("{a}, {b}")),
                    (a, b) => a.or(b),
                };
                if prev.container.is_none() {
                    prev.container = c.container;
                }
                if prev.kind == ChunkKind::Module {
                    prev.kind = c.kind;
                }
                prev.end_line = c.end_line;
                prev.text.push_str(&c.text);
                *pt += t;
                *pui = ui;
                continue;
            }
        }
        out.push((c, t, ui));
    }
    out.into_iter().map(|(c, _, _)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ApproxTokenCounter;

    /// A budget that fits every test source whole and merges nothing by size.
    const ROOMY: ChunkBudget = ChunkBudget {
        max_tokens: 200,
        min_tokens: 0,
        max_chars: 2_000,
    };

    /// One small definition per language: the grammar loads (its ABI suits the
    /// tree-sitter in use) and the spec finds the definition, its name and container.
    #[test]
    fn every_spec_parses_and_names_a_method() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "python",
                "class A:\n    def run(self):\n        return 1\n",
                "A.run",
            ),
            (
                "rust",
                "impl A {\n    fn run(&self) -> u8 {\n        1\n    }\n}\n",
                "A::run",
            ),
            ("go", "func (a *A) Run() int {\n\treturn 1\n}\n", "A.Run"),
            (
                "javascript",
                "class A {\n  run() {\n    return 1;\n  }\n}\n",
                "A.run",
            ),
            (
                "typescript",
                "class A {\n  run(): number {\n    return 1;\n  }\n}\n",
                "A.run",
            ),
            (
                "tsx",
                "class A {\n  run() {\n    return <b>1</b>;\n  }\n}\n",
                "A.run",
            ),
            (
                "java",
                "class A {\n  int run() {\n    return 1;\n  }\n}\n",
                "A.run",
            ),
            ("c", "int run(void) {\n  return 1;\n}\n", "run"),
            (
                "cpp",
                "class A {\n  int run() {\n    return 1;\n  }\n};\n",
                "A::run",
            ),
            (
                "csharp",
                "class A {\n  int Run() {\n    return 1;\n  }\n}\n",
                "A.Run",
            ),
            ("ruby", "class A\n  def run\n    1\n  end\nend\n", "A::run"),
            (
                "php",
                "<?php\nclass A {\n  function run() {\n    return 1;\n  }\n}\n",
                "A::run",
            ),
            ("shell", "run() {\n  echo 1\n}\n", "run"),
            (
                "kotlin",
                "class A {\n  fun run(): Int {\n    return 1\n  }\n}\n",
                "A.run",
            ),
            (
                "swift",
                "class A {\n  func run() -> Int {\n    return 1\n  }\n}\n",
                "A.run",
            ),
            (
                "scala",
                "class A {\n  def run(): Int = {\n    1\n  }\n}\n",
                "A.run",
            ),
            ("lua", "function A:run()\n  return 1\nend\n", "A:run"),
        ];
        assert_eq!(cases.len(), SPECS.len());
        let budget = ROOMY;
        for &(lang, source, symbol) in cases {
            let chunker = SyntaxChunker::for_language(lang).unwrap();
            let mut parser = Parser::new();
            assert!(
                parser.set_language(&(chunker.spec().grammar)()).is_ok(),
                "{lang}: grammar ABI not supported"
            );
            let chunks = chunker.chunk(source, &ApproxTokenCounter, &budget);
            let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
            assert_eq!(joined, source, "{lang}");
            let found = chunks.iter().find(|c| c.symbol.as_deref() == Some(symbol));
            let found = found.unwrap_or_else(|| panic!("{lang}: no {symbol} in {chunks:#?}"));
            assert!(
                matches!(found.kind, ChunkKind::Method | ChunkKind::Function),
                "{lang}: {:?}",
                found.kind
            );
            if symbol.len() > 3 && found.kind == ChunkKind::Method {
                assert!(
                    found.container.as_deref().is_some_and(|c| c == "A"),
                    "{lang}"
                );
            }
        }
    }

    #[test]
    fn javascript_assignments_of_functions_are_definitions() {
        let source =
            "Foo.prototype.bar = function (x) {\n  return x;\n};\n\nmodule.exports = Foo;\n";
        let chunker = SyntaxChunker::for_language("javascript").unwrap();
        let budget = ROOMY;
        let chunks = chunker.chunk(source, &ApproxTokenCounter, &budget);
        assert_eq!(chunks[0].symbol.as_deref(), Some("Foo.prototype.bar"));
        assert_eq!(chunks[0].container.as_deref(), Some("Foo"));
        assert_eq!(chunks[0].kind, ChunkKind::Method);
        // An assignment of something else names a value: a definition of its own.
        let last = chunks.last().unwrap();
        assert_eq!(last.symbol.as_deref(), Some("module.exports"));
        assert_eq!(last.kind, ChunkKind::Definition);
        // A call is module code.
        let chunks = chunker.chunk(
            "setup();
run(1);
",
            &ApproxTokenCounter,
            &budget,
        );
        assert_eq!((chunks.len(), chunks[0].symbol.as_deref()), (1, None));
    }

    #[test]
    fn a_file_preamble_goes_with_the_class_after_it() {
        let source = "package org.example;\n\nimport java.util.List;\nimport java.util.Map;\n\npublic class Foo {\n    int n;\n\n    void m() {\n        n++;\n    }\n}\n";
        let chunker = SyntaxChunker::for_language("java").unwrap();
        let budget = ROOMY;
        let chunks = chunker.chunk(source, &ApproxTokenCounter, &budget);
        assert_eq!(chunks[0].start_line, 1);
        assert_eq!(chunks[0].symbol.as_deref(), Some("Foo"));
        assert_eq!(chunks[0].kind, ChunkKind::Class);
        assert!(chunks.iter().all(|c| c.symbol.is_some()), "{chunks:#?}");
        // Too big to join the class: the preamble stays a chunk of its own.
        let small = ChunkBudget {
            max_tokens: 14,
            ..budget
        };
        let chunks = chunker.chunk(source, &ApproxTokenCounter, &small);
        assert_eq!(
            (chunks[0].start_line, chunks[0].symbol.as_deref()),
            (1, None)
        );
    }

    #[test]
    fn lua_module_values_and_assigned_functions_are_named() {
        let source =
            "local M = {}\n\nM.greet = function (name)\n  return 'hi ' .. name\nend\n\nreturn M\n";
        let chunker = SyntaxChunker::for_language("lua").unwrap();
        let budget = ROOMY;
        let chunks = chunker.chunk(source, &ApproxTokenCounter, &budget);
        let names: Vec<_> = chunks.iter().map(|c| c.symbol.as_deref()).collect();
        assert_eq!(names, [Some("M"), Some("M.greet"), None], "{chunks:#?}");
        assert_eq!(chunks[1].container.as_deref(), Some("M"));
    }

    #[test]
    fn a_damaged_region_is_cut_at_definition_keywords() {
        let source =
            "fn ok() {}\n\nfn broken( {\n    let x = ;\n}\n\npub fn after() -> u8 {\n    1\n}\n";
        let chunker = SyntaxChunker::for_language("rust").unwrap();
        let budget = ROOMY;
        let chunks = chunker.chunk(source, &ApproxTokenCounter, &budget);
        let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(joined, source);
        assert!(
            chunks.iter().any(|c| c.symbol.as_deref() == Some("after")),
            "{chunks:#?}"
        );
    }
}
