//! Finding units in a syntax tree: definitions with their names, scopes and cut rows,
//! runs of top-level statements, and regions that failed to parse.

use tree_sitter::Node;

use super::spec::{LanguageSpec, Role};
use super::Unit;
use crate::chunk::{ChunkKind, Lines};

/// The enclosing containers of a node.
#[derive(Debug, Clone, Default)]
pub(super) struct Scope {
    names: Vec<String>,
    signatures: Vec<String>,
    in_container: bool,
}

impl Scope {
    fn qualify(&self, name: &str, sep: &str) -> String {
        let mut parts = self.names.clone();
        parts.push(name.to_string());
        parts.join(sep)
    }

    fn context(&self) -> String {
        self.signatures.join("\n")
    }

    fn container(&self, sep: &str) -> Option<String> {
        (!self.names.is_empty()).then(|| self.names.join(sep))
    }
}

/// Most characters of a name taken from source (a name node can be a whole expression).
const MAX_NAME_CHARS: usize = 80;

pub(super) struct Walker<'s> {
    pub(super) spec: &'static LanguageSpec,
    pub(super) source: &'s str,
    pub(super) lines: &'s Lines<'s>,
    pub(super) units: Vec<Unit>,
}

impl Walker<'_> {
    fn node_text(&self, n: Node<'_>) -> &str {
        &self.source[n.byte_range()]
    }

    /// The first and last row a node covers: a node that ends at the start of a line
    /// (an error region swallowing the final newline) does not cover that line, and no
    /// row is past the last line.
    fn rows(&self, n: Node<'_>) -> (usize, usize) {
        let last = self.lines.len().saturating_sub(1);
        let start = n.start_position().row.min(last);
        let end = n.end_position();
        let end_row = if end.column == 0 && end.row > start {
            end.row - 1
        } else {
            end.row
        };
        (start, end_row.clamp(start, last))
    }

    /// A definition's name: its `name` field, else the innermost `declarator` (C, C++),
    /// else its `type` (a Rust `impl`), else the name of its first declarator or spec
    /// child (Go `type_spec`, JavaScript `variable_declarator`).
    fn name(&self, def: Node<'_>) -> Option<String> {
        let node = self.name_node(def, 0)?;
        let text = self.node_text(node).lines().next().unwrap_or("").trim();
        let text: String = text.chars().take(MAX_NAME_CHARS).collect();
        (!text.is_empty()).then_some(text)
    }

    fn name_node<'t>(&self, def: Node<'t>, depth: usize) -> Option<Node<'t>> {
        if depth > 8 {
            return None;
        }
        if let Some(n) = def.child_by_field_name("name") {
            return Some(n);
        }
        if let Some(d) = def.child_by_field_name("declarator") {
            // A qualified name (`Foo::bar`) is the name whole.
            if d.kind().contains("identifier") || d.kind().ends_with("_name") {
                return Some(d);
            }
            return self.name_node(d, depth + 1).or(Some(d));
        }
        if let Some(left) = def.child_by_field_name("left") {
            return Some(left);
        }
        if let Some(t) = def.child_by_field_name("type") {
            if def.child_by_field_name("body").is_some() {
                return Some(t);
            }
        }
        let mut cursor = def.walk();
        let found = def.named_children(&mut cursor).find(|c| {
            let k = c.kind();
            k.ends_with("declarator")
                || k.ends_with("_spec")
                || k == "type_alias"
                // A list of assigned names (Lua's `variable_list`), or the declaration
                // holding it: the first name.
                || (k.ends_with("_list") && c.child_by_field_name("name").is_some())
                || self.spec.value_declarations.contains(&k)
        });
        found.and_then(|c| self.name_node(c, depth + 1))
    }

    /// A definition's body: its `body` field, else its first child of a body kind;
    /// a body that only wraps one block is looked through.
    fn body<'t>(&self, def: Node<'t>) -> Option<Node<'t>> {
        let mut body = def.child_by_field_name("body").or_else(|| {
            let mut cursor = def.walk();
            let found = def
                .named_children(&mut cursor)
                .find(|c| self.spec.body_kinds.contains(&c.kind()));
            found
        })?;
        while body.named_child_count() == 1 {
            let Some(only) = body.named_child(0) else {
                break;
            };
            let k = only.kind();
            if k.contains("block") || k.contains("body") || k.ends_with("statements") {
                body = only;
            } else {
                break;
            }
        }
        Some(body)
    }

    /// Rows of a definition's header: from its first row to the row where its body
    /// opens when the body starts after other text on that row (`fn f() {`), else to
    /// the row before the body (Python).
    fn signature(&self, def: Node<'_>) -> String {
        let start = def.start_position().row;
        let end = match self.body(def) {
            Some(b) => {
                let row = b.start_position().row;
                let line = self.lines.lines.get(row).copied().unwrap_or("");
                let before = line
                    .get(..b.start_position().column.min(line.len()))
                    .unwrap_or("");
                if row <= start || !before.trim().is_empty() {
                    row.max(start)
                } else {
                    row - 1
                }
            }
            None => start,
        };
        let (start, last) = self.rows(def);
        let end = end.clamp(start, last);
        self.lines.text(start, end).trim_end().to_string()
    }

    /// The definition a wrapper holds: its `definition` or `declaration` field, else its
    /// last named child that is a definition or another wrapper.
    fn unwrap<'t>(&self, wrapper: Node<'t>) -> Option<Node<'t>> {
        let inner = wrapper
            .child_by_field_name("definition")
            .or_else(|| wrapper.child_by_field_name("declaration"))
            .or_else(|| {
                let mut cursor = wrapper.walk();
                let found = wrapper.named_children(&mut cursor).filter(|c| {
                    self.spec.role(c.kind()).is_some()
                        || self.spec.wrappers.contains(&c.kind())
                        || self.spec.value_declarations.contains(&c.kind())
                });
                found.last()
            })?;
        if self.spec.wrappers.contains(&inner.kind()) {
            self.unwrap(inner)
        } else {
            Some(inner)
        }
    }

    /// The role of a node, looking through wrappers: `(definition, role)`.
    fn definition_of<'t>(&self, node: Node<'t>) -> Option<(Node<'t>, Role)> {
        let def = if self.spec.wrappers.contains(&node.kind()) {
            self.unwrap(node)?
        } else {
            node
        };
        if let Some(role) = self.spec.role(def.kind()) {
            return Some((def, role));
        }
        if self.spec.value_declarations.contains(&def.kind()) {
            let value = self.declared_value(def)?;
            if self.spec.value_kinds.contains(&value.kind()) {
                return Some((def, Role::Function));
            }
            // Any other value names a constant (`export const DEFAULTS = {...}`,
            // `module.exports = ...`, Lua's `local M = {}`), unless it is destructured.
            let name = self.name_node(def, 0)?;
            if !name.kind().contains("pattern") {
                return Some((def, Role::Other));
            }
        }
        None
    }

    /// The value a declaration assigns: `x = function () {}` holds it itself (`right`),
    /// `const x = ...` in a declarator's `value`, Lua's `local x = ...` in an inner
    /// declaration's list of values.
    fn declared_value<'t>(&self, def: Node<'t>) -> Option<Node<'t>> {
        if let Some(v) = def.child_by_field_name("right") {
            return Some(v);
        }
        let mut cursor = def.walk();
        let children: Vec<Node<'t>> = def.named_children(&mut cursor).collect();
        if let Some(v) = children.iter().find_map(|c| c.child_by_field_name("value")) {
            return Some(v);
        }
        children
            .into_iter()
            .find(|c| self.spec.value_declarations.contains(&c.kind()))
            .and_then(|inner| self.declared_value(inner))
    }

    pub(super) fn block(&mut self, block: Node<'_>, scope: &Scope) {
        let mut cursor = block.walk();
        for child in block.named_children(&mut cursor) {
            let (start, end) = self.rows(child);
            if let Some((def, role)) = self.definition_of(child) {
                self.definition(def, role, start, end, scope);
                continue;
            }
            let kind = child.kind();
            if self.spec.transparent.contains(&kind) {
                self.block(child, scope);
            } else if kind.contains("comment") || self.spec.attached.contains(&kind) {
                // Comments and attributes attach to the next definition when gaps
                // are filled.
            } else if child.is_error() {
                self.damaged(start, end, scope);
            } else if scope.in_container {
                // Statements in a container belong to its header (before the first
                // member definition) or to the gaps between members.
            } else {
                self.units.push(Unit {
                    start,
                    end,
                    kind: ChunkKind::Module,
                    symbol: None,
                    container: scope.container(self.spec.separator),
                    context: scope.context(),
                    signature: None,
                    cuts: Vec::new(),
                });
            }
        }
    }

    /// Units for rows `a..=b` that failed to parse: cut where a line at the region's
    /// indentation starts with a definition keyword, named from that line.
    fn damaged(&mut self, a: usize, b: usize, scope: &Scope) {
        let base = indentation(self.lines.lines[a]);
        let mut starts: Vec<(usize, ChunkKind, Option<String>)> =
            vec![(a, ChunkKind::Module, None)];
        for row in a..=b {
            let line = self.lines.lines[row];
            if indentation(line) != base {
                continue;
            }
            let Some((role, name)) = self.keyword_line(line.trim_start()) else {
                continue;
            };
            let kind = unit_kind(role, scope.in_container);
            let symbol = (!name.is_empty()).then(|| scope.qualify(&name, self.spec.separator));
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
                container: scope.container(self.spec.separator),
                context: scope.context(),
                signature: None,
                cuts: (start + 1..=end).collect(),
            });
        }
    }

    /// The role and name of a line that starts a definition (after modifiers).
    fn keyword_line(&self, mut t: &str) -> Option<(Role, String)> {
        loop {
            let word_end = t.find(char::is_whitespace).unwrap_or(t.len());
            if self.spec.modifiers.contains(&&t[..word_end]) {
                t = t[word_end..].trim_start();
            } else {
                break;
            }
        }
        let (role, rest) = self.spec.keywords.iter().find_map(|&(k, role)| {
            let rest = t.strip_prefix(k)?;
            rest.starts_with(char::is_whitespace)
                .then(|| (role, rest.trim_start()))
        })?;
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        Some((role, name))
    }

    /// Cut rows of a definition: where its body's members start.
    fn cuts(&self, body: Option<Node<'_>>) -> Vec<usize> {
        let Some(body) = body else {
            return Vec::new();
        };
        let mut cursor = body.walk();
        let cuts = body
            .named_children(&mut cursor)
            .map(|c| c.start_position().row)
            .collect();
        cuts
    }

    /// Go-style methods name their container in a receiver: its type name.
    fn receiver(&self, def: Node<'_>) -> Option<String> {
        let recv = def.child_by_field_name("receiver")?;
        let mut stack = vec![recv];
        while let Some(n) = stack.pop() {
            if n.kind() == "type_identifier" {
                return Some(self.node_text(n).to_string());
            }
            let mut cursor = n.walk();
            let mut kids: Vec<Node<'_>> = n.named_children(&mut cursor).collect();
            kids.reverse();
            stack.extend(kids);
        }
        None
    }

    fn definition(&mut self, def: Node<'_>, role: Role, start: usize, end: usize, scope: &Scope) {
        let sep = self.spec.separator;
        // An unnamed definition (a Kotlin `companion object`) is named by its kind.
        let name = self
            .name(def)
            .unwrap_or_else(|| def.kind().replace('_', " "));
        let body = self.body(def);
        let cuts = self.cuts(body);
        if role != Role::Container {
            // A method defined outside its container names it: a Go receiver, or a
            // qualified name (`Foo::bar` in C++, `List:append` in Lua).
            let outside = if role == Role::Function && !scope.in_container {
                self.receiver(def)
                    .map(|r| (format!("{r}{sep}{name}"), r))
                    .or_else(|| qualified_prefix(&name).map(|p| (name.clone(), p.to_string())))
            } else {
                None
            };
            let (symbol, container, kind) = match outside {
                Some((symbol, owner)) => (
                    scope.qualify(&symbol, sep),
                    Some(scope.qualify(&owner, sep)),
                    ChunkKind::Method,
                ),
                None => (
                    scope.qualify(&name, sep),
                    scope.container(sep),
                    unit_kind(role, scope.in_container),
                ),
            };
            self.units.push(Unit {
                start,
                end,
                kind,
                symbol: Some(symbol),
                container,
                context: scope.context(),
                signature: (role == Role::Function).then(|| self.signature(def)),
                cuts,
            });
            return;
        }
        // A container: its header, then its member definitions with the container's
        // signature added to their context.
        let first_def = body.and_then(|b| {
            let mut cursor = b.walk();
            let found = b
                .named_children(&mut cursor)
                .find(|c| self.definition_of(*c).is_some() || self.has_definitions(*c))
                .map(|c| c.start_position().row);
            found
        });
        let header_end = match first_def {
            Some(row) if row > start => row - 1,
            _ => end, // no members, or members on the first line: keep it whole
        };
        self.units.push(Unit {
            start,
            end: header_end,
            kind: ChunkKind::Class,
            symbol: Some(scope.qualify(&name, sep)),
            container: scope.container(sep),
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
            inner.in_container = true;
            self.block(body, &inner);
        }
    }

    /// Whether a transparent node holds definitions.
    fn has_definitions(&self, node: Node<'_>) -> bool {
        if !self.spec.transparent.contains(&node.kind()) {
            return false;
        }
        let mut cursor = node.walk();
        let found = node
            .named_children(&mut cursor)
            .any(|c| self.definition_of(c).is_some() || self.has_definitions(c));
        found
    }
}

/// The owner part of a qualified function name (`Foo::bar` → `Foo`, `List:append` →
/// `List`, `M.f` → `M`), if it has one.
fn qualified_prefix(name: &str) -> Option<&str> {
    if name.contains(['(', ' ', '<']) {
        return None;
    }
    let at = ["::", ":", "."]
        .iter()
        .filter_map(|sep| name.rfind(sep))
        .max()?;
    let owner = name[..at].trim_end_matches(':');
    let owner = owner.strip_suffix(".prototype").unwrap_or(owner);
    (!owner.is_empty()).then_some(owner)
}

/// The chunk kind of a definition with `role`.
fn unit_kind(role: Role, in_container: bool) -> ChunkKind {
    match role {
        Role::Function if in_container => ChunkKind::Method,
        Role::Function => ChunkKind::Function,
        Role::Container => ChunkKind::Class,
        Role::Type => ChunkKind::Type,
        Role::Other => ChunkKind::Definition,
    }
}

pub(super) fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}
