//! No token ever reaches a trace line, a hook payload, an error or a `Debug` print.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use codex_testkit::{FakeCodex, Reply, TokenRegistry};
use codex_transport::{
    AuthHeaders, Authenticator, BoxFuture, Hooks, HttpRequest, Recovery, SdkRequestError, Transport,
    TransportConfig,
};
use futures_util::StreamExt;
use serde_json::json;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Rotating {
    registry: TokenRegistry,
    current: Mutex<String>,
    issued: Mutex<Vec<String>>,
    refreshed: AtomicBool,
}

impl Authenticator for Rotating {
    fn headers(&self) -> BoxFuture<'_, Result<AuthHeaders, SdkRequestError>> {
        let token = self.current.lock().unwrap().clone();
        Box::pin(async move { Ok(AuthHeaders::bearer(token, Some("acct_fake_0001".into()))) })
    }

    fn recover<'a>(&'a self, _refused: &'a AuthHeaders) -> BoxFuture<'a, Result<Recovery, SdkRequestError>> {
        Box::pin(async move {
            let token = self.registry.mint_access_token();
            self.issued.lock().unwrap().push(token.clone());
            *self.current.lock().unwrap() = token;
            self.refreshed.store(true, Ordering::SeqCst);
            Ok(Recovery::Retry)
        })
    }
}

#[tokio::test(flavor = "current_thread")]
async fn trace_output_hooks_and_errors_hold_no_token() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeCodex::start().await;
    fake.enqueue(Reply::server_error());
    let stale = fake.registry().mint_access_token();
    let auth = Arc::new(Rotating {
        registry: fake.registry().clone(),
        current: Mutex::new(format!("{stale}-revoked")),
        issued: Mutex::new(Vec::new()),
        refreshed: AtomicBool::new(false),
    });
    let payloads = Arc::new(Mutex::new(String::new()));
    let (a, b, c, d) = (payloads.clone(), payloads.clone(), payloads.clone(), payloads.clone());
    let hooks = Hooks::new()
        .on_request_start(move |e| a.lock().unwrap().push_str(&format!("{e:?}")))
        .on_request_end(move |e| b.lock().unwrap().push_str(&format!("{e:?}")))
        .on_auth_refresh(move |e| c.lock().unwrap().push_str(&format!("{e:?}")))
        .on_error(move |e| d.lock().unwrap().push_str(&format!("{e:?}")));
    let config = TransportConfig::new(fake.base_url()).retry(codex_transport::RetryPolicy {
        base_delay: std::time::Duration::from_millis(1),
        ..Default::default()
    });
    let transport = Transport::new(config, auth.clone(), hooks).unwrap();
    let body = json!({"model": "m", "instructions": "i", "input": [], "store": false, "stream": true});
    let mut stream = transport.stream(HttpRequest::post_json("responses", body.clone())).await.unwrap();
    while let Some(frame) = stream.next().await {
        frame.unwrap();
    }
    assert!(auth.refreshed.load(Ordering::SeqCst), "the request went through a refresh");
    let mut bad = body;
    bad["temperature"] = json!(1);
    let error = transport.send(HttpRequest::post_json("responses", bad)).await.unwrap_err();

    let mut secrets = auth.issued.lock().unwrap().clone();
    secrets.push(stale.clone());
    secrets.push(format!("{stale}-revoked"));
    let traces = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(traces.contains("http_request"), "TRACE output was captured");
    let everything = format!(
        "{traces}\n{}\n{error}\n{error:?}\n{:?}\n{:?}",
        payloads.lock().unwrap(),
        transport,
        AuthHeaders::bearer(stale.clone(), None)
    );
    for secret in &secrets {
        // The JWT's signature part is the same for every fake token; check the whole token and
        // its payload part, which is unique.
        let payload = secret.split('.').nth(1).unwrap();
        assert!(!everything.contains(secret.as_str()), "a token leaked");
        assert!(!everything.contains(payload), "a token's payload leaked");
    }
}
