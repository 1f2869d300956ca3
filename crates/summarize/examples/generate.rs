//! Generates from a GGUF model with plain greedy decoding: a quick look at a model.
//!
//! usage: generate MODEL.gguf PROMPT [MAX_TOKENS]
#![allow(clippy::unwrap_used, clippy::print_stdout)]
use plait_summarize::{DecodeConfig, Llama, LoadedModel, ModelConfig, Strategy};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[2] == "--batch-cost" {
        let model = LoadedModel::load(Llama::init().unwrap(), &ModelConfig::new(&args[1])).unwrap();
        for (n, s) in model.batch_cost(2, 0, &[1, 8, 64, 512], 3).unwrap() {
            println!(
                "batch {n:>4}: {:8.2} ms, {:6.0} tok/s",
                s * 1000.0,
                n as f64 / s
            );
        }
        return;
    }
    let model = LoadedModel::load(Llama::init().unwrap(), &ModelConfig::new(&args[1])).unwrap();
    let prompt = format!(
        "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
        args[2]
    );
    let config = DecodeConfig {
        max_tokens: args.get(3).map_or(64, |s| s.parse().unwrap()),
        ..DecodeConfig::default()
    };
    let g = model
        .generate(&prompt, &config, Strategy::Plain, |p| {
            print!("{p}");
        })
        .unwrap();
    println!(
        "\n[{} tokens, {:.1} tok/s]",
        g.generated_tokens, g.tokens_per_second
    );
}
