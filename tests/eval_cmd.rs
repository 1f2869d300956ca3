//! `plait eval`: a labelled set over the quick-start sample is ingested and scored in
//! every mode.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::assets;

/// `plait eval SET` over the quick-start sample, `--json`, with `extra` flags.
fn eval(set: &Path, index_dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plait"))
        .arg("eval")
        .args(extra)
        .arg(set)
        .arg("--corpus")
        .arg(assets::asset("samples/quickstart"))
        .arg("--index-dir")
        .arg(index_dir)
        .arg("--json")
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap()
}

/// `text` written as a labelled set file in `dir`.
fn labelled_set(dir: &Path, text: &str) -> PathBuf {
    let set = dir.join("set.toml");
    std::fs::write(&set, text).unwrap();
    set
}

#[test]
fn eval_scores_every_mode_and_rejects_a_bad_set() {
    let tmp = tempfile::tempdir().unwrap();
    let set = labelled_set(
        tmp.path(),
        r#"corpus = "quickstart sample"
[[query]]
index = "code"
text = "parse a page range like 1:3"
relevant = ["code/pagerange.py"]

[[query]]
index = "code"
text = "paper sizes"
relevant = ["code/papersizes.py"]

[[query]]
index = "docs"
text = "siege of Vicksburg"
relevant = ["docs/Seige_of_Vicksburg_Sample_OCR.pdf"]
"#,
    );
    let run = |set: &Path| eval(set, &tmp.path().join("idx"), &[]);
    let o = run(&set);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["queries"], 3);
    for mode in ["semantic", "lexical", "hybrid"] {
        let m = &v["modes"][mode];
        let recall = m["recall_at_10"].as_f64().unwrap();
        let mrr = m["mrr_at_10"].as_f64().unwrap();
        // Three unambiguous queries over a 7-file corpus: each mode must find them.
        assert!(recall > 0.99, "{mode}: {m}");
        assert!(mrr > 0.5, "{mode}: {m}");
        assert_eq!(m["queries"].as_array().unwrap().len(), 3);
    }

    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "corpus = \"x\"\n[[query]]\nindex = \"src\"\ntext = \"q\"\nrelevant = [\"a\"]\n",
    )
    .unwrap();
    let o = run(&bad);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("`code` or `docs`"),
        "{err}"
    );
}

#[test]
fn eval_scores_the_retrieval_of_an_ask_sets_places_without_a_model() {
    let tmp = tempfile::tempdir().unwrap();
    let set = labelled_set(
        tmp.path(),
        r#"corpus = "quickstart sample"
[[question]]
text = "What are the width and height of A4 paper in PaperSize?"
index = "code"
answer = ["595"]
cite = ["code/papersizes.py:11-40"]

[[question]]
text = "What does the diary say the soldiers built bunks from near Vicksburg?"
answer = ["cane"]
cite = ["docs/Seige_of_Vicksburg_Sample_OCR.pdf p.1"]

[[question]]
text = "What are the width and height of A4 paper in PaperSize?"
index = "code"
answer = ["595"]
cite = ["code/papersizes.py:9000-9001"]

[[question]]
text = "What is the boiling point of mercury?"
unanswerable = true
"#,
    );
    let o = eval(&set, &tmp.path().join("idx"), &["--ask", "--retrieval"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let questions = v["questions"].as_array().unwrap();
    assert_eq!(
        questions.len(),
        3,
        "the unanswerable question is not scored"
    );
    for row in ["bm25", "semantic", "lexical", "hybrid"] {
        let s = &v["retrieval"][row];
        assert_eq!(s["questions"], 3, "{row}: {s}");
        // Two questions are found within ten (the A4 class and the diary's page);
        // the third is labelled at lines the file does not have.
        assert!(
            (s["at_10"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9,
            "{row}: {s}"
        );
        assert!(questions[0]["ranks"][row].as_u64().is_some(), "{row}");
        assert!(questions[2]["ranks"][row].is_null(), "{row}");
    }
    // The diary question names no index: the page comes first, not the best function of
    // the code index (which holds none of its words) beside it.
    assert_eq!(questions[1]["ranks"]["hybrid"], 1, "{}", questions[1]);
    // --any-index searches both indexes for the A4 question too; its class stays first.
    let o = eval(
        &set,
        &tmp.path().join("idx"),
        &["--ask", "--retrieval", "--any-index", "--modes", "hybrid"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["questions"][0]["ranks"]["hybrid"], 1, "{v}");
    assert!(v["retrieval"]["semantic"].is_null(), "only --modes: {v}");
}
