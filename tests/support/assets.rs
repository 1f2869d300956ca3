//! Test-only: locating the assets `scripts/setup` installed, through the test kit
//! (`crates/testkit`, which reads the same pins as the binary).
//!
//! Tests never skip when an asset is missing: they fail and name the setup command.

#![allow(unused_imports)]

pub use plait_testkit::{asset, home, onnxruntime, pdfium, pinned};
