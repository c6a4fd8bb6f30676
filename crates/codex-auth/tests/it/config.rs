use codex_auth::{AuthError, OAuthConfig, RefreshEncoding, loopback_redirect_uri};

fn config_error(config: &OAuthConfig) -> String {
    match config.validate() {
        Err(e @ AuthError::InvalidConfig { .. }) => e.to_string(),
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn defaults_match_the_codex_cli() {
    let config = OAuthConfig::default();
    assert_eq!(config.issuer(), "https://auth.openai.com");
    assert_eq!(config.client_id(), "app_EMoamEEZ73f0CkXaXp7hrann");
    assert_eq!(config.scope(), "openid profile email offline_access");
    assert_eq!(config.audience(), None);
    assert_eq!(config.redirect_uri(), "http://localhost:1455/auth/callback");
    assert_eq!(config.authorization_endpoint(), "https://auth.openai.com/oauth/authorize");
    assert_eq!(config.token_endpoint(), "https://auth.openai.com/oauth/token");
    assert_eq!(config.revocation_endpoint(), "https://auth.openai.com/oauth/revoke");
    assert_eq!(
        config.device_user_code_endpoint(),
        "https://auth.openai.com/api/accounts/deviceauth/usercode"
    );
    assert_eq!(config.device_token_endpoint(), "https://auth.openai.com/api/accounts/deviceauth/token");
    assert_eq!(config.device_verification_url(), "https://auth.openai.com/codex/device");
    assert_eq!(config.device_redirect_uri(), "https://auth.openai.com/deviceauth/callback");
    assert_eq!(config.discovery_url(), None);
    assert_eq!(config.originator(), "codex_cli_rs");
    assert!(config.allowed_workspace_ids().is_empty());
    assert_eq!(config.refresh_encoding(), RefreshEncoding::Json);
    config.validate().expect("the defaults are valid");
}

#[test]
fn loopback_redirect_uri_uses_localhost_and_the_callback_path() {
    assert_eq!(loopback_redirect_uri(1457), "http://localhost:1457/auth/callback");
    assert_eq!(loopback_redirect_uri(codex_auth::DEFAULT_CALLBACK_PORT), codex_auth::DEFAULT_REDIRECT_URI);
}

#[test]
fn from_lookup_applies_every_override() {
    let config = OAuthConfig::from_lookup(|name| {
        let value = match name {
            "CODEX_OAUTH_CLIENT_ID" => "client-x",
            "CODEX_OAUTH_SCOPE" => "openid offline_access",
            "CODEX_OAUTH_AUDIENCE" => "https://api.example.com",
            "CODEX_OAUTH_REDIRECT_URI" => "http://127.0.0.1:9999/cb",
            "CODEX_OAUTH_DISCOVERY_URL" => "https://id.example.com/.well-known/openid-configuration",
            "CODEX_OAUTH_AUTHORIZATION_ENDPOINT" => "https://id.example.com/authorize",
            "CODEX_OAUTH_TOKEN_ENDPOINT" => " https://id.example.com/token ",
            "CODEX_OAUTH_ORIGINATOR" => "my_app",
            other => panic!("unexpected variable {other}"),
        };
        Some(value.to_owned())
    });
    assert_eq!(config.client_id(), "client-x");
    assert_eq!(config.scope(), "openid offline_access");
    assert_eq!(config.audience(), Some("https://api.example.com"));
    assert_eq!(config.redirect_uri(), "http://127.0.0.1:9999/cb");
    assert_eq!(config.discovery_url(), Some("https://id.example.com/.well-known/openid-configuration"));
    assert_eq!(config.authorization_endpoint(), "https://id.example.com/authorize");
    assert_eq!(config.token_endpoint(), "https://id.example.com/token", "values are trimmed");
    assert_eq!(config.originator(), "my_app");
    // The issuer has no override, so the rest stays on auth.openai.com.
    assert_eq!(config.issuer(), "https://auth.openai.com");
    assert_eq!(config.revocation_endpoint(), "https://auth.openai.com/oauth/revoke");
    config.validate().expect("valid");
}

#[test]
fn from_lookup_ignores_empty_and_blank_values() {
    let config = OAuthConfig::from_lookup(|name| match name {
        "CODEX_OAUTH_CLIENT_ID" => Some(String::new()),
        "CODEX_OAUTH_AUDIENCE" => Some("  \t ".to_owned()),
        _ => None,
    });
    assert_eq!(config, OAuthConfig::default());
}

#[test]
fn for_issuer_derives_every_endpoint_and_defaults_to_form_refresh() {
    let config = OAuthConfig::for_issuer("https://login.example.com/");
    assert_eq!(config.issuer(), "https://login.example.com");
    assert_eq!(config.authorization_endpoint(), "https://login.example.com/oauth/authorize");
    assert_eq!(config.token_endpoint(), "https://login.example.com/oauth/token");
    assert_eq!(config.revocation_endpoint(), "https://login.example.com/oauth/revoke");
    assert_eq!(
        config.device_user_code_endpoint(),
        "https://login.example.com/api/accounts/deviceauth/usercode"
    );
    assert_eq!(config.refresh_encoding(), RefreshEncoding::Form);
    assert_eq!(config.client_id(), codex_auth::DEFAULT_CLIENT_ID);
}

#[test]
fn with_issuer_keeps_client_settings_and_rederives_endpoints() {
    let config = OAuthConfig::default()
        .with_client_id("c")
        .with_token_endpoint("https://elsewhere.example.com/token")
        .with_issuer("https://login.example.com");
    assert_eq!(config.client_id(), "c");
    assert_eq!(config.token_endpoint(), "https://login.example.com/oauth/token");
}

#[test]
fn refresh_encoding_can_be_fixed() {
    let config =
        OAuthConfig::for_issuer("https://login.example.com").with_refresh_encoding(RefreshEncoding::Json);
    assert_eq!(config.refresh_encoding(), RefreshEncoding::Json);
    let config = OAuthConfig::default().with_refresh_encoding(RefreshEncoding::Form);
    assert_eq!(config.refresh_encoding(), RefreshEncoding::Form);
}

#[test]
fn setters_set() {
    let config = OAuthConfig::default()
        .with_scope("openid")
        .with_audience(Some("aud".to_owned()))
        .with_redirect_uri("http://localhost:1457/auth/callback")
        .with_authorization_endpoint("https://a.example.com/authorize")
        .with_revocation_endpoint("https://a.example.com/revoke")
        .with_device_user_code_endpoint("https://a.example.com/usercode")
        .with_device_token_endpoint("https://a.example.com/devicetoken")
        .with_device_verification_url("https://a.example.com/device")
        .with_device_redirect_uri("https://a.example.com/devicecb")
        .with_discovery_url(Some("https://a.example.com/.well-known/openid-configuration".to_owned()))
        .with_originator("o")
        .with_allowed_workspace_ids(["ws-1", "ws-2"]);
    assert_eq!(config.scope(), "openid");
    assert_eq!(config.audience(), Some("aud"));
    assert_eq!(config.redirect_uri(), "http://localhost:1457/auth/callback");
    assert_eq!(config.authorization_endpoint(), "https://a.example.com/authorize");
    assert_eq!(config.revocation_endpoint(), "https://a.example.com/revoke");
    assert_eq!(config.device_user_code_endpoint(), "https://a.example.com/usercode");
    assert_eq!(config.device_token_endpoint(), "https://a.example.com/devicetoken");
    assert_eq!(config.device_verification_url(), "https://a.example.com/device");
    assert_eq!(config.device_redirect_uri(), "https://a.example.com/devicecb");
    assert_eq!(config.discovery_url(), Some("https://a.example.com/.well-known/openid-configuration"));
    assert_eq!(config.originator(), "o");
    assert_eq!(config.allowed_workspace_ids(), ["ws-1", "ws-2"]);
    config.validate().expect("valid");
}

#[test]
fn validate_accepts_plain_http_only_for_loopback_hosts() {
    for endpoint in [
        "http://localhost:8080/oauth/token",
        "http://LOCALHOST/oauth/token",
        "http://127.0.0.1:8080/oauth/token",
        "http://127.5.6.7/oauth/token",
        "http://[::1]:8080/oauth/token",
    ] {
        let config = OAuthConfig::default().with_token_endpoint(endpoint);
        config.validate().unwrap_or_else(|e| panic!("{endpoint} should be accepted: {e}"));
    }
    for endpoint in [
        "http://auth.example.com/oauth/token",
        "http://127.0.0.1.example.com/oauth/token",
        "http://localhost.example.com/oauth/token",
        "http://10.0.0.1/oauth/token",
        "http://[::2]/oauth/token",
    ] {
        let message = config_error(&OAuthConfig::default().with_token_endpoint(endpoint));
        assert!(message.contains("token_endpoint"), "{message}");
        assert!(message.contains("CODEX_OAUTH_TOKEN_ENDPOINT"), "{message}");
        assert!(message.contains("https"), "{message}");
    }
}

#[test]
fn validate_rejects_a_plain_http_authorization_endpoint() {
    let message = config_error(
        &OAuthConfig::default().with_authorization_endpoint("http://auth.example.com/authorize"),
    );
    assert!(message.contains("authorization_endpoint"), "{message}");
    assert!(message.contains("CODEX_OAUTH_AUTHORIZATION_ENDPOINT"), "{message}");
}

#[test]
fn validate_rejects_urls_that_are_not_absolute_or_not_web() {
    for endpoint in
        ["not a url", "/oauth/token", "auth.openai.com/oauth/token", "ftp://auth.example.com/token"]
    {
        let message = config_error(&OAuthConfig::default().with_token_endpoint(endpoint));
        assert!(message.contains("token_endpoint"), "{endpoint}: {message}");
    }
    let message = config_error(&OAuthConfig::default().with_redirect_uri("localhost:1455/auth/callback"));
    assert!(message.contains("redirect_uri"), "{message}");
    let message =
        config_error(&OAuthConfig::default().with_discovery_url(Some("http://id.example.com".to_owned())));
    assert!(message.contains("discovery_url"), "{message}");
}

#[test]
fn validate_rejects_an_empty_client_id_or_scope() {
    assert!(config_error(&OAuthConfig::default().with_client_id(" ")).contains("client_id"));
    assert!(config_error(&OAuthConfig::default().with_scope("")).contains("scope"));
}
