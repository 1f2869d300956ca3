//! Pooled similarity: the cosine of the query's mean token vector with a document's mean
//! token vector, the single-vector signal sentence encoders such as all-MiniLM are trained
//! for, beside late interaction's MaxSim. Computed on demand from the stored (decompressed,
//! unit-norm) vectors of the few documents a search fuses, so the index stores nothing more.

use crate::embeddings::TokenEmbeddings;

use super::Index;

impl Index {
    /// For each of `keys`, the cosine between the mean of `query`'s token vectors and the
    /// mean of the document's stored token vectors; `None` for a key the index lacks.
    pub fn pooled_similarity(&self, query: &TokenEmbeddings, keys: &[u64]) -> Vec<Option<f32>> {
        let dim = query.dim();
        let q = unit_mean(query.as_slice(), dim);
        let plen = self.codec.packed_len();
        let mut vector = vec![0f32; dim];
        let mut sum = vec![0f32; dim];
        keys.iter()
            .map(|key| {
                let &(s, d) = self.locations.get(key)?;
                let seg = &self.segments[s as usize];
                let (a, b) = (seg.doc_offsets[d as usize], seg.doc_offsets[d as usize + 1]);
                let residuals = seg.residuals();
                sum.iter_mut().for_each(|x| *x = 0.0);
                for t in a..b {
                    // Each stored vector at unit length, as MaxSim sees it.
                    let norm = self.codec.decompress_raw_into(
                        seg.code(t),
                        &residuals[t * plen..(t + 1) * plen],
                        &mut vector,
                    );
                    if norm > 0.0 {
                        add_scaled(&mut sum, &vector, 1.0 / norm);
                    }
                }
                let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
                let dot: f32 = q.iter().zip(&sum).map(|(a, b)| a * b).sum();
                Some(if norm > 0.0 { dot / norm } else { 0.0 })
            })
            .collect()
    }
}

/// `sum += x * scale`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn add_scaled(sum: &mut [f32], x: &[f32], scale: f32) {
    for (s, v) in sum.iter_mut().zip(x) {
        *s += v * scale;
    }
}

/// The mean of the rows of a row-major matrix with `dim` columns, scaled to unit length
/// (all zeros when the mean is zero).
fn unit_mean(rows: &[f32], dim: usize) -> Vec<f32> {
    let mut sum = vec![0f32; dim];
    for row in rows.chunks_exact(dim) {
        for (s, x) in sum.iter_mut().zip(row) {
            *s += x;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for s in &mut sum {
            *s /= norm;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_is_scaled_to_unit_length() {
        let m = unit_mean(&[1.0, 0.0, 0.0, 1.0], 2);
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!((m[0] - h).abs() < 1e-6 && (m[1] - h).abs() < 1e-6, "{m:?}");
        assert_eq!(unit_mean(&[1.0, -1.0, -1.0, 1.0], 2), vec![0.0, 0.0]);
        assert_eq!(unit_mean(&[], 3), vec![0.0; 3]);
    }
}
