//! A tour with no account: starts loopback fakes of the OAuth server and the Codex backend
//! in-process, signs in against them, and shows streaming, a tool call round trip, a custom
//! tool in a tool loop and structured output.
//!
//! `cargo run -p oauth-codex --example offline_demo`

use std::sync::Arc;

use codex_testkit::{FakeCodex, FakeOAuth, Reply, Script};
use futures_util::StreamExt;
use oauth_codex::auth::{MemoryTokenStore, OAuthClient, RefreshToken, TokenSet};
use oauth_codex::{
    AsyncOAuthCodexClient, FunctionTool, Item, LoginMode, OAuthConfig, ResponseCreateParams, StreamEventType,
    ToolResult,
};
use serde_json::json;

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct Capital {
    country: String,
    city: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The fakes, and a sign-in against the fake OAuth server.
    let oauth = FakeOAuth::start().await;
    let codex = FakeCodex::builder().registry(oauth.registry().clone()).start().await;
    let oauth_client = OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer()))?;
    let tokens =
        TokenSet::from_response(oauth_client.refresh(&RefreshToken::new(oauth.mint_refresh_token())).await?)?;
    let compat = std::env::temp_dir().join(format!("oauth-codex-demo-{}", std::process::id()));
    let client = AsyncOAuthCodexClient::builder()
        .base_url(codex.base_url())
        .oauth_config(OAuthConfig::for_issuer(oauth.issuer()))
        .token_store(Arc::new(MemoryTokenStore::with_tokens(tokens)))
        .login_mode(LoginMode::Never)
        .compat_storage_dir(&compat)
        .build()?;
    println!("signed in as {}", client.tokens().await?.email().unwrap_or("?"));

    // 2. Streaming: reasoning summary, then text, as it arrives.
    codex.enqueue(Reply::stream(
        Script::new("resp_stream")
            .reasoning("The user wants a short answer.")
            .text("PKCE binds the code to the app that asked for it.")
            .completed(),
    ));
    let mut stream =
        client.responses().stream(ResponseCreateParams::new("gpt-5.2-codex", "What does PKCE do?")).await?;
    print!("[thinking] ");
    while let Some(event) = stream.next().await {
        let event = event?;
        match event.kind {
            StreamEventType::ReasoningDelta => print!("{}", event.delta.unwrap_or_default()),
            StreamEventType::ReasoningDone => println!(),
            StreamEventType::TextDelta => print!("{}", event.delta.unwrap_or_default()),
            StreamEventType::Usage => println!("\n[usage] {:?}", event.usage),
            _ => {}
        }
    }

    // 3. A tool call round trip.
    let weather = FunctionTool::new(
        "get_weather",
        "Current weather for a city",
        json!({
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]
        }),
    );
    codex.enqueue(Reply::stream(
        Script::new("resp_tool").function_call("call_1", "get_weather", r#"{"city":"Oslo"}"#).completed(),
    ));
    let asked = client
        .responses()
        .create(ResponseCreateParams::new("gpt-5.2-codex", "Weather in Oslo?").tool(weather.clone()))
        .await?;
    let call = &asked.tool_calls[0];
    println!("the model calls {}({})", call.name, call.arguments);
    let mut history: Vec<Item> = vec![oauth_codex::Message::user("Weather in Oslo?").into()];
    history.extend(asked.output.iter().cloned());
    history.push(ToolResult::new(&call.call_id, r#"{"temp_c": 4, "sky": "snow"}"#).into());
    codex.enqueue(Reply::stream(
        Script::new("resp_answer").text("It is 4 °C and snowing in Oslo.").completed(),
    ));
    let answer =
        client.responses().create(ResponseCreateParams::new("gpt-5.2-codex", history).tool(weather)).await?;
    println!("{}", answer.output_text);

    // A custom (freeform) tool in a tool loop: the model sends it text (a patch), not JSON.
    let tools = oauth_codex::ToolBox::new().custom_tool("apply_patch", "Edit files with a patch", |patch| {
        Ok(format!("applied a patch of {} lines", patch.lines().count()))
    });
    let patch = "*** Begin Patch\n*** Add File: hello.txt\n+Hello\n*** End Patch";
    codex.enqueue(Reply::stream(
        Script::new("resp_patch").custom_tool_call("call_2", "apply_patch", patch).completed(),
    ));
    codex.enqueue(Reply::stream(Script::new("resp_patched").text("Created hello.txt.").completed()));
    let patched = client
        .responses()
        .run_tools(ResponseCreateParams::new("gpt-5.2-codex", "Create hello.txt"), &tools, 3)
        .await?;
    println!("{}", patched.output_text);

    // 4. Structured output into a Rust type.
    codex.enqueue(Reply::stream(
        Script::new("resp_json").text(r#"{"country":"France","city":"Paris"}"#).completed(),
    ));
    let capital: Capital =
        client.responses().parse(ResponseCreateParams::new("gpt-5.2-codex", "Capital of France?")).await?;
    println!("the capital of {} is {}", capital.country, capital.city);

    // 5. What the fake backend received: Codex-shaped bodies.
    let last = codex.requests().pop().expect("requests were made");
    println!(
        "last body had store={} stream={}",
        last.json.as_ref().unwrap()["store"],
        last.json.as_ref().unwrap()["stream"]
    );
    let _ = std::fs::remove_dir_all(compat);
    Ok(())
}
