//! [`ResidentTerms`]: the manifest's full-text index held in memory, for processes that
//! search many times (the servers, `plait eval`). It ranks exactly as SQLite FTS5's
//! `bm25()` does over the same rows (same statistics, same formula, same order of
//! floating-point operations, ties by row id), without FTS5's per-row lookups of each
//! matching row's size, which were most of a server's lexical CPU on corpora whose
//! query words match thousands of chunks.
//!
//! It is loaded from FTS5's own token instances (`fts5vocab`, `instance`), so the terms
//! and their positions are those FTS5 tokenized, not a re-implementation of its
//! tokenizer. Queries whose terms hold a character beyond ASCII are left to FTS5 ([`None`]
//! from [`ResidentTerms::search`]), since splitting them into tokens is the tokenizer's
//! business.

use std::collections::HashMap;

use rusqlite::Connection;

/// FTS5 `bm25()` constants (fixed in SQLite's source).
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Column weights of the lexical ranking: symbol, path, text (context and text
/// together). The one definition; the FTS5 query formats it.
pub const COLUMN_WEIGHTS: [f64; 3] = [4.0, 2.0, 1.0];

/// The columns of the full-text table, in order.
const COLUMNS: [&str; 3] = ["symbol", "path", "text"];

/// Most token instances loaded (about 12 bytes each); a larger index is searched through
/// FTS5 only.
pub const MAX_INSTANCES: u64 = 50_000_000;

/// Token positions are packed as `column << 30 | offset`.
const COLUMN_SHIFT: u32 = 30;

/// The lexical index of a manifest, in memory: postings of every term in a few flat
/// arrays sized before reading (no growth, few allocations to fragment the heap when a
/// server reloads after each commit).
#[derive(Debug)]
pub struct ResidentTerms {
    /// The manifest's `PRAGMA data_version` (of the loading connection) it was read at.
    version: i64,
    /// Per row (dense): FTS5 row id, index name, content key, tokens in all columns.
    rowids: Vec<i64>,
    indexes: Vec<u8>,
    keys: Vec<u64>,
    lengths: Vec<u32>,
    index_names: Vec<String>,
    total_tokens: u64,
    /// Term -> its postings `start..end` in `rows`, `weighted` and `starts`.
    terms: HashMap<Box<str>, (u32, u32)>,
    /// Per posting: the row, the weighted count of the term's occurrences in it, and
    /// where its positions start in `positions` (one more entry closes the last).
    rows: Vec<u32>,
    weighted: Vec<f32>,
    starts: Vec<u32>,
    positions: Vec<u32>,
}

/// Why the terms could not be loaded (the manifest turns it into its own error).
#[derive(Debug)]
pub(crate) enum LoadError {
    /// The database failed.
    Sql(rusqlite::Error),
    /// More than [`MAX_INSTANCES`] token instances.
    TooLarge,
}

impl From<rusqlite::Error> for LoadError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

impl ResidentTerms {
    /// Loads the terms of `conn`'s manifest in one read transaction, tagged `version`
    /// (read by the caller before, so a commit in between only makes the tag older than
    /// the data, never newer).
    pub(crate) fn load(conn: &Connection, version: i64) -> Result<Self, LoadError> {
        conn.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.plait_instances
                 USING fts5vocab(main, chunk_terms, instance);
             CREATE VIRTUAL TABLE IF NOT EXISTS temp.plait_terms
                 USING fts5vocab(main, chunk_terms, row);
             BEGIN;",
        )?;
        let loaded = Self::read(conn, version);
        conn.execute_batch("COMMIT;")?;
        loaded
    }

    fn read(conn: &Connection, version: i64) -> Result<Self, LoadError> {
        let mut me = Self {
            version,
            rowids: Vec::new(),
            indexes: Vec::new(),
            keys: Vec::new(),
            lengths: Vec::new(),
            index_names: Vec::new(),
            total_tokens: 0,
            terms: HashMap::new(),
            rows: Vec::new(),
            weighted: Vec::new(),
            starts: Vec::new(),
            positions: Vec::new(),
        };
        let dense = me.read_rows(conn)?;
        me.read_postings(conn, &dense)?;
        Ok(me)
    }

    /// Reads every chunk row (its index and key); returns the dense number of each row id.
    fn read_rows(&mut self, conn: &Connection) -> Result<HashMap<i64, u32>, LoadError> {
        let mut dense: HashMap<i64, u32> = HashMap::new();
        let mut stmt = conn.prepare("SELECT rowid, idx, key FROM chunks ORDER BY rowid")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(0)?;
            let idx = r.get_ref(1)?.as_str().unwrap_or_default();
            let slot = match self.index_names.iter().position(|n| n == idx) {
                Some(i) => i,
                None => {
                    self.index_names.push(idx.to_string());
                    self.index_names.len() - 1
                }
            };
            dense.insert(rowid, self.rowids.len() as u32);
            self.rowids.push(rowid);
            self.indexes.push(slot as u8);
            self.keys.push(r.get::<_, i64>(2)? as u64);
            self.lengths.push(0);
        }
        Ok(dense)
    }

    /// Reads every token instance into the postings, sized first from the term totals.
    fn read_postings(
        &mut self,
        conn: &Connection,
        dense: &HashMap<i64, u32>,
    ) -> Result<(), LoadError> {
        let (postings, instances): (i64, i64) = conn.query_row(
            "SELECT coalesce(sum(doc), 0), coalesce(sum(cnt), 0) FROM temp.plait_terms",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if instances as u64 > MAX_INSTANCES {
            return Err(LoadError::TooLarge);
        }
        let (postings, instances) = (postings as usize, instances as usize);
        self.rows.reserve_exact(postings);
        self.weighted.reserve_exact(postings);
        self.starts.reserve_exact(postings + 1);
        self.positions.reserve_exact(instances);
        let mut stmt = conn.prepare("SELECT term, doc, col, offset FROM temp.plait_instances")?;
        let mut rows = stmt.query([])?;
        let mut term = String::new();
        let mut term_start = 0u32;
        let mut last_row = u32::MAX;
        while let Some(r) = rows.next()? {
            let t = r.get_ref(0)?.as_str().unwrap_or_default();
            if t != term {
                if (term_start as usize) < self.rows.len() {
                    self.terms
                        .insert(term.as_str().into(), (term_start, self.rows.len() as u32));
                }
                term.clear();
                term.push_str(t);
                term_start = self.rows.len() as u32;
                last_row = u32::MAX;
            }
            let rowid: i64 = r.get(1)?;
            let Some(&row) = dense.get(&rowid) else {
                continue;
            };
            let col_name = r.get_ref(2)?.as_str().unwrap_or_default();
            let col = COLUMNS.iter().position(|c| *c == col_name).unwrap_or(2);
            let offset: i64 = r.get(3)?;
            if row != last_row {
                self.rows.push(row);
                self.weighted.push(0.0);
                self.starts.push(self.positions.len() as u32);
                last_row = row;
            }
            *self.weighted.last_mut().expect("pushed") += COLUMN_WEIGHTS[col] as f32;
            self.positions
                .push(((col as u32) << COLUMN_SHIFT) | (offset as u32 & ((1 << COLUMN_SHIFT) - 1)));
            self.lengths[row as usize] += 1;
            self.total_tokens += 1;
        }
        if (term_start as usize) < self.rows.len() {
            self.terms
                .insert(term.into(), (term_start, self.rows.len() as u32));
        }
        self.starts.push(self.positions.len() as u32);
        Ok(())
    }

    /// The manifest version these terms were read at.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Rows and token instances held.
    pub fn size(&self) -> (usize, u64) {
        (self.rowids.len(), self.total_tokens)
    }

    /// The content keys of `index` matching any of `terms` (the query's terms,
    /// [`super::query_terms`]), ranked by BM25 as FTS5 ranks them, best first, at most
    /// `limit` distinct keys with their best row's score. `None` when a term holds a
    /// character beyond ASCII (FTS5's tokenizer decides how those split).
    pub fn search(&self, index: &str, terms: &[String], limit: usize) -> Option<Vec<(u64, f64)>> {
        let phrases: Vec<Vec<&str>> = terms
            .iter()
            .map(|t| {
                t.is_ascii().then(|| {
                    t.split(|c: char| !c.is_ascii_alphanumeric())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
            })
            .collect::<Option<_>>()?;
        let Some(slot) = self.index_names.iter().position(|n| n == index) else {
            return Some(Vec::new());
        };
        let n_rows = self.rowids.len() as i64;
        if n_rows == 0 {
            return Some(Vec::new());
        }
        let avgdl = self.total_tokens as f64 / n_rows as f64;
        // Dense scores: a row's phrases add up in query order, as in FTS5.
        let mut scores = vec![0.0f64; self.rowids.len()];
        let mut touched: Vec<u32> = Vec::new();
        for phrase in &phrases {
            let matches = self.phrase_matches(phrase);
            let n_hit = matches.len() as i64;
            let mut idf = (((n_rows - n_hit) as f64 + 0.5) / (n_hit as f64 + 0.5)).ln();
            if idf <= 0.0 {
                idf = 1e-6;
            }
            for (row, f) in matches {
                let d = f64::from(self.lengths[row as usize]);
                let s = idf * ((f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * d / avgdl)));
                let acc = &mut scores[row as usize];
                if *acc == 0.0 {
                    touched.push(row);
                }
                *acc += s;
            }
        }
        let mut ranked: Vec<(u32, f64)> = touched
            .into_iter()
            .filter(|&row| usize::from(self.indexes[row as usize]) == slot)
            .map(|row| (row, scores[row as usize]))
            .collect();
        ranked.sort_unstable_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(self.rowids[a.0 as usize].cmp(&self.rowids[b.0 as usize]))
        });
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (row, score) in ranked {
            let key = self.keys[row as usize];
            if seen.insert(key) {
                out.push((key, score));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Some(out)
    }

    /// The positions of posting `i`.
    fn positions_of(&self, i: usize) -> &[u32] {
        &self.positions[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    /// The rows holding `phrase` (its tokens at consecutive positions of one column) with
    /// the weighted count of its occurrences, rows ascending.
    fn phrase_matches(&self, phrase: &[&str]) -> Vec<(u32, f64)> {
        let lists: Option<Vec<std::ops::Range<usize>>> = phrase
            .iter()
            .map(|t| self.terms.get(*t).map(|&(a, b)| a as usize..b as usize))
            .collect();
        let Some(lists) = lists else {
            return Vec::new();
        };
        match lists.as_slice() {
            [] => Vec::new(),
            [one] => one
                .clone()
                .map(|i| (self.rows[i], f64::from(self.weighted[i])))
                .collect(),
            [first, rest @ ..] => {
                let mut cursors: Vec<usize> = rest.iter().map(|r| r.start).collect();
                let mut out = Vec::new();
                'rows: for i in first.clone() {
                    let row = self.rows[i];
                    let mut at = Vec::with_capacity(rest.len());
                    for (list, cursor) in rest.iter().zip(cursors.iter_mut()) {
                        while *cursor < list.end && self.rows[*cursor] < row {
                            *cursor += 1;
                        }
                        if *cursor == list.end || self.rows[*cursor] != row {
                            continue 'rows;
                        }
                        at.push(self.positions_of(*cursor));
                    }
                    let mut f = 0.0;
                    for &p in self.positions_of(i) {
                        let consecutive = at
                            .iter()
                            .enumerate()
                            .all(|(j, ps)| ps.binary_search(&(p + j as u32 + 1)).is_ok());
                        if consecutive {
                            f += COLUMN_WEIGHTS[(p >> COLUMN_SHIFT) as usize];
                        }
                    }
                    if f > 0.0 {
                        out.push((row, f));
                    }
                }
                out
            }
        }
    }
}
