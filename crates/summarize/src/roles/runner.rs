//! Running a role: its model (and draft model) loaded once, the speculation it can really
//! use decided from the files, and generation with the role's settings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{expert_plan, ExpertPlan, ModelFacts, Role, Speculation, SpeculationPlan};
use crate::{
    check_vocab_compatible, DecodeConfig, Generation, GgufInfo, Llama, LoadedModel, ModelConfig,
    Result, Session, SourceWords, Strategy,
};

/// What a role will run with: its model facts, expert plan and speculation plan.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RolePlan {
    pub name: String,
    pub role: Role,
    /// `None` when the model file is missing or unreadable (see `problem`).
    pub model: Option<ModelFacts>,
    pub experts: Option<ExpertPlan>,
    pub speculation: SpeculationPlan,
    /// Why the role cannot run, if it cannot.
    pub problem: Option<String>,
}

fn vocab(llama: Llama, path: &Path) -> Result<LoadedModel> {
    LoadedModel::load(
        llama,
        &ModelConfig {
            path: path.to_path_buf(),
            expert_used_count: None,
            vocab_only: true,
        },
    )
}

/// Decides what a role will run with, reading metadata and (for a draft model) both
/// vocabularies, without loading any weights.
pub fn plan_role(llama: Llama, name: &str, role: &Role) -> RolePlan {
    let mut plan = RolePlan {
        name: name.to_string(),
        role: role.clone(),
        model: None,
        experts: None,
        speculation: SpeculationPlan {
            requested: match role.speculation {
                Speculation::None => "none",
                Speculation::Lookup { .. } => "lookup",
                Speculation::Draft { .. } => "draft",
            }
            .into(),
            used: "plain".into(),
            reason: String::new(),
        },
        problem: None,
    };
    let info = match GgufInfo::read(&role.model) {
        Ok(i) => i,
        Err(e) => {
            plan.problem = Some(format!("{e}; run scripts/setup or fix the role"));
            plan.speculation.reason = "the model is not available".into();
            return plan;
        }
    };
    let facts = ModelFacts::from_gguf(&info);
    let experts = expert_plan(role, &info);
    if let ExpertPlan::Refused { reason } = &experts {
        plan.problem = Some(reason.clone());
    }
    let recurrent = facts.recurrent_state;
    plan.speculation = speculation_plan(llama, role, recurrent);
    plan.model = Some(facts);
    plan.experts = Some(experts);
    plan
}

fn speculation_plan(llama: Llama, role: &Role, recurrent: bool) -> SpeculationPlan {
    let requested = match role.speculation {
        Speculation::None => "none",
        Speculation::Lookup { .. } => "lookup",
        Speculation::Draft { .. } => "draft",
    }
    .to_string();
    let (used, reason) = match &role.speculation {
        Speculation::None => ("plain", "no speculation configured".to_string()),
        _ if recurrent => (
            "plain",
            "speculation turned off: the model keeps a recurrent (SSM) state, which cannot be rolled back after a rejected draft".to_string(),
        ),
        Speculation::Lookup {
            ngram_max,
            ngram_min,
            n_draft_max,
            adaptive,
            ..
        } => (
            "prompt-lookup",
            format!(
                "n-grams {ngram_max}..{ngram_min} from the prompt and output, drafts of up to {n_draft_max} tokens verified in one batch{}; no draft model needed",
                if *adaptive {
                    ", only when the measured batch cost and acceptance pay"
                } else {
                    ", every match drafted"
                }
            ),
        ),
        Speculation::Draft {
            model,
            n_max,
            p_min,
            adaptive,
            with_lookup,
            ..
        } => {
            let check = vocab(llama, &role.model).and_then(|t| {
                let d = vocab(llama, model)?;
                check_vocab_compatible(&t, &d)?;
                let di = GgufInfo::read(model)?;
                if ModelFacts::from_gguf(&di).recurrent_state {
                    return Err(crate::SummarizeError::IncompatibleDraft {
                        target: role.model.clone(),
                        draft: model.clone(),
                        reason: "the draft model keeps a recurrent state".into(),
                    });
                }
                Ok(())
            });
            match check {
                Ok(()) => (
                    "draft-model",
                    format!(
                        "{} shares the vocabulary; drafts up to {n_max} tokens while p >= {p_min}{}{}",
                        model.display(),
                        if *adaptive {
                            " and the measured costs and calibrated acceptance pay"
                        } else {
                            ""
                        },
                        if *with_lookup {
                            "; prompt-lookup matches drafted first"
                        } else {
                            ""
                        }
                    ),
                ),
                Err(e) => ("plain", format!("speculation turned off: {e}")),
            }
        }
    };
    SpeculationPlan {
        requested,
        used: used.into(),
        reason,
    }
}

/// A model file with its expert override: what makes two loads the same.
type ModelKey = (PathBuf, Option<u32>);

/// A role ready to generate.
#[derive(Debug)]
pub struct RoleRunner {
    pub name: String,
    pub role: Role,
    pub plan: RolePlan,
    model: Arc<LoadedModel>,
    draft: Option<Arc<LoadedModel>>,
    /// What prompt lookup learned in this role's earlier generations.
    lookup_memory: crate::LookupMemory,
}

impl RoleRunner {
    /// Loads the role's model (and draft model, when the plan uses one). A refused expert
    /// override is an error; a speculation the plan turned off runs plain.
    pub fn load(llama: Llama, name: &str, role: &Role) -> Result<Self> {
        Ok(Self::load_all(llama, &[(name, role)])?.remove(0))
    }

    /// Loads several roles, loading each model file (with the same expert override) once
    /// and sharing it between the roles that use it.
    pub fn load_all(llama: Llama, roles: &[(&str, &Role)]) -> Result<Vec<Self>> {
        let mut loaded: Vec<(ModelKey, Arc<LoadedModel>)> = Vec::new();
        let mut get = |path: &Path, experts: Option<u32>| -> Result<Arc<LoadedModel>> {
            let key = (path.to_path_buf(), experts);
            if let Some((_, m)) = loaded.iter().find(|(k, _)| *k == key) {
                return Ok(Arc::clone(m));
            }
            let m = Arc::new(LoadedModel::load(
                llama,
                &ModelConfig {
                    path: path.to_path_buf(),
                    expert_used_count: experts,
                    vocab_only: false,
                },
            )?);
            loaded.push((key, Arc::clone(&m)));
            Ok(m)
        };
        let mut out = Vec::with_capacity(roles.len());
        for &(name, role) in roles {
            let plan = plan_role(llama, name, role);
            let model = get(&role.model, role.expert_used_count)?;
            let draft = match (&role.speculation, plan.speculation.used.as_str()) {
                (Speculation::Draft { model: d, .. }, "draft-model") => Some(get(d, None)?),
                _ => None,
            };
            out.push(Self {
                name: name.to_string(),
                role: role.clone(),
                plan,
                model,
                draft,
                lookup_memory: crate::LookupMemory::default(),
            });
        }
        Ok(out)
    }

    /// The loaded target model.
    pub fn model(&self) -> &LoadedModel {
        &self.model
    }

    /// The loaded draft model, when the plan uses one.
    pub fn draft_model(&self) -> Option<&LoadedModel> {
        self.draft.as_deref()
    }

    /// The strategy the plan allows.
    pub fn strategy(&self) -> Strategy<'_> {
        match (&self.role.speculation, &self.draft) {
            (Speculation::Draft { with_lookup, .. }, Some(d)) => {
                let config = self
                    .role
                    .speculation
                    .draft_config()
                    .map(|(_, c)| c)
                    .unwrap_or_default();
                if *with_lookup {
                    Strategy::DraftAndLookup {
                        model: d.as_ref(),
                        config,
                        lookup: crate::LookupConfig::default(),
                    }
                } else {
                    Strategy::Draft {
                        model: d.as_ref(),
                        config,
                    }
                }
            }
            (Speculation::Lookup { .. }, _) if self.plan.speculation.used == "prompt-lookup" => {
                Strategy::PromptLookupWithMemory(
                    self.role.speculation.lookup_config().unwrap_or_default(),
                    &self.lookup_memory,
                )
            }
            _ => Strategy::Plain,
        }
    }

    /// The decoding settings of this role for one generation.
    fn decode_config(&self, options: &GenerateOptions) -> DecodeConfig {
        DecodeConfig {
            n_ctx: self.role.context,
            threads: self.role.threads,
            max_tokens: options.max_tokens.unwrap_or(self.role.max_tokens),
            sampling: self.role.sampling(),
            repeat_penalty: self.role.repeat_penalty,
            repeat_last_n: self.role.repeat_last_n,
            no_repeat_ngram: self.role.no_repeat_ngram,
            stop_on_loop: true,
            record_margins: options.record_margins,
            ban_first: options.ban_first.clone(),
            ban_opening: options.ban_opening.clone(),
            lead: options.lead.clone(),
            grounding: options.grounding.clone(),
        }
    }

    /// Generates with the role's context, threads, sampling and speculation.
    pub fn generate(
        &self,
        prompt: &str,
        options: &GenerateOptions,
        on_piece: impl FnMut(&str),
    ) -> Result<Generation> {
        self.session()?.generate(prompt, options, on_piece)
    }

    /// A session of this role: one context kept across generations, so prompts that
    /// start alike (the map phase's shared instructions) reuse the cached prefix.
    pub fn session(&self) -> Result<RoleSession<'_>> {
        Ok(RoleSession {
            runner: self,
            session: self.model.session(self.role.context, self.role.threads)?,
        })
    }
}

/// Per-generation options of a role.
#[derive(Debug, Clone, Default)]
pub struct GenerateOptions {
    /// New tokens at most (the role's `max_tokens` when `None`).
    pub max_tokens: Option<usize>,
    /// Grounded decoding against these source words.
    pub grounding: Option<Arc<SourceWords>>,
    /// Tokens not to start the answer with.
    pub ban_first: Vec<i32>,
    /// Tokens the answer may not open with, even after `lead` tokens (see
    /// [`DecodeConfig::ban_opening`]).
    pub ban_opening: Vec<i32>,
    /// Tokens that do not open the answer for `ban_opening` (sorted).
    pub lead: Vec<i32>,
    /// Raised by the caller to stop the generation early (a client went away).
    pub cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Record each chosen token's top-2 logit gap ([`Generation::margins`]), so a
    /// comparison of strategies can show where two greedy outputs part at a near tie.
    pub record_margins: bool,
}

/// A role with a context kept between its generations ([`RoleRunner::session`]).
#[derive(Debug)]
pub struct RoleSession<'r> {
    runner: &'r RoleRunner,
    session: Session<'r>,
}

impl RoleSession<'_> {
    /// Generates as [`RoleRunner::generate`], reusing the cached prompt prefix.
    pub fn generate(
        &mut self,
        prompt: &str,
        options: &GenerateOptions,
        on_piece: impl FnMut(&str),
    ) -> Result<Generation> {
        let config = self.runner.decode_config(options);
        self.session.generate_cancellable(
            prompt,
            &config,
            self.runner.strategy(),
            options.cancel.as_deref(),
            on_piece,
        )
    }

    /// The role this session runs.
    pub fn runner(&self) -> &RoleRunner {
        self.runner
    }
}
