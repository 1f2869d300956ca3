//! The language specs: which tree-sitter nodes are definitions, containers, wrappers and
//! bodies in each grammar.

use super::spec::{LanguageSpec, Role};
use Role::{Container as C, Function as F, Other as O, Type as T};

const COMMON_MODIFIERS: &[&str] = &[
    "pub",
    "pub(crate)",
    "pub(super)",
    "async",
    "unsafe",
    "const",
    "extern",
    "export",
    "default",
    "public",
    "private",
    "protected",
    "internal",
    "static",
    "final",
    "abstract",
    "open",
    "override",
    "sealed",
    "data",
    "inline",
    "virtual",
    "local",
];

/// Python: functions, classes, decorators.
pub static PYTHON: LanguageSpec = LanguageSpec {
    name: "python",
    grammar: || tree_sitter_python::LANGUAGE.into(),
    definitions: &[("function_definition", F), ("class_definition", C)],
    wrappers: &["decorated_definition"],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: &[("def", F), ("class", C)],
    modifiers: &["async"],
};

/// Rust: functions, impls and traits as containers, types, macros, constants.
pub static RUST: LanguageSpec = LanguageSpec {
    name: "rust",
    grammar: || tree_sitter_rust::LANGUAGE.into(),
    definitions: &[
        ("function_item", F),
        ("function_signature_item", F),
        ("impl_item", C),
        ("trait_item", C),
        ("mod_item", C),
        ("struct_item", T),
        ("enum_item", T),
        ("union_item", T),
        ("type_item", T),
        ("const_item", O),
        ("static_item", O),
        ("macro_definition", O),
    ],
    wrappers: &[],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &["attribute_item"],
    body_kinds: &[],
    separator: "::",
    keywords: &[
        ("fn", F),
        ("impl", C),
        ("trait", C),
        ("mod", C),
        ("struct", T),
        ("enum", T),
        ("type", T),
        ("macro_rules!", O),
    ],
    modifiers: COMMON_MODIFIERS,
};

/// Go: functions, methods named by their receiver, type declarations.
pub static GO: LanguageSpec = LanguageSpec {
    name: "go",
    grammar: || tree_sitter_go::LANGUAGE.into(),
    definitions: &[
        ("function_declaration", F),
        ("method_declaration", F),
        ("type_declaration", T),
    ],
    wrappers: &[],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: &[("func", F), ("type", T)],
    modifiers: &[],
};

const JS_DEFINITIONS: &[(&str, Role)] = &[
    ("function_declaration", F),
    ("generator_function_declaration", F),
    ("method_definition", F),
    ("class_declaration", C),
    ("class", C),
    ("abstract_class_declaration", C),
    ("interface_declaration", T),
    ("type_alias_declaration", T),
    ("enum_declaration", T),
    ("internal_module", C),
    ("module", C),
    ("function_signature", F),
    ("abstract_method_signature", F),
];
const JS_WRAPPERS: &[&str] = &[
    "export_statement",
    "expression_statement",
    "ambient_declaration",
];
const JS_VALUE_DECLARATIONS: &[&str] = &[
    "lexical_declaration",
    "variable_declaration",
    "assignment_expression",
];
const JS_VALUE_KINDS: &[&str] = &[
    "arrow_function",
    "function_expression",
    "function",
    "generator_function",
    "class",
];
const JS_KEYWORDS: &[(&str, Role)] = &[
    ("function", F),
    ("function*", F),
    ("class", C),
    ("interface", T),
    ("type", T),
    ("enum", T),
    ("namespace", C),
];

/// JavaScript (and JSX): functions, classes, methods, `const f = () => ...`.
pub static JAVASCRIPT: LanguageSpec = LanguageSpec {
    name: "javascript",
    grammar: || tree_sitter_javascript::LANGUAGE.into(),
    definitions: JS_DEFINITIONS,
    wrappers: JS_WRAPPERS,
    transparent: &[],
    value_declarations: JS_VALUE_DECLARATIONS,
    value_kinds: JS_VALUE_KINDS,
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: JS_KEYWORDS,
    modifiers: COMMON_MODIFIERS,
};

/// TypeScript: JavaScript's definitions plus interfaces, type aliases, enums and
/// namespaces.
pub static TYPESCRIPT: LanguageSpec = LanguageSpec {
    name: "typescript",
    grammar: || tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
    ..JAVASCRIPT
};

/// TSX: TypeScript with JSX.
pub static TSX: LanguageSpec = LanguageSpec {
    name: "tsx",
    grammar: || tree_sitter_typescript::LANGUAGE_TSX.into(),
    ..JAVASCRIPT
};

/// Java: classes, interfaces, enums and records as containers, methods, constructors.
pub static JAVA: LanguageSpec = LanguageSpec {
    name: "java",
    grammar: || tree_sitter_java::LANGUAGE.into(),
    definitions: &[
        ("class_declaration", C),
        ("interface_declaration", C),
        ("enum_declaration", C),
        ("record_declaration", C),
        ("annotation_type_declaration", C),
        ("method_declaration", F),
        ("constructor_declaration", F),
        ("compact_constructor_declaration", F),
    ],
    wrappers: &[],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: &[("class", C), ("interface", C), ("enum", C), ("record", C)],
    modifiers: COMMON_MODIFIERS,
};

const C_TRANSPARENT: &[&str] = &[
    "preproc_if",
    "preproc_ifdef",
    "preproc_else",
    "preproc_elif",
    "preproc_elifdef",
    "linkage_specification",
    "declaration_list",
];

/// C: functions, structs, unions, enums, typedefs, macros; through preprocessor
/// conditionals.
pub static C_LANG: LanguageSpec = LanguageSpec {
    name: "c",
    grammar: || tree_sitter_c::LANGUAGE.into(),
    definitions: &[
        ("function_definition", F),
        ("struct_specifier", T),
        ("union_specifier", T),
        ("enum_specifier", T),
        ("type_definition", T),
        ("preproc_function_def", O),
        ("preproc_def", O),
        ("declaration", O),
    ],
    wrappers: &[],
    transparent: C_TRANSPARENT,
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: &[("struct", T), ("union", T), ("enum", T), ("typedef", T)],
    modifiers: &["static", "extern", "inline"],
};

/// C++: C's definitions plus classes, structs and namespaces as containers, templates.
pub static CPP: LanguageSpec = LanguageSpec {
    name: "cpp",
    grammar: || tree_sitter_cpp::LANGUAGE.into(),
    definitions: &[
        ("function_definition", F),
        ("class_specifier", C),
        ("struct_specifier", C),
        ("union_specifier", T),
        ("enum_specifier", T),
        ("namespace_definition", C),
        ("type_definition", T),
        ("alias_declaration", T),
        ("concept_definition", O),
        ("preproc_function_def", O),
        ("preproc_def", O),
        ("declaration", O),
    ],
    wrappers: &["template_declaration"],
    transparent: C_TRANSPARENT,
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: "::",
    keywords: &[
        ("class", C),
        ("struct", C),
        ("namespace", C),
        ("union", T),
        ("enum", T),
        ("typedef", T),
    ],
    modifiers: &["static", "extern", "inline", "virtual", "template<>"],
};

/// C#: namespaces, classes, structs, interfaces, records, enums; methods, constructors,
/// properties.
pub static CSHARP: LanguageSpec = LanguageSpec {
    name: "csharp",
    grammar: || tree_sitter_c_sharp::LANGUAGE.into(),
    definitions: &[
        ("namespace_declaration", C),
        ("class_declaration", C),
        ("struct_declaration", C),
        ("interface_declaration", C),
        ("record_declaration", C),
        ("enum_declaration", T),
        ("delegate_declaration", O),
        ("method_declaration", F),
        ("constructor_declaration", F),
        ("destructor_declaration", F),
        ("operator_declaration", F),
        ("property_declaration", O),
    ],
    wrappers: &[],
    transparent: &["file_scoped_namespace_declaration"],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: &[
        ("class", C),
        ("struct", C),
        ("interface", C),
        ("record", C),
        ("namespace", C),
        ("enum", T),
    ],
    modifiers: COMMON_MODIFIERS,
};

/// Ruby: classes and modules as containers, methods.
pub static RUBY: LanguageSpec = LanguageSpec {
    name: "ruby",
    grammar: || tree_sitter_ruby::LANGUAGE.into(),
    definitions: &[
        ("class", C),
        ("module", C),
        ("singleton_class", C),
        ("method", F),
        ("singleton_method", F),
    ],
    wrappers: &[],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: "::",
    keywords: &[("def", F), ("class", C), ("module", C)],
    modifiers: &["private", "protected", "public"],
};

/// PHP: classes, interfaces, traits, enums; methods and functions.
pub static PHP: LanguageSpec = LanguageSpec {
    name: "php",
    grammar: || tree_sitter_php::LANGUAGE_PHP.into(),
    definitions: &[
        ("class_declaration", C),
        ("interface_declaration", C),
        ("trait_declaration", C),
        ("enum_declaration", C),
        ("namespace_definition", C),
        ("method_declaration", F),
        ("function_definition", F),
    ],
    wrappers: &[],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: "::",
    keywords: &[
        ("function", F),
        ("class", C),
        ("interface", C),
        ("trait", C),
    ],
    modifiers: &[
        "public",
        "private",
        "protected",
        "static",
        "abstract",
        "final",
    ],
};

/// Bash and other shells: functions.
pub static BASH: LanguageSpec = LanguageSpec {
    name: "shell",
    grammar: || tree_sitter_bash::LANGUAGE.into(),
    definitions: &[("function_definition", F)],
    wrappers: &[],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: &[("function", F)],
    modifiers: &[],
};

/// Kotlin: classes, objects and interfaces as containers, functions.
pub static KOTLIN: LanguageSpec = LanguageSpec {
    name: "kotlin",
    grammar: || tree_sitter_kotlin_ng::LANGUAGE.into(),
    definitions: &[
        ("class_declaration", C),
        ("object_declaration", C),
        ("companion_object", C),
        ("function_declaration", F),
        ("secondary_constructor", F),
        ("type_alias", T),
    ],
    wrappers: &[],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &["class_body", "enum_class_body", "function_body"],
    separator: ".",
    keywords: &[("fun", F), ("class", C), ("object", C), ("interface", C)],
    modifiers: COMMON_MODIFIERS,
};

/// Swift: classes, structs, enums, extensions, actors and protocols as containers,
/// functions and initialisers.
pub static SWIFT: LanguageSpec = LanguageSpec {
    name: "swift",
    grammar: || tree_sitter_swift::LANGUAGE.into(),
    definitions: &[
        ("class_declaration", C),
        ("protocol_declaration", C),
        ("function_declaration", F),
        ("protocol_function_declaration", F),
        ("init_declaration", F),
        ("deinit_declaration", F),
        ("typealias_declaration", T),
    ],
    wrappers: &[],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: &[
        ("func", F),
        ("class", C),
        ("struct", C),
        ("enum", C),
        ("extension", C),
        ("protocol", C),
    ],
    modifiers: COMMON_MODIFIERS,
};

/// Scala: classes, objects and traits as containers, functions.
pub static SCALA: LanguageSpec = LanguageSpec {
    name: "scala",
    grammar: || tree_sitter_scala::LANGUAGE.into(),
    definitions: &[
        ("class_definition", C),
        ("object_definition", C),
        ("trait_definition", C),
        ("enum_definition", C),
        ("function_definition", F),
        ("type_definition", T),
    ],
    wrappers: &[],
    transparent: &[],
    value_declarations: &[],
    value_kinds: &[],
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: &[("def", F), ("class", C), ("object", C), ("trait", C)],
    modifiers: &[
        "private",
        "protected",
        "final",
        "sealed",
        "abstract",
        "case",
        "implicit",
        "override",
    ],
};

/// Lua: functions (`function M.f()`, `local function f()`, `M.f = function () end`) and
/// module-level values (`local M = {}`).
pub static LUA: LanguageSpec = LanguageSpec {
    name: "lua",
    grammar: || tree_sitter_lua::LANGUAGE.into(),
    definitions: &[("function_declaration", F)],
    wrappers: &[],
    transparent: &[],
    value_declarations: &["variable_declaration", "assignment_statement"],
    value_kinds: &["function_definition"],
    attached: &[],
    body_kinds: &[],
    separator: ".",
    keywords: &[("function", F)],
    modifiers: &["local"],
};

/// Every language with a syntax-aware chunker.
pub static SPECS: [&LanguageSpec; 17] = [
    &PYTHON,
    &RUST,
    &GO,
    &JAVASCRIPT,
    &TYPESCRIPT,
    &TSX,
    &JAVA,
    &C_LANG,
    &CPP,
    &CSHARP,
    &RUBY,
    &PHP,
    &BASH,
    &KOTLIN,
    &SWIFT,
    &SCALA,
    &LUA,
];

/// The spec of language `name` (as stored with chunks), if there is one.
pub fn spec_for(name: &str) -> Option<&'static LanguageSpec> {
    SPECS.iter().copied().find(|s| s.name == name)
}
