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

/// The models of one run: the target, its draft and how prose is penalised.
struct Models {
    target_name: &'static str,
    target: LoadedModel,
    draft: LoadedModel,
    /// SmolLM2 loops without a repetition penalty (which flatters prompt lookup); Qwen
    /// does not need one.
    prose_penalty: f32,
}

impl Models {
    /// The Qwen pair, or SmolLM2 and its Q4_0 copy (`PLAIT_BENCH_MODELS=smollm2`);
    /// `PLAIT_BENCH_DRAFT` picks another draft. Prints the target's batch costs.
    fn load() -> Self {
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
        let llama = Llama::init().unwrap();
        let target = LoadedModel::load(llama, &ModelConfig::new(&target_path)).unwrap();
        batch_cost(&target);
        let draft = LoadedModel::load(llama, &ModelConfig::new(&draft_path)).unwrap();
        Self {
            target_name,
            target,
            draft,
            prose_penalty: if smollm2 { 1.2 } else { 1.0 },
        }
    }
}

/// One task: its name, prompt, repetition penalty and no-repeat n-gram size.
struct Task {
    name: &'static str,
    prompt: String,
    penalty: f32,
    no_repeat: usize,
}

/// The three tasks. Summaries and free text use the summarize roles' penalty (without
/// it SmolLM2 loops, which flatters prompt lookup); a code edit must copy, which a
/// penalty on recent tokens would break.
fn tasks(prose_penalty: f32) -> [Task; 3] {
    [
        Task {
            name: "(a) summary with quotations",
            prompt: chat(&format!(
                "{REPORT}\n\nWhat did the committee write? Answer with the committee's own words in quotation marks."
            )),
            penalty: prose_penalty,
            no_repeat: 0,
        },
        Task {
            name: "(b) code edit",
            // The answer is opened with the code fence, as an editor integration does.
            prompt: chat(&format!(
                "Rename the method `needs_reorder` to `low_stock` everywhere in this Rust file and print the complete updated file.\n\n```rust\n{CODE}```"
            )) + "```rust\n",
            penalty: 1.0,
            no_repeat: 0,
        },
        Task {
            name: "(c) free generation",
            prompt: chat("Write a story about a robot who learns to paint."),
            penalty: prose_penalty,
            no_repeat: 0,
        },
    ]
}

/// How a task is decoded: repetitions and length.
#[derive(Clone, Copy)]
struct Bench {
    reps: usize,
    max_tokens: usize,
    lookup: LookupConfig,
    draft: DraftConfig,
}

impl Bench {
    /// The median tokens/s of `reps` runs of `task` and the last run's output.
    fn run(
        &self,
        model: &LoadedModel,
        task: &Task,
        threads: i32,
        strategy: Strategy<'_>,
    ) -> (f64, Generation) {
        let cfg = DecodeConfig {
            n_ctx: 2048,
            threads,
            max_tokens: self.max_tokens,
            sampling: Sampling::Greedy,
            repeat_penalty: task.penalty,
            repeat_last_n: 64,
            no_repeat_ngram: task.no_repeat,
            stop_on_loop: false,
            record_margins: true,
            ban_first: Vec::new(),
            ban_opening: Vec::new(),
            lead: Vec::new(),
            grounding: None,
        };
        let mut tps = Vec::new();
        let mut last = None;
        for _ in 0..self.reps {
            let g = model
                .generate(&task.prompt, &cfg, strategy, |_| {})
                .unwrap();
            tps.push(g.tokens_per_second);
            last = Some(g);
        }
        (median(tps), last.unwrap())
    }

    /// Plain decoding on 1 and 2 threads, then lookup, draft and both on the faster
    /// thread count; returns the rows and which plain row is the baseline.
    fn rows(&self, models: &Models, task: &Task) -> (Vec<Row>, usize) {
        let mut rows = Vec::new();
        let mut push = |config: String, (tps, gen): (f64, Generation)| {
            rows.push(Row {
                task: task.name,
                config,
                tps,
                gen,
            });
        };
        let run = |threads: i32, strategy: Strategy<'_>| {
            self.run(&models.target, task, threads, strategy)
        };
        let plain = [run(1, Strategy::Plain), run(2, Strategy::Plain)];
        let best_plain = usize::from(plain[0].0 < plain[1].0);
        let threads = best_plain as i32 + 1;
        for (t, p) in plain.into_iter().enumerate() {
            push(format!("plain, {} thread(s)", t + 1), p);
        }
        let draft = &models.draft;
        let (lookup, config) = (self.lookup, self.draft);
        let strategies = [
            ("prompt lookup", Strategy::PromptLookup(lookup)),
            (
                "draft model",
                Strategy::Draft {
                    model: draft,
                    config,
                },
            ),
            (
                "both",
                Strategy::DraftAndLookup {
                    model: draft,
                    config,
                    lookup,
                },
            ),
        ];
        for (name, strategy) in strategies {
            push(
                format!("{name}, {threads} thread(s)"),
                run(threads, strategy),
            );
        }
        (rows, best_plain)
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let quick = std::env::var_os("PLAIT_BENCH_QUICK").is_some();
    let models = Models::load();
    let bench = Bench {
        reps: if quick { 1 } else { 3 },
        max_tokens: if quick { 128 } else { 320 },
        lookup: LookupConfig::default(),
        draft: DraftConfig {
            n_max: 8,
            n_min: 1,
            p_min: std::env::var("PLAIT_BENCH_PMIN")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.6),
            adaptive: true,
        },
    };
    println!(
        "\ndecode: {}, greedy, up to {} new tokens, median of {}; repetition penalty {} on (a) and (c)",
        models.target_name, bench.max_tokens, bench.reps, models.prose_penalty
    );
    println!(
        "{:<28} {:<28} {:>8} {:>7} {:>8} {:>7}  same as plain greedy",
        "task", "config", "tok/s", "ratio", "accept", "mean"
    );
    // PLAIT_BENCH_TASK=a|b|c runs one task.
    let only = std::env::var("PLAIT_BENCH_TASK").ok();
    for task in &tasks(models.prose_penalty) {
        if only
            .as_deref()
            .is_some_and(|t| !task.name.starts_with(&format!("({t})")))
        {
            continue;
        }
        let (rows, best_plain) = bench.rows(&models, task);
        if std::env::var_os("PLAIT_BENCH_SHOW").is_some() {
            for r in &rows {
                println!("--- {} / {}:\n{}\n---", r.task, r.config, r.gen.text);
            }
        }
        print_rows(&rows, rows[best_plain].tps);
    }
}

/// "yes", or where `g` parts from plain greedy and the smaller top-2 logit gap of the
/// two runs there (a near tie when small).
fn same(g: &Generation, plain: &Generation) -> String {
    match g.parting(plain) {
        None => "yes".into(),
        Some((at, gap)) => format!("@{at} gap {gap:.3}"),
    }
}

/// One line per row: tokens/s, the ratio to `base`, acceptance, and whether the greedy
/// output equals plain decoding's on the same number of threads (thread counts split
/// sums differently, which can flip near ties).
fn print_rows(rows: &[Row], base: f64) {
    let reference = |config: &str| {
        let t = if config.contains("1 thread") { 0 } else { 1 };
        &rows[t].gen
    };
    for r in rows {
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
