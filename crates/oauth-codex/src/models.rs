//! `models()`: the catalogue (the backend's, cached with its ETag; a built-in table as
//! fallback) and capabilities.

use std::sync::Mutex;

use codex_schema::{ModelCapabilities, Profile, ReasoningEffort};
use codex_transport::{HttpRequest, Method};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::AsyncOAuthCodexClient;
use crate::error::{Error, Result};

/// The Codex CLI version the catalogue is asked for (`client_version`); the backend may hide
/// models newer clients need.
pub const DEFAULT_CLIENT_VERSION: &str = "0.98.0";

/// A model of the catalogue (the backend's `ModelInfo`; unknown fields kept in `extra`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelInfo {
    /// The slug to send as `model`.
    pub slug: String,
    /// A display name.
    pub display_name: Option<String>,
    /// A description.
    pub description: Option<String>,
    /// The default reasoning effort.
    pub default_reasoning_level: Option<ReasoningEffort>,
    /// Accepted reasoning efforts.
    pub supported_reasoning_levels: Vec<ReasoningLevel>,
    /// `list` or `hide`.
    pub visibility: Option<String>,
    /// Sort order (lower first).
    pub priority: Option<i64>,
    /// Whether it gives reasoning summaries.
    pub supports_reasoning_summaries: Option<bool>,
    /// Whether it accepts `text.verbosity`.
    pub support_verbosity: Option<bool>,
    /// Whether it may call tools in parallel.
    pub supports_parallel_tool_calls: Option<bool>,
    /// Its context window in tokens.
    pub context_window: Option<u64>,
    /// `text`, `image`, …
    pub input_modalities: Vec<String>,
    /// The official instructions to send with it.
    pub base_instructions: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One accepted reasoning effort.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReasoningLevel {
    /// The effort.
    pub effort: Option<ReasoningEffort>,
    /// What it means.
    pub description: Option<String>,
}

/// Where a catalogue came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogueSource {
    /// The server, just now or revalidated by ETag.
    Server,
    /// The built-in table (the server could not be asked).
    BuiltIn,
}

#[derive(Debug, Clone)]
struct Cached {
    etag: Option<String>,
    models: Vec<ModelInfo>,
}

/// The catalogue cache of a client.
#[derive(Debug)]
pub(crate) struct ModelsCache {
    client_version: String,
    cached: Mutex<Option<Cached>>,
}

impl ModelsCache {
    pub(crate) fn new(client_version: String) -> Self {
        ModelsCache { client_version, cached: Mutex::new(None) }
    }

    fn get(&self) -> Option<Cached> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, cached: Cached) {
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(cached);
    }
}

/// The built-in table (the Codex CLI's bundled catalogue, early 2026).
pub fn builtin_models() -> Vec<ModelInfo> {
    use ReasoningEffort::{High, Low, Medium, Minimal, Xhigh};
    let model =
        |slug: &str, priority: i64, visible: bool, efforts: &[ReasoningEffort], verbosity: bool| ModelInfo {
            slug: slug.to_owned(),
            display_name: Some(slug.to_owned()),
            default_reasoning_level: Some(Medium),
            supported_reasoning_levels: efforts
                .iter()
                .map(|e| ReasoningLevel { effort: Some(*e), description: None })
                .collect(),
            visibility: Some(if visible { "list" } else { "hide" }.to_owned()),
            priority: Some(priority),
            supports_reasoning_summaries: Some(true),
            support_verbosity: Some(verbosity),
            supports_parallel_tool_calls: Some(true),
            context_window: Some(272_000),
            input_modalities: vec!["text".to_owned(), "image".to_owned()],
            ..ModelInfo::default()
        };
    vec![
        model("gpt-5.2-codex", 0, true, &[Low, Medium, High, Xhigh], false),
        model("gpt-5.1-codex-max", 2, true, &[Low, Medium, High, Xhigh], false),
        model("gpt-5.1-codex", 3, false, &[Low, Medium, High], false),
        model("gpt-5.2", 4, true, &[Low, Medium, High, Xhigh], true),
        model("gpt-5-codex", 8, false, &[Low, Medium, High], false),
        model("gpt-5", 9, false, &[Minimal, Low, Medium, High], true),
        model("gpt-5-codex-mini", 11, false, &[Medium, High], false),
    ]
}

/// The `models` resource.
#[derive(Debug, Clone, Copy)]
pub struct Models<'a> {
    pub(crate) client: &'a AsyncOAuthCodexClient,
}

impl Models<'_> {
    /// The catalogue and where it came from. On the Codex profile: `GET models?client_version=`
    /// with `If-None-Match` (a 304 reuses the cache); the built-in table when the server cannot
    /// be asked. On other servers: `GET models` (`data[].id`).
    pub async fn list_with_source(&self) -> Result<(Vec<ModelInfo>, CatalogueSource)> {
        let inner = &self.client.inner;
        let cached = inner.models.get();
        let mut request = HttpRequest::new(Method::GET, "models").options(inner.default_options.clone());
        if inner.profile == Profile::Codex {
            request = request.query("client_version", inner.models.client_version.clone());
        }
        if let Some(etag) = cached.as_ref().and_then(|c| c.etag.clone()) {
            request.options.extra_headers.push(("if-none-match".to_owned(), etag));
        }
        let answer = inner.transport.send(request).await;
        match answer {
            Ok(response) if response.status == 304 => {
                if let Some(cached) = cached {
                    return Ok((cached.models, CatalogueSource::Server));
                }
                Ok((builtin_models(), CatalogueSource::BuiltIn))
            }
            Ok(response) => {
                let body: Value = response.json()?;
                let models: Vec<ModelInfo> = match (body.get("models"), body.get("data")) {
                    (Some(models), _) => serde_json::from_value(models.clone()).map_err(|e| {
                        Error::from(codex_transport::SdkRequestError::decode(format!(
                            "the model catalogue: {e}"
                        )))
                    })?,
                    (None, Some(Value::Array(data))) => data
                        .iter()
                        .filter_map(|m| m.get("id").and_then(Value::as_str))
                        .map(|id| ModelInfo { slug: id.to_owned(), ..ModelInfo::default() })
                        .collect(),
                    _ => Vec::new(),
                };
                let etag = response.headers.get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
                inner.models.set(Cached { etag, models: models.clone() });
                Ok((models, CatalogueSource::Server))
            }
            Err(error) if matches!(error.kind, codex_transport::ErrorKind::Auth) => Err(error.into()),
            Err(error) => {
                tracing::info!(%error, "the model catalogue could not be fetched; using the built-in table");
                Ok((cached.map(|c| c.models).unwrap_or_else(builtin_models), CatalogueSource::BuiltIn))
            }
        }
    }

    /// The catalogue.
    pub async fn list(&self) -> Result<Vec<ModelInfo>> {
        Ok(self.list_with_source().await?.0)
    }

    /// What a model supports (from the catalogue; `supports_store` is false on the Codex
    /// profile).
    pub async fn capabilities(&self, model: &str) -> Result<ModelCapabilities> {
        let models = self.list().await?;
        let info = models
            .iter()
            .find(|m| m.slug == model)
            .cloned()
            .or_else(|| builtin_models().into_iter().find(|m| m.slug == model));
        let codex = self.client.inner.profile == Profile::Codex;
        let info = info.unwrap_or(ModelInfo { slug: model.to_owned(), ..ModelInfo::default() });
        let efforts: Vec<ReasoningEffort> =
            info.supported_reasoning_levels.iter().filter_map(|l| l.effort).collect();
        Ok(ModelCapabilities {
            model: model.to_owned(),
            supports_reasoning: !efforts.is_empty(),
            supports_tools: true,
            supports_store: !codex,
            supports_response_format: true,
            supports_parallel_tool_calls: info.supports_parallel_tool_calls.unwrap_or(true),
            supports_reasoning_summaries: info.supports_reasoning_summaries.unwrap_or(!efforts.is_empty()),
            supports_verbosity: info.support_verbosity.unwrap_or(false),
            supports_image_input: info.input_modalities.iter().any(|m| m == "image"),
            reasoning_efforts: efforts,
            default_reasoning_effort: info.default_reasoning_level,
            context_window: info.context_window,
        })
    }

    /// With `validate_model`: when a catalogue from the server is cached, the model must be in
    /// it.
    pub(crate) fn check_offered(&self, model: &str) -> Result<()> {
        let Some(cached) = self.client.inner.models.get() else { return Ok(()) };
        if cached.models.is_empty() || cached.models.iter().any(|m| m.slug == model) {
            return Ok(());
        }
        let offered: Vec<&str> = cached.models.iter().map(|m| m.slug.as_str()).collect();
        Err(Error::ModelValidation {
            model: model.to_owned(),
            reason: format!("this account offers: {}", offered.join(", ")),
        })
    }
}
