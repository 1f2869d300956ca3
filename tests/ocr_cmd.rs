//! `plait ocr`: text layer where it is good, OCR where it is missing, clear errors.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
    pub mod pdf;
}

use std::process::{Command, Output};

use support::{assets, pdf};

fn ocr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plait"))
        .arg("ocr")
        .args(args)
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap()
}

fn pages(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn text_pdfs_use_the_text_layer_and_scans_are_ocr_d() {
    let crazy = assets::asset("fixtures/pypdf/crazyones.pdf");
    let o = ocr(&[crazy.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = pages(&o);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["source"], "text_layer");
    assert!(p[0]["text"].as_str().unwrap().contains("crazy ones"));
    assert!(p[0]["lines"][0]["font_size"].as_f64().unwrap() > 5.0);

    let linn = assets::asset("fixtures/ocrmypdf/linn.pdf");
    let o = ocr(&[linn.to_str().unwrap(), "--json"]);
    let p = pages(&o);
    assert_eq!(p[0]["source"], "ocr");
    assert!(p[0]["text"].as_str().unwrap().contains("LinnSequencer"));
    let line = &p[0]["lines"][0];
    assert!(line["confidence"].as_f64().unwrap() > 0.5);
    assert_eq!(line["bbox"].as_array().unwrap().len(), 4);

    // --force-ocr reads a text page by OCR too.
    let o = ocr(&[crazy.to_str().unwrap(), "--json", "--force-ocr"]);
    let p = pages(&o);
    assert_eq!(p[0]["source"], "ocr");
    assert!(p[0]["text"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("crazy"));
}

#[test]
fn multipage_gives_one_text_per_page_in_order_and_ranges_select() {
    let multi = assets::asset("fixtures/ocrmypdf/multipage.pdf");
    let o = ocr(&[multi.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let numbers: Vec<u64> = pages(&o)
        .iter()
        .map(|p| p["page"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
    let o = ocr(&[multi.to_str().unwrap(), "--json", "--pages", "2-3"]);
    let numbers: Vec<u64> = pages(&o)
        .iter()
        .map(|p| p["page"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 3]);
}

#[test]
fn bad_files_give_clear_errors() {
    let cases = [
        ("fixtures/ocrmypdf/invalid.pdf", "not a valid PDF"),
        ("fixtures/pypdf/encrypted-file.pdf", "password"),
    ];
    for (rel, needle) in cases {
        let o = ocr(&[assets::asset(rel).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{rel}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(needle) && err.contains(rel.rsplit('/').next().unwrap()),
            "{err}"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let o = ocr(&[empty.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty.pdf"));
    let no_pages = tmp.path().join("no-pages.pdf");
    std::fs::write(&no_pages, pdf::tiny_pdf(&[])).unwrap();
    let o = ocr(&[no_pages.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no-pages.pdf has no pages"), "{err}");
    let junk = tmp.path().join("junk.png");
    std::fs::write(&junk, b"not an image").unwrap();
    let o = ocr(&[junk.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("junk.png"));
}
