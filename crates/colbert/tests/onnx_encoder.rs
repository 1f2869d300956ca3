//! The default encoder, run for real through ONNX Runtime.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use plait_testkit as assets;

use plait_colbert::{maxsim, ColbertError, Encoder, OnnxEncoder, OnnxEncoderBuilder, OnnxRuntime};

fn encoder() -> OnnxEncoder {
    let rt = OnnxRuntime::load(&assets::onnxruntime()).unwrap();
    OnnxEncoderBuilder::new(assets::asset("models/encoder/minilm-l6-int8"))
        .threads(1)
        .build(&rt)
        .unwrap()
}

#[test]
fn similar_sentences_score_higher_than_unrelated_ones() {
    let enc = encoder();
    let q = enc
        .encode_queries(&["how do I open a PDF file and read its pages"])
        .unwrap();
    let docs = enc
        .encode_documents(&[
            "Load the PDF document from disk and iterate over each of its pages.",
            "The recipe needs two eggs, flour and a pinch of salt.",
        ])
        .unwrap();
    let related = maxsim(&q[0], &docs[0]);
    let unrelated = maxsim(&q[0], &docs[1]);
    assert!(
        related > unrelated * 1.1,
        "related {related} should clearly beat unrelated {unrelated}"
    );
}

#[test]
fn vectors_are_normalised_and_punctuation_is_skipped() {
    let enc = encoder();
    assert_eq!(enc.dim(), 384);
    let plain = &enc.encode_documents(&["hello world"]).unwrap()[0];
    let punct = &enc.encode_documents(&["hello, world!"]).unwrap()[0];
    // [CLS] hello world [SEP]: punctuation tokens are dropped from documents.
    assert_eq!(plain.len(), 4);
    assert_eq!(punct.len(), 4);
    for row in plain.rows() {
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "row norm {norm}");
    }
}

#[test]
fn batching_and_order_do_not_change_vectors() {
    let enc = encoder();
    let texts = [
        "a short one",
        "a considerably longer sentence that needs more tokens than the others do",
        "middle length text here",
    ];
    let together = enc.encode_documents(&texts).unwrap();
    for (i, t) in texts.iter().enumerate() {
        let alone = &enc.encode_documents(&[t]).unwrap()[0];
        assert_eq!(alone.len(), together[i].len());
        let max_diff = alone
            .as_slice()
            .iter()
            .zip(together[i].as_slice())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            max_diff < 1e-3,
            "text {i}: padding changed vectors by {max_diff}"
        );
    }
}

#[test]
fn documents_are_truncated_to_document_length() {
    let enc = encoder();
    let long = "word ".repeat(1000);
    let e = &enc.encode_documents(&[&long]).unwrap()[0];
    assert_eq!(e.len(), enc.config().document_length);
}

#[test]
fn a_missing_model_directory_is_a_clear_error() {
    let rt = OnnxRuntime::load(&assets::onnxruntime()).unwrap();
    let err = OnnxEncoderBuilder::new("/nonexistent/model")
        .build(&rt)
        .unwrap_err();
    assert!(
        matches!(err, ColbertError::MissingModelFile { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("/nonexistent/model"));
}

fn cached_encoder(cache: &std::path::Path) -> OnnxEncoder {
    let rt = OnnxRuntime::load(&assets::onnxruntime()).unwrap();
    OnnxEncoderBuilder::new(assets::asset("models/encoder/minilm-l6-int8"))
        .session_options(plait_colbert::SessionOptions {
            cache: Some(cache.to_path_buf()),
            spinning: false,
            ..Default::default()
        })
        .build(&rt)
        .unwrap()
}

/// The entries of a cache of optimised graphs and whether each holds a graph file.
fn cache_entries(cache: &std::path::Path) -> Vec<(String, bool)> {
    let mut entries: Vec<(String, bool)> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, e.path().join("model.onnx").is_file())
        })
        .collect();
    entries.sort();
    entries
}

#[test]
fn the_cache_of_optimised_graphs_gives_the_same_vectors() {
    let texts = [
        "how are fonts embedded in a PDF",
        "The recipe needs two eggs, flour and a pinch of salt.",
    ];
    let reference = encoder();
    let want_q = reference.encode_queries(&texts).unwrap();
    let want_d = reference.encode_documents(&texts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("graphs");
    // The first load writes one entry, the second reads it; a broken entry is dropped
    // and written again.
    for round in ["writes", "reads", "repairs"] {
        let enc = cached_encoder(&cache);
        let entries = cache_entries(&cache);
        assert_eq!(entries.len(), 1, "{round}: {entries:?}");
        assert!(entries[0].1, "{round}: {entries:?}");
        assert_eq!(enc.encode_queries(&texts).unwrap(), want_q, "{round}");
        assert_eq!(enc.encode_documents(&texts).unwrap(), want_d, "{round}");
        if round == "reads" {
            let graph = cache.join(&entries[0].0).join("model.onnx");
            std::fs::write(graph, b"not a model").unwrap();
        }
    }
}
