//! `plait models`: the model roles, their files, and the acceleration each will use.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use plait_summarize::{plan_role, ExpertPlan, Llama, RolePlan};

use crate::assets::Home;
use crate::commands::runtime;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Role file replacing the built-in roles by name [env: PLAIT_ROLES]
    /// [default: ~/.config/plait/roles.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub roles: Option<PathBuf>,
    /// One JSON array of roles with their plans
    #[arg(long)]
    pub json: bool,
}

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let registry = runtime::roles(home, args.roles.as_deref())?;
    let llama = Llama::init()?;
    let plans: Vec<RolePlan> = registry
        .roles
        .iter()
        .map(|(name, role)| plan_role(llama, name, role))
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&plans)?)?;
    } else {
        for (i, p) in plans.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            print_plan(&mut out, p)?;
        }
    }
    Ok(if plans.iter().any(|p| p.problem.is_some()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn print_plan(out: &mut impl Write, p: &RolePlan) -> Result<()> {
    let r = &p.role;
    writeln!(out, "{}: {}", p.name, r.description)?;
    match &p.model {
        Some(m) => {
            let mut facts = vec![mib(m.file_size), m.architecture.clone()];
            if let Some(b) = m.block_count {
                facts.push(format!("{b} blocks"));
            }
            if let Some(v) = m.vocab_size {
                facts.push(format!("vocab {v}"));
            }
            if m.chat_template {
                facts.push("chat template".into());
            }
            if m.recurrent_state {
                facts.push("recurrent state".into());
            }
            writeln!(
                out,
                "  model        {} ({})",
                r.model.display(),
                facts.join(", ")
            )?;
            if let Some(name) = &m.name {
                writeln!(out, "  name         {name}")?;
            }
            let trained = m
                .context_length
                .map(|c| format!(" of {c} trained"))
                .unwrap_or_default();
            let sampling = if r.temperature > 0.0 {
                format!("temperature {} (seed {})", r.temperature, r.seed)
            } else {
                "greedy".into()
            };
            writeln!(
                out,
                "  context      {}{trained}; {} thread(s); {sampling}; {} tokens per answer",
                r.context, r.threads, r.max_tokens
            )?;
        }
        None => writeln!(out, "  model        {} (not available)", r.model.display())?,
    }
    if let Some(e) = &p.experts {
        let text = match e {
            ExpertPlan::Dense => "dense model (no experts)".to_string(),
            ExpertPlan::FileDefault { used, of } => {
                format!("{used} of {of} per token (the file's setting)")
            }
            ExpertPlan::Override {
                used,
                file_used,
                of,
            } => format!(
                "{used} of {of} per token (override; the file says {})",
                file_used.map_or("nothing".to_string(), |u| u.to_string())
            ),
            ExpertPlan::Refused { reason } => format!("REFUSED: {reason}"),
        };
        writeln!(out, "  experts      {text}")?;
    }
    writeln!(
        out,
        "  speculation  {} (configured: {}): {}",
        p.speculation.used, p.speculation.requested, p.speculation.reason
    )?;
    writeln!(out, "  from         {}", r.source)?;
    if let Some(problem) = &p.problem {
        writeln!(out, "  problem      {problem}")?;
    }
    Ok(())
}
