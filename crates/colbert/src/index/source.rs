//! Token vectors a build reads in row ranges: a corpus larger than memory is sampled and
//! compressed chunk by chunk, never loaded whole.

use ndarray::{Array2, ArrayView2};

use crate::{ColbertError, Result};

/// Rows read per chunk when sampling or compressing a streamed corpus (32 MiB at dim
/// 128).
pub(crate) const CHUNK_ROWS: usize = 65_536;

/// The token vectors of a build, readable in row ranges.
///
/// Rows in memory are one (`ArrayView2`); a caller with a corpus on disk implements
/// it over reads of the file, so a build holds only one chunk of it at a time.
pub trait VectorSource: Sync {
    /// Rows (token vectors).
    fn num_rows(&self) -> usize;
    /// Vector dimension.
    fn dim(&self) -> usize;
    /// Writes rows `start..start + out.len() / dim` into `out`, row-major.
    fn read_rows(&self, start: usize, out: &mut [f32]) -> Result<()>;
}

impl VectorSource for ArrayView2<'_, f32> {
    fn num_rows(&self) -> usize {
        self.nrows()
    }

    fn dim(&self) -> usize {
        self.ncols()
    }

    fn read_rows(&self, start: usize, out: &mut [f32]) -> Result<()> {
        let dim = self.ncols().max(1);
        let n = out.len() / dim;
        if start + n > self.nrows() {
            return Err(ColbertError::InvalidConfig {
                reason: format!("rows {start}..{} of {}", start + n, self.nrows()),
            });
        }
        for (o, row) in out
            .chunks_exact_mut(dim)
            .zip(self.rows().into_iter().skip(start))
        {
            for (x, &v) in o.iter_mut().zip(row.iter()) {
                *x = v;
            }
        }
        Ok(())
    }
}

/// Calls `f(first_row, chunk)` for consecutive chunks of at most `CHUNK_ROWS` rows of
/// `rows` (a range of the source), reusing one buffer.
pub(crate) fn for_each_chunk(
    src: &dyn VectorSource,
    rows: std::ops::Range<usize>,
    mut f: impl FnMut(usize, ArrayView2<'_, f32>) -> Result<()>,
) -> Result<()> {
    let dim = src.dim();
    let mut buf = vec![0f32; CHUNK_ROWS.min(rows.len()) * dim];
    let mut start = rows.start;
    while start < rows.end {
        let n = CHUNK_ROWS.min(rows.end - start);
        src.read_rows(start, &mut buf[..n * dim])?;
        let view = ArrayView2::from_shape((n, dim), &buf[..n * dim])
            .unwrap_or_else(|_| unreachable!("the buffer holds n x dim values"));
        f(start, view)?;
        start += n;
    }
    Ok(())
}

/// The rows of `src` at the ascending indices `idx`, read chunk by chunk.
pub(crate) fn gather_rows(src: &dyn VectorSource, idx: &[usize]) -> Result<Array2<f32>> {
    let dim = src.dim();
    debug_assert!(idx.windows(2).all(|w| w[0] < w[1]), "indices ascend");
    let mut out = Array2::<f32>::zeros((idx.len(), dim));
    let mut next = 0;
    let end = idx.last().map_or(0, |&i| i + 1);
    for_each_chunk(src, 0..end, |first, chunk| {
        while next < idx.len() && idx[next] < first + chunk.nrows() {
            out.row_mut(next).assign(&chunk.row(idx[next] - first));
            next += 1;
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_rows_across_chunks() {
        let n = CHUNK_ROWS + 70;
        let data = Array2::from_shape_fn((n, 4), |(r, c)| (r * 4 + c) as f32);
        let idx = [0usize, 5, CHUNK_ROWS - 1, CHUNK_ROWS, n - 1];
        let got = gather_rows(&data.view(), &idx).unwrap_or_else(|e| panic!("{e}"));
        for (g, &i) in got.outer_iter().zip(&idx) {
            assert_eq!(g, data.row(i));
        }
        let mut seen = 0;
        for_each_chunk(&data.view(), 3..n, |first, chunk| {
            assert_eq!(chunk.row(0), data.row(first));
            seen += chunk.nrows();
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seen, n - 3);
        assert!(data.view().read_rows(n - 1, &mut [0f32; 8]).is_err());
    }
}
