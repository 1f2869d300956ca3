//! The model-role registry: which GGUF model serves each role, with what context, threads,
//! sampling and acceleration (expert-count override, draft model, prompt lookup), read
//! from TOML (a default shipped with plait, replaced role by role by a user file), and the
//! plan that says what acceleration will actually be used and why.

mod runner;

pub use runner::{plan_role, GenerateOptions, RolePlan, RoleRunner, RoleSession};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::llm::GgufInfo;
use crate::{DraftConfig, LookupConfig, Result, Sampling, SummarizeError};

/// The registry plait ships.
pub const DEFAULT_ROLES_TOML: &str = include_str!("default_roles.toml");
/// The role registry format this build reads.
pub const ROLES_FORMAT_VERSION: u32 = 1;

/// Role names plait's commands use.
pub mod names {
    /// One-pass summaries and the final reduce.
    pub const LONG_CONTEXT: &str = "ingest_long_context";
    /// Map-phase chunk summaries.
    pub const WORKER: &str = "worker_summarize";
    /// General use.
    pub const FRONTDOOR: &str = "frontdoor";
}

/// Speculation settings of a role.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Speculation {
    /// Plain decoding.
    None,
    /// Prompt-lookup drafting.
    Lookup {
        ngram_max: usize,
        ngram_min: usize,
        n_draft_max: usize,
        n_draft_min: usize,
        #[serde(default = "yes")]
        adaptive: bool,
    },
    /// A draft model.
    Draft {
        model: PathBuf,
        n_max: usize,
        n_min: usize,
        p_min: f32,
        /// Draft only while measured costs and acceptance pay.
        #[serde(default = "yes")]
        adaptive: bool,
        /// Also draft from prompt-lookup matches (tried first; the model elsewhere).
        #[serde(default)]
        with_lookup: bool,
    },
}

impl Speculation {
    /// The prompt-lookup parameters, for `Lookup`.
    pub fn lookup_config(&self) -> Option<LookupConfig> {
        match *self {
            Self::Lookup {
                ngram_max,
                ngram_min,
                n_draft_max,
                n_draft_min,
                adaptive,
            } => Some(LookupConfig {
                ngram_max,
                ngram_min,
                n_draft_max,
                n_draft_min,
                adaptive,
            }),
            _ => None,
        }
    }

    /// The draft model and its parameters, for `Draft`.
    pub fn draft_config(&self) -> Option<(&Path, DraftConfig)> {
        match self {
            Self::Draft {
                model,
                n_max,
                n_min,
                p_min,
                adaptive,
                ..
            } => Some((
                model,
                DraftConfig {
                    n_max: *n_max,
                    n_min: *n_min,
                    p_min: *p_min,
                    adaptive: *adaptive,
                },
            )),
            _ => None,
        }
    }
}

/// One role.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    #[serde(default)]
    pub description: String,
    /// The GGUF model (resolved to an absolute path after loading the registry).
    pub model: PathBuf,
    /// Context size in tokens.
    pub context: u32,
    /// CPU threads.
    #[serde(default = "default_threads")]
    pub threads: i32,
    /// Default answer length in tokens.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// 0 for greedy decoding.
    #[serde(default)]
    pub temperature: f32,
    #[serde(default)]
    pub seed: u32,
    /// Repetition penalty on recently generated tokens (1.0 = off).
    #[serde(default = "no_penalty")]
    pub repeat_penalty: f32,
    /// How many recent generated tokens the penalty looks at.
    #[serde(default = "default_last_n")]
    pub repeat_last_n: usize,
    /// Never repeat an n-gram of this size from the answer so far (0 = off).
    #[serde(default)]
    pub no_repeat_ngram: usize,
    /// MoE only: experts used per token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expert_used_count: Option<u32>,
    #[serde(default = "no_speculation")]
    pub speculation: Speculation,
    /// Which file the role came from (filled in when loading).
    #[serde(skip_deserializing)]
    pub source: String,
}

fn default_threads() -> i32 {
    2
}

fn default_max_tokens() -> usize {
    256
}

fn yes() -> bool {
    true
}

fn no_penalty() -> f32 {
    1.0
}

fn default_last_n() -> usize {
    64
}

fn no_speculation() -> Speculation {
    Speculation::None
}

impl Role {
    /// The sampling this role asks for.
    pub fn sampling(&self) -> Sampling {
        if self.temperature > 0.0 {
            Sampling::Temperature {
                temperature: self.temperature,
                seed: self.seed,
            }
        } else {
            Sampling::Greedy
        }
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    format_version: u32,
    #[serde(default)]
    roles: BTreeMap<String, Role>,
}

/// All roles, by name.
#[derive(Debug, Clone)]
pub struct Registry {
    pub roles: BTreeMap<String, Role>,
}

impl Registry {
    /// The default registry, with model paths resolved against `assets_dir`, replaced role
    /// by role by the user file `user` (paths there resolve against `assets_dir` too, and
    /// may be absolute) when one is given.
    pub fn load(assets_dir: &Path, user: Option<&Path>) -> Result<Self> {
        let mut roles = parse(DEFAULT_ROLES_TOML, Path::new("<built-in roles>"))?;
        if let Some(path) = user {
            let text = std::fs::read_to_string(path).map_err(|e| SummarizeError::Roles {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            roles.extend(parse(&text, path)?);
        }
        for role in roles.values_mut() {
            role.model = resolve(assets_dir, &role.model);
            if let Speculation::Draft { model, .. } = &mut role.speculation {
                *model = resolve(assets_dir, model);
            }
        }
        Ok(Self { roles })
    }

    /// A role by name.
    pub fn role(&self, name: &str) -> Result<&Role> {
        self.roles
            .get(name)
            .ok_or_else(|| SummarizeError::UnknownRole {
                name: name.to_string(),
                known: self.roles.keys().cloned().collect::<Vec<_>>().join(", "),
            })
    }
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn parse(text: &str, path: &Path) -> Result<BTreeMap<String, Role>> {
    let bad = |reason: String| SummarizeError::Roles {
        path: path.to_path_buf(),
        reason,
    };
    let file: RolesFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    if file.format_version != ROLES_FORMAT_VERSION {
        return Err(bad(format!(
            "format_version {} is not supported (this plait reads {ROLES_FORMAT_VERSION})",
            file.format_version
        )));
    }
    let mut roles = file.roles;
    for (name, role) in &mut roles {
        if role.context < 256 {
            return Err(bad(format!(
                "role {name}: context {} is too small (at least 256)",
                role.context
            )));
        }
        if role.threads < 1 {
            return Err(bad(format!("role {name}: threads must be at least 1")));
        }
        if let Speculation::Lookup {
            ngram_max,
            ngram_min,
            n_draft_max,
            ..
        } = role.speculation
        {
            if ngram_min == 0 || ngram_max < ngram_min || n_draft_max == 0 {
                return Err(bad(format!(
                    "role {name}: prompt lookup needs 1 <= ngram_min <= ngram_max and n_draft_max >= 1"
                )));
            }
        }
        if let Speculation::Draft { n_max, p_min, .. } = role.speculation {
            if n_max == 0 || !(0.0..=1.0).contains(&p_min) {
                return Err(bad(format!(
                    "role {name}: a draft needs n_max >= 1 and p_min between 0 and 1"
                )));
            }
        }
        role.source = path.display().to_string();
    }
    Ok(roles)
}

/// What the expert-count setting of a role amounts to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum ExpertPlan {
    /// A dense model; no override asked.
    Dense,
    /// A MoE model run with the file's own count.
    FileDefault { used: u64, of: u64 },
    /// The override will be applied.
    Override {
        used: u32,
        file_used: Option<u64>,
        of: u64,
    },
    /// The override is refused (the model would fail to load).
    Refused { reason: String },
}

/// What the speculation setting of a role amounts to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpeculationPlan {
    /// `none`, `lookup` or `draft` as configured.
    pub requested: String,
    /// What will run: `plain`, `prompt-lookup` or `draft-model`.
    pub used: String,
    /// Why.
    pub reason: String,
}

/// The metadata of a role's model file, when readable.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelFacts {
    pub file_size: u64,
    pub architecture: String,
    pub name: Option<String>,
    pub context_length: Option<u64>,
    pub block_count: Option<u64>,
    pub vocab_size: Option<u64>,
    pub expert_count: Option<u64>,
    pub expert_used_count: Option<u64>,
    pub chat_template: bool,
    /// SSM/recurrent layers (state that cannot be rolled back).
    pub recurrent_state: bool,
}

/// Architectures whose layers keep a recurrent state (llama.cpp's recurrent and hybrid
/// architectures).
const RECURRENT_ARCHS: &[&str] = &[
    "mamba",
    "mamba2",
    "rwkv6",
    "rwkv6qwen2",
    "rwkv7",
    "arwkv7",
    "jamba",
    "falcon-h1",
    "granitehybrid",
    "lfm2",
    "lfm2moe",
    "nemotron_h",
    "plamo2",
    "qwen3next",
];

impl ModelFacts {
    /// Facts from a GGUF file's metadata.
    pub fn from_gguf(info: &GgufInfo) -> Self {
        let arch = info.architecture().to_string();
        let ssm_keys = info
            .kv
            .keys()
            .any(|k| k.starts_with(&format!("{arch}.ssm.")) || k.contains(".wkv."));
        Self {
            file_size: info.file_size,
            recurrent_state: ssm_keys || RECURRENT_ARCHS.contains(&arch.as_str()),
            name: info.name().map(str::to_string),
            context_length: info.context_length(),
            block_count: info.block_count(),
            vocab_size: info.vocab_size(),
            expert_count: info.expert_count(),
            expert_used_count: info.expert_used_count(),
            chat_template: info.has_chat_template(),
            architecture: arch,
        }
    }
}

/// The expert plan of a role whose model metadata is `info`.
pub fn expert_plan(role: &Role, info: &GgufInfo) -> ExpertPlan {
    match (role.expert_used_count, info.expert_count()) {
        (None, None) => ExpertPlan::Dense,
        (None, Some(of)) => ExpertPlan::FileDefault {
            used: info.expert_used_count().unwrap_or(0),
            of,
        },
        (Some(n), _) => match info.validate_expert_override(n) {
            Ok(_) => ExpertPlan::Override {
                used: n,
                file_used: info.expert_used_count(),
                of: info.expert_count().unwrap_or(0),
            },
            Err(e) => ExpertPlan::Refused {
                reason: e.to_string(),
            },
        },
    }
}
