//! The README's legacy quick start, against the real Codex backend (signs in on first use).
//!
//! `cargo run -p oauth-codex --example legacy`

use oauth_codex::{CodexOAuthLLM, GenerateOptions};

fn main() -> oauth_codex::Result<()> {
    let llm = CodexOAuthLLM::new()?;
    let text = llm.generate(&GenerateOptions::new("gpt-5.2-codex", "Explain OAuth PKCE in 3 bullets."))?;
    println!("{text}");
    Ok(())
}
