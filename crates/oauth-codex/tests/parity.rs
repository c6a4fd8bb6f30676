//! One suite, both clients: the async and the blocking client give the same results, events,
//! errors and warnings for every scripted reply of the fake backend.

mod common;

use std::time::Duration;

use codex_auth::TokenStore;
use codex_testkit::{Faults, Reply, Script};
use futures_util::StreamExt;
use oauth_codex::{
    AsyncOAuthCodexClient, ClientBuilder, Error, ErrorKind, FinishReason, OAuthCodexClient, Response,
    ResponseCreateParams, StreamEvent, StreamEventType, ToolCallKind, ValidationMode, WarningCode,
};
use serde_json::{Value, json};

use common::{Env, env};

/// Either client, behind one interface.
enum Face {
    Async(AsyncOAuthCodexClient),
    Blocking(OAuthCodexClient),
}

impl Face {
    fn both(env: &Env, adjust: impl Fn(ClientBuilder) -> ClientBuilder) -> [Face; 2] {
        let async_client = env.rt.block_on(async { adjust(env.builder()).build().unwrap() });
        [
            Face::Async(async_client),
            Face::Blocking(OAuthCodexClient::from_builder(adjust(env.builder())).unwrap()),
        ]
    }

    fn name(&self) -> &'static str {
        match self {
            Face::Async(_) => "async",
            Face::Blocking(_) => "blocking",
        }
    }

    fn create(&self, env: &Env, params: ResponseCreateParams) -> Result<Response, Error> {
        match self {
            Face::Async(client) => env.rt.block_on(client.responses().create(params)),
            Face::Blocking(client) => client.responses().create(params),
        }
    }

    /// The events of a stream, and the error that ended it, if any.
    fn stream(&self, env: &Env, params: ResponseCreateParams) -> (Vec<StreamEvent>, Option<Error>) {
        let mut events = Vec::new();
        match self {
            Face::Async(client) => env.rt.block_on(async {
                let mut stream = match client.responses().stream(params).await {
                    Ok(stream) => stream,
                    Err(error) => return (events, Some(error)),
                };
                while let Some(event) = stream.next().await {
                    match event {
                        Ok(event) => events.push(event),
                        Err(error) => return (events, Some(error)),
                    }
                }
                (events, None)
            }),
            Face::Blocking(client) => {
                let stream = match client.responses().stream(params) {
                    Ok(stream) => stream,
                    Err(error) => return (events, Some(error)),
                };
                for event in stream {
                    match event {
                        Ok(event) => events.push(event),
                        Err(error) => return (events, Some(error)),
                    }
                }
                (events, None)
            }
        }
    }
}

fn params() -> ResponseCreateParams {
    ResponseCreateParams::new("gpt-5.2-codex", "Hello?")
}

fn kind(error: &Error) -> ErrorKind {
    error.as_request().map(|e| e.kind.clone()).unwrap_or_else(|| panic!("not a request error: {error:?}"))
}

#[test]
fn streaming_and_non_streaming_agree_on_both_clients() {
    let env = env();
    let scripts = [
        Script::new("r1").text("Plain answer with ünïcode ✓").completed(),
        Script::new("r2").reasoning("Think first.").text("Then answer.").usage(40, 8, 30, 20).completed(),
        Script::new("r3")
            .function_call("call_1", "get_weather", r#"{"city":"Paris"}"#)
            .function_call("call_2", "get_time", "{}")
            .completed(),
        Script::new("r4").text("cut short").incomplete("max_output_tokens"),
    ];
    for face in Face::both(&env, |b| b) {
        for script in &scripts {
            env.codex.enqueue(Reply::stream(script.clone()));
            let response = face.create(&env, params()).unwrap();
            env.codex.enqueue(Reply::stream(script.clone()));
            let (events, error) = face.stream(&env, params());
            assert!(error.is_none(), "{}: {error:?}", face.name());
            // `create` folds the events without a stream around them: the same response,
            // down to its raw JSON.
            assert_eq!(Response::from_events(&events), response, "{}", face.name());
            assert!(response.raw.is_some(), "{}", face.name());
            assert_eq!(events.first().unwrap().kind, StreamEventType::ResponseStarted);
            assert_eq!(events.last().unwrap().kind, StreamEventType::ResponseCompleted);
        }
    }
    let sent = env.codex.requests();
    assert_eq!(sent.len(), 16);
    let body = sent[0].json.as_ref().unwrap();
    assert_eq!((body["store"].as_bool(), body["stream"].as_bool()), (Some(false), Some(true)));
    assert_eq!(sent[0].header("chatgpt-account-id"), Some("acct_fake_0001"));
}

#[test]
fn tool_calls_reasoning_and_usage_come_through_typed() {
    let env = env();
    for face in Face::both(&env, |b| b) {
        env.codex.enqueue(Reply::stream(
            Script::new("r")
                .reasoning("Need the weather.")
                .function_call("call_1", "get_weather", r#"{"city":"Oslo"}"#)
                .usage(50, 10, 20, 12)
                .completed(),
        ));
        let response = face.create(&env, params()).unwrap();
        assert_eq!(response.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(response.tool_calls[0].parsed_arguments, Some(json!({"city": "Oslo"})));
        assert_eq!(response.reasoning_summary.as_deref(), Some("Need the weather."));
        assert!(response.encrypted_reasoning_content.is_some());
        let usage = response.usage.unwrap();
        assert_eq!((usage.input_tokens, usage.cached_input_tokens, usage.reasoning_tokens), (50, 10, 12));
    }
}

#[test]
fn errors_are_the_same_on_both_clients() {
    let env = env();
    for face in Face::both(&env, |b| b) {
        let name = face.name();
        env.codex.enqueue(Reply::stream(Script::new("r").failed_context_length()));
        let error = face.create(&env, params()).unwrap_err();
        assert_eq!(kind(&error), ErrorKind::ContextWindowExceeded, "{name}");

        env.codex.enqueue(Reply::stream(Script::new("r").failed_context_length()));
        let (events, error) = face.stream(&env, params());
        assert!(error.is_none(), "a failed response is told by events: {name}");
        assert!(events.iter().any(|e| e.kind == StreamEventType::Error));
        assert_eq!(events.last().unwrap().finish_reason, Some(FinishReason::Error));

        env.codex.enqueue(Reply::usage_limit_reached("plus", 3600));
        let error = face.create(&env, params()).unwrap_err();
        assert!(matches!(kind(&error), ErrorKind::UsageLimit { .. }), "{name}");
        assert!(!error.is_retryable());

        env.codex.enqueue(Reply::server_error());
        env.codex.enqueue(Reply::stream(Script::new("r").text("after a retry").completed()));
        assert_eq!(face.create(&env, params()).unwrap().output_text, "after a retry", "{name}");

        let events = Script::new("r").text("one two three").completed();
        env.codex
            .enqueue(Reply::stream_with(events.clone(), Faults { drop_after: Some(4), ..Faults::default() }));
        assert_eq!(kind(&face.create(&env, params()).unwrap_err()), ErrorKind::StreamClosedEarly, "{name}");

        env.codex.enqueue(Reply::stream_with(
            events.clone(),
            Faults { close_before_completed: true, ..Faults::default() },
        ));
        let (received, error) = face.stream(&env, params());
        assert!(!received.is_empty());
        assert_eq!(kind(&error.unwrap()), ErrorKind::StreamClosedEarly, "{name}");

        env.codex.enqueue(Reply::stream_with(
            events,
            Faults { close_before_completed: true, ..Faults::default() },
        ));
        assert_eq!(kind(&face.create(&env, params()).unwrap_err()), ErrorKind::StreamClosedEarly, "{name}");
    }
}

#[test]
fn unsupported_parameters_are_dropped_and_remembered_in_warn_mode() {
    let env = env();
    for face in Face::both(&env, |b| b) {
        let before = env.codex.requests().len();
        env.codex.enqueue(Reply::json(400, json!({"detail": "Unsupported parameter: x_flag"})));
        env.codex.enqueue(Reply::stream(Script::new("r").text("ok").completed()));
        let response = face.create(&env, params().extra("x_flag", json!(true))).unwrap();
        assert_eq!(response.output_text, "ok");
        env.codex.enqueue(Reply::stream(Script::new("r").text("ok").completed()));
        face.create(&env, params().extra("x_flag", json!(true))).unwrap();
        let sent = env.codex.requests();
        assert_eq!(sent.len() - before, 3, "{}: one refused, one retried, one sent without it", face.name());
        assert!(sent[before].json.as_ref().unwrap().get("x_flag").is_some());
        assert!(sent[before + 1].json.as_ref().unwrap().get("x_flag").is_none());
        assert!(
            sent[before + 2].json.as_ref().unwrap().get("x_flag").is_none(),
            "remembered for this client"
        );
    }
    // A parameter the body is written with straight from the parameters (no extra_body): the
    // retry takes the shaped body and drops it there, and later bodies are shaped without it.
    for face in Face::both(&env, |b| b) {
        let before = env.codex.requests().len();
        env.codex.enqueue(Reply::json(400, json!({"detail": "Unsupported parameter: prompt_cache_key"})));
        env.codex.enqueue(Reply::stream(Script::new("r").text("ok").completed()));
        face.create(&env, params().prompt_cache_key("conv-1")).unwrap();
        env.codex.enqueue(Reply::stream(Script::new("r").text("ok").completed()));
        face.create(&env, params().prompt_cache_key("conv-1")).unwrap();
        let sent: Vec<Value> =
            env.codex.requests()[before..].iter().map(|r| r.json.clone().unwrap()).collect();
        assert_eq!(sent.len(), 3, "{}", face.name());
        assert_eq!(sent[0]["prompt_cache_key"], "conv-1");
        let mut without = sent[0].clone();
        without.as_object_mut().unwrap().shift_remove("prompt_cache_key");
        assert_eq!(sent[1], without, "{}: the same body without it", face.name());
        assert_eq!(sent[2], without, "{}: remembered for this client", face.name());
        assert_eq!(
            serde_json::to_string(&sent[1]).unwrap(),
            serde_json::to_string(&without).unwrap(),
            "{}: in the same order",
            face.name()
        );
    }
    for face in Face::both(&env, |b| b.validation_mode(ValidationMode::Error)) {
        env.codex.enqueue(Reply::json(400, json!({"detail": "Unsupported parameter: x_flag"})));
        let error = face.create(&env, params().extra("x_flag", json!(true))).unwrap_err();
        let Error::ParameterValidation(error) = error else { panic!("{error:?}") };
        assert_eq!((error.code, error.parameter.as_str()), (WarningCode::UnsupportedParameter, "x_flag"));
    }
}

#[test]
fn policy_warnings_and_errors_match() {
    let env = env();
    let [async_face, _] = Face::both(&env, |b| b);
    let Face::Async(client) = async_face else { unreachable!() };
    env.codex.enqueue(Reply::stream(Script::new("r").text("ok").completed()));
    let stream = env.rt.block_on(client.responses().stream(params().temperature(0.4).store(true))).unwrap();
    let codes: Vec<WarningCode> = stream.warnings().iter().map(|w| w.code).collect();
    assert_eq!(codes, [WarningCode::StoreAutoDisabled, WarningCode::UnsupportedParameter]);
    drop(stream);
    for face in Face::both(&env, |b| b.validation_mode(ValidationMode::Error)) {
        let error = face.create(&env, params().temperature(0.4)).unwrap_err();
        assert!(matches!(error, Error::ParameterValidation(_)), "{}", face.name());
    }
}

#[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
struct Person {
    name: String,
    age: u32,
}

#[test]
fn structured_output_into_a_rust_type() {
    let env = env();
    for face in Face::both(&env, |b| b) {
        env.codex.enqueue(Reply::stream(Script::new("r").text(r#"{"name":"Ada","age":36}"#).completed()));
        let person: Person = match &face {
            Face::Async(client) => env.rt.block_on(client.responses().parse::<Person>(params())).unwrap(),
            Face::Blocking(client) => client.responses().parse::<Person>(params()).unwrap(),
        };
        assert_eq!(person, Person { name: "Ada".into(), age: 36 });
        let sent = env.codex.requests();
        let format = &sent.last().unwrap().json.as_ref().unwrap()["text"]["format"];
        assert_eq!((format["type"].as_str(), format["strict"].as_bool()), (Some("json_schema"), Some(true)));
        assert_eq!(format["schema"]["required"], json!(["name", "age"]));

        env.codex.enqueue(Reply::stream(Script::new("r").text(r#"{"name":"Ada"}"#).completed()));
        let error = match &face {
            Face::Async(client) => env.rt.block_on(client.responses().parse::<Person>(params())).unwrap_err(),
            Face::Blocking(client) => client.responses().parse::<Person>(params()).unwrap_err(),
        };
        assert!(matches!(error, Error::StructuredOutput { .. }), "{error}");
        assert!(error.to_string().contains("age"), "{error}");
    }
}

#[test]
fn models_catalogue_capabilities_and_validation() {
    let env = env();
    for face in Face::both(&env, |b| b.validate_model(true)) {
        let (models, capabilities) = match &face {
            Face::Async(client) => env.rt.block_on(async {
                (
                    client.models().list().await.unwrap(),
                    client.models().capabilities("gpt-5.2-codex").await.unwrap(),
                )
            }),
            Face::Blocking(client) => {
                (client.models().list().unwrap(), client.models().capabilities("gpt-5.2-codex").unwrap())
            }
        };
        assert!(models.iter().any(|m| m.slug == "gpt-5.2-codex"));
        assert!(capabilities.supports_reasoning && !capabilities.supports_store);
        assert_eq!(capabilities.context_window, Some(272_000));
        let error = face.create(&env, ResponseCreateParams::new("gpt-404", "hi")).unwrap_err();
        let Error::ModelValidation { reason, .. } = &error else { panic!("{error:?}") };
        assert!(reason.contains("gpt-5.2-codex"), "the error lists what is offered: {reason}");
        let error = face.create(&env, ResponseCreateParams::new(" ", "hi")).unwrap_err();
        assert!(matches!(error, Error::ModelValidation { .. }));
    }
    let etags = env.codex.requests().iter().filter(|r| r.header("if-none-match").is_some()).count();
    assert!(etags >= 2, "the second catalogue request revalidates with the ETag");
}

#[test]
fn token_lifecycle_on_both_clients() {
    let env = env();
    for face in Face::both(&env, |b| b) {
        match &face {
            Face::Async(client) => env.rt.block_on(async {
                assert!(client.is_authenticated().await);
                assert!(!client.is_expired(Duration::ZERO).await);
                assert!(client.refresh_if_needed(true).await.unwrap());
                assert!(!client.refresh_if_needed(false).await.unwrap());
            }),
            Face::Blocking(client) => {
                assert!(client.is_authenticated());
                assert!(!client.is_expired(Duration::ZERO));
                assert!(client.refresh_if_needed(true).unwrap());
                assert!(!client.refresh_if_needed(false).unwrap());
            }
        }
    }
    let [_, blocking] = Face::both(&env, |b| b);
    let Face::Blocking(client) = blocking else { unreachable!() };
    client.logout().unwrap();
    assert!(env.store.load().unwrap().is_none());
    assert!(!client.is_authenticated());
    let error = client.responses().create(params()).unwrap_err();
    assert!(error.to_string().contains("oauth-codex login"), "{error}");
}

#[test]
fn the_blocking_client_works_inside_a_tokio_runtime() {
    let env = env();
    let client = OAuthCodexClient::from_builder(env.builder()).unwrap();
    env.codex.enqueue(Reply::stream(Script::new("r").text("from inside").completed()));
    let text = env.rt.block_on(async move {
        // Blocking calls from async code block this worker; they must not panic.
        let response = client.responses().create(params()).unwrap();
        let events: Vec<_> = {
            let stream = client.responses().stream(params()).unwrap();
            stream.collect()
        };
        assert!(events.iter().all(Result::is_ok));
        drop(client);
        response.output_text
    });
    assert_eq!(text, "from inside");
}

#[test]
fn a_tool_loop_with_rust_closures() {
    let env = env();
    let [async_face, _] = Face::both(&env, |b| b);
    let Face::Async(client) = async_face else { unreachable!() };
    let tools = oauth_codex::ToolBox::new().tool(
        "get_weather",
        "Current weather",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
        |args| Ok(json!({"city": args["city"], "temp_c": 4}).to_string()),
    );
    env.codex.enqueue(Reply::stream(
        Script::new("r1").function_call("call_1", "get_weather", r#"{"city":"Oslo"}"#).completed(),
    ));
    env.codex
        .enqueue(Reply::stream(Script::new("r2").function_call("call_2", "no_such_tool", "{}").completed()));
    env.codex.enqueue(Reply::stream(Script::new("r3").text("4 °C in Oslo.").completed()));
    let answer = env.rt.block_on(client.responses().run_tools(params(), &tools, 3)).unwrap();
    assert_eq!(answer.output_text, "4 °C in Oslo.");
    let sent = env.codex.requests();
    let inputs: Vec<serde_json::Value> =
        sent.iter().map(|r| r.json.clone().unwrap()["input"].clone()).collect();
    assert_eq!(
        inputs[1][2],
        json!({"type": "function_call_output", "call_id": "call_1", "output": "{\"city\":\"Oslo\",\"temp_c\":4}"})
    );
    assert!(inputs[2][4]["output"].as_str().unwrap().contains("there is no tool named"), "{}", inputs[2]);
    assert_eq!(sent[0].json.as_ref().unwrap()["tools"][0]["name"], "get_weather");

    env.codex.enqueue(Reply::stream(
        Script::new("r4").function_call("call_9", "get_weather", r#"{"city":"Rome"}"#).completed(),
    ));
    let error = env.rt.block_on(client.responses().run_tools(params(), &tools, 0)).unwrap_err();
    assert!(
        matches!(error, Error::ToolCallRequired { ref tool_calls } if tool_calls[0].call_id == "call_9"),
        "{error}"
    );
}

/// A custom (freeform) tool, such as Codex's `apply_patch`: its definition goes out as a
/// `custom` tool, its call streams as tool-call events of kind `custom` (the input in pieces,
/// unparsed), the tool loop runs its closure on the input and answers with a
/// `custom_tool_call_output`.
#[test]
fn a_custom_tool_streams_and_runs_in_the_tool_loop() {
    let env = env();
    let [async_face, _] = Face::both(&env, |b| b);
    let Face::Async(client) = async_face else { unreachable!() };
    let patch = "*** Begin Patch\n*** Add File: hello.txt\n+Hello, world.\n*** End Patch\n";

    env.codex.enqueue(Reply::stream(
        Script::new("r1").custom_tool_call("call_p", "apply_patch", patch).completed(),
    ));
    let events: Vec<StreamEvent> = env.rt.block_on(async {
        let stream = client.responses().stream(params()).await.unwrap();
        stream.map(Result::unwrap).collect().await
    });
    let input: String = events
        .iter()
        .filter(|e| e.kind == StreamEventType::ToolCallArgumentsDelta)
        .map(|e| e.delta.as_deref().unwrap())
        .collect();
    assert_eq!(input, patch, "the input streams in pieces");
    let done = events.iter().find(|e| e.kind == StreamEventType::ToolCallDone).unwrap();
    let call = done.tool_call.as_deref().unwrap();
    assert_eq!(
        (call.kind, call.name.as_str(), call.arguments.as_str()),
        (ToolCallKind::Custom, "apply_patch", patch)
    );
    let last = events.last().unwrap();
    assert_eq!(last.finish_reason, Some(FinishReason::ToolCalls));

    let tools = oauth_codex::ToolBox::new().custom_tool("apply_patch", "Edit files with a patch.", |input| {
        Ok(format!("applied {} lines", input.lines().count()))
    });
    env.codex.enqueue(Reply::stream(
        Script::new("r2").custom_tool_call("call_q", "apply_patch", patch).completed(),
    ));
    env.codex.enqueue(Reply::stream(Script::new("r3").text("Created hello.txt.").completed()));
    let answer = env.rt.block_on(client.responses().run_tools(params(), &tools, 3)).unwrap();
    assert_eq!(answer.output_text, "Created hello.txt.");
    let sent = env.codex.requests();
    let (first, second) =
        (sent[sent.len() - 2].json.clone().unwrap(), sent[sent.len() - 1].json.clone().unwrap());
    assert_eq!(
        first["tools"][0],
        json!({"type": "custom", "name": "apply_patch", "description": "Edit files with a patch."})
    );
    let input = second["input"].as_array().unwrap();
    assert_eq!(input[1]["type"], "custom_tool_call", "the call goes back as the model made it");
    assert_eq!(
        input[2],
        json!({"type": "custom_tool_call_output", "call_id": "call_q", "output": "applied 4 lines"})
    );
}

/// The end of a response's body can come a moment after its final event (the last bytes of
/// the chunked encoding): neither `create` nor a caller that stops reading at the final event
/// waits for it, and the connection still serves the next request rather than being closed
/// (which, on the real backend, would cost the next request a new TLS handshake).
#[test]
fn the_next_request_reuses_the_connection_when_the_body_ends_late() {
    let env = env();
    let late_end = Faults { end_delay: Some(Duration::from_millis(100)), ..Faults::default() };
    for face in Face::both(&env, |b| b) {
        let before = env.codex.accepted_connections();
        for _ in 0..3 {
            env.codex.enqueue(Reply::stream_with(Script::new("r").text("Hi.").completed(), late_end.clone()));
            let response = face.create(&env, params()).unwrap();
            assert_eq!(response.output_text, "Hi.", "{}", face.name());
            std::thread::sleep(Duration::from_millis(300));
        }
        env.codex.enqueue(Reply::stream_with(Script::new("r").text("Hi.").completed(), late_end.clone()));
        let until_completed = |event: &StreamEvent| event.kind != StreamEventType::ResponseCompleted;
        match &face {
            Face::Async(client) => env.rt.block_on(async {
                let mut stream = client.responses().stream(params()).await.unwrap();
                while until_completed(&stream.next().await.unwrap().unwrap()) {}
            }),
            Face::Blocking(client) => {
                let mut stream = client.responses().stream(params()).unwrap();
                while until_completed(&stream.next().unwrap().unwrap()) {}
            }
        }
        std::thread::sleep(Duration::from_millis(300));
        face.create(&env, params()).unwrap();
        assert_eq!(env.codex.accepted_connections() - before, 1, "{}", face.name());
    }
}
