//! PDFium bound for real: text layers of fixture PDFs and clear errors for bad ones.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use plait_testkit as assets;
use plait_testkit::pdf;

use pdf::tiny_pdf;

use plait_ocr::{OcrError, Pdfium};

fn pdfium() -> Pdfium {
    Pdfium::load(&assets::pdfium()).unwrap()
}

#[test]
fn reads_the_text_layer_of_a_text_pdf() {
    let text = pdfium()
        .text(&assets::asset("fixtures/pypdf/crazyones.pdf"), None)
        .unwrap();
    assert_eq!(text.pages.len(), 1);
    assert!(
        text.pages[0].text.contains("crazy ones"),
        "{}",
        text.pages[0].text
    );
    assert!(text.pages[0].width > 100.0 && text.pages[0].height > 100.0);
}

#[test]
fn reads_every_page_of_the_whitepaper_in_order() {
    let text = pdfium()
        .text(
            &assets::asset("fixtures/ghostscript/GS9_Color_Management.pdf"),
            None,
        )
        .unwrap();
    assert_eq!(text.pages.len(), 42);
    let numbers: Vec<usize> = text.pages.iter().map(|p| p.number).collect();
    assert_eq!(numbers, (1..=42).collect::<Vec<_>>());
    assert!(
        text.pages[0].text.contains("Color"),
        "{}",
        text.pages[0].text
    );
}

#[test]
fn an_invalid_pdf_is_a_clear_error_naming_the_file() {
    let path = assets::asset("fixtures/ocrmypdf/invalid.pdf");
    let err = pdfium().text(&path, None).unwrap_err();
    assert!(matches!(err, OcrError::InvalidPdf { .. }), "{err:?}");
    assert!(err.to_string().contains("invalid.pdf"));
}

#[test]
fn an_encrypted_pdf_asks_for_a_password_and_opens_with_it() {
    let path = assets::asset("fixtures/pypdf/encrypted-file.pdf");
    let err = pdfium().text(&path, None).unwrap_err();
    assert!(matches!(err, OcrError::PasswordRequired { .. }), "{err:?}");
    assert!(err.to_string().contains("password"));
    let text = pdfium().text(&path, Some("test")).unwrap();
    assert!(!text.pages.is_empty());
}

#[test]
fn an_empty_or_missing_file_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("plait-ocr-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        pdfium().text(&empty, None).unwrap_err(),
        OcrError::Empty { .. }
    ));
    assert!(matches!(
        pdfium().text(&dir.join("nope.pdf"), None).unwrap_err(),
        OcrError::Io { .. }
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Scans are single images over the whole page; text PDFs have none. A page mostly under
/// an image with a short text layer (a scanner's stamp) needs OCR; the same page with a
/// page-long layer (an OCR'd scan) does not.
#[test]
fn image_coverage_tells_scans_from_text_pages() {
    let pdf = pdfium();
    let scan = pdf
        .text(&assets::asset("fixtures/ocrmypdf/linn.pdf"), None)
        .unwrap();
    let text = pdf
        .text(&assets::asset("fixtures/pypdf/crazyones.pdf"), None)
        .unwrap();
    let (scan, text) = (&scan.pages[0], &text.pages[0]);
    assert!(scan.image_coverage > 0.9, "{}", scan.image_coverage);
    assert!(text.image_coverage < 0.01, "{}", text.image_coverage);
    assert!(scan.needs_ocr() && !text.needs_ocr());
    let stamped = plait_ocr::PageText {
        text: "Scanned 2024-03-01 by Office Scanner 7, page 1 of 3".into(),
        ..scan.clone()
    };
    assert!(!plait_ocr::needs_ocr(&stamped.text) && stamped.needs_ocr());
    let layered = plait_ocr::PageText {
        text: text.text.clone(),
        ..scan.clone()
    };
    assert!(!layered.needs_ocr());
}

#[test]
fn a_pdf_without_pages_and_a_page_of_absurd_size_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let pdf = pdfium();
    let ok = tmp.path().join("letter.pdf");
    std::fs::write(&ok, tiny_pdf(&[(612.0, 792.0)])).unwrap();
    assert_eq!(pdf.text(&ok, None).unwrap().pages.len(), 1);
    // Zero pages: no page to read, and no panic.
    let empty = tmp.path().join("no-pages.pdf");
    std::fs::write(&empty, tiny_pdf(&[])).unwrap();
    assert!(pdf.text(&empty, None).unwrap().pages.is_empty());
    // 200 x 200 inches: beyond the pixel limit even at the lowest DPI.
    let huge = tmp.path().join("poster.pdf");
    std::fs::write(&huge, tiny_pdf(&[(14_400.0, 14_400.0)])).unwrap();
    let err = pdf.render(&huge, 1, 300.0, None).unwrap_err().to_string();
    assert!(
        err.contains("poster.pdf") && err.contains("pixel limit"),
        "{err}"
    );
    // A large page is rendered at a lower DPI instead.
    let a0 = tmp.path().join("a0.pdf");
    std::fs::write(&a0, tiny_pdf(&[(2384.0, 3370.0)])).unwrap();
    let image = pdf.render(&a0, 1, 300.0, None).unwrap();
    assert!(image.width * image.height <= plait_ocr::MAX_RENDER_PIXELS);
}

#[test]
fn an_image_over_the_pixel_limit_is_refused_before_decoding() {
    let tmp = tempfile::tempdir().unwrap();
    let png = tmp.path().join("big.png");
    image::RgbImage::new(40, 30).save(&png).unwrap();
    assert_eq!(plait_ocr::Raster::open(&png, 10_000).unwrap().width, 40);
    let err = plait_ocr::Raster::open(&png, 1_000)
        .unwrap_err()
        .to_string();
    assert!(err.contains("big.png") && err.contains("40x30"), "{err}");
}

/// The text PDFium reads from a one-page PDF of `lines`.
fn text_of(lines: &[&str]) -> plait_ocr::PdfText {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("lines.pdf");
    std::fs::write(&file, pdf::text_pdf(lines)).unwrap();
    pdfium().text(&file, None).unwrap()
}

#[test]
fn page_text_has_plain_line_ends() {
    let page = text_of(&["First line of the page", "second line", "third line"])
        .pages
        .remove(0)
        .text;
    assert!(!page.contains('\r'), "{page:?}");
    assert!(
        page.contains("First line of the page\nsecond line\nthird line"),
        "{page:?}"
    );
}

#[test]
fn a_word_hyphenated_at_a_line_end_is_joined() {
    let text = text_of(&[
        "Transport layer secu-",
        "rity protects the renego-",
        "tiation of sessions and other applica-",
        "tions of the protocol.",
    ]);
    let page = &text.pages[0].text;
    assert!(!page.contains(plait_ocr::LINE_END_HYPHEN), "{page:?}");
    for word in ["security", "renegotiation", "applications"] {
        assert!(page.contains(word), "{word} in {page:?}");
    }
    assert!(
        page.contains("Transport layer security protects the renegotiation"),
        "{page:?}"
    );
    // The lines (for headings) keep a visible hyphen.
    assert!(
        text.pages[0]
            .lines
            .iter()
            .any(|l| l.text.ends_with("secu-")),
        "{:?}",
        text.pages[0].lines
    );
}
