//! Writes an index's decompressed token vectors in the layout of the index benchmark's
//! corpus (`doc_tokens.npy`, `doclens.npy`, `queries.npy`), so that
//! `PLAIT_BENCH_DATA=OUT cargo bench --workspace --bench index` runs on real encoder
//! vectors instead of the synthetic ones.
//!
//! `cargo run --release --example export_bench_data -- INDEX_DIR OUT_DIR [QUERIES]`
//!
//! Queries are 32 consecutive token vectors of evenly spaced documents, perturbed so
//! that they are not stored vectors (a query drawn from a document, as the synthetic
//! generator's are).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ndarray::{Array1, Array2, Array3, Axis};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(
        args.len() >= 2,
        "usage: export_bench_data INDEX_DIR OUT_DIR [QUERIES]"
    );
    let index = plait_colbert::Index::open(&PathBuf::from(&args[0])).unwrap();
    let out = PathBuf::from(&args[1]);
    let nq: usize = args.get(2).map_or(200, |v| v.parse().unwrap());
    std::fs::create_dir_all(&out).unwrap();
    let mut keys = index.keys();
    keys.sort_unstable();
    let docs: Vec<Array2<f32>> = keys.iter().map(|&k| index.document(k).unwrap()).collect();
    let dim = docs.first().map_or(0, |d| d.ncols());
    let views: Vec<_> = docs.iter().map(|d| d.view()).collect();
    let tokens = ndarray::concatenate(Axis(0), &views).unwrap();
    let doclens: Array1<i32> = docs.iter().map(|d| d.nrows() as i32).collect();
    let qlen = 32;
    let long: Vec<&Array2<f32>> = docs.iter().filter(|d| d.nrows() >= qlen).collect();
    let mut queries = Array3::<f32>::zeros((nq, qlen, dim));
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for (i, mut q) in queries.outer_iter_mut().enumerate() {
        let d = long[i * long.len() / nq.max(1)];
        let start = (d.nrows() - qlen) / 2;
        for (mut row, src) in q
            .outer_iter_mut()
            .zip(d.slice(ndarray::s![start..start + qlen, ..]).outer_iter())
        {
            for (x, &s) in row.iter_mut().zip(src) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let noise = ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.1;
                *x = s + noise;
            }
            let n = row.dot(&row).sqrt();
            row /= n;
        }
    }
    ndarray_npy::write_npy(out.join("doc_tokens.npy"), &tokens).unwrap();
    ndarray_npy::write_npy(out.join("doclens.npy"), &doclens).unwrap();
    ndarray_npy::write_npy(out.join("queries.npy"), &queries).unwrap();
    println!(
        "{} documents, {} token vectors of dim {dim}, {nq} queries -> {}",
        docs.len(),
        tokens.nrows(),
        out.display()
    );
}
