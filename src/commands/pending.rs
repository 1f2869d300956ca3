//! Commands whose implementation has not landed yet: they say so and exit 69.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

/// Exit status of a command that is not available yet (EX_UNAVAILABLE).
pub const NOT_AVAILABLE: u8 = 69;

#[derive(Debug, clap::Args)]
pub struct FileArgs {
    /// The file to read
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct NoArgs {}

/// Reports that `command` is tracked by `issue` and not built yet.
pub fn not_yet(command: &str, issue: u32) -> Result<ExitCode> {
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "plait {command}: not available yet (tracked in issue #{issue}); \
             `plait doctor` checks what is installed so far"
        );
    }
    Ok(ExitCode::from(NOT_AVAILABLE))
}
