//! Keeping the indexes in step with folders as they change: file-system events,
//! debounced, waited on until files settle, and applied as incremental ingests.
//!
//! Events only say *where* to look; what to do is always decided by the same
//! stat-hash-chunk path as a full ingest ([`Ingester::run_paths`]), so a missed or
//! duplicated event can never leave the indexes wrong, only late. Anything events cannot
//! describe (a queue overflow, a watcher error) and a periodic timer trigger a full
//! reconcile ([`Ingester::run`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant, UNIX_EPOCH};

use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::{new_debouncer, DebounceEventResult};

use crate::{IngestError, IngestReport, Ingester, Result};

/// How a watch reacts to changes.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Quiet time after a path's last event before it is looked at. Editors write a
    /// file in several steps (truncate, write, rename); this folds them into one.
    pub debounce: Duration,
    /// A changed file is ingested once its size and mtime stay the same over this
    /// interval, so a file still being copied is not read half-written.
    pub settle: Duration,
    /// Longest wait for a file that keeps changing; it is then ingested as it is and
    /// its later events bring the rest.
    pub settle_limit: Duration,
    /// A full reconcile of every root runs this often, catching anything events missed
    /// (network file systems, changes made while events were dropped).
    pub rescan_every: Duration,
    /// Contents left unused by changes are dropped from the indexes after this much
    /// quiet time, not at once: a file moved in two steps (deleted, then created
    /// elsewhere, as file managers and `git` do) finds its contents still indexed and
    /// nothing is encoded again. Search never shows them meanwhile.
    pub orphan_grace: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(200),
            settle: Duration::from_millis(100),
            settle_limit: Duration::from_secs(10),
            rescan_every: Duration::from_secs(300),
            orphan_grace: Duration::from_secs(5),
        }
    }
}

/// Why a sync ran.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "trigger")]
pub enum Trigger {
    /// The first full ingest when the watch starts.
    Start,
    /// File-system events on these many paths.
    Events { paths: usize },
    /// The watcher lost track (queue overflow, watcher error): a full reconcile.
    Rescan { reason: String },
    /// The periodic full reconcile.
    Periodic,
    /// Dropping contents left unused by earlier changes.
    Collect,
}

/// What a watch reports to its caller.
#[derive(Debug)]
pub enum WatchEvent<'a> {
    /// Watches are in place on these roots; the initial sync follows.
    Watching { roots: &'a [PathBuf] },
    /// A sync committed (or was cancelled part way, see `report.cancelled`).
    Synced {
        trigger: Trigger,
        report: IngestReport,
        elapsed: Duration,
    },
    /// A sync failed as a whole (another writer holds the index, the disk is full);
    /// the watch keeps its paths and tries again soon (sooner while only locked out).
    /// A streak of the same failure is reported once.
    Failed {
        trigger: Trigger,
        error: IngestError,
    },
}

/// Watches `roots` until `stop` is set, keeping the ingester's indexes in step.
///
/// Runs a full ingest first, then applies changes as they happen. The writer locks are
/// taken at the first sync and held until the watch ends, so a concurrent writer cannot
/// get in between syncs; while one holds them, syncs are retried (every half second at
/// most), never dropped. `stop` is checked
/// between syncs and, through the ingester's cancel flag if the caller set the same
/// one, inside them: a sync in progress finishes its current commit or stops before
/// the next, so nothing committed is lost and nothing is left half-done.
pub fn watch(
    ingester: &Ingester<'_>,
    roots: &[PathBuf],
    config: &WatchConfig,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(WatchEvent<'_>),
) -> Result<()> {
    let roots = crate::pipeline::canonical_roots(roots)?;
    let index_root = std::fs::canonicalize(ingester.index_root())
        .unwrap_or_else(|_| ingester.index_root().to_path_buf());

    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(config.debounce, None, tx)
        .map_err(|e| watch_error(roots.first().map_or(Path::new("."), PathBuf::as_path), &e))?;
    for root in &roots {
        debouncer
            .watch(root, RecursiveMode::Recursive)
            .map_err(|e| watch_error(root, &e))?;
    }
    on_event(WatchEvent::Watching { roots: &roots });

    let mut state = Watching {
        ingester,
        roots: &roots,
        index_root,
        config,
        pending: BTreeSet::new(),
        rescan: None,
        collect_at: None,
        full: Some(Trigger::Start),
        last_full: Instant::now(),
        retry: Retry::default(),
    };
    while !stop.load(Ordering::Relaxed) {
        state.receive(&rx)?;
        if stop.load(Ordering::Relaxed) {
            break;
        }
        state.step(stop, on_event);
    }
    ingester.release_writers();
    Ok(())
}

/// The state of a running watch between syncs.
struct Watching<'a, 'i> {
    ingester: &'a Ingester<'i>,
    roots: &'a [PathBuf],
    /// Events under the index root are the watch's own writes.
    index_root: PathBuf,
    config: &'a WatchConfig,
    /// Paths events named, not yet synced.
    pending: BTreeSet<PathBuf>,
    /// Why events can no longer be trusted, when they cannot.
    rescan: Option<String>,
    /// When contents left unused by the last sync are dropped.
    collect_at: Option<Instant>,
    /// The full sync still to run (the first one, a rescan, or one that failed).
    full: Option<Trigger>,
    last_full: Instant,
    /// When failed work may be tried again.
    retry: Retry,
}

impl Watching<'_, '_> {
    /// Waits for events (not at all before the first sync) and records them.
    fn receive(&mut self, rx: &mpsc::Receiver<DebounceEventResult>) -> Result<()> {
        let wait = if self.full == Some(Trigger::Start) && !self.retry.failing() {
            Duration::ZERO
        } else {
            Duration::from_millis(100)
        };
        match rx.recv_timeout(wait) {
            Ok(result) => {
                self.take(result);
                while let Ok(more) = rx.try_recv() {
                    self.take(more);
                }
                Ok(())
            }
            Err(RecvTimeoutError::Timeout) => Ok(()),
            Err(RecvTimeoutError::Disconnected) => Err(IngestError::Watch {
                path: self.roots.first().cloned().unwrap_or_default(),
                reason: "the file-system watcher stopped".into(),
            }),
        }
    }

    /// Records one batch of debounced events: the paths they name, or a rescan when
    /// the watcher lost track.
    fn take(&mut self, result: DebounceEventResult) {
        match result {
            Ok(events) => {
                for event in events {
                    if event.need_rescan() {
                        self.rescan = Some("the file-system event queue overflowed".into());
                    }
                    if matches!(event.kind, notify::EventKind::Access(_)) {
                        // Opening and reading (our own reads included) changes nothing.
                        continue;
                    }
                    for path in &event.paths {
                        if !path.starts_with(&self.index_root) {
                            self.pending.insert(path.clone());
                        }
                    }
                }
            }
            Err(errors) => {
                let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
                self.rescan = Some(format!("the watcher reported: {}", reasons.join("; ")));
            }
        }
    }

    /// Runs what is due: a full sync, else the pending paths, else the collection of
    /// unused contents.
    fn step(&mut self, stop: &AtomicBool, on_event: &mut dyn FnMut(WatchEvent<'_>)) {
        if let Some(reason) = self.rescan.take() {
            if self.full != Some(Trigger::Start) {
                self.full = Some(Trigger::Rescan { reason });
            }
        }
        if self.full.is_none() && self.last_full.elapsed() >= self.config.rescan_every {
            self.full = Some(Trigger::Periodic);
        }
        if !self.retry.due() {
            return;
        }
        if let Some(trigger) = self.full.take() {
            self.full_sync(trigger, on_event);
        } else if !self.pending.is_empty() {
            self.sync_pending(stop, on_event);
        } else if self.collect_at.is_some_and(|t| Instant::now() >= t) {
            self.collect(on_event);
        }
    }

    /// A full reconcile of every root; kept due when it fails.
    fn full_sync(&mut self, trigger: Trigger, on_event: &mut dyn FnMut(WatchEvent<'_>)) {
        let started = Instant::now();
        let ingester = self.ingester;
        match hold_and(ingester, || ingester.run(self.roots, &|_| {})) {
            Ok(report) => {
                self.retry.succeeded();
                self.last_full = Instant::now();
                self.collect_at = None;
                self.pending.clear();
                on_event(WatchEvent::Synced {
                    trigger,
                    report,
                    elapsed: started.elapsed(),
                });
            }
            Err(error) => {
                if self.retry.failed(&error) {
                    on_event(WatchEvent::Failed {
                        trigger: trigger.clone(),
                        error,
                    });
                }
                self.full = Some(trigger);
            }
        }
    }

    /// The pending paths, once settled, as an incremental ingest; they stay pending
    /// when it fails: nothing an event reported is dropped.
    fn sync_pending(&mut self, stop: &AtomicBool, on_event: &mut dyn FnMut(WatchEvent<'_>)) {
        let paths: Vec<PathBuf> = std::mem::take(&mut self.pending).into_iter().collect();
        wait_until_settled(&paths, self.config, stop);
        let trigger = Trigger::Events { paths: paths.len() };
        let started = Instant::now();
        let ingester = self.ingester;
        match hold_and(ingester, || ingester.run_paths(self.roots, &paths, &|_| {})) {
            Ok(report) => {
                self.retry.succeeded();
                self.collect_at = Some(Instant::now() + self.config.orphan_grace);
                on_event(WatchEvent::Synced {
                    trigger,
                    report,
                    elapsed: started.elapsed(),
                });
            }
            Err(error) => {
                self.pending.extend(paths);
                if self.retry.failed(&error) {
                    on_event(WatchEvent::Failed { trigger, error });
                }
            }
        }
    }

    /// Drops contents left unused by earlier changes (after the grace time).
    fn collect(&mut self, on_event: &mut dyn FnMut(WatchEvent<'_>)) {
        let ingester = self.ingester;
        match hold_and(ingester, || ingester.collect_orphans()) {
            Ok(_) => {
                self.collect_at = None;
                self.retry.succeeded();
            }
            Err(error) => {
                if self.retry.failed(&error) {
                    on_event(WatchEvent::Failed {
                        trigger: Trigger::Collect,
                        error,
                    });
                }
            }
        }
    }
}

/// Takes the writer locks (kept for the rest of the watch, so no other writer slips in
/// between two syncs), then runs `f`.
fn hold_and<T>(ingester: &Ingester<'_>, f: impl FnOnce() -> Result<T>) -> Result<T> {
    ingester.hold_writers()?;
    f()
}

/// First wait before failed work is tried again.
const RETRY_FIRST: Duration = Duration::from_millis(250);
/// Longest wait while another writer holds the index: a `plait ingest` beside the
/// watch may end at any moment, and its changes must then follow within a second.
const RETRY_LOCKED_MAX: Duration = Duration::from_millis(500);
/// Longest wait after any other failure (a full disk, an unreadable index).
const RETRY_MAX: Duration = Duration::from_secs(30);

/// When failed work is tried again: soon, then less often, and each streak of failures
/// is reported once (a new kind of error is reported again).
#[derive(Debug, Default)]
struct Retry {
    at: Option<Instant>,
    wait: Duration,
    reported: Option<String>,
}

impl Retry {
    fn failing(&self) -> bool {
        self.at.is_some()
    }

    fn due(&self) -> bool {
        self.at.is_none_or(|t| Instant::now() >= t)
    }

    fn succeeded(&mut self) {
        *self = Self::default();
    }

    /// Schedules the next try; true when this failure should be reported.
    fn failed(&mut self, error: &IngestError) -> bool {
        let cap = if error.is_locked() {
            RETRY_LOCKED_MAX
        } else {
            RETRY_MAX
        };
        self.wait = if self.at.is_none() {
            RETRY_FIRST
        } else {
            (self.wait * 2).min(cap)
        };
        self.at = Some(Instant::now() + self.wait);
        let text = error.to_string();
        let new = self.reported.as_deref() != Some(text.as_str());
        self.reported = Some(text);
        new
    }
}

fn watch_error(path: &Path, e: &notify::Error) -> IngestError {
    let hint = if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
        " (raise fs.inotify.max_user_watches: sysctl fs.inotify.max_user_watches=524288)"
    } else {
        ""
    };
    IngestError::Watch {
        path: path.to_path_buf(),
        reason: format!("{e}{hint}"),
    }
}

type Stamp = Option<(u64, i64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    Some((meta.len(), mtime))
}

/// Waits until no path's size and mtime changed over one `settle` interval, at most
/// `settle_limit`, or until `stop` is set.
fn wait_until_settled(paths: &[PathBuf], config: &WatchConfig, stop: &AtomicBool) {
    let stamps = |paths: &[PathBuf]| -> BTreeMap<PathBuf, Stamp> {
        paths.iter().map(|p| (p.clone(), stamp(p))).collect()
    };
    let deadline = Instant::now() + config.settle_limit;
    let mut last = stamps(paths);
    loop {
        std::thread::sleep(config.settle);
        let now = stamps(paths);
        if now == last || Instant::now() >= deadline || stop.load(Ordering::Relaxed) {
            return;
        }
        last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_still_growing_is_waited_for() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("growing.txt");
        std::fs::write(&path, b"start\n").unwrap();
        let writer_path = path.clone();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&writer_path)
                .unwrap();
            for _ in 0..10 {
                std::thread::sleep(Duration::from_millis(40));
                f.write_all(b"more\n").unwrap();
            }
        });
        let config = WatchConfig {
            settle: Duration::from_millis(150),
            ..WatchConfig::default()
        };
        let started = Instant::now();
        wait_until_settled(
            std::slice::from_ref(&path),
            &config,
            &AtomicBool::new(false),
        );
        writer.join().unwrap();
        // The writer appended for ~400 ms; returning earlier would read a partial file.
        assert!(
            started.elapsed() >= Duration::from_millis(400),
            "returned after {:?}",
            started.elapsed()
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 11);
    }

    #[test]
    fn waiting_gives_up_at_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("busy.txt");
        std::fs::write(&path, b"x").unwrap();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let writer_stop = stop.clone();
        let writer_path = path.clone();
        let writer = std::thread::spawn(move || {
            let mut n = 0u64;
            while !writer_stop.load(Ordering::Relaxed) {
                n += 1;
                std::fs::write(&writer_path, vec![b'x'; (n % 97 + 1) as usize]).unwrap();
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let config = WatchConfig {
            settle: Duration::from_millis(50),
            settle_limit: Duration::from_millis(300),
            ..WatchConfig::default()
        };
        let started = Instant::now();
        wait_until_settled(
            std::slice::from_ref(&path),
            &config,
            &AtomicBool::new(false),
        );
        let waited = started.elapsed();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
    }
}
