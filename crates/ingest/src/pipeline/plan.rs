//! The plan stage of a sync: what changed (stat, then hash), extracted and chunked, and
//! every chunk's content key (an indexed content's key, or a fresh one queued for
//! encoding). Nothing is encoded or committed here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use plait_colbert::Encoder;

use super::{hash_hex, language_name, reason, IngestReport, Ingester, Progress, CODE, DOCS};
use crate::chunk::{
    chunk_bounded, code_chunker, Chunk, Chunker, LineChunker, MarkdownChunker, RstChunker,
    TokenCounter, CHUNKER_VERSION,
};
use crate::discover::FoundFile;
use crate::extract::{extract, page_ranges, Extracted};
use crate::manifest::{ChunkRecord, FileRecord, Manifest};
use crate::{discover_within, DocFormat, FileKind, Result, Skipped};

struct EncoderCounter<'a>(&'a dyn Encoder);

impl TokenCounter for EncoderCounter<'_> {
    fn count(&self, text: &str) -> usize {
        self.0.count_tokens(text)
    }
}

/// A content to encode: its key, content hash and the text the encoder reads.
pub(super) type NewContent = (u64, String, String);

/// What a sync will do, decided before anything is encoded.
#[derive(Default)]
pub(super) struct Plan {
    /// Files the manifest lists under the synced roots that discovery no longer finds.
    pub(super) removed: Vec<PathBuf>,
    /// A full run (not scoped to paths): it records the chunker version.
    pub(super) full: bool,
    /// Changed and new files with their record and keyed chunks.
    pub(super) files: Vec<(PathBuf, FileRecord, FileKind, Vec<Pending>)>,
    /// Files whose stat changed but whose content did not: `(path, size, mtime)`.
    pub(super) touched: Vec<(PathBuf, u64, i64)>,
    /// Contents no index has yet, per index.
    pub(super) new_contents: HashMap<&'static str, Vec<NewContent>>,
}

/// A chunk waiting for its key.
pub(super) struct Pending {
    pub(super) index: &'static str,
    pub(super) hash: String,
    pub(super) record: ChunkRecord,
    pub(super) embed: String,
}

impl Ingester<'_> {
    /// The plan of a sync: discovers the files, stats them (hashing only on a stat change,
    /// chunking only on a hash change) and gives every chunk its content key. `None` when
    /// the run was cancelled.
    pub(super) fn plan(
        &self,
        manifest: &mut Manifest,
        roots: &[PathBuf],
        targets: Option<&[PathBuf]>,
        report: &mut IngestReport,
        progress: &dyn Fn(Progress),
    ) -> Result<Option<Plan>> {
        // Files chunked by an older chunker are chunked again.
        let rechunk = manifest.meta("chunker_version")?.as_deref() != Some(CHUNKER_VERSION)
            && !manifest.files()?.is_empty();
        // The index root may sit inside a watched folder: never ingest our own files.
        let mut discover_config = self.config.discover.clone();
        if let Ok(index_root) = std::fs::canonicalize(&self.config.index_root) {
            discover_config.exclude.push(index_root);
        }
        let (found, skipped) = discover_within(roots, targets, &discover_config);
        report.skipped = skipped
            .into_iter()
            .map(|Skipped { path, reason }| (path, reason))
            .collect();
        let found_paths: std::collections::HashSet<&Path> =
            found.iter().map(|f| f.path.as_path()).collect();
        let mut plan = Plan {
            removed: manifest
                .files()?
                .into_iter()
                .filter(|p| {
                    roots.iter().any(|r| p.starts_with(r))
                        && targets.is_none_or(|ts| ts.iter().any(|t| p.starts_with(t)))
                        && !found_paths.contains(p.as_path())
                })
                .collect(),
            full: targets.is_none(),
            ..Plan::default()
        };
        let total = found.len();
        for (i, f) in found.iter().enumerate() {
            progress(Progress::Files { done: i, total });
            if self.cancelled() {
                report.cancelled = true;
                return Ok(None);
            }
            let old = manifest.file(&f.path)?;
            if !rechunk
                && old
                    .as_ref()
                    .is_some_and(|o| o.size == f.size && o.mtime_ns == f.mtime_ns)
            {
                report.files_unchanged += 1;
                continue;
            }
            let bytes = match std::fs::read(&f.path) {
                Ok(b) => b,
                Err(e) => {
                    report
                        .errors
                        .push((f.path.clone(), format!("cannot read: {e}")));
                    continue;
                }
            };
            let hash = hash_hex(&bytes);
            if !rechunk && old.as_ref().is_some_and(|o| o.hash == hash) {
                plan.touched.push((f.path.clone(), f.size, f.mtime_ns));
                report.files_unchanged += 1;
                continue;
            }
            let Some(pending) = self.chunk_reported(f, &bytes, report, progress) else {
                continue;
            };
            if old.is_some() {
                report.files_changed += 1;
            } else {
                report.files_added += 1;
            }
            let record = FileRecord {
                size: f.size,
                mtime_ns: f.mtime_ns,
                hash,
            };
            plan.files.push((f.path.clone(), record, f.kind, pending));
        }
        progress(Progress::Files { done: total, total });
        self.assign_keys(manifest, &mut plan, report)?;
        Ok(Some(plan))
    }

    /// Chunks one changed file; what was left out goes to the report's warnings and a
    /// failure to its errors (`None`: the run goes on without the file).
    fn chunk_reported(
        &self,
        f: &FoundFile,
        bytes: &[u8],
        report: &mut IngestReport,
        progress: &dyn Fn(Progress),
    ) -> Option<Vec<Pending>> {
        let mut blank_pages = Vec::new();
        let mut long_line = None;
        let pending = match self.chunk_file(
            &f.path,
            f.kind,
            bytes,
            &mut blank_pages,
            &mut long_line,
            progress,
        ) {
            Ok(pending) => pending,
            Err(e) => {
                report.errors.push((f.path.clone(), reason(&f.path, &e)));
                return None;
            }
        };
        if let Some((chars, cut_from)) = long_line {
            let part = match cut_from {
                Some(total) => format!(
                    "; only its first {} of {total} characters are indexed",
                    crate::chunk::LONG_LINE_FILE_CHARS
                ),
                None => String::new(),
            };
            report.warnings.push((
                f.path.clone(),
                format!(
                    "a line of {chars} characters (minified or generated): chunked by size, not by syntax{part}"
                ),
            ));
        }
        if !blank_pages.is_empty() {
            report.warnings.push((
                f.path.clone(),
                format!(
                    "page(s) {} have no readable text (no OCR engine configured, or OCR found none); they are not indexed",
                    page_ranges(&blank_pages)
                ),
            ));
        }
        Some(pending)
    }

    /// Gives every planned chunk its content key: the key of the same content already
    /// indexed (or planned), else a fresh one whose content is queued for encoding.
    fn assign_keys(
        &self,
        manifest: &mut Manifest,
        plan: &mut Plan,
        report: &mut IngestReport,
    ) -> Result<()> {
        let mut assigned: HashMap<(&'static str, String), u64> = HashMap::new();
        let mut next: HashMap<&'static str, u64> = HashMap::new();
        for name in [CODE, DOCS] {
            next.insert(name, manifest.next_key(name)?);
        }
        for (_, _, _, pending) in &mut plan.files {
            for p in pending.iter_mut() {
                let id = (p.index, p.hash.clone());
                if let Some(&k) = assigned.get(&id) {
                    p.record.key = k;
                    report.chunks_reused += 1;
                } else if let Some(k) = manifest.content_key(p.index, &p.hash)? {
                    p.record.key = k;
                    assigned.insert(id, k);
                    report.chunks_reused += 1;
                } else {
                    let slot = next.entry(p.index).or_insert(1);
                    let k = *slot;
                    *slot += 1;
                    p.record.key = k;
                    assigned.insert(id, k);
                    plan.new_contents.entry(p.index).or_default().push((
                        k,
                        p.hash.clone(),
                        p.embed.clone(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Extracts and chunks one file into pending chunks.
    fn chunk_file(
        &self,
        path: &Path,
        kind: FileKind,
        bytes: &[u8],
        blank_pages: &mut Vec<usize>,
        long_line: &mut Option<(usize, Option<usize>)>,
        progress: &dyn Fn(Progress),
    ) -> Result<Vec<Pending>> {
        let on_page = |done, total| progress(Progress::Pages { done, total });
        let content = extract(path, kind, bytes, self.pdf, &on_page)?;
        let budget = &self.config.budget;
        let (encoder, index) = match kind {
            FileKind::Code(_) => (self.code, CODE),
            FileKind::Doc(_) => (self.docs, DOCS),
        };
        let counter = EncoderCounter(encoder);
        let mut bounded = |chunker: &dyn Chunker, text: &str| {
            let b = chunk_bounded(chunker, text, &counter, budget);
            if let Some(chars) = b.long_line {
                *long_line = Some((chars, b.cut_from));
            }
            b.chunks
        };
        Ok(match (kind, content) {
            (FileKind::Code(lang), Extracted::Text(source)) => {
                let chunks = bounded(&*code_chunker(lang.name()), &source);
                self.pending(path, index, Some(language_name(lang)), None, chunks)
            }
            (FileKind::Doc(format), Extracted::Text(source)) => {
                let chunks = match format {
                    DocFormat::Markdown => bounded(&MarkdownChunker, &source),
                    DocFormat::ReStructuredText => bounded(&RstChunker, &source),
                    _ => bounded(&LineChunker, &source),
                };
                self.pending(path, index, None, None, chunks)
            }
            (_, Extracted::Pages(pages)) => {
                let pdf =
                    crate::chunk::pdf::chunk_pages(&pages, |text| bounded(&LineChunker, text));
                blank_pages.extend(pdf.blank);
                let mut out = Vec::new();
                for (page, chunks) in pdf.pages {
                    out.extend(self.pending(path, index, None, Some(page), chunks));
                }
                out
            }
            (_, Extracted::Image(Some(text))) => {
                let chunks = bounded(&LineChunker, &text);
                self.pending(path, index, None, Some(1), chunks)
            }
            (_, Extracted::Image(None)) => {
                blank_pages.push(1);
                Vec::new()
            }
        })
    }

    fn pending(
        &self,
        path: &Path,
        index: &'static str,
        language: Option<String>,
        page: Option<usize>,
        chunks: Vec<Chunk>,
    ) -> Vec<Pending> {
        chunks
            .into_iter()
            .filter(|c| !c.text.trim().is_empty())
            .map(|c| {
                let embed = c.embedding_text();
                Pending {
                    index,
                    hash: hash_hex(embed.as_bytes()),
                    record: ChunkRecord {
                        path: path.to_path_buf(),
                        index: index.to_string(),
                        key: 0,
                        lines: if page.is_some() {
                            None
                        } else {
                            Some((c.start_line, c.end_line))
                        },
                        page,
                        symbol: c.symbol.clone(),
                        container: c.container.clone(),
                        kind: format!("{:?}", c.kind).to_lowercase(),
                        language: language.clone(),
                        context: c.context.clone(),
                        text: c.text.clone(),
                    },
                    embed,
                }
            })
            .collect()
    }
}
