//! [`ResidentLexical`]: a long-lived searcher's in-memory full-text index
//! ([`ResidentTerms`]), kept in step with the manifest. A search uses it only when it
//! was read at the manifest's current version (`PRAGMA data_version` of its own
//! connection); otherwise it starts reading the new version in the background and that
//! search goes through FTS5, which ranks the same. So a commit never makes a search wait
//! or see terms older than the manifest it reads its chunks from.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, RwLock, Weak};

use crate::lexical::ResidentTerms;
use crate::manifest::Manifest;

/// The resident terms of one index root.
#[derive(Debug, Clone)]
pub(crate) struct ResidentLexical {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    /// The connection whose data version tags the terms (opened by the first load).
    conn: Mutex<Option<Manifest>>,
    current: RwLock<Option<Arc<ResidentTerms>>>,
    loading: AtomicBool,
    /// The index is too large to hold: FTS5 only.
    too_large: AtomicBool,
    /// Wakes the one loading thread (started by the first load; it ends with the
    /// service). One thread, so reloads reuse one heap arena instead of spreading
    /// freed postings over many.
    loader: Mutex<Option<Sender<()>>>,
}

impl ResidentLexical {
    pub(crate) fn new(root: &Path) -> Self {
        Self {
            inner: Arc::new(Inner {
                root: root.to_path_buf(),
                conn: Mutex::new(None),
                current: RwLock::new(None),
                loading: AtomicBool::new(false),
                too_large: AtomicBool::new(false),
                loader: Mutex::new(None),
            }),
        }
    }

    /// The terms when they were read at the manifest's current version; otherwise `None`
    /// (search through FTS5), having started a load of the current version unless one
    /// runs.
    pub(crate) fn fresh(&self) -> Option<Arc<ResidentTerms>> {
        if self.inner.too_large.load(Ordering::Relaxed) {
            return None;
        }
        let version = match self.inner.conn.try_lock() {
            Ok(guard) => guard.as_ref().and_then(|m| m.data_version().ok()),
            // A load holds the connection.
            Err(_) => return None,
        };
        if let Some(v) = version {
            let current = self
                .inner
                .current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            if let Some(terms) = current.filter(|t| t.version() == v) {
                return Some(terms);
            }
        }
        self.start_load();
        None
    }

    /// Reads the current version now, in this thread (tests and callers that want the
    /// terms before their first search).
    pub(crate) fn load_now(&self) {
        self.inner.loading.store(true, Ordering::SeqCst);
        load(&self.inner);
    }

    fn start_load(&self) {
        if self.inner.loading.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut loader = self.inner.loader.lock().unwrap_or_else(|e| e.into_inner());
        if loader.is_none() {
            let (tx, rx) = channel::<()>();
            let weak: Weak<Inner> = Arc::downgrade(&self.inner);
            let spawned = std::thread::Builder::new()
                .name("plait-lexical".into())
                .spawn(move || {
                    while rx.recv().is_ok() {
                        let Some(inner) = weak.upgrade() else { break };
                        load(&inner);
                    }
                });
            if spawned.is_ok() {
                *loader = Some(tx);
            }
        }
        let sent = loader.as_ref().is_some_and(|tx| tx.send(()).is_ok());
        if !sent {
            self.inner.loading.store(false, Ordering::SeqCst);
        }
    }
}

/// Loads the terms of the manifest's current version (a failure leaves the old ones,
/// which no search uses, and the next search tries again).
fn load(inner: &Inner) {
    let mut guard = inner.conn.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        *guard = Manifest::open_read_only(&inner.root).ok();
    }
    if let Some(manifest) = guard.as_ref() {
        match manifest.resident_terms() {
            Ok(Some(terms)) => {
                *inner.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(terms));
            }
            Ok(None) => inner.too_large.store(true, Ordering::Relaxed),
            Err(_) => {}
        }
    }
    drop(guard);
    inner.loading.store(false, Ordering::SeqCst);
}
