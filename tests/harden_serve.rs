//! End-to-end hardening tests of `plait serve` (issue 15): only local names and origins
//! reach the API, every error is JSON, slow clients are cut off while the server keeps
//! answering, and the watcher inside `serve` loses no change to a concurrent ingest.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
    pub mod cli;
    pub mod server;
}

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::assets;
use support::cli::ingest;
use support::server::{http, json, raw, search, serve};

/// An index root with one small Python file ingested.
fn small_index(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("src");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.py"),
        "def parse_range(text):\n    return text.split('-')\n",
    )
    .unwrap();
    let idx = tmp.join("idx");
    ingest(&dir, &idx);
    idx
}

#[test]
fn only_local_names_and_origins_reach_the_api_and_every_error_is_json() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = small_index(tmp.path());
    let server = serve(&idx, &[]);
    let addr = server.code.clone();
    let search_body = br#"{"query": "parse range"}"#;

    foreign_hosts_and_origins_are_refused(&addr, search_body);

    // 405 carries a JSON body too.
    let (s, body) = http(&addr, "GET", "/search", b"", None);
    assert_eq!(s, 405);
    assert!(
        json(&body)["error"]
            .as_str()
            .unwrap()
            .contains("POST /search"),
        "{body}"
    );

    // One rule for k and languages, as on the command line.
    let (s, r) = search(&addr, serde_json::json!({"query": "parse", "k": 0}));
    assert_eq!(s, 400);
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("`k` must be at least 1"),
        "{r}"
    );
    let (s, r) = search(
        &addr,
        serde_json::json!({"query": "parse", "lang": "klingon"}),
    );
    assert_eq!(s, 400);
    assert!(
        r["error"].as_str().unwrap().contains("unknown language"),
        "{r}"
    );
    drop(server);

    // The bearer scheme is case-insensitive.
    let token = "0123456789abcdef0123456789abcdef";
    let file = tmp.path().join("token");
    std::fs::write(&file, token).unwrap();
    let server = serve(&idx, &["--token-file", file.to_str().unwrap()]);
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let (s, body) = raw(
            &server.code,
            &format!(
                "GET /status HTTP/1.1\r\nHost: {}\r\nAuthorization: {scheme} {token}",
                server.code
            ),
            b"",
        );
        assert_eq!(s, 200, "{scheme}: {body}");
    }
}

/// DNS rebinding: a foreign Host is refused on every endpoint, and a page on another
/// site may not POST, whatever the content type; local names and origins pass.
fn foreign_hosts_and_origins_are_refused(addr: &str, search_body: &[u8]) {
    let port = addr.rsplit(':').next().unwrap().to_string();
    for (method, path) in [("GET", "/status"), ("POST", "/search")] {
        let (s, body) = raw(
            addr,
            &format!("{method} {path} HTTP/1.1\r\nHost: evil.example.com:{port}\r\nContent-Type: application/json"),
            search_body,
        );
        assert_eq!(s, 403, "{body}");
        assert!(json(&body)["error"]
            .as_str()
            .unwrap()
            .contains("evil.example.com"));
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "[::1]".into(),
    ] {
        let (s, body) = raw(addr, &format!("GET /status HTTP/1.1\r\nHost: {host}"), b"");
        assert_eq!(s, 200, "{host}: {body}");
    }
    // A page on another site may not POST, whatever the content type.
    let (s, body) = raw(
        addr,
        &format!("POST /search HTTP/1.1\r\nHost: {addr}\r\nOrigin: https://evil.example.com\r\nContent-Type: application/json"),
        search_body,
    );
    assert_eq!(s, 403, "{body}");
    let (s, body) = raw(
        addr,
        &format!("POST /search HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain"),
        search_body,
    );
    assert_eq!(s, 415, "{body}");
    assert!(json(&body)["error"]
        .as_str()
        .unwrap()
        .contains("application/json"));
    let (s, body) = raw(
        addr,
        &format!("POST /search HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://localhost:3000\r\nContent-Type: application/json"),
        search_body,
    );
    assert_eq!(s, 200, "{body}");
}

/// Whether the server closed `s` (end of stream, or a reset).
fn closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // an error answer before closing
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn slow_and_silent_clients_are_cut_off_while_the_server_keeps_answering() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = small_index(tmp.path());
    let server = serve(&idx, &[]);
    let addr = server.code.clone();
    let started = Instant::now();
    let mut held = Vec::new();
    for i in 0..60 {
        let mut s = TcpStream::connect(&addr).unwrap();
        match i % 3 {
            // Silent: connects and sends nothing.
            0 => {}
            // Slowloris: half a request head.
            1 => s.write_all(format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").as_bytes()).unwrap(),
            // Slow body: a head promising 100 bytes, then 10.
            _ => s
                .write_all(
                    format!("POST /search HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"query\":")
                        .as_bytes(),
                )
                .unwrap(),
        }
        held.push(s);
    }
    // The server answers others meanwhile, at once.
    for _ in 0..5 {
        let t = Instant::now();
        let (s, _) = http(&addr, "GET", "/health", b"", None);
        assert_eq!(s, 200);
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }
    // Every held connection is closed within the header (5 s) or body (10 s) limit.
    std::thread::sleep(Duration::from_secs(12).saturating_sub(started.elapsed()));
    for (i, s) in held.iter_mut().enumerate() {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        assert!(
            closed(s),
            "connection {i} (kind {}) is still open after {:?}",
            i % 3,
            started.elapsed()
        );
    }
    let (s, _) = http(&addr, "GET", "/health", b"", None);
    assert_eq!(s, 200);
}

#[test]
fn serve_watch_picks_up_a_file_written_during_a_concurrent_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    // A corpus that takes a while to ingest (a scanned PDF among them).
    let corpus = assets::asset("samples/quickstart");
    let notes = tmp.path().join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(notes.join("start.md"), "# Start\n\nNothing here yet.\n").unwrap();

    let mut ingest = Command::new(env!("CARGO_BIN_EXE_plait"))
        .arg("ingest")
        .arg(&corpus)
        .arg("--index-dir")
        .arg(&idx)
        .env("PLAIT_HOME", assets::home())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the ingest holds the writer lock.
    let lock = idx.join("docs").join("LOCK");
    let t = Instant::now();
    loop {
        let held = std::fs::File::open(&lock).is_ok_and(|f| f.try_lock().is_err());
        if held {
            break;
        }
        assert!(
            ingest.try_wait().unwrap().is_none(),
            "the ingest ended before the test began"
        );
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the ingest never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let server = serve(&idx, &["--watch", notes.to_str().unwrap()]);
    std::fs::write(
        notes.join("okapi.md"),
        "# Okapi\n\nThe okapi is a forest giraffe of the Congo with zebra-striped legs.\n",
    )
    .unwrap();
    assert!(
        ingest.try_wait().unwrap().is_none(),
        "the ingest ended before the file was written; the test needs a longer ingest"
    );
    let status = ingest.wait().unwrap();
    assert!(status.success());
    let ended = Instant::now();
    loop {
        let (s, r) = search(
            &server.docs,
            serde_json::json!({"query": "okapi forest giraffe", "k": 3, "mode": "lexical"}),
        );
        assert_eq!(s, 200, "{r}");
        let found = r["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["path"].as_str().is_some_and(|p| p.ends_with("okapi.md")));
        if found {
            break;
        }
        assert!(
            ended.elapsed() < Duration::from_secs(2),
            "okapi.md is not searchable 2 s after the concurrent ingest ended: {r}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
