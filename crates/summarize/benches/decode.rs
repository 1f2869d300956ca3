//! Decoding speed, side by side in one run: plain decoding (1 and 2 threads; the faster
//! is the baseline), prompt lookup, draft-model speculation and both together, on the
//! Qwen2.5-Coder pair (1.5B target, 0.5B draft; PLAIT_BENCH_MODELS=smollm2 for SmolLM2
//! and its Q4_0 copy), for (a) summarising a report with quotations, (b) editing a code
//! file, (c) free generation. Prints tokens/s, the ratio to the fastest plain run, acceptance, mean
//! accepted draft length, and whether the greedy output equals plain greedy output. Also
//! prints what one target evaluation costs per batch size, which bounds any speedup.
//!
//! `cargo bench -p plait-summarize --bench decode` (PLAIT_BENCH_QUICK=1: one repetition,
//! shorter outputs; PLAIT_BENCH_TASK=a|b|c: one task; PLAIT_BENCH_SHOW=1: print the
//! outputs; PLAIT_BENCH_DRAFT=FILE, PLAIT_BENCH_PMIN=P: another draft model or p_min).
//! Run it on an otherwise idle machine.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use plait_testkit as assets;

use plait_summarize::{
    DecodeConfig, DraftConfig, Generation, Llama, LoadedModel, LookupConfig, ModelConfig, Sampling,
    Strategy,
};

const REPORT: &str = include_str!("data/report.txt");
const CODE: &str = include_str!("data/edit_input.rs");

fn chat(user: &str) -> String {
    format!("<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Row {
    task: &'static str,
    config: String,
    tps: f64,
    gen: Generation,
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let quick = std::env::var_os("PLAIT_BENCH_QUICK").is_some();
    let reps = if quick { 1 } else { 3 };
    let max_tokens = if quick { 128 } else { 320 };
    let smollm2 = std::env::var("PLAIT_BENCH_MODELS").is_ok_and(|m| m == "smollm2");
    let (target_name, target_path, default_draft) = if smollm2 {
        (
            "SmolLM2-135M-Instruct Q4_1 (draft: its Q4_0 copy)",
            assets::asset("models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf"),
            "models/gguf/test/smollm2-135m-instruct-q4_0-draft.gguf",
        )
    } else {
        (
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (draft: Qwen2.5-Coder-0.5B-Instruct Q4_K_M)",
            assets::asset("models/gguf/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
            "models/gguf/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        )
    };
    let draft_path = std::env::var_os("PLAIT_BENCH_DRAFT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| assets::asset(default_draft));
    // SmolLM2 loops without a repetition penalty (which flatters prompt lookup); Qwen
    // does not need one.
    let prose_penalty = if smollm2 { 1.2 } else { 1.0 };

    let llama = Llama::init().unwrap();
    let target = LoadedModel::load(llama, &ModelConfig::new(&target_path)).unwrap();
    batch_cost(&target);
    let draft = LoadedModel::load(llama, &ModelConfig::new(&draft_path)).unwrap();
    // (task, prompt, repetition penalty, no-repeat n-gram size): summaries and free text
    // use the summarize roles' penalty (without it SmolLM2 loops, which flatters prompt
    // lookup); a code edit must copy, which a penalty on recent tokens would break.
    let tasks: [(&str, String, f32, usize); 3] = [
        (
            "(a) summary with quotations",
            chat(&format!(
                "{REPORT}\n\nWhat did the committee write? Answer with the committee's own words in quotation marks."
            )),
            prose_penalty,
            0,
        ),
        (
            "(b) code edit",
            // The answer is opened with the code fence, as an editor integration does.
            chat(&format!(
                "Rename the method `needs_reorder` to `low_stock` everywhere in this Rust file and print the complete updated file.\n\n```rust\n{CODE}```"
            )) + "```rust\n",
            1.0,
            0,
        ),
        (
            "(c) free generation",
            chat("Write a story about a robot who learns to paint."),
            prose_penalty,
            0,
        ),
    ];
    let lookup = LookupConfig::default();
    let draft_cfg = DraftConfig {
        n_max: 8,
        n_min: 1,
        p_min: std::env::var("PLAIT_BENCH_PMIN")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.6),
        adaptive: true,
    };
    println!(
        "\ndecode: {target_name}, greedy, up to {max_tokens} new tokens, median of {reps}; repetition penalty {prose_penalty} on (a) and (c)"
    );
    println!(
        "{:<28} {:<28} {:>8} {:>7} {:>8} {:>7}  same as plain greedy",
        "task", "config", "tok/s", "ratio", "accept", "mean"
    );
    // PLAIT_BENCH_TASK=a|b|c runs one task.
    let only = std::env::var("PLAIT_BENCH_TASK").ok();
    for (task, prompt, penalty, no_repeat) in &tasks {
        if only
            .as_deref()
            .is_some_and(|t| !task.starts_with(&format!("({t})")))
        {
            continue;
        }
        let run = |threads: i32, strategy: Strategy<'_>| -> (f64, Generation) {
            let cfg = DecodeConfig {
                n_ctx: 2048,
                threads,
                max_tokens,
                sampling: Sampling::Greedy,
                repeat_penalty: *penalty,
                repeat_last_n: 64,
                no_repeat_ngram: *no_repeat,
                stop_on_loop: false,
                record_margins: true,
                ban_first: Vec::new(),
                grounding: None,
            };
            let mut tps = Vec::new();
            let mut last = None;
            for _ in 0..reps {
                let g = target.generate(prompt, &cfg, strategy, |_| {}).unwrap();
                tps.push(g.tokens_per_second);
                last = Some(g);
            }
            (median(tps), last.unwrap())
        };
        let mut rows = Vec::new();
        for threads in [1, 2] {
            let (tps, gen) = run(threads, Strategy::Plain);
            rows.push(Row {
                task,
                config: format!("plain, {threads} thread(s)"),
                tps,
                gen,
            });
        }
        let best_plain = if rows[0].tps >= rows[1].tps { 0 } else { 1 };
        let threads = best_plain as i32 + 1;
        let (tps, gen) = run(threads, Strategy::PromptLookup(lookup));
        rows.push(Row {
            task,
            config: format!("prompt lookup, {threads} thread(s)"),
            tps,
            gen,
        });
        let (tps, gen) = run(
            threads,
            Strategy::Draft {
                model: &draft,
                config: draft_cfg,
            },
        );
        rows.push(Row {
            task,
            config: format!("draft model, {threads} thread(s)"),
            tps,
            gen,
        });
        let (tps, gen) = run(
            threads,
            Strategy::DraftAndLookup {
                model: &draft,
                config: draft_cfg,
                lookup,
            },
        );
        rows.push(Row {
            task,
            config: format!("both, {threads} thread(s)"),
            tps,
            gen,
        });
        if std::env::var_os("PLAIT_BENCH_SHOW").is_some() {
            for r in &rows {
                println!("--- {} / {}:\n{}\n---", r.task, r.config, r.gen.text);
            }
        }
        let base = rows[best_plain].tps;
        // Greedy output is compared with plain decoding on the same number of threads
        // (thread counts split sums differently, which can flip near ties).
        let reference = |config: &str| {
            let t = if config.contains("1 thread") { 0 } else { 1 };
            &rows[t].gen
        };
        // "yes", or where the output parts from plain greedy and the top-2 logit gap of
        // the plain run there (a near tie when small).
        let same = |g: &Generation, plain: &Generation| -> String {
            let at = g
                .tokens
                .iter()
                .zip(&plain.tokens)
                .take_while(|(a, b)| a == b)
                .count();
            if at == g.tokens.len() && at == plain.tokens.len() {
                "yes".into()
            } else {
                let gap = plain.margins.get(at).copied().unwrap_or(f32::NAN);
                let gap2 = g.margins.get(at).copied().unwrap_or(f32::NAN);
                format!("@{at} gap {:.3}", gap.min(gap2))
            }
        };
        for r in &rows {
            let (accept, mean) = if r.gen.drafted > 0 {
                (
                    format!("{:.0}%", 100.0 * r.gen.acceptance_rate()),
                    format!("{:.2}", r.gen.mean_accepted()),
                )
            } else {
                ("-".into(), "-".into())
            };
            println!(
                "{:<28} {:<28} {:>8.1} {:>6.2}x {:>8} {:>7}  {}",
                r.task,
                r.config,
                r.tps,
                r.tps / base,
                accept,
                mean,
                same(&r.gen, reference(&r.config))
            );
        }
    }
}

/// Time of one target evaluation per batch size at position 400 (the cost of verifying a
/// draft of `n - 1` tokens).
fn batch_cost(target: &LoadedModel) {
    let sizes = [1usize, 2, 4, 8, 16, 24];
    let one = target.batch_cost(1, 400, &sizes, 20).unwrap();
    let two = target.batch_cost(2, 400, &sizes, 20).unwrap();
    println!("target evaluation cost by batch size (at position 400):");
    println!(
        "{:>6} {:>10} {:>10} {:>10} {:>10}",
        "batch", "1 thr ms", "ms/token", "2 thr ms", "ms/token"
    );
    for ((n, a), (_, b)) in one.iter().zip(&two) {
        let (a, b) = (a * 1000.0, b * 1000.0);
        println!(
            "{n:>6} {a:>10.2} {:>10.2} {b:>10.2} {:>10.2}",
            a / *n as f64,
            b / *n as f64
        );
    }
}
