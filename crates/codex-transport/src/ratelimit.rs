//! Rate-limit headers (`x-codex-primary-*`, `x-codex-secondary-*`, credits) as a typed snapshot.

use std::time::{SystemTime, UNIX_EPOCH};

use hyper::HeaderMap;

/// One usage window.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitWindow {
    /// Percent of the window used.
    pub used_percent: f64,
    /// The window's length, minutes.
    pub window_minutes: Option<u64>,
    /// When the window resets, Unix seconds (from `reset-at`, else now + `reset-after-seconds`).
    pub reset_at: Option<u64>,
    /// Seconds until the reset (from `reset-after-seconds`, else `reset-at` − now).
    pub reset_after_seconds: Option<u64>,
}

/// Credits reported next to the windows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateLimitCredits {
    /// Whether the account has credits.
    pub has_credits: Option<bool>,
    /// Whether credits are unlimited.
    pub unlimited: Option<bool>,
    /// The balance, as the server wrote it.
    pub balance: Option<String>,
}

/// The rate-limit snapshot of the last response.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// The short window (typically 5 hours).
    pub primary: Option<RateLimitWindow>,
    /// The long window (typically a week).
    pub secondary: Option<RateLimitWindow>,
    /// Credits, when reported.
    pub credits: Option<RateLimitCredits>,
    /// `x-codex-plan-type`.
    pub plan_type: Option<String>,
    /// `x-codex-active-limit`: which limit family describes a hit limit.
    pub active_limit: Option<String>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

fn flag(headers: &HeaderMap, name: &str) -> Option<bool> {
    match header(headers, name)?.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn window(headers: &HeaderMap, family: &str, now: u64) -> Option<RateLimitWindow> {
    let used_percent: f64 = header(headers, &format!("x-codex-{family}-used-percent"))?.parse().ok()?;
    let number = |suffix: &str| -> Option<u64> {
        let text = header(headers, &format!("x-codex-{family}-{suffix}"))?;
        text.parse::<u64>().ok().or_else(|| text.parse::<f64>().ok().filter(|f| *f >= 0.0).map(|f| f as u64))
    };
    let window_minutes = number("window-minutes");
    let reset_at_header = number("reset-at");
    let reset_after_header = number("reset-after-seconds");
    Some(RateLimitWindow {
        used_percent,
        window_minutes,
        // A huge `reset-after-seconds` from the server saturates instead of overflowing.
        reset_at: reset_at_header.or_else(|| reset_after_header.map(|after| now.saturating_add(after))),
        reset_after_seconds: reset_after_header.or_else(|| reset_at_header.map(|at| at.saturating_sub(now))),
    })
}

impl RateLimits {
    /// Reads the snapshot from response headers; `None` when the response carries none.
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimits> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let credits = RateLimitCredits {
            has_credits: flag(headers, "x-codex-credits-has-credits"),
            unlimited: flag(headers, "x-codex-credits-unlimited"),
            balance: header(headers, "x-codex-credits-balance").map(str::to_owned),
        };
        let limits = RateLimits {
            primary: window(headers, "primary", now),
            secondary: window(headers, "secondary", now),
            credits: (credits != RateLimitCredits::default()).then_some(credits),
            plan_type: header(headers, "x-codex-plan-type").map(str::to_owned),
            active_limit: header(headers, "x-codex-active-limit").map(str::to_owned),
        };
        let any = limits.primary.is_some() || limits.secondary.is_some() || limits.credits.is_some();
        any.then_some(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_reset_spellings_and_credit_flags() {
        let mut headers = HeaderMap::new();
        headers.insert("x-codex-primary-used-percent", "12.5".parse().unwrap());
        headers.insert("x-codex-primary-window-minutes", "300".parse().unwrap());
        headers.insert("x-codex-primary-reset-after-seconds", "3600".parse().unwrap());
        headers.insert("x-codex-secondary-used-percent", "3".parse().unwrap());
        headers.insert("x-codex-secondary-reset-at", "4000000000".parse().unwrap());
        headers.insert("x-codex-credits-has-credits", "False".parse().unwrap());
        headers.insert("x-codex-credits-unlimited", "1".parse().unwrap());
        let limits = RateLimits::from_headers(&headers).unwrap();
        let primary = limits.primary.unwrap();
        assert_eq!(
            (primary.used_percent, primary.window_minutes, primary.reset_after_seconds),
            (12.5, Some(300), Some(3600))
        );
        assert!(primary.reset_at.unwrap() > 1_700_000_000);
        let secondary = limits.secondary.unwrap();
        assert_eq!(secondary.reset_at, Some(4_000_000_000));
        assert!(secondary.reset_after_seconds.unwrap() > 0);
        let credits = limits.credits.unwrap();
        assert_eq!((credits.has_credits, credits.unlimited), (Some(false), Some(true)));
        assert!(RateLimits::from_headers(&HeaderMap::new()).is_none());
    }
}
