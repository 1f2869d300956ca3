//! `plait ask` end to end through the binary: the CLI (streamed text, `--json`), `POST
//! /ask` on `plait serve` (streamed newline-delimited JSON, a client that goes away
//! mid-answer), the MCP `ask` tool, and bad input. SmolLM2-135M answers (a user roles
//! file), on one thread, one test at a time.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
    pub mod cli;
    pub mod mcp;
    pub mod server;
}

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
use support::cli::{plait, stderr, stdout};
use support::mcp::{payload, Mcp};
use support::{assets, server};

static SERIAL: Mutex<()> = Mutex::new(());

/// A small corpus (the quick-start sample's code and README), ingested, and a roles
/// file making SmolLM2-135M the answering role on one thread.
fn setup(tmp: &Path) -> (PathBuf, PathBuf) {
    let corpus = tmp.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    let sample = assets::asset("samples/quickstart");
    for f in ["code/papersizes.py", "code/pagerange.py", "docs/README.md"] {
        let from = sample.join(f);
        std::fs::copy(&from, corpus.join(from.file_name().unwrap())).unwrap();
    }
    let idx = tmp.join("idx");
    support::cli::ingest(&corpus, &idx);
    let roles = tmp.join("roles.toml");
    std::fs::write(
        &roles,
        r#"format_version = 1
[roles.frontdoor]
model = "models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf"
context = 2048
threads = 1
max_tokens = 40
[roles.frontdoor.speculation]
kind = "lookup"
ngram_max = 4
ngram_min = 2
n_draft_max = 8
n_draft_min = 2
"#,
    )
    .unwrap();
    (idx, roles)
}

/// Every `[n]` of an answer names one of its sources, and every source has the search
/// hit's fields plus its number.
fn check_answer(a: &Value) {
    assert!(a["declined"].is_boolean(), "{a}");
    assert!(a["timings"]["retrieve_ms"].is_number(), "{a}");
    let sources = a["sources"].as_array().unwrap();
    assert!(!sources.is_empty(), "cited or closest sources: {a}");
    let numbers: Vec<u64> = sources
        .iter()
        .map(|s| s["number"].as_u64().unwrap())
        .collect();
    for s in sources {
        for field in [
            "index",
            "path",
            "start_line",
            "page",
            "kind",
            "score",
            "text",
        ] {
            assert!(s.get(field).is_some(), "{field} missing in {s}");
        }
    }
    let text = a["answer"].as_str().unwrap();
    for part in text.split('[').skip(1) {
        if let Some(Ok(n)) = part.split(']').next().map(str::parse::<u64>) {
            assert!(numbers.contains(&n), "[{n}] cites no listed source: {a}");
        }
    }
}

#[test]
fn the_cli_answers_with_checked_citations_or_declines() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let (idx, roles) = setup(tmp.path());
    let (idx, roles) = (idx.to_str().unwrap(), roles.to_str().unwrap());
    let o = plait(&[
        "ask",
        "code",
        "What are the dimensions of A4 paper in PaperSize?",
        "--index-dir",
        idx,
        "--roles",
        roles,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a: Value = serde_json::from_str(&stdout(&o)).unwrap();
    check_answer(&a);
    assert!(a["timings"]["generated_tokens"].as_u64().unwrap() > 0 || a["declined"] == true);

    // Text: the answer (or the decline), then one `[n] place` line per source.
    let o = plait(&[
        "ask",
        "What are the dimensions of A4 paper in PaperSize?",
        "--index-dir",
        idx,
        "--roles",
        roles,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let places: Vec<&str> = out.lines().filter(|l| l.starts_with('[')).collect();
    assert!(!places.is_empty(), "{out}");
    assert!(
        places.iter().all(|l| l.contains("papersizes.py:")
            || l.contains("pagerange.py:")
            || l.contains("README.md:")),
        "{out}"
    );
    assert!(
        stderr(&o).contains("plait ask: retrieval"),
        "{}",
        stderr(&o)
    );

    // Nothing in the corpus speaks to it: declined before any generation.
    let o = plait(&[
        "ask",
        "What is the boiling point of mercury in kelvin?",
        "--index-dir",
        idx,
        "--roles",
        roles,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(a["declined"], true, "{a}");
    assert_eq!(a["timings"]["generated_tokens"], 0, "{a}");
    check_answer(&a);
}

#[test]
fn bad_input_gets_one_line_errors() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("none");
    let roles = tmp.path().join("broken.toml");
    std::fs::write(
        &roles,
        "format_version = 1\n[roles.frontdoor]\nmodel = \"models/gguf/absent.gguf\"\ncontext = 2048\n",
    )
    .unwrap();
    let m = missing.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["ask", "   ", "--index-dir", m], "the query is empty"),
        (&["ask", "where?", "--index-dir", m], "no index"),
        (
            &["ask", "where?", "--index-dir", m, "--max-tokens", "0"],
            "max_tokens",
        ),
        (
            &["ask", "where?", "--index-dir", m, "--role", "nope"],
            "no index",
        ),
    ];
    for (args, want) in cases {
        let o = plait(args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("plait: error: ") && err.contains(want),
            "{args:?}: {err}"
        );
    }
    // A role that cannot run, over a real index.
    let corpus = tmp.path().join("c");
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::write(
        corpus.join("a.py"),
        "def page_size():\n    return (595, 842)\n",
    )
    .unwrap();
    let idx = tmp.path().join("idx");
    support::cli::ingest(&corpus, &idx);
    let o = plait(&[
        "ask",
        "what does page_size return?",
        "--index-dir",
        idx.to_str().unwrap(),
        "--roles",
        roles.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("cannot run") && err.contains("scripts/setup"),
        "{err}"
    );
    let o = plait(&[
        "ask",
        "what does page_size return?",
        "--index-dir",
        idx.to_str().unwrap(),
        "--role",
        "nope",
    ]);
    assert!(
        stderr(&o).contains("no model role named `nope`"),
        "{}",
        stderr(&o)
    );
}

/// The events of a chunked newline-delimited JSON body.
fn events(body: &str) -> Vec<Value> {
    let mut text = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        text.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn post_ask_streams_events_and_survives_a_client_that_goes_away() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let (idx, roles) = setup(tmp.path());
    let s = server::serve(&idx, &["--roles", roles.to_str().unwrap()]);
    let ask = |q: &str| json!({"query": q, "max_tokens": 24}).to_string();
    let post = |addr: &str, q: &str| server::http(addr, "POST", "/ask", ask(q).as_bytes(), None);

    let (status, body) = server::http(&s.code, "POST", "/ask", ask("   ").as_bytes(), None);
    assert_eq!(status, 400, "{body}");
    assert!(server::json(&body)["error"]
        .as_str()
        .unwrap()
        .contains("empty"));
    let (status, body) = server::http(
        &s.code,
        "POST",
        "/ask",
        b"{\"query\": \"x\", \"max_tokens\": 0}",
        None,
    );
    assert_eq!(status, 400, "{body}");

    let (status, body) = post(&s.code, "What are the dimensions of A4 paper in PaperSize?");
    assert_eq!(status, 200, "{body}");
    let ev = events(&body);
    let kinds: Vec<&str> = ev.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds.last(), Some(&"answer"), "{kinds:?}");
    let last = ev.last().unwrap();
    check_answer(last);
    if last["declined"] == false {
        assert_eq!(kinds[0], "sources");
        assert!(kinds.contains(&"token"), "{kinds:?}");
    }

    // The same question again starts from the kept session: its whole prompt is cached
    // (one token is evaluated again for the logits), so only decoding remains.
    let (status, body) = post(&s.code, "What are the dimensions of A4 paper in PaperSize?");
    assert_eq!(status, 200, "{body}");
    let again = events(&body).last().unwrap().clone();
    let prompt = again["timings"]["prompt_tokens"].as_u64().unwrap();
    let reused = again["timings"]["reused_prompt_tokens"].as_u64().unwrap();
    assert_eq!(
        prompt,
        last["timings"]["prompt_tokens"].as_u64().unwrap(),
        "{again}"
    );
    assert!(prompt > 0 && reused + 1 >= prompt, "{again}");

    // A client that reads the first bytes and goes away mid-answer.
    let mut c = TcpStream::connect(&s.code).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let q = ask("How are page ranges parsed from strings such as 1:3?");
    write!(
        c,
        "POST /ask HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{q}",
        s.code,
        q.len()
    )
    .unwrap();
    let mut first = [0u8; 64];
    let n = c.read(&mut first).unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    drop(c);

    // The server stays healthy and answers the next question.
    let (status, _) = server::http(&s.code, "GET", "/health", b"", None);
    assert_eq!(status, 200);
    let (status, body) = post(
        &s.docs,
        "How do I install pypdf with AES encryption support?",
    );
    assert_eq!(status, 200, "{body}");
    check_answer(events(&body).last().unwrap());
}

#[test]
fn the_mcp_ask_tool_answers() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let (idx, roles) = setup(tmp.path());
    let (mut mcp, _) = Mcp::start([
        OsStr::new("--index-dir"),
        idx.as_os_str(),
        OsStr::new("--roles"),
        roles.as_os_str(),
    ]);
    let r = mcp.tool(
        "ask",
        json!({"question": "What is the size of A4 paper?", "index": "code", "max_tokens": 24}),
    );
    assert_eq!(r["result"]["isError"], false, "{r}");
    let a = payload(&r);
    assert_eq!(a["event"], "answer");
    check_answer(&a);
    let r = mcp.tool("ask", json!({"question": " "}));
    assert_eq!(r["result"]["isError"], true, "{r}");
    let out = mcp.finish();
    assert!(out.status.success(), "{out:?}");
}
