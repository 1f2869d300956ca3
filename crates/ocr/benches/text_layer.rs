//! Text-layer extraction speed on the 42-page Ghostscript whitepaper fixture: pages per
//! second for PDFium text plus lines with boxes and font sizes (what ingest reads).
//!
//! `PLAIT_HOME=... cargo bench -p plait-ocr --bench text_layer`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use plait_testkit as assets;

use std::time::Instant;

use assets::asset;

fn main() {
    let pdfium = plait_ocr::Pdfium::load(&assets::pdfium()).unwrap();
    let path = asset("fixtures/ghostscript/GS9_Color_Management.pdf");
    let rounds = 10;
    // Warm-up (page cache, PDFium's font caches).
    let pages = pdfium.text(&path, None).unwrap().pages.len();
    let started = Instant::now();
    let mut lines = 0;
    for _ in 0..rounds {
        let doc = pdfium.text(&path, None).unwrap();
        lines += doc.pages.iter().map(|p| p.lines.len()).sum::<usize>();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}: {pages} pages x {rounds} rounds: {:.0} pages/s ({:.1} ms/page, {} lines per round) (goal >= 50 pages/s)",
        path.file_name().unwrap().to_string_lossy(),
        (pages * rounds) as f64 / secs,
        secs * 1e3 / (pages * rounds) as f64,
        lines / rounds
    );
}
