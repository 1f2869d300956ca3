//! Writes inside a manifest transaction: contents, file records and their chunk
//! locations, metadata, and dropping what no file points at any more.

use std::path::Path;

use rusqlite::params;

use super::{db_err, path_str, ChunkRecord, FileRecord};
use crate::{IngestError, Result};

/// Writes inside a manifest transaction.
#[derive(Debug)]
pub struct Tx<'a> {
    pub(super) tx: &'a rusqlite::Transaction<'a>,
    pub(super) path: &'a Path,
}

impl Tx<'_> {
    fn err(&self, e: rusqlite::Error) -> IngestError {
        db_err(self.path, e)
    }

    /// Records a new content under `key` and advances the key counter.
    pub fn add_content(&self, index: &str, key: u64, hash: &str) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO contents (idx, key, hash) VALUES (?1, ?2, ?3)",
                params![index, key as i64, hash],
            )
            .map_err(|e| self.err(e))?;
        self.tx
            .execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value
                 WHERE CAST(excluded.value AS INTEGER) > CAST(meta.value AS INTEGER)",
                params![format!("next_key.{index}"), (key + 1).to_string()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Replaces a file's record and chunk locations.
    pub fn put_file(
        &self,
        path: &Path,
        record: &FileRecord,
        kind: &str,
        chunks: &[ChunkRecord],
    ) -> Result<()> {
        let p = path_str(path);
        self.tx
            .execute(
                "INSERT INTO files (path, size, mtime_ns, hash, kind) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                 hash = excluded.hash, kind = excluded.kind",
                params![p, record.size as i64, record.mtime_ns, record.hash, kind],
            )
            .map_err(|e| self.err(e))?;
        self.tx
            .execute("DELETE FROM chunks WHERE path = ?1", params![p])
            .map_err(|e| self.err(e))?;
        for (i, c) in chunks.iter().enumerate() {
            self.tx
                .execute(
                    "INSERT INTO chunks (path, ordinal, idx, key, start_line, end_line, page, symbol, kind, language, context, text, container)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    params![
                        p,
                        i as i64,
                        c.index,
                        c.key as i64,
                        c.lines.map(|l| l.0 as i64),
                        c.lines.map(|l| l.1 as i64),
                        c.page.map(|p| p as i64),
                        c.symbol,
                        c.kind,
                        c.language,
                        c.context,
                        c.text,
                        c.container
                    ],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Sets a named value in the manifest's `meta` table.
    pub fn set_meta(&self, name: &str, value: &str) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Updates only the stat fields of an unchanged file.
    pub fn touch_file(&self, path: &Path, size: u64, mtime_ns: i64) -> Result<()> {
        self.tx
            .execute(
                "UPDATE files SET size = ?2, mtime_ns = ?3 WHERE path = ?1",
                params![path_str(path), size as i64, mtime_ns],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Forgets a file and its chunk locations.
    pub fn remove_file(&self, path: &Path) -> Result<()> {
        let p = path_str(path);
        self.tx
            .execute("DELETE FROM chunks WHERE path = ?1", params![p])
            .map_err(|e| self.err(e))?;
        self.tx
            .execute("DELETE FROM files WHERE path = ?1", params![p])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Contents of an index no chunk points at any more; they are removed from the
    /// manifest and returned so the index can drop them too.
    pub fn take_orphans(&self, index: &str) -> Result<Vec<u64>> {
        let mut stmt = self
            .tx
            .prepare(
                "SELECT key FROM contents c WHERE idx = ?1 AND NOT EXISTS
                 (SELECT 1 FROM chunks k WHERE k.idx = c.idx AND k.key = c.key)",
            )
            .map_err(|e| self.err(e))?;
        let keys: Vec<i64> = stmt
            .query_map(params![index], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        for k in &keys {
            self.tx
                .execute(
                    "DELETE FROM contents WHERE idx = ?1 AND key = ?2",
                    params![index, k],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(keys.into_iter().map(|k| k as u64).collect())
    }

    /// Forgets contents (and the chunks and files using them) that the index lacks, so
    /// those files are ingested again.
    pub fn drop_contents(&self, index: &str, keys: &[u64]) -> Result<()> {
        for &k in keys {
            self.tx
                .execute(
                    "DELETE FROM files WHERE path IN (SELECT path FROM chunks WHERE idx = ?1 AND key = ?2)",
                    params![index, k as i64],
                )
                .map_err(|e| self.err(e))?;
            self.tx
                .execute(
                    "DELETE FROM chunks WHERE idx = ?1 AND key = ?2",
                    params![index, k as i64],
                )
                .map_err(|e| self.err(e))?;
            self.tx
                .execute(
                    "DELETE FROM contents WHERE idx = ?1 AND key = ?2",
                    params![index, k as i64],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}
