//! Per-token vectors of one text, and late-interaction (MaxSim) scoring.

/// The L2-normalised token vectors of one query or document, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenEmbeddings {
    dim: usize,
    data: Vec<f32>,
}

impl TokenEmbeddings {
    /// Wraps `data` holding `data.len() / dim` rows of `dim` values.
    ///
    /// # Panics
    /// If `dim` is zero or does not divide `data.len()`: a programming error.
    pub fn new(dim: usize, data: Vec<f32>) -> Self {
        assert!(
            dim > 0 && data.len().is_multiple_of(dim),
            "bad embedding shape"
        );
        Self { dim, data }
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of token vectors.
    pub fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    /// True when no token was kept.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// All rows in order.
    pub fn rows(&self) -> impl Iterator<Item = &[f32]> {
        self.data.chunks_exact(self.dim)
    }

    /// The flat row-major buffer.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Late-interaction score: for every query token, the best dot product with any document
/// token, summed over query tokens. Zero when either side is empty.
///
/// # Panics
/// If the two sides have different dimensions.
pub fn maxsim(query: &TokenEmbeddings, doc: &TokenEmbeddings) -> f32 {
    assert_eq!(query.dim(), doc.dim(), "maxsim over different dimensions");
    if doc.is_empty() {
        return 0.0;
    }
    query
        .rows()
        .map(|q| {
            doc.rows()
                .map(|d| dot(q, d))
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxsim_takes_best_match_per_query_token() {
        let q = TokenEmbeddings::new(2, vec![1.0, 0.0, 0.0, 1.0]);
        let d = TokenEmbeddings::new(2, vec![0.6, 0.8, 1.0, 0.0]);
        // token 1 best matches d row 1 (1.0); token 2 best matches d row 0 (0.8)
        assert!((maxsim(&q, &d) - 1.8).abs() < 1e-6);
        let empty = TokenEmbeddings::new(2, vec![]);
        assert_eq!(maxsim(&q, &empty), 0.0);
    }
}
