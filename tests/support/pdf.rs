//! Test-only: tiny PDFs written on the fly (the test kit's `pdf`).

#![allow(unused_imports)]

pub use plait_testkit::pdf::*;
