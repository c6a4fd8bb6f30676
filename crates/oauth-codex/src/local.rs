//! `files()`, `vector_stores()`, conversation replay for `previous_response_id`, and
//! `responses().input_tokens()`: served by codex-compat on the Codex profile, whose backend
//! has none of them, and by the server on other profiles.

use std::sync::Mutex;

use codex_compat::{
    CompatStore, FileSource, InputTokenCount, ListParams, SearchParams, StorageLocation,
    VectorStoreCreateParams, VectorStoreUpdateParams,
};
use codex_schema::objects::{
    FileDeleted, FileObject, ListPage, VectorStore, VectorStoreDeleted, VectorStoreFile,
    VectorStoreSearchPage,
};
use codex_schema::{Item, ParameterValidationError, Profile, ResponseCreateParams, WarningCode};
use codex_transport::{HttpRequest, SdkRequestError};
use serde_json::{Map, Value};

use crate::client::AsyncOAuthCodexClient;
use crate::error::{Error, Result};
use crate::remote;

/// Where the local stand-ins live; opened on first use.
#[derive(Debug)]
pub(crate) struct LocalStore {
    location: StorageLocation,
    store: Mutex<Option<CompatStore>>,
}

impl LocalStore {
    pub(crate) fn new(location: StorageLocation) -> Self {
        LocalStore { location, store: Mutex::new(None) }
    }
}

/// A codex-compat error in the facade's terms: unknown ids are 404 `not_found` request errors,
/// bad arguments are parameter validation errors, storage failures are local-store errors.
pub(crate) fn from_compat(error: codex_compat::Error) -> Error {
    match error {
        codex_compat::Error::InvalidArgument { parameter, message } => {
            Error::ParameterValidation(ParameterValidationError {
                code: WarningCode::InvalidArgument,
                parameter,
                message,
            })
        }
        codex_compat::Error::NotFound { .. } => Error::Request(SdkRequestError::local(
            error.status_code(),
            error.provider_code(),
            error.to_string(),
        )),
        other => Error::Compat(other.to_string()),
    }
}

impl AsyncOAuthCodexClient {
    /// The local store, opened on first use (in a blocking task: it touches the disk).
    pub(crate) async fn compat(&self) -> Result<CompatStore> {
        let local = &self.inner.local;
        if let Some(store) = local.store.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(store);
        }
        let location = local.location.clone();
        let store = tokio::task::spawn_blocking(move || CompatStore::open(location))
            .await
            .map_err(|e| Error::Compat(format!("the store task failed: {e}")))?
            .map_err(from_compat)?;
        *local.store.lock().unwrap_or_else(|p| p.into_inner()) = Some(store.clone());
        Ok(store)
    }

    /// Runs blocking store work off the async threads.
    pub(crate) async fn with_compat<T: Send + 'static>(
        &self,
        work: impl FnOnce(CompatStore) -> codex_compat::Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.compat().await?;
        tokio::task::spawn_blocking(move || work(store))
            .await
            .map_err(|e| Error::Compat(format!("the store task failed: {e}")))?
            .map_err(from_compat)
    }

    /// `files()`.
    pub fn files(&self) -> Files<'_> {
        Files { client: self }
    }

    /// `vector_stores()`.
    pub fn vector_stores(&self) -> VectorStores<'_> {
        VectorStores { client: self }
    }

    /// Expands `previous_response_id` into the stored history (Codex profile). Returns the
    /// new turn's own input items, to record once the response completes.
    pub(crate) async fn expand_history(
        &self,
        params: &mut ResponseCreateParams,
    ) -> Result<Option<(Option<String>, Vec<Item>)>> {
        if self.inner.profile != Profile::Codex || !self.inner.conversation_replay {
            return Ok(None);
        }
        let new_items = params.input.clone().into_items();
        let previous = params.previous_response_id.take();
        if let Some(previous) = previous.clone() {
            let items = new_items.clone();
            let lookup = previous.clone();
            let expanded =
                match self.with_compat(move |store| store.conversations().expand(&lookup, &items)).await {
                    Err(Error::Request(e)) if e.status_code == Some(404) => {
                        return Err(Error::Continuity { response_id: previous });
                    }
                    other => other?,
                };
            params.input = codex_schema::Input::Items(expanded);
        }
        Ok(Some((previous, new_items)))
    }
}

/// The `files` resource: local on the Codex profile, the server's `/files` elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct Files<'a> {
    client: &'a AsyncOAuthCodexClient,
}

impl Files<'_> {
    fn local(&self) -> bool {
        self.client.inner.profile == Profile::Codex
    }

    /// Stores a file: a path, bytes with a file name, or a reader.
    pub async fn create(
        &self,
        file: impl Into<FileSource>,
        purpose: &str,
        metadata: Option<Map<String, Value>>,
    ) -> Result<FileObject> {
        let file = file.into();
        if !self.local() {
            return self.client.remote_file_create(file, purpose, metadata).await;
        }
        let purpose = purpose.to_owned();
        self.client.with_compat(move |s| s.files().create(file, &purpose, metadata)).await
    }

    /// A file's metadata.
    pub async fn retrieve(&self, file_id: &str) -> Result<FileObject> {
        if !self.local() {
            return self.client.remote_json(remote::get(remote::file_path(file_id))).await;
        }
        let id = file_id.to_owned();
        self.client.with_compat(move |s| s.files().retrieve(&id)).await
    }

    /// A page of files.
    pub async fn list(&self, params: ListParams) -> Result<ListPage<FileObject>> {
        if !self.local() {
            return self.client.remote_json(remote::list("files", &params)).await;
        }
        self.client.with_compat(move |s| s.files().list(&params)).await
    }

    /// Deletes a file.
    pub async fn delete(&self, file_id: &str) -> Result<FileDeleted> {
        if !self.local() {
            return self.client.remote_json(remote::delete(remote::file_path(file_id))).await;
        }
        let id = file_id.to_owned();
        self.client.with_compat(move |s| s.files().delete(&id)).await
    }

    /// A file's bytes.
    pub async fn content(&self, file_id: &str) -> Result<Vec<u8>> {
        if !self.local() {
            return self
                .client
                .remote_bytes(remote::get(format!("{}/content", remote::file_path(file_id))))
                .await;
        }
        let id = file_id.to_owned();
        self.client.with_compat(move |s| s.files().content(&id)).await
    }
}

/// The `vector_stores` resource: local on the Codex profile, the server's `/vector_stores`
/// elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct VectorStores<'a> {
    client: &'a AsyncOAuthCodexClient,
}

impl VectorStores<'_> {
    fn local(&self) -> bool {
        self.client.inner.profile == Profile::Codex
    }

    /// Creates a store, indexing the given files.
    pub async fn create(&self, params: VectorStoreCreateParams) -> Result<VectorStore> {
        if !self.local() {
            return self.client.remote_json(remote::create_store(&params)).await;
        }
        self.client.with_compat(move |s| s.vector_stores().create(&params)).await
    }

    /// A store.
    pub async fn retrieve(&self, id: &str) -> Result<VectorStore> {
        if !self.local() {
            return self.client.remote_json(remote::get(remote::store_path(id))).await;
        }
        let id = id.to_owned();
        self.client.with_compat(move |s| s.vector_stores().retrieve(&id)).await
    }

    /// A page of stores.
    pub async fn list(&self, params: ListParams) -> Result<ListPage<VectorStore>> {
        if !self.local() {
            return self.client.remote_json(remote::list("vector_stores", &params)).await;
        }
        self.client.with_compat(move |s| s.vector_stores().list(&params)).await
    }

    /// Updates a store.
    pub async fn update(&self, id: &str, params: VectorStoreUpdateParams) -> Result<VectorStore> {
        if !self.local() {
            return self.client.remote_json(remote::update_store(id, &params)?).await;
        }
        let id = id.to_owned();
        self.client.with_compat(move |s| s.vector_stores().update(&id, &params)).await
    }

    /// Deletes a store (its files stay).
    pub async fn delete(&self, id: &str) -> Result<VectorStoreDeleted> {
        if !self.local() {
            return self.client.remote_json(remote::delete(remote::store_path(id))).await;
        }
        let id = id.to_owned();
        self.client.with_compat(move |s| s.vector_stores().delete(&id)).await
    }

    /// Searches a store.
    pub async fn search(&self, id: &str, params: SearchParams) -> Result<VectorStoreSearchPage> {
        if !self.local() {
            return self.client.remote_json(remote::search(id, &params)).await;
        }
        let id = id.to_owned();
        self.client.with_compat(move |s| s.vector_stores().search(&id, &params)).await
    }

    /// Attaches a file (indexing it), with attributes for search filters.
    pub async fn attach_file(
        &self,
        id: &str,
        file_id: &str,
        attributes: Option<Map<String, Value>>,
    ) -> Result<VectorStoreFile> {
        if !self.local() {
            return self.client.remote_json(remote::attach(id, file_id, attributes)).await;
        }
        let (id, file_id) = (id.to_owned(), file_id.to_owned());
        self.client.with_compat(move |s| s.vector_stores().attach_file(&id, &file_id, attributes)).await
    }

    /// Detaches a file (the file itself stays).
    pub async fn detach_file(&self, id: &str, file_id: &str) -> Result<FileDeleted> {
        if !self.local() {
            return self.client.remote_json(remote::delete(remote::store_file_path(id, file_id))).await;
        }
        let (id, file_id) = (id.to_owned(), file_id.to_owned());
        self.client.with_compat(move |s| s.vector_stores().detach_file(&id, &file_id)).await
    }

    /// A page of a store's files.
    pub async fn list_files(&self, id: &str, params: ListParams) -> Result<ListPage<VectorStoreFile>> {
        if !self.local() {
            return self
                .client
                .remote_json(remote::list(&format!("{}/files", remote::store_path(id)), &params))
                .await;
        }
        let id = id.to_owned();
        self.client.with_compat(move |s| s.vector_stores().list_files(&id, &params)).await
    }
}

/// `responses().input_tokens()`.
#[derive(Debug, Clone, Copy)]
pub struct InputTokens<'a> {
    pub(crate) client: &'a AsyncOAuthCodexClient,
}

impl InputTokens<'_> {
    /// Counts the input tokens of a request: exactly, locally (o200k_base) on the Codex
    /// profile, whose backend has no counting endpoint; by the server elsewhere.
    pub async fn count(&self, params: ResponseCreateParams) -> Result<InputTokenCount> {
        match self.client.inner.profile {
            Profile::Codex => self.client.with_compat(move |s| s.count_input_tokens(&params)).await,
            Profile::OpenAiCompatible => {
                let body = params.to_body();
                let request = HttpRequest::post_json("responses/input_tokens", Value::Object(body))
                    .options(self.client.inner.default_options.clone());
                let answer = self.client.inner.transport.send(request).await?;
                let value: Value = answer.json()?;
                let input_tokens = value.get("input_tokens").and_then(Value::as_u64).ok_or_else(|| {
                    Error::Request(SdkRequestError::decode("the input_tokens answer has no input_tokens"))
                })?;
                Ok(InputTokenCount {
                    object: "response.input_tokens".to_owned(),
                    input_tokens,
                    counted_locally: false,
                })
            }
        }
    }
}
