//! The assets directory: where setup put native libraries, models and fixtures.
//!
//! The pins come from `scripts/assets.toml`, embedded at build time, so `plait doctor`
//! checks exactly what `scripts/setup` installs.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The pinned asset manifest, as written in `scripts/assets.toml`.
pub const LOCK: &str = include_str!("../scripts/assets.toml");

/// The command that fetches anything missing.
pub const SETUP: &str = "scripts/setup";

#[derive(Debug, Deserialize)]
pub struct Lock {
    pub source: Vec<Source>,
    pub asset: Vec<Asset>,
}

#[derive(Debug, Deserialize)]
pub struct Source {
    pub id: String,
    pub registry: String,
    pub package: String,
    pub version: String,
    pub licence: String,
}

#[derive(Debug, Deserialize)]
pub struct Part {
    pub source: String,
}

#[derive(Debug, Deserialize)]
pub struct Asset {
    pub id: String,
    pub kind: String,
    pub description: String,
    pub path: String,
    pub sha256: String,
    pub parts: Vec<Part>,
    /// Set for assets derived from other assets by a repository script.
    #[serde(default)]
    pub generator: Option<String>,
}

impl Lock {
    pub fn embedded() -> Self {
        // The manifest is part of the source tree and checked by a unit test.
        toml::from_str(LOCK).unwrap_or_else(|e| unreachable!("scripts/assets.toml: {e}"))
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.source.iter().find(|s| s.id == id)
    }
}

impl Asset {
    /// Licence of the registry package this asset comes from.
    pub fn licence(&self, lock: &Lock) -> String {
        match self.generator.as_deref() {
            Some("test-gguf") => {
                return "Apache-2.0 (derived from SmolLM2-135M-Instruct)".to_string()
            }
            Some(_) => return "Apache-2.0 (derived from the default encoder)".to_string(),
            None => {}
        }
        match self.parts.first().map(|p| p.source.as_str()) {
            Some("repo") | None => "MIT OR Apache-2.0".to_string(),
            Some(id) => lock
                .source(id)
                .map_or_else(String::new, |s| s.licence.clone()),
        }
    }

    /// "package version" of the registry file(s) this asset comes from.
    pub fn origin(&self, lock: &Lock) -> String {
        if let Some(g) = &self.generator {
            return format!("generated ({g}, by scripts/setup)");
        }
        match self.parts.first().map(|p| p.source.as_str()) {
            Some("repo") | None => "plait repository".to_string(),
            Some(id) => {
                let one = lock.source(id).map_or_else(
                    || id.to_string(),
                    |s| format!("{} {} ({})", s.package, s.version, s.registry),
                );
                match self.parts.len() {
                    1 => one,
                    n => format!("{one} + {} more parts", n - 1),
                }
            }
        }
    }
}

/// The assets directory in use: `--home`, else `$PLAIT_HOME`, else `~/.cache/plait`.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    pub fn resolve(flag: Option<PathBuf>) -> Result<Self> {
        let root = match flag.or_else(|| std::env::var_os("PLAIT_HOME").map(PathBuf::from)) {
            Some(p) => p,
            None => {
                let home = std::env::var_os("HOME")
                    .context("cannot find the assets directory: HOME is not set; pass --home DIR or set PLAIT_HOME")?;
                PathBuf::from(home).join(".cache").join("plait")
            }
        };
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of asset `id`, which must exist; the error names it and the fix.
    pub fn require(&self, lock: &Lock, id: &str) -> Result<PathBuf> {
        let asset = lock
            .asset
            .iter()
            .find(|a| a.id == id)
            .with_context(|| format!("internal: no asset {id:?} in scripts/assets.toml"))?;
        let path = self.root.join(&asset.path);
        if !path.is_file() {
            bail!(
                "missing {} ({}) at {}: run `{SETUP}` (with --home {} if you moved the assets)",
                asset.id,
                asset.description,
                path.display(),
                self.root.display()
            );
        }
        Ok(path)
    }

    /// Directory holding asset `id` (for model directories).
    pub fn require_dir_of(&self, lock: &Lock, id: &str) -> Result<PathBuf> {
        let file = self.require(lock, id)?;
        Ok(file.parent().map(Path::to_path_buf).unwrap_or_default())
    }
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_parses_and_ids_are_unique() {
        let lock = Lock::embedded();
        let mut ids: Vec<_> = lock.asset.iter().map(|a| a.id.as_str()).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate asset ids");
        for a in &lock.asset {
            assert_eq!(a.sha256.len(), 64, "{}: sha256 must be 64 hex digits", a.id);
            for p in &a.parts {
                assert!(
                    p.source == "repo" || lock.source(&p.source).is_some(),
                    "{}: unknown source {}",
                    a.id,
                    p.source
                );
            }
        }
    }

    #[test]
    fn repo_files_match_their_pins() {
        // Assets copied from this repository (the encoder config) must be re-pinned
        // whenever they are edited, or setup would refuse them.
        let lock: toml::Value = toml::from_str(LOCK).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for a in lock["asset"].as_array().unwrap() {
            for p in a["parts"].as_array().unwrap() {
                if p["source"].as_str() == Some("repo") {
                    let file = root.join(p["member"].as_str().unwrap());
                    assert_eq!(
                        sha256_file(&file).unwrap(),
                        a["sha256"].as_str().unwrap(),
                        "{} changed: update its sha256 in scripts/assets.toml",
                        file.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 0);
    }
}
