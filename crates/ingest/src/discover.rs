//! Finding the files to ingest under some folders, the way a developer would expect.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::classify::classify_with_head;
use crate::{classify, FileKind};

/// Folder names never descended into, besides hidden ones and `.gitignore`d paths.
const SKIPPED_DIRS: [&str; 8] = [
    "target",
    "node_modules",
    "__pycache__",
    "venv",
    ".venv",
    "env",
    "site-packages",
    "dist-packages",
];

/// Bytes read from the start of a file to decide whether it is binary (a NUL byte).
const BINARY_SNIFF: usize = 8192;

/// Discovery settings.
#[derive(Debug, Clone)]
pub struct DiscoverConfig {
    /// Files larger than this are skipped (reported, not read).
    pub max_file_bytes: u64,
    /// Folders never descended into (the index root, when it sits inside a root).
    pub exclude: Vec<PathBuf>,
}

impl Default for DiscoverConfig {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 * 1024 * 1024,
            exclude: Vec::new(),
        }
    }
}

/// A file to ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// The file's path as found under a root.
    pub path: PathBuf,
    /// Code or document, and which.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i64,
}

/// A file that was looked at and left out, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

/// Walks `roots`, honouring `.gitignore`, skipping hidden files, build and environment
/// folders, binaries, oversized files and kinds plait does not ingest. Symbolic links
/// are not followed, so link loops cannot hang the walk. Results are sorted by path.
pub fn discover(roots: &[PathBuf], config: &DiscoverConfig) -> (Vec<FoundFile>, Vec<Skipped>) {
    discover_within(roots, None, config)
}

/// Like [`discover`], but only the parts of the roots at or under `targets` are
/// returned (files or folders, e.g. the paths a file watcher reported). The walk still
/// starts at each root and enters only the folders leading to a target, so every
/// `.gitignore`, hidden-folder and skipped-folder rule applies exactly as in a full walk.
pub fn discover_within(
    roots: &[PathBuf],
    targets: Option<&[PathBuf]>,
    config: &DiscoverConfig,
) -> (Vec<FoundFile>, Vec<Skipped>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for root in roots {
        if let Some(ts) = targets {
            if !ts.iter().any(|t| t.starts_with(root)) {
                continue;
            }
        }
        let targets: Option<Vec<PathBuf>> = targets.map(|ts| ts.to_vec());
        let exclude = config.exclude.clone();
        let walker = ignore::WalkBuilder::new(root)
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(move |e| {
                let skipped_dir = e.file_type().is_some_and(|t| t.is_dir())
                    && e.file_name()
                        .to_str()
                        .is_some_and(|n| SKIPPED_DIRS.contains(&n));
                let in_scope = targets.as_ref().is_none_or(|ts| {
                    ts.iter()
                        .any(|t| t.starts_with(e.path()) || e.path().starts_with(t))
                });
                !skipped_dir && in_scope && !exclude.iter().any(|x| x == e.path())
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    skipped.push(Skipped {
                        path: root.clone(),
                        reason: err.to_string(),
                    });
                    continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                continue;
            };
            if !file_type.is_file() {
                // A FIFO, socket or device named like a file plait reads is listed,
                // never opened (opening a FIFO blocks until someone writes to it).
                if let Some(what) = special_file(&file_type) {
                    if classify(entry.path()).is_some() {
                        skipped.push(Skipped {
                            path: entry.path().to_path_buf(),
                            reason: format!("{what}, not a regular file (not opened)"),
                        });
                    }
                }
                continue;
            }
            let path = entry.path().to_path_buf();
            let Some(kind) = classify_file(&path) else {
                continue;
            };
            match inspect(&path, kind, config) {
                Ok(f) => found.push(f),
                Err(reason) => skipped.push(Skipped { path, reason }),
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup_by(|a, b| a.path == b.path);
    (found, skipped)
}

/// Classifies a regular file by its extension, or one without an extension by its
/// shebang line (only such files are opened here).
fn classify_file(path: &Path) -> Option<FileKind> {
    if path.extension().is_some() {
        return classify(path);
    }
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .ok()?;
    classify_with_head(path, &head[..n])
}

/// What a special file is (`a FIFO (named pipe)`, `a socket`, `a block device`, `a
/// character device`); `None` for regular files, folders and links.
pub fn special_file(file_type: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
    }
    #[cfg(not(unix))]
    let _ = file_type;
    None
}

/// Refuses a path that is not a regular file (following links) before anything opens
/// it: a FIFO would block the reader, a device would never end.
pub fn require_regular_file(path: &Path) -> crate::Result<()> {
    let meta = std::fs::metadata(path).map_err(|source| crate::IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match special_file(&meta.file_type()) {
        Some(what) => Err(crate::IngestError::NotRegular {
            path: path.to_path_buf(),
            what,
        }),
        None if meta.is_dir() => Err(crate::IngestError::NotRegular {
            path: path.to_path_buf(),
            what: "a folder",
        }),
        None => Ok(()),
    }
}

fn inspect(path: &Path, kind: FileKind, config: &DiscoverConfig) -> Result<FoundFile, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot stat: {e}"))?;
    if meta.len() > config.max_file_bytes {
        return Err(format!(
            "larger than the {} byte limit ({} bytes)",
            config.max_file_bytes,
            meta.len()
        ));
    }
    let binary_ok = matches!(
        kind,
        FileKind::Doc(crate::DocFormat::Pdf) | FileKind::Doc(crate::DocFormat::Image)
    );
    if !binary_ok {
        use std::io::Read;
        let mut buf = vec![0u8; BINARY_SNIFF];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut buf))
            .map_err(|e| format!("cannot read: {e}"))?;
        if buf[..n].contains(&0) && !crate::text::has_utf16_bom(&buf[..n]) {
            return Err("binary file (NUL bytes)".into());
        }
    }
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    Ok(FoundFile {
        path: path.to_path_buf(),
        kind,
        size: meta.len(),
        mtime_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_ignored_hidden_binary_and_environment_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let write = |rel: &str, bytes: &[u8]| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        };
        write("src/app.py", b"print('hi')\n");
        write("README.md", b"# Title\n");
        write(".hidden/secret.py", b"x = 1\n");
        write("node_modules/lib.js", b"var x;\n");
        write(".venv/lib/site.py", b"x = 1\n");
        write("build/out.py", b"x = 1\n");
        write(".gitignore", b"build/\n");
        write("blob.py", b"abc\0def");
        write("big.txt", &vec![b'a'; 2000]);
        write("image.bin", b"\x89PNG");
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("src/loop")).unwrap();
        let (found, skipped) = discover(
            &[root.to_path_buf()],
            &DiscoverConfig {
                max_file_bytes: 1000,
                ..DiscoverConfig::default()
            },
        );
        let names: Vec<String> = found
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["README.md", "src/app.py"]);
        let reasons: Vec<(String, String)> = skipped
            .iter()
            .map(|s| {
                (
                    s.path.file_name().unwrap().to_string_lossy().into_owned(),
                    s.reason.clone(),
                )
            })
            .collect();
        assert!(
            reasons
                .iter()
                .any(|(n, r)| n == "blob.py" && r.contains("binary")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|(n, r)| n == "big.txt" && r.contains("limit")),
            "{reasons:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_listed_as_skipped_and_never_opened() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("x.py");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        // Opening the FIFO would block this test forever.
        let (found, skipped) = discover(&[tmp.path().to_path_buf()], &DiscoverConfig::default());
        assert!(found.is_empty());
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(skipped[0].reason.contains("FIFO"), "{skipped:?}");
        let err = require_regular_file(&fifo).unwrap_err().to_string();
        assert!(err.contains("FIFO"), "{err}");
    }

    #[test]
    fn a_scoped_walk_applies_the_same_rules_and_stays_in_scope() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let write = |rel: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x = 1\n").unwrap();
        };
        write("a/one.py");
        write("a/two.py");
        write("b/three.py");
        write("b/ignored/four.py");
        write(".git/hooks/five.py");
        write("node_modules/six.py");
        std::fs::write(root.join(".gitignore"), b"ignored/\n").unwrap();
        let config = DiscoverConfig::default();
        let names = |targets: &[&str]| -> Vec<String> {
            let targets: Vec<PathBuf> = targets.iter().map(|t| root.join(t)).collect();
            let (found, _) = discover_within(&[root.to_path_buf()], Some(&targets), &config);
            found
                .iter()
                .map(|f| {
                    f.path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        };
        assert_eq!(names(&["a/two.py"]), ["a/two.py"]);
        assert_eq!(names(&["a"]), ["a/one.py", "a/two.py"]);
        assert_eq!(names(&["b"]), ["b/three.py"]);
        assert!(names(&["b/ignored/four.py"]).is_empty());
        assert!(names(&[".git/hooks/five.py"]).is_empty());
        assert!(names(&["node_modules/six.py"]).is_empty());
        assert!(names(&["gone.py"]).is_empty());
    }
}
