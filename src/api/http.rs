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
//!   The pause is not only that request's: a wait above `--max-retry-wait` sets it too, and a
//!   request that finds a pause longer than that fails at once (exit 5) without being sent, so
//!   nothing queued fires into a window the service said is closed.
//! - 500/502/503/504, connection errors and timeouts: exponential backoff with jitter, up to
//!   `--max-retries`, for requests that are safe to repeat.
//! - Other processes: a `Retry-After` is recorded for the app and origin in a state file
//!   beside the accounts (`store/pause.rs`), read when a session opens, so the next spotctl
//!   waits for the same instant (or exits 5 at once) without sending anything.
//! - `--rate`: every Web API attempt's start waits for the run's token bucket (`rate.rs`),
//!   after the concurrency permit, so queued requests never bunch up; the pause is checked
//!   again once the slot is granted (a 429 may have come meanwhile). Token requests are
//!   exempt (a refresh runs under the account lock).
//! - Redirects are never followed (a token endpoint that redirects is an error, not a hop).
//! - `-vv` logs one line per request: method, path, status, time. Never headers or bodies;
//!   query parameters whose name looks like a credential are masked (by pattern, any case).
//! - Bodies are read as a stream with a cap ([`API_BODY_CAP`], [`TOKEN_BODY_CAP`]): a larger
//!   one (declared or streamed) is exit 6 at once, never retried, never unbounded memory.
//! - A URL too long for any server ([`MAX_URL`]) is a usage error (exit 2), never sent.
//!
//! Where things are: what a request and a response are (and what of them may be logged) in
//! `request`; how long to wait and when to give up (`Retry-After`, backoff, quota) in `retry`;
//! each origin's pause and concurrency in `gate`; sending, the retry loop and reading capped
//! bodies here.

use crate::error::{Error, Result};
use crate::store::pause::PauseFile;
use gate::Gate;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

mod gate;
mod request;
mod retry;
pub use request::{API_BODY_CAP, Body, MAX_URL, Replay, Request, Response, TOKEN_BODY_CAP};
pub use retry::{RetryPolicy, human_wait};

/// Called when the client starts waiting because of a rate limit (for the progress bar).
pub type WaitHook = Box<dyn Fn(Duration) + Send + Sync>;

pub struct Http {
    /// The client for every other destination (proxies as the environment says); built on
    /// first use, like `direct`: building one loads the system's CA certificates.
    client: OnceLock<reqwest::Client>,
    /// The same without any proxy, for loopback destinations (`tls::is_loopback`); built on
    /// first use.
    direct: OnceLock<reqwest::Client>,
    pub policy: RetryPolicy,
    /// Pacing state per origin (`https://api.spotify.com`, `https://accounts.spotify.com`).
    gates: Mutex<HashMap<String, Arc<Gate>>>,
    /// Every origin's starting concurrency.
    initial_concurrency: usize,
    wait_hook: Mutex<Option<WaitHook>>,
    /// `--rate`: spaces Web API request starts for the whole run (a quota is per app); token
    /// requests are exempt.
    rate: Option<crate::api::rate::Limiter>,
    /// Where 429 pauses are shared with other processes (set when a session opens).
    pauses: OnceLock<PauseFile>,
    /// Pauses other processes recorded, by origin, for gates not created yet.
    recorded: Mutex<HashMap<String, Instant>>,
}

enum Attempt {
    /// A response, and when the request was sent (after any pause and queueing).
    Done(Response, Instant),
    /// The body is larger than the cap: not retried (the server would send it again).
    TooLarge(String),
    /// Not sent: the origin is paused until then, longer than `--max-retry-wait`.
    Paused(Instant),
    /// Network-level failure; `sent` says whether the request may have reached the server.
    Failed { err: String, sent: bool },
    /// Will not get better by retrying (an untrusted certificate).
    Fatal(Error),
}

impl Http {
    pub fn new(policy: RetryPolicy, concurrency: usize) -> Result<Http> {
        Ok(Http {
            client: OnceLock::new(),
            direct: OnceLock::new(),
            policy,
            gates: Mutex::new(HashMap::new()),
            initial_concurrency: concurrency.max(1),
            wait_hook: Mutex::new(None),
            rate: None,
            pauses: OnceLock::new(),
            recorded: Mutex::new(HashMap::new()),
        })
    }

    /// The client for `url`: loopback destinations never go through a proxy.
    fn client_for(&self, url: &url::Url) -> Result<&reqwest::Client> {
        let direct = super::tls::is_loopback(url);
        let cell = if direct { &self.direct } else { &self.client };
        if let Some(c) = cell.get() {
            return Ok(c);
        }
        let c = build_client(&self.policy, self.initial_concurrency, direct)?;
        Ok(cell.get_or_init(|| c))
    }

    /// The pacing state of `url`'s origin, created on first use.
    fn gate(&self, url: &url::Url) -> Arc<Gate> {
        let origin = url.origin().ascii_serialization();
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(origin)
            .or_insert_with_key(|origin| {
                let gate = Gate::new(self.initial_concurrency);
                let recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(until) = recorded.get(origin) {
                    gate.pause_until(*until);
                }
                Arc::new(gate)
            })
            .clone()
    }

    /// Shares 429 pauses with other processes through `file` (once per run; the app is the
    /// same for every session of a run). Reads the pauses recorded there now: a small file,
    /// read once when a session opens.
    pub fn share_pauses(&self, file: PauseFile) {
        if self.pauses.get().is_some() {
            return;
        }
        let now = (Instant::now(), SystemTime::now());
        let loaded: Vec<(String, Instant)> = file
            .load()
            .into_iter()
            .filter_map(|(origin, until)| {
                let left = until.duration_since(now.1).ok()?;
                Some((origin, now.0.checked_add(left)?))
            })
            .collect();
        let _ = self.pauses.set(file);
        for (origin, until) in loaded {
            tracing::info!(
                "{origin}: rate limited until {} (a 429 a spotctl run of this app was given); nothing is sent before then",
                httpdate::fmt_http_date(
                    SystemTime::now() + until.saturating_duration_since(Instant::now())
                )
            );
            if let Some(g) = self
                .gates
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&origin)
            {
                g.pause_until(until);
            }
            self.recorded
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(origin, until);
        }
    }

    /// A 429 said to wait `wait`: every request to the origin waits (in this process, and in
    /// the others through the pause file; the write runs off the runtime).
    async fn pause(&self, req: &Request, gate: &Gate, wait: Duration) {
        let Some(until) = Instant::now().checked_add(wait) else {
            return;
        };
        if gate.paused_until().is_some_and(|p| p >= until) {
            return;
        }
        gate.pause_until(until);
        let Some(file) = self.pauses.get().cloned() else {
            return;
        };
        if wait < Duration::from_secs(1) {
            return;
        }
        let origin = req.url.origin().ascii_serialization();
        let until = SystemTime::now() + wait;
        match tokio::task::spawn_blocking(move || file.record(&origin, until)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("could not share the rate-limit pause: {e}"),
            Err(e) => tracing::warn!("could not share the rate-limit pause: {e}"),
        }
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

impl Http {
    async fn attempt(&self, req: &Request, gate: &Gate) -> Attempt {
        // `--rate` paces the Web API (the quota it protects is on API calls). A token request
        // is exempt: it may run under the account lock, which must not wait behind queued
        // API starts.
        let rate = self.rate.as_ref().filter(|_| req.bearer.is_some());
        let _permit = loop {
            let permit = match gate.ready(self.policy.max_retry_wait).await {
                Ok(p) => p,
                Err(until) => return Attempt::Paused(until),
            };
            let Some(rate) = rate else { break permit };
            rate.wait().await;
            // A 429 may have paused the origin while this request waited for its slot.
            if gate.paused_until().is_none() {
                break permit;
            }
        };
        let started = Instant::now();
        let client = match self.client_for(&req.url) {
            Ok(c) => c,
            Err(e) => return Attempt::Fatal(e),
        };
        let mut rb = client.request(req.method.clone(), req.url.clone());
        if let Some(t) = &req.bearer {
            rb = rb.bearer_auth(t.expose());
        }
        if let Some((id, secret)) = &req.basic {
            rb = rb.basic_auth(id, Some(secret.expose()));
        }
        if req.bearer.is_none() {
            // The OAuth endpoints (token, discovery, revocation, device): GitHub answers
            // form-encoded unless asked for JSON.
            rb = rb.header(reqwest::header::ACCEPT, "application/json");
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
                Attempt::Paused(until) => {
                    let left = until.saturating_duration_since(Instant::now());
                    return Err(Error::RateLimited(format!(
                        "{}: not sent: the service asked this app to wait until {} ({} from now), longer than --max-retry-wait {}s; try again then",
                        req.label(),
                        httpdate::fmt_http_date(SystemTime::now() + left),
                        human_wait(left),
                        self.policy.max_retry_wait.as_secs()
                    )));
                }
                Attempt::Done(resp, sent) if resp.status == 429 => {
                    // What the service said holds for every request, even when this one
                    // gives up (a wait above --max-retry-wait): nothing queued goes out
                    // into the window, here or in another process.
                    if let Some(d) = retry::parse_retry_after(&resp.headers, SystemTime::now()) {
                        self.pause(req, &gate, d).await;
                    }
                    let wait = self.policy.rate_limit_wait(req, &resp, retries)?;
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
                        return Err(Error::server_failed(format!(
                            "{}: {why}; not retried because the request may already have been processed",
                            req.label()
                        )));
                    }
                    if retries >= self.policy.max_retries {
                        return Err(Error::server_failed(format!(
                            "{}: {why} after {}; the service is having trouble, try again later",
                            req.label(),
                            retry::plural(retries, "retry", "retries")
                        )));
                    }
                    (why, self.policy.backoff(retries))
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
                            retry::plural(retries, "retry", "retries")
                        )));
                    }
                    (err, self.policy.backoff(retries))
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
}

/// The one client configuration; `direct`: without proxies (loopback destinations).
fn build_client(policy: &RetryPolicy, concurrency: usize, direct: bool) -> Result<reqwest::Client> {
    super::tls::builder(direct)?
        .redirect(reqwest::redirect::Policy::none())
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(concurrency.max(1))
        .user_agent(concat!("spotctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| super::tls::setup_failed(&e))
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
