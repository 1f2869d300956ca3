//! Assigning vectors to their best centroid: exactly against every centroid when there
//! are few, through centroid groups when there are many.
//!
//! Exact assignment costs `rows × centroids` dot products, and the centroid count grows
//! with the square root of the corpus, so at 10x the corpus it costs 30x. With groups, a
//! vector is scored against the groups' centres (a k-means of the centroids themselves),
//! then exactly against the members of its best few groups: about
//! `sqrt(k) + probes · sqrt(k)` products instead of `k`. A vector whose best centroid
//! lies outside its probed groups gets the best one inside them, a close second, whose
//! residual the codec still quantises.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

use super::kmeans::{kmeans, KMeansConfig};

/// Rows per matrix product when assigning; keeps the score block in cache-friendly size.
const ASSIGN_BLOCK: usize = 2048;
/// Rows per block of grouped assignment: enough for each group to gather a useful
/// matrix product's worth of rows.
const GROUPED_BLOCK: usize = 8192;
/// From this many centroids on, assignment goes through groups.
pub(crate) const GROUPED_FROM: usize = 2048;
/// Groups each vector is scored in, from the fewest up: calibration takes the first
/// that agrees with exact assignment often enough.
const GROUP_PROBES: [usize; 3] = [8, 16, 32];
/// Nearest other centroids each centroid keeps for the climb after the groups.
const NEIGHBOURS: usize = 32;
/// Moves to a better neighbour at most this many times per row.
const MAX_CLIMBS: usize = 4;
/// Rows a [`CalibratedAssigner`] compares grouped with exact assignment on.
const CALIBRATION_ROWS: usize = 4096;
/// Batches of fewer rows than this many per centroid are assigned exactly without
/// calibrating.
const CALIBRATE_FROM_ROWS_PER_CENTROID: usize = 4;
/// Share of the calibration rows grouped assignment must place exactly as exact
/// assignment does to be used for compression.
const MIN_AGREEMENT: f64 = 0.99;

/// Index of the best-scoring centroid (highest dot product) for every row of `data`:
/// through centroid groups where, measured on a sample of `data`, they find the same
/// centroid as exact assignment for at least [`MIN_AGREEMENT`] of it; exactly otherwise.
pub fn assign(data: ArrayView2<'_, f32>, centroids: ArrayView2<'_, f32>) -> Vec<u32> {
    CalibratedAssigner::default().assign(data, centroids)
}

/// `codes` (each row's best among the first `from` centroids) updated to a centroid
/// from `from` on wherever one scores higher: exact assignment to the appended centroids.
pub fn extend_codes(
    data: ArrayView2<'_, f32>,
    centroids: ArrayView2<'_, f32>,
    mut codes: Vec<u32>,
    from: usize,
) -> Vec<u32> {
    if from >= centroids.nrows() {
        return codes;
    }
    let extra = centroids.slice(ndarray::s![from.., ..]);
    data.axis_chunks_iter(Axis(0), ASSIGN_BLOCK)
        .into_par_iter()
        .zip(codes.par_chunks_mut(ASSIGN_BLOCK))
        .for_each(|(block, codes)| {
            let scores = block.dot(&extra.t());
            for ((row, scores), code) in block.outer_iter().zip(scores.outer_iter()).zip(codes) {
                let current = row.dot(&centroids.row(*code as usize));
                let (best, score) = argmax(scores.iter().copied());
                if score > current {
                    *code = (from + best) as u32;
                }
            }
        });
    codes
}

/// Index of the best-scoring centroid for every row of `data`, against every centroid.
pub fn assign_exact(data: ArrayView2<'_, f32>, centroids: ArrayView2<'_, f32>) -> Vec<u32> {
    let mut out = vec![0u32; data.nrows()];
    data.axis_chunks_iter(Axis(0), ASSIGN_BLOCK)
        .into_par_iter()
        .zip(out.par_chunks_mut(ASSIGN_BLOCK))
        .for_each(|(block, out)| {
            let scores = block.dot(&centroids.t());
            for (row, o) in scores.outer_iter().zip(out.iter_mut()) {
                *o = argmax(row.iter().copied()).0 as u32;
            }
        });
    out
}

fn argmax(scores: impl Iterator<Item = f32>) -> (usize, f32) {
    let mut best = (0usize, f32::NEG_INFINITY);
    for (c, s) in scores.enumerate() {
        if s > best.1 {
            best = (c, s);
        }
    }
    best
}

/// The centroids sorted into groups around centres of their own, for grouped assignment.
#[derive(Debug)]
pub struct CentroidGroups {
    /// `groups × dim`, unit norm.
    centres: Array2<f32>,
    /// Per group: its members' rows (`members × dim`) and their centroid ids.
    members: Vec<(Array2<f32>, Vec<u32>)>,
    /// The centroids, row-major.
    centroids: Array2<f32>,
    /// Per centroid, its [`NEIGHBOURS`] nearest other centroids (flat).
    neighbours: Vec<u32>,
}

impl CentroidGroups {
    /// Groups `centroids` (about `sqrt(k)` groups).
    ///
    /// # Panics
    /// If `centroids` is empty.
    pub fn new(centroids: ArrayView2<'_, f32>) -> Self {
        let k = centroids.nrows();
        let groups = ((k as f64).sqrt().round() as usize).clamp(1, k);
        let centres = kmeans(
            centroids,
            &KMeansConfig {
                k: groups,
                iterations: 8,
                max_points_per_centroid: k,
                seed: 0x67_726f_7570,
            },
        );
        let labels = assign_exact(centroids, centres.view());
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); centres.nrows()];
        for (c, &g) in labels.iter().enumerate() {
            ids[g as usize].push(c as u32);
        }
        let members = ids
            .into_iter()
            .map(|ids| {
                let idx: Vec<usize> = ids.iter().map(|&c| c as usize).collect();
                (centroids.select(Axis(0), &idx), ids)
            })
            .collect();
        let centroids = centroids.as_standard_layout().into_owned();
        let neighbours = nearest_neighbours(centroids.view(), NEIGHBOURS.min(k - 1));
        Self {
            centres,
            members,
            centroids,
            neighbours,
        }
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no groups (never, for a built value).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Best centroid among the members of each row's best `probes` groups, then among
    /// the neighbours of that one (see [`CentroidGroups::climb`]).
    pub fn assign_probed(&self, data: ArrayView2<'_, f32>, probes: usize) -> Vec<u32> {
        let probes = probes.clamp(1, self.len());
        let mut out = vec![0u32; data.nrows()];
        data.axis_chunks_iter(Axis(0), GROUPED_BLOCK)
            .into_par_iter()
            .zip(out.par_chunks_mut(GROUPED_BLOCK))
            .for_each(|(block, out)| self.assign_block(block, probes, out));
        out
    }

    fn assign_block(&self, block: ArrayView2<'_, f32>, probes: usize, out: &mut [u32]) {
        let group_scores = block.dot(&self.centres.t());
        // Rows to score in each group.
        let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); self.len()];
        let mut order: Vec<(f32, usize)> = Vec::with_capacity(self.len());
        for (r, scores) in group_scores.outer_iter().enumerate() {
            order.clear();
            order.extend(scores.iter().enumerate().map(|(g, &s)| (s, g)));
            order.select_nth_unstable_by(probes - 1, |a, b| b.0.total_cmp(&a.0));
            for &(_, g) in &order[..probes] {
                rows_of[g].push(r);
            }
        }
        let mut best = vec![(f32::NEG_INFINITY, 0u32); block.nrows()];
        for (rows, (members, ids)) in rows_of.iter().zip(&self.members) {
            if rows.is_empty() || ids.is_empty() {
                continue;
            }
            let gathered = block.select(Axis(0), rows);
            let scores = gathered.dot(&members.t());
            for (&r, row) in rows.iter().zip(scores.outer_iter()) {
                let (c, s) = argmax(row.iter().copied());
                if s > best[r].0 {
                    best[r] = (s, ids[c]);
                }
            }
        }
        for ((o, start), x) in out.iter_mut().zip(best).zip(block.outer_iter()) {
            *o = self.climb(x, start);
        }
    }

    /// From `start`, moves to a better neighbouring centroid while one exists (at most
    /// [`MAX_CLIMBS`] moves): a close second found through the groups usually has the
    /// best centroid among its neighbours.
    fn climb(&self, x: ArrayView1<'_, f32>, start: (f32, u32)) -> u32 {
        let m = self.neighbours.len() / self.centroids.nrows().max(1);
        let mut best = start;
        for _ in 0..MAX_CLIMBS {
            let from = best.1 as usize;
            for &n in &self.neighbours[from * m..(from + 1) * m] {
                let s = self.centroids.row(n as usize).dot(&x);
                if s > best.0 {
                    best = (s, n);
                }
            }
            if best.1 as usize == from {
                break;
            }
        }
        best.1
    }
}

/// For every centroid, the `m` others with the highest dot product, flat (`k × m`).
fn nearest_neighbours(centroids: ArrayView2<'_, f32>, m: usize) -> Vec<u32> {
    let k = centroids.nrows();
    let mut out = vec![0u32; k * m];
    if m == 0 {
        return out;
    }
    centroids
        .axis_chunks_iter(Axis(0), 256)
        .into_par_iter()
        .zip(out.par_chunks_mut(256 * m))
        .enumerate()
        .for_each(|(b, (block, out))| {
            let scores = block.dot(&centroids.t());
            let mut order: Vec<(f32, u32)> = Vec::with_capacity(k);
            for (i, (row, out)) in scores.outer_iter().zip(out.chunks_mut(m)).enumerate() {
                let me = b * 256 + i;
                order.clear();
                order.extend(
                    row.iter()
                        .enumerate()
                        .filter(|&(c, _)| c != me)
                        .map(|(c, &s)| (s, c as u32)),
                );
                order.select_nth_unstable_by(m - 1, |a, b| b.0.total_cmp(&a.0));
                for (o, &(_, c)) in out.iter_mut().zip(&order[..m]) {
                    *o = c;
                }
            }
        });
    out
}

/// How a codec assigns the tokens it compresses: decided once, on the first batch large
/// enough to measure once enough rows were assigned in all (an index writer keeps one
/// across the batches it adds), and kept with the centroids.
#[derive(Debug, Default)]
pub struct CalibratedAssigner {
    decided: OnceLock<Assigner>,
    /// Rows assigned exactly before deciding.
    seen: AtomicUsize,
    /// For centroids grown from others (new ones appended for outliers): the first
    /// `.1` centroids are assigned through the original codec's assigner, the rest
    /// scored exactly.
    base: Option<(Arc<CalibratedAssigner>, usize)>,
}

/// The method [`CalibratedAssigner`] settled on.
#[derive(Debug)]
enum Assigner {
    Exact,
    Grouped {
        groups: CentroidGroups,
        probes: usize,
    },
}

impl CalibratedAssigner {
    /// The best centroid of every row of `data`: through groups when, on a sample of
    /// the first batch of at least [`CALIBRATION_ROWS`] rows once this assigner has been
    /// given [`CALIBRATE_FROM_ROWS_PER_CENTROID`] rows per centroid in all, they found the exact best
    /// centroid for at least [`MIN_AGREEMENT`] of it with one of the [`GROUP_PROBES`]
    /// settings (the fewest that does); exactly otherwise (centroids with no group structure, such as
    /// directions spread evenly over the sphere).
    pub fn assign(&self, data: ArrayView2<'_, f32>, centroids: ArrayView2<'_, f32>) -> Vec<u32> {
        if let Some((base, k)) = &self.base {
            let k = (*k).min(centroids.nrows());
            let codes = base.assign(data, centroids.slice(ndarray::s![..k, ..]));
            return extend_codes(data, centroids, codes, k);
        }
        if centroids.nrows() < GROUPED_FROM {
            return assign_exact(data, centroids);
        }
        let assigner = match self.decided.get() {
            Some(a) => a,
            // Building groups costs about `k` rows' exact assignment: not worth it until
            // a few times that many rows come to this assigner.
            None => {
                let seen = self.seen.fetch_add(data.nrows(), Ordering::Relaxed) + data.nrows();
                if data.nrows() < CALIBRATION_ROWS
                    || seen < CALIBRATE_FROM_ROWS_PER_CENTROID * centroids.nrows()
                {
                    return assign_exact(data, centroids);
                }
                self.decided
                    .get_or_init(|| Assigner::calibrate(data, centroids))
            }
        };
        match assigner {
            Assigner::Exact => assign_exact(data, centroids),
            Assigner::Grouped { groups, probes } => groups.assign_probed(data, *probes),
        }
    }

    /// The assigner of centroids that extend those `base` assigns (its first `base_k`,
    /// in order): those go through `base` (what it decided, or will), the added ones are
    /// scored exactly. Growing a codec again keeps the original base.
    pub fn extending(base: &Arc<CalibratedAssigner>, base_k: usize) -> Self {
        let base = match &base.base {
            Some((b, k)) => (b.clone(), (*k).min(base_k)),
            None => (base.clone(), base_k),
        };
        Self {
            base: Some(base),
            ..Self::default()
        }
    }

    /// Whether assignment goes through groups (`None` while undecided).
    #[cfg(test)]
    pub(crate) fn grouped(&self) -> Option<bool> {
        self.decided
            .get()
            .map(|a| matches!(a, Assigner::Grouped { .. }))
    }
}

impl Assigner {
    fn calibrate(data: ArrayView2<'_, f32>, centroids: ArrayView2<'_, f32>) -> Self {
        let step = data.nrows() / CALIBRATION_ROWS;
        let idx: Vec<usize> = (0..CALIBRATION_ROWS).map(|i| i * step).collect();
        let sample = data.select(Axis(0), &idx);
        let exact = assign_exact(sample.view(), centroids);
        let groups = CentroidGroups::new(centroids);
        for probes in GROUP_PROBES {
            let grouped = groups.assign_probed(sample.view(), probes);
            let same = exact.iter().zip(&grouped).filter(|(a, b)| a == b).count();
            if same as f64 >= MIN_AGREEMENT * exact.len() as f64 {
                return Self::Grouped { groups, probes };
            }
        }
        Self::Exact
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::rng::SplitMix64;

    /// Unit vectors around `topics` random directions in `dim` dimensions.
    fn clustered(rows: usize, dim: usize, topics: usize, seed: u64) -> Array2<f32> {
        noisy(rows, dim, topics, seed, 0.35)
    }

    /// Unit vectors around `topics` random directions, noise `noise` times the
    /// direction's size.
    fn noisy(rows: usize, dim: usize, topics: usize, seed: u64, noise: f32) -> Array2<f32> {
        let mut rng = SplitMix64::new(seed);
        let mut uniform = move || rng.below(1 << 20) as f32 / (1 << 20) as f32 - 0.5;
        let dirs: Vec<Vec<f32>> = (0..topics)
            .map(|_| (0..dim).map(|_| uniform()).collect())
            .collect();
        let mut m = Array2::<f32>::zeros((rows, dim));
        for (i, mut row) in m.outer_iter_mut().enumerate() {
            let d = &dirs[i % topics];
            for (x, &c) in row.iter_mut().zip(d) {
                *x = c + noise * uniform();
            }
            let n = row.dot(&row).sqrt();
            row /= n;
        }
        m
    }

    /// Clustered data and 2,048 k-means centroids of it: several per topic, so groups of
    /// centroids follow the topics.
    fn structured() -> (Array2<f32>, Array2<f32>) {
        let data = clustered(40_000, 32, 300, 7);
        let centroids = kmeans(
            data.view(),
            &KMeansConfig {
                k: 2048,
                iterations: 4,
                max_points_per_centroid: 16,
                seed: 1,
            },
        );
        (data, centroids)
    }

    #[test]
    fn grouped_assignment_agrees_with_exact_on_clustered_data() {
        let (data, centroids) = structured();
        let exact = assign_exact(data.view(), centroids.view());
        let groups = CentroidGroups::new(centroids.view());
        let grouped = groups.assign_probed(data.view(), 8);
        let same = exact.iter().zip(&grouped).filter(|(a, b)| a == b).count();
        let agreement = same as f64 / exact.len() as f64;
        assert!(agreement > 0.97, "grouped agrees on {agreement:.4} of rows");
        // Without the climb through neighbouring centroids, the best member of the 8
        // best groups agrees less often.
        let scores = data.dot(&groups.centres.t());
        let groups_only = (0..data.nrows())
            .filter(|&r| {
                let mut order: Vec<usize> = (0..groups.len()).collect();
                order.sort_by(|&a, &b| scores[[r, b]].total_cmp(&scores[[r, a]]));
                let best = order[..8]
                    .iter()
                    .flat_map(|&g| groups.members[g].1.iter().copied())
                    .max_by(|&a, &b| {
                        let (sa, sb) = (
                            data.row(r).dot(&centroids.row(a as usize)),
                            data.row(r).dot(&centroids.row(b as usize)),
                        );
                        sa.total_cmp(&sb)
                    });
                best == Some(exact[r])
            })
            .count();
        assert!(
            same > groups_only,
            "climb {same} vs groups alone {groups_only}"
        );
    }

    #[test]
    fn calibration_groups_structured_centroids_and_not_scattered_ones() {
        // Structured: several centroids per topic, so groups follow the topics.
        let (data, centroids) = structured();
        let assigner = CalibratedAssigner::default();
        // A batch too small to measure on is assigned exactly and decides nothing.
        let few = data.slice(ndarray::s![..100, ..]);
        assert_eq!(
            assigner.assign(few, centroids.view()),
            assign_exact(few, centroids.view())
        );
        assert_eq!(assigner.grouped(), None);
        assigner.assign(data.view(), centroids.view());
        assert_eq!(assigner.grouped(), Some(true));

        // Scattered: one centroid per topic, directions with nothing in common, and
        // tokens far from them (the noise larger than the direction, as in the bench's
        // synthetic corpus), so that a token's best centroid stands out from its group.
        let data = noisy(20_000, 64, 4096, 5, 2.0);
        let centroids = noisy(4096, 64, 4096, 5, 0.0);
        let assigner = CalibratedAssigner::default();
        let labels = assigner.assign(data.view(), centroids.view());
        assert_eq!(assigner.grouped(), Some(false));
        assert_eq!(labels, assign_exact(data.view(), centroids.view()));
    }

    #[test]
    fn batches_too_small_alone_calibrate_once_enough_rows_came() {
        // 2,048 centroids want 8,192 rows before groups are built; an index writer adds
        // batches of 5,000 (each above the 4,096-row sample): the first is assigned
        // exactly, the second decides.
        let (data, centroids) = structured();
        let assigner = CalibratedAssigner::default();
        let first = data.slice(ndarray::s![..5_000, ..]);
        assert_eq!(
            assigner.assign(first, centroids.view()),
            assign_exact(first, centroids.view())
        );
        assert_eq!(assigner.grouped(), None);
        assigner.assign(data.slice(ndarray::s![5_000..10_000, ..]), centroids.view());
        assert_eq!(assigner.grouped(), Some(true));
    }

    #[test]
    fn appended_centroids_are_assigned_exactly_through_the_original_assigner() {
        let data = clustered(6_000, 16, 40, 11);
        let all = kmeans(
            data.view(),
            &KMeansConfig {
                k: 96,
                iterations: 4,
                max_points_per_centroid: 64,
                seed: 2,
            },
        );
        let base = Arc::new(CalibratedAssigner::default());
        // Grown twice: 64 centroids, then 16 more, then 16 more; the second growth keeps
        // the first base.
        let once = Arc::new(CalibratedAssigner::extending(&base, 64));
        let twice = CalibratedAssigner::extending(&once, 80);
        assert!(matches!(&twice.base, Some((b, 64)) if Arc::ptr_eq(b, &base)));
        let exact = assign_exact(data.view(), all.view());
        assert_eq!(twice.assign(data.view(), all.view()), exact);
        let first = assign_exact(data.view(), all.slice(ndarray::s![..64, ..]));
        assert_ne!(first, exact, "the appended centroids must win some rows");
        assert_eq!(extend_codes(data.view(), all.view(), first, 64), exact);
    }

    #[test]
    fn every_centroid_belongs_to_exactly_one_group() {
        let data = clustered(5_000, 16, 50, 3);
        let groups = CentroidGroups::new(data.view());
        let mut seen: Vec<u32> = groups.members.iter().flat_map(|m| m.1.clone()).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..5_000).collect::<Vec<u32>>());
        assert_eq!(groups.len(), 71);
        for (m, ids) in &groups.members {
            assert_eq!(m.nrows(), ids.len());
        }
    }
}
