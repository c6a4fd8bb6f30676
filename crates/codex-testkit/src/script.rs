//! Scripted backend replies: event sequences shaped like the Codex backend's, HTTP-level
//! replies, and faults.

use std::time::Duration;

use serde_json::{Value, json};

/// Line endings of the SSE body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// `\n`.
    #[default]
    Lf,
    /// `\r\n`.
    CrLf,
    /// `\r`.
    Cr,
}

/// How the body is cut into chunks on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Chunking {
    /// One chunk per event.
    #[default]
    PerEvent,
    /// One byte per chunk.
    ByteByByte,
    /// Chunks of 1..=`max` bytes, cut at pseudo-random places (also inside UTF-8 sequences),
    /// reproducible from `seed`.
    Random {
        /// The seed.
        seed: u64,
        /// The largest chunk.
        max: usize,
    },
}

/// Faults a stream reply can carry.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Abort the connection (no clean end) after this many events.
    pub drop_after: Option<usize>,
    /// End the body cleanly, but without the terminal `response.*` event.
    pub close_before_completed: bool,
    /// Wait this long before sending the response head (a backend slow to start answering).
    pub head_delay: Option<Duration>,
    /// After this many events, send nothing for this long.
    pub stall: Option<(usize, Duration)>,
    /// Wait this long before every event (a slow but steady stream).
    pub pace: Option<Duration>,
    /// Chunking of the body.
    pub chunking: Chunking,
    /// Line endings.
    pub line_ending: LineEnding,
    /// Send a `: keepalive` comment before every event.
    pub keepalive_comments: bool,
    /// Send each event's JSON pretty-printed across several `data:` lines.
    pub multiline_data: bool,
    /// Leave out the `Content-Type` header (the real backend sometimes does).
    pub omit_content_type: bool,
    /// After the last event, send `data: [DONE]`, as OpenAI-compatible servers end a stream.
    pub done_marker: bool,
    /// After the last event, wait this long before ending the body: the end of the chunked
    /// encoding comes late, as it can over a real network.
    pub end_delay: Option<Duration>,
}

/// One scripted reply of `POST /responses`.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An SSE stream of backend events (the JSON `data` payloads, in order).
    Stream {
        /// The events.
        events: Vec<Value>,
        /// Faults to inject (boxed: they are rare, and a reply is passed around by value).
        faults: Box<Faults>,
    },
    /// A plain HTTP reply.
    Http {
        /// The status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body.
        body: String,
    },
}

impl Reply {
    /// A stream of these events, without faults.
    pub fn stream(events: Vec<Value>) -> Reply {
        Reply::Stream { events, faults: Box::default() }
    }

    /// A stream of these events with faults.
    pub fn stream_with(events: Vec<Value>, faults: Faults) -> Reply {
        Reply::Stream { events, faults: Box::new(faults) }
    }

    /// A JSON reply with a status.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::Http {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.to_string(),
        }
    }

    /// 429 `usage_limit_reached`, as observed: `plan_type`, `resets_at`, `resets_in_seconds`.
    pub fn usage_limit_reached(plan_type: &str, resets_in_seconds: u64) -> Reply {
        let resets_at = crate::registry::now() + resets_in_seconds;
        Reply::json(
            429,
            json!({"error": {
                "type": "usage_limit_reached",
                "message": "The usage limit has been reached",
                "plan_type": plan_type,
                "resets_at": resets_at,
                "eligible_promo": null,
                "resets_in_seconds": resets_in_seconds,
            }}),
        )
    }

    /// 429 `usage_not_included`.
    pub fn usage_not_included() -> Reply {
        Reply::json(
            429,
            json!({"error": {"type": "usage_not_included", "message": "Codex is not included in your plan."}}),
        )
    }

    /// 429 rate limit with `Retry-After: seconds`.
    pub fn rate_limited(retry_after_seconds: u64) -> Reply {
        Reply::Http {
            status: 429,
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("retry-after".to_owned(), retry_after_seconds.to_string()),
            ],
            body: json!({"error": {"type": "rate_limit_exceeded", "code": "rate_limit_exceeded",
                "message": format!("Rate limit reached. Please try again in {retry_after_seconds}s.")}})
            .to_string(),
        }
    }

    /// 500 with an OpenAI-style error body.
    pub fn server_error() -> Reply {
        Reply::json(
            500,
            json!({"error": {"type": "server_error", "code": null,
            "message": "The server had an error while processing your request."}}),
        )
    }

    /// 503 `server_is_overloaded`.
    pub fn overloaded() -> Reply {
        Reply::json(
            503,
            json!({"error": {"type": "service_unavailable", "code": "server_is_overloaded",
            "message": "The server is overloaded. Please try again later."}}),
        )
    }
}

/// Builds realistic backend event sequences.
///
/// ```
/// use codex_testkit::Script;
/// let events = Script::new("resp_1").reasoning("Thinking.").text("Hello").completed();
/// assert_eq!(events.last().unwrap()["type"], "response.completed");
/// ```
#[derive(Debug, Clone)]
pub struct Script {
    id: String,
    model: String,
    events: Vec<Value>,
    output_index: u64,
    usage: Value,
}

impl Script {
    /// A response with this id; starts with `response.created` and `response.in_progress`.
    pub fn new(id: &str) -> Script {
        let model = "gpt-5.2-codex".to_owned();
        let created = json!({"id": id, "object": "response", "created_at": crate::registry::now(),
            "status": "in_progress", "model": model, "output": [], "usage": null, "error": null});
        Script {
            id: id.to_owned(),
            model,
            events: vec![
                json!({"type": "response.created", "response": created}),
                json!({"type": "response.in_progress", "response": created}),
            ],
            output_index: 0,
            usage: json!({"input_tokens": 25, "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 12, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 37}),
        }
    }

    /// Sets the usage reported at the end.
    pub fn usage(mut self, input: u64, cached: u64, output: u64, reasoning: u64) -> Script {
        self.usage = json!({"input_tokens": input, "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": output, "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": input + output});
        self
    }

    /// Any event, as given.
    pub fn event(mut self, event: Value) -> Script {
        self.events.push(event);
        self
    }

    /// A `codex.rate_limits` event.
    pub fn rate_limits(self, primary_used_percent: f64, secondary_used_percent: f64) -> Script {
        let now = crate::registry::now();
        self.event(json!({"type": "codex.rate_limits", "plan_type": "plus", "rate_limits": {
            "primary": {"used_percent": primary_used_percent, "window_minutes": 300, "reset_at": now + 3600},
            "secondary": {"used_percent": secondary_used_percent, "window_minutes": 10080, "reset_at": now + 86400}
        }, "credits": {"has_credits": false, "unlimited": false, "balance": null}}))
    }

    /// A reasoning item whose summary streams as deltas, with encrypted content.
    pub fn reasoning(mut self, summary: &str) -> Script {
        let index = self.next_index();
        let item_id = format!("rs_{}_{index}", self.id);
        self.events.push(json!({"type": "response.output_item.added", "output_index": index,
            "item": {"type": "reasoning", "id": item_id, "summary": []}}));
        self.events.push(json!({"type": "response.reasoning_summary_part.added", "item_id": item_id,
            "output_index": index, "summary_index": 0, "part": {"type": "summary_text", "text": ""}}));
        for piece in pieces(summary) {
            self.events.push(json!({"type": "response.reasoning_summary_text.delta", "item_id": item_id,
                "output_index": index, "summary_index": 0, "delta": piece}));
        }
        self.events.push(json!({"type": "response.reasoning_summary_text.done", "item_id": item_id,
            "output_index": index, "summary_index": 0, "text": summary}));
        self.events.push(json!({"type": "response.reasoning_summary_part.done", "item_id": item_id,
            "output_index": index, "summary_index": 0, "part": {"type": "summary_text", "text": summary}}));
        self.events.push(json!({"type": "response.output_item.done", "output_index": index, "item": {
            "type": "reasoning", "id": item_id,
            "summary": [{"type": "summary_text", "text": summary}],
            "encrypted_content": format!("gAAAAA-testkit-encrypted-{item_id}")}}));
        self
    }

    /// An assistant message whose text streams as word-sized deltas.
    pub fn text(mut self, text: &str) -> Script {
        let index = self.next_index();
        let item_id = format!("msg_{}_{index}", self.id);
        self.events.push(json!({"type": "response.output_item.added", "output_index": index,
            "item": {"type": "message", "id": item_id, "status": "in_progress", "role": "assistant", "content": []}}));
        self.events
            .push(json!({"type": "response.content_part.added", "item_id": item_id, "output_index": index,
            "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}));
        for piece in pieces(text) {
            self.events.push(json!({"type": "response.output_text.delta", "item_id": item_id,
                "output_index": index, "content_index": 0, "delta": piece}));
        }
        self.events
            .push(json!({"type": "response.output_text.done", "item_id": item_id, "output_index": index,
            "content_index": 0, "text": text}));
        self.events
            .push(json!({"type": "response.content_part.done", "item_id": item_id, "output_index": index,
            "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": []}}));
        self.events.push(json!({"type": "response.output_item.done", "output_index": index, "item": {
            "type": "message", "id": item_id, "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}}));
        self
    }

    /// A function call whose arguments stream in pieces, then `output_item.done`.
    pub fn function_call(self, call_id: &str, name: &str, arguments: &str) -> Script {
        self.tool_call(Call::Function, call_id, name, arguments)
    }

    /// A custom (freeform) tool's call, such as `apply_patch`: its input streams in pieces
    /// (`response.custom_tool_call_input.delta`, then `.done`), then `output_item.done`.
    pub fn custom_tool_call(self, call_id: &str, name: &str, input: &str) -> Script {
        self.tool_call(Call::Custom, call_id, name, input)
    }

    /// A tool call of either kind: added, its text in 8-character pieces, its text whole, done.
    fn tool_call(mut self, call: Call, call_id: &str, name: &str, text: &str) -> Script {
        let (item_type, prefix, field, events) = match call {
            Call::Function => ("function_call", "fc", "arguments", "response.function_call_arguments"),
            Call::Custom => ("custom_tool_call", "ctc", "input", "response.custom_tool_call_input"),
        };
        let index = self.next_index();
        let item_id = format!("{prefix}_{}_{index}", self.id);
        let item = |text: &str, status: &str| {
            let mut item = json!({"type": item_type, "id": item_id, "call_id": call_id, "name": name});
            item[field] = json!(text);
            item["status"] = json!(status);
            item
        };
        self.events.push(json!({"type": "response.output_item.added", "output_index": index, "item": item("", "in_progress")}));
        let chars: Vec<char> = text.chars().collect();
        for piece in chars.chunks(8) {
            self.events.push(json!({"type": format!("{events}.delta"), "item_id": item_id,
                "output_index": index, "delta": piece.iter().collect::<String>()}));
        }
        let mut done = json!({"type": format!("{events}.done"), "item_id": item_id, "output_index": index});
        done[field] = json!(text);
        self.events.push(done);
        self.events.push(json!({"type": "response.output_item.done", "output_index": index, "item": item(text, "completed")}));
        self
    }

    /// Ends with `response.completed` (with usage) and returns the events.
    pub fn completed(mut self) -> Vec<Value> {
        let response = self.final_response("completed");
        self.events.push(json!({"type": "response.completed", "response": response}));
        self.events
    }

    /// Ends with `response.failed` and returns the events.
    pub fn failed(mut self, code: &str, message: &str) -> Vec<Value> {
        let mut response = self.final_response("failed");
        response["error"] = json!({"code": code, "message": message});
        response["usage"] = Value::Null;
        self.events.push(json!({"type": "response.failed", "response": response}));
        self.events
    }

    /// Ends with `response.failed` for `context_length_exceeded`.
    pub fn failed_context_length(self) -> Vec<Value> {
        self.failed(
            "context_length_exceeded",
            "Your input exceeds the context window of this model. Please adjust your input and try again.",
        )
    }

    /// Ends with `response.failed` for `rate_limit_exceeded`, "try again in 2s".
    pub fn failed_rate_limit(self) -> Vec<Value> {
        self.failed(
            "rate_limit_exceeded",
            "Rate limit reached for gpt-5.2-codex on tokens per min (TPM). Please try again in 2s.",
        )
    }

    /// Ends with `response.incomplete` for this reason (e.g. `max_output_tokens`).
    pub fn incomplete(mut self, reason: &str) -> Vec<Value> {
        let mut response = self.final_response("incomplete");
        response["incomplete_details"] = json!({"reason": reason});
        self.events.push(json!({"type": "response.incomplete", "response": response}));
        self.events
    }

    fn next_index(&mut self) -> u64 {
        let index = self.output_index;
        self.output_index += 1;
        index
    }

    fn final_response(&self, status: &str) -> Value {
        // The Codex backend repeats the output items in the final response; clients must not
        // double them (codex-protocol.md §8), so the fake repeats them too.
        let output: Vec<Value> = self
            .events
            .iter()
            .filter(|e| e["type"] == "response.output_item.done")
            .map(|e| e["item"].clone())
            .collect();
        json!({"id": self.id, "object": "response", "created_at": crate::registry::now(), "status": status,
            "model": self.model, "output": output, "usage": self.usage, "error": null})
    }
}

/// The kinds of tool call a script makes.
#[derive(Clone, Copy)]
enum Call {
    /// `function_call`, with JSON `arguments`.
    Function,
    /// `custom_tool_call`, with a free-form `input`.
    Custom,
}

/// Splits text into word-sized pieces that keep every character.
fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        current.push(ch);
        if ch == ' ' {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

/// A text delta event of about `bytes` bytes (for oversized-event tests).
pub fn huge_text_delta(item_id: &str, bytes: usize) -> Value {
    json!({"type": "response.output_text.delta", "item_id": item_id, "output_index": 0,
        "content_index": 0, "delta": "x".repeat(bytes)})
}
