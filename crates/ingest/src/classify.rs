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
    Shell,
    Toml,
    Yaml,
}

impl Language {
    /// Every language, in the order their names are listed.
    pub const ALL: [Self; 11] = [
        Self::Python,
        Self::Rust,
        Self::C,
        Self::Cpp,
        Self::Go,
        Self::Java,
        Self::JavaScript,
        Self::TypeScript,
        Self::Shell,
        Self::Toml,
        Self::Yaml,
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
            Self::Shell => "shell",
            Self::Toml => "toml",
            Self::Yaml => "yaml",
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
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    use DocFormat as D;
    use Language as L;
    let kind = match ext.as_str() {
        "py" | "pyi" => FileKind::Code(L::Python),
        "rs" => FileKind::Code(L::Rust),
        "c" | "h" => FileKind::Code(L::C),
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => FileKind::Code(L::Cpp),
        "go" => FileKind::Code(L::Go),
        "java" => FileKind::Code(L::Java),
        "js" | "mjs" | "cjs" | "jsx" => FileKind::Code(L::JavaScript),
        "ts" | "tsx" => FileKind::Code(L::TypeScript),
        "sh" | "bash" => FileKind::Code(L::Shell),
        "toml" => FileKind::Code(L::Toml),
        "yaml" | "yml" => FileKind::Code(L::Yaml),
        "md" | "markdown" => FileKind::Doc(D::Markdown),
        "rst" => FileKind::Doc(D::ReStructuredText),
        "txt" | "text" => FileKind::Doc(D::Text),
        "pdf" => FileKind::Doc(D::Pdf),
        "png" | "jpg" | "jpeg" | "tif" | "tiff" => FileKind::Doc(D::Image),
        _ => return None,
    };
    Some(kind)
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
