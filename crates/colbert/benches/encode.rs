//! Encoding benchmark: documents/s of the default encoder through `OnnxEncoder`, side by
//! side with Python `onnxruntime` (`scripts/bench_encode_ort.py`, the practical ceiling)
//! running the same model on the same texts in the same batches.
//!
//! The corpus is 2,000 deterministic 20-80 word pieces cut from the quickstart samples
//! (pypdf sources, its README) and the `linn.txt` fixture, written to
//! `target/bench-data/encode_texts.jsonl` for the Python side. Rust and Python alternate
//! (`PLAIT_BENCH_ROUNDS`, default 2) and the best run of each is reported, since the
//! machine is noisy.
//!
//! Run with `scripts/bench-encode`, which prepares `target/bench-venv`. Environment:
//! `PLAIT_HOME` (assets), `PLAIT_BENCH_THREADS` (intra-op threads, default 2),
//! `PLAIT_BENCH_BATCH` (32), `PLAIT_BENCH_TEXTS` (2000), `PLAIT_BENCH_PYTHON=0` (Rust
//! only, for profiling).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use plait_testkit as assets;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use plait_colbert::{Encoder, OnnxEncoder, OnnxEncoderBuilder, OnnxRuntime, TokenEmbeddings};
use tokenizers::Tokenizer;

const MODEL: &str = "models/encoder/minilm-l6-int8";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// `n` pieces of 20-80 words, cut in order from the sample files (cycled, each pass
/// starting a little further on so pieces rarely repeat), from a fixed-seed LCG.
fn corpus(n: usize) -> Vec<String> {
    let mut code: Vec<PathBuf> = std::fs::read_dir(assets::asset("samples/quickstart/code"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    code.sort();
    code.push(assets::asset("samples/quickstart/docs/README.md"));
    code.push(assets::asset("fixtures/ocrmypdf/linn.txt"));
    let text: String = code
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let words: Vec<&str> = text.split_whitespace().collect();
    assert!(words.len() > 1000, "sample files are too short");
    let mut state: u64 = 0x5eed;
    let mut cursor = 0;
    let mut pass = 0;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let len = 20 + ((state >> 33) % 61) as usize;
            if cursor + len > words.len() {
                pass += 1;
                cursor = (pass * 7) % 50;
            }
            let piece = words[cursor..cursor + len].join(" ");
            cursor += len;
            piece
        })
        .collect()
}

/// Input tokens the encoder feeds the model: [CLS] prefix body [SEP], truncated.
fn count_tokens(model_dir: &Path, encoder: &OnnxEncoder, texts: &[&str]) -> usize {
    let mut tok = Tokenizer::from_file(model_dir.join("tokenizer.json")).unwrap();
    tok.with_padding(None);
    tok.with_truncation(None).unwrap();
    let cfg = encoder.config();
    let prefix = cfg.document_prefix.trim();
    let prefix_len = match prefix {
        "" => 0,
        p if tok.token_to_id(p).is_some() => 1,
        p => tok.encode(p, false).unwrap().len(),
    };
    texts
        .iter()
        .map(|t| (tok.encode(*t, true).unwrap().len() + prefix_len).min(cfg.document_length))
        .sum()
}

struct Run {
    secs: f64,
    vectors: usize,
    sum: f64,
    abs_sum: f64,
}

fn run_rust(encoder: &OnnxEncoder, texts: &[&str], batch: usize) -> Run {
    encoder
        .encode_documents(&texts[..batch.min(texts.len())])
        .unwrap(); // warm-up: one batch
    let t = Instant::now();
    let out: Vec<TokenEmbeddings> = encoder.encode_documents(texts).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let values = || out.iter().flat_map(|e| e.as_slice()).map(|&x| f64::from(x));
    Run {
        secs,
        vectors: out.iter().map(TokenEmbeddings::len).sum(),
        sum: values().sum(),
        abs_sum: values().map(f64::abs).sum(),
    }
}

fn venv_python() -> PathBuf {
    let python = root().join("target/bench-venv/bin/python");
    let ready = python.is_file()
        && Command::new(&python)
            .args(["-c", "import onnxruntime, tokenizers, numpy"])
            .status()
            .is_ok_and(|s| s.success());
    if !ready {
        println!(
            "target/bench-venv lacks onnxruntime/tokenizers/numpy: creating it with \
             `scripts/bench-encode --prepare-only` (pip, onnxruntime==1.31.1)"
        );
        let ok = Command::new(root().join("scripts/bench-encode"))
            .arg("--prepare-only")
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "could not prepare target/bench-venv: run scripts/bench-encode"
        );
    }
    python
}

fn run_python(
    python: &Path,
    model_dir: &Path,
    texts_file: &Path,
    threads: usize,
    batch: usize,
) -> (Run, usize) {
    let out = Command::new(python)
        .arg(root().join("scripts/bench_encode_ort.py"))
        .arg("--model-dir")
        .arg(model_dir)
        .arg("--texts")
        .arg(texts_file)
        .args(["--threads", &threads.to_string()])
        .args(["--batch", &batch.to_string()])
        .output()
        .expect("run scripts/bench_encode_ort.py");
    assert!(
        out.status.success(),
        "bench_encode_ort.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON line");
    let f = |k: &str| v[k].as_f64().unwrap();
    let run = Run {
        secs: f("seconds"),
        vectors: f("vectors") as usize,
        sum: f("sum"),
        abs_sum: f("abs_sum"),
    };
    (run, f("tokens") as usize)
}

fn report(side: &str, round: usize, run: &Run, docs: usize, tokens: usize) {
    println!(
        "  {side:<6} round {round}: {:>7.1} docs/s {:>8.0} tokens/s ({:.2} s, {} vectors, load {})",
        docs as f64 / run.secs,
        tokens as f64 / run.secs,
        run.secs,
        run.vectors,
        load_average()
    );
}

fn main() {
    let threads = env_usize("PLAIT_BENCH_THREADS", 2);
    let batch = env_usize("PLAIT_BENCH_BATCH", 32);
    let n = env_usize("PLAIT_BENCH_TEXTS", 2000);
    let rounds = env_usize("PLAIT_BENCH_ROUNDS", 2).max(1);
    let with_python = std::env::var("PLAIT_BENCH_PYTHON").map_or(true, |v| v != "0");

    let texts = corpus(n);
    let data = root().join("target/bench-data");
    std::fs::create_dir_all(&data).unwrap();
    let texts_file = data.join("encode_texts.jsonl");
    let jsonl: String = texts
        .iter()
        .map(|t| serde_json::to_string(t).unwrap() + "\n")
        .collect();
    std::fs::write(&texts_file, jsonl).unwrap();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();

    let model_dir = assets::asset(MODEL);
    let runtime = OnnxRuntime::load(&assets::onnxruntime()).unwrap();
    let encoder = OnnxEncoderBuilder::new(&model_dir)
        .threads(threads)
        .batch_size(batch)
        .build(&runtime)
        .unwrap();
    let tokens = count_tokens(&model_dir, &encoder, &texts);
    let python = with_python.then(venv_python);
    println!(
        "encode: {n} texts ({tokens} tokens, {:.1} per text) from {}, {threads} threads, batch {batch}, load {}",
        tokens as f64 / n as f64,
        texts_file.display(),
        load_average()
    );

    let mut best_rust: Option<Run> = None;
    let mut best_python: Option<Run> = None;
    let better = |best: &Option<Run>, run: &Run| best.as_ref().is_none_or(|b| run.secs < b.secs);
    for round in 1..=rounds {
        let run = run_rust(&encoder, &texts, batch);
        report("rust", round, &run, n, tokens);
        if better(&best_rust, &run) {
            best_rust = Some(run);
        }
        if let Some(python) = &python {
            let (run, py_tokens) = run_python(python, &model_dir, &texts_file, threads, batch);
            assert_eq!(py_tokens, tokens, "Python fed the model other tokens");
            report("python", round, &run, n, tokens);
            if better(&best_python, &run) {
                best_python = Some(run);
            }
        }
    }

    let rust = best_rust.unwrap();
    println!(
        "best rust:   {:.1} docs/s, {:.0} tokens/s",
        n as f64 / rust.secs,
        tokens as f64 / rust.secs
    );
    if let Some(py) = best_python {
        println!(
            "best python: {:.1} docs/s, {:.0} tokens/s (onnxruntime 1.31.1)",
            n as f64 / py.secs,
            tokens as f64 / py.secs
        );
        println!(
            "rust/python: {:.3} ({threads} threads, batch {batch}, load {})",
            py.secs / rust.secs,
            load_average()
        );
        // Same tokens in, same vectors out: the comparison is like for like.
        assert_eq!(rust.vectors, py.vectors, "kept vectors differ");
        let drift = (rust.sum - py.sum)
            .abs()
            .max((rust.abs_sum - py.abs_sum).abs());
        if drift > 1e-4 * rust.abs_sum {
            println!(
                "warning: outputs differ (sum {} vs {}, abs sum {} vs {})",
                rust.sum, py.sum, rust.abs_sum, py.abs_sum
            );
        }
    }
}
