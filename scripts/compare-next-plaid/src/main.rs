//! next-plaid (LightOn, crates.io `next-plaid` 1.8.5, CPU, default features) on the
//! synthetic corpus of our index bench (`crates/colbert/benches/index.rs`), printing the
//! same lines so the two compare directly. `scripts/bench-compare` runs both.
//!
//! Protocol, mirroring our bench:
//! - build: `MmapIndex::create_with_kmeans` over all documents, `IndexConfig { nbits: 4,
//!   ..Default::default() }`, timed up to a loaded, searchable index. Peak RSS is VmHWM,
//!   reset once the corpus is loaded (as per-document arrays, the form the API takes).
//! - on disk: every file in the index directory after the build (also without the
//!   `merged_*` files `load` derives from the chunk files).
//! - update: delete the same 100 documents as our bench (`delete` + `reload`, which the
//!   library requires before the next search), then add them back as new documents
//!   (`update` with `UpdateConfig::default()`, which reloads itself). next-plaid ids are
//!   positions, so survivors are renumbered; the bench keeps the map to corpus ids.
//! - search: `SearchParameters::default()` (top_k 10), one query at a time inside a
//!   one-thread rayon pool, 5 warm-up queries, then 200 timed; recall@10 vs gt_top10.npy.
//!
//! Data: `PLAIT_BENCH_DATA` or `target/bench-data/synth`; index in
//! `target/compare-next-plaid-index` (override with `NEXT_PLAID_INDEX`).
//! `--ceiling` also prints recall@10 of exact MaxSim over next-plaid's decompressed
//! vectors (all cores; not timed): the codec's ceiling, like our exhaustive line.
//! `--reuse` searches the index a previous full run left (built and updated) and skips
//! build and update, like our bench with `PLAIT_BENCH_REUSE`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{s, Array1, Array2, Array3, Axis};
use next_plaid::{IndexConfig, MmapIndex, SearchParameters, UpdateConfig};
use rayon::prelude::*;

fn repo_target() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

fn data_dir() -> PathBuf {
    std::env::var_os("PLAIT_BENCH_DATA")
        .map_or_else(|| repo_target().join("bench-data/synth"), PathBuf::from)
}

fn index_dir() -> PathBuf {
    std::env::var_os("NEXT_PLAID_INDEX").map_or_else(
        || repo_target().join("compare-next-plaid-index"),
        PathBuf::from,
    )
}

fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn reset_peak_rss() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("warning: cannot reset VmHWM ({e}): peak RSS includes loading the corpus");
    }
}

/// Bytes of every file under `p`; with `skip_merged`, leaving out `merged_*`.
fn dir_size(p: &Path, skip_merged: bool) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let m = e.metadata().expect("metadata");
                    if m.is_dir() {
                        dir_size(&e.path(), skip_merged)
                    } else if skip_merged && e.file_name().to_string_lossy().starts_with("merged_")
                    {
                        0
                    } else {
                        m.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn recall_at_10(hits: &[Vec<u64>], gt: &[Vec<u64>]) -> f64 {
    let mut total = 0.0;
    for (h, g) in hits.iter().zip(gt) {
        let g: HashSet<u64> = g.iter().copied().collect();
        total += h.iter().take(10).filter(|k| g.contains(k)).count() as f64 / 10.0;
    }
    total / gt.len() as f64
}

fn main() {
    let ceiling = std::env::args().any(|a| a == "--ceiling");
    // --reuse: search the index the last full run left (built and updated), skipping
    // build and update; for repeated search-only comparisons.
    let reuse = std::env::args().any(|a| a == "--reuse");
    let corpus = Corpus::load();
    let index_dir = index_dir();
    if reuse && index_dir.join("metadata.json").exists() {
        let index = MmapIndex::load(index_dir.to_str().expect("utf-8 index path")).expect("load");
        let ndocs = corpus.docs.len();
        let upd = update_keys(ndocs);
        let gone: HashSet<u64> = upd.iter().copied().collect();
        let mut ids: Vec<u64> = (0..ndocs as u64).filter(|k| !gone.contains(k)).collect();
        ids.extend(upd);
        assert_eq!(index.num_documents(), ndocs);
        println!("reusing the index in {} (--reuse)", index_dir.display());
        return search(&index, &corpus.queries, &ids, &corpus.gt, ceiling);
    }
    let index = build(&corpus, &index_dir);
    let Corpus {
        docs, queries, gt, ..
    } = corpus;
    let (index, ids) = update(index, &docs);
    drop(docs);
    search(&index, &queries, &ids, &gt, ceiling);
}

/// The synthetic corpus as the API takes it: one [len, dim] array per document.
struct Corpus {
    docs: Vec<Array2<f32>>,
    queries: Vec<Array2<f32>>,
    gt: Vec<Vec<u64>>,
    total_tokens: usize,
    dim: usize,
}

impl Corpus {
    fn load() -> Self {
        let dir = data_dir();
        let tokens_path = dir.join("doc_tokens.npy");
        let gt_path = dir.join("gt_top10.npy");
        for p in [&tokens_path, &gt_path] {
            if !p.exists() {
                eprintln!(
                    "compare-next-plaid: {} is missing: run `scripts/bench-data`, then our bench \
                     (`cargo bench --workspace --bench index`) for gt_top10.npy",
                    p.display()
                );
                std::process::exit(2);
            }
        }
        let doclens: Array1<i32> =
            ndarray_npy::read_npy(dir.join("doclens.npy")).expect("doclens.npy");
        let queries: Array3<f32> =
            ndarray_npy::read_npy(dir.join("queries.npy")).expect("queries.npy");
        let gt: Array2<u64> = ndarray_npy::read_npy(&gt_path).expect("gt_top10.npy");
        let gt: Vec<Vec<u64>> = gt.outer_iter().map(|r| r.to_vec()).collect();
        assert_eq!(
            gt.len(),
            queries.shape()[0],
            "gt_top10.npy does not match queries.npy"
        );
        let tokens: Array2<f32> = ndarray_npy::read_npy(&tokens_path).expect("doc_tokens.npy");
        let mut start = 0usize;
        let docs: Vec<Array2<f32>> = doclens
            .iter()
            .map(|&l| {
                let end = start + l as usize;
                let d = tokens.slice(s![start..end, ..]).to_owned();
                start = end;
                d
            })
            .collect();
        assert_eq!(
            start,
            tokens.nrows(),
            "doclens.npy does not sum to the token count"
        );
        let (total_tokens, dim) = (tokens.nrows(), tokens.ncols());
        println!(
            "corpus: {} documents, {total_tokens} token vectors of dim {dim}, {} queries of {} vectors",
            docs.len(),
            queries.shape()[0],
            queries.shape()[1]
        );
        let queries = queries.outer_iter().map(|q| q.to_owned()).collect();
        Self {
            docs,
            queries,
            gt,
            total_tokens,
            dim,
        }
    }
}

/// Builds the index into `index_dir`, printing time, peak memory and size on disk.
fn build(corpus: &Corpus, index_dir: &Path) -> MmapIndex {
    let _ = std::fs::remove_dir_all(index_dir);
    std::fs::create_dir_all(index_dir.parent().expect("parent")).expect("create target dir");
    let index_path = index_dir.to_str().expect("utf-8 index path").to_owned();
    let config = IndexConfig {
        nbits: 4,
        ..Default::default()
    };
    let rss_before = status_kib("VmRSS:");
    reset_peak_rss();
    let t = Instant::now();
    let index = MmapIndex::create_with_kmeans(&corpus.docs, &index_path, &config).expect("build");
    let build_s = t.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:");
    println!(
        "build: {build_s:.1} s, {} centroids, {} k-means iterations, {} points per centroid, nbits {}; peak RSS {:.0} MiB ({:.0} MiB of it the loaded corpus and ground truth, {:.0} MiB above that)",
        index.num_partitions(),
        config.kmeans_niters,
        config.max_points_per_centroid,
        config.nbits,
        peak as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        peak.saturating_sub(rss_before) as f64 / 1024.0
    );
    let bytes = dir_size(index_dir, false);
    let bytes_chunks = dir_size(index_dir, true);
    println!(
        "on disk: {:.1} MiB, {:.1} bytes per token (dim*nbits/8 = {} + code); without the merged_* copies load() derives: {:.1} MiB, {:.1} bytes per token",
        bytes as f64 / 1048576.0,
        bytes as f64 / corpus.total_tokens as f64,
        corpus.dim * config.nbits / 8,
        bytes_chunks as f64 / 1048576.0,
        bytes_chunks as f64 / corpus.total_tokens as f64
    );
    index
}

/// The 1% update: deletes the 100 documents our bench deletes, then adds them back.
/// Returns the index and, per next-plaid position, the corpus id.
fn update(mut index: MmapIndex, docs: &[Array2<f32>]) -> (MmapIndex, Vec<u64>) {
    let ndocs = docs.len();
    let mut ids: Vec<u64> = (0..ndocs as u64).collect();
    let upd_keys = update_keys(ndocs);
    let del: Vec<i64> = upd_keys.iter().map(|&k| k as i64).collect(); // positions == ids here
    let t = Instant::now();
    let removed = index.delete(&del).expect("delete");
    index.reload().expect("reload after delete");
    let del_s = t.elapsed().as_secs_f64();
    let gone: HashSet<u64> = upd_keys.iter().copied().collect();
    ids.retain(|k| !gone.contains(k));
    assert_eq!(index.num_documents(), ids.len());
    let upd_docs: Vec<Array2<f32>> = upd_keys.iter().map(|&k| docs[k as usize].clone()).collect();
    let upd_tokens: usize = upd_docs.iter().map(|d| d.nrows()).sum();
    let t = Instant::now();
    let new_ids = index
        .update(&upd_docs, &UpdateConfig::default())
        .expect("update");
    let add_s = t.elapsed().as_secs_f64();
    assert_eq!(new_ids.first().copied(), Some(ids.len() as i64));
    ids.extend(upd_keys.iter().copied());
    println!(
        "update: delete {removed} documents (1%) {:.0} ms; add {} documents (1%, {upd_tokens} tokens) {:.0} ms",
        del_s * 1e3,
        upd_keys.len(),
        add_s * 1e3
    );
    assert_eq!(index.num_documents(), ndocs);
    (index, ids)
}

/// The documents the 1% update deletes and adds back, ascending.
fn update_keys(ndocs: usize) -> Vec<u64> {
    let n_upd = ndocs / 100;
    let mut upd_keys: Vec<u64> = (0..n_upd as u64)
        .map(|i| i * 97 % ndocs as u64)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    upd_keys.sort_unstable();
    upd_keys
}

/// Search with the library defaults, one thread; `ids` maps positions to corpus ids.
fn search(index: &MmapIndex, qs: &[Array2<f32>], ids: &[u64], gt: &[Vec<u64>], ceiling: bool) {
    let params = SearchParameters::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("one-thread pool");
    let to_keys = |r: next_plaid::QueryResult| -> Vec<u64> {
        r.passage_ids.iter().map(|&p| ids[p as usize]).collect()
    };
    let cpu_before = cpu_ticks();
    let wall = Instant::now();
    let (mut times, hits) = pool.install(|| {
        for q in qs.iter().take(5) {
            index.search(q, &params, None).expect("search");
        }
        let mut times = Vec::with_capacity(qs.len());
        let mut hits = Vec::with_capacity(qs.len());
        for q in qs {
            let t = Instant::now();
            let r = index.search(q, &params, None).expect("search");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            hits.push(to_keys(r));
        }
        (times, hits)
    });
    let cpu_per_wall = (cpu_ticks() - cpu_before) as f64 / 100.0 / wall.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    println!(
        "search (1 thread, {params:?}):\n  plaid       p50 {:.2} ms  p95 {:.2} ms  recall@10 {:.3}",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        recall_at_10(&hits, gt)
    );
    println!("  (process CPU time / wall time over the search loop: {cpu_per_wall:.2}, i.e. one busy thread)");

    if ceiling {
        let t = Instant::now();
        let r = exact_over_decompressed(index, qs, ids);
        println!(
            "  exhaustive  recall@10 {:.3} (exact MaxSim over decompressed vectors: the codec's ceiling; {:.0} s, all cores, not a latency)",
            recall_at_10(&r, gt),
            t.elapsed().as_secs_f64()
        );
    }
}

/// utime + stime of the whole process (all threads), in clock ticks (USER_HZ = 100).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

/// Top-10 corpus ids per query by exact MaxSim over `index.reconstruct` of every document.
fn exact_over_decompressed(index: &MmapIndex, qs: &[Array2<f32>], ids: &[u64]) -> Vec<Vec<u64>> {
    let nq = qs[0].nrows();
    let views: Vec<_> = qs.iter().map(|q| q.view()).collect();
    let all_q = ndarray::concatenate(Axis(0), &views).expect("queries");
    let n = index.num_documents();
    let mut scores = vec![Vec::with_capacity(n); qs.len()];
    for block in (0..n as i64).collect::<Vec<_>>().chunks(256) {
        let docs = index.reconstruct(block).expect("reconstruct");
        let per_doc: Vec<Vec<f32>> = docs
            .par_iter()
            .map(|d| {
                let sims = all_q.dot(&d.t()); // [queries * nq, len]
                let maxes: Vec<f32> = sims
                    .outer_iter()
                    .map(|r| r.iter().copied().fold(f32::NEG_INFINITY, f32::max))
                    .collect();
                maxes.chunks(nq).map(|c| c.iter().sum()).collect()
            })
            .collect();
        for (&pos, s) in block.iter().zip(per_doc) {
            for (qi, sc) in s.into_iter().enumerate() {
                scores[qi].push((sc, ids[pos as usize]));
            }
        }
    }
    scores
        .into_iter()
        .map(|mut s| {
            s.sort_by(|a, b| b.0.total_cmp(&a.0));
            s.iter().take(10).map(|x| x.1).collect()
        })
        .collect()
}
