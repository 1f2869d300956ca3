//! Spherical k-means: the PLAID centroids.

use ndarray::{Array2, ArrayView2, Axis};

use super::assign::assign;
use super::rng::SplitMix64;

/// k-means settings.
#[derive(Debug, Clone)]
pub struct KMeansConfig {
    /// Number of centroids.
    pub k: usize,
    /// Lloyd iterations.
    pub iterations: usize,
    /// At most this many training points per centroid are sampled.
    pub max_points_per_centroid: usize,
    /// Seed of sampling and initialisation.
    pub seed: u64,
}

fn normalise_rows(m: &mut Array2<f32>) {
    for mut row in m.outer_iter_mut() {
        let n = row.dot(&row).sqrt();
        if n > 0.0 {
            row /= n;
        }
    }
}

/// Trains `cfg.k` unit-norm centroids on (a sample of) `data` with spherical k-means.
///
/// # Panics
/// If `data` is empty or `cfg.k` is zero.
pub fn kmeans(data: ArrayView2<'_, f32>, cfg: &KMeansConfig) -> Array2<f32> {
    assert!(
        data.nrows() > 0 && cfg.k > 0,
        "k-means needs data and k > 0"
    );
    let mut rng = SplitMix64::new(cfg.seed);
    let k = cfg.k.min(data.nrows());
    let budget = k.saturating_mul(cfg.max_points_per_centroid.max(1));
    let sample_idx = rng.sample_indices(data.nrows(), budget);
    let sample = data.select(Axis(0), &sample_idx);
    let init = rng.sample_indices(sample.nrows(), k);
    let mut centroids = sample.select(Axis(0), &init);
    normalise_rows(&mut centroids);
    let dim = data.ncols();
    for _ in 0..cfg.iterations {
        let labels = assign(sample.view(), centroids.view());
        let mut sums = Array2::<f32>::zeros((k, dim));
        let mut counts = vec![0usize; k];
        for (row, &l) in sample.outer_iter().zip(&labels) {
            let mut s = sums.row_mut(l as usize);
            s += &row;
            counts[l as usize] += 1;
        }
        for (c, &n) in counts.iter().enumerate() {
            if n == 0 {
                // Re-seed an empty cluster from a random training point.
                let r = rng.below(sample.nrows());
                sums.row_mut(c).assign(&sample.row(r));
            }
        }
        normalise_rows(&mut sums);
        centroids = sums;
    }
    centroids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_well_separated_clusters() {
        // Three tight clusters around the axes of R^3.
        let mut rows = Vec::new();
        let mut rng = SplitMix64::new(1);
        for i in 0..300 {
            let mut v = [0.0f32; 3];
            v[i % 3] = 1.0;
            for x in &mut v {
                *x += (rng.below(1000) as f32 / 1000.0 - 0.5) * 0.1;
            }
            rows.extend_from_slice(&v);
        }
        let data = Array2::from_shape_vec((300, 3), rows).unwrap();
        let c = kmeans(
            data.view(),
            &KMeansConfig {
                k: 3,
                iterations: 10,
                max_points_per_centroid: 256,
                seed: 3,
            },
        );
        let labels = assign(data.view(), c.view());
        // Points of one axis share a label and the three labels differ.
        for axis in 0..3 {
            let l = labels[axis];
            assert!((axis..300).step_by(3).all(|i| labels[i] == l));
        }
        let mut distinct = labels[..3].to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 3);
    }
}
