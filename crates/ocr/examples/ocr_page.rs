//! Development aid: OCR one PDF page and print the lines (`cargo run --release -p plait-ocr --example ocr_page -- HOME FILE PAGE DPI [THREADS [MODELS_DIR [REPEAT]]]`, models relative to HOME, default `models/ocr/ppocrv4-int8`).
#![allow(clippy::unwrap_used, clippy::print_stdout)]
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let home = std::path::PathBuf::from(&a[1]);
    let rt =
        plait_onnx::OnnxRuntime::load(&home.join(plait_testkit::pinned("onnxruntime"))).unwrap();
    let pdf = plait_ocr::Pdfium::load(&home.join(plait_testkit::pinned("pdfium"))).unwrap();
    let engine = plait_ocr::OcrEngineBuilder::new(
        home.join(a.get(6).map_or("models/ocr/ppocrv4-int8", String::as_str)),
    )
    .threads(a.get(5).map_or(2, |t| t.parse().unwrap()))
    .parallel_pages(a.get(5).map_or(2, |t| t.parse().unwrap()))
    .build(&rt)
    .unwrap();
    let t = std::time::Instant::now();
    let img = pdf
        .render(
            std::path::Path::new(&a[2]),
            a[3].parse().unwrap(),
            a[4].parse().unwrap(),
            None,
        )
        .unwrap();
    let t_render = t.elapsed();
    let t_det = std::time::Instant::now();
    let boxes = engine.detect(&img).unwrap();
    let t_det = t_det.elapsed();
    // Optional 7th argument: recognise that many more times and print each time.
    for _ in 0..a.get(7).map_or(0, |n| n.parse::<usize>().unwrap()) {
        let t = std::time::Instant::now();
        engine.recognize(&img).unwrap();
        println!("again: {:?}", t.elapsed());
    }
    let t_all = std::time::Instant::now();
    let lines = engine.recognize(&img).unwrap();
    println!(
        "detect {t_det:?} ({} boxes), recognize (detect + classify + read) {:?}",
        boxes.len(),
        t_all.elapsed()
    );
    println!(
        "render {:?} ({}x{}), total {:?}",
        t_render,
        img.width,
        img.height,
        t.elapsed()
    );
    for l in lines {
        println!(
            "{:.2} {:?} {}",
            l.confidence,
            l.bbox.map(|v| v as i32),
            l.text
        );
    }
}
