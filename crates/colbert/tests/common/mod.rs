//! Helpers of the PLAID index tests: a deterministic synthetic corpus of unit vectors
//! around topics, small index settings, and building an index of a corpus.

#![allow(dead_code)] // each test file uses some of them
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;

use ndarray::{Array2, Axis};
use plait_colbert::{Documents, Index, IndexConfig, IndexWriter, TokenEmbeddings};

pub const DIM: usize = 32;

/// xorshift64*, deterministic test data.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next() + 1.0) / 2.0 * n as f32) as usize % n
    }
}

pub fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
}

/// A clustered corpus: each document mixes 3 of `topics` topic directions.
pub struct Corpus {
    pub keys: Vec<u64>,
    pub doclens: Vec<usize>,
    pub vectors: Array2<f32>,
    pub centers: Vec<Vec<f32>>,
    pub doc_topics: Vec<[usize; 3]>,
}

pub fn corpus(ndocs: usize, seed: u64, key_of: impl Fn(usize) -> u64) -> Corpus {
    let mut rng = Rng(seed | 1);
    let topics = 64;
    let centers: Vec<Vec<f32>> = (0..topics)
        .map(|_| {
            let mut c: Vec<f32> = (0..DIM).map(|_| rng.next()).collect();
            normalise(&mut c);
            c
        })
        .collect();
    let mut data = Vec::new();
    let mut doclens = Vec::new();
    let mut doc_topics = Vec::new();
    for _ in 0..ndocs {
        let t = [rng.below(topics), rng.below(topics), rng.below(topics)];
        let n = 10 + rng.below(20);
        for _ in 0..n {
            let c = &centers[t[rng.below(3)]];
            let mut v: Vec<f32> = c.iter().map(|x| x + 0.25 * rng.next()).collect();
            normalise(&mut v);
            data.extend(v);
        }
        doclens.push(n);
        doc_topics.push(t);
    }
    let rows = data.len() / DIM;
    Corpus {
        keys: (0..ndocs).map(key_of).collect(),
        doclens,
        vectors: Array2::from_shape_vec((rows, DIM), data).unwrap(),
        centers,
        doc_topics,
    }
}

impl Corpus {
    pub fn docs(&self) -> Documents<'_> {
        Documents {
            keys: &self.keys,
            doclens: &self.doclens,
            vectors: self.vectors.view(),
        }
    }

    /// A query built from document `d`'s topics.
    pub fn query(&self, d: usize, seed: u64) -> TokenEmbeddings {
        let mut rng = Rng(seed | 1);
        let mut data = Vec::new();
        for i in 0..8 {
            let c = &self.centers[self.doc_topics[d][i % 3]];
            let mut v: Vec<f32> = c.iter().map(|x| x + 0.3 * rng.next()).collect();
            normalise(&mut v);
            data.extend(v);
        }
        TokenEmbeddings::new(DIM, data)
    }

    /// The subset of documents `idx`, as a new batch.
    /// The documents `docs` (in order), keys and all.
    pub fn range(&self, docs: std::ops::Range<usize>) -> Corpus {
        self.subset(&docs.collect::<Vec<_>>())
    }

    pub fn subset(&self, idx: &[usize]) -> Corpus {
        let mut offsets = vec![0];
        for l in &self.doclens {
            offsets.push(offsets.last().unwrap() + l);
        }
        let rows: Vec<usize> = idx
            .iter()
            .flat_map(|&i| offsets[i]..offsets[i + 1])
            .collect();
        Corpus {
            keys: idx.iter().map(|&i| self.keys[i]).collect(),
            doclens: idx.iter().map(|&i| self.doclens[i]).collect(),
            vectors: self.vectors.select(Axis(0), &rows),
            centers: self.centers.clone(),
            doc_topics: idx.iter().map(|&i| self.doc_topics[i]).collect(),
        }
    }
}

pub fn small_config() -> IndexConfig {
    IndexConfig {
        num_centroids: Some(64),
        ..IndexConfig::default()
    }
}

/// A fresh index of `c` under `dir` with [`small_config`].
pub fn built(dir: &Path, c: &Corpus) -> Index {
    IndexWriter::open(dir)
        .unwrap()
        .rebuild(c.docs(), &small_config())
        .unwrap()
}

pub fn keys_of(hits: &[plait_colbert::SearchHit]) -> Vec<u64> {
    hits.iter().map(|h| h.key).collect()
}
