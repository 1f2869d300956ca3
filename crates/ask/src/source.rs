//! Numbered sources: the retrieved chunks an answer may cite, in the shape of search
//! hits plus their number, and how each is shown to the model.

use plait_ingest::{Hit, IndexName};
use serde::{Deserialize, Serialize};

/// A retrieved chunk given to the model as source `[number]`. Serialised as the search
/// [`Hit`] (the shape of `plait search --json`) with its `number` added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The number the answer cites it by (`[1]`, `[2]`, ...).
    pub number: usize,
    #[serde(flatten)]
    pub hit: Hit,
}

impl Source {
    /// Where the source is, for people: `path:start-end`, `path p.N` or `path` (the same
    /// place `plait search` prints).
    pub fn place(&self) -> String {
        format!("{}{}", self.hit.path, self.hit.place_suffix())
    }

    /// The words the model and the citation checks see: path, symbol and text.
    pub fn checked_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.hit.path,
            self.hit.symbol.as_deref().unwrap_or(""),
            self.hit.container.as_deref().unwrap_or(""),
            self.hit.text
        )
    }

    /// The block the prompt holds for this source: its number, a short place (the last
    /// two path components, lines or page, symbol) and its text, with Windows line ends
    /// (`\r\n`, a file saved on Windows; PDF text has plain ones from extraction)
    /// written as plain ones.
    pub fn prompt_block(&self) -> String {
        let parts: Vec<&str> = self.hit.path.rsplit('/').take(2).collect();
        let short: Vec<&str> = parts.into_iter().rev().collect();
        let mut head = format!(
            "[{}] {}{}",
            self.number,
            short.join("/"),
            self.hit.place_suffix()
        );
        if let Some(s) = &self.hit.symbol {
            head.push_str(&format!(" ({s})"));
        }
        let text = self
            .hit
            .text
            .trim_end()
            .replace("\r\n", "\n")
            .replace('\r', "\n");
        if self.hit.index != IndexName::Code {
            return format!("{head}\n{text}\n");
        }
        // Code is fenced as in Markdown, with its language: what a code model reads
        // code in. A fence longer than any run of backticks in the text closes it.
        let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let language = self.hit.language.as_deref().unwrap_or("");
        format!("{head}\n{fence}{language}\n{text}\n{fence}\n")
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::sources;

    #[test]
    fn a_block_has_the_number_the_short_place_and_plain_line_ends() {
        let s = sources(&[("/a/b/manual.pdf", "first line\r\nsecond\rthird\r\n")]);
        assert_eq!(
            s[0].prompt_block(),
            "[1] b/manual.pdf p.1\nfirst line\nsecond\nthird\n"
        );
    }

    #[test]
    fn code_is_fenced_with_its_language_and_a_fence_its_text_cannot_close() {
        let mut s = sources(&[("/a/pkg/size.py", "A4 = (595, 842)\n")]);
        s[0].hit.language = Some("python".into());
        assert_eq!(
            s[0].prompt_block(),
            "[1] pkg/size.py:1-10\n```python\nA4 = (595, 842)\n```\n"
        );
        let doc = sources(&[("/a/pkg/doc.py", "\"\"\"Example:\n```\nx()\n```\n\"\"\"")]);
        let block = doc[0].prompt_block();
        assert!(block.starts_with("[1] pkg/doc.py:1-10\n````\n"), "{block}");
        assert!(block.ends_with("\"\"\"\n````\n"), "{block}");
    }
}
