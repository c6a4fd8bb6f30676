//! A tool loop: the model calls Rust closures until it answers in text.

use std::collections::HashMap;
use std::sync::Arc;

use codex_schema::{FunctionTool, Input, Item, Response, ResponseCreateParams, ToolCall, ToolResult};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::responses::Responses;

type Handler = Arc<dyn Fn(&Value) -> std::result::Result<String, String> + Send + Sync>;

/// Function tools and the closures that run them.
///
/// ```
/// use oauth_codex::ToolBox;
/// use serde_json::json;
/// let tools = ToolBox::new().tool(
///     "get_weather",
///     "Current weather for a city",
///     json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
///     |args| Ok(format!("{{\"city\": {}, \"temp_c\": 21}}", args["city"])),
/// );
/// assert_eq!(tools.definitions().len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct ToolBox {
    definitions: Vec<FunctionTool>,
    handlers: HashMap<String, Handler>,
}

impl std::fmt::Debug for ToolBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolBox").field("tools", &self.handlers.keys().collect::<Vec<_>>()).finish()
    }
}

impl ToolBox {
    /// No tools.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a function tool: its name, description, JSON Schema of its arguments, and the
    /// closure that runs it (parsed arguments in; the result text, or an error text the model
    /// sees, out).
    pub fn tool(
        mut self,
        name: &str,
        description: &str,
        parameters: Value,
        run: impl Fn(&Value) -> std::result::Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        self.definitions.push(FunctionTool::new(name, description, parameters));
        self.handlers.insert(name.to_owned(), Arc::new(run));
        self
    }

    /// The tool definitions sent to the model.
    pub fn definitions(&self) -> &[FunctionTool] {
        &self.definitions
    }

    /// Runs one call; an unknown tool or invalid JSON arguments become an error text for the
    /// model, as it can correct itself.
    pub fn run(&self, call: &ToolCall) -> ToolResult {
        let output = match (self.handlers.get(&call.name), &call.parsed_arguments) {
            (None, _) => format!("error: there is no tool named {:?}", call.name),
            (Some(_), None) => "error: the arguments are not valid JSON".to_owned(),
            (Some(handler), Some(arguments)) => match handler(arguments) {
                Ok(output) => output,
                Err(message) => format!("error: {message}"),
            },
        };
        ToolResult::new(call.call_id.clone(), output)
    }
}

impl Responses<'_> {
    /// Sends the request with the toolbox's tools; while the model asks for tool calls, runs
    /// them and sends the results back, at most `max_rounds` times. Returns the final answer,
    /// or `ToolCallRequired` when the model still wants tools after the last round.
    pub async fn run_tools(
        &self,
        mut params: ResponseCreateParams,
        tools: &ToolBox,
        max_rounds: usize,
    ) -> Result<Response> {
        params.tools.extend(tools.definitions().iter().cloned().map(Into::into));
        let mut history = std::mem::take(&mut params.input).into_items();
        let mut rounds = 0;
        loop {
            let mut turn = params.clone();
            turn.input = Input::Items(history.clone());
            let response = self.create(turn).await?;
            if response.tool_calls.is_empty() {
                return Ok(response);
            }
            if rounds == max_rounds {
                return Err(Error::ToolCallRequired { tool_calls: response.tool_calls });
            }
            rounds += 1;
            history.extend(response.output.iter().cloned());
            history.extend(response.tool_calls.iter().map(|call| Item::from(tools.run(call))));
        }
    }
}
