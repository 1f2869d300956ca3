//! Pages that only point elsewhere: a back-of-book index or a table of contents, terms
//! and the page numbers that treat them. They share words with nearly any question about
//! their manual yet state nothing, so answers are not drawn from them: asked which exit
//! status flex returns on a syntax error, the 1.5B model read a page of flex's index
//! ("error messages ... 61", "EOF in patterns, syntax of ... 11") as "an exit status of
//! 1" and cited it.

/// Share of a page's lines that are locators from which the page is judged one.
const MIN_LOCATOR_SHARE: f64 = 0.5;
/// Fewest locators (entries, each a line or two) of one: a chunk of prose ending in a
/// footnote and a page number has two.
const MIN_ENTRIES: usize = 4;
/// Text of fewer non-empty lines is not judged (a title, a figure). A page's text
/// chunked in parts is judged part by part: the last lines of a table of contents are
/// often a chunk of their own.
const MIN_LINES: usize = 5;
/// Most digits of a page number.
const MAX_PAGE_DIGITS: usize = 4;

/// Whether `text` (a PDF page or part of one) is an index or a table of contents: at
/// least [`MIN_ENTRIES`] locators making up [`MIN_LOCATOR_SHARE`] of its lines. A
/// locator is a term on one line with its page numbers on the next (`end of line, in
/// patterns` / `10`, as PDF text extraction lays out a two-column index) or on the same
/// line after leader dots (`2.1 Usage . . . 5`). Numbers alone in runs (the vertices of
/// a drawn graph, a column of a table) are not locators: each must follow a term.
/// `plait search` still finds such pages (a reader may want them); answers do not use
/// them.
pub fn points_elsewhere(text: &str) -> bool {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() < MIN_LINES {
        return false;
    }
    // Lines that are part of a locator, and locators.
    let (mut lines_in, mut entries) = (0usize, 0usize);
    let mut i = 0;
    while i < lines.len() {
        let term = !page_numbers(lines[i]) && lines[i].chars().any(char::is_alphabetic);
        if term && lines.get(i + 1).is_some_and(|next| page_numbers(next)) {
            lines_in += 2;
            entries += 1;
            i += 2;
            continue;
        }
        if dotted(lines[i]) {
            lines_in += 1;
            entries += 1;
        }
        i += 1;
    }
    entries >= MIN_ENTRIES && lines_in as f64 >= MIN_LOCATOR_SHARE * lines.len() as f64
}

/// Whether `line` is page numbers alone: `12`, `4, 14`, `61.`, `.10` (full stops around
/// them are extraction's leader residue).
fn page_numbers(line: &str) -> bool {
    let line = line.trim_matches('.');
    !line.is_empty()
        && line.split(',').all(|n| {
            let n = n.trim();
            !n.is_empty() && n.len() <= MAX_PAGE_DIGITS && n.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Whether `line` is a term, leader dots and a page number (`Index . . . . 35`,
/// `yyterminate().. 18`); a version or a decimal at a line end (`in MPFR 2.4.`) is not.
fn dotted(line: &str) -> bool {
    let digits = line.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > MAX_PAGE_DIGITS {
        return false;
    }
    let rest = line[..line.len() - digits].trim_end();
    let leader = rest.ends_with("..") || rest.ends_with(". .");
    leader && rest.chars().any(char::is_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_laid_out_term_then_page_points_elsewhere() {
        let index = "Index\nA\nabort handler.\n12\naliases, defining\n4, 14\nbuffers, \
                     flushing..\n27\nC comments, discarding\n17\ncolumns, fixed\n.10\n\
                     end of file, in rules\n11\nerror reporting\n72\n";
        assert!(points_elsewhere(index));
    }

    #[test]
    fn a_table_of_contents_with_leader_dots_points_elsewhere() {
        let toc = (1..=12)
            .map(|i| format!("{i}.{i} Section number {i} . . . . . . . . . {}", 3 * i))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(points_elsewhere(&toc));
    }

    #[test]
    fn prose_lists_of_versions_and_drawn_graphs_do_not() {
        let prose = "The scanner reads its input in blocks.\nEach block is scanned for \
                     the longest match.\n"
            .repeat(6);
        assert!(!points_elsewhere(&prose));
        let versions = (0..12)
            .map(|i| format!("- mpfr_fn_{i} in MPFR 4.{i}."))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            !points_elsewhere(&versions),
            "versions are not page numbers"
        );
        // A drawn graph: vertex numbers in runs, a caption between them.
        let graph = "Example 2:\ng =\n4\n3\n0 1\n2\n5\n7 6\n8\n9\n10\n11\noutput:\n";
        assert!(!points_elsewhere(graph));
        assert!(
            !points_elsewhere("Index\nabort\n12\n"),
            "too short to judge"
        );
        // The end of a page of prose: a footnote's address, then the page number.
        let tail = "representations of several languages.\n1.2 Another section\nIt provides \
                    conventions as well\nas support for components used in other\n1\n\
                    http://example.org/manual/index.html\n1\n";
        assert!(!points_elsewhere(tail), "two pairs are no index");
        // The last lines of a table of contents, chunked apart from the rest.
        let toc_tail = "D Solving models 68\nE.1 Model description . . . . . . . 70\n\
                        E.2 Generated problem . . . . . . . 72\nE.3 Optimal solution . . . . \
                        . . . 72\nAcknowledgements 74\n5\n";
        assert!(points_elsewhere(toc_tail));
    }
}
