//! The `oauth-codex` command.
//!
//! This release has one command, `dry-run`, which prints the exact JSON body the Codex backend
//! would receive for a prompt, with the parameter policy's warnings, without sending anything.
//! Sign-in (`login`, `logout`, `status`) and asking (`ask`, `models`) are not implemented yet.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use oauth_codex::{
    Profile, Reasoning, ReasoningEffort, RequestPolicy, ResponseCreateParams, ValidationMode, prepare_request,
};

/// Sign in with ChatGPT and use the Codex backend from a terminal.
#[derive(Debug, Parser)]
#[command(name = "oauth-codex", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the request body the Codex backend would receive, without sending it.
    DryRun {
        /// The prompt.
        prompt: String,
        /// The model slug.
        #[arg(long, default_value = "gpt-5.2-codex")]
        model: String,
        /// Instructions (otherwise the default instructions are sent).
        #[arg(long)]
        instructions: Option<String>,
        /// Reasoning effort.
        #[arg(long, value_enum)]
        effort: Option<Effort>,
        /// Fail on policy warnings instead of printing them.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Effort {
    None,
    Minimal,
    Low,
    Medium,
    High,
    Xhigh,
}

impl From<Effort> for ReasoningEffort {
    fn from(effort: Effort) -> Self {
        match effort {
            Effort::None => ReasoningEffort::None,
            Effort::Minimal => ReasoningEffort::Minimal,
            Effort::Low => ReasoningEffort::Low,
            Effort::Medium => ReasoningEffort::Medium,
            Effort::High => ReasoningEffort::High,
            Effort::Xhigh => ReasoningEffort::Xhigh,
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::DryRun { prompt, model, instructions, effort, strict } => {
            let mut params = ResponseCreateParams::new(model, prompt);
            params.instructions = instructions;
            params.reasoning = effort.map(|e| Reasoning { effort: Some(e.into()), summary: None });
            let mode = if strict { ValidationMode::Error } else { ValidationMode::Warn };
            let policy = RequestPolicy::new(Profile::Codex).validation_mode(mode);
            match prepare_request(&params, &policy) {
                Ok(prepared) => {
                    for warning in &prepared.warnings {
                        eprintln!("warning [{}] {}", warning.code, warning.message);
                    }
                    let body = serde_json::to_string_pretty(&prepared.body).expect("JSON values serialize");
                    println!("{body}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
