//! `responses()`: create, stream, parse (structured output) and input-token counting.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use codex_schema::{
    EventMapper, Item, ParameterValidationError, PreparedRequest, Response, ResponseAccumulator,
    ResponseCreateParams, ResponseFormat, StreamEvent, StreamEventType, ValidationMode, ValidationWarning,
    WarningCode, codex_body_bytes, prepare_request,
};
use codex_transport::{EventStream, HttpRequest, Method, RequestBody, SdkRequestError};
use futures_core::Stream;
use futures_util::StreamExt;
use serde_json::Value;

use crate::client::AsyncOAuthCodexClient;
use crate::error::{Error, Result};
use crate::local::Turn;

/// The `responses` resource.
#[derive(Debug, Clone, Copy)]
pub struct Responses<'a> {
    pub(crate) client: &'a AsyncOAuthCodexClient,
}

/// A streamed response: stream events v1, as they arrive.
///
/// Ends after `response_completed`; a stream cut before it ends with an error of kind
/// `StreamClosedEarly`. Dropping it stops the request and frees the connection.
pub struct ResponseStream {
    inner: Pin<Box<dyn Stream<Item = Result<StreamEvent>> + Send>>,
    warnings: Vec<ValidationWarning>,
    request_id: String,
    previous_response_id: Option<String>,
}

impl std::fmt::Debug for ResponseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStream").field("request_id", &self.request_id).finish_non_exhaustive()
    }
}

impl ResponseStream {
    /// What the parameter policy let pass, with warnings.
    pub fn warnings(&self) -> &[ValidationWarning] {
        &self.warnings
    }

    /// The request id (the server's, else the client's).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Reads the rest of the stream into a [`Response`] (what `create` gives).
    pub async fn into_response(mut self) -> Result<Response> {
        let mut accumulator = ResponseAccumulator::new();
        while let Some(event) = self.next().await {
            accumulator.push(&event?);
        }
        finish_response(accumulator, self.previous_response_id.take(), self.request_id)
    }
}

/// The [`Response`] an accumulator holds; a failed response is an error.
fn finish_response(
    accumulator: ResponseAccumulator,
    previous_response_id: Option<String>,
    request_id: String,
) -> Result<Response> {
    let mut response = accumulator.finish();
    if response.previous_response_id.is_none() {
        response.previous_response_id = previous_response_id;
    }
    if response.finish_reason == Some(codex_schema::FinishReason::Error) {
        let error = response.error.take().unwrap_or_default();
        return Err(SdkRequestError::from_provider(error.code.as_deref(), &error.message)
            .with_request_id(Some(request_id))
            .into());
    }
    Ok(response)
}

/// A sent request's answer, read frame by frame and mapped to stream events v1: what
/// `stream` yields and `create` folds.
struct Answer {
    /// `None` once the answer has ended (its final event, an error, or the body's end).
    frames: Option<EventStream>,
    mapper: EventMapper,
    request_id: String,
    /// The turn to record once the response completes (conversation replay).
    record: Option<(Option<String>, Vec<Item>)>,
    client: AsyncOAuthCodexClient,
}

impl Answer {
    /// Reads frames until one maps to events, and appends those to `out`. `Ok(false)` when
    /// nothing follows them: the final event was mapped (the body's end is left to the
    /// transport, so the connection is reused even when the caller stops there), or the body
    /// ended.
    async fn next_into(&mut self, out: &mut Vec<StreamEvent>) -> Result<bool> {
        while let Some(frames) = &mut self.frames {
            let Some(frame) = frames.next().await else {
                self.frames = None;
                return match self.mapper.finish() {
                    Ok(rest) => {
                        out.extend(rest);
                        Ok(false)
                    }
                    Err(closed) => Err(SdkRequestError::stream_closed_early(closed)
                        .with_request_id(Some(self.request_id.clone()))
                        .into()),
                };
            };
            let frame = match frame {
                Ok(frame) => frame,
                Err(error) => {
                    self.frames = None;
                    return Err(error.into());
                }
            };
            let start = out.len();
            if let Err(error) = self.mapper.map_sse(frame.event.as_deref(), frame.data, out) {
                tracing::warn!(%error, "skipped an SSE event that is not JSON");
                continue;
            }
            if self.mapper.is_terminated() {
                if let Some(frames) = self.frames.take() {
                    frames.finish().await;
                }
                if let Some((previous, input)) = self.record.take()
                    && let Some(completed) =
                        out[start..].iter().find(|event| event.kind == StreamEventType::ResponseCompleted)
                {
                    record_turn(&self.client, previous, input, completed).await;
                }
                return Ok(false);
            }
            if out.len() > start {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl Stream for ResponseStream {
    type Item = Result<StreamEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// Hands a completed turn to the client's recorder, so a later `previous_response_id` can
/// continue it; the write happens on the recorder's thread.
async fn record_turn(
    client: &AsyncOAuthCodexClient,
    previous: Option<String>,
    input: Vec<Item>,
    completed: &StreamEvent,
) {
    if completed.finish_reason == Some(codex_schema::FinishReason::Error) {
        return;
    }
    let Some(response) = completed.response.clone() else { return };
    match client.compat().await {
        Ok(store) => client.inner.local.record(store, Turn { previous, input, response }),
        Err(error) => tracing::warn!(%error, "could not record the response for previous_response_id"),
    }
}

/// The parameter named by a backend answer "Unsupported parameter: X".
fn unsupported_parameter(error: &SdkRequestError) -> Option<String> {
    if error.status_code != Some(400) {
        return None;
    }
    let text = error.raw_error.as_deref().unwrap_or(&error.user_message);
    let rest = &text[text.find("Unsupported parameter: ")? + "Unsupported parameter: ".len()..];
    let name: String =
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.').collect();
    (!name.is_empty()).then_some(name)
}

/// Makes a JSON Schema strict as OpenAI's structured outputs require: every object closed
/// (`additionalProperties: false`) with every property required.
fn make_strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let is_object = map.get("type").is_some_and(|t| t == "object") || map.contains_key("properties");
            if is_object {
                let keys: Vec<Value> = map
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|p| p.keys().cloned().map(Value::String).collect())
                    .unwrap_or_default();
                map.insert("required".to_owned(), Value::Array(keys));
                map.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            map.shift_remove("$schema");
            for value in map.values_mut() {
                make_strict(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(make_strict),
        _ => {}
    }
}

impl Responses<'_> {
    /// Refuses a model the client knows is not offered (when it validates models).
    fn check_model(&self, model: &str) -> Result<()> {
        if !self.client.inner.validate_model {
            return Ok(());
        }
        if model.trim().is_empty() {
            return Err(Error::ModelValidation {
                model: model.to_owned(),
                reason: "the model name is empty".to_owned(),
            });
        }
        self.client.models().check_offered(model)
    }

    /// The request's body, validated and shaped, without the parameters the server refused
    /// before.
    fn prepare(&self, params: &ResponseCreateParams) -> Result<PreparedRequest> {
        let inner = &self.client.inner;
        let mut prepared = prepare_request(params, &inner.policy)?;
        let dropped = inner.dropped.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for name in dropped {
            prepared.body.shift_remove(&name);
        }
        Ok(prepared)
    }

    /// The request's body: written straight from the parameters when they need no judgement
    /// and nothing is to be taken out or merged in (the same bytes, see
    /// [`codex_body_bytes`]), else [`prepare`](Self::prepare)d; and the policy's warnings.
    fn body(&self, params: &ResponseCreateParams) -> Result<(RequestBody, Vec<ValidationWarning>)> {
        let inner = &self.client.inner;
        let plain = inner.default_options.extra_body.is_empty()
            && inner.dropped.lock().unwrap_or_else(|p| p.into_inner()).is_empty();
        if let Some(bytes) = plain.then(|| codex_body_bytes(params, &inner.policy)).flatten() {
            let content_type = "application/json".to_owned();
            return Ok((RequestBody::Raw { content_type, bytes: Bytes::from(bytes) }, Vec::new()));
        }
        let PreparedRequest { body, warnings } = self.prepare(params)?;
        Ok((RequestBody::Json(Value::Object(body)), warnings))
    }

    /// Sends the request; a parameter the server answers "Unsupported parameter" to is dropped
    /// (per the validation mode) and the request sent again, once.
    async fn open(
        &self,
        params: &ResponseCreateParams,
        body: RequestBody,
        warnings: &mut Vec<ValidationWarning>,
    ) -> Result<EventStream> {
        let inner = &self.client.inner;
        let mut retried = false;
        let mut request = HttpRequest::new(Method::POST, "responses")
            .model(&params.model)
            .options(inner.default_options.clone());
        request.body = Some(body);
        loop {
            match inner.transport.stream(&request).await {
                Ok(stream) => return Ok(stream),
                Err(error) => {
                    let Some(name) = unsupported_parameter(&error) else { return Err(error.into()) };
                    if let Some(RequestBody::Raw { .. }) = request.body {
                        // A body written straight from the parameters: the shaped one, to edit.
                        let prepared = self.prepare(params)?;
                        request.body = Some(RequestBody::Json(Value::Object(prepared.body)));
                        *warnings = prepared.warnings;
                    }
                    let Some(RequestBody::Json(Value::Object(body))) = &mut request.body else {
                        return Err(error.into());
                    };
                    if retried || !body.contains_key(&name) {
                        return Err(error.into());
                    }
                    match inner.policy.validation_mode {
                        ValidationMode::Error => {
                            return Err(ParameterValidationError {
                                code: WarningCode::UnsupportedParameter,
                                parameter: name.clone(),
                                message: format!(
                                    "the server answered \"Unsupported parameter: {name}\"; remove it, or use \
                                     ValidationMode::Warn to have it dropped"
                                ),
                            }
                            .into());
                        }
                        ValidationMode::Warn => tracing::warn!(
                            code = "unsupported_parameter",
                            parameter = %name,
                            "the server does not accept `{name}`; it was dropped and the request sent again (and it \
                             will not be sent by this client again)"
                        ),
                        ValidationMode::Ignore => {}
                    }
                    body.shift_remove(&name);
                    inner.dropped.lock().unwrap_or_else(|p| p.into_inner()).insert(name);
                    retried = true;
                }
            }
        }
    }

    /// `input_tokens().count(params)`.
    pub fn input_tokens(&self) -> crate::local::InputTokens<'_> {
        crate::local::InputTokens { client: self.client }
    }

    /// Expands the conversation, prepares and sends the request: its answer (its mapper
    /// keeping each backend event as `raw` or not), the policy's warnings and the response
    /// continued.
    async fn send(
        &self,
        mut params: ResponseCreateParams,
        keep_raw: bool,
    ) -> Result<(Answer, Vec<ValidationWarning>, Option<String>)> {
        let record = self.client.expand_history(&mut params).await?;
        let previous_response_id = record.as_ref().and_then(|(previous, _)| previous.clone());
        self.check_model(&params.model)?;
        let (body, mut warnings) = self.body(&params)?;
        let frames = self.open(&params, body, &mut warnings).await?;
        let answer = Answer {
            request_id: frames.request_id().to_owned(),
            frames: Some(frames),
            mapper: EventMapper::new().keep_raw(keep_raw),
            record,
            client: self.client.clone(),
        };
        Ok((answer, warnings, previous_response_id))
    }

    /// Sends the request and streams stream events v1 as they arrive.
    pub async fn stream(&self, params: ResponseCreateParams) -> Result<ResponseStream> {
        let (mut answer, warnings, previous_response_id) = self.send(params, true).await?;
        let request_id = answer.request_id.clone();
        let inner = async_stream::stream! {
            let mut events = Vec::new();
            loop {
                let more = answer.next_into(&mut events).await;
                for event in events.drain(..) {
                    yield Ok(event);
                }
                match more {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(error) => {
                        yield Err(error);
                        return;
                    }
                }
            }
        };
        Ok(ResponseStream { inner: Box::pin(inner), warnings, request_id, previous_response_id })
    }

    /// Sends the request and returns the whole response, folded from the same events a
    /// stream yields (without the stream around them, and without keeping each backend
    /// event's text in them, which only a stream's reader sees). A failed response
    /// (`response.failed`) is an error.
    pub async fn create(&self, params: ResponseCreateParams) -> Result<Response> {
        let (mut answer, _, previous_response_id) = self.send(params, false).await?;
        let mut accumulator = ResponseAccumulator::new();
        let mut events = Vec::new();
        loop {
            let more = answer.next_into(&mut events).await?;
            // Read where they lie: an event is 224 bytes, which moving it out would copy.
            for event in &events {
                accumulator.push(event);
            }
            events.clear();
            if !more {
                break;
            }
        }
        finish_response(accumulator, previous_response_id, answer.request_id)
    }

    /// Structured output: sends `T`'s JSON Schema (made strict) as `text.format` and reads the
    /// answer into a `T`.
    pub async fn parse<T>(&self, mut params: ResponseCreateParams) -> Result<T>
    where
        T: serde::de::DeserializeOwned + schemars::JsonSchema,
    {
        let mut schema = serde_json::to_value(schemars::schema_for!(T)).expect("schemas serialize");
        make_strict(&mut schema);
        let name: String = T::schema_name()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
            .collect();
        params.response_format =
            Some(ResponseFormat::JsonSchema { name, schema, strict: Some(true), description: None });
        let response = self.create(params).await?;
        serde_json::from_str(response.output_text.trim()).map_err(|e| Error::StructuredOutput {
            type_name: std::any::type_name::<T>(),
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_schemas_close_every_object() {
        let mut schema = serde_json::json!({
            "$schema": "x", "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "object", "properties": {"c": {"type": "integer"}}}}
        });
        make_strict(&mut schema);
        assert_eq!(schema["required"], serde_json::json!(["a", "b"]));
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["properties"]["b"]["required"], serde_json::json!(["c"]));
        assert!(schema.get("$schema").is_none());
    }
}
