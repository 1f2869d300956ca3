//! Test-only: a headless Chromium driven over the W3C WebDriver protocol (Debian's
//! `chromium` and `chromium-driver`, started by the test). The protocol is JSON over
//! HTTP, so a few calls over the raw HTTP helper of `server.rs` are the whole client.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::server::json as parse;

/// One WebDriver exchange: status and body. chromedriver keeps connections open, so
/// the body is read by its `Content-Length`, not to the end of the stream.
fn http(addr: &str, method: &str, path: &str, body: &[u8], _token: Option<&str>) -> (u16, String) {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut reader = BufReader::new(s);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no HTTP status from chromedriver: {status_line:?}"))
        .parse()
        .unwrap();
    let mut length = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut out = Vec::new();
    match length {
        Some(n) => {
            out.resize(n, 0);
            reader.read_exact(&mut out).unwrap();
        }
        None => {
            let _ = reader.read_to_end(&mut out);
        }
    }
    (status, String::from_utf8_lossy(&out).into_owned())
}

/// The key WebDriver names element references by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session; both end when dropped.
pub struct Browser {
    driver: Child,
    addr: String,
    session: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(
            &self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            b"",
            None,
        );
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium window of 1400x1000.
    pub fn start() -> Self {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            assert!(
                Path::new(tool).is_file(),
                "{tool} is missing: run `scripts/setup` (it installs Debian's chromium and chromium-driver)"
            );
        }
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start chromedriver");
        let addr = format!("127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = std::net::TcpStream::connect(&addr).is_ok()
                && parse(&http(&addr, "GET", "/status", b"", None).1)["value"]["ready"]
                    == json!(true);
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1000",
                         "--no-first-run", "--disable-extensions"],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let (status, body) = http(&addr, "POST", "/session", caps.to_string().as_bytes(), None);
        let v = parse(&body);
        assert_eq!(status, 200, "cannot open a browser session: {v}");
        let session = v["value"]["sessionId"].as_str().unwrap().to_string();
        let mut browser = Self {
            driver,
            addr,
            session,
        };
        browser.call(
            "POST",
            "timeouts",
            json!({"script": 120_000, "pageLoad": 120_000}),
        );
        browser
    }

    /// One WebDriver command on the session; its `value`.
    pub fn call(&mut self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("/session/{}/{path}", self.session);
        let payload = if method == "GET" {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let (status, text) = http(&self.addr, method, &url, &payload, None);
        let v = parse(&text);
        assert_eq!(status, 200, "WebDriver {method} {path}: {v}");
        v["value"].clone()
    }

    pub fn goto(&mut self, url: &str) {
        self.call("POST", "url", json!({ "url": url }));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub fn js(&mut self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "execute/sync",
            json!({"script": script, "args": args}),
        )
    }

    /// The element matching a CSS selector (panics when there is none).
    pub fn find(&mut self, css: &str) -> String {
        let v = self.call(
            "POST",
            "element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT].as_str().unwrap().to_string()
    }

    pub fn count(&mut self, css: &str) -> usize {
        self.js(
            "return document.querySelectorAll(arguments[0]).length;",
            json!([css]),
        )
        .as_u64()
        .unwrap_or(0) as usize
    }

    pub fn click(&mut self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("element/{id}/click"), json!({}));
    }

    /// Clears a field and types `text` into it.
    pub fn type_into(&mut self, css: &str, text: &str) {
        let id = self.find(css);
        self.call("POST", &format!("element/{id}/clear"), json!({}));
        self.call(
            "POST",
            &format!("element/{id}/value"),
            json!({ "text": text }),
        );
    }

    pub fn text(&mut self, css: &str) -> String {
        let id = self.find(css);
        self.call("GET", &format!("element/{id}/text"), json!({}))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Waits until `script` returns true, failing with `what` (and the page's error
    /// banner) after `limit`.
    pub fn wait_for(&mut self, what: &str, limit: Duration, script: &str, args: Value) {
        let started = Instant::now();
        loop {
            if self.js(script, args.clone()) == json!(true) {
                return;
            }
            if started.elapsed() > limit {
                let error = self.js(
                    "const e = document.getElementById('error'); return e && !e.hidden ? e.textContent : '';",
                    json!([]),
                );
                panic!("waited {limit:?} for {what}; the page's error banner: {error}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves a screenshot of the window as PNG.
    pub fn screenshot(&mut self, file: &Path) {
        let b64 = self.call("GET", "screenshot", json!({}));
        let png = base64_decode(b64.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "not a PNG screenshot");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, png).unwrap();
    }

    /// The browser console's messages since the last call: `(level, message)`.
    pub fn console(&mut self) -> Vec<(String, String)> {
        let url = format!("/session/{}/se/log", self.session);
        let body = json!({"type": "browser"}).to_string();
        let (status, text) = http(&self.addr, "POST", &url, body.as_bytes(), None);
        assert_eq!(status, 200, "reading the browser console: {text}");
        parse(&text)["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["level"].as_str().unwrap_or("").to_string(),
                    e["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }
}

/// Standard base64 (with padding) to bytes.
fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|&c| c != b'=').collect();
        let mut n = 0u32;
        for (i, &c) in data.iter().enumerate() {
            n |= value(c) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..data.len().saturating_sub(1)]);
    }
    out
}
