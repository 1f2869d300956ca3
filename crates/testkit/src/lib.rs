//! Test-only (a dev-dependency of the crates and the binary): the assets `scripts/setup`
//! installed, found through the same pins as the binary (`scripts/assets.toml`, which
//! `src/assets.rs` embeds too), and tiny PDFs written on the fly ([`pdf`]).
//!
//! Tests never skip when an asset is missing: they fail and name the setup command.

pub mod pdf;

use std::path::PathBuf;

use serde::Deserialize;

/// The pins, as the binary embeds them.
const PINS: &str = include_str!("../../../scripts/assets.toml");

#[derive(Deserialize)]
struct Pins {
    asset: Vec<Pin>,
}

#[derive(Deserialize)]
struct Pin {
    id: String,
    path: String,
}

/// The assets directory: `$PLAIT_HOME`, else `~/.cache/plait` (as the binary resolves it).
pub fn home() -> PathBuf {
    match std::env::var_os("PLAIT_HOME") {
        Some(p) => PathBuf::from(p),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| panic!("HOME is not set")))
                .join(".cache")
                .join("plait")
        }
    }
}

/// The path of pinned asset `id` relative to the assets directory (as
/// `scripts/assets.toml` lays it out); panics when no pin has that id.
pub fn pinned(id: &str) -> String {
    let pins: Pins = toml::from_str(PINS).unwrap_or_else(|e| panic!("scripts/assets.toml: {e}"));
    pins.asset
        .into_iter()
        .find(|p| p.id == id)
        .map(|p| p.path)
        .unwrap_or_else(|| panic!("no asset {id:?} in scripts/assets.toml"))
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

/// The installed ONNX Runtime library the binary loads.
pub fn onnxruntime() -> PathBuf {
    asset(&pinned("onnxruntime"))
}

/// The installed PDFium library the binary loads.
pub fn pdfium() -> PathBuf {
    asset(&pinned("pdfium"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pins_name_the_native_libraries() {
        assert!(pinned("onnxruntime").starts_with("lib/libonnxruntime.so"));
        assert_eq!(pinned("pdfium"), "lib/libpdfium.so");
    }
}
