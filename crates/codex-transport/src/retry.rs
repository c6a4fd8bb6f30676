//! The retry policy: which failures are retried, how long to wait, and when to give up.
//!
//! The classifier ([`classify`]) is separate from the loop that retries (in `client.rs`), so
//! the rules read in one place:
//!
//! * 401 → the authenticator recovers (refresh) once, then the request is retried; a second
//!   401 is an error (handled by the loop, not here);
//! * 408, 429 (not usage limits), 5xx, and connection failures before any response byte →
//!   exponential backoff with jitter (`backon`), or the server's `retry-after-ms` /
//!   `Retry-After` (seconds or HTTP date) when given, up to [`RetryPolicy::max_server_delay`];
//!   a longer server delay is not waited for: the error says when to come back;
//! * `x-should-retry: true|false` overrides the status rule;
//! * usage limits (`usage_limit_reached`, `usage_not_included`) are never retried;
//! * nothing is retried once bytes of a stream were handed to the caller.

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use hyper::HeaderMap;

use crate::error::{ErrorKind, SdkRequestError};

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2, as the original SDK).
    pub max_retries: u32,
    /// The first backoff delay (default 250 ms); each next one doubles, with jitter.
    pub base_delay: Duration,
    /// The longest backoff delay (default 8 s).
    pub max_delay: Duration,
    /// The longest server-requested delay the client waits for (default 60 s).
    pub max_server_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_server_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }

    /// The backoff delays, one per retry, with jitter.
    pub(crate) fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_retries as usize)
            .build()
    }
}

/// The delay the server asked for: `retry-after-ms`, else `Retry-After` in seconds or as an
/// HTTP date.
pub(crate) fn server_delay(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) =
        headers.get("retry-after-ms").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Retry, after the server's delay if it gave one.
    Retry(Option<Duration>),
    /// Do not retry.
    Stop,
}

/// Classifies an error response (not 401, which the loop handles with the authenticator).
pub(crate) fn classify(headers: Option<&HeaderMap>, error: &SdkRequestError) -> Verdict {
    if matches!(error.kind.clone(), ErrorKind::UsageLimit { .. }) {
        return Verdict::Stop;
    }
    let delay = headers.and_then(server_delay);
    match headers.and_then(|h| h.get("x-should-retry")).and_then(|v| v.to_str().ok()) {
        Some("true") => return Verdict::Retry(delay),
        Some("false") => return Verdict::Stop,
        _ => {}
    }
    if error.retryable { Verdict::Retry(delay) } else { Verdict::Stop }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn server_delays() {
        assert_eq!(server_delay(&headers(&[("retry-after-ms", "1500")])), Some(Duration::from_millis(1500)));
        assert_eq!(server_delay(&headers(&[("retry-after", "7")])), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let from_date = server_delay(&headers(&[("retry-after", &date)])).unwrap();
        assert!(
            from_date > Duration::from_secs(100) && from_date <= Duration::from_secs(120),
            "{from_date:?}"
        );
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(120));
        assert_eq!(server_delay(&headers(&[("retry-after", &past)])), Some(Duration::ZERO));
        assert_eq!(server_delay(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(server_delay(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_stops() {
        let policy = RetryPolicy { max_retries: 4, ..RetryPolicy::default() };
        let delays: Vec<Duration> = policy.delays().collect();
        assert_eq!(delays.len(), 4);
        for (i, delay) in delays.iter().enumerate() {
            let floor = policy.base_delay * 2u32.pow(i as u32);
            assert!(*delay >= floor.min(policy.max_delay), "{i}: {delay:?}");
            assert!(*delay <= (floor * 2).min(policy.max_delay * 2), "{i}: {delay:?}");
        }
        assert_eq!(RetryPolicy::none().delays().count(), 0);
    }

    #[test]
    fn should_retry_header_overrides() {
        let retryable = SdkRequestError::network("reset");
        let fatal = SdkRequestError::decode("bad");
        assert_eq!(classify(Some(&headers(&[("x-should-retry", "false")])), &retryable), Verdict::Stop);
        assert_eq!(classify(Some(&headers(&[("x-should-retry", "true")])), &fatal), Verdict::Retry(None));
        assert_eq!(classify(None, &retryable), Verdict::Retry(None));
        let usage = SdkRequestError::from_provider(Some("usage_limit_reached"), "limit");
        assert_eq!(classify(Some(&headers(&[("x-should-retry", "true")])), &usage), Verdict::Stop);
    }
}
