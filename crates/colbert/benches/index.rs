//! PLAID index benchmark on the shared synthetic corpus (`../shared/bench/synth.py`).
//!
//! Prints build time and peak memory, bytes per stored token, the time to delete and to
//! add 1% of the documents, and search latency (one thread, query encoding excluded)
//! with recall@10 against exhaustive exact MaxSim over the original vectors, side by side
//! with the exhaustive search over the index's own decompressed vectors.
//!
//! Data: `scripts/bench-data` writes it to `target/bench-data/synth` (override with
//! `PLAIT_BENCH_DATA`). `--sweep` also prints a grid of search settings.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{s, Array1, Array2, Array3, ArrayView2};
use plait_colbert::{
    Documents, IndexConfig, IndexWriter, SearchParams, SearchStages, StreamedDocuments,
    TokenEmbeddings, VectorSource,
};
use rayon::prelude::*;

fn data_dir() -> PathBuf {
    std::env::var_os("PLAIT_BENCH_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data/synth"),
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
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let m = e.metadata().unwrap();
                    if m.is_dir() {
                        dir_size(&e.path())
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

/// The token vectors of `doc_tokens.npy` read by row ranges (`pread`), so neither the
/// build nor the ground truth holds the corpus in memory.
struct NpyRows {
    file: std::fs::File,
    data_offset: u64,
    rows: usize,
    dim: usize,
}

impl NpyRows {
    /// Opens a C-order little-endian `f32` matrix in `.npy` format.
    fn open(path: &Path) -> Self {
        use std::io::Read;
        let mut file = std::fs::File::open(path).unwrap();
        let mut head = [0u8; 12];
        file.read_exact(&mut head).unwrap();
        assert_eq!(
            &head[..6],
            b"\x93NUMPY",
            "{} is not a .npy file",
            path.display()
        );
        let (hlen, start) = if head[6] == 1 {
            (u16::from_le_bytes([head[8], head[9]]) as usize, 10)
        } else {
            (
                u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize,
                12,
            )
        };
        let mut header = vec![0u8; start + hlen];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut header, 0).unwrap();
        let header = String::from_utf8_lossy(&header[start..]).to_string();
        assert!(header.contains("'<f4'") && header.contains("'fortran_order': False"));
        let shape = &header[header.find("'shape': (").unwrap() + 10..];
        let shape: Vec<usize> = shape[..shape.find(')').unwrap()]
            .split(',')
            .filter_map(|x| x.trim().parse().ok())
            .collect();
        Self {
            file,
            data_offset: (start + hlen) as u64,
            rows: shape[0],
            dim: shape[1],
        }
    }
}

impl VectorSource for NpyRows {
    fn num_rows(&self) -> usize {
        self.rows
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn read_rows(&self, start: usize, out: &mut [f32]) -> plait_colbert::Result<()> {
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(out);
        let at = self.data_offset + (start * self.dim * 4) as u64;
        std::os::unix::fs::FileExt::read_exact_at(&self.file, bytes, at).map_err(|e| {
            plait_colbert::ColbertError::InvalidConfig {
                reason: e.to_string(),
            }
        })
    }
}

/// Exact top-10 by MaxSim over the original vectors, cached beside the data; the corpus
/// is read a block of documents at a time.
fn ground_truth(
    dir: &Path,
    src: &NpyRows,
    offsets: &[usize],
    queries: &Array3<f32>,
) -> Vec<Vec<u64>> {
    let cache = dir.join("gt_top10.npy");
    if let Ok(gt) = ndarray_npy::read_npy::<_, Array2<u64>>(&cache) {
        if gt.nrows() == queries.shape()[0] {
            return gt.outer_iter().map(|r| r.to_vec()).collect();
        }
    }
    let t = Instant::now();
    let ndocs = offsets.len() - 1;
    let dim = src.dim;
    let mut top: Vec<Vec<(f32, u64)>> = vec![Vec::new(); queries.shape()[0]];
    let mut d0 = 0;
    let mut buf = Vec::new();
    while d0 < ndocs {
        let mut d1 = d0 + 1;
        while d1 < ndocs && offsets[d1 + 1] - offsets[d0] <= 65_536 {
            d1 += 1;
        }
        let rows = offsets[d1] - offsets[d0];
        buf.resize(rows * dim, 0f32);
        src.read_rows(offsets[d0], &mut buf).unwrap();
        let block = ArrayView2::from_shape((rows, dim), &buf[..]).unwrap();
        top.par_iter_mut().enumerate().for_each(|(qi, best)| {
            let q = queries.slice(s![qi, .., ..]);
            let sims = q.dot(&block.t());
            for d in d0..d1 {
                let (a, b) = (offsets[d] - offsets[d0], offsets[d + 1] - offsets[d0]);
                let sc: f32 = sims
                    .outer_iter()
                    .map(|r| {
                        r.slice(s![a..b])
                            .iter()
                            .copied()
                            .fold(f32::NEG_INFINITY, f32::max)
                    })
                    .sum();
                best.push((sc, d as u64));
            }
            best.sort_by(|a, b| b.0.total_cmp(&a.0));
            best.truncate(10);
        });
        d0 = d1;
    }
    let gt: Vec<Vec<u64>> = top
        .iter()
        .map(|b| b.iter().map(|x| x.1).collect())
        .collect();
    let flat: Vec<u64> = gt.iter().flatten().copied().collect();
    let arr = Array2::from_shape_vec((gt.len(), 10), flat).unwrap();
    ndarray_npy::write_npy(&cache, &arr).unwrap();
    println!(
        "ground truth (exact MaxSim, original vectors): {:.1} s, cached in {}",
        t.elapsed().as_secs_f64(),
        cache.display()
    );
    gt
}

fn recall_at_10(hits: &[Vec<u64>], gt: &[Vec<u64>]) -> f64 {
    let mut total = 0.0;
    for (h, g) in hits.iter().zip(gt) {
        let g: HashSet<u64> = g.iter().copied().collect();
        total += h.iter().take(10).filter(|k| g.contains(k)).count() as f64 / 10.0;
    }
    total / gt.len() as f64
}

struct Run {
    p50: f64,
    p95: f64,
    recall: f64,
    /// Process CPU time over wall time while the queries ran.
    cpu_per_wall: f64,
    /// Each query's result keys, best first.
    hits: Vec<Vec<u64>>,
}

fn run_queries(
    index: &plait_colbert::Index,
    queries: &[TokenEmbeddings],
    gt: &[Vec<u64>],
    f: impl Fn(&plait_colbert::Index, &TokenEmbeddings) -> Vec<u64>,
) -> Run {
    // A few warm-up queries, then the timed pass.
    for q in queries.iter().take(5) {
        f(index, q);
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut hits = Vec::with_capacity(queries.len());
    let (cpu_before, wall) = (cpu_ticks(), Instant::now());
    for q in queries {
        let t = Instant::now();
        hits.push(f(index, q));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let cpu_per_wall = (cpu_ticks() - cpu_before) as f64 / 100.0 / wall.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    Run {
        p50: percentile(&times, 0.5),
        p95: percentile(&times, 0.95),
        recall: recall_at_10(&hits, gt),
        cpu_per_wall,
        hits,
    }
}

/// User plus system CPU time of this process, in clock ticks (1/100 s).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

/// A `usize` from the environment variable `name`, when set and valid.
fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
}

/// The default search settings with the `PLAIT_BENCH_*` overrides applied.
fn search_params() -> SearchParams {
    let mut params = SearchParams::default();
    params.n_ivf_probe = env_usize("PLAIT_BENCH_PROBE").unwrap_or(params.n_ivf_probe);
    params.n_full_scores = env_usize("PLAIT_BENCH_NFULL").unwrap_or(params.n_full_scores);
    params.n_exact = env_usize("PLAIT_BENCH_NEXACT").unwrap_or(params.n_exact);
    params.max_full_scores = env_usize("PLAIT_BENCH_MAXFULL").unwrap_or(params.max_full_scores);
    params.refine_step = env_usize("PLAIT_BENCH_STEP").unwrap_or(params.refine_step);
    if let Some(t) = std::env::var("PLAIT_BENCH_THRESHOLD")
        .ok()
        .and_then(|v| v.parse::<f32>().ok())
    {
        params.centroid_score_threshold = Some(t);
    }
    params
}

/// The top-10 keys of PLAID search with `params`, per query.
fn plaid_run(
    index: &plait_colbert::Index,
    qs: &[TokenEmbeddings],
    gt: &[Vec<u64>],
    params: &SearchParams,
) -> Run {
    run_queries(index, qs, gt, |ix, q| {
        ix.search(q, params, None)
            .unwrap()
            .iter()
            .map(|h| h.key)
            .collect()
    })
}

/// The data set of a run: the token vectors, document lengths and offsets, queries and
/// ground truth.
struct Corpus {
    tokens: NpyRows,
    doclens: Vec<usize>,
    offsets: Vec<usize>,
    queries: Array3<f32>,
    qs: Vec<TokenEmbeddings>,
}

impl Corpus {
    /// Reads `dir` (written by `scripts/bench-data`).
    fn open(dir: &Path) -> Self {
        let tokens_path = dir.join("doc_tokens.npy");
        assert!(
            tokens_path.exists(),
            "no benchmark data in {}: run `scripts/bench-data` (or set PLAIT_BENCH_DATA)",
            dir.display()
        );
        let tokens = NpyRows::open(&tokens_path);
        let doclens: Array1<i32> = ndarray_npy::read_npy(dir.join("doclens.npy")).unwrap();
        let queries: Array3<f32> = ndarray_npy::read_npy(dir.join("queries.npy")).unwrap();
        let doclens: Vec<usize> = doclens.iter().map(|&l| l as usize).collect();
        let mut offsets = vec![0usize];
        for &l in &doclens {
            offsets.push(offsets[offsets.len() - 1] + l);
        }
        let dim = tokens.dim;
        println!(
            "corpus: {} documents, {} token vectors of dim {dim}, {} queries of {} vectors",
            doclens.len(),
            tokens.rows,
            queries.shape()[0],
            queries.shape()[1]
        );
        let qs: Vec<TokenEmbeddings> = queries
            .outer_iter()
            .map(|q| TokenEmbeddings::new(dim, q.iter().copied().collect()))
            .collect();
        Self {
            tokens,
            doclens,
            offsets,
            queries,
            qs,
        }
    }
}

fn main() {
    let sweep = std::env::args().any(|a| a == "--sweep");
    let dir = data_dir();
    let corpus = Corpus::open(&dir);
    let qs = &corpus.qs;
    let index_dir = std::env::var_os("PLAIT_BENCH_INDEX").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-index"),
        PathBuf::from,
    );
    let index =
        if std::env::var_os("PLAIT_BENCH_REUSE").is_some() && index_dir.join("CURRENT").exists() {
            println!(
                "reusing the index in {} (PLAIT_BENCH_REUSE)",
                index_dir.display()
            );
            plait_colbert::Index::open(&index_dir).unwrap()
        } else {
            build_and_update(&index_dir, &corpus.tokens, &corpus.doclens, &corpus.offsets)
        };
    // After the build, so that its peak memory is the build's own.
    let gt = ground_truth(&dir, &corpus.tokens, &corpus.offsets, &corpus.queries);
    let params = search_params();
    let plaid = plaid_run(&index, qs, &gt, &params);
    let n_exh = env_usize("PLAIT_BENCH_EXHAUSTIVE").unwrap_or(
        if std::env::var_os("PLAIT_BENCH_QUICK").is_some() {
            50
        } else {
            qs.len()
        },
    );
    println!(
        "search (1 thread, {params:?}):\n  plaid       p50 {:.2} ms  p95 {:.2} ms  recall@10 {:.3}",
        plaid.p50, plaid.p95, plaid.recall
    );
    // As the next-plaid bench prints it: below 1, the machine's load took the core away.
    println!(
        "  (process CPU time / wall time over the search loop: {:.2}, i.e. one busy thread)",
        plaid.cpu_per_wall
    );
    print_stages(&index, qs, &params);
    print_assignment(&index, &corpus.tokens);
    print_batched(&index, qs, &params);
    if n_exh > 0 {
        print_exhaustive(&index, &index_dir, &qs[..n_exh], &gt[..n_exh], &plaid);
    }
    if std::env::args().any(|a| a == "--refine-sweep") {
        refine_sweep(&index, qs, &gt, &params);
    }
    if sweep {
        threshold_sweep(&index, qs, &gt, &params);
    }
}

/// Exhaustive exact MaxSim over the index's decompressed vectors on `qs` (the codec's
/// ceiling), and PLAID's top-10 overlap with it. Exhaustive results are cached beside
/// the index (removed when it is rebuilt): at 10x they take seconds per query, and
/// search settings can be swept on them.
fn print_exhaustive(
    index: &plait_colbert::Index,
    index_dir: &Path,
    qs: &[TokenEmbeddings],
    gt: &[Vec<u64>],
    plaid: &Run,
) {
    let n_exh = qs.len();
    let cache = exhaustive_cache(index_dir);
    let cached = ndarray_npy::read_npy::<_, Array2<u64>>(&cache)
        .ok()
        .filter(|a| a.nrows() >= n_exh);
    let exhaustive = if let Some(a) = cached {
        let hits: Vec<Vec<u64>> = a
            .outer_iter()
            .take(n_exh)
            .map(|r| r.iter().copied().filter(|&k| k != u64::MAX).collect())
            .collect();
        println!(
            "  exhaustive  (results cached in {}) recall@10 {:.3} over {n_exh} queries (exact MaxSim over decompressed vectors: the codec's ceiling)",
            cache.display(),
            recall_at_10(&hits, gt)
        );
        hits
    } else {
        let run = run_queries(index, qs, gt, |ix, q| {
            ix.search_exhaustive(q, 10, None)
                .unwrap()
                .iter()
                .map(|h| h.key)
                .collect()
        });
        println!(
            "  exhaustive  p50 {:.1} ms  p95 {:.1} ms  recall@10 {:.3} over {n_exh} queries (exact MaxSim over decompressed vectors: the codec's ceiling)\n  speedup of plaid over exhaustive at p50: {:.0}x",
            run.p50, run.p95, run.recall, run.p50 / plaid.p50
        );
        let mut a = Array2::from_elem((n_exh, 10), u64::MAX);
        for (row, h) in a.outer_iter_mut().zip(&run.hits) {
            for (slot, &k) in row.into_iter().zip(h) {
                *slot = k;
            }
        }
        ndarray_npy::write_npy(&cache, &a).unwrap();
        run.hits
    };
    // Recall against the codec's own ceiling: PLAID's top 10 against exhaustive MaxSim
    // over the same compressed vectors, on the same queries.
    println!(
        "  fidelity    top-10 overlap with exhaustive {:.3} over {n_exh} queries (plaid recall@10 on them {:.3}, exhaustive {:.3})",
        recall_at_10(&plaid.hits[..n_exh], &exhaustive),
        recall_at_10(&plaid.hits[..n_exh], gt),
        recall_at_10(&exhaustive, gt)
    );
}

/// `--refine-sweep`: latency and recall over probes, full scores and exact scores.
fn refine_sweep(
    index: &plait_colbert::Index,
    qs: &[TokenEmbeddings],
    gt: &[Vec<u64>],
    params: &SearchParams,
) {
    println!("refine sweep: n_ivf_probe n_full_scores n_exact -> p50 ms, p95 ms, recall@10");
    for probe in [2usize, 3] {
        for nfull in [192usize, 256, 384] {
            for nexact in [16usize, 24, 32, 48, 64] {
                let p = SearchParams {
                    n_ivf_probe: probe,
                    n_full_scores: nfull,
                    n_exact: nexact,
                    ..params.clone()
                };
                let r = plaid_run(index, qs, gt, &p);
                println!(
                    "  {probe:>3} {nfull:>4} {nexact:>4} -> {:.2} {:.2} {:.3}",
                    r.p50, r.p95, r.recall
                );
            }
        }
    }
}

/// `--sweep`: latency and recall over probes, centroid thresholds and full scores.
fn threshold_sweep(
    index: &plait_colbert::Index,
    qs: &[TokenEmbeddings],
    gt: &[Vec<u64>],
    params: &SearchParams,
) {
    println!("sweep: n_ivf_probe threshold n_full_scores -> p50 ms, p95 ms, recall@10");
    for probe in [2usize, 3, 4] {
        for thr in [Some(0.25f32), Some(0.27), Some(0.3)] {
            for nfull in [192usize, 256, 320] {
                let p = SearchParams {
                    k: 10,
                    n_ivf_probe: probe,
                    centroid_score_threshold: thr,
                    n_full_scores: nfull,
                    n_exact: params.n_exact,
                    ..params.clone()
                };
                let r = plaid_run(index, qs, gt, &p);
                println!(
                    "  {probe:>3} {thr:>10?} {nfull:>4} -> {:.2} {:.2} {:.3}",
                    r.p50, r.p95, r.recall
                );
            }
        }
    }
}

/// Mean time per query of searching in batches of 8 (one centroid product per batch)
/// against one query at a time, alternating so both see the same machine load.
fn print_batched(index: &plait_colbert::Index, queries: &[TokenEmbeddings], params: &SearchParams) {
    let (mut one, mut batched) = (0f64, 0f64);
    let mut same = true;
    for group in queries.chunks(8) {
        let t = Instant::now();
        let alone: Vec<_> = group
            .iter()
            .map(|q| index.search(q, params, None).unwrap())
            .collect();
        one += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let together = index.search_batch(group, params, None).unwrap();
        batched += t.elapsed().as_secs_f64();
        same &= alone == together;
    }
    let n = queries.len() as f64;
    println!(
        "  batched by 8: {:.2} ms per query vs {:.2} ms one at a time ({:.2}x); same results: {same}",
        batched * 1e3 / n,
        one * 1e3 / n,
        batched / one
    );
}

/// Mean time per search of each stage, over one more pass of the queries.
fn print_stages(index: &plait_colbert::Index, queries: &[TokenEmbeddings], params: &SearchParams) {
    let mut st = SearchStages::default();
    for q in queries {
        index.search_staged(q, params, None, &mut st).unwrap();
    }
    let n = st.searches.max(1) as f64;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3 / n;
    println!(
        "  stages (mean ms per search): centroid scores {:.3}, probe+prune {:.3}, candidates {:.3} ({:.0} docs), select {:.3}, refine {:.3} ({:.0} docs), decompress {:.3}, exact {:.3} ({:.0} docs); total {:.3}",
        ms(st.centroid_scores),
        ms(st.probe),
        ms(st.candidates),
        st.approx_scored as f64 / n,
        ms(st.select),
        ms(st.refine),
        st.refined as f64 / n,
        ms(st.decompress),
        ms(st.exact),
        st.exact_scored as f64 / n,
        ms(st.total()),
    );
}

/// The build's assignment of tokens to centroids (k-means iterations and compression):
/// exact against every centroid next to grouped, on a sample of the corpus.
fn print_assignment(index: &plait_colbert::Index, tokens: &NpyRows) {
    let centroids = index.codec().centroids();
    let rows = tokens.rows.min(65_536);
    let mut sample = Array2::<f32>::zeros((rows, tokens.dim));
    // An evenly spread sample: one run of 64 rows from each of rows/64 places.
    for (i, mut run) in sample
        .axis_chunks_iter_mut(ndarray::Axis(0), 64)
        .enumerate()
    {
        let first = (i * 64 * (tokens.rows / rows)).min(tokens.rows - run.nrows());
        tokens
            .read_rows(first, run.as_slice_mut().unwrap())
            .unwrap();
    }
    let t = Instant::now();
    let exact = plait_colbert::index::assign_exact(sample.view(), centroids);
    let exact_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let groups = plait_colbert::index::CentroidGroups::new(centroids);
    let group_s = t.elapsed().as_secs_f64();
    let probed: Vec<String> = [8, 16, 32]
        .iter()
        .map(|&p| {
            let t = Instant::now();
            let g = groups.assign_probed(sample.view(), p);
            let s = t.elapsed().as_secs_f64();
            let same = exact.iter().zip(&g).filter(|(a, b)| a == b).count();
            let gap = |r: usize, e: u32, g: u32| {
                let row = sample.row(r);
                row.dot(&centroids.row(e as usize)) - row.dot(&centroids.row(g as usize))
            };
            let within = |d: f32| {
                (0..rows).filter(|&r| gap(r, exact[r], g[r]) <= d).count() as f64 * 100.0
                    / rows as f64
            };
            format!(
                "{p} probes {:.0} ms ({:.1}x faster), same centroid {:.2}% (score within 0.01 of the best {:.2}%, 0.02 {:.2}%, 0.05 {:.2}%)",
                s * 1e3,
                exact_s / s,
                same as f64 * 100.0 / rows as f64,
                within(0.01),
                within(0.02),
                within(0.05)
            )
        })
        .collect();
    println!(
        "assignment of {rows} sampled tokens to {} centroids ({} threads): exact {:.0} ms; {} groups (built in {:.0} ms): {} (compression goes through groups from 99% the same)",
        centroids.nrows(),
        rayon::current_num_threads(),
        exact_s * 1e3,
        groups.len(),
        group_s * 1e3,
        probed.join("; "),
    );
}

/// Where exhaustive search results over the index in `index_dir` are cached.
fn exhaustive_cache(index_dir: &Path) -> PathBuf {
    let mut name = index_dir.file_name().unwrap_or_default().to_os_string();
    name.push(".exhaustive.npy");
    index_dir.with_file_name(name)
}

/// Builds the index from all documents (timed, with peak memory), then deletes and
/// re-adds 1% of them (timed): the state searches are measured on.
fn build_and_update(
    index_dir: &Path,
    tokens: &NpyRows,
    doclens: &[usize],
    offsets: &[usize],
) -> plait_colbert::Index {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
    };
    let ndocs = doclens.len();
    let dim = tokens.dim;
    let _ = std::fs::remove_dir_all(index_dir);
    let _ = std::fs::remove_file(exhaustive_cache(index_dir));
    let keys: Vec<u64> = (0..ndocs as u64).collect();
    let writer = IndexWriter::open(index_dir).unwrap();
    let rss_before = status_kib("VmRSS:");
    reset_peak_rss();
    let t = Instant::now();
    let mut config = IndexConfig::default();
    config.num_centroids = env("PLAIT_BENCH_K").or(config.num_centroids);
    config.kmeans_iterations = env("PLAIT_BENCH_ITERS").unwrap_or(config.kmeans_iterations);
    config.seed = env("PLAIT_BENCH_SEED").map_or(config.seed, |s| s as u64);
    config.max_points_per_centroid =
        env("PLAIT_BENCH_PPC").unwrap_or(config.max_points_per_centroid);
    let index = writer
        .rebuild_streamed(
            StreamedDocuments {
                keys: &keys,
                doclens,
                vectors: tokens,
            },
            &config,
        )
        .unwrap();
    let build_s = t.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:");
    println!(
        "build: {build_s:.1} s, {} centroids, {} k-means iterations, {} points per centroid, nbits {}; peak RSS {:.0} MiB ({:.0} MiB of it held before the build: queries and ground truth, the corpus streamed from disk; {:.0} MiB above that)",
        index.codec().num_centroids(),
        config.kmeans_iterations,
        config.max_points_per_centroid,
        config.nbits,
        peak as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        peak.saturating_sub(rss_before) as f64 / 1024.0
    );
    let bytes = dir_size(index_dir);
    println!(
        "on disk: {:.1} MiB, {:.1} bytes per token (dim*nbits/8 = {} + code)",
        bytes as f64 / 1048576.0,
        bytes as f64 / tokens.rows as f64,
        dim * config.nbits as usize / 8
    );
    drop(index);

    // 1% update: delete 100 documents, then add them back as new documents.
    let n_upd = ndocs / 100;
    let upd_keys: Vec<u64> = (0..n_upd as u64)
        .map(|i| i * 97 % ndocs as u64)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let t = Instant::now();
    let (_, removed) = writer.delete(&upd_keys).unwrap();
    let del_s = t.elapsed().as_secs_f64();
    let upd_lens: Vec<usize> = upd_keys.iter().map(|&k| doclens[k as usize]).collect();
    let rows: Vec<usize> = upd_keys
        .iter()
        .flat_map(|&k| offsets[k as usize]..offsets[k as usize + 1])
        .collect();
    let mut upd_vectors = Array2::<f32>::zeros((rows.len(), dim));
    let mut r = 0;
    for &k in &upd_keys {
        let (a, b) = (offsets[k as usize], offsets[k as usize + 1]);
        let out = upd_vectors.slice_mut(s![r..r + b - a, ..]);
        tokens.read_rows(a, out.into_slice().unwrap()).unwrap();
        r += b - a;
    }
    let t = Instant::now();
    let index = writer
        .add(Documents {
            keys: &upd_keys,
            doclens: &upd_lens,
            vectors: upd_vectors.view(),
        })
        .unwrap();
    let add_s = t.elapsed().as_secs_f64();
    println!(
        "update: delete {removed} documents (1%) {:.0} ms; add {} documents (1%, {} tokens) {:.0} ms",
        del_s * 1e3,
        upd_keys.len(),
        rows.len(),
        add_s * 1e3
    );
    assert_eq!(index.num_documents(), ndocs);

    index
}
