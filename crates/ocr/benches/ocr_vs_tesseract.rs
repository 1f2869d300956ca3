//! OCR side by side with Debian's tesseract on the same scanned pages rendered at the same
//! DPI: seconds per page, and the character error rate on ocrmypdf's `linn.pdf` and
//! `skew.pdf` (the same page scanned tilted) against `linn.txt`. Four engines run interleaved on each page (median of three runs
//! each, after a warm-up), so machine noise hits them alike:
//!
//! - plait as the binary runs it: the models it uses (`ppocrv4-int8`: folded graphs,
//!   INT8 recogniser, derived by `scripts/optimize_ocr.py`), a page's lines read by two
//!   single-threaded workers side by side;
//! - plait with the folded models in float (`ppocrv4-folded`, exact) and
//! - plait with the published PP-OCRv4 models (`ppocrv4`), the baseline of both, these
//!   two on 2-thread sessions with 6 lines per run (their best setting);
//! - tesseract 5 with `OMP_THREAD_LIMIT=1` (its best setting on 2 cores: its OpenMP
//!   threads fight otherwise).
//!
//! CER folds typographic variants (curly quotes, dashes, ligatures) for every engine,
//! since the reference is itself OCR output that uses them inconsistently; the raw CER is
//! printed beside it.
//!
//! Then a multi-page document (ocrmypdf's `multipage.pdf`, all 6 pages OCR'd)
//! through `Pdfium::read`: pages one after the other on 2 threads against two pages at
//! once on one thread each (the engine's page workers), beside tesseract one page at a
//! time and two processes at once.
//!
//! `scripts/bench-ocr` installs tesseract when missing and runs this.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use plait_testkit as assets;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use assets::asset;
use plait_ocr::cer::{character_error_rate, Folding};
use plait_ocr::{OcrEngine, OcrEngineBuilder, Raster, ReadOptions};

const DPI: f32 = 300.0;
const RUNS: usize = 3;

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

fn plait(engine: &OcrEngine, image: &Raster) -> String {
    plait_ocr::OcrLine::join(&engine.recognize(image).unwrap())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rt = plait_onnx::OnnxRuntime::load(&assets::onnxruntime()).unwrap();
    // plait as the binary builds it (single-threaded workers reading a page's lines side
    // by side); the float baselines as they run best (two threads, batches of 6).
    let ours = OcrEngineBuilder::new(asset("models/ocr/ppocrv4-int8"))
        .threads(threads)
        .parallel_pages(threads)
        .build(&rt)
        .unwrap();
    let load = |dir: &str| {
        OcrEngineBuilder::new(asset(dir))
            .threads(threads)
            .lines_per_run(6)
            .build(&rt)
            .unwrap()
    };
    let engines = [
        ours,
        load("models/ocr/ppocrv4-folded"),
        load("models/ocr/ppocrv4"),
    ];
    let pdfium = plait_ocr::Pdfium::load(&assets::pdfium()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let pages = [
        (
            "fixtures/ocrmypdf/linn.pdf",
            Some("fixtures/ocrmypdf/linn.txt"),
        ),
        ("fixtures/ocrmypdf/cardinal.pdf", None),
        // The same page as linn.pdf, scanned tilted.
        (
            "fixtures/ocrmypdf/skew.pdf",
            Some("fixtures/ocrmypdf/linn.txt"),
        ),
    ];
    println!(
        "s/page (median of {RUNS}) and CER folded (raw); {DPI} DPI, plait on {threads} threads, tesseract OMP_THREAD_LIMIT=1"
    );
    println!(
        "{:<13} {:>7} {:>7} {:>9} {:>9}   {:>16} {:>16} {:>16} {:>16}",
        "page",
        "plait",
        "folded",
        "published",
        "tesseract",
        "plait CER",
        "folded CER",
        "published CER",
        "tesseract CER"
    );
    let mut totals = [0.0f64; 4];
    for (rel, reference) in pages {
        let secs = page_row(&engines, &pdfium, tmp.path(), rel, reference);
        for (total, s) in totals.iter_mut().zip(secs) {
            *total += s;
        }
    }
    println!(
        "total s: plait {:.2}, folded {:.2}, published {:.2}, tesseract {:.2}; plait / tesseract = {:.2}, plait / published = {:.2}, folded / published = {:.2}",
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[0] / totals[3],
        totals[0] / totals[2],
        totals[1] / totals[2]
    );
    rendered_text_pages(&engines[0], &pdfium, tmp.path());
    multi_page(&rt, &pdfium, threads, tmp.path());
}

/// One page's row: seconds per page (median of [`RUNS`]) of the three engines and
/// tesseract, and their character error rates against `reference` when given.
fn page_row(
    engines: &[OcrEngine; 3],
    pdfium: &plait_ocr::Pdfium,
    tmp: &Path,
    rel: &str,
    reference: Option<&str>,
) -> [f64; 4] {
    let path = asset(rel);
    let image = pdfium.render(&path, 1, DPI, None).unwrap();
    let png = tmp.join("page.png");
    image::RgbImage::from_raw(image.width as u32, image.height as u32, image.data.clone())
        .unwrap()
        .save(&png)
        .unwrap();
    // Warm-up, and the texts to score.
    let texts = [
        plait(&engines[0], &image),
        plait(&engines[1], &image),
        plait(&engines[2], &image),
        tesseract(&png),
    ];
    let mut times: [Vec<f64>; 4] = Default::default();
    for _ in 0..RUNS {
        for (k, engine) in engines.iter().enumerate() {
            let t = Instant::now();
            plait(engine, &image);
            times[k].push(t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        tesseract(&png);
        times[3].push(t.elapsed().as_secs_f64());
    }
    let secs = times.map(median);
    let cers = texts.map(|t| match reference {
        Some(r) => {
            let r = std::fs::read_to_string(asset(r)).unwrap();
            format!(
                "{:.5} ({:.4})",
                character_error_rate(&t, &r, Folding::Typography),
                character_error_rate(&t, &r, Folding::None)
            )
        }
        None => "-".into(),
    });
    println!(
        "{:<13} {:>7.2} {:>7.2} {:>9.2} {:>9.2}   {:>16} {:>16} {:>16} {:>16}",
        Path::new(rel).file_name().unwrap().to_string_lossy(),
        secs[0],
        secs[1],
        secs[2],
        secs[3],
        cers[0],
        cers[1],
        cers[2],
        cers[3]
    );
    secs
}

/// Pages of text PDFs rendered at the same DPI, read by both engines and scored against
/// the PDF's own text layer: a reference neither engine produced (`linn.txt` is itself
/// OCR output, with that engine's quirks).
fn rendered_text_pages(engine: &OcrEngine, pdfium: &plait_ocr::Pdfium, tmp: &Path) {
    // Prose pages (a diagram page's text layer is in no reading order).
    let pages = [
        ("fixtures/pypdf/crazyones.pdf", 1),
        ("fixtures/ghostscript/GS9_Color_Management.pdf", 2),
        ("fixtures/ghostscript/GS9_Color_Management.pdf", 4),
        ("fixtures/ghostscript/GS9_Color_Management.pdf", 6),
        ("fixtures/ghostscript/GS9_Color_Management.pdf", 8),
        ("fixtures/ghostscript/GS9_Color_Management.pdf", 12),
    ];
    let (mut ours_errors, mut theirs_errors, mut chars) = (0.0, 0.0, 0.0);
    for (rel, number) in pages {
        let path = asset(rel);
        let layer = pdfium.text(&path, None).unwrap();
        let reference = &layer.pages[number - 1].text;
        let image = pdfium.render(&path, number, DPI, None).unwrap();
        let png = tmp.join("text-page.png");
        image::RgbImage::from_raw(image.width as u32, image.height as u32, image.data.clone())
            .unwrap()
            .save(&png)
            .unwrap();
        let ours = character_error_rate(&plait(engine, &image), reference, Folding::Typography);
        let theirs = character_error_rate(&tesseract(&png), reference, Folding::Typography);
        let n = reference
            .split_whitespace()
            .map(|w| w.chars().count() + 1)
            .sum::<usize>() as f64;
        ours_errors += ours * n;
        theirs_errors += theirs * n;
        chars += n;
        println!(
            "{} page {number}, rendered: CER against its text layer: plait {ours:.4}, tesseract {theirs:.4}",
            Path::new(rel).file_name().unwrap().to_string_lossy()
        );
    }
    println!(
        "rendered text pages, {chars:.0} reference characters: CER plait {:.4}, tesseract {:.4}",
        ours_errors / chars,
        theirs_errors / chars
    );
}

fn multi_page(
    rt: &plait_onnx::OnnxRuntime,
    pdfium: &plait_ocr::Pdfium,
    threads: usize,
    tmp: &Path,
) {
    let path = asset("fixtures/ocrmypdf/multipage.pdf");
    let dir = asset("models/ocr/ppocrv4-int8");
    let build = |workers: usize| {
        OcrEngineBuilder::new(&dir)
            .threads(threads)
            .parallel_pages(workers)
            .build(rt)
            .unwrap()
    };
    let (sequential, parallel) = (build(0), build(threads));
    let options = ReadOptions {
        dpi: DPI,
        ..Default::default()
    };
    let mut scanned = Vec::new();
    let mut read = |engine: &OcrEngine| {
        let t = Instant::now();
        scanned.clear();
        pdfium
            .read(engine, &path, &options, |p| {
                if let plait_ocr::ReadPage::Ocr { number, .. } = p.unwrap() {
                    scanned.push(number);
                }
            })
            .unwrap();
        t.elapsed().as_secs_f64()
    };
    read(&parallel); // warm-up
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        one.push(read(&sequential));
        two.push(read(&parallel));
    }
    let pngs: Vec<_> = scanned
        .iter()
        .map(|&n| {
            let image = pdfium.render(&path, n, DPI, None).unwrap();
            let png = tmp.join(format!("page{n}.png"));
            image::RgbImage::from_raw(image.width as u32, image.height as u32, image.data)
                .unwrap()
                .save(&png)
                .unwrap();
            png
        })
        .collect();
    let t = Instant::now();
    for png in &pngs {
        tesseract(png);
    }
    let tess_one = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for pair in pngs.chunks(2) {
        std::thread::scope(|s| {
            for png in pair {
                s.spawn(move || tesseract(png));
            }
        });
    }
    let tess_two = t.elapsed().as_secs_f64();
    let (one, two) = (median(one), median(two));
    let n = scanned.len() as f64;
    println!(
        "multipage.pdf, {} scanned pages (render + OCR, median of {RUNS}): plait one page at a time on {threads} threads {one:.2} s ({:.2} s/page), {threads} pages at once on 1 thread each {two:.2} s ({:.2} s/page); parallel / sequential = {:.2}",
        scanned.len(),
        one / n,
        two / n,
        two / one
    );
    println!(
        "tesseract on the same pages: one at a time {tess_one:.2} s ({:.2} s/page), two processes at once {tess_two:.2} s ({:.2} s/page); plait parallel / tesseract two at once = {:.2}",
        tess_one / n,
        tess_two / n,
        two / tess_two
    );
}
