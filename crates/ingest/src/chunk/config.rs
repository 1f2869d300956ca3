//! Structured config (TOML, YAML, JSON) by top-level key or table.

use tree_sitter::Parser;

use super::{Chunk, ChunkBudget, ChunkKind, Chunker, LineChunker, Lines, TokenCounter};

/// A config format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    /// `[table]` and `[[array]]` headers start units.
    Toml,
    /// A key at column 0 (`name:`) or a `---` document start begins a unit.
    Yaml,
    /// Each member of the top-level object is a unit.
    Json,
}

/// Chunks a config file into its top-level keys or tables (the symbol), comments above
/// a key going with it; small neighbours are merged, a large one cut into line windows.
/// Every line is covered once.
#[derive(Debug, Clone, Copy)]
pub struct ConfigChunker(pub ConfigFormat);

/// Starts (0-based rows) and names of the top-level units.
fn starts(format: ConfigFormat, source: &str, lines: &Lines<'_>) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    match format {
        ConfigFormat::Toml => {
            for (row, line) in lines.lines.iter().enumerate() {
                let t = line.trim_end();
                if let Some(rest) = t.strip_prefix('[') {
                    let name = rest.trim_start_matches('[');
                    let name = name.split(']').next().unwrap_or("").trim();
                    if !name.is_empty() {
                        out.push((row, name.to_string()));
                    }
                }
            }
        }
        ConfigFormat::Yaml => {
            for (row, line) in lines.lines.iter().enumerate() {
                let t = line.trim_end();
                let first = t.chars().next();
                if first.is_none_or(|c| c.is_whitespace() || matches!(c, '#' | '-' | '}' | ']')) {
                    continue;
                }
                if let Some(at) = t.find(':') {
                    let name = t[..at].trim().trim_matches(['"', '\'']);
                    if !name.is_empty() {
                        out.push((row, name.to_string()));
                    }
                }
            }
        }
        ConfigFormat::Json => {
            let mut parser = Parser::new();
            if parser
                .set_language(&tree_sitter_json::LANGUAGE.into())
                .is_err()
            {
                return out;
            }
            let Some(tree) = parser.parse(source, None) else {
                return out;
            };
            let root = tree.root_node();
            let mut cursor = root.walk();
            let object = root
                .named_children(&mut cursor)
                .find(|n| n.kind() == "object");
            if let Some(object) = object {
                let mut cursor = object.walk();
                for pair in object.named_children(&mut cursor) {
                    if pair.kind() != "pair" {
                        continue;
                    }
                    let name = pair
                        .child_by_field_name("key")
                        .map(|k| source[k.byte_range()].trim_matches('"').to_string())
                        .unwrap_or_default();
                    out.push((pair.start_position().row, name));
                }
            }
        }
    }
    // Only the first unit on a row counts (`{"a": 1, "b": 2}` on one line).
    out.dedup_by_key(|s| s.0);
    out
}

/// Whether a line is a comment in `format`.
fn is_comment(format: ConfigFormat, line: &str) -> bool {
    let t = line.trim_start();
    match format {
        ConfigFormat::Toml | ConfigFormat::Yaml => t.starts_with('#'),
        ConfigFormat::Json => t.starts_with("//"),
    }
}

impl Chunker for ConfigChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        let lines = Lines::new(source, counter);
        let n = lines.len();
        if n == 0 {
            return Vec::new();
        }
        let mut units = starts(self.0, source, &lines);
        if units.is_empty() {
            return LineChunker.chunk(source, counter, budget);
        }
        // Comments and blank lines right above a key go with it.
        for u in &mut units {
            while u.0 > 0 && (is_comment(self.0, lines.lines[u.0 - 1]) || lines.is_blank(u.0 - 1)) {
                u.0 -= 1;
            }
        }
        units.dedup_by_key(|u| u.0);
        // (start, end, symbol): rows before the first key are their own unit.
        let mut spans: Vec<(usize, usize, Option<String>)> = Vec::new();
        if units[0].0 > 0 {
            spans.push((0, units[0].0 - 1, None));
        }
        for (i, (start, name)) in units.iter().enumerate() {
            let end = units.get(i + 1).map_or(n - 1, |u| u.0 - 1);
            spans.push((*start, end, Some(name.clone())));
        }
        let mut out: Vec<(Chunk, usize)> = Vec::new();
        for (a, b, symbol) in spans {
            for (x, y) in lines.windows(a, b, budget.max_tokens) {
                let tokens = lines.tokens(x, y);
                let c = Chunk {
                    kind: ChunkKind::Key,
                    symbol: symbol.clone(),
                    container: None,
                    start_line: x + 1,
                    end_line: y + 1,
                    context: String::new(),
                    text: lines.text(x, y),
                };
                if let Some((prev, pt)) = out.last_mut() {
                    let small = *pt < budget.min_tokens || tokens < budget.min_tokens;
                    if small && *pt + tokens <= budget.max_tokens && a == x {
                        prev.symbol = match (prev.symbol.take(), c.symbol) {
                            (Some(p), Some(q)) if p != q => Some(format!("{p}, {q}")),
                            (p, q) => p.or(q),
                        };
                        prev.end_line = c.end_line;
                        prev.text.push_str(&c.text);
                        *pt += tokens;
                        continue;
                    }
                }
                out.push((c, tokens));
            }
        }
        out.into_iter().map(|(c, _)| c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ApproxTokenCounter;

    fn chunk(format: ConfigFormat, source: &str) -> Vec<Chunk> {
        let budget = ChunkBudget {
            max_tokens: 40,
            min_tokens: 0,
            max_chars: 2_000,
        };
        let chunks = ConfigChunker(format).chunk(source, &ApproxTokenCounter, &budget);
        let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(joined, source);
        chunks
    }

    fn symbols(chunks: &[Chunk]) -> Vec<(Option<&str>, usize, usize)> {
        chunks
            .iter()
            .map(|c| (c.symbol.as_deref(), c.start_line, c.end_line))
            .collect()
    }

    #[test]
    fn toml_by_table_with_comments_above() {
        let src = "name = \"x\"\n\n# deps\n[dependencies]\na = 1\n\n[[bin]]\nname = \"b\"\n";
        assert_eq!(
            symbols(&chunk(ConfigFormat::Toml, src)),
            vec![
                (None, 1, 1),
                (Some("dependencies"), 2, 5),
                (Some("bin"), 6, 8)
            ]
        );
    }

    #[test]
    fn yaml_by_top_level_key() {
        let src = "# ci\non:\n  push: {}\njobs:\n  build:\n    runs-on: x\n";
        assert_eq!(
            symbols(&chunk(ConfigFormat::Yaml, src)),
            vec![(Some("on"), 1, 3), (Some("jobs"), 4, 6)]
        );
    }

    #[test]
    fn json_by_member_of_the_top_level_object() {
        let src = "{\n  \"name\": \"x\",\n  \"scripts\": {\n    \"a\": \"b\"\n  }\n}\n";
        assert_eq!(
            symbols(&chunk(ConfigFormat::Json, src)),
            vec![(None, 1, 1), (Some("name"), 2, 2), (Some("scripts"), 3, 6)]
        );
    }
}
