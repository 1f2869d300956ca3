//! `plait eval SET --ask --compare-roles plain,lookup,...`: the decoding speed of model
//! roles on the ask set's own prompts. Every answerable question is retrieved, packed and
//! answered by each role in turn (so a busy machine slows them alike), and the table
//! gives tokens/s, the ratio to the first role, draft acceptance and whether the answer
//! is the same as the first role's (greedy speculation must not change it), over all
//! answers and over those that quote their sources.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use plait_ask::eval::AskSet;
use plait_ask::{Answer, AskConfig, Picks, RoleGenerator};
use serde::Serialize;

use crate::assets::Home;
use crate::commands::ask::load_role;
use crate::commands::eval::{ingest_corpus, Args};
use crate::commands::eval_ask::request;

/// Words in a row an answer must share with a source to count as quoting it.
const QUOTE_WORDS: usize = 8;

/// One role's totals.
#[derive(Debug, Default, Clone, Serialize)]
struct Totals {
    role: String,
    strategy: String,
    answers: usize,
    tokens: usize,
    decode_s: f64,
    drafted: usize,
    accepted: usize,
    /// Answers equal to the first role's (the same tokens chosen, the same text).
    same: usize,
    /// The largest top-2 logit gap where an answer parted from the first role's (a near
    /// tie when small: batches of different sizes sum in a different order).
    widest_parting: Option<f32>,
    quoting_tokens: usize,
    quoting_decode_s: f64,
}

impl Totals {
    fn add(&mut self, a: &Answer, quoting: bool, same: bool, parting: Option<(usize, f32)>) {
        if let Some((_, gap)) = parting {
            self.widest_parting = Some(self.widest_parting.map_or(gap, |w| w.max(gap)));
        }
        let t = &a.timings;
        self.strategy.clone_from(&t.strategy);
        self.answers += 1;
        self.tokens += t.generated_tokens;
        self.decode_s += t.decode_ms / 1e3;
        self.drafted += t.drafted;
        self.accepted += t.accepted;
        self.same += usize::from(same);
        if quoting {
            self.quoting_tokens += t.generated_tokens;
            self.quoting_decode_s += t.decode_ms / 1e3;
        }
    }

    fn tps(&self) -> f64 {
        rate(self.tokens, self.decode_s)
    }

    fn quoting_tps(&self) -> f64 {
        rate(self.quoting_tokens, self.quoting_decode_s)
    }
}

fn rate(tokens: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        tokens as f64 / seconds
    } else {
        0.0
    }
}

/// Whether `answer` shares [`QUOTE_WORDS`] words in a row with one of its sources.
fn quotes(answer: &Answer) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let said = words(&answer.answer);
    if said.len() < QUOTE_WORDS {
        return false;
    }
    answer.sources.iter().any(|s| {
        let text = words(&s.hit.text).join(" ");
        said.windows(QUOTE_WORDS)
            .any(|w| text.contains(&w.join(" ")))
    })
}

#[allow(clippy::print_stderr)]
pub fn run(home: &Home, args: &Args, mut set: AskSet) -> Result<ExitCode> {
    set.questions.retain(|q| !q.unanswerable);
    if let Some(n) = args.limit {
        set.questions.truncate(n);
    }
    let (encoders, root, _corpus) = ingest_corpus(home, args, &set.corpus)?;
    let service = encoders.search_service(&root);
    let runners = args
        .compare_roles
        .iter()
        .map(|name| load_role(home, args.roles.as_deref(), name))
        .collect::<Result<Vec<_>>>()?;
    let mut generators = runners
        .iter()
        .map(|r| Ok(RoleGenerator::new(r.session()?).recording_margins()))
        .collect::<Result<Vec<_>>>()?;
    let mut totals: Vec<Totals> = args
        .compare_roles
        .iter()
        .map(|role| Totals {
            role: role.clone(),
            ..Totals::default()
        })
        .collect();
    let config = AskConfig::default();
    let mut out = std::io::stdout().lock();
    let mut per_question = Vec::new();
    for (i, q) in set.questions.iter().enumerate() {
        let r = request(args, &q.text, q.index.as_ref())?;
        let mut answers: Vec<Answer> = Vec::new();
        for (g, name) in generators.iter_mut().zip(&args.compare_roles) {
            let a = plait_ask::ask(&service, g, &config, &r, None, &mut |_| {})
                .with_context(|| format!("role `{name}` on question {}", i + 1))?;
            answers.push(a);
        }
        let quoting = quotes(&answers[0]);
        for (j, a) in answers.iter().enumerate() {
            let first = &answers[0];
            let parting = Picks::parting(&a.picks, &first.picks);
            let same = parting.is_none() && a.answer == first.answer;
            totals[j].add(a, quoting, same, parting);
            if !args.json() {
                let t = &a.timings;
                writeln!(
                    out,
                    "q{:<3}{:<18} {:>6.1} tok/s  {:>4} tokens  drafted {:>4} accepted {:>4}  {}{}",
                    i + 1,
                    totals[j].role,
                    t.tokens_per_second,
                    t.generated_tokens,
                    t.drafted,
                    t.accepted,
                    match parting {
                        _ if same => "same".to_string(),
                        Some((at, gap)) => format!("parts @{at}, top-2 gap {gap:.3}"),
                        None => "DIFFERENT".to_string(),
                    },
                    if quoting && j == 0 { "  (quotes)" } else { "" }
                )?;
            }
        }
        out.flush()?;
        per_question.push(serde_json::json!({
            "question": q.text, "quotes": quoting,
            "timings": answers.iter().map(|a| &a.timings).collect::<Vec<_>>(),
        }));
    }
    if args.json() {
        let v = serde_json::json!({"set": args.set(), "roles": totals, "questions": per_question});
        writeln!(out, "{v}")?;
        return Ok(ExitCode::SUCCESS);
    }
    print_table(&mut out, &totals, set.questions.len())?;
    Ok(ExitCode::SUCCESS)
}

fn print_table(out: &mut impl Write, totals: &[Totals], questions: usize) -> Result<()> {
    let base = totals.first().map_or(0.0, Totals::tps);
    let base_q = totals.first().map_or(0.0, Totals::quoting_tps);
    let quoting = totals.first().map_or(0, |t| t.quoting_tokens);
    writeln!(
        out,
        "\n{questions} answerable questions, every role on each in turn; ratios against `{}`",
        totals.first().map_or("", |t| t.role.as_str())
    )?;
    writeln!(
        out,
        "{:<18} {:<20} {:>8} {:>6} {:>8} {:>9} {:>6} {:>9}  others part at",
        "role", "strategy", "tok/s", "ratio", "accept", "quoting", "ratio", "same"
    )?;
    for t in totals {
        let ratio = |x: f64, b: f64| if b > 0.0 { x / b } else { 0.0 };
        let accept = if t.drafted > 0 {
            format!("{:.2}", t.accepted as f64 / t.drafted as f64)
        } else {
            "-".into()
        };
        writeln!(
            out,
            "{:<18} {:<20} {:>8.2} {:>5.2}x {:>8} {:>9.2} {:>5.2}x {:>5}/{}  {}",
            t.role,
            t.strategy,
            t.tps(),
            ratio(t.tps(), base),
            accept,
            t.quoting_tps(),
            ratio(t.quoting_tps(), base_q),
            t.same,
            t.answers,
            t.widest_parting
                .map(|g| format!("top-2 gaps <= {g:.3}"))
                .unwrap_or_default()
        )?;
    }
    writeln!(
        out,
        "(quoting: answers sharing {QUOTE_WORDS} words in a row with a source; {quoting} of the baseline's tokens)"
    )?;
    writeln!(
        out,
        "(an answer that is not the same parts from the first role's where the two best logits \
         were this close: batches of different sizes round differently, so a near tie can flip)"
    )?;
    Ok(())
}
