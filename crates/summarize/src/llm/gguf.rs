//! Reading a GGUF file's metadata (architecture, sizes, expert counts) without loading
//! the model, so choices such as an expert-count override are validated before llama.cpp
//! sees them (a bad override aborts the process inside llama.cpp).

use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::{Result, SummarizeError};

const MAGIC: &[u8; 4] = b"GGUF";
/// Longest string accepted in the header (chat templates are a few KiB).
const MAX_STRING: u64 = 16 << 20;

/// One metadata value. Arrays keep only their length and element type.
#[derive(Debug, Clone, PartialEq)]
pub enum GgufValue {
    Uint(u64),
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Array { len: u64 },
}

impl GgufValue {
    /// The value as an unsigned integer, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::Uint(v) => Some(v),
            Self::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The metadata of a GGUF file and what plait needs from it.
#[derive(Debug, Clone)]
pub struct GgufInfo {
    pub path: PathBuf,
    /// File size in bytes.
    pub file_size: u64,
    /// GGUF format version.
    pub version: u32,
    /// Number of tensors.
    pub n_tensors: u64,
    /// Every key with its value.
    pub kv: BTreeMap<String, GgufValue>,
}

impl GgufInfo {
    /// Reads the metadata section of the GGUF file at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let bad = |reason: String| SummarizeError::BadGguf {
            path: path.to_path_buf(),
            reason,
        };
        let file = std::fs::File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                SummarizeError::MissingModel {
                    path: path.to_path_buf(),
                }
            } else {
                bad(e.to_string())
            }
        })?;
        let file_size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut r = Reader(BufReader::new(file));
        let mut magic = [0u8; 4];
        r.0.read_exact(&mut magic)
            .map_err(|_| bad("the file is shorter than a GGUF header".into()))?;
        if &magic != MAGIC {
            return Err(bad("not a GGUF file (wrong magic bytes)".into()));
        }
        let io = |e: std::io::Error| bad(format!("truncated or corrupt metadata: {e}"));
        let version = r.u32().map_err(io)?;
        if !(2..=3).contains(&version) {
            return Err(bad(format!("unsupported GGUF version {version}")));
        }
        let n_tensors = r.u64().map_err(io)?;
        let n_kv = r.u64().map_err(io)?;
        let mut kv = BTreeMap::new();
        for _ in 0..n_kv {
            let key = r.string().map_err(io)?;
            let ty = r.u32().map_err(io)?;
            let value = r.value(ty).map_err(io)?;
            kv.insert(key, value);
        }
        Ok(Self {
            path: path.to_path_buf(),
            file_size,
            version,
            n_tensors,
            kv,
        })
    }

    /// A key's value.
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.kv.get(key)
    }

    /// `general.architecture`.
    pub fn architecture(&self) -> &str {
        self.get("general.architecture")
            .and_then(GgufValue::as_str)
            .unwrap_or("")
    }

    /// `general.name`, when present.
    pub fn name(&self) -> Option<&str> {
        self.get("general.name").and_then(GgufValue::as_str)
    }

    /// An architecture-scoped integer key such as `context_length`.
    pub fn arch_u64(&self, suffix: &str) -> Option<u64> {
        self.get(&format!("{}.{suffix}", self.architecture()))
            .and_then(GgufValue::as_u64)
    }

    /// Training context length.
    pub fn context_length(&self) -> Option<u64> {
        self.arch_u64("context_length")
    }

    /// Number of transformer blocks.
    pub fn block_count(&self) -> Option<u64> {
        self.arch_u64("block_count")
    }

    /// Experts per MoE layer (absent or 0 for a dense model).
    pub fn expert_count(&self) -> Option<u64> {
        self.arch_u64("expert_count").filter(|&n| n > 0)
    }

    /// Experts used per token as stored in the file.
    pub fn expert_used_count(&self) -> Option<u64> {
        self.arch_u64("expert_used_count").filter(|&n| n > 0)
    }

    /// Whether the file carries a chat template.
    pub fn has_chat_template(&self) -> bool {
        self.get("tokenizer.chat_template").is_some()
    }

    /// Vocabulary size from the tokenizer's token list.
    pub fn vocab_size(&self) -> Option<u64> {
        match self.get("tokenizer.ggml.tokens") {
            Some(GgufValue::Array { len }) => Some(*len),
            _ => None,
        }
    }

    /// Checks that `<arch>.expert_used_count` may be set to `wanted`: the model must have
    /// experts, and `wanted` must be between 1 and `expert_count`. Returns the metadata key
    /// to override.
    pub fn validate_expert_override(&self, wanted: u32) -> Result<String> {
        let Some(count) = self.expert_count() else {
            return Err(SummarizeError::NoExperts {
                path: self.path.clone(),
                architecture: self.architecture().to_string(),
            });
        };
        if wanted == 0 || u64::from(wanted) > count {
            return Err(SummarizeError::ExpertCountOutOfRange {
                path: self.path.clone(),
                requested: wanted,
                expert_count: count,
            });
        }
        Ok(format!("{}.expert_used_count", self.architecture()))
    }
}

struct Reader<R>(R);

impl<R: Read> Reader<R> {
    fn bytes<const N: usize>(&mut self) -> std::io::Result<[u8; N]> {
        let mut b = [0u8; N];
        self.0.read_exact(&mut b)?;
        Ok(b)
    }

    fn u32(&mut self) -> std::io::Result<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> std::io::Result<u64> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn string(&mut self) -> std::io::Result<String> {
        let len = self.u64()?;
        if len > MAX_STRING {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a string of {len} bytes"),
            ));
        }
        let mut buf = vec![0u8; len as usize];
        self.0.read_exact(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        let copied = std::io::copy(&mut (&mut self.0).take(n), &mut std::io::sink())?;
        if copied < n {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    fn value(&mut self, ty: u32) -> std::io::Result<GgufValue> {
        Ok(match ty {
            0 => GgufValue::Uint(u64::from(self.bytes::<1>()?[0])),
            1 => GgufValue::Int(i64::from(i8::from_le_bytes(self.bytes()?))),
            2 => GgufValue::Uint(u64::from(u16::from_le_bytes(self.bytes()?))),
            3 => GgufValue::Int(i64::from(i16::from_le_bytes(self.bytes()?))),
            4 => GgufValue::Uint(u64::from(self.u32()?)),
            5 => GgufValue::Int(i64::from(i32::from_le_bytes(self.bytes()?))),
            6 => GgufValue::Float(f64::from(f32::from_le_bytes(self.bytes()?))),
            7 => GgufValue::Bool(self.bytes::<1>()?[0] != 0),
            8 => GgufValue::Str(self.string()?),
            9 => {
                let elem = self.u32()?;
                let len = self.u64()?;
                match elem {
                    8 => {
                        for _ in 0..len {
                            let n = self.u64()?;
                            self.skip(n)?;
                        }
                    }
                    9 => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "nested arrays are not supported",
                        ))
                    }
                    _ => {
                        let size = match elem {
                            0 | 1 | 7 => 1,
                            2 | 3 => 2,
                            4..=6 => 4,
                            10..=12 => 8,
                            other => {
                                return Err(std::io::Error::new(
                                    std::io::ErrorKind::InvalidData,
                                    format!("unknown array element type {other}"),
                                ))
                            }
                        };
                        self.skip(len.saturating_mul(size))?;
                    }
                }
                GgufValue::Array { len }
            }
            10 => GgufValue::Uint(self.u64()?),
            11 => GgufValue::Int(i64::from_le_bytes(self.bytes()?)),
            12 => GgufValue::Float(f64::from_le_bytes(self.bytes()?)),
            other => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("unknown value type {other}"),
                ))
            }
        })
    }
}
