//! A tool loop: the model calls Rust closures until it answers in text.

use std::collections::HashMap;
use std::sync::Arc;

use codex_schema::{
    FunctionTool, Input, Item, Response, ResponseCreateParams, Tool, ToolCall, ToolCallKind, ToolResult,
};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::responses::Responses;

/// A tool's closure, from what the model sent to the result text or an error text.
type Run<T> = Arc<dyn Fn(&T) -> std::result::Result<String, String> + Send + Sync>;

/// The closure that runs one tool.
#[derive(Clone)]
enum Handler {
    /// A function tool's: the parsed JSON arguments in.
    Function(Run<Value>),
    /// A custom tool's: the free-form input in.
    Custom(Run<str>),
}

/// Tools and the closures that run them: function tools (JSON arguments) and custom tools
/// (free-form input, such as a patch).
///
/// ```
/// use oauth_codex::ToolBox;
/// use serde_json::json;
/// let tools = ToolBox::new()
///     .tool(
///         "get_weather",
///         "Current weather for a city",
///         json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
///         |args| Ok(format!("{{\"city\": {}, \"temp_c\": 21}}", args["city"])),
///     )
///     .custom_tool("shout", "Repeats its input in capitals", |input| Ok(input.to_uppercase()));
/// assert_eq!(tools.definitions().len(), 1);
/// assert_eq!(tools.tools().len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct ToolBox {
    definitions: Vec<FunctionTool>,
    custom: Vec<Tool>,
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
        self.handlers.insert(name.to_owned(), Handler::Function(Arc::new(run)));
        self
    }

    /// Adds a custom (freeform) tool: its name, description, and the closure that runs it
    /// (the model's free-form input in; the result text, or an error text the model sees,
    /// out). The model calls it with text, not JSON (see [`Tool::custom`]).
    pub fn custom_tool(
        mut self,
        name: &str,
        description: &str,
        run: impl Fn(&str) -> std::result::Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        self.custom.push(Tool::custom(name, description));
        self.handlers.insert(name.to_owned(), Handler::Custom(Arc::new(run)));
        self
    }

    /// The function tool definitions sent to the model.
    pub fn definitions(&self) -> &[FunctionTool] {
        &self.definitions
    }

    /// Every tool definition sent to the model: the function tools, then the custom ones.
    pub fn tools(&self) -> Vec<Tool> {
        self.definitions.iter().cloned().map(Tool::from).chain(self.custom.iter().cloned()).collect()
    }

    /// Runs one call; an unknown tool, a call of the wrong kind or invalid JSON arguments
    /// become an error text for the model, as it can correct itself. The result answers the
    /// call with the item type of its kind.
    pub fn run(&self, call: &ToolCall) -> ToolResult {
        let outcome = match (self.handlers.get(&call.name), call.kind) {
            (None, _) => Err(format!("there is no tool named {:?}", call.name)),
            (Some(Handler::Function(run)), ToolCallKind::Function) => match &call.parsed_arguments {
                Some(arguments) => run(arguments),
                None => Err("the arguments are not valid JSON".to_owned()),
            },
            (Some(Handler::Custom(run)), ToolCallKind::Custom) => run(&call.arguments),
            (Some(Handler::Function(_)), ToolCallKind::Custom) => {
                Err(format!("{:?} is a function tool: call it with JSON arguments", call.name))
            }
            (Some(Handler::Custom(_)), ToolCallKind::Function) => {
                Err(format!("{:?} is a custom tool: call it with free-form input", call.name))
            }
        };
        let output = outcome.unwrap_or_else(|message| format!("error: {message}"));
        ToolResult::for_call(call, output)
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
        params.tools.extend(tools.tools());
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

#[cfg(test)]
mod tests {
    use codex_schema::{Item, ToolCall, ToolCallKind};
    use serde_json::json;

    use super::ToolBox;

    fn tools() -> ToolBox {
        ToolBox::new()
            .tool("add", "Adds", json!({"type": "object"}), |args| {
                Ok((args["a"].as_i64().unwrap_or(0) + args["b"].as_i64().unwrap_or(0)).to_string())
            })
            .custom_tool("shout", "Shouts", |input| Ok(input.to_uppercase()))
    }

    #[test]
    fn each_kind_of_call_runs_its_closure_and_is_answered_in_its_kind() {
        let tools = tools();
        let sum = tools.run(&ToolCall::new(None, "c1".into(), "add".into(), r#"{"a": 2, "b": 3}"#.into()));
        assert_eq!((sum.output.as_str(), sum.kind), ("5", ToolCallKind::Function));
        let loud = tools.run(&ToolCall::custom(None, "c2".into(), "shout".into(), "hi there".into()));
        assert_eq!((loud.output.as_str(), loud.kind), ("HI THERE", ToolCallKind::Custom));
        assert_eq!(Item::from(loud).type_name(), Some("custom_tool_call_output"));
        let names: Vec<String> = tools
            .tools()
            .iter()
            .map(|tool| serde_json::to_value(tool).unwrap()["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["function", "custom"]);
    }

    #[test]
    fn a_call_of_the_wrong_kind_is_an_error_text_for_the_model() {
        let tools = tools();
        let custom_add = tools.run(&ToolCall::custom(None, "c1".into(), "add".into(), "2 + 3".into()));
        assert!(custom_add.output.starts_with("error: \"add\" is a function tool"), "{}", custom_add.output);
        assert_eq!(custom_add.kind, ToolCallKind::Custom, "answered as the call was made");
        let function_shout = tools.run(&ToolCall::new(None, "c2".into(), "shout".into(), "{}".into()));
        assert!(
            function_shout.output.starts_with("error: \"shout\" is a custom tool"),
            "{}",
            function_shout.output
        );
        let bad_json = tools.run(&ToolCall::new(None, "c3".into(), "add".into(), "{".into()));
        assert_eq!(bad_json.output, "error: the arguments are not valid JSON");
        let unknown = tools.run(&ToolCall::custom(None, "c4".into(), "nope".into(), "x".into()));
        assert!(unknown.output.contains("there is no tool named"));
    }
}
