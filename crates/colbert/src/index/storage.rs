//! Index files: `.npy` arrays written once and memory-mapped for reading, and the
//! durable-write helpers of the commit protocol.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::{ArrayBase, Data, Dimension};
use ndarray_npy::{ReadableElement, ViewElement, ViewNpyExt, WritableElement, WriteNpyExt};

use crate::{ColbertError, Result};

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ColbertError + '_ {
    move |source| {
        if is_disk_full(&source) {
            ColbertError::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            ColbertError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Whether a write failed because the disk (or the user's quota) is full.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

fn corrupt(path: &Path, reason: impl std::fmt::Display) -> ColbertError {
    ColbertError::CorruptIndex {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Writes `array` as `.npy` at `path` and flushes it to disk.
pub(crate) fn write_npy<A, S, D>(path: &Path, array: &ArrayBase<S, D>) -> Result<()>
where
    A: WritableElement,
    S: Data<Elem = A>,
    D: Dimension,
{
    let file = File::create(path).map_err(io_err(path))?;
    let mut w = std::io::BufWriter::new(file);
    array.write_npy(&mut w).map_err(|e| match e {
        ndarray_npy::WriteNpyError::Io(e) => io_err(path)(e),
        e => corrupt(path, format!("cannot write: {e}")),
    })?;
    let file = w.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    file.sync_all().map_err(io_err(path))
}

/// Reads a small `.npy` array fully into memory.
pub(crate) fn read_npy<T: ReadableElement, D: Dimension>(
    path: &Path,
) -> Result<ndarray::Array<T, D>> {
    ndarray_npy::read_npy(path).map_err(|e| corrupt(path, e))
}

/// Writes `bytes` to `path` durably: a temporary file, fsync, rename, fsync of the
/// directory. A crash leaves either the old file or the new one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    {
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    sync_dir(dir)
}

/// fsyncs a directory so renames and new entries in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// A read-only memory map of one `.npy` file whose header was parsed once at open, so
/// the hot path gets its data as a plain slice without re-reading the header.
#[derive(Debug)]
pub(crate) struct MappedNpy {
    path: PathBuf,
    map: memmap2::Mmap,
    /// Byte range of the array data inside the map.
    data: std::ops::Range<usize>,
    shape: Vec<usize>,
    dtype: std::any::TypeId,
}

impl MappedNpy {
    /// Maps `path` and checks that it holds a C-order array of `T` with `ndim` axes.
    pub(crate) fn open<T: ViewElement + bytemuck::Pod>(path: &Path, ndim: usize) -> Result<Self> {
        let file = File::open(path).map_err(io_err(path))?;
        // SAFETY: index files are immutable once committed: writers only ever create new
        // files and rename manifests, never modify a file a reader may have mapped.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err(path))?;
        let view = ndarray::ArrayViewD::<T>::view_npy(&map).map_err(|e| corrupt(path, e))?;
        if view.ndim() != ndim || !view.is_standard_layout() {
            return Err(corrupt(
                path,
                format!("expected a C-order array with {ndim} axes"),
            ));
        }
        let shape = view.shape().to_vec();
        let bytes = view.len() * size_of::<T>();
        let start = view.as_ptr() as usize - map.as_ptr() as usize;
        drop(view);
        Ok(Self {
            path: path.to_path_buf(),
            map,
            data: start..start + bytes,
            shape,
            dtype: std::any::TypeId::of::<T>(),
        })
    }

    /// The data as a flat slice of `T` (the type it was opened with).
    pub(crate) fn slice<T: bytemuck::Pod>(&self) -> &[T] {
        assert_eq!(
            self.dtype,
            std::any::TypeId::of::<T>(),
            "{}: opened with another type",
            self.path.display()
        );
        bytemuck::cast_slice(&self.map[self.data.clone()])
    }

    /// The array's shape.
    pub(crate) fn shape(&self) -> &[usize] {
        &self.shape
    }
}
