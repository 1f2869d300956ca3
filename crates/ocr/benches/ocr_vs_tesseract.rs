//! OCR side by side with Debian's tesseract on the same scanned pages rendered at the same
//! DPI: seconds per page for both, and the character error rate on ocrmypdf's `linn.pdf`
//! against its reference text. Tesseract runs with OMP_THREAD_LIMIT=1 (its best setting
//! on 2 cores: its OpenMP threads fight otherwise).
//!
//! CER folds typographic variants (curly quotes, dashes, ligatures) for both engines,
//! since the reference is itself OCR output that uses them inconsistently; the raw CER is
//! printed beside it.
//!
//! `scripts/bench-ocr` installs tesseract when missing and runs this.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../../../tests/support/assets.rs"]
mod assets;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use plait_ocr::cer::{character_error_rate, Folding};

const DPI: f32 = 300.0;

fn tesseract(png: &Path) -> String {
    let o = Command::new("tesseract")
        .arg(png)
        .arg("stdout")
        .env("OMP_THREAD_LIMIT", "1")
        .output()
        .expect("tesseract not found: run scripts/bench-ocr (it installs tesseract-ocr)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

use assets::asset;

fn main() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rt = plait_colbert::OnnxRuntime::load(&asset("lib/libonnxruntime.so.1.31.1")).unwrap();
    let engine = plait_ocr::OcrEngineBuilder::new(asset("models/ocr/ppocrv4"))
        .threads(threads)
        .build(&rt)
        .unwrap();
    let pdfium = plait_ocr::Pdfium::load(&asset("lib/libpdfium.so")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let pages = [
        (
            "fixtures/ocrmypdf/linn.pdf",
            Some("fixtures/ocrmypdf/linn.txt"),
        ),
        ("fixtures/ocrmypdf/cardinal.pdf", None),
        ("fixtures/ocrmypdf/skew.pdf", None),
    ];
    println!("page          plait s/page  tesseract s/page   plait CER (raw)  tesseract CER (raw)");
    let (mut ours_total, mut theirs_total) = (0.0, 0.0);
    for (rel, reference) in pages {
        let path = asset(rel);
        let image = pdfium.render(&path, 1, DPI, None).unwrap();
        let png = tmp.path().join("page.png");
        image::RgbImage::from_raw(image.width as u32, image.height as u32, image.data.clone())
            .unwrap()
            .save(&png)
            .unwrap();
        engine.recognize(&image).unwrap(); // warm-up
        let t = Instant::now();
        let lines = engine.recognize(&image).unwrap();
        let ours = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let theirs_text = tesseract(&png);
        let theirs = t.elapsed().as_secs_f64();
        ours_total += ours;
        theirs_total += theirs;
        let ours_text: String = lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let (c_ours, c_theirs) = match reference {
            Some(r) => {
                let r = std::fs::read_to_string(asset(r)).unwrap();
                let both = |t: &str| {
                    format!(
                        "{:.5} ({:.4})",
                        character_error_rate(t, &r, Folding::Typography),
                        character_error_rate(t, &r, Folding::None)
                    )
                };
                (both(&ours_text), both(&theirs_text))
            }
            None => ("-".into(), "-".into()),
        };
        println!(
            "{:<13} {ours:>12.2}  {theirs:>16.2}   {c_ours:>15}  {c_theirs:>19}",
            Path::new(rel).file_name().unwrap().to_string_lossy()
        );
    }
    println!(
        "total: plait {ours_total:.2} s, tesseract {theirs_total:.2} s (plait / tesseract = {:.2}); {DPI} DPI, plait on {threads} threads, tesseract OMP_THREAD_LIMIT=1",
        ours_total / theirs_total
    );
}
