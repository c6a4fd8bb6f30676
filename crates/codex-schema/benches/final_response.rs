//! Reading a final response as the backend sends it: `response.completed` echoes the request's
//! whole configuration (instructions, tools, sampling settings) beside the output, and the
//! SDK keeps what it does not model among the response's unmodelled fields.
//!
//! Run with `cargo bench -p codex-schema --bench final_response`; docs/performance.md records
//! the figures (and their instruction counts under callgrind, which do not move with the
//! machine's noise).

use std::hint::black_box;

use codex_schema::{BackendResponse, EventMapper};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

/// A completed response of about 13 KB: 6 KB of instructions, twenty function tools, one
/// short answer.
fn final_response() -> Value {
    let tools: Vec<Value> = (0..20)
        .map(|i| {
            json!({
                "type": "function",
                "name": format!("tool_{i}"),
                "description": "Does a thing with a path and contents. ".repeat(4),
                "parameters": {
                    "type": "object",
                    "properties": {"path": {"type": "string"}, "contents": {"type": "string"}},
                    "required": ["path"]
                },
                "strict": false
            })
        })
        .collect();
    json!({
        "id": "resp_1", "object": "response", "created_at": 1_700_000_000u64, "status": "completed",
        "model": "gpt-5.2-codex", "instructions": "You are Codex, a coding agent. ".repeat(200),
        "tools": tools, "tool_choice": "auto", "parallel_tool_calls": false,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "temperature": 1.0, "top_p": 1.0, "truncation": "disabled", "metadata": {},
        "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi.", "annotations": []}]}],
        "usage": {"input_tokens": 900, "output_tokens": 3, "total_tokens": 903},
        "error": null
    })
}

fn bench(c: &mut Criterion) {
    let response = final_response();
    let text = response.to_string();
    let event = json!({"type": "response.completed", "response": response}).to_string();

    let mut group = c.benchmark_group("final_response");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("backend_response", |b| {
        b.iter(|| serde_json::from_str::<BackendResponse>(black_box(&text)).expect("a response"))
    });
    group.throughput(Throughput::Bytes(event.len() as u64));
    group.bench_function("map_completed_event", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            EventMapper::new()
                .map_sse(Some("response.completed"), black_box(event.as_str()), &mut out)
                .expect("JSON");
            out
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
