//! End-to-end hardening tests of the `plait` binary (issue 15): inputs without bounds,
//! hostile file names, special files, legacy encodings, one rule for `k` and `--lang`,
//! read-only commands, error text and a full disk.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
    pub mod cli;
    pub mod pdf;
}

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::assets;
use support::cli::{ingest, plait, search_json, spawn, stderr, stdout};

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Waits for a child at most `limit`; kills it and fails when it takes longer.
fn wait_at_most(
    mut child: std::process::Child,
    limit: Duration,
    what: &str,
) -> std::process::Output {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_long_single_line_is_cut_into_bounded_chunks_and_search_prints_little() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    // 400 KB of minified JavaScript on one line, a rare word in its first 64 KB.
    let mut line = String::new();
    let mut i = 0;
    while line.len() < 400_000 {
        line.push_str(&format!("var a{i}=function(b){{return b*{i}+1}};"));
        if i == 800 {
            line.push_str("var zanzibarquokka=42;");
        }
        i += 1;
    }
    write(&dir.join("bundle.min.js"), line.as_bytes());
    let idx = tmp.path().join("idx");
    let o = ingest(&dir, &idx);
    assert!(
        stderr(&o).contains("minified or generated") && stderr(&o).contains("only its first 65536"),
        "{}",
        stderr(&o)
    );
    let hits = search_json(
        &idx,
        &["code", "zanzibarquokka", "--mode", "lexical", "-k", "5"],
    );
    assert!(!hits.is_empty());
    assert!(hits[0]["text"].as_str().unwrap().contains("zanzibarquokka"));
    for h in &hits {
        let text = h["text"].as_str().unwrap();
        assert!(
            text.chars().count() <= 2_000,
            "a chunk of {} characters",
            text.len()
        );
        assert_eq!(
            (h["start_line"].as_u64(), h["end_line"].as_u64()),
            (Some(1), Some(1))
        );
    }
    let o = plait(&[
        "search",
        "code",
        "zanzibarquokka",
        "-k",
        "5",
        "--index-dir",
        idx.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        o.stdout.len() < 20_000,
        "search printed {} bytes",
        o.stdout.len()
    );
}

#[test]
fn file_names_and_text_cannot_steer_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs");
    let clear = "bad\x1b[2J\x1b[Hclear.md";
    let title = "title\x1b]0;pwned\x07\x1b[31m.md";
    write(
        &dir.join(clear),
        b"# Okapi\n\nThe okapi is a forest giraffe \x1b[5mblinking\x1b[0m.\n",
    );
    write(
        &dir.join(title),
        b"# Okapi notes\n\nokapi forest giraffe stripes\n",
    );
    write(
        &dir.join("two\nlines.md"),
        b"# Okapi\n\nokapi giraffe again\n",
    );
    write(&dir.join("broken\x1b[2J.pdf"), b"not a pdf at all");
    let idx = tmp.path().join("idx");
    let o = plait(&[
        "ingest",
        dir.to_str().unwrap(),
        "--index-dir",
        idx.to_str().unwrap(),
    ]);
    let all = [o.stdout.clone(), o.stderr.clone()].concat();
    assert!(
        stderr(&o).contains("broken"),
        "the bad PDF is reported: {}",
        stderr(&o)
    );
    assert!(
        !all.contains(&0x1b) && !all.contains(&0x07),
        "{}",
        String::from_utf8_lossy(&all)
    );

    let o = plait(&[
        "search",
        "docs",
        "okapi forest giraffe",
        "--mode",
        "lexical",
        "--index-dir",
        idx.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("okapi"), "{out}");
    assert!(
        !o.stdout.contains(&0x1b) && !o.stdout.contains(&0x07),
        "{out}"
    );
    // The name with a newline stays on one line.
    assert!(out.contains("two\\nlines.md"), "{out}");

    // JSON keeps the exact names.
    let hits = search_json(&idx, &["docs", "okapi forest giraffe", "--mode", "lexical"]);
    let names: Vec<String> = hits
        .iter()
        .map(|h| {
            Path::new(h["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for n in [clear, title, "two\nlines.md"] {
        assert!(names.iter().any(|x| x == n), "{n:?} not in {names:?}");
    }
}

#[test]
fn an_error_names_each_cause_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    write(&dir.join("a.py"), b"x = 1\n");
    let file = tmp.path().join("plain-file");
    write(&file, b"not a folder");
    let o = plait(&[
        "ingest",
        dir.to_str().unwrap(),
        "--index-dir",
        file.join("idx").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches("(os error 20)").count(), 1, "{err}");
}

#[test]
fn special_files_are_listed_as_skipped_and_never_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    write(&dir.join("a.py"), b"def real():\n    return 1\n");
    let fifo = dir.join("x.py");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let idx = tmp.path().join("idx");
    let child = spawn([
        OsStr::new("ingest"),
        dir.as_os_str(),
        OsStr::new("--index-dir"),
        idx.as_os_str(),
    ]);
    let o = wait_at_most(
        child,
        Duration::from_secs(120),
        "plait ingest beside a FIFO",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.contains("skipped") && l.contains("x.py") && l.contains("FIFO")),
        "{out}"
    );

    let pdf_fifo = tmp.path().join("scan.pdf");
    assert!(Command::new("mkfifo")
        .arg(&pdf_fifo)
        .status()
        .unwrap()
        .success());
    let child = spawn([OsStr::new("ocr"), pdf_fifo.as_os_str()]);
    let o = wait_at_most(child, Duration::from_secs(60), "plait ocr on a FIFO");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
}

#[test]
fn k_and_languages_follow_one_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    write(
        &dir.join("a.py"),
        b"def parse_range(text):\n    return text.split('-')\n",
    );
    let idx = tmp.path().join("idx");
    ingest(&dir, &idx);
    let idx_s = idx.to_str().unwrap();
    let o = plait(&["search", "parse range", "-k", "0", "--index-dir", idx_s]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("`k` must be at least 1"),
        "{}",
        stderr(&o)
    );
    let o = plait(&[
        "search",
        "parse range",
        "--lang",
        "klingon",
        "--index-dir",
        idx_s,
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown language `klingon`"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("python"), "{}", stderr(&o));
    // Case does not matter; a k above the cap is capped.
    let hits = search_json(&idx, &["parse range", "--lang", "Python", "-k", "5000"]);
    assert_eq!(hits.len(), 1);
}

#[test]
fn read_only_commands_create_no_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-index");
    let o = plait(&[
        "search",
        "anything",
        "--index-dir",
        missing.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no index in"), "{}", stderr(&o));
    assert!(!missing.exists(), "search created {}", missing.display());

    let child = spawn([
        OsStr::new("serve"),
        OsStr::new("--code-port"),
        OsStr::new("0"),
        OsStr::new("--docs-port"),
        OsStr::new("0"),
        OsStr::new("--index-dir"),
        missing.as_os_str(),
    ]);
    let o = wait_at_most(
        child,
        Duration::from_secs(60),
        "plait serve on a missing index",
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no index in"), "{}", stderr(&o));
    assert!(!missing.exists(), "serve created {}", missing.display());
}

#[test]
fn ocr_refuses_pages_beyond_the_end_and_skips_blank_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let three = tmp.path().join("three.pdf");
    write(&three, &support::pdf::tiny_pdf(&[(612.0, 792.0); 3]));
    let o = plait(&["ocr", three.to_str().unwrap(), "--pages", "999999"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("has 3 page(s)"), "{}", stderr(&o));

    // Blank pages are seen blank before any rendering or OCR.
    let blank = tmp.path().join("blank.pdf");
    write(&blank, &support::pdf::tiny_pdf(&[(612.0, 792.0); 300]));
    let o = plait(&["ocr", blank.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pages: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(pages.len(), 300);
    assert!(
        pages.iter().all(|p| p["source"] == "blank"),
        "{:?}",
        pages[0]
    );
}

#[test]
fn legacy_encodings_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    write(
        &dir.join("latin1.py"),
        b"# -*- coding: latin-1 -*-\ndef caf\xe9_quokka():\n    return 'd\xe9j\xe0 vu'\n",
    );
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            "def wombat_utf16():\n    return 'wide'\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    write(&dir.join("wide.py"), &utf16);
    let idx = tmp.path().join("idx");
    let o = ingest(&dir, &idx);
    assert!(!stderr(&o).contains("latin1.py"), "{}", stderr(&o));
    assert!(!stdout(&o).contains("wide.py"), "{}", stdout(&o));
    let hits = search_json(&idx, &["code", "wombat_utf16", "--mode", "lexical"]);
    assert!(
        hits[0]["path"].as_str().unwrap().ends_with("wide.py"),
        "{hits:?}"
    );
    let hits = search_json(&idx, &["code", "quokka", "--mode", "lexical"]);
    assert!(
        hits[0]["text"].as_str().unwrap().contains("déjà vu"),
        "{hits:?}"
    );
}

#[test]
fn mcp_answers_bad_lines_with_parse_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    let mut child = spawn([
        OsStr::new("mcp"),
        OsStr::new("--index-dir"),
        idx.as_os_str(),
    ]);
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"meth\nthis is not json\n{\"id\": 9}\n")
        .unwrap();
    drop(stdin);
    let o = wait_at_most(child, Duration::from_secs(60), "plait mcp");
    let mut answers: Vec<serde_json::Value> = Vec::new();
    for line in stdout(&o).lines() {
        answers.push(serde_json::from_str(line).unwrap());
    }
    let codes: Vec<i64> = answers
        .iter()
        .map(|a| a["error"]["code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [-32700, -32700, -32600], "{answers:?}");
    assert_eq!(answers[2]["id"], 9);
}

#[test]
fn a_full_disk_says_so_once_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small");
    write(
        &small.join("okapi.md"),
        b"# Okapi\n\nThe okapi is a forest giraffe.\n",
    );
    let big = tmp.path().join("big");
    for f in 0..40 {
        let mut text = String::new();
        for p in 0..60 {
            text.push_str(&format!(
                "Paragraph {p} of file {f}: unique words w{f}x{p}a w{f}x{p}b w{f}x{p}c about nothing.\n\n"
            ));
        }
        write(&big.join(format!("n{f}.md")), text.as_bytes());
    }
    let idx = tmp.path().join("idx");
    std::fs::create_dir_all(&idx).unwrap();
    let bin = env!("CARGO_BIN_EXE_plait");
    // A private mount namespace with a 1.5 MB tmpfs as the index root: the first ingest
    // fits, the second fills the disk; the search after it must still find the first.
    let script = format!(
        "mount -t tmpfs -o size=1536k tmpfs '{idx}' || exit 97
         '{bin}' ingest '{small}' --index-dir '{idx}' > /dev/null 2>&1 || exit 98
         '{bin}' ingest '{small}' '{big}' --index-dir '{idx}' 2> '{err}'
         echo \"second ingest: $?\" >> '{err}'
         '{bin}' search docs okapi giraffe --mode lexical --json --index-dir '{idx}'",
        idx = idx.display(),
        small = small.display(),
        big = big.display(),
        err = tmp.path().join("err.txt").display(),
    );
    let o = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &script])
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap();
    let err = std::fs::read_to_string(tmp.path().join("err.txt")).unwrap_or_default();
    assert!(
        o.status.success(),
        "status {:?}: {} / {err}",
        o.status,
        stderr(&o)
    );
    assert!(err.contains("second ingest: 1"), "{err}");
    assert!(err.contains("the disk is full"), "{err}");
    assert!(
        err.contains("everything committed before it is intact"),
        "{err}"
    );
    assert!(!err.contains("corrupt"), "{err}");
    assert!(err.matches("os error 28").count() <= 1, "{err}");
    let out = stdout(&o);
    assert!(out.contains("okapi.md"), "the first ingest is lost: {out}");
}

#[test]
fn long_pdfs_report_their_page_count_and_progress_and_blank_pages_cost_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        assets::asset("fixtures/ocrmypdf/multipage.pdf"),
        dir.join("multipage.pdf"),
    )
    .unwrap();
    write(
        &dir.join("blank.pdf"),
        &support::pdf::tiny_pdf(&[(612.0, 792.0); 2000]),
    );
    let idx = tmp.path().join("idx");
    let o = ingest(&dir, &idx);
    let err = stderr(&o);
    // Without a terminal, plain progress lines: the page count of each PDF, and done.
    let finished: Vec<(usize, usize)> = err
        .lines()
        .filter_map(|l| l.strip_prefix("plait ingest: PDF pages read "))
        .filter_map(|r| {
            let (a, b) = r.split_once('/')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect();
    assert!(finished.contains(&(2000, 2000)), "{err}");
    assert!(
        finished.iter().any(|&(d, t)| d == t && t > 1 && t < 2000),
        "{err}"
    );
    assert!(
        err.contains("blank.pdf: page(s) 1-2000 have no readable text"),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_ends_search_quietly_with_success() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    for i in 0..30 {
        write(
            &dir.join(format!("m{i}.py")),
            format!("def parse_range_{i}(text):\n    return text.split('-')\n").as_bytes(),
        );
    }
    let idx = tmp.path().join("idx");
    ingest(&dir, &idx);
    let mut child = spawn([
        "search",
        "parse range",
        "-k",
        "30",
        "--index-dir",
        idx.to_str().unwrap(),
    ]);
    // The reader goes away before plait writes anything (`plait search ... | head -0`).
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}
