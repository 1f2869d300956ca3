//! Per-index encoder models from the command line: the docs index built with the test
//! encoder fixture (96-dim, prefixes, query expansion) beside the default code index.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
}

use std::process::{Command, Output};

use support::assets;

fn plait(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(args)
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap()
}

#[test]
fn each_index_keeps_its_own_model_and_a_mismatch_says_how_to_fix_it() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    let idx_s = idx.to_str().unwrap();
    let fixture = assets::asset("models/encoder/test-colbert-proj96");
    let fixture_s = fixture.to_str().unwrap();
    let sample = assets::asset("samples/quickstart");
    let o = plait(&[
        "ingest",
        sample.to_str().unwrap(),
        "--index-dir",
        idx_s,
        "--docs-model",
        fixture_s,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The docs index answers with its model...
    let o = plait(&[
        "search",
        "docs",
        "siege of Vicksburg",
        "--json",
        "-k",
        "1",
        "--index-dir",
        idx_s,
        "--docs-model",
        fixture_s,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let hit: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().next().unwrap()).unwrap();
    assert!(hit["path"]
        .as_str()
        .unwrap()
        .ends_with("Vicksburg_Sample_OCR.pdf"));
    // ...and the code index with the default, in the same call.
    let o = plait(&[
        "search",
        "parse a page range",
        "--json",
        "-k",
        "3",
        "--index-dir",
        idx_s,
        "--docs-model",
        fixture_s,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Without the flag, the docs index refuses the default model and names the fix.
    let o = plait(&["search", "docs", "siege", "--index-dir", idx_s]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--docs-model") && err.contains("test fixture"),
        "{err}"
    );

    // Ingesting into it with another model is refused too, and nothing changes.
    let o = plait(&["ingest", sample.to_str().unwrap(), "--index-dir", idx_s]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("another --index-dir"));
}
