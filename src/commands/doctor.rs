//! `plait doctor`: every pinned asset present with the right checksum, runtimes loadable.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use crate::assets::{sha256_file, Home, Lock, SETUP};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON document instead of a table
    #[arg(long)]
    json: bool,
    /// Skip loading ONNX Runtime, PDFium and llama.cpp (file checks only)
    #[arg(long)]
    files_only: bool,
}

#[derive(Debug, Serialize)]
struct AssetReport {
    id: String,
    kind: String,
    origin: String,
    licence: String,
    path: PathBuf,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

#[derive(Debug, Serialize)]
struct RuntimeReport {
    name: &'static str,
    ok: bool,
    detail: String,
    millis: u128,
}

#[derive(Debug, Serialize)]
struct Report {
    home: PathBuf,
    assets: Vec<AssetReport>,
    runtimes: Vec<RuntimeReport>,
    problems: usize,
}

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let lock = Lock::embedded();
    let mut assets = Vec::new();
    for a in &lock.asset {
        let path = home.root().join(&a.path);
        let (status, problem) = if !path.is_file() {
            ("missing", Some(format!("{} is missing", path.display())))
        } else {
            match sha256_file(&path) {
                Ok(sum) if sum == a.sha256 => ("ok", None),
                Ok(sum) => (
                    "bad checksum",
                    Some(format!(
                        "{} has sha256 {sum}, expected {}",
                        path.display(),
                        a.sha256
                    )),
                ),
                Err(e) => ("unreadable", Some(format!("{}: {e}", path.display()))),
            }
        };
        assets.push(AssetReport {
            id: a.id.clone(),
            kind: a.kind.clone(),
            origin: a.origin(&lock),
            licence: a.licence(&lock),
            path,
            status,
            problem,
        });
    }
    let runtimes = if args.files_only {
        Vec::new()
    } else {
        check_runtimes(home, &lock)
    };
    let problems = assets.iter().filter(|a| a.problem.is_some()).count()
        + runtimes.iter().filter(|r| !r.ok).count();
    let report = Report {
        home: home.root().to_path_buf(),
        assets,
        runtimes,
        problems,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &report)?;
    }
    if report.problems > 0 {
        #[allow(clippy::print_stderr)]
        {
            for a in report.assets.iter().filter_map(|a| a.problem.as_ref()) {
                eprintln!("plait doctor: {a}");
            }
            eprintln!(
                "plait doctor: {} problem(s) in {}: run `{SETUP}` to fetch and verify the assets",
                report.problems,
                report.home.display()
            );
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    writeln!(out, "assets directory: {}", report.home.display())?;
    let idw = report.assets.iter().map(|a| a.id.len()).max().unwrap_or(0);
    let ow = report
        .assets
        .iter()
        .map(|a| a.origin.len())
        .max()
        .unwrap_or(0);
    for a in &report.assets {
        writeln!(
            out,
            "{:<12} {:<idw$}  {:<ow$}  {}",
            a.status,
            a.id,
            a.origin,
            a.path.display()
        )?;
    }
    for r in &report.runtimes {
        let status = if r.ok { "ok" } else { "FAILED" };
        writeln!(
            out,
            "{status:<12} {:<idw$}  {} ({} ms)",
            r.name, r.detail, r.millis
        )?;
    }
    if report.problems == 0 {
        writeln!(out, "all {} assets verified", report.assets.len())?;
    }
    Ok(())
}

fn timed(name: &'static str, f: impl FnOnce() -> Result<String>) -> RuntimeReport {
    let start = Instant::now();
    let (ok, detail) = match f() {
        Ok(d) => (true, d),
        Err(e) => (false, format!("{e:#}")),
    };
    RuntimeReport {
        name,
        ok,
        detail,
        millis: start.elapsed().as_millis(),
    }
}

fn check_runtimes(home: &Home, lock: &Lock) -> Vec<RuntimeReport> {
    use plait_colbert::Encoder;
    let mut out = vec![timed("onnxruntime+encoder", || {
        let rt = plait_colbert::OnnxRuntime::load(&home.require(lock, "onnxruntime")?)?;
        let dir = home.require_dir_of(lock, "encoder-model")?;
        let enc = plait_colbert::OnnxEncoderBuilder::new(&dir).build(&rt)?;
        let q = enc.encode_queries(&["does the encoder run?"])?;
        Ok(format!(
            "ONNX Runtime loaded; encoder {} gives {} vectors of dim {}",
            dir.display(),
            q[0].len(),
            q[0].dim()
        ))
    })];
    out.push(timed("pdfium", || {
        let pdfium = plait_ocr::Pdfium::load(&home.require(lock, "pdfium")?)?;
        let pdf = home.require(lock, "fixture-pypdf-crazyones")?;
        let text = pdfium.text(&pdf, None)?;
        Ok(format!(
            "PDFium bound; {} page(s) of text read from {}",
            text.pages.len(),
            pdf.file_name().unwrap_or_default().to_string_lossy()
        ))
    }));
    out.push(timed("llama.cpp", || {
        let llama = plait_summarize::Llama::init()?;
        let mut found = Vec::new();
        for id in [
            "smollm2-135m",
            "gemma3-270m",
            "qwen-coder-0.5b",
            "qwen-coder-1.5b",
        ] {
            let path = home.require(lock, id)?;
            let model = plait_summarize::LoadedModel::load(
                llama,
                &plait_summarize::ModelConfig::new(path.clone()),
            )?;
            let info = model.info();
            found.push(format!(
                "{id} ({}, ctx {})",
                info.architecture, info.n_ctx_train
            ));
        }
        Ok(format!("llama.cpp loads {}", found.join(", ")))
    }));
    out
}
