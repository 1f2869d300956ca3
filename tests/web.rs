//! End-to-end tests of the web page of `plait serve`: a real headless Chromium searches
//! the quick-start sample, opens a PDF hit's page with its lines marked, follows a
//! summary citation to its page and reads the status, with no console errors (screenshots
//! in `target/web-screenshots/`); and bad requests to the page's endpoints get clear
//! JSON errors while the server stays healthy.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
    pub mod browser;
    pub mod pdf;
    pub mod server;
}

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use support::assets;
use support::browser::Browser;
use support::server::{http, json, serve};

fn ingest(dir: &Path, idx: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_plait"))
        .arg("ingest")
        .arg(dir)
        .arg("--index-dir")
        .arg(idx)
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A role file writing summaries with SmolLM2 on one thread (quick, as in the
/// summarize tests).
fn smollm_roles(dir: &Path) -> PathBuf {
    assets::asset("models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf");
    let mut toml = String::from("format_version = 1\n");
    for role in ["ingest_long_context", "worker_summarize", "frontdoor"] {
        toml.push_str(&format!(
            "
[roles.{role}]
description = \"test: SmolLM2-135M on one thread\"
model = \"models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf\"
context = 8192
threads = 1
max_tokens = 200
temperature = 0.0
repeat_penalty = 1.2

[roles.{role}.speculation]
kind = \"lookup\"
ngram_max = 4
ngram_min = 2
n_draft_max = 24
n_draft_min = 2
"
        ));
    }
    let file = dir.join("roles.toml");
    std::fs::write(&file, toml).unwrap();
    file
}

fn shots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("web-screenshots")
}

const LONG: Duration = Duration::from_secs(120);

/// Searches from the page's box and waits for both indexes' answers.
fn search(b: &mut Browser, query: &str) {
    b.type_into("#q", query);
    b.click("#search-form button[type=submit]");
    b.wait_for(
        "both indexes' results",
        LONG,
        "return document.querySelector('#results-code h2') !== null && document.querySelector('#results-docs h2') !== null && document.getElementById('search-info').textContent.includes('hits for');",
        json!([]),
    );
}

/// Waits for the page view to show `page` of a file with its boxes drawn.
fn wait_page_view(b: &mut Browser, what: &str, page: u64) {
    b.wait_for(
        what,
        LONG,
        "const p = document.getElementById('pv-page'); const img = document.getElementById('pv-img');
         return !document.getElementById('page-view').hidden && (p.dataset.loaded || '').endsWith('#' + arguments[0]) && img.complete && img.naturalWidth > 0;",
        json!([page]),
    );
}

/// A code hit: path, symbol, numbered lines with the best ones marked, copy path:line.
fn code_hits(b: &mut Browser) {
    // A code hit: path, symbol, numbered lines with the best ones marked, copy path:line.
    search(b, "parse a page range like 1:3");
    let first = b.js(
        "const h = document.querySelector('#results-code .hit.code'); return {path: h.querySelector('.path').textContent, best: h.querySelectorAll('.ln.best').length, lines: h.querySelectorAll('.ln').length, first: h.querySelector('.ln').dataset.n, kw: h.querySelectorAll('.kw').length};",
        json!([]),
    );
    assert!(
        first["path"].as_str().unwrap().contains("pagerange.py:"),
        "{first}"
    );
    assert!(first["best"].as_u64().unwrap() >= 1, "{first}");
    assert!(
        first["lines"].as_u64().unwrap() > first["best"].as_u64().unwrap(),
        "{first}"
    );
    assert!(first["kw"].as_u64().unwrap() >= 1, "no colouring: {first}");
    b.click("#results-code .hit.code .copy");
    b.wait_for(
        "the copy button to copy path:line",
        LONG,
        "return document.querySelector('#results-code .hit.code .copy').textContent.startsWith('copied pagerange.py:');",
        json!([]),
    );
    b.screenshot(&shots().join("1-search-code.png"));
}

/// A PDF hit's thumbnail with boxes; its page large with boxes; the next or previous page.
fn pdf_hits(b: &mut Browser) {
    // A PDF hit: its page's thumbnail with the matching lines boxed.
    search(b, "siege of Vicksburg");
    assert!(b.count("#results-code .hit.code") > 0);
    b.wait_for(
        "the first PDF hit's thumbnail and boxes",
        LONG,
        "const t = document.querySelector('#results-docs .pdf-hit .thumb'); if (!t) return false; const img = t.querySelector('img'); return img.complete && img.naturalWidth > 0 && t.querySelectorAll('.box').length > 0;",
        json!([]),
    );
    let hit = b.js(
        "const h = document.querySelector('#results-docs .pdf-hit'); return h.querySelector('.path').textContent;",
        json!([]),
    );
    let hit = hit.as_str().unwrap().to_string();
    assert!(hit.contains("Vicksburg_Sample_OCR.pdf p. "), "{hit}");
    let page: u64 = hit.rsplit("p. ").next().unwrap().parse().unwrap();
    b.screenshot(&shots().join("2-search-docs.png"));

    // The page view: the page large with its boxes, then the next and previous pages.
    b.click("#results-docs .pdf-hit .thumb");
    wait_page_view(b, "the page view", page);
    let boxes = b.count("#pv-page .box");
    assert!(boxes > 0, "no boxes on the large page");
    let marked = b.js(
        "return [...document.querySelectorAll('#pv-page .box')].map(b => b.title.toLowerCase()).join(' | ');",
        json!([]),
    );
    assert!(
        marked.as_str().unwrap().contains("vicksburg")
            || marked.as_str().unwrap().contains("siege"),
        "{marked}"
    );
    b.screenshot(&shots().join("3-page-view.png"));
    let (step, button) = if page < 6 {
        (1, "#pv-next")
    } else {
        (-1, "#pv-prev")
    };
    b.click(button);
    let turned = (page as i64 + step) as u64;
    wait_page_view(b, "the neighbouring page", turned);
    assert!(b.text("#pv-title").contains(&format!("page {turned} of 6")));
    b.click("#pv-close");
}

/// A summary streamed into the page, its citations linked to the page view.
fn summary_citations(b: &mut Browser) {
    // A summary streamed into the page, its citations linked to the page view.
    b.click(".tab[data-view=summary-view]");
    b.wait_for(
        "the list of documents",
        LONG,
        "return [...document.getElementById('summary-file').options].some(o => o.value.endsWith('Vicksburg_Sample_OCR.pdf'));",
        json!([]),
    );
    b.js(
        "const s = document.getElementById('summary-file'); s.value = [...s.options].find(o => o.value.endsWith('Vicksburg_Sample_OCR.pdf')).value;",
        json!([]),
    );
    b.click("#summary-go");
    b.wait_for(
        "the summary",
        Duration::from_secs(1800),
        "const s = document.getElementById('summary-text').dataset.state; return s === 'done' || s === 'failed' || s === 'stopped';",
        json!([]),
    );
    assert_eq!(
        b.js(
            "return document.getElementById('summary-text').dataset.state;",
            json!([])
        ),
        json!("done"),
        "{}",
        b.text("#error")
    );
    assert!(b.count("#summary-text a.cite") > 0, "no citation links");
    b.screenshot(&shots().join("4-summary.png"));
    let cited: u64 = b
        .js(
            "return Number(document.querySelector('#summary-text a.cite').dataset.page);",
            json!([]),
        )
        .as_u64()
        .unwrap();
    assert!((1..=6).contains(&cited));
    b.click("#summary-text a.cite");
    wait_page_view(b, "the cited page", cited);
    assert!(b.text("#pv-title").contains(&format!("page {cited} of 6")));
    assert!(
        b.count("#pv-page .box") > 0,
        "the cited page marks no line of the sentence"
    );
    b.screenshot(&shots().join("5-citation-page.png"));
    b.click("#pv-close");
}

/// The status panel: both indexes and the watcher.
/// A question asked from the search box: the answer streams in, then its sources show
/// like search hits with their numbers.
fn ask_answers(b: &mut Browser) {
    b.click(".tab[data-view=search-view]");
    b.js(
        "document.getElementById('scope').value = 'ask-code';",
        json!([]),
    );
    b.type_into("#q", "How does PageRange parse a string like 1:3?");
    b.click("#search-form button[type=submit]");
    b.wait_for(
        "the answer",
        Duration::from_secs(1800),
        "const a = document.getElementById('answer'); return a !== null && a.dataset.state !== 'running';",
        json!([]),
    );
    let state = b.js(
        "return document.getElementById('answer').dataset.state;",
        json!([]),
    );
    assert!(
        state == json!("done") || state == json!("declined"),
        "answer state {state}: {}",
        b.text("#error")
    );
    assert!(!b.text("#answer").trim().is_empty(), "an empty answer");
    assert!(
        b.count("#results-code .hit .num") > 0,
        "no numbered sources under the answer"
    );
    b.screenshot(&shots().join("7-ask.png"));
}

fn status_panel(b: &mut Browser) {
    // The status panel.
    b.click(".tab[data-view=status-view]");
    b.wait_for(
        "the status tables",
        LONG,
        "return document.querySelectorAll('#status table.status tr').length >= 6;",
        json!([]),
    );
    let status = b.text("#status");
    assert!(status.contains("watcher"), "{status}");
    assert!(status.contains("metadata-"), "{status}");
    b.screenshot(&shots().join("6-status.png"));
}

#[test]
fn the_page_searches_marks_pdf_pages_and_links_summary_citations_to_them() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("idx");
    ingest(&assets::asset("samples/quickstart"), &idx);
    let roles = smollm_roles(tmp.path());
    let server = serve(
        &idx,
        &["--roles", roles.to_str().unwrap(), "--summary-threads", "1"],
    );
    let mut b = Browser::start();
    b.goto(&format!("http://{}/", server.web));
    assert_eq!(b.text("h1").trim(), "plait");

    code_hits(&mut b);
    pdf_hits(&mut b);
    summary_citations(&mut b);
    ask_answers(&mut b);
    status_panel(&mut b);

    let errors: Vec<_> = b
        .console()
        .into_iter()
        .filter(|(level, _)| level == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// A GET with its headers: status, head, body.
fn get(addr: &str, path: &str, extra: &str) -> (u16, String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let host = if extra.starts_with("Host:") {
        String::new()
    } else {
        format!("Host: {addr}\r\n")
    };
    write!(
        s,
        "GET {path} HTTP/1.1\r\n{host}{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, body)
}

fn page_url(path: &Path, page: &str, extra: &str) -> String {
    let enc: String = path
        .to_str()
        .unwrap()
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/api/page?path={enc}&page={page}{extra}")
}

fn error_of(body: &[u8]) -> String {
    json(&String::from_utf8_lossy(body))["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no JSON error: {}", String::from_utf8_lossy(body)))
        .to_string()
}

#[test]
fn bad_page_requests_get_clear_errors_and_the_server_stays_healthy() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let good = docs.join("good.pdf");
    std::fs::write(
        &good,
        support::pdf::text_pdf(&["Rendering pages for the web view", "second line"]),
    )
    .unwrap();
    let broken = docs.join("broken.pdf");
    std::fs::write(&broken, support::pdf::text_pdf(&["soon to be damaged"])).unwrap();
    let huge = docs.join("huge.pdf");
    std::fs::write(
        &huge,
        support::pdf::text_pdf_sized(&["a poster of a page"], 14400.0, 14400.0),
    )
    .unwrap();
    std::fs::write(docs.join("notes.md"), "# Notes\n\nA page of notes.\n").unwrap();
    // A scanned page (no text layer): its line boxes come from OCR.
    let scan = docs.join("linn.pdf");
    std::fs::copy(assets::asset("samples/quickstart/docs/linn.pdf"), &scan).unwrap();
    let idx = tmp.path().join("idx");
    ingest(&docs, &idx);
    // Damaged after ingest: the index still lists it.
    std::fs::write(&broken, b"%PDF-1.4\nthis is not a PDF any more\n").unwrap();
    let server = serve(&idx, &[]);
    let web = server.web.clone();
    let healthy = |why: &str| {
        let (s, body) = http(&web, "GET", "/api/status", b"", None);
        assert_eq!(s, 200, "after {why}: {body}");
        assert_eq!(json(&body)["docs"]["files"], 5, "{body}");
    };

    page_files_are_embedded_with_a_strict_csp(&web);
    pages_come_from_the_cache_until_the_file_changes(&web, &good);
    line_boxes_come_from_the_text_layer_or_ocr(&web, &good, &scan);
    paths_outside_the_index_are_refused(&web, &docs);
    healthy("paths outside the index");
    impossible_pages_are_refused(&web, &good, &huge);
    healthy("impossible pages");

    // A PDF damaged since it was indexed.
    let (s, _, body) = get(&web, &page_url(&broken, "1", ""), "");
    assert_eq!(s, 422, "{}", String::from_utf8_lossy(&body));
    let e = error_of(&body);
    assert!(
        e.contains("broken.pdf") && e.contains("not a valid PDF"),
        "{e}"
    );
    let (s, _, _) = get(&web, &page_url(&good, "1", ""), "");
    assert_eq!(s, 200);
    healthy("a broken PDF");

    // Summaries only of indexed documents.
    let (s, body) = http(
        &web,
        "POST",
        "/api/summary",
        json!({"path": "/etc/passwd"}).to_string().as_bytes(),
        None,
    );
    assert_eq!(s, 404, "{body}");
    let (s, body) = http(&web, "POST", "/api/summary", b"{\"file\": 1}", None);
    assert_eq!(s, 400, "{body}");

    // The same Host and Origin rules as the index servers, for the page and its API.
    let (s, _, _) = get(&web, "/", "Host: evil.example.com\r\n");
    assert_eq!(s, 403);
    let (s, _, body) = get(&web, "/api/status", "Origin: http://evil.example.com\r\n");
    assert_eq!(s, 403, "{}", String::from_utf8_lossy(&body));
    let (s, _, _) = get(&web, "/api/code/status", "");
    assert_eq!(s, 200);
    healthy("refused requests");
}

/// The page's files: embedded, strict CSP, no caching surprises.
fn page_files_are_embedded_with_a_strict_csp(web: &str) {
    let (s, head, body) = get(web, "/", "");
    assert_eq!(s, 200);
    assert!(
        head.contains("content-security-policy: default-src 'none'; script-src 'self'"),
        "{head}"
    );
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<script src=\"/app.js\" defer></script>"));
    assert!(!html.contains("<script>"), "no inline script");
    let (s, head, _) = get(web, "/app.js", "");
    assert_eq!(s, 200);
    assert!(head.contains("content-type: text/javascript"), "{head}");
}

/// A page renders, then comes from the cache until the file changes.
fn pages_come_from_the_cache_until_the_file_changes(web: &str, good: &Path) {
    let (s, head, png) = get(web, &page_url(good, "1", ""), "");
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&png));
    assert!(
        png.starts_with(b"\x89PNG") && head.contains("x-plait-cache: miss"),
        "{head}"
    );
    let (_, head, again) = get(web, &page_url(good, "1", ""), "");
    assert!(
        head.contains("x-plait-cache: hit") && again == png,
        "{head}"
    );
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(
        good,
        support::pdf::text_pdf(&["Rendering pages for the web view", "a changed line"]),
    )
    .unwrap();
    let (s, head, changed) = get(web, &page_url(good, "1", ""), "");
    assert_eq!(s, 200);
    assert!(
        head.contains("x-plait-cache: miss") && changed != png,
        "{head}"
    );
}

/// Line boxes in page fractions: from the text layer, and from OCR on a scanned page.
fn line_boxes_come_from_the_text_layer_or_ocr(web: &str, good: &Path, scan: &Path) {
    let (s, _, body) = get(
        web,
        &page_url(good, "1", "&q=rendering%20web%20pages").replace("/api/page", "/api/boxes"),
        "",
    );
    assert_eq!(s, 200);
    let boxes = json(&String::from_utf8_lossy(&body));
    assert_eq!(boxes["source"], "text-layer", "{boxes}");
    assert_eq!(boxes["boxes"].as_array().unwrap().len(), 1, "{boxes}");
    let b = &boxes["boxes"][0];
    assert!(b["text"].as_str().unwrap().starts_with("Rendering pages"));
    for k in ["x0", "y0", "x1", "y1"] {
        assert!((0.0..=1.0).contains(&b[k].as_f64().unwrap()), "{boxes}");
    }
    assert!(
        b["y0"].as_f64().unwrap() < 0.12,
        "the first line is at the top: {boxes}"
    );

    // A scanned page's boxes come from OCR, in the same page fractions.
    let (s, _, body) = get(
        web,
        &page_url(scan, "1", "&q=MIDI%20sequence%20recorder").replace("/api/page", "/api/boxes"),
        "",
    );
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
    let boxes = json(&String::from_utf8_lossy(&body));
    assert_eq!(boxes["source"], "ocr", "{boxes}");
    assert!(boxes["lines"].as_u64().unwrap() > 20, "{boxes}");
    let marked = boxes["boxes"].as_array().unwrap();
    assert!(
        marked.iter().any(|b| b["text"]
            .as_str()
            .unwrap()
            .contains("MIDI Sequence Recorder")),
        "{boxes}"
    );
    assert!(marked
        .iter()
        .all(|b| b["x0"].as_f64().unwrap() < b["x1"].as_f64().unwrap()
            && b["y1"].as_f64().unwrap() <= 1.0));
}

/// Files outside the index, however they are spelled, and files that are no PDF.
fn paths_outside_the_index_are_refused(web: &str, docs: &Path) {
    let outside = [
        PathBuf::from("/etc/passwd"),
        docs.join("../../../../etc/passwd"),
        docs.join("unlisted.pdf"),
        PathBuf::from(""),
    ];
    for path in &outside {
        let (s, _, body) = get(web, &page_url(path, "1", ""), "");
        assert_eq!(s, 404, "{}", String::from_utf8_lossy(&body));
        assert!(
            error_of(&body).contains("is not an indexed file"),
            "{}",
            error_of(&body)
        );
    }
    let (s, _, body) = get(web, &page_url(&docs.join("notes.md"), "1", ""), "");
    assert_eq!(s, 400);
    assert!(error_of(&body).contains("is not a PDF"));
}

/// Pages that do not exist, resolutions and pages too large, missing parameters.
fn impossible_pages_are_refused(web: &str, good: &Path, huge: &Path) {
    for page in ["0", "2", "99999999999"] {
        let (s, _, body) = get(web, &page_url(good, page, ""), "");
        assert_eq!(s, 404, "page {page}: {}", String::from_utf8_lossy(&body));
        assert!(
            error_of(&body).contains("has 1 page(s): there is no page"),
            "{}",
            error_of(&body)
        );
    }
    let (s, _, body) = get(web, &page_url(good, "-1", ""), "");
    assert_eq!(s, 400);
    assert!(error_of(&body).contains("give path"), "{}", error_of(&body));
    let (s, _, body) = get(web, &page_url(good, "1", "&dpi=5000"), "");
    assert_eq!(s, 400);
    assert!(
        error_of(&body).contains("36 to 200 DPI"),
        "{}",
        error_of(&body)
    );
    let (s, _, body) = get(web, &page_url(huge, "1", ""), "");
    assert_eq!(s, 400, "{}", String::from_utf8_lossy(&body));
    let e = error_of(&body);
    assert!(e.contains("huge.pdf") && e.contains("pixel limit"), "{e}");
}

#[test]
fn with_a_token_the_page_loads_and_its_api_asks_for_the_token() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("a.pdf"), support::pdf::text_pdf(&["one page"])).unwrap();
    let idx = tmp.path().join("idx");
    ingest(&docs, &idx);
    let token = "0123456789abcdef0123456789abcdef";
    let file = tmp.path().join("token");
    std::fs::write(&file, token).unwrap();
    let server = serve(&idx, &["--token-file", file.to_str().unwrap()]);
    let (s, _, _) = get(&server.web, "/", "");
    assert_eq!(s, 200, "the page itself holds no data and must load to ask");
    let (s, _, _) = get(&server.web, "/app.js", "");
    assert_eq!(s, 200);
    let (s, _, body) = get(&server.web, "/api/status", "");
    assert_eq!(s, 401);
    assert!(error_of(&body).contains("bearer token"));
    let (s, _, _) = get(&server.web, &page_url(&docs.join("a.pdf"), "1", ""), "");
    assert_eq!(s, 401);
    let (s, _, _) = get(
        &server.web,
        "/api/status",
        &format!("Authorization: Bearer {token}\r\n"),
    );
    assert_eq!(s, 200);
}
