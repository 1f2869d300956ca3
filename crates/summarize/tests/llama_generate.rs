//! SmolLM2 and the generated test models run for real through llama.cpp: plain decoding,
//! greedy equivalence of prompt-lookup and draft-model decoding, the draft vocabulary
//! check, and the expert-count override. One thread each and never two at once: llama.cpp
//! threads collapse when they fight for the 2 cores.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use plait_testkit as assets;

use std::sync::Mutex;

use plait_summarize::{
    check_vocab_compatible, DecodeConfig, DraftConfig, Generation, Llama, LoadedModel,
    LookupConfig, ModelConfig, Sampling, SourceWords, Strategy, SummarizeError,
};

/// llama.cpp tests never run in parallel with each other.
static SERIAL: Mutex<()> = Mutex::new(());

/// Largest top-2 logit gap accepted as a near tie where batched verification may pick the
/// other token (batch shapes change the floating-point summation order).
const NEAR_TIE: f32 = 0.05;

const SMOLLM2: &str = "models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf";
const DRAFT: &str = "models/gguf/test/smollm2-135m-instruct-q4_0-draft.gguf";
const MOE: &str = "models/gguf/test/tiny-moe-4x.gguf";
const GEMMA: &str = "models/gguf/gemma-3-270m-q4_k_m.gguf";

fn load(rel: &str) -> LoadedModel {
    LoadedModel::load(
        Llama::init().unwrap(),
        &ModelConfig::new(assets::asset(rel)),
    )
    .unwrap()
}

fn config(max_tokens: usize) -> DecodeConfig {
    DecodeConfig {
        n_ctx: 1024,
        threads: 1,
        max_tokens,
        sampling: Sampling::Greedy,
        repeat_penalty: 1.0,
        repeat_last_n: 64,
        no_repeat_ngram: 0,
        stop_on_loop: false,
        record_margins: true,
        ban_first: Vec::new(),
        ban_opening: Vec::new(),
        lead: Vec::new(),
        grounding: None,
    }
}

fn chat(user: &str) -> String {
    format!("<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")
}

const PASSAGE: &str = "The lighthouse at Point Arden was built in 1871 from granite quarried on the island. Its lamp burned whale oil until 1902, when kerosene replaced it, and electricity arrived in 1931. The keeper, Margaret Hale, kept a log of every ship that passed for thirty-one years.";

fn prompts() -> Vec<String> {
    vec![
        chat(&format!(
            "Here is a passage:\n\n{PASSAGE}\n\nRepeat the passage word for word."
        )),
        chat(
            "Rename the variable `total` to `sum` in this function and print the whole function:\n\ndef add_all(values):\n    total = 0\n    for v in values:\n        total = total + v\n    return total\n",
        ),
        chat("Write a short poem about the sea."),
    ]
}

/// Asserts that `fast` is `plain`'s greedy output, or that they part at a near tie of the
/// plain run (after which the continuations may legitimately differ).
fn assert_greedy_equivalent(plain: &Generation, fast: &Generation, what: &str) {
    let Some((at, gap)) = plain.parting(fast) else {
        return;
    };
    assert!(
        gap < NEAR_TIE,
        "{what}: output parts from plain greedy at token {at} of {} where the top-2 logit gap is {gap}, not a near tie\nplain: {:?}\n{what}: {:?}",
        plain.tokens.len(),
        plain.text,
        fast.text
    );
}

#[test]
fn greedy_generation_is_deterministic_and_streams() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = load(SMOLLM2);
    assert_eq!(model.info().architecture, "llama");
    let prompt = chat("What is the capital of France?");
    let mut streamed = String::new();
    let a = model
        .generate(&prompt, &config(12), Strategy::Plain, |p| {
            streamed.push_str(p)
        })
        .unwrap();
    let b = model
        .generate(&prompt, &config(12), Strategy::Plain, |_| {})
        .unwrap();
    assert!(a.generated_tokens > 0 && a.generated_tokens <= 12);
    assert_eq!(a.text, streamed, "the callback saw every piece");
    assert_eq!(a.tokens, b.tokens, "greedy decoding is deterministic");
    assert!(a.text.contains("Paris"), "{:?}", a.text);
    // One target evaluation per token after the first (plus one that chose the end).
    assert!(
        a.target_steps + 1 == a.generated_tokens || a.target_steps == a.generated_tokens,
        "{} steps for {} tokens",
        a.target_steps,
        a.generated_tokens
    );
}

#[test]
fn sampling_with_a_seed_is_reproducible_and_differs_from_greedy() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = load(SMOLLM2);
    let prompt = chat("Write a sentence about a cat.");
    let sampled = |seed| {
        let c = DecodeConfig {
            sampling: Sampling::Temperature {
                temperature: 1.5,
                seed,
            },
            ..config(24)
        };
        model
            .generate(&prompt, &c, Strategy::Plain, |_| {})
            .unwrap()
    };
    let (a, b, c) = (sampled(1), sampled(1), sampled(2));
    assert_eq!(a.tokens, b.tokens);
    assert_ne!(a.tokens, c.tokens, "different seeds give different samples");
}

#[test]
fn prompt_lookup_output_equals_plain_greedy_output() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = load(SMOLLM2);
    let mut drafted = 0;
    let mut accepted = 0;
    for prompt in prompts() {
        let plain = model
            .generate(&prompt, &config(96), Strategy::Plain, |_| {})
            .unwrap();
        let fast = model
            .generate(
                &prompt,
                &config(96),
                // Every match drafted in full, so verification covers as many tokens as
                // possible (the adaptive default drafts little on one thread, where
                // batches barely pay).
                Strategy::PromptLookup(LookupConfig {
                    adaptive: false,
                    ..LookupConfig::default()
                }),
                |_| {},
            )
            .unwrap();
        assert_greedy_equivalent(&plain, &fast, "prompt lookup");
        assert!(fast.target_steps <= fast.generated_tokens);
        drafted += fast.drafted;
        accepted += fast.accepted;
    }
    // The quoting prompt must let lookup draft and the target accept.
    assert!(accepted >= 20, "accepted {accepted} of {drafted}");
    assert!(accepted < drafted, "some drafts are also rejected");
}

#[test]
fn draft_model_output_equals_plain_greedy_output_with_accepts_and_rejects() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let target = load(SMOLLM2);
    let draft = load(DRAFT);
    assert_eq!(draft.info().n_vocab, target.info().n_vocab);
    assert_ne!(
        draft.gguf().get("general.file_type"),
        target.gguf().get("general.file_type"),
        "the draft is a requantisation, not the same file"
    );
    let (mut drafted, mut accepted) = (0, 0);
    for prompt in prompts() {
        let plain = target
            .generate(&prompt, &config(64), Strategy::Plain, |_| {})
            .unwrap();
        let fast = target
            .generate(
                &prompt,
                &config(64),
                Strategy::Draft {
                    model: &draft,
                    config: DraftConfig {
                        n_max: 8,
                        n_min: 0,
                        p_min: 0.5,
                        adaptive: false,
                    },
                },
                |_| {},
            )
            .unwrap();
        assert_eq!(fast.strategy, "draft-model");
        assert_greedy_equivalent(&plain, &fast, "draft model");
        drafted += fast.drafted;
        accepted += fast.accepted;
    }
    assert!(
        accepted > 0,
        "the accept path ran ({accepted} of {drafted})"
    );
    assert!(
        accepted < drafted,
        "the reject path ran ({accepted} of {drafted})"
    );
}

#[test]
fn a_draft_with_another_vocabulary_is_refused() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let target = load(SMOLLM2);
    let gemma = LoadedModel::load(
        Llama::init().unwrap(),
        &ModelConfig {
            vocab_only: true,
            ..ModelConfig::new(assets::asset(GEMMA))
        },
    )
    .unwrap();
    let err = target
        .generate(
            &chat("hi"),
            &config(4),
            Strategy::Draft {
                model: &gemma,
                config: DraftConfig::default(),
            },
            |_| {},
        )
        .unwrap_err();
    assert!(
        matches!(err, SummarizeError::IncompatibleDraft { .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("gemma-3-270m") && msg.contains("SmolLM2"),
        "{msg}"
    );
}

#[test]
fn a_prompt_that_does_not_fit_is_refused() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = load(SMOLLM2);
    let long = "word ".repeat(1100);
    let err = model
        .generate(&long, &config(8), Strategy::Plain, |_| {})
        .unwrap_err();
    assert!(matches!(err, SummarizeError::PromptTooLong { .. }), "{err}");
}

#[test]
fn a_missing_model_file_is_a_clear_error() {
    let err = LoadedModel::load(
        Llama::init().unwrap(),
        &ModelConfig::new("/nonexistent/model.gguf"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/model.gguf"));
}

fn moe(expert_used_count: Option<u32>) -> plait_summarize::Result<LoadedModel> {
    LoadedModel::load(
        Llama::init().unwrap(),
        &ModelConfig {
            expert_used_count,
            ..ModelConfig::new(assets::asset(MOE))
        },
    )
}

fn load_log_value(model: &LoadedModel, key: &str) -> Option<String> {
    model.load_log().iter().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim().ends_with(key)).then(|| v.trim().to_string())
    })
}

#[test]
fn the_expert_override_is_applied_and_changes_the_computation() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = moe(None).unwrap();
    assert_eq!(file.gguf().expert_count(), Some(4));
    assert_eq!(file.gguf().expert_used_count(), Some(2));
    assert_eq!(
        load_log_value(&file, "n_expert_used").as_deref(),
        Some("2"),
        "{:#?}",
        file.load_log()
    );
    let one = moe(Some(1)).unwrap();
    assert_eq!(
        load_log_value(&one, "n_expert_used").as_deref(),
        Some("1"),
        "llama.cpp reports the override: {:#?}",
        one.load_log()
    );
    let all = moe(Some(4)).unwrap();
    assert_eq!(load_log_value(&all, "n_expert_used").as_deref(), Some("4"));

    let prompt = "The quick brown fox jumps over the lazy dog and";
    let logits = |m: &LoadedModel| m.next_token_logits(prompt, 1).unwrap();
    let (l2, l1, l4) = (logits(&file), logits(&one), logits(&all));
    let diff = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max)
    };
    assert_eq!(
        diff(&l2, &logits(&file)),
        0.0,
        "evaluation is deterministic"
    );
    assert!(
        diff(&l2, &l1) > 1e-3,
        "1 expert differs from 2: {}",
        diff(&l2, &l1)
    );
    assert!(
        diff(&l2, &l4) > 1e-3,
        "4 experts differ from 2: {}",
        diff(&l2, &l4)
    );
}

#[test]
fn expert_overrides_that_would_abort_llama_cpp_are_refused_first() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let err = moe(Some(5)).unwrap_err();
    assert!(
        matches!(
            err,
            SummarizeError::ExpertCountOutOfRange {
                requested: 5,
                expert_count: 4,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        moe(Some(0)).unwrap_err(),
        SummarizeError::ExpertCountOutOfRange { .. }
    ));
    let dense = LoadedModel::load(
        Llama::init().unwrap(),
        &ModelConfig {
            expert_used_count: Some(2),
            ..ModelConfig::new(assets::asset(SMOLLM2))
        },
    )
    .unwrap_err();
    assert!(matches!(dense, SummarizeError::NoExperts { .. }), "{dense}");
    assert!(dense.to_string().contains("has no experts"), "{dense}");
}

#[test]
fn a_recurrent_model_never_speculates_and_says_why() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mamba = load("models/gguf/test/tiny-mamba.gguf");
    let info = mamba.info();
    assert_eq!(info.architecture, "mamba");
    assert!(info.recurrent, "llama.cpp reports a recurrent model");
    assert!(!mamba.can_speculate());
    let prompt = "one two three one two three one two";
    let plain = mamba
        .generate(prompt, &config(24), Strategy::Plain, |_| {})
        .unwrap();
    let asked = mamba
        .generate(
            prompt,
            &config(24),
            Strategy::PromptLookup(LookupConfig::default()),
            |_| {},
        )
        .unwrap();
    assert_eq!(asked.strategy, "plain");
    assert_eq!(asked.drafted, 0);
    let note = asked.note.as_deref().unwrap_or_default();
    assert!(note.contains("recurrent or hybrid"), "{note}");
    assert_eq!(asked.tokens, plain.tokens);
}

#[test]
fn roles_on_the_same_file_share_one_loaded_model() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let registry = plait_summarize::Registry::load(&assets::home(), None).unwrap();
    let names = ["ingest_long_context", "worker_summarize", "frontdoor_draft"];
    let roles: Vec<(&str, &plait_summarize::Role)> = names
        .iter()
        .map(|n| (*n, registry.role(n).unwrap()))
        .collect();
    let runners = plait_summarize::RoleRunner::load_all(Llama::init().unwrap(), &roles).unwrap();
    // The 1.5B serves the summarizer and the frontdoor; the 0.5B the worker and, as
    // the frontdoor's draft model, is the same loaded copy.
    assert!(std::ptr::eq(runners[0].model(), runners[2].model()));
    assert!(std::ptr::eq(
        runners[1].model(),
        runners[2].draft_model().unwrap()
    ));
    assert!(!std::ptr::eq(runners[0].model(), runners[1].model()));
    assert_eq!(runners[2].strategy().name(), "draft-model");
    assert_eq!(runners[1].strategy().name(), "prompt-lookup");
}

const QWEN_TARGET: &str = "models/gguf/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf";
const QWEN_DRAFT: &str = "models/gguf/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";

#[test]
fn the_qwen_pair_speculates_exactly() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let target = load(QWEN_TARGET);
    let draft = load(QWEN_DRAFT);
    assert_eq!(target.info().architecture, "qwen2");
    check_vocab_compatible(&target, &draft).unwrap();
    let draft_config = DraftConfig {
        n_max: 8,
        n_min: 0,
        p_min: 0.3,
        adaptive: false,
    };
    let (mut drafted, mut accepted) = (0, 0);
    // Short prompts and outputs: the 1.5B runs on one thread here.
    for prompt in &prompts()[..2] {
        let plain = target
            .generate(prompt, &config(40), Strategy::Plain, |_| {})
            .unwrap();
        assert!(plain.generated_tokens >= 20, "{:?}", plain.text);
        for (what, strategy) in [
            (
                "draft model",
                Strategy::Draft {
                    model: &draft,
                    config: draft_config,
                },
            ),
            (
                "draft model and lookup",
                Strategy::DraftAndLookup {
                    model: &draft,
                    config: draft_config,
                    lookup: LookupConfig {
                        adaptive: false,
                        ..LookupConfig::default()
                    },
                },
            ),
        ] {
            let fast = target
                .generate(prompt, &config(40), strategy, |_| {})
                .unwrap();
            assert_greedy_equivalent(&plain, &fast, what);
            drafted += fast.drafted;
            accepted += fast.accepted;
        }
    }
    assert!(
        accepted > 10,
        "the 0.5B drafts what the 1.5B writes ({accepted} of {drafted})"
    );
    assert!(
        accepted < drafted,
        "and some drafts are rejected ({accepted} of {drafted})"
    );
}

#[test]
fn grounded_decoding_writes_only_identifiers_of_the_source_and_stays_exact() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A coder model asked for identifiers invents them unless grounded.
    let model = load(QWEN_DRAFT);
    let source = "The colour module keeps one gsicc_manager per device. Profiles are read by gsicc_get_profile_handle_buffer and cached in the ICC profile cache. The default RGB profile is default_rgb.icc; CMYK uses default_cmyk.icc.";
    let words = std::sync::Arc::new(SourceWords::new([source]));
    let prompt = chat(&format!(
        "{source}\n\nList ten C functions and file names a colour module like this one might use, as snake_case identifiers."
    ));
    let grounded = DecodeConfig {
        grounding: Some(std::sync::Arc::clone(&words)),
        ..config(80)
    };
    let free = model
        .generate(&prompt, &config(80), Strategy::Plain, |_| {})
        .unwrap();
    let plain = model
        .generate(&prompt, &grounded, Strategy::Plain, |_| {})
        .unwrap();
    let invented = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| {
                let letters = w.chars().any(char::is_alphabetic);
                letters
                    && (w.trim_matches('_').contains('_')
                        || w.chars().any(|c| c.is_ascii_digit())
                        || (w.chars().filter(|c| c.is_uppercase()).count() >= 2
                            && !w.chars().any(char::is_lowercase)))
            })
            .filter(|w| !words.contains(w))
            .map(str::to_string)
            .collect()
    };
    assert!(
        !invented(&free.text).is_empty(),
        "asked for identifiers, the free model invents some: {:?}",
        free.text
    );
    assert_eq!(
        invented(&plain.text),
        Vec::<String>::new(),
        "{:?}",
        plain.text
    );
    assert!(plain.generated_tokens > 10, "{:?}", plain.text);
    // Grounding is part of choosing a token, so speculation still equals plain decoding.
    let fast = model
        .generate(
            &prompt,
            &grounded,
            Strategy::PromptLookup(LookupConfig {
                adaptive: false,
                ..LookupConfig::default()
            }),
            |_| {},
        )
        .unwrap();
    assert_greedy_equivalent(&plain, &fast, "grounded prompt lookup");
}

#[test]
fn a_session_reuses_the_shared_prompt_prefix_and_answers_the_same() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = load(SMOLLM2);
    let shared = format!("{PASSAGE}\n\nAnswer in one sentence. ");
    let first = chat(&format!("{shared}When was the lighthouse built?"));
    let second = chat(&format!("{shared}Who kept the log?"));
    let mut session = model.session(1024, 1).unwrap();
    let a = session
        .generate(&first, &config(24), Strategy::Plain, |_| {})
        .unwrap();
    assert_eq!(a.reused_prompt_tokens, 0);
    let b = session
        .generate(&second, &config(24), Strategy::Plain, |_| {})
        .unwrap();
    let t1 = model.tokenize(&first);
    let t2 = model.tokenize(&second);
    let common = t1.iter().zip(&t2).take_while(|(x, y)| x == y).count();
    assert!(common > 50, "{common}");
    assert_eq!(b.reused_prompt_tokens, common);
    let fresh = model
        .generate(&second, &config(24), Strategy::Plain, |_| {})
        .unwrap();
    assert_greedy_equivalent(&fresh, &b, "reused prefix");
    // The same prompt again reuses all but its last token.
    let c = session
        .generate(&second, &config(24), Strategy::Plain, |_| {})
        .unwrap();
    assert_eq!(c.reused_prompt_tokens, t2.len() - 1);
    assert_eq!(c.tokens, b.tokens);
}
