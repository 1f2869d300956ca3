//! Scanned pages and page images are OCR'd during ingest (real PDFium and PP-OCRv4; the
//! encoder is the deterministic fake, since only the extracted text matters here).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use plait_testkit as assets;

use plait_colbert::testing::HashEncoder;
use plait_colbert::OnnxRuntime;
use plait_ingest::manifest::Manifest;
use plait_ingest::{ChunkBudget, DiscoverConfig, IngestConfig, Ingester, OcrPdf, DOCS};
use plait_ocr::{OcrEngineBuilder, Pdfium};

#[test]
fn a_scanned_pdf_and_a_png_of_it_are_read_by_ocr() {
    let rt = OnnxRuntime::load(&assets::onnxruntime()).unwrap();
    let engine = OcrEngineBuilder::new(assets::asset("models/ocr/ppocrv4-int8"))
        .threads(2)
        .build(&rt)
        .unwrap();
    let pdfium = Pdfium::load(&assets::pdfium()).unwrap();
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

#[test]
fn pdf_chunks_carry_the_section_heading_over_them() {
    let pdfium = Pdfium::load(&assets::pdfium()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("papers");
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::copy(
        assets::asset("fixtures/ghostscript/GS9_Color_Management.pdf"),
        corpus.join("gs9.pdf"),
    )
    .unwrap();
    let enc = HashEncoder::new(16);
    let config = IngestConfig {
        index_root: tmp.path().join("idx"),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget::default(),
        index: plait_colbert::IndexConfig::default(),
    };
    let report = Ingester::new(config, &enc, &enc, Some(&pdfium))
        .run(std::slice::from_ref(&corpus), &|_| {})
        .unwrap();
    assert_eq!(report.files_added, 1, "{report:?}");
    let m = Manifest::open(&tmp.path().join("idx")).unwrap();
    let mut by_page: Vec<(usize, Option<String>)> = Vec::new();
    for k in m.keys_matching(DOCS, None, None).unwrap() {
        for c in m.chunks_of(DOCS, k).unwrap() {
            by_page.push((c.page.unwrap(), c.symbol.clone()));
        }
    }
    by_page.sort();
    let heading_on = |page: usize| -> Vec<String> {
        by_page
            .iter()
            .filter(|(p, _)| *p == page)
            .filter_map(|(_, s)| s.clone())
            .collect()
    };
    assert_eq!(by_page.iter().map(|p| p.0).max(), Some(42));
    // Section 5 starts on page 22 and is still in force on page 30 (carried over).
    assert!(
        heading_on(22)
            .iter()
            .any(|h| h == "5 Details of objects and methods"),
        "{by_page:?}"
    );
    assert!(
        heading_on(30)
            .iter()
            .all(|h| h == "5 Details of objects and methods"),
        "{by_page:?}"
    );
    assert!(
        heading_on(42).iter().any(|h| h == "9 PCL and XPS Support"),
        "{by_page:?}"
    );
}
