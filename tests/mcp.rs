//! `plait mcp` driven over stdio with real JSON-RPC messages.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
}

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
use support::assets;

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

    let mut child = Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(["mcp", "--index-dir"])
        .arg(&idx)
        .env("PLAIT_HOME", assets::home())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            // Stdout carries JSON-RPC only: every line must parse.
            let v: Value = serde_json::from_str(&line.unwrap()).expect("non-JSON on stdout");
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    let mut send = |v: Value| writeln!(stdin, "{v}").unwrap();
    let recv = |id: u64| -> Value {
        loop {
            let v = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("no answer from plait mcp");
            if v["id"] == id {
                return v;
            }
        }
    };

    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "plait-test", "version": "1"}}}),
    );
    let init = recv(1);
    assert_eq!(init["result"]["serverInfo"]["name"], "plait", "{init}");
    assert!(init["result"]["capabilities"]["tools"].is_object());
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let list = recv(2);
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

    let call = |id: u64, name: &str, args: Value| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
               "params": {"name": name, "arguments": args}})
    };
    send(call(
        3,
        "search_code",
        json!({"query": "parse a page range like 1:3", "k": 2}),
    ));
    let r = recv(3);
    assert_eq!(r["result"]["isError"], false, "{r}");
    let payload: Value =
        serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    let results = payload["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert!(results[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("pagerange.py"));

    send(call(
        4,
        "search_docs",
        json!({"query": "siege of Vicksburg", "mode": "hybrid"}),
    ));
    let r = recv(4);
    let payload: Value =
        serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert!(payload["results"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("Vicksburg_Sample_OCR.pdf"));
    assert_eq!(payload["mode"], "hybrid");

    send(call(5, "index_status", json!({})));
    let r = recv(5);
    let status: Value =
        serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(status["code"]["files"], 7);
    assert!(status["docs"]["documents"].as_u64().unwrap() > 0);

    // Bad input is a tool error, an unknown tool a protocol error; the session goes on.
    send(call(6, "search_code", json!({"query": "  "})));
    let r = recv(6);
    assert_eq!(r["result"]["isError"], true, "{r}");
    send(call(7, "no_such_tool", json!({})));
    assert!(recv(7)["error"].is_object());
    send(call(
        8,
        "search_code",
        json!({"query": "x", "mode": "fuzzy"}),
    ));
    assert_eq!(recv(8)["result"]["isError"], true);

    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("plait mcp"));
}
