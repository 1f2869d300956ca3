//! Test-only: running the `plait` binary with the installed assets.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use super::assets;

/// Runs `plait args...` with the installed assets and waits for it.
pub fn plait(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(args)
        .env("PLAIT_HOME", assets::home())
        .output()
        .expect("run plait")
}

/// Starts `plait args...` with the installed assets, its stdin, stdout and stderr piped.
pub fn spawn<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Child {
    Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(args)
        .env("PLAIT_HOME", assets::home())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start plait")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `plait ingest dir --index-dir idx`, which must succeed.
pub fn ingest(dir: &Path, idx: &Path) -> Output {
    let o = plait(&[
        "ingest",
        dir.to_str().unwrap(),
        "--index-dir",
        idx.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "ingest failed: {}", stderr(&o));
    o
}

/// `plait search ... --json --index-dir idx`: one JSON object per result.
pub fn search_json(idx: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", "--index-dir", idx.to_str().unwrap()]);
    let o = plait(&all);
    assert!(o.status.success(), "search failed: {}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
