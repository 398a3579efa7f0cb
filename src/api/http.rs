//! The one HTTP choke point: every request spotctl makes (Web API and token endpoint) goes through
//! [`Http::send`], which is the only place that waits, retries and paces.
//!
//! - 429: waits `Retry-After` (seconds or an HTTP date; without it, exponential backoff). All
//!   requests to one origin share one "not before" instant, so one 429 pauses every worker, and
//!   that origin's allowed concurrency is halved for the rest of the run (once per burst: the
//!   429s of requests sent before the halving are the same event, whatever the wait). Pacing is
//!   per origin: the API's 429 never delays a token refresh (which may hold the account lock),
//!   and the token endpoint's never slows the API. A wait above `--max-retry-wait`, or a body
//!   saying `QUOTA_EXCEEDED`, fails at once (exit 5) instead of hanging (spotipy's top complaint).
//! - 500/502/503/504, connection errors and timeouts: exponential backoff with jitter, up to
//!   `--max-retries`, for requests that are safe to repeat.
//! - `--rate`: every attempt's start waits for the run's token bucket (`rate.rs`), after the
//!   concurrency permit, so queued requests never bunch up; 429s are still honoured on top.
//! - Redirects are never followed (a token endpoint that redirects is an error, not a hop).
//! - `-vv` logs one line per request: method, path, status, time. Never headers or bodies;
//!   query parameters whose name looks like a credential are masked (by pattern, any case).
//! - Bodies are read as a stream with a cap ([`API_BODY_CAP`], [`TOKEN_BODY_CAP`]): a larger
//!   one (declared or streamed) is exit 6 at once, never retried, never unbounded memory.
//! - A URL too long for any server ([`MAX_URL`]) is a usage error (exit 2), never sent.

use crate::error::{Error, Result};
use crate::secret::Secret;
use rand::RngExt;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Largest Web API response body read: a page of 50 full albums is ~150 KB and the largest
/// real objects (a playlist with 100 tracks) under 1 MB; 8 MiB is far above any of them yet
/// keeps a hostile server from costing more than concurrency × 8 MiB.
pub const API_BODY_CAP: usize = 8 << 20;
/// Largest token endpoint response read: real ones are under 2 KB (Kakao's with an id_token).
pub const TOKEN_BODY_CAP: usize = 64 << 10;
/// Longest URL sent. Common servers and proxies refuse request lines above 8–16 KB; the HTTP
/// stack cannot send more than 64 KB at all.
pub const MAX_URL: usize = 16 << 10;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub max_retry_wait: Duration,
    /// First backoff step for 5xx/network errors and 429s without `Retry-After`.
    pub base_backoff: Duration,
    pub timeout: Duration,
}

#[derive(Clone)]
pub enum Body {
    Empty,
    /// Form fields; values may be secrets (refresh tokens, codes, client secrets).
    Form(Vec<(String, String)>),
    Json(Vec<u8>),
}

/// Field names and sizes only: a form carries refresh tokens, codes and secrets.
impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Form(fields) => {
                let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                write!(f, "Form({keys:?})")
            }
            Body::Json(b) => write!(f, "Json({} bytes)", b.len()),
        }
    }
}

/// Whether a request may be sent again after it might have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// GET and friends: retry on any network error.
    Safe,
    /// POST/PUT/PATCH/DELETE: retry only when the request provably never left (connect errors)
    /// or the server said it failed (5xx, 429).
    OnlyIfNotSent,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: url::Url,
    pub bearer: Option<Secret>,
    pub basic: Option<(String, Secret)>,
    pub body: Body,
    pub replay: Replay,
}

impl Request {
    pub fn get(url: url::Url) -> Request {
        Request {
            method: reqwest::Method::GET,
            url,
            bearer: None,
            basic: None,
            body: Body::Empty,
            replay: Replay::Safe,
        }
    }

    /// "GET /v1/artists/…/albums": what error messages and logs show. No query string (it may
    /// carry user input that is noise in a one-line error), never credentials.
    pub fn label(&self) -> String {
        format!(
            "{} {}",
            self.method,
            crate::sanitize::cut_middle(self.url.path(), 200)
        )
    }

    /// Requests with a bearer token are Web API calls; the token endpoint never gets one.
    fn body_cap(&self) -> usize {
        if self.bearer.is_some() {
            API_BODY_CAP
        } else {
            TOKEN_BODY_CAP
        }
    }

    /// The host a request goes to, for network errors ("could not connect … (api.spotify.com)").
    pub fn host(&self) -> String {
        match (self.url.host_str(), self.url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => self.url.as_str().to_string(),
        }
    }

    /// The `-vv` line: the label with the query (offsets, page sizes, search terms). Spotify's
    /// queries carry no credentials, but other APIs' `next` links may (`access_token=`,
    /// `X-Amz-Security-Token=`, `apiKey=`): values of parameters whose name looks like a
    /// credential are masked, by pattern rather than a fixed list.
    pub fn log_line(&self) -> String {
        if self.url.query().is_none() {
            return self.label();
        }
        let pairs: Vec<String> = self
            .url
            .query_pairs()
            .map(|(k, v)| {
                if looks_like_credential(&k) {
                    format!("{k}=(redacted)")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        format!("{} {}?{}", self.method, self.url.path(), pairs.join("&"))
    }
}

/// A query parameter name that may carry a credential: it contains token, secret, code, key,
/// signature, password/passwd, credential or auth, or is `sig`/`pw` (any case, any separator).
fn looks_like_credential(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const PARTS: &[&str] = &[
        "token",
        "secret",
        "code",
        "key",
        "signature",
        "password",
        "passwd",
        "credential",
        "auth",
        "session",
    ];
    PARTS.iter().any(|p| n.contains(p)) || matches!(n.as_str(), "sig" | "pw" | "pwd")
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Called when the client starts waiting because of a rate limit (for the progress bar).
pub type WaitHook = Box<dyn Fn(Duration) + Send + Sync>;

pub struct Http {
    client: reqwest::Client,
    pub policy: RetryPolicy,
    /// Pacing state per origin (`https://api.spotify.com`, `https://accounts.spotify.com`).
    gates: Mutex<HashMap<String, Arc<Gate>>>,
    /// Every origin's starting concurrency.
    initial_concurrency: usize,
    wait_hook: Mutex<Option<WaitHook>>,
    /// `--rate`: spaces request starts for the whole run, every origin together (a quota is
    /// per app, and the token requests count too).
    rate: Option<crate::api::rate::Limiter>,
}

/// One origin's pacing: its pause, its concurrency limit, its bursts.
struct Gate {
    /// Shared "not before" instant set by any 429 from this origin.
    pause: Mutex<Option<Instant>>,
    permits: Semaphore,
    /// Permits to drop instead of returning, after the concurrency was halved.
    debt: AtomicUsize,
    concurrency: AtomicUsize,
    /// When the concurrency was last halved: a 429 to a request sent before then belongs to
    /// the burst that already halved it.
    halved_at: Mutex<Option<Instant>>,
}

struct Permit<'a> {
    permit: Option<SemaphorePermit<'a>>,
    gate: &'a Gate,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(p) = self.permit.take() {
            let mut debt = self.gate.debt.load(Ordering::Acquire);
            while debt > 0 {
                match self.gate.debt.compare_exchange(
                    debt,
                    debt - 1,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        p.forget();
                        return;
                    }
                    Err(d) => debt = d,
                }
            }
        }
    }
}

enum Attempt {
    /// A response, and when the request was sent (after any pause and queueing).
    Done(Response, Instant),
    /// The body is larger than the cap: not retried (the server would send it again).
    TooLarge(String),
    /// Network-level failure; `sent` says whether the request may have reached the server.
    Failed { err: String, sent: bool },
    /// Will not get better by retrying (an untrusted certificate).
    Fatal(Error),
}

impl Http {
    pub fn new(policy: RetryPolicy, concurrency: usize) -> Result<Http> {
        let builder = super::tls::configure(reqwest::Client::builder())?;
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(concurrency.max(1))
            .user_agent(concat!("spotctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| super::tls::setup_failed(&e))?;
        Ok(Http {
            client,
            policy,
            gates: Mutex::new(HashMap::new()),
            initial_concurrency: concurrency.max(1),
            wait_hook: Mutex::new(None),
            rate: None,
        })
    }

    /// The pacing state of `url`'s origin, created on first use.
    fn gate(&self, url: &url::Url) -> Arc<Gate> {
        let origin = url.origin().ascii_serialization();
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(origin)
            .or_insert_with(|| Arc::new(Gate::new(self.initial_concurrency)))
            .clone()
    }

    /// Caps request starts for the whole run (`--rate`).
    pub fn with_rate(mut self, rate: Option<crate::api::rate::Rate>) -> Http {
        self.rate = rate.map(crate::api::rate::Limiter::new);
        self
    }

    pub fn set_wait_hook(&self, hook: WaitHook) {
        if let Ok(mut h) = self.wait_hook.lock() {
            *h = Some(hook);
        }
    }

    /// The concurrency currently allowed towards `url`'s origin.
    pub fn concurrency_for(&self, url: &url::Url) -> usize {
        self.gate(url).concurrency.load(Ordering::Acquire)
    }
}

impl Gate {
    fn new(concurrency: usize) -> Gate {
        Gate {
            pause: Mutex::new(None),
            permits: Semaphore::new(concurrency),
            debt: AtomicUsize::new(0),
            concurrency: AtomicUsize::new(concurrency),
            halved_at: Mutex::new(None),
        }
    }

    /// A 429 answered a request sent at `sent`: halves the concurrency unless that request was
    /// already in flight when an earlier 429 halved it (one burst, one halving, even when the
    /// pause it asked for is already over, as with `Retry-After: 0`).
    fn rate_limited(&self, sent: Instant) {
        let mut halved_at = self.halved_at.lock().unwrap_or_else(|e| e.into_inner());
        if halved_at.is_some_and(|h| sent <= h) {
            return;
        }
        *halved_at = Some(Instant::now());
        self.halve_concurrency();
    }

    /// Halves the allowed concurrency (at least 1) for the rest of the run.
    fn halve_concurrency(&self) {
        let cur = self.concurrency.load(Ordering::Acquire);
        let target = (cur / 2).max(1);
        if target < cur
            && self
                .concurrency
                .compare_exchange(cur, target, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            let drop_n = cur - target;
            let forgotten = self.permits.forget_permits(drop_n);
            self.debt.fetch_add(drop_n - forgotten, Ordering::AcqRel);
            tracing::info!("rate limited: concurrency lowered to {target}");
        }
    }

    fn pause_until(&self, until: Instant) {
        if let Ok(mut p) = self.pause.lock()
            && p.is_none_or(|cur| cur < until)
        {
            *p = Some(until);
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        self.pause
            .lock()
            .ok()
            .and_then(|p| *p)
            .filter(|t| *t > Instant::now())
    }

    /// Waits out any shared pause, then takes a concurrency permit; re-checks the pause after
    /// the permit, because a 429 may have arrived while this request queued.
    async fn ready(&self) -> Permit<'_> {
        loop {
            if let Some(t) = self.paused_until() {
                tokio::time::sleep_until(t.into()).await;
                continue;
            }
            let permit = self.permits.acquire().await.ok();
            if self.paused_until().is_some() {
                drop(Permit { permit, gate: self });
                continue;
            }
            return Permit { permit, gate: self };
        }
    }
}

impl Http {
    async fn attempt(&self, req: &Request, gate: &Gate) -> Attempt {
        let _permit = gate.ready().await;
        // `--rate` paces the Web API (the quota it protects is on API calls). A token request
        // is exempt: it may run under the account lock, which must not wait behind queued
        // API starts.
        if let Some(rate) = self.rate.as_ref().filter(|_| req.bearer.is_some()) {
            rate.wait().await;
        }
        let started = Instant::now();
        let mut rb = self.client.request(req.method.clone(), req.url.clone());
        if let Some(t) = &req.bearer {
            rb = rb.bearer_auth(t.expose());
        }
        if let Some((id, secret)) = &req.basic {
            rb = rb.basic_auth(id, Some(secret.expose()));
        }
        rb = match &req.body {
            Body::Empty => rb,
            Body::Form(f) => rb.form(f),
            Body::Json(b) => rb
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.clone()),
        };
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => {
                if let Some(why) = super::tls::certificate_error(&e) {
                    tracing::debug!("{} -> certificate refused: {why}", req.log_line());
                    return Attempt::Fatal(super::tls::untrusted(&req.label(), &req.host(), &why));
                }
                let sent = !e.is_connect();
                tracing::debug!(
                    "{} -> error after {}ms: {}",
                    req.log_line(),
                    started.elapsed().as_millis(),
                    describe(&e)
                );
                return Attempt::Failed {
                    err: format!(
                        "{} ({})",
                        describe(&e),
                        super::tls::host_and_proxy(&req.url, req.host())
                    ),
                    sent,
                };
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        match read_capped(resp, req.body_cap()).await {
            Ok(None) => {
                tracing::debug!("{} -> {status}, body over the cap", req.log_line());
                let (cap, what) = if req.body_cap() == API_BODY_CAP {
                    (format!("{} MiB", API_BODY_CAP >> 20), "page")
                } else {
                    (format!("{} KiB", TOKEN_BODY_CAP >> 10), "token response")
                };
                Attempt::TooLarge(format!(
                    "{}: the response is larger than {cap}, far more than any real {what}; not reading more (a broken or hostile server?)",
                    req.label()
                ))
            }
            Ok(Some(b)) => {
                tracing::debug!(
                    "{} -> {status} ({} bytes, {}ms)",
                    req.log_line(),
                    b.len(),
                    started.elapsed().as_millis()
                );
                Attempt::Done(
                    Response {
                        status,
                        headers,
                        body: b,
                    },
                    started,
                )
            }
            Err(e) => {
                tracing::debug!(
                    "{} -> {status}, body failed: {}",
                    req.log_line(),
                    describe(&e)
                );
                Attempt::Failed {
                    err: format!(
                        "the response body from {} was cut off ({})",
                        req.host(),
                        describe(&e)
                    ),
                    sent: true,
                }
            }
        }
    }

    fn backoff(&self, retry: u32) -> Duration {
        let base = self.policy.base_backoff.as_millis() as u64;
        let max = base.saturating_mul(1u64 << retry.min(16)).min(30_000);
        // "Equal jitter": at least half the step, so waits still grow.
        let ms = max / 2 + rand::rng().random_range(0..=max / 2);
        Duration::from_millis(ms)
    }

    /// Sends with the retry policy. Returns the final response for every status that is not
    /// retried (2xx, 3xx, 4xx other than 429); fails with exit 5 or 6 when retries run out.
    pub async fn send(&self, req: &Request) -> Result<Response> {
        if req.url.as_str().len() > MAX_URL {
            return Err(Error::usage(format!(
                "{}: the request URL is {} bytes, more than the {} KB a server accepts; shorten it",
                req.label(),
                req.url.as_str().len(),
                MAX_URL >> 10
            )));
        }
        let mut retries = 0u32;
        let gate = self.gate(&req.url);
        loop {
            let (why, wait) = match self.attempt(req, &gate).await {
                Attempt::TooLarge(msg) => return Err(Error::malformed(msg)),
                Attempt::Done(resp, sent) if resp.status == 429 => {
                    let wait = self.rate_limit_wait(req, &resp, retries)?;
                    gate.pause_until(Instant::now() + wait);
                    // A burst of 429s from requests that were in flight together is one
                    // event: halve once per burst, not once per response.
                    gate.rate_limited(sent);
                    if let Ok(h) = self.wait_hook.lock()
                        && let Some(h) = h.as_ref()
                    {
                        h(wait);
                    }
                    tracing::info!(
                        "{}: rate limited, waiting {:.1}s (retry {}/{})",
                        req.label(),
                        wait.as_secs_f64(),
                        retries + 1,
                        self.policy.max_retries
                    );
                    retries += 1;
                    continue;
                }
                Attempt::Done(resp, _) if matches!(resp.status, 500 | 502 | 503 | 504) => {
                    let why = format!("{} {}", resp.status, reason(resp.status));
                    // 503 says the request was not served; 500/502/504 may come after the
                    // origin acted on it (a proxy timing out), so only idempotent requests
                    // are sent again.
                    if req.replay == Replay::OnlyIfNotSent && resp.status != 503 {
                        return Err(Error::network(format!(
                            "{}: {why}; not retried because the request may already have been processed",
                            req.label()
                        )));
                    }
                    if retries >= self.policy.max_retries {
                        return Err(Error::network(format!(
                            "{}: {why} after {}; the service is having trouble, try again later",
                            req.label(),
                            plural(retries, "retry", "retries")
                        )));
                    }
                    (why, self.backoff(retries))
                }
                Attempt::Done(resp, _) => return Ok(resp),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Failed { err, sent } => {
                    let replayable = req.replay == Replay::Safe || !sent;
                    if !replayable {
                        return Err(Error::network(format!(
                            "{}: {err}; not retried because the request may already have been processed",
                            req.label()
                        )));
                    }
                    if retries >= self.policy.max_retries {
                        return Err(Error::network(format!(
                            "{}: {err} (after {})",
                            req.label(),
                            plural(retries, "retry", "retries")
                        )));
                    }
                    (err, self.backoff(retries))
                }
            };
            retries += 1;
            tracing::info!(
                "{}: {why}; retrying in {:.1}s ({retries}/{})",
                req.label(),
                wait.as_secs_f64(),
                self.policy.max_retries
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// How long a 429 asks us to wait, or the exit-5 error when we will not.
    fn rate_limit_wait(&self, req: &Request, resp: &Response, retries: u32) -> Result<Duration> {
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
        if wait > self.policy.max_retry_wait {
            let until = httpdate::fmt_http_date(SystemTime::now() + wait);
            return Err(Error::RateLimited(format!(
                "{}: rate limited; Spotify asks to wait {} (until {until}), longer than --max-retry-wait {}s; try again then",
                req.label(),
                human_wait(wait),
                self.policy.max_retry_wait.as_secs()
            )));
        }
        if retries >= self.policy.max_retries {
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

/// The body, read chunk by chunk up to `cap` bytes; `None` when it is (or says it is) larger.
/// Memory never exceeds the cap, whatever the server streams.
async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> std::result::Result<Option<Vec<u8>>, reqwest::Error> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Ok(None);
    }
    let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
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

fn plural(n: u32, one: &str, many: &str) -> String {
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

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// A reqwest error in words, without the URL (it is already in the request label).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the response"
    } else {
        "network error"
    };
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut root = None;
    while let Some(s) = src {
        root = Some(s.to_string());
        src = s.source();
    }
    match root {
        Some(r) => format!("{kind}: {r}"),
        None => kind.to_string(),
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
    fn log_lines_mask_credentials_in_queries() {
        let r = Request::get(
            url::Url::parse(
                "https://graph.example/v1/x?after=abc&access_token=SECRET1&limit=10&Key=SECRET2",
            )
            .unwrap(),
        );
        let l = r.log_line();
        assert_eq!(
            l,
            "GET /v1/x?after=abc&access_token=(redacted)&limit=10&Key=(redacted)"
        );
    }

    #[test]
    fn credential_looking_names_are_found_by_pattern() {
        for n in [
            "oauth_token",
            "id_token",
            "X-Amz-Security-Token",
            "accessToken",
            "client_secret",
            "apiKey",
            "Signature",
            "sig",
            "passWord",
            "code",
            "code_verifier",
            "X-Goog-Credential",
        ] {
            assert!(looks_like_credential(n), "{n}");
        }
        for n in [
            "offset",
            "limit",
            "q",
            "query",
            "type",
            "market",
            "locale",
            "include_groups",
            "after",
        ] {
            assert!(!looks_like_credential(n), "{n}");
        }
    }

    #[test]
    fn request_debug_shows_no_secret() {
        let mut r = Request::get(url::Url::parse("https://accounts.example/api/token").unwrap());
        r.bearer = Some(Secret::new("BEARER-SECRET-1"));
        r.basic = Some(("id".into(), Secret::new("CLIENT-SECRET-2")));
        r.body = Body::Form(vec![("refresh_token".into(), "REFRESH-SECRET-3".into())]);
        let d = format!("{r:?}");
        for s in ["BEARER-SECRET-1", "CLIENT-SECRET-2", "REFRESH-SECRET-3"] {
            assert!(!d.contains(s), "{d}");
        }
        assert!(d.contains("refresh_token"));
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
