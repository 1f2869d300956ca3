//! Test-only: running `plait serve` and talking raw HTTP/1.1 to it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::assets;

/// A running `plait serve`; killed when dropped.
pub struct Server {
    pub child: Option<Child>,
    /// `host:port` of the code index.
    pub code: String,
    /// `host:port` of the docs index.
    pub docs: String,
    /// `host:port` of the web page.
    pub web: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `plait serve` on free ports over `idx` with `extra` arguments and waits for
/// both addresses.
pub fn serve(idx: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plait"))
        .args([
            "serve",
            "--code-port",
            "0",
            "--docs-port",
            "0",
            "--web-port",
            "0",
            "--index-dir",
        ])
        .arg(idx)
        .args(extra)
        .env("PLAIT_HOME", assets::home())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = |name: &str| -> String {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("plait serve printed no {name} address"))
            .unwrap();
        assert!(line.contains(name), "{line}");
        line.rsplit("http://")
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_string()
    };
    let code = addr("code");
    let docs = addr("docs");
    let web = addr("web");
    Server {
        child: Some(child),
        code,
        docs,
        web,
    }
}

/// Sends one raw request (`head` is everything before the blank line, without it)
/// and returns the status and the body. A streamed answer may pause for minutes on a
/// busy machine (a model reading its prompt), hence the long read timeout.
pub fn raw(addr: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    write!(
        s,
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // A server may answer (413) before reading a huge body; ignore a broken pipe then.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"))
        .parse()
        .unwrap();
    let body = text.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
    (status, body)
}

/// A minimal HTTP/1.1 exchange with a JSON body: status and body.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    body: &[u8],
    token: Option<&str>,
) -> (u16, String) {
    let auth = token.map_or(String::new(), |t| format!("\r\nAuthorization: Bearer {t}"));
    raw(
        addr,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json{auth}"
        ),
        body,
    )
}

/// Parses a JSON body, naming it on failure.
pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// POSTs a search and parses the answer.
pub fn search(addr: &str, req: serde_json::Value) -> (u16, serde_json::Value) {
    let (status, body) = http(addr, "POST", "/search", req.to_string().as_bytes(), None);
    (status, json(&body))
}
