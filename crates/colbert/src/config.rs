//! `onnx_config.json`: how a ColBERT ONNX export wants its inputs built.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{ColbertError, Result};

/// The model-directory configuration shared by ColBERT ONNX exports.
///
/// Field names follow the `onnx_config.json` written by ColBERT export tools, so a user's
/// answerai-colbert-small-v1 or LateOn-Code directory works unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Text (usually one marker token such as `[unused0]` or `[Q] `) put after `[CLS]`
    /// in queries. Empty for none.
    #[serde(default)]
    pub query_prefix: String,
    /// The same for documents.
    #[serde(default)]
    pub document_prefix: String,
    /// Maximum query length in tokens, special tokens included.
    pub query_length: usize,
    /// Maximum document length in tokens, special tokens included.
    pub document_length: usize,
    /// Pad queries to `query_length` with the mask token (ColBERT query augmentation).
    #[serde(default)]
    pub do_query_expansion: bool,
    /// Whether the padding mask tokens of an expanded query are attended to.
    #[serde(default)]
    pub attend_to_expansion_tokens: bool,
    /// Words (punctuation in ColBERT) whose token vectors are dropped from documents.
    #[serde(default)]
    pub skiplist_words: Vec<String>,
    /// Id of the mask token used for query expansion.
    pub mask_token_id: u32,
    /// Id of the padding token.
    pub pad_token_id: u32,
    /// Whether the model lower-cases its input (the tokenizer's normaliser does it).
    #[serde(default)]
    pub do_lower_case: bool,
    /// Whether the graph takes a `token_type_ids` input.
    #[serde(default)]
    pub uses_token_type_ids: bool,
    /// Dimension of the output token vectors.
    pub embedding_dim: usize,
    /// Name of the graph output holding token vectors; the first output when absent.
    #[serde(default)]
    pub output_name: Option<String>,
    /// Free-form model name, reported by `plait doctor` and index metadata.
    #[serde(default)]
    pub model_name: Option<String>,
}

impl ModelConfig {
    /// Reads and checks `onnx_config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ColbertError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let cfg: ModelConfig = serde_json::from_str(&text).map_err(|e| ColbertError::Config {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        cfg.validate(path)?;
        Ok(cfg)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let bad = |reason: &str| {
            Err(ColbertError::Config {
                path: path.to_path_buf(),
                reason: reason.to_string(),
            })
        };
        if self.embedding_dim == 0 {
            return bad("embedding_dim must be positive");
        }
        // [CLS], a prefix token, one content token and [SEP].
        if self.query_length < 4 || self.document_length < 4 {
            return bad("query_length and document_length must be at least 4");
        }
        Ok(())
    }
}
