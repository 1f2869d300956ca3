//! A segment: an immutable directory of PLAID arrays for one batch of documents.
//!
//! Files: `codes.npy` (centroid id per token, u16 when the centroids fit, else u32),
//! `residuals.npy` (packed residuals, tokens × dim·nbits/8 bytes), `doclens.npy` (u32),
//! `keys.npy` (u64 document keys), `ivf.npy` (u32 local document numbers grouped by
//! centroid) and `ivf_lengths.npy` (u32 per centroid). Deletions live in a separate
//! `deleted-<generation>.npy` named by the manifest, so the segment never changes.

use std::path::Path;

use ndarray::{Array1, ArrayView2};

use super::codec::ResidualCodec;
use super::source::{for_each_chunk, VectorSource};
use super::storage::{io_err, read_npy, sync_dir, write_npy, MappedNpy};
use crate::{ColbertError, Result};

/// Centroid ids of a segment's tokens, in the smallest integer type that fits.
#[derive(Debug)]
pub(crate) enum CodesRef<'a> {
    U16(&'a [u16]),
    U32(&'a [u32]),
}

/// An opened (memory-mapped) segment.
#[derive(Debug)]
pub(crate) struct Segment {
    codes: MappedNpy,
    wide_codes: bool,
    residuals: MappedNpy,
    keys: MappedNpy,
    ivf: MappedNpy,
    /// `doc_offsets[i]..doc_offsets[i+1]` are document `i`'s tokens.
    pub(crate) doc_offsets: Vec<usize>,
    /// `ivf_offsets[c]..ivf_offsets[c+1]` index `ivf` for centroid `c`.
    ivf_offsets: Vec<usize>,
    /// Deleted local document numbers as a bitset.
    deleted: Vec<u64>,
}

/// Writes a new segment directory for the given documents (`assigned`: their centroids,
/// when already known; one per row of `vectors`).
pub(crate) fn write_segment(
    dir: &Path,
    codec: &ResidualCodec,
    keys: &[u64],
    doclens: &[usize],
    vectors: &dyn VectorSource,
    assigned: Option<&[u32]>,
) -> Result<()> {
    // Compressed chunk by chunk: only one chunk of the vectors is in memory.
    let mut codes = Vec::with_capacity(vectors.num_rows());
    let mut packed = Vec::with_capacity(vectors.num_rows() * codec.packed_len());
    for_each_chunk(vectors, 0..vectors.num_rows(), |start, chunk| {
        match assigned {
            Some(all) => {
                let c = &all[start..start + chunk.nrows()];
                packed.extend_from_slice(&codec.pack(chunk, c));
                codes.extend_from_slice(c);
            }
            None => {
                let (c, p) = codec.compress(chunk);
                codes.extend_from_slice(&c);
                packed.extend_from_slice(&p);
            }
        }
        Ok(())
    })?;
    write_compressed(
        dir,
        codec.num_centroids(),
        codec.packed_len(),
        keys,
        doclens,
        codes,
        &packed,
    )
}

/// Writes a segment from already compressed tokens (used by merges: no re-encoding).
pub(crate) fn write_compressed(
    dir: &Path,
    k: usize,
    plen: usize,
    keys: &[u64],
    doclens: &[usize],
    codes: Vec<u32>,
    packed: &[u8],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    // IVF: for each centroid, the sorted distinct documents having a token there.
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(codes.len());
    let mut t = 0;
    for (d, &len) in doclens.iter().enumerate() {
        for &c in &codes[t..t + len] {
            pairs.push((c, d as u32));
        }
        t += len;
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut ivf_lengths = vec![0u32; k];
    for &(c, _) in &pairs {
        ivf_lengths[c as usize] += 1;
    }
    let ivf: Vec<u32> = pairs.into_iter().map(|(_, d)| d).collect();
    if k <= usize::from(u16::MAX) + 1 {
        let narrow: Vec<u16> = codes.iter().map(|&c| c as u16).collect();
        write_npy(&dir.join("codes.npy"), &Array1::from(narrow))?;
    } else {
        write_npy(&dir.join("codes.npy"), &Array1::from(codes))?;
    }
    let residuals =
        ArrayView2::from_shape((packed.len() / plen.max(1), plen), packed).map_err(|e| {
            ColbertError::CorruptIndex {
                path: dir.join("residuals.npy"),
                reason: e.to_string(),
            }
        })?;
    write_npy(&dir.join("residuals.npy"), &residuals)?;
    let lens: Vec<u32> = doclens.iter().map(|&l| l as u32).collect();
    write_npy(&dir.join("doclens.npy"), &Array1::from(lens))?;
    write_npy(&dir.join("keys.npy"), &Array1::from(keys.to_vec()))?;
    write_npy(&dir.join("ivf.npy"), &Array1::from(ivf))?;
    write_npy(&dir.join("ivf_lengths.npy"), &Array1::from(ivf_lengths))?;
    sync_dir(dir)
}

/// Writes the deleted-documents file of a segment.
pub(crate) fn write_deleted(path: &Path, deleted: &[u32]) -> Result<()> {
    write_npy(path, &Array1::from(deleted.to_vec()))
}

fn offsets(lens: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut v = vec![0usize];
    for l in lens {
        v.push(v[v.len() - 1] + l);
    }
    v
}

impl Segment {
    pub(crate) fn open(dir: &Path, deleted_file: Option<&str>, dim_bytes: usize) -> Result<Self> {
        let codes_path = dir.join("codes.npy");
        let (codes, wide_codes) = match MappedNpy::open::<u16>(&codes_path, 1) {
            Ok(c) => (c, false),
            Err(_) => (MappedNpy::open::<u32>(&codes_path, 1)?, true),
        };
        let residuals = MappedNpy::open::<u8>(&dir.join("residuals.npy"), 2)?;
        let keys = MappedNpy::open::<u64>(&dir.join("keys.npy"), 1)?;
        let ivf = MappedNpy::open::<u32>(&dir.join("ivf.npy"), 1)?;
        let doclens: Array1<u32> = read_npy(&dir.join("doclens.npy"))?;
        let ivf_lengths: Array1<u32> = read_npy(&dir.join("ivf_lengths.npy"))?;
        let doc_offsets = offsets(doclens.iter().map(|&l| l as usize));
        let ivf_offsets = offsets(ivf_lengths.iter().map(|&l| l as usize));
        let num_docs = doclens.len();
        let mut deleted = vec![0u64; num_docs.div_ceil(64)];
        if let Some(name) = deleted_file {
            let del: Array1<u32> = read_npy(&dir.join(name))?;
            for &d in &del {
                let d = d as usize;
                if d < num_docs {
                    deleted[d / 64] |= 1 << (d % 64);
                }
            }
        }
        let seg = Self {
            codes,
            wide_codes,
            residuals,
            keys,
            ivf,
            doc_offsets,
            ivf_offsets,
            deleted,
        };
        seg.check(dir, dim_bytes)?;
        Ok(seg)
    }

    fn check(&self, dir: &Path, dim_bytes: usize) -> Result<()> {
        let bad = |file: &str, reason: String| ColbertError::CorruptIndex {
            path: dir.join(file),
            reason,
        };
        let tokens = self.num_tokens();
        let ncodes = match self.codes() {
            CodesRef::U16(s) => s.len(),
            CodesRef::U32(s) => s.len(),
        };
        if ncodes != tokens {
            return Err(bad(
                "codes.npy",
                format!("{ncodes} codes for {tokens} tokens"),
            ));
        }
        if self.residuals.shape() != [tokens, dim_bytes] {
            return Err(bad(
                "residuals.npy",
                format!("expected {tokens} x {dim_bytes} bytes"),
            ));
        }
        if self.keys().len() != self.num_docs() {
            return Err(bad("keys.npy", "one key per document expected".into()));
        }
        let nivf = self.ivf().len();
        if self.ivf_offsets.last().copied() != Some(nivf) {
            return Err(bad("ivf.npy", "ivf_lengths do not add up".into()));
        }
        Ok(())
    }

    pub(crate) fn num_docs(&self) -> usize {
        self.doc_offsets.len() - 1
    }

    pub(crate) fn num_tokens(&self) -> usize {
        self.doc_offsets.last().copied().unwrap_or(0)
    }

    pub(crate) fn is_deleted(&self, doc: usize) -> bool {
        self.deleted[doc / 64] & (1 << (doc % 64)) != 0
    }

    pub(crate) fn deleted_docs(&self) -> Vec<u32> {
        (0..self.num_docs())
            .filter(|&d| self.is_deleted(d))
            .map(|d| d as u32)
            .collect()
    }

    pub(crate) fn codes(&self) -> CodesRef<'_> {
        if self.wide_codes {
            CodesRef::U32(self.codes.slice())
        } else {
            CodesRef::U16(self.codes.slice())
        }
    }

    /// Centroid id of token `t`.
    pub(crate) fn code(&self, t: usize) -> u32 {
        match self.codes() {
            CodesRef::U16(c) => u32::from(c[t]),
            CodesRef::U32(c) => c[t],
        }
    }

    pub(crate) fn residuals(&self) -> &[u8] {
        self.residuals.slice()
    }

    pub(crate) fn keys(&self) -> &[u64] {
        self.keys.slice()
    }

    /// Local documents with a token assigned to centroid `c`.
    pub(crate) fn ivf_list<'a>(&self, ivf: &'a [u32], c: usize) -> &'a [u32] {
        match (self.ivf_offsets.get(c), self.ivf_offsets.get(c + 1)) {
            (Some(&a), Some(&b)) => &ivf[a..b],
            _ => &[],
        }
    }

    pub(crate) fn ivf(&self) -> &[u32] {
        self.ivf.slice()
    }
}
