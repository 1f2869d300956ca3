//! Index integrity: checksums recorded at commit, checked cheaply on open and fully by
//! `verify`; format 1 indexes (before checksums) still open and search the same.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;

use ndarray::Array2;
use plait_colbert::{
    verify, ColbertError, Documents, Index, IndexConfig, IndexWriter, SearchParams, TokenEmbeddings,
};

const DIM: usize = 16;

/// Deterministic unit vectors: `docs` documents of 12 tokens.
fn vectors(docs: usize, seed: u64) -> (Vec<u64>, Vec<usize>, Array2<f32>) {
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let mut data = Vec::new();
    for _ in 0..docs * 12 {
        let mut v: Vec<f32> = (0..DIM).map(|_| next()).collect();
        let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
        v.iter_mut().for_each(|a| *a /= n);
        data.extend(v);
    }
    let keys = (1..=docs as u64).collect();
    (
        keys,
        vec![12; docs],
        Array2::from_shape_vec((docs * 12, DIM), data).unwrap(),
    )
}

fn build(dir: &Path) {
    let (keys, doclens, v) = vectors(40, 7);
    let w = IndexWriter::open(dir).unwrap();
    let config = IndexConfig {
        num_centroids: Some(16),
        nbits: 2,
        ..IndexConfig::default()
    };
    w.rebuild(
        Documents {
            keys: &keys[..20],
            doclens: &doclens[..20],
            vectors: v.slice(ndarray::s![..240, ..]),
        },
        &config,
    )
    .unwrap();
    w.add(Documents {
        keys: &keys[20..],
        doclens: &doclens[20..],
        vectors: v.slice(ndarray::s![240.., ..]),
    })
    .unwrap();
    w.delete(&[3]).unwrap();
}

fn search(dir: &Path) -> Vec<(u64, f32)> {
    let (_, _, v) = vectors(1, 99);
    let q = TokenEmbeddings::new(DIM, v.iter().copied().collect());
    Index::open(dir)
        .unwrap()
        .search(
            &q,
            &SearchParams {
                k: 10,
                ..SearchParams::default()
            },
            None,
        )
        .unwrap()
        .into_iter()
        .map(|h| (h.key, h.score))
        .collect()
}

fn current_metadata(dir: &Path) -> std::path::PathBuf {
    let current = std::fs::read_to_string(dir.join("CURRENT")).unwrap();
    dir.join(current.split_whitespace().next().unwrap())
}

fn first_segment_file(dir: &Path, file: &str) -> std::path::PathBuf {
    let index = Index::open(dir).unwrap();
    dir.join(&index.meta().segments[0].dir).join(file)
}

#[test]
fn every_committed_file_has_a_checksum_and_a_whole_index_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path());
    let index = Index::open(tmp.path()).unwrap();
    let m = index.meta();
    assert_eq!(m.format_version, 2);
    // 5 codec files, 6 per segment, and the deletion list.
    assert_eq!(
        m.files.len(),
        5 + 6 * m.segments.len() + 1,
        "{:?}",
        m.files.keys()
    );
    assert!(std::fs::read_to_string(tmp.path().join("CURRENT"))
        .unwrap()
        .contains(" blake3:"));
    assert_eq!(verify(tmp.path()).unwrap(), vec![]);
}

#[test]
fn a_flipped_byte_is_found_by_verify_and_a_truncation_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path());
    let residuals = first_segment_file(tmp.path(), "residuals.npy");
    let mut bytes = std::fs::read(&residuals).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x10;
    std::fs::write(&residuals, &bytes).unwrap();
    let damage = verify(tmp.path()).unwrap();
    assert_eq!(damage.len(), 1, "{damage:?}");
    assert_eq!(damage[0].path, residuals);
    assert!(damage[0].reason.contains("checksum"), "{damage:?}");

    let ivf = first_segment_file(tmp.path(), "ivf.npy");
    let len = std::fs::metadata(&ivf).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&ivf)
        .unwrap()
        .set_len(len - 4)
        .unwrap();
    match Index::open(tmp.path()).unwrap_err() {
        ColbertError::CorruptIndex { path, reason } => {
            assert_eq!(path, ivf);
            assert!(reason.contains("committed"), "{reason}");
        }
        e => panic!("{e}"),
    }
}

#[test]
fn an_edited_manifest_is_refused_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path());
    let meta = current_metadata(tmp.path());
    let text = std::fs::read_to_string(&meta).unwrap();
    std::fs::write(&meta, text.replace("\"dim\": 16", "\"dim\": 7")).unwrap();
    let err = Index::open(tmp.path()).unwrap_err().to_string();
    assert!(
        err.contains("checksum") && err.contains("metadata-"),
        "{err}"
    );
    // Without the checksum in CURRENT (as format 1 wrote it), the shapes give it away.
    std::fs::write(
        tmp.path().join("CURRENT"),
        format!("{}\n", meta.file_name().unwrap().to_string_lossy()),
    )
    .unwrap();
    let err = Index::open(tmp.path()).unwrap_err().to_string();
    assert!(err.contains("dim 7"), "{err}");
    std::fs::write(tmp.path().join("CURRENT"), "garbage\n").unwrap();
    let err = Index::open(tmp.path()).unwrap_err().to_string();
    assert!(
        err.contains("CURRENT") && err.contains("metadata-N.json"),
        "{err}"
    );
}

#[test]
fn a_format_1_index_still_opens_searches_the_same_and_upgrades_on_commit() {
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path());
    let before = search(tmp.path());
    // Freeze it as format 1 wrote it: no `files`, version 1, CURRENT without checksum.
    let meta = current_metadata(tmp.path());
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
    m.as_object_mut().unwrap().remove("files");
    m["format_version"] = 1.into();
    std::fs::write(&meta, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    std::fs::write(
        tmp.path().join("CURRENT"),
        format!("{}\n", meta.file_name().unwrap().to_string_lossy()),
    )
    .unwrap();
    let index = Index::open(tmp.path()).unwrap();
    assert_eq!(index.meta().format_version, 1);
    assert!(index.meta().files.is_empty());
    drop(index);
    assert_eq!(search(tmp.path()), before);
    assert_eq!(verify(tmp.path()).unwrap(), vec![]);
    IndexWriter::open(tmp.path()).unwrap().delete(&[5]).unwrap();
    let index = Index::open(tmp.path()).unwrap();
    assert_eq!(index.meta().format_version, 2);
    assert!(!index.meta().files.is_empty());
    assert_eq!(verify(tmp.path()).unwrap(), vec![]);
}
