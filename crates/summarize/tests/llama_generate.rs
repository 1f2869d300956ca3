//! SmolLM2 loaded and run for real through llama.cpp (one thread: tests may run beside
//! other CPU-heavy tests on a 2-core machine).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

#[path = "../../../tests/support/assets.rs"]
mod assets;

use std::sync::Mutex;

use plait_summarize::{GenerationConfig, Llama, LoadedModel, ModelConfig, SummarizeError};

/// llama.cpp tests never run in parallel with each other.
static SERIAL: Mutex<()> = Mutex::new(());

fn smollm2() -> LoadedModel {
    let llama = Llama::init(true).unwrap();
    LoadedModel::load(
        llama,
        &ModelConfig {
            path: assets::asset("models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf"),
        },
    )
    .unwrap()
}

fn config(max_tokens: usize) -> GenerationConfig {
    GenerationConfig {
        n_ctx: 512,
        threads: 1,
        max_tokens,
        temperature: None,
        seed: 0,
    }
}

#[test]
fn greedy_generation_is_deterministic_and_streams() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = smollm2();
    let info = model.info();
    assert_eq!(info.architecture, "llama");
    let prompt =
        "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n";
    let mut streamed = String::new();
    let a = model
        .generate(prompt, &config(12), |p| streamed.push_str(p))
        .unwrap();
    let b = model.generate(prompt, &config(12), |_| {}).unwrap();
    assert!(a.generated_tokens > 0 && a.generated_tokens <= 12);
    assert_eq!(a.text, streamed, "the callback saw every piece");
    assert_eq!(a.text, b.text, "greedy decoding is deterministic");
    assert!(a.text.contains("Paris"), "{:?}", a.text);
    assert!(a.tokens_per_second > 0.0);
}

#[test]
fn a_prompt_that_does_not_fit_is_refused() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = smollm2();
    let long = "word ".repeat(600);
    let err = model.generate(&long, &config(8), |_| {}).unwrap_err();
    assert!(matches!(err, SummarizeError::PromptTooLong { .. }), "{err}");
}

#[test]
fn a_missing_model_file_is_a_clear_error() {
    let llama = Llama::init(true).unwrap();
    let err = LoadedModel::load(
        llama,
        &ModelConfig {
            path: "/nonexistent/model.gguf".into(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/model.gguf"));
}
