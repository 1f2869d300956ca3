//! `plait ocr FILE`: the text of a PDF or page image per page, from the text layer where
//! it is good and by OCR where it is missing.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::assets::Home;
use crate::commands::runtime;
use crate::term;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A PDF, or a page image (PNG, JPEG, TIFF)
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Pages to read, e.g. `3`, `1-3` or `2-` [default: all]
    #[arg(long, value_name = "RANGE")]
    pages: Option<String>,
    /// OCR every page, even those with a good text layer
    #[arg(long)]
    force_ocr: bool,
    /// One JSON object per page: lines with boxes and confidence, and the source
    #[arg(long)]
    json: bool,
}

/// Parses `N`, `A-B`, `A-` into an inclusive 1-based range.
fn page_range(spec: &str) -> Result<(usize, usize)> {
    let bad = || anyhow::anyhow!("--pages {spec:?}: use N, A-B or A- (pages count from 1)");
    let num = |s: &str| s.trim().parse::<usize>().ok().filter(|&n| n >= 1);
    match spec.split_once('-') {
        None => num(spec).map(|n| (n, n)).ok_or_else(bad),
        Some((a, "")) => num(a).map(|a| (a, usize::MAX)).ok_or_else(bad),
        Some((a, b)) => match (num(a), num(b)) {
            (Some(a), Some(b)) if a <= b => Ok((a, b)),
            _ => Err(bad()),
        },
    }
}

// A bad page is reported on stderr as it happens, and the other pages go on.
#[allow(clippy::print_stderr)]
pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let (first, last) = match &args.pages {
        Some(spec) => page_range(spec)?,
        None => (1, usize::MAX),
    };
    // A FIFO or device would block or never end: refused before anything opens it.
    plait_ingest::require_regular_file(&args.file)?;
    let reader = runtime::PdfReader::load(home)?;
    let is_pdf = args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    let mut out = std::io::stdout().lock();
    if !is_pdf {
        let image = plait_ocr::Raster::open(&args.file, plait_ocr::MAX_RENDER_PIXELS)?;
        let lines = reader.engine().recognize(&image)?;
        print_page(
            &mut out,
            args.json,
            1,
            "ocr",
            &lines_json(&lines),
            &plait_ocr::OcrLine::join(&lines),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let options = plait_ocr::ReadOptions {
        dpi: runtime::OCR_DPI,
        force_ocr: args.force_ocr,
        pages: first..=last,
    };
    let mut failed = 0usize;
    let summary = reader
        .pdfium()
        .read(reader.engine(), &args.file, &options, |page| {
            let printed = match page {
                Ok(plait_ocr::ReadPage::Ocr { number, lines }) => print_page(
                    &mut out,
                    args.json,
                    number,
                    "ocr",
                    &lines_json(&lines),
                    &plait_ocr::OcrLine::join(&lines),
                ),
                Ok(plait_ocr::ReadPage::TextLayer(page)) => {
                    let lines: Vec<serde_json::Value> = page
                        .lines
                        .iter()
                        .map(|l| serde_json::json!({"text": l.text, "bbox": l.bbox, "font_size": l.font_size}))
                        .collect();
                    print_page(
                        &mut out,
                        args.json,
                        page.number,
                        if page.is_blank() { "blank" } else { "text_layer" },
                        &lines,
                        &page.text,
                    )
                }
                Err(e) => Err(e.into()),
            };
            // One bad page does not stop the others.
            if let Err(e) = printed {
                eprintln!("plait: {}", term::error(&e));
                failed += 1;
            }
        })
        .with_context(|| format!("reading {}", term::path(&args.file)))?;
    anyhow::ensure!(
        summary.page_count > 0,
        "{} has no pages",
        term::path(&args.file)
    );
    anyhow::ensure!(
        first <= summary.page_count,
        "--pages {}: {} has {} page(s)",
        args.pages.as_deref().unwrap_or_default(),
        term::path(&args.file),
        summary.page_count
    );
    anyhow::ensure!(
        failed == 0,
        "{failed} page(s) of {} could not be read (errors above)",
        term::path(&args.file)
    );
    Ok(ExitCode::SUCCESS)
}

fn lines_json(lines: &[plait_ocr::OcrLine]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .map(|l| serde_json::json!({"text": l.text, "bbox": l.bbox, "confidence": l.confidence}))
        .collect()
}

fn print_page(
    out: &mut impl Write,
    json: bool,
    number: usize,
    source: &str,
    lines: &[serde_json::Value],
    text: &str,
) -> Result<()> {
    if json {
        let v = serde_json::json!({"page": number, "source": source, "text": text, "lines": lines});
        writeln!(out, "{v}")?;
    } else {
        writeln!(out, "=== page {number} ({source}) ===")?;
        writeln!(out, "{}", term::text(text.trim_end()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::page_range;

    #[test]
    fn page_ranges_parse_and_bad_ones_are_refused() {
        assert_eq!(page_range("3").unwrap(), (3, 3));
        assert_eq!(page_range("1-3").unwrap(), (1, 3));
        assert_eq!(page_range("2-").unwrap(), (2, usize::MAX));
        for bad in ["0", "3-1", "x", "-2", ""] {
            assert!(page_range(bad).is_err(), "{bad}");
        }
    }
}
