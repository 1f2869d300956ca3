//! Generates from a GGUF model: a quick look at a model and at prompt lookup on a prompt.
//!
//! usage: generate MODEL.gguf PROMPT [MAX_TOKENS] [--raw] [--lookup]
//!        generate MODEL.gguf --batch-cost
//! PROMPT is wrapped in SmolLM2's chat markup unless --raw; `@FILE` reads it from a file.
#![allow(clippy::unwrap_used, clippy::print_stdout)]
use plait_summarize::{DecodeConfig, Llama, LoadedModel, LookupConfig, ModelConfig, Strategy};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = LoadedModel::load(Llama::init().unwrap(), &ModelConfig::new(&args[1])).unwrap();
    if args[2] == "--batch-cost" {
        for (n, s) in model.batch_cost(2, 0, &[1, 8, 64, 512], 3).unwrap() {
            println!(
                "batch {n:>4}: {:8.2} ms, {:6.0} tok/s",
                s * 1000.0,
                n as f64 / s
            );
        }
        return;
    }
    let text = match args[2].strip_prefix('@') {
        Some(f) => std::fs::read_to_string(f).unwrap(),
        None => args[2].clone(),
    };
    let flag = |f: &str| args.iter().any(|a| a == f);
    let prompt = if flag("--raw") {
        text
    } else {
        format!("<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n")
    };
    let config = DecodeConfig {
        max_tokens: args.get(3).and_then(|s| s.parse().ok()).unwrap_or(64),
        ..DecodeConfig::default()
    };
    let strategy = if flag("--lookup") {
        Strategy::PromptLookup(LookupConfig::default())
    } else {
        Strategy::Plain
    };
    let g = model
        .generate(&prompt, &config, strategy, |p| print!("{p}"))
        .unwrap();
    println!(
        "\n[{} tokens, {:.1} tok/s, drafted {}, accepted {}]",
        g.generated_tokens, g.tokens_per_second, g.drafted, g.accepted
    );
}
