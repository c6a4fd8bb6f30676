//! The `oauth-codex` command: sign in with ChatGPT and ask the Codex backend from a terminal.
//!
//! ```text
//! oauth-codex login [--device | --paste | --from-codex-cli]
//! oauth-codex status
//! oauth-codex ask "Explain PKCE" [--model M] [--effort high] [--instructions TEXT] [--json]
//! oauth-codex models
//! oauth-codex logout
//! oauth-codex dry-run "prompt"      # print the request body, send nothing
//! ```
//!
//! Exit codes: 0 success, 1 the request failed, 2 bad usage or input, 3 not signed in.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::{Parser, Subcommand, ValueEnum};
use futures_util::StreamExt;
use oauth_codex::auth::{FallbackTokenStore, FileTokenStore, TokenStore, import_codex_cli_login};
use oauth_codex::{
    AsyncOAuthCodexClient, Error, LoginMode, OAuthConfig, Profile, Reasoning, ReasoningEffort, RequestPolicy,
    ResponseCreateParams, StreamEventType, ValidationMode, prepare_request,
};

/// Sign in with ChatGPT and use the Codex backend from a terminal.
#[derive(Debug, Parser)]
#[command(name = "oauth-codex", version, about)]
struct Cli {
    /// The backend base URL.
    #[arg(long, global = true, env = "OAUTH_CODEX_BASE_URL", default_value = oauth_codex::DEFAULT_BASE_URL)]
    base_url: String,
    /// The token file (default: the system keyring, else ~/.oauth_codex/auth.json).
    #[arg(long, global = true, env = "OAUTH_CODEX_AUTH_FILE")]
    auth_file: Option<PathBuf>,
    /// The OAuth issuer (default https://auth.openai.com; CODEX_OAUTH_* variables apply).
    #[arg(long, global = true, env = "OAUTH_CODEX_ISSUER")]
    issuer: Option<String>,
    /// Trust this extra CA certificate (PEM file).
    #[arg(long, global = true, env = "OAUTH_CODEX_CA_FILE")]
    ca_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in (browser by default).
    Login {
        /// Use a device code (for SSH and containers).
        #[arg(long, conflicts_with_all = ["paste", "from_codex_cli"])]
        device: bool,
        /// Show the URL and read the pasted callback address.
        #[arg(long, conflicts_with = "from_codex_cli")]
        paste: bool,
        /// Import the Codex CLI's saved login ($CODEX_HOME/auth.json); its file is not changed.
        #[arg(long)]
        from_codex_cli: bool,
    },
    /// Sign out and revoke the refresh token.
    Logout,
    /// Show the sign-in: account, plan, token expiry, rate limits.
    Status,
    /// Ask a question; the answer streams as it arrives.
    Ask {
        #[command(flatten)]
        request: RequestArgs,
        /// Print stream events v1 as JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the models the account offers.
    Models,
    /// Print the request body the Codex backend would receive, without sending it.
    DryRun {
        #[command(flatten)]
        request: RequestArgs,
        /// Fail on policy warnings instead of printing them.
        #[arg(long)]
        strict: bool,
    },
}

/// What `ask` and `dry-run` send.
#[derive(Debug, clap::Args)]
struct RequestArgs {
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
}

impl RequestArgs {
    fn params(&self) -> ResponseCreateParams {
        let mut params = ResponseCreateParams::new(self.model.clone(), self.prompt.clone());
        params.instructions.clone_from(&self.instructions);
        params.reasoning = self.effort.map(|e| Reasoning { effort: Some(e.into()), summary: None });
        params
    }
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

/// A failure with its exit code.
struct Failure(u8, String);

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = match &error {
            Error::Auth(oauth_codex::auth::AuthError::AuthRequired { .. }) => 3,
            Error::Auth(oauth_codex::auth::AuthError::TokenRefresh { permanent: true, .. }) => 3,
            Error::ParameterValidation(_) | Error::ModelValidation { .. } | Error::Config(_) => 2,
            other if other.as_request().is_some_and(|e| e.kind == oauth_codex::ErrorKind::Auth) => 3,
            _ => 1,
        };
        Failure(code, error.to_string())
    }
}

fn store(cli: &Cli) -> Result<Arc<dyn TokenStore>, Failure> {
    match &cli.auth_file {
        Some(path) => Ok(Arc::new(FileTokenStore::new(path))),
        None => FallbackTokenStore::at_default_locations()
            .map(|s| Arc::new(s) as Arc<dyn TokenStore>)
            .map_err(|e| Failure(2, e.to_string())),
    }
}

fn client(cli: &Cli, mode: LoginMode) -> Result<AsyncOAuthCodexClient, Failure> {
    let mut oauth = OAuthConfig::from_env();
    if let Some(issuer) = &cli.issuer {
        oauth = OAuthConfig::for_issuer(issuer.clone());
    }
    let mut builder = AsyncOAuthCodexClient::builder()
        .base_url(cli.base_url.clone())
        .oauth_config(oauth)
        .token_store(store(cli)?)
        .login_mode(mode);
    if let Some(path) = &cli.ca_file {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| Failure(2, format!("cannot read {}: {e}", path.display())))?;
        builder = builder.add_ca_pem(pem);
    }
    Ok(builder.build()?)
}

fn describe_expiry(at: Option<SystemTime>) -> String {
    match at.map(|at| at.duration_since(SystemTime::now())) {
        None => "unknown".to_owned(),
        Some(Ok(left)) => format!("in {}", human(left)),
        Some(Err(past)) => format!("{} ago (it is refreshed on the next request)", human(past.duration())),
    }
}

fn human(duration: Duration) -> String {
    let s = duration.as_secs();
    match (s / 3600, (s % 3600) / 60) {
        (0, 0) => format!("{s}s"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h {m}m"),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Login { device, paste, from_codex_cli } => {
            if *from_codex_cli {
                let store = store(&cli)?;
                let tokens =
                    import_codex_cli_login(None, store.as_ref()).map_err(|e| Failure(2, e.to_string()))?;
                eprintln!("Imported the Codex CLI login for {}", tokens.email().unwrap_or("your account"));
                return Ok(());
            }
            let mode = if *device {
                LoginMode::Device
            } else if *paste {
                LoginMode::Paste
            } else {
                LoginMode::Auto
            };
            let client = client(&cli, mode)?;
            client.login(mode).await?;
            let tokens = client.tokens().await?;
            eprintln!("Signed in as {}", tokens.email().unwrap_or("(unknown email)"));
            Ok(())
        }
        Command::Logout => {
            client(&cli, LoginMode::Never)?.logout().await?;
            eprintln!("Signed out");
            Ok(())
        }
        Command::Status => {
            let client = client(&cli, LoginMode::Never)?;
            if !client.is_authenticated().await {
                return Err(Failure(3, "not signed in; run `oauth-codex login`".to_owned()));
            }
            let tokens = client.tokens().await?;
            println!("signed in: yes");
            println!("email: {}", tokens.email().unwrap_or("unknown"));
            println!("account: {}", tokens.account_id().unwrap_or("unknown"));
            println!("plan: {}", tokens.plan_type().unwrap_or("unknown"));
            println!("access token expires: {}", describe_expiry(tokens.expires_at()));
            let _ = client.models().list().await;
            match client.rate_limits() {
                Some(limits) => {
                    for (name, window) in [("primary", &limits.primary), ("secondary", &limits.secondary)] {
                        if let Some(window) = window {
                            let reset = window
                                .reset_after_seconds
                                .map(|s| human(Duration::from_secs(s)))
                                .unwrap_or_else(|| "?".into());
                            println!("{name} window: {:.1}% used, resets in {reset}", window.used_percent);
                        }
                    }
                }
                None => println!("rate limits: not reported"),
            }
            Ok(())
        }
        Command::Ask { request, json } => {
            let client = client(&cli, LoginMode::Auto)?;
            let mut stream = client.responses().stream(request.params()).await?;
            let mut stdout = std::io::stdout().lock();
            while let Some(event) = stream.next().await {
                let event = event?;
                if *json {
                    let line = serde_json::to_string(&event).expect("events serialize");
                    let _ = writeln!(stdout, "{line}");
                } else if event.kind == StreamEventType::TextDelta {
                    let _ = write!(stdout, "{}", event.delta.unwrap_or_default());
                    let _ = stdout.flush();
                } else if event.kind == StreamEventType::Error {
                    let message = event.error.map(|e| e.message).unwrap_or_default();
                    return Err(Failure(1, format!("the response failed: {message}")));
                }
            }
            if !*json {
                let _ = writeln!(stdout);
            }
            Ok(())
        }
        Command::Models => {
            let client = client(&cli, LoginMode::Never)?;
            let (models, source) = client.models().list_with_source().await?;
            for model in models {
                let hidden = if model.visibility.as_deref() == Some("hide") { " (hidden)" } else { "" };
                println!("{}{hidden}", model.slug);
            }
            if source == oauth_codex::CatalogueSource::BuiltIn {
                eprintln!("(the server's catalogue could not be read; this is the built-in list)");
            }
            Ok(())
        }
        Command::DryRun { request, strict } => {
            let params = request.params();
            let mode = if *strict { ValidationMode::Error } else { ValidationMode::Warn };
            let policy = RequestPolicy::new(Profile::Codex).validation_mode(mode);
            let prepared = prepare_request(&params, &policy).map_err(|e| Failure(2, e.to_string()))?;
            for warning in &prepared.warnings {
                eprintln!("warning [{}] {}", warning.code, warning.message);
            }
            println!("{}", serde_json::to_string_pretty(&prepared.body).expect("JSON values serialize"));
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}
