//! Pooled similarity: the cosine of the query's mean token vector with a document's mean
//! token vector, the single-vector signal sentence encoders such as all-MiniLM are trained
//! for, beside late interaction's MaxSim. Computed on demand from the stored (decompressed,
//! unit-norm) vectors of the few documents a search fuses, so the index stores nothing more.

use crate::embeddings::TokenEmbeddings;

use super::{search, Index};

impl Index {
    /// For each of `keys`, the cosine between the mean of `query`'s token vectors and the
    /// mean of the document's stored token vectors; `None` for a key the index lacks.
    pub fn pooled_similarity(&self, query: &TokenEmbeddings, keys: &[u64]) -> Vec<Option<f32>> {
        let dim = query.dim();
        let q = unit_mean(query.as_slice(), dim);
        keys.iter()
            .map(|key| {
                let &(s, d) = self.locations.get(key)?;
                let doc =
                    search::decompress_doc(&self.codec, &self.segments[s as usize], d as usize);
                let v = unit_mean(doc.as_slice()?, dim);
                Some(q.iter().zip(&v).map(|(a, b)| a * b).sum())
            })
            .collect()
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
