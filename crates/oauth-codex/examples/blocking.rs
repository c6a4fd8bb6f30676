//! The blocking client: the same resources without async, streaming as an iterator.
//!
//! `cargo run -p oauth-codex --example blocking`

use oauth_codex::{OAuthCodexClient, ResponseCreateParams, StreamEventType};

fn main() -> oauth_codex::Result<()> {
    let client = OAuthCodexClient::new()?;
    for event in client.responses().stream(ResponseCreateParams::new("gpt-5.2-codex", "Count to five."))? {
        let event = event?;
        if event.kind == StreamEventType::TextDelta {
            print!("{}", event.delta.unwrap_or_default());
        }
    }
    println!();
    if let Some(limits) = client.rate_limits() {
        println!("primary window: {:?}", limits.primary.map(|w| w.used_percent));
    }
    Ok(())
}
