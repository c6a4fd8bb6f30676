//! The parameter policy: every rule in every mode, store behaviour, and Codex shaping.

use codex_schema::{
    Message, Profile, RequestPolicy, ResponseCreateParams, StoreBehavior, ValidationMode, WarningCode,
    codex_body_bytes, prepare_request, shape_for_codex, validate_body,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn body(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn policy(profile: Profile, mode: ValidationMode) -> RequestPolicy {
    RequestPolicy::new(profile).validation_mode(mode)
}

fn codes(body_json: Value, policy: &RequestPolicy) -> Vec<WarningCode> {
    validate_body(body(body_json), policy).unwrap().warnings.into_iter().map(|w| w.code).collect()
}

#[test]
fn ranges_follow_the_table() {
    let generic = policy(Profile::OpenAiCompatible, ValidationMode::Warn);
    let cases = [
        (json!({"model": "m", "temperature": 0.0}), vec![]),
        (json!({"model": "m", "temperature": 2.0}), vec![]),
        (json!({"model": "m", "temperature": 2.01}), vec![WarningCode::OutOfRangeTemperature]),
        (json!({"model": "m", "temperature": -0.1}), vec![WarningCode::OutOfRangeTemperature]),
        (json!({"model": "m", "temperature": "hot"}), vec![WarningCode::OutOfRangeTemperature]),
        (json!({"model": "m", "top_p": 1.0}), vec![]),
        (json!({"model": "m", "top_p": 0.0}), vec![WarningCode::OutOfRangeTopP]),
        (json!({"model": "m", "top_p": 1.5}), vec![WarningCode::OutOfRangeTopP]),
        (json!({"model": "m", "max_output_tokens": 1}), vec![]),
        (json!({"model": "m", "max_output_tokens": 0}), vec![WarningCode::InvalidMaxOutputTokens]),
        (json!({"model": "m", "max_output_tokens": -5}), vec![WarningCode::InvalidMaxOutputTokens]),
        (json!({"model": "m", "max_output_tokens": 1.5}), vec![WarningCode::InvalidMaxOutputTokens]),
        (json!({"model": "m", "include": ["reasoning.encrypted_content"]}), vec![]),
        (json!({"model": "m", "include": ["nope"]}), vec![WarningCode::InvalidInclude]),
        (json!({"model": "m", "include": "reasoning.encrypted_content"}), vec![WarningCode::InvalidInclude]),
        (json!({"model": ""}), vec![WarningCode::InvalidModel]),
        (json!({"model": "m", "service_tier": "flex"}), vec![WarningCode::ServiceTierIgnored]),
        (json!({"model": "m", "brand_new": 1}), vec![WarningCode::UnsupportedParameter]),
    ];
    for (input, expected) in cases {
        assert_eq!(codes(input.clone(), &generic), expected, "{input}");
    }
}

#[test]
fn metadata_rules() {
    let generic = policy(Profile::OpenAiCompatible, ValidationMode::Warn);
    let ok: Map<String, Value> = (0..16).map(|i| (format!("k{i}"), json!("v"))).collect();
    assert!(codes(json!({"model": "m", "metadata": ok}), &generic).is_empty());
    let too_many: Map<String, Value> = (0..17).map(|i| (format!("k{i}"), json!("v"))).collect();
    let long_key: Map<String, Value> = [("k".repeat(65), json!("v"))].into_iter().collect();
    let long_value: Map<String, Value> = [("k".to_owned(), json!("v".repeat(513)))].into_iter().collect();
    let not_string: Map<String, Value> = [("k".to_owned(), json!(3))].into_iter().collect();
    for bad in [json!(too_many), json!(long_key), json!(long_value), json!(not_string), json!("x")] {
        assert_eq!(codes(json!({"model": "m", "metadata": bad}), &generic), [WarningCode::InvalidMetadata]);
    }
}

#[test]
fn warn_mode_keeps_the_value_on_the_generic_profile() {
    let prepared = validate_body(
        body(json!({"model": "m", "temperature": 9})),
        &policy(Profile::OpenAiCompatible, ValidationMode::Warn),
    )
    .unwrap();
    assert_eq!(prepared.body["temperature"], 9, "the server gets to say no");
    assert!(prepared.warnings[0].message.contains("[0, 2]"), "{}", prepared.warnings[0].message);
}

#[test]
fn error_mode_names_the_parameter_and_range() {
    let error = validate_body(
        body(json!({"model": "m", "top_p": 3})),
        &policy(Profile::OpenAiCompatible, ValidationMode::Error),
    )
    .unwrap_err();
    assert_eq!(error.code, WarningCode::OutOfRangeTopP);
    assert_eq!(error.parameter, "top_p");
    let text = error.to_string();
    assert!(text.contains("`top_p`") && text.contains("(0, 1]"), "{text}");
}

#[test]
fn ignore_mode_is_silent() {
    let quiet = policy(Profile::OpenAiCompatible, ValidationMode::Ignore);
    assert!(
        codes(json!({"model": "m", "temperature": 9, "brand_new": 1, "service_tier": "x"}), &quiet)
            .is_empty()
    );
    let prepared = validate_body(body(json!({"model": "m", "service_tier": "x"})), &quiet).unwrap();
    assert!(prepared.body.get("service_tier").is_none(), "service_tier is never sent");
}

#[test]
fn service_tier_is_an_error_in_error_mode() {
    let error = validate_body(
        body(json!({"model": "m", "service_tier": "priority"})),
        &policy(Profile::Codex, ValidationMode::Error),
    )
    .unwrap_err();
    assert_eq!(error.code, WarningCode::ServiceTierIgnored);
}

#[test]
fn codex_drops_what_the_backend_rejects() {
    for key in [
        "temperature",
        "top_p",
        "max_output_tokens",
        "metadata",
        "truncation",
        "previous_response_id",
        "seed",
    ] {
        let value = match key {
            "metadata" => json!({"a": "b"}),
            "truncation" => json!("auto"),
            "previous_response_id" => json!("resp_1"),
            "top_p" => json!(0.5),
            _ => json!(1),
        };
        let mut input = body(json!({"model": "m"}));
        input.insert(key.to_owned(), value);
        let warn = validate_body(input.clone(), &policy(Profile::Codex, ValidationMode::Warn)).unwrap();
        assert!(warn.body.get(key).is_none(), "{key} must not reach the Codex backend");
        assert_eq!(warn.warnings[0].code, WarningCode::UnsupportedParameter, "{key}");
        let ignore = validate_body(input.clone(), &policy(Profile::Codex, ValidationMode::Ignore)).unwrap();
        assert!(ignore.body.get(key).is_none() && ignore.warnings.is_empty(), "{key}");
        let error = validate_body(input, &policy(Profile::Codex, ValidationMode::Error)).unwrap_err();
        assert_eq!(error.parameter, key);
    }
}

#[test]
fn store_behaviour() {
    let store_true = || body(json!({"model": "m", "store": true}));
    let auto = validate_body(store_true(), &RequestPolicy::new(Profile::Codex)).unwrap();
    assert_eq!(auto.body["store"], false);
    assert_eq!(auto.warnings[0].code, WarningCode::StoreAutoDisabled);

    let error =
        validate_body(store_true(), &RequestPolicy::new(Profile::Codex).store_behavior(StoreBehavior::Error))
            .unwrap_err();
    assert_eq!(error.code, WarningCode::StoreNotSupported);
    assert!(error.message.contains("store: false"));

    let pass = validate_body(
        store_true(),
        &RequestPolicy::new(Profile::Codex).store_behavior(StoreBehavior::Passthrough),
    )
    .unwrap();
    assert_eq!(pass.body["store"], true);
    assert!(pass.warnings.is_empty());

    let generic = validate_body(store_true(), &RequestPolicy::new(Profile::OpenAiCompatible)).unwrap();
    assert_eq!(generic.body["store"], true, "other servers store as asked");
}

#[test]
fn extra_body_is_validated_like_any_parameter() {
    let params = ResponseCreateParams::new("m", "hi").extra("temperature", json!(5));
    let error =
        prepare_request(&params, &policy(Profile::OpenAiCompatible, ValidationMode::Error)).unwrap_err();
    assert_eq!(error.code, WarningCode::OutOfRangeTemperature);
}

#[test]
fn extra_body_null_removes_a_key_and_values_replace() {
    let params = ResponseCreateParams::new("m", "hi")
        .instructions("x")
        .extra("instructions", Value::Null)
        .extra("prompt_cache_key", json!("k"));
    let body = params.to_body();
    assert!(body.get("instructions").is_none());
    assert_eq!(body["prompt_cache_key"], "k");
}

#[test]
fn codex_shaping_rules() {
    let shaped = shape_for_codex(body(json!({"model": "m", "input": "hello", "stream": false})), "default");
    assert_eq!(shaped["stream"], true);
    assert_eq!(shaped["store"], false);
    assert_eq!(shaped["instructions"], "default");
    assert_eq!(shaped["input"][0]["content"][0], json!({"type": "input_text", "text": "hello"}));
    assert!(shaped.get("include").is_none(), "no reasoning, no include");

    let single =
        shape_for_codex(body(json!({"model": "m", "input": {"role": "user", "content": "hi"}})), "d");
    assert_eq!(single["input"].as_array().unwrap().len(), 1);
    assert_eq!(single["input"][0]["type"], "message");

    let developer = shape_for_codex(
        body(json!({"model": "m", "input": [
            {"type": "message", "role": "user", "content": "q"},
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Be kind."}]}
        ]})),
        "d",
    );
    assert_eq!(developer["instructions"], "Be kind.");
    assert_eq!(developer["input"].as_array().unwrap().len(), 1);

    let explicit = shape_for_codex(
        body(json!({"model": "m", "instructions": "mine", "input": [{"role": "system", "content": "sys"}]})),
        "d",
    );
    assert_eq!(explicit["instructions"], "mine");
    assert_eq!(explicit["input"][0]["role"], "developer", "no system role on the backend");

    let reasoning = shape_for_codex(
        body(
            json!({"model": "m", "input": [], "reasoning": {"effort": "low"}, "include": ["file_search_call.results"]}),
        ),
        "d",
    );
    assert_eq!(reasoning["include"], json!(["file_search_call.results", "reasoning.encrypted_content"]));

    let keys: Vec<&str> = reasoning.keys().map(String::as_str).collect();
    assert_eq!(keys, ["model", "instructions", "input", "reasoning", "store", "stream", "include"]);
}

#[test]
fn default_instructions_are_configurable() {
    let params = ResponseCreateParams::new("m", vec![Message::user("hi").into()]);
    let policy = RequestPolicy::new(Profile::Codex).default_instructions("You are Codex.");
    let prepared = prepare_request(&params, &policy).unwrap();
    assert_eq!(prepared.body["instructions"], "You are Codex.");
}

#[test]
fn profile_from_base_url() {
    assert_eq!(Profile::from_base_url("https://chatgpt.com/backend-api/codex"), Profile::Codex);
    assert_eq!(Profile::from_base_url("http://127.0.0.1:9/backend-api/codex/"), Profile::Codex);
    assert_eq!(Profile::from_base_url("https://api.openai.com/v1"), Profile::OpenAiCompatible);
}

#[test]
fn warning_codes_serialize_as_the_seed_spells_them() {
    assert_eq!(serde_json::to_value(WarningCode::StoreAutoDisabled).unwrap(), "store_auto_disabled");
    assert_eq!(serde_json::to_value(WarningCode::OutOfRangeTemperature).unwrap(), "out_of_range_temperature");
    assert_eq!(WarningCode::ServiceTierIgnored.to_string(), "service_tier_ignored");
    assert_eq!(serde_json::to_value(ValidationMode::Warn).unwrap(), "warn");
    assert_eq!(serde_json::to_value(StoreBehavior::AutoDisable).unwrap(), "auto_disable");
}

/// The Codex CLI's field order, as the backend sees it.
const CODEX_ORDER: [&str; 12] = [
    "model",
    "instructions",
    "input",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning",
    "store",
    "stream",
    "include",
    "prompt_cache_key",
    "text",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever order the keys come in, and whichever the shaping adds, the known ones end in
    /// the Codex order and the others follow in the order they came; no key is lost or added
    /// but those the shaping adds.
    #[test]
    fn shaped_keys_follow_the_codex_order_whatever_order_they_came_in(
        keys in prop::sample::subsequence(
            vec!["model", "instructions", "input", "tools", "tool_choice", "reasoning", "store", "stream",
                 "include", "text", "temperature", "metadata", "x_extra"],
            0..=13,
        ).prop_shuffle(),
    ) {
        let mut body = Map::new();
        for key in &keys {
            let value = match *key {
                "input" => json!("hi"),
                "instructions" => json!("be brief"),
                "reasoning" => json!({"effort": "low"}),
                "include" => json!(["x"]),
                "store" => json!(true),
                other => json!(other),
            };
            body.insert((*key).to_owned(), value);
        }
        let shaped = shape_for_codex(body, "default");
        let order: Vec<&str> = shaped.keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = CODEX_ORDER
            .iter()
            .copied()
            .filter(|key| {
                keys.contains(key)
                    || ["instructions", "input", "store", "stream"].contains(key)
                    || (*key == "include" && keys.contains(&"reasoning"))
            })
            .collect();
        expected.extend(keys.iter().copied().filter(|key| !CODEX_ORDER.contains(key)));
        prop_assert_eq!(order, expected);
        prop_assert_eq!(&shaped["stream"], &json!(true));
        prop_assert_eq!(&shaped["store"], &json!(keys.contains(&"store")));
    }
}

proptest! {
    /// A text input is sent as the one user message an explicit one becomes, with its keys in
    /// the order the Codex CLI sends them.
    #[test]
    fn a_text_input_is_sent_as_the_user_message_it_stands_for(text in any::<String>()) {
        let from_text = shape_for_codex(body(json!({"model": "m", "input": text})), "d");
        let from_message = shape_for_codex(
            body(json!({"model": "m", "input": [{"role": "user", "content": text, "id": "msg_1"}]})),
            "d",
        );
        prop_assert_eq!(&from_text, &from_message);
        let expected = json!([{"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}]);
        prop_assert_eq!(
            serde_json::to_string(&from_text["input"]).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }
}

/// One parameter's JSON: its value, or `None` to leave it out. The first choices are those
/// [`codex_body_bytes`] writes itself; the last ones need validation's judgement.
fn choice(key: &'static str) -> BoxedStrategy<Option<Value>> {
    let item = prop::sample::select(vec![
        json!({"role": "system", "content": "Be terse."}),
        json!({"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "a"}, {"type": "input_text", "text": "b"}]}),
        json!({"type": "message", "id": "msg_1", "role": "assistant", "content": [{"type": "output_text", "text": "x", "annotations": []}], "status": "completed"}),
        json!({"role": "user", "content": "hi \"there\" ✓"}),
        json!({"role": "assistant", "content": "earlier answer"}),
        json!({"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": "{}"}),
        json!({"type": "function_call_output", "call_id": "c1", "output": "ok"}),
        json!({"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "enc"}),
        json!({"type": "web_search_call", "id": "ws_1", "status": "completed"}),
    ]);
    let values: Vec<Value> = match key {
        "model" => vec![json!("gpt-5.2-codex"), json!("  ")],
        "instructions" => vec![json!("Be brief."), json!("")],
        "tools" => vec![
            json!([{"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": true}]),
            json!([{"type": "web_search"}, {"type": "function", "name": "g"}]),
            json!([]),
        ],
        "tool_choice" => vec![json!("auto"), json!({"type": "function", "name": "f"})],
        "parallel_tool_calls" => vec![json!(true), json!(false)],
        "reasoning" => {
            vec![json!({"effort": "low"}), json!({"effort": "high", "summary": "auto"}), json!({})]
        }
        "include" => vec![
            json!([]),
            json!(["reasoning.encrypted_content"]),
            json!(["message.output_text.logprobs", "reasoning.encrypted_content"]),
            json!(["bogus"]),
        ],
        "store" => vec![json!(false), json!(true)],
        "prompt_cache_key" => vec![json!("conv \"1\"")],
        "response_format" => vec![
            json!({"type": "json_object"}),
            json!({"type": "json_schema", "name": "n", "schema": {"type": "object"}}),
        ],
        "verbosity" => vec![json!("low")],
        "temperature" => vec![json!(0.5)],
        "max_output_tokens" => vec![json!(100)],
        "previous_response_id" => vec![json!("resp_1")],
        "extra_body" => vec![json!({"x_new": 1})],
        "input" => Vec::new(),
        _ => unreachable!("{key}"),
    };
    let input = prop_oneof![
        Just(json!("Say hi.")),
        Just(json!("")),
        prop::collection::vec(item, 0..5).prop_map(Value::Array),
        // A single message.
        Just(json!({"role": "user", "content": "alone"})),
        Just(json!({"role": "developer", "content": "instructions alone"})),
    ];
    let value = match key {
        "input" => input.boxed(),
        _ => prop::sample::select(values).boxed(),
    };
    let absent_weight = if key == "model" || key == "input" { 1 } else { 3 };
    prop_oneof![absent_weight => Just(None), 2 => value.prop_map(Some)].boxed()
}

const PARAMS: &[&str] = &[
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning",
    "include",
    "store",
    "prompt_cache_key",
    "response_format",
    "verbosity",
    "temperature",
    "max_output_tokens",
    "previous_response_id",
    "extra_body",
];

fn params_json() -> impl Strategy<Value = Map<String, Value>> {
    PARAMS
        .iter()
        .map(|key| choice(key).prop_map(move |value| value.map(|value| ((*key).to_owned(), value))))
        .collect::<Vec<_>>()
        .prop_map(|entries| entries.into_iter().flatten().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// The Codex body written straight from the parameters is, byte for byte, the body
    /// validation and shaping make, with no warning, in every mode; it is written whenever
    /// only parameters that need no judgement are set.
    #[test]
    fn the_codex_body_written_from_the_parameters_is_the_shaped_one(json in params_json()) {
        let params: ResponseCreateParams = serde_json::from_value(Value::Object(json.clone())).unwrap();
        let needs_judgement = params.model.trim().is_empty()
            || params.store == Some(true)
            || params.include.iter().flatten().any(|value| value == "bogus")
            || ["temperature", "max_output_tokens", "previous_response_id", "extra_body"]
                .iter()
                .any(|key| json.contains_key(*key));
        for mode in [ValidationMode::Warn, ValidationMode::Error, ValidationMode::Ignore] {
            for instructions in ["You are a helpful assistant.", "Custom \"default\"."] {
                let policy = policy(Profile::Codex, mode).default_instructions(instructions);
                let written = codex_body_bytes(&params, &policy);
                prop_assert_eq!(written.is_some(), !needs_judgement, "{:?}", json);
                if let Some(written) = written {
                    let prepared = prepare_request(&params, &policy).unwrap();
                    prop_assert!(prepared.warnings.is_empty());
                    let expected = serde_json::to_vec(&prepared.body).unwrap();
                    prop_assert_eq!(String::from_utf8(written).unwrap(), String::from_utf8(expected).unwrap());
                }
            }
        }
        let compatible = policy(Profile::OpenAiCompatible, ValidationMode::Warn);
        prop_assert!(codex_body_bytes(&params, &compatible).is_none());
    }
}
