//! Deterministic test doubles for code that consumes an [`Encoder`].

use crate::{Encoder, Result, TokenEmbeddings};

/// A fake encoder: one vector per whitespace-separated lower-cased word, derived from a
/// hash of the word, so equal words get equal vectors. No model, no runtime.
#[derive(Debug, Clone)]
pub struct HashEncoder {
    dim: usize,
}

impl HashEncoder {
    /// A fake encoder producing `dim`-dimensional vectors.
    pub fn new(dim: usize) -> Self {
        assert!(dim > 0, "dim must be positive");
        Self { dim }
    }

    fn encode(&self, text: &str) -> TokenEmbeddings {
        let mut data = Vec::new();
        for word in text.split_whitespace() {
            let word = word.to_lowercase();
            // FNV-1a seed, then xorshift for the components.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in word.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            let start = data.len();
            for _ in 0..self.dim {
                h ^= h << 13;
                h ^= h >> 7;
                h ^= h << 17;
                data.push(((h >> 40) as f32 / (1u64 << 24) as f32) - 0.5);
            }
            let norm = data[start..].iter().map(|x| x * x).sum::<f32>().sqrt();
            data[start..].iter_mut().for_each(|x| *x /= norm);
        }
        TokenEmbeddings::new(self.dim, data)
    }
}

impl Encoder for HashEncoder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn encode_queries(&self, queries: &[&str]) -> Result<Vec<TokenEmbeddings>> {
        Ok(queries.iter().map(|q| self.encode(q)).collect())
    }

    fn encode_documents(&self, documents: &[&str]) -> Result<Vec<TokenEmbeddings>> {
        Ok(documents.iter().map(|d| self.encode(d)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maxsim;

    #[test]
    fn same_words_score_higher() {
        let enc = HashEncoder::new(16);
        let q = &enc.encode_queries(&["red apple"]).unwrap()[0];
        let d = enc
            .encode_documents(&["a red apple pie", "blue sky"])
            .unwrap();
        assert!(maxsim(q, &d[0]) > maxsim(q, &d[1]));
        assert!((maxsim(q, &d[0]) - 2.0).abs() < 1e-5);
    }
}
