//! The three sign-in flows and [`LoginMode`], which picks one.
//!
//! 1. **Loopback** (the Codex CLI's): a one-shot HTTP server on `127.0.0.1:1455` (falling back
//!    to `1457`; a stale login server on the port is first asked to `/cancel`) receives the
//!    browser's redirect, exchanges the code and shows a success page.
//! 2. **Paste** (for machines without a browser): show the URL, read back the address the
//!    browser landed on.
//! 3. **Device code** (for SSH and containers): show a verification URL and a code; poll until
//!    the person approves.
//!
//! All three end in the same [`TokenSet`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex as AsyncMutex, mpsc};

use crate::authorize::AuthorizationRequest;
use crate::callback::query_has_state;
use crate::config::{DEFAULT_CALLBACK_PORT, FALLBACK_CALLBACK_PORT, loopback_redirect_uri};
use crate::error::{AuthError, Result};
use crate::oauth_client::{DevicePoll, OAuthClient};
use crate::secret::AuthorizationCode;
use crate::tokens::TokenSet;

/// How to sign in when a sign-in is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoginMode {
    /// Loopback, or the device code on a remote shell (SSH without a display) or when no
    /// callback port is free.
    Auto,
    /// The browser flow with a loopback callback server.
    Loopback,
    /// Show the URL, read the pasted callback address.
    Paste,
    /// The device-code flow.
    Device,
    /// Never prompt: return `AuthRequired` (for servers and daemons, which must not block).
    #[default]
    Never,
}

/// What a flow asks the person to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginPrompt {
    /// Open this URL in a browser (the flow also tries to open it).
    OpenUrl {
        /// The authorization URL.
        url: String,
    },
    /// Open this URL, sign in, then paste the address the browser lands on.
    PasteCallback {
        /// The authorization URL.
        url: String,
    },
    /// Enter `user_code` at `verification_url`.
    DeviceCode {
        /// Where to enter the code.
        verification_url: String,
        /// The one-time code.
        user_code: String,
        /// How long the code is valid.
        expires_in: Duration,
    },
    /// Signed in.
    SignedIn,
}

/// Shows prompts to the person.
pub type PromptFn = Arc<dyn Fn(&LoginPrompt) + Send + Sync>;

/// Reads the pasted callback address.
pub type PasteFn = Arc<dyn Fn() -> std::result::Result<String, std::io::Error> + Send + Sync>;

/// Settings of the sign-in flows.
#[derive(Clone)]
pub struct LoginOptions {
    /// Which flow [`crate::TokenManager`] runs when it needs a sign-in.
    pub mode: LoginMode,
    /// Callback ports to try, in order (default 1455 then 1457).
    pub ports: Vec<u16>,
    /// How long the loopback and paste flows wait (default 10 minutes).
    pub timeout: Duration,
    /// How long a device code is polled (default 15 minutes; `Duration::MAX` means until
    /// the code is approved or refused).
    pub device_timeout: Duration,
    /// Whether to open the browser (default `true`).
    pub open_browser: bool,
    /// Shows prompts (default: prints to stderr).
    pub prompt: PromptFn,
    /// Reads the pasted address (default: a line from stdin).
    pub paste: PasteFn,
}

impl std::fmt::Debug for LoginOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginOptions")
            .field("mode", &self.mode)
            .field("ports", &self.ports)
            .field("timeout", &self.timeout)
            .field("device_timeout", &self.device_timeout)
            .field("open_browser", &self.open_browser)
            .finish_non_exhaustive()
    }
}

/// Prints prompts the way the Codex CLI words them.
pub fn print_prompt(prompt: &LoginPrompt) {
    match prompt {
        LoginPrompt::OpenUrl { url } => {
            eprintln!("If your browser did not open, navigate to this URL to authenticate:\n\n{url}\n");
        }
        LoginPrompt::PasteCallback { url } => eprintln!(
            "Open this URL in a browser and sign in:\n\n{url}\n\nThen paste the full address the browser \
             lands on (it starts with http://localhost and may show an error page):"
        ),
        LoginPrompt::DeviceCode { verification_url, user_code, expires_in } => {
            eprintln!("{}", device_code_text(verification_url, user_code, *expires_in));
        }
        LoginPrompt::SignedIn => eprintln!("Successfully logged in"),
    }
}

/// The device-code prompt's text. The code's lifetime is said in minutes when it is one a
/// person waits through (under a day); a longer `device_timeout` (`Duration::MAX` means none)
/// leaves the server's own expiry unsaid.
fn device_code_text(verification_url: &str, user_code: &str, expires_in: Duration) -> String {
    let lifetime = if expires_in < Duration::from_secs(86_400) {
        format!(" (expires in {} minutes)", expires_in.as_secs() / 60)
    } else {
        String::new()
    };
    format!(
        "Follow these steps to sign in with ChatGPT using device code authorization:\n\n\
         1. Open this link in your browser and sign in to your account\n   {verification_url}\n\n\
         2. Enter this one-time code{lifetime}\n   {user_code}\n\n\
         Device codes are a common phishing target. Never share this code."
    )
}

fn read_stdin_line() -> std::result::Result<String, std::io::Error> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line)
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            mode: LoginMode::Never,
            ports: vec![DEFAULT_CALLBACK_PORT, FALLBACK_CALLBACK_PORT],
            timeout: Duration::from_secs(600),
            device_timeout: Duration::from_secs(900),
            open_browser: true,
            prompt: Arc::new(print_prompt),
            paste: Arc::new(read_stdin_line),
        }
    }
}

impl LoginOptions {
    /// Options with this mode.
    pub fn mode(mode: LoginMode) -> Self {
        LoginOptions { mode, ..LoginOptions::default() }
    }
}

fn remote_shell_without_display() -> bool {
    let remote = std::env::var_os("SSH_CONNECTION").is_some() || std::env::var_os("SSH_TTY").is_some();
    let display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    remote && !display && !cfg!(any(target_os = "macos", target_os = "windows"))
}

/// Runs a flow.
pub(crate) async fn run_login(
    client: &OAuthClient,
    mode: LoginMode,
    options: &LoginOptions,
) -> Result<TokenSet> {
    let tokens = match mode {
        LoginMode::Never => {
            return Err(AuthError::AuthRequired {
                reason: "sign-in is disabled (LoginMode::Never)".to_owned(),
            });
        }
        LoginMode::Loopback => loopback(client, options).await?,
        LoginMode::Paste => paste(client, options).await?,
        LoginMode::Device => device(client, options).await?,
        LoginMode::Auto if remote_shell_without_display() => device(client, options).await?,
        LoginMode::Auto => match loopback(client, options).await {
            Err(AuthError::CallbackPortsBusy { .. }) => device(client, options).await?,
            other => other?,
        },
    };
    (options.prompt)(&LoginPrompt::SignedIn);
    Ok(tokens)
}

/// The paste flow.
pub async fn paste(client: &OAuthClient, options: &LoginOptions) -> Result<TokenSet> {
    let request = AuthorizationRequest::new(client.config())?;
    (options.prompt)(&LoginPrompt::PasteCallback { url: request.url().to_string() });
    let reader = options.paste.clone();
    let read = tokio::task::spawn_blocking(move || reader());
    let line = match tokio::time::timeout(options.timeout, read).await {
        Err(_) => return Err(AuthError::LoginTimedOut { after: options.timeout }),
        Ok(Err(error)) => return Err(AuthError::LoginIo { reason: error.to_string() }),
        Ok(Ok(Err(error))) => {
            return Err(AuthError::LoginIo { reason: format!("could not read the pasted address: {error}") });
        }
        Ok(Ok(Ok(line))) => line,
    };
    let code = request.parse_callback(line.trim())?;
    client.exchange_code(&code, request.pkce().verifier(), request.redirect_uri()).await
}

/// The device-code flow.
pub async fn device(client: &OAuthClient, options: &LoginOptions) -> Result<TokenSet> {
    let device = client.start_device().await?;
    (options.prompt)(&LoginPrompt::DeviceCode {
        verification_url: device.verification_url.clone(),
        user_code: device.user_code.clone(),
        expires_in: options.device_timeout,
    });
    // A timeout too long to represent (`Duration::MAX`) means none.
    let deadline = Instant::now().checked_add(options.device_timeout);
    loop {
        match client.poll_device(&device).await? {
            DevicePoll::Approved { code, verifier } => {
                let redirect = client.config().device_redirect_uri().to_owned();
                return client.exchange_code(&code, &verifier, &redirect).await;
            }
            DevicePoll::Pending => {
                let left = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(Instant::now()));
                if left.is_zero() {
                    return Err(AuthError::DeviceCodeExpired { after: options.device_timeout });
                }
                tokio::time::sleep(device.interval.min(left)).await;
            }
        }
    }
}

/// Asks a stale login server on the port to stop (as the Codex CLI does).
async fn cancel_stale_server(port: u16) {
    let attempt = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream
            .write_all(
                format!("GET /cancel HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut sink = [0u8; 256];
        let _ = stream.read(&mut sink).await?;
        std::io::Result::Ok(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), attempt).await;
}

/// Binds the first free callback port, on 127.0.0.1 only.
async fn bind(ports: &[u16]) -> Result<TcpListener> {
    let mut last = String::from("no port configured");
    for &port in ports {
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        match TcpListener::bind(address).await {
            Ok(listener) => return Ok(listener),
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
                cancel_stale_server(port).await;
                for _ in 0..10 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if let Ok(listener) = TcpListener::bind(address).await {
                        return Ok(listener);
                    }
                }
                last = format!("127.0.0.1:{port} is already in use");
            }
            Err(error) => last = format!("127.0.0.1:{port}: {error}"),
        }
    }
    Err(AuthError::CallbackPortsBusy { ports: ports.to_vec(), reason: last })
}

fn page(status: StatusCode, title: &str, message: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:36em;margin:4em auto\"><h1>{title}</h1><p>{message}</p></body></html>"
    );
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", "text/html; charset=utf-8".parse().expect("static header"));
    headers.insert("connection", "close".parse().expect("static header"));
    response
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", "text/plain; charset=utf-8".parse().expect("static header"));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// How long the flow waits, after a code was exchanged, for the browser to load the success
/// page before it returns the tokens anyway.
const SUCCESS_PAGE_GRACE: Duration = Duration::from_secs(10);

struct CallbackState {
    request: AuthorizationRequest,
    client: OAuthClient,
    /// A callback carrying this attempt's state was handled (a code exchanged, or an error
    /// reported): every later callback is refused and cannot change the flow's result.
    settled: bool,
    tokens: Option<TokenSet>,
    done: mpsc::Sender<Result<TokenSet>>,
}

/// Serves the loopback server's paths.
///
/// `/auth/callback` is judged in this order: a request without exactly one `state` equal to
/// this attempt's is refused with `400 State mismatch` and the flow keeps waiting (anything on
/// the machine can reach the port, but only the browser's redirect knows the state); a second
/// callback after one was handled is refused and leaves the result alone; otherwise the
/// callback decides the flow: an error or a missing or malformed code ends it with that
/// error, a code is exchanged and the browser is sent to `/success`.
async fn callback(
    request: Request<Incoming>,
    shared: Arc<AsyncMutex<CallbackState>>,
    port: u16,
) -> Response<Full<Bytes>> {
    match request.uri().path() {
        "/auth/callback" => {
            let query = request.uri().query().unwrap_or_default();
            let mut state = shared.lock().await;
            if !query_has_state(query, state.request.state()) {
                return text(StatusCode::BAD_REQUEST, "State mismatch");
            }
            if state.settled {
                return page(
                    StatusCode::BAD_REQUEST,
                    "Sign-in already handled",
                    "This sign-in already received its callback; close this page.",
                );
            }
            state.settled = true;
            let code: AuthorizationCode = match state.request.parse_callback(&format!("?{query}")) {
                Ok(code) => code,
                Err(error) => {
                    let message = escape(&error.to_string());
                    let _ = state.done.try_send(Err(error));
                    return page(StatusCode::BAD_REQUEST, "Sign-in failed", &message);
                }
            };
            let exchanged = state
                .client
                .exchange_code(&code, state.request.pkce().verifier(), state.request.redirect_uri())
                .await;
            match exchanged {
                Ok(tokens) => {
                    state.tokens = Some(tokens);
                    // The browser normally asks for /success next; if it never does, the
                    // tokens are handed over after a grace period.
                    let waiting = shared.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(SUCCESS_PAGE_GRACE).await;
                        let mut state = waiting.lock().await;
                        if let Some(tokens) = state.tokens.take() {
                            let _ = state.done.try_send(Ok(tokens));
                        }
                    });
                    let mut response = Response::new(Full::new(Bytes::new()));
                    *response.status_mut() = StatusCode::FOUND;
                    let location = format!("http://localhost:{port}/success");
                    response
                        .headers_mut()
                        .insert("location", location.parse().expect("a URL is a header value"));
                    response
                }
                Err(error) => {
                    let message = escape(&error.to_string());
                    let _ = state.done.try_send(Err(error));
                    page(StatusCode::BAD_GATEWAY, "Sign-in failed", &message)
                }
            }
        }
        "/success" => {
            let mut state = shared.lock().await;
            if let Some(tokens) = state.tokens.take() {
                let _ = state.done.try_send(Ok(tokens));
            }
            page(StatusCode::OK, "Signed in to Codex", "You may now close this page.")
        }
        "/cancel" => {
            let _ = shared.lock().await.done.try_send(Err(AuthError::LoginCancelled));
            text(StatusCode::OK, "Login cancelled")
        }
        _ => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// The loopback flow.
pub async fn loopback(client: &OAuthClient, options: &LoginOptions) -> Result<TokenSet> {
    let listener = bind(&options.ports).await?;
    let port = listener.local_addr().map_err(|e| AuthError::LoginIo { reason: e.to_string() })?.port();
    let config = client.config().clone().with_redirect_uri(loopback_redirect_uri(port));
    let request = AuthorizationRequest::new(&config)?;
    let url = request.url().to_string();
    (options.prompt)(&LoginPrompt::OpenUrl { url: url.clone() });
    if options.open_browser
        && let Err(error) = webbrowser::open(&url)
    {
        tracing::info!(%error, "could not open a browser; the URL was printed");
    }
    let (done, mut finished) = mpsc::channel(4);
    let state = Arc::new(AsyncMutex::new(CallbackState {
        request,
        client: client.clone(),
        settled: false,
        tokens: None,
        done,
    }));
    let deadline = tokio::time::sleep(options.timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            result = finished.recv() => {
                return result.unwrap_or(Err(AuthError::LoginCancelled));
            }
            _ = &mut deadline => return Err(AuthError::LoginTimedOut { after: options.timeout }),
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(callback(request, state, port).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_code_prompt_says_a_lifetime_a_person_waits_through() {
        let url = "https://auth.example/codex/device";
        let text = device_code_text(url, "ABCD-1234", Duration::from_secs(900));
        assert!(text.contains("one-time code (expires in 15 minutes)\n   ABCD-1234"), "{text}");
        assert!(text.contains(url));
        let text = device_code_text(url, "ABCD-1234", Duration::MAX);
        assert!(text.contains("one-time code\n   ABCD-1234"), "{text}");
        assert!(!text.contains("expires"), "{text}");
    }

    #[tokio::test]
    async fn the_callback_server_binds_the_ipv4_loopback_address_only() {
        let listener = bind(&[0]).await.expect("a free port");
        let address = listener.local_addr().expect("a local address");
        assert_eq!(address.ip(), std::net::IpAddr::from([127, 0, 0, 1]));
        assert_ne!(address.port(), 0);
    }
}
