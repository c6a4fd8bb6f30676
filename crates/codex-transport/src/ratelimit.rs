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

/// The `x-codex-*` headers of one response, read in one pass over the header map (a response
/// carries a dozen of them; looking each name up would hash it every time).
#[derive(Default)]
struct CodexHeaders<'a> {
    primary: WindowHeaders<'a>,
    secondary: WindowHeaders<'a>,
    has_credits: Option<&'a str>,
    unlimited: Option<&'a str>,
    balance: Option<&'a str>,
    plan_type: Option<&'a str>,
    active_limit: Option<&'a str>,
}

/// The headers of one window family (`x-codex-primary-*` or `x-codex-secondary-*`).
#[derive(Default)]
struct WindowHeaders<'a> {
    used_percent: Option<&'a str>,
    window_minutes: Option<&'a str>,
    reset_at: Option<&'a str>,
    reset_after_seconds: Option<&'a str>,
}

impl<'a> CodexHeaders<'a> {
    fn read(headers: &'a HeaderMap) -> Self {
        let mut out = CodexHeaders::default();
        for (name, value) in headers {
            let Some(rest) = name.as_str().strip_prefix("x-codex-") else { continue };
            // A repeated header counts once: its first value that is text and not blank.
            let Some(value) = value.to_str().ok().map(str::trim).filter(|v| !v.is_empty()) else { continue };
            let slot = match rest {
                "credits-has-credits" => &mut out.has_credits,
                "credits-unlimited" => &mut out.unlimited,
                "credits-balance" => &mut out.balance,
                "plan-type" => &mut out.plan_type,
                "active-limit" => &mut out.active_limit,
                _ => {
                    let (window, field) = if let Some(field) = rest.strip_prefix("primary-") {
                        (&mut out.primary, field)
                    } else if let Some(field) = rest.strip_prefix("secondary-") {
                        (&mut out.secondary, field)
                    } else {
                        continue;
                    };
                    match field {
                        "used-percent" => &mut window.used_percent,
                        "window-minutes" => &mut window.window_minutes,
                        "reset-at" => &mut window.reset_at,
                        "reset-after-seconds" => &mut window.reset_after_seconds,
                        _ => continue,
                    }
                }
            };
            slot.get_or_insert(value);
        }
        out
    }
}

fn flag(value: Option<&str>) -> Option<bool> {
    match value? {
        v if v.eq_ignore_ascii_case("true") || v == "1" => Some(true),
        v if v.eq_ignore_ascii_case("false") || v == "0" => Some(false),
        _ => None,
    }
}

fn number(value: Option<&str>) -> Option<u64> {
    let text = value?;
    text.parse::<u64>().ok().or_else(|| text.parse::<f64>().ok().filter(|f| *f >= 0.0).map(|f| f as u64))
}

fn window(headers: &WindowHeaders<'_>, now: u64) -> Option<RateLimitWindow> {
    let used_percent: f64 = headers.used_percent?.parse().ok()?;
    let window_minutes = number(headers.window_minutes);
    let reset_at_header = number(headers.reset_at);
    let reset_after_header = number(headers.reset_after_seconds);
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
        let found = CodexHeaders::read(headers);
        let credits = RateLimitCredits {
            has_credits: flag(found.has_credits),
            unlimited: flag(found.unlimited),
            balance: found.balance.map(str::to_owned),
        };
        let limits = RateLimits {
            primary: window(&found.primary, now),
            secondary: window(&found.secondary, now),
            credits: (credits != RateLimitCredits::default()).then_some(credits),
            plan_type: found.plan_type.map(str::to_owned),
            active_limit: found.active_limit.map(str::to_owned),
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

    #[test]
    fn first_value_wins_and_other_codex_headers_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.append("x-codex-primary-used-percent", "40".parse().unwrap());
        headers.append("x-codex-primary-used-percent", "90".parse().unwrap());
        headers.insert("x-codex-primary-something-new", "7".parse().unwrap());
        headers.insert("x-codex-tertiary-used-percent", "5".parse().unwrap());
        headers.insert("x-codex-plan-type", " pro ".parse().unwrap());
        headers.insert("x-codex-credits-unlimited", "TRUE".parse().unwrap());
        headers.insert("x-codex-credits-has-credits", "maybe".parse().unwrap());
        let limits = RateLimits::from_headers(&headers).unwrap();
        assert_eq!(limits.primary.unwrap().used_percent, 40.0);
        assert!(limits.secondary.is_none());
        assert_eq!(limits.plan_type.as_deref(), Some("pro"));
        let credits = limits.credits.unwrap();
        assert_eq!((credits.has_credits, credits.unlimited), (None, Some(true)));
        let mut only_plan = HeaderMap::new();
        only_plan.insert("x-codex-plan-type", "plus".parse().unwrap());
        assert!(RateLimits::from_headers(&only_plan).is_none(), "a plan type alone is no snapshot");
    }
}
