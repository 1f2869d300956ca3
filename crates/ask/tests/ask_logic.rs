//! `ask` end to end with the test doubles: declining, checked citations, streaming and
//! cancelling, without a model or an index.

use std::sync::atomic::AtomicBool;

use plait_ask::testing::{hit, FixedHits, ScriptedGenerator, WithUnknownWords};
use plait_ask::{ask, AskConfig, AskError, AskEvent, AskRequest, DECLINED};

fn corpus() -> FixedHits {
    FixedHits(vec![
        hit(
            "/s/code/pagerange.py",
            "class PageRange: a slice-like representation of a range of page indices, parsed from strings such as 1:3",
        ),
        hit(
            "/s/docs/vicksburg.pdf",
            "The siege of Vicksburg ended with the surrender of the city on July 4",
        ),
    ])
}

/// The answer of `g` to `question` over [`corpus`], with the default settings.
fn answer(g: &mut ScriptedGenerator, question: &str) -> plait_ask::Answer {
    answer_over(&corpus(), g, question)
}

/// The answer of `g` to `question` over `hits`, with the default settings.
fn answer_over(hits: &FixedHits, g: &mut ScriptedGenerator, question: &str) -> plait_ask::Answer {
    ask(
        hits,
        g,
        &AskConfig::default(),
        &AskRequest::new(question),
        None,
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A generator writing `answer`, and `retry` when told not to start as `answer` does.
fn scripted(answer: &str, retry: &str) -> ScriptedGenerator {
    ScriptedGenerator {
        answer: answer.into(),
        retry_answer: Some(retry.into()),
        ..ScriptedGenerator::default()
    }
}

/// The answer of `g` to `question` when no retry relevance is ever reached.
fn answer_without_retry(g: &mut ScriptedGenerator, question: &str) -> plait_ask::Answer {
    let config = AskConfig {
        retry_relevance: 1.1,
        ..AskConfig::default()
    };
    let request = AskRequest::new(question);
    ask(&corpus(), g, &config, &request, None, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn gen(answer: &str) -> ScriptedGenerator {
    ScriptedGenerator {
        answer: answer.into(),
        ..ScriptedGenerator::default()
    }
}

#[test]
fn a_supported_answer_keeps_its_checked_citations_and_streams_sentences() {
    let mut g = gen("PageRange parses page ranges from strings such as 1:3 [1][9]. The city surrendered on July 4 [1]. Bananas are yellow fruit.");
    let mut events = Vec::new();
    let a = ask(
        &corpus(),
        &mut g,
        &AskConfig::default(),
        &AskRequest::new("How are page ranges parsed from strings?"),
        None,
        &mut |e| match e {
            AskEvent::Sources(s) => events.push(format!("sources {}", s.len())),
            AskEvent::Token(_) => {}
            AskEvent::Sentence(s) => events.push(s.text.clone()),
        },
    )
    .unwrap();
    assert!(!a.declined, "{a:?}");
    assert_eq!(
        a.answer,
        "PageRange parses page ranges from strings such as 1:3 [1]. The city surrendered on July 4 [2]."
    );
    assert_eq!(a.sentences[0].removed, vec![9], "9 was never a source");
    assert_eq!(
        a.sentences[1].removed,
        vec![1],
        "source 1 shares no word with it"
    );
    assert!(
        a.sentences[1].added,
        "cited with the source that supports it"
    );
    assert_eq!(a.dropped.len(), 1, "the unsupported sentence is left out");
    let numbers: Vec<usize> = a.sources.iter().map(|s| s.number).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(events[0], "sources 2");
    assert_eq!(events.len(), 3);
    assert!(a.timings.ttft_ms.is_some());
    let prompt = &g.prompts[0];
    let (sources_at, question_at) = (
        prompt.find("[1] code/pagerange.py:1-10").unwrap(),
        prompt.find("Question:").unwrap(),
    );
    assert!(sources_at < question_at, "sources before the question");
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["sources"][0]["path"], "/s/code/pagerange.py");
    assert_eq!(json["sources"][0]["number"], 1);
    assert_eq!(json["declined"], false);
    assert!(a.invented.is_empty(), "{:?}", a.invented);
}

#[test]
fn a_looping_answer_shows_its_sentence_once_and_stops_generating() {
    let said = "PageRange parses page ranges from strings such as 1:3 [1]. ";
    let tail = "It is a slice-like representation of page indices [1]. ";
    let mut g = gen(&format!("{said}{tail}{}", said.repeat(6)));
    let a = answer(&mut g, "How are page ranges parsed from strings?");
    assert!(!a.declined, "{a:?}");
    assert_eq!(a.answer, format!("{said}{tail}").trim());
    let repeated = a.dropped.iter().filter(|d| d.repeated).count();
    assert_eq!(repeated, plait_ask::LOOP_REPEATS, "{:?}", a.dropped);
    let written = said.split_whitespace().count() * (2 + plait_ask::LOOP_REPEATS - 1)
        + tail.split_whitespace().count();
    assert!(
        a.timings.generated_tokens <= written + 1,
        "generation stopped once the answer looped: {} tokens",
        a.timings.generated_tokens
    );
}

#[test]
fn an_answer_that_only_numbers_markers_stops_and_is_not_shown() {
    // "... are [1][2] [2][3] [2][4] ..." until the budget would end, cut inside a marker.
    let markers: Vec<String> = (3..200).map(|n| format!("[2][{n}]")).collect();
    let text = format!(
        "PageRange page ranges are [1][2] {} [2][4",
        markers.join(" ")
    );
    let mut g = gen(&text);
    let a = answer(&mut g, "What are page ranges in PageRange?");
    assert!(
        a.timings.generated_tokens <= plait_ask::MAX_MARKERS,
        "stopped after {} markers: {} tokens",
        plait_ask::MAX_MARKERS,
        a.timings.generated_tokens
    );
    assert!(
        a.declined,
        "nothing but a sentence stopping on `are`: {a:?}"
    );
    assert!(!a.answer.contains('['), "{}", a.answer);
}

#[test]
fn a_copy_of_a_file_elsewhere_is_one_source_and_shown_once() {
    let mut hits = corpus();
    let copy = hit("/s/sample/pagerange.py", &hits.0[0].text);
    hits.0.insert(1, copy);
    let ask_with = |g: &mut ScriptedGenerator, question: &str| answer_over(&hits, g, question);
    // Declined before the model: the closest distinct texts, the copy left out.
    let mut g = gen("Mercury boils at 357 degrees [1].");
    let a = ask_with(&mut g, "What is the boiling point of mercury?");
    assert!(a.declined && g.prompts.is_empty());
    let shown: Vec<&str> = a.sources.iter().map(|s| s.hit.path.as_str()).collect();
    assert_eq!(shown, ["/s/code/pagerange.py", "/s/docs/vicksburg.pdf"]);
    // Answered: the prompt holds the text once.
    let mut g = gen("PageRange parses ranges such as 1:3 [1].");
    let a = ask_with(&mut g, "How are page ranges parsed from strings?");
    assert!(!a.declined, "{a:?}");
    assert_eq!(
        g.prompts[0].matches("a slice-like representation").count(),
        1
    );
    assert!(!g.prompts[0].contains("/s/sample/"));
}

#[test]
fn identifiers_no_source_holds_are_reported() {
    let mut g = gen("PageRange parses page ranges from strings such as 1:3 with to_slicing [1].");
    let a = answer(&mut g, "How are page ranges parsed from strings?");
    assert!(!a.declined, "{a:?}");
    assert_eq!(a.invented, ["to_slicing"], "PageRange is in source 1");
}

#[test]
fn declines_when_the_sources_lack_the_question_or_the_model_says_so() {
    let mut g = gen("Mercury boils at 357 degrees [1].");
    let a = answer(&mut g, "What is the boiling point of mercury?");
    assert!(a.declined && a.answer == DECLINED);
    assert!(g.prompts.is_empty(), "declined before any generation");
    assert_eq!(a.sources.len(), 2, "the closest sources are shown");

    let mut g = gen("NOT FOUND. The sources talk about something else.");
    let a = answer(&mut g, "When did the siege of Vicksburg start?");
    assert!(a.declined);
    assert!(a.reason.unwrap_or_default().contains("model"));

    let mut g = gen("Quantum gluons confine colour charges strongly.");
    let a = answer(&mut g, "When did the siege of Vicksburg end?");
    assert!(a.declined, "nothing supported: declined, not invented");
}

#[test]
fn a_decline_over_relevant_sources_is_asked_again_and_its_words_never_stream() {
    let mut g = scripted(
        "NOT FOUND",
        "The siege of Vicksburg ended with the surrender on July 4 [2].",
    );
    let mut tokens = String::new();
    let a = ask(
        &corpus(),
        &mut g,
        &AskConfig::default(),
        &AskRequest::new("How did the siege of Vicksburg end?"),
        None,
        &mut |e| {
            if let AskEvent::Token(t) = e {
                tokens.push_str(t);
            }
        },
    )
    .unwrap();
    assert!(!a.declined, "{a:?}");
    assert_eq!(a.timings.attempts, 2);
    assert_eq!(g.prompts.len(), 2);
    assert_eq!(
        g.prompts[0], g.prompts[1],
        "the same prompt, its cache reused"
    );
    assert!(g.avoided[0].is_empty());
    assert!(g.avoided[1].iter().any(|s| s == "NOT FOUND"));
    assert!(
        !tokens.contains("NOT"),
        "the decline was held back: {tokens:?}"
    );
    assert!(tokens.starts_with("The siege"), "{tokens:?}");

    // A second attempt is checked like any answer: unsupported, still declined.
    let mut g = scripted(
        "NOT FOUND",
        "Quantum gluons confine colour charges strongly [1].",
    );
    let a = answer(&mut g, "How did the siege of Vicksburg end?");
    assert!(a.declined && a.timings.attempts == 2, "{a:?}");

    // Below the retry relevance the model's decline stands after one attempt.
    let mut g = scripted("NOT FOUND", "The siege of Vicksburg ended on July 4 [2].");
    let a = answer_without_retry(&mut g, "How did the siege of Vicksburg end?");
    assert!(a.declined && g.prompts.len() == 1, "{a:?}");
}

#[test]
fn an_answer_forced_past_a_decline_must_cite_a_source_holding_the_question() {
    // Together the two pages hold 5 of the question's 8 distinctive words, so the
    // model's decline is asked again; the page the second attempt cites holds only 3
    // (not the determinant it asks about), so that answer is declined too.
    let pages = FixedHits(vec![
        hit(
            "/s/docs/mpfr.pdf",
            "MPFR functions use the prefix mpfr_ and work on numbers of any precision.",
        ),
        hit("/s/docs/lapack.pdf", "A square matrix is stored by rows."),
    ]);
    let question =
        "Which MPFR function computes the determinant of a square matrix of multiple-precision numbers?";
    let ask_with = |g: &mut ScriptedGenerator| answer_over(&pages, g, question);
    let mut g = scripted(
        "NOT FOUND",
        "The function prefix is mpfr_ for all numbers [1].",
    );
    let a = ask_with(&mut g);
    assert_eq!(a.timings.attempts, 2, "{a:?}");
    assert!(a.declined, "{a:?}");
    assert!(
        a.reason
            .as_deref()
            .is_some_and(|r| r.contains("holds enough of the question")),
        "{a:?}"
    );
    // The same answer given at once (not forced) stands: the rule is for forced ones.
    let mut g = gen("The function prefix is mpfr_ for all numbers [1].");
    let a = ask_with(&mut g);
    assert!(!a.declined && a.timings.attempts == 1, "{a:?}");
}

#[test]
fn an_answer_with_no_supported_sentence_is_asked_again_without_its_start() {
    // An answer no source supports (small models also restate the question and cite
    // what does not hold it): asked once more, not starting as before, and the second
    // answer is checked like any other.
    let mut g = scripted(
        "Gluons bind quarks [1].",
        "The siege of Vicksburg ended with the surrender on July 4 [2].",
    );
    let a = answer(&mut g, "How did the siege of Vicksburg end?");
    assert!(!a.declined, "{a:?}");
    assert_eq!(a.timings.attempts, 2, "{a:?}");
    assert_eq!(
        g.prompts[0], g.prompts[1],
        "the same prompt, its cache reused"
    );
    assert_eq!(g.avoided[1], vec!["Gluons bind quarks [1].".to_string()]);
    assert!(
        a.answer.contains("July 4") && !a.answer.contains("Gluons"),
        "{a:?}"
    );
    assert_eq!(
        a.dropped.len(),
        1,
        "the first attempt's sentence is reported"
    );

    // The second attempt unsupported too: declined after two attempts.
    let mut g = scripted(
        "Gluons bind quarks [1].",
        "Quantum gluons confine colour charges strongly [1].",
    );
    let a = answer(&mut g, "How did the siege of Vicksburg end?");
    assert!(a.declined && a.timings.attempts == 2, "{a:?}");

    // A supported first answer is not asked again; nor is one below the retry relevance.
    let mut g = gen("The siege of Vicksburg ended with the surrender on July 4 [2].");
    let a = answer(&mut g, "How did the siege of Vicksburg end?");
    assert!(!a.declined && g.prompts.len() == 1, "{a:?}");
    let mut g = scripted(
        "Gluons bind quarks [1].",
        "The siege of Vicksburg ended on July 4 [2].",
    );
    let a = answer_without_retry(&mut g, "How did the siege of Vicksburg end?");
    assert!(a.declined && g.prompts.len() == 1, "{a:?}");
}

#[test]
fn an_answer_built_on_invented_quotations_is_asked_again_or_declined() {
    // Two sentences quote what no source writes, one is supported: the answer stands on
    // the invented names, so it is asked once more, and declined without the retry.
    let invented = "Use the `--siege-end` flag [2]. Set `SIEGE_OVER=1` for it [2]. \
                    The siege of Vicksburg ended with the surrender [2].";
    let mut g = scripted(
        invented,
        "The siege of Vicksburg ended with the surrender on July 4 [2].",
    );
    let a = answer(&mut g, "How did the siege of Vicksburg end?");
    assert!(!a.declined && a.timings.attempts == 2, "{a:?}");
    assert!(
        a.answer.contains("July 4") && !a.answer.contains("--siege"),
        "{a:?}"
    );
    assert_eq!(a.dropped.iter().filter(|s| s.misquoted).count(), 2, "{a:?}");
    let mut g = scripted(invented, "The siege of Vicksburg ended on July 4 [2].");
    let a = answer_without_retry(&mut g, "How did the siege of Vicksburg end?");
    assert!(a.declined && g.prompts.len() == 1, "{a:?}");
    assert!(
        a.reason.as_deref().is_some_and(|r| r.contains("quote")),
        "{a:?}"
    );
    // One invented quotation beside two supported sentences stands (it is left out).
    let mut g = gen(
        "Use the `--siege-end` flag [2]. The siege of Vicksburg ended with \
                     the surrender [2]. The surrender came on July 4 [2].",
    );
    let a = answer(&mut g, "How did the siege of Vicksburg end?");
    assert!(!a.declined && g.prompts.len() == 1, "{a:?}");
    assert!(!a.answer.contains("--siege"), "{a:?}");
}

#[test]
fn a_decline_stands_when_the_question_names_what_the_index_never_mentions() {
    let question = "How did the siege of the city of Vicksburg end in QUIC?";
    let retriever = |unknown: &[&str]| WithUnknownWords {
        hits: corpus(),
        unknown: unknown.iter().map(|w| w.to_string()).collect(),
        names: Vec::new(),
    };
    let decliner = || {
        scripted(
            "NOT FOUND",
            "The siege of Vicksburg ended with the surrender on July 4 [2].",
        )
    };
    let request = AskRequest::new(question);
    let run = |unknown: &[&str], g: &mut ScriptedGenerator| {
        ask(
            &retriever(unknown),
            g,
            &AskConfig::default(),
            &request,
            None,
            &mut |_| {},
        )
        .unwrap()
    };
    let mut g = decliner();
    let a = run(&["quic"], &mut g);
    assert!(a.declined && g.prompts.len() == 1, "{a:?}");
    assert_eq!(a.unknown_words, ["QUIC"], "{a:?}");
    assert!(a.reason.unwrap_or_default().contains("never mentions QUIC"));
    // Every word known: asked once more, as before.
    let mut g = decliner();
    let a = run(&[], &mut g);
    assert!(!a.declined && g.prompts.len() == 2, "{a:?}");
    assert!(a.unknown_words.is_empty());
    // Reported only for a decline: an answer keeps no unknown words.
    let mut g = gen("The siege of Vicksburg ended with the surrender on July 4 [2].");
    let a = run(&["quic"], &mut g);
    assert!(!a.declined && a.unknown_words.is_empty(), "{a:?}");
    // A sentence writing the word no index holds is not shown (an invented quotation)...
    let mut g = gen(
        "The siege of Vicksburg ended with the surrender on July 4 [2]. \
         The surrender of the city came on July 4 [2]. \
         The siege of Vicksburg ended over QUIC on July 4 [2].",
    );
    let a = run(&["quic"], &mut g);
    assert!(!a.declined && !a.answer.contains("QUIC"), "{a:?}");
    assert!(a.dropped.iter().any(|d| d.misquoted), "{a:?}");
    // ... and an answer half made of them is declined.
    let mut g = gen(
        "The siege of Vicksburg ended with the surrender on July 4 [2]. \
         The siege of Vicksburg ended over QUIC on July 4 [2].",
    );
    let a = run(&["quic"], &mut g);
    assert!(a.declined, "{a:?}");
}

#[test]
fn a_question_naming_what_the_index_never_mentions_is_declined_before_the_model_runs() {
    let retriever = WithUnknownWords {
        hits: corpus(),
        names: vec!["Teams".into()],
        ..WithUnknownWords::default()
    };
    let run = |question: &str, g: &mut ScriptedGenerator| {
        let request = AskRequest::new(question);
        ask(
            &retriever,
            g,
            &AskConfig::default(),
            &request,
            None,
            &mut |_| {},
        )
        .unwrap()
    };
    let mut g = gen("The siege of Vicksburg ended with the surrender on July 4 [2].");
    let a = run("How did the siege of Vicksburg end for the Teams?", &mut g);
    assert!(a.declined && g.prompts.is_empty(), "{a:?}");
    assert_eq!(a.unknown_words, ["Teams"]);
    assert!(a
        .reason
        .unwrap_or_default()
        .contains("never mentions Teams"));
    assert!(!a.sources.is_empty(), "the closest sources are shown");
    let a = run("How did the siege of Vicksburg end?", &mut g);
    assert!(!a.declined && g.prompts.len() == 1, "{a:?}");
}

#[test]
fn bad_requests_are_refused_before_anything_runs_and_cancel_stops() {
    let mut g = gen("x");
    let empty = ask(
        &corpus(),
        &mut g,
        &AskConfig::default(),
        &AskRequest::new("  "),
        None,
        &mut |_| {},
    );
    assert!(matches!(empty, Err(AskError::Search(_))), "{empty:?}");
    let mut r = AskRequest::new("q");
    r.max_tokens = Some(0);
    assert!(matches!(r.validate(), Err(AskError::BadRequest { .. })));
    let cancel = AtomicBool::new(true);
    let mut g = gen("The siege of Vicksburg ended [2]. More words follow here.");
    let a = ask(
        &corpus(),
        &mut g,
        &AskConfig::default(),
        &AskRequest::new("How did the siege of Vicksburg end?"),
        Some(&cancel),
        &mut |_| {},
    )
    .unwrap();
    assert!(a.cancelled);
    assert!(a.timings.generated_tokens <= 1);
}

#[test]
fn a_page_of_a_books_index_is_not_given_to_the_model() {
    let index_page = "Index\nerror messages, end of buffer\n61\nerror reporting\n72\n\
                      exit handlers\n18\nsyntax of patterns\n11\nscanner options\n12\n";
    let hits = FixedHits(vec![
        hit("/s/docs/scanner-index.pdf", index_page),
        hit(
            "/s/docs/scanner.pdf",
            "On a syntax error the scanner generator prints an error message with the line number",
        ),
    ]);
    let mut g = gen("The scanner generator prints an error message with the line number [1].");
    let a = answer_over(
        &hits,
        &mut g,
        "What does the scanner generator do on a syntax error?",
    );
    assert!(!a.declined, "{a:?}");
    let prompt = &g.prompts[0];
    assert!(prompt.contains("prints an error message"), "{prompt}");
    assert!(
        !prompt.contains("error reporting"),
        "the index page is no source: {prompt}"
    );
    assert_eq!(a.sources.len(), 1);
    assert!(a.sources[0].hit.path.ends_with("scanner.pdf"));
}
