//! The test encoder fixture (made by `scripts/setup` from the default model): prefixes,
//! query expansion without attention, and a projection to 96 dimensions, all driven by
//! `onnx_config.json` alone, run for real through ONNX Runtime.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use plait_testkit as assets;

use std::path::{Path, PathBuf};

use ndarray::Array2;
use plait_colbert::{Encoder, OnnxEncoder, OnnxEncoderBuilder, OnnxRuntime, TokenEmbeddings};

const FIXTURE: &str = "models/encoder/test-colbert-proj96";
const DEFAULT: &str = "models/encoder/minilm-l6-int8";

fn build(dir: &Path) -> OnnxEncoder {
    let rt = OnnxRuntime::load(&assets::onnxruntime()).unwrap();
    OnnxEncoderBuilder::new(dir).threads(1).build(&rt).unwrap()
}

/// A copy of `base`'s model directory with `edit` applied to its config (a new
/// directory under `tmp` on every call).
fn variant(tmp: &Path, base: &str, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let src = assets::asset(base);
    let n = std::fs::read_dir(tmp).unwrap().count();
    let dir = tmp.join(format!("{}-{n}", base.replace('/', "_")));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["model_int8.onnx", "tokenizer.json"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("onnx_config.json")).unwrap())
            .unwrap();
    edit(&mut config);
    std::fs::write(dir.join("onnx_config.json"), config.to_string()).unwrap();
    dir
}

fn normalised(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (a, b) = (normalised(a), normalised(b));
    a.iter().zip(&b).map(|(x, y)| x * y).sum()
}

/// Rows of `e` projected by `w` (dim_in x dim_out) and normalised.
fn project(e: &TokenEmbeddings, w: &Array2<f32>) -> Vec<Vec<f32>> {
    e.rows()
        .map(|r| {
            let out: Vec<f32> = (0..w.ncols())
                .map(|j| r.iter().enumerate().map(|(i, x)| x * w[[i, j]]).sum())
                .collect();
            normalised(&out)
        })
        .collect()
}

#[test]
fn queries_are_expanded_to_32_rows_and_documents_are_not() {
    let enc = build(&assets::asset(FIXTURE));
    assert_eq!(enc.dim(), 96);
    let q = &enc.encode_queries(&["open a pdf"]).unwrap()[0];
    assert_eq!((q.len(), q.dim()), (32, 96));
    let d = &enc.encode_documents(&["hello world"]).unwrap()[0];
    // [CLS] [unused1] hello world [SEP]: the prefix is a row, nothing is expanded.
    assert_eq!((d.len(), d.dim()), (5, 96));
    for row in q.rows().chain(d.rows()) {
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "row norm {norm}");
    }
}

#[test]
fn the_graph_projects_the_default_model_with_the_document_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = build(&assets::asset(FIXTURE));
    let w: Array2<f32> =
        ndarray_npy::read_npy(assets::asset(FIXTURE).join("projection.npy")).unwrap();
    assert_eq!(w.dim(), (384, 96));
    let text = "Load the PDF document from disk and iterate over its pages.";
    let got = &fixture.encode_documents(&[text]).unwrap()[0];

    // The default model with the same prefix, projected here: the same vectors.
    let with_prefix = build(&variant(tmp.path(), DEFAULT, |c| {
        c["document_prefix"] = "[unused1]".into();
    }));
    let expected = project(&with_prefix.encode_documents(&[text]).unwrap()[0], &w);
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.rows().zip(&expected).enumerate() {
        let c = cosine(g, e);
        assert!(c > 0.9999, "row {i}: cosine {c}");
    }

    // Without the prefix the rows differ: the prefix really is in the input.
    let plain = build(&assets::asset(DEFAULT));
    let unprefixed = project(&plain.encode_documents(&[text]).unwrap()[0], &w);
    assert_eq!(unprefixed.len() + 1, got.len());
    let worst = got
        .rows()
        .skip(2)
        .zip(unprefixed.iter().skip(1))
        .map(|(g, u)| cosine(g, u))
        .fold(1.0f32, f32::min);
    assert!(worst < 0.999, "prefix made no difference ({worst})");
}

#[test]
fn expansion_tokens_are_not_attended_and_the_query_prefix_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = build(&assets::asset(FIXTURE));
    let text = "merge two pdf files";
    let expanded = &fixture.encode_queries(&[text]).unwrap()[0];
    let unexpanded = build(&variant(tmp.path(), FIXTURE, |c| {
        c["do_query_expansion"] = false.into();
    }));
    let short = &unexpanded.encode_queries(&[text]).unwrap()[0];
    assert!(short.len() < 32);
    // With attention 0 on the [MASK] padding, the real tokens see exactly the same
    // context, so their vectors do not move.
    for (i, (a, b)) in expanded.rows().zip(short.rows()).enumerate() {
        let c = cosine(a, b);
        assert!(c > 0.9999, "row {i}: cosine {c}");
    }
    // Control: were the [MASK] positions attended, the real tokens would move, so the
    // check above can fail.
    let attended = build(&variant(tmp.path(), FIXTURE, |c| {
        c["attend_to_expansion_tokens"] = true.into();
    }));
    let moved = &attended.encode_queries(&[text]).unwrap()[0];
    assert_eq!(moved.len(), 32);
    let worst = moved
        .rows()
        .zip(short.rows())
        .map(|(a, b)| cosine(a, b))
        .fold(1.0f32, f32::min);
    assert!(worst < 0.999, "attending [MASK] changed nothing ({worst})");
    // Queries and documents get different markers ([unused0] vs [unused1]).
    let as_doc = &fixture.encode_documents(&[text]).unwrap()[0];
    let c = cosine(expanded.row(1), as_doc.row(1));
    assert!(c < 0.999, "query and document prefixes look the same ({c})");
}
