//! Loopback fakes of the Codex backend and of the OpenAI OAuth server, as strict and as rude as
//! the real services (codex-protocol.md), with scripted replies and faults; used by tests,
//! benches and the offline demo. Not published.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use codex_testkit::{FakeCodex, FakeOAuth, Reply, Script};
//!
//! let oauth = FakeOAuth::start().await;
//! let codex = FakeCodex::builder().registry(oauth.registry().clone()).start().await;
//! codex.enqueue(Reply::stream(Script::new("resp_1").reasoning("Plan.").text("Hello").completed()));
//! println!("issuer {} backend {}", oauth.issuer(), codex.base_url());
//! // … point the client under test at them; afterwards:
//! assert!(codex.requests().is_empty());
//! assert_eq!(oauth.registry().refreshes(), 0);
//! # }
//! ```
//!
//! Both fakes listen on 127.0.0.1 with an ephemeral port, speak HTTP/1.1 and HTTP/2, can serve
//! HTTPS with a throwaway CA ([`TestCa`]), and stop when dropped. The `codex-fake` binary
//! starts both for use from other processes. `README.md` beside this crate lists every
//! behaviour faked and what is not.

mod codex;
mod oauth;
mod registry;
mod script;
mod server;
pub mod sweep;
mod tls;

pub use codex::{
    BASE_PATH, FakeCodex, FakeCodexBuilder, REJECTED_PARAMETERS, RateLimitHeaders, RecordedRequest,
    models_catalogue,
};
pub use oauth::{CODEX_CLIENT_ID, FakeOAuth, s256};
pub use registry::{Account, RefreshFailure, TokenRegistry, jwt};
pub use script::{Chunking, Faults, LineEnding, Reply, Script, huge_text_delta};
pub use server::FakeBody;
pub use tls::TestCa;
