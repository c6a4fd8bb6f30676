//! The README's OpenAI-compatible quick start, against the real Codex backend (signs in on
//! first use).
//!
//! `cargo run -p oauth-codex --example quick_start`

use oauth_codex::{
    AsyncOAuthCodexClient, Reasoning, ReasoningEffort, ReasoningSummary, ResponseCreateParams, ResponseFormat,
};

#[tokio::main]
async fn main() -> oauth_codex::Result<()> {
    let client = AsyncOAuthCodexClient::new()?;
    let response = client
        .responses()
        .create(
            ResponseCreateParams::new("gpt-5.2-codex", "Return JSON with keys: ok, source")
                .response_format(ResponseFormat::JsonObject)
                .reasoning(Reasoning::new(ReasoningEffort::High, ReasoningSummary::Auto)),
        )
        .await?;
    println!("{} {}", response.id, response.output_text);
    println!("{:?}", response.usage);
    Ok(())
}
