use codex_auth::{AuthError, AuthorizationRequest, OAuthConfig, OAuthState, PkceCodes, PkceVerifier};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const STATE: &str = "state-0123456789abcdefghijklmnopqrstuvwxyzABC";

fn request(config: &OAuthConfig) -> AuthorizationRequest {
    let pkce = PkceCodes::from_verifier(PkceVerifier::new(VERIFIER).expect("valid"));
    AuthorizationRequest::with_pkce_and_state(config, pkce, OAuthState::new(STATE)).expect("valid request")
}

fn pairs(request: &AuthorizationRequest) -> Vec<(String, String)> {
    request.url().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

#[test]
fn url_has_every_parameter_in_order() {
    let request = request(&OAuthConfig::default());
    let url = request.url();
    assert_eq!(url.scheme(), "https");
    assert_eq!(url.host_str(), Some("auth.openai.com"));
    assert_eq!(url.path(), "/oauth/authorize");
    let expected: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", "app_EMoamEEZ73f0CkXaXp7hrann"),
        ("redirect_uri", "http://localhost:1455/auth/callback"),
        ("scope", "openid profile email offline_access"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", STATE),
        ("originator", "codex_cli_rs"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(pairs(&request), expected);
}

#[test]
fn url_percent_encodes_values_as_the_codex_cli_does() {
    let request = request(&OAuthConfig::default());
    assert_eq!(
        request.url().as_str(),
        format!(
            "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann\
             &redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback\
             &scope=openid%20profile%20email%20offline_access&code_challenge={CHALLENGE}\
             &code_challenge_method=S256&id_token_add_organizations=true&codex_cli_simplified_flow=true\
             &state={STATE}&originator=codex_cli_rs"
        )
    );
}

#[test]
fn audience_and_workspace_appear_only_when_set() {
    let plain = request(&OAuthConfig::default());
    assert!(!pairs(&plain).iter().any(|(k, _)| k == "audience" || k == "allowed_workspace_id"));

    let config = OAuthConfig::default()
        .with_audience(Some("https://api.openai.com/v1".to_owned()))
        .with_allowed_workspace_ids(["ws-1", "ws-2"]);
    let with = pairs(&request(&config));
    assert_eq!(with.len(), 12);
    assert_eq!(with[10], ("audience".to_owned(), "https://api.openai.com/v1".to_owned()));
    assert_eq!(with[11], ("allowed_workspace_id".to_owned(), "ws-1,ws-2".to_owned()));
}

#[test]
fn configured_values_are_used() {
    let config = OAuthConfig::default()
        .with_client_id("client & co")
        .with_redirect_uri("http://localhost:1457/auth/callback")
        .with_scope("openid profile email offline_access api.connectors.read api.connectors.invoke")
        .with_originator("my_app")
        .with_authorization_endpoint("http://127.0.0.1:8080/authorize");
    let request = request(&config);
    assert!(request.url().as_str().starts_with("http://127.0.0.1:8080/authorize?response_type=code&"));
    let pairs = pairs(&request);
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(get("client_id"), Some("client & co"));
    assert_eq!(get("redirect_uri"), Some("http://localhost:1457/auth/callback"));
    assert_eq!(
        get("scope"),
        Some("openid profile email offline_access api.connectors.read api.connectors.invoke")
    );
    assert_eq!(get("originator"), Some("my_app"));
    assert_eq!(request.redirect_uri(), "http://localhost:1457/auth/callback");
}

#[test]
fn new_generates_fresh_pkce_and_state() {
    let config = OAuthConfig::default();
    let first = AuthorizationRequest::new(&config).expect("valid");
    let second = AuthorizationRequest::new(&config).expect("valid");
    assert_ne!(first.state(), second.state());
    assert_ne!(first.pkce(), second.pkce());
    let pairs = pairs(&first);
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    assert_eq!(get("state").as_deref(), Some(first.state().expose_secret()));
    assert_eq!(get("code_challenge").as_deref(), Some(first.pkce().verifier().challenge().as_str()));
}

#[test]
fn an_invalid_config_is_refused() {
    let config = OAuthConfig::default().with_authorization_endpoint("http://auth.example.com/authorize");
    assert!(matches!(AuthorizationRequest::new(&config), Err(AuthError::InvalidConfig { .. })));
    let config = OAuthConfig::default().with_authorization_endpoint("https://auth.example.com/authorize?x=1");
    let err = AuthorizationRequest::new(&config).expect_err("query in endpoint");
    assert!(err.to_string().contains("authorization_endpoint"), "{err}");
}

#[test]
fn the_request_parses_its_own_callback() {
    let request = request(&OAuthConfig::default());
    let code = request
        .parse_callback(&format!("http://localhost:1455/auth/callback?code=ac_1&state={STATE}"))
        .expect("matching state");
    assert_eq!(code.expose_secret(), "ac_1");
}
