//! Scanned pages and page images are OCR'd during ingest (real PDFium and PP-OCRv4; the
//! encoder is the deterministic fake, since only the extracted text matters here).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

#[path = "../../../tests/support/assets.rs"]
mod assets;

use plait_colbert::testing::HashEncoder;
use plait_colbert::OnnxRuntime;
use plait_ingest::manifest::Manifest;
use plait_ingest::{ChunkBudget, DiscoverConfig, IngestConfig, Ingester, OcrPdf, DOCS};
use plait_ocr::{OcrEngineBuilder, Pdfium};

#[test]
fn a_scanned_pdf_and_a_png_of_it_are_read_by_ocr() {
    let rt = OnnxRuntime::load(&assets::asset("lib/libonnxruntime.so.1.31.1")).unwrap();
    let engine = OcrEngineBuilder::new(assets::asset("models/ocr/ppocrv4"))
        .threads(2)
        .build(&rt)
        .unwrap();
    let pdfium = Pdfium::load(&assets::asset("lib/libpdfium.so")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("scans");
    std::fs::create_dir_all(&corpus).unwrap();
    let linn = assets::asset("fixtures/ocrmypdf/linn.pdf");
    std::fs::copy(&linn, corpus.join("linn.pdf")).unwrap();
    // The same page as a PNG image at 200 DPI.
    let page = pdfium.render(&linn, 1, 200.0, None).unwrap();
    image::RgbImage::from_raw(page.width as u32, page.height as u32, page.data)
        .unwrap()
        .save(corpus.join("linn-page.png"))
        .unwrap();
    std::fs::write(corpus.join("broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();

    let enc = HashEncoder::new(16);
    let pdf = OcrPdf {
        pdfium,
        engine: &engine,
        dpi: 300.0,
    };
    let config = IngestConfig {
        index_root: tmp.path().join("idx"),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget::default(),
        index: plait_colbert::IndexConfig::default(),
    };
    let report = Ingester::new(config, &enc, &enc, Some(&pdf))
        .run(std::slice::from_ref(&corpus), &|_| {})
        .unwrap();
    assert_eq!(report.files_added, 2, "{report:?}");
    assert!(report.warnings.is_empty(), "{report:?}");
    // The broken image is reported by name, and the rest was ingested.
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert!(report.errors[0].0.ends_with("broken.png"));

    let m = Manifest::open(&tmp.path().join("idx")).unwrap();
    let keys = m.keys_matching(DOCS, None, None).unwrap();
    let mut text_by_file = std::collections::HashMap::<String, String>::new();
    for k in keys {
        for c in m.chunks_of(DOCS, k).unwrap() {
            assert_eq!(c.page, Some(1));
            let name = c.path.file_name().unwrap().to_string_lossy().into_owned();
            text_by_file.entry(name).or_default().push_str(&c.text);
        }
    }
    for name in ["linn.pdf", "linn-page.png"] {
        let text = &text_by_file[name];
        for phrase in ["LinnSequencer", "MIDI", "Tarzana"] {
            assert!(text.contains(phrase), "{name} lacks {phrase:?}:\n{text}");
        }
    }
}
