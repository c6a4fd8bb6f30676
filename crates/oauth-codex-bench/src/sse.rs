//! Workload `sse`: decode a recorded-shape SSE stream (text and tool-argument deltas) fed in
//! fixed-size chunks, in process.
//!
//! * `ours`: the facade's path: `SseDecoder` → `EventMapper::map_sse`
//!   (stream events v1, each keeping its backend event in `raw`).
//! * `eventsource`: `eventsource-stream` + `serde_json` to `Value`, what async-openai does.
//! * `limit`: a minimal `memchr` line splitter and a typed, borrowing serde parse: the
//!   practical floor for reading these bytes.

use std::borrow::Cow;
use std::convert::Infallible;
use std::path::Path;

use bytes::Bytes;
use codex_schema::{EventMapper, StreamEvent};
use codex_transport::{SseDecoder, SseFrame};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::measure::{Report, Section};

/// Deterministic words for the generated deltas (ASCII, some needing JSON escapes).
const WORDS: &[&str] = &[
    "the",
    "stream",
    "decoder",
    "reads",
    "bytes",
    "and",
    "maps",
    "events",
    "to",
    "\"typed\"",
    "values;",
    "tokens",
    "arrive",
    "in",
    "small",
    "pieces,",
    "each",
    "a",
    "delta\n",
    "of",
    "text",
    "or",
    "JSON",
    "arguments",
    "for",
    "a",
    "tool",
    "call",
    "—",
    "émoji",
    "🙂",
    "fine.",
];

/// Builds about `target_bytes` of SSE: whole responses, one after another, each with a text
/// message of word-sized deltas and a function call whose arguments stream in 8-byte pieces,
/// then the `.done` events and `response.completed` repeating the items (as the backend does).
pub(crate) fn corpus(target_bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target_bytes + 64 * 1024);
    let mut response = 0usize;
    let mut word = 0usize;
    while out.len() < target_bytes {
        let id = format!("resp_{response:06}");
        let msg = format!("msg_{response:06}");
        let fc = format!("fc_{response:06}");
        let call = format!("call_{response:06}");
        let base = json!({"id": id, "object": "response", "created_at": 1_700_000_000u64,
            "status": "in_progress", "model": "gpt-5.2-codex", "output": [], "usage": null, "error": null});
        let mut events = vec![
            json!({"type": "response.created", "response": base}),
            json!({"type": "response.in_progress", "response": base}),
            json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "message",
                "id": msg, "status": "in_progress", "role": "assistant", "content": []}}),
            json!({"type": "response.content_part.added", "item_id": msg, "output_index": 0,
                "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
        ];
        let mut text = String::new();
        for _ in 0..120 {
            let piece = format!(" {}", WORDS[word % WORDS.len()]);
            word += 1;
            text.push_str(&piece);
            events.push(json!({"type": "response.output_text.delta", "item_id": msg, "output_index": 0,
                "content_index": 0, "delta": piece}));
        }
        let message = json!({"type": "message", "id": msg, "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]});
        events.push(json!({"type": "response.output_text.done", "item_id": msg, "output_index": 0,
            "content_index": 0, "text": text}));
        events.push(json!({"type": "response.content_part.done", "item_id": msg, "output_index": 0,
            "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": []}}));
        events.push(json!({"type": "response.output_item.done", "output_index": 0, "item": message}));
        events.push(json!({"type": "response.output_item.added", "output_index": 1, "item": {
            "type": "function_call", "id": fc, "call_id": call, "name": "write_file", "arguments": "",
            "status": "in_progress"}}));
        let arguments = json!({"path": format!("src/module_{response}.rs"), "contents": text}).to_string();
        let chars: Vec<char> = arguments.chars().collect();
        for piece in chars.chunks(8) {
            events.push(json!({"type": "response.function_call_arguments.delta", "item_id": fc,
                "output_index": 1, "delta": piece.iter().collect::<String>()}));
        }
        let function_call = json!({"type": "function_call", "id": fc, "call_id": call,
            "name": "write_file", "arguments": arguments, "status": "completed"});
        events.push(json!({"type": "response.function_call_arguments.done", "item_id": fc,
            "output_index": 1, "arguments": arguments}));
        events.push(json!({"type": "response.output_item.done", "output_index": 1, "item": function_call}));
        let mut done = base.clone();
        done["status"] = json!("completed");
        done["output"] = json!([message, function_call]);
        done["usage"] = json!({"input_tokens": 900, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 400, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 1300});
        events.push(json!({"type": "response.completed", "response": done}));
        for event in events {
            out.extend_from_slice(b"event: ");
            out.extend_from_slice(event["type"].as_str().unwrap_or("message").as_bytes());
            out.extend_from_slice(b"\ndata: ");
            out.extend_from_slice(event.to_string().as_bytes());
            out.extend_from_slice(b"\n\n");
        }
        response += 1;
    }
    out
}

/// Ours: decoder, typed backend events, mapper to stream events v1. Returns SSE events read.
///
/// The chunks are `Bytes`, as hyper hands them to the transport (and as `eventsource` gets
/// them below), fed with `feed_bytes` as the transport does.
#[inline(never)]
pub(crate) fn run_ours(bytes: &Bytes, chunk: usize) -> Result<u64, String> {
    let mut decoder = SseDecoder::new();
    let mut frames: Vec<SseFrame> = Vec::new();
    let mut mapped: Vec<StreamEvent> = Vec::new();
    let mut mapper = EventMapper::new();
    let mut count = 0u64;
    let mut v1 = 0u64;
    for start in (0..bytes.len()).step_by(chunk) {
        let piece = bytes.slice(start..(start + chunk).min(bytes.len()));
        decoder.feed_bytes(&piece, &mut frames).map_err(|e| e.to_string())?;
        for frame in frames.drain(..) {
            count += 1;
            mapper.map_sse(frame.event.as_deref(), frame.data, &mut mapped).map_err(|e| e.to_string())?;
            v1 += mapped.len() as u64;
            mapped.clear();
            if mapper.is_terminated() {
                mapper = EventMapper::new();
            }
        }
    }
    std::hint::black_box(v1);
    Ok(count)
}

/// `eventsource-stream` + `serde_json::Value`. Returns SSE events read.
#[inline(never)]
pub(crate) fn run_eventsource(bytes: &Bytes, chunk: usize) -> Result<u64, String> {
    use eventsource_stream::Eventsource;
    let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let chunks = (0..bytes.len())
            .step_by(chunk)
            .map(|start| Ok::<Bytes, Infallible>(bytes.slice(start..(start + chunk).min(bytes.len()))));
        let mut events = futures_util::stream::iter(chunks).eventsource();
        let mut count = 0u64;
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| e.to_string())?;
            let value: Value = serde_json::from_str(&event.data).map_err(|e| e.to_string())?;
            std::hint::black_box(&value);
            count += 1;
        }
        Ok(count)
    })
}

/// The fields a consumer of these events reads, borrowed from the input where possible.
///
/// The strings are bare `Cow`s, not `Option<Cow>`: serde borrows a `Cow<str>` only when it is
/// the field's whole type, and an `Option<Cow<str>>` would allocate every time.
#[derive(Deserialize)]
struct LimitEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    delta: Cow<'a, str>,
    #[serde(borrow, default)]
    item_id: Cow<'a, str>,
    #[serde(default)]
    output_index: Option<u64>,
}

/// The practical limit: split lines with `memchr`, parse each `data:` payload into a borrowing
/// typed struct. Returns SSE events read.
#[inline(never)]
pub(crate) fn run_limit(bytes: &[u8], chunk: usize) -> Result<u64, String> {
    let mut carry: Vec<u8> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let mut count = 0u64;
    let mut sink = 0usize;
    let mut line = |line: &[u8], data: &mut Vec<u8>, count: &mut u64| -> Result<(), String> {
        if line.is_empty() {
            if !data.is_empty() {
                let event: LimitEvent<'_> = serde_json::from_slice(data).map_err(|e| e.to_string())?;
                sink += event.kind.len()
                    + event.delta.len()
                    + event.item_id.len()
                    + event.output_index.unwrap_or(0) as usize;
                *count += 1;
                data.clear();
            }
        } else if let Some(payload) = line.strip_prefix(b"data: ") {
            data.extend_from_slice(payload);
        }
        Ok(())
    };
    for piece in bytes.chunks(chunk) {
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', piece) {
            if carry.is_empty() {
                line(&piece[start..end], &mut data, &mut count)?;
            } else {
                carry.extend_from_slice(&piece[start..end]);
                line(&carry, &mut data, &mut count)?;
                carry.clear();
            }
            start = end + 1;
        }
        carry.extend_from_slice(&piece[start..]);
    }
    std::hint::black_box(sink);
    Ok(count)
}

/// `input`, a recorded event stream of whole responses, repeated to about `target_bytes`
/// (at least once).
fn repeated(input: &Path, target_bytes: usize) -> Result<Vec<u8>, String> {
    let recorded = std::fs::read(input).map_err(|e| format!("--input {}: {e}", input.display()))?;
    if !recorded.ends_with(b"\n\n") {
        return Err(format!(
            "--input {}: not a whole event stream (it must end with a blank line)",
            input.display()
        ));
    }
    let times = target_bytes.div_ceil(recorded.len()).max(1);
    Ok(recorded.repeat(times))
}

/// Runs the workload: `--impl ours|eventsource|limit --mb M --chunk BYTES`, on the generated
/// corpus, or with `input` on that recorded stream repeated to about M MiB.
pub(crate) fn run(
    implementation: &str,
    megabytes: usize,
    chunk: usize,
    input: Option<&Path>,
) -> Result<Report, String> {
    let target = megabytes * 1024 * 1024;
    let bytes = Bytes::from(match input {
        Some(input) => repeated(input, target)?,
        None => corpus(target),
    });
    let once = |bytes: &Bytes| match implementation {
        "ours" => run_ours(bytes, chunk),
        "eventsource" => run_eventsource(bytes, chunk),
        "limit" => run_limit(bytes, chunk),
        other => Err(format!("unknown implementation {other:?} (ours, eventsource, limit)")),
    };
    // Warm-up: the first tenth of the stream (caches, allocator, code paths).
    let warm = bytes.slice(..bytes.len() / 10);
    once(&warm)?;
    let section = Section::start();
    let events = once(&bytes)?;
    let report = section.finish("sse", implementation, events);
    let rate = events as f64 / report.wall_s();
    Ok(report.with("events_per_s", rate).with("bytes", bytes.len() as u64).with("chunk_bytes", chunk as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_schema::BackendEvent;

    #[test]
    fn the_three_readers_count_the_same_events() {
        let bytes = Bytes::from(corpus(300 * 1024));
        let ours = run_ours(&bytes, 16 * 1024).unwrap();
        assert!(ours > 1000, "{ours}");
        assert_eq!(run_eventsource(&bytes, 16 * 1024).unwrap(), ours);
        assert_eq!(run_limit(&bytes, 16 * 1024).unwrap(), ours);
        // Chunking does not change the count.
        assert_eq!(run_limit(&bytes, 7).unwrap(), ours);
        assert_eq!(run_ours(&bytes, 7).unwrap(), ours);
    }

    #[test]
    fn the_corpus_maps_to_text_and_tool_call_events() {
        let bytes = corpus(64 * 1024);
        let mut decoder = SseDecoder::new();
        let mut frames = Vec::new();
        decoder.feed(&bytes, &mut frames).unwrap();
        let mut mapper = EventMapper::new();
        let mut kinds = std::collections::BTreeSet::new();
        for frame in &frames {
            let event = BackendEvent::parse(frame.event.as_deref(), &frame.data).unwrap();
            for mapped in mapper.map(&event) {
                kinds.insert(format!("{:?}", mapped.kind));
            }
            if mapper.is_terminated() {
                mapper = EventMapper::new();
            }
        }
        for kind in ["TextDelta", "ToolCallArgumentsDelta", "ToolCallDone", "ResponseCompleted"] {
            assert!(kinds.contains(kind), "{kind} missing from {kinds:?}");
        }
    }

    #[test]
    fn a_recorded_stream_is_read_whole_and_repeated() {
        let dir = tempfile::tempdir().unwrap();
        // One response of the corpus, cut at its last event's blank line.
        let one = corpus(1);
        let path = dir.path().join("reply.sse");
        std::fs::write(&path, &one).unwrap();
        let bytes = Bytes::from(repeated(&path, 3 * one.len()).unwrap());
        assert_eq!(bytes.len(), 3 * one.len());
        let events = run_limit(&one, 16 * 1024).unwrap();
        assert_eq!(run_ours(&bytes, 16 * 1024).unwrap(), 3 * events);
        assert_eq!(run_limit(&bytes, 16 * 1024).unwrap(), 3 * events);
        // Asked for less than the recording, it is read once.
        assert_eq!(repeated(&path, 1).unwrap().len(), one.len());

        let cut = dir.path().join("cut.sse");
        std::fs::write(&cut, &one[..one.len() - 1]).unwrap();
        let error = repeated(&cut, 1).unwrap_err();
        assert!(error.contains("must end with a blank line"), "{error}");
        let error = repeated(&dir.path().join("absent.sse"), 1).unwrap_err();
        assert!(error.contains("absent.sse"), "{error}");
    }
}
