//! `plait mcp` driven over stdio with real JSON-RPC messages.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
    pub mod cli;
    pub mod mcp;
}

use std::process::Command;

use serde_json::json;
use support::assets;
use support::mcp::{payload, Mcp};

#[test]
fn an_agent_lists_the_tools_searches_and_reads_the_status() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    let o = Command::new(env!("CARGO_BIN_EXE_plait"))
        .arg("ingest")
        .arg(assets::asset("samples/quickstart"))
        .arg("--index-dir")
        .arg(&idx)
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap();
    assert!(o.status.success());

    let (mut mcp, init) = Mcp::start([std::ffi::OsStr::new("--index-dir"), idx.as_os_str()]);
    assert_eq!(init["result"]["serverInfo"]["name"], "plait", "{init}");
    assert!(init["result"]["capabilities"]["tools"].is_object());

    let list = mcp.call("tools/list", json!({}));
    let mut names: Vec<String> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["ask", "index_status", "search_code", "search_docs"]);
    let search_tool = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "search_code")
        .unwrap();
    assert!(search_tool["inputSchema"]["properties"]["query"].is_object());

    let r = mcp.tool(
        "search_code",
        json!({"query": "parse a page range like 1:3", "k": 2}),
    );
    assert_eq!(r["result"]["isError"], false, "{r}");
    let results = payload(&r)["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 2);
    assert!(results[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("pagerange.py"));

    let docs = payload(&mcp.tool(
        "search_docs",
        json!({"query": "siege of Vicksburg", "mode": "hybrid"}),
    ));
    assert!(docs["results"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("Vicksburg_Sample_OCR.pdf"));
    assert_eq!(docs["mode"], "hybrid");

    let status = payload(&mcp.tool("index_status", json!({})));
    assert_eq!(status["code"]["files"], 7);
    assert!(status["docs"]["documents"].as_u64().unwrap() > 0);

    // Bad input is a tool error, an unknown tool a protocol error; the session goes on.
    let r = mcp.tool("search_code", json!({"query": "  "}));
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(mcp.tool("no_such_tool", json!({}))["error"].is_object());
    let r = mcp.tool("search_code", json!({"query": "x", "mode": "fuzzy"}));
    assert_eq!(r["result"]["isError"], true, "{r}");

    let out = mcp.finish();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("plait mcp"));
}
