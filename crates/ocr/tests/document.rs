//! Whole documents through `Pdfium::read`: text layer or OCR per page, page ranges,
//! `force_ocr`, and scanned pages recognised side by side arriving in order with the same
//! text as one at a time.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use plait_testkit as assets;

use plait_ocr::{OcrEngine, OcrEngineBuilder, Pdfium, ReadOptions, ReadPage};
use plait_onnx::OnnxRuntime;

fn engine(page_workers: usize) -> OcrEngine {
    let rt = OnnxRuntime::load(&assets::onnxruntime()).unwrap();
    OcrEngineBuilder::new(assets::asset("models/ocr/ppocrv4-int8"))
        .threads(2)
        .parallel_pages(page_workers)
        .build(&rt)
        .unwrap()
}

fn read(engine: &OcrEngine, file: &str, options: &ReadOptions) -> Vec<ReadPage> {
    let pdf = Pdfium::load(&assets::pdfium()).unwrap();
    let mut pages = Vec::new();
    pdf.read(engine, &assets::asset(file), options, |p| {
        pages.push(p.unwrap());
    })
    .unwrap();
    pages
}

#[test]
fn scanned_pages_read_side_by_side_match_one_at_a_time_in_order() {
    let options = ReadOptions {
        pages: 1..=3,
        ..Default::default()
    };
    let parallel = engine(2);
    assert_eq!(parallel.page_workers().len(), 2);
    let side_by_side = read(&parallel, "fixtures/ocrmypdf/multipage.pdf", &options);
    let one_at_a_time = read(&engine(0), "fixtures/ocrmypdf/multipage.pdf", &options);
    let numbers: Vec<usize> = side_by_side.iter().map(ReadPage::number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(side_by_side
        .iter()
        .all(|p| matches!(p, ReadPage::Ocr { .. })));
    for (a, b) in side_by_side.iter().zip(&one_at_a_time) {
        assert_eq!(a.text(), b.text(), "page {}", a.number());
    }
    assert!(side_by_side[0].text().contains("got a good going-over"));
}

#[test]
fn a_text_pdf_uses_its_text_layer_unless_ocr_is_forced() {
    let engine = engine(0);
    let layer = read(
        &engine,
        "fixtures/pypdf/crazyones.pdf",
        &ReadOptions::default(),
    );
    assert!(!layer.is_empty());
    assert!(layer.iter().all(|p| matches!(p, ReadPage::TextLayer(_))));
    let forced = read(
        &engine,
        "fixtures/pypdf/crazyones.pdf",
        &ReadOptions {
            force_ocr: true,
            pages: 1..=1,
            ..Default::default()
        },
    );
    assert_eq!(forced.len(), 1);
    let ReadPage::Ocr { number, lines } = &forced[0] else {
        panic!("page 1 was not OCR'd");
    };
    assert_eq!(*number, 1);
    assert!(!lines.is_empty());
    // The text layer is the truth for a rendered page.
    let rate = plait_ocr::cer::character_error_rate(
        &forced[0].text(),
        &layer[0].text(),
        plait_ocr::cer::Folding::Typography,
    );
    eprintln!("crazyones.pdf page 1 rendered and OCR'd: CER {rate:.4} against its text layer");
    assert!(rate < 0.01, "CER {rate:.4}\n{}", forced[0].text());
}
