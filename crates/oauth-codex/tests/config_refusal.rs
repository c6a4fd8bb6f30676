//! The client builder refuses dangerous configuration with an error that names the problem and
//! the fix: a base URL with a user name or password (never repeated), plain `http` off
//! loopback, an OAuth endpoint that is not `https`, and `extra_headers` that would replace a
//! header the client sets itself. Allowed extra headers still reach the server.

use std::sync::Arc;

use codex_auth::MemoryTokenStore;
use codex_testkit::FakeCodex;
use oauth_codex::{
    AsyncOAuthCodexClient, ClientBuilder, Error, LoginMode, OAuthConfig, RequestOptions, ResponseCreateParams,
};

const PASSWORD: &str = "hunter2-Secret-9";

/// A builder that needs no keyring, no sign-in and no network to build.
fn builder() -> ClientBuilder {
    AsyncOAuthCodexClient::builder()
        .token_store(Arc::new(MemoryTokenStore::new()))
        .login_mode(LoginMode::Never)
        .compat_storage_dir(std::env::temp_dir().join("oauth-codex-config-refusal"))
}

fn config_error(builder: ClientBuilder) -> String {
    match builder.build() {
        Err(error @ Error::Config(_)) => error.to_string(),
        Err(other) => panic!("expected a configuration error, got {other:?}"),
        Ok(_) => panic!("the configuration was accepted"),
    }
}

#[test]
fn a_base_url_with_credentials_is_refused_without_repeating_them() {
    for url in [
        format!("https://user:{PASSWORD}@chatgpt.com/backend-api/codex"),
        format!("https://:{PASSWORD}@chatgpt.com/backend-api/codex"),
        format!("https://{PASSWORD}@chatgpt.com/backend-api/codex"),
        format!("http://user:{PASSWORD}@127.0.0.1:9/v1"),
    ] {
        let text = config_error(builder().base_url(url.clone()));
        assert!(text.contains("credentials") && text.contains("remove them"), "{text}");
        assert!(!text.contains(PASSWORD), "the password is not repeated: {text}");
        let debug = format!("{:?}", builder().base_url(url).build().unwrap_err());
        assert!(!debug.contains(PASSWORD), "nor in Debug: {debug}");
    }
}

#[test]
fn plain_http_off_loopback_and_other_schemes_are_refused() {
    for url in ["http://example.com/backend-api/codex", "ftp://example.com/v1", "not a url"] {
        let text = config_error(builder().base_url(url));
        assert!(text.contains("https"), "the fix is named: {text}");
    }
    for url in ["http://127.0.0.1:9/backend-api/codex", "http://localhost:9/v1", "http://[::1]:9/v1"] {
        builder().base_url(url).build().unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[test]
fn oauth_endpoints_that_are_not_https_or_carry_credentials_are_refused() {
    let cases = [
        OAuthConfig::default().with_token_endpoint("http://auth.example.com/oauth/token"),
        OAuthConfig::default().with_authorization_endpoint("http://auth.example.com/oauth/authorize"),
        OAuthConfig::default()
            .with_token_endpoint(format!("https://user:{PASSWORD}@auth.example.com/oauth/token")),
    ];
    for config in cases {
        let error = builder().oauth_config(config).build().unwrap_err();
        let text = error.to_string();
        assert!(text.contains("endpoint") && (text.contains("https") || text.contains("remove")), "{text}");
        assert!(!text.contains(PASSWORD) && !format!("{error:?}").contains(PASSWORD), "{text}");
    }
    let loopback = OAuthConfig::for_issuer("http://127.0.0.1:9");
    builder().oauth_config(loopback).build().expect("loopback http is fine for a local server");
}

#[test]
fn extra_headers_cannot_name_a_header_the_client_sets() {
    for name in [
        "Authorization",
        "chatgpt-account-id",
        "ChatGPT-Account-ID",
        "originator",
        "User-Agent",
        "session_id",
        "Host",
    ] {
        let options = RequestOptions {
            extra_headers: vec![
                ("x-fine".to_owned(), "1".to_owned()),
                (name.to_owned(), PASSWORD.to_owned()),
            ],
            ..RequestOptions::default()
        };
        let text = config_error(builder().default_options(options));
        assert!(text.contains(&format!("`{}`", name.to_ascii_lowercase())), "names the header: {text}");
        assert!(text.contains("remove it"), "names the fix: {text}");
        assert!(!text.contains(PASSWORD), "the value is not repeated: {text}");
    }
}

#[tokio::test]
async fn allowed_extra_headers_reach_the_server() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let options = RequestOptions {
        extra_headers: vec![
            ("x-custom".to_owned(), "kept".to_owned()),
            ("OpenAI-Organization".to_owned(), "org-1".to_owned()),
        ],
        ..RequestOptions::default()
    };
    let client =
        builder().base_url(fake.base_url()).api_key("test-key").default_options(options).build().unwrap();
    let response = client.responses().create(ResponseCreateParams::new("gpt-5.2-codex", "Hi")).await.unwrap();
    assert!(!response.output_text.is_empty());
    let sent = fake.requests().into_iter().find(|r| r.path.ends_with("/responses")).expect("the request");
    assert_eq!(sent.header("x-custom"), Some("kept"));
    assert_eq!(sent.header("openai-organization"), Some("org-1"));
    assert_eq!(sent.header("authorization"), Some("Bearer test-key"));
    assert_eq!(sent.headers.iter().filter(|(n, _)| n == "originator").count(), 1);
}
