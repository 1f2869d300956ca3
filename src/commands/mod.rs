//! One module per subcommand.

pub mod ask;
pub mod check;
pub mod doctor;
pub mod eval;
pub mod eval_ask;
pub mod eval_places;
pub mod eval_speed;
pub mod ingest;
pub mod mcp;
pub mod models;
pub mod ocr;
pub mod runtime;
pub mod search;
pub mod serve;
pub mod summarize;
pub mod watch;
