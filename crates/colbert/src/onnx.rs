//! `OnnxEncoder`: a ColBERT ONNX export run through ONNX Runtime.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ort::session::Session;
use ort::value::Tensor;
use tokenizers::Tokenizer;

use crate::{ColbertError, Encoder, ModelConfig, OnnxRuntime, Result, TokenEmbeddings};

const CONFIG_FILE: &str = "onnx_config.json";
const TOKENIZER_FILE: &str = "tokenizer.json";
/// Model files in order of preference: INT8 first, as it is ~3x faster on CPU.
const MODEL_FILES: [&str; 2] = ["model_int8.onnx", "model.onnx"];
/// Queries per inference call at most: they are short (the configured query length), so
/// a server's whole micro-batch runs as one call whatever the document batch size.
const QUERY_BATCH: usize = 32;

/// Builder of an [`OnnxEncoder`] from a model directory.
#[derive(Debug, Clone)]
pub struct OnnxEncoderBuilder {
    dir: PathBuf,
    batch_size: usize,
    session: plait_onnx::SessionOptions,
}

impl OnnxEncoderBuilder {
    /// Starts from a model directory holding `model_int8.onnx` and/or `model.onnx`,
    /// `tokenizer.json` and `onnx_config.json`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            batch_size: 32,
            session: plait_onnx::SessionOptions::default(),
        }
    }

    /// Graph optimisation at load (default all): `Basic` loads faster, for a process
    /// that encodes a few queries and exits.
    pub fn optimization(mut self, optimization: plait_onnx::Optimization) -> Self {
        self.session.optimization = optimization;
        self
    }

    /// Intra-op threads of the ONNX Runtime session (default 1).
    pub fn threads(mut self, threads: usize) -> Self {
        self.session.threads = threads.max(1);
        self
    }

    /// Every setting of the ONNX Runtime session at once (threads, optimisation, the
    /// cache of optimised graphs, prepacking, spinning); the default is
    /// [`plait_onnx::SessionOptions::default`].
    pub fn session_options(mut self, session: plait_onnx::SessionOptions) -> Self {
        self.session = session;
        self
    }

    /// Texts per inference call (default 32).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Loads tokenizer, config and model: the tokenizer and config on a second thread
    /// while this one creates the ONNX Runtime session (each takes tens of milliseconds,
    /// a cold `plait search` waits for both).
    pub fn build(self, runtime: &OnnxRuntime) -> Result<OnnxEncoder> {
        let dir = self.dir;
        let model_path = MODEL_FILES
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file())
            .ok_or(ColbertError::MissingModelFile {
                dir: dir.clone(),
                file: "model_int8.onnx or model.onnx",
            })?;
        let (text_side, session, session_time) = std::thread::scope(|scope| {
            let text_side = scope.spawn(|| {
                let started = Instant::now();
                load_text_side(&dir).map(|loaded| (loaded, started.elapsed()))
            });
            let started = Instant::now();
            let session = self.session.build(runtime, &model_path);
            let session_time = started.elapsed();
            let text_side = text_side
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (text_side, session, session_time)
        });
        let ((config, tokenizer, tokenizer_path), tokenizer_time) = text_side?;
        let session = session?;
        let output_index = match &config.output_name {
            Some(name) => session
                .outputs()
                .iter()
                .position(|o| o.name() == name)
                .ok_or_else(|| ColbertError::Config {
                    path: dir.join(CONFIG_FILE),
                    reason: format!("the model has no output named {name:?}"),
                })?,
            None => 0,
        };
        let prefix_ids = |prefix: &str| -> Result<Vec<u32>> {
            prefix_token_ids(&tokenizer, prefix).map_err(|reason| ColbertError::Tokenizer {
                path: tokenizer_path.clone(),
                reason,
            })
        };
        let query_prefix = prefix_ids(&config.query_prefix)?;
        let document_prefix = prefix_ids(&config.document_prefix)?;
        let mut skiplist: Vec<u32> = config
            .skiplist_words
            .iter()
            .filter_map(|w| tokenizer.token_to_id(w))
            .collect();
        skiplist.sort_unstable();
        skiplist.dedup();
        Ok(OnnxEncoder {
            session: Mutex::new(session),
            tokenizer,
            config,
            model_path,
            output_index,
            query_prefix,
            document_prefix,
            skiplist,
            batch_size: self.batch_size,
            load_times: (tokenizer_time, session_time),
        })
    }
}

/// The model's config and its tokenizer (truncation and padding off: `prepare` does
/// both per the config), and where the tokenizer was read from.
fn load_text_side(dir: &Path) -> Result<(ModelConfig, Tokenizer, PathBuf)> {
    let config = ModelConfig::from_file(&require(dir, CONFIG_FILE)?)?;
    let tokenizer_path = require(dir, TOKENIZER_FILE)?;
    let tokenizer_error = |e: tokenizers::Error| ColbertError::Tokenizer {
        path: tokenizer_path.clone(),
        reason: e.to_string(),
    };
    let mut tokenizer = Tokenizer::from_file(&tokenizer_path).map_err(tokenizer_error)?;
    tokenizer.with_padding(None);
    tokenizer.with_truncation(None).map_err(tokenizer_error)?;
    Ok((config, tokenizer, tokenizer_path))
}

fn require(dir: &Path, file: &'static str) -> Result<PathBuf> {
    let p = dir.join(file);
    if p.is_file() {
        Ok(p)
    } else {
        Err(ColbertError::MissingModelFile {
            dir: dir.to_path_buf(),
            file,
        })
    }
}

/// The ids a prefix contributes: one id when the prefix (trimmed) is a vocabulary or
/// added token such as `[unused0]` or `[Q]`, else its word pieces.
fn prefix_token_ids(tokenizer: &Tokenizer, prefix: &str) -> std::result::Result<Vec<u32>, String> {
    let trimmed = prefix.trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(id) = tokenizer.token_to_id(trimmed) {
        return Ok(vec![id]);
    }
    let enc = tokenizer
        .encode(trimmed, false)
        .map_err(|e| e.to_string())?;
    Ok(enc.get_ids().to_vec())
}

/// A ColBERT encoder backed by one ONNX Runtime session shared by all callers.
pub struct OnnxEncoder {
    session: Mutex<Session>,
    tokenizer: Tokenizer,
    config: ModelConfig,
    model_path: PathBuf,
    output_index: usize,
    query_prefix: Vec<u32>,
    document_prefix: Vec<u32>,
    skiplist: Vec<u32>,
    batch_size: usize,
    load_times: (Duration, Duration),
}

impl std::fmt::Debug for OnnxEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxEncoder")
            .field("model_path", &self.model_path)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Query,
    Document,
}

/// One tokenized text ready for the model.
struct Prepared {
    ids: Vec<u32>,
    /// Attention per position (0 for non-attended expansion tokens).
    attend: Vec<u8>,
}

impl OnnxEncoder {
    /// The model configuration in use.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The ONNX file that was loaded.
    pub fn model_path(&self) -> &Path {
        &self.model_path
    }

    /// How long building took: reading the config and tokenizer, then creating the
    /// ONNX Runtime session.
    pub fn load_times(&self) -> (Duration, Duration) {
        self.load_times
    }

    fn prepare(&self, text: &str, side: Side) -> Result<Prepared> {
        let (prefix, max_len) = match side {
            Side::Query => (&self.query_prefix, self.config.query_length),
            Side::Document => (&self.document_prefix, self.config.document_length),
        };
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| ColbertError::Tokenizer {
                path: self.model_path.with_file_name(TOKENIZER_FILE),
                reason: e.to_string(),
            })?;
        let raw = enc.get_ids();
        // raw = [CLS] body.. [SEP]; rebuild as [CLS] prefix body(truncated) [SEP].
        let (cls, body, sep) = match raw {
            [cls, body @ .., sep] => (*cls, body, *sep),
            _ => {
                return Err(ColbertError::Tokenizer {
                    path: self.model_path.with_file_name(TOKENIZER_FILE),
                    reason: "the tokenizer adds no [CLS]/[SEP] pair".into(),
                })
            }
        };
        let room = max_len.saturating_sub(2 + prefix.len());
        let mut ids = Vec::with_capacity(max_len);
        ids.push(cls);
        ids.extend_from_slice(prefix);
        ids.extend_from_slice(&body[..body.len().min(room)]);
        ids.push(sep);
        let mut attend = vec![1u8; ids.len()];
        if side == Side::Query && self.config.do_query_expansion && ids.len() < max_len {
            let fill = max_len - ids.len();
            ids.extend(std::iter::repeat_n(self.config.mask_token_id, fill));
            let a = u8::from(self.config.attend_to_expansion_tokens);
            attend.extend(std::iter::repeat_n(a, fill));
        }
        Ok(Prepared { ids, attend })
    }

    fn encode(&self, texts: &[&str], side: Side) -> Result<Vec<TokenEmbeddings>> {
        let prepared = texts
            .iter()
            .map(|t| self.prepare(t, side))
            .collect::<Result<Vec<_>>>()?;
        // Sort by length so each batch pads little; results go back in input order.
        let mut order: Vec<usize> = (0..prepared.len()).collect();
        order.sort_by_key(|&i| prepared[i].ids.len());
        let mut out: Vec<Option<TokenEmbeddings>> = vec![None; prepared.len()];
        let size = match side {
            Side::Query => self.batch_size.max(QUERY_BATCH),
            Side::Document => self.batch_size,
        };
        for batch in order.chunks(size) {
            let items: Vec<&Prepared> = batch.iter().map(|&i| &prepared[i]).collect();
            let embs = self.run_batch(&items, side)?;
            for (&i, e) in batch.iter().zip(embs) {
                out[i] = Some(e);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn run_batch(&self, items: &[&Prepared], side: Side) -> Result<Vec<TokenEmbeddings>> {
        let n = items.len();
        let seq = items.iter().map(|p| p.ids.len()).max().unwrap_or(0);
        let pad = i64::from(self.config.pad_token_id);
        let mut ids = vec![pad; n * seq];
        let mut mask = vec![0i64; n * seq];
        for (r, p) in items.iter().enumerate() {
            for (c, (&id, &a)) in p.ids.iter().zip(&p.attend).enumerate() {
                ids[r * seq + c] = i64::from(id);
                mask[r * seq + c] = i64::from(a);
            }
        }
        let infer_err = |source: ort::Error| ColbertError::Inference {
            path: self.model_path.clone(),
            source,
        };
        let shape = [n as i64, seq as i64];
        let mut inputs = vec![
            (
                "input_ids",
                Tensor::from_array((shape, ids)).map_err(infer_err)?,
            ),
            (
                "attention_mask",
                Tensor::from_array((shape, mask)).map_err(infer_err)?,
            ),
        ];
        if self.config.uses_token_type_ids {
            inputs.push((
                "token_type_ids",
                Tensor::from_array((shape, vec![0i64; n * seq])).map_err(infer_err)?,
            ));
        }
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session
            .run(
                inputs
                    .into_iter()
                    .map(|(k, v)| (k, ort::session::SessionInputValue::from(v)))
                    .collect::<Vec<_>>(),
            )
            .map_err(infer_err)?;
        let (out_shape, data) = outputs[self.output_index]
            .try_extract_tensor::<f32>()
            .map_err(infer_err)?;
        let dim = *out_shape.last().unwrap_or(&0) as usize;
        if dim != self.config.embedding_dim || out_shape.len() != 3 {
            return Err(ColbertError::Dims {
                path: self.model_path.clone(),
                expected: self.config.embedding_dim,
                got: dim,
            });
        }
        let out_seq = out_shape[1] as usize;
        let mut result = Vec::with_capacity(n);
        for (r, p) in items.iter().enumerate() {
            let mut rows = Vec::with_capacity(p.ids.len() * dim);
            for (c, &id) in p.ids.iter().enumerate() {
                let keep = match side {
                    // Queries keep every position, expansion tokens included.
                    Side::Query => true,
                    Side::Document => self.skiplist.binary_search(&id).is_err(),
                };
                if keep {
                    let start = (r * out_seq + c) * dim;
                    let row = &data[start..start + dim];
                    let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                    rows.extend(row.iter().map(|x| x / norm));
                }
            }
            result.push(TokenEmbeddings::new(dim, rows));
        }
        Ok(result)
    }
}

impl Encoder for OnnxEncoder {
    fn dim(&self) -> usize {
        self.config.embedding_dim
    }

    fn count_tokens(&self, text: &str) -> usize {
        self.tokenizer
            .encode(text, false)
            .map_or_else(|_| text.split_whitespace().count(), |e| e.len())
    }

    fn model_name(&self) -> String {
        self.config
            .model_name
            .clone()
            .unwrap_or_else(|| self.model_path.display().to_string())
    }

    fn encode_queries(&self, queries: &[&str]) -> Result<Vec<TokenEmbeddings>> {
        self.encode(queries, Side::Query)
    }

    fn encode_documents(&self, documents: &[&str]) -> Result<Vec<TokenEmbeddings>> {
        self.encode(documents, Side::Document)
    }
}
