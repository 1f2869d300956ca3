//! The damaged-index suite (issue 15): each kind of damage is found by `plait check`,
//! named with the fix, and `plait ingest --repair` gives search results equal to a
//! clean ingest.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
    pub mod cli;
}

use std::path::{Path, PathBuf};

use support::cli::{ingest, plait, stderr, stdout};

fn corpus(root: &Path) -> PathBuf {
    let dir = root.join("corpus");
    let write = |rel: &str, text: String| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let topics = [
        "page ranges",
        "font widths",
        "stream filters",
        "xref tables",
    ];
    for (i, t) in topics.iter().enumerate() {
        let name = t.replace(' ', "_");
        write(
            &format!("src/{name}.py"),
            format!(
                "\"\"\"Helpers for {t}.\"\"\"\n\n\ndef parse_{name}(text):\n    \"\"\"Parse {t} from text.\"\"\"\n    parts = text.split(',')\n    return [p.strip() for p in parts if p]\n\n\nclass {}Reader:\n    def read(self, stream, limit={i}):\n        data = stream.read(limit)\n        return data.decode('latin-1')\n",
                name.replace('_', "").to_uppercase()
            ),
        );
        write(
            &format!("notes/{name}.md"),
            format!("# Notes on {t}\n\nHow {t} work in PDF files, with examples.\n\n## Pitfalls\n\nBroken {t} are common in scanned documents.\n"),
        );
    }
    dir
}

/// Results of a few searches in both indexes and modes: (query, path, lines, score).
fn results(idx: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for mode in ["semantic", "lexical"] {
        for q in [
            "parse page ranges",
            "stream filters pitfalls",
            "read a stream",
        ] {
            let o = plait(&[
                "search",
                q,
                "--mode",
                mode,
                "-k",
                "5",
                "--json",
                "--index-dir",
                idx.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "search: {}", stderr(&o));
            for l in stdout(&o).lines() {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let path = v["path"].as_str().unwrap();
                let short = path.rsplit("corpus/").next().unwrap().to_string();
                out.push(format!(
                    "{mode} {q}: {short} {:?} {:?} {:.4}",
                    v["start_line"],
                    v["page"],
                    v["score"].as_f64().unwrap()
                ));
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

fn only(dir: &Path, prefix: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    found.sort();
    found.remove(0)
}

fn metadata(index: &Path) -> PathBuf {
    let current = std::fs::read_to_string(index.join("CURRENT")).unwrap();
    index.join(current.split_whitespace().next().unwrap())
}

/// One way to damage an index root: returns the path it damaged.
type Damage = fn(&Path) -> PathBuf;

/// Every kind of damage `plait check` must find and `--repair` must undo.
const DAMAGES: [(&str, Damage); 8] = [
    ("bad CURRENT", |idx| {
        let p = idx.join("code/CURRENT");
        std::fs::write(&p, "garbage\n").unwrap();
        p
    }),
    ("truncated metadata", |idx| {
        let p = metadata(&idx.join("docs"));
        let len = std::fs::metadata(&p).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(len / 2)
            .unwrap();
        p
    }),
    ("garbage npy", |idx| {
        let p = only(&idx.join("code"), "seg-").join("codes.npy");
        std::fs::write(&p, b"this is not an npy file").unwrap();
        p
    }),
    ("missing segment", |idx| {
        let p = only(&idx.join("docs"), "seg-");
        std::fs::remove_dir_all(&p).unwrap();
        p
    }),
    ("broken manifest.sqlite", |idx| {
        let p = idx.join("manifest.sqlite");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[..100].fill(0x5a);
        std::fs::write(&p, bytes).unwrap();
        p
    }),
    ("ivf.npy overwritten with 0xff", |idx| {
        let p = only(&idx.join("code"), "seg-").join("ivf.npy");
        let len = std::fs::metadata(&p).unwrap().len() as usize;
        std::fs::write(&p, vec![0xff; len]).unwrap();
        p
    }),
    ("dim edited to 7", |idx| {
        let p = metadata(&idx.join("docs"));
        let text = std::fs::read_to_string(&p).unwrap();
        let edited = text.replace("\"dim\": 384", "\"dim\": 7");
        assert_ne!(text, edited);
        std::fs::write(&p, edited).unwrap();
        p
    }),
    ("flipped byte in residuals", |idx| {
        let p = only(&idx.join("code"), "seg-").join("residuals.npy");
        let mut bytes = std::fs::read(&p).unwrap();
        let at = bytes.len() - 7;
        bytes[at] ^= 0x01;
        std::fs::write(&p, bytes).unwrap();
        p
    }),
];

#[test]
fn every_kind_of_damage_is_found_and_repair_matches_a_clean_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus(tmp.path());
    let clean = tmp.path().join("clean");
    ingest(&corpus, &clean);
    let expected = results(&clean);
    assert!(expected.len() > 10, "{expected:?}");

    for (i, (what, damage)) in DAMAGES.into_iter().enumerate() {
        let idx = tmp.path().join(format!("damaged-{i}"));
        copy_dir(&clean, &idx);
        let damaged = damage(&idx);
        let idx_s = idx.to_str().unwrap();
        let o = plait(&["check", "--index-dir", idx_s]);
        assert!(!o.status.success(), "{what}: check passed: {}", stdout(&o));
        let shown = damaged.to_string_lossy().replace(idx_s, "");
        assert!(
            stdout(&o).contains(&*shown) && stdout(&o).contains("--repair"),
            "{what}: the report does not name {shown} and the fix: {}",
            stdout(&o)
        );
        let o = plait(&[
            "ingest",
            corpus.to_str().unwrap(),
            "--index-dir",
            idx_s,
            "--repair",
        ]);
        assert!(o.status.success(), "{what}: repair failed: {}", stderr(&o));
        assert!(
            stderr(&o).contains("moved the damaged"),
            "{what}: {}",
            stderr(&o)
        );
        let o = plait(&["check", "--index-dir", idx_s]);
        assert!(o.status.success(), "{what}: still damaged: {}", stdout(&o));
        assert_eq!(
            results(&idx),
            expected,
            "{what}: results differ from a clean ingest"
        );
    }
}

#[test]
fn a_damaged_index_is_named_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus(tmp.path());
    let idx = tmp.path().join("idx");
    ingest(&corpus, &idx);
    let seg = only(&idx.join("code"), "seg-");
    std::fs::remove_dir_all(&seg).unwrap();
    for args in [
        vec!["search", "parse page ranges"],
        vec!["ingest", corpus.to_str().unwrap()],
    ] {
        let mut args = args.clone();
        args.extend(["--index-dir", idx.to_str().unwrap()]);
        let o = plait(&args);
        assert!(!o.status.success(), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(&*seg.to_string_lossy()), "{err}");
        assert!(
            err.contains("--repair") && err.contains("plait check"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
