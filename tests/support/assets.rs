//! Test-only: locating the assets `scripts/setup` installed (shared by every crate's tests).
//!
//! Tests never skip when an asset is missing: they fail and name the setup command.

#![allow(dead_code)]

use std::path::PathBuf;

/// The assets directory: `$PLAIT_HOME`, else `~/.cache/plait` (as the binary resolves it).
pub fn home() -> PathBuf {
    match std::env::var_os("PLAIT_HOME") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is not set"))
            .join(".cache")
            .join("plait"),
    }
}

/// Path of an installed asset, relative to the assets directory; panics with the fix
/// when it is missing.
pub fn asset(rel: &str) -> PathBuf {
    let p = home().join(rel);
    assert!(
        p.exists(),
        "missing test asset {}: run `scripts/setup` (or set PLAIT_HOME to the assets directory)",
        p.display()
    );
    p
}
