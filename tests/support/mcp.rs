//! Test-only: a small MCP client driving `plait mcp` over its stdin and stdout.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Output};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

use super::cli::spawn;

/// A `plait mcp` child speaking JSON-RPC. Every line it writes to stdout must be JSON.
pub struct Mcp {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    rx: mpsc::Receiver<Value>,
    next: u64,
}

impl Mcp {
    /// Starts `plait mcp ARGS...` and completes the handshake; returns the client and
    /// the server's answer to `initialize`.
    pub fn start<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> (Self, Value) {
        let mut child = spawn(
            std::iter::once(OsStr::new("mcp").to_os_string())
                .chain(args.into_iter().map(|a| a.as_ref().to_os_string())),
        );
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                // Stdout carries JSON-RPC only: every line must parse.
                let v: Value = serde_json::from_str(&line.unwrap()).expect("non-JSON on stdout");
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let mut mcp = Self {
            child: Some(child),
            stdin: Some(stdin),
            rx,
            next: 1,
        };
        let init = mcp.call(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "plait-test", "version": "1"}}),
        );
        mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        (mcp, init)
    }

    /// Writes one message.
    pub fn send(&mut self, v: Value) {
        writeln!(self.stdin.as_mut().unwrap(), "{v}").unwrap();
    }

    /// A request of `method`, and the answer to it (other lines are skipped).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self
                .rx
                .recv_timeout(Duration::from_secs(300))
                .expect("no answer from plait mcp");
            if v["id"] == id {
                return v;
            }
        }
    }

    /// A `tools/call` of tool `name`, and the answer.
    pub fn tool(&mut self, name: &str, args: Value) -> Value {
        self.call("tools/call", json!({"name": name, "arguments": args}))
    }

    /// Closes stdin, which ends the session, and waits for the process.
    pub fn finish(mut self) -> Output {
        drop(self.stdin.take());
        self.child.take().unwrap().wait_with_output().unwrap()
    }
}

/// The JSON a tool's answer carries as its text content.
pub fn payload(r: &Value) -> Value {
    serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap()
}

impl Drop for Mcp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
