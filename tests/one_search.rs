//! One search, four doors: the CLI, the HTTP servers, the MCP tools and `plait eval`
//! answer the same query and options with the same hits on the same index.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
    pub mod cli;
    pub mod mcp;
    pub mod server;
}

use std::path::Path;

use serde_json::{json, Value};
use support::assets;
use support::cli::{ingest, plait, search_json, stderr};
use support::mcp::{payload, Mcp};
use support::server::{search, serve, Server};

/// (index, query) pairs: code and docs, prose and identifiers.
const QUERIES: [(&str, &str); 4] = [
    ("code", "parse a page range like 1:3"),
    ("code", "paper sizes"),
    ("docs", "siege of Vicksburg"),
    ("docs", "ulysses grant army river"),
];
const MODES: [&str; 3] = ["semantic", "lexical", "hybrid"];
const K: usize = 5;

/// The hits of an MCP `search_code` or `search_docs` call.
fn mcp_search(mcp: &mut Mcp, index: &str, args: Value) -> Value {
    let r = mcp.tool(&format!("search_{index}"), args);
    assert_eq!(r["result"]["isError"], false, "{r}");
    payload(&r)
}

#[test]
fn cli_http_mcp_and_eval_return_identical_hits() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    let corpus = assets::asset("samples/quickstart");
    ingest(&corpus, &idx);

    let eval = eval_json(tmp.path(), &corpus, &idx);

    let server = serve(&idx, &[]);
    let (mut mcp, _) = Mcp::start(["--index-dir", idx.to_str().unwrap()]);
    let mut compared = 0;
    for mode in MODES {
        for (qi, (index, text)) in QUERIES.iter().enumerate() {
            let k = K.to_string();
            let cli: Vec<Value> = search_json(&idx, &[index, text, "-k", &k, "--mode", mode]);
            assert!(!cli.is_empty(), "{mode} {text}: no hits");
            assert!(cli.iter().all(|h| h["index"] == *index));

            let addr = if *index == "code" {
                &server.code
            } else {
                &server.docs
            };
            let (status, http) = search(addr, json!({"query": text, "k": K, "mode": mode}));
            assert_eq!(status, 200, "{http}");
            assert_eq!(
                http["results"].as_array().unwrap(),
                &cli,
                "HTTP {mode} {text}"
            );

            let mcp_answer = mcp_search(
                &mut mcp,
                index,
                json!({"query": text, "k": K, "mode": mode}),
            );
            assert_eq!(
                mcp_answer["results"].as_array().unwrap(),
                &cli,
                "MCP {mode} {text}"
            );
            assert_eq!(mcp_answer["mode"], mode);

            // eval --json keeps every hit without its text (the rest is the same shape).
            let eval_hits = &eval["modes"][mode]["queries"][qi]["hits"];
            let eval_hits = &eval_hits.as_array().unwrap()[..cli.len()];
            let textless: Vec<Value> = cli
                .iter()
                .cloned()
                .map(|mut h| {
                    h.as_object_mut().unwrap().remove("text");
                    h
                })
                .collect();
            assert_eq!(eval_hits, &textless[..], "eval {mode} {text}");
            compared += 1;
        }
    }
    assert_eq!(compared, QUERIES.len() * MODES.len());

    same_limits_everywhere(&idx, &server, &mut mcp);
}

/// `plait eval --json` over [`QUERIES`] (it ingests incrementally: nothing changes).
fn eval_json(tmp: &Path, corpus: &Path, idx: &Path) -> Value {
    let mut set = String::from("corpus = \"quickstart\"\n");
    for (index, text) in QUERIES {
        set.push_str(&format!(
            "[[query]]\nindex = \"{index}\"\ntext = \"{text}\"\nrelevant = [\"x\"]\n"
        ));
    }
    let set_file = tmp.join("set.toml");
    std::fs::write(&set_file, set).unwrap();
    let o = plait(&[
        "eval",
        set_file.to_str().unwrap(),
        "--corpus",
        corpus.to_str().unwrap(),
        "--index-dir",
        idx.to_str().unwrap(),
        "-k",
        &K.to_string(),
        "--modes",
        &MODES.join(","),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The same limits everywhere: k above the cap is capped, k of 0 is refused.
fn same_limits_everywhere(idx: &Path, server: &Server, mcp: &mut Mcp) {
    let (status, _) = search(&server.code, json!({"query": "def", "k": 0}));
    assert_eq!(status, 400);
    let r = mcp.call(
        "tools/call",
        json!({"name": "search_code", "arguments": {"query": "def", "k": 0}}),
    );
    assert_eq!(r["result"]["isError"], true, "{r}");
    let o = plait(&[
        "search",
        "def",
        "-k",
        "0",
        "--index-dir",
        idx.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let many = search_json(idx, &["code", "def", "-k", "5000", "--mode", "lexical"]);
    let (_, http) = search(
        &server.code,
        json!({"query": "def", "k": 5000, "mode": "lexical"}),
    );
    assert_eq!(http["results"].as_array().unwrap(), &many);
}
