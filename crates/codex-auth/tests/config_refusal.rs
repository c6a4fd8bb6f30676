//! The OAuth configuration refuses endpoints that would leak credentials: plain `http` to a
//! host other than loopback, and a user name or password inside the URL. The error names the
//! setting, the problem and the fix, and never repeats a password.

use codex_auth::{AuthError, OAuthClient, OAuthConfig};

const PASSWORD: &str = "hunter2-Secret-9";

fn refused(config: &OAuthConfig) -> (String, String) {
    match config.validate() {
        Err(AuthError::InvalidConfig { setting, reason }) => {
            let text =
                AuthError::InvalidConfig { setting: setting.clone(), reason: reason.clone() }.to_string();
            assert!(OAuthClient::new(config.clone()).is_err(), "the client refuses it too");
            (setting, text)
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn plain_http_endpoints_off_loopback_are_refused() {
    let base = OAuthConfig::default();
    let cases = [
        ("token_endpoint", base.clone().with_token_endpoint("http://auth.example.com/oauth/token")),
        (
            "authorization_endpoint",
            base.clone().with_authorization_endpoint("http://auth.example.com/authorize"),
        ),
        ("token_endpoint", base.clone().with_token_endpoint("http://127.0.0.1.example.com/oauth/token")),
        ("token_endpoint", base.clone().with_token_endpoint("http://localhost.example.com/oauth/token")),
        ("token_endpoint", base.clone().with_token_endpoint("ftp://auth.example.com/oauth/token")),
        (
            "discovery_url",
            base.clone().with_discovery_url(Some("http://10.0.0.1/.well-known/openid-configuration".into())),
        ),
    ];
    for (setting, config) in cases {
        let (named, text) = refused(&config);
        assert!(named.starts_with(setting), "{named}");
        assert!(text.contains("https"), "the fix is named: {text}");
    }
}

#[test]
fn loopback_http_endpoints_are_accepted() {
    for host in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "127.1.2.3"] {
        let config = OAuthConfig::default()
            .with_authorization_endpoint(format!("http://{host}/oauth/authorize"))
            .with_token_endpoint(format!("http://{host}/oauth/token"));
        config.validate().unwrap_or_else(|e| panic!("{host}: {e}"));
    }
}

#[test]
fn credentials_in_an_endpoint_url_are_refused_without_repeating_them() {
    let base = OAuthConfig::default();
    let cases = [
        (
            "token_endpoint",
            base.clone().with_token_endpoint(format!("https://user:{PASSWORD}@auth.example.com/oauth/token")),
        ),
        (
            "token_endpoint",
            base.clone().with_token_endpoint(format!("https://:{PASSWORD}@auth.example.com/oauth/token")),
        ),
        (
            "token_endpoint",
            base.clone().with_token_endpoint(format!("https://{PASSWORD}@auth.example.com/oauth/token")),
        ),
        (
            "authorization_endpoint",
            base.clone()
                .with_authorization_endpoint(format!("https://user:{PASSWORD}@auth.example.com/authorize")),
        ),
        (
            "token_endpoint",
            base.clone().with_token_endpoint(format!("http://user:{PASSWORD}@127.0.0.1:9/token")),
        ),
        ("issuer", base.clone().with_issuer(format!("https://user:{PASSWORD}@auth.example.com"))),
    ];
    for (setting, config) in cases {
        let (named, text) = refused(&config);
        assert!(named.starts_with(setting), "{named}");
        assert!(text.contains("user name or password") && text.contains("remove"), "{text}");
        assert!(!text.contains(PASSWORD), "the password is not repeated: {text}");
        let debug = format!("{:?}", config.validate().unwrap_err());
        assert!(!debug.contains(PASSWORD), "nor in Debug: {debug}");
    }
}
