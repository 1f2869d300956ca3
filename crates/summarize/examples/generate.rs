//! Generates from a GGUF model with plain greedy decoding: a quick look at a model.
//!
//! usage: generate MODEL.gguf PROMPT [MAX_TOKENS]
#![allow(clippy::unwrap_used, clippy::print_stdout)]
use plait_summarize::{DecodeConfig, Llama, LoadedModel, ModelConfig, Strategy};

fn main() {
    let args: Vec<String> = std::env::args().collect();
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
