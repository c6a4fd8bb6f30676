//! `BackendResponse::usage` is typed and as lenient as `Usage::from_backend` is about the JSON:
//! no usage value fails a response, the v1 counts are the same either way, and what the typed
//! fields cannot hold is kept, so the usage serializes back to the object it was read from.

use codex_schema::{BackendResponse, BackendUsage, Usage};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The usage of a response whose `usage` member is `text` (JSON text, keys may repeat).
fn typed(text: &str) -> Option<BackendUsage> {
    let response: BackendResponse = serde_json::from_str(&format!(r#"{{"id":"r","usage":{text}}}"#))
        .unwrap_or_else(|e| panic!("a usage never fails a response: {text}: {e}"));
    response.usage
}

/// Checks one usage text against the `Value` reading of the same text.
fn check(text: &str) {
    let value: Value = serde_json::from_str(text).unwrap();
    let usage = typed(text);
    assert_eq!(usage.as_ref().map(Usage::from), Usage::from_backend(&value), "{text}");
    match (&usage, &value) {
        (Some(usage), Value::Object(_)) => {
            assert_eq!(serde_json::to_value(usage).unwrap(), value, "{text}: nothing lost");
            let again: BackendUsage = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(&again, usage, "{text}: read from a Value the same");
        }
        (None, Value::Object(_)) => panic!("{text}: an object is a usage"),
        (Some(_), _) => panic!("{text}: only an object is a usage"),
        (None, _) => {}
    }
}

#[test]
fn usual_and_odd_usages_read_as_the_json_does() {
    for text in [
        r#"{"input_tokens":25,"input_tokens_details":{"cached_tokens":3},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":32}"#,
        r#"{"input_tokens":1,"output_tokens":2}"#,
        r#"{}"#,
        r#"{"input_tokens":"25","output_tokens":-1,"total_tokens":1.5}"#,
        r#"{"input_tokens":null,"output_tokens":[1],"total_tokens":{"n":1}}"#,
        r#"{"input_tokens_details":null,"output_tokens_details":7}"#,
        r#"{"input_tokens_details":{"cached_tokens":"3","other":1},"output_tokens_details":{"reasoning_tokens":-2}}"#,
        r#"{"cached_input_tokens":4,"reasoning_tokens":5,"input_tokens_details":{"cached_tokens":1}}"#,
        r#"{"input_tokens":18446744073709551615,"output_tokens":18446744073709551616}"#,
        r#"{"input_tokens":18446744073709551615,"output_tokens":1}"#,
        r#"{"input_tokens":1,"input_tokens":"x"}"#,
        r#"{"input_tokens":"x","input_tokens":2}"#,
        r#"{"input_tokens_details":{"cached_tokens":1},"input_tokens_details":true}"#,
        r#"{"extra":{"nested":[1,2]},"input_tokens":3}"#,
        r#"{"input\u005ftokens":9}"#,
        "null",
        "5",
        r#""usage""#,
        "[1,2]",
        "true",
    ] {
        check(text);
    }
    assert!(serde_json::from_value::<BackendUsage>(json!([1])).is_err(), "standalone, a usage is an object");
}

fn count() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..100).prop_map(|n| n.to_string()),
        Just("-3".to_owned()),
        Just("1.5".to_owned()),
        Just("\"7\"".to_owned()),
        Just("null".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
    ]
}

fn object(keys: &'static [&'static str], value: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(keys), value), 0..6).prop_map(|entries| {
        let parts: Vec<String> = entries.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", parts.join(","))
    })
}

fn usage_text() -> impl Strategy<Value = String> {
    let details = object(&["cached_tokens", "reasoning_tokens", "other"], count().boxed()).boxed();
    let value = prop_oneof![3 => count(), 1 => details].boxed();
    object(
        &[
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "input_tokens_details",
            "output_tokens_details",
            "cached_input_tokens",
            "reasoning_tokens",
            "other",
        ],
        value,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn generated_usages_read_as_the_json_does(text in usage_text()) {
        check(&text);
    }
}
