//! Recorded backend streams (`tests/fixtures/*.sse`) for the tests that replay them.

/// Every recorded stream, by file name without `.sse`.
pub(crate) const FIXTURES: [&str; 7] = [
    "plain_text",
    "reasoning_then_text",
    "function_call",
    "parallel_function_calls",
    "failed_context_length",
    "incomplete_max_output_tokens",
    "unknown_event",
];

/// Splits a recorded SSE text into (event name, data) frames. Test-only: the real decoder,
/// with every WHATWG rule, lives in codex-transport.
pub(crate) fn frames(text: &str) -> Vec<(Option<String>, String)> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut name = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event: ") {
                    name = Some(value.to_owned());
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data.push(value);
                }
            }
            (name, data.join("\n"))
        })
        .collect()
}

/// The text of one recorded stream.
pub(crate) fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.sse", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}
