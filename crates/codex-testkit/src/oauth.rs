//! The fake OpenAI OAuth server: discovery, authorize, token (code exchange and rotating
//! refresh), device code, revoke.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, LOCATION};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::registry::{CodeGrant, DeviceGrant, RefreshFailure, RefreshState, TokenRegistry};
use crate::server::{FakeBody, Handler, RunningServer, full, read_body, serve};
use crate::tls::TestCa;

/// The Codex CLI's public client id; the fake accepts only it unless told otherwise.
pub const CODEX_CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

#[derive(Debug)]
struct OAuthSwitches {
    discovery: AtomicBool,
    deny_next_authorization: AtomicBool,
    device_interval: AtomicU64,
}

/// The fake OAuth server. Starts in one line, shuts down on drop.
pub struct FakeOAuth {
    server: RunningServer,
    registry: TokenRegistry,
    switches: Arc<OAuthSwitches>,
    ca: Option<TestCa>,
}

impl std::fmt::Debug for FakeOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOAuth").field("issuer", &self.issuer()).finish_non_exhaustive()
    }
}

impl FakeOAuth {
    /// Starts a plain-HTTP fake with a new registry.
    pub async fn start() -> FakeOAuth {
        Self::start_with(TokenRegistry::new(), None).await
    }

    /// Starts with a given registry (share it with a [`crate::FakeCodex`]) and optional TLS.
    pub async fn start_with(registry: TokenRegistry, tls: Option<TestCa>) -> FakeOAuth {
        let switches = Arc::new(OAuthSwitches {
            discovery: AtomicBool::new(true),
            deny_next_authorization: AtomicBool::new(false),
            device_interval: AtomicU64::new(1),
        });
        let issuer_cell: Arc<std::sync::OnceLock<String>> = Arc::new(std::sync::OnceLock::new());
        let handler: Handler = {
            let registry = registry.clone();
            let switches = switches.clone();
            let issuer_cell = issuer_cell.clone();
            Arc::new(move |request| {
                let registry = registry.clone();
                let switches = switches.clone();
                let issuer = issuer_cell.get().cloned().unwrap_or_default();
                Box::pin(async move { handle(request, &registry, &switches, &issuer).await })
            })
        };
        let server = serve(handler, tls.as_ref().map(TestCa::acceptor)).await.expect("127.0.0.1 binds");
        let _ = issuer_cell.set(server.origin());
        FakeOAuth { server, registry, switches, ca: tls }
    }

    /// The issuer URL (`http://127.0.0.1:PORT`); endpoints are `{issuer}/oauth/…`.
    pub fn issuer(&self) -> String {
        self.server.origin()
    }

    /// `{issuer}/oauth/token`.
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.issuer())
    }

    /// `{issuer}/oauth/authorize`.
    pub fn authorization_endpoint(&self) -> String {
        format!("{}/oauth/authorize", self.issuer())
    }

    /// `{issuer}/.well-known/oauth-authorization-server`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/oauth-authorization-server", self.issuer())
    }

    /// The CA to trust when the fake serves HTTPS.
    pub fn ca(&self) -> Option<&TestCa> {
        self.ca.as_ref()
    }

    /// The shared token registry (counters, failure injection, token lifetime, account).
    pub fn registry(&self) -> &TokenRegistry {
        &self.registry
    }

    /// Turns the discovery document on or off (off: 404, to test fallback to defaults).
    pub fn set_discovery(&self, on: bool) {
        self.switches.discovery.store(on, Ordering::SeqCst);
    }

    /// The next authorization answers `error=access_denied` instead of a code.
    pub fn deny_next_authorization(&self) {
        self.switches.deny_next_authorization.store(true, Ordering::SeqCst);
    }

    /// The polling interval the device endpoint announces, in seconds (sent as a string).
    pub fn set_device_interval(&self, seconds: u64) {
        self.switches.device_interval.store(seconds, Ordering::SeqCst);
    }

    /// Approves a pending device code, as the person would in the browser.
    pub fn approve_device(&self, user_code: &str) -> bool {
        let mut state = self.registry.state();
        let mut approved = false;
        for grant in state.devices.values_mut().filter(|g| g.user_code == user_code) {
            grant.approved = true;
            approved = true;
        }
        approved
    }

    /// How many TCP connections the server accepted.
    pub fn accepted_connections(&self) -> usize {
        self.server.accepted_connections()
    }

    /// How many connections are open now (a leak test waits for this to drop).
    pub fn open_connections(&self) -> usize {
        self.server.open_connections()
    }

    /// Issues a refresh token directly (for tests that start from a stored login).
    pub fn mint_refresh_token(&self) -> String {
        self.registry.mint_refresh_token()
    }
}

fn json_reply(status: StatusCode, body: Value) -> Response<FakeBody> {
    let mut response = Response::new(full(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, "application/json".parse().expect("static header"));
    response
}

fn text_reply(status: StatusCode, text: &str) -> Response<FakeBody> {
    let mut response = Response::new(full(text.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, "text/plain; charset=utf-8".parse().expect("static header"));
    response
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response<FakeBody> {
    json_reply(status, json!({"error": error, "error_description": description}))
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect()
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// base64url-no-pad(SHA-256(verifier)).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn redirect_allowed(redirect_uri: &str, issuer: &str) -> bool {
    let Ok(url) = url::Url::parse(redirect_uri) else { return false };
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1")) && url.scheme() == "http";
    (loopback && url.path() == "/auth/callback") || redirect_uri == format!("{issuer}/deviceauth/callback")
}

async fn handle(
    request: Request<Incoming>,
    registry: &TokenRegistry,
    switches: &OAuthSwitches,
    issuer: &str,
) -> Response<FakeBody> {
    let (parts, body) = request.into_parts();
    let body = read_body(body).await;
    let content_type = parts.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/.well-known/oauth-authorization-server" | "/.well-known/openid-configuration") => {
            if !switches.discovery.load(Ordering::SeqCst) {
                return text_reply(StatusCode::NOT_FOUND, "Not Found");
            }
            json_reply(
                StatusCode::OK,
                json!({
                    "issuer": issuer,
                    "authorization_endpoint": format!("{issuer}/oauth/authorize"),
                    "token_endpoint": format!("{issuer}/oauth/token"),
                    "revocation_endpoint": format!("{issuer}/oauth/revoke"),
                    "device_authorization_endpoint": format!("{issuer}/api/accounts/deviceauth/usercode"),
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code", "refresh_token"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["none"],
                }),
            )
        }
        (&Method::GET, "/oauth/authorize") => authorize(parts.uri.query(), registry, switches, issuer),
        (&Method::POST, "/oauth/token") => token(&content_type, &body, registry),
        (&Method::POST, "/oauth/revoke") => {
            // JSON as the Codex CLI sends it to OpenAI, or the RFC 7009 form.
            let token: Option<String> = if content_type.starts_with("application/x-www-form-urlencoded") {
                url::form_urlencoded::parse(&body).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned())
            } else {
                match serde_json::from_slice::<Value>(&body) {
                    Ok(request) => request.get("token").and_then(Value::as_str).map(str::to_owned),
                    Err(_) => {
                        return oauth_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_request",
                            "revoke expects JSON or a form",
                        );
                    }
                }
            };
            registry.count_revocation();
            if let Some(token) = token.as_deref() {
                let mut state = registry.state();
                if let Some(refresh) = state.refresh.get_mut(token) {
                    *refresh = RefreshState::Revoked;
                }
                state.access.remove(token);
            }
            json_reply(StatusCode::OK, json!({}))
        }
        (&Method::POST, "/api/accounts/deviceauth/usercode") => {
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if request.get("client_id").and_then(Value::as_str) != Some(CODEX_CLIENT_ID) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "unknown client_id");
            }
            let device_auth_id = registry.opaque("deviceauth");
            let serial = registry.serial();
            let user_code = format!("FAKE-{:04}", serial % 10_000);
            let verifier =
                registry.opaque("device-verifier-padding-to-meet-the-forty-three-character-minimum");
            crate::sweep::record_secret(crate::sweep::SecretKind::CodeVerifier, &verifier);
            let challenge = s256(&verifier);
            registry.state().devices.insert(
                device_auth_id.clone(),
                DeviceGrant { user_code: user_code.clone(), approved: false, verifier, challenge },
            );
            let interval = switches.device_interval.load(Ordering::SeqCst).to_string();
            json_reply(
                StatusCode::OK,
                json!({"device_auth_id": device_auth_id, "user_code": user_code, "interval": interval}),
            )
        }
        (&Method::POST, "/api/accounts/deviceauth/token") => {
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let id = request.get("device_auth_id").and_then(Value::as_str).unwrap_or_default();
            let code = request.get("user_code").and_then(Value::as_str).unwrap_or_default();
            let grant = registry.state().devices.get(id).cloned();
            match grant {
                Some(grant) if grant.user_code == code && grant.approved => {
                    registry.state().devices.remove(id);
                    let authorization_code = registry.opaque("device_code");
                    crate::sweep::record_secret(
                        crate::sweep::SecretKind::AuthorizationCode,
                        &authorization_code,
                    );
                    registry.state().codes.insert(
                        authorization_code.clone(),
                        CodeGrant {
                            challenge: grant.challenge.clone(),
                            redirect_uri: format!("{issuer}/deviceauth/callback"),
                            client_id: CODEX_CLIENT_ID.to_owned(),
                        },
                    );
                    json_reply(
                        StatusCode::OK,
                        json!({"authorization_code": authorization_code, "code_challenge": grant.challenge,
                            "code_verifier": grant.verifier}),
                    )
                }
                Some(grant) if grant.user_code == code => {
                    json_reply(StatusCode::FORBIDDEN, json!({"error": "authorization_pending"}))
                }
                _ => json_reply(StatusCode::NOT_FOUND, json!({"error": "unknown device code"})),
            }
        }
        _ => text_reply(StatusCode::NOT_FOUND, "Not Found"),
    }
}

fn authorize(
    query: Option<&str>,
    registry: &TokenRegistry,
    switches: &OAuthSwitches,
    issuer: &str,
) -> Response<FakeBody> {
    let pairs = query_pairs(query);
    let Some(redirect_uri) = get(&pairs, "redirect_uri").filter(|r| redirect_allowed(r, issuer)) else {
        return text_reply(StatusCode::BAD_REQUEST, "invalid redirect_uri");
    };
    let problems = [
        (get(&pairs, "response_type") != Some("code"), "response_type must be code"),
        (get(&pairs, "client_id") != Some(CODEX_CLIENT_ID), "unknown client_id"),
        (get(&pairs, "code_challenge_method") != Some("S256"), "code_challenge_method must be S256"),
        (get(&pairs, "code_challenge").is_none_or(str::is_empty), "code_challenge is required"),
        (get(&pairs, "state").is_none_or(str::is_empty), "state is required"),
    ];
    if let Some((_, problem)) = problems.iter().find(|(bad, _)| *bad) {
        return text_reply(StatusCode::BAD_REQUEST, problem);
    }
    let state = get(&pairs, "state").unwrap_or_default();
    let mut location = url::Url::parse(redirect_uri).expect("checked above");
    if switches.deny_next_authorization.swap(false, Ordering::SeqCst) {
        location
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", "The user denied the request")
            .append_pair("state", state);
    } else {
        let code = registry.opaque("ac");
        crate::sweep::record_secret(crate::sweep::SecretKind::AuthorizationCode, &code);
        registry.state().codes.insert(
            code.clone(),
            CodeGrant {
                challenge: get(&pairs, "code_challenge").unwrap_or_default().to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                client_id: CODEX_CLIENT_ID.to_owned(),
            },
        );
        location.query_pairs_mut().append_pair("code", &code).append_pair("state", state);
    }
    let mut response = Response::new(full(""));
    *response.status_mut() = StatusCode::FOUND;
    response.headers_mut().insert(LOCATION, location.as_str().parse().expect("a URL is a header value"));
    response
}

fn token_set(registry: &TokenRegistry) -> Value {
    json!({
        "id_token": registry.mint_id_token(),
        "access_token": registry.mint_access_token(),
        "refresh_token": registry.mint_refresh_token(),
        "expires_in": registry.access_lifetime().as_secs(),
        "token_type": "Bearer",
        "scope": "openid profile email offline_access",
    })
}

fn token(content_type: &str, body: &[u8], registry: &TokenRegistry) -> Response<FakeBody> {
    let fields: Vec<(String, String)> = if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => {
                map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect()
            }
            _ => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the body is not a JSON object",
                );
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        url::form_urlencoded::parse(body).into_owned().collect()
    } else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "unsupported content type");
    };
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    match get(&fields, "grant_type") {
        Some("authorization_code") => {
            if !form {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the code exchange is form-encoded",
                );
            }
            let code = get(&fields, "code").unwrap_or_default();
            let Some(grant) = registry.state().codes.remove(code) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown, expired or already used code",
                );
            };
            if get(&fields, "client_id") != Some(grant.client_id.as_str()) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_client",
                    "client_id does not match the code",
                );
            }
            if get(&fields, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri does not match the authorization",
                );
            }
            let verifier = get(&fields, "code_verifier").unwrap_or_default();
            crate::sweep::record_secret(crate::sweep::SecretKind::CodeVerifier, verifier);
            if s256(verifier) != grant.challenge {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "PKCE verification failed");
            }
            registry.count_exchange();
            json_reply(StatusCode::OK, token_set(registry))
        }
        Some("refresh_token") => {
            registry.count_refresh();
            if get(&fields, "client_id") != Some(CODEX_CLIENT_ID) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "unknown client_id");
            }
            let refresh = get(&fields, "refresh_token").unwrap_or_default();
            let failure = registry.state().next_refresh_failure.take();
            let refresh_error = |code: &str, message: &str| {
                json_reply(
                    StatusCode::UNAUTHORIZED,
                    json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}}),
                )
            };
            match failure {
                Some(RefreshFailure::Expired) => {
                    return refresh_error(
                        "refresh_token_expired",
                        "Your refresh token has expired. Please try signing in again.",
                    );
                }
                Some(RefreshFailure::Invalidated) => {
                    return refresh_error(
                        "refresh_token_invalidated",
                        "Your refresh token has been invalidated. Please try signing in again.",
                    );
                }
                Some(RefreshFailure::ServerError) => {
                    return json_reply(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        json!({"error": {"message": "internal error"}}),
                    );
                }
                None => {}
            }
            // Check and spend under one lock, so two concurrent uses of one token cannot both win.
            let current = {
                let mut state = registry.state();
                let current = state.refresh.get(refresh).copied();
                if current == Some(RefreshState::Active) {
                    state.refresh.insert(refresh.to_owned(), RefreshState::Used);
                }
                current
            };
            match current {
                Some(RefreshState::Active) => json_reply(StatusCode::OK, token_set(registry)),
                Some(RefreshState::Used) => {
                    registry.count_refresh_reuse();
                    refresh_error(
                        "refresh_token_reused",
                        "Your refresh token has already been used to generate a new access token. Please try signing in again.",
                    )
                }
                Some(RefreshState::Revoked) => refresh_error(
                    "refresh_token_invalidated",
                    "Your refresh token has been invalidated. Please try signing in again.",
                ),
                None => refresh_error("invalid_grant", "Unknown refresh token."),
            }
        }
        Some(other) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("{other} is not supported"),
        ),
        None => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            super::s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
