//! End-to-end tests of the `plait` binary: help, doctor, and commands not landed yet.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::assets;

fn plait(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(args)
        .env("PLAIT_HOME", home)
        .output()
        .expect("run plait")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The stdout of a `--json` search: one JSON object per line.
fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The command names of `plait --help`'s "Commands:" list (without `help`).
fn help_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// The commands of README's command block (the fenced block under "## Commands"): the
/// word after `plait` on each line that starts with it.
fn readme_commands(readme: &str) -> Vec<String> {
    let block: Vec<&str> = readme
        .lines()
        .skip_while(|l| l.trim() != "## Commands")
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .collect();
    let mut cmds: Vec<String> = Vec::new();
    for l in block {
        let Some(rest) = l.strip_prefix("plait ") else {
            continue;
        };
        let cmd = rest
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        if !cmds.contains(&cmd) {
            cmds.push(cmd);
        }
    }
    cmds
}

#[test]
fn help_and_readme_list_the_same_commands() {
    let o = plait(&["--help"], &assets::home());
    assert!(o.status.success());
    let mut help = help_commands(&stdout(&o));
    assert!(
        help.len() >= 10,
        "no command list in --help:\n{}",
        stdout(&o)
    );
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut listed = readme_commands(&readme);
    help.sort();
    listed.sort();
    assert_eq!(
        help, listed,
        "README's command block and `plait --help` differ"
    );
}

#[test]
fn doctor_verifies_every_asset_and_loads_the_runtimes() {
    let o = plait(&["doctor", "--json"], &assets::home());
    assert!(o.status.success(), "doctor failed:\n{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["problems"], 0);
    let assets = report["assets"].as_array().unwrap();
    assert!(assets.len() >= 30);
    for a in assets {
        assert_eq!(a["status"], "ok", "{a}");
    }
    let runtimes = report["runtimes"].as_array().unwrap();
    let names: Vec<&str> = runtimes
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["onnxruntime+encoder", "pdfium", "llama.cpp"]);
    assert!(runtimes.iter().all(|r| r["ok"] == true), "{runtimes:?}");
}

/// ONNX Runtime 1.31 collects usage telemetry on Linux (queued in an SQLite file under
/// the user's cache directory, sent to Microsoft where there is a network) unless
/// `ORT_DISABLE_TELEMETRY` is set: a plait process loading the runtime leaves nothing in
/// the user's home.
#[test]
fn the_onnx_runtime_writes_no_telemetry_into_the_users_home() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(["doctor", "--json"])
        .env("PLAIT_HOME", assets::home())
        .env("HOME", tmp.path())
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .env_remove("ORT_DISABLE_TELEMETRY")
        .output()
        .unwrap();
    assert!(o.status.success(), "doctor failed:\n{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["runtimes"][0]["name"], "onnxruntime+encoder");
    assert_eq!(report["runtimes"][0]["ok"], true, "{report}");
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            }
            out.push(p);
        }
    }
    let mut left = Vec::new();
    files(tmp.path(), &mut left);
    assert!(left.is_empty(), "written into the home: {left:?}");
}

/// A copy of the assets directory made of symlinks, so single files can be broken.
fn linked_home(tmp: &Path) -> PathBuf {
    fn link(src: &Path, dst: &Path) {
        std::fs::create_dir_all(dst).unwrap();
        for e in std::fs::read_dir(src).unwrap() {
            let e = e.unwrap();
            let to = dst.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                link(&e.path(), &to);
            } else {
                std::os::unix::fs::symlink(e.path(), &to).unwrap();
            }
        }
    }
    let home = tmp.join("home");
    link(&assets::home(), &home);
    home
}

#[test]
fn doctor_names_a_missing_asset_and_a_bad_checksum_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let home = linked_home(tmp.path());
    let onnx = home.join("models/ocr/ppocrv4/cls.onnx");
    std::fs::remove_file(&onnx).unwrap();
    let txt = home.join("fixtures/ocrmypdf/linn.txt");
    std::fs::remove_file(&txt).unwrap();
    std::fs::write(&txt, "tampered").unwrap();

    let o = plait(&["doctor", "--files-only"], &home);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("cls.onnx is missing"), "{err}");
    assert!(err.contains("linn.txt has sha256"), "{err}");
    assert!(err.contains("2 problem(s)"), "{err}");
    assert!(err.contains("scripts/setup"), "{err}");
    let out = stdout(&o);
    assert!(
        out.contains("missing") && out.contains("bad checksum"),
        "{out}"
    );
}

#[test]
fn an_empty_assets_directory_fails_with_the_setup_command() {
    let tmp = tempfile::tempdir().unwrap();
    let o = plait(&["doctor", "--json", "--files-only"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let n = report["assets"].as_array().unwrap().len();
    assert_eq!(report["problems"], n);
    assert!(stderr(&o).contains("run `scripts/setup`"));
}

#[test]
fn doctor_reports_a_runtime_that_cannot_load() {
    let tmp = tempfile::tempdir().unwrap();
    let home = linked_home(tmp.path());
    let lib = home.join(assets::pinned("onnxruntime"));
    std::fs::remove_file(&lib).unwrap();
    std::fs::write(&lib, b"not a shared library").unwrap();
    let o = plait(&["doctor", "--json"], &home);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ort = &report["runtimes"][0];
    assert_eq!(ort["ok"], false);
    assert!(
        ort["detail"].as_str().unwrap().contains("libonnxruntime"),
        "{ort}"
    );
}

#[test]
fn ingest_then_search_finds_code_and_docs_and_reingest_encodes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    let sample = assets::asset("samples/quickstart");
    let idx_s = idx.to_str().unwrap();
    let sample_s = sample.to_str().unwrap();
    let home = assets::home();

    let o = plait(&["ingest", sample_s, "--index-dir", idx_s, "--json"], &home);
    assert!(o.status.success(), "{}", stderr(&o));
    let first: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(first["files_added"], 10, "{first}");
    assert!(first["chunks_encoded"].as_u64().unwrap() > 50, "{first}");

    let o = plait(&["ingest", sample_s, "--index-dir", idx_s, "--json"], &home);
    let second: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(second["chunks_encoded"], 0, "{second}");
    assert_eq!(second["files_unchanged"], 10, "{second}");

    let o = plait(
        &[
            "search",
            "code",
            "parse a page range like 1:3",
            "--index-dir",
            idx_s,
            "--json",
            "-k",
            "3",
        ],
        &home,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let hits = json_lines(&o);
    assert_eq!(hits.len(), 3);
    assert!(
        hits[0]["path"].as_str().unwrap().ends_with("pagerange.py"),
        "{hits:?}"
    );
    assert!(hits.iter().all(|h| h["index"] == "code"));

    assert!(first["warnings"].as_array().unwrap().is_empty(), "{first}");
    docs_text_and_scanned_pages_are_found(idx_s, &home);
    methods_show_their_symbol_and_container(idx_s, &home);
    filters_keep_only_matching_locations(idx_s, &home);

    let o = plait(
        &[
            "search",
            "anything",
            "--index-dir",
            tmp.path().join("none").to_str().unwrap(),
        ],
        &home,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("plait ingest"), "{}", stderr(&o));
}

/// The docs index finds a text PDF's page and the OCR'd page of the scanned linn.pdf.
fn docs_text_and_scanned_pages_are_found(idx_s: &str, home: &Path) {
    let o = plait(
        &[
            "search",
            "docs",
            "siege of Vicksburg",
            "--index-dir",
            idx_s,
            "--json",
            "-k",
            "3",
        ],
        home,
    );
    let hits = json_lines(&o);
    assert!(
        hits[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("Seige_of_Vicksburg_Sample_OCR.pdf"),
        "{hits:?}"
    );
    assert!(hits[0]["page"].as_u64().is_some());

    // The scanned linn.pdf has no text layer: its page was OCR'd and is searchable.
    let o = plait(
        &[
            "search",
            "docs",
            "32 track MIDI sequence recorder",
            "--index-dir",
            idx_s,
            "--json",
            "-k",
            "1",
        ],
        home,
    );
    let hits = json_lines(&o);
    assert!(
        hits[0]["path"].as_str().unwrap().ends_with("linn.pdf"),
        "{hits:?}"
    );
    assert_eq!(hits[0]["page"], 1);
    assert!(hits[0]["text"].as_str().unwrap().contains("Sequence"));
}

/// The sample's Rust and Go files: a method's symbol and its container, in the JSON and
/// in the text output alike.
fn methods_show_their_symbol_and_container(idx_s: &str, home: &Path) {
    for (lang, query, container) in [
        (
            "rust",
            "add a glob to the override builder",
            "OverrideBuilder",
        ),
        ("go", "get the duration value of a flag by name", "FlagSet"),
    ] {
        let args = [
            "search",
            "code",
            query,
            "--index-dir",
            idx_s,
            "--lang",
            lang,
            "-k",
            "3",
        ];
        let o = plait(&[&args[..], &["--json"]].concat(), home);
        assert!(o.status.success(), "{}", stderr(&o));
        let hits = json_lines(&o);
        assert!(!hits.is_empty(), "{lang}");
        assert!(hits.iter().all(|h| h["language"] == lang), "{hits:?}");
        let method = hits
            .iter()
            .find(|h| h["container"] == container)
            .unwrap_or_else(|| panic!("no {lang} hit in {container}: {hits:?}"));
        let symbol = method["symbol"].as_str().unwrap();
        assert!(symbol.starts_with(container), "{method}");
        let o = plait(&args, home);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains(&format!("{symbol} (in {container})")),
            "{text}"
        );
    }
}

/// Filters: a path glob and a language keep only matching locations.
fn filters_keep_only_matching_locations(idx_s: &str, home: &Path) {
    let o = plait(
        &[
            "search",
            "code",
            "parse a page range",
            "--index-dir",
            idx_s,
            "--json",
            "--path",
            "*/filters.py",
        ],
        home,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let hits = json_lines(&o);
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h["path"].as_str().unwrap().ends_with("/filters.py")),
        "{hits:?}"
    );
    let o = plait(
        &[
            "search",
            "siege",
            "--index-dir",
            idx_s,
            "--json",
            "--lang",
            "python",
        ],
        home,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let hits = json_lines(&o);
    assert!(
        !hits.is_empty() && hits.iter().all(|h| h["index"] == "code"),
        "{hits:?}"
    );
}

/// (index, path, lines, page, text) of one chunk location.
type Location = (
    String,
    String,
    Option<(usize, usize)>,
    Option<usize>,
    String,
);

/// Everything a clean ingest records: (index, path, lines, page, text) per location,
/// plus whether every index holds exactly the manifest's contents.
fn snapshot(idx: &Path) -> Vec<Location> {
    let m = plait_ingest::manifest::Manifest::open(idx).unwrap();
    let mut out = Vec::new();
    for name in [plait_ingest::CODE, plait_ingest::DOCS] {
        let Ok(index) = plait_colbert::Index::open(&idx.join(name)) else {
            continue;
        };
        let (_, contents) = m.counts(name).unwrap();
        assert_eq!(
            index.num_documents(),
            contents,
            "{name}: index and manifest disagree"
        );
        for k in index.keys() {
            let chunks = m.chunks_of(name, k).unwrap();
            assert!(!chunks.is_empty(), "{name}: document {k} has no location");
            for c in chunks {
                out.push((
                    name.to_string(),
                    c.path.display().to_string(),
                    c.lines,
                    c.page,
                    c.text,
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn killing_ingest_at_any_point_then_rerunning_matches_a_clean_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    for name in ["filters.py", "_utils.py", "pagerange.py"] {
        let src =
            std::fs::read_to_string(assets::asset(&format!("samples/quickstart/code/{name}")))
                .unwrap();
        for v in 0..3 {
            // Distinct contents per copy, so every copy is encoded.
            let text = src.replace("def ", &format!("def v{v}_"));
            std::fs::write(corpus.join(format!("v{v}_{name}")), text).unwrap();
        }
    }
    let home = assets::home();
    let corpus_s = corpus.to_str().unwrap();
    let clean = tmp.path().join("clean");
    let started = std::time::Instant::now();
    let o = plait(
        &["ingest", corpus_s, "--index-dir", clean.to_str().unwrap()],
        &home,
    );
    let full = started.elapsed();
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = snapshot(&clean);
    assert!(expected.len() > 300, "{} chunks", expected.len());

    let crashed = tmp.path().join("crashed");
    let crashed_s = crashed.to_str().unwrap();
    // Kills spread over a clean run's duration: during model loading, encoding, and
    // between index and manifest commits.
    for fraction in [0.3, 0.55, 0.8, 0.95] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_plait"))
            .args(["ingest", corpus_s, "--index-dir", crashed_s])
            .env("PLAIT_HOME", &home)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let m = plait_ingest::manifest::Manifest::open(&crashed).unwrap();
        eprintln!(
            "killed at {fraction} of {full:?}: {} code contents recorded",
            m.counts(plait_ingest::CODE).unwrap().1
        );
    }
    let o = plait(
        &["ingest", corpus_s, "--index-dir", crashed_s, "--json"],
        &home,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        snapshot(&crashed),
        expected,
        "a killed and resumed ingest differs from a clean one"
    );
    // And the resumed index is complete: another run has nothing to do.
    let o = plait(
        &["ingest", corpus_s, "--index-dir", crashed_s, "--json"],
        &home,
    );
    let again: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(again["chunks_encoded"], 0, "{again}");
}

/// Code in languages other than Python is chunked along its syntax tree: search shows
/// each hit's symbol and container (JSON and text), `--lang` takes the new names, and a
/// script without an extension is recognised by its shebang.
#[test]
fn search_shows_symbol_and_container_for_every_language() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    std::fs::create_dir_all(corpus.join("bin")).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/code");
    for (from, to) in [
        ("go/pflag_flag.go", "flag.go"),
        ("ruby/thor_command.rb", "command.rb"),
        ("rust/memmap2_lib.rs", "lib.rs"),
        ("shell/dpkg-maintscript-helper.sh", "bin/maintscript"),
    ] {
        std::fs::copy(fixtures.join(from), corpus.join(to)).unwrap();
    }
    let idx = tmp.path().join("idx");
    let (corpus_s, idx_s) = (corpus.to_str().unwrap(), idx.to_str().unwrap());
    let home = assets::home();
    let o = plait(&["ingest", corpus_s, "--index-dir", idx_s, "--json"], &home);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["files_added"], 4, "{report}");

    let search = |query: &str, lang: &str, json: bool| {
        let mut args = vec![
            "search",
            "code",
            query,
            "--index-dir",
            idx_s,
            "--lang",
            lang,
        ];
        if json {
            args.push("--json");
        }
        let o = plait(&args, &home);
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    let hits = json_lines(&search("look up a flag by its name", "go", true));
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["language"] == "go"), "{hits:?}");
    assert!(
        hits.iter().any(|h| h["container"] == "FlagSet"
            && h["symbol"]
                .as_str()
                .is_some_and(|s| s.starts_with("FlagSet."))),
        "{hits:?}"
    );
    let hits = json_lines(&search("run the command with its arguments", "ruby", true));
    assert!(
        hits.iter().any(|h| h["container"]
            .as_str()
            .is_some_and(|c| c.starts_with("Thor"))),
        "{hits:?}"
    );
    let text = String::from_utf8(search("look up a flag by its name", "go", false).stdout).unwrap();
    assert!(text.contains("(in FlagSet)"), "{text}");
    let hits = json_lines(&search("remove an obsolete conffile", "shell", true));
    assert!(
        hits.iter()
            .any(|h| h["path"].as_str().unwrap().ends_with("bin/maintscript")
                && h["symbol"].is_string()),
        "{hits:?}"
    );
}
