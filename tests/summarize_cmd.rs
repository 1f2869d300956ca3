//! End-to-end tests of `plait models` (roles and the acceleration each will use) and
//! `plait summarize` (one pass, map-reduce with grounded page citations, bad input).
//! llama.cpp runs on one thread and never in two tests at once.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
}

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;

use support::assets;

static SERIAL: Mutex<()> = Mutex::new(());

fn plait(args: &[&str], config_home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(args)
        .env("PLAIT_HOME", assets::home())
        .env("XDG_CONFIG_HOME", config_home)
        .env_remove("PLAIT_ROLES")
        .output()
        .expect("run plait")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Distinctive words, as a reader would check a citation: lower-cased alphanumeric runs of
/// four characters or more, or three-letter acronyms (CMM).
fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| {
            let n = w.chars().count();
            n >= 4 || (n == 3 && w.chars().all(|c| c.is_ascii_uppercase()))
        })
        .map(str::to_lowercase)
        .filter(|w| {
            ![
                "that", "with", "this", "from", "which", "document", "also", "their", "these",
                "they", "have", "will", "such", "into", "more", "used", "uses", "using",
            ]
            .contains(&w.as_str())
        })
        .collect()
}

/// The text of each page of a PDF, as `plait ocr --json` reads it.
fn page_texts(pdf: &Path, config_home: &Path) -> Vec<String> {
    let pages = plait(&["ocr", pdf.to_str().unwrap(), "--json"], config_home);
    stdout(&pages)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn models_lists_the_default_roles_and_their_acceleration() {
    let tmp = tempfile::tempdir().unwrap();
    let o = plait(&["models"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for role in [
        "ingest_long_context",
        "worker_summarize",
        "frontdoor",
        "frontdoor_draft",
        "fast",
    ] {
        assert!(out.contains(&format!("{role}:")), "{out}");
    }
    assert!(
        out.contains("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
        "{out}"
    );
    assert!(
        out.contains("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"),
        "{out}"
    );
    assert!(out.contains("SmolLM2-135M-Instruct.Q4_1.gguf"), "{out}");
    assert!(out.contains("dense model (no experts)"), "{out}");
    assert!(out.contains("prompt-lookup (configured: lookup)"), "{out}");
    assert!(out.contains("draft-model (configured: draft)"), "{out}");
    assert!(out.contains("shares the vocabulary"), "{out}");

    let o = plait(&["models", "--json"], tmp.path());
    let plans: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let plans = plans.as_array().unwrap();
    assert_eq!(plans.len(), 5);
    let worker = plans
        .iter()
        .find(|p| p["name"] == "worker_summarize")
        .unwrap();
    assert_eq!(worker["model"]["architecture"], "qwen2");
    assert_eq!(worker["model"]["context_length"], 32768);
    assert_eq!(worker["speculation"]["used"], "prompt-lookup");
    let draft = plans
        .iter()
        .find(|p| p["name"] == "frontdoor_draft")
        .unwrap();
    assert_eq!(
        draft["speculation"]["used"], "draft-model",
        "the Qwen pair shares one vocabulary"
    );
}

#[test]
fn models_says_what_a_user_role_file_really_gets() {
    let tmp = tempfile::tempdir().unwrap();
    let home = assets::home();
    let roles = tmp.path().join("plait").join("roles.toml");
    std::fs::create_dir_all(roles.parent().unwrap()).unwrap();
    std::fs::write(
        &roles,
        format!(
            r#"format_version = 1

[roles.moe_fewer_experts]
model = "models/gguf/test/tiny-moe-4x.gguf"
context = 512
expert_used_count = 1
[roles.moe_fewer_experts.speculation]
kind = "none"

[roles.recurrent]
model = "models/gguf/test/tiny-mamba.gguf"
context = 512
[roles.recurrent.speculation]
kind = "lookup"
ngram_max = 4
ngram_min = 2
n_draft_max = 16
n_draft_min = 2

[roles.dense_with_experts]
model = "models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf"
context = 512
expert_used_count = 2

[roles.frontdoor]
model = "{}"
context = 1024
[roles.frontdoor.speculation]
kind = "draft"
model = "models/gguf/gemma-3-270m-q4_k_m.gguf"
n_max = 8
n_min = 0
p_min = 0.5
"#,
            home.join("models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf")
                .display()
        ),
    )
    .unwrap();
    // Found in ~/.config/plait/roles.toml ($XDG_CONFIG_HOME here).
    let o = plait(&["models"], tmp.path());
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a refused role fails the listing: {out}"
    );
    assert!(
        out.contains("1 of 4 per token (override; the file says 2)"),
        "{out}"
    );
    assert!(out.contains("REFUSED"), "{out}");
    assert!(
        out.contains("plain (configured: lookup): speculation turned off: the model keeps a recurrent (SSM) state"),
        "{out}"
    );
    assert!(out.contains("has no experts"), "{out}");
    // The user's frontdoor replaced the default one: Gemma cannot draft for SmolLM2.
    assert!(
        out.contains("plain (configured: draft): speculation turned off"),
        "{out}"
    );
    assert!(
        out.contains("roles.toml"),
        "the source file is named: {out}"
    );
    // The built-in roles the file does not name are still there.
    assert!(out.contains("worker_summarize:"), "{out}");

    std::fs::write(&roles, "format_version = 7\n").unwrap();
    let o = plait(&["models"], tmp.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("format_version 7"), "{}", stderr(&o));
}

#[test]
fn a_long_pdf_is_summarized_by_map_reduce_with_grounded_page_citations() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let pdf = assets::asset("fixtures/ghostscript/GS9_Color_Management.pdf");
    let out_file = tmp.path().join("summary.md");
    // The small `fast` role (SmolLM2-135M) keeps this test quick; grounded decoding and
    // the sentence checks must keep even it from inventing names.
    let o = plait(
        &[
            "summarize",
            pdf.to_str().unwrap(),
            "--role",
            "fast",
            "--worker-role",
            "fast",
            "--threads",
            "1",
            // The toy model writes too little from half the sentences (the default share,
            // which scripts/bench-summary measures with the default roles).
            "--map-share",
            "1",
            "--json",
            "--out",
            out_file.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["mode"], "map-reduce", "42 pages do not fit one context");
    assert_eq!(
        s["faithfulness"]["invented_identifiers"],
        serde_json::json!([]),
        "{}",
        s["text"]
    );
    assert_eq!(s["faithfulness"]["repeated"], 0, "{}", s["text"]);
    assert!(s["chunks"].as_u64().unwrap() >= 3, "{}", s["chunks"]);
    assert_eq!(s["sections"], 42);
    let phases = s["phases"].as_array().unwrap();
    assert_eq!(phases[0]["phase"], "map");
    assert_eq!(phases.last().unwrap()["phase"], "final");
    assert!(phases
        .iter()
        .all(|p| p["generated_tokens"].as_u64().unwrap() > 0));
    let text = s["text"].as_str().unwrap();
    assert!(text.len() > 100, "{text}");
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap().trim(),
        text.trim()
    );

    // Every citation names pages that exist and share words with the sentence citing it.
    let page_text = page_texts(&pdf, tmp.path());
    assert_eq!(page_text.len(), 42);
    let mut cited = 0;
    for sentence in s["sentences"].as_array().unwrap() {
        let Some(c) = sentence["citation"].as_object() else {
            continue;
        };
        cited += 1;
        let (first, last) = (
            c["first"].as_u64().unwrap() as usize,
            c["last"].as_u64().unwrap() as usize,
        );
        assert!(1 <= first && first <= last && last <= 42, "{c:?}");
        let label = c["label"].as_str().unwrap();
        assert!(text.contains(&format!("[{label}]")), "{label} is printed");
        let cited_words: HashSet<String> = page_text[first - 1..last]
            .iter()
            .flat_map(|t| words(t))
            .collect();
        let said = words(sentence["text"].as_str().unwrap());
        let shared: Vec<_> = said.intersection(&cited_words).collect();
        assert!(
            shared.len() >= 2,
            "{:?} cites {label} but shares only {shared:?}",
            sentence["text"]
        );
    }
    assert!(cited >= 2, "at least two sentences are cited: {text}");
}

#[test]
fn a_short_text_file_is_summarized_in_one_pass_and_streamed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("notes.md");
    std::fs::write(
        &md,
        "# Rainwater tanks\n\nThe community garden installed two rainwater tanks in June.\nEach tank holds 2,000 litres of rainwater collected from the shed roof.\n\nAfter the rainwater tanks were installed, no garden bed was lost to drought.\n",
    )
    .unwrap();
    let o = plait(
        &[
            "summarize",
            md.to_str().unwrap(),
            "--threads",
            "1",
            "--max-tokens",
            "80",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.trim().len() > 20, "the summary is printed: {out:?}");
    assert!(stderr(&o).contains("one pass"), "{}", stderr(&o));
}

#[test]
fn bad_input_gets_a_clear_error_naming_the_file() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.pdf");
    let o = plait(&["summarize", missing.to_str().unwrap()], tmp.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nope.pdf"), "{}", stderr(&o));

    let empty = tmp.path().join("empty.txt");
    std::fs::write(&empty, "\n\n").unwrap();
    let o = plait(&["summarize", empty.to_str().unwrap()], tmp.path());
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("empty.txt has no text"),
        "{}",
        stderr(&o)
    );

    let binary = tmp.path().join("blob.txt");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x81]).unwrap();
    let o = plait(&["summarize", binary.to_str().unwrap()], tmp.path());
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("blob.txt is not UTF-8"),
        "{}",
        stderr(&o)
    );

    let invalid = assets::asset("fixtures/ocrmypdf/invalid.pdf");
    let o = plait(&["summarize", invalid.to_str().unwrap()], tmp.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("invalid.pdf"), "{}", stderr(&o));

    let o = plait(
        &["summarize", empty.to_str().unwrap(), "--role", "nobody"],
        tmp.path(),
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no model role named `nobody`"),
        "{}",
        stderr(&o)
    );
}

/// Identifier-like words (snake_case, CamelCase, digits beside letters, ALLCAPS), as a
/// reader would check them against the document.
fn identifiers(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .filter(|w| {
            let upper = w.chars().filter(|c| c.is_uppercase()).count();
            let lower = w.chars().filter(|c| c.is_lowercase()).count();
            w.trim_matches('_').contains('_')
                || w.chars().any(|c| c.is_ascii_digit())
                || (upper >= 2 && lower == 0)
                || (lower > 0 && w.chars().skip(1).any(char::is_uppercase))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn the_default_roles_summarize_a_real_pdf_without_inventing_and_every_sentence_is_supported() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let pdf = assets::asset("fixtures/pypdf/Seige_of_Vicksburg_Sample_OCR.pdf");
    let o = plait(
        &[
            "summarize",
            pdf.to_str().unwrap(),
            "--threads",
            "1",
            "--max-tokens",
            "200",
            "--json",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = s["text"].as_str().unwrap();
    let page_text = page_texts(&pdf, tmp.path());
    let document: HashSet<String> = page_text
        .iter()
        .flat_map(|t| t.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .map(str::to_lowercase)
        .collect();
    let invented: Vec<String> = identifiers(text)
        .into_iter()
        .filter(|w| !document.contains(&w.to_lowercase()))
        .collect();
    assert!(invented.is_empty(), "invented {invented:?} in {text}");
    let sentences = s["sentences"].as_array().unwrap();
    assert!(sentences.len() >= 3, "{text}");
    // A reader's check, independent of plait's: content words (4+ letters, not common),
    // compared on their first five letters so `prepared` meets `preparing`.
    let stems = |text: &str| -> HashSet<String> {
        words(text)
            .into_iter()
            .filter(|w| {
                !["were", "been", "have", "there", "when", "then", "than"].contains(&w.as_str())
            })
            .map(|w| w.chars().take(5).collect())
            .collect()
    };
    for sentence in sentences {
        let said = stems(sentence["text"].as_str().unwrap());
        let c = sentence["citation"]
            .as_object()
            .unwrap_or_else(|| panic!("uncited: {sentence}"));
        let (first, last) = (
            c["first"].as_u64().unwrap() as usize,
            c["last"].as_u64().unwrap() as usize,
        );
        let near: HashSet<String> = page_text
            [first.saturating_sub(2)..(last + 1).min(page_text.len())]
            .iter()
            .flat_map(|t| stems(t))
            .collect();
        let found = said.iter().filter(|w| near.contains(*w)).count();
        assert!(
            2 * found >= said.len(),
            "{sentence} is not supported by its pages: {found} of {said:?}"
        );
    }
    assert_eq!(s["faithfulness"]["unsupported"], 0);
    assert_eq!(s["faithfulness"]["repeated"], 0);
    // The diary's own words cover what the model's history leaves out: key terms the
    // rounds miss are quoted from the text.
    let coverage = s["faithfulness"]["coverage"].as_f64().unwrap();
    assert!(coverage >= 0.6, "coverage {coverage}: {text}");
    assert!(text.contains("The document says: \""), "{text}");
}

#[test]
fn arguments_and_too_little_text_are_refused_before_any_generation() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("short.md");
    std::fs::write(&md, "Hello giant page marker\n").unwrap();
    let o = plait(&["summarize", md.to_str().unwrap()], tmp.path());
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("short.md has only 4 words of text, too little to summarize"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "nothing is printed as a summary");

    let pdf = assets::asset("fixtures/pypdf/crazyones.pdf");
    let missing = tmp.path().join("no/such/folder/summary.md");
    let o = plait(
        &[
            "summarize",
            pdf.to_str().unwrap(),
            "--out",
            missing.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("does not exist; create it or choose another --out"),
        "{}",
        stderr(&o)
    );
    let o = plait(
        &[
            "summarize",
            pdf.to_str().unwrap(),
            "--max-tokens",
            "4294967296",
        ],
        tmp.path(),
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--max-tokens 4294967296 is out of range"),
        "{}",
        stderr(&o)
    );
}
