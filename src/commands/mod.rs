//! One module per subcommand.

pub mod doctor;
pub mod eval;
pub mod ingest;
pub mod mcp;
pub mod ocr;
pub mod pending;
pub mod runtime;
pub mod search;
pub mod serve;
pub mod watch;
