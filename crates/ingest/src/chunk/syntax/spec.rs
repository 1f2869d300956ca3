//! The per-language description the syntax chunker is driven by.

/// What a definition node is to the chunker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A function or method: one unit, cut between its body's statements when too long.
    Function,
    /// A class-like scope (class, struct with members, impl, trait, interface, module,
    /// namespace): its header is one unit and its member definitions are units of their
    /// own with the container's signature as context.
    Container,
    /// A type without member definitions (struct, enum, union, type alias, interface
    /// body of declarations): one unit, cut between its body's members when too long.
    Type,
    /// Another named definition (constant, macro, property): one unit.
    Other,
}

/// A language as the syntax chunker sees it. Node kinds are tree-sitter node names of
/// the language's grammar.
#[derive(Debug)]
pub struct LanguageSpec {
    /// Lowercase name, as stored with chunks (`rust`, `python`).
    pub name: &'static str,
    /// The tree-sitter grammar.
    pub grammar: fn() -> tree_sitter::Language,
    /// Definition node kinds and what they are.
    pub definitions: &'static [(&'static str, Role)],
    /// Nodes that wrap one definition (decorators, `export`, `template <...>`): the
    /// wrapper's lines belong to the definition inside.
    pub wrappers: &'static [&'static str],
    /// Nodes whose children are walked as if they stood in the enclosing scope
    /// (preprocessor conditionals, `extern "C" { ... }`).
    pub transparent: &'static [&'static str],
    /// Declarations that are definitions only when their value is one of `value_kinds`
    /// (`const f = () => ...` in JavaScript): named after their declarator.
    pub value_declarations: &'static [&'static str],
    /// Value kinds that make a `value_declarations` node a function.
    pub value_kinds: &'static [&'static str],
    /// Nodes that attach to the next definition like comments (doc comments, Rust
    /// attributes).
    pub attached: &'static [&'static str],
    /// Body node kinds, for definitions whose grammar has no `body` field.
    pub body_kinds: &'static [&'static str],
    /// Joins the names of a qualified symbol (`.` or `::`).
    pub separator: &'static str,
    /// Line prefixes that start a definition, for regions that failed to parse: a line
    /// at the region's indentation whose words after `modifiers` begin with one of these
    /// keywords starts a unit named by the identifier after it.
    pub keywords: &'static [(&'static str, Role)],
    /// Words that may precede a keyword (`pub`, `async`, `export`).
    pub modifiers: &'static [&'static str],
}

impl LanguageSpec {
    /// The role of node kind `kind`, if it is a definition.
    pub(crate) fn role(&self, kind: &str) -> Option<Role> {
        self.definitions
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|&(_, r)| r)
    }
}
