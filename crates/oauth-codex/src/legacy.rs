//! The legacy API of the original SDK: [`CodexOAuthLLM`] with `generate`, `agenerate`,
//! `generate_stream`, `agenerate_stream`. New code should use [`crate::AsyncOAuthCodexClient`]
//! or [`crate::OAuthCodexClient`]; this keeps older programs working.

use codex_schema::{
    FinishReason, Item, Message, Reasoning, Response, ResponseCreateParams, ResponseFormat, StreamEventType,
    Tool, ToolCall, ToolResult, Usage,
};
use futures_core::Stream;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::blocking::OAuthCodexClient;
use crate::client::ClientBuilder;
use crate::error::{Error, Result};

/// What to generate.
#[derive(Debug, Clone, Default)]
pub struct GenerateOptions {
    /// The model slug.
    pub model: String,
    /// A user prompt (sent after `messages`).
    pub prompt: Option<String>,
    /// Earlier messages or items.
    pub messages: Vec<Item>,
    /// Instructions.
    pub instructions: Option<String>,
    /// Tools the model may call.
    pub tools: Vec<Tool>,
    /// Results of tool calls the model asked for earlier (sent after `messages`).
    pub tool_results: Vec<ToolResult>,
    /// The answer's format.
    pub response_format: Option<ResponseFormat>,
    /// Reasoning settings.
    pub reasoning: Option<Reasoning>,
    /// Extra body fields.
    pub extra_body: Map<String, Value>,
}

impl GenerateOptions {
    /// A model and a prompt.
    pub fn new(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        GenerateOptions { model: model.into(), prompt: Some(prompt.into()), ..Self::default() }
    }

    /// The request these options make.
    pub fn to_params(&self) -> ResponseCreateParams {
        let mut items = self.messages.clone();
        if let Some(prompt) = &self.prompt {
            items.push(Item::Message(Message::user(prompt.as_str())));
        }
        items.extend(self.tool_results.iter().cloned().map(Item::from));
        let mut params = ResponseCreateParams::new(self.model.clone(), items);
        params.instructions.clone_from(&self.instructions);
        params.tools.clone_from(&self.tools);
        params.response_format.clone_from(&self.response_format);
        params.reasoning = self.reasoning;
        params.extra_body.clone_from(&self.extra_body);
        params
    }
}

/// The detailed result (`return_details` in the original).
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateResult {
    /// The answer text.
    pub text: String,
    /// Tool calls the model asked for.
    pub tool_calls: Vec<ToolCall>,
    /// Why the model stopped.
    pub finish_reason: Option<FinishReason>,
    /// Token counts.
    pub usage: Option<Usage>,
    /// The response id.
    pub response_id: String,
    /// The final backend JSON.
    pub raw: Option<codex_schema::RawJson>,
}

impl From<Response> for GenerateResult {
    fn from(response: Response) -> Self {
        GenerateResult {
            text: response.output_text,
            tool_calls: response.tool_calls,
            finish_reason: response.finish_reason,
            usage: response.usage,
            response_id: response.id,
            raw: response.raw,
        }
    }
}

fn text_only(result: GenerateResult) -> Result<String> {
    if result.tool_calls.is_empty() {
        Ok(result.text)
    } else {
        Err(Error::ToolCallRequired { tool_calls: result.tool_calls })
    }
}

/// The legacy client.
#[derive(Debug, Clone)]
pub struct CodexOAuthLLM {
    client: OAuthCodexClient,
}

impl CodexOAuthLLM {
    /// A client with every default.
    pub fn new() -> Result<Self> {
        Ok(CodexOAuthLLM { client: OAuthCodexClient::new()? })
    }

    /// A client from a builder.
    pub fn from_builder(builder: ClientBuilder) -> Result<Self> {
        Ok(CodexOAuthLLM { client: OAuthCodexClient::from_builder(builder)? })
    }

    /// Text of an answer; a tool-call answer is `Error::ToolCallRequired`.
    pub fn generate(&self, options: &GenerateOptions) -> Result<String> {
        text_only(self.generate_details(options)?)
    }

    /// The whole result.
    pub fn generate_details(&self, options: &GenerateOptions) -> Result<GenerateResult> {
        Ok(self.client.responses().create(options.to_params())?.into())
    }

    /// Text of an answer, async.
    pub async fn agenerate(&self, options: &GenerateOptions) -> Result<String> {
        text_only(self.agenerate_details(options).await?)
    }

    /// The whole result, async.
    pub async fn agenerate_details(&self, options: &GenerateOptions) -> Result<GenerateResult> {
        Ok(self.client.as_async().responses().create(options.to_params()).await?.into())
    }

    /// Text deltas as they arrive (blocking iterator).
    pub fn generate_stream(
        &self,
        options: &GenerateOptions,
    ) -> Result<impl Iterator<Item = Result<String>> + use<>> {
        let events = self.client.responses().stream(options.to_params())?;
        Ok(events.filter_map(|event| match event {
            Ok(event) if event.kind == StreamEventType::TextDelta => {
                event.delta.map(|delta| Ok(delta.into()))
            }
            Ok(_) => None,
            Err(error) => Some(Err(error)),
        }))
    }

    /// Text deltas as they arrive (async stream).
    pub async fn agenerate_stream(
        &self,
        options: &GenerateOptions,
    ) -> Result<impl Stream<Item = Result<String>> + use<>> {
        let events = self.client.as_async().responses().stream(options.to_params()).await?;
        Ok(events.filter_map(|event| async move {
            match event {
                Ok(event) if event.kind == StreamEventType::TextDelta => {
                    event.delta.map(|delta| Ok(delta.into()))
                }
                Ok(_) => None,
                Err(error) => Some(Err(error)),
            }
        }))
    }
}
