//! `plait eval --ask SET --corpus DIR`: answer every question of a labelled ask set with
//! one model load and one session (so the instructions' keys and values are reused),
//! and print the share answered with a right phrase and a right citation, declines,
//! time to first token (cold, and the same question again from the cache) and tokens/s.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use plait_ask::eval::{report, score, AskQuestion, AskReport, AskSet, QuestionScore};
use plait_ask::{Answer, AskConfig, AskRequest, RoleGenerator, Timings};
use plait_ingest::{IndexName, Query};

use crate::assets::Home;
use crate::commands::ask::load_role;
use crate::commands::eval::{ingest_corpus, Args};

#[allow(clippy::print_stderr)]
pub fn run(home: &Home, args: &Args, text: &str) -> Result<ExitCode> {
    let mut set = AskSet::from_toml(text, &args.set().display().to_string())?;
    if !args.compare_roles.is_empty() {
        return crate::commands::eval_speed::run(home, args, set);
    }
    if args.retrieval {
        return crate::commands::eval_places::run(home, args, &set);
    }
    if let Some(n) = args.limit {
        set.questions.truncate(n);
    }
    let (encoders, root, _corpus) = ingest_corpus(home, args, &set.corpus)?;
    let service = encoders.search_service(&root);
    let runner = load_role(home, args.roles.as_deref(), &args.role)?;
    let mut generator = RoleGenerator::new(runner.session()?);
    let config = AskConfig::default();
    let request = |text: &str, index: Option<&String>| request(args, text, index);
    let mut out = std::io::stdout().lock();
    let mut scores = Vec::new();
    let mut cold_then_warm = Vec::new();
    let mut prefix_only = Vec::new();
    // Prefix reuse is measured on the first questions that reach the model (a question
    // declined before generation leaves nothing in the cache).
    let mut generated = 0usize;
    for q in &set.questions {
        let r = request(&q.text, q.index.as_ref())?;
        let answer = plait_ask::ask(&service, &mut generator, &config, &r, None, &mut |_| {})?;
        let s = score(q, &answer);
        if answer.timings.prompt_tokens > 0 {
            generated += 1;
            if generated == 1 {
                // The same question again: its whole prompt is in the cache.
                let again =
                    plait_ask::ask(&service, &mut generator, &config, &r, None, &mut |_| {})?;
                cold_then_warm = vec![answer.timings.clone(), again.timings];
            } else if generated == 2 {
                // This question reused the instructions kept from an earlier one; the
                // same question in a fresh session shows what that saved.
                let mut fresh = RoleGenerator::new(runner.session()?);
                let cold = plait_ask::ask(&service, &mut fresh, &config, &r, None, &mut |_| {})?;
                prefix_only = vec![cold.timings, answer.timings.clone()];
            }
        }
        if !args.json() {
            print_question(&mut out, q, &answer, &s)?;
        }
        scores.push(s);
    }
    let r = report(&scores);
    if args.json() {
        let v = serde_json::json!({
            "set": args.set(), "role": args.role, "report": r,
            "prefix_reuse": cold_then_warm, "instructions_reuse": prefix_only,
            "questions": scores,
        });
        writeln!(out, "{v}")?;
        return Ok(ExitCode::SUCCESS);
    }
    print_report(&mut out, args, &scores, &r)?;
    print_reuse(&mut out, &prefix_only, &cold_then_warm)?;
    Ok(ExitCode::SUCCESS)
}

/// The request for one labelled question: its index (both when absent or with
/// `--any-index`), the first mode of `--modes`, `--max-tokens`.
pub fn request(args: &Args, text: &str, index: Option<&String>) -> Result<AskRequest> {
    let indexes = match index.filter(|_| !args.any_index) {
        Some(i) => vec![i.parse::<IndexName>().map_err(anyhow::Error::msg)?],
        None => IndexName::ALL.to_vec(),
    };
    Ok(AskRequest {
        query: Query {
            mode: args.ask_mode(),
            ..Query::new(text)
        },
        indexes,
        max_tokens: args.max_tokens,
    })
}

/// One question's line: right or missed, time to first token, the answer and its cites.
fn print_question(
    out: &mut impl Write,
    q: &AskQuestion,
    answer: &Answer,
    s: &QuestionScore,
) -> Result<()> {
    writeln!(
        out,
        "{} {:<9} ttft {:>5.1} s {:>5.1} tok/s  {}\n      -> {} {}{}",
        if s.right { "ok  " } else { "MISS" },
        if s.unanswerable { "(decline)" } else { "" },
        s.ttft_ms.unwrap_or(0.0) / 1e3,
        s.tokens_per_second,
        q.text,
        answer.answer.replace('\n', " "),
        s.cited.join(", "),
        if s.invented.is_empty() {
            String::new()
        } else {
            format!(" [invented: {}]", s.invented.join(", "))
        }
    )?;
    out.flush()?;
    Ok(())
}

/// The set's figures: right answers, declines, retries, invented names, speed.
fn print_report(
    out: &mut impl Write,
    args: &Args,
    scores: &[QuestionScore],
    r: &AskReport,
) -> Result<()> {
    writeln!(
        out,
        "\n{} questions ({} answerable, {} unanswerable), role {}",
        scores.len(),
        r.answerable,
        r.unanswerable,
        args.role
    )?;
    writeln!(
        out,
        "answered with a right phrase and a right citation: {}/{} ({:.0}%); right phrase {:.0}%, right citation {:.0}%; wrongly declined {}",
        r.answered_right,
        r.answerable,
        100.0 * r.answered_right_share,
        100.0 * r.phrase_share,
        100.0 * r.citation_share,
        r.wrongly_declined
    )?;
    writeln!(
        out,
        "unanswerable declined: {}/{} ({:.0}%)",
        r.declined_right,
        r.unanswerable,
        100.0 * r.declined_right_share
    )?;
    writeln!(
        out,
        "asked again after declining relevant sources: {}/{}",
        r.retried,
        scores.len()
    )?;
    writeln!(
        out,
        "answers with an identifier no source holds: {}/{}",
        r.answers_with_invented,
        scores.len()
    )?;
    writeln!(
        out,
        "median time to first token {:.1} s; {:.1} tokens/s over all answers",
        r.median_ttft_ms.unwrap_or(0.0) / 1e3,
        r.tokens_per_second
    )?;
    Ok(())
}

/// Time to first token with and without the reused prefix.
fn print_reuse(
    out: &mut impl Write,
    prefix_only: &[Timings],
    cold_then_warm: &[Timings],
) -> Result<()> {
    if let [cold, warm] = prefix_only {
        writeln!(
            out,
            "instructions reused (second question answered by the model): time to first token {:.2} s in a fresh session, {:.2} s after an earlier question ({} of {} prompt tokens reused)",
            cold.ttft_ms.unwrap_or(0.0) / 1e3,
            warm.ttft_ms.unwrap_or(0.0) / 1e3,
            warm.reused_prompt_tokens,
            warm.prompt_tokens
        )?;
    }
    if let [cold, warm] = cold_then_warm {
        writeln!(
            out,
            "prefix reuse (first question answered by the model, twice): time to first token {:.2} s cold ({} of {} prompt tokens reused), {:.2} s again ({} reused)",
            cold.ttft_ms.unwrap_or(0.0) / 1e3,
            cold.reused_prompt_tokens,
            cold.prompt_tokens,
            warm.ttft_ms.unwrap_or(0.0) / 1e3,
            warm.reused_prompt_tokens
        )?;
    }
    Ok(())
}
