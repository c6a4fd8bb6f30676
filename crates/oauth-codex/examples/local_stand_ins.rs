//! Files, vector-store search, `previous_response_id` and token counting on the Codex profile,
//! served by the local store.
//!
//! `cargo run -p oauth-codex --example local_stand_ins`

use oauth_codex::{
    AsyncOAuthCodexClient, FileSource, ResponseCreateParams, SearchParams, VectorStoreCreateParams,
};

#[tokio::main]
async fn main() -> oauth_codex::Result<()> {
    let client = AsyncOAuthCodexClient::new()?;
    let file = client.files().create(FileSource::path("README.md"), "assistants", None).await?;
    let store = client
        .vector_stores()
        .create(VectorStoreCreateParams::new().name("docs").file_ids([file.id.clone()]))
        .await?;
    for hit in client.vector_stores().search(&store.id, SearchParams::new("refresh token")).await?.data {
        println!("{:.2} {}", hit.score, hit.filename);
    }

    let params = ResponseCreateParams::new("gpt-5.2-codex", "Summarise PKCE in one line.");
    println!("{} input tokens", client.responses().input_tokens().count(params.clone()).await?.input_tokens);
    let first = client.responses().create(params).await?;
    let follow_up =
        ResponseCreateParams::new("gpt-5.2-codex", "Now in French.").previous_response_id(first.id);
    println!("{}", client.responses().create(follow_up).await?.output_text);
    Ok(())
}
