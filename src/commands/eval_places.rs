//! `plait eval --ask --retrieval SET --corpus DIR`: retrieval alone on an ask set, no
//! model: for each answerable question, where the first chunk at a labelled place comes
//! in each search mode and in the plain BM25 baseline (whole functions and pages), as
//! MRR@10 and the shares with one first, in the first five and in the first ten.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use plait_ask::eval::AskSet;
use plait_ask::place::Stretch;
use plait_ask::retrieval_eval::{first_at_place, place_scores, PLACE_CUTOFF};
use plait_ingest::lexical::baseline::{BaselineUnit, Bm25Baseline};
use plait_ingest::{IndexName, Query, SearchService};

use crate::assets::Home;
use crate::commands::eval::{ingest_corpus, Args};
use crate::commands::eval_ask::request;

pub fn run(home: &Home, args: &Args, set: &AskSet) -> Result<ExitCode> {
    let (encoders, root, _corpus) = ingest_corpus(home, args, &set.corpus)?;
    let service = encoders.search_service(&root).resident_lexical();
    service.load_lexical();
    let mut baselines: HashMap<IndexName, Bm25Baseline> = HashMap::new();
    let questions: Vec<_> = set.questions.iter().filter(|q| !q.unanswerable).collect();
    let rows: Vec<String> = std::iter::once("bm25".to_string())
        .chain(args.modes().iter().map(ToString::to_string))
        .collect();
    let mut ranks: Vec<Vec<Option<usize>>> = vec![Vec::new(); rows.len()];
    let mut details = Vec::new();
    for q in &questions {
        let r = request(args, &q.text, q.index.as_ref())?;
        let units = baseline_units(&service, &mut baselines, &r.indexes, &q.text)?;
        let mut mine = vec![first_at_place(units.iter().map(stretch_of), q)];
        for mode in args.modes() {
            let query = Query {
                mode,
                lexical_weight: args.lexical_weight(),
                ..r.query.clone()
            };
            let hits = service.search_all(&r.indexes, &query)?;
            mine.push(first_at_place(hits.iter().map(Stretch::from), q));
        }
        for (all, rank) in ranks.iter_mut().zip(&mine) {
            all.push(*rank);
        }
        details.push(serde_json::json!({
            "question": q.text,
            "ranks": rows.iter().zip(&mine).map(|(row, r)| (row.clone(), serde_json::json!(r))).collect::<serde_json::Map<_, _>>(),
        }));
    }
    let mut out = std::io::stdout().lock();
    if args.json() {
        let scores: serde_json::Map<_, _> = rows
            .iter()
            .zip(&ranks)
            .map(|(row, r)| (row.clone(), serde_json::json!(place_scores(r))))
            .collect();
        let v = serde_json::json!({
            "set": args.set(), "corpus": set.corpus, "retrieval": scores, "questions": details,
        });
        writeln!(out, "{v}")?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{} answerable questions of {} ({}): the first chunk at a labelled place\nrow        MRR@{PLACE_CUTOFF}  first  top 5  top {PLACE_CUTOFF}",
        questions.len(),
        args.set().display(),
        set.corpus
    )?;
    for (row, r) in rows.iter().zip(&ranks) {
        let s = place_scores(r);
        writeln!(
            out,
            "{row:<10} {:>6.3}  {:>5.3}  {:>5.3}  {:>6.3}",
            s.mrr_at_10, s.at_1, s.at_5, s.at_10
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The baseline's units for `text` over `indexes` (each index's baseline built once),
/// merged by score.
fn baseline_units(
    service: &SearchService,
    baselines: &mut HashMap<IndexName, Bm25Baseline>,
    indexes: &[IndexName],
    text: &str,
) -> Result<Vec<BaselineUnit>> {
    let mut units = Vec::new();
    for &index in indexes {
        if let std::collections::hash_map::Entry::Vacant(e) = baselines.entry(index) {
            e.insert(service.bm25_baseline(index)?);
        }
        units.extend(baselines[&index].ranked(text));
    }
    units.sort_by(|a, b| b.score.total_cmp(&a.score));
    units.truncate(PLACE_CUTOFF);
    Ok(units)
}

fn stretch_of(u: &BaselineUnit) -> Stretch<'_> {
    Stretch {
        path: &u.path,
        lines: u.lines,
        page: u.page,
    }
}
