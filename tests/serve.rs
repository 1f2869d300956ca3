//! End-to-end tests of `plait serve`: both index servers over real HTTP, every error
//! case, the token, the OpenAPI document, the in-process watcher and a clean stop.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
    pub mod server;
}

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::assets;
use support::server::{http, json, search, serve};

fn ingest(idx: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_plait"))
        .arg("ingest")
        .arg(assets::asset("samples/quickstart"))
        .arg("--index-dir")
        .arg(idx)
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every bad request: 400 (413 when too large) with a JSON error naming the problem.
fn every_bad_request_gets_a_json_error(code: &str) {
    let bad: [(&[u8], &str); 7] = [
        (b"{not json", "invalid search request"),
        (br#"{"query": "x", "colour": 1}"#, "unknown field `colour`"),
        (br#"{"query": "   "}"#, "empty"),
        (br#"{"k": 3}"#, "missing field `query`"),
        (br#"{"query": "x", "k": 0}"#, "`k`"),
        (br#"{"query": "x", "mode": "fuzzy"}"#, "unknown search mode"),
        (
            br#"{"query": "x", "params": {"n_ivf_probe": 0}}"#,
            "n_ivf_probe",
        ),
    ];
    for (body, needle) in bad {
        let (s, text) = http(code, "POST", "/search", body, None);
        assert_eq!(s, 400, "{}", String::from_utf8_lossy(body));
        assert!(
            json(&text)["error"].as_str().unwrap().contains(needle),
            "{text}"
        );
    }
    let long = serde_json::json!({"query": "word ".repeat(1000)}).to_string();
    let (s, text) = http(code, "POST", "/search", long.as_bytes(), None);
    assert_eq!(s, 400);
    assert!(json(&text)["error"]
        .as_str()
        .unwrap()
        .contains("at most 2000"));
    let huge = vec![b' '; 200 * 1024];
    let (s, text) = http(code, "POST", "/search", &huge, None);
    assert_eq!(s, 413, "{text}");
    assert!(json(&text)["error"].as_str().is_some());
    let (s, _) = http(code, "GET", "/nowhere", b"", None);
    assert_eq!(s, 404);
}

/// The OpenAPI document parses and describes the endpoints.
fn the_openapi_document_describes_the_endpoints(code: &str) {
    let (s, body) = http(code, "GET", "/openapi.json", b"", None);
    assert_eq!(s, 200);
    let doc = json(&body);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in ["/health", "/status", "/search"] {
        assert!(
            doc["paths"][p].is_object(),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["SearchRequest"].is_object());
}

#[test]
fn both_servers_answer_searches_and_every_bad_request_gets_a_json_400() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    ingest(&idx);
    let mut server = serve(&idx, &[]);
    let (code, docs) = (server.code.clone(), server.docs.clone());

    let (s, body) = http(&code, "GET", "/health", b"", None);
    assert_eq!((s, json(&body)["status"].as_str()), (200, Some("ok")));
    let (s, body) = http(&code, "GET", "/status", b"", None);
    let st = json(&body);
    assert_eq!(s, 200);
    assert_eq!(st["index"], "code");
    assert!(st["documents"].as_u64().unwrap() > 50, "{st}");
    assert_eq!(st["files"], 7);
    assert!(st["model"].as_str().unwrap().contains("MiniLM"));
    let (_, body) = http(&docs, "GET", "/status", b"", None);
    assert_eq!(json(&body)["index"], "docs");

    let (s, r) = search(
        &code,
        serde_json::json!({"query": "parse a page range like 1:3", "k": 3}),
    );
    assert_eq!(s, 200, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(
        results[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("pagerange.py"),
        "{r}"
    );
    assert!(results[0]["start_line"].as_u64().is_some());
    for mode in ["semantic", "lexical", "hybrid"] {
        let (s, r) = search(
            &docs,
            serde_json::json!({"query": "siege of Vicksburg", "k": 2, "mode": mode}),
        );
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["mode"], mode);
        let top = &r["results"][0];
        assert!(
            top["path"]
                .as_str()
                .unwrap()
                .ends_with("Vicksburg_Sample_OCR.pdf"),
            "{r}"
        );
        assert!(top["page"].as_u64().is_some(), "{r}");
    }
    // Filters and PLAID settings pass through.
    let (s, r) = search(
        &code,
        serde_json::json!({"query": "page", "path": "*papersizes*", "lang": "python",
                           "params": {"n_ivf_probe": 8, "n_full_scores": 64}}),
    );
    assert_eq!(s, 200, "{r}");
    assert!(r["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["path"].as_str().unwrap().ends_with("papersizes.py")));
    // k is capped.
    let (s, r) = search(&code, serde_json::json!({"query": "def", "k": 100000}));
    assert_eq!(s, 200);
    assert_eq!(r["results"].as_array().unwrap().len(), 100);

    every_bad_request_gets_a_json_error(&code);
    the_openapi_document_describes_the_endpoints(&code);

    // The server is still up after all that, and stops cleanly on SIGTERM.
    let (s, _) = http(&code, "GET", "/health", b"", None);
    assert_eq!(s, 200);
    let child = server.child.take().unwrap();
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped"));
}

#[test]
fn a_token_is_required_off_loopback_and_checked_on_every_request() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    let o = Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(["serve", "--host", "0.0.0.0", "--index-dir"])
        .arg(&idx)
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--token-file"));

    // Serving needs an index (an empty one will do).
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_plait"))
        .arg("ingest")
        .arg(&empty)
        .arg("--index-dir")
        .arg(&idx)
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let token = "0123456789abcdef0123456789abcdef";
    let file = tmp.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let server = serve(&idx, &["--token-file", file.to_str().unwrap()]);
    for path in ["/health", "/status"] {
        let (s, body) = http(&server.code, "GET", path, b"", None);
        assert_eq!(s, 401, "{path}");
        assert!(json(&body)["error"].as_str().unwrap().contains("Bearer"));
        let (s, _) = http(
            &server.code,
            "GET",
            path,
            b"",
            Some("wrong-token-wrong-token"),
        );
        assert_eq!(s, 401, "{path}");
        let (s, _) = http(&server.docs, "GET", path, b"", Some(token));
        assert_eq!(s, 200, "{path}");
    }
}

#[test]
fn serve_with_watch_answers_while_the_watcher_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    let dir = tmp.path().join("notes");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("start.md"),
        "# Start\n\nNothing to see here yet.\n",
    )
    .unwrap();
    let server = serve(&idx, &["--watch", dir.to_str().unwrap()]);
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(
        dir.join("okapi.md"),
        "# Okapi\n\nThe okapi is a forest giraffe of the Congo with zebra-striped legs.\n",
    )
    .unwrap();
    let started = Instant::now();
    loop {
        let (s, r) = search(
            &server.docs,
            serde_json::json!({"query": "okapi forest giraffe", "k": 1}),
        );
        assert_eq!(s, 200, "{r}");
        let found = r["results"][0]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("okapi.md"));
        if found {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the watched file never became searchable: {r}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
