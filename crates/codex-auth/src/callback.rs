//! Reading the callback of the paste flow: the address the browser was sent back to after
//! sign-in, pasted by the user.

use url::Url;
use zeroize::Zeroizing;

use crate::error::{AuthError, Result};
use crate::secret::{AuthorizationCode, OAuthState};

/// The longest `error`/`error_description` text kept for a message.
const MAX_PROVIDER_TEXT: usize = 300;

/// Reads a pasted callback and returns its authorization code.
///
/// `input` is the full callback URL (`http://localhost:1455/auth/callback?code=…&state=…`) or
/// just its query string (with or without the leading `?`); surrounding whitespace is ignored.
/// The checks, in order:
///
/// 1. it must parse, have well-formed percent-escapes that decode to UTF-8, and carry `code`,
///    `state`, `error` and `error_description` at most once each, else
///    [`AuthError::OAuthCallbackParse`] naming what is wrong;
/// 2. `state` must be present and equal `expected_state` (compared in constant time), else
///    [`AuthError::OAuthStateMismatch`];
/// 3. an `error` parameter becomes [`AuthError::CodexNotEnabledForWorkspace`] for
///    `access_denied` with a description mentioning `missing_codex_entitlement`, and
///    [`AuthError::OAuthAuthorizationFailed`] otherwise;
/// 4. a non-empty `code` must be present, else [`AuthError::OAuthCallbackParse`].
///
/// A bare code is refused: without the state it cannot be tied to this attempt.
///
/// # Errors
///
/// As listed above. No error message contains the code or the state.
///
/// ```
/// use codex_auth::{AuthError, OAuthState, parse_callback};
///
/// let state = OAuthState::new("expected-state");
/// let code = parse_callback(
///     "http://localhost:1455/auth/callback?code=the-code&state=expected-state",
///     &state,
/// )?;
/// assert_eq!(code.expose_secret(), "the-code");
///
/// let wrong = parse_callback("code=the-code&state=other", &state);
/// assert!(matches!(wrong, Err(AuthError::OAuthStateMismatch)));
/// # Ok::<(), AuthError>(())
/// ```
pub fn parse_callback(input: &str, expected_state: &OAuthState) -> Result<AuthorizationCode> {
    let query = callback_query(input.trim())?;
    check_encoding(&query)?;

    let mut code: Option<Zeroizing<String>> = None;
    let mut state: Option<Zeroizing<String>> = None;
    let mut error: Option<String> = None;
    let mut description: Option<String> = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot_is_taken = match key.as_ref() {
            "code" => replace(&mut code, Zeroizing::new(value.into_owned())),
            "state" => replace(&mut state, Zeroizing::new(value.into_owned())),
            "error" => replace(&mut error, value.into_owned()),
            "error_description" => replace(&mut description, value.into_owned()),
            _ => false,
        };
        if slot_is_taken {
            return Err(parse_error(format!("the `{key}` parameter appears more than once")));
        }
    }

    match &state {
        Some(received) if expected_state.matches(received) => {}
        _ => return Err(AuthError::OAuthStateMismatch),
    }

    if let Some(error) = error {
        let error = clean(&error);
        let description = description.map(|d| clean(&d)).filter(|d| !d.is_empty());
        let missing_entitlement = description
            .as_deref()
            .is_some_and(|d| d.to_ascii_lowercase().contains("missing_codex_entitlement"));
        if error == "access_denied" && missing_entitlement {
            return Err(AuthError::CodexNotEnabledForWorkspace);
        }
        return Err(AuthError::OAuthAuthorizationFailed { error, description });
    }

    match code {
        Some(code) if !code.is_empty() => Ok(AuthorizationCode::new(code.as_str())),
        Some(_) => Err(parse_error("the `code` parameter is empty".to_owned())),
        None => Err(parse_error("it has no `code` parameter".to_owned())),
    }
}

/// Whether a callback's query string carries exactly one `state` parameter and it is this
/// attempt's (compared in constant time). The loopback server asks this first: a request that
/// fails it cannot come from this attempt's redirect, so it is refused without ending the flow.
pub(crate) fn query_has_state(query: &str, expected: &OAuthState) -> bool {
    let mut found: Option<Zeroizing<String>> = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key == "state" && found.replace(Zeroizing::new(value.into_owned())).is_some() {
            return false;
        }
    }
    found.is_some_and(|state| expected.matches(&state))
}

/// Refuses a query whose percent-escapes are malformed (`%` not followed by two hex digits) or
/// decode to bytes that are not UTF-8: such a query was damaged on the way (a truncated copy,
/// a double decoding), and reading it leniently would hand a mangled code to the exchange.
fn check_encoding(query: &str) -> Result<()> {
    let bytes = query.as_bytes();
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'%') {
        let at = i + offset;
        let escape = bytes.get(at + 1..at + 3);
        if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
            return Err(parse_error(
                "it has a malformed percent-escape (`%` must be followed by two hex digits); copy the \
                 address again from the browser's address bar"
                    .to_owned(),
            ));
        }
        i = at + 3;
    }
    if percent_encoding::percent_decode(bytes).decode_utf8().is_err() {
        return Err(parse_error(
            "its percent-escapes do not decode to UTF-8 text; copy the address again from the browser's \
             address bar"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Whether `input` starts with a URL scheme followed by `://` (as opposed to a query string that
/// merely contains `://` in a value).
fn starts_with_scheme(input: &str) -> bool {
    input.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Puts `value` in `slot`; returns whether the slot was already filled.
fn replace<T>(slot: &mut Option<T>, value: T) -> bool {
    slot.replace(value).is_some()
}

fn parse_error(reason: String) -> AuthError {
    AuthError::OAuthCallbackParse { reason }
}

/// The query string of a pasted callback URL, or the pasted query string itself.
fn callback_query(input: &str) -> Result<Zeroizing<String>> {
    if input.is_empty() {
        return Err(parse_error("the input is empty".to_owned()));
    }
    if starts_with_scheme(input) {
        let url = Url::parse(input)
            .map_err(|e| parse_error(format!("it looks like a URL but is not a valid one ({e})")))?;
        return match url.query() {
            Some(query) if !query.is_empty() => Ok(Zeroizing::new(query.to_owned())),
            _ => Err(parse_error(
                "the URL has no query string (the part after `?` is missing; copy the whole address)"
                    .to_owned(),
            )),
        };
    }
    let query = input.strip_prefix('?').unwrap_or(input);
    // A bare query may still carry a fragment if it was cut from a longer URL.
    let query = query.split('#').next().unwrap_or_default();
    if !query.contains('=') {
        return Err(parse_error(
            "it is neither a URL nor a query string (`code=…&state=…`); a bare code cannot be \
             checked against this sign-in attempt"
                .to_owned(),
        ));
    }
    Ok(Zeroizing::new(query.to_owned()))
}

/// Provider text made fit for a message: control characters dropped, length capped.
fn clean(text: &str) -> String {
    let mut cleaned: String = text.chars().filter(|c| !c.is_control()).collect();
    if let Some((cut, _)) = cleaned.char_indices().nth(MAX_PROVIDER_TEXT) {
        cleaned.truncate(cut);
        cleaned.push('…');
    }
    cleaned.trim().to_owned()
}
