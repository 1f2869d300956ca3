//! The manifest (SQLite): which files were ingested, their chunks, and which index
//! document holds each distinct chunk content.
//!
//! Index documents are distinct chunk *contents* (keyed by a hash of the text that is
//! encoded); chunks are *locations* (path, lines or page) pointing at a content key. A
//! renamed or copied file, or an unchanged function in an edited file, therefore maps
//! to keys that already exist and nothing is encoded again.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::{IngestError, Result};

mod tx;
pub use tx::Tx;

/// Version of the manifest schema. 2 added the full-text index of chunks; 3 indexes
/// code-aware, stemmed terms (`lexical::terms`) instead of SQLite's words. Older
/// manifests are upgraded in place when opened for writing.
pub const MANIFEST_VERSION: u32 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contents (
    idx TEXT NOT NULL,
    key INTEGER NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (idx, key),
    UNIQUE (idx, hash)
);
CREATE TABLE IF NOT EXISTS chunks (
    path TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    idx TEXT NOT NULL,
    key INTEGER NOT NULL,
    start_line INTEGER,
    end_line INTEGER,
    page INTEGER,
    symbol TEXT,
    kind TEXT NOT NULL,
    language TEXT,
    context TEXT NOT NULL,
    text TEXT NOT NULL,
    container TEXT,
    PRIMARY KEY (path, ordinal)
);
CREATE INDEX IF NOT EXISTS chunks_by_key ON chunks (idx, key);
";

/// The chunk locations of one content key (`?1` the index, `?2` the key), in file order.
const CHUNKS_OF_KEY: &str =
    "SELECT path, start_line, end_line, page, symbol, kind, language, context, text, key,
            container
     FROM chunks WHERE idx = ?1 AND key = ?2 ORDER BY path, ordinal";

/// The chunk locations of one path (`?1` the index, `?2` the path), in file order.
const CHUNKS_OF_PATH: &str =
    "SELECT path, start_line, end_line, page, symbol, kind, language, context, text, key,
            container
     FROM chunks WHERE path = ?2 AND idx = ?1 ORDER BY ordinal";

/// Reads a [`ChunkRecord`] of `index` from a row of the chunk statements' columns.
fn chunk_record(index: &str) -> impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<ChunkRecord> + '_ {
    move |r| {
        let start: Option<i64> = r.get(1)?;
        let end: Option<i64> = r.get(2)?;
        Ok(ChunkRecord {
            path: PathBuf::from(r.get::<_, String>(0)?),
            index: index.to_string(),
            key: r.get::<_, i64>(9)? as u64,
            lines: start.zip(end).map(|(a, b)| (a as usize, b as usize)),
            page: r.get::<_, Option<i64>>(3)?.map(|p| p as usize),
            symbol: r.get(4)?,
            kind: r.get(5)?,
            language: r.get(6)?,
            context: r.get(7)?,
            text: r.get(8)?,
            container: r.get(10)?,
        })
    }
}

/// The lexical index (SQLite FTS5) over chunk locations, kept in step by triggers so it
/// commits in the same transaction as the chunks. It keeps its own copy of the terms (not
/// contentless): only then does a delete take the row's tokens out of the statistics
/// BM25 scores with, so an index that was updated scores like one ingested afresh. Its columns hold the terms
/// `plait_terms()` (a Rust function registered on every writing connection, see
/// `lexical::terms`) makes of the symbol, path and text: identifiers whole and split,
/// prose stemmed.
const FTS_SCHEMA: &str = "
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
    symbol, path, text, tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER IF NOT EXISTS chunk_terms_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunk_terms (rowid, symbol, path, text)
    VALUES (new.rowid, plait_terms(new.symbol), plait_terms(new.path),
            plait_terms(new.context || ' ' || new.text));
END;
CREATE TRIGGER IF NOT EXISTS chunk_terms_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunk_terms WHERE rowid = old.rowid;
END;
CREATE TRIGGER IF NOT EXISTS chunk_terms_update AFTER UPDATE ON chunks BEGIN
    DELETE FROM chunk_terms WHERE rowid = old.rowid;
    INSERT INTO chunk_terms (rowid, symbol, path, text)
    VALUES (new.rowid, plait_terms(new.symbol), plait_terms(new.path),
            plait_terms(new.context || ' ' || new.text));
END;
";

/// What upgrading a version 1 or 2 manifest removes (the word index of version 2).
const DROP_V2_FTS: &str = "
DROP TRIGGER IF EXISTS chunks_fts_insert;
DROP TRIGGER IF EXISTS chunks_fts_delete;
DROP TRIGGER IF EXISTS chunks_fts_update;
DROP TABLE IF EXISTS chunks_fts;
";

/// The FTS5 rank function with the lexical column weights
/// ([`crate::lexical::COLUMN_WEIGHTS`]: symbol, path, text).
fn bm25_rank() -> String {
    let w = crate::lexical::COLUMN_WEIGHTS.map(|w| format!("{w:.1}"));
    format!("bm25({})", w.join(", "))
}

/// A file as last ingested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// Size in bytes.
    pub size: u64,
    /// Modification time (ns since the epoch).
    pub mtime_ns: i64,
    /// blake3 of the content.
    pub hash: String,
}

/// One chunk location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecord {
    /// File path.
    pub path: PathBuf,
    /// Which index (`code` or `docs`).
    pub index: String,
    /// Index document key of the chunk's content.
    pub key: u64,
    /// First and last line (1-based), for text files.
    pub lines: Option<(usize, usize)>,
    /// Page (1-based), for PDFs.
    pub page: Option<usize>,
    /// Qualified symbol or heading.
    pub symbol: Option<String>,
    /// Qualified name of the enclosing container of code chunks (class, impl, module).
    pub container: Option<String>,
    /// Chunk kind (`function`, `section`, ...).
    pub kind: String,
    /// Language of code chunks.
    pub language: Option<String>,
    /// Context encoded with the chunk.
    pub context: String,
    /// The chunk's text.
    pub text: String,
}

/// The open manifest database of an index root.
#[derive(Debug)]
pub struct Manifest {
    conn: Connection,
    path: PathBuf,
}

impl Manifest {
    /// Opens (creating if needed) `manifest.sqlite` in `root`.
    pub fn open(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root).map_err(|source| IngestError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        Self::open_with(root, OpenFlags::default())
    }

    /// Opens the manifest of an existing index root for searching; creates nothing
    /// ([`IngestError::NoIndex`] when `root` holds no manifest).
    pub fn open_existing(root: &Path) -> Result<Self> {
        if !root.join("manifest.sqlite").is_file() {
            return Err(IngestError::NoIndex {
                path: root.to_path_buf(),
            });
        }
        Self::open_with(root, OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens the manifest of an existing index root read-only, for searching: no schema
    /// statements, no upgrade, no folder or file created ([`IngestError::NoIndex`] when
    /// `root` holds no manifest; a manifest of another version is refused, a version 1
    /// one with the advice to ingest once so it is upgraded).
    pub fn open_read_only(root: &Path) -> Result<Self> {
        let path = root.join("manifest.sqlite");
        if !path.is_file() {
            return Err(IngestError::NoIndex {
                path: root.to_path_buf(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&path, flags).map_err(|e| db_err(&path, e))?;
        // Pages read in place from a shared mapping rather than copied by a read call
        // into each pooled connection's own small cache (which concurrent searches
        // thrashed). Neither setting writes anything.
        conn.execute_batch(READ_PRAGMAS)
            .map_err(|e| db_err(&path, e))?;
        let m = Self { conn, path };
        let version = m.format_version()?;
        match version {
            Some(v) if v == MANIFEST_VERSION.to_string() => Ok(m),
            Some(v) => Err(IngestError::Manifest {
                path: m.path.clone(),
                reason: format!(
                    "format_version {v}; this plait searches {MANIFEST_VERSION} (run `plait ingest` once to upgrade it)"
                ),
            }),
            None => Err(IngestError::Manifest {
                path: m.path.clone(),
                reason: "it has no format_version (not written by plait?)".into(),
            }),
        }
    }

    fn open_with(root: &Path, flags: OpenFlags) -> Result<Self> {
        let path = root.join("manifest.sqlite");
        let conn = Connection::open_with_flags(&path, flags).map_err(|e| db_err(&path, e))?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
            .map_err(|e| db_err(&path, e))?;
        register_terms(&conn).map_err(|e| db_err(&path, e))?;
        conn.execute_batch(SCHEMA).map_err(|e| db_err(&path, e))?;
        conn.execute_batch(FTS_SCHEMA)
            .map_err(|e| db_err(&path, e))?;
        let m = Self { conn, path };
        m.add_container_column()?;
        let version = m.format_version()?;
        match version {
            None => {
                m.conn
                    .execute(
                        "INSERT INTO meta (name, value) VALUES ('format_version', ?1)",
                        params![MANIFEST_VERSION.to_string()],
                    )
                    .map_err(|e| m.err(e))?;
            }
            Some(v) if v == MANIFEST_VERSION.to_string() => {}
            Some(v) if v == "1" || v == "2" => {
                // Versions 1 and 2 had no term index (or SQLite's words): fill it from
                // the chunks.
                m.conn
                    .execute_batch(&format!(
                        "BEGIN;
                         {DROP_V2_FTS}
                         DELETE FROM chunk_terms;
                         INSERT INTO chunk_terms (rowid, symbol, path, text)
                         SELECT rowid, plait_terms(symbol), plait_terms(path),
                                plait_terms(context || ' ' || text) FROM chunks;
                         UPDATE meta SET value = '{MANIFEST_VERSION}' WHERE name = 'format_version';
                         COMMIT;"
                    ))
                    .map_err(|e| m.err(e))?;
            }
            Some(v) => {
                return Err(IngestError::Manifest {
                    path: m.path.clone(),
                    reason: format!("format_version {v}; this plait reads {MANIFEST_VERSION}"),
                })
            }
        }
        Ok(m)
    }

    /// The `format_version` recorded in the manifest, if any.
    fn format_version(&self) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT value FROM meta WHERE name = 'format_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// SQLite's full integrity check: the problems it reports (empty when whole).
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let rows = self.strings("PRAGMA integrity_check", [])?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// The first column of every row `sql` gives, as text.
    fn strings(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params, |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    fn err(&self, e: rusqlite::Error) -> IngestError {
        db_err(&self.path, e)
    }

    /// The record of `path`, if ingested.
    pub fn file(&self, path: &Path) -> Result<Option<FileRecord>> {
        self.conn
            .query_row(
                "SELECT size, mtime_ns, hash FROM files WHERE path = ?1",
                params![path_str(path)],
                |r| {
                    Ok(FileRecord {
                        size: r.get::<_, i64>(0)? as u64,
                        mtime_ns: r.get(1)?,
                        hash: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// All ingested file paths.
    pub fn files(&self) -> Result<Vec<PathBuf>> {
        let rows = self.strings("SELECT path FROM files ORDER BY path", [])?;
        Ok(rows.into_iter().map(PathBuf::from).collect())
    }

    /// The paths with at least one chunk in an index, in order.
    pub fn files_in(&self, index: &str) -> Result<Vec<PathBuf>> {
        let rows = self.strings(
            "SELECT DISTINCT path FROM chunks WHERE idx = ?1 ORDER BY path",
            params![index],
        )?;
        Ok(rows.into_iter().map(PathBuf::from).collect())
    }

    /// The key of a content hash in an index, if stored.
    pub fn content_key(&self, index: &str, hash: &str) -> Result<Option<u64>> {
        self.conn
            .query_row(
                "SELECT key FROM contents WHERE idx = ?1 AND hash = ?2",
                params![index, hash],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|k| k.map(|k| k as u64))
            .map_err(|e| self.err(e))
    }

    /// All content keys of an index.
    pub fn content_keys(&self, index: &str) -> Result<Vec<u64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT key FROM contents WHERE idx = ?1")
            .map_err(|e| self.err(e))?;
        let keys = stmt
            .query_map(params![index], |r| r.get::<_, i64>(0))
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(keys.into_iter().map(|k| k as u64).collect())
    }

    /// A fresh key for an index (never reused).
    pub fn next_key(&self, index: &str) -> Result<u64> {
        let name = format!("next_key.{index}");
        let next: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(next.and_then(|v| v.parse().ok()).unwrap_or(1))
    }

    /// Runs `f` in one transaction: all of its changes land, or none.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| db_err(&path, e))?;
        let out = f(&Tx {
            tx: &tx,
            path: &path,
        })?;
        tx.commit().map_err(|e| db_err(&path, e))?;
        Ok(out)
    }

    /// Manifests written before containers were stored lack the column: add it (their
    /// chunks keep `NULL` until the next chunker version re-chunks them).
    fn add_container_column(&self) -> Result<()> {
        let has: bool = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('chunks') WHERE name = 'container'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| self.err(e))?
            > 0;
        if !has {
            self.conn
                .execute_batch("ALTER TABLE chunks ADD COLUMN container TEXT")
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Chunk locations of index document `key`.
    pub fn chunks_of(&self, index: &str, key: u64) -> Result<Vec<ChunkRecord>> {
        self.chunks_where(index, Some(key))
    }

    /// The paths where index document `key` sits (what [`Self::chunks_of`] gives without
    /// reading the texts).
    pub fn paths_of(&self, index: &str, key: u64) -> Result<Vec<PathBuf>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path FROM chunks WHERE idx = ?1 AND key = ?2")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![index, key as i64], |r| {
                Ok(PathBuf::from(r.get::<_, String>(0)?))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// The chunk locations of `path` in an index, in file order.
    pub fn chunks_in(&self, index: &str, path: &Path) -> Result<Vec<ChunkRecord>> {
        self.query_chunks(CHUNKS_OF_PATH, params![index, path_str(path)], index)
    }

    /// Whether some chunk of an index holds `needle` (ASCII case ignored) in its path,
    /// symbol, context or text, and `accept` takes that field's text: a scan of every
    /// chunk whose field contains the letters, for the whole-word checks a stemmed
    /// full-text index cannot make (`Teams` is not `team`).
    pub fn any_field_containing(
        &self,
        index: &str,
        needle: &str,
        accept: &mut dyn FnMut(&str) -> bool,
    ) -> Result<bool> {
        let escaped: String = needle
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT path, coalesce(symbol, ''), context, text FROM chunks
                 WHERE idx = ?1 AND (text LIKE ?2 ESCAPE '\\' OR context LIKE ?2 ESCAPE '\\'
                       OR path LIKE ?2 ESCAPE '\\' OR symbol LIKE ?2 ESCAPE '\\')",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params![index, pattern])
            .map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            for i in 0..4 {
                let field: String = row.get(i).map_err(|e| self.err(e))?;
                if accept(&field) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Every chunk location of an index, by path and order.
    pub fn all_chunks(&self, index: &str) -> Result<Vec<ChunkRecord>> {
        self.chunks_where(index, None)
    }

    fn chunks_where(&self, index: &str, key: Option<u64>) -> Result<Vec<ChunkRecord>> {
        // Two statements, not `(?2 IS NULL OR key = ?2)`: with that, SQLite searches
        // the index by `idx` alone and reads every chunk of the index for one key (0.7 ms
        // at 2,000 chunks, per hit of every search) instead of seeking `(idx, key)`.
        let sql = if key.is_some() {
            CHUNKS_OF_KEY
        } else {
            "SELECT path, start_line, end_line, page, symbol, kind, language, context, text, key,
                    container
             FROM chunks WHERE idx = ?1 AND ?2 IS NULL ORDER BY path, ordinal"
        };
        self.query_chunks(sql, params![index, key.map(|k| k as i64)], index)
    }

    /// The chunk records of `index` a chunk statement (the columns of
    /// [`chunk_record`]) selects.
    fn query_chunks(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
        index: &str,
    ) -> Result<Vec<ChunkRecord>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(args, chunk_record(index))
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Content keys with at least one location whose path matches the SQLite GLOB
    /// `path_glob` (when given) and whose language is `language` (when given).
    pub fn keys_matching(
        &self,
        index: &str,
        path_glob: Option<&str>,
        language: Option<&str>,
    ) -> Result<Vec<u64>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT key FROM chunks WHERE idx = ?1
                 AND (?2 IS NULL OR path GLOB ?2) AND (?3 IS NULL OR language = ?3)",
            )
            .map_err(|e| self.err(e))?;
        let keys = stmt
            .query_map(params![index, path_glob, language], |r| r.get::<_, i64>(0))
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(keys.into_iter().map(|k| k as u64).collect())
    }

    /// Lexical search: content keys of `index` whose chunks match the words of `query`
    /// (any of them; BM25-ranked, symbol names weighted highest), best first, at most
    /// `limit`. Returns the key and its BM25 score (higher is better).
    pub fn lexical(&self, index: &str, query: &str, limit: usize) -> Result<Vec<(u64, f64)>> {
        let Some(fts_query) = fts_query(query) else {
            return Ok(Vec::new());
        };
        // Full-text search ranks inside FTS5 (`ORDER BY rank` with the weights set for
        // this query) and hands over only the best `fetch` rows to join with their
        // chunks; rows of the other index and further locations of a content already
        // taken are skipped here, and when that leaves fewer than `limit` the search
        // runs again deeper. (Joining and sorting every match was most of a search's
        // lexical time.)
        let sql = format!(
            "SELECT c.key, c.idx, f.s FROM
               (SELECT rowid AS id, rank AS s FROM chunk_terms
                WHERE chunk_terms MATCH ?1 AND rank MATCH '{}'
                ORDER BY rank, rowid LIMIT ?2) f
             JOIN chunks c ON c.rowid = f.id
             ORDER BY f.s, f.id",
            bm25_rank()
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut fetch = (limit * 4).max(64);
        loop {
            let mut rows = stmt
                .query(params![fts_query, fetch as i64])
                .map_err(|e| self.err(e))?;
            let (mut seen, mut out, mut read) =
                (std::collections::HashSet::new(), Vec::new(), 0usize);
            while let Some(r) = rows.next().map_err(|e| self.err(e))? {
                read += 1;
                let key = r.get::<_, i64>(0).map_err(|e| self.err(e))? as u64;
                let idx: String = r.get(1).map_err(|e| self.err(e))?;
                let s: f64 = r.get(2).map_err(|e| self.err(e))?;
                if idx == index && seen.insert(key) {
                    out.push((key, -s));
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
            if read < fetch {
                return Ok(out);
            }
            fetch *= 4;
        }
    }

    /// SQLite's `PRAGMA data_version` of this connection: it changes when another
    /// connection commits to the manifest.
    pub fn data_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The full-text index in memory, read in one transaction and tagged with
    /// [`Self::data_version`] as read before it; `Ok(None)` when it holds more than
    /// [`crate::lexical::MAX_INSTANCES`] tokens (search it through FTS5).
    pub fn resident_terms(&self) -> Result<Option<crate::lexical::ResidentTerms>> {
        let version = self.data_version()?;
        match crate::lexical::ResidentTerms::load(&self.conn, version) {
            Ok(t) => Ok(Some(t)),
            Err(crate::lexical::LoadError::TooLarge) => Ok(None),
            Err(crate::lexical::LoadError::Sql(e)) => Err(self.err(e)),
        }
    }

    /// A named value of the manifest's `meta` table.
    pub fn meta(&self, name: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT value FROM meta WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Number of files with at least one chunk in an index.
    pub fn file_count(&self, index: &str) -> Result<usize> {
        self.conn
            .query_row(
                "SELECT COUNT(DISTINCT path) FROM chunks WHERE idx = ?1",
                params![index],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }

    /// Number of chunk locations and of distinct contents in an index.
    pub fn counts(&self, index: &str) -> Result<(usize, usize)> {
        let q = |sql: &str| -> Result<usize> {
            self.conn
                .query_row(sql, params![index], |r| r.get::<_, i64>(0))
                .map(|n| n as usize)
                .map_err(|e| self.err(e))
        };
        Ok((
            q("SELECT COUNT(*) FROM chunks WHERE idx = ?1")?,
            q("SELECT COUNT(*) FROM contents WHERE idx = ?1")?,
        ))
    }
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn db_err(path: &Path, e: rusqlite::Error) -> IngestError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        return IngestError::DiskFull {
            path: path.to_path_buf(),
        };
    }
    IngestError::Manifest {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The FTS5 query for a user's words: each word (a run of letters, digits and `_`) is
/// quoted, so no user input is read as FTS syntax; words joined by `_` become phrases
/// (the tokenizer splits identifiers there), and the words are OR-ed for BM25 to rank.
/// Settings of a read-only connection: the database file memory-mapped (up to 1 GiB;
/// file-backed pages the kernel can drop) and an 8 MiB page cache for what the mapping
/// does not cover (pages still in the write-ahead log).
const READ_PRAGMAS: &str = "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-8192;";

fn fts_query(query: &str) -> Option<String> {
    let terms: Vec<String> = crate::lexical::query_terms(query)
        .into_iter()
        .map(|t| format!("\"{t}\""))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" OR "))
}

/// Registers `plait_terms(text)`, the term maker the full-text triggers call.
fn register_terms(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "plait_terms",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.map(|t| crate::lexical::index_terms(&t)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_words_become_a_safe_fts_query() {
        assert_eq!(
            fts_query("get_page_range(\"x\") OR NEAR").as_deref(),
            Some("\"get_page_range\" OR \"get page rang\" OR \"x\" OR \"near\"")
        );
        assert_eq!(fts_query("  ;:()  ___ "), None);
    }

    #[test]
    fn the_chunks_of_one_key_are_found_through_the_key_index() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let m = Manifest::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let plan: Vec<String> = m
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {CHUNKS_OF_KEY}"))
            .and_then(|mut st| {
                st.query_map(params!["docs", 7], |r| r.get::<_, String>(3))?
                    .collect()
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            plan.iter().any(|p| p.contains("idx=? AND key=?")),
            "{plan:?}"
        );
        assert!(m
            .chunks_of("docs", 7)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty());
    }
}
