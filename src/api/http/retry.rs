//! The retry policy: how long to back off (exponential, with jitter), how long a 429 asks to
//! wait (`Retry-After` as seconds or a date), and when to give up instead (a wait above
//! `--max-retry-wait`, `QUOTA_EXCEEDED`, retries used up: exit 5). The loop that applies it is
//! [`super::Http::send`].

use super::request::{Request, Response};
use crate::error::{Error, Result};
use rand::RngExt;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub max_retry_wait: Duration,
    /// First backoff step for 5xx/network errors and 429s without `Retry-After`.
    pub base_backoff: Duration,
    pub timeout: Duration,
}

impl RetryPolicy {
    pub(super) fn backoff(&self, retry: u32) -> Duration {
        let base = self.base_backoff.as_millis() as u64;
        let max = base.saturating_mul(1u64 << retry.min(16)).min(30_000);
        // "Equal jitter": at least half the step, so waits still grow.
        let ms = max / 2 + rand::rng().random_range(0..=max / 2);
        Duration::from_millis(ms)
    }

    /// How long a 429 asks us to wait, or the exit-5 error when we will not.
    pub(super) fn rate_limit_wait(
        &self,
        req: &Request,
        resp: &Response,
        retries: u32,
    ) -> Result<Duration> {
        let retry_after = parse_retry_after(&resp.headers, SystemTime::now());
        let shown = retry_after
            .map(|d| format!(" (Retry-After: {})", human_wait(d)))
            .unwrap_or_default();
        if is_quota_exceeded(&resp.body) {
            return Err(Error::RateLimited(format!(
                "{}: the app's quota is exhausted (429 QUOTA_EXCEEDED){shown}; waiting a few seconds will not help — try again later or ask Spotify for more quota",
                req.label()
            )));
        }
        let wait = retry_after.unwrap_or_else(|| self.backoff(retries).max(Duration::from_secs(1)));
        if wait > self.max_retry_wait {
            let until = httpdate::fmt_http_date(SystemTime::now() + wait);
            return Err(Error::RateLimited(format!(
                "{}: rate limited; Spotify asks to wait {} (until {until}), longer than --max-retry-wait {}s; try again then",
                req.label(),
                human_wait(wait),
                self.max_retry_wait.as_secs()
            )));
        }
        if retries >= self.max_retries {
            return Err(Error::RateLimited(format!(
                "{}: still rate limited (429) after {}; try again in a minute",
                req.label(),
                plural(retries, "retry", "retries")
            )));
        }
        Ok(wait)
    }
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3). Garbage counts as absent; a
/// number of seconds too large for any integer is "very long", not absent.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs.min(10 * 365 * 86400)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn is_quota_exceeded(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/reason")
                .and_then(|r| r.as_str())
                .map(|r| r == "QUOTA_EXCEEDED")
        })
        .unwrap_or(false)
}

pub(super) fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "24 h", "90 s", "2 h 5 min".
pub fn human_wait(d: Duration) -> String {
    let s = d.as_secs();
    if s < 120 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s.div_ceil(60))
    } else if s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after(&h("1"), now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(parse_retry_after(&h("0"), now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&h("garbage"), now), None);
        assert_eq!(parse_retry_after(&h("-5"), now), None);
        assert_eq!(
            parse_retry_after(&h("99999999999999999999999999"), now),
            Some(Duration::from_secs(10 * 365 * 86400)),
            "beyond u64 is very long, not absent"
        );
        assert_eq!(parse_retry_after(&HeaderMap::new(), now), None);
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&h(&date), now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&h(&past), now), Some(Duration::ZERO));
    }

    #[test]
    fn quota_and_waits() {
        assert!(is_quota_exceeded(
            br#"{"error":{"status":429,"message":"Too many requests","reason":"QUOTA_EXCEEDED"}}"#
        ));
        assert!(!is_quota_exceeded(br#"{"error":{"status":429}}"#));
        assert!(!is_quota_exceeded(b"<html>"));
        assert_eq!(human_wait(Duration::from_secs(86400)), "24 h");
        assert_eq!(human_wait(Duration::from_secs(5)), "5 s");
    }

    proptest::proptest! {
        #[test]
        fn retry_after_never_panics(s in "\\PC{0,64}") {
            if let Ok(v) = HeaderValue::from_str(&s) {
                let mut m = HeaderMap::new();
                m.insert(RETRY_AFTER, v);
                let _ = parse_retry_after(&m, SystemTime::now());
            }
        }
    }
}
