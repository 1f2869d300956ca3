//! Deciding whether a file goes to the code index, the docs index, or nowhere.

use std::path::Path;

/// Programming languages recognised by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    Rust,
    C,
    Cpp,
    Go,
    Java,
    JavaScript,
    TypeScript,
    Tsx,
    CSharp,
    Ruby,
    Php,
    Kotlin,
    Swift,
    Scala,
    Lua,
    Shell,
    Notebook,
    Toml,
    Yaml,
    Json,
}

impl Language {
    /// Every language, in the order their names are listed.
    pub const ALL: [Self; 21] = [
        Self::Python,
        Self::Rust,
        Self::C,
        Self::Cpp,
        Self::Go,
        Self::Java,
        Self::JavaScript,
        Self::TypeScript,
        Self::Tsx,
        Self::CSharp,
        Self::Ruby,
        Self::Php,
        Self::Kotlin,
        Self::Swift,
        Self::Scala,
        Self::Lua,
        Self::Shell,
        Self::Notebook,
        Self::Toml,
        Self::Yaml,
        Self::Json,
    ];

    /// The lowercase name stored with chunks and accepted by search filters.
    pub fn name(self) -> &'static str {
        match self {
            Self::Python => "python",
            Self::Rust => "rust",
            Self::C => "c",
            Self::Cpp => "cpp",
            Self::Go => "go",
            Self::Java => "java",
            Self::JavaScript => "javascript",
            Self::TypeScript => "typescript",
            Self::Tsx => "tsx",
            Self::CSharp => "csharp",
            Self::Ruby => "ruby",
            Self::Php => "php",
            Self::Kotlin => "kotlin",
            Self::Swift => "swift",
            Self::Scala => "scala",
            Self::Lua => "lua",
            Self::Shell => "shell",
            Self::Notebook => "notebook",
            Self::Toml => "toml",
            Self::Yaml => "yaml",
            Self::Json => "json",
        }
    }

    /// The language of a name (any case), `None` when plait does not know it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(name))
    }
}

/// Document formats of the docs index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocFormat {
    Markdown,
    ReStructuredText,
    Text,
    Pdf,
    Image,
}

/// Where a file belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// Source code, for the code index.
    Code(Language),
    /// Prose, PDFs and page images, for the docs index.
    Doc(DocFormat),
}

/// Classifies `path` by its extension (case-insensitive); `None` when plait does not
/// ingest that kind of file.
pub fn classify(path: &Path) -> Option<FileKind> {
    // Lock files are generated and large: nothing to search for in them.
    let name = path.file_name()?.to_str()?;
    if matches!(
        name,
        "package-lock.json" | "npm-shrinkwrap.json" | "Cargo.lock"
    ) {
        return None;
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    use DocFormat as D;
    use Language as L;
    let kind = match ext.as_str() {
        "py" | "pyi" => FileKind::Code(L::Python),
        "rs" => FileKind::Code(L::Rust),
        "c" | "h" => FileKind::Code(L::C),
        "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "h++" | "ipp" => {
            FileKind::Code(L::Cpp)
        }
        "go" => FileKind::Code(L::Go),
        "java" => FileKind::Code(L::Java),
        "js" | "mjs" | "cjs" | "jsx" => FileKind::Code(L::JavaScript),
        "ts" | "mts" | "cts" => FileKind::Code(L::TypeScript),
        "tsx" => FileKind::Code(L::Tsx),
        "cs" => FileKind::Code(L::CSharp),
        "rb" | "rake" | "gemspec" | "ru" => FileKind::Code(L::Ruby),
        "php" => FileKind::Code(L::Php),
        "kt" | "kts" => FileKind::Code(L::Kotlin),
        "swift" => FileKind::Code(L::Swift),
        "scala" | "sc" => FileKind::Code(L::Scala),
        "lua" => FileKind::Code(L::Lua),
        "sh" | "bash" | "zsh" | "ksh" => FileKind::Code(L::Shell),
        "ipynb" => FileKind::Code(L::Notebook),
        "toml" => FileKind::Code(L::Toml),
        "yaml" | "yml" => FileKind::Code(L::Yaml),
        "json" => FileKind::Code(L::Json),
        "md" | "markdown" => FileKind::Doc(D::Markdown),
        "rst" => FileKind::Doc(D::ReStructuredText),
        "txt" | "text" => FileKind::Doc(D::Text),
        "pdf" => FileKind::Doc(D::Pdf),
        "png" | "jpg" | "jpeg" | "tif" | "tiff" => FileKind::Doc(D::Image),
        _ => return None,
    };
    Some(kind)
}

/// The language a script's first line names (`#!/usr/bin/env python3`,
/// `#!/bin/bash`), for files without an extension; `None` when it names none plait
/// knows.
pub fn classify_shebang(first_line: &str) -> Option<Language> {
    let rest = first_line.strip_prefix("#!")?.trim();
    let mut words = rest.split_whitespace();
    let mut program = words.next()?.rsplit('/').next()?;
    if program == "env" {
        program = words.find(|w| !w.starts_with('-'))?;
    }
    let name = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    let lang = match name {
        "python" | "pypy" => Language::Python,
        "sh" | "bash" | "zsh" | "ksh" | "dash" => Language::Shell,
        "node" | "nodejs" | "deno" => Language::JavaScript,
        "ruby" => Language::Ruby,
        "php" => Language::Php,
        "lua" | "luajit" => Language::Lua,
        "scala" => Language::Scala,
        "kotlin" => Language::Kotlin,
        _ => return None,
    };
    Some(lang)
}

/// Classifies `path` by its extension, or a file without one by its shebang line
/// (`head` is the start of the file).
pub fn classify_with_head(path: &Path, head: &[u8]) -> Option<FileKind> {
    if path.extension().is_some() {
        return classify(path);
    }
    let first = head.split(|&b| b == b'\n').next()?;
    classify_shebang(std::str::from_utf8(first).ok()?).map(FileKind::Code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_extension() {
        assert_eq!(
            classify(Path::new("a/b/pagerange.py")),
            Some(FileKind::Code(Language::Python))
        );
        assert_eq!(
            classify(Path::new("Paper.PDF")),
            Some(FileKind::Doc(DocFormat::Pdf))
        );
        assert_eq!(
            classify(Path::new("README.md")),
            Some(FileKind::Doc(DocFormat::Markdown))
        );
        assert_eq!(classify(Path::new("image.bin")), None);
        assert_eq!(classify(Path::new("Makefile")), None);
        assert_eq!(
            classify(Path::new("lib/rack.rb")),
            Some(FileKind::Code(Language::Ruby))
        );
        assert_eq!(
            classify(Path::new("App.TSX")),
            Some(FileKind::Code(Language::Tsx))
        );
    }

    #[test]
    fn classifies_scripts_by_shebang() {
        let cases = [
            ("#!/usr/bin/env python3\nprint(1)\n", Some(Language::Python)),
            ("#!/bin/bash -e\n", Some(Language::Shell)),
            (
                "#!/usr/bin/env -S node --harmony\n",
                Some(Language::JavaScript),
            ),
            ("#!/usr/bin/ruby2.7\n", Some(Language::Ruby)),
            ("#!/usr/bin/perl\n", None),
            ("no shebang\n", None),
        ];
        for (head, lang) in cases {
            assert_eq!(
                classify_with_head(Path::new("bin/tool"), head.as_bytes()),
                lang.map(FileKind::Code),
                "{head}"
            );
        }
        // An extension wins over the first line.
        assert_eq!(
            classify_with_head(Path::new("x.txt"), b"#!/bin/sh\n"),
            Some(FileKind::Doc(DocFormat::Text))
        );
    }

    #[test]
    fn names_match_what_chunks_store() {
        for l in Language::ALL {
            assert_eq!(l.name(), format!("{l:?}").to_lowercase());
            assert_eq!(Language::from_name(&l.name().to_uppercase()), Some(l));
        }
        assert_eq!(Language::from_name("klingon"), None);
    }
}
