//! [`OAuthCodexClient`]: the blocking face of [`AsyncOAuthCodexClient`].
//!
//! The async client runs on a current-thread tokio runtime in a thread of its own; blocking
//! calls hand it their work and wait on a channel. It works from any thread, inside or outside
//! a tokio runtime, and never nests runtimes. One implementation, two faces: sync/async parity
//! is structural.

use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use codex_auth::{LoginMode, TokenSet};
use codex_schema::{ModelCapabilities, Response, ResponseCreateParams, StreamEvent};
use codex_transport::RateLimits;
use futures_util::StreamExt;

use crate::client::{AsyncOAuthCodexClient, ClientBuilder};
use crate::error::{Error, Result};
use crate::models::ModelInfo;

struct RuntimeThread {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for RuntimeThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl RuntimeThread {
    fn start() -> Result<Self> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("oauth-codex-runtime".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(error.to_string()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(runtime.handle().clone()));
                runtime.block_on(async move {
                    let _ = stopped.await;
                });
            })
            .map_err(|e| Error::Config(format!("cannot start the client's runtime thread: {e}")))?;
        let handle = ready_rx
            .recv()
            .map_err(|_| Error::Config("the client's runtime thread ended at start".to_owned()))?
            .map_err(|e| Error::Config(format!("cannot build the client's runtime: {e}")))?;
        Ok(RuntimeThread { handle, stop: Some(stop) })
    }

    fn run<F, T>(&self, future: F) -> T
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().expect("the client's runtime thread stopped while a call was running")
    }
}

/// The blocking client. Cheap to clone; clones share the runtime thread, connections and
/// sign-in.
#[derive(Clone)]
pub struct OAuthCodexClient {
    client: AsyncOAuthCodexClient,
    runtime: Arc<RuntimeThread>,
}

impl std::fmt::Debug for OAuthCodexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthCodexClient").field("client", &self.client).finish_non_exhaustive()
    }
}

/// A blocking iterator of stream events v1. Dropping it stops the request.
pub struct ResponseEvents {
    receiver: mpsc::Receiver<Result<StreamEvent>>,
    _runtime: Arc<RuntimeThread>,
}

impl std::fmt::Debug for ResponseEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseEvents").finish_non_exhaustive()
    }
}

impl Iterator for ResponseEvents {
    type Item = Result<StreamEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        self.receiver.recv().ok()
    }
}

impl OAuthCodexClient {
    /// A client with every default.
    pub fn new() -> Result<Self> {
        Self::from_builder(ClientBuilder::default())
    }

    /// A builder (the same as the async client's); finish with [`OAuthCodexClient::from_builder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Builds a blocking client from a builder.
    pub fn from_builder(builder: ClientBuilder) -> Result<Self> {
        let runtime = Arc::new(RuntimeThread::start()?);
        // Build on the runtime thread: the transport's pool is bound to that runtime.
        let client = runtime.run(async move { builder.build() })?;
        Ok(OAuthCodexClient { client, runtime })
    }

    /// The async client behind this one.
    pub fn as_async(&self) -> &AsyncOAuthCodexClient {
        &self.client
    }

    fn run<F, T>(&self, work: impl FnOnce(AsyncOAuthCodexClient) -> F) -> T
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.runtime.run(work(self.client.clone()))
    }

    /// `responses()`.
    pub fn responses(&self) -> BlockingResponses<'_> {
        BlockingResponses { client: self }
    }

    /// `models()`.
    pub fn models(&self) -> BlockingModels<'_> {
        BlockingModels { client: self }
    }

    /// The rate-limit snapshot of the last response.
    pub fn rate_limits(&self) -> Option<RateLimits> {
        self.client.rate_limits()
    }

    /// Whether a sign-in is saved.
    pub fn is_authenticated(&self) -> bool {
        self.run(|c| async move { c.is_authenticated().await })
    }

    /// Whether the access token expires within `leeway`.
    pub fn is_expired(&self, leeway: Duration) -> bool {
        self.run(move |c| async move { c.is_expired(leeway).await })
    }

    /// Refreshes when needed, or always with `force`.
    pub fn refresh_if_needed(&self, force: bool) -> Result<bool> {
        self.run(move |c| async move { c.refresh_if_needed(force).await })
    }

    /// Signs in now.
    pub fn login(&self, mode: LoginMode) -> Result<()> {
        self.run(move |c| async move { c.login(mode).await })
    }

    /// Signs out.
    pub fn logout(&self) -> Result<()> {
        self.run(|c| async move { c.logout().await })
    }

    /// The current tokens.
    pub fn tokens(&self) -> Result<TokenSet> {
        self.run(|c| async move { c.tokens().await })
    }
}

/// The blocking `responses` resource.
#[derive(Debug, Clone, Copy)]
pub struct BlockingResponses<'a> {
    client: &'a OAuthCodexClient,
}

impl BlockingResponses<'_> {
    /// Sends the request and returns the whole response.
    pub fn create(&self, params: ResponseCreateParams) -> Result<Response> {
        self.client.run(move |c| async move { c.responses().create(params).await })
    }

    /// Structured output into a `T`.
    pub fn parse<T>(&self, params: ResponseCreateParams) -> Result<T>
    where
        T: serde::de::DeserializeOwned + schemars::JsonSchema + Send + 'static,
    {
        self.client.run(move |c| async move { c.responses().parse::<T>(params).await })
    }

    /// Sends the request and iterates over stream events v1 as they arrive.
    pub fn stream(&self, params: ResponseCreateParams) -> Result<ResponseEvents> {
        let (sender, receiver) = mpsc::sync_channel(64);
        let opened = self.client.run(move |c| async move {
            let mut stream = match c.responses().stream(params).await {
                Ok(stream) => stream,
                Err(error) => return Err(error),
            };
            tokio::spawn(async move {
                while let Some(event) = stream.next().await {
                    if sender.send(event).is_err() {
                        return; // the iterator was dropped: drop the stream too
                    }
                }
            });
            Ok(())
        });
        opened?;
        Ok(ResponseEvents { receiver, _runtime: self.client.runtime.clone() })
    }
}

/// The blocking `models` resource.
#[derive(Debug, Clone, Copy)]
pub struct BlockingModels<'a> {
    client: &'a OAuthCodexClient,
}

impl BlockingModels<'_> {
    /// The catalogue.
    pub fn list(&self) -> Result<Vec<ModelInfo>> {
        self.client.run(|c| async move { c.models().list().await })
    }

    /// What a model supports.
    pub fn capabilities(&self, model: &str) -> Result<ModelCapabilities> {
        let model = model.to_owned();
        self.client.run(move |c| async move { c.models().capabilities(&model).await })
    }
}

impl OAuthCodexClient {
    /// `files()`.
    pub fn files(&self) -> BlockingFiles<'_> {
        BlockingFiles { client: self }
    }

    /// `vector_stores()`.
    pub fn vector_stores(&self) -> BlockingVectorStores<'_> {
        BlockingVectorStores { client: self }
    }
}

impl BlockingResponses<'_> {
    /// Counts the input tokens of a request (locally on the Codex profile).
    pub fn count_input_tokens(&self, params: ResponseCreateParams) -> Result<codex_compat::InputTokenCount> {
        self.client.run(move |c| async move { c.responses().input_tokens().count(params).await })
    }
}

/// The blocking `files` resource.
#[derive(Debug, Clone, Copy)]
pub struct BlockingFiles<'a> {
    client: &'a OAuthCodexClient,
}

impl BlockingFiles<'_> {
    /// Stores a file.
    pub fn create(
        &self,
        file: impl Into<codex_compat::FileSource>,
        purpose: &str,
        metadata: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<codex_schema::objects::FileObject> {
        let (file, purpose) = (file.into(), purpose.to_owned());
        self.client.run(move |c| async move { c.files().create(file, &purpose, metadata).await })
    }

    /// A file's metadata.
    pub fn retrieve(&self, file_id: &str) -> Result<codex_schema::objects::FileObject> {
        let id = file_id.to_owned();
        self.client.run(move |c| async move { c.files().retrieve(&id).await })
    }

    /// A page of files.
    pub fn list(
        &self,
        params: codex_compat::ListParams,
    ) -> Result<codex_schema::objects::ListPage<codex_schema::objects::FileObject>> {
        self.client.run(move |c| async move { c.files().list(params).await })
    }

    /// Deletes a file.
    pub fn delete(&self, file_id: &str) -> Result<codex_schema::objects::FileDeleted> {
        let id = file_id.to_owned();
        self.client.run(move |c| async move { c.files().delete(&id).await })
    }

    /// A file's bytes.
    pub fn content(&self, file_id: &str) -> Result<Vec<u8>> {
        let id = file_id.to_owned();
        self.client.run(move |c| async move { c.files().content(&id).await })
    }
}

/// The blocking `vector_stores` resource.
#[derive(Debug, Clone, Copy)]
pub struct BlockingVectorStores<'a> {
    client: &'a OAuthCodexClient,
}

impl BlockingVectorStores<'_> {
    /// Creates a store.
    pub fn create(
        &self,
        params: codex_compat::VectorStoreCreateParams,
    ) -> Result<codex_schema::objects::VectorStore> {
        self.client.run(move |c| async move { c.vector_stores().create(params).await })
    }

    /// A store.
    pub fn retrieve(&self, id: &str) -> Result<codex_schema::objects::VectorStore> {
        let id = id.to_owned();
        self.client.run(move |c| async move { c.vector_stores().retrieve(&id).await })
    }

    /// A page of stores.
    pub fn list(
        &self,
        params: codex_compat::ListParams,
    ) -> Result<codex_schema::objects::ListPage<codex_schema::objects::VectorStore>> {
        self.client.run(move |c| async move { c.vector_stores().list(params).await })
    }

    /// Updates a store.
    pub fn update(
        &self,
        id: &str,
        params: codex_compat::VectorStoreUpdateParams,
    ) -> Result<codex_schema::objects::VectorStore> {
        let id = id.to_owned();
        self.client.run(move |c| async move { c.vector_stores().update(&id, params).await })
    }

    /// Deletes a store.
    pub fn delete(&self, id: &str) -> Result<codex_schema::objects::VectorStoreDeleted> {
        let id = id.to_owned();
        self.client.run(move |c| async move { c.vector_stores().delete(&id).await })
    }

    /// Searches a store.
    pub fn search(
        &self,
        id: &str,
        params: codex_compat::SearchParams,
    ) -> Result<codex_schema::objects::VectorStoreSearchPage> {
        let id = id.to_owned();
        self.client.run(move |c| async move { c.vector_stores().search(&id, params).await })
    }

    /// Attaches a file.
    pub fn attach_file(
        &self,
        id: &str,
        file_id: &str,
        attributes: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<codex_schema::objects::VectorStoreFile> {
        let (id, file_id) = (id.to_owned(), file_id.to_owned());
        self.client
            .run(move |c| async move { c.vector_stores().attach_file(&id, &file_id, attributes).await })
    }

    /// Detaches a file.
    pub fn detach_file(&self, id: &str, file_id: &str) -> Result<codex_schema::objects::FileDeleted> {
        let (id, file_id) = (id.to_owned(), file_id.to_owned());
        self.client.run(move |c| async move { c.vector_stores().detach_file(&id, &file_id).await })
    }
}
