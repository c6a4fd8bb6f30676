//! `files()`, `vector_stores()`, conversation replay for `previous_response_id`, and
//! `responses().input_tokens()`: served by codex-compat on the Codex profile, whose backend
//! has none of them, and by the server on other profiles.

use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;

use codex_compat::{
    CompatStore, FileSource, InputTokenCount, ListParams, ResponseRecord, SearchParams, StorageLocation,
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
    pub(crate) recorder: std::sync::Arc<Recorder>,
    /// The recorder's sequence number of this client's last turn.
    last_turn: std::sync::atomic::AtomicU64,
}

impl LocalStore {
    pub(crate) fn new(location: StorageLocation) -> Self {
        LocalStore {
            location,
            store: Mutex::new(None),
            recorder: Recorder::shared(),
            last_turn: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Hands a completed turn to the recorder.
    pub(crate) fn record(&self, store: CompatStore, turn: Turn) {
        let seq = self.recorder.submit(store, turn);
        self.last_turn.fetch_max(seq, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for LocalStore {
    /// A client's answers are on disk once it is gone: a later process may continue them.
    fn drop(&mut self) {
        self.recorder.wait_blocking(*self.last_turn.get_mut());
    }
}

/// A completed turn to store for `previous_response_id`.
pub(crate) struct Turn {
    /// The `previous_response_id` the request continued.
    pub(crate) previous: Option<String>,
    /// The request's own input items (before expansion).
    pub(crate) input: Vec<Item>,
    /// The final response (`response_completed.response`): id and output items.
    pub(crate) response: std::sync::Arc<codex_schema::BackendResponse>,
}

/// Writes completed turns on one thread, in order, so a response reaches the caller without
/// waiting for the disk (a write is a SQLite transaction, about as long as a whole short
/// request over loopback). One recorder serves every client of the process.
///
/// Nothing is lost by not waiting: a request that continues a turn waits until every turn
/// handed over before it, by any client of the process, is written ([`Recorder::written`]),
/// and dropping a client waits for its own turns; either cuts short the few milliseconds
/// ([`GATHER`]) the writer waits after a turn for others to write with it. (Another process
/// sees a turn once it is written: within about [`GATHER`] of the answer.)
///
/// Nor is a turn lost when the store cannot take it (a full disk, a store another process
/// keeps locked past the busy deadline): the writer keeps the turns of a failed write, in
/// order, and writes them again before any later turn of their store, after a growing pause
/// ([`RETRY_FIRST`] to [`RETRY_MAX`]), at once when a request continues a turn, and a last
/// time when the recorder stops. Only past [`KEPT_MAX`] waiting turns are the oldest given up,
/// with an error in the log.
#[derive(Debug)]
pub(crate) struct Recorder {
    queue: Mutex<Option<(mpsc::Sender<Message>, JoinHandle<()>)>>,
    submitted: std::sync::atomic::AtomicU64,
    written: std::sync::Arc<Written>,
}

/// How long dropping a client waits for its turns to be written.
const DROP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long the writer gathers turns after the first of a batch before writing them: turns
/// handed over meanwhile do not wake it again (a sender wakes only a receiver that waits).
/// Anyone who waits for the writes cuts it short ([`Recorder::hurry`]).
const GATHER: std::time::Duration = std::time::Duration::from_millis(5);

/// The first pause before turns whose write failed are written again.
const RETRY_FIRST: std::time::Duration = std::time::Duration::from_millis(100);

/// The longest pause between two attempts at turns whose write failed (the pause doubles
/// from [`RETRY_FIRST`] up to it).
const RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(30);

/// How many turns whose write failed are kept for another attempt; past it the oldest are
/// given up.
const KEPT_MAX: usize = 10_000;

/// A turn to write: its sequence number, the store, the turn.
type Job = (u64, CompatStore, Turn);

/// What the writer thread is handed.
enum Message {
    /// A completed turn.
    Turn(Job),
    /// Write the turns kept from a failed write now: a request continues a turn.
    Retry,
}

/// How far the writer got: watched by async waiters, and by a condition variable for drops.
#[derive(Debug)]
struct Written {
    watch: tokio::sync::watch::Sender<Progress>,
    done: Mutex<Progress>,
    changed: std::sync::Condvar,
    /// Turns whose write failed, kept for another attempt.
    kept: std::sync::atomic::AtomicUsize,
}

/// What waiters watch.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    /// Every turn up to this sequence number has been written, or kept to be written again
    /// (after its write failed, or behind a kept turn of its store).
    attempted: u64,
    /// Rounds of writing the writer has finished (each after a batch of turns or a retry).
    rounds: u64,
}

impl Progress {
    /// Whether a waiter for turn `seq` may go on: it was attempted and, when the waiter asked
    /// for the kept turns to be written again in the round after `retry_after`, that round
    /// is over.
    fn reached(&self, seq: u64, retry_after: Option<u64>) -> bool {
        self.attempted >= seq && retry_after.is_none_or(|rounds| self.rounds > rounds)
    }
}

impl Written {
    fn update(&self, change: impl Fn(&mut Progress)) {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut done);
        self.changed.notify_all();
        drop(done);
        self.watch.send_modify(change);
    }

    /// Every turn up to `seq` had its write attempted.
    fn mark(&self, seq: u64) {
        self.update(|progress| progress.attempted = progress.attempted.max(seq));
    }

    /// The writer finished a round, with `kept` turns left to write again.
    fn round_done(&self, kept: usize) {
        self.kept.store(kept, std::sync::atomic::Ordering::SeqCst);
        self.update(|progress| progress.rounds += 1);
    }
}

impl Recorder {
    /// The process's recorder, started again after every client was dropped.
    fn shared() -> std::sync::Arc<Recorder> {
        static SHARED: Mutex<std::sync::Weak<Recorder>> = Mutex::new(std::sync::Weak::new());
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(recorder) = shared.upgrade() {
            return recorder;
        }
        let recorder = std::sync::Arc::new(Recorder::new());
        *shared = std::sync::Arc::downgrade(&recorder);
        recorder
    }

    fn new() -> Self {
        Recorder {
            queue: Mutex::new(None),
            submitted: std::sync::atomic::AtomicU64::new(0),
            written: std::sync::Arc::new(Written {
                watch: tokio::sync::watch::channel(Progress::default()).0,
                done: Mutex::new(Progress::default()),
                changed: std::sync::Condvar::new(),
                kept: std::sync::atomic::AtomicUsize::new(0),
            }),
        }
    }

    /// Queues a turn and returns its sequence number; the writer thread starts with the first.
    fn submit(&self, store: CompatStore, turn: Turn) -> u64 {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let seq = self.submitted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if queue.is_none() {
            let (tx, rx) = mpsc::channel::<Message>();
            let written = self.written.clone();
            let spawned = std::thread::Builder::new()
                .name("oauth-codex-recorder".to_owned())
                .spawn(move || run_writer(&rx, &written));
            match spawned {
                Ok(handle) => *queue = Some((tx, handle)),
                Err(error) => {
                    tracing::warn!(%error, "could not start the thread that records responses for previous_response_id");
                    self.written.mark(seq);
                    return seq;
                }
            }
        }
        if let Some((tx, _)) = queue.as_ref()
            && tx.send(Message::Turn((seq, store, turn))).is_err()
        {
            self.written.mark(seq);
        }
        seq
    }

    /// Ends the writer's gathering at once: someone waits for the writes.
    fn hurry(&self) {
        if let Some((_, handle)) = self.queue.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            handle.thread().unpark();
        }
    }

    /// When turns of a failed write are kept, asks the writer to write them now, and returns
    /// the rounds it had finished before (the waiter then waits for the next one).
    fn retry_kept(&self) -> Option<u64> {
        if self.written.kept.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            return None;
        }
        let rounds = self.written.done.lock().unwrap_or_else(|p| p.into_inner()).rounds;
        let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let (tx, _) = queue.as_ref()?;
        tx.send(Message::Retry).ok().map(|()| rounds)
    }

    /// Waits until every turn submitted so far is written, or its write was attempted and
    /// failed; turns kept from a failed write are attempted again first.
    pub(crate) async fn written(&self) {
        let target = self.submitted.load(std::sync::atomic::Ordering::SeqCst);
        let mut watch = self.written.watch.subscribe();
        let retry_after = self.retry_kept();
        if !watch.borrow().reached(target, retry_after) {
            self.hurry();
        }
        let _ = watch.wait_for(|progress| progress.reached(target, retry_after)).await;
    }

    /// Blocks until the turn numbered `seq` (and every one before it) is written, for at most
    /// [`DROP_WAIT`] (a store another process keeps locked must not hang a drop); turns kept
    /// from a failed write are attempted again first.
    fn wait_blocking(&self, seq: u64) {
        let retry_after = if seq > 0 { self.retry_kept() } else { None };
        self.hurry();
        let done = self.written.done.lock().unwrap_or_else(|p| p.into_inner());
        let (done, waited) = self
            .written
            .changed
            .wait_timeout_while(done, DROP_WAIT, |done| !done.reached(seq, retry_after))
            .unwrap_or_else(|p| p.into_inner());
        if waited.timed_out() {
            tracing::warn!(
                pending = seq.saturating_sub(done.attempted),
                "responses are still being recorded for previous_response_id after {DROP_WAIT:?}; \
                 they are lost if the process exits before the store is free"
            );
        }
    }
}

impl Drop for Recorder {
    /// Waits for the queued writes: they are answers a later process may continue.
    fn drop(&mut self) {
        let queue = self.queue.get_mut().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((tx, handle)) = queue {
            drop(tx);
            handle.thread().unpark();
            let _ = handle.join();
        }
    }
}

/// The writer thread: writes the turns handed over, a batch at a time, and writes again the
/// turns of a failed write (see [`Recorder`]) until they are written or the recorder stops.
fn run_writer(rx: &mpsc::Receiver<Message>, written: &Written) {
    use std::time::Instant;

    // Turns whose write failed, oldest first: written before any later turn of their store,
    // so that a turn continuing one of them finds it.
    let mut kept: Vec<Job> = Vec::new();
    let mut pause = RETRY_FIRST;
    let mut next_retry = Instant::now();
    loop {
        let first = if kept.is_empty() {
            match rx.recv() {
                Ok(message) => Some(message),
                Err(mpsc::RecvError) => return,
            }
        } else {
            match rx.recv_timeout(next_retry.saturating_duration_since(Instant::now())) {
                Ok(message) => Some(message),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                // The recorder stops: one last attempt.
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let mut last = std::mem::take(&mut kept);
                    write_batch(&mut last, &mut kept, Vec::new(), written);
                    if !kept.is_empty() {
                        tracing::error!(
                            responses = kept.len(),
                            "gave up recording responses for previous_response_id: the store could not be written"
                        );
                    }
                    return;
                }
            }
        };
        if matches!(first, Some(Message::Turn(_))) {
            std::thread::park_timeout(GATHER);
        }
        // The kept turns are tried again when their pause is over or someone waits for them.
        let mut retry = !matches!(first, Some(Message::Turn(_))) || Instant::now() >= next_retry;
        let mut batch = std::mem::take(&mut kept);
        let mut failing: Vec<CompatStore> = Vec::new();
        for (_, store, _) in &batch {
            if !failing.iter().any(|f| f.same_handle(store)) {
                failing.push(store.clone());
            }
        }
        for message in first.into_iter().chain(rx.try_iter()) {
            match message {
                Message::Turn(job) => batch.push(job),
                Message::Retry => retry = true,
            }
        }
        // Until then their stores are not tried for new turns either (a store another process
        // keeps locked takes the whole busy deadline to fail): those wait behind them.
        let waiting = if retry { Vec::new() } else { failing };
        let failed = write_batch(&mut batch, &mut kept, waiting, written);
        if kept.len() > KEPT_MAX {
            let lost = kept.len() - KEPT_MAX;
            kept.drain(..lost);
            tracing::error!(
                responses = lost,
                "gave up recording responses for previous_response_id: the store could not be written"
            );
        }
        if kept.is_empty() {
            pause = RETRY_FIRST;
        } else if failed {
            next_retry = Instant::now() + pause;
            pause = (pause * 2).min(RETRY_MAX);
        }
        written.round_done(kept.len());
    }
}

/// Writes `batch` one transaction per run of turns of one store, moving the turns of each
/// failed run to `kept`, and marks each run attempted; `true` when a write failed. The turns
/// of the stores in `waiting`, and of a store once it failed, are kept unattempted, so that
/// each store's turns are written in order.
fn write_batch(
    batch: &mut Vec<Job>,
    kept: &mut Vec<Job>,
    mut waiting: Vec<CompatStore>,
    written: &Written,
) -> bool {
    let mut failed = false;
    while !batch.is_empty() {
        let len = batch
            .windows(2)
            .position(|pair| !pair[0].1.same_handle(&pair[1].1))
            .map_or(batch.len(), |i| i + 1);
        let run: Vec<Job> = batch.drain(..len).collect();
        let store = run[0].1.clone();
        let last = run[run.len() - 1].0;
        if waiting.iter().any(|w| w.same_handle(&store)) {
            kept.extend(run);
        } else {
            // A panic in one write must not stop the others, nor leave a continuing request
            // waiting for a turn never marked attempted; its turns are not written again.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write_turns(&run)));
            if let Ok(Err(())) = outcome {
                kept.extend(run);
                waiting.push(store);
                failed = true;
            }
        }
        written.mark(last);
    }
    failed
}

/// Stores turns of one store in one transaction. `Err` when the transaction failed, and
/// none was written: the caller keeps them to write again. A turn the store refuses (its
/// previous response unknown) is logged, not returned: the answers themselves were delivered.
fn write_turns(run: &[Job]) -> Result<(), ()> {
    let Some((_, store, _)) = run.first() else { return Ok(()) };
    let records: Vec<ResponseRecord<'_>> = run
        .iter()
        .map(|(_, _, turn)| turn)
        .filter(|turn| !turn.response.id.is_empty())
        .map(|turn| ResponseRecord {
            response_id: &turn.response.id,
            previous_response_id: turn.previous.as_deref(),
            input_items: &turn.input,
            output_items: &turn.response.output,
        })
        .collect();
    match store.conversations().record_all(&records) {
        Ok(outcomes) => {
            for error in outcomes.into_iter().filter_map(Result::err) {
                tracing::warn!(%error, "could not record the response for previous_response_id");
            }
            Ok(())
        }
        Err(error) => {
            tracing::warn!(
                %error,
                responses = records.len(),
                "could not record the responses for previous_response_id; they are kept and written again"
            );
            Err(())
        }
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
            // The turn being continued may still be on its way to the disk.
            self.inner.local.recorder.written().await;
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
