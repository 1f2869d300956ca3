//! Python along its syntax tree (tree-sitter): functions, methods with their class as
//! context, class headers, and the module code between them.

use tree_sitter::{Node, Parser};

use super::{Chunk, ChunkBudget, ChunkKind, Chunker, LineChunker, Lines, TokenCounter};

/// Chunks Python source by definitions.
///
/// Units are functions, methods (the enclosing class signatures are their context),
/// class headers (signature, docstring and attributes up to the first method) and runs
/// of module-level statements. Comments and blank lines go with the definition they
/// precede. A unit over budget is cut between the statements of its body, each piece
/// keeping the signature as context; small neighbours in one scope are merged.
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonChunker;

/// A definition or statement run found in the tree (rows are 0-based, inclusive).
#[derive(Debug, Clone)]
struct Unit {
    start: usize,
    end: usize,
    kind: ChunkKind,
    symbol: Option<String>,
    /// Signatures of the enclosing classes.
    context: String,
    /// The unit's own signature (functions), repeated as context of later pieces.
    signature: Option<String>,
    /// Rows where a piece may start when the unit must be split.
    cuts: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
struct Scope {
    names: Vec<String>,
    signatures: Vec<String>,
    in_class: bool,
}

impl Scope {
    fn qualify(&self, name: &str) -> String {
        let mut parts = self.names.clone();
        parts.push(name.to_string());
        parts.join(".")
    }

    fn context(&self) -> String {
        self.signatures.join("\n")
    }
}

fn is_definition(kind: &str) -> bool {
    matches!(
        kind,
        "function_definition" | "class_definition" | "decorated_definition"
    )
}

struct Walker<'s> {
    source: &'s str,
    lines: &'s Lines<'s>,
    units: Vec<Unit>,
}

impl Walker<'_> {
    fn node_text(&self, n: Node<'_>) -> &str {
        &self.source[n.byte_range()]
    }

    /// Rows of a definition's header: from its first row to the row before its body
    /// (or the first row when the body shares it).
    fn signature(&self, def: Node<'_>) -> String {
        let start = def.start_position().row;
        let body_row = def
            .child_by_field_name("body")
            .map_or(start, |b| b.start_position().row);
        let end = if body_row > start {
            body_row - 1
        } else {
            start
        };
        self.lines.text(start, end).trim_end().to_string()
    }

    fn block(&mut self, block: Node<'_>, scope: &Scope) {
        let mut cursor = block.walk();
        for child in block.named_children(&mut cursor) {
            match child.kind() {
                "decorated_definition" => {
                    if let Some(def) = child.child_by_field_name("definition") {
                        self.definition(
                            def,
                            child.start_position().row,
                            child.end_position().row,
                            scope,
                        );
                    }
                }
                "function_definition" | "class_definition" => {
                    self.definition(
                        child,
                        child.start_position().row,
                        child.end_position().row,
                        scope,
                    );
                }
                // Comments attach to the next definition when gaps are filled.
                "comment" => {}
                // A region the parser could not make sense of.
                "ERROR" => {
                    self.damaged(child.start_position().row, child.end_position().row, scope)
                }
                // Statements in a class body belong to its header (before the first
                // method) or to the gaps between methods.
                _ if scope.in_class => {}
                _ => self.units.push(Unit {
                    start: child.start_position().row,
                    end: child.end_position().row,
                    kind: ChunkKind::Module,
                    symbol: None,
                    context: scope.context(),
                    signature: None,
                    cuts: Vec::new(),
                }),
            }
        }
    }

    /// Units for rows `a..=b` that failed to parse: cut where a line at the region's
    /// indentation starts a `def`, `async def` or `class`, named from that line.
    fn damaged(&mut self, a: usize, b: usize, scope: &Scope) {
        let base = indentation(self.lines.lines[a]);
        let mut starts: Vec<(usize, ChunkKind, Option<String>)> =
            vec![(a, ChunkKind::Module, None)];
        for row in a..=b {
            let line = self.lines.lines[row];
            if indentation(line) != base {
                continue;
            }
            let t = line.trim_start();
            let (kind, rest) = if let Some(r) = t
                .strip_prefix("async def ")
                .or_else(|| t.strip_prefix("def "))
            {
                (
                    if scope.in_class {
                        ChunkKind::Method
                    } else {
                        ChunkKind::Function
                    },
                    r,
                )
            } else if let Some(r) = t.strip_prefix("class ") {
                (ChunkKind::Class, r)
            } else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let symbol = (!name.is_empty()).then(|| scope.qualify(&name));
            if row == a {
                starts[0] = (a, kind, symbol);
            } else {
                starts.push((row, kind, symbol));
            }
        }
        for (i, (start, kind, symbol)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(b, |s| s.0 - 1);
            self.units.push(Unit {
                start: *start,
                end,
                kind: *kind,
                symbol: symbol.clone(),
                context: scope.context(),
                signature: None,
                cuts: (start + 1..=end).collect(),
            });
        }
    }

    fn definition(&mut self, def: Node<'_>, start: usize, end: usize, scope: &Scope) {
        let name = def
            .child_by_field_name("name")
            .map_or_else(|| "?".to_string(), |n| self.node_text(n).to_string());
        let body = def.child_by_field_name("body");
        let mut cuts = Vec::new();
        if let Some(body) = body {
            let mut cursor = body.walk();
            cuts.extend(
                body.named_children(&mut cursor)
                    .map(|c| c.start_position().row),
            );
        }
        if def.kind() == "function_definition" {
            self.units.push(Unit {
                start,
                end,
                kind: if scope.in_class {
                    ChunkKind::Method
                } else {
                    ChunkKind::Function
                },
                symbol: Some(scope.qualify(&name)),
                context: scope.context(),
                signature: Some(self.signature(def)),
                cuts,
            });
            return;
        }
        // A class: its header, then its methods and nested classes with the class
        // signature added to their context.
        let first_def = body.and_then(|b| {
            let mut cursor = b.walk();
            let found = b
                .named_children(&mut cursor)
                .find(|c| is_definition(c.kind()))
                .map(|c| c.start_position().row);
            found
        });
        let header_end = match first_def {
            Some(row) if row > start => row - 1,
            Some(_) => end, // a one-line class with its methods: keep it whole
            None => end,
        };
        self.units.push(Unit {
            start,
            end: header_end,
            kind: ChunkKind::Class,
            symbol: Some(scope.qualify(&name)),
            context: scope.context(),
            signature: None,
            cuts: cuts.into_iter().filter(|&r| r <= header_end).collect(),
        });
        if header_end == end {
            return;
        }
        if let Some(body) = body {
            let mut inner = scope.clone();
            inner.names.push(name);
            inner.signatures.push(self.signature(def));
            inner.in_class = true;
            self.block(body, &inner);
        }
    }
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Sorts units, folds overlaps, and gives every uncovered row (comments, blank lines)
/// to a neighbour: to the following unit, unless the gap is indented deeper than that
/// unit's first line (then it is the tail of the previous scope).
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
        } else {
            merged[i].start = gap_start;
        }
    }
    if let Some(last) = merged.last_mut() {
        last.end = n - 1;
    }
    merged
}

/// Joins consecutive module-level units while they fit the budget.
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

impl Chunker for PythonChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        let lines = Lines::new(source, counter);
        if lines.len() == 0 {
            return Vec::new();
        }
        let mut parser = Parser::new();
        let tree = parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .ok()
            .and_then(|()| parser.parse(source, None));
        let Some(tree) = tree else {
            return LineChunker.chunk(source, counter, budget);
        };
        let mut walker = Walker {
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
            if small
                && *pui != ui
                && prev.context == c.context
                && *pt + t <= budget.max_tokens
                && prev.kind != ChunkKind::Class
                && c.kind != ChunkKind::Class
            {
                prev.symbol = match (prev.symbol.take(), c.symbol) {
                    (Some(a), Some(b)) => Some(format!("{a}, {b}")),
                    (a, b) => a.or(b),
                };
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
