//! `plait mcp` driven over stdio with real JSON-RPC messages.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
}

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
use support::assets;

/// A `plait mcp` child speaking JSON-RPC over its stdin and stdout.
struct Mcp {
    child: Child,
    stdin: ChildStdin,
    rx: mpsc::Receiver<Value>,
}

impl Mcp {
    /// `plait mcp` over the index in `idx`; every line it writes to stdout must be JSON.
    fn start(idx: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_plait"))
            .args(["mcp", "--index-dir"])
            .arg(idx)
            .env("PLAIT_HOME", assets::home())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
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
        Self { child, stdin, rx }
    }

    fn send(&mut self, v: Value) {
        writeln!(self.stdin, "{v}").unwrap();
    }

    /// The answer to request `id` (notifications and other answers are skipped).
    fn recv(&self, id: u64) -> Value {
        loop {
            let v = self
                .rx
                .recv_timeout(Duration::from_secs(60))
                .expect("no answer from plait mcp");
            if v["id"] == id {
                return v;
            }
        }
    }

    /// Closes stdin, which ends the session, and waits for the process.
    fn finish(self) -> Output {
        drop(self.stdin);
        self.child.wait_with_output().unwrap()
    }
}

/// A `tools/call` request.
fn call(id: u64, name: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": name, "arguments": args}})
}

/// The JSON a tool's answer carries as its text content.
fn payload(r: &Value) -> Value {
    serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap()
}

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

    let mut mcp = Mcp::start(&idx);
    mcp.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "plait-test", "version": "1"}}}),
    );
    let init = mcp.recv(1);
    assert_eq!(init["result"]["serverInfo"]["name"], "plait", "{init}");
    assert!(init["result"]["capabilities"]["tools"].is_object());
    mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    mcp.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let list = mcp.recv(2);
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

    mcp.send(call(
        3,
        "search_code",
        json!({"query": "parse a page range like 1:3", "k": 2}),
    ));
    let r = mcp.recv(3);
    assert_eq!(r["result"]["isError"], false, "{r}");
    let results = payload(&r)["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 2);
    assert!(results[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("pagerange.py"));

    mcp.send(call(
        4,
        "search_docs",
        json!({"query": "siege of Vicksburg", "mode": "hybrid"}),
    ));
    let docs = payload(&mcp.recv(4));
    assert!(docs["results"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("Vicksburg_Sample_OCR.pdf"));
    assert_eq!(docs["mode"], "hybrid");

    mcp.send(call(5, "index_status", json!({})));
    let status = payload(&mcp.recv(5));
    assert_eq!(status["code"]["files"], 7);
    assert!(status["docs"]["documents"].as_u64().unwrap() > 0);

    // Bad input is a tool error, an unknown tool a protocol error; the session goes on.
    mcp.send(call(6, "search_code", json!({"query": "  "})));
    let r = mcp.recv(6);
    assert_eq!(r["result"]["isError"], true, "{r}");
    mcp.send(call(7, "no_such_tool", json!({})));
    assert!(mcp.recv(7)["error"].is_object());
    mcp.send(call(
        8,
        "search_code",
        json!({"query": "x", "mode": "fuzzy"}),
    ));
    assert_eq!(mcp.recv(8)["result"]["isError"], true);

    let out = mcp.finish();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("plait mcp"));
}
