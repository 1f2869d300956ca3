//! `plait check`: every byte of an index root checked (manifest database, each index's
//! checksums and arrays); damage is listed file by file with the fix.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::assets::Home;
use crate::commands::runtime;
use crate::term;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Index root holding code/, docs/ and manifest.sqlite [default: ./indexes]
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(_home: &Home, args: &Args) -> Result<ExitCode> {
    let root = runtime::index_root(args.index_dir.clone());
    let report = plait_ingest::check::check_root(&root)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else if report.is_whole() {
        writeln!(out, "{}: whole (every checksum matches)", term::path(&root))?;
    } else {
        for p in report.problems() {
            writeln!(
                out,
                "damaged: {}: {}",
                term::path(&p.path),
                term::line(&p.reason)
            )?;
        }
        writeln!(
            out,
            "to repair: plait ingest DIR... --index-dir {} --repair (damaged parts are moved aside and rebuilt from the folders; the rest is kept)",
            term::path(&root)
        )?;
    }
    out.flush()?;
    Ok(if report.is_whole() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
