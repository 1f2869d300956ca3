//! The instructions given to the models. Each prompt puts what every call shares first
//! (system message, instructions, the document's title and key terms) and what differs
//! last, so a session reuses the shared prefix from its cache.

/// The system message of every summary prompt.
pub(crate) const SYSTEM: &str = "You are a careful technical writer. You summarize documents accurately and concisely, using only facts stated in the text and the document's own terms.";

fn titled(title: Option<&str>) -> String {
    title
        .map(|t| format!(" titled \"{t}\""))
        .unwrap_or_default()
}

fn terms_line(key_terms: &[String]) -> String {
    if key_terms.is_empty() {
        String::new()
    } else {
        format!(
            " Where the text supports it, mention the document's key terms: {}.",
            key_terms.join(", ")
        )
    }
}

/// A map-phase note on one excerpt.
pub(crate) fn note(title: Option<&str>, range: &str, excerpt: &str) -> String {
    format!(
        "Read this excerpt of a document{} and write 2 to 4 sentences stating its most important specific facts (events, names, dates, numbers, components, settings, how things work), reusing the excerpt's own words. No commentary on importance, no description of the excerpt itself (no \"This excerpt...\"), no headings or lists, never a name that is not in the excerpt.\n\nExcerpt ({range}):\n{excerpt}",
        titled(title)
    )
}

/// A reduce-level note combining notes.
pub(crate) fn combine(title: Option<&str>, range: &str, notes: &str) -> String {
    format!(
        "Combine these notes on a document{} into 3 to 5 sentences that keep every distinct specific fact and drop repetitions, reusing the notes' own words. No commentary, no headings or lists, never a name that is not in the notes.\n\nNotes ({range}):\n{notes}",
        titled(title)
    )
}

/// The final summary from notes.
pub(crate) fn final_from_notes(title: Option<&str>, key_terms: &[String], notes: &str) -> String {
    format!(
        "Below are notes on consecutive parts of a document{}, each marked with its pages or lines. Write an executive summary of the whole document in 6 to 8 sentences: first what the document is about, then its main points and conclusions in the order of the document. Each sentence states a different specific fact from the notes (what, who, when, how, which components or values), reusing the notes' own words; no general commentary on significance, no repetition, no names or numbers that are not in the notes.{} Plain prose: no headings, lists or page references.\n\n{notes}",
        titled(title),
        terms_line(key_terms)
    )
}

/// The final summary in one pass over the whole text.
pub(crate) fn one_pass(title: Option<&str>, key_terms: &[String], text: &str) -> String {
    format!(
        "Write an executive summary of the document{} below in 6 to 8 sentences: first what the document is about, then its main points and conclusions in the order of the document. Each sentence states a different specific fact from the text (what, who, when, how, which components or values), reusing the text's own words; no general commentary on significance, no repetition, no names or numbers that are not in the text.{} Plain prose: no headings, lists or page references.\n\n{text}",
        titled(title),
        terms_line(key_terms)
    )
}

/// Added to the final prompt when the summary so far leaves out key terms: the terms,
/// and for some of them a sentence of the text that mentions them (`mentions`), so a
/// small model states what the document says about them instead of what such words
/// usually go with.
pub(crate) fn missing_terms(terms: &[String], mentions: &[&str]) -> String {
    let mut out = format!(
        "\n\nThe summary so far leaves out these key terms of the document: {}. Continue it with sentences stating what the text says about them, skipping any it does not explain.",
        terms.join(", ")
    );
    if !mentions.is_empty() {
        out.push_str(" The text mentions them in passages such as:");
        for m in mentions {
            out.push_str(&format!("\n- \"{m}\""));
        }
    }
    out
}
